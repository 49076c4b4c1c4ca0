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
//! [`MockServer::base_url`] for both. Every response carries `X-PolyAI-Correlation-Id`. Any
//! account, project or agent id is accepted in paths. Each family checks its own credentials
//! and writes its own error shape:
//!
//! | family | credentials | errors |
//! |---|---|---|
//! | Conversations, Data, Debug chat, Agents, Webhook endpoints, Handoff, Concurrent calls, DNI, External events | `x-api-key` ([`MockServerBuilder::api_key`]) | the envelope `{"success": false, "error", "error_id", "error_code", "error_message", "data"}` with `error_id` equal to the correlation header; Handoff, Concurrent calls and External events `{error_message}`; DNI `{success: false, error, message}` |
//! | Chat | `x-api-key` **and** `X-TOKEN` ([`MockServerBuilder::connector_token`]) | the envelope |
//! | Alerts | `x-api-key` | the envelope, but validation failures are 422 `{"detail": [{loc, msg, type}]}` |
//! | Legacy outbound | `X-PolyAi-Auth-Token` ([`MockServerBuilder::outbound_token`]), no API key | `{error, code}` |
//!
//! A missing credential is 401 `AUTH_USER_UNAUTHORISED`, a wrong one 401
//! `AUTH_USER_INVALID_TOKEN` (in the family's shape). Fault plans apply to every operation, and
//! their errors use the family's shape too.
//!
//! Every operation, one row each (a test checks this list against the route table, and the
//! table against `openapi/*.yaml`; `GET` rows also answer `HEAD`):
//!
//! <!-- routes -->
//! | operation | operation id | behaviour |
//! |---|---|---|
//! | `GET /v3/{account_id}/{project_id}/conversations` | `list_conversations` | the v3 listing (snake_case): cursor and offset pagination, filters `client_env` (default `live`), repeated `channel`, `start_time`/`end_time` (start inclusive, end exclusive), `variant_id` xor `variant_name`, `in_progress`, `include_latency`, `query_type` + `query` (+ `turn_type`), `sample=random`; `limit` 1..=1000, default 1000 |
//! | `GET /v1/agents/{agentId}/conversations` | `list_agent_conversations` | the agent-scoped list (camelCase): `limit` (default 50, at least 1) and `offset`; `{conversations, count, limit, offset}` |
//! | `GET /v1/agents/{agentId}/conversations/{conversationId}` | `get_agent_conversation` | the detail: camelCase with snake_case turns, metrics, function events, stored `note` and `annotations` |
//! | `POST /v1/agents/{agentId}/conversations/{conversationId}/annotation` | `create_annotations` | `{"annotations": [{turnId, role, annotationType}]}`, at least one item; 201 `{"success": true}` |
//! | `POST /v1/agents/{agentId}/conversations/{conversationId}/note` | `upsert_conversation_note` | `{"note": "..."}`, replaces the note; 201 `{"success": true}` |
//! | `GET /v1/agents/{agentId}/conversations/{conversationId}/audio` | `get_conversation_audio` | a WAV recording (`direction`, `redacted`), streamed, with `Range`/`If-Range`/`ETag` |
//! | `POST /v1/agents/{agentId}/debug-chat` | `start_debug_chat` | starts a scripted debug-chat session; 201 with the greeting |
//! | `POST /v1/agents/{agentId}/debug-chat/{conversationId}` | `send_debug_chat_message` | sends a message; 200 with the answer |
//! | `GET /v1/accounts/{accountId}/agents` | `list_agents` | the account's agents (bare array) |
//! | `POST /v1/accounts/{accountId}/agents` | `create_agent` | creates an agent (**200**) |
//! | `DELETE /v1/agents/{agentId}` | `delete_agent` | deletes an agent (204) |
//! | `GET /v1/agents/{agentId}/branches` | `list_branches` | branches, `main` included |
//! | `POST /v1/agents/{agentId}/branches` | `create_branch` | 201 `{branchId, sequenceId}` |
//! | `DELETE /v1/agents/{agentId}/branches/{branchId}` | `delete_branch` | 200 with the sequence |
//! | `POST /v1/agents/{agentId}/branches/{branchId}/merge` | `merge_branch` | three-way merge into `main` (400 with the conflicts in `data`), then an automatic sandbox deployment |
//! | `GET /v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics` | `list_knowledge_base_topics` | a branch's topics |
//! | `POST /v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics` | `create_knowledge_base_topic` | 201; `main` is read-only (422) |
//! | `GET /v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}` | `get_knowledge_base_topic` | one topic |
//! | `PATCH /v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}` | `update_knowledge_base_topic` | **204** |
//! | `DELETE /v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}` | `delete_knowledge_base_topic` | **204** |
//! | `GET /v1/agents/{agentId}/deployments` | `list_deployments` | newest first; `environment=`, `limit=` |
//! | `GET /v1/agents/{agentId}/deployments/active` | `get_active_deployments` | what each environment runs (`null` when nothing) |
//! | `POST /v1/agents/{agentId}/deployments/publish` | `publish_deployment` | publishes `main` (201; 409 `DEPLOYMENTS_ALREADY_PUBLISHED` when already there) |
//! | `POST /v1/agents/{agentId}/deployments/{deploymentId}/promote` | `promote_deployment` | sandbox → pre-release → live (412 `ErrPreReleaseNotReady` for live first) |
//! | `POST /v1/agents/{agentId}/deployments/{deploymentId}/rollback` | `rollback_deployment` | 200 |
//! | `POST /v1/agents/{agentId}/duplicate` | `duplicate_agent` | a new agent holding a copy of the source's `main` (topics, behaviour, attributes, variants); **200**; ids in use 409 |
//! | `GET /v1/agents/{agentId}/branches/{branchId}/behavior` | `get_agent_behavior` | the branch's behaviour rules (404 `AGENT_RULES_NOT_FOUND` when none) |
//! | `PATCH /v1/agents/{agentId}/branches/{branchId}/behavior` | `update_agent_behavior` | replaces them; `main` is read-only (422) |
//! | `GET /v1/agents/{agentId}/branches/{branchId}/attributes` | `list_attributes` | the branch's variant attributes |
//! | `POST /v1/agents/{agentId}/branches/{branchId}/attributes` | `create_attribute` | 201 `{id, name}`; names unique per branch (409) |
//! | `PATCH /v1/agents/{agentId}/branches/{branchId}/attributes/{attributeId}` | `update_attribute` | renames; 200 |
//! | `DELETE /v1/agents/{agentId}/branches/{branchId}/attributes/{attributeId}` | `delete_attribute` | 200 `{id}`; drops every variant's value for it |
//! | `GET /v1/agents/{agentId}/branches/{branchId}/variants` | `list_variants` | the branch's variants, `attributeValues.values` keyed by attribute id |
//! | `POST /v1/agents/{agentId}/branches/{branchId}/variants` | `create_variant` | 201; unknown attribute ids 400 `VARIANTS_BAD_ATTRIBUTES_ERROR`, names unique (409); the first is the default |
//! | `PATCH /v1/agents/{agentId}/branches/{branchId}/variants/{variantId}` | `update_variant` | partial; `isDefault: true` makes it the only default |
//! | `DELETE /v1/agents/{agentId}/branches/{branchId}/variants/{variantId}` | `delete_variant` | 200 `{id}`; the default stays (400 `VARIANTS_REMOVE_DEFAULT_ERROR`) |
//! | `GET /v1/accounts/{accountId}/voice-library` | `list_voices` | four curated voices seeded per account plus the account's own; filters `language`, `gender`, `provider`, `isPolyVoice` |
//! | `POST /v1/accounts/{accountId}/voice-library` | `create_voice` | 200 `{voice}` (`VOICE-...`) |
//! | `GET /v1/accounts/{accountId}/voice-library/{voiceId}` | `get_voice` | 200 `{voice}`; 404 `VOICE_NOT_FOUND` |
//! | `PATCH /v1/accounts/{accountId}/voice-library/{voiceId}` | `update_voice` | partial; curated voices are read-only (403) |
//! | `GET /v1/accounts/{accountId}/voice-library/{voiceId}/sample` | `get_voice_sample` | a sample link (not served) valid 3600 s |
//! | `GET /v1/agents/{agentId}/real-time-configs` | `list_real_time_configs` | one page per environment |
//! | `GET /v1/agents/{agentId}/real-time-configs/{clientEnv}` | `get_real_time_config` | one page; unknown environments 400 `REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT` |
//! | `PUT /v1/agents/{agentId}/real-time-configs/{clientEnv}/schema` | `put_real_time_config_schema` | replaces the draft 7 schema (400 `REAL_TIME_CONFIG_INVALID_SCHEMA`) |
//! | `PATCH /v1/agents/{agentId}/real-time-configs/{clientEnv}/variables` | `update_real_time_config_variables` | merges top-level keys; the result must satisfy the schema (400 `REAL_TIME_CONFIG_INVALID_FOR_SCHEMA`) |
//! | `GET /v1/agents/{agentId}/telephony/connectors` | `list_connectors` | one connector per environment seeded ([`MockServer::add_connector`] adds more) |
//! | `POST /v1/agents/{agentId}/telephony/connectors/batch` | `batch_get_connectors` | `{found, notFound}` |
//! | `PATCH /v1/agents/{agentId}/telephony/connectors/batch` | `batch_update_connectors` | each update on its own: `{results: [{connectorId, success, data or error}]}` |
//! | `POST /v1/agents/{agentId}/telephony/connectors/lookup` | `lookup_connector` | the connector an E.164 number routes to |
//! | `GET /v1/agents/{agentId}/telephony/connectors/{connectorId}` | `get_connector` | one connector; 404 `CONNECTORS_NOT_FOUND` |
//! | `PATCH /v1/agents/{agentId}/telephony/connectors/{connectorId}` | `update_connector` | partial; `voiceName` sets `ttsLangCode`; `projectId` moves it to that agent |
//! | `DELETE /v1/agents/{agentId}/telephony/connectors/{connectorId}` | `delete_connector` | releases its numbers: `{deletedConnector, deletedPhoneNumbers}` |
//! | `GET /v1/agents/{agentId}/telephony/phone-numbers` | `list_phone_numbers` | one live number seeded; filter `connectorId` |
//! | `POST /v1/agents/{agentId}/telephony/phone-numbers` | `import_phone_numbers` | 201 `{imported}`; E.164 only (400), unique across the mock (409) |
//! | `DELETE /v1/agents/{agentId}/telephony/phone-numbers` | `delete_phone_numbers` | the numbers in the body, each on its own: `{deleted, errors?}` |
//! | `POST /v1/agents/{agentId}/telephony/phone-numbers/batch` | `batch_get_phone_numbers` | `{found, notFound}` |
//! | `GET /v1/agents/{agentId}/telephony/phone-numbers/{phoneNumber}` | `get_phone_number` | one number (`+` raw or `%2B`); 404 `PHONE_NUMBERS_NOT_FOUND` |
//! | `POST /v1/agents/{agentId}/telephony/phone-numbers/{phoneNumber}` | `import_phone_number` | 201 `{imported}`; body optional (`clientEnv`, default `live`) |
//! | `PATCH /v1/agents/{agentId}/telephony/phone-numbers/{phoneNumber}` | `reassign_phone_number` | routes it to another connector (404 `PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST`) |
//! | `DELETE /v1/agents/{agentId}/telephony/phone-numbers/{phoneNumber}` | `delete_phone_number` | 200 `{deleted}` |
//! | `POST /v1/agents/{agentId}/telephony/outbound-calls` | `place_outbound_call` | 200 `{callSid: "OUT-...", status: "QUEUED"}`; 404 without a connector for the environment ([`MockServer::agent_outbound_calls`]) |
//! | `GET /v1/agents/{agentId}/telephony/outbound-calls/{callSid}/status` | `get_outbound_call_status` | `CALLING`, then `SUCCESS` (`FAILURE` for numbers ending `0000`), one step per read; `environment=` required |
//! | `GET /v1/agents/{agentId}/audio-cache` | `list_audio_cache_entries` | six entries seeded per agent ([`MockServer::add_audio_cache_entry`] adds more); `limit` 1..=200, `offset`, `sort` `field:asc|desc` |
//! | `POST /v1/agents/{agentId}/audio-cache/bulk-delete` | `bulk_delete_audio_cache_entries` | 1 to 20 ids, best effort: `{deleted, failed}` |
//! | `DELETE /v1/agents/{agentId}/audio-cache/{entryId}` | `delete_audio_cache_entry` | 200 `{success: true}`; non-numeric ids 400 "Invalid ID" |
//! | `GET /v1/agents/{agentId}/audio-cache/{entryId}/file` | `get_audio_cache_file` | the entry's WAV |
//! | `PATCH /v1/agents/{agentId}/audio-cache/{entryId}/file` | `replace_audio_cache_file` | raw WAV up to 6 MiB, optional `X-Filename`; 204, read back by the download |
//! | `PUT /v1/agents/{agentId}/audio-cache/{entryId}/details` | `replace_audio_cache_details` | multipart `file` + `settings` (`{text, config}`); 204; sets the transcript |
//! | `POST /v1/agents/{agentId}/audio-cache/{entryId}/synthesize` | `synthesize_audio_preview` | a WAV as long as the text; saves nothing |
//! | `GET /v1/webhook-endpoints` | `list_webhook_endpoints` | filters `enabled`, `event_type` |
//! | `POST /v1/webhook-endpoints` | `create_webhook_endpoint` | 201 with `signing_secret`; at most 10 (409) |
//! | `GET /v1/webhook-endpoints/{endpoint_id}` | `get_webhook_endpoint` | malformed ids 422 |
//! | `PATCH /v1/webhook-endpoints/{endpoint_id}` | `update_webhook_endpoint` | partial update |
//! | `DELETE /v1/webhook-endpoints/{endpoint_id}` | `delete_webhook_endpoint` | 204 |
//! | `POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret` | `rotate_webhook_signing_secret` | 200 `{signing_secret}` |
//! | `POST /{version}/{account_id}/{project_id}/chat/create` | `create_chat` | optional body (`channel` webchat, whatsapp, sms or api); 200 `{conversation_id, response}` with the greeting |
//! | `POST /{version}/{account_id}/{project_id}/chat/respond` | `send_chat_message` | the debug-chat script; `end_conversation` on `bye` or a handoff; 410 `ChatConversationEnded` after the end; 400 `CHAT_TIMEOUT` when idle |
//! | `PUT /{version}/{account_id}/{project_id}/chat/close` | `close_chat` | 200 `{success: true}`; 410 when already ended |
//! | `GET /v1/alert-rules` | `list_alert_rules` | `{data}`; filters `enabled`, `metric`, `project_id`, `state` |
//! | `POST /v1/alert-rules` | `create_alert_rule` | 201; enums checked, `threshold_value` >= 0; at most 10 rules (409) |
//! | `GET /v1/alert-rules/{rule_id}` | `get_alert_rule` | ids other than `ar_...` are 422; unknown 404 |
//! | `PATCH /v1/alert-rules/{rule_id}` | `update_alert_rule` | flat partial update; 200 with the rule |
//! | `DELETE /v1/alert-rules/{rule_id}` | `delete_alert_rule` | 204 |
//! | `GET /v1/alerts` | `list_active_alerts` | enabled rules in state `alert` ([`MockServer::set_alert_state`]); filters `project_id`, `metric` |
//! | `POST /v1/outbound-calling` | `trigger_legacy_outbound_call` | E.164 `to_number`; 200 `{call_sid: "OUT-..."}` |
//! | `GET /v1/outbound-calling/{call_sid}/status` | `get_legacy_outbound_call_status` | `queued`, `calling`, then `success` (or `failure` for numbers ending `0000`), one step per read |
//! | `GET /v1/{account_id}/{project_id}/handoff_state` | `get_handoff_state` | the state seeded with [`MockServer::set_handoff_state`]; `id` or `shared_id` required |
//! | `GET /v1/{account_id}/{project_id}/conversations/concurrency` | `get_concurrent_calls` | one interval per 5 minutes of `[start_time, end_time)` (at most 7 days); deterministic counts |
//! | `POST /v1/conversations/dni-reservation` | `reserve_dni` | the next number of a 100-number pool (404 `NO_NUMBER_AVAILABLE` when empty) |
//! | `POST /v1/external-events/webhook` | `post_external_event` | recorded ([`MockServer::external_events`]); 201 `{}`; 400 when the event id is not where the query says |
//! <!-- /routes -->
//!
//! The families' sources (`chat`, `alerts`, `outbound`, `handoff`, `concurrency`, `dni`,
//! `external_events`) spell out the rules the mock chose where PolyAI's documents are silent.
//!
//! # Scripting the mock from a test
//!
//! Seed state by calling the API (any client), or in process with [`MockServer::seed_request`]
//! (same validation and answer as the HTTP call, without credentials, faults or a log entry).
//! What has no API of its own has a handle method: [`MockServer::set_alert_state`],
//! [`MockServer::set_handoff_state`]. The seeded conversations come from the builder
//! ([`MockServerBuilder::conversations`], [`MockServerBuilder::seed`]). Read what was sent with
//! [`MockServer::requests`] (the request log), [`MockServer::external_events`],
//! [`MockServer::deliveries`], [`MockServer::dni_reservations`], [`MockServer::outbound_calls`],
//! [`MockServer::chat_turns`], [`MockServer::note`], [`MockServer::annotations`].
//! [`MockServer::deliver_body_to_endpoint`] delivers any body (event types the SDK does not
//! model yet) signed with an endpoint's current secret. [`testing`] has helpers for tests.
//!
//! The standalone binary offers the same over HTTP under [`ADMIN_PREFIX`] (`/_mock/`, a prefix
//! PolyAI never uses), guarded by the mock's API key and never recorded or faulted:
//!
//! | admin route | does |
//! |---|---|
//! | `GET /_mock/operations` | the route table: `[{method, path, operation_id, family}]` |
//! | `GET /_mock/requests`, `DELETE /_mock/requests` | the request log (secrets redacted, body as text); forget it |
//! | `POST /_mock/seed` | `{method, path, body?}`: one API operation in process; answers `{status, body}` |
//! | `POST /_mock/reset` | forgets every stored change |
//! | `POST /_mock/alerts/state` | `{rule_id, state, current_value?}` |
//! | `POST /_mock/handoff-states` | `{id, shared_id?, data}` |
//! | `GET /_mock/external-events`, `GET /_mock/dni-reservations`, `GET /_mock/outbound-calls` | what was received |
//! | `POST /_mock/deliveries` | `{endpoint_id, receiver_url, body, event_id?, timestamp?}`: delivers `body` (any JSON; a string is sent as is) signed with the endpoint's current secret |
//! | `GET /_mock/deliveries` | the deliveries made |
//! | `POST /_mock/audio-cache-entries`, `POST /_mock/connectors` | `{agent_id, transcript}` / `{agent_id, client_env}`: what PolyAI has no operation to create; answer `{id}` / `{connector_id}` |
//! | `GET /_mock/agent-outbound-calls/{agentId}` | the calls an agent was asked to place through the Agents API |
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
//! Unknown path: 404 `NOT_FOUND`; wrong method: 405 `METHOD_NOT_ALLOWED` with `Allow`; bodies
//! over 8 MiB: 413. Bad JSON bodies are 400 `CONVERSATIONS_VALIDATION_FAILED` on the
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
//! Behaviour rules, attributes and variants live on branches next to the topics and merge with
//! them (see the `agents_config` source); they are part of a deployment's `version`. Telephony
//! and outbound calls (`telephony` source), the voice library (`voices`), real-time configs
//! (`realtime_config`) and the audio cache (`audio_cache`) are kept per agent (per account for
//! voices), start from the seeds those sources list, and are forgotten when the agent is
//! deleted. Each source's module documentation lists its error codes and every behaviour
//! PolyAI's documents leave open. PolyAI has no operation that adds audio cache entries or
//! connectors, so tests add them with [`MockServer::add_audio_cache_entry`] and
//! [`MockServer::add_connector`]; [`MockServer::agent_outbound_calls`] lists the calls an
//! agent was asked to place.
//!
//! # Webhook endpoints
//!
//! Endpoints are stored per server (one account). The signing secret is returned only by
//! create and rotate; [`MockServer::webhook_signing_secret`] reads the current one and
//! [`MockServer::deliver_to_endpoint`] sends a delivery signed with it (to a receiver URL of
//! your choice, since registered URLs are `https://`), when the endpoint is enabled and
//! subscribed to the event's type. [`MockServer::deliver_body_to_endpoint`] (or
//! `POST /_mock/deliveries` on the binary) sends ANY body the same way, without the
//! subscription check: PolyAI's documents define only `alerts.triggered` and `alerts.resolved`
//! (so endpoints can subscribe to nothing else), while its prose mentions conversation and
//! handoff events, which a receiver may want to be ready for. Every delivery is kept
//! ([`MockServer::deliveries`]). See the `webhook_endpoints` source for the error codes.
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
//! agents (with their branches, topics, settings and deployments, telephony, real-time configs
//! and audio caches), voice libraries, webhook endpoints and deliveries, chats,
//! alert rules, outbound calls, handoff states, DNI reservations and external events are the
//! only stored state ([`MockServer::reset_state`] forgets all of it).

