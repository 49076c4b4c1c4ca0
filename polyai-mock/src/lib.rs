//! An offline, stateful fake of PolyAI's public HTTP APIs, for the quickstart, examples,
//! integration tests and your own tests.
//!
//! ```no_run
//! # async fn demo() {
//! let server = polyai_mock::MockServer::builder().conversations(2_500).seed(7).start().await;
//! let url = format!(
//!     "{}/v3/{}/{}/conversations?limit=100",
//!     server.base_url(),
//!     server.account_id(),
//!     server.project_id()
//! );
//! let page: serde_json::Value = reqwest::Client::new()
//!     .get(url)
//!     .header("x-api-key", server.api_key())
//!     .send()
//!     .await
//!     .unwrap()
//!     .json()
//!     .await
//!     .unwrap();
//! assert_eq!(page["conversations"].as_array().unwrap().len(), 100);
//! # }
//! ```
//!
//! # What it serves
//!
//! One listener serves both of PolyAI's host families, so give the SDK the same
//! [`MockServer::base_url`] for both. Every route needs the `x-api-key` header (see
//! [`MockServerBuilder::api_key`]); every response carries `X-PolyAI-Correlation-Id`, and
//! every error is PolyAI's envelope
//! `{"success": false, "error", "error_id", "error_code", "error_message", "data": null}` with
//! `error_id` equal to that header. Any account, project or agent id is accepted in paths.
//!
//! | route | behaviour |
//! |---|---|
//! | `GET /v3/{account_id}/{project_id}/conversations` | the v3 listing (snake_case): cursor and offset pagination, filters `client_env` (default `live`), repeated `channel`, `start_time`/`end_time` (start inclusive, end exclusive), `variant_id` xor `variant_name`, `in_progress`, `include_latency`, `query_type` + `query` (+ `turn_type`), `sample=random`; `limit` 1..=1000, default 1000 |
//! | `GET /v1/agents/{agentId}/conversations` | the agent-scoped list (camelCase): `limit` (default 50, at least 1) and `offset`; `{conversations, count, limit, offset}` |
//! | `GET /v1/agents/{agentId}/conversations/{conversationId}` | the detail: camelCase with snake_case turns, metrics, function events, stored `note` and `annotations` |
//! | `POST .../{conversationId}/annotation` | `{"annotations": [{turnId, role, annotationType}]}`, at least one item; 201 `{"success": true}` |
//! | `POST .../{conversationId}/note` | `{"note": "..."}`, replaces the note; 201 `{"success": true}` |
//! | `GET .../{conversationId}/audio` | a WAV recording (`direction`, `redacted`), streamed, with `Range`/`If-Range`/`ETag` |
//! | `POST /v1/agents/{agentId}/debug-chat` | starts a scripted debug-chat session; 201 with the greeting |
//! | `POST /v1/agents/{agentId}/debug-chat/{conversationId}` | sends a message; 200 with the answer |
//! | `GET`/`POST /v1/accounts/{accountId}/agents`, `DELETE /v1/agents/{agentId}` | list (bare array), create (**200**), delete (204) agents |
//! | `GET`/`POST /v1/agents/{agentId}/branches`, `DELETE .../branches/{branchId}` | list (`main` included), create (201 `{branchId, sequenceId}`), delete (200) branches |
//! | `GET`/`POST .../branches/{branchId}/knowledge-base/topics`, `GET`/`PATCH`/`DELETE .../topics/{topicId}` | knowledge-base topics per branch; create 201, update and delete **204**; `main` is read-only (422) |
//! | `POST .../branches/{branchId}/merge` | three-way merge into `main` (400 with the conflicts in `data`), then an automatic sandbox deployment |
//! | `GET /v1/agents/{agentId}/deployments?environment=&limit=`, `GET .../deployments/active` | deployments newest first; what each environment runs (`null` when nothing) |
//! | `POST .../deployments/publish`, `POST .../deployments/{deploymentId}/promote`, `.../rollback` | publish `main` (201; 409 `DEPLOYMENTS_ALREADY_PUBLISHED` when already there), promote sandbox → pre-release → live (412 `ErrPreReleaseNotReady` for live first), roll back (200) |
//! | `GET`/`POST /v1/webhook-endpoints`, `GET`/`PATCH`/`DELETE .../{endpoint_id}`, `POST .../rotate-secret` | webhook endpoints: filters `enabled`, `event_type`; create 201 with `signing_secret`; malformed ids 422; at most 10 (409); rotate 200 `{signing_secret}` |
//!
//! # Ordering
//!
//! Conversations are numbered from 0 (the newest) and listed **newest first** (descending
//! `started_at`) by both listings; the order never changes, so cursors stay valid.
//!
//! # The v3 listing in detail
//!
//! * Validation errors are 400 `CONVERSATIONS_VALIDATION_FAILED` (bad `limit`, `offset`,
//!   `client_env`, booleans, both variant filters, `query_type` without `query`,
//!   `query_type` with `sample`, a malformed cursor, or a cursor sent with other filters than
//!   the request that produced it); unparsable `start_time`/`end_time` give 400
//!   `GET_CONVERSATIONS_FILTER_PARSE_ERROR`. As PolyAI's prose requires, `query_type` and
//!   `sample` also need both `start_time` and `end_time`.
//! * `channel` matches case-insensitively (`voice` also matches `VOICE-SIP`); unknown
//!   channels, variants or ids simply match nothing.
//! * `query_type=transcript` is a case-insensitive substring search over user inputs and
//!   agent responses (`turn_type=user|agent` narrows it); `semantic` matches conversations
//!   sharing a word (3+ letters) with the query. `sample=random` is a fixed ~10% sample, the
//!   same on every call (so it can be paged).
//! * The cursor is opaque hex, sealed with the seed; `cursor` wins over `offset`; the `limit`
//!   may change between pages. `next_offset` is present exactly when `cursor` is not `null`.
//! * `include_latency=true` adds `latency` (seconds) to each turn; otherwise the key is absent.
//!
//! # Debug chat
//!
//! See the script in the `debug_chat` source: the agent greets, answers deterministically
//! (echoing unknown messages), and ends the conversation on any message containing `bye`.
//! `clientEnv` is required (400 `CONVERSATIONS_VALIDATION_FAILED` if missing or not
//! `sandbox`/`pre-release`/`live`). Sending to an unknown session, to a session of another
//! agent or `clientEnv`, or to an ended session answers 404 `CONVERSATIONS_NOT_FOUND`; a
//! session idle longer than [`MockServerBuilder::debug_chat_idle_timeout`] answers 400
//! `CHAT_TIMEOUT`. Sessions are conversations too: their detail, notes and annotations work.
//!
//! # Other errors
//!
//! Missing key: 401 `AUTH_USER_UNAUTHORISED`; wrong key: 401 `AUTH_USER_INVALID_TOKEN`;
//! unknown path: 404 `NOT_FOUND`; wrong method: 405 `METHOD_NOT_ALLOWED` with `Allow`; bodies
//! over 4 MiB: 413. Bad JSON bodies are 400 `CONVERSATIONS_VALIDATION_FAILED` on the
//! conversation and debug-chat routes; the Agents and webhook-endpoint routes use their own
//! codes (see above).
//!
//! # Agents and deployments
//!
//! Each agent's `main` branch, branches, knowledge-base topics and deployments are stored in
//! the server; the rules (merge conflicts, promotion order, error codes) are listed in the
//! `agents` source. The mock's own agent ([`MockServer::agent_id`]) and any agent id first seen
//! in a path start with three knowledge-base topics on `main` ("Opening hours", "Refunds",
//! "Parking") and no deployment. Deployment ids are UUIDv7-like; a deployment's `version` is
//! a hash of the `main` it deployed, so a promoted version keeps its `version`.
//!
//! # Webhook endpoints
//!
//! Endpoints are stored per server (one account). The signing secret is returned only by
//! create and rotate; [`MockServer::webhook_signing_secret`] reads the current one and
//! [`MockServer::deliver_to_endpoint`] sends a delivery signed with it (to a receiver URL of
//! your choice, since registered URLs are `https://`). See the `webhook_endpoints` source for
//! the error codes.
//!
//! # Faults and the request log
//!
//! [`FaultPlan`] schedules 503s, 429s with `Retry-After`, other statuses, connection resets
//! mid-body, truncated bodies and stalls per route and request number
//! ([`MockServerBuilder::faults`], [`MockServer::set_faults`], [`MockServer::faults_injected`]).
//! [`MockServer::requests`] returns every request (method, path, raw query, headers with the
//! key redacted, [`ApiKeyCheck`], body, status, correlation id, injected fault).
//!
//! # Webhooks
//!
//! [`WebhookSender`] (or [`MockServer::send_webhook`]) posts signed `alerts.triggered` /
//! `alerts.resolved` events the way PolyAI does; [`sign_webhook`] computes the signature.
//!
//! # Recordings
//!
//! Files are 16-bit mono PCM WAV at 8 kHz (or 16 kHz, [`MockServerBuilder::audio_sample_rate`])
//! holding sine tones that depend only on the seed, conversation and direction. Their size is
//! [`MockServerBuilder::audio_seconds`] / [`MockServerBuilder::audio_bytes`] (default 5 s), or per
//! request with the mock-only headers `x-mock-audio-bytes: N` (total file size) or
//! `x-mock-audio-seconds: S`. Only finished `VOICE-SIP` conversations have a recording; others
//! answer 404 `CONVERSATIONS_RECORDING_NOT_FOUND` (unknown ids answer 404
//! `CONVERSATIONS_NOT_FOUND`). Responses carry `Content-Length`, a strong `ETag`,
//! `Last-Modified` and `Accept-Ranges: bytes`; `Range: bytes=N-`, `bytes=N-M` and `bytes=-S`
//! answer 206 with `Content-Range`; an `If-Range` that is neither the current `ETag` nor the
//! `Last-Modified` date answers the full 200; an unsatisfiable range answers 416 with
//! `Content-Range: bytes */LEN`. `redacted=true` (or [`MockServerBuilder::pii_access`] off) mutes
//! the second quarter of the audio. Bodies are generated in 64 KiB chunks while they are sent,
//! so even 800 MiB files cost almost no memory.
//!
//! # Data
//!
//! Conversation `i` is a pure function of the seed and `i` (and the time window); only one
//! byte per conversation is precomputed, so a mock of a million conversations starts in well
//! under a second and uses about 1 MB for its data. Notes, annotations, debug-chat sessions,
//! agents (with their branches, topics and deployments) and webhook endpoints are the only
//! stored state ([`MockServer::reset_state`] forgets all of it).

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod agents;
mod audio;
mod conversations;
mod data;
mod debug_chat;
mod envelope;
mod faults;
mod log;
mod routes;
mod server;
mod time;
mod util;
mod webhook;
mod webhook_endpoints;

pub use faults::{Fault, FaultPlan, FaultRule, FaultStats, InjectedFault, Trigger};
pub use log::{ApiKeyCheck, RecordedRequest};
pub use routes::Route;
pub use server::{
    CORRELATION_HEADER, DEFAULT_ACCOUNT_ID, DEFAULT_API_KEY, DEFAULT_AUDIO_SECONDS,
    DEFAULT_CONVERSATIONS, DEFAULT_PROJECT_ID, DEFAULT_SEED, DEFAULT_WINDOW,
    DEFAULT_WINDOW_END_UNIX_MS, MAX_CONVERSATIONS, MockServer, MockServerBuilder,
};
pub use webhook::{
    AlertPayload, DeliveryOptions, WebhookDelivery, WebhookEvent, WebhookEventType, WebhookSender,
    sign as sign_webhook,
};
