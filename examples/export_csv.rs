//! Exports a time window of conversations to a CSV file, downloading the recordings of the
//! finished voice calls alongside, N at a time.
//!
//! Writes `OUT/conversations.csv` (one row per conversation: id, start, channel, whether it
//! was in progress, turns, duration in seconds, and the recording's path relative to OUT, empty
//! for a conversation without one) and `OUT/audio/ID.wav`. Chats and calls still in progress
//! have no recording, so none is asked for; a call that answers 404 anyway gets an empty
//! recording cell. A recording already in `OUT/audio` is kept, and one a killed run left half
//! downloaded is continued from its partial file, so a rerun fetches only what is missing; a
//! complete run leaves no partial file.
//!
//! ```sh
//! cargo run --example export_csv -- [OUT] [DAYS] [PARALLEL]
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use futures::{StreamExt, TryStreamExt};
use polyai_examples::{AnyResult, connect};
use polyai_sdk::conversations::Conversation;
use polyai_sdk::{Client, Error, Timestamp};

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Whether a listed conversation can have a recording: a finished voice call.
fn has_recording(conversation: &Conversation) -> bool {
    conversation.channel.as_ref().is_some_and(|c| c.is_voice())
        && conversation.in_progress == Some(false)
}

/// Saves the recording (unless it is already there); `None` when the call has none.
async fn recording(
    client: &Client,
    conversation: &Conversation,
    audio: &Path,
) -> AnyResult<Option<String>> {
    if !has_recording(conversation) {
        return Ok(None);
    }
    let name = format!("{}.wav", conversation.id);
    let path = audio.join(&name);
    if !path.exists() {
        match client.download_recording(conversation, &path).await {
            Ok(_) => {}
            Err(Error::NotFound(_)) => return Ok(None),
            Err(error) => return Err(format!("recording of {}: {error}", conversation.id).into()),
        }
    }
    Ok(Some(format!("audio/{name}")))
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "export".into()));
    let days: u64 = args.next().map(|d| d.parse()).transpose()?.unwrap_or(30);
    let parallel: usize = args
        .next()
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(8)
        .max(1);
    let audio = out.join("audio");
    std::fs::create_dir_all(&audio)?;

    let target = connect().await?;
    let end = Timestamp::now();
    let conversations: Vec<Conversation> = target
        .client
        .list_conversations(&target.account_id, &target.project_id)
        .between(
            end.minus(std::time::Duration::from_secs(days * 86_400)),
            end,
        )
        .stream()
        .try_collect()
        .await?;

    // The downloads run `parallel` at a time; the rows keep the listing's order.
    let client = &target.client;
    let audio = &audio;
    let recordings: Vec<Option<String>> = futures::stream::iter(&conversations)
        .map(|conversation| recording(client, conversation, audio))
        .buffered(parallel)
        .try_collect()
        .await?;

    let csv_path = out.join("conversations.csv");
    let mut csv = std::io::BufWriter::new(std::fs::File::create(&csv_path)?);
    writeln!(
        csv,
        "id,started_at,channel,in_progress,turns,duration_s,recording"
    )?;
    for (conversation, recording) in conversations.iter().zip(&recordings) {
        let text = |value: Option<String>| field(&value.unwrap_or_default());
        writeln!(
            csv,
            "{},{},{},{},{},{},{}",
            field(&conversation.id),
            text(conversation.started_at.clone()),
            text(conversation.channel.as_ref().map(ToString::to_string)),
            text(conversation.in_progress.map(|b| b.to_string())),
            text(conversation.num_turns.map(|n| n.to_string())),
            text(conversation.total_duration.map(|n| n.to_string())),
            text(recording.clone()),
        )?;
    }
    csv.flush()?;
    // Every recording is saved: a partial file left now is one a killed run left for a
    // recording this run no longer asks for.
    polyai_sdk::audio::remove_partial_files(audio)?;
    let saved = recordings.iter().flatten().count();
    println!(
        "wrote {} rows to {} and {saved} recordings to {}",
        conversations.len(),
        csv_path.display(),
        audio.display()
    );
    Ok(())
}
