//! The Agents API's telephony: connectors (the voice, language, variant and environment
//! bundle incoming calls are handled by), the phone numbers routed to them, and outbound
//! calls placed by the agent. Stored per agent.
//!
//! # Model
//!
//! PolyAI has no operation that creates a connector, so every agent starts with one
//! connector per environment (`sandbox`, `pre-release`, `live`; ids `CONNECTOR-XXXXXXXX`,
//! `en-GB` recognition and voice `en-GB-Neural2-A`, no variant) and one live phone number
//! routed to the live connector. Importing a number routes it to the agent's first connector
//! of the number's environment (`live` when not given); with none left, the number is stored
//! without a `connectorId`. Phone numbers are unique in the whole mock: importing a number any
//! agent holds is a 409. Updating a connector's `voiceName` sets its `ttsLangCode` to the
//! name's first two parts (`en-US-Neural2-A` gives `en-US`); `variantId: null` or `""`
//! unassigns the variant; `projectId` moves the connector and its numbers to that agent (the
//! single update only: a batch update refuses it per item). Any `variantId` text is accepted
//! (the mock does not check it against the agent's variants). Connectors and numbers report
//! the mock's account id ([`crate::MockServerBuilder::account_id`]).
//!
//! An outbound call needs a connector of its `environment` (one without a variant, or with the
//! `variantId` sent); `encryption` may be any non-empty text (default `tls_srtp`); a
//! `toNumber` without `+` needs a `countryCode` among GB, US, CA, IE, FR, DE, ES, IT, NL, AU,
//! NZ and IN (its leading zeros are dropped). Outbound calls answer `QUEUED`; each status read
//! after that moves the call on: the first
//! read says `CALLING`, later reads `SUCCESS`, or `FAILURE` (reason "The call was not
//! answered.") when the dialled number ends in `0000`. No clock is involved, so tests see
//! the same sequence every time.
//!
//! # Errors
//!
//! | situation | answer |
//! |---|---|
//! | a number that is not E.164 (`+` and 2 to 15 digits, no leading 0) | 400 `PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT` |
//! | importing a number already held | 409 `PHONE_NUMBERS_ALREADY_EXISTS` |
//! | an unknown number | 404 `PHONE_NUMBERS_NOT_FOUND` |
//! | reassigning to an unknown connector | 404 `PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST` |
//! | an unknown connector | 404 `CONNECTORS_NOT_FOUND` |
//! | a bad connector update (empty or malformed language code or voice name, unknown fields) | 400 `CONNECTORS_VALIDATION_FAILED` |
//! | an empty id list, one over 1000 items (PolyAI publishes no limit; the mock's), a `clientEnv` that is not an environment, other bad bodies | 400 `CONNECTORS_VALIDATION_FAILED` (connector routes) / `PHONE_NUMBERS_VALIDATION_FAILED` (number routes) |
//! | an outbound call with a bad `environment`, `toNumber`, `countryCode` or `metadata` over 26 KB as base64 | 400 `OUTBOUND_CALL_VALIDATION_FAILED` |
//! | an outbound call to an environment without a connector | 404 `CONNECTORS_NOT_FOUND` |
//! | a status read without a valid `environment`, or with a `callSid` not starting `OUT-` | 400 `OUTBOUND_CALL_VALIDATION_FAILED` |
//! | a status read of an unknown call, or with another environment than the call's | 404 `OUTBOUND_CALL_NOT_FOUND` |
//!
//! PolyAI documents the `PHONE_NUMBERS_*` and `CONNECTORS_*` codes (except
//! `PHONE_NUMBERS_VALIDATION_FAILED`); the outbound codes are the mock's. Batch operations
//! (batch get, batch update, batch delete of numbers) answer 200 and report per item.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req};
use crate::salts;
use crate::state::App;
use crate::util::{hash3, token, uuid_from};

/// The environments, in promotion order.
pub(crate) const ENVIRONMENTS: [&str; 3] = ["sandbox", "pre-release", "live"];
/// Most items one batch request may list (PolyAI publishes no limit; the mock's choice).
pub(crate) const MAX_BATCH: usize = 1000;
/// Largest outbound-call `metadata`, as base64 (PolyAI: "under 26 KB").
const MAX_METADATA_BASE64: usize = 26 * 1024;
/// Recognition and voice language of seeded connectors.
const SEED_LANGUAGE: &str = "en-GB";
/// Voice of seeded connectors.
const SEED_VOICE: &str = "en-GB-Neural2-A";
/// Calling codes of the countries an outbound `countryCode` may name.
const CALLING_CODES: [(&str, &str); 12] = [
    ("GB", "44"),
    ("US", "1"),
    ("CA", "1"),
    ("IE", "353"),
    ("FR", "33"),
    ("DE", "49"),
    ("ES", "34"),
    ("IT", "39"),
    ("NL", "31"),
    ("AU", "61"),
    ("NZ", "64"),
    ("IN", "91"),
];

/// Who owns the records: the account reported in them and the per-instance id key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner<'a> {
    /// The account id reported in connectors and numbers.
    pub account_id: &'a str,
    /// The server's random key, for ids.
    pub instance_key: u64,
    /// The agent's incarnation (see `AgentStore::incarnation`).
    pub incarnation: u64,
}

