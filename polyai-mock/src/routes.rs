//! The routes the mock serves, and how a request path maps onto them.

use axum::http::Method;

use crate::util::decode_segment;

/// One operation of the mock (used by fault rules and the request log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `GET /v3/{account_id}/{project_id}/conversations`
    ListConversations,
    /// `GET /v1/agents/{agentId}/conversations`
    ListAgentConversations,
    /// `GET /v1/agents/{agentId}/conversations/{conversationId}`
    GetConversation,
    /// `POST /v1/agents/{agentId}/conversations/{conversationId}/annotation`
    AddAnnotations,
    /// `POST /v1/agents/{agentId}/conversations/{conversationId}/note`
    UpsertNote,
    /// `GET /v1/agents/{agentId}/conversations/{conversationId}/audio`
    GetAudio,
    /// `POST /v1/agents/{agentId}/debug-chat`
    StartDebugChat,
    /// `POST /v1/agents/{agentId}/debug-chat/{conversationId}`
    SendDebugChat,
    /// `GET /v1/accounts/{accountId}/agents`
    ListAgents,
    /// `POST /v1/accounts/{accountId}/agents`
    CreateAgent,
    /// `DELETE /v1/agents/{agentId}`
    DeleteAgent,
    /// `GET /v1/agents/{agentId}/branches`
    ListBranches,
    /// `POST /v1/agents/{agentId}/branches`
    CreateBranch,
    /// `DELETE /v1/agents/{agentId}/branches/{branchId}`
    DeleteBranch,
    /// `POST /v1/agents/{agentId}/branches/{branchId}/merge`
    MergeBranch,
    /// `GET /v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics`
    ListKnowledgeBaseTopics,
    /// `POST /v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics`
    CreateKnowledgeBaseTopic,
    /// `GET /v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}`
    GetKnowledgeBaseTopic,
    /// `PATCH /v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}`
    UpdateKnowledgeBaseTopic,
    /// `DELETE /v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}`
    DeleteKnowledgeBaseTopic,
    /// `GET /v1/agents/{agentId}/deployments`
    ListDeployments,
    /// `GET /v1/agents/{agentId}/deployments/active`
    GetActiveDeployments,
    /// `POST /v1/agents/{agentId}/deployments/publish`
    PublishDeployment,
    /// `POST /v1/agents/{agentId}/deployments/{deploymentId}/promote`
    PromoteDeployment,
    /// `POST /v1/agents/{agentId}/deployments/{deploymentId}/rollback`
    RollbackDeployment,
    /// `GET /v1/webhook-endpoints`
    ListWebhookEndpoints,
    /// `POST /v1/webhook-endpoints`
    CreateWebhookEndpoint,
    /// `GET /v1/webhook-endpoints/{endpoint_id}`
    GetWebhookEndpoint,
    /// `PATCH /v1/webhook-endpoints/{endpoint_id}`
    UpdateWebhookEndpoint,
    /// `DELETE /v1/webhook-endpoints/{endpoint_id}`
    DeleteWebhookEndpoint,
    /// `POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret`
    RotateWebhookSigningSecret,
}

impl Route {
    /// Every route, in declaration order.
    pub const ALL: [Route; 31] = [
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
    ];

    /// The HTTP method the route answers (`GET` routes also answer `HEAD`).
    pub fn method(self) -> Method {
        match self {
            Route::ListConversations
            | Route::ListAgentConversations
            | Route::GetConversation
            | Route::GetAudio
            | Route::ListAgents
            | Route::ListBranches
            | Route::ListKnowledgeBaseTopics
            | Route::GetKnowledgeBaseTopic
            | Route::ListDeployments
            | Route::GetActiveDeployments
            | Route::ListWebhookEndpoints
            | Route::GetWebhookEndpoint => Method::GET,
            Route::AddAnnotations
            | Route::UpsertNote
            | Route::StartDebugChat
            | Route::SendDebugChat
            | Route::CreateAgent
            | Route::CreateBranch
            | Route::MergeBranch
            | Route::CreateKnowledgeBaseTopic
            | Route::PublishDeployment
            | Route::PromoteDeployment
            | Route::RollbackDeployment
            | Route::CreateWebhookEndpoint
            | Route::RotateWebhookSigningSecret => Method::POST,
            Route::UpdateKnowledgeBaseTopic | Route::UpdateWebhookEndpoint => Method::PATCH,
            Route::DeleteAgent
            | Route::DeleteBranch
            | Route::DeleteKnowledgeBaseTopic
            | Route::DeleteWebhookEndpoint => Method::DELETE,
        }
    }

