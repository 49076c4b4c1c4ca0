//! # polyai-sdk
//!
//! A typed, async Rust SDK for [PolyAI](https://poly.ai)'s public HTTP APIs.
//!
//! One [`Client`] holds one connection pool and your API key, and knows which host each API
//! family lives on in your [`Region`]. Family accessors hand out typed clients generated from
//! our OpenAPI documents ([`Client::conversations`], [`Client::data`],
//! [`Client::debug_chat`]); every call goes through the same retry, timeout and error handling,
//! and every failure is one [`Error`]. The few operations the generator cannot express are
//! written by hand in the same builder style and go through the same path:
//! [`Client::replace_audio_cache_file`], [`Client::replace_audio_cache_details`] and
//! [`Client::post_external_event`].
//!
//! ```no_run
//! use polyai_sdk::{Client, Region};
//!
//! # async fn demo() -> Result<(), polyai_sdk::Error> {
//! let client = Client::builder().api_key("my-key").region(Region::Us).build()?;
//! let detail = client
//!     .data()
//!     .get_agent_conversation()
//!     .agent_id("my-agent")
//!     .conversation_id("CA0123")
//!     .send()
//!     .await
//!     .map(|response| response.into_inner());
//! # let _ = detail; Ok(()) }
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
mod channel;
mod client;
pub mod conversations;
pub mod debug_chat;
pub mod deployments;
pub mod error;
pub mod external_events;
pub mod generated;
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
pub use error::{ApiError, Error};
pub use region::{HostFamily, Region, UnknownRegion};
pub use retry::{RetryBudget, RetryPolicy};
pub use secret::Secret;
pub use timestamp::{InvalidTimestamp, Timestamp};
pub use transport::Transport;
pub use variant_assignment::VariantAssignment;

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
