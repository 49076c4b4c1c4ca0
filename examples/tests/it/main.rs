//! Tests of the examples' shared code and of the two actions examples, in one test binary.

mod actions_examples;
mod webhook_startup;