impl<'a> Owner<'a> {
    /// The owner of an agent's telephony in this server, at the agent's `incarnation`.
    fn of(app: &'a App, incarnation: u64) -> Owner<'a> {
        Owner {
            account_id: &app.data.cfg.account_id,
            instance_key: app.instance_key,
            incarnation,
        }
    }
}

#[derive(Debug, Clone)]
struct Connector {
    id: String,
    name: String,
    client_env: String,
    variant_id: String,
    asr_lang_code: String,
    tts_lang_code: String,
    voice_name: String,
    disable_handoff: bool,
}

#[derive(Debug, Clone)]
struct PhoneNumber {
    number: String,
    client_env: String,
    connector_id: Option<String>,
}

#[derive(Debug, Clone)]
struct OutboundCall {
    sid: String,
    environment: String,
    to_number: String,
    variant_id: Option<String>,
    metadata: HashMap<String, String>,
    reads: u32,
}

/// An outbound call an agent was asked to place (`POST .../telephony/outbound-calls`), as
/// [`MockServer::agent_outbound_calls`](crate::MockServer::agent_outbound_calls) reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgentOutboundCall {
    /// The call id the mock answered (`OUT-...`).
    pub call_sid: String,
    /// The environment the call was placed in.
    pub environment: String,
    /// The number dialled, in E.164 (normalised from `countryCode` when needed).
    pub to_number: String,
    /// The `variantId` sent, if any.
    pub variant_id: Option<String>,
    /// The `metadata` sent (empty when none).
    pub metadata: HashMap<String, String>,
    /// How many times its status was read.
    pub status_reads: u32,
}

/// One agent's telephony.
#[derive(Debug, Clone, Default)]
struct AgentTelephony {
    incarnation: u64,
    connectors: Vec<Connector>,
    numbers: Vec<PhoneNumber>,
    calls: Vec<OutboundCall>,
}

/// Every agent's connectors, phone numbers and outbound calls.
#[derive(Debug, Default)]
pub(crate) struct TelephonyStore {
    agents: HashMap<String, AgentTelephony>,
    counter: u64,
}

fn connector_json(owner: &Owner<'_>, agent_id: &str, c: &Connector) -> Value {
    json!({
        "connectorId": c.id,
        "name": c.name,
        "accountId": owner.account_id,
        "projectId": agent_id,
        "clientEnv": c.client_env,
        "variantId": c.variant_id,
        "asrLangCode": c.asr_lang_code,
        "ttsLangCode": c.tts_lang_code,
        "voiceName": c.voice_name,
        "disableHandoff": c.disable_handoff,
    })
}

fn number_json(owner: &Owner<'_>, agent_id: &str, n: &PhoneNumber) -> Value {
    let mut value = json!({
        "number": n.number,
        "projectId": agent_id,
        "accountId": owner.account_id,
        "clientEnv": n.client_env,
    });
    if let (Some(id), Some(map)) = (&n.connector_id, value.as_object_mut()) {
        map.insert("connectorId".to_owned(), Value::String(id.clone()));
    }
    value
}

// ---------------------------------------------------------------------------------------------
// Errors and checks

fn connectors_invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "CONNECTORS_VALIDATION_FAILED",
        message,
    )
}

fn numbers_invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "PHONE_NUMBERS_VALIDATION_FAILED",
        message,
    )
}

fn outbound_invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "OUTBOUND_CALL_VALIDATION_FAILED",
        message,
    )
}

fn connector_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "CONNECTORS_NOT_FOUND",
        format!("Connector ID {id} does not exist."),
    )
}

fn number_not_found(number: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "PHONE_NUMBERS_NOT_FOUND",
        format!("Phone number {number} does not exist."),
    )
}

fn bad_format(number: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT",
        format!("Number {number:?} is not in valid E.164 format (for example +442071234567)."),
    )
}

/// Checks a batch's size: 1 to [`MAX_BATCH`] items.
fn check_batch(field: &str, len: usize, invalid: fn(String) -> ApiError) -> Result<(), ApiError> {
    if len == 0 {
        return Err(invalid(format!("{field} must list at least one item.")));
    }
    if len > MAX_BATCH {
        return Err(invalid(format!(
            "{field} lists {len} items; the mock takes at most {MAX_BATCH} per request."
        )));
    }
    Ok(())
}

/// Whether `text` is an E.164 number: `+`, a non-zero digit, then 1 to 14 more digits.
pub(crate) fn is_e164(text: &str) -> bool {
    let Some(digits) = text.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

fn parse<T: serde::de::DeserializeOwned>(
    body: &[u8],
    invalid: fn(String) -> ApiError,
) -> Result<T, ApiError> {
    crate::request::parse_json(body, None, invalid, invalid)
}

fn check_env(text: &str, invalid: fn(String) -> ApiError) -> Result<String, ApiError> {
    if ENVIRONMENTS.contains(&text) {
        Ok(text.to_owned())
    } else {
        Err(invalid(format!(
            "Unknown environment {text:?}: use sandbox, pre-release or live."
        )))
    }
}

/// A language code such as `en-GB`: two or three letters, a hyphen, then letters or digits.
fn is_language_code(text: &str) -> bool {
    let mut parts = text.split('-');
    let lang = parts.next().unwrap_or("");
    let region = parts.next();
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_alphabetic())
        && region.is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()))
        && parts.next().is_none()
}

/// The TTS language of a voice name such as `en-US-Neural2-A` (its first two parts).
fn voice_language(voice: &str) -> Option<String> {
    let mut parts = voice.splitn(3, '-');
    let lang = parts.next()?;
    let region = parts.next()?;
    let rest = parts.next()?;
    let code = format!("{lang}-{region}");
    (is_language_code(&code) && !rest.is_empty()).then_some(code)
}

// ---------------------------------------------------------------------------------------------
// The store

