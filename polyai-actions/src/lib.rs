//! PolyAI API-call actions and API integrations, offline: their definitions, the checks PolyAI
//! applies (and the traps it does not warn about), parameter validation, the subset of Go's
//! `text/template` that action bodies are written in, and the exact HTTP request an action or
//! integration operation would send. Nothing in this crate touches the network.

pub mod template;
