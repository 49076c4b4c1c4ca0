//! The Agents API's build-and-ship flow: agents, branches, knowledge-base topics, merges and
//! deployments, stored per agent.
//!
//! # Model
//!
//! Every agent has a read-only `main` branch holding its knowledge-base topics and a change
//! `sequence` (digits as text on the wire). A branch copies `main` when it is created; topics
//! are edited on the branch and land on `main` with a merge. A merge is a three-way merge per
//! topic against the `main` the branch started from: a topic changed on only one side takes
//! that side's version; a topic changed differently on both sides is a conflict (400 with the
//! conflicts listed in the envelope's `data`), settled by sending `conflictResolutions` with
//! the conflict's `path`. A successful merge bumps the sequence, closes the branch (it is no
//! longer listed) and publishes the new `main` to `sandbox` at once.
//!
//! Deployments carry the `version` (a hash of `main`'s topics) they run. Publishing deploys
//! the current `main`; promoting copies a deployment's version to a later environment
//! (sandbox, then pre-release, then live); rolling back redeploys an earlier deployment's
//! version to its environment. Each makes a new deployment with a new UUIDv7-like id.
//!
//! | situation | answer |
//! |---|---|
//! | publishing a version the environment already runs (e.g. right after a merge) | 409 `DEPLOYMENTS_ALREADY_PUBLISHED` |
//! | promoting (or publishing) to live a version pre-release does not run | 412 `ErrPreReleaseNotReady` |
//! | promoting to the same or an earlier environment, or past live | 400 `DEPLOYMENTS_INVALID_ENVIRONMENT` |
//! | an unknown environment | 400 `DEPLOYMENTS_INVALID_ENVIRONMENT` |
//! | `list_deployments` without `environment`, or a bad `limit` | 400 `DEPLOYMENTS_VALIDATION_FAILED` |
//! | an unknown deployment id | 404 `DEPLOYMENT_NOT_FOUND` |
//! | a write under `branches/main/...` (topics, delete, merge) | 422 `CANNOT_UPDATE_MAIN_BRANCH` ("Cannot directly update main branch") |
//! | an unknown branch / topic | 404 `BRANCH_NOT_FOUND` / `KNOWLEDGE_BASE_TOPIC_NOT_FOUND` |
//! | a topic name already used on the branch | 409 `KNOWLEDGE_BASE_TOPIC_ALREADY_EXISTS` |
//! | an invalid topic body | 400 `KNOWLEDGE_BASE_TOPICS_INVALID` |
//! | a branch name already used | 409 `BRANCH_NAME_ALREADY_EXISTS` |
//! | an agent id already used / not of the form `[A-Za-z0-9-]+` | 409 `PROJECT_ID_ALREADY_EXISTS` / 400 `PROJECT_ID_INVALID` |
//! | a deleted agent | 404 `PROJECT_NOT_FOUND` |
//! | other invalid bodies (unknown fields included) | 400 `BAD_REQUEST` |
//!
//! PolyAI documents no codes for the branch, topic-not-found, main-branch and merge-conflict
//! cases; the codes above are the mock's.
//!
//! Branches also hold the behaviour rules, attributes and variants (`agents_config`): they
//! are copied with `main`, merged three-way with the topics and part of the version hash.
//! `duplicate_agent` makes a new agent (an id of its own unless `newAgentId` is given; the
//! same 400/409 rules as `create_agent`) holding a copy of the source's `main`, with no
//! branches and no deployments.
//!
//! Any agent id is accepted in agent-scoped paths: an agent seen for the first time starts
//! with three topics on `main` and no deployment. Agents made with `create_agent` start with
//! an empty knowledge base. Deleted agents answer 404 until created again.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::agents_config::{self, BranchConfig, Choice};
use crate::envelope::{ApiError, empty_response, json_body, json_response};
use crate::request::{Reply, Req};
use crate::salts;
use crate::state::App;
use crate::time::{now_ms, rfc3339_ms};
use crate::util::{fnv64, hash3, hex, token, uuid7_from};

/// Who made every deployment.
const DEPLOYER: &str = "developer@example.com";
/// Deployments listed when `limit` is not given.
const DEFAULT_LIST_LIMIT: usize = 50;
/// The read-only branch.
const MAIN: &str = "main";

/// A deployment environment, in promotion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Sandbox = 0,
    PreRelease = 1,
    Live = 2,
}

impl Stage {
    const ALL: [Stage; 3] = [Stage::Sandbox, Stage::PreRelease, Stage::Live];

    fn as_str(self) -> &'static str {
        match self {
            Stage::Sandbox => "sandbox",
            Stage::PreRelease => "pre-release",
            Stage::Live => "live",
        }
    }

    fn parse(text: &str) -> Result<Stage, ApiError> {
        Stage::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                invalid_environment(format!(
                    "Unknown environment {text:?}: use sandbox, pre-release or live."
                ))
            })
    }

    fn index(self) -> usize {
        self as usize
    }

    fn next(self) -> Option<Stage> {
        match self {
            Stage::Sandbox => Some(Stage::PreRelease),
            Stage::PreRelease => Some(Stage::Live),
            Stage::Live => None,
        }
    }
}

/// A knowledge-base topic.
#[derive(Debug, Clone, PartialEq)]
struct Topic {
    id: String,
    name: String,
    content: String,
    actions: Option<String>,
    queries: Vec<String>,
    is_active: bool,
}

impl Topic {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "content": self.content,
            // The documents make `actions` a required string: a topic without actions has "".
            "actions": self.actions.as_deref().unwrap_or(""),
            "exampleQueries": {"queries": self.queries},
            "isActive": self.is_active,
        })
    }
}

