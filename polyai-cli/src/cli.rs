//! The command line: every command, its flags, and the examples `--help` shows.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ROOT_HELP: &str = "\
Examples:
  polyai mock --now                      # an offline PolyAI; prints the export lines to use it
  polyai profile add prod --region uk --account ws-1234 --project PROJECT-99 --agent my-agent
  polyai conversations list --since 1d --channel VOICE-SIP
  polyai conversations export --since 2026-11-01 --until 2026-11-02 -o day.jsonl.gz
  polyai audio download --from day.jsonl.gz --dir recordings --parallel 8
  polyai webhooks listen --port 8080 --forward http://127.0.0.1:3000/hooks
  polyai agents promote --from pre-release --to live
  polyai chat test scenarios.yaml --junit chat.xml
  polyai api get_agent agentId=my-agent
  polyai actions lint actions.yaml
  polyai completions zsh > ~/.zfunc/_polyai

Configuration (flags win over the environment, which wins over the profile):
  POLYAI_API_KEY, POLYAI_REGION (us, uk, eu, studio), POLYAI_ACCOUNT_ID, POLYAI_PROJECT_ID,
  POLYAI_AGENT_ID, POLYAI_BASE_URL, POLYAI_AGENTS_BASE_URL, POLYAI_PLATFORM_BASE_URL,
  POLYAI_PROFILE (the profile to use), POLYAI_CONFIG (the config file; default
  $XDG_CONFIG_HOME/polyai/config.json or ~/.config/polyai/config.json). NO_COLOR turns colour
  off; output that is not a terminal gets no colour and no progress bar.

Exit codes:
  0 success   1 the operation failed   2 wrong usage or input   3 configuration missing or unsafe
  4 credentials or permission refused (401/403)   5 not found (404)
  6 PolyAI unavailable, rate limiting or unreachable (rerun later; exports resume)";

/// polyai: PolyAI from the command line (exports, recordings, webhooks, releases, profiles, an
/// offline mock).
#[derive(Debug, Parser)]
#[command(name = "polyai", version, about, after_help = ROOT_HELP)]
pub struct Cli {
    /// Settings that every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Connection settings and output switches accepted by every command.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Use this profile of the config file (default: POLYAI_PROFILE, then the current one).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// PolyAI region: us, uk, eu or studio (default: POLYAI_REGION, then the profile's).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Account (workspace) id or slug (default: POLYAI_ACCOUNT_ID, then the profile's).
    #[arg(long, global = true, value_name = "ID")]
    pub account: Option<String>,
    /// Project id or slug (default: POLYAI_PROJECT_ID, then the profile's).
    #[arg(long, global = true, value_name = "ID")]
    pub project: Option<String>,
    /// Agent id (default: POLYAI_AGENT_ID, then the profile's).
    #[arg(long, global = true, value_name = "ID")]
    pub agent: Option<String>,
    /// One base URL for every host family, e.g. a proxy or the mock (default: POLYAI_BASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Base URL of the Agents host family only (default: POLYAI_AGENTS_BASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub agents_base_url: Option<String>,
    /// Base URL of the Platform host family only (default: POLYAI_PLATFORM_BASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    pub platform_base_url: Option<String>,
    /// Show the SDK's tracing on stderr (-v requests, -vv everything); RUST_LOG refines it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Named profiles in the config file (region, ids, base URLs, optionally the key).
    #[command(
        subcommand,
        after_help = "Examples:\n  polyai profile add prod --region uk --account ws-1234 --project PROJECT-99\n  polyai profile list\n  polyai profile use prod"
    )]
    Profile(ProfileCommand),
    /// Conversations v3: list and export transcripts.
    #[command(
        subcommand,
        after_help = "Examples:\n  polyai conversations list --since 7d --limit 20\n  polyai conversations export --since 2026-11-01 --until 2026-12-01 -o november.jsonl.gz"
    )]
    Conversations(ConversationsCommand),
    /// Call recordings.
    #[command(
        subcommand,
        after_help = "Examples:\n  polyai audio download CONVERSATION_ID --dir recordings\n  polyai audio download --from november.jsonl.gz --dir recordings --parallel 8"
    )]
    Audio(AudioCommand),
    /// Agents: the release flow (branches, publish, promote, rollback, what each environment runs).
    #[command(
        subcommand,
        after_help = "Examples:\n  polyai agents list\n  polyai agents deployments --agent my-agent\n  polyai agents rollback dep_122 --yes --message \"back to 41\""
    )]
    Agents(AgentsCommand),
    /// Webhooks: a verifying receiver, test deliveries, and the endpoints PolyAI delivers to.
    #[command(
        subcommand,
        after_help = "Examples:\n  polyai webhooks listen --port 8080 --secret whsec_...\n  polyai webhooks send http://127.0.0.1:8080 --secret whsec_...\n  polyai webhooks endpoints list"
    )]
    Webhooks(WebhooksCommand),
    /// Debug chat with an agent: an interactive session, or `chat test` for scripted scenarios.
    Chat(crate::chat::ChatArgs),
    /// Any operation of any API family by its id, with typed checks before sending.
    Api(crate::api::ApiArgs),
    /// API-call actions: lint definition files, render, curl or call an action's request.
    #[command(
        subcommand,
        after_help = "Examples:\n  polyai actions lint actions.yaml\n  polyai actions curl actions.yaml lookup_order --param order_number='\"ORD-12\"'"
    )]
    Actions(crate::actions::ActionsCommand),
    /// Run the offline mock of PolyAI and print the environment that points polyai at it.
    #[command(after_help = "\