#![warn(missing_docs)]

mod admin;
mod agents;
mod agents_config;
mod alerts;
mod audio;
mod audio_cache;
mod builder;
mod chat;
mod concurrency;
mod conversations;
mod data;
mod debug_chat;
mod dni;
mod envelope;
mod external_events;
mod faults;
mod handoff;
mod log;
mod outbound;
mod pipeline;
mod realtime_config;
mod request;
mod routes;
mod salts;
mod scripting;
mod server;
mod state;
mod telephony;
pub mod testing;
mod time;
mod util;
mod voices;
mod webhook;
mod webhook_endpoints;

pub use admin::ADMIN_PREFIX;
pub use builder::{
    DEFAULT_ACCOUNT_ID, DEFAULT_API_KEY, DEFAULT_AUDIO_SECONDS, DEFAULT_CONNECTOR_TOKEN,
    DEFAULT_CONVERSATIONS, DEFAULT_OUTBOUND_TOKEN, DEFAULT_PROJECT_ID, DEFAULT_SEED,
    DEFAULT_WINDOW, DEFAULT_WINDOW_END_UNIX_MS, MAX_CONVERSATIONS, MockServerBuilder,
};
pub use external_events::ExternalEvent;
pub use faults::{Fault, FaultPlan, FaultRule, FaultStats, InjectedFault, Trigger};
pub use log::{ApiKeyCheck, RecordedRequest};
pub use pipeline::CORRELATION_HEADER;
pub use request::{Route, UnknownOperation};
pub use scripting::{DeliveryError, SeedError};
pub use server::MockServer;
pub use telephony::AgentOutboundCall;
pub use webhook::{
    AlertPayload, DeliveryOptions, WebhookDelivery, WebhookEvent, WebhookEventType, WebhookSender,
    sign as sign_webhook,
};
