//! # polyai-sdk
//!
//! A typed, async Rust SDK for [PolyAI](https://poly.ai)'s public HTTP APIs.
//!
//! One [`Client`] holds one connection pool and your API key, and knows which host each API
//! family lives on in your [`Region`]. Every job has one call:
//!
//! | job | the call |
//! |---|---|
//! | make a client | [`Client::builder`]`().api_key(..).region(..).build()`, or [`Client::from_env`] |
//! | every conversation of a project, filtered by time, environment, channel, search | [`Client::list_conversations`]`(account, project).since(..).stream()` |
//! | every conversation of one agent (the agent id is the project id) | [`Client::list_agent_conversations`]`(project).stream()` |
//! | one conversation with its turns, metrics and function events | [`Client::data`]`().get_agent_conversation().agent_id(..).conversation_id(..).send()` |
//! | save a recording to a file, resuming after a dropped connection | [`Client::audio`]`(agent, conversation).save_to(path)` |
//! | label turns of a conversation | [`Client::data`]`().create_annotations()...send()` |
//! | set a conversation's note | [`Client::data`]`().upsert_conversation_note()...send()` |
//! | talk to an agent in a test chat | [`Client::debug_chat_session`]`(agent, `[`Environment::Sandbox`]`).start()`, then `send(..)` |
//! | publish `main`, or promote a deployment, where "already there" is not an error | [`Client::publish_deployment`], [`Client::promote_deployment`] |
//! | agents, branches, knowledge base, variants, connectors, phone numbers, deployments history | [`Client::agents`]`()...send()` |
//! | the audio cache: list it, replace a file or its voice settings | [`Client::list_audio_cache_entries`]`(agent).stream()`, [`Client::replace_audio_cache_file`], [`Client::replace_audio_cache_details`] |
//! | register, change, rotate webhook endpoints | [`Client::webhook_endpoints`]`()...send()` |
//! | check a webhook delivery's signature and read its event | [`webhooks::Verifier`]`::new(secret)?.verify_event(..)` |
//! | alert rules and active alerts | [`Client::alerts`]`()...send()` |
//! | deliver an external event to a live conversation | [`Client::post_external_event`]`(account, project)...send()` |
//! | Chat, handoff state, outbound calls, concurrent calls, DNI reservations | [`Client::chat`], [`Client::handoff`], [`Client::outbound`], [`Client::concurrent_calls`], [`Client::dni`] |
//!
//! Listings are streams that follow PolyAI's paging (cursors or offsets) to the end, and can
//! resume where they stopped (see [`paging`]); for one page of conversations, call
//! `client.list_conversations(account, project).first_page()`.
//!
//! The family accessors ([`Client::conversations`], [`Client::data`], [`Client::agents`],
//! [`Client::webhook_endpoints`], ...) hand out typed clients generated from our OpenAPI
//! documents, one type per family ([`ConversationsClient`], [`DataClient`], [`AgentsClient`],
//! [`WebhookEndpointsClient`], ...). Each operation is a builder: set its parameters, then
//! `send().await`, which gives a [`ResponseValue`] (`into_inner()` for the body, `status()` and
//! `headers()` for the rest) or an [`Error`]. The few operations the generator cannot express
//! are written by hand in the same builder style.
//!
//! Every call, generated or hand-written, goes through the same retry, timeout and error
//! handling, and every failure is one [`Error`]: PolyAI's status, error code, message and
//! correlation id when it answered, and what to check. It prints well from `main`:
//!
//! ```no_run
//! use polyai_sdk::{Client, Region};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), polyai_sdk::Error> {
//!     let region: Region = std::env::var("POLYAI_REGION").unwrap_or("us".into()).parse()?;
//!     let client = Client::builder().api_key("my-key").region(region).build()?;
//!     let detail = client
//!         .data()
//!         .get_agent_conversation()
//!         .agent_id("my-project")
//!         .conversation_id("CA0123")
//!         .send()
//!         .await?
//!         .into_inner();
//!     println!("{} turns", detail.turns.map_or(0, |turns| turns.len()));
//!     Ok(())
//! }
//! ```
//!
//! # Listing conversations
//!
//! [`Client::list_conversations`] is the one listing call: a builder for the filters (time
//! window, environment, [`Channel`], variant, search) whose `stream()` yields conversations
//! one by one across every page, and whose `pages()` yields the pages with the position of the
//! next one, to resume a listing later.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use polyai_sdk::{Channel, Client, Timestamp};
//!
//! # async fn demo(client: Client) -> Result<(), polyai_sdk::Error> {
//! let since = Timestamp::now().minus(std::time::Duration::from_secs(7 * 86_400));
//! let mut calls = client
//!     .list_conversations("my-workspace", "my-project")
//!     .since(since)
//!     .channel(Channel::VoiceSip)
//!     .stream();
//! while let Some(call) = calls.try_next().await? {
//!     println!("{} {:?}", call.id, call.started_at);
//! }
//! # Ok(()) }
//! ```
//!
//! # Recordings
//!
//! Only finished voice calls have a recording; web chats and calls in progress answer 404
//! `CONVERSATIONS_RECORDING_NOT_FOUND`. The agent id of the agent-scoped endpoints
//! (`/v1/agents/{agentId}/...`: recordings, conversation detail, notes, annotations, debug
//! chat) is the project id. [`Client::download_recording`] takes a listed conversation and
//! saves its recording, resuming after a dropped connection and, across process restarts,
//! from the partial file a killed run left; see [`audio`].
//!
//! # Webhooks
//!
//! [`webhooks::Verifier`] checks PolyAI's signature and timestamp on a delivery and parses
//! the event; with the `axum` feature, `webhooks::VerifiedWebhook` does it before an axum
//! handler runs. PolyAI documents only the alert events; any other arrives as
//! [`webhooks::WebhookEvent::Unknown`] with its raw body kept (see
//! [Events beyond alerts](webhooks#events-beyond-alerts)).
//!
//! # Test offline
//!
//! `polyai-mock` is an offline, stateful fake of PolyAI's APIs (seeded conversations,
//! recordings, notes, debug chat, agents, webhooks, fault injection) that your own tests can
//! run against, on 127.0.0.1, without a key or a network.
//!
//! **In process**: add it as a dev-dependency (`polyai-mock = { path = ... }` or `{ git = ...
//! }` next to `polyai-sdk`), start it in the test, and point the client's base URL at it (one
//! URL serves both host families):
//!
//! ```
//! use futures::TryStreamExt;
//! use polyai_mock::MockServer;
//! use polyai_sdk::Client;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In a `#[tokio::test] async fn`:
//! let mock = MockServer::builder().conversations(20).start().await;
//! let client = Client::builder()
//!     .api_key(mock.api_key())
//!     .base_url(mock.base_url())
//!     .build()?;
//!
//! // Your code under test, unchanged, against the mock's seeded data.
//! let listed: Vec<_> = client
//!     .list_conversations(mock.account_id(), mock.project_id())
//!     .stream()
//!     .try_collect()
//!     .await?;
//! assert!(!listed.is_empty());
//!
//! // The mock keeps state and a request log, for assertions on what your code did.
//! client
//!     .data()
//!     .upsert_conversation_note()
//!     .agent_id(mock.agent_id())
//!     .conversation_id(listed[0].id.as_str())
//!     .body(polyai_sdk::types::data::NoteRequest { note: "checked".into() })
//!     .send()
//!     .await?;
//! assert_eq!(mock.note(&listed[0].id).as_deref(), Some("checked"));
//! assert!(mock.requests().iter().any(|r| r.method == "POST"));
//! # Ok(()) }
//! ```
//!
//! **As a binary**, for programs in other languages or a manual run: from a clone of this
//! repository, `cargo run -p polyai-mock -- --port 8080 --conversations 1000 --now` (`--help`
//! lists the options), then point the client at it through the environment:
//! `POLYAI_API_KEY=mock-api-key POLYAI_BASE_URL=http://127.0.0.1:8080`, with the mock's ids
//! `ws-mock0001` (account) and `PROJECT-MOCK0001` (project and agent).
//!
//! ```no_run
//! # async fn demo() -> Result<(), polyai_sdk::Error> {
//! // POLYAI_API_KEY and POLYAI_BASE_URL as above.
//! let client = polyai_sdk::Client::from_env()?;
//! let first = client
//!     .list_conversations("ws-mock0001", "PROJECT-MOCK0001")
//!     .first_page()
//!     .await?;
//! println!("{} conversations on the first page", first.items.len());
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod agent_conversations;
mod alert_rules;
pub mod audio;
pub mod audio_cache;
mod body_stream;
mod channel;
mod client;
pub mod conversations;
pub mod debug_chat;
pub mod deployments;
mod environment;
pub mod error;
pub mod external_events;
pub mod generated;
pub mod operation_call;
pub mod paging;
pub mod region;
pub mod retry;
mod secret;
mod timestamp;
mod transport;
mod validate;
mod variant_assignment;
pub mod webhooks;