impl TelephonyStore {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// The agent's telephony, seeded on first use (and again for a new incarnation).
    fn agent(&mut self, owner: &Owner<'_>, agent_id: &str) -> &mut AgentTelephony {
        let fresh = self
            .agents
            .get(agent_id)
            .is_none_or(|t| t.incarnation != owner.incarnation);
        if fresh {
            let mut seeded = AgentTelephony {
                incarnation: owner.incarnation,
                ..AgentTelephony::default()
            };
            for env in ENVIRONMENTS {
                let n = self.next();
                seeded.connectors.push(Connector {
                    id: format!(
                        "CONNECTOR-{}",
                        token(owner.instance_key, n, salts::CONNECTOR_ID, 8, true)
                    ),
                    name: format!("{agent_id} {env}"),
                    client_env: env.to_owned(),
                    variant_id: String::new(),
                    asr_lang_code: SEED_LANGUAGE.to_owned(),
                    tts_lang_code: SEED_LANGUAGE.to_owned(),
                    voice_name: SEED_VOICE.to_owned(),
                    disable_handoff: false,
                });
            }
            let n = self.next();
            let digits = hash3(owner.instance_key, n, salts::PHONE_NUMBER) % 10_000_000;
            let number = format!("+44207{digits:07}");
            if !self.holds(&number) {
                let live = seeded.connectors.last().map(|c| c.id.clone());
                seeded.numbers.push(PhoneNumber {
                    number,
                    client_env: "live".to_owned(),
                    connector_id: live,
                });
            }
            self.agents.insert(agent_id.to_owned(), seeded);
        }
        self.agents.entry(agent_id.to_owned()).or_default()
    }

    /// Whether any agent holds `number`.
    fn holds(&self, number: &str) -> bool {
        self.agents
            .values()
            .any(|t| t.numbers.iter().any(|n| n.number == number))
    }

    /// Adds a connector for `client_env` (PolyAI has no operation for it) and returns its id.
    pub(crate) fn add_connector(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        client_env: &str,
    ) -> Result<String, ApiError> {
        let env = check_env(client_env, connectors_invalid)?;
        let n = self.next();
        let id = format!(
            "CONNECTOR-{}",
            token(owner.instance_key, n, salts::CONNECTOR_ID, 8, true)
        );
        let t = self.agent(owner, agent_id);
        t.connectors.push(Connector {
            id: id.clone(),
            name: format!("{agent_id} {env}"),
            client_env: env,
            variant_id: String::new(),
            asr_lang_code: SEED_LANGUAGE.to_owned(),
            tts_lang_code: SEED_LANGUAGE.to_owned(),
            voice_name: SEED_VOICE.to_owned(),
            disable_handoff: false,
        });
        Ok(id)
    }

    /// The outbound calls the agent was asked to place, oldest first.
    pub(crate) fn calls(&mut self, owner: &Owner<'_>, agent_id: &str) -> Vec<AgentOutboundCall> {
        self.agent(owner, agent_id)
            .calls
            .iter()
            .map(|c| AgentOutboundCall {
                call_sid: c.sid.clone(),
                environment: c.environment.clone(),
                to_number: c.to_number.clone(),
                variant_id: c.variant_id.clone(),
                metadata: c.metadata.clone(),
                status_reads: c.reads,
            })
            .collect()
    }

    // ------------------------------------------------------------------------- connectors

    /// `GET .../telephony/connectors`: 200 `{connectors}`.
    pub(crate) fn list_connectors(&mut self, owner: &Owner<'_>, agent_id: &str) -> Value {
        let t = self.agent(owner, agent_id);
        let list: Vec<Value> = t
            .connectors
            .iter()
            .map(|c| connector_json(owner, agent_id, c))
            .collect();
        json!({ "connectors": list })
    }

    /// `GET .../telephony/connectors/{connectorId}`.
    pub(crate) fn get_connector(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        connector_id: &str,
    ) -> Result<Value, ApiError> {
        let t = self.agent(owner, agent_id);
        t.connectors
            .iter()
            .find(|c| c.id == connector_id)
            .map(|c| connector_json(owner, agent_id, c))
            .ok_or_else(|| connector_not_found(connector_id))
    }

