//! `polyai audio download`: recordings in bulk, N at a time, skipping complete files.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use polyai_sdk::Timestamp;
use polyai_sdk::audio::AudioDirection;
use polyai_sdk::conversations::ListingPosition;

use crate::cli::{Direction, Filters};
use crate::config::Settings;
use crate::conversations::{each_page, listing, resolve_window};
use crate::error::{CliError, CliResult};
use crate::output::{self, Progress};

/// The arguments of `polyai audio download`.
pub struct DownloadArgs<'a> {
    /// Ids from the command line.
    pub ids: &'a [String],
    /// A file of ids or conversations.
    pub from: Option<&'a Path>,
    /// Listing filters (used when --since is given).
    pub filters: &'a Filters,
    /// The folder.
    pub dir: &'a Path,
    /// Downloads at once.
    pub parallel: usize,
    /// Which side.
    pub direction: Direction,
    /// Redacted or not.
    pub redacted: Option<bool>,
}

/// A conversation id is used as a file name: it must be one plain path component, so that an
/// id read from a file or sent by a server cannot write outside the folder.
pub fn file_name_for(id: &str, direction: Direction) -> Result<String, String> {
    let plain = !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '+' | '@'));
    if !plain {
        return Err(format!(
            "conversation id {:?} cannot be a file name (only letters, digits and - _ . : + @, not starting with a dot)",
            id.escape_debug().to_string()
        ));
    }
    Ok(match direction {
        Direction::Combined => format!("{id}.wav"),
        Direction::User => format!("{id}.user.wav"),
        Direction::Agent => format!("{id}.agent.wav"),
    })
}

/// Reads ids from JSON Lines (an `id` field per object; gzip is detected) or one id per line.
fn read_ids(path: &Path, into: &mut Vec<String>) -> CliResult {
    let raw: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(path)
                .map_err(|e| CliError::io(format!("cannot open {}", path.display()), e))?,
        )
    };
    let mut reader = BufReader::new(raw);
    let gzip = reader
        .fill_buf()
        .is_ok_and(|b| b.starts_with(&[0x1f, 0x8b]));
    let reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(reader)))
    } else {
        Box::new(reader)
    };
    for (number, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| CliError::io(format!("cannot read {}", path.display()), e))?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('{') {
            let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                CliError::usage(format!("{}:{}: not JSON: {e}", path.display(), number + 1))
            })?;
            match value.get("id").and_then(|v| v.as_str()) {
                Some(id) => into.push(id.to_string()),
                None => {
                    return Err(CliError::usage(format!(
                        "{}:{}: the object has no string \"id\"",
                        path.display(),
                        number + 1
                    )));
                }
            }
        } else {
            into.push(line.to_string());
        }
    }
    Ok(())
}

