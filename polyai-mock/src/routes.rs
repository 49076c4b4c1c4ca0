//! The route table: the one place an operation of the mock is declared.
//!
//! # How to add an endpoint
//!
//! 1. Write the handler in the family's module (or a new one): a plain function
//!    `pub(crate) fn my_operation(req: &Req<'_>) -> Reply` using
//!    [`Req::param`]`("agentId")` (names exactly as in the template), [`Req::query`] /
//!    [`Req::query_first`], [`Req::header`], [`Req::json`] (the one body parser: the family's
//!    bad-body error comes for free; [`Req::json_or_default`] for optional bodies,
//!    [`Req::json_with`] for an operation-specific error), `req.seq` (the request number, for
//!    generated ids) and `req.app` (configuration; `req.app.store()` locks the stored state;
//!    add a field to [`crate::state::Store`] for new state). Return
//!    `Ok(json_response(StatusCode::OK, &value))` (or `empty_response`, or any
//!    [`axum::response::Response`]) or `Err(ApiError::new(status, "CODE", "message"))`; the
//!    pipeline renders the error in the family's shape, adds the correlation id, applies the
//!    fault plan and records the request.
//! 2. Add ONE row to [`ROWS`] below: `row(GET, "/v1/...", "operation_id", &FAMILY, handler)`,
//!    with the method, the path template copied from our `openapi/*.yaml` document, and the
//!    document's `operationId` (for `x-polyai-hand-written` operations: the entry's
//!    `operation` name). Use an existing family (credentials, error shape and bad-body error
//!    are per family) or declare a new `static` [`Family`] next to the others.
//! 3. Add one line to the route list in `src/lib.rs` (a test checks the list against this
//!    table and the table against `openapi/*.yaml`).
//!
//! Imports a handler module needs: `crate::request::{Reply, Req}`, `crate::envelope::{ApiError,
//! json_response, empty_response}`, `crate::state::App` (only for helpers taking the state),
//! `crate::salts` (name a new salt there for generated ids, e.g. `token(req.app.instance_key,
//! n, salts::MY_ID, 10, true)`). A handler never imports this module. The mock's tests reach a
//! new operation over HTTP with `polyai_mock::testing::call` (or `tests/support`'s `get`,
//! `post`, ...); `polyai-mock/tests/it/route_table.rs` fails, listing the operation ids, while a
//! documented operation has no row.
//!
//! Fault rules reach the new operation as `Route::operation("operation_id")`; the request log
//! names it the same way. Literal segments beat templated ones when two templates match a path
//! (`/v1/agents/{agentId}/deployments/active` wins over `.../deployments/{deploymentId}`) among
//! the rows answering the request's method (so `GET .../connectors/lookup` is `get_connector`
//! of id `lookup`: the literal `lookup` row only answers `POST`), and
//! `GET` rows also answer `HEAD`.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};

use crate::envelope::ApiError;
use crate::request::{
    Auth, ErrorShape, Family, Handler, Req, Route, UnknownOperation, bad_request,
};
use crate::state::App;
use crate::util::{decode_segment, parse_query};
use crate::{
    agents, agents_config, alerts, audio_cache, chat, concurrency, conversations, debug_chat, dni,
    external_events, handoff, outbound, realtime_config, telephony, voices, webhook_endpoints,
};

/// One operation: method, path template (as in `openapi/*.yaml`), operation id, family,
/// handler.
pub(crate) struct Row {
    /// The HTTP method (`GET` rows also answer `HEAD`).
    pub method: Method,
    /// The path template, exactly as our OpenAPI document spells it.
    pub template: &'static str,
    /// The document's `operationId`.
    pub operation_id: &'static str,
    /// Credentials, error shape and bad-body error of the family.
    pub family: &'static Family,
    /// The function answering the operation.
    pub handler: Handler,
}

const fn row(
    method: Method,
    template: &'static str,
    operation_id: &'static str,
    family: &'static Family,
    handler: Handler,
) -> Row {
    Row {
        method,
        template,
        operation_id,
        family,
        handler,
    }
}

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PUT: Method = Method::PUT;
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;

// ---------------------------------------------------------------------------------------------
// Families

/// Conversations v3, the agent-scoped Data endpoints and debug chat.
pub(crate) static CONVERSATIONS: Family = Family {
    name: "conversations",
    auth: Auth::ApiKey,
    errors: ErrorShape::Envelope,
    bad_body: ApiError::validation,
    bad_json: ApiError::validation,
};

/// The Agents API.
pub(crate) static AGENTS: Family = Family {
    name: "agents",
    auth: Auth::ApiKey,
    errors: ErrorShape::Envelope,
    bad_body: bad_request,
    bad_json: bad_request,
};

/// Webhook endpoints.
pub(crate) static WEBHOOKS: Family = Family {
    name: "webhooks",
    auth: Auth::ApiKey,
    errors: ErrorShape::Envelope,
    bad_body: webhook_endpoints::validation,
    bad_json: bad_request,
};

/// Chat: the API key and the connector token on every call.
pub(crate) static CHAT: Family = Family {
    name: "chat",
    auth: Auth::ApiKeyAndConnectorToken,
    errors: ErrorShape::Envelope,
    bad_body: ApiError::validation,
    bad_json: ApiError::validation,
};

/// Alert rules and active alerts: validation failures are FastAPI's 422 `{detail}`.
pub(crate) static ALERTS: Family = Family {
    name: "alerts",
    auth: Auth::ApiKey,
    errors: ErrorShape::EnvelopeWithDetail422,
    bad_body: alerts::invalid_body,
    bad_json: alerts::invalid_body,
};