    /// `POST .../telephony/connectors/batch`: 200 `{found, notFound}`.
    pub(crate) fn batch_get_connectors(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            connector_ids: Vec<String>,
        }
        let req: Body = parse(body, connectors_invalid)?;
        check_batch("connectorIds", req.connector_ids.len(), connectors_invalid)?;
        let t = self.agent(owner, agent_id);
        let mut found = Vec::new();
        let mut not_found = Vec::new();
        for id in req.connector_ids {
            match t.connectors.iter().find(|c| c.id == id) {
                Some(c) => found.push(connector_json(owner, agent_id, c)),
                None => not_found.push(id),
            }
        }
        Ok(json!({"found": found, "notFound": not_found}))
    }

    /// `PATCH .../telephony/connectors/{connectorId}`.
    pub(crate) fn update_connector(
        &mut self,
        owner: &Owner<'_>,
        target: Option<&Owner<'_>>,
        agent_id: &str,
        connector_id: &str,
        update: ConnectorUpdate,
    ) -> Result<Value, ApiError> {
        self.apply_update(owner, target, agent_id, connector_id, update)
    }

    /// Applies one connector update. `target` is the owner of the agent named by
    /// `projectId` when the update moves the connector.
    fn apply_update(
        &mut self,
        owner: &Owner<'_>,
        target: Option<&Owner<'_>>,
        agent_id: &str,
        connector_id: &str,
        update: ConnectorUpdate,
    ) -> Result<Value, ApiError> {
        if let Some(lang) = &update.asr_lang_code
            && !is_language_code(lang)
        {
            return Err(connectors_invalid(format!(
                "asrLangCode {lang:?} is not a language code such as en-GB."
            )));
        }
        let tts = match &update.voice_name {
            Some(voice) => Some(voice_language(voice).ok_or_else(|| {
                connectors_invalid(format!(
                    "voiceName {voice:?} is not a voice name such as en-US-Neural2-A."
                ))
            })?),
            None => None,
        };
        if let Some(project) = &update.project_id
            && project.trim().is_empty()
        {
            return Err(connectors_invalid("projectId must not be empty."));
        }
        let t = self.agent(owner, agent_id);
        let connector = t
            .connectors
            .iter_mut()
            .find(|c| c.id == connector_id)
            .ok_or_else(|| connector_not_found(connector_id))?;
        if let Some(variant) = update.variant_id {
            connector.variant_id = variant.unwrap_or_default();
        }
        if let Some(lang) = update.asr_lang_code {
            connector.asr_lang_code = lang;
        }
        if let (Some(voice), Some(tts)) = (update.voice_name, tts) {
            connector.voice_name = voice;
            connector.tts_lang_code = tts;
        }
        let moved_to = update
            .project_id
            .filter(|p| p != agent_id)
            .zip(target.copied());
        let Some((project, target)) = moved_to else {
            let c = connector.clone();
            return Ok(connector_json(owner, agent_id, &c));
        };
        // Move the connector and the numbers routed to it.
        let index = t
            .connectors
            .iter()
            .position(|c| c.id == connector_id)
            .ok_or_else(|| connector_not_found(connector_id))?;
        let connector = t.connectors.remove(index);
        let (moving, staying): (Vec<PhoneNumber>, Vec<PhoneNumber>) = t
            .numbers
            .drain(..)
            .partition(|n| n.connector_id.as_deref() == Some(connector_id));
        t.numbers = staying;
        let answer = connector_json(&target, &project, &connector);
        let dest = self.agent(&target, &project);
        dest.connectors.push(connector);
        dest.numbers.extend(moving);
        Ok(answer)
    }

    /// `PATCH .../telephony/connectors/batch`: each update on its own; 200 `{results}`.
    /// Moving connectors to another project is refused here (use the single update).
    pub(crate) fn batch_update_connectors(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        struct Body {
            updates: Vec<Value>,
        }
        let req: Body = parse(body, connectors_invalid)?;
        check_batch("updates", req.updates.len(), connectors_invalid)?;
        let mut results = Vec::new();
        for item in req.updates {
            let id = item
                .get("connectorId")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let Some(id) = id else {
                return Err(connectors_invalid("every update needs a connectorId."));
            };
            let mut fields = item.as_object().cloned().unwrap_or_default();
            fields.remove("connectorId");
            let outcome = serde_json::from_value::<ConnectorUpdate>(Value::Object(fields))
                .map_err(|e| connectors_invalid(format!("Invalid update: {e}")))
                .and_then(|update| {
                    if update.project_id.as_deref().is_some_and(|p| p != agent_id) {
                        return Err(connectors_invalid(
                            "Moving a connector to another project is not done in a batch: \
                             update it on its own.",
                        ));
                    }
                    self.apply_update(owner, None, agent_id, &id, update)
                });
            results.push(match outcome {
                Ok(data) => json!({"connectorId": id, "success": true, "data": data}),
                Err(e) => json!({"connectorId": id, "success": false, "error": e.message}),
            });
        }
        Ok(json!({ "results": results }))
    }

    /// `POST .../telephony/connectors/lookup`: the connector a number is routed to.
    pub(crate) fn lookup_connector(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            phone_number: String,
        }
        let req: Body = parse(body, connectors_invalid)?;
        if !is_e164(&req.phone_number) {
            return Err(bad_format(&req.phone_number));
        }
        let t = self.agent(owner, agent_id);
        let number = t
            .numbers
            .iter()
            .find(|n| n.number == req.phone_number)
            .ok_or_else(|| number_not_found(&req.phone_number))?;
        let id = number.connector_id.clone().unwrap_or_default();
        t.connectors
            .iter()
            .find(|c| c.id == id)
            .map(|c| connector_json(owner, agent_id, c))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "CONNECTORS_NOT_FOUND",
                    format!(
                        "Phone number {} is not routed to a connector.",
                        req.phone_number
                    ),
                )
            })
    }

    /// `DELETE .../telephony/connectors/{connectorId}`: removes it and its numbers.
    pub(crate) fn delete_connector(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        connector_id: &str,
    ) -> Result<Value, ApiError> {
        let t = self.agent(owner, agent_id);
        let index = t
            .connectors
            .iter()
            .position(|c| c.id == connector_id)
            .ok_or_else(|| connector_not_found(connector_id))?;
        t.connectors.remove(index);
        let mut released = Vec::new();
        t.numbers.retain(|n| {
            let routed = n.connector_id.as_deref() == Some(connector_id);
            if routed {
                released.push(n.number.clone());
            }
            !routed
        });
        Ok(json!({"deletedConnector": connector_id, "deletedPhoneNumbers": released}))
    }

    // -------------------------------------------------------------------------- numbers

    /// `GET .../telephony/phone-numbers[?connectorId=]`.
    pub(crate) fn list_numbers(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        connector_id: Option<&str>,
    ) -> Result<Value, ApiError> {
        if connector_id.is_some_and(str::is_empty) {
            return Err(numbers_invalid("connectorId must not be empty when given."));
        }
        let t = self.agent(owner, agent_id);
        let list: Vec<Value> = t
            .numbers
            .iter()
            .filter(|n| connector_id.is_none() || n.connector_id.as_deref() == connector_id)
            .map(|n| number_json(owner, agent_id, n))
            .collect();
        Ok(json!({ "phoneNumbers": list }))
    }

    /// Imports numbers all-or-nothing; returns them.
    fn import(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        numbers: Vec<String>,
        client_env: Option<String>,
    ) -> Result<Vec<String>, ApiError> {
        let env = check_env(client_env.as_deref().unwrap_or("live"), numbers_invalid)?;
        let mut seen = std::collections::HashSet::new();
        for number in &numbers {
            if !is_e164(number) {
                return Err(bad_format(number));
            }
            if !seen.insert(number.as_str()) {
                return Err(numbers_invalid(format!("{number} is listed twice.")));
            }
        }
        self.agent(owner, agent_id);
        if let Some(held) = numbers.iter().find(|n| self.holds(n)) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "PHONE_NUMBERS_ALREADY_EXISTS",
                format!("Phone number {held} already exists."),
            ));
        }
        let t = self.agent(owner, agent_id);
        let connector = t
            .connectors
            .iter()
            .find(|c| c.client_env == env)
            .map(|c| c.id.clone());
        for number in &numbers {
            t.numbers.push(PhoneNumber {
                number: number.clone(),
                client_env: env.clone(),
                connector_id: connector.clone(),
            });
        }
        Ok(numbers)
    }

    /// `POST .../telephony/phone-numbers`: 201 `{imported}`.
    pub(crate) fn import_numbers(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            phone_numbers: Vec<String>,
            client_env: Option<String>,
        }
        let req: Body = parse(body, numbers_invalid)?;
        check_batch("phoneNumbers", req.phone_numbers.len(), numbers_invalid)?;
        let imported = self.import(owner, agent_id, req.phone_numbers, req.client_env)?;
        Ok(json!({ "imported": imported }))
    }

    /// `POST .../telephony/phone-numbers/{phoneNumber}` (body optional): 201 `{imported}`.
    pub(crate) fn import_number(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        number: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            client_env: Option<String>,
        }
        let req: Body = crate::request::parse_json(
            body,
            Some(Body::default()),
            numbers_invalid,
            numbers_invalid,
        )?;
        self.import(owner, agent_id, vec![number.to_owned()], req.client_env)?;
        Ok(json!({ "imported": number }))
    }

    /// `POST .../telephony/phone-numbers/batch`: 200 `{found, notFound}`.
    pub(crate) fn batch_get_numbers(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        let numbers = number_list(body)?;
        let t = self.agent(owner, agent_id);
        let mut found = Vec::new();
        let mut not_found = Vec::new();
        for number in numbers {
            match t.numbers.iter().find(|n| n.number == number) {
                Some(n) => found.push(number_json(owner, agent_id, n)),
                None => not_found.push(number),
            }
        }
        Ok(json!({"found": found, "notFound": not_found}))
    }

    /// `DELETE .../telephony/phone-numbers` (numbers in the body): 200 `{deleted, errors?}`.
    pub(crate) fn delete_numbers(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        let numbers = number_list(body)?;
        let t = self.agent(owner, agent_id);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for number in numbers {
            if !is_e164(&number) {
                errors.push(
                    json!({"phoneNumber": number, "error": "Number is not in valid E.164 format."}),
                );
            } else if let Some(i) = t.numbers.iter().position(|n| n.number == number) {
                t.numbers.remove(i);
                deleted.push(number);
            } else {
                errors
                    .push(json!({"phoneNumber": number, "error": "Phone number does not exist."}));
            }
        }
        let mut answer = Map::new();
        answer.insert("deleted".to_owned(), json!(deleted));
        if !errors.is_empty() {
            answer.insert("errors".to_owned(), Value::Array(errors));
        }
        Ok(Value::Object(answer))
    }

    /// `GET .../telephony/phone-numbers/{phoneNumber}`.
    pub(crate) fn get_number(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        number: &str,
    ) -> Result<Value, ApiError> {
        let t = self.agent(owner, agent_id);
        t.numbers
            .iter()
            .find(|n| n.number == number)
            .map(|n| number_json(owner, agent_id, n))
            .ok_or_else(|| number_not_found(number))
    }

    /// `PATCH .../telephony/phone-numbers/{phoneNumber}`: routes it to another connector
    /// (the number takes the connector's environment).
    pub(crate) fn reassign_number(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        number: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            connector_id: String,
        }
        let req: Body = parse(body, numbers_invalid)?;
        let t = self.agent(owner, agent_id);
        let index = t
            .numbers
            .iter()
            .position(|n| n.number == number)
            .ok_or_else(|| number_not_found(number))?;
        let connector = t
            .connectors
            .iter()
            .find(|c| c.id == req.connector_id)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST",
                    format!("Connector {} does not exist.", req.connector_id),
                )
            })?;
        let env = connector.client_env.clone();
        let entry = &mut t.numbers[index];
        entry.connector_id = Some(req.connector_id);
        entry.client_env = env;
        let entry = entry.clone();
        Ok(number_json(owner, agent_id, &entry))
    }

    /// `DELETE .../telephony/phone-numbers/{phoneNumber}`: 200 `{deleted}`.
    pub(crate) fn delete_number(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        number: &str,
    ) -> Result<Value, ApiError> {
        let t = self.agent(owner, agent_id);
        let index = t
            .numbers
            .iter()
            .position(|n| n.number == number)
            .ok_or_else(|| number_not_found(number))?;
        t.numbers.remove(index);
        Ok(json!({ "deleted": number }))
    }

    // ---------------------------------------------------------------------- outbound calls

    /// `POST .../telephony/outbound-calls`: 200 `{callSid, status: "QUEUED"}`.
    pub(crate) fn place_call(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        body: &[u8],
    ) -> Result<Value, ApiError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            to_number: String,
            environment: String,
            country_code: Option<String>,
            variant_id: Option<String>,
            encryption: Option<String>,
            metadata: Option<HashMap<String, String>>,
        }
        let req: Body = parse(body, outbound_invalid)?;
        let env = check_env(&req.environment, outbound_invalid)?;
        let to = normalise_number(&req.to_number, req.country_code.as_deref())?;
        if req
            .encryption
            .as_deref()
            .is_some_and(|e| e.trim().is_empty())
        {
            return Err(outbound_invalid("encryption must not be empty when given."));
        }
        if let Some(metadata) = &req.metadata {
            let text = serde_json::to_string(metadata).unwrap_or_default();
            let base64_len = text.len().div_ceil(3) * 4;
            if base64_len >= MAX_METADATA_BASE64 {
                return Err(outbound_invalid(format!(
                    "metadata is {base64_len} bytes as base64; it must be under {MAX_METADATA_BASE64}."
                )));
            }
        }
        let n = self.next();
        let t = self.agent(owner, agent_id);
        let connector = t.connectors.iter().find(|c| {
            c.client_env == env
                && req
                    .variant_id
                    .as_deref()
                    .is_none_or(|v| c.variant_id.is_empty() || c.variant_id == v)
        });
        if connector.is_none() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "CONNECTORS_NOT_FOUND",
                format!("No connector found for the {env} environment."),
            ));
        }
        let sid = format!(
            "OUT-{}",
            uuid_from(
                hash3(owner.instance_key, n, salts::AGENT_CALL_SID[0]),
                hash3(owner.instance_key, n, salts::AGENT_CALL_SID[1])
            )
        );
        t.calls.push(OutboundCall {
            sid: sid.clone(),
            environment: env,
            to_number: to,
            variant_id: req.variant_id,
            metadata: req.metadata.unwrap_or_default(),
            reads: 0,
        });
        Ok(json!({"callSid": sid, "status": "QUEUED"}))
    }

    /// `GET .../telephony/outbound-calls/{callSid}/status?environment=`.
    pub(crate) fn call_status(
        &mut self,
        owner: &Owner<'_>,
        agent_id: &str,
        call_sid: &str,
        environment: Option<&str>,
    ) -> Result<Value, ApiError> {
        let env = match environment {
            None | Some("") => {
                return Err(outbound_invalid(
                    "The environment query parameter is required (sandbox, pre-release or live).",
                ));
            }
            Some(text) => check_env(text, outbound_invalid)?,
        };
        if !call_sid.starts_with("OUT-") {
            return Err(outbound_invalid(format!(
                "{call_sid:?} is not an outbound call id (they start with OUT-)."
            )));
        }
        let t = self.agent(owner, agent_id);
        let call = t
            .calls
            .iter_mut()
            .find(|c| c.sid == call_sid && c.environment == env)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "OUTBOUND_CALL_NOT_FOUND",
                    format!("No outbound call {call_sid} in the {env} environment."),
                )
            })?;
        call.reads = call.reads.saturating_add(1);
        let (status, reason) = match call.reads {
            1 => ("CALLING", ""),
            _ if call.to_number.ends_with("0000") => ("FAILURE", "The call was not answered."),
            _ => ("SUCCESS", ""),
        };
        Ok(json!({"callSid": call.sid, "status": status, "reason": reason}))
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers (rows of the route table)

