//! A webhook backend: an axum server that verifies each PolyAI delivery before its handler
//! runs, and, for an event about a conversation, fetches that conversation and writes a note
//! on it.
//!
//! PolyAI's documents define only the `alerts.triggered` and `alerts.resolved` events; its
//! prose mentions conversation events without publishing their payload. The SDK hands such
//! an event to the handler as `WebhookEvent::Unknown`, with the verified raw body in
//! `VerifiedWebhook::body`, and this handler reads a `conversation_id` from it. The event
//! name (`conversation.ended`) and that field are this example's assumption.
//!
//! ```sh
//! POLYAI_WEBHOOK_SECRET=whsec_... cargo run --example webhook_backend -- [PORT]
//! ```
//!
//! Without `POLYAI_WEBHOOK_SECRET`, and only against the embedded mock (no `POLYAI_API_KEY`),
//! it uses a demo secret, delivers one signed `conversation.ended` event about a listed
//! conversation to itself (signed as PolyAI signs), prints the note read back from the mock,
//! and exits. With `POLYAI_API_KEY` set it refuses to start without `POLYAI_WEBHOOK_SECRET`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use futures::TryStreamExt;
use polyai_examples::{AnyResult, connect, webhook_secret};
use polyai_sdk::Client;
use polyai_sdk::types::data::NoteRequest;
use polyai_sdk::webhooks::{VerifiedWebhook, Verifier, WebhookEvent};

/// The event this backend acts on (not one PolyAI's documents define; see above).
const CONVERSATION_ENDED: &str = "conversation.ended";

#[derive(Clone)]
struct App {
    verifier: Verifier,
    client: Client,
    /// The agent id of the agent-scoped endpoints: the project id.
    project_id: String,
}

impl FromRef<App> for Verifier {
    fn from_ref(app: &App) -> Verifier {
        app.verifier.clone()
    }
}

/// Fetches the conversation and writes a note on it.
async fn annotate(app: &App, conversation_id: &str) -> Result<String, String> {
    let detail = app
        .client
        .data()
        .get_agent_conversation()
        .agent_id(app.project_id.as_str())
        .conversation_id(conversation_id)
        .send()
        .await
        .map_err(|e| format!("fetching {conversation_id}: {e}"))?
        .into_inner();
    let turns = detail.turns.as_ref().map_or(0, Vec::len);
    let note = format!(
        "reviewed by webhook_backend: {turns} turns, channel {}",
        detail.channel.as_ref().map_or("unknown", |c| c.as_str())
    );
    app.client
        .data()
        .upsert_conversation_note()
        .agent_id(app.project_id.as_str())
        .conversation_id(conversation_id)
        .body(NoteRequest { note: note.clone() })
        .send()
        .await
        .map_err(|e| format!("writing the note on {conversation_id}: {e}"))?;
    Ok(note)
}

async fn receive(State(app): State<App>, webhook: VerifiedWebhook) -> (StatusCode, String) {
    match &webhook.event {
        WebhookEvent::Unknown { event_type, .. } if event_type == CONVERSATION_ENDED => {
            // The SDK does not type this event: read what it needs from the verified raw body.
            let body: serde_json::Value = match serde_json::from_slice(&webhook.body) {
                Ok(body) => body,
                Err(error) => return (StatusCode::BAD_REQUEST, format!("not JSON: {error}")),
            };
            let Some(conversation_id) = body["conversation_id"].as_str() else {
                return (StatusCode::BAD_REQUEST, "no conversation_id".into());
            };
            match annotate(&app, conversation_id).await {
                Ok(note) => {
                    println!("note written on {conversation_id}: {note}");
                    (StatusCode::OK, "noted".into())
                }
                // A 5xx makes PolyAI retry the delivery later.
                Err(error) => {
                    eprintln!("{error}");
                    (StatusCode::SERVICE_UNAVAILABLE, error)
                }
            }
        }
        WebhookEvent::AlertTriggered(event) | WebhookEvent::AlertResolved(event) => {
            println!("{}: {:?}", webhook.event.event_type(), event.alert.name);
            (StatusCode::OK, "ok".into())
        }
        // Acknowledge what this backend does not handle, so PolyAI does not retry it.
        other => {
            println!("event {} ignored", other.event_type());
            (StatusCode::OK, "ignored".into())
        }
    }
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(0);
    let target = connect().await?;
    // Against a real account this refuses to start without POLYAI_WEBHOOK_SECRET: the demo
    // below would otherwise sign a delivery to itself and write a note on a real conversation.
    let secret = webhook_secret(&target, "whsec_demo")?;
    let app = App {
        verifier: Verifier::new(secret.expose())?,
        client: target.client.clone(),
        project_id: target.project_id.clone(),
    };
    let router = axum::Router::new()
        .route("/polyai/webhooks", axum::routing::post(receive))
        .with_state(app.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let url = format!("http://{}/polyai/webhooks", listener.local_addr()?);
    println!("listening on {url}");
    if !secret.is_demo() {
        axum::serve(listener, router).await?;
        return Ok(());
    }

    // The demo (embedded mock only): one signed delivery about the first listed conversation.
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let conversation = target
        .client
        .list_conversations(&target.account_id, &target.project_id)
        .page_size(1)
        .stream()
        .try_next()
        .await?
        .ok_or("the project has no conversation to write a note on")?;
    let body = serde_json::json!({
        "event_type": CONVERSATION_ENDED,
        "conversation_id": conversation.id,
        "project_id": target.project_id,
    });
    let delivery = polyai_mock::WebhookSender::new()
        .send_raw(
            &url,
            secret.expose(),
            serde_json::to_vec(&body)?.into(),
            polyai_mock::DeliveryOptions::default(),
        )
        .await?;
    println!("the signed delivery was answered with {}", delivery.status);
    server.abort();
    if delivery.status != 200 {
        return Err(format!("the delivery failed with {}", delivery.status).into());
    }
    let note = target
        .client
        .data()
        .get_agent_conversation()
        .agent_id(target.project_id.as_str())
        .conversation_id(conversation.id.as_str())
        .send()
        .await?
        .into_inner()
        .note;
    println!("note on {} read back: {note:?}", conversation.id);
    Ok(())
}
