//! Downloads every recording of a time window into a folder, N at a time, with an overall
//! progress bar. Only finished voice calls have a recording: chats and calls in progress are
//! skipped without a request, and a call that still answers 404 is counted as "without a
//! recording", not as a failure.
//!
//! Resumable: kill it and run it again with the same FOLDER. A recording already at
//! `FOLDER/ID.wav` is complete (the SDK renames it into place only once it has fully arrived),
//! so the rerun skips it; one that was being downloaded when the process died continues from
//! its partial file (`.ID.wav.part`, with the version's validator beside it, resumed with
//! `Range` + `If-Range`), or starts over if the recording changed. A run in which every
//! recording was saved removes any partial file still in FOLDER, so none outlives a complete
//! run. A listing page that fails (after the client's retries) is fetched again by resuming
//! the listing from its position, up to a few times in a row.
//!
//! ```sh
//! cargo run --example download_audio -- [FOLDER] [DAYS] [PARALLEL]
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use polyai_examples::{AnyResult, connect, each_page_resuming};
use polyai_sdk::Timestamp;
use polyai_sdk::conversations::{Conversation, ListingPosition};

#[tokio::main]
async fn main() -> AnyResult<()> {
    let mut args = std::env::args().skip(1);
    let folder = std::path::PathBuf::from(args.next().unwrap_or_else(|| "recordings".into()));
    let days: u64 = args.next().map(|d| d.parse()).transpose()?.unwrap_or(30);
    let parallel: usize = args
        .next()
        .map(|d| d.parse())
        .transpose()?
        .unwrap_or(4)
        .max(1);
    std::fs::create_dir_all(&folder)?;

    let target = connect().await?;
    let end = Timestamp::now();
    let listing = target
        .client
        .list_conversations(&target.account_id, &target.project_id)
        .between(
            end.minus(std::time::Duration::from_secs(days * 86_400)),
            end,
        );
    let mut calls: Vec<Conversation> = Vec::new();
    let mut without = 0usize;
    let from = |position: Option<ListingPosition>| match position {
        Some(position) => listing.clone().resume_from(position).pages(),
        None => listing.clone().pages(),
    };
    each_page_resuming(None, from, |page| {
        for conversation in page.items {
            // A chat, or a call in progress, has no recording (404 if asked for).
            let voice = conversation.channel.as_ref().is_none_or(|c| c.is_voice());
            if voice && conversation.in_progress != Some(true) {
                calls.push(conversation);
            } else {
                without += 1;
            }
        }
        Ok(())
    })
    .await?;

    let bar = indicatif::ProgressBar::new(calls.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("[{bar:40}] {pos}/{len} recordings, {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let bytes = Arc::new(AtomicU64::new(0));
    let (mut saved, mut continued, mut skipped, mut failed) = (0usize, 0usize, 0usize, 0usize);
    let mut results = futures::stream::iter(calls)
        .map(|conversation| {
            let client = target.client.clone();
            let path = folder.join(format!("{}.wav", conversation.id));
            let bytes = Arc::clone(&bytes);
            async move {
                if path.exists() {
                    return (conversation.id, Ok(None));
                }
                // The agent id of the recording endpoint is the conversation's project id;
                // download_recording takes it from the listed conversation.
                let result = client.download_recording(&conversation, &path).await;
                if let Ok(report) = &result {
                    bytes.fetch_add(report.bytes - report.resumed_from, Ordering::Relaxed);
                }
                (conversation.id, result.map(Some))
            }
        })
        .buffer_unordered(parallel);
    while let Some((id, result)) = results.next().await {
        match result {
            Ok(Some(report)) => {
                saved += 1;
                continued += usize::from(report.resumed_from > 0);
            }
            Ok(None) => skipped += 1,
            Err(polyai_sdk::Error::NotFound(_)) => without += 1,
            Err(error) => {
                failed += 1;
                bar.println(format!("{id}: {error}"));
            }
        }
        bar.set_message(format!(
            "{:.1} MiB",
            bytes.load(Ordering::Relaxed) as f64 / 1_048_576.0
        ));
        bar.inc(1);
    }
    bar.finish();
    if failed == 0 {
        // Every recording is saved: a partial file left now belongs to a recording this run
        // no longer asks for (it fell out of the window), so it goes.
        polyai_sdk::audio::remove_partial_files(&folder)?;
    }
    println!(
        "saved {saved} ({continued} continued from a partial file), skipped {skipped} already \
         complete, {without} without a recording, failed {failed}, into {}",
        folder.display()
    );
    if failed > 0 {
        return Err(format!("{failed} recordings failed").into());
    }
    Ok(())
}