/// Legacy outbound calling: its own token, `{error, code}` errors.
pub(crate) static OUTBOUND: Family = Family {
    name: "outbound",
    auth: Auth::OutboundToken,
    errors: ErrorShape::Outbound,
    bad_body: outbound::bad_body,
    bad_json: outbound::bad_body,
};

/// Handoff state: `{error_message}` errors.
pub(crate) static HANDOFF: Family = Family {
    name: "handoff",
    auth: Auth::ApiKey,
    errors: ErrorShape::ErrorMessage,
    bad_body: bad_request,
    bad_json: bad_request,
};

/// Concurrent calls: `{error_message}` errors.
pub(crate) static CONCURRENCY: Family = Family {
    name: "concurrency",
    auth: Auth::ApiKey,
    errors: ErrorShape::ErrorMessage,
    bad_body: bad_request,
    bad_json: bad_request,
};

/// DNI reservations: `{success, error, message}` errors.
pub(crate) static DNI: Family = Family {
    name: "dni",
    auth: Auth::ApiKey,
    errors: ErrorShape::Dni,
    bad_body: dni::bad_body,
    bad_json: dni::bad_body,
};

/// External events: `{error_message}` errors.
pub(crate) static EXTERNAL_EVENTS: Family = Family {
    name: "external-events",
    auth: Auth::ApiKey,
    errors: ErrorShape::ErrorMessage,
    bad_body: bad_request,
    bad_json: bad_request,
};

// ---------------------------------------------------------------------------------------------
// The table