Examples:
  polyai mock --now --conversations 5000     # then paste the printed export lines in another shell
  polyai mock --port 8080 --seed 7")]
    Mock(MockArgs),
    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  polyai completions bash > /etc/bash_completion.d/polyai
  polyai completions zsh > ~/.zfunc/_polyai
  polyai completions fish > ~/.config/fish/completions/polyai.fish")]
    Completions {
        /// The shell.
        shell: Shell,
    },
}

/// The shells completions are generated for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// GNU bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
}

/// `polyai profile ...`
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add or replace a profile with the values of the global flags given with it.
    #[command(after_help = "\
The profile takes --region, --account, --project, --agent and the base-URL flags from this
command line only (not from the environment). The API key is stored only with --store-key: it is read
from POLYAI_API_KEY, or from standard input, and the file is then written owner-only (0600);
polyai refuses to read a file holding a key that group or others can read.

Examples:
  polyai profile add prod --region uk --account ws-1234 --project PROJECT-99 --agent my-agent
  printf %s \"$KEY\" | polyai profile add prod --region uk --store-key --use
  polyai profile add local --base-url http://127.0.0.1:8080 --account acme --project support")]
    Add {
        /// The profile's name.
        name: String,
        /// Also store the API key (from POLYAI_API_KEY, or read from standard input).
        #[arg(long)]
        store_key: bool,
        /// Make it the current profile.
        #[arg(long = "use")]
        make_current: bool,
    },
    /// List the profiles (the current one is marked; keys are never shown).
    #[command(after_help = "Examples:\n  polyai profile list")]
    List,
    /// Make a profile the current one.
    #[command(after_help = "Examples:\n  polyai profile use prod")]
    Use {
        /// The profile's name.
        name: String,
    },
    /// Remove a profile.
    #[command(after_help = "Examples:\n  polyai profile remove staging")]
    Remove {
        /// The profile's name.
        name: String,
    },
    /// Show the settings commands would use now, and where each comes from.
    #[command(
        after_help = "Examples:\n  polyai profile show\n  polyai --profile prod profile show"
    )]
    Show,
}

/// Output formats of listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns (the default on a terminal).
    Table,
    /// One JSON object per line (the default when piped).
    Jsonl,
    /// One JSON array.
    Json,
    /// Comma-separated values with a header line.
    Csv,
}

/// Deployment environments of Conversations v3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Env {
    /// Sandbox (draft) deployments.
    Sandbox,
    /// Pre-release deployments.
    PreRelease,
    /// Live deployments (PolyAI's default).
    Live,
}