/// Runs `f` on the telephony store for the path's agent (404 once the agent is deleted).
fn with_store(
    req: &Req<'_>,
    status: StatusCode,
    f: impl FnOnce(&mut TelephonyStore, &Owner<'_>, &str) -> Result<Value, ApiError>,
) -> Reply {
    let agent_id = req.param("agentId");
    let mut store = req.app.store();
    let incarnation = store.agents.incarnation(req.app, agent_id)?;
    let owner = Owner::of(req.app, incarnation);
    let value = f(&mut store.telephony, &owner, agent_id)?;
    Ok(json_response(status, &value))
}

/// `GET /v1/agents/{agentId}/telephony/connectors`
pub(crate) fn list_connectors(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| Ok(t.list_connectors(o, a)))
}

/// `POST .../telephony/connectors/batch`
pub(crate) fn batch_get_connectors(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.batch_get_connectors(o, a, req.body)
    })
}

/// `PATCH .../telephony/connectors/batch`
pub(crate) fn batch_update_connectors(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.batch_update_connectors(o, a, req.body)
    })
}

/// `POST .../telephony/connectors/lookup`
pub(crate) fn lookup_connector(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.lookup_connector(o, a, req.body)
    })
}

/// `GET .../telephony/connectors/{connectorId}`
pub(crate) fn get_connector(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.get_connector(o, a, req.param("connectorId"))
    })
}