/// A branch: its topics and settings, and the `main` it started from (for three-way merges).
#[derive(Debug, Clone)]
struct Branch {
    id: String,
    name: String,
    created_ms: i64,
    base_sequence: u64,
    base: Vec<Topic>,
    topics: Vec<Topic>,
    /// `main`'s behaviour rules, attributes and variants when the branch was made.
    base_config: BranchConfig,
    /// The branch's behaviour rules, attributes and variants.
    config: BranchConfig,
}

/// One deployment.
#[derive(Debug, Clone)]
struct Deployment {
    id: String,
    stage: Stage,
    version: String,
    sequence: u64,
    created_ms: i64,
    message: String,
    source: &'static str,
    /// `promotedFrom` / `rolledBackTo`: the deployment this one was made from.
    origin: Option<(&'static str, String)>,
}

/// One agent and everything stored about it.
#[derive(Debug, Clone)]
struct Agent {
    account_id: String,
    agent_id: String,
    name: String,
    created_ms: i64,
    updated_ms: i64,
    main: Vec<Topic>,
    /// `main`'s behaviour rules, attributes and variants.
    main_config: BranchConfig,
    /// Distinguishes an agent from an earlier one with the same id (deleted, then created
    /// again), so stores kept elsewhere per agent id can start afresh.
    incarnation: u64,
    sequence: u64,
    branches: Vec<Branch>,
    /// Oldest first.
    deployments: Vec<Deployment>,
    /// Index into `deployments` of what each stage runs.
    active: [Option<usize>; 3],
}

/// Every agent the mock knows (created, deleted or first seen in a path).
#[derive(Debug, Default)]
pub(crate) struct AgentStore {
    agents: Vec<Agent>,
    deleted: Vec<String>,
    seeded: bool,
    counter: u64,
}

impl AgentStore {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Adds the mock's own agent the first time the store is used.
    fn seed(&mut self, app: &App) {
        if !self.seeded {
            self.seeded = true;
            let agent = self.sample_agent(app, &app.data.cfg.project_id);
            self.agents.push(agent);
        }
    }

    fn sample_agent(&mut self, app: &App, agent_id: &str) -> Agent {
        let now = now_ms();
        let mut main = Vec::new();
        for (name, content, actions, queries) in SAMPLE_TOPICS {
            let n = self.next();
            main.push(Topic {
                id: topic_id(app, n),
                name: (*name).to_owned(),
                content: (*content).to_owned(),
                actions: actions.map(str::to_owned),
                queries: queries.iter().map(|q| (*q).to_owned()).collect(),
                is_active: true,
            });
        }
        let attribute = self.new_id(app, "ATTRIBUTE", salts::ATTRIBUTE_ID);
        let variant = self.new_id(app, "VARIANT", salts::AGENT_VARIANT_ID);
        Agent {
            account_id: app.data.cfg.account_id.clone(),
            agent_id: agent_id.to_owned(),
            name: agent_id.to_owned(),
            created_ms: now,
            updated_ms: now,
            main,
            main_config: BranchConfig::sample(attribute, variant),
            incarnation: self.next(),
            sequence: 1,
            branches: Vec::new(),
            deployments: Vec::new(),
            active: [None; 3],
        }
    }

    fn position(&self, agent_id: &str) -> Option<usize> {
        self.agents.iter().position(|a| a.agent_id == agent_id)
    }

    /// The agent, added on first sight unless it was deleted.
    fn agent(&mut self, app: &App, agent_id: &str) -> Result<&mut Agent, ApiError> {
        self.seed(app);
        if let Some(i) = self.position(agent_id) {
            return Ok(&mut self.agents[i]);
        }
        if self.deleted.iter().any(|d| d == agent_id) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "PROJECT_NOT_FOUND",
                format!("Agent {agent_id} does not exist."),
            ));
        }
        let agent = self.sample_agent(app, agent_id);
        self.agents.push(agent);
        let last = self.agents.len() - 1;
        Ok(&mut self.agents[last])
    }

    /// A new `PREFIX-XXXXXXXX` id (upper-case letters and digits), unique in this server.
    pub(crate) fn new_id(&mut self, app: &App, prefix: &str, salt: u64) -> String {
        let n = self.next();
        format!("{prefix}-{}", token(app.instance_key, n, salt, 8, true))
    }

    /// Checks that the agent exists (404 `PROJECT_NOT_FOUND` once deleted; any other id is
    /// added on first sight) and returns its incarnation: stores kept per agent id elsewhere
    /// forget what they hold when it changes.
    pub(crate) fn incarnation(&mut self, app: &App, agent_id: &str) -> Result<u64, ApiError> {
        Ok(self.agent(app, agent_id)?.incarnation)
    }

    /// The behaviour rules, attributes and variants of a branch (`main` included), to read.
    pub(crate) fn branch_config(
        &mut self,
        app: &App,
        agent_id: &str,
        branch_id: &str,
    ) -> Result<&BranchConfig, ApiError> {
        let agent = self.agent(app, agent_id)?;
        if branch_id == MAIN {
            return Ok(&agent.main_config);
        }
        agent
            .branches
            .iter()
            .find(|b| b.id == branch_id)
            .map(|b| &b.config)
            .ok_or_else(|| branch_not_found(branch_id))
    }

    /// The settings of a branch, to change (422 on `main`); marks the agent updated.
    pub(crate) fn branch_config_mut(
        &mut self,
        app: &App,
        agent_id: &str,
        branch_id: &str,
    ) -> Result<&mut BranchConfig, ApiError> {
        let agent = self.agent(app, agent_id)?;
        if branch_id == MAIN {
            return Err(main_read_only());
        }
        let branch = agent
            .branches
            .iter_mut()
            .find(|b| b.id == branch_id)
            .ok_or_else(|| branch_not_found(branch_id))?;
        agent.updated_ms = now_ms();
        Ok(&mut branch.config)
    }

    /// A new attribute id.
    pub(crate) fn new_attribute_id(&mut self, app: &App) -> String {
        self.new_id(app, "ATTRIBUTE", salts::ATTRIBUTE_ID)
    }

    /// A new variant id.
    pub(crate) fn new_variant_id(&mut self, app: &App) -> String {
        self.new_id(app, "VARIANT", salts::AGENT_VARIANT_ID)
    }
}

