//! Downloads every recording of a time window into a folder, N at a time, with an overall
//! progress bar. Conversations without a recording (chats, for example) answer 404 and are
//! counted as such, not as failures. Files already present are complete (the SDK renames a recording into place
//! only once it has fully arrived), so a rerun skips them. A listing page that fails (after the
//! client's retries) is fetched again by resuming the listing from its position, up to a few
//! times in a row.
//!
//! ```sh
//! cargo run --example download_audio -- [FOLDER] [DAYS] [PARALLEL]
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use polyai_examples::{AnyResult, connect, each_page_resuming};
use polyai_sdk::Timestamp;
use polyai_sdk::conversations::ListingPosition;

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
    let mut ids: Vec<String> = Vec::new();
    let from = |position: Option<ListingPosition>| match position {
        Some(position) => listing.clone().resume_from(position).pages(),
        None => listing.clone().pages(),
    };
    each_page_resuming(None, from, |page| {
        ids.extend(page.items.into_iter().map(|c| c.id));
        Ok(())
    })
    .await?;

    let bar = indicatif::ProgressBar::new(ids.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("[{bar:40}] {pos}/{len} recordings, {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let bytes = Arc::new(AtomicU64::new(0));
    let (mut saved, mut skipped, mut missing, mut failed) = (0usize, 0usize, 0usize, 0usize);
    let mut results = futures::stream::iter(ids)
        .map(|id| {
            let client = target.client.clone();
            let agent = target.agent_id.clone();
            let path = folder.join(format!("{id}.wav"));
            let bytes = Arc::clone(&bytes);
            async move {
                if path.exists() {
                    return (id, Ok(None));
                }
                let result = client.audio(&agent, &id).save_to(&path).await;
                if let Ok(report) = &result {
                    bytes.fetch_add(report.bytes, Ordering::Relaxed);
                }
                (id, result.map(Some))
            }
        })
        .buffer_unordered(parallel);
    while let Some((id, result)) = results.next().await {
        match result {
            Ok(Some(_)) => saved += 1,
            Ok(None) => skipped += 1,
            Err(polyai_sdk::Error::NotFound(_)) => missing += 1,
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
    println!(
        "saved {saved}, skipped {skipped} already complete, {missing} without a recording, failed {failed}, into {}",
        folder.display()
    );
    if failed > 0 {
        return Err(format!("{failed} recordings failed").into());
    }
    Ok(())
}