/// `PATCH .../telephony/connectors/{connectorId}` (a `projectId` moves it to that agent)
pub(crate) fn update_connector(req: &Req<'_>) -> Reply {
    let agent_id = req.param("agentId");
    let connector_id = req.param("connectorId");
    // The body is parsed once: bad JSON or a wrong shape is the operation's validation error.
    let update: ConnectorUpdate = req.json_with(connectors_invalid)?;
    // The agent a `projectId` names must exist too.
    let project = update
        .project_id
        .clone()
        .filter(|p| !p.trim().is_empty() && p != agent_id);
    let mut store = req.app.store();
    let incarnation = store.agents.incarnation(req.app, agent_id)?;
    let target_incarnation = match &project {
        Some(p) => Some(store.agents.incarnation(req.app, p)?),
        None => None,
    };
    let owner = Owner::of(req.app, incarnation);
    let target = target_incarnation.map(|incarnation| Owner {
        incarnation,
        ..owner
    });
    let value = store.telephony.update_connector(
        &owner,
        target.as_ref(),
        agent_id,
        connector_id,
        update,
    )?;
    Ok(json_response(StatusCode::OK, &value))
}

/// `DELETE .../telephony/connectors/{connectorId}`
pub(crate) fn delete_connector(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.delete_connector(o, a, req.param("connectorId"))
    })
}

/// `GET .../telephony/phone-numbers`
pub(crate) fn list_phone_numbers(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.list_numbers(o, a, req.query_first("connectorId"))
    })
}

/// `POST .../telephony/phone-numbers`
pub(crate) fn import_phone_numbers(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::CREATED, |t, o, a| {
        t.import_numbers(o, a, req.body)
    })
}

/// `DELETE .../telephony/phone-numbers` (the numbers in the body)
pub(crate) fn delete_phone_numbers(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.delete_numbers(o, a, req.body)
    })
}

