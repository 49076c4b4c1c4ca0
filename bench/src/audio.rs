//! Audio to file: one recording downloaded to disk, one variant per process so that the
//! process's peak resident memory belongs to that variant alone.
//!
//! Variants: `ours` (`AudioRequest::save_to` without the final fsync, as `curl -o` does
//! not sync either), `ours-fsync` (the SDK's default, which fsyncs before the rename), and
//! `reqwest` (a plain `bytes_stream` loop writing each chunk to a `tokio::fs::File`, through
//! the SDK's own `reqwest` client), and `curl` (`curl -o`, a separate process; its peak memory
//! comes from `/usr/bin/time -f %M` when that is installed).

use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::measure::{Sample, samples_json, timed};
use crate::small_calls::conversation_ids;
use crate::{Args, BenchResult};

/// Runs one variant `--reps` times after `--warmup` untimed runs.
pub async fn run(args: &Args) -> BenchResult<Value> {
    let base_url = args.text("base-url")?.trim_end_matches('/').to_owned();
    let api_key = args.text("api-key")?.to_owned();
    let agent = args.text("agent")?.to_owned();
    let conversation = args.text("conversation")?.to_owned();
    let variant = args.text("variant")?.to_owned();
    let out = std::path::PathBuf::from(args.text("out")?);
    let (reps, warmup) = args.repetitions(3)?;
    let mock = args.mock()?;
    let client = args.client()?;
    let http = client.http_client().clone();
    let url = format!("{base_url}/v1/agents/{agent}/conversations/{conversation}/audio");

    let mut curl_rss_kib: Option<u64> = None;
    let download = async |rss: &mut Option<u64>| -> BenchResult<u64> {
        Ok(match variant.as_str() {
            "curl" => {
                let (bytes, child_rss) = curl_download(&url, &api_key, &out)?;
                *rss = (*rss).max(child_rss);
                bytes
            }
            "ours" | "ours-fsync" => {
                client
                    .audio(agent.as_str(), conversation.as_str())
                    .sync_to_disk(variant == "ours-fsync")
                    .save_to(&out)
                    .await?
                    .bytes
            }
            "reqwest" => raw_download(&http, &url, &api_key, &out).await?,
            other => return Err(format!("unknown audio variant {other:?}").into()),
        })
    };

    let mut samples: Vec<Sample> = Vec::with_capacity(reps);
    let mut size = None;
    for round in 0..warmup + reps {
        let (sample, bytes) = timed(mock.as_ref(), download(&mut curl_rss_kib)).await?;
        let on_disk = tokio::fs::metadata(&out).await?.len();
        if on_disk != bytes || size.is_some_and(|s| s != bytes) {
            return Err(format!("downloaded {bytes} bytes but {on_disk} are on disk").into());
        }
        size = Some(bytes);
        tokio::fs::remove_file(&out).await?;
        if round >= warmup {
            samples.push(sample);
        }
    }
    Ok(json!({
        "variant": variant,
        "bytes": size,
        "runs": samples_json(&samples),
        "child_peak_rss_kib": curl_rss_kib,
    }))
}

/// `curl -o`: returns the bytes written and, through `/usr/bin/time`, curl's peak RSS.
fn curl_download(
    url: &str,
    api_key: &str,
    out: &std::path::Path,
) -> BenchResult<(u64, Option<u64>)> {
    let time = std::path::Path::new("/usr/bin/time");
    let mut command = if time.exists() {
        let mut c = std::process::Command::new(time);
        c.args(["-f", "%M", "curl"]);
        c
    } else {
        std::process::Command::new("curl")
    };
    let output = command
        .args(["--silent", "--show-error", "--fail", "--output"])
        .arg(out)
        .args(["--header", &format!("x-api-key: {api_key}")])
        .args(["--header", "accept: audio/wav", url])
        .output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("curl failed ({}): {}", output.status, stderr.trim()).into());
    }
    let rss = if time.exists() {
        stderr.lines().last().and_then(|l| l.trim().parse().ok())
    } else {
        None
    };
    Ok((std::fs::metadata(out)?.len(), rss))
}

/// The plain `reqwest` loop: stream the body, write every chunk as it comes.
async fn raw_download(
    http: &reqwest::Client,
    url: &str,
    api_key: &str,
    out: &std::path::Path,
) -> BenchResult<u64> {
    let response = http
        .get(url)
        .header("x-api-key", api_key)
        .header("accept", "audio/wav")
        .send()
        .await?
        .error_for_status()?;
    let mut file = tokio::fs::File::create(out).await?;
    let mut body = response.bytes_stream();
    let mut written = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        file.write_all(&chunk).await?;
        written += chunk.len() as u64;
    }
    file.flush().await?;
    Ok(written)
}

/// Finds a conversation of the agent that has a recording (the mock leaves some without).
pub async fn find_recording(args: &Args) -> BenchResult<Value> {
    let base_url = args.text("base-url")?.trim_end_matches('/').to_owned();
    let api_key = args.text("api-key")?;
    let agent = args.text("agent")?;
    let http = reqwest::Client::new();
    let ids = conversation_ids(&http, &base_url, api_key, agent, 100).await?;
    for id in &ids {
        let status = http
            .head(format!(
                "{base_url}/v1/agents/{agent}/conversations/{id}/audio"
            ))
            .header("x-api-key", api_key)
            .send()
            .await?
            .status();
        if status.is_success() {
            return Ok(json!({ "conversation": id }));
        }
    }
    Err(format!(
        "none of the agent's first {} conversations has a recording",
        ids.len()
    )
    .into())
}
