//! Pulls a time window of conversations into a JSON Lines file (one conversation per line,
//! turns included). Resumable: after each page the position of the next one is written to a
//! checkpoint file, and a rerun continues from it, appending. A page that fails (after the
//! client's retries) does not end the run: the listing resumes from that page's position, up
//! to a few times in a row.
//!
//! ```sh
//! cargo run --example pull_transcripts -- [OUT.jsonl] [DAYS]
//! ```

use std::io::Write;

use polyai_examples::{AnyResult, connect, each_page_resuming};
use polyai_sdk::Timestamp;
use polyai_sdk::conversations::ListingPosition;

#[tokio::main]
async fn main() -> AnyResult<()> {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "transcripts.jsonl".into()));
    let days: u64 = args.next().map(|d| d.parse()).transpose()?.unwrap_or(30);
    let checkpoint = out.with_extension("cursor");

    let target = connect().await?;
    let end = Timestamp::now();
    let start = end.minus(std::time::Duration::from_secs(days * 86_400));
    let listing = target
        .client
        .list_conversations(&target.account_id, &target.project_id)
        .between(start, end)
        .page_size(100);
    let resumed = std::fs::read_to_string(&checkpoint)
        .ok()
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
        // A checkpoint of an earlier version of this example holds the bare cursor.
        .map(|text| text.parse().unwrap_or(ListingPosition::Cursor(text)));
    if resumed.is_some() {
        println!("resuming from the position in {}", checkpoint.display());
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(resumed.is_some())
        .write(true)
        .truncate(resumed.is_none())
        .open(&out)?;
    let mut writer = std::io::BufWriter::new(file);

    let mut written = 0usize;
    let from = |position: Option<ListingPosition>| match position {
        Some(position) => listing.clone().resume_from(position).pages(),
        None => listing.clone().pages(),
    };
    each_page_resuming(resumed, from, |page| {
        for conversation in &page.items {
            serde_json::to_writer(&mut writer, conversation)?;
            writer.write_all(b"\n")?;
        }
        writer.flush()?;
        written += page.items.len();
        // The checkpoint is written only after the page is safely on disk.
        match &page.next_position {
            Some(position) => std::fs::write(&checkpoint, position.to_string())?,
            None => {
                let _ = std::fs::remove_file(&checkpoint);
            }
        }
        println!("{written} conversations written");
        Ok(())
    })
    .await?;
    println!("done: {written} conversations in {}", out.display());
    Ok(())
}
