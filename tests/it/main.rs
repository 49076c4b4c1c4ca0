//! Integration tests for polyai-sdk. One binary, one module per area, to keep link time low.

mod errors;
mod spine;
mod webhooks;