/// Every operation the mock serves.
pub(crate) static ROWS: &[Row] = &[
    // Conversations v3 (conversations.yaml)
    row(
        GET,
        "/v3/{account_id}/{project_id}/conversations",
        "list_conversations",
        &CONVERSATIONS,
        conversations::list_v3,
    ),
    // Agent-scoped conversation data (data.yaml)
    row(
        GET,
        "/v1/agents/{agentId}/conversations",
        "list_agent_conversations",
        &CONVERSATIONS,
        conversations::list_agent,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/conversations/{conversationId}",
        "get_agent_conversation",
        &CONVERSATIONS,
        conversations::detail,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/conversations/{conversationId}/annotation",
        "create_annotations",
        &CONVERSATIONS,
        conversations::annotate,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/conversations/{conversationId}/note",
        "upsert_conversation_note",
        &CONVERSATIONS,
        conversations::note,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/conversations/{conversationId}/audio",
        "get_conversation_audio",
        &CONVERSATIONS,
        conversations::audio,
    ),
    // Debug chat (debug-chat.yaml)
    row(
        POST,
        "/v1/agents/{agentId}/debug-chat",
        "start_debug_chat",
        &CONVERSATIONS,
        debug_chat::start,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/debug-chat/{conversationId}",
        "send_debug_chat_message",
        &CONVERSATIONS,
        debug_chat::send,
    ),
    // Agents (agents.yaml)
    row(
        GET,
        "/v1/accounts/{accountId}/agents",
        "list_agents",
        &AGENTS,
        agents::list_agents,
    ),
    row(
        POST,
        "/v1/accounts/{accountId}/agents",
        "create_agent",
        &AGENTS,
        agents::create_agent,
    ),
    row(
        DELETE,
        "/v1/agents/{agentId}",
        "delete_agent",
        &AGENTS,
        agents::delete_agent,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/branches",
        "list_branches",
        &AGENTS,
        agents::list_branches,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/branches",
        "create_branch",
        &AGENTS,
        agents::create_branch,
    ),
    row(
        DELETE,
        "/v1/agents/{agentId}/branches/{branchId}",
        "delete_branch",
        &AGENTS,
        agents::delete_branch,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/branches/{branchId}/merge",
        "merge_branch",
        &AGENTS,
        agents::merge_branch,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics",
        "list_knowledge_base_topics",
        &AGENTS,
        agents::list_topics,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics",
        "create_knowledge_base_topic",
        &AGENTS,
        agents::create_topic,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}",
        "get_knowledge_base_topic",
        &AGENTS,
        agents::get_topic,
    ),
    row(
        PATCH,
        "/v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}",
        "update_knowledge_base_topic",
        &AGENTS,
        agents::update_topic,
    ),
    row(
        DELETE,
        "/v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}",
        "delete_knowledge_base_topic",
        &AGENTS,
        agents::delete_topic,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/deployments",
        "list_deployments",
        &AGENTS,
        agents::list_deployments,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/deployments/active",
        "get_active_deployments",
        &AGENTS,
        agents::active_deployments,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/deployments/publish",
        "publish_deployment",
        &AGENTS,
        agents::publish,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/deployments/{deploymentId}/promote",
        "promote_deployment",
        &AGENTS,
        agents::promote,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/deployments/{deploymentId}/rollback",
        "rollback_deployment",
        &AGENTS,
        agents::rollback,
    ),
    // Agents: copies, behaviour, attributes and variants (agents.yaml; agents_config.rs)
    row(
        POST,
        "/v1/agents/{agentId}/duplicate",
        "duplicate_agent",
        &AGENTS,
        agents::duplicate,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/branches/{branchId}/behavior",
        "get_agent_behavior",
        &AGENTS,
        agents_config::get_behavior_route,
    ),
    row(
        PATCH,
        "/v1/agents/{agentId}/branches/{branchId}/behavior",
        "update_agent_behavior",
        &AGENTS,
        agents_config::update_behavior_route,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/branches/{branchId}/attributes",
        "list_attributes",
        &AGENTS,
        agents_config::list_attributes_route,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/branches/{branchId}/attributes",
        "create_attribute",
        &AGENTS,
        agents_config::create_attribute_route,
    ),
    row(
        PATCH,
        "/v1/agents/{agentId}/branches/{branchId}/attributes/{attributeId}",
        "update_attribute",
        &AGENTS,
        agents_config::update_attribute_route,
    ),
    row(
        DELETE,
        "/v1/agents/{agentId}/branches/{branchId}/attributes/{attributeId}",
        "delete_attribute",
        &AGENTS,
        agents_config::delete_attribute_route,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/branches/{branchId}/variants",
        "list_variants",
        &AGENTS,
        agents_config::list_variants_route,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/branches/{branchId}/variants",
        "create_variant",
        &AGENTS,
        agents_config::create_variant_route,
    ),
    row(
        PATCH,
        "/v1/agents/{agentId}/branches/{branchId}/variants/{variantId}",
        "update_variant",
        &AGENTS,
        agents_config::update_variant_route,
    ),
    row(
        DELETE,
        "/v1/agents/{agentId}/branches/{branchId}/variants/{variantId}",
        "delete_variant",
        &AGENTS,
        agents_config::delete_variant_route,
    ),
    // Agents: telephony and outbound calls (agents.yaml; telephony.rs)
    row(
        GET,
        "/v1/agents/{agentId}/telephony/connectors",
        "list_connectors",
        &AGENTS,
        telephony::list_connectors,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/telephony/connectors/batch",
        "batch_get_connectors",
        &AGENTS,
        telephony::batch_get_connectors,
    ),
    row(
        PATCH,
        "/v1/agents/{agentId}/telephony/connectors/batch",
        "batch_update_connectors",
        &AGENTS,
        telephony::batch_update_connectors,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/telephony/connectors/lookup",
        "lookup_connector",
        &AGENTS,
        telephony::lookup_connector,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/telephony/connectors/{connectorId}",
        "get_connector",
        &AGENTS,
        telephony::get_connector,
    ),
    row(
        PATCH,
        "/v1/agents/{agentId}/telephony/connectors/{connectorId}",
        "update_connector",
        &AGENTS,
        telephony::update_connector,
    ),
    row(
        DELETE,
        "/v1/agents/{agentId}/telephony/connectors/{connectorId}",
        "delete_connector",
        &AGENTS,
        telephony::delete_connector,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/telephony/phone-numbers",
        "list_phone_numbers",
        &AGENTS,
        telephony::list_phone_numbers,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/telephony/phone-numbers",
        "import_phone_numbers",
        &AGENTS,
        telephony::import_phone_numbers,
    ),
    row(
        DELETE,
        "/v1/agents/{agentId}/telephony/phone-numbers",
        "delete_phone_numbers",
        &AGENTS,
        telephony::delete_phone_numbers,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/telephony/phone-numbers/batch",
        "batch_get_phone_numbers",
        &AGENTS,
        telephony::batch_get_phone_numbers,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/telephony/phone-numbers/{phoneNumber}",
        "get_phone_number",
        &AGENTS,
        telephony::get_phone_number,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/telephony/phone-numbers/{phoneNumber}",
        "import_phone_number",
        &AGENTS,
        telephony::import_phone_number,
    ),
    row(
        PATCH,
        "/v1/agents/{agentId}/telephony/phone-numbers/{phoneNumber}",
        "reassign_phone_number",
        &AGENTS,
        telephony::reassign_phone_number,
    ),
    row(
        DELETE,
        "/v1/agents/{agentId}/telephony/phone-numbers/{phoneNumber}",
        "delete_phone_number",
        &AGENTS,
        telephony::delete_phone_number,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/telephony/outbound-calls",
        "place_outbound_call",
        &AGENTS,
        telephony::place_outbound_call,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/telephony/outbound-calls/{callSid}/status",
        "get_outbound_call_status",
        &AGENTS,
        telephony::get_outbound_call_status,
    ),
    // Agents: the voice library (agents.yaml; voices.rs)
    row(
        GET,
        "/v1/accounts/{accountId}/voice-library",
        "list_voices",
        &AGENTS,
        voices::list,
    ),
    row(
        POST,
        "/v1/accounts/{accountId}/voice-library",
        "create_voice",
        &AGENTS,
        voices::create,
    ),
    row(
        GET,
        "/v1/accounts/{accountId}/voice-library/{voiceId}",
        "get_voice",
        &AGENTS,
        voices::get,
    ),
    row(
        PATCH,
        "/v1/accounts/{accountId}/voice-library/{voiceId}",
        "update_voice",
        &AGENTS,
        voices::update,
    ),
    row(
        GET,
        "/v1/accounts/{accountId}/voice-library/{voiceId}/sample",
        "get_voice_sample",
        &AGENTS,
        voices::sample,
    ),
    // Agents: real-time configs (agents.yaml; realtime_config.rs)
    row(
        GET,
        "/v1/agents/{agentId}/real-time-configs",
        "list_real_time_configs",
        &AGENTS,
        realtime_config::list,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/real-time-configs/{clientEnv}",
        "get_real_time_config",
        &AGENTS,
        realtime_config::get,
    ),
    row(
        PUT,
        "/v1/agents/{agentId}/real-time-configs/{clientEnv}/schema",
        "put_real_time_config_schema",
        &AGENTS,
        realtime_config::put_schema,
    ),
    row(
        PATCH,
        "/v1/agents/{agentId}/real-time-configs/{clientEnv}/variables",
        "update_real_time_config_variables",
        &AGENTS,
        realtime_config::update_variables,
    ),
    // Agents: the audio cache (agents.yaml, two hand-written operations; audio_cache.rs)
    row(
        GET,
        "/v1/agents/{agentId}/audio-cache",
        "list_audio_cache_entries",
        &AGENTS,
        audio_cache::list,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/audio-cache/bulk-delete",
        "bulk_delete_audio_cache_entries",
        &AGENTS,
        audio_cache::bulk_delete,
    ),
    row(
        DELETE,
        "/v1/agents/{agentId}/audio-cache/{entryId}",
        "delete_audio_cache_entry",
        &AGENTS,
        audio_cache::delete,
    ),
    row(
        GET,
        "/v1/agents/{agentId}/audio-cache/{entryId}/file",
        "get_audio_cache_file",
        &AGENTS,
        audio_cache::get_file,
    ),
    row(
        PATCH,
        "/v1/agents/{agentId}/audio-cache/{entryId}/file",
        "replace_audio_cache_file",
        &AGENTS,
        audio_cache::replace_file,
    ),
    row(
        PUT,
        "/v1/agents/{agentId}/audio-cache/{entryId}/details",
        "replace_audio_cache_details",
        &AGENTS,
        audio_cache::replace_details,
    ),
    row(
        POST,
        "/v1/agents/{agentId}/audio-cache/{entryId}/synthesize",
        "synthesize_audio_preview",
        &AGENTS,
        audio_cache::synthesize,
    ),
    // Webhook endpoints (webhooks.yaml)
    row(
        GET,
        "/v1/webhook-endpoints",
        "list_webhook_endpoints",
        &WEBHOOKS,
        webhook_endpoints::list,
    ),
    row(
        POST,
        "/v1/webhook-endpoints",
        "create_webhook_endpoint",
        &WEBHOOKS,
        webhook_endpoints::create,
    ),
    row(
        GET,
        "/v1/webhook-endpoints/{endpoint_id}",
        "get_webhook_endpoint",
        &WEBHOOKS,
        webhook_endpoints::get,
    ),
    row(
        PATCH,
        "/v1/webhook-endpoints/{endpoint_id}",
        "update_webhook_endpoint",
        &WEBHOOKS,
        webhook_endpoints::update,
    ),
    row(
        DELETE,
        "/v1/webhook-endpoints/{endpoint_id}",
        "delete_webhook_endpoint",
        &WEBHOOKS,
        webhook_endpoints::delete,
    ),
    row(
        POST,
        "/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
        "rotate_webhook_signing_secret",
        &WEBHOOKS,
        webhook_endpoints::rotate,
    ),
    // Chat (chat.yaml)
    row(
        POST,
        "/{version}/{account_id}/{project_id}/chat/create",
        "create_chat",
        &CHAT,
        chat::create,
    ),
    row(
        POST,
        "/{version}/{account_id}/{project_id}/chat/respond",
        "send_chat_message",
        &CHAT,
        chat::respond,
    ),
    row(
        PUT,
        "/{version}/{account_id}/{project_id}/chat/close",
        "close_chat",
        &CHAT,
        chat::close,
    ),
    // Alerts (alerts.yaml)
    row(
        GET,
        "/v1/alert-rules",
        "list_alert_rules",
        &ALERTS,
        alerts::list,
    ),
    row(
        POST,
        "/v1/alert-rules",
        "create_alert_rule",
        &ALERTS,
        alerts::create,
    ),
    row(
        GET,
        "/v1/alert-rules/{rule_id}",
        "get_alert_rule",
        &ALERTS,
        alerts::get,
    ),
    row(
        PATCH,
        "/v1/alert-rules/{rule_id}",
        "update_alert_rule",
        &ALERTS,
        alerts::update,
    ),
    row(
        DELETE,
        "/v1/alert-rules/{rule_id}",
        "delete_alert_rule",
        &ALERTS,
        alerts::delete,
    ),
    row(
        GET,
        "/v1/alerts",
        "list_active_alerts",
        &ALERTS,
        alerts::active,
    ),
    // Legacy outbound calling (outbound.yaml)
    row(
        POST,
        "/v1/outbound-calling",
        "trigger_legacy_outbound_call",
        &OUTBOUND,
        outbound::trigger,
    ),
    row(
        GET,
        "/v1/outbound-calling/{call_sid}/status",
        "get_legacy_outbound_call_status",
        &OUTBOUND,
        outbound::status,
    ),
    // Handoff state (handoff.yaml)
    row(
        GET,
        "/v1/{account_id}/{project_id}/handoff_state",
        "get_handoff_state",
        &HANDOFF,
        handoff::get,
    ),
    // Concurrent calls (concurrent-calls.yaml)
    row(
        GET,
        "/v1/{account_id}/{project_id}/conversations/concurrency",
        "get_concurrent_calls",
        &CONCURRENCY,
        concurrency::get,
    ),
    // DNI (dni.yaml)
    row(
        POST,
        "/v1/conversations/dni-reservation",
        "reserve_dni",
        &DNI,
        dni::reserve,
    ),
    // External events (external-events.yaml, hand-written in the SDK)
    row(
        POST,
        "/v1/external-events/webhook",
        "post_external_event",
        &EXTERNAL_EVENTS,
        external_events::post,
    ),
];