const SAMPLE_TOPICS: &[(&str, &str, Option<&str>, &[&str])] = &[
    (
        "Opening hours",
        "We are open from 9am to 5pm, Monday to Saturday, and from 10am to 4pm on Sundays.",
        None,
        &["When are you open?", "What time do you close today?"],
    ),
    (
        "Refunds",
        "Refunds are issued to the original payment method within 5 working days.",
        Some("Ask for the order number before explaining the refund policy."),
        &["How do I get a refund?"],
    ),
    (
        "Parking",
        "Free parking is available behind the building for up to three hours.",
        None,
        &["Is there parking?"],
    ),
];

// ---------------------------------------------------------------------------------------------
// Errors and bodies

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

fn topics_invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "KNOWLEDGE_BASE_TOPICS_INVALID",
        message,
    )
}

fn deployments_invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "DEPLOYMENTS_VALIDATION_FAILED",
        message,
    )
}

fn invalid_environment(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "DEPLOYMENTS_INVALID_ENVIRONMENT",
        message,
    )
}

fn main_read_only() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "CANNOT_UPDATE_MAIN_BRANCH",
        "Cannot directly update main branch. Create a branch, change it, then merge it.",
    )
}

fn branch_not_found(branch_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "BRANCH_NOT_FOUND",
        format!("Branch {branch_id} does not exist."),
    )
}

fn topic_not_found(topic_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "KNOWLEDGE_BASE_TOPIC_NOT_FOUND",
        format!("Knowledge-base topic {topic_id} does not exist on this branch."),
    )
}

fn topic_exists(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "KNOWLEDGE_BASE_TOPIC_ALREADY_EXISTS",
        format!("A topic named {name:?} already exists on this branch."),
    )
}

fn deployment_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "DEPLOYMENT_NOT_FOUND",
        format!("Deployment {id} does not exist for this agent."),
    )
}

fn already_published(stage: Stage) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "DEPLOYMENTS_ALREADY_PUBLISHED",
        format!("This version is already published to {}.", stage.as_str()),
    )
}

fn pre_release_not_ready() -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "ErrPreReleaseNotReady",
        "Pre-release is not ready: promote this version to pre-release before going live.",
    )
}

fn chars_between(text: &str, min: usize, max: usize) -> bool {
    let n = text.trim().chars().count();
    (min..=max).contains(&n)
}

// ---------------------------------------------------------------------------------------------
// Dispatch

/// Runs `f` with the request's agent `agentId` from the locked store (created on first
/// sight, as the mock accepts any agent id).
fn with_agent(req: &Req<'_>, f: impl FnOnce(&App, &mut Agent) -> Reply) -> Reply {
    let mut store = req.app.store();
    let agent = store.agents.agent(req.app, req.param("agentId"))?;
    f(req.app, agent)
}

/// [`with_agent`], plus a fresh number from the store's id sequence (for new ids).
fn with_agent_n(req: &Req<'_>, f: impl FnOnce(&App, &mut Agent, u64) -> Reply) -> Reply {
    let mut store = req.app.store();
    let agents = &mut store.agents;
    let n = agents.next();
    let agent = agents.agent(req.app, req.param("agentId"))?;
    f(req.app, agent, n)
}

/// `GET /v1/accounts/{accountId}/agents`
pub(crate) fn list_agents(req: &Req<'_>) -> Reply {
    let mut store = req.app.store();
    list_agents_in(req.app, &mut store.agents, req.param("accountId"))
}

/// `POST /v1/accounts/{accountId}/agents`
pub(crate) fn create_agent(req: &Req<'_>) -> Reply {
    let mut store = req.app.store();
    create_agent_in(req.app, &mut store.agents, req.param("accountId"), req.body)
}

/// `POST /v1/agents/{agentId}/duplicate`
pub(crate) fn duplicate(req: &Req<'_>) -> Reply {
    let mut store = req.app.store();
    duplicate_agent(req.app, &mut store.agents, req.param("agentId"), req.body)
}

/// `DELETE /v1/agents/{agentId}`
pub(crate) fn delete_agent(req: &Req<'_>) -> Reply {
    let mut store = req.app.store();
    delete_agent_in(req.app, &mut store.agents, req.param("agentId"))
}

/// `GET /v1/agents/{agentId}/branches`
pub(crate) fn list_branches(req: &Req<'_>) -> Reply {
    with_agent(req, |_, agent| Ok(list_branches_of(agent)))
}

/// `POST /v1/agents/{agentId}/branches`
pub(crate) fn create_branch(req: &Req<'_>) -> Reply {
    with_agent_n(req, |app, agent, n| {
        create_branch_in(app, agent, n, req.body)
    })
}

/// `DELETE /v1/agents/{agentId}/branches/{branchId}`
pub(crate) fn delete_branch(req: &Req<'_>) -> Reply {
    with_agent(req, |_, agent| {
        delete_branch_in(agent, req.param("branchId"))
    })
}

/// `POST /v1/agents/{agentId}/branches/{branchId}/merge`
pub(crate) fn merge_branch(req: &Req<'_>) -> Reply {
    with_agent_n(req, |app, agent, n| {
        merge_branch_in(app, agent, n, req.param("branchId"), req.body)
    })
}