    /// The path template, as PolyAI documents it.
    pub fn template(self) -> &'static str {
        match self {
            Route::ListConversations => "/v3/{account_id}/{project_id}/conversations",
            Route::ListAgentConversations => "/v1/agents/{agentId}/conversations",
            Route::GetConversation => "/v1/agents/{agentId}/conversations/{conversationId}",
            Route::AddAnnotations => {
                "/v1/agents/{agentId}/conversations/{conversationId}/annotation"
            }
            Route::UpsertNote => "/v1/agents/{agentId}/conversations/{conversationId}/note",
            Route::GetAudio => "/v1/agents/{agentId}/conversations/{conversationId}/audio",
            Route::StartDebugChat => "/v1/agents/{agentId}/debug-chat",
            Route::SendDebugChat => "/v1/agents/{agentId}/debug-chat/{conversationId}",
            Route::ListAgents | Route::CreateAgent => "/v1/accounts/{accountId}/agents",
            Route::DeleteAgent => "/v1/agents/{agentId}",
            Route::ListBranches | Route::CreateBranch => "/v1/agents/{agentId}/branches",
            Route::DeleteBranch => "/v1/agents/{agentId}/branches/{branchId}",
            Route::MergeBranch => "/v1/agents/{agentId}/branches/{branchId}/merge",
            Route::ListKnowledgeBaseTopics | Route::CreateKnowledgeBaseTopic => {
                "/v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics"
            }
            Route::GetKnowledgeBaseTopic
            | Route::UpdateKnowledgeBaseTopic
            | Route::DeleteKnowledgeBaseTopic => {
                "/v1/agents/{agentId}/branches/{branchId}/knowledge-base/topics/{topicId}"
            }
            Route::ListDeployments => "/v1/agents/{agentId}/deployments",
            Route::GetActiveDeployments => "/v1/agents/{agentId}/deployments/active",
            Route::PublishDeployment => "/v1/agents/{agentId}/deployments/publish",
            Route::PromoteDeployment => "/v1/agents/{agentId}/deployments/{deploymentId}/promote",
            Route::RollbackDeployment => "/v1/agents/{agentId}/deployments/{deploymentId}/rollback",
            Route::ListWebhookEndpoints | Route::CreateWebhookEndpoint => "/v1/webhook-endpoints",
            Route::GetWebhookEndpoint
            | Route::UpdateWebhookEndpoint
            | Route::DeleteWebhookEndpoint => "/v1/webhook-endpoints/{endpoint_id}",
            Route::RotateWebhookSigningSecret => {
                "/v1/webhook-endpoints/{endpoint_id}/rotate-secret"
            }
        }
    }
}

/// A path matched against the route table: the route and its decoded path parameters, in
/// the order of the template (`account_id, project_id`, `agentId[, conversationId]`,
/// `agentId, branchId[, topicId]`, `endpoint_id`, ...).
#[derive(Debug, Clone)]
pub(crate) struct Matched {
    pub route: Route,
    pub params: Vec<String>,
}

/// What the path and method resolve to.
#[derive(Debug)]
pub(crate) enum Resolution {
    Found(Matched),
    /// The path exists but not for this method (the routes the path does serve).
    MethodNotAllowed(Vec<Route>),
    NotFound,
}

