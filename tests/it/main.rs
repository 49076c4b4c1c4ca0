//! Integration tests for polyai-sdk. One binary, one module per area, to keep link time low.

mod agents_extras;
mod audio;
mod bounds;
mod deploy_flow;
mod errors;
mod families;
mod family_errors;
mod handwritten;
mod layers;
mod limits;
mod paging;
mod paths;
mod reliability;
mod spine;
mod telemetry;
mod webhooks;

use polyai_sdk::types::data::{
    AgentConversationDetail, AnnotationItem, AnnotationRequest, AnnotationRole, NoteRequest,
};
use polyai_sdk::{Client, Error, ResponseValue};

/// The conversation detail call, written as a user writes it (the generated `data()` family).
pub(crate) async fn detail(
    client: &Client,
    agent_id: &str,
    conversation_id: &str,
) -> Result<AgentConversationDetail, Error> {
    client
        .data()
        .get_agent_conversation()
        .agent_id(agent_id)
        .conversation_id(conversation_id)
        .send()
        .await
        .map(ResponseValue::into_inner)
}

/// The note upsert, written as a user writes it.
pub(crate) async fn set_note(
    client: &Client,
    agent_id: &str,
    conversation_id: &str,
    note: &str,
) -> Result<(), Error> {
    client
        .data()
        .upsert_conversation_note()
        .agent_id(agent_id)
        .conversation_id(conversation_id)
        .body(NoteRequest { note: note.into() })
        .send()
        .await
        .map(drop)
}

/// Adds annotations, written as a user writes it.
pub(crate) async fn annotate(
    client: &Client,
    agent_id: &str,
    conversation_id: &str,
    annotations: Vec<AnnotationItem>,
) -> Result<(), Error> {
    client
        .data()
        .create_annotations()
        .agent_id(agent_id)
        .conversation_id(conversation_id)
        .body(AnnotationRequest { annotations })
        .send()
        .await
        .map(drop)
}

/// One annotation of turn `turn_id`.
pub(crate) fn annotation(turn_id: i64, role: AnnotationRole, kind: &str) -> AnnotationItem {
    AnnotationItem {
        turn_id,
        role,
        annotation_type: kind.into(),
    }
}
