//! `polyai conversations list` and `polyai conversations export`.

use std::fs;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use futures::StreamExt;
use polyai_sdk::Environment;
use polyai_sdk::conversations::{Conversation, ConversationListing};
use polyai_sdk::paging::{ListingPosition, PageStream};
use polyai_sdk::{Client, Timestamp};
use serde::{Deserialize, Serialize};

use crate::cli::{Env, Filters, Format, TurnSide};
use crate::config::Settings;
use crate::error::{CliError, CliResult};
use crate::output::{self, Progress};
use crate::window::{Shard, parse_when};

/// How many times in a row a failed listing page is resumed before the export gives up.
const MAX_RESUMES: u32 = 3;

/// The time window a command runs over, resolved to instants.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Inclusive start.
    pub start: Option<Timestamp>,
    /// Exclusive end.
    pub end: Option<Timestamp>,
}

/// Resolves `--since` and `--until` against one `now`.
pub fn resolve_window(filters: &Filters, now: Timestamp) -> CliResult<Window> {
    let start = filters
        .since
        .as_deref()
        .map(|t| parse_when("--since", t, now))
        .transpose()?;
    let end = filters
        .until
        .as_deref()
        .map(|t| parse_when("--until", t, now))
        .transpose()?;
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        return Err(CliError::usage(format!(
            "--until ({e}) is before --since ({s})"
        )));
    }
    Ok(Window { start, end })
}

/// The listing for these filters over `window` (everything but the window and the resume
/// position comes from `filters`).
pub fn listing(
    client: &Client,
    account: &str,
    project: &str,
    filters: &Filters,
    window: Window,
) -> ConversationListing {
    let mut listing = client.list_conversations(account, project);
    if let Some(start) = window.start {
        listing = listing.since(start);
    }
    if let Some(end) = window.end {
        listing = listing.until(end);
    }
    if let Some(env) = filters.environment {
        listing = listing.environment(match env {
            Env::Sandbox => Environment::Sandbox,
            Env::PreRelease => Environment::PreRelease,
            Env::Live => Environment::Live,
        });
    }
    for channel in &filters.channel {
        listing = listing.channel(channel.as_str());
    }
    if let Some(id) = &filters.variant_id {
        listing = listing.variant_id(id.as_str());
    }
    if let Some(name) = &filters.variant_name {
        listing = listing.variant_name(name.as_str());
    }
    if let Some(in_progress) = filters.in_progress {
        listing = listing.in_progress(in_progress);
    }
    if let Some(query) = &filters.search {
        listing = listing.search_transcripts(query.as_str());
    }
    if let Some(query) = &filters.semantic {
        listing = listing.search_semantic(query.as_str());
    }
    if let Some(side) = filters.turn_type {
        listing = listing.turn_type(match side {
            TurnSide::User => polyai_sdk::conversations::TurnType::User,
            TurnSide::Agent => polyai_sdk::conversations::TurnType::Agent,
        });
    }
    if filters.sample {
        listing = listing.random_sample();
    }
    if filters.include_latency {
        listing = listing.include_latency(true);
    }
    if let Some(size) = filters.page_size {
        listing = listing.page_size(size);
    }
    listing
}

/// When a listing's pages are requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// Each page when the previous one has been handled (nothing is fetched that is not
    /// used, e.g. past a `--limit`).
    OnDemand,
    /// One page ahead: page N+1 is requested and decoded while page N is handled, so the
    /// server's (and the network's) time overlaps the writing instead of adding to it.
    OneAhead,
}

/// Every page of `listing` from `position`, handed to `each`, each page fetched on demand;
/// a page that fails after the SDK's retries is fetched again from the position its error
/// reports, up to [`MAX_RESUMES`] times in a row, when the failure is one that may pass.
pub async fn each_page(
    listing: &ConversationListing,
    position: ListingPosition,
    each: impl FnMut(Vec<Conversation>, Option<ListingPosition>) -> CliResult<bool>,
) -> CliResult {
    each_page_fetched(listing, position, Fetch::OnDemand, each).await
}

/// [`each_page`], with the pages fetched as `fetch` says.
pub async fn each_page_fetched(
    listing: &ConversationListing,
    mut position: ListingPosition,
    fetch: Fetch,
    mut each: impl FnMut(Vec<Conversation>, Option<ListingPosition>) -> CliResult<bool>,
) -> CliResult {
    let mut failures = 0;
    loop {
        let pages = match &position {
            ListingPosition::Start => listing.clone().pages(),
            other => listing.clone().resume_from(other.clone()).pages(),
        };
        let mut pages = match fetch {
            Fetch::OnDemand => pages,
            Fetch::OneAhead => read_ahead(pages),
        };
        let mut failed = None;
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => {
                    failures = 0;
                    if !each(page.items, page.next_position)? {
                        return Ok(());
                    }
                }
                Err(error) => {
                    failed = Some(error);
                    break;
                }
            }
        }
        let Some(error) = failed else {
            return Ok(());
        };
        match error.resume_position() {
            Some(at) if error.is_retryable() && failures < MAX_RESUMES => {
                failures += 1;
                position = at.clone();
                tracing_free_warn(&format!(
                    "a listing page failed ({error}); resuming from it (attempt {failures} of {MAX_RESUMES})"
                ));
                tokio::time::sleep(std::time::Duration::from_secs(u64::from(failures))).await;
            }
            _ => return Err(error.into()),
        }
    }
}

