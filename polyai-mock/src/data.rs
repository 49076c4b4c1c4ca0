//! The seeded, lazily generated conversation data set.
//!
//! Conversation `i` is a pure function of `(seed, i)` plus the configured time window.
//! Only one byte per conversation is precomputed (environment, channel, variant, in-progress
//! and sample flags), so filters over a million conversations scan a `Vec<u8>`; everything
//! else is generated when a page or a detail is served.
//!
//! Index 0 is the newest conversation; start times never increase with the index, so a time
//! window is a contiguous index range found by binary search.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::salts;
use crate::time::{http_date, naive_iso, rfc3339_ms, rfc3339_offset};
use crate::util::{hash3, hex, mix64, scramble, unhex, unscramble, uuid7_from};

/// Deployment environment of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Env {
    Live = 0,
    Sandbox = 1,
    PreRelease = 2,
}

impl Env {
    pub const ALL: [Env; 3] = [Env::Live, Env::Sandbox, Env::PreRelease];

    pub fn as_str(self) -> &'static str {
        match self {
            Env::Live => "live",
            Env::Sandbox => "sandbox",
            Env::PreRelease => "pre-release",
        }
    }

    pub fn parse(text: &str) -> Option<Env> {
        Env::ALL.into_iter().find(|e| e.as_str() == text)
    }

    fn from_code(code: u8) -> Env {
        match code & 3 {
            1 => Env::Sandbox,
            2 => Env::PreRelease,
            _ => Env::Live,
        }
    }
}

/// Channel of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    VoiceSip = 0,
    Webchat = 1,
    Chat = 2,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::VoiceSip, Channel::Webchat, Channel::Chat];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::VoiceSip => "VOICE-SIP",
            Channel::Webchat => "WEBCHAT",
            Channel::Chat => "CHAT",
        }
    }

    /// Matches a `channel` filter value: the exact name (any case), or `voice` for `VOICE-SIP`.
    pub fn matches_filter(self, value: &str) -> bool {
        value.eq_ignore_ascii_case(self.as_str())
            || (self == Channel::VoiceSip && value.eq_ignore_ascii_case("voice"))
    }

    fn from_code(code: u8) -> Channel {
        match code & 3 {
            1 => Channel::Webchat,
            2 => Channel::Chat,
            _ => Channel::VoiceSip,
        }
    }
}

/// A variant of the mock project.
#[derive(Debug, Clone)]
pub(crate) struct Variant {
    pub id: String,
    pub name: &'static str,
}

const VARIANT_NAMES: [&str; 3] = ["Default", "Spring Promo", "Night Shift"];

/// Bit layout of the per-conversation attribute byte.
pub(crate) mod attr {
    pub const ENV_SHIFT: u8 = 0;
    pub const CHANNEL_SHIFT: u8 = 2;
    pub const VARIANT_SHIFT: u8 = 4;
    pub const IN_PROGRESS: u8 = 1 << 6;
    pub const SAMPLED: u8 = 1 << 7;
}

/// One scripted exchange: what the user said and what the agent answered.
pub(crate) struct Exchange {
    pub user: &'static str,
    pub dtmf: &'static str,
    pub agent: &'static str,
    pub intent: Option<&'static str>,
    pub entities: &'static [(&'static str, &'static [&'static str])],
    pub function: Option<&'static str>,
    pub is_ood: bool,
    pub is_silence: bool,
}

const fn ex(
    user: &'static str,
    agent: &'static str,
    intent: Option<&'static str>,
    entities: &'static [(&'static str, &'static [&'static str])],
    function: Option<&'static str>,
) -> Exchange {
    Exchange {
        user,
        dtmf: "",
        agent,
        intent,
        entities,
        function,
        is_ood: false,
        is_silence: false,
    }
}

pub(crate) const GREETING: usize = 0;
pub(crate) const GOODBYE: usize = 1;
pub(crate) const HANDOFF: usize = 2;
pub(crate) const SILENCE: usize = 3;
pub(crate) const OOD: usize = 4;
const TOPIC_START: usize = 5;
const PER_TOPIC: usize = 3;

/// Topic names, in the order of their exchanges in [`EXCHANGES`].
pub(crate) const TOPICS: [&str; 6] = [
    "booking",
    "opening_hours",
    "refund",
    "billing",
    "delivery",
    "account",
];

const TOPIC_HEADINGS: [&str; 6] = [
    "Table booking",
    "Opening hours enquiry",
    "Refund request",
    "Billing question",
    "Delivery status",
    "Account help",
];