/// `POST .../telephony/phone-numbers/batch`
pub(crate) fn batch_get_phone_numbers(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.batch_get_numbers(o, a, req.body)
    })
}

/// `GET .../telephony/phone-numbers/{phoneNumber}`
pub(crate) fn get_phone_number(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.get_number(o, a, req.param("phoneNumber"))
    })
}

/// `POST .../telephony/phone-numbers/{phoneNumber}`
pub(crate) fn import_phone_number(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::CREATED, |t, o, a| {
        t.import_number(o, a, req.param("phoneNumber"), req.body)
    })
}

/// `PATCH .../telephony/phone-numbers/{phoneNumber}`
pub(crate) fn reassign_phone_number(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.reassign_number(o, a, req.param("phoneNumber"), req.body)
    })
}

/// `DELETE .../telephony/phone-numbers/{phoneNumber}`
pub(crate) fn delete_phone_number(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.delete_number(o, a, req.param("phoneNumber"))
    })
}

/// `POST .../telephony/outbound-calls`
pub(crate) fn place_outbound_call(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| t.place_call(o, a, req.body))
}

/// `GET .../telephony/outbound-calls/{callSid}/status?environment=`
pub(crate) fn get_outbound_call_status(req: &Req<'_>) -> Reply {
    with_store(req, StatusCode::OK, |t, o, a| {
        t.call_status(o, a, req.param("callSid"), req.query_first("environment"))
    })
}

/// [`crate::MockServer::add_connector`], also behind `POST /_mock/connectors`.
pub(crate) fn add_connector_to(app: &App, agent_id: &str, client_env: &str) -> Option<String> {
    let mut store = app.store();
    let incarnation = store.agents.incarnation(app, agent_id).ok()?;
    let owner = Owner::of(app, incarnation);
    store
        .telephony
        .add_connector(&owner, agent_id, client_env)
        .ok()
}

/// [`crate::MockServer::agent_outbound_calls`], also behind
/// `GET /_mock/agent-outbound-calls/{agentId}`.
pub(crate) fn placed_calls(app: &App, agent_id: &str) -> Vec<AgentOutboundCall> {
    let mut store = app.store();
    let Ok(incarnation) = store.agents.incarnation(app, agent_id) else {
        return Vec::new();
    };
    let owner = Owner::of(app, incarnation);
    store.telephony.calls(&owner, agent_id)
}

/// The partial connector update both update operations take (`connectorId` aside).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ConnectorUpdate {
    #[serde(default, deserialize_with = "present")]
    variant_id: Option<Option<String>>,
    asr_lang_code: Option<String>,
    voice_name: Option<String>,
    project_id: Option<String>,
}

/// Reads a field that may be `null` as `Some(None)` (absent stays `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `{phoneNumbers: [...]}` with at least one number.
fn number_list(body: &[u8]) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Body {
        phone_numbers: Vec<String>,
    }
    let req: Body = parse(body, numbers_invalid)?;
    check_batch("phoneNumbers", req.phone_numbers.len(), numbers_invalid)?;
    Ok(req.phone_numbers)
}

