//! Integration tests for polyai-sdk. One binary, one module per area, to keep link time low.

mod audio;
mod bounds;
mod deploy_flow;
mod errors;
mod families;
mod handwritten;
mod layers;
mod limits;
mod paging;
mod paths;
mod reliability;
mod spine;
mod telemetry;
mod webhooks;