/// Every exchange the generator can produce.
pub(crate) static EXCHANGES: [Exchange; TOPIC_START + 6 * PER_TOPIC] = [
    ex(
        "",
        "Hello, thanks for calling. How can I help you today?",
        None,
        &[],
        None,
    ),
    ex(
        "That's all, thank you. Bye!",
        "You're welcome. Goodbye!",
        Some("goodbye"),
        &[],
        None,
    ),
    ex(
        "Can I speak to a person please?",
        "Of course, I'm transferring you to a colleague now.",
        Some("request_human"),
        &[],
        Some("transfer_call"),
    ),
    Exchange {
        user: "",
        dtmf: "",
        agent: "Sorry, I didn't catch that. Could you say that again?",
        intent: None,
        entities: &[],
        function: None,
        is_ood: false,
        is_silence: true,
    },
    Exchange {
        user: "purple monkey dishwasher",
        dtmf: "",
        agent: "I'm sorry, I'm not sure I understood. Could you rephrase that?",
        intent: None,
        entities: &[],
        function: None,
        is_ood: true,
        is_silence: false,
    },
    // booking
    ex(
        "I'd like to book a table for four tomorrow evening",
        "Of course. I can book a table for four tomorrow at 7pm. Shall I confirm it?",
        Some("make_booking"),
        &[("party_size", &["4"]), ("date", &["tomorrow"])],
        Some("check_availability"),
    ),
    ex(
        "Yes please, confirm it",
        "Your booking is confirmed. You'll receive a text message shortly.",
        Some("confirm"),
        &[],
        Some("create_booking"),
    ),
    ex(
        "Can I move my booking to Friday?",
        "Done: I've moved your booking to Friday at the same time.",
        Some("change_booking"),
        &[("date", &["friday"])],
        Some("update_booking"),
    ),
    // opening hours
    ex(
        "What time are you open on Sunday?",
        "On Sundays we're open from 10am to 4pm.",
        Some("opening_hours"),
        &[("day", &["sunday"])],
        None,
    ),
    ex(
        "Are you open on bank holidays?",
        "Yes, we keep Sunday hours on bank holidays.",
        Some("opening_hours"),
        &[],
        None,
    ),
    ex(
        "Is the car park open late?",
        "The car park is open until midnight every day.",
        Some("parking"),
        &[],
        None,
    ),
    // refund
    ex(
        "I want a refund for my last order",
        "I'm sorry to hear that. Could you give me your order number?",
        Some("request_refund"),
        &[],
        None,
    ),
    ex(
        "It's order 4512",
        "Thanks. I've started a refund for order 4512; it takes 3 to 5 working days.",
        Some("provide_order_number"),
        &[("order_number", &["4512"])],
        Some("lookup_order"),
    ),
    ex(
        "When will I get the money back?",
        "Refunds usually arrive within 5 working days.",
        Some("refund_status"),
        &[],
        None,
    ),
    // billing
    ex(
        "There's a charge on my bill I don't recognise",
        "Let me check your account. Can you confirm your postcode?",
        Some("billing_query"),
        &[],
        None,
    ),
    ex(
        "It's SW1A 1AA",
        "Thank you. That charge is your monthly subscription renewal.",
        Some("provide_postcode"),
        &[("postcode", &["SW1A 1AA"])],
        Some("lookup_account"),
    ),
    ex(
        "Can I pay by card over the phone?",
        "Yes, I can take a card payment on our secure line.",
        Some("make_payment"),
        &[],
        None,
    ),
    // delivery
    ex(
        "Where is my parcel?",
        "Your parcel is out for delivery and should arrive by 6pm.",
        Some("track_parcel"),
        &[],
        Some("track_shipment"),
    ),
    ex(
        "Can you leave it with my neighbour?",
        "Yes, I've added a note to leave it with your neighbour.",
        Some("delivery_instructions"),
        &[],
        None,
    ),
    ex(
        "I ordered pizza and salad",
        "I can see your order for pizza and salad; it's on its way.",
        Some("order_status"),
        &[("items", &["pizza", "salad"])],
        None,
    ),
    // account
    ex(
        "I need to reset my password",
        "I can help. Please enter your account PIN on the keypad.",
        Some("reset_password"),
        &[],
        None,
    ),
    Exchange {
        user: "",
        dtmf: "1234",
        agent: "Thanks, your PIN is verified. I've sent a reset link by text.",
        intent: Some("provide_pin"),
        entities: &[],
        function: Some("verify_pin"),
        is_ood: false,
        is_silence: false,
    },
    ex(
        "How do I update my address?",
        "You can update your address in the app under Account settings.",
        Some("update_address"),
        &[],
        None,
    ),
];

const HANDOFF_REASONS: [&str; 3] = [
    "caller_requested_human",
    "complex_query",
    "payment_required",
];
const HANDOFF_DESTINATIONS: [&str; 3] = ["reception", "billing_team", "support_queue"];