/// `pages`, fetched one page ahead of their consumer by a task of its own. The task waits for
/// the consumer to take a page before it requests the next, so at most one page is held
/// beyond the one being handled; pages and the error that ends them arrive in order, exactly
/// as from `pages` itself. Dropping the stream stops the task, and a fetch in flight with it.
fn read_ahead(mut pages: PageStream<Conversation>) -> PageStream<Conversation> {
    let (sender, receiver) = tokio::sync::mpsc::channel(1);
    let task = tokio::spawn(async move {
        loop {
            let Ok(room) = sender.reserve().await else {
                return;
            };
            let Some(page) = pages.next().await else {
                return;
            };
            let failed = page.is_err();
            room.send(page);
            if failed {
                return;
            }
        }
    });
    let stop = AbortOnDrop(task.abort_handle());
    futures::stream::unfold((receiver, stop), |(mut receiver, stop)| async move {
        let page = receiver.recv().await?;
        Some((page, (receiver, stop)))
    })
    .boxed()
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn tracing_free_warn(line: &str) {
    eprintln!("warning: {}", crate::error::one_line(line));
}

/// The columns of the table and CSV formats.
const COLUMNS: [&str; 8] = [
    "id",
    "started_at",
    "channel",
    "environment",
    "turns",
    "duration_s",
    "handoff",
    "variant",
];

fn columns(c: &Conversation) -> [String; 8] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        c.id.clone(),
        opt(&c.started_at),
        c.channel
            .as_ref()
            .map_or(String::new(), |ch| ch.as_str().to_string()),
        opt(&c.environment),
        c.num_turns
            .or(c.turns.as_ref().map(|t| t.len() as i64))
            .map_or(String::new(), |n| n.to_string()),
        c.total_duration.map_or(String::new(), |n| n.to_string()),
        c.handoff.map_or(String::new(), |h| h.to_string()),
        opt(&c.variant_name),
    ]
}

/// `polyai conversations list`.
pub async fn list(
    settings: &Settings,
    filters: &Filters,
    format: Option<Format>,
    limit: Option<u64>,
) -> CliResult {
    let client = settings.client()?;
    let window = resolve_window(filters, Timestamp::now())?;
    let mut listing = listing(
        &client,
        settings.account()?,
        settings.project()?,
        filters,
        window,
    );
    // A short listing need not fetch a whole page of 1000.
    if let (Some(limit), None) = (limit, filters.page_size) {
        listing = listing.page_size(limit.clamp(1, 1000) as u32);
    }
    let format = format.unwrap_or(if output::stdout_is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let widths = [34usize, 24, 12, 11, 5, 10, 7, 12];
    let write_err = crate::error::stdout_write;
    match format {
        Format::Table => {
            let header: Vec<String> = COLUMNS
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{:w$}", c.to_uppercase()))
                .collect();
            writeln!(out, "{}", header.join(" ").trim_end()).map_err(write_err)?;
        }
        Format::Csv => writeln!(out, "{}", COLUMNS.join(",")).map_err(write_err)?,
        Format::Json => write!(out, "[").map_err(write_err)?,
        Format::Jsonl => {}
    }
    let mut written = 0u64;
    let result = each_page(&listing, ListingPosition::Start, |items, _| {
        for conversation in items {
            if limit.is_some_and(|l| written >= l) {
                return Ok(false);
            }
            match format {
                Format::Table => {
                    let cells: Vec<String> = columns(&conversation)
                        .iter()
                        .zip(widths)
                        .map(|(c, w)| format!("{:w$}", crate::output::sanitize(c)))
                        .collect();
                    writeln!(out, "{}", cells.join(" ").trim_end()).map_err(write_err)?;
                }
                Format::Csv => {
                    let cells: Vec<String> = columns(&conversation)
                        .iter()
                        .map(|c| crate::records::csv_field(c))
                        .collect();
                    writeln!(out, "{}", cells.join(",")).map_err(write_err)?;
                }
                Format::Json | Format::Jsonl => {
                    if format == Format::Json && written > 0 {
                        write!(out, ",").map_err(write_err)?;
                    }
                    // Encoded first, so that a closed pipe is told apart from an encoding error.
                    let line = serde_json::to_vec(&conversation).map_err(|e| {
                        CliError::failure(format!("cannot encode a conversation: {e}"))
                    })?;
                    out.write_all(&line).map_err(write_err)?;
                    if format == Format::Jsonl {
                        writeln!(out).map_err(write_err)?;
                    }
                }
            }
            written += 1;
        }
        out.flush().map_err(write_err)?;
        Ok(limit.is_none_or(|l| written < l))
    })
    .await;
    result?;
    if format == Format::Json {
        writeln!(out, "]").map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    Ok(())
}

/// What an export was asked for: a checkpoint only resumes the same query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Query {
    /// The base URL the listing goes to (the region's, or an override): a checkpoint resumes
    /// only against the host it was made on (empty in checkpoints that predate it).
    #[serde(default)]
    host: String,
    account: String,
    project: String,
    /// `--since` and `--until` as given (ages such as `7d` are resolved once, at the first run).
    since: Option<String>,
    until: Option<String>,
    environment: Option<String>,
    channels: Vec<String>,
    variant_id: Option<String>,
    variant_name: Option<String>,
    in_progress: Option<bool>,
    search: Option<String>,
    semantic: Option<String>,
    turn_type: Option<String>,
    sample: bool,
    include_latency: bool,
    shard: Option<String>,
    gzip: bool,
}

/// The checkpoint of an export, rewritten atomically after each page is flushed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Checkpoint {
    version: u32,
    query: Query,
    /// The window this export covers (the shard's), in Unix milliseconds.
    start_ms: i64,
    end_ms: i64,
    /// Where the next page starts (`start`, `cursor:...`); `None` once the export is done.
    position: Option<String>,
    /// Conversations written so far.
    count: u64,
    /// The output's length once those conversations were flushed.
    bytes: u64,
    done: bool,
}