/// `polyai audio download`.
pub async fn download(settings: &Settings, args: DownloadArgs<'_>) -> CliResult {
    let mut ids: Vec<String> = args.ids.to_vec();
    if let Some(from) = args.from {
        read_ids(from, &mut ids)?;
    }
    let client = settings.client()?;
    let agent = settings.agent()?.to_string();
    if args.filters.since.is_some() {
        let window = resolve_window(args.filters, Timestamp::now())?;
        let listing = listing(
            &client,
            settings.account()?,
            settings.project()?,
            args.filters,
            window,
        );
        each_page(&listing, ListingPosition::Start, |items, _| {
            ids.extend(items.into_iter().map(|c| c.id));
            Ok(true)
        })
        .await?;
    }
    if ids.is_empty() && args.ids.is_empty() && args.from.is_none() && args.filters.since.is_none()
    {
        return Err(CliError::usage("no conversations to download")
            .hint("give ids, --from FILE (an export or a listing), or --since to list them"));
    }
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    std::fs::create_dir_all(args.dir)
        .map_err(|e| CliError::io(format!("cannot create {}", args.dir.display()), e))?;

    let total = ids.len() as u64;
    let bytes = Arc::new(AtomicU64::new(0));
    let mut progress = Progress::new(total, "{bar:30} {pos}/{len} files  {msg}  ETA {eta}");
    let direction = match args.direction {
        Direction::Combined => AudioDirection::Combined,
        Direction::User => AudioDirection::User,
        Direction::Agent => AudioDirection::Agent,
    };
    enum Outcome {
        Saved,
        Skipped,
        NoRecording,
        Failed(String),
    }
    let mut results =
        futures::stream::iter(ids)
            .map(|id| {
                let client = client.clone();
                let agent = agent.clone();
                let bytes = Arc::clone(&bytes);
                let dir: PathBuf = args.dir.to_path_buf();
                let redacted = args.redacted;
                let side = args.direction;
                async move {
                    let name = match file_name_for(&id, side) {
                        Ok(name) => name,
                        Err(why) => return Outcome::Failed(why),
                    };
                    let path = dir.join(name);
                    // The SDK renames a recording into place only once it is complete.
                    if path.is_file() {
                        return Outcome::Skipped;
                    }
                    let seen = Arc::new(AtomicU64::new(0));
                    let counter = Arc::clone(&bytes);
                    let mut request = client.audio(&agent, &id).direction(direction).on_progress(
                        move |done, _| {
                            // Bytes of a transfer that started over are taken back.
                            let before = seen.swap(done, Ordering::Relaxed);
                            if done >= before {
                                counter.fetch_add(done - before, Ordering::Relaxed);
                            } else {
                                counter.fetch_sub(before - done, Ordering::Relaxed);
                            }
                        },
                    );
                    if let Some(redacted) = redacted {
                        request = request.redacted(redacted);
                    }
                    match request.save_to(&path).await {
                        Ok(_) => Outcome::Saved,
                        Err(polyai_sdk::Error::NotFound(_)) => Outcome::NoRecording,
                        Err(error) => Outcome::Failed(format!("{id}: {error}")),
                    }
                }
            })
            .buffer_unordered(args.parallel.max(1));
    let (mut saved, mut skipped, mut missing, mut failed) = (0u64, 0u64, 0u64, 0u64);
    let mut first_failure = None;
    while let Some(outcome) = results.next().await {
        match outcome {
            Outcome::Saved => saved += 1,
            Outcome::Skipped => skipped += 1,
            Outcome::NoRecording => missing += 1,
            Outcome::Failed(why) => {
                failed += 1;
                progress.println(&format!("failed: {}", crate::error::one_line(&why)));
                first_failure.get_or_insert(why);
            }
        }
        let done = saved + skipped + missing + failed;
        let downloaded = bytes.load(Ordering::Relaxed);
        let rate = downloaded as f64 / progress.elapsed_secs();
        progress.update(
            done,
            format!("{} at {}/s", output::bytes(downloaded), output::bytes(rate as u64)),
            || {
                format!(
                    "{done}/{total} recordings ({saved} saved, {skipped} already complete, {missing} without a recording, {failed} failed), {}",
                    output::bytes(downloaded)
                )
            },
        );
    }
    progress.finish(&format!(
        "{saved} saved, {skipped} already complete, {missing} without a recording, {failed} failed, {} into {}",
        output::bytes(bytes.load(Ordering::Relaxed)),
        args.dir.display()
    ));
    if failed > 0 {
        return Err(CliError::failure(format!(
            "{failed} of {total} recordings failed (first: {})",
            first_failure.unwrap_or_default()
        ))
        .hint("rerun the same command: complete files are skipped and only the rest is fetched"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_would_leave_the_folder_are_refused() {
        for bad in ["../x", "a/b", "..", ".hidden", "a\\b", "", "a\0b", "x\ny"] {
            assert!(file_name_for(bad, Direction::Combined).is_err(), "{bad:?}");
        }
        assert_eq!(
            file_name_for("CA0123", Direction::Combined).unwrap(),
            "CA0123.wav"
        );
        assert_eq!(
            file_name_for("CA-1_2", Direction::User).unwrap(),
            "CA-1_2.user.wav"
        );
    }
}
