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
    pub fn cpu_seconds(&self) -> Option<f64> {
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

/// A boxed unit of work: one run of one variant, returning how many units it did.
pub type Job<'a> = std::pin::Pin<Box<dyn Future<Output = BenchResult<u64>> + 'a>>;

/// One contender of a scenario: its name in the report and how to start a run.
pub struct Variant<'a> {
    /// The report key (`baseline`, `ours`, ...).
    pub name: &'static str,
    /// Starts one run.
    pub run: Box<dyn FnMut() -> Job<'a> + 'a>,
}

impl<'a> Variant<'a> {
    /// A variant from a closure returning a future.
    pub fn new<F, Fut>(name: &'static str, mut run: F) -> Variant<'a>
    where
        F: FnMut() -> Fut + 'a,
        Fut: Future<Output = BenchResult<u64>> + 'a,
    {
        Variant {
            name,
            run: Box::new(move || Box::pin(run())),
        }
    }
}

/// Runs the variants in turn: `warmup` untimed rounds, then `reps` timed ones, rotating
/// which goes first every round so that drift favours none. All must return the same count
/// of units of work (records, calls); a mismatch is an error. The report has one entry of
/// samples per variant name, plus `units`.
pub async fn interleaved(
    mock: Option<&MockProcess>,
    reps: usize,
    warmup: usize,
    mut variants: Vec<Variant<'_>>,
) -> BenchResult<Value> {
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
        for variant in &mut variants {
            check((variant.run)().await?, variant.name)?;
        }
    }
    let count = variants.len();
    let mut samples: Vec<Vec<Sample>> = vec![Vec::with_capacity(reps); count];
    for rep in 0..reps {
        for turn in 0..count {
            let index = (rep + turn) % count;
            let variant = &mut variants[index];
            let (sample, n) = timed(mock, (variant.run)()).await?;
            check(n, variant.name)?;
            samples[index].push(sample);
        }
    }
    let mut report = serde_json::Map::new();
    report.insert("units".into(), json!(units));
    for (variant, samples) in variants.iter().zip(&samples) {
        report.insert(variant.name.into(), samples_json(samples));
    }
    Ok(Value::Object(report))
}
