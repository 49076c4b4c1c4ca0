//! Shared set-up for the runnable examples of `polyai-sdk`.
//!
//! Every example calls [`connect`]: with `POLYAI_API_KEY` set it talks to the real PolyAI API
//! (region, ids and base-URL overrides from the environment); without it, it starts the
//! embedded offline mock (`polyai-mock`) and uses the mock's ids.
//!
//! Two variables serve the contract check (`cargo xtask contract`), which puts a validating
//! proxy between the SDK and the mock: `POLYAI_EXAMPLES_MOCK_PORT` makes the embedded mock
//! listen on that port of 127.0.0.1, and `POLYAI_EXAMPLES_PROXY_URL` sends the client's requests
//! (both host families) to that URL instead of to the mock. Without them nothing changes.

use std::error::Error;
use std::time::Duration;

use futures::TryStreamExt;
use polyai_sdk::Client;
use polyai_sdk::paging::{ListingPosition, Page, PageStream};

/// Result type of the examples.
pub type AnyResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Where an example runs and with which ids.
pub struct Target {
    /// The SDK client.
    pub client: Client,
    /// Workspace (account) id for Conversations v3.
    pub account_id: String,
    /// Project id for Conversations v3.
    pub project_id: String,
    /// Agent id for the agent-scoped endpoints and debug chat.
    pub agent_id: String,
    /// The embedded mock, when no API key was given (kept alive while the example runs).
    pub mock: Option<polyai_mock::MockServer>,
}

impl Target {
    /// Whether the example runs against the embedded mock.
    pub fn is_mock(&self) -> bool {
        self.mock.is_some()
    }
}

/// Port the embedded mock listens on (default: any free port).
pub const MOCK_PORT_ENV: &str = "POLYAI_EXAMPLES_MOCK_PORT";
/// Base URL the client sends to instead of the embedded mock's (a proxy in front of it).
pub const PROXY_URL_ENV: &str = "POLYAI_EXAMPLES_PROXY_URL";

fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &str) -> AnyResult<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("{name} is not set (needed with POLYAI_API_KEY)").into())
}