/// `GET .../branches/{branchId}/knowledge-base/topics`
pub(crate) fn list_topics(req: &Req<'_>) -> Reply {
    with_agent(req, |_, agent| {
        let topics = read_topics(agent, req.param("branchId"))?;
        let list: Vec<Value> = topics.iter().map(Topic::to_json).collect();
        Ok(json_response(StatusCode::OK, &list))
    })
}

/// `GET .../knowledge-base/topics/{topicId}`
pub(crate) fn get_topic(req: &Req<'_>) -> Reply {
    with_agent(req, |_, agent| {
        let topic_id = req.param("topicId");
        let topics = read_topics(agent, req.param("branchId"))?;
        let topic = topics
            .iter()
            .find(|t| t.id == topic_id)
            .ok_or_else(|| topic_not_found(topic_id))?;
        Ok(json_response(StatusCode::OK, &topic.to_json()))
    })
}

/// `POST .../branches/{branchId}/knowledge-base/topics`
pub(crate) fn create_topic(req: &Req<'_>) -> Reply {
    with_agent_n(req, |app, agent, n| {
        create_topic_in(app, agent, n, req.param("branchId"), req.body)
    })
}

/// `PATCH .../knowledge-base/topics/{topicId}`
pub(crate) fn update_topic(req: &Req<'_>) -> Reply {
    with_agent(req, |_, agent| {
        update_topic_in(agent, req.param("branchId"), req.param("topicId"), req.body)
    })
}

/// `DELETE .../knowledge-base/topics/{topicId}`
pub(crate) fn delete_topic(req: &Req<'_>) -> Reply {
    with_agent(req, |_, agent| {
        let topic_id = req.param("topicId");
        let topics = write_topics(agent, req.param("branchId"))?;
        let i = topics
            .iter()
            .position(|t| t.id == topic_id)
            .ok_or_else(|| topic_not_found(topic_id))?;
        topics.remove(i);
        agent.updated_ms = now_ms();
        Ok(empty_response(StatusCode::NO_CONTENT))
    })
}

/// `GET /v1/agents/{agentId}/deployments`
pub(crate) fn list_deployments(req: &Req<'_>) -> Reply {
    with_agent(req, |_, agent| list_deployments_of(agent, &req.query))
}

/// `GET /v1/agents/{agentId}/deployments/active`
pub(crate) fn active_deployments(req: &Req<'_>) -> Reply {
    with_agent(req, |_, agent| {
        let mut active = Map::new();
        for stage in Stage::ALL {
            let value = agent.active[stage.index()].map_or(Value::Null, |i| {
                deployment_json(agent, &agent.deployments[i])
            });
            active.insert(stage.as_str().to_owned(), value);
        }
        Ok(json_response(
            StatusCode::OK,
            &json!({ "activeDeployments": active }),
        ))
    })
}

/// `POST /v1/agents/{agentId}/deployments/publish`
pub(crate) fn publish(req: &Req<'_>) -> Reply {
    with_agent_n(req, |app, agent, n| publish_in(app, agent, n, req.body))
}

/// `POST .../deployments/{deploymentId}/promote`
pub(crate) fn promote(req: &Req<'_>) -> Reply {
    with_agent_n(req, |app, agent, n| {
        promote_in(app, agent, n, req.param("deploymentId"), req.body)
    })
}

/// `POST .../deployments/{deploymentId}/rollback`
pub(crate) fn rollback(req: &Req<'_>) -> Reply {
    with_agent_n(req, |app, agent, n| {
        rollback_in(app, agent, n, req.param("deploymentId"), req.body)
    })
}

// ---------------------------------------------------------------------------------------------
// Agents

fn agent_json(agent: &Agent) -> Value {
    json!({
        "accountId": agent.account_id,
        "agentId": agent.agent_id,
        "agentName": agent.name,
        "createdAt": rfc3339_ms(agent.created_ms),
        "updatedAt": rfc3339_ms(agent.updated_ms),
        "branchCount": agent.branches.len() + 1,
    })
}