/// Matches a path (not yet percent-decoded) against the route table. Where several routes
/// share a path (they differ in method), the first of them is returned; [`resolve`] picks
/// the one for the method.
pub(crate) fn match_path(path: &str) -> Option<Matched> {
    let raw: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    if raw.iter().any(|s| s.is_empty()) {
        return None;
    }
    let seg: Vec<String> = raw.iter().map(|s| decode_segment(s)).collect();
    if seg.iter().any(String::is_empty) {
        return None;
    }
    let s: Vec<&str> = seg.iter().map(String::as_str).collect();
    let (route, params) = match s.as_slice() {
        ["v3", account, project, "conversations"] => {
            (Route::ListConversations, vec![account, project])
        }
        ["v1", "agents", agent, "conversations"] => (Route::ListAgentConversations, vec![agent]),
        ["v1", "agents", agent, "conversations", conv] => {
            (Route::GetConversation, vec![agent, conv])
        }
        ["v1", "agents", agent, "conversations", conv, "annotation"] => {
            (Route::AddAnnotations, vec![agent, conv])
        }
        ["v1", "agents", agent, "conversations", conv, "note"] => {
            (Route::UpsertNote, vec![agent, conv])
        }
        ["v1", "agents", agent, "conversations", conv, "audio"] => {
            (Route::GetAudio, vec![agent, conv])
        }
        ["v1", "agents", agent, "debug-chat"] => (Route::StartDebugChat, vec![agent]),
        ["v1", "agents", agent, "debug-chat", conv] => (Route::SendDebugChat, vec![agent, conv]),
        ["v1", "accounts", account, "agents"] => (Route::ListAgents, vec![account]),
        ["v1", "agents", agent] => (Route::DeleteAgent, vec![agent]),
        ["v1", "agents", agent, "branches"] => (Route::ListBranches, vec![agent]),
        ["v1", "agents", agent, "branches", branch] => (Route::DeleteBranch, vec![agent, branch]),
        ["v1", "agents", agent, "branches", branch, "merge"] => {
            (Route::MergeBranch, vec![agent, branch])
        }
        [
            "v1",
            "agents",
            agent,
            "branches",
            branch,
            "knowledge-base",
            "topics",
        ] => (Route::ListKnowledgeBaseTopics, vec![agent, branch]),
        [
            "v1",
            "agents",
            agent,
            "branches",
            branch,
            "knowledge-base",
            "topics",
            topic,
        ] => (Route::GetKnowledgeBaseTopic, vec![agent, branch, topic]),
        ["v1", "agents", agent, "deployments"] => (Route::ListDeployments, vec![agent]),
        ["v1", "agents", agent, "deployments", "active"] => {
            (Route::GetActiveDeployments, vec![agent])
        }
        ["v1", "agents", agent, "deployments", "publish"] => {
            (Route::PublishDeployment, vec![agent])
        }
        ["v1", "agents", agent, "deployments", deployment, "promote"] => {
            (Route::PromoteDeployment, vec![agent, deployment])
        }
        ["v1", "agents", agent, "deployments", deployment, "rollback"] => {
            (Route::RollbackDeployment, vec![agent, deployment])
        }
        ["v1", "webhook-endpoints"] => (Route::ListWebhookEndpoints, vec![]),
        ["v1", "webhook-endpoints", endpoint] => (Route::GetWebhookEndpoint, vec![endpoint]),
        ["v1", "webhook-endpoints", endpoint, "rotate-secret"] => {
            (Route::RotateWebhookSigningSecret, vec![endpoint])
        }
        _ => return None,
    };
    Some(Matched {
        route,
        params: params.into_iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// The routes served on the same path template as `route` (itself included), in table order.
fn same_path(route: Route) -> Vec<Route> {
    Route::ALL
        .into_iter()
        .filter(|r| r.template() == route.template())
        .collect()
}

/// Resolves method and path.
pub(crate) fn resolve(method: &Method, path: &str) -> Resolution {
    match match_path(path) {
        None => Resolution::NotFound,
        Some(m) => {
            let routes = same_path(m.route);
            let found = routes.iter().copied().find(|r| {
                let expected = r.method();
                *method == expected || (expected == Method::GET && *method == Method::HEAD)
            });
            match found {
                Some(route) => Resolution::Found(Matched {
                    route,
                    params: m.params,
                }),
                None => Resolution::MethodNotAllowed(routes),
            }
        }
    }
}

/// The `Allow` header value for the routes of one path (`GET` routes also answer `HEAD`).
pub(crate) fn allow_header(routes: &[Route]) -> String {
    let mut methods: Vec<String> = Vec::new();
    for route in routes {
        let method = route.method();
        methods.push(method.as_str().to_owned());
        if method == Method::GET {
            methods.push("HEAD".to_owned());
        }
    }
    methods.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve() {
        let m = match_path("/v3/ws-abc/PROJECT-1/conversations").unwrap();
        assert_eq!(m.route, Route::ListConversations);
        assert_eq!(m.params, ["ws-abc", "PROJECT-1"]);
        let m = match_path("/v1/agents/my%20agent/conversations/CA1/audio").unwrap();
        assert_eq!(m.route, Route::GetAudio);
        assert_eq!(m.params, ["my agent", "CA1"]);
        assert!(match_path("/v1/agents/a/conversations/").is_none());
        assert!(match_path("/v1/agents//conversations").is_none());
        assert!(match_path("/").is_none());
        assert!(matches!(
            resolve(&Method::DELETE, "/v1/agents/a/debug-chat"),
            Resolution::MethodNotAllowed(ref routes) if routes == &[Route::StartDebugChat]
        ));
    }

    #[test]
    fn shared_paths_pick_the_route_by_method() {
        let route = |method: Method, path: &str| match resolve(&method, path) {
            Resolution::Found(m) => Some((m.route, m.params)),
            _ => None,
        };
        let topic = "/v1/agents/A/branches/BRANCH-1/knowledge-base/topics/T1";
        assert_eq!(
            route(Method::PATCH, topic),
            Some((
                Route::UpdateKnowledgeBaseTopic,
                vec!["A".into(), "BRANCH-1".into(), "T1".into()]
            ))
        );
        assert_eq!(
            route(Method::DELETE, topic).map(|r| r.0),
            Some(Route::DeleteKnowledgeBaseTopic)
        );
        assert_eq!(
            route(Method::HEAD, topic).map(|r| r.0),
            Some(Route::GetKnowledgeBaseTopic)
        );
        assert_eq!(
            route(Method::POST, "/v1/webhook-endpoints").map(|r| r.0),
            Some(Route::CreateWebhookEndpoint)
        );
        assert_eq!(
            route(Method::GET, "/v1/agents/A/deployments/active").map(|r| r.0),
            Some(Route::GetActiveDeployments)
        );
        match resolve(&Method::PUT, "/v1/webhook-endpoints/whe_1") {
            Resolution::MethodNotAllowed(routes) => {
                assert_eq!(allow_header(&routes), "GET, HEAD, PATCH, DELETE");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_route_resolves_from_its_own_template() {
        for route in Route::ALL {
            let path = route.template().replace('{', "x").replace('}', "");
            let resolved = match resolve(&route.method(), &path) {
                Resolution::Found(m) => m.route,
                other => panic!("{route:?}: {other:?}"),
            };
            assert_eq!(resolved, route, "{path}");
        }
    }
}
