//! Every seed and salt the mock hashes with, named in one place. Values are fixed: changing
//! one changes the generated data (ids, conversations, recordings) for every seed.
//!
//! Salts only need to differ among hashes of the same key (the data seed, or the per-instance
//! key); the test below checks that within each group.

// Derived from the data seed (same seed, same data).
/// Conversation ids.
pub(crate) const CONVERSATION_ID: u64 = 1;
/// A conversation's shape (channel, environment, lengths).
pub(crate) const CONVERSATION_SHAPE: u64 = 2;
/// The byte precomputed per conversation.
pub(crate) const CONVERSATION_BYTE: u64 = 3;
/// Jitter of start times inside their slot.
pub(crate) const START_JITTER: u64 = 9;
/// Deployments per environment and variant.
pub(crate) const DEPLOYMENT: u64 = 77;
/// Turn `j` of a listing row: `TURN + j`.
pub(crate) const TURN: u64 = 100;
/// Turn `j` of a detail: `TURN_DETAIL + j`.
pub(crate) const TURN_DETAIL: u64 = 200;
/// The user's tone of a recording.
pub(crate) const TONE_USER: u64 = 500;
/// The agent's tone of a recording.
pub(crate) const TONE_AGENT: u64 = 501;
/// Variant ids.
pub(crate) const VARIANT_ID: u64 = 0x7a71;
/// Hit counts of seeded audio cache entries.
pub(crate) const AUDIO_CACHE_HITS: u64 = 0x417c;
/// The key sealing conversation ids.
pub(crate) const ID_KEY: u64 = 0xc0_ffee;
/// The key sealing cursors.
pub(crate) const CURSOR_KEY: u64 = 0xc5;
/// A cursor's check word (hashed with the cursor key, not the seed).
pub(crate) const CURSOR_CHECK: u64 = 0xc0;

// Derived from the per-instance key (random per server).
/// Correlation ids: two words.
pub(crate) const CORRELATION: [u64; 2] = [1, 2];
/// Debug-chat session ids: two words.
pub(crate) const DEBUG_CHAT_ID: [u64; 2] = [11, 12];
/// Agent ids made by create.
pub(crate) const AGENT_ID: u64 = 0xa6e7;
/// Branch ids.
pub(crate) const BRANCH_ID: u64 = 0xb7a4;
/// Knowledge-base topic ids.
pub(crate) const TOPIC_ID: u64 = 0x7091;
/// Deployment ids.
pub(crate) const DEPLOYMENT_ID: u64 = 0xde91;
/// Webhook signing secrets.
pub(crate) const WEBHOOK_SECRET: u64 = 0x5ec7;
/// Webhook endpoint ids.
pub(crate) const WEBHOOK_ENDPOINT_ID: u64 = 0x1d5;
/// Chat conversation ids: two words.
pub(crate) const CHAT_ID: [u64; 2] = [0xc4a7, 0xc4a8];
/// Alert rule ids.
pub(crate) const ALERT_RULE_ID: u64 = 0xa1e7;
/// Legacy outbound call ids: two words.
pub(crate) const CALL_SID: [u64; 2] = [0x0b7c, 0x0b7d];
/// Attribute ids (Agents API variants).
pub(crate) const ATTRIBUTE_ID: u64 = 0xa771;
/// Agents API variant ids.
pub(crate) const AGENT_VARIANT_ID: u64 = 0x7a41;
/// Telephony connector ids.
pub(crate) const CONNECTOR_ID: u64 = 0xc011;
/// The phone number seeded per agent.
pub(crate) const PHONE_NUMBER: u64 = 0x9e0e;
/// Agents API outbound call ids: two words.
pub(crate) const AGENT_CALL_SID: [u64; 2] = [0x0ca1, 0x0ca2];
/// Voice library ids.
pub(crate) const VOICE_ID: u64 = 0x701c;

// Other keys.
/// The key of debug-chat latencies (hashed with the turn number).
pub(crate) const DEBUG_CHAT_LATENCY_KEY: u64 = 0xdeb0_9c4a;
/// Webhook event ids (hashed with the clock and a counter).
pub(crate) const WEBHOOK_EVENT_ID: u64 = 0xe7;
/// Concurrent-call counts (hashed with the seed, the filters and the interval).
pub(crate) const CONCURRENCY: u64 = 0xc0c0;

#[cfg(test)]
mod tests {
    use super::*;

    fn distinct(group: &[u64]) {
        let mut sorted = group.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), group.len(), "{group:?}");
    }

    #[test]
    fn salts_of_one_key_differ() {
        // Turn salts cover TURN..TURN+100 and TURN_DETAIL..TURN_DETAIL+100 at most.
        distinct(&[
            CONVERSATION_ID,
            CONVERSATION_SHAPE,
            CONVERSATION_BYTE,
            START_JITTER,
            DEPLOYMENT,
            TURN,
            TURN_DETAIL,
            TONE_USER,
            TONE_AGENT,
            VARIANT_ID,
            AUDIO_CACHE_HITS,
            ID_KEY,
            CURSOR_KEY,
        ]);
        distinct(&[
            CORRELATION[0],
            CORRELATION[1],
            DEBUG_CHAT_ID[0],
            DEBUG_CHAT_ID[1],
            AGENT_ID,
            BRANCH_ID,
            TOPIC_ID,
            DEPLOYMENT_ID,
            WEBHOOK_SECRET,
            WEBHOOK_ENDPOINT_ID,
            CHAT_ID[0],
            CHAT_ID[1],
            ALERT_RULE_ID,
            CALL_SID[0],
            CALL_SID[1],
            ATTRIBUTE_ID,
            AGENT_VARIANT_ID,
            CONNECTOR_ID,
            PHONE_NUMBER,
            AGENT_CALL_SID[0],
            AGENT_CALL_SID[1],
            VOICE_ID,
        ]);
    }
}
