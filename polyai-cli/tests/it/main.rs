//! Tests that run the real `polyai` binary against the mock: one test binary, one module per
//! command group, so that the workspace links (and stores) one executable instead of four.

mod actions;
mod api;
mod chat;
mod cli;
mod common;