/// Which side of a transcript a search looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TurnSide {
    /// The caller's inputs.
    User,
    /// The agent's responses.
    Agent,
}

/// Every filter of the Conversations v3 listing.
#[derive(Debug, Args, Clone, Default)]
pub struct Filters {
    /// Conversations that started at or after this instant: RFC 3339, a date (UTC midnight),
    /// `now`, or an age such as 30m, 12h, 7d, 2w.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Conversations that started before this instant (same forms as --since; exclusive).
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// The deployment environment (PolyAI's default: live).
    #[arg(long = "env", value_enum, value_name = "ENV")]
    pub environment: Option<Env>,
    /// Only this channel (repeat for several), e.g. VOICE-SIP, WEBCHAT.
    #[arg(long, value_name = "CHANNEL")]
    pub channel: Vec<String>,
    /// Only this variant id (exclusive with --variant-name).
    #[arg(long, value_name = "ID", conflicts_with = "variant_name")]
    pub variant_id: Option<String>,
    /// Only this variant name.
    #[arg(long, value_name = "NAME")]
    pub variant_name: Option<String>,
    /// Only conversations still in progress (true) or finished (false).
    #[arg(long, value_name = "BOOL")]
    pub in_progress: Option<bool>,
    /// Transcript search: conversations whose turns contain this text.
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["semantic", "sample"])]
    pub search: Option<String>,
    /// Semantic search over transcripts.
    #[arg(long, value_name = "TEXT", conflicts_with = "sample")]
    pub semantic: Option<String>,
    /// Which side of the transcript a search looks at.
    #[arg(long, value_enum, value_name = "SIDE")]
    pub turn_type: Option<TurnSide>,
    /// A random sample instead of every conversation (exclusive with searches).
    #[arg(long)]
    pub sample: bool,
    /// Include each turn's latency.
    #[arg(long)]
    pub include_latency: bool,
    /// Conversations per request, 1 to 1000 (PolyAI's default: 1000).
    #[arg(long, value_name = "N")]
    pub page_size: Option<u32>,
}

/// `polyai conversations ...`
#[derive(Debug, Subcommand)]
pub enum ConversationsCommand {
    /// List conversations (table on a terminal, JSON Lines when piped).
    #[command(after_help = "\
Examples:
  polyai conversations list --since 1d
  polyai conversations list --since 2026-11-01 --until 2026-11-02 --channel VOICE-SIP --format csv > day.csv
  polyai conversations list --since 7d --search refund --turn-type user --limit 20
  polyai conversations list --since 30d --sample --format json")]
    List {
        /// The filters.
        #[command(flatten)]
        filters: Filters,
        /// Output format (default: table on a terminal, jsonl otherwise).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Stop after this many conversations.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// Export a time window to JSON Lines (turns included), resumable after a kill.
    #[command(after_help = "\
The export writes a checkpoint beside the output (OUTPUT.checkpoint) after every page it has
flushed: the listing position, the count and the output's length. Run the same command again
after a crash or a kill and it continues from there, with nothing lost or written twice. A
finished export's checkpoint says so; rerunning it does nothing (use --restart to redo it).

--shard i/n splits [since, until) by time into n windows of equal length; shard i (1..=n)
exports window i. Each window starts inclusive and ends exclusive, as Conversations v3 treats
start_time and end_time, so the n parts are disjoint and their union is the whole window.

Examples:
  polyai conversations export --since 2026-11-01 --until 2026-11-02 -o day.jsonl
  polyai conversations export --since 7d -o week.jsonl.gz          # gzip by extension
  polyai conversations export --since 2026-10-01 --until 2026-11-01 --shard 3/8 -o part3.jsonl
  polyai conversations export --since 1d -o - | jq .id               # stdout: no checkpoint")]
    Export {
        /// The filters (--since is required; --until defaults to now, fixed at the first run).
        #[command(flatten)]
        filters: Filters,
        /// The output file (`-` for standard output, which cannot resume).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Compress with gzip (the default when FILE ends in .gz).
        #[arg(long)]
        gzip: bool,
        /// Export part i of n of the window (1-based), e.g. 2/4.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// The checkpoint file (default: FILE.checkpoint).
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// Ignore an existing checkpoint and output, and start over.
        #[arg(long)]
        restart: bool,
        /// Do not fsync the output and the checkpoint after each page (faster; a power loss
        /// may then lose the last pages, a killed process still loses nothing).
        #[arg(long)]
        no_sync: bool,
    },
}

/// Which side of a call a recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Direction {
    /// Both sides mixed.
    Combined,
    /// Only the caller.
    User,
    /// Only the agent.
    Agent,
}