const CHECKPOINT_VERSION: u32 = 1;

impl Checkpoint {
    fn load(path: &Path) -> CliResult<Option<Checkpoint>> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CliError::io(format!("cannot read {}", path.display()), e)),
        };
        let checkpoint: Checkpoint = serde_json::from_str(&text).map_err(|e| {
            CliError::failure(format!(
                "{} is not an export checkpoint: {e}",
                path.display()
            ))
            .hint("rerun with --restart to start the export over")
        })?;
        if checkpoint.version != CHECKPOINT_VERSION {
            return Err(CliError::failure(format!(
                "{} was written by another version of polyai (checkpoint version {})",
                path.display(),
                checkpoint.version
            ))
            .hint("rerun with --restart to start the export over"));
        }
        Ok(Some(checkpoint))
    }

    /// Writes the checkpoint to a temporary file, flushes it, and renames it into place, so
    /// that a kill at any moment leaves either the old or the new checkpoint.
    fn save(&self, path: &Path, sync: bool) -> CliResult {
        let temporary = sibling(path, ".tmp");
        let text = serde_json::to_vec_pretty(self)
            .map_err(|e| CliError::failure(format!("cannot encode the checkpoint: {e}")))?;
        let write = || -> io::Result<()> {
            let mut file = fs::File::create(&temporary)?;
            file.write_all(&text)?;
            if sync {
                file.sync_all()?;
            }
            fs::rename(&temporary, path)?;
            if sync {
                sync_dir(path);
            }
            Ok(())
        };
        write()
            .map_err(|e| CliError::io(format!("cannot write the checkpoint {}", path.display()), e))
    }
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Flushes the directory holding `path`, so that a rename survives a power loss.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(handle) = fs::File::open(dir) {
            let _ = handle.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The arguments of `polyai conversations export`.
pub struct ExportArgs<'a> {
    /// The filters.
    pub filters: &'a Filters,
    /// The output file, `-` for stdout.
    pub output: &'a Path,
    /// Compress with gzip.
    pub gzip: bool,
    /// `--shard i/n`.
    pub shard: Option<&'a str>,
    /// The checkpoint path.
    pub checkpoint: Option<&'a Path>,
    /// Start over.
    pub restart: bool,
    /// fsync after each page.
    pub sync: bool,
}

fn query_of(
    settings: &Settings,
    args: &ExportArgs<'_>,
    gzip: bool,
    host: &str,
) -> CliResult<Query> {
    let f = args.filters;
    Ok(Query {
        host: host.to_string(),
        account: settings.account()?.to_string(),
        project: settings.project()?.to_string(),
        since: f.since.clone(),
        until: f.until.clone(),
        environment: f.environment.map(|e| format!("{e:?}")),
        channels: f.channel.clone(),
        variant_id: f.variant_id.clone(),
        variant_name: f.variant_name.clone(),
        in_progress: f.in_progress,
        search: f.search.clone(),
        semantic: f.semantic.clone(),
        turn_type: f.turn_type.map(|t| format!("{t:?}")),
        sample: f.sample,
        include_latency: f.include_latency,
        shard: args.shard.map(|s| s.trim().to_string()),
        gzip,
    })
}

/// How many encoded bytes the page writer gathers before it hands them to the output: small
/// enough to stay in a core's cache while it is filled and written, large enough that the
/// writes stay few (a page of 1000 conversations with turns is about 2.5 MB).
const WRITE_CHUNK: usize = 256 * 1024;

/// Encodes pages of conversations as JSON Lines, each page as is or as one gzip member (a gzip
/// file may hold any number of members one after another; readers decompress them all as one
/// stream), and writes them through one reused buffer of about [`WRITE_CHUNK`] bytes.
///
/// Each conversation is dropped as soon as it is encoded, and the page is written in chunks
/// while it is encoded, so neither a whole encoded page nor a fresh buffer per page is ever
/// held: the export's memory stays flat and hot in the cache.
struct PageWriter {
    buffer: Vec<u8>,
    gzip: bool,
}

impl PageWriter {
    fn new(gzip: bool) -> PageWriter {
        PageWriter {
            buffer: Vec::with_capacity(WRITE_CHUNK + 16 * 1024),
            gzip,
        }
    }

