//! A tour of the SDK. With no `POLYAI_API_KEY` it starts the embedded offline mock and walks
//! everything: transcripts, a recording with a progress bar, an annotation and a note read
//! back, a debug-chat conversation to its end, and a signed webhook verified on arrival. With
//! `POLYAI_API_KEY` (plus `POLYAI_REGION`, `POLYAI_ACCOUNT_ID`, `POLYAI_PROJECT_ID`,
//! `POLYAI_AGENT_ID`) it runs only the read-only steps against the real API.
//!
//! ```sh
//! cargo run --example quickstart
//! ```

use futures::{StreamExt, TryStreamExt};
use polyai_examples::{AnyResult, byte_bar, connect};
use polyai_sdk::Environment;
use polyai_sdk::Timestamp;
use polyai_sdk::types::data::{AnnotationItem, AnnotationRequest, AnnotationRole, NoteRequest};
use polyai_sdk::webhooks::{VerifiedWebhook, Verifier};

#[tokio::main]
async fn main() -> AnyResult<()> {
    let target = connect().await?;
    let client = &target.client;
    match &target.mock {
        Some(mock) => println!(
            "• Started the embedded PolyAI mock at {} (no POLYAI_API_KEY set)",
            mock.base_url()
        ),
        None => println!("• Using the real PolyAI API (read-only steps only)"),
    }

    // 1. Transcripts: the first conversations of the last 30 days, lazily, page by page.
    println!(
        "\n1. Listing transcripts (Conversations v3, {})",
        client.base_url(polyai_sdk::HostFamily::Platform)
    );
    let since = Timestamp::now().minus(std::time::Duration::from_secs(30 * 86_400));
    let conversations: Vec<_> = client
        .list_conversations(&target.account_id, &target.project_id)
        .environment(Environment::Live)
        .since(since)
        .page_size(50)
        .stream()
        .take(5)
        .try_collect()
        .await?;
    for conversation in &conversations {
        let turns = conversation.turns.as_deref().unwrap_or_default();
        let first_words = turns
            .iter()
            .find_map(|t| t.user_input.as_deref().filter(|text| !text.is_empty()))
            .unwrap_or("(no user input)");
        println!(
            "   {}  {:<10} {:>2} turns  caller: {first_words:?}",
            conversation.id,
            conversation.channel.as_deref().unwrap_or("-"),
            turns.len()
        );
    }
    let Some(first) = conversations.first() else {
        println!("   no conversations in the last 30 days; nothing more to show");
        return Ok(());
    };

    // 2. One recording, streamed to disk with a progress bar.
    println!("\n2. Downloading the recording of {}", first.id);
    let dir = std::env::temp_dir().join("polyai-quickstart");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{}.wav", first.id));
    let bar = byte_bar(None);
    let progress = bar.clone();
    let saved = client
        .audio(&target.agent_id, &first.id)
        .on_progress(move |done, total| {
            if let Some(total) = total {
                progress.set_length(total);
            }
            progress.set_position(done);
        })
        .save_to(&path)
        .await?;
    bar.finish_and_clear();
    println!("   saved {} bytes to {}", saved.bytes, saved.path.display());

    let Some(mock) = &target.mock else {
        println!("\nDone (the remaining steps write data, so they only run against the mock).");
        return Ok(());
    };

    // 3. An annotation and a note, read back from the conversation.
    println!("\n3. Annotating turn 1 and leaving a note");
    let data = client.data();
    data.create_annotations()
        .agent_id(&target.agent_id)
        .conversation_id(&first.id)
        .body(AnnotationRequest {
            annotations: vec![AnnotationItem {
                turn_id: 1,
                role: AnnotationRole::User,
                annotation_type: "wrong_transcript".into(),
            }],
        })
        .send()
        .await?;
    data.upsert_conversation_note()
        .agent_id(&target.agent_id)
        .conversation_id(&first.id)
        .body(NoteRequest {
            note: "Transcript misheard the booking reference".into(),
        })
        .send()
        .await?;
    let detail = data
        .get_agent_conversation()
        .agent_id(&target.agent_id)
        .conversation_id(&first.id)
        .send()
        .await?
        .into_inner();
    println!(
        "   note now reads: {:?}",
        detail.note.as_deref().unwrap_or_default()
    );

    // 4. A debug-chat conversation, held to its end.
    println!("\n4. Debug chat with agent {}", target.agent_id);
    let mut session = client
        .debug_chat_session(&target.agent_id, Environment::Sandbox)
        .start()
        .await?;
    println!(
        "   agent: {}",
        session.greeting().response.as_deref().unwrap_or_default()
    );
    for line in [
        "Hi, what are your opening hours?",
        "Can I book a table for four?",
        "Thanks, bye",
    ] {
        println!("   you:   {line}");
        let reply = session.send(line).await?;
        println!(
            "   agent: {}",
            reply.response.as_deref().unwrap_or_default()
        );
        if session.is_ended() {
            println!("   (the agent ended the conversation)");
            break;
        }
    }

    // 5. A webhook, signed by the mock, verified by a local receiver before its handler runs.
    println!("\n5. Receiving a signed webhook");
    let secret = "whsec_quickstart_demo";
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let app = axum::Router::new()
        .route(
            "/webhooks",
            axum::routing::post(move |webhook: VerifiedWebhook| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(webhook).await;
                    "ok"
                }
            }),
        )
        .with_state(Verifier::new(secret)?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let event = polyai_mock::WebhookEvent::alert_triggered(&target.project_id);
    let status = mock.send_webhook(&url, secret, &event).await?.status;
    let webhook = rx.recv().await.ok_or("the receiver got nothing")?;
    println!(
        "   receiver answered {status}; verified {} event {}",
        webhook.event.event_type(),
        webhook.event_id.as_deref().unwrap_or("-")
    );
    server.abort();

    println!("\nDone. Every step above ran offline against polyai-mock.");
    Ok(())
}
