//! An axum server that receives PolyAI webhooks and verifies them before the handler runs
//! (bad signatures get 401, malformed deliveries 400), processing each event once: a retry of
//! a processed event is acknowledged as a duplicate, and an event whose handler failed is
//! processed again when PolyAI retries it.
//!
//! ```sh
//! POLYAI_WEBHOOK_SECRET=whsec_... cargo run --example webhook_receiver -- [PORT]
//! ```
//!
//! Without `POLYAI_WEBHOOK_SECRET`, and only against the embedded mock (no `POLYAI_API_KEY`),
//! it uses a demo secret and has the mock deliver one signed event to itself, then exits. With
//! `POLYAI_API_KEY` set it refuses to start without `POLYAI_WEBHOOK_SECRET`.

use polyai_examples::{AnyResult, connect, webhook_secret};
use polyai_sdk::webhooks::{self, InMemoryReplayGuard, VerifiedWebhook, Verifier, WebhookEvent};

async fn receive(webhook: VerifiedWebhook) -> &'static str {
    match &webhook.event {
        WebhookEvent::AlertTriggered(event) => println!(
            "alert triggered: {:?} ({:?})",
            event.alert.name, event.alert.id
        ),
        WebhookEvent::AlertResolved(event) => println!(
            "alert resolved: {:?} ({:?})",
            event.alert.name, event.alert.id
        ),
        other => println!("event {} not handled yet", other.event_type()),
    }
    "ok"
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(0);
    let target = connect().await?;
    // Against a real account this refuses to start without POLYAI_WEBHOOK_SECRET.
    let secret = webhook_secret(&target, "whsec_demo_secret")?;
    // Processed events are remembered for 6 hours, longer than PolyAI's retries (about 5.5 h),
    // so a late retry of an event already handled is acknowledged as a duplicate.
    let guard = InMemoryReplayGuard::with_ttl(std::time::Duration::from_secs(6 * 3600));
    // A POLYAI_WEBHOOK_SECRET of only whitespace is refused here instead of verifying forgeries.
    let verifier = Verifier::new(secret.expose())?.replay_guard(guard)?;
    let app = axum::Router::new()
        .route("/polyai/webhooks", axum::routing::post(receive))
        // Records the event as processed when the handler answers 2xx, and releases it for
        // PolyAI's retry otherwise.
        .route_layer(axum::middleware::from_fn(webhooks::commit_on_success))
        .with_state(verifier);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let url = format!("http://{}/polyai/webhooks", listener.local_addr()?);
    println!("listening on {url}");
    if !secret.is_demo() {
        axum::serve(listener, app).await?;
        return Ok(());
    }
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mock = target
        .mock
        .as_ref()
        .ok_or("the self-signed demo runs only against the embedded mock")?;
    let event = polyai_mock::WebhookEvent::alert_triggered(&target.project_id);
    let status = mock
        .send_webhook(&url, secret.expose(), &event)
        .await?
        .status;
    println!("the mock's signed delivery was answered with {status}");
    server.abort();
    Ok(())
}