    /// Encodes and writes one page to `out`, and returns how many bytes it wrote. An error of
    /// `out` is mapped by `write_error`; an encoding error names the conversation. After an
    /// error, part of the page may have been written (an export cuts it off when it resumes).
    fn write_page<W: Write>(
        &mut self,
        items: Vec<Conversation>,
        out: &mut W,
        write_error: impl Fn(io::Error) -> CliError,
    ) -> CliResult<u64> {
        let mut out = Counted {
            inner: out,
            bytes: 0,
        };
        if self.gzip {
            let mut encoder = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
            self.encode_into(items, &mut encoder, &write_error)?;
            encoder.finish().map_err(&write_error)?;
        } else {
            self.encode_into(items, &mut out, &write_error)?;
        }
        out.inner.flush().map_err(&write_error)?;
        Ok(out.bytes)
    }

    /// Encodes every conversation into the buffer, passing the buffer on to `sink` whenever it
    /// holds a chunk, and once more at the end.
    fn encode_into(
        &mut self,
        items: Vec<Conversation>,
        sink: &mut impl Write,
        write_error: &impl Fn(io::Error) -> CliError,
    ) -> CliResult {
        self.buffer.clear();
        for conversation in items {
            serde_json::to_writer(&mut self.buffer, &conversation).map_err(|e| {
                CliError::failure(format!(
                    "cannot encode conversation {}: {e}",
                    conversation.id
                ))
            })?;
            self.buffer.push(b'\n');
            if self.buffer.len() >= WRITE_CHUNK {
                sink.write_all(&self.buffer).map_err(write_error)?;
                self.buffer.clear();
            }
        }
        if !self.buffer.is_empty() {
            sink.write_all(&self.buffer).map_err(write_error)?;
            self.buffer.clear();
        }
        Ok(())
    }
}

/// A writer that counts the bytes that reach `inner`.
struct Counted<'a, W> {
    inner: &'a mut W,
    bytes: u64,
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(data)?;
        self.bytes = self.bytes.saturating_add(written as u64);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// `polyai conversations export`.
