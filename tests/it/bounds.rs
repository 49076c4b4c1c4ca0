//! Issue 11, point 10: JSON calls are bounded in size and in time. A body larger than the
//! client's limit is refused (unread when `Content-Length` says so, cut off otherwise) with
//! `Error::ResponseTooLarge`, and a server that trickles bytes cannot hold a call open past the
//! request deadline.

use std::time::Duration;

use polyai_sdk::retry::RetryPolicy;
use polyai_sdk::{Client, Error};
use polyai_tests::{RawReply, RawServer};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A conversation detail of about `size` bytes (the note is padded).
fn detail_of_size(size: usize) -> Vec<u8> {
    let empty = serde_json::to_vec(&json!({"conversationId": "CA1", "note": ""})).unwrap();
    let padding = "n".repeat(size - empty.len());
    let body = serde_json::to_vec(&json!({"conversationId": "CA1", "note": padding})).unwrap();
    assert_eq!(body.len(), size);
    body
}

fn client(base_url: &str, max_response_size: u64) -> Client {
    Client::builder()
        .api_key("sk-bounds")
        .base_url(base_url)
        .max_response_size(max_response_size)
        .retry_policy(RetryPolicy::standard().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_unread_and_not_retried() {
    let body = detail_of_size(4096);
    let server = RawServer::start(move |_, _| RawReply {
        status: "200 OK".into(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Content-Length".into(), body.len().to_string()),
        ],
        body: body.clone(),
        cut_after: None,
        stall: None,
    })
    .await;
    let error = crate::detail(&client(server.base_url(), 4095), "agent", "CA1")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::ResponseTooLarge {
                limit: 4095,
                declared: Some(4096)
            }
        ),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("4095") && text.contains("max_response_size"),
        "{text}"
    );
    assert!(!error.is_retryable());
    assert_eq!(
        server.requests().len(),
        1,
        "an oversized answer is not retried"
    );

    // At the limit exactly, the same answer is accepted.
    let detail = crate::detail(&client(server.base_url(), 4096), "agent", "CA1")
        .await
        .expect("a body at the limit is accepted");
    assert_eq!(detail.conversation_id, "CA1");
}

/// A server that answers with a chunked body of `size` bytes (no `Content-Length`), sent in
/// chunks of `chunk` bytes, waiting `pause` between chunks.
async fn chunked_server(size: usize, chunk: usize, pause: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                            Transfer-Encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let body = detail_of_size(size);
                for piece in body.chunks(chunk) {
                    let frame = format!("{:x}\r\n", piece.len());
                    let sent = async {
                        socket.write_all(frame.as_bytes()).await?;
                        socket.write_all(piece).await?;
                        socket.write_all(b"\r\n").await?;
                        socket.flush().await
                    };
                    if sent.await.is_err() {
                        return;
                    }
                    tokio::time::sleep(pause).await;
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_body_without_a_length_is_cut_off_at_the_limit() {
    let base_url = chunked_server(10_000, 1000, Duration::ZERO).await;
    let error = crate::detail(&client(&base_url, 5000), "agent", "CA1")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::ResponseTooLarge {
                limit: 5000,
                declared: None
            }
        ),
        "{error:?}"
    );
    crate::detail(&client(&base_url, 10_000), "agent", "CA1")
        .await
        .expect("within the limit");
}

#[tokio::test]
async fn a_trickling_server_cannot_hold_a_call_past_the_request_deadline() {
    // One byte every 50 ms: never silent for the read timeout, but 2,000 bytes take 100 s.
    let base_url = chunked_server(2000, 1, Duration::from_millis(50)).await;
    let client = Client::builder()
        .api_key("sk-bounds")
        .base_url(&base_url)
        .read_timeout(Duration::from_secs(5))
        .request_timeout(Duration::from_millis(800))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    // A guard only, far above the deadline, so a regression fails instead of hanging.
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        crate::detail(&client, "agent", "CA1"),
    )
    .await
    .expect("the request deadline ended the call");
    let error = outcome.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_body_cut_short_after_the_last_retry_is_a_retryable_transport_error() {
    let body = detail_of_size(2000);
    let server = RawServer::start(move |_, _| RawReply {
        status: "200 OK".into(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Content-Length".into(), body.len().to_string()),
        ],
        body: body.clone(),
        cut_after: Some(700),
        stall: None,
    })
    .await;
    let error = crate::detail(&client(server.base_url(), 1 << 20), "agent", "CA1")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(error.is_retryable(), "a cut transfer is worth retrying");
    assert_eq!(server.requests().len(), 3, "the default three attempts");
}