/// The generated time-line of one turn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TurnGen {
    pub exchange: usize,
    pub user_ms: i64,
    pub agent_ms: i64,
    pub latency_ms: i64,
    pub hash: u64,
}

/// One generated conversation.
#[derive(Debug, Clone)]
pub(crate) struct Conv {
    pub index: u64,
    pub id: String,
    pub started_ms: i64,
    pub env: Env,
    pub channel: Channel,
    pub variant: usize,
    pub in_progress: bool,
    pub topic: usize,
    pub turns: Vec<TurnGen>,
    pub handoff: Option<(usize, usize)>,
    pub language: Option<&'static str>,
    pub outbound: bool,
    pub poly_score: Option<f64>,
    pub deployment: Option<String>,
    pub has_summary: bool,
    pub from_number: String,
    pub to_number: String,
    pub total_duration: i64,
    pub polyai_duration: i64,
    pub hash: u64,
}

impl Conv {
    /// Whether a recording exists: finished voice calls only.
    pub fn has_recording(&self) -> bool {
        self.channel == Channel::VoiceSip && !self.in_progress
    }

    pub fn finished_ms(&self) -> i64 {
        self.started_ms + self.total_duration * 1000
    }
}

/// The configuration the data set is generated from.
#[derive(Debug, Clone)]
pub(crate) struct DataConfig {
    pub seed: u64,
    pub count: u64,
    pub window_end_ms: i64,
    pub window_span_ms: u64,
    pub account_id: String,
    pub project_id: String,
}

/// The data set: configuration plus the precomputed attribute bytes.
pub(crate) struct Dataset {
    pub cfg: DataConfig,
    pub attrs: Vec<u8>,
    pub variants: [Variant; 3],
    id_key: u64,
}

impl Dataset {
    pub fn new(cfg: DataConfig) -> Dataset {
        let seed = cfg.seed;
        let count = usize::try_from(cfg.count).unwrap_or(usize::MAX);
        // Only calls that started in the last ten minutes of the window can still be going on.
        let recent = u128::from(cfg.count) * 600_000 / u128::from(cfg.window_span_ms.max(1));
        let in_progress_cutoff = u64::try_from(recent).unwrap_or(u64::MAX).max(1);
        let attrs = (0..count as u64)
            .map(|i| attr_byte(seed, i, in_progress_cutoff))
            .collect();
        let variants = [0usize, 1, 2].map(|v| Variant {
            id: format!(
                "VARIANT-{}",
                base36_upper(hash3(seed, v as u64, salts::VARIANT_ID), 8)
            ),
            name: VARIANT_NAMES[v],
        });
        Dataset {
            id_key: hash3(seed, 0, salts::ID_KEY),
            cfg,
            attrs,
            variants,
        }
    }

    pub fn count(&self) -> u64 {
        self.attrs.len() as u64
    }

    /// Start time (ms) of conversation `i`; never increases with `i`.
    pub fn started_ms(&self, i: u64) -> i64 {
        let n = u128::from(self.cfg.count.max(1));
        let span = u128::from(self.cfg.window_span_ms);
        let lo = (u128::from(i) * span / n) as i64;
        let hi = (u128::from(i + 1) * span / n) as i64;
        let slot = (hi - lo).max(0) as u64;
        let jitter = if slot == 0 {
            0
        } else {
            (hash3(self.cfg.seed, i, salts::START_JITTER) % slot) as i64
        };
        self.cfg.window_end_ms - hi + jitter
    }