pub async fn export(settings: &Settings, args: ExportArgs<'_>) -> CliResult {
    let filters = args.filters;
    if filters.since.is_none() {
        return Err(CliError::usage("an export needs --since")
            .hint("give the window's start, e.g. --since 2026-11-01 or --since 7d (--until defaults to now)"));
    }
    let shard = args.shard.map(Shard::parse).transpose()?;
    if shard.is_some() {
        refuse_relative_window(filters)?;
    }
    let to_stdout = args.output == Path::new("-");
    if !to_stdout && (filters.sample || filters.semantic.is_some()) {
        return Err(CliError::usage(
            "--sample and --semantic have no stable order, so an export to a file cannot resume exactly once",
        )
        .hint("stream them once with -o - (no resume), or use conversations list"));
    }
    let gzip = args.gzip || args.output.extension().is_some_and(|e| e == "gz");
    let client = settings.client()?;
    let host = client.base_url(polyai_sdk::HostFamily::Platform);
    let query = query_of(settings, &args, gzip, host)?;

    if to_stdout {
        let window = shard_window(filters, shard)?;
        let listing = listing(&client, &query.account, &query.project, filters, window);
        let stdout = io::stdout();
        let mut out = stdout.lock();
        let mut writer = PageWriter::new(gzip);
        return each_page_fetched(
            &listing,
            ListingPosition::Start,
            Fetch::OneAhead,
            |items, _| {
                writer.write_page(items, &mut out, crate::error::stdout_write)?;
                Ok(true)
            },
        )
        .await;
    }

    let checkpoint_path = args
        .checkpoint
        .map(Path::to_path_buf)
        .unwrap_or_else(|| sibling(args.output, ".checkpoint"));
    let existing = if args.restart {
        None
    } else {
        Checkpoint::load(&checkpoint_path)?
    };
    let (mut checkpoint, mut file) = match existing {
        Some(checkpoint) => {
            if checkpoint.query.host != query.host {
                let made = if checkpoint.query.host.is_empty() {
                    "an unrecorded host"
                } else {
                    checkpoint.query.host.as_str()
                };
                return Err(CliError::usage(format!(
                    "{} was made against {made}, not {}",
                    checkpoint_path.display(),
                    query.host
                ))
                .hint("resume it with the same --region or base URL, or pass --restart to start over against this host"));
            }
            if checkpoint.query != query {
                return Err(CliError::usage(format!(
                    "{} belongs to an export with other arguments (account, project, window, filters, shard or compression differ)",
                    checkpoint_path.display()
                ))
                .hint("rerun with the same arguments to resume it, use another --output, or pass --restart to start over"));
            }
            if checkpoint.done {
                eprintln!(
                    "{} is already complete: {} conversations (checkpoint {}); nothing to do",
                    args.output.display(),
                    checkpoint.count,
                    checkpoint_path.display()
                );
                return Ok(());
            }
            let file = open_for_resume(args.output, checkpoint.bytes)?;
            eprintln!(
                "resuming {} after {} conversations",
                args.output.display(),
                checkpoint.count
            );
            (checkpoint, file)
        }
        None => {
            if !args.restart && fs::metadata(args.output).is_ok_and(|m| m.len() > 0) {
                return Err(CliError::usage(format!(
                    "{} exists and has no checkpoint {}",
                    args.output.display(),
                    checkpoint_path.display()
                ))
                .hint("pass --restart to overwrite it, or choose another --output"));
            }
            let window = shard_window(filters, shard)?;
            let (start, end) = match (window.start, window.end) {
                (Some(s), Some(e)) => (s, e),
                _ => return Err(CliError::usage("an export needs a window")),
            };
            let checkpoint = Checkpoint {
                version: CHECKPOINT_VERSION,
                query: query.clone(),
                start_ms: start.unix_millis(),
                end_ms: end.unix_millis(),
                position: Some(ListingPosition::Start.to_string()),
                count: 0,
                bytes: 0,
                done: false,
            };
            // The checkpoint comes first: a kill before the first page leaves a checkpoint
            // that says "nothing written", and the rerun truncates whatever is there.
            checkpoint.save(&checkpoint_path, args.sync)?;
            let file = fs::File::create(args.output)
                .map_err(|e| CliError::io(format!("cannot create {}", args.output.display()), e))?;
            (checkpoint, file)
        }
    };

    let window = Window {
        start: Some(Timestamp::from_unix_millis(checkpoint.start_ms)),
        end: Some(Timestamp::from_unix_millis(checkpoint.end_ms)),
    };
    let listing = listing(&client, &query.account, &query.project, filters, window);
    let position: ListingPosition = match &checkpoint.position {
        Some(text) => text.parse().map_err(|e: polyai_sdk::Error| {
            CliError::failure(format!("{}: {e}", checkpoint_path.display()))
                .hint("rerun with --restart to start the export over")
        })?,
        None => ListingPosition::Start,
    };

    // Checkpoint values come from a file: no arithmetic on them may overflow.
    let span = checkpoint.end_ms.saturating_sub(checkpoint.start_ms).max(1) as u64;
    let mut progress = Progress::new(
        span,
        "{bar:30} {percent:>3}% of the window  {msg}  ETA {eta}",
    );
    let resumed_count = checkpoint.count;
    let output_name = args.output.display().to_string();
    let mut saver = CheckpointSaver::start(&file, &output_name, &checkpoint_path, args.sync)?;
    let mut writer = PageWriter::new(gzip);
    let result = each_page_fetched(&listing, position, Fetch::OneAhead, |items, next| {
        // Conversations come newest first: the start time of the page's last conversation
        // (the oldest) tells how much of the window is behind us. Only the progress display
        // depends on that order, so one timestamp is parsed per page, not one per record.
        let oldest = items
            .iter()
            .rev()
            .find_map(|c| c.started_at.as_deref()?.parse::<Timestamp>().ok());
        let page_count = items.len() as u64;
        let bytes = writer.write_page(items, &mut file, |e| {
            CliError::io(format!("cannot write {output_name}"), e)
        })?;
        checkpoint.count = checkpoint.count.saturating_add(page_count);
        checkpoint.bytes = checkpoint.bytes.saturating_add(bytes);
        checkpoint.done = next.is_none();
        checkpoint.position = next.as_ref().map(ToString::to_string);
        saver.save(&checkpoint)?;
        let covered = match oldest {
            Some(t) => checkpoint
                .end_ms
                .saturating_sub(t.unix_millis())
                .clamp(0, i64::try_from(span).unwrap_or(i64::MAX)) as u64,
            None if checkpoint.done => span,
            None => 0,
        };
        let rate = checkpoint.count.saturating_sub(resumed_count) as f64 / progress.elapsed_secs();
        let count = checkpoint.count;
        let size = checkpoint.bytes;
        progress.update(
            covered,
            format!("{count} conversations, {rate:.0}/s, {}", output::bytes(size)),
            || {
                format!(
                    "exported {count} conversations ({rate:.0}/s, {}) to {output_name}, {:.0}% of the window",
                    output::bytes(size),
                    covered as f64 * 100.0 / span as f64
                )
            },
        );
        Ok(true)
    })
    .await;
    // Every checkpoint handed over is on disk (or has failed) before the export reports.
    let result = result.and(saver.finish());
    result.map_err(|e| {
        let hint = match e.hint {
            Some(hint) => {
                format!("{hint}; rerunning the same command resumes after the last checkpoint")
            }
            None => "rerunning the same command resumes after the last checkpoint".to_string(),
        };
        CliError {
            hint: Some(hint),
            ..e
        }
    })?;
    if !checkpoint.done {
        // The listing ended without a last page (never expected): say so rather than claim
        // completeness.
        return Err(
            CliError::failure("the listing ended early").hint("rerun the same command to resume")
        );
    }
    progress.finish(&format!(
        "exported {} conversations to {} ({}){}",
        checkpoint.count,
        output_name,
        output::bytes(checkpoint.bytes),
        shard.map_or(String::new(), |s| format!(
            ", shard {s}: [{}, {})",
            Timestamp::from_unix_millis(checkpoint.start_ms),
            Timestamp::from_unix_millis(checkpoint.end_ms)
        )),
    ));
    Ok(())
}

