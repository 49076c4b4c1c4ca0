//! Webhook signature verification (work in progress).