    /// Index range `[first, end)` of conversations with `start <= started_at < end`.
    pub fn time_range(&self, start_ms: Option<i64>, end_ms: Option<i64>) -> (u64, u64) {
        let n = self.count();
        // first index whose start time is < t (start times are non-increasing)
        let first_below = |t: i64| -> u64 {
            let (mut lo, mut hi) = (0u64, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if self.started_ms(mid) < t {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            lo
        };
        let first = end_ms.map_or(0, first_below);
        let end = start_ms.map_or(n, first_below);
        (first, end.max(first))
    }

    /// The public id of conversation `i`: `CA` + 32 lowercase hex digits.
    pub fn id_of(&self, i: u64) -> String {
        let a = scramble(i ^ self.id_key);
        let b = hash3(self.cfg.seed, i, salts::CONVERSATION_BYTE);
        format!("CA{}", hex(&[a.to_be_bytes(), b.to_be_bytes()].concat()))
    }

    /// The index of a conversation id generated by this data set.
    pub fn index_of(&self, id: &str) -> Option<u64> {
        let bytes = unhex(id.strip_prefix("CA")?)?;
        if bytes.len() != 16 || id[2..].bytes().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        let a = u64::from_be_bytes(bytes[0..8].try_into().ok()?);
        let b = u64::from_be_bytes(bytes[8..16].try_into().ok()?);
        let i = unscramble(a) ^ self.id_key;
        (i < self.count() && hash3(self.cfg.seed, i, salts::CONVERSATION_BYTE) == b).then_some(i)
    }

    /// Exchange index of turn `j` of `n` in conversation `i`.
    pub fn exchange_of(&self, i: u64, topic: usize, handoff: bool, j: u32, n: u32) -> usize {
        if j == 0 {
            GREETING
        } else if j + 1 == n {
            if handoff { HANDOFF } else { GOODBYE }
        } else {
            let r = hash3(self.cfg.seed, i, salts::TURN + u64::from(j));
            match r % 20 {
                0 => SILENCE,
                1 => OOD,
                // The topic's exchanges in order (question, detail, follow-up), repeating.
                _ => TOPIC_START + topic * PER_TOPIC + ((j - 1) as usize % PER_TOPIC),
            }
        }
    }

    /// Topic, turn count and handoff flag: the inputs transcript search needs.
    pub fn shape(&self, i: u64) -> (usize, u32, bool) {
        let h = hash3(self.cfg.seed, i, salts::CONVERSATION_SHAPE);
        let topic = (h % TOPICS.len() as u64) as usize;
        let turns = 2 + ((h >> 8) % 7) as u32;
        let handoff = (h >> 16) % 100 < 8;
        (topic, turns, handoff)
    }

    /// Generates conversation `i` (which must be `< count`).
    pub fn conversation(&self, i: u64) -> Conv {
        let seed = self.cfg.seed;
        let code = self.attrs.get(i as usize).copied().unwrap_or(0);
        let env = Env::from_code(code >> attr::ENV_SHIFT);
        let channel = Channel::from_code(code >> attr::CHANNEL_SHIFT);
        let variant = usize::from((code >> attr::VARIANT_SHIFT) & 3).min(2);
        let in_progress = code & attr::IN_PROGRESS != 0;
        let h = hash3(seed, i, salts::CONVERSATION_SHAPE);
        let (topic, n, handoff) = self.shape(i);
        let started_ms = self.started_ms(i);
        let mut turns = Vec::with_capacity(n as usize);
        for j in 0..n {
            let r = hash3(seed, i, salts::TURN_DETAIL + u64::from(j));
            let latency_ms = 350 + (r % 1250) as i64;
            let user_ms = started_ms + i64::from(j) * 11_000 + ((r >> 16) % 3000) as i64;
            turns.push(TurnGen {
                exchange: self.exchange_of(i, topic, handoff, j, n),
                user_ms,
                agent_ms: user_ms + latency_ms,
                latency_ms,
                hash: r,
            });
        }
        let last_ms = turns.last().map_or(started_ms, |t| t.agent_ms);
        let polyai_duration = (last_ms - started_ms) / 1000 + 3;
        let handoff = handoff.then(|| {
            (
                ((h >> 20) % 3) as usize,
                (((h >> 22) + variant as u64) % 3) as usize,
            )
        });
        let total_duration = polyai_duration
            + if handoff.is_some() {
                30 + ((h >> 24) % 240) as i64
            } else {
                0
            };
        let voice = channel == Channel::VoiceSip;
        let dep_r = hash3(seed, (env as u64) * 3 + variant as u64, salts::DEPLOYMENT);
        Conv {
            index: i,
            id: self.id_of(i),
            started_ms,
            env,
            channel,
            variant,
            in_progress,
            topic,
            turns,
            handoff,
            language: match (h >> 32) % 10 {
                0 => None,
                1..=3 => Some("en-US"),
                _ => Some("en-GB"),
            },
            outbound: voice && (h >> 36).is_multiple_of(10),
            poly_score: (!(h >> 40).is_multiple_of(5)).then(|| (5 + (h >> 44) % 5) as f64),
            deployment: (!(h >> 48).is_multiple_of(7)).then(|| {
                uuid7_from(
                    self.cfg.window_end_ms - self.cfg.window_span_ms as i64 - 86_400_000,
                    dep_r,
                )
            }),
            has_summary: !(h >> 52).is_multiple_of(4),
            from_number: if voice {
                format!("+447700{:06}", mix64(h) % 1_000_000)
            } else {
                String::new()
            },
            to_number: if voice {
                format!("+44203808{:04}", 1000 + variant * 111)
            } else {
                String::new()
            },
            total_duration,
            polyai_duration,
            hash: h,
        }
    }

    /// The first finished, live voice conversation (one with a recording), if any.
    pub fn known_conversation(&self) -> Option<u64> {
        let live_voice =
            (Env::Live as u8) << attr::ENV_SHIFT | (Channel::VoiceSip as u8) << attr::CHANNEL_SHIFT;
        let mask = 3 << attr::ENV_SHIFT | 3 << attr::CHANNEL_SHIFT | attr::IN_PROGRESS;
        self.attrs
            .iter()
            .position(|a| a & mask == live_voice)
            .or_else(|| self.attrs.iter().position(|a| a & attr::IN_PROGRESS == 0))
            .map(|i| i as u64)
    }
}

fn attr_byte(seed: u64, i: u64, in_progress_cutoff: u64) -> u8 {
    let h = hash3(seed, i, salts::CONVERSATION_ID);
    let env = match h % 100 {
        0..70 => Env::Live,
        70..85 => Env::Sandbox,
        _ => Env::PreRelease,
    } as u8;
    let channel = match (h >> 8) % 100 {
        0..60 => Channel::VoiceSip,
        60..85 => Channel::Webchat,
        _ => Channel::Chat,
    } as u8;
    let variant = match (h >> 16) % 100 {
        0..60 => 0u8,
        60..85 => 1,
        _ => 2,
    };
    let mut byte =
        env << attr::ENV_SHIFT | channel << attr::CHANNEL_SHIFT | variant << attr::VARIANT_SHIFT;
    if i < in_progress_cutoff && (h >> 24) & 1 == 1 {
        byte |= attr::IN_PROGRESS;
    }
    if (h >> 32).is_multiple_of(10) {
        byte |= attr::SAMPLED;
    }
    byte
}

fn base36_upper(mut x: u64, len: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    (0..len)
        .map(|_| {
            let d = DIGITS[(x % 36) as usize] as char;
            x /= 36;
            d
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Conversations v3 (snake_case)

/// A metric value: one string, or a list when the metric was written more than once.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum MetricValue {
    One(&'static str),
    Many(Vec<&'static str>),
}

/// An entity value: one string or several.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum EntityValue {
    One(&'static str),
    Many(&'static [&'static str]),
}

fn entities(exchange: &Exchange) -> Vec<BTreeMap<&'static str, EntityValue>> {
    if exchange.entities.is_empty() {
        return Vec::new();
    }
    let map = exchange
        .entities
        .iter()
        .map(|(name, values)| {
            let value = match values {
                [one] => EntityValue::One(one),
                many => EntityValue::Many(many),
            };
            (*name, value)
        })
        .collect();
    vec![map]
}

/// `ConversationTurn` of the v3 listing.
#[derive(Serialize)]
pub(crate) struct V3Turn {
    user_input: &'static str,
    user_input_dtmf: &'static str,
    user_input_datetime: String,
    agent_response: &'static str,
    agent_response_datetime: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency: Option<f64>,
    translated_user_input: &'static str,
    english_agent_response: &'static str,
    intents: Vec<&'static str>,
    entities: Vec<BTreeMap<&'static str, EntityValue>>,
    is_ood: bool,
    is_silence: bool,
    barge_in: bool,
}

/// `ConversationSummaryResponse` of the v3 listing.
#[derive(Serialize)]
pub(crate) struct V3Conversation<'a> {
    id: String,
    account_id: &'a str,
    project_id: &'a str,
    variant_id: &'a str,
    variant_name: &'a str,
    environment: &'static str,
    started_at: String,
    channel: &'static str,
    from_number: String,
    to_number: String,
    in_progress: bool,
    num_turns: u32,
    total_duration: i64,
    polyai_duration: i64,
    handoff: bool,
    handoff_reason: &'static str,
    handoff_destination: &'static str,
    num_silences: u32,
    num_ood: u32,
    metrics: BTreeMap<&'static str, MetricValue>,
    state: V3State,
    turns: Vec<V3Turn>,
}

#[derive(Serialize)]
struct V3State {
    from_: String,
    to: String,
    call_sid: String,
    topic: &'static str,
}

impl V3Conversation<'_> {
    /// Empties `turns` (keeping `num_turns`), as projects with transcripts hidden from API
    /// keys answer.
    pub fn hide_turns(&mut self) {
        self.turns.clear();
    }
}

fn outcome(conv: &Conv) -> &'static str {
    if conv.in_progress {
        "in_progress"
    } else if conv.handoff.is_some() {
        "handoff"
    } else {
        "resolved"
    }
}

fn distinct_intents(conv: &Conv) -> Vec<&'static str> {
    let mut intents: Vec<&'static str> = Vec::new();
    for t in &conv.turns {
        if let Some(intent) = EXCHANGES[t.exchange].intent
            && !intents.contains(&intent)
        {
            intents.push(intent);
        }
    }
    intents
}