// ---------------------------------------------------------------------------------------------
// Route names

#[allow(non_upper_case_globals)]
impl Route {
    /// `list_conversations`: `GET /v3/{account_id}/{project_id}/conversations`.
    pub const ListConversations: Route = Route("list_conversations");
    /// `list_agent_conversations`: `GET /v1/agents/{agentId}/conversations`.
    pub const ListAgentConversations: Route = Route("list_agent_conversations");
    /// `get_agent_conversation`: `GET /v1/agents/{agentId}/conversations/{conversationId}`.
    pub const GetConversation: Route = Route("get_agent_conversation");
    /// `create_annotations`: `POST .../conversations/{conversationId}/annotation`.
    pub const AddAnnotations: Route = Route("create_annotations");
    /// `upsert_conversation_note`: `POST .../conversations/{conversationId}/note`.
    pub const UpsertNote: Route = Route("upsert_conversation_note");
    /// `get_conversation_audio`: `GET .../conversations/{conversationId}/audio`.
    pub const GetAudio: Route = Route("get_conversation_audio");
    /// `start_debug_chat`: `POST /v1/agents/{agentId}/debug-chat`.
    pub const StartDebugChat: Route = Route("start_debug_chat");
    /// `send_debug_chat_message`: `POST /v1/agents/{agentId}/debug-chat/{conversationId}`.
    pub const SendDebugChat: Route = Route("send_debug_chat_message");
    /// `list_agents`: `GET /v1/accounts/{accountId}/agents`.
    pub const ListAgents: Route = Route("list_agents");
    /// `create_agent`: `POST /v1/accounts/{accountId}/agents`.
    pub const CreateAgent: Route = Route("create_agent");
    /// `delete_agent`: `DELETE /v1/agents/{agentId}`.
    pub const DeleteAgent: Route = Route("delete_agent");
    /// `list_branches`: `GET /v1/agents/{agentId}/branches`.
    pub const ListBranches: Route = Route("list_branches");
    /// `create_branch`: `POST /v1/agents/{agentId}/branches`.
    pub const CreateBranch: Route = Route("create_branch");
    /// `delete_branch`: `DELETE /v1/agents/{agentId}/branches/{branchId}`.
    pub const DeleteBranch: Route = Route("delete_branch");
    /// `merge_branch`: `POST /v1/agents/{agentId}/branches/{branchId}/merge`.
    pub const MergeBranch: Route = Route("merge_branch");
    /// `list_knowledge_base_topics`: `GET .../branches/{branchId}/knowledge-base/topics`.
    pub const ListKnowledgeBaseTopics: Route = Route("list_knowledge_base_topics");
    /// `create_knowledge_base_topic`: `POST .../knowledge-base/topics`.
    pub const CreateKnowledgeBaseTopic: Route = Route("create_knowledge_base_topic");
    /// `get_knowledge_base_topic`: `GET .../knowledge-base/topics/{topicId}`.
    pub const GetKnowledgeBaseTopic: Route = Route("get_knowledge_base_topic");
    /// `update_knowledge_base_topic`: `PATCH .../knowledge-base/topics/{topicId}`.
    pub const UpdateKnowledgeBaseTopic: Route = Route("update_knowledge_base_topic");
    /// `delete_knowledge_base_topic`: `DELETE .../knowledge-base/topics/{topicId}`.
    pub const DeleteKnowledgeBaseTopic: Route = Route("delete_knowledge_base_topic");
    /// `list_deployments`: `GET /v1/agents/{agentId}/deployments`.
    pub const ListDeployments: Route = Route("list_deployments");
    /// `get_active_deployments`: `GET /v1/agents/{agentId}/deployments/active`.
    pub const GetActiveDeployments: Route = Route("get_active_deployments");
    /// `publish_deployment`: `POST /v1/agents/{agentId}/deployments/publish`.
    pub const PublishDeployment: Route = Route("publish_deployment");
    /// `promote_deployment`: `POST .../deployments/{deploymentId}/promote`.
    pub const PromoteDeployment: Route = Route("promote_deployment");
    /// `rollback_deployment`: `POST .../deployments/{deploymentId}/rollback`.
    pub const RollbackDeployment: Route = Route("rollback_deployment");
    /// `list_webhook_endpoints`: `GET /v1/webhook-endpoints`.
    pub const ListWebhookEndpoints: Route = Route("list_webhook_endpoints");
    /// `create_webhook_endpoint`: `POST /v1/webhook-endpoints`.
    pub const CreateWebhookEndpoint: Route = Route("create_webhook_endpoint");
    /// `get_webhook_endpoint`: `GET /v1/webhook-endpoints/{endpoint_id}`.
    pub const GetWebhookEndpoint: Route = Route("get_webhook_endpoint");
    /// `update_webhook_endpoint`: `PATCH /v1/webhook-endpoints/{endpoint_id}`.
    pub const UpdateWebhookEndpoint: Route = Route("update_webhook_endpoint");
    /// `delete_webhook_endpoint`: `DELETE /v1/webhook-endpoints/{endpoint_id}`.
    pub const DeleteWebhookEndpoint: Route = Route("delete_webhook_endpoint");
    /// `rotate_webhook_signing_secret`: `POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret`.
    pub const RotateWebhookSigningSecret: Route = Route("rotate_webhook_signing_secret");
}

