//! `polyai-mock`: run the fake PolyAI API as a standalone server.
//!
//! ```text
//! cargo run -p polyai-mock -- --port 8080 --conversations 100000 [--seed N] [--api-key K]
//!     [--audio-seconds S | --audio-bytes N] [--host 127.0.0.1] [--now] [--no-log]
//!     [--connector-token T] [--outbound-token T]
//! ```
//!
//! Scripting routes live under `/_mock/` (see `--help` and the crate docs).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use polyai_mock::MockServer;

const USAGE: &str = "\
polyai-mock: an offline fake of PolyAI's public HTTP APIs

USAGE:
    polyai-mock [OPTIONS]

OPTIONS:
    --port <PORT>             port to listen on (default 8080; 0 picks a free one)
    --host <IP>               address to listen on (default 127.0.0.1)
    --conversations <N>       seeded conversations (default 250, up to 10000000)
    --seed <N>                data seed (default 1)
    --api-key <KEY>           the x-api-key to require (default mock-api-key); also
                              guards the /_mock/ admin routes
    --connector-token <T>     the Chat X-TOKEN to require (default mock-connector-token)
    --outbound-token <T>      the legacy Outbound X-PolyAi-Auth-Token to require
                              (default mock-outbound-token)
    --audio-seconds <S>       length of every recording (default 5)
    --audio-bytes <N>         size of every recording in bytes (overrides --audio-seconds)
    --sample-rate <HZ>        8000 (default) or 16000
    --now                     end the data's time window now instead of 2026-11-01
    --no-log                  do not keep the in-memory request log
    -h, --help                print this help

ADMIN ROUTES (send the API key in x-api-key; never recorded, never faulted):
    GET    /_mock/operations        every operation served: method, path, operation id
    GET    /_mock/requests          the request log (secrets redacted)
    DELETE /_mock/requests          forget the request log
    POST   /_mock/seed              {method, path, body?}: run one API operation in process
    POST   /_mock/reset             forget every stored change
    POST   /_mock/alerts/state      {rule_id, state, current_value?}: set an alert rule's state
    POST   /_mock/handoff-states    {id, shared_id?, data}: store a handoff state
    GET    /_mock/external-events   external events received
    GET    /_mock/dni-reservations  DNI reservations made
    GET    /_mock/outbound-calls    legacy outbound calls triggered
    POST   /_mock/deliveries        {endpoint_id, receiver_url, body, event_id?, timestamp?}:
                                    deliver ANY body signed with the endpoint's current secret
    GET    /_mock/deliveries        deliveries made
    POST   /_mock/audio-cache-entries  {agent_id, transcript}: add an audio cache entry
    POST   /_mock/connectors        {agent_id, client_env}: add a telephony connector
    GET    /_mock/agent-outbound-calls/{agentId}  calls placed through the Agents API
";

struct Args {
    port: u16,
    host: IpAddr,
    conversations: u64,
    seed: u64,
    api_key: String,
    connector_token: String,
    outbound_token: String,
    audio_seconds: Option<f64>,
    audio_bytes: Option<u64>,
    sample_rate: u32,
    now: bool,
    log: bool,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        port: 8080,
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        conversations: polyai_mock::DEFAULT_CONVERSATIONS,
        seed: polyai_mock::DEFAULT_SEED,
        api_key: polyai_mock::DEFAULT_API_KEY.to_owned(),
        connector_token: polyai_mock::DEFAULT_CONNECTOR_TOKEN.to_owned(),
        outbound_token: polyai_mock::DEFAULT_OUTBOUND_TOKEN.to_owned(),
        audio_seconds: None,
        audio_bytes: None,
        sample_rate: 8000,
        now: false,
        log: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        fn num<T: std::str::FromStr>(name: &str, text: String) -> Result<T, String> {
            text.parse()
                .map_err(|_| format!("{name}: not a valid number: {text:?}"))
        }
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => args.port = num(&name, value("a port")?)?,
            "--host" => args.host = num(&name, value("an IP address")?)?,
            "--conversations" => args.conversations = num(&name, value("a count")?)?,
            "--seed" => args.seed = num(&name, value("a number")?)?,
            "--api-key" => args.api_key = value("a key")?,
            "--connector-token" => args.connector_token = value("a token")?,
            "--outbound-token" => args.outbound_token = value("a token")?,
            "--audio-seconds" => args.audio_seconds = Some(num(&name, value("seconds")?)?),
            "--audio-bytes" => args.audio_bytes = Some(num(&name, value("a size")?)?),
            "--sample-rate" => args.sample_rate = num(&name, value("a rate")?)?,
            "--now" => args.now = true,
            "--no-log" => args.log = false,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(args))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("polyai-mock: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = MockServer::builder()
        .bind(SocketAddr::new(args.host, args.port))
        .conversations(args.conversations)
        .seed(args.seed)
        .api_key(args.api_key)
        .connector_token(args.connector_token)
        .outbound_token(args.outbound_token)
        .audio_sample_rate(args.sample_rate)
        .record_requests(args.log);
    if let Some(s) = args.audio_seconds {
        builder = builder.audio_seconds(s);
    }
    if let Some(b) = args.audio_bytes {
        builder = builder.audio_bytes(b);
    }
    if args.now {
        builder = builder.window_ending_now();
    }
    let server = match builder.try_start().await {
        Ok(server) => server,
        Err(e) => {
            eprintln!(
                "polyai-mock: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    // The banner is written with errors ignored: a closed stdout (a parent that read the
    // first line and went away) must not stop the server.
    let banner = format!(
        "polyai-mock listening on {}\n  api key:         {}\n  account id:      {}\n  \
         project/agent:   {}\n  conversations:   {} (seed {})\n  a conversation:  {}\n  \
         recording size:  {} bytes\n  admin routes:    {}/_mock/ (see --help)\n\
         Press Ctrl-C to stop.\n",
        server.base_url(),
        server.api_key(),
        server.account_id(),
        server.project_id(),
        server.conversation_count(),
        server.seed(),
        server.conversation_id(),
        server.audio_len(),
        server.base_url(),
    );
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(banner.as_bytes());
    let _ = stdout.flush();
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
