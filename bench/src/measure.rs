//! Timing, memory and the mock's CPU share.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::BenchResult;

/// Linux reports process CPU time in clock ticks of 1/100 s (`USER_HZ`, fixed at 100 on
/// every architecture Linux exposes to user space through `/proc`).
const TICKS_PER_SECOND: f64 = 100.0;

/// The peak resident set of this process so far (`VmHWM`), in KiB; `None` off Linux.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The mock server's process, whose CPU time tells whether it was the bottleneck.
pub struct MockProcess {
    pid: u32,
}

impl MockProcess {
    /// The process with this pid.
    pub fn new(pid: u32) -> MockProcess {
        MockProcess { pid }
    }

    /// User plus system CPU time of the process so far, in seconds.
    fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // The command name is in parentheses and may hold spaces: count fields after it.
        let after_name = &stat[stat.rfind(')')? + 1..];
        let mut fields = after_name.split_whitespace();
        // Fields 3.. of proc(5) follow; utime is field 14 and stime field 15.
        let utime: f64 = fields.nth(11)?.parse().ok()?;
        let stime: f64 = fields.next()?.parse().ok()?;
        Some((utime + stime) / TICKS_PER_SECOND)
    }
}

/// One timed run: wall time and, when known, the share of one core the mock used.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// Mock CPU seconds divided by wall seconds (1.0 = one core saturated).
    pub mock_cpu: Option<f64>,
}

/// Times `job`, reading the mock's CPU time before and after.
pub async fn timed<T, F>(mock: Option<&MockProcess>, job: F) -> BenchResult<(Sample, T)>
where
    F: Future<Output = BenchResult<T>>,
{
    let cpu_before = mock.and_then(MockProcess::cpu_seconds);
    let started = Instant::now();
    let value = job.await?;
    let elapsed = started.elapsed();
    let cpu_after = mock.and_then(MockProcess::cpu_seconds);
    let mock_cpu = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) if elapsed.as_secs_f64() > 0.0 => {
            Some((after - before) / elapsed.as_secs_f64())
        }
        _ => None,
    };
    Ok((Sample { elapsed, mock_cpu }, value))
}

/// The JSON form of a variant's samples: seconds and mock CPU share per run.
pub fn samples_json(samples: &[Sample]) -> Value {
    json!({
        "seconds": samples.iter().map(|s| s.elapsed.as_secs_f64()).collect::<Vec<_>>(),
        "mock_cpu": samples.iter().map(|s| s.mock_cpu).collect::<Vec<_>>(),
    })
}

/// Runs `baseline` and `ours` alternately: `warmup` untimed rounds, then `reps` timed ones,
/// swapping which goes first every round so that drift favours neither. Both must return
/// the same count of units of work (records, calls); a mismatch is an error.
pub async fn interleaved<B, O, FB, FO>(
    mock: Option<&MockProcess>,
    reps: usize,
    warmup: usize,
    mut baseline: B,
    mut ours: O,
) -> BenchResult<Value>
where
    B: FnMut() -> FB,
    O: FnMut() -> FO,
    FB: Future<Output = BenchResult<u64>>,
    FO: Future<Output = BenchResult<u64>>,
{
    let mut units = None;
    let mut check = |n: u64, who: &str| -> BenchResult<()> {
        match units {
            None => {
                units = Some(n);
                Ok(())
            }
            Some(expected) if expected == n => Ok(()),
            Some(expected) => {
                Err(format!("{who} did {n} units of work where {expected} were expected").into())
            }
        }
    };
    for _ in 0..warmup {
        check(baseline().await?, "baseline (warm-up)")?;
        check(ours().await?, "ours (warm-up)")?;
    }
    let mut base_samples = Vec::with_capacity(reps);
    let mut our_samples = Vec::with_capacity(reps);
    for rep in 0..reps {
        for turn in 0..2 {
            if (rep + turn) % 2 == 0 {
                let (sample, n) = timed(mock, baseline()).await?;
                check(n, "baseline")?;
                base_samples.push(sample);
            } else {
                let (sample, n) = timed(mock, ours()).await?;
                check(n, "ours")?;
                our_samples.push(sample);
            }
        }
    }
    Ok(json!({
        "units": units,
        "baseline": samples_json(&base_samples),
        "ours": samples_json(&our_samples),
    }))
}
