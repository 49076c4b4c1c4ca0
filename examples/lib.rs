//! Shared helpers for the runnable examples of `polyai-sdk`.
