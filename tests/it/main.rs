//! Integration tests for polyai-sdk. One binary, one module per area, to keep link time low.

mod webhooks;