/// `polyai audio ...`
#[derive(Debug, Subcommand)]
pub enum AudioCommand {
    /// Download recordings, N at a time; complete files are skipped, so a rerun resumes.
    #[command(after_help = "\
Recordings are saved as DIR/ID.wav (ID.user.wav, ID.agent.wav for one side). The SDK writes a
recording under a temporary name and renames it only once it is complete, so a file that
exists is complete and is skipped. Conversations without a recording are counted, not failed.

Examples:
  polyai audio download CA0123 CA0456 --dir recordings
  polyai audio download --from day.jsonl.gz --dir recordings --parallel 8
  polyai audio download --since 1d --channel VOICE-SIP --dir recordings
  polyai conversations list --since 1d | polyai audio download --from - --dir recordings")]
    Download {
        /// Conversation ids.
        ids: Vec<String>,
        /// Read conversation ids from a file (`-` for standard input): JSON Lines with an `id`
        /// field (an export, or `conversations list` output; .gz is read too) or one id per line.
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
        /// List conversations with these filters and download theirs (needs --since).
        #[command(flatten)]
        filters: Filters,
        /// The folder to save into (created if missing).
        #[arg(long, value_name = "DIR", default_value = "recordings")]
        dir: PathBuf,
        /// How many downloads run at once.
        #[arg(long, value_name = "N", default_value_t = 4)]
        parallel: usize,
        /// Which side of the call.
        #[arg(long, value_enum, default_value_t = Direction::Combined)]
        direction: Direction,
        /// Ask for the redacted (true) or unredacted (false) recording.
        #[arg(long, value_name = "BOOL")]
        redacted: Option<bool>,
    },
}

/// `polyai mock`
#[derive(Debug, Args)]
pub struct MockArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// How many conversations the mock holds.
    #[arg(long, default_value_t = 250)]
    pub conversations: u64,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// End the data's time window now (default: a fixed window ending 2026-11-01).
    #[arg(long)]
    pub now: bool,
}

/// Webhook event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventType {
    /// An alert rule started to fire.
    #[value(name = "alerts.triggered")]
    AlertsTriggered,
    /// An alert rule stopped firing.
    #[value(name = "alerts.resolved")]
    AlertsResolved,
}

/// How `webhooks listen` prints events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event (event id, type, timestamp, payload).
    Json,
}

/// `polyai webhooks ...`
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Receive deliveries, verify them with the SDK's verifier, print them, optionally forward.
    #[command(after_help = "\
The secret comes from --secret (repeat it while rotating: old and new) or POLYAI_WEBHOOK_SECRET.
Answers: 200 once a delivery is verified (and, with --forward, once the handler answered 2xx);
200 for a repeat of an event already processed; 401 for a bad signature or a stale timestamp;
400 for a malformed delivery; 503 while the same event is being processed, and 502 when the
forwarded handler failed, so that PolyAI retries.