/// Makes each page durable and checkpoints it on a thread of its own, so that the fsyncs of
/// page N overlap the fetch and encoding of page N+1 instead of adding to them.
///
/// Per round, in order: the output's data is synced (unless `--no-sync`), then the newest
/// page's checkpoint is written and, with sync, flushed. A checkpoint therefore never claims
/// bytes that are not durable; a kill leaves at most the pages written after the last
/// checkpoint, which the resume cuts off and fetches again.
///
/// The export hands over a checkpoint after every page and never waits for the disk: when a
/// round is still running, the next page's checkpoint waits in a slot of one, and a newer one
/// replaces it (it covers every byte the older one claimed, and the next round's sync covers
/// them all). While the disk keeps up, every page is checkpointed; when fsyncs are slower
/// than pages arrive, one round checkpoints every page written since the last, instead of the
/// export stalling on one round per page. Memory stays flat: the slot holds one checkpoint,
/// never a page.
struct CheckpointSaver {
    handoff: std::sync::Arc<Handoff>,
    worker: Option<std::thread::JoinHandle<CliResult>>,
}

/// What the export and the checkpoint writer share.
struct Handoff {
    slot: std::sync::Mutex<Slot>,
    wake: std::sync::Condvar,
}

/// The checkpoint waiting for the writer, and whether either side has stopped.
#[derive(Default)]
struct Slot {
    /// The newest checkpoint not yet taken by the writer.
    pending: Option<Checkpoint>,
    /// The export hands over no more checkpoints.
    closed: bool,
    /// The writer failed and takes no more checkpoints.
    stopped: bool,
}

