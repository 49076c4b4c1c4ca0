//! The examples as programs: each is built with cargo, run as a child process against a mock
//! this test starts on 127.0.0.1, and judged by its output and its effects (files written,
//! state in the mock). The resumable ones are killed (SIGKILL) mid-run and run again.

mod kill_resume;
mod support;
mod trial;