Examples:
  polyai webhooks listen --port 8080 --forward http://127.0.0.1:3000/webhooks --format json
  POLYAI_WEBHOOK_SECRET=whsec_... polyai webhooks listen --port 8080")]
    Listen {
        /// Port on --host (0 picks a free one; the address is printed).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// The endpoint's signing secret (default: POLYAI_WEBHOOK_SECRET).
        #[arg(long, value_name = "SECRET")]
        secret: Vec<String>,
        /// Forward each verified delivery (body and PolyAI headers) to this URL.
        #[arg(long, value_name = "URL")]
        forward: Option<String>,
        /// How events are printed on standard output.
        #[arg(long, value_enum, default_value_t = EventFormat::Text)]
        format: EventFormat,
        /// Stop after this many verified deliveries.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// Sign a test event as PolyAI does and deliver it to a receiver.
    #[command(after_help = "\
Examples:
  polyai webhooks send http://127.0.0.1:8080/ --secret whsec_test --event alerts.resolved
  POLYAI_WEBHOOK_SECRET=whsec_... polyai webhooks send http://127.0.0.1:8080/webhooks
  polyai webhooks send http://127.0.0.1:8080/ --secret whsec_test --body @event.json")]
    Send {
        /// The receiver's URL.
        url: String,
        /// The signing secret (default: POLYAI_WEBHOOK_SECRET).
        #[arg(long, value_name = "SECRET")]
        secret: Option<String>,
        /// The event type of the generated body.
        #[arg(long, value_enum, default_value_t = EventType::AlertsTriggered)]
        event: EventType,
        /// The body instead of a generated one: JSON text, or @FILE.
        #[arg(long, value_name = "JSON|@FILE")]
        body: Option<String>,
        /// The X-PolyAI-Event-ID (default: a new one).
        #[arg(long, value_name = "ID")]
        event_id: Option<String>,
    },
    /// The account's webhook endpoints.
    #[command(
        subcommand,
        after_help = "Examples:\n  polyai webhooks endpoints list --format json\n  polyai webhooks endpoints create --name ops --url https://example.com/hooks --event-type alerts.triggered --secret-file ops.secret\n  polyai webhooks endpoints delete whe_123 --yes"
    )]
    Endpoints(EndpointsCommand),
}