impl Route {
    /// Every operation the mock serves, in table order.
    pub fn all() -> impl Iterator<Item = Route> {
        ROWS.iter().map(|r| Route(r.operation_id))
    }

    /// The operation with this `operationId` (as in `openapi/*.yaml`, e.g.
    /// `"get_conversation_audio"`).
    pub fn operation(operation_id: &str) -> Result<Route, UnknownOperation> {
        ROWS.iter()
            .find(|r| r.operation_id == operation_id)
            .map(|r| Route(r.operation_id))
            .ok_or_else(|| UnknownOperation {
                operation_id: operation_id.to_owned(),
            })
    }

    /// The operation id (`list_conversations`, ...).
    pub fn operation_id(self) -> &'static str {
        self.0
    }

    fn row(self) -> Option<&'static Row> {
        ROWS.iter().find(|r| r.operation_id == self.0)
    }

    /// The HTTP method the operation answers (`GET` operations also answer `HEAD`).
    pub fn method(self) -> Method {
        self.row().map_or(Method::GET, |r| r.method.clone())
    }

    /// The path template, as our OpenAPI document writes it.
    pub fn template(self) -> &'static str {
        self.row().map_or("", |r| r.template)
    }

    /// The operation the mock's router hands this method and path to (the path as sent,
    /// percent-encoded, without the query), or `None` when the router itself answers 404
    /// `NOT_FOUND` (no template matches) or 405 `METHOD_NOT_ALLOWED` (no matching template
    /// has the method). A 404 the operation's handler answers (an unknown id) is not the
    /// router's: the method and path still resolve.
    ///
    /// ```
    /// use polyai_mock::Route;
    /// use axum::http::Method;
    ///
    /// let route = Route::resolve(&Method::GET, "/v1/agents/A/deployments/active").unwrap();
    /// assert_eq!(route.operation_id(), "get_active_deployments");
    /// assert!(Route::resolve(&Method::PUT, "/v1/agents/A/deployments/active").is_none());
    /// assert!(Route::resolve(&Method::GET, "/v9/nothing").is_none());
    /// ```
    pub fn resolve(method: &Method, path: &str) -> Option<Route> {
        match resolve(method, path) {
            Resolution::Found(m) => Some(Route(m.row().operation_id)),
            Resolution::MethodNotAllowed(_) | Resolution::NotFound => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Matching

/// One segment of a compiled template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(&'static str),
    Param(&'static str),
}

fn compile(template: &'static str) -> Vec<Segment> {
    template
        .trim_start_matches('/')
        .split('/')
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name),
                None => Segment::Literal(s),
            },
        )
        .collect()
}