fn list_agents_in(app: &App, store: &mut AgentStore, account: &str) -> Result<Response, ApiError> {
    store.seed(app);
    let list: Vec<Value> = store
        .agents
        .iter()
        .filter(|a| a.account_id == account)
        .map(agent_json)
        .collect();
    Ok(json_response(StatusCode::OK, &list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateAgentBody {
    name: String,
    response_settings: ResponseSettings,
    agent_id: Option<String>,
    voice_settings: Option<VoiceSettings>,
    #[allow(dead_code)]
    llm_settings: Option<LlmSettings>,
    #[allow(dead_code)]
    experimental_config: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResponseSettings {
    greeting: String,
    language_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VoiceSettings {
    voice_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LlmSettings {
    #[allow(dead_code)]
    model_id: Option<String>,
}

fn create_agent_in(
    app: &App,
    store: &mut AgentStore,
    account: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    store.seed(app);
    let req: CreateAgentBody = json_body(body, None, bad_request)?;
    if !chars_between(&req.name, 1, 100) {
        return Err(bad_request("name must be 1 to 100 characters."));
    }
    if req.response_settings.greeting.trim().is_empty() {
        return Err(bad_request("responseSettings.greeting must not be empty."));
    }
    if req
        .response_settings
        .language_code
        .as_deref()
        .is_some_and(str::is_empty)
    {
        return Err(bad_request(
            "responseSettings.languageCode must not be empty when given.",
        ));
    }
    if req
        .voice_settings
        .as_ref()
        .is_some_and(|v| v.voice_id.is_empty())
    {
        return Err(bad_request("voiceSettings.voiceId must not be empty."));
    }
    let agent_id = new_agent_id(app, store, req.agent_id)?;
    store.deleted.retain(|d| *d != agent_id);
    let now = now_ms();
    let agent = Agent {
        account_id: account.to_owned(),
        agent_id,
        name: req.name.trim().to_owned(),
        created_ms: now,
        updated_ms: now,
        main: Vec::new(),
        main_config: BranchConfig::default(),
        incarnation: store.next(),
        sequence: 1,
        branches: Vec::new(),
        deployments: Vec::new(),
        active: [None; 3],
    };
    let answer = json_response(StatusCode::OK, &agent_json(&agent));
    store.agents.push(agent);
    Ok(answer)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DuplicateAgentBody {
    new_agent_name: String,
    new_agent_id: Option<String>,
}

/// Checks a chosen agent id (`[A-Za-z0-9-]+`, not in use) or makes one.
fn new_agent_id(
    app: &App,
    store: &mut AgentStore,
    chosen: Option<String>,
) -> Result<String, ApiError> {
    let n = store.next();
    let agent_id = match chosen {
        Some(id) => {
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "PROJECT_ID_INVALID",
                    "agentId may contain only letters, digits and hyphens.",
                ));
            }
            id
        }
        None => format!(
            "PROJECT-{}",
            token(app.instance_key, n, salts::AGENT_ID, 8, true)
        ),
    };
    if store.position(&agent_id).is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "PROJECT_ID_ALREADY_EXISTS",
            format!("An agent with id {agent_id} already exists."),
        ));
    }
    Ok(agent_id)
}

/// `POST /v1/agents/{agentId}/duplicate`: a new agent holding a copy of the source's `main`
/// (topics, behaviour rules, attributes, variants); no branches, no deployments. 200.
fn duplicate_agent(
    app: &App,
    store: &mut AgentStore,
    agent_id: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let source = store.agent(app, agent_id)?.clone();
    let req: DuplicateAgentBody = json_body(body, None, bad_request)?;
    if !chars_between(&req.new_agent_name, 1, 100) {
        return Err(bad_request("newAgentName must be 1 to 100 characters."));
    }
    let new_id = new_agent_id(app, store, req.new_agent_id)?;
    store.deleted.retain(|d| *d != new_id);
    let now = now_ms();
    let copy = Agent {
        account_id: source.account_id,
        agent_id: new_id,
        name: req.new_agent_name.trim().to_owned(),
        created_ms: now,
        updated_ms: now,
        main: source.main,
        main_config: source.main_config,
        incarnation: store.next(),
        sequence: 1,
        branches: Vec::new(),
        deployments: Vec::new(),
        active: [None; 3],
    };
    let answer = json_response(StatusCode::OK, &agent_json(&copy));
    store.agents.push(copy);
    Ok(answer)
}

fn delete_agent_in(
    app: &App,
    store: &mut AgentStore,
    agent_id: &str,
) -> Result<Response, ApiError> {
    store.agent(app, agent_id)?;
    if let Some(i) = store.position(agent_id) {
        store.agents.remove(i);
    }
    store.deleted.push(agent_id.to_owned());
    Ok(empty_response(StatusCode::NO_CONTENT))
}

// ---------------------------------------------------------------------------------------------
// Branches and topics

fn list_branches_of(agent: &Agent) -> Response {
    let mut branches = vec![json!({
        "branchId": MAIN,
        "branchName": MAIN,
        "sequenceId": agent.sequence.to_string(),
        "createdAt": rfc3339_ms(agent.created_ms),
    })];
    branches.extend(agent.branches.iter().map(|b| {
        json!({
            "branchId": b.id,
            "branchName": b.name,
            "sequenceId": b.base_sequence.to_string(),
            "createdAt": rfc3339_ms(b.created_ms),
        })
    }));
    json_response(StatusCode::OK, &json!({ "branches": branches }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateBranchBody {
    branch_name: String,
}

fn create_branch_in(
    app: &App,
    agent: &mut Agent,
    n: u64,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let req: CreateBranchBody = json_body(body, None, bad_request)?;
    let name = req.branch_name.trim();
    if !chars_between(name, 1, 100) {
        return Err(bad_request("branchName must be 1 to 100 characters."));
    }
    if name.eq_ignore_ascii_case(MAIN) || agent.branches.iter().any(|b| b.name == name) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "BRANCH_NAME_ALREADY_EXISTS",
            format!("A branch named {name:?} already exists."),
        ));
    }
    let id = format!(
        "BRANCH-{}",
        token(app.instance_key, n, salts::BRANCH_ID, 8, true)
    );
    agent.branches.push(Branch {
        id: id.clone(),
        name: name.to_owned(),
        created_ms: now_ms(),
        base_sequence: agent.sequence,
        base: agent.main.clone(),
        topics: agent.main.clone(),
        base_config: agent.main_config.clone(),
        config: agent.main_config.clone(),
    });
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"branchId": id, "sequenceId": agent.sequence.to_string()}),
    ))
}

fn delete_branch_in(agent: &mut Agent, branch_id: &str) -> Result<Response, ApiError> {
    if branch_id == MAIN {
        return Err(main_read_only());
    }
    let i = agent
        .branches
        .iter()
        .position(|b| b.id == branch_id)
        .ok_or_else(|| branch_not_found(branch_id))?;
    agent.branches.remove(i);
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "sequence": agent.sequence.to_string(),
            "message": format!("Branch {branch_id} deleted."),
        }),
    ))
}

fn read_topics<'a>(agent: &'a Agent, branch_id: &str) -> Result<&'a [Topic], ApiError> {
    if branch_id == MAIN {
        return Ok(&agent.main);
    }
    agent
        .branches
        .iter()
        .find(|b| b.id == branch_id)
        .map(|b| b.topics.as_slice())
        .ok_or_else(|| branch_not_found(branch_id))
}

