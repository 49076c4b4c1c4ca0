//! Webhook verification tests (work in progress).