impl Dataset {
    /// The v3 listing record of `conv`, with the account and project from the request path.
    pub fn v3<'a>(
        &'a self,
        conv: Conv,
        account_id: &'a str,
        project_id: &'a str,
        include_latency: bool,
    ) -> V3Conversation<'a> {
        let variant = &self.variants[conv.variant];
        let mut metrics = BTreeMap::new();
        metrics.insert("TOPIC", MetricValue::One(TOPICS[conv.topic]));
        metrics.insert("OUTCOME", MetricValue::One(outcome(&conv)));
        let intents = distinct_intents(&conv);
        match intents.len() {
            0 => {}
            1 => {
                metrics.insert("INTENT", MetricValue::One(intents[0]));
            }
            _ => {
                metrics.insert("INTENT", MetricValue::Many(intents));
            }
        }
        let turns = conv
            .turns
            .iter()
            .map(|t| {
                let e = &EXCHANGES[t.exchange];
                V3Turn {
                    user_input: e.user,
                    user_input_dtmf: e.dtmf,
                    user_input_datetime: rfc3339_ms(t.user_ms),
                    agent_response: e.agent,
                    agent_response_datetime: rfc3339_ms(t.agent_ms),
                    latency: include_latency.then(|| t.latency_ms as f64 / 1000.0),
                    translated_user_input: "",
                    english_agent_response: "",
                    intents: e.intent.into_iter().collect(),
                    entities: entities(e),
                    is_ood: e.is_ood,
                    is_silence: e.is_silence,
                    barge_in: t.hash >> 60 == 0,
                }
            })
            .collect::<Vec<_>>();
        let count = |f: fn(&Exchange) -> bool| {
            conv.turns
                .iter()
                .filter(|t| f(&EXCHANGES[t.exchange]))
                .count() as u32
        };
        V3Conversation {
            account_id,
            project_id,
            variant_id: &variant.id,
            variant_name: variant.name,
            environment: conv.env.as_str(),
            started_at: rfc3339_ms(conv.started_ms),
            channel: conv.channel.as_str(),
            in_progress: conv.in_progress,
            num_turns: conv.turns.len() as u32,
            total_duration: conv.total_duration,
            polyai_duration: conv.polyai_duration,
            handoff: conv.handoff.is_some(),
            handoff_reason: conv.handoff.map_or("", |(r, _)| HANDOFF_REASONS[r]),
            handoff_destination: conv.handoff.map_or("", |(_, d)| HANDOFF_DESTINATIONS[d]),
            num_silences: count(|e| e.is_silence),
            num_ood: count(|e| e.is_ood),
            metrics,
            state: V3State {
                from_: conv.from_number.clone(),
                to: conv.to_number.clone(),
                call_sid: conv.id.clone(),
                topic: TOPICS[conv.topic],
            },
            turns,
            id: conv.id,
            from_number: conv.from_number,
            to_number: conv.to_number,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Agent-scoped records (camelCase, with snake_case turns in the detail)

/// The summary fields shared by the agent-scoped list and the detail.
#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgentSummary {
    pub conversation_id: String,
    pub account_id: String,
    pub project_id: String,
    pub created_at: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub channel: Option<String>,
    pub from_number: Option<String>,
    pub to_number: Option<String>,
    pub language: Option<String>,
    pub variant_id: Option<String>,
    pub client_env: Option<String>,
    pub total_duration: Option<i64>,
    pub polyai_duration: Option<i64>,
    pub duration: Option<i64>,
    pub in_progress: Option<bool>,
    pub handoff: Option<bool>,
    pub handoff_destination: Option<String>,
    pub handoff_reason: Option<String>,
    pub direction: Option<String>,
    pub tags: Vec<String>,
    pub poly_score: Option<f64>,
    pub short_summary: Option<Value>,
    pub deployment_id: Option<String>,
    pub note: Option<String>,
    pub audio_url: Option<String>,
}

