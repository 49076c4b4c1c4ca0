//! Pulls a time window of conversations into a JSON Lines file (one conversation per line,
//! turns included). Resumable: after each page the next cursor is written to a checkpoint
//! file, and a rerun continues from it, appending.
//!
//! ```sh
//! cargo run --example pull_transcripts -- [OUT.jsonl] [DAYS]
//! ```

use std::io::Write;

use futures::TryStreamExt;
use polyai_examples::{AnyResult, connect};
use polyai_sdk::Timestamp;

#[tokio::main]
async fn main() -> AnyResult<()> {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "transcripts.jsonl".into()));
    let days: u64 = args.next().map(|d| d.parse()).transpose()?.unwrap_or(30);
    let checkpoint = out.with_extension("cursor");

    let target = connect().await?;
    let end = Timestamp::now();
    let start = end.minus(std::time::Duration::from_secs(days * 86_400));
    let mut listing = target
        .client
        .list_conversations(&target.account_id, &target.project_id)
        .between(start, end)
        .page_size(100);
    let resumed = std::fs::read_to_string(&checkpoint)
        .ok()
        .filter(|c| !c.trim().is_empty());
    if let Some(cursor) = &resumed {
        println!("resuming from the cursor in {}", checkpoint.display());
        listing = listing.resume_from(cursor.trim());
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(resumed.is_some())
        .write(true)
        .truncate(resumed.is_none())
        .open(&out)?;
    let mut writer = std::io::BufWriter::new(file);

    let mut pages = listing.pages();
    let mut written = 0usize;
    while let Some(page) = pages.try_next().await? {
        for conversation in &page.items {
            serde_json::to_writer(&mut writer, conversation)?;
            writer.write_all(b"\n")?;
        }
        writer.flush()?;
        written += page.items.len();
        // The checkpoint is written only after the page is safely on disk.
        match &page.next_cursor {
            Some(cursor) => std::fs::write(&checkpoint, cursor)?,
            None => {
                let _ = std::fs::remove_file(&checkpoint);
            }
        }
        println!("{written} conversations written");
    }
    println!("done: {written} conversations in {}", out.display());
    Ok(())
}
