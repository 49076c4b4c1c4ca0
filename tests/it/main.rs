//! Integration tests for polyai-sdk. One binary, one module per area, to keep link time low.

mod audio;
mod errors;
mod families;
mod layers;
mod reliability;
mod spine;
mod webhooks;
