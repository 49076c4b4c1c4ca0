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

#![warn(missing_docs)]

pub mod agent_conversations;
mod alert_rules;
pub mod audio;
pub mod audio_cache;
mod client;
pub mod conversations;
pub mod debug_chat;
pub mod deployments;
pub mod error;
pub mod external_events;
pub mod generated;
pub mod operation_call;
pub mod region;
pub mod retry;
mod secret;
mod timestamp;
mod transport;
mod validate;
mod variant_assignment;
pub mod webhooks;

pub use alert_rules::{AlertOperator, AlertRuleProject, UnknownAlertOperator};
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
