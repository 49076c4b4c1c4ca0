//! Integration tests for polyai-actions: one test binary, one module per area, so that the
//! workspace links (and stores) one executable here instead of one per file.

mod chain;
mod client;
mod conv_api;
mod conv_api_oauth;
mod conv_api_wire;
mod definitions;
mod go_parity;
mod lint;
mod lint_rules_table;
mod lint_template;
mod oauth;
mod params;
mod render;
mod requests_parity;
mod run;
mod run_http;
mod template;