fn compiled() -> &'static [Vec<Segment>] {
    static COMPILED: OnceLock<Vec<Vec<Segment>>> = OnceLock::new();
    COMPILED.get_or_init(|| ROWS.iter().map(|r| compile(r.template)).collect())
}

/// A path matched against the table: the row and its decoded path parameters by name.
#[derive(Debug, Clone)]
pub(crate) struct Matched {
    /// Index into [`ROWS`].
    pub index: usize,
    pub params: Vec<(&'static str, String)>,
}

impl Matched {
    pub fn row(&self) -> &'static Row {
        &ROWS[self.index]
    }

    /// The one constructor of a handler's [`Req`]: the matched row's parameters and family,
    /// with the query still raw (decoded here).
    #[allow(clippy::too_many_arguments)] // each is one part of the request
    pub fn request<'a>(
        self,
        app: &'a App,
        seq: u64,
        method: &'a Method,
        path: &'a str,
        raw_query: Option<&str>,
        headers: &'a HeaderMap,
        body: &'a Bytes,
    ) -> Req<'a> {
        Req {
            app,
            seq,
            method,
            path,
            family: ROWS[self.index].family,
            params: self.params,
            query: parse_query(raw_query),
            headers,
            body,
        }
    }
}

/// What the path and method resolve to.
#[derive(Debug)]
pub(crate) enum Resolution {
    Found(Matched),
    /// The path exists but not for this method: the `Allow` header value.
    MethodNotAllowed(String),
    NotFound,
}

/// Whether `template` matches the decoded segments; literal segments compare exactly.
fn matches(template: &[Segment], segments: &[String]) -> bool {
    template.len() == segments.len()
        && template.iter().zip(segments).all(|(t, s)| match t {
            Segment::Literal(lit) => lit == s,
            Segment::Param(_) => true,
        })
}

/// Orders two matching templates: the one with a literal at the first differing position is
/// more specific.
fn more_specific(a: &[Segment], b: &[Segment]) -> bool {
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (Segment::Literal(_), Segment::Param(_)) => return true,
            (Segment::Param(_), Segment::Literal(_)) => return false,
            _ => {}
        }
    }
    false
}

/// Resolves method and path (the path not yet percent-decoded).
pub(crate) fn resolve(method: &Method, path: &str) -> Resolution {
    let Some(rest) = path.strip_prefix('/') else {
        return Resolution::NotFound;
    };
    let raw: Vec<&str> = rest.split('/').collect();
    if raw.iter().any(|s| s.is_empty()) {
        return Resolution::NotFound;
    }
    let segments: Vec<String> = raw.iter().map(|s| decode_segment(s)).collect();
    if segments.iter().any(String::is_empty) {
        return Resolution::NotFound;
    }
    let compiled = compiled();
    // Among the rows whose template matches the path AND that answer the method, the most
    // specific wins; the method is checked first so that a literal template without the
    // method (`POST .../connectors/lookup`) does not hide a templated one with it
    // (`GET .../connectors/{connectorId}`).
    let mut best: Option<usize> = None;
    let mut path_matched = false;
    for (i, template) in compiled.iter().enumerate() {
        if !matches(template, &segments) {
            continue;
        }
        path_matched = true;
        if answers(&ROWS[i].method, method)
            && best.is_none_or(|b| more_specific(template, &compiled[b]))
        {
            best = Some(i);
        }
    }
    if let Some(index) = best {
        let params = compiled[index]
            .iter()
            .zip(segments)
            .filter_map(|(t, s)| match t {
                Segment::Param(name) => Some((*name, s)),
                Segment::Literal(_) => None,
            })
            .collect();
        return Resolution::Found(Matched { index, params });
    }
    if !path_matched {
        return Resolution::NotFound;
    }
    // Every method some matching template answers, in table order.
    let mut methods: Vec<&str> = Vec::new();
    for (template, r) in compiled.iter().zip(ROWS) {
        if !matches(template, &segments) {
            continue;
        }
        let answered: &[&str] = if r.method == Method::GET {
            &["GET", "HEAD"]
        } else {
            &[r.method.as_str()]
        };
        for m in answered {
            if !methods.contains(m) {
                methods.push(m);
            }
        }
    }
    Resolution::MethodNotAllowed(methods.join(", "))
}

