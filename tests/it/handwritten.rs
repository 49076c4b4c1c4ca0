//! The hand-written operations: audio-cache file and details uploads, external events.