fn write_topics<'a>(agent: &'a mut Agent, branch_id: &str) -> Result<&'a mut Vec<Topic>, ApiError> {
    if branch_id == MAIN {
        return Err(main_read_only());
    }
    agent
        .branches
        .iter_mut()
        .find(|b| b.id == branch_id)
        .map(|b| &mut b.topics)
        .ok_or_else(|| branch_not_found(branch_id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueriesInput {
    queries: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateTopicBody {
    name: String,
    content: String,
    actions: Option<String>,
    example_queries: Option<QueriesInput>,
    is_active: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateTopicBody {
    name: Option<String>,
    content: Option<String>,
    actions: Option<String>,
    example_queries: Option<QueriesInput>,
    is_active: Option<bool>,
}

fn check_queries(queries: &Option<QueriesInput>) -> Result<(), ApiError> {
    match queries {
        Some(q) if q.queries.len() > 100 => Err(topics_invalid(
            "exampleQueries.queries holds at most 100 questions.",
        )),
        _ => Ok(()),
    }
}

fn topic_id(app: &App, n: u64) -> String {
    format!(
        "TOPIC-{}",
        token(app.instance_key, n, salts::TOPIC_ID, 10, true)
    )
}

fn create_topic_in(
    app: &App,
    agent: &mut Agent,
    n: u64,
    branch_id: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let topics = write_topics(agent, branch_id)?;
    let req: CreateTopicBody = json_body(body, None, topics_invalid)?;
    let name = req.name.trim();
    if name.is_empty() || req.content.trim().is_empty() {
        return Err(topics_invalid("name and content must not be empty."));
    }
    check_queries(&req.example_queries)?;
    if topics.iter().any(|t| t.name.eq_ignore_ascii_case(name)) {
        return Err(topic_exists(name));
    }
    let topic = Topic {
        id: topic_id(app, n),
        name: name.to_owned(),
        content: req.content,
        actions: req.actions,
        queries: req.example_queries.map(|q| q.queries).unwrap_or_default(),
        is_active: req.is_active.unwrap_or(true),
    };
    let answer = json_response(StatusCode::CREATED, &topic.to_json());
    topics.push(topic);
    agent.updated_ms = now_ms();
    Ok(answer)
}

fn update_topic_in(
    agent: &mut Agent,
    branch_id: &str,
    topic_id: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let topics = write_topics(agent, branch_id)?;
    let req: UpdateTopicBody = json_body(body, None, topics_invalid)?;
    let i = topics
        .iter()
        .position(|t| t.id == topic_id)
        .ok_or_else(|| topic_not_found(topic_id))?;
    if let Some(name) = &req.name {
        let name = name.trim();
        if name.is_empty() {
            return Err(topics_invalid("name must not be empty."));
        }
        if topics
            .iter()
            .any(|t| t.id != topic_id && t.name.eq_ignore_ascii_case(name))
        {
            return Err(topic_exists(name));
        }
    }
    check_queries(&req.example_queries)?;
    let topic = &mut topics[i];
    if let Some(name) = req.name {
        topic.name = name.trim().to_owned();
    }
    if let Some(content) = req.content {
        topic.content = content;
    }
    if let Some(actions) = req.actions {
        topic.actions = Some(actions);
    }
    if let Some(q) = req.example_queries {
        topic.queries = q.queries;
    }
    if let Some(active) = req.is_active {
        topic.is_active = active;
    }
    agent.updated_ms = now_ms();
    Ok(empty_response(StatusCode::NO_CONTENT))
}

// ---------------------------------------------------------------------------------------------
// Merge

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Strategy {
    Ours,
    Theirs,
    Base,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resolution {
    path: Vec<String>,
    strategy: Strategy,
    value: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MergeBody {
    deployment_message: Option<String>,
    conflict_resolutions: Option<Vec<Resolution>>,
}

fn conflict_path(topic_id: &str) -> Vec<String> {
    vec![
        "knowledgeBase".to_owned(),
        "topics".to_owned(),
        topic_id.to_owned(),
    ]
}

/// A topic given explicitly as a resolution's `value` (null removes the topic).
fn topic_from_value(topic_id: &str, value: &Value) -> Result<Option<Topic>, ApiError> {
    if value.is_null() {
        return Ok(None);
    }
    let req: CreateTopicBody = serde_json::from_value(value.clone()).map_err(|e| {
        bad_request(format!(
            "conflictResolutions value for topic {topic_id} is not a topic: {e}"
        ))
    })?;
    Ok(Some(Topic {
        id: topic_id.to_owned(),
        name: req.name,
        content: req.content,
        actions: req.actions,
        queries: req.example_queries.map(|q| q.queries).unwrap_or_default(),
        is_active: req.is_active.unwrap_or(true),
    }))
}

fn find<'a>(topics: &'a [Topic], id: &str) -> Option<&'a Topic> {
    topics.iter().find(|t| t.id == id)
}

fn json_or_null(topic: Option<&Topic>) -> Value {
    topic.map_or(Value::Null, Topic::to_json)
}

fn merge_branch_in(
    app: &App,
    agent: &mut Agent,
    n: u64,
    branch_id: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    if branch_id == MAIN {
        return Err(main_read_only());
    }
    let index = agent
        .branches
        .iter()
        .position(|b| b.id == branch_id)
        .ok_or_else(|| branch_not_found(branch_id))?;
    let req: MergeBody = json_body(body, Some(MergeBody::default()), bad_request)?;
    let resolutions = req.conflict_resolutions.unwrap_or_default();
    let branch = &agent.branches[index];

    // Every topic id, in main's order, then the branch's new ones, then base-only ones.
    let mut ids: Vec<&str> = Vec::new();
    for t in agent.main.iter().chain(&branch.topics).chain(&branch.base) {
        if !ids.contains(&t.id.as_str()) {
            ids.push(&t.id);
        }
    }
    let mut merged: Vec<Topic> = Vec::new();
    let mut conflicts: Vec<Value> = Vec::new();
    for id in ids {
        let base = find(&branch.base, id);
        let ours = find(&branch.topics, id);
        let theirs = find(&agent.main, id);
        let pick = if ours == base || ours == theirs {
            theirs.cloned()
        } else if theirs == base {
            ours.cloned()
        } else {
            let path = conflict_path(id);
            match resolutions.iter().find(|r| r.path == path) {
                Some(r) => match &r.value {
                    Some(value) => topic_from_value(id, value)?,
                    None => match r.strategy {
                        Strategy::Ours => ours.cloned(),
                        Strategy::Theirs => theirs.cloned(),
                        Strategy::Base => base.cloned(),
                    },
                },
                None => {
                    conflicts.push(json!({
                        "path": path,
                        "base": json_or_null(base),
                        "ours": json_or_null(ours),
                        "theirs": json_or_null(theirs),
                    }));
                    None
                }
            }
        };
        merged.extend(pick);
    }
    let choose = |path: &[String]| {
        resolutions
            .iter()
            .find(|r| r.path == path)
            .map(|r| match (&r.value, r.strategy) {
                (Some(value), _) => Choice::Value(value),
                (None, Strategy::Ours) => Choice::Ours,
                (None, Strategy::Theirs) => Choice::Theirs,
                (None, Strategy::Base) => Choice::Base,
            })
    };
    let (merged_config, config_conflicts) = agents_config::merge(
        &branch.base_config,
        &branch.config,
        &agent.main_config,
        &choose,
    )?;
    conflicts.extend(config_conflicts);
    if !conflicts.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BRANCH_MERGE_CONFLICT",
            format!(
                "The branch conflicts with main in {} place(s); merge again with conflictResolutions.",
                conflicts.len()
            ),
        )
        .with_data(json!({ "conflicts": conflicts })));
    }
    agent.branches.remove(index);
    if merged == agent.main && merged_config == agent.main_config {
        return Ok(json_response(
            StatusCode::OK,
            &json!({
                "sequence": agent.sequence.to_string(),
                "message": format!("Branch {branch_id} had no changes; main is unchanged."),
                "testRunIds": [],
            }),
        ));
    }
    agent.main = merged;
    agent.main_config = merged_config;
    agent.sequence += 1;
    agent.updated_ms = now_ms();
    let message = req.deployment_message.unwrap_or_default();
    deploy(app, agent, n, Stage::Sandbox, None, message, "merge", None);
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "sequence": agent.sequence.to_string(),
            "message": format!("Branch {branch_id} merged into main and published to sandbox."),
            "testRunIds": [],
        }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Deployments

/// The version hash of a `main`: its topics and its settings.
fn version_of(topics: &[Topic], config: &BranchConfig) -> String {
    let mut text = config.fingerprint();
    text.push('\n');
    for t in topics {
        let value = t.to_json();
        text.push_str(&value.to_string());
        text.push('\n');
    }
    let a = fnv64(text.as_bytes());
    let b = fnv64(format!("{a:x}{text}").as_bytes());
    hex(&[a.to_be_bytes(), b.to_be_bytes()].concat())
}

fn deployment_json(agent: &Agent, d: &Deployment) -> Value {
    let mut metadata = json!({
        "deploymentMessage": d.message,
        "source": d.source,
        "sequence": d.sequence.to_string(),
    });
    if let (Some((key, id)), Some(map)) = (&d.origin, metadata.as_object_mut()) {
        map.insert((*key).to_owned(), Value::String(id.clone()));
    }
    json!({
        "id": d.id,
        "accountId": agent.account_id,
        "agentId": agent.agent_id,
        "environment": d.stage.as_str(),
        "artifactVersion": format!("{}/{}", agent.agent_id, &d.version[..12]),
        "version": d.version,
        "createdBy": DEPLOYER,
        "createdAt": rfc3339_ms(d.created_ms),
        "metadata": metadata,
    })
}

/// Records a deployment of `version` (default: the current main) to `stage`, makes it the
/// stage's active one and returns its index.
#[allow(clippy::too_many_arguments)]
fn deploy(
    app: &App,
    agent: &mut Agent,
    n: u64,
    stage: Stage,
    version: Option<(String, u64)>,
    message: String,
    source: &'static str,
    origin: Option<(&'static str, String)>,
) -> usize {
    let now = now_ms();
    let (version, sequence) =
        version.unwrap_or_else(|| (version_of(&agent.main, &agent.main_config), agent.sequence));
    agent.deployments.push(Deployment {
        id: uuid7_from(now, hash3(app.instance_key, n, salts::DEPLOYMENT_ID)),
        stage,
        version,
        sequence,
        created_ms: now,
        message,
        source,
        origin,
    });
    let index = agent.deployments.len() - 1;
    agent.active[stage.index()] = Some(index);
    index
}

fn active_version(agent: &Agent, stage: Stage) -> Option<&str> {
    agent.active[stage.index()].map(|i| agent.deployments[i].version.as_str())
}

fn change(agent: &Agent, index: usize, status: StatusCode) -> Response {
    json_response(
        status,
        &json!({
            "deployment": deployment_json(agent, &agent.deployments[index]),
            "testRunIds": [],
        }),
    )
}

fn list_deployments_of(agent: &Agent, query: &[(String, String)]) -> Result<Response, ApiError> {
    let value = |name: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let stage = match value("environment") {
        None | Some("") => {
            return Err(deployments_invalid(
                "The environment query parameter is required (sandbox, pre-release or live).",
            ));
        }
        Some(text) => Stage::parse(text)?,
    };
    let limit = match value("limit") {
        None => DEFAULT_LIST_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|l| *l >= 1)
            .ok_or_else(|| {
                deployments_invalid(format!("limit must be a positive integer; got {text:?}."))
            })?,
    };
    let list: Vec<Value> = agent
        .deployments
        .iter()
        .rev()
        .filter(|d| d.stage == stage)
        .take(limit)
        .map(|d| deployment_json(agent, d))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "deployments": list }),
    ))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PublishBody {
    deployment_message: Option<String>,
    environment: Option<String>,
}

