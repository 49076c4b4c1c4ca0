//! `polyai mock`: the embedded offline PolyAI, and the environment that points polyai at it.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};

use polyai_mock::MockServer;

use crate::cli::MockArgs;
use crate::error::{CliError, CliResult};

/// Starts the mock, prints `export` lines on stdout, and serves until Ctrl-C.
pub async fn run(args: &MockArgs) -> CliResult {
    let mut builder = MockServer::builder()
        .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)))
        .conversations(args.conversations)
        .seed(args.seed)
        // A long-running mock must not grow a request log without bound.
        .record_requests(false);
    if args.now {
        builder = builder.window_ending_now();
    }
    let server = builder.try_start().await.map_err(|e| {
        CliError::failure(format!("cannot listen on 127.0.0.1:{}: {e}", args.port))
            .hint("choose another --port, or --port 0 for a free one")
    })?;
    let (start, end) = server.time_window();
    let base = server.base_url();
    let mut out = std::io::stdout().lock();
    // The mock's key is not a secret: it is the fixed key of an offline fake.
    let lines = format!(
        "export POLYAI_BASE_URL={base}\n\
         export POLYAI_API_KEY={}\n\
         export POLYAI_ACCOUNT_ID={}\n\
         export POLYAI_PROJECT_ID={}\n\
         export POLYAI_AGENT_ID={}\n\
         # {} conversations between {} and {}\n",
        server.api_key(),
        server.account_id(),
        server.project_id(),
        server.agent_id(),
        server.conversation_count(),
        polyai_sdk::Timestamp::from(start),
        polyai_sdk::Timestamp::from(end),
    );
    out.write_all(lines.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| CliError::io("cannot write to standard output", e))?;
    drop(out);
    eprintln!(
        "polyai mock listening on {base}; paste the export lines above into another shell; Ctrl-C stops it"
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::io("cannot wait for Ctrl-C", e))?;
    server.shutdown().await;
    Ok(())
}