impl Handoff {
    /// The slot, even if a thread panicked while holding it (its fields stay meaningful).
    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for the next checkpoint; `None` once the export is closed and nothing is left.
    fn take(&self) -> Option<Checkpoint> {
        let mut slot = self.lock();
        loop {
            if let Some(checkpoint) = slot.pending.take() {
                return Some(checkpoint);
            }
            if slot.closed {
                return None;
            }
            slot = self
                .wake
                .wait(slot)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

impl CheckpointSaver {
    fn start(output: &fs::File, output_name: &str, path: &Path, sync: bool) -> CliResult<Self> {
        let data = output
            .try_clone()
            .map_err(|e| CliError::io(format!("cannot write {output_name}"), e))?;
        let (output_name, path) = (output_name.to_string(), path.to_path_buf());
        let handoff = std::sync::Arc::new(Handoff {
            slot: std::sync::Mutex::new(Slot::default()),
            wake: std::sync::Condvar::new(),
        });
        let shared = handoff.clone();
        let worker = std::thread::Builder::new()
            .name("export-checkpoint".into())
            .spawn(move || -> CliResult {
                let round = |checkpoint: Checkpoint| -> CliResult {
                    if sync {
                        // Covers every byte written so far: at least the ones this
                        // checkpoint claims.
                        data.sync_data()
                            .map_err(|e| CliError::io(format!("cannot write {output_name}"), e))?;
                    }
                    checkpoint.save(&path, sync)
                };
                while let Some(checkpoint) = shared.take() {
                    if let Err(error) = round(checkpoint) {
                        shared.lock().stopped = true;
                        return Err(error);
                    }
                }
                Ok(())
            })
            .map_err(|e| CliError::io("cannot start the checkpoint writer", e))?;
        Ok(CheckpointSaver {
            handoff,
            worker: Some(worker),
        })
    }

    /// Hands over the checkpoint of the page just written (replacing one the writer has not
    /// taken yet); fails with the writer's error if an earlier round could not sync or
    /// checkpoint.
    fn save(&mut self, checkpoint: &Checkpoint) -> CliResult {
        let accepted = {
            let mut slot = self.handoff.lock();
            if slot.stopped || slot.closed {
                false
            } else {
                slot.pending = Some(checkpoint.clone());
                true
            }
        };
        if accepted {
            self.handoff.wake.notify_one();
            return Ok(());
        }
        self.finish()?;
        Err(CliError::failure("the checkpoint writer stopped"))
    }

    /// Waits until the last checkpoint handed over is written.
    fn finish(&mut self) -> CliResult {
        self.handoff.lock().closed = true;
        self.handoff.wake.notify_one();
        match self.worker.take() {
            Some(worker) => worker
                .join()
                .unwrap_or_else(|_| Err(CliError::failure("the checkpoint writer crashed"))),
            None => Ok(()),
        }
    }
}

/// Shards are split on each machine separately: an age (`7d`), `now` or the default `--until`
/// would be resolved against each machine's clock, and the parts would no longer be disjoint
/// nor cover the window. Refuses them.
fn refuse_relative_window(filters: &Filters) -> CliResult {
    let hint = "with --shard give absolute times that every machine reads the same, e.g. --since 2026-11-01T00:00:00Z --until 2026-11-08T00:00:00Z";
    for (flag, value) in [("--since", &filters.since), ("--until", &filters.until)] {
        match value {
            None => {
                return Err(CliError::usage(format!(
                    "--shard needs an explicit {flag} (the default is now, which differs between machines)"
                ))
                .hint(hint));
            }
            Some(text) if !crate::window::is_absolute(text) => {
                return Err(CliError::usage(format!(
                    "--shard needs an absolute {flag}, not {text:?} (resolved against each machine's clock)"
                ))
                .hint(hint));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The window of `--since`/`--until`, narrowed to the shard's part.
fn shard_window(filters: &Filters, shard: Option<Shard>) -> CliResult<Window> {
    let now = Timestamp::now();
    let window = resolve_window(filters, now)?;
    let start = window
        .start
        .ok_or_else(|| CliError::usage("an export needs --since"))?;
    let end = window.end.unwrap_or(now);
    let (start, end) = match shard {
        Some(shard) => shard.window(start, end),
        None => (start, end),
    };
    Ok(Window {
        start: Some(start),
        end: Some(end),
    })
}

/// Opens the output to continue after `bytes`: anything after that length was written after
/// the last checkpoint and is written again, so it is cut off.
fn open_for_resume(path: &Path, bytes: u64) -> CliResult<fs::File> {
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(bytes == 0)
        .truncate(false)
        .open(path)
        .map_err(|e| {
            CliError::io(format!("cannot reopen {} to resume", path.display()), e)
                .hint("the checkpoint is kept: restore the file, or rerun with --restart")
        })?;
    let length = file
        .metadata()
        .map_err(|e| CliError::io(format!("cannot read {}", path.display()), e))?
        .len();
    if length < bytes {
        return Err(CliError::failure(format!(
            "{} is shorter ({length} bytes) than its checkpoint says ({bytes} bytes): it was changed after the export wrote it",
            path.display()
        ))
        .hint("rerun with --restart to export again"));
    }
    file.set_len(bytes)
        .and_then(|_| file.seek(SeekFrom::Start(bytes)).map(|_| ()))
        .map_err(|e| {
            CliError::io(
                format!("cannot truncate {} to its checkpoint", path.display()),
                e,
            )
        })?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// `n` conversations whose turns make each line about 3 KiB, so that a page of 200 spans
    /// more than two write chunks.
    fn conversations(n: usize) -> Vec<Conversation> {
        (0..n)
            .map(|i| {
                serde_json::from_value(serde_json::json!({
                    "id": format!("CA{i:08}"),
                    "started_at": "2026-11-01T10:00:00.000Z",
                    "turns": (0..8).map(|t| serde_json::json!({
                        "user_input": format!("turn {t} of {i}: \"quoted\" é \u{1F600} {}", "x".repeat(300)),
                        "agent_response": "ok",
                    })).collect::<Vec<_>>(),
                }))
                .unwrap()
            })
            .collect()
    }

    fn write_error(e: io::Error) -> CliError {
        CliError::io("cannot write the test output", e)
    }

    /// What the library writes: each conversation encoded on its own, one per line.
    fn expected_lines(items: &[Conversation]) -> Vec<u8> {
        let mut lines = Vec::new();
        for conversation in items {
            lines.extend(serde_json::to_vec(conversation).unwrap());
            lines.push(b'\n');
        }
        lines
    }

    #[test]
    fn a_page_is_written_in_chunks_as_the_same_json_lines_and_counted() {
        let pages = [conversations(200), conversations(1), Vec::new()];
        let mut writer = PageWriter::new(false);
        let (mut out, mut expected) = (Vec::new(), Vec::new());
        for page in pages {
            expected.extend(expected_lines(&page));
            let before = out.len();
            let written = writer.write_page(page, &mut out, write_error).unwrap();
            assert_eq!(written, (out.len() - before) as u64);
        }
        assert!(expected.len() > 2 * WRITE_CHUNK, "the test spans chunks");
        assert_eq!(out, expected);
        // The buffer is reused, never grown to a page.
        assert!(writer.buffer.capacity() < 2 * WRITE_CHUNK);
    }

    #[test]
    fn a_gzip_page_is_one_member_holding_the_same_lines() {
        let pages = [conversations(200), conversations(3)];
        let mut writer = PageWriter::new(true);
        let (mut out, mut expected) = (Vec::new(), Vec::new());
        let mut members = 0;
        for page in pages {
            expected.extend(expected_lines(&page));
            let before = out.len();
            let written = writer.write_page(page, &mut out, write_error).unwrap();
            assert_eq!(written, (out.len() - before) as u64);
            // Each page on its own is a complete gzip stream.
            let mut member = Vec::new();
            flate2::read::GzDecoder::new(&out[before..])
                .read_to_end(&mut member)
                .unwrap();
            assert!(!member.is_empty());
            members += 1;
        }
        let mut all = Vec::new();
        flate2::read::MultiGzDecoder::new(&out[..])
            .read_to_end(&mut all)
            .unwrap();
        assert_eq!(members, 2);
        assert_eq!(all, expected);
    }

    fn checkpoint_at(count: u64) -> Checkpoint {
        Checkpoint {
            version: CHECKPOINT_VERSION,
            query: Query {
                host: "http://127.0.0.1:1".into(),
                account: "ws-1".into(),
                project: "PROJECT-1".into(),
                since: Some("2026-11-01T00:00:00Z".into()),
                until: Some("2026-11-02T00:00:00Z".into()),
                environment: None,
                channels: Vec::new(),
                variant_id: None,
                variant_name: None,
                in_progress: None,
                search: None,
                semantic: None,
                turn_type: None,
                sample: false,
                include_latency: false,
                shard: None,
                gzip: false,
            },
            start_ms: 0,
            end_ms: 1,
            position: Some(format!("cursor:{count}")),
            count,
            bytes: count * 10,
            done: false,
        }
    }

    /// A checkpoint handed over while the writer is busy waits in the slot; a newer one
    /// replaces it, so the writer's next round takes the newest; after the export closes, what
    /// is pending is still taken before the writer stops.
    #[test]
    fn the_writer_takes_the_newest_checkpoint_and_drains_before_stopping() {
        let handoff = Handoff {
            slot: std::sync::Mutex::new(Slot::default()),
            wake: std::sync::Condvar::new(),
        };
        handoff.lock().pending = Some(checkpoint_at(1000));
        handoff.lock().pending = Some(checkpoint_at(2000));
        assert_eq!(handoff.take().map(|c| c.count), Some(2000));
        handoff.lock().pending = Some(checkpoint_at(3000));
        handoff.lock().closed = true;
        assert_eq!(handoff.take().map(|c| c.count), Some(3000));
        assert!(handoff.take().is_none());
    }

    /// Every checkpoint handed over reaches the file, the last one last; once the writer has
    /// failed, the export is told so.
    #[test]
    fn the_saver_writes_the_last_checkpoint_and_reports_a_failed_writer() {
        let dir = tempfile::tempdir().unwrap();
        let output = fs::File::create(dir.path().join("out.jsonl")).unwrap();
        let path = dir.path().join("out.jsonl.checkpoint");
        let mut saver = CheckpointSaver::start(&output, "out.jsonl", &path, true).unwrap();
        for page in 1..=20 {
            saver.save(&checkpoint_at(page * 1000)).unwrap();
        }
        saver.finish().unwrap();
        let saved = Checkpoint::load(&path).unwrap().unwrap();
        assert_eq!(saved.count, 20_000);

        // A checkpoint path in a directory that does not exist: the first round fails, and
        // a later hand-over (or the end) reports it.
        let missing = dir.path().join("no-such-dir").join("out.jsonl.checkpoint");
        let mut saver = CheckpointSaver::start(&output, "out.jsonl", &missing, false).unwrap();
        let mut outcome = Ok(());
        for page in 1..=1000 {
            outcome = saver.save(&checkpoint_at(page));
            if outcome.is_err() {
                break;
            }
        }
        let error = outcome.and(saver.finish()).unwrap_err();
        assert!(
            error.message.contains("cannot write the checkpoint"),
            "{}",
            error.message
        );
    }

    /// Pages `1..=pages` of one conversation each (then an error when `fail`), counting how
    /// many the stream has been asked for.
    fn counted_pages(
        pages: usize,
        fail: bool,
        pulled: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) -> PageStream<Conversation> {
        let mut items: Vec<Result<polyai_sdk::paging::Page<Conversation>, polyai_sdk::Error>> = (1
            ..=pages)
            .map(|n| {
                Ok(polyai_sdk::paging::Page {
                    items: conversations(1),
                    next_cursor: Some(n.to_string()),
                    next_position: Some(ListingPosition::Cursor(n.to_string())),
                })
            })
            .collect();
        if fail {
            items.push(Err(polyai_sdk::Error::InvalidInput("page failed".into())));
        }
        futures::stream::iter(items)
            .inspect(move |_| {
                pulled.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
            .boxed()
    }

    /// The read-ahead hands over the same pages in the same order, then the error that ended
    /// them, and never holds more than one page beyond the one its consumer has.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reading_ahead_keeps_the_order_the_error_and_one_page_of_lead() {
        use std::sync::atomic::Ordering;
        let pulled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut pages = read_ahead(counted_pages(5, true, pulled.clone()));
        let mut cursors = Vec::new();
        let mut failed = None;
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => {
                    let taken = cursors.len() + 1;
                    // Give the task every chance to run further ahead than it may.
                    for _ in 0..50 {
                        tokio::task::yield_now().await;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    let ahead = pulled.load(Ordering::SeqCst);
                    assert!(
                        ahead <= taken + 1,
                        "{ahead} pages pulled while the consumer holds page {taken}"
                    );
                    cursors.push(page.next_cursor.unwrap());
                }
                Err(error) => {
                    failed = Some(error.to_string());
                    break;
                }
            }
        }
        assert_eq!(cursors, ["1", "2", "3", "4", "5"]);
        assert!(failed.is_some_and(|e| e.contains("page failed")));
        assert!(pages.next().await.is_none(), "nothing after the error");
    }

    /// Dropping the read-ahead stream stops its task: nothing more is pulled.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_read_ahead_fetches_no_more() {
        use std::sync::atomic::Ordering;
        let pulled = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut pages = read_ahead(counted_pages(100, false, pulled.clone()));
        assert!(pages.next().await.is_some_and(|p| p.is_ok()));
        drop(pages);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let after_drop = pulled.load(Ordering::SeqCst);
        assert!(after_drop <= 2, "{after_drop} pages pulled");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(pulled.load(Ordering::SeqCst), after_drop);
    }

    /// A writer that fails after `left` bytes.
    struct Failing {
        left: usize,
    }

    impl Write for Failing {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::other("disk full"));
            }
            let n = data.len().min(self.left);
            self.left -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_output_is_reported_through_the_given_mapping() {
        let mut writer = PageWriter::new(false);
        let error = writer
            .write_page(conversations(200), &mut Failing { left: 1000 }, |e| {
                CliError::io("cannot write out.jsonl", e)
            })
            .unwrap_err();
        assert_eq!(error.message, "cannot write out.jsonl: disk full");
    }
}
