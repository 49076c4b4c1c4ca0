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
}

impl Route {
    /// Every route, in declaration order.
    pub const ALL: [Route; 8] = [
        Route::ListConversations,
        Route::ListAgentConversations,
        Route::GetConversation,
        Route::AddAnnotations,
        Route::UpsertNote,
        Route::GetAudio,
        Route::StartDebugChat,
        Route::SendDebugChat,
    ];

    /// The HTTP method the route answers (`GET` routes also answer `HEAD`).
    pub fn method(self) -> Method {
        match self {
            Route::ListConversations
            | Route::ListAgentConversations
            | Route::GetConversation
            | Route::GetAudio => Method::GET,
            Route::AddAnnotations
            | Route::UpsertNote
            | Route::StartDebugChat
            | Route::SendDebugChat => Method::POST,
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
        }
    }
}

/// A path matched against the route table: the route and its decoded path parameters
/// (`account_id, project_id` or `agentId[, conversationId]`).
#[derive(Debug, Clone)]
pub(crate) struct Matched {
    pub route: Route,
    pub params: Vec<String>,
}

/// What the path and method resolve to.
#[derive(Debug)]
pub(crate) enum Resolution {
    Found(Matched),
    /// The path exists but not for this method (allowed method given).
    MethodNotAllowed(Route),
    NotFound,
}

/// Matches a path (not yet percent-decoded) against the route table.
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
        _ => return None,
    };
    Some(Matched {
        route,
        params: params.into_iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// Resolves method and path.
pub(crate) fn resolve(method: &Method, path: &str) -> Resolution {
    match match_path(path) {
        None => Resolution::NotFound,
        Some(m) => {
            let expected = m.route.method();
            if *method == expected || (expected == Method::GET && *method == Method::HEAD) {
                Resolution::Found(m)
            } else {
                Resolution::MethodNotAllowed(m.route)
            }
        }
    }
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
            Resolution::MethodNotAllowed(Route::StartDebugChat)
        ));
    }
}