/// Whether a row declared for `declared` answers a request with `method` (`GET` rows also
/// answer `HEAD`).
fn answers(declared: &Method, method: &Method) -> bool {
    method == declared || (*declared == Method::GET && *method == Method::HEAD)
}

/// 404 for a path no row matches.
pub(crate) fn not_found(method: &Method, path: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("No route matches {method} {path}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(method: Method, path: &str) -> Option<(&'static str, Vec<(&'static str, String)>)> {
        match resolve(&method, path) {
            Resolution::Found(m) => Some((m.row().operation_id, m.params)),
            _ => None,
        }
    }

    #[test]
    fn paths_resolve_with_named_parameters() {
        let (op, params) = found(Method::GET, "/v3/ws-abc/PROJECT-1/conversations").unwrap();
        assert_eq!(op, "list_conversations");
        assert_eq!(
            params,
            [
                ("account_id", "ws-abc".to_owned()),
                ("project_id", "PROJECT-1".to_owned())
            ]
        );
        let (op, params) =
            found(Method::GET, "/v1/agents/my%20agent/conversations/CA1/audio").unwrap();
        assert_eq!(op, "get_conversation_audio");
        assert_eq!(params[0], ("agentId", "my agent".to_owned()));
        assert_eq!(params[1], ("conversationId", "CA1".to_owned()));
        assert!(found(Method::GET, "/v1/agents/a/conversations/").is_none());
        assert!(found(Method::GET, "/v1/agents//conversations").is_none());
        assert!(found(Method::GET, "/").is_none());
        assert!(matches!(
            resolve(&Method::DELETE, "/v1/agents/a/debug-chat"),
            Resolution::MethodNotAllowed(ref allow) if allow == "POST"
        ));
    }

    #[test]
    fn literal_segments_beat_templated_ones() {
        assert_eq!(
            found(Method::GET, "/v1/agents/A/deployments/active").map(|r| r.0),
            Some("get_active_deployments")
        );
        assert_eq!(
            found(Method::POST, "/v1/agents/A/deployments/D1/promote").map(|r| r.0),
            Some("promote_deployment")
        );
        // `/v1/{account_id}/{project_id}/conversations/concurrency` and
        // `/v1/agents/{agentId}/conversations/{conversationId}` overlap only for an account
        // named `agents`, where the literal wins.
        assert_eq!(
            found(Method::GET, "/v1/ws-1/PROJECT-1/conversations/concurrency").map(|r| r.0),
            Some("get_concurrent_calls")
        );
        assert_eq!(
            found(Method::GET, "/v1/agents/A/conversations/concurrency").map(|r| r.0),
            Some("get_agent_conversation")
        );
        // Chat's templated version segment still loses to the literal `v1` of other rows.
        assert_eq!(
            found(Method::POST, "/v2/ws-1/PROJECT-1/chat/create").map(|r| r.0),
            Some("create_chat")
        );
        assert!(matches!(
            resolve(&Method::GET, "/v1/ws-1/PROJECT-1/chat/close"),
            Resolution::MethodNotAllowed(ref allow) if allow == "PUT"
        ));
    }

    #[test]
    fn shared_paths_pick_the_row_by_method() {
        let topic = "/v1/agents/A/branches/BRANCH-1/knowledge-base/topics/T1";
        let (op, params) = found(Method::PATCH, topic).unwrap();
        assert_eq!(op, "update_knowledge_base_topic");
        assert_eq!(params[2], ("topicId", "T1".to_owned()));
        assert_eq!(
            found(Method::DELETE, topic).map(|r| r.0),
            Some("delete_knowledge_base_topic")
        );
        assert_eq!(
            found(Method::HEAD, topic).map(|r| r.0),
            Some("get_knowledge_base_topic")
        );
        assert_eq!(
            found(Method::POST, "/v1/webhook-endpoints").map(|r| r.0),
            Some("create_webhook_endpoint")
        );
        match resolve(&Method::PUT, "/v1/webhook-endpoints/whe_1") {
            Resolution::MethodNotAllowed(allow) => {
                assert_eq!(allow, "GET, HEAD, PATCH, DELETE");
            }
            other => panic!("{other:?}"),
        }
    }

    /// Concrete paths for `row`: its template with plain values, and once per other template
    /// of the same length with each parameter set to the other template's literal at that
    /// position (the paths where a more specific template could shadow the row).
    fn concrete_paths(row: &Row) -> Vec<String> {
        let own = compile(row.template);
        let plain: Vec<Segment> = own.iter().map(|_| Segment::Param("")).collect();
        let mut others: Vec<Vec<Segment>> = vec![plain];
        others.extend(compiled().iter().filter(|t| t.len() == own.len()).cloned());
        let mut paths: Vec<String> = others
            .iter()
            .map(|other| {
                own.iter()
                    .zip(other)
                    .map(|(mine, theirs)| match (mine, theirs) {
                        (Segment::Literal(l), _) => format!("/{l}"),
                        (Segment::Param(_), Segment::Literal(l)) => format!("/{l}"),
                        (Segment::Param(name), Segment::Param(_)) => format!("/x{name}"),
                    })
                    .collect()
            })
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }

    /// What the router answered before the method was checked first: the most specific
    /// template matching the path, whatever its methods.
    fn shadowing_template(path: &str) -> Option<&'static str> {
        let segments: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(decode_segment)
            .collect();
        let compiled = compiled();
        let mut best: Option<usize> = None;
        for (i, t) in compiled.iter().enumerate() {
            if matches(t, &segments) && best.is_none_or(|b| more_specific(t, &compiled[b])) {
                best = Some(i);
            }
        }
        best.map(|i| ROWS[i].template)
    }

    #[test]
    fn every_row_is_reachable_with_its_method_from_every_concrete_path() {
        let mut shadowed: Vec<String> = Vec::new();
        for r in ROWS {
            let own = compile(r.template);
            for path in concrete_paths(r) {
                let Resolution::Found(m) = resolve(&r.method, &path) else {
                    panic!("{} {path} ({}) does not resolve", r.method, r.operation_id);
                };
                let got = m.row();
                // Either the row itself, or a more specific row answering the same method
                // (`GET .../deployments/active` is not `get_deployment` of id `active`).
                assert!(
                    got.operation_id == r.operation_id
                        || (got.method == r.method && more_specific(&compile(got.template), &own)),
                    "{} {path}: expected {}, got {}",
                    r.method,
                    r.operation_id,
                    got.operation_id
                );
                let shadow = shadowing_template(&path).expect("the path matches its own row");
                if !ROWS
                    .iter()
                    .any(|o| o.template == shadow && answers(&o.method, &r.method))
                {
                    shadowed.push(format!("{} {path} -> {}", r.method, got.operation_id));
                }
            }
        }
        // The requests a method-blind choice of template answered 405 instead of routing.
        assert_eq!(
            shadowed, SHADOWED,
            "the rows a more specific template without their method would shadow changed"
        );
    }

    /// Every request where a literal template without the method overlaps a templated one
    /// with it (the id `batch`, `lookup` or `bulk-delete`).
    const SHADOWED: &[&str] = &[
        "GET /v1/agents/xagentId/telephony/connectors/batch -> get_connector",
        "GET /v1/agents/xagentId/telephony/connectors/lookup -> get_connector",
        "PATCH /v1/agents/xagentId/telephony/connectors/lookup -> update_connector",
        "DELETE /v1/agents/xagentId/telephony/connectors/batch -> delete_connector",
        "DELETE /v1/agents/xagentId/telephony/connectors/lookup -> delete_connector",
        "GET /v1/agents/xagentId/telephony/phone-numbers/batch -> get_phone_number",
        "PATCH /v1/agents/xagentId/telephony/phone-numbers/batch -> reassign_phone_number",
        "DELETE /v1/agents/xagentId/telephony/phone-numbers/batch -> delete_phone_number",
        "DELETE /v1/agents/xagentId/audio-cache/bulk-delete -> delete_audio_cache_entry",
    ];

    #[test]
    fn a_literal_template_without_the_method_does_not_hide_a_templated_one() {
        let lookup = "/v1/agents/A/telephony/connectors/lookup";
        assert_eq!(
            found(Method::POST, lookup).map(|r| r.0),
            Some("lookup_connector")
        );
        let (op, params) = found(Method::GET, lookup).unwrap();
        assert_eq!(op, "get_connector");
        assert_eq!(params[1], ("connectorId", "lookup".to_owned()));
        assert_eq!(
            found(Method::DELETE, lookup).map(|r| r.0),
            Some("delete_connector")
        );
        // Allow lists every method of every template matching the path.
        match resolve(&Method::PUT, lookup) {
            Resolution::MethodNotAllowed(allow) => {
                assert_eq!(allow, "POST, GET, HEAD, PATCH, DELETE");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rows_are_unique() {
        let mut ids: Vec<&str> = ROWS.iter().map(|r| r.operation_id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "an operation id appears twice");
        let mut keys: Vec<(String, String)> = ROWS
            .iter()
            .map(|r| {
                let shape: Vec<String> = compile(r.template)
                    .into_iter()
                    .map(|s| match s {
                        Segment::Literal(l) => l.to_owned(),
                        Segment::Param(_) => "{}".to_owned(),
                    })
                    .collect();
                (r.method.to_string(), shape.join("/"))
            })
            .collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(
            keys.len(),
            before,
            "two rows serve the same method and path"
        );
    }

    #[test]
    fn route_names_are_rows() {
        for route in [
            Route::ListConversations,
            Route::ListAgentConversations,
            Route::GetConversation,
            Route::AddAnnotations,
            Route::UpsertNote,
            Route::GetAudio,
            Route::StartDebugChat,
            Route::SendDebugChat,
            Route::ListAgents,
            Route::CreateAgent,
            Route::DeleteAgent,
            Route::ListBranches,
            Route::CreateBranch,
            Route::DeleteBranch,
            Route::MergeBranch,
            Route::ListKnowledgeBaseTopics,
            Route::CreateKnowledgeBaseTopic,
            Route::GetKnowledgeBaseTopic,
            Route::UpdateKnowledgeBaseTopic,
            Route::DeleteKnowledgeBaseTopic,
            Route::ListDeployments,
            Route::GetActiveDeployments,
            Route::PublishDeployment,
            Route::PromoteDeployment,
            Route::RollbackDeployment,
            Route::ListWebhookEndpoints,
            Route::CreateWebhookEndpoint,
            Route::GetWebhookEndpoint,
            Route::UpdateWebhookEndpoint,
            Route::DeleteWebhookEndpoint,
            Route::RotateWebhookSigningSecret,
        ] {
            assert_eq!(Route::operation(route.operation_id()), Ok(route));
            assert!(!route.template().is_empty());
        }
        assert!(Route::operation("no_such_operation").is_err());
    }
}