/// Connects to PolyAI (with `POLYAI_API_KEY`) or to a freshly started embedded mock.
pub async fn connect() -> AnyResult<Target> {
    if std::env::var("POLYAI_API_KEY").is_ok_and(|k| !k.trim().is_empty()) {
        let client = Client::builder_from_env()?
            .user_agent_suffix("polyai-examples")
            .build()?;
        return Ok(Target {
            client,
            account_id: required("POLYAI_ACCOUNT_ID")?,
            project_id: required("POLYAI_PROJECT_ID")?,
            agent_id: required("POLYAI_AGENT_ID")?,
            mock: None,
        });
    }
    // A small data set whose time window ends now, so "the last N days" finds conversations.
    let mut builder = polyai_mock::MockServer::builder()
        .conversations(250)
        .window_ending_now();
    if let Some(port) = optional(MOCK_PORT_ENV) {
        let port: u16 = port
            .trim()
            .parse()
            .map_err(|_| format!("{MOCK_PORT_ENV} is not a port number: {port:?}"))?;
        builder = builder.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    let mock = builder.try_start().await?;
    let base_url = optional(PROXY_URL_ENV).unwrap_or_else(|| mock.base_url());
    let client = Client::builder()
        .api_key(mock.api_key())
        .base_url(base_url)
        .user_agent_suffix("polyai-examples")
        .build()?;
    Ok(Target {
        client,
        account_id: mock.account_id().to_string(),
        project_id: mock.project_id().to_string(),
        agent_id: mock.agent_id().to_string(),
        mock: Some(mock),
    })
}

/// A progress bar for byte transfers.
pub fn byte_bar(total: Option<u64>) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

/// How many times in a row [`each_page_resuming`] resumes a listing that stopped on a failed
/// page (each time after the client's own retries of that page were used up) before it gives
/// up. Any page that arrives resets the count.
pub const LISTING_RESUMES: u32 = 5;

/// Walks a listing page by page, resuming it from where it stopped when a page cannot be
/// fetched: `listing(position)` starts the listing (from the start when `position` is
/// `None`), and `on_page` gets every page once, in order. After a failed page the listing is
/// started again from the position the error reports, at most [`LISTING_RESUMES`] times in a
/// row, one second apart; then the error is returned (its position is still in it, for a
/// later run).
pub async fn each_page_resuming<T>(
    start: Option<ListingPosition>,
    listing: impl Fn(Option<ListingPosition>) -> PageStream<T>,
    mut on_page: impl FnMut(Page<T>) -> AnyResult<()>,
) -> AnyResult<()> {
    let mut position = start;
    // The position of a failed page is in its error (the same as the `next_position` of the
    // page before it), so only errors move `position`.
    let mut resumes_left = LISTING_RESUMES;
    loop {
        let mut pages = listing(position.clone());
        let error = loop {
            match pages.try_next().await {
                Ok(Some(page)) => {
                    resumes_left = LISTING_RESUMES;
                    on_page(page)?;
                }
                Ok(None) => return Ok(()),
                Err(error) => break error,
            }
        };
        match error.resume_position() {
            Some(at) if resumes_left > 0 => {
                resumes_left -= 1;
                eprintln!("a page failed ({error}); resuming the listing from {at}");
                position = Some(at.clone());
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            _ => return Err(error.into()),
        }
    }
}

/// The environment variable holding the webhook signing secret of the project.
pub const WEBHOOK_SECRET_ENV: &str = "POLYAI_WEBHOOK_SECRET";

/// The signing secret a webhook example verifies deliveries with.
#[derive(Clone, PartialEq, Eq)]
pub enum WebhookSecret {
    /// The project's secret from `POLYAI_WEBHOOK_SECRET`: the example serves real deliveries.
    Configured(String),
    /// A demo secret, only against the embedded mock: the example signs one delivery to
    /// itself and exits.
    Demo(String),
}

impl WebhookSecret {
    /// The secret itself, to build a verifier with (or to sign the demo delivery).
    pub fn expose(&self) -> &str {
        match self {
            WebhookSecret::Configured(secret) | WebhookSecret::Demo(secret) => secret,
        }
    }

    /// Whether this is the demo secret (the self-delivery demo runs).
    pub fn is_demo(&self) -> bool {
        matches!(self, WebhookSecret::Demo(_))
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WebhookSecret::Configured(_) => "WebhookSecret::Configured(<redacted>)",
            WebhookSecret::Demo(_) => "WebhookSecret::Demo(<redacted>)",
        })
    }
}

/// Chooses the webhook signing secret from `POLYAI_WEBHOOK_SECRET` (see
/// [`choose_webhook_secret`]).
pub fn webhook_secret(target: &Target, demo_secret: &str) -> AnyResult<WebhookSecret> {
    let configured = std::env::var(WEBHOOK_SECRET_ENV).ok();
    choose_webhook_secret(configured, target.is_mock(), demo_secret)
}

/// The start-up rule of the webhook examples: a configured secret is used as given (one of
/// only whitespace is then refused by `Verifier::new`, never replaced by the demo); without
/// one, the demo secret is used only against the embedded mock (`against_mock`). Against a
/// real account the example refuses to start, because its demo would sign a delivery to
/// itself and act on real data (write a note on a real conversation).
pub fn choose_webhook_secret(
    configured: Option<String>,
    against_mock: bool,
    demo_secret: &str,
) -> AnyResult<WebhookSecret> {
    match configured.filter(|s| !s.is_empty()) {
        Some(secret) => Ok(WebhookSecret::Configured(secret)),
        None if against_mock => Ok(WebhookSecret::Demo(demo_secret.to_string())),
        None => Err(format!(
            "{WEBHOOK_SECRET_ENV} is not set: against a real PolyAI account (POLYAI_API_KEY is \
             set) set it to the project's webhook signing secret; the self-signed demo runs \
             only against the embedded mock (unset POLYAI_API_KEY)"
        )
        .into()),
    }
}