pub use alert_rules::{AlertOperator, AlertRuleProject, UnknownAlertOperator};
pub use channel::Channel;
pub use client::{Client, ClientBuilder, env};
pub use environment::{Environment, UnknownEnvironment};
pub use error::{ApiError, Error};
pub use region::{HostFamily, Region, UnknownRegion};
pub use retry::{RetryBudget, RetryPolicy};
pub use secret::Secret;
pub use timestamp::{InvalidTimestamp, Timestamp};
pub use transport::Transport;
pub use variant_assignment::VariantAssignment;

// The family clients that `Client`'s accessors hand out, one per OpenAPI document, and the
// success value every generated `send()` returns.
pub use body_stream::ByteStream;
pub use generated::agents::AgentsClient;
pub use generated::alerts::AlertsClient;
pub use generated::chat::ChatClient;
pub use generated::concurrent_calls::ConcurrentCallsClient;
pub use generated::conversations::ConversationsClient;
pub use generated::data::DataClient;
pub use generated::debug_chat::DebugChatClient;
pub use generated::dni::DniClient;
pub use generated::handoff::HandoffClient;
pub use generated::outbound::OutboundClient;
pub use generated::webhooks::WebhookEndpointsClient;
pub use progenitor_client::ResponseValue;

/// The generated request and response types of every family, by family.
pub mod types {
    pub use crate::generated::agents::types as agents;
    pub use crate::generated::alerts::types as alerts;
    pub use crate::generated::chat::types as chat;
    pub use crate::generated::concurrent_calls::types as concurrent_calls;
    pub use crate::generated::conversations::types as conversations;
    pub use crate::generated::data::types as data;
    pub use crate::generated::debug_chat::types as debug_chat;
    pub use crate::generated::dni::types as dni;
    pub use crate::generated::external_events::types as external_events;
    pub use crate::generated::handoff::types as handoff;
    pub use crate::generated::outbound::types as outbound;
    pub use crate::generated::webhooks::types as webhook_endpoints;
}

