//! Tracing events captured for a test: every event's target, level, message and fields as
//! text, for assertions on what the SDK logs.
//!
//! Tracing caches, per callsite and for the whole process, whether anyone listens. A
//! subscriber set for one thread while other tests run elsewhere may therefore miss events,
//! so a test that captures events runs itself again alone in a child process
//! ([`run_alone`]) and does its checking there.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt as _};

/// One event as it was emitted.
#[derive(Clone, Debug)]
pub struct CapturedEvent {
    /// The event's target, e.g. `polyai_sdk::call`.
    pub target: String,
    /// Its level.
    pub level: tracing::Level,
    /// Every field, the message included (as `message`), formatted as `Debug` does (strings
    /// unquoted).
    pub fields: BTreeMap<String, String>,
}

impl CapturedEvent {
    /// A field's value as text.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// The events captured so far; cloned handles share them.
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<CapturedEvent>>>);

impl Events {
    /// Every event so far.
    pub fn all(&self) -> Vec<CapturedEvent> {
        self.0.lock().expect("events lock").clone()
    }

    /// The events of one target.
    pub fn of_target(&self, target: &str) -> Vec<CapturedEvent> {
        self.all()
            .into_iter()
            .filter(|event| event.target == target)
            .collect()
    }

    /// Forgets what was captured.
    pub fn clear(&self) {
        self.0.lock().expect("events lock").clear();
    }
}

struct Recorder(Events);

struct FieldText<'a>(&'a mut BTreeMap<String, String>);

impl Visit for FieldText<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut FieldText(&mut fields));
        let metadata = event.metadata();
        (self.0).0.lock().expect("events lock").push(CapturedEvent {
            target: metadata.target().to_string(),
            level: *metadata.level(),
            fields,
        });
    }
}

/// Captures every event of the current thread, at every level, until the guard is dropped.
/// Use it in a current-thread runtime (`#[tokio::test]`'s default), inside [`run_alone`].
pub fn capture() -> (Events, tracing::subscriber::DefaultGuard) {
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(Recorder(events.clone()));
    (events, tracing::subscriber::set_default(subscriber))
}

/// Runs the test `name` (its full path in the test binary, e.g. `telemetry::one_event`) again,
/// alone, in a child process, and checks that it passed. Returns `true` in that child, where
/// the test should do its work, and `false` in the parent, which has nothing more to do.
pub fn run_alone(name: &str) -> bool {
    const CHILD: &str = "POLYAI_TESTS_RUN_ALONE";
    if std::env::var(CHILD).is_ok_and(|running| running == name) {
        return true;
    }
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .output()
        .expect("run the test in a child process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child ran the test:\n{stdout}"
    );
    false
}