/// `polyai webhooks endpoints ...`
#[derive(Debug, Subcommand)]
pub enum EndpointsCommand {
    /// List the endpoints.
    #[command(
        after_help = "Examples:\n  polyai webhooks endpoints list\n  polyai webhooks endpoints list --enabled true --format json\n  polyai webhooks endpoints list --format json --show-secrets"
    )]
    List {
        /// Only enabled (true) or disabled (false) endpoints.
        #[arg(long, value_name = "BOOL")]
        enabled: Option<bool>,
        /// Only endpoints subscribed to this event type.
        #[arg(long, value_enum)]
        event_type: Option<EventType>,
        /// Output format (default: table on a terminal, jsonl otherwise).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Print the values of the endpoints' delivery headers (often the receiver's
        /// credentials) instead of masking them.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Create an endpoint; its signing secret is printed once (or written to --secret-file).
    #[command(
        after_help = "Examples:\n  polyai webhooks endpoints create --name alerts --url https://example.com/hooks --event-type alerts.triggered --event-type alerts.resolved\n  polyai webhooks endpoints create --name ops --url https://example.com/h --event-type alerts.triggered --secret-file ops.secret"
    )]
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// The receiver (https:// only).
        #[arg(long)]
        url: String,
        /// Event types to deliver (repeat; at least one).
        #[arg(long, value_enum, required = true)]
        event_type: Vec<EventType>,
        /// Extra header PolyAI sends with each delivery, NAME=VALUE (repeat).
        #[arg(long, value_name = "NAME=VALUE")]
        header: Vec<String>,
        /// How long PolyAI waits for the receiver, 1000 to 30000 ms.
        #[arg(long, value_name = "MS")]
        timeout_ms: Option<i64>,
        /// Create it disabled.
        #[arg(long)]
        disabled: bool,
        /// Write the signing secret to this file (0600) instead of printing it.
        #[arg(long, value_name = "FILE")]
        secret_file: Option<PathBuf>,
    },
    /// Change an endpoint (only the fields given).
    #[command(
        after_help = "Examples:\n  polyai webhooks endpoints update whe_123 --disable --yes\n  polyai webhooks endpoints update whe_123 --url https://example.com/new --event-type alerts.triggered"
    )]
    Update {
        /// The endpoint id (whe_...).
        id: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// New receiver URL.
        #[arg(long)]
        url: Option<String>,
        /// Replace the event types (repeat).
        #[arg(long, value_enum)]
        event_type: Vec<EventType>,
        /// Replace the extra headers, NAME=VALUE (repeat).
        #[arg(long, value_name = "NAME=VALUE")]
        header: Vec<String>,
        /// New timeout, 1000 to 30000 ms.
        #[arg(long, value_name = "MS")]
        timeout_ms: Option<i64>,
        /// Enable deliveries.
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Disable deliveries.
        #[arg(long)]
        disable: bool,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Replace an endpoint's signing secret (the old one stops working at once).
    #[command(
        after_help = "Examples:\n  polyai webhooks endpoints rotate-secret whe_123 --yes --secret-file new.secret"
    )]
    RotateSecret {
        /// The endpoint id (whe_...).
        id: String,
        /// Write the new secret to this file (0600) instead of printing it.
        #[arg(long, value_name = "FILE")]
        secret_file: Option<PathBuf>,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Delete an endpoint.
    #[command(after_help = "Examples:\n  polyai webhooks endpoints delete whe_123 --yes")]
    Delete {
        /// The endpoint id (whe_...).
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

/// Agent deployment environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    /// Sandbox (draft).
    Sandbox,
    /// Pre-release (testing).
    PreRelease,
    /// Live (callers).
    Live,
}

/// `polyai agents ...`
#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// List the account's agents.
    #[command(
        after_help = "Examples:\n  polyai agents list\n  polyai agents list --account ws-1234 --format json"
    )]
    List {
        /// Output format (default: table on a terminal, jsonl otherwise).
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// List an agent's branches.
    #[command(after_help = "Examples:\n  polyai agents branches --agent my-agent")]
    Branches {
        /// Output format (default: table on a terminal, jsonl otherwise).
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// What each environment runs now, or with --history the deployments, newest first.
    #[command(
        after_help = "Examples:\n  polyai agents deployments --agent my-agent\n  polyai agents deployments --history --env live --limit 10"
    )]
    Deployments {
        /// List past deployments instead of the active ones.
        #[arg(long)]
        history: bool,
        /// With --history: only this environment.
        #[arg(long = "env", value_enum, requires = "history")]
        environment: Option<Stage>,
        /// With --history: at most this many.
        #[arg(long, value_name = "N", requires = "history")]
        limit: Option<u64>,
        /// Output format (default: table on a terminal, jsonl otherwise).
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Publish the agent's main branch to an environment (sandbox by default).
    #[command(after_help = "\
Publishing to pre-release or live asks for confirmation unless --yes. A version that already
runs there is reported as such, with exit status 0.

Examples:
  polyai agents publish --agent my-agent --message \"opening hours\"
  polyai agents publish --env pre-release --yes")]
    Publish {
        /// The environment.
        #[arg(long = "env", value_enum, default_value_t = Stage::Sandbox)]
        environment: Stage,
        /// The deployment message.
        #[arg(long)]
        message: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Promote a deployment to the next environment (or --to), asking first unless --yes.
    #[command(after_help = "\
Give the deployment id, or --from ENV to promote what ENV runs now.

Examples:
  polyai agents promote --from sandbox            # to pre-release
  polyai agents promote --from pre-release --to live --yes
  polyai agents promote dep_123 --to live --message \"release 42\"")]
    Promote {
        /// The deployment to promote.
        #[arg(required_unless_present = "from", conflicts_with = "from")]
        deployment: Option<String>,
        /// Promote the deployment this environment runs now.
        #[arg(long, value_enum)]
        from: Option<Stage>,
        /// The target environment (default: the next one).
        #[arg(long, value_enum)]
        to: Option<Stage>,
        /// The deployment message.
        #[arg(long)]
        message: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Roll an environment back to an earlier deployment of it, asking first unless --yes.
    #[command(
        after_help = "Examples:\n  polyai agents deployments --history --env live\n  polyai agents rollback dep_122 --yes --message \"back to 41\""
    )]
    Rollback {
        /// The earlier deployment to run again.
        deployment: String,
        /// The deployment message.
        #[arg(long)]
        message: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}
