//! Integration tests for polyai-mock: one test binary, one module per area, so that the
//! workspace links (and stores) one executable here instead of one per file.

mod agents;
mod agents_extras;
mod binary;
mod families;
mod mock;
mod route_table;
mod support;
