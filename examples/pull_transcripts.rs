//! Pulls a time window of conversations into a JSON Lines file (one conversation per line,
//! turns included). Resumable: kill it at any point and run it again with the same OUT, and
//! it finishes the same listing with every conversation in the file exactly once.
//!
//! The checkpoint (`OUT.checkpoint`) holds the whole query (account, project, the time window
//! as absolute times, the page size) with the position of the next page and the length of
//! OUT once the pages before it were written. It is replaced atomically (a temporary file,
//! flushed, renamed over it) after each page is safely on disk. A rerun takes the query from
//! the checkpoint, not from the clock or the arguments (a cursor belongs to one query), cuts
//! OUT back to the recorded length (dropping a page written after the last checkpoint) and
//! continues. A page that fails (after the client's retries) does not end the run: the
//! listing resumes from that page's position, up to a few times in a row. The checkpoint is
//! removed once the listing is complete.
//!
//! ```sh
//! cargo run --example pull_transcripts -- [OUT.jsonl] [DAYS]
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use polyai_examples::{AnyResult, connect, each_page_resuming};
use polyai_sdk::Timestamp;
use polyai_sdk::conversations::ListingPosition;
use serde_json::{Value, json};

/// Conversations per page.
const PAGE_SIZE: u32 = 100;

/// The query a listing belongs to, and how far it got.
struct Checkpoint {
    account_id: String,
    project_id: String,
    start_ms: i64,
    end_ms: i64,
    page_size: u32,
    /// The next page; `None` before the first one.
    position: Option<ListingPosition>,
    /// The length of OUT once every page before `position` was written.
    output_bytes: u64,
    /// How many conversations those pages held.
    written: u64,
}

impl Checkpoint {
    fn to_json(&self) -> Value {
        json!({
            "version": 1,
            "account_id": self.account_id,
            "project_id": self.project_id,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "page_size": self.page_size,
            "position": self.position.as_ref().map(ToString::to_string),
            "output_bytes": self.output_bytes,
            "written": self.written,
        })
    }

    fn from_json(value: &Value) -> Result<Checkpoint, String> {
        let text = |name: &str| {
            value[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{name} is missing"))
        };
        let int = |name: &str| {
            value[name]
                .as_i64()
                .ok_or_else(|| format!("{name} is missing"))
        };
        let count = |name: &str| {
            value[name]
                .as_u64()
                .ok_or_else(|| format!("{name} is missing"))
        };
        if value["version"] != 1 {
            return Err("it was written by another version of this example".into());
        }
        Ok(Checkpoint {
            account_id: text("account_id")?,
            project_id: text("project_id")?,
            start_ms: int("start_ms")?,
            end_ms: int("end_ms")?,
            page_size: u32::try_from(count("page_size")?).map_err(|e| e.to_string())?,
            position: match &value["position"] {
                Value::Null => None,
                Value::String(position) => Some(position.parse().map_err(|e| format!("{e}"))?),
                _ => return Err("position is not a string".into()),
            },
            output_bytes: count("output_bytes")?,
            written: count("written")?,
        })
    }

    fn load(path: &Path) -> AnyResult<Option<Checkpoint>> {
        let text = match std::fs::read(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(format!("reading {}: {error}", path.display()).into()),
        };
        let value: Value = serde_json::from_slice(&text)
            .map_err(|e| format!("{} is not a checkpoint: {e}", path.display()))?;
        let checkpoint = Checkpoint::from_json(&value).map_err(|e| {
            format!(
                "{} is not a checkpoint this example can continue ({e}); remove it to start over",
                path.display()
            )
        })?;
        Ok(Some(checkpoint))
    }

    /// Replaces the checkpoint atomically: a reader (the next run) sees the old one or the new
    /// one, never a mix, whenever the process dies.
    fn save(&self, path: &Path) -> AnyResult<()> {
        let temporary = path.with_extension("checkpoint.tmp");
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(self.to_json().to_string().as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, path)?;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "transcripts.jsonl".into()));
    let days: u64 = args.next().map(|d| d.parse()).transpose()?.unwrap_or(30);
    let checkpoint_path = out.with_extension("checkpoint");

    let target = connect().await?;
    let mut checkpoint = match Checkpoint::load(&checkpoint_path)? {
        Some(checkpoint) => {
            if (
                checkpoint.account_id.as_str(),
                checkpoint.project_id.as_str(),
            ) != (target.account_id.as_str(), target.project_id.as_str())
            {
                return Err(format!(
                    "{} belongs to the listing of {}/{}, not {}/{}; remove it to start over",
                    checkpoint_path.display(),
                    checkpoint.account_id,
                    checkpoint.project_id,
                    target.account_id,
                    target.project_id
                )
                .into());
            }
            println!(
                "resuming the listing in {} after {} conversations",
                checkpoint_path.display(),
                checkpoint.written
            );
            checkpoint
        }
        None => {
            let end = Timestamp::now();
            let start = end.minus(std::time::Duration::from_secs(days * 86_400));
            let fresh = Checkpoint {
                account_id: target.account_id.clone(),
                project_id: target.project_id.clone(),
                start_ms: start.unix_millis(),
                end_ms: end.unix_millis(),
                page_size: PAGE_SIZE,
                position: None,
                output_bytes: 0,
                written: 0,
            };
            // The query is fixed before the first page: a run killed at any point continues it.
            fresh.save(&checkpoint_path)?;
            fresh
        }
    };

    // OUT holds exactly the pages before the checkpoint's position: cut off anything a run
    // wrote after its last checkpoint, which this run fetches again.
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&out)?;
    let length = file.metadata()?.len();
    if length < checkpoint.output_bytes {
        return Err(format!(
            "{} has {length} bytes but its checkpoint says {}; it was changed since, so remove \
             both it and {} to start over",
            out.display(),
            checkpoint.output_bytes,
            checkpoint_path.display()
        )
        .into());
    }
    file.set_len(checkpoint.output_bytes)?;
    let mut writer = std::io::BufWriter::new(file);
    std::io::Seek::seek(
        &mut writer,
        std::io::SeekFrom::Start(checkpoint.output_bytes),
    )?;

    let listing = target
        .client
        .list_conversations(&checkpoint.account_id, &checkpoint.project_id)
        .between(
            Timestamp::from_unix_millis(checkpoint.start_ms),
            Timestamp::from_unix_millis(checkpoint.end_ms),
        )
        .page_size(checkpoint.page_size);
    let from = |position: Option<ListingPosition>| match position {
        Some(position) => listing.clone().resume_from(position).pages(),
        None => listing.clone().pages(),
    };
    let start = checkpoint.position.clone();
    each_page_resuming(start, from, |page| {
        for conversation in &page.items {
            serde_json::to_writer(&mut writer, conversation)?;
            writer.write_all(b"\n")?;
        }
        writer.flush()?;
        writer.get_ref().sync_data()?;
        checkpoint.written += page.items.len() as u64;
        checkpoint.output_bytes = std::io::Seek::stream_position(&mut writer)?;
        // The checkpoint moves only once the page is on disk.
        match &page.next_position {
            Some(position) => {
                checkpoint.position = Some(position.clone());
                checkpoint.save(&checkpoint_path)?;
            }
            None => std::fs::remove_file(&checkpoint_path)?,
        }
        println!("{} conversations written", checkpoint.written);
        Ok(())
    })
    .await?;
    // A listing that yielded no page at all leaves the first checkpoint behind.
    match std::fs::remove_file(&checkpoint_path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error.into()),
    }
    println!(
        "done: {} conversations in {}",
        checkpoint.written,
        out.display()
    );
    Ok(())
}