/// `ConversationDetailResponse`: the summary plus turns, metrics, function events and the
/// mock's stored annotations.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgentDetail {
    #[serde(flatten)]
    pub summary: AgentSummary,
    pub turns: Vec<DetailTurn>,
    pub metrics: Value,
    pub function_events: Value,
    pub annotations: Vec<Value>,
}

/// One detail turn (snake_case keys, as real responses have them).
#[derive(Serialize)]
pub(crate) struct DetailTurn {
    pub turn_id: u64,
    pub user_input: String,
    pub user_input_dtmf: String,
    pub user_input_dtmf_finish_key: Option<&'static str>,
    pub user_input_datetime: String,
    pub user_input_audio_url: Option<String>,
    pub agent_response: String,
    pub agent_response_datetime: String,
    pub translated_user_input: Option<String>,
    pub english_agent_response: Option<String>,
    pub asr_lang_code: Option<String>,
    pub tts_lang_code: Option<String>,
    pub barge_in: bool,
    pub latency: Value,
    pub intents: Vec<&'static str>,
    pub entities: Value,
    pub is_ood: bool,
    pub is_silence: bool,
    pub llm_requests: Vec<Value>,
    pub reviews: Vec<Value>,
    pub metadata: Value,
}

impl Dataset {
    /// The camelCase summary of `conv` as seen under `agent_id`.
    pub fn agent_summary(&self, conv: &Conv, agent_id: &str, note: Option<String>) -> AgentSummary {
        let variant = &self.variants[conv.variant];
        let voice = conv.channel == Channel::VoiceSip;
        let h = conv.hash;
        let mut tags = vec![TOPICS[conv.topic].to_owned()];
        if conv.handoff.is_some() {
            tags.push("handoff".to_owned());
        }
        AgentSummary {
            conversation_id: conv.id.clone(),
            account_id: self.cfg.account_id.clone(),
            project_id: agent_id.to_owned(),
            created_at: Some(rfc3339_offset(conv.started_ms - 1_500)),
            started_at: Some(rfc3339_ms(conv.started_ms)),
            finished_at: (!conv.in_progress).then(|| naive_iso(conv.finished_ms())),
            channel: Some(conv.channel.as_str().to_owned()),
            from_number: voice.then(|| conv.from_number.clone()),
            to_number: voice.then(|| conv.to_number.clone()),
            language: conv.language.map(str::to_owned),
            // Real records sometimes carry null, and sometimes the variant *name*, here.
            variant_id: match (h >> 56) % 10 {
                0 => None,
                1 => Some(variant.name.to_owned()),
                _ => Some(variant.id.clone()),
            },
            client_env: Some(conv.env.as_str().to_owned()),
            total_duration: Some(conv.total_duration),
            polyai_duration: Some(conv.polyai_duration),
            duration: Some(conv.total_duration),
            in_progress: Some(conv.in_progress),
            handoff: Some(conv.handoff.is_some()),
            handoff_destination: conv
                .handoff
                .map(|(_, d)| HANDOFF_DESTINATIONS[d].to_owned()),
            handoff_reason: conv.handoff.map(|(r, _)| HANDOFF_REASONS[r].to_owned()),
            direction: voice.then(|| if conv.outbound { "outbound" } else { "inbound" }.to_owned()),
            tags,
            poly_score: conv.poly_score,
            short_summary: conv.has_summary.then(|| {
                json!({
                    "heading": TOPIC_HEADINGS[conv.topic],
                    "content": format!(
                        "The caller asked about {}; the conversation {}.",
                        TOPICS[conv.topic].replace('_', " "),
                        match outcome(conv) {
                            "handoff" => "was handed off to a colleague",
                            "in_progress" => "is still going on",
                            _ => "was resolved by the agent",
                        }
                    ),
                })
            }),
            deployment_id: conv.deployment.clone(),
            note,
            audio_url: conv
                .has_recording()
                .then(|| format!("/v1/agents/{agent_id}/conversations/{}/audio", conv.id)),
        }
    }