fn publish_in(app: &App, agent: &mut Agent, n: u64, body: &Bytes) -> Result<Response, ApiError> {
    let req: PublishBody = json_body(body, Some(PublishBody::default()), deployments_invalid)?;
    let stage = match req.environment.as_deref() {
        None => Stage::Sandbox,
        Some(text) => Stage::parse(text)?,
    };
    let version = version_of(&agent.main, &agent.main_config);
    if active_version(agent, stage) == Some(version.as_str()) {
        return Err(already_published(stage));
    }
    if stage == Stage::Live && active_version(agent, Stage::PreRelease) != Some(version.as_str()) {
        return Err(pre_release_not_ready());
    }
    let message = req.deployment_message.unwrap_or_default();
    let index = deploy(app, agent, n, stage, None, message, "publish", None);
    Ok(change(agent, index, StatusCode::CREATED))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PromoteBody {
    deployment_message: Option<String>,
    target_environment: Option<String>,
}

fn promote_in(
    app: &App,
    agent: &mut Agent,
    n: u64,
    deployment_id: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let req: PromoteBody = json_body(body, Some(PromoteBody::default()), deployments_invalid)?;
    let source = agent
        .deployments
        .iter()
        .find(|d| d.id == deployment_id)
        .cloned()
        .ok_or_else(|| deployment_not_found(deployment_id))?;
    let target = match req.target_environment.as_deref() {
        None => source.stage.next().ok_or_else(|| {
            invalid_environment("The deployment is live: there is no later environment.")
        })?,
        Some("sandbox") => {
            return Err(invalid_environment(
                "targetEnvironment must be pre-release or live.",
            ));
        }
        Some(text) => Stage::parse(text)?,
    };
    if target <= source.stage {
        return Err(invalid_environment(format!(
            "Cannot promote a {} deployment to {}: promotion goes sandbox, pre-release, live.",
            source.stage.as_str(),
            target.as_str()
        )));
    }
    if active_version(agent, target) == Some(source.version.as_str()) {
        return Err(already_published(target));
    }
    if target == Stage::Live
        && active_version(agent, Stage::PreRelease) != Some(source.version.as_str())
    {
        return Err(pre_release_not_ready());
    }
    let message = req.deployment_message.unwrap_or_default();
    let index = deploy(
        app,
        agent,
        n,
        target,
        Some((source.version.clone(), source.sequence)),
        message,
        "promote",
        Some(("promotedFrom", source.id.clone())),
    );
    Ok(change(agent, index, StatusCode::OK))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RollbackBody {
    deployment_message: Option<String>,
}

fn rollback_in(
    app: &App,
    agent: &mut Agent,
    n: u64,
    deployment_id: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let req: RollbackBody = json_body(body, Some(RollbackBody::default()), deployments_invalid)?;
    let target = agent
        .deployments
        .iter()
        .find(|d| d.id == deployment_id)
        .cloned()
        .ok_or_else(|| deployment_not_found(deployment_id))?;
    if active_version(agent, target.stage) == Some(target.version.as_str()) {
        return Err(already_published(target.stage));
    }
    let message = req.deployment_message.unwrap_or_default();
    let index = deploy(
        app,
        agent,
        n,
        target.stage,
        Some((target.version.clone(), target.sequence)),
        message,
        "rollback",
        Some(("rolledBackTo", target.id.clone())),
    );
    Ok(change(agent, index, StatusCode::OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(id: &str, content: &str) -> Topic {
        Topic {
            id: id.into(),
            name: id.into(),
            content: content.into(),
            actions: None,
            queries: Vec::new(),
            is_active: true,
        }
    }

    #[test]
    fn stages_promote_in_order() {
        assert_eq!(Stage::Sandbox.next(), Some(Stage::PreRelease));
        assert_eq!(Stage::PreRelease.next(), Some(Stage::Live));
        assert_eq!(Stage::Live.next(), None);
        assert!(Stage::Sandbox < Stage::Live);
        assert_eq!(Stage::parse("pre-release").ok(), Some(Stage::PreRelease));
        assert_eq!(
            Stage::parse("production").err().map(|e| e.code),
            Some("DEPLOYMENTS_INVALID_ENVIRONMENT")
        );
    }

    #[test]
    fn versions_follow_content() {
        let a = [topic("T1", "one")];
        let b = [topic("T1", "two")];
        let none = BranchConfig::default();
        assert_eq!(version_of(&a, &none), version_of(&a.clone(), &none));
        assert_ne!(version_of(&a, &none), version_of(&b, &none));
        assert_eq!(version_of(&a, &none).len(), 32);
        let sample = BranchConfig::sample("A".into(), "V".into());
        assert_ne!(version_of(&a, &none), version_of(&a, &sample));
    }

    #[test]
    fn blank_optional_bodies_default() {
        let body: MergeBody = json_body(&Bytes::new(), Some(MergeBody::default()), bad_request)
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert!(body.conflict_resolutions.is_none());
        let err = json_body::<CreateBranchBody>(&Bytes::from_static(b" "), None, bad_request)
            .err()
            .map(|e| e.status);
        assert_eq!(err, Some(StatusCode::BAD_REQUEST));
        let unknown = json_body::<CreateBranchBody>(
            &Bytes::from_static(br#"{"branchName":"a","description":"x"}"#),
            None,
            bad_request,
        );
        assert!(unknown.is_err(), "unknown fields are rejected");
    }
}