/// The README's example, compiled as a doctest so it cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    /// One way per job: the generated single-page listings that a hand-written stream
    /// covers point to that stream in their docs (from our OpenAPI descriptions).
    #[test]
    fn generated_single_page_listings_point_to_their_stream() {
        for (source, operation, stream) in [
            (
                include_str!("generated/conversations.rs"),
                "pub fn list_conversations(",
                "`Client::list_conversations(account, project)` stream",
            ),
            (
                include_str!("generated/data.rs"),
                "pub fn list_agent_conversations(",
                "`Client::list_agent_conversations` stream",
            ),
            (
                include_str!("generated/agents.rs"),
                "pub fn list_audio_cache_entries(",
                "`Client::list_audio_cache_entries(agent).stream()`",
            ),
        ] {
            let at = source.find(operation).expect(operation);
            let line_start = source[..at].rfind('\n').unwrap_or(0);
            // The doc comment right above the family client's method.
            let docs: String = source[..line_start]
                .lines()
                .rev()
                .take_while(|line| {
                    line.trim_start().starts_with("//") || line.trim().starts_with("#[")
                })
                .collect();
            assert!(
                docs.contains(stream),
                "{operation} does not point to {stream}: {docs}"
            );
        }
    }

    /// The names of the public structs, enums, type aliases and traits declared in the `.rs`
    /// files under `dir` (not following `skip`).
    fn declared_types(dir: &Path, skip: Option<&Path>) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for entry in std::fs::read_dir(dir).expect("source directory") {
            let path = entry.expect("entry").path();
            if Some(path.as_path()) == skip {
                continue;
            }
            if path.is_dir() {
                names.extend(declared_types(&path, skip));
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source file");
            for line in text.lines() {
                let line = line.trim_start();
                for keyword in ["pub struct ", "pub enum ", "pub type ", "pub trait "] {
                    if let Some(rest) = line.strip_prefix(keyword) {
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        names.insert(name);
                    }
                }
            }
        }
        names
    }

    #[test]
    fn no_hand_written_type_shares_a_name_with_a_generated_one() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let generated = src.join("generated");
        let hand_written = declared_types(&src, Some(&generated));
        let from_documents = declared_types(&generated, None);
        assert!(from_documents.contains("ConversationsClient"));
        assert!(hand_written.contains("ConversationListing"));
        let shared: Vec<_> = hand_written.intersection(&from_documents).collect();
        assert!(
            shared.is_empty(),
            "hand-written types named like generated ones (rename the hand-written one, or \
             re-export the generated type with `pub use`): {shared:?}"
        );
    }
}
