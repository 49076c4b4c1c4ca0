//! An offline, stateful fake PolyAI API (work in progress).
