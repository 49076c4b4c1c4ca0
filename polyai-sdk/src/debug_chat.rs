//! Debug-chat sessions: hold a text conversation with an agent, turn by turn.
//!
//! ```no_run
//! use polyai_sdk::Environment;
//! # async fn demo(client: polyai_sdk::Client) -> Result<(), polyai_sdk::Error> {
//! let mut session = client.debug_chat_session("my-agent", Environment::Sandbox).start().await?;
//! println!("agent: {}", session.greeting().response.as_deref().unwrap_or(""));
//! for line in ["What are your opening hours?", "Thanks, bye"] {
//!     let reply = session.send(line).await?;
//!     println!("agent: {}", reply.response.as_deref().unwrap_or(""));
//!     if session.is_ended() {
//!         break;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Sessions are independent values: run as many at once as you like on one [`Client`]; they
//! share its connection pool. Sending a message is not retried once the request may have
//! reached the server, so a message is never delivered twice.

use crate::Environment;
use crate::generated::debug_chat::types as wire;
use crate::{Client, Error, validate};

/// The agent's answer to a message (or its greeting), with its metadata (state, current node,
/// node trace, metrics, ...).
#[doc(no_inline)]
pub use crate::generated::debug_chat::types::{DebugChatMetadata, DebugChatReply};

impl Client {
    /// Prepares a debug-chat session with an agent in `environment`. Configure it, then call
    /// [`DebugChatOptions::start`].
    pub fn debug_chat_session(
        &self,
        agent_id: impl Into<String>,
        environment: Environment,
    ) -> DebugChatOptions {
        DebugChatOptions {
            client: self.clone(),
            agent_id: agent_id.into(),
            request: wire::DebugChatStartRequest {
                client_env: environment,
                asr_lang_code: None,
                tts_lang_code: None,
                channel: None,
                conversation_id: None,
                variant_id: None,
                integration_attributes: serde_json::Map::new(),
            },
        }
    }
}

/// Options for a new debug-chat session; see [`Client::debug_chat_session`].
#[derive(Clone, Debug)]
#[must_use = "nothing is sent until start() is called"]
pub struct DebugChatOptions {
    client: Client,
    agent_id: String,
    request: wire::DebugChatStartRequest,
}

impl DebugChatOptions {
    /// Talk to this variant of the agent.
    pub fn variant_id(mut self, variant_id: impl Into<String>) -> Self {
        self.request.variant_id = Some(variant_id.into());
        self
    }

    /// The speech-recognition language code (for example `en-GB`).
    pub fn asr_language(mut self, code: impl Into<String>) -> Self {
        self.request.asr_lang_code = Some(code.into());
        self
    }

    /// The text-to-speech language code (for example `en-GB`).
    pub fn tts_language(mut self, code: impl Into<String>) -> Self {
        self.request.tts_lang_code = Some(code.into());
        self
    }

    /// The channel to simulate (for example `WEBCHAT`).
    pub fn channel(mut self, channel: impl Into<String>) -> Self {
        self.request.channel = Some(channel.into());
        self
    }

    /// Use this conversation id instead of letting PolyAI pick one.
    pub fn conversation_id(mut self, id: impl Into<String>) -> Self {
        self.request.conversation_id = Some(id.into());
        self
    }

    /// Adds an integration attribute available to the agent's functions.
    pub fn integration_attribute(
        mut self,
        name: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.request
            .integration_attributes
            .insert(name.into(), value.into());
        self
    }

    /// Starts the conversation; the agent's greeting is in [`DebugChatSession::greeting`].
    pub async fn start(self) -> Result<DebugChatSession, Error> {
        validate::path_segment("agent_id", &self.agent_id)?;
        if let Some(id) = &self.request.conversation_id {
            validate::path_segment("conversation_id", id)?;
        }
        let environment = self.request.client_env;
        let (asr, tts) = (
            self.request.asr_lang_code.clone(),
            self.request.tts_lang_code.clone(),
        );
        let call = self
            .client
            .debug_chat()
            .start_debug_chat()
            .agent_id(self.agent_id.as_str())
            .body(self.request);
        let greeting = call.send().await.map(crate::ResponseValue::into_inner)?;
        validate::path_segment(
            "conversation id returned by PolyAI",
            &greeting.conversation_id,
        )?;
        Ok(DebugChatSession {
            client: self.client,
            agent_id: self.agent_id,
            conversation_id: greeting.conversation_id.clone(),
            environment,
            asr_lang_code: asr,
            tts_lang_code: tts,
            ended: greeting.conversation_ended == Some(true),
            greeting,
        })
    }
}

/// A debug-chat conversation in progress.
#[derive(Clone, Debug)]
pub struct DebugChatSession {
    client: Client,
    agent_id: String,
    conversation_id: String,
    environment: Environment,
    asr_lang_code: Option<String>,
    tts_lang_code: Option<String>,
    greeting: DebugChatReply,
    ended: bool,
}

impl DebugChatSession {
    /// The conversation id PolyAI assigned (or the one given).
    pub fn conversation_id(&self) -> &str {
        &self.conversation_id
    }

    /// The agent id.
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }

    /// The agent's first reply, received when the session started.
    pub fn greeting(&self) -> &DebugChatReply {
        &self.greeting
    }

    /// Whether the agent has ended the conversation; no more messages can be sent.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Sends a message and returns the agent's reply.
    pub async fn send(&mut self, message: impl Into<String>) -> Result<DebugChatReply, Error> {
        self.send_with_metadata(message, serde_json::Map::new())
            .await
    }

    /// Sends a message with metadata for the agent's functions.
    pub async fn send_with_metadata(
        &mut self,
        message: impl Into<String>,
        metadata: serde_json::Map<String, serde_json::Value>,
    ) -> Result<DebugChatReply, Error> {
        if self.ended {
            return Err(Error::InvalidInput(format!(
                "debug-chat conversation {} has ended; start a new session to keep talking",
                self.conversation_id
            )));
        }
        let body = wire::DebugChatMessageRequest {
            client_env: self.environment,
            message: message.into(),
            metadata,
            asr_lang_code: self.asr_lang_code.clone(),
            tts_lang_code: self.tts_lang_code.clone(),
        };
        let call = self
            .client
            .debug_chat()
            .send_debug_chat_message()
            .agent_id(self.agent_id.as_str())
            .conversation_id(self.conversation_id.as_str())
            .body(body);
        let reply = call.send().await.map(crate::ResponseValue::into_inner)?;
        if reply.conversation_ended == Some(true) {
            self.ended = true;
        }
        Ok(reply)
    }
}