    /// The full detail of `conv` as seen under `agent_id`.
    pub fn agent_detail(
        &self,
        conv: &Conv,
        agent_id: &str,
        note: Option<String>,
        annotations: &[StoredAnnotation],
    ) -> AgentDetail {
        let summary = self.agent_summary(conv, agent_id, note);
        let lang = conv.language.unwrap_or("en-GB");
        let voice = conv.channel == Channel::VoiceSip;
        let mut function_events = serde_json::Map::new();
        let mut metrics = serde_json::Map::new();
        let first_ms = conv.turns.first().map_or(conv.started_ms, |t| t.agent_ms);
        let last_ms = conv.turns.last().map_or(conv.started_ms, |t| t.agent_ms);
        metrics.insert(
            "TOPIC".into(),
            json!([{"timestamp": rfc3339_offset(first_ms), "value": TOPICS[conv.topic]}]),
        );
        metrics.insert(
            "OUTCOME".into(),
            json!([{"timestamp": rfc3339_offset(last_ms), "value": outcome(conv)}]),
        );
        let turns = conv
            .turns
            .iter()
            .enumerate()
            .map(|(j, t)| {
                let e = &EXCHANGES[t.exchange];
                if let Some(name) = e.function {
                    let arguments: serde_json::Map<String, Value> = e
                        .entities
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), json!(v.join(", "))))
                        .collect();
                    function_events.insert(
                        j.to_string(),
                        json!([{
                            "name": name,
                            "arguments": arguments,
                            "duration": (t.hash % 400) as f64 / 1000.0 + 0.05,
                            "start_time": http_date(t.user_ms + 120),
                            "state_changes": {"topic": TOPICS[conv.topic]},
                            "handoff": if t.exchange == HANDOFF {
                                conv.handoff.map(|(_, d)| json!(HANDOFF_DESTINATIONS[d])).unwrap_or(Value::Null)
                            } else { Value::Null },
                        }]),
                    );
                }
                let reviews = annotations
                    .iter()
                    .filter(|a| a.turn_id == j as u64)
                    .map(StoredAnnotation::review_json)
                    .collect();
                DetailTurn {
                    turn_id: scramble(conv.index.wrapping_mul(16) + j as u64) >> 12,
                    user_input: e.user.to_owned(),
                    user_input_dtmf: e.dtmf.to_owned(),
                    user_input_dtmf_finish_key: (!e.dtmf.is_empty()).then_some("#"),
                    user_input_datetime: rfc3339_ms(t.user_ms),
                    user_input_audio_url: (voice && !e.user.is_empty()).then(|| {
                        format!("/v1/agents/{agent_id}/conversations/{}/audio?direction=user", conv.id)
                    }),
                    agent_response: e.agent.to_owned(),
                    agent_response_datetime: rfc3339_ms(t.agent_ms),
                    translated_user_input: None,
                    english_agent_response: None,
                    asr_lang_code: voice.then(|| lang.to_owned()),
                    tts_lang_code: voice.then(|| lang.to_owned()),
                    barge_in: t.hash >> 60 == 0,
                    latency: json!({"perceived_latency": t.latency_ms as f64 / 1000.0}),
                    intents: e.intent.into_iter().collect(),
                    entities: serde_json::to_value(entities(e)).unwrap_or(Value::Null),
                    is_ood: e.is_ood,
                    is_silence: e.is_silence,
                    llm_requests: if e.is_silence || j == 0 {
                        Vec::new()
                    } else {
                        vec![json!({
                            "model": "mock-llm-1",
                            "prompt_tokens": 900 + t.hash % 400,
                            "completion_tokens": 20 + (t.hash >> 10) % 60,
                            "duration": (t.latency_ms as f64) / 2000.0,
                        })]
                    },
                    reviews,
                    metadata: json!({ "retrieved_topics": if t.exchange >= TOPIC_START { json!([TOPICS[conv.topic]]) } else { json!([]) } }),
                }
            })
            .collect();
        AgentDetail {
            summary,
            turns,
            metrics: Value::Object(metrics),
            function_events: Value::Object(function_events),
            annotations: annotations.iter().map(StoredAnnotation::json).collect(),
        }
    }
}