/// An outbound `toNumber` as E.164: already E.164, or a national number with `countryCode`.
fn normalise_number(to: &str, country: Option<&str>) -> Result<String, ApiError> {
    let compact: String = to
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    if compact.starts_with('+') {
        return if is_e164(&compact) {
            Ok(compact)
        } else {
            Err(outbound_invalid(format!(
                "toNumber {to:?} is not a valid E.164 number."
            )))
        };
    }
    let Some(country) = country else {
        return Err(outbound_invalid(format!(
            "toNumber {to:?} has no country prefix: send it in E.164 (+44...) or add countryCode."
        )));
    };
    let code = CALLING_CODES
        .iter()
        .find(|(iso, _)| iso.eq_ignore_ascii_case(country))
        .map(|(_, code)| *code)
        .ok_or_else(|| {
            outbound_invalid(format!(
                "countryCode {country:?} is not an ISO 3166-1 alpha-2 code the mock knows."
            ))
        })?;
    let national = compact.trim_start_matches('0');
    let number = format!("+{code}{national}");
    if is_e164(&number) && national.len() >= 4 {
        Ok(number)
    } else {
        Err(outbound_invalid(format!(
            "toNumber {to:?} is not a valid number for {country}."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: Owner<'static> = Owner {
        account_id: "ws-test",
        instance_key: 7,
        incarnation: 1,
    };

    fn ok(result: Result<Value, ApiError>) -> Value {
        result.unwrap_or_else(|e| panic!("{} {}", e.code, e.message))
    }

    fn code(result: Result<Value, ApiError>) -> (u16, &'static str) {
        match result {
            Ok(v) => panic!("expected an error, got {v}"),
            Err(e) => (e.status.as_u16(), e.code),
        }
    }

    #[test]
    fn numbers_are_e164() {
        assert!(is_e164("+442071234567"));
        assert!(!is_e164("442071234567"));
        assert!(!is_e164("+0207"));
        assert!(!is_e164("+4420712345678901"));
        assert!(!is_e164("+44 20"));
        assert_eq!(voice_language("en-US-Neural2-A").as_deref(), Some("en-US"));
        assert_eq!(voice_language("Neural2"), None);
        assert_eq!(
            normalise_number("020 7123 4567", Some("gb"))
                .ok()
                .as_deref(),
            Some("+442071234567")
        );
        assert!(normalise_number("0207", None).is_err());
    }

    #[test]
    fn agents_start_with_a_connector_per_environment_and_a_live_number() {
        let mut store = TelephonyStore::default();
        let list = store.list_connectors(&OWNER, "A");
        let envs: Vec<&str> = list["connectors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["clientEnv"].as_str())
            .collect();
        assert_eq!(envs, ENVIRONMENTS);
        let numbers = ok(store.list_numbers(&OWNER, "A", None));
        let number = numbers["phoneNumbers"][0]["number"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        assert!(is_e164(&number));
        let looked_up = ok(store.lookup_connector(
            &OWNER,
            "A",
            format!(r#"{{"phoneNumber":"{number}"}}"#).as_bytes(),
        ));
        assert_eq!(looked_up["clientEnv"], "live");
        // A new incarnation starts afresh.
        let again = Owner {
            incarnation: 2,
            ..OWNER
        };
        let before = list["connectors"][0]["connectorId"].clone();
        assert_ne!(
            store.list_connectors(&again, "A")["connectors"][0]["connectorId"],
            before
        );
    }

    #[test]
    fn imports_are_unique_and_deleting_a_connector_releases_its_numbers() {
        let mut store = TelephonyStore::default();
        let made = ok(store.import_numbers(
            &OWNER,
            "A",
            br#"{"phoneNumbers":["+15551230001","+15551230002"],"clientEnv":"sandbox"}"#,
        ));
        assert_eq!(made["imported"][1], "+15551230002");
        assert_eq!(
            code(store.import_number(&OWNER, "B", "+15551230001", b"")),
            (409, "PHONE_NUMBERS_ALREADY_EXISTS")
        );
        assert_eq!(
            code(store.import_number(&OWNER, "A", "555", b"")),
            (400, "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT")
        );
        let sandbox = ok(store.get_number(&OWNER, "A", "+15551230001"));
        let connector = sandbox["connectorId"].as_str().unwrap_or("").to_owned();
        let deleted = ok(store.delete_connector(&OWNER, "A", &connector));
        assert_eq!(
            deleted["deletedPhoneNumbers"].as_array().map(Vec::len),
            Some(2)
        );
        assert_eq!(
            code(store.get_number(&OWNER, "A", "+15551230001")),
            (404, "PHONE_NUMBERS_NOT_FOUND")
        );
        let batch =
            ok(store.delete_numbers(&OWNER, "A", br#"{"phoneNumbers":["+15551230009","x"]}"#));
        assert_eq!(batch["deleted"], json!([]));
        assert_eq!(batch["errors"].as_array().map(Vec::len), Some(2));
    }

    /// A connector update from JSON text (the handler parses it with the request's parser).
    fn update(body: &[u8]) -> ConnectorUpdate {
        serde_json::from_slice(body).expect("a valid connector update")
    }

    #[test]
    fn connector_updates_validate_and_move() {
        let mut store = TelephonyStore::default();
        let list = store.list_connectors(&OWNER, "A");
        let id = list["connectors"][2]["connectorId"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let updated = ok(store.update_connector(
            &OWNER,
            None,
            "A",
            &id,
            update(br#"{"voiceName":"en-US-Neural2-C","variantId":"VARIANT-1"}"#),
        ));
        assert_eq!(updated["ttsLangCode"], "en-US");
        assert_eq!(updated["variantId"], "VARIANT-1");
        let cleared =
            ok(store.update_connector(&OWNER, None, "A", &id, update(br#"{"variantId":null}"#)));
        assert_eq!(cleared["variantId"], "");
        assert_eq!(
            code(store.update_connector(
                &OWNER,
                None,
                "A",
                &id,
                update(br#"{"asrLangCode":"english"}"#)
            )),
            (400, "CONNECTORS_VALIDATION_FAILED")
        );
        let batch = ok(store.batch_update_connectors(
            &OWNER,
            "A",
            format!(r#"{{"updates":[{{"connectorId":"{id}","asrLangCode":"fr-FR"}},{{"connectorId":"nope"}}]}}"#).as_bytes(),
        ));
        assert_eq!(batch["results"][0]["success"], true);
        assert_eq!(batch["results"][1]["success"], false);
        let target = Owner {
            incarnation: 5,
            ..OWNER
        };
        let moved = ok(store.update_connector(
            &OWNER,
            Some(&target),
            "A",
            &id,
            update(br#"{"projectId":"B"}"#),
        ));
        assert_eq!(moved["projectId"], "B");
        assert_eq!(code(store.get_connector(&OWNER, "A", &id)).0, 404);
        assert_eq!(
            ok(store.get_connector(&target, "B", &id))["asrLangCode"],
            "fr-FR"
        );
    }

    #[test]
    fn outbound_calls_progress_per_status_read() {
        let mut store = TelephonyStore::default();
        let placed = ok(store.place_call(
            &OWNER,
            "A",
            br#"{"toNumber":"+442071230000","environment":"live"}"#,
        ));
        assert_eq!(placed["status"], "QUEUED");
        let sid = placed["callSid"].as_str().unwrap_or("").to_owned();
        assert!(sid.starts_with("OUT-"));
        let read =
            |store: &mut TelephonyStore| ok(store.call_status(&OWNER, "A", &sid, Some("live")));
        assert_eq!(read(&mut store)["status"], "CALLING");
        let done = read(&mut store);
        assert_eq!(done["status"], "FAILURE");
        assert_eq!(done["reason"], "The call was not answered.");
        assert_eq!(
            code(store.call_status(&OWNER, "A", &sid, Some("sandbox"))),
            (404, "OUTBOUND_CALL_NOT_FOUND")
        );
        assert_eq!(code(store.call_status(&OWNER, "A", &sid, None)).0, 400);
        assert_eq!(
            code(store.place_call(&OWNER, "A", br#"{"toNumber":"07700","environment":"live"}"#)).1,
            "OUTBOUND_CALL_VALIDATION_FAILED"
        );
        let big = "x".repeat(20_000);
        let body = format!(
            r#"{{"toNumber":"+442071234567","environment":"live","metadata":{{"a":"{big}"}}}}"#
        );
        assert_eq!(code(store.place_call(&OWNER, "A", body.as_bytes())).0, 400);
    }
}