/// An annotation stored by `POST .../annotation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredAnnotation {
    pub turn_id: u64,
    pub role: String,
    pub annotation_type: String,
    pub created_ms: i64,
}

impl StoredAnnotation {
    pub(crate) fn json(&self) -> Value {
        json!({
            "turnId": self.turn_id,
            "role": self.role,
            "annotationType": self.annotation_type,
            "createdAt": rfc3339_ms(self.created_ms),
        })
    }

    pub(crate) fn review_json(&self) -> Value {
        json!({
            "role": self.role,
            "annotationType": self.annotation_type,
            "createdAt": rfc3339_ms(self.created_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(count: u64) -> Dataset {
        Dataset::new(DataConfig {
            seed: 42,
            count,
            window_end_ms: 1_790_000_000_000,
            window_span_ms: 30 * 86_400_000,
            account_id: "ws-test".into(),
            project_id: "PROJECT-TEST".into(),
        })
    }

    #[test]
    fn ids_round_trip_and_times_are_ordered() {
        let d = dataset(1000);
        let mut last = i64::MAX;
        for i in 0..1000 {
            let id = d.id_of(i);
            assert_eq!(id.len(), 34);
            assert_eq!(d.index_of(&id), Some(i));
            let t = d.started_ms(i);
            assert!(t <= last);
            last = t;
        }
        assert_eq!(d.index_of("CA0000"), None);
        assert_eq!(d.index_of(&d.id_of(5).to_uppercase()), None);
        let c = d.conversation(3);
        assert!((2..=8).contains(&c.turns.len()));
        assert_eq!(d.conversation(3).id, c.id);
    }

    #[test]
    fn time_ranges_are_index_ranges() {
        let d = dataset(500);
        let t10 = d.started_ms(10);
        let t20 = d.started_ms(20);
        let (a, b) = d.time_range(Some(t20), Some(t10));
        for i in 0..500 {
            let t = d.started_ms(i);
            assert_eq!((a..b).contains(&i), t >= t20 && t < t10, "index {i}");
        }
        assert_eq!(d.time_range(None, None), (0, 500));
    }
}
