//! `polyai actions lint|render|curl|call`: the real binary on definition files, sending to a
//! recorder on 127.0.0.1.

use crate::common;

use std::sync::{Arc, Mutex};

use common::{Scratch, bare, dead_url, ok, run};

const ACTIONS: &str = r#"actions:
  - name: lookup_order
    description: Look up an order by its number
    url: URL/orders/lookup
    method: GET
    headers:
      - { name: X-Api-Key, value: { secret: shop_token } }
    parameters:
      type: object
      properties:
        order_number: { type: string, pattern: "^ORD-[0-9]+$" }
      required: [order_number]
    output_variables:
      - { name: order.status, path: $.status }
  - name: create ticket
    description: ""
    url: URL/tickets
    method: POST
    parameters:
      type: object
      properties:
        summary: { type: string }
      required: [summary]
    body_template: '{"summary": "{{.parameters.summary}}"}'
  - name: block
    description: Block template
    url: URL/b
    method: POST
    parameters:
      type: object
      properties:
        note: { type: string }
      required: [note]
    body_template: |
      {
        "note": "{{.parameters.note}}"
      }
"#;

const SECRET: &str = "tok-DO-NOT-PRINT-77";

/// What the recorder received: method, URI, headers, body.
type Seen = Arc<Mutex<Vec<(String, String, Vec<(String, String)>, String)>>>;

/// A recorder on 127.0.0.1 answering `{"status": "shipped"}` (or 500 on `/fail`).
fn recorder() -> (tokio::runtime::Runtime, String, Seen) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let url = runtime.block_on(async move {
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let record = record.clone();
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20)
                    .await
                    .unwrap_or_default();
                let headers = parts
                    .headers
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let failing = parts.uri.path() == "/fail";
                record.lock().unwrap().push((
                    parts.method.to_string(),
                    parts.uri.to_string(),
                    headers,
                    String::from_utf8_lossy(&body).into_owned(),
                ));
                let json = [(axum::http::header::CONTENT_TYPE, "application/json")];
                if failing {
                    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, json, "{\"error\": \"down\"}")
                } else if parts.uri.path() == "/token" {
                    (
                        axum::http::StatusCode::OK,
                        json,
                        "{\"access_token\": \"at-123\", \"token_type\": \"Bearer\", \"expires_in\": 3600}",
                    )
                } else {
                    (axum::http::StatusCode::OK, json, "{\"status\": \"shipped\"}")
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    });
    (runtime, url, seen)
}

fn write_actions(scratch: &Scratch, url: &str) -> std::path::PathBuf {
    let file = scratch.path("actions.yaml");
    std::fs::write(&file, ACTIONS.replace("URL", url)).unwrap();
    file
}

#[test]
fn actions_commands_have_help_with_examples() {
    let scratch = Scratch::new();
    for command in ["lint", "render", "curl", "call"] {
        let (help, _) = ok(bare(&scratch).args(["actions", command, "--help"]));
        assert!(help.contains("Examples:\n  polyai "), "{command}: {help}");
    }
}

#[test]
fn lint_prints_findings_like_a_compiler() {
    let scratch = Scratch::new();
    let file = write_actions(&scratch, "http://127.0.0.1:9");
    let (output, stdout, stderr) = run(bare(&scratch).args(["actions", "lint"]).arg(&file));
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let f = file.display();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines[0].starts_with(&format!(
            "{f}:15:11: error[PA101]: action name `create ticket`"
        )),
        "{stdout}"
    );
    assert!(lines[0].ends_with("(actions[1].name)"), "{stdout}");
    assert!(
        lines[1].starts_with(&format!(
            "{f}:16:18: warning[PA103]: the description is empty"
        )),
        "{stdout}"
    );
    // Inside a quoted one-line template: the column of `.parameters.summary` in the file.
    assert!(
        lines[2].starts_with(&format!("{f}:24:36: warning[PA204]:")),
        "{stdout}"
    );
    // Inside a block template: its own line, at the column in the file.
    assert!(
        lines[3].starts_with(&format!("{f}:36:20: warning[PA204]:")),
        "{stdout}"
    );
    assert!(
        stderr.starts_with("1 file(s): 1 error(s), 3 warning(s)"),
        "{stderr}"
    );

    // JSON Lines for tools.
    let (_, stdout, _) = run(bare(&scratch)
        .args(["actions", "lint", "--format", "json"])
        .arg(&file));
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["code"], "PA101");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(15), Some(11))
    );

    // Only warnings: exit 0, unless --deny-warnings.
    let clean = scratch.path("one.yaml");
    std::fs::write(&clean, "name: note\ndescription: Save a note\nurl: https://example.com/n\nmethod: POST\nparameters:\n  type: object\n  properties:\n    text: { type: string }\n  required: [text]\nbody_template: '{\"text\": \"{{.parameters.text}}\"}'\n").unwrap();
    let (output, stdout, _) = run(bare(&scratch).args(["actions", "lint"]).arg(&clean));
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(":10:29: warning[PA204]"), "{stdout}");
    let (output, _, _) = run(bare(&scratch)
        .args(["actions", "lint", "--deny-warnings"])
        .arg(&clean));
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_file_that_does_not_parse_is_reported_at_its_line_and_column() {
    let scratch = Scratch::new();
    let file = scratch.path("broken.yaml");
    std::fs::write(
        &file,
        "actions:\n  - name: a\n    url: https://x\n    method: FETCH\n",
    )
    .unwrap();
    let (output, _, stderr) = run(bare(&scratch).args(["actions", "lint"]).arg(&file));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!("error: {}:4:", file.display())),
        "{stderr}"
    );
    common::assert_one_line_error(&stderr);
}

#[test]
fn render_and_curl_mask_secrets_unless_asked() {
    let scratch = Scratch::new();
    let file = write_actions(&scratch, "https://api.example");
    let base = |scratch: &Scratch| {
        let mut command = bare(scratch);
        command.env("POLYAI_SECRET_SHOP_TOKEN", SECRET);
        command
    };
    let (stdout, _) = ok(base(&scratch).args(["actions", "render"]).arg(&file).args([
        "lookup_order",
        "--param",
        "order_number=ORD-12",
    ]));
    assert_eq!(
        stdout,
        "GET https://api.example/orders/lookup?order_number=ORD-12\nX-Api-Key: <secret:shop_token>\n\n"
    );
    let (stdout, _) = ok(base(&scratch).args(["actions", "curl"]).arg(&file).args([
        "lookup_order",
        "--params",
        "{\"order_number\": \"ORD-12\"}",
    ]));
    assert_eq!(
        stdout,
        "curl 'https://api.example/orders/lookup?order_number=ORD-12' \\\n  --header 'X-Api-Key: <secret:shop_token>'\n"
    );
    let (stdout, _) = ok(base(&scratch)
        .args(["actions", "curl", "--show-secrets"])
        .arg(&file)
        .args(["lookup_order", "--param", "order_number=ORD-12"]));
    assert!(
        stdout.contains(&format!("--header 'x-api-key: {SECRET}'")),
        "{stdout}"
    );

    // A body with a template.
    let (stdout, _) = ok(base(&scratch).args(["actions", "render"]).arg(&file).args([
        "create ticket",
        "--param",
        "summary=Broken",
    ]));
    assert!(
        stdout.starts_with("POST https://api.example/tickets\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\n{\"summary\": \"Broken\"}\n"),
        "{stdout}"
    );

    // Wrong parameters: exit 2, the schema's message.
    let (output, _, stderr) = run(base(&scratch).args(["actions", "render"]).arg(&file).args([
        "lookup_order",
        "--param",
        "order_number=\"12\"",
    ]));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`order_number` must match the pattern"),
        "{stderr}"
    );
    // No secret: exit 3, naming the variable to set; several actions and none named: exit 2.
    let (output, _, stderr) = run(bare(&scratch).args(["actions", "render"]).arg(&file).args([
        "lookup_order",
        "--param",
        "order_number=ORD-1",
    ]));
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("shop_token") && stderr.contains("POLYAI_SECRET_"),
        "{stderr}"
    );
    let (output, _, stderr) = run(bare(&scratch).args(["actions", "render"]).arg(&file));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("lookup_order, create ticket, block"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn secrets_come_from_an_owner_only_file_per_environment() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    let file = write_actions(&scratch, "https://api.example");
    let secrets = scratch.path("secrets.yaml");
    std::fs::write(
        &secrets,
        format!("shop_token: shared-{SECRET}\nlive:\n  shop_token: live-{SECRET}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o644)).unwrap();
    let curl = |env: &str| {
        let mut command = bare(&scratch);
        command
            .args([
                "actions",
                "curl",
                "--show-secrets",
                "--env",
                env,
                "--secrets",
            ])
            .arg(&secrets)
            .arg(&file)
            .args(["lookup_order", "--param", "order_number=ORD-1"]);
        command
    };
    let (output, stdout, stderr) = run(&mut curl("live"));
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains(SECRET) && !stdout.contains(SECRET));
    std::fs::set_permissions(&secrets, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (stdout, _) = ok(&mut curl("live"));
    assert!(
        stdout.contains(&format!("x-api-key: live-{SECRET}")),
        "{stdout}"
    );
    let (stdout, _) = ok(&mut curl("sandbox"));
    assert!(
        stdout.contains(&format!("x-api-key: shared-{SECRET}")),
        "{stdout}"
    );
}

#[test]
fn call_sends_the_rendered_request_and_prints_the_answer() {
    let (_runtime, url, seen) = recorder();
    let scratch = Scratch::new();
    let file = write_actions(&scratch, &url);
    let (stdout, stderr) = ok(bare(&scratch)
        .env("POLYAI_SECRET_SHOP_TOKEN", SECRET)
        .args(["actions", "call"])
        .arg(&file)
        .args([
            "lookup_order",
            "--env",
            "live",
            "--param",
            "order_number=ORD-12",
        ]));
    assert_eq!(stdout, "{\"status\": \"shipped\"}\n");
    assert!(stderr.contains("HTTP 200 from GET"), "{stderr}");
    // The action's output variables, read back from the answer.
    assert!(stderr.contains("  order.status = \"shipped\""), "{stderr}");
    assert!(!stderr.contains(SECRET) && !stdout.contains(SECRET));
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let (method, uri, headers, _) = &seen[0];
        assert_eq!(
            (method.as_str(), uri.as_str()),
            ("GET", "/orders/lookup?order_number=ORD-12")
        );
        assert!(
            headers.contains(&("x-api-key".to_string(), SECRET.to_string())),
            "{headers:?}"
        );
    }

    // A body, and a failing service: exit 1 with its answer printed.
    let (stdout, _) = ok(bare(&scratch)
        .args(["actions", "call"])
        .arg(&file)
        .args(["block", "--param", "note=hi"]));
    assert_eq!(stdout, "{\"status\": \"shipped\"}\n");
    assert_eq!(seen.lock().unwrap()[1].3, "{\n  \"note\": \"hi\"\n}\n");
    let failing = scratch.path("fail.yaml");
    std::fs::write(
        &failing,
        format!("name: f\ndescription: fails\nurl: {url}/fail\nmethod: GET\n"),
    )
    .unwrap();
    let (output, stdout, stderr) = run(bare(&scratch).args(["actions", "call"]).arg(&failing));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "{\"error\": \"down\"}\n");
    assert!(
        stderr.contains("error: the service answered 500"),
        "{stderr}"
    );

    // Nothing listening: exit 6.
    let dead = dead_url();
    std::fs::write(
        &failing,
        format!("name: f\ndescription: fails\nurl: {dead}/x\nmethod: GET\n"),
    )
    .unwrap();
    let (output, _, stderr) = run(bare(&scratch).args(["actions", "call"]).arg(&failing));
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    common::assert_one_line_error(&stderr);
}

#[test]
fn call_fetches_an_oauth2_client_credentials_token_first() {
    let (_runtime, url, seen) = recorder();
    let scratch = Scratch::new();
    let file = scratch.path("oauth.yaml");
    std::fs::write(
        &file,
        format!(
            "name: secure\ndescription: Needs a token\nurl: {url}/secure\nmethod: GET\nauth:\n  type: oauth2_client_credentials\n  token_url: {url}/token\n  client_id: cli\n  client_secret: {{ secret: oauth_secret }}\n"
        ),
    )
    .unwrap();
    let (stdout, stderr) = ok(bare(&scratch)
        .env("POLYAI_SECRET_OAUTH_SECRET", SECRET)
        .args(["actions", "call"])
        .arg(&file));
    assert_eq!(stdout, "{\"status\": \"shipped\"}\n");
    assert!(
        !stderr.contains(SECRET) && !stderr.contains("at-123"),
        "{stderr}"
    );
    let seen = seen.lock().unwrap();
    let paths: Vec<&str> = seen.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(paths, ["/token", "/secure"]);
    assert!(
        seen[1]
            .2
            .contains(&("authorization".to_string(), "Bearer at-123".to_string())),
        "{:?}",
        seen[1].2
    );
}

#[test]
fn integration_calls_render_and_send_like_conv_api() {
    let (_runtime, url, seen) = recorder();
    let scratch = Scratch::new();
    let file = scratch.path("api_integrations.yaml");
    std::fs::write(
        &file,
        format!(
            "api_integrations:\n  - name: shop\n    environments:\n      sandbox: {{ base_url: \"{url}/api\", auth_type: apiKey }}\n    operations:\n      - {{ name: get_order, method: GET, resource: \"/orders/{{order_id}}\" }}\n"
        ),
    )
    .unwrap();
    let auth = "{type: api_key, location: {in: header, name: X-API-Key}, key: {secret: shop_key}}";
    let command = |verb: &str| {
        let mut command = bare(&scratch);
        command
            .env("POLYAI_SECRET_SHOP_KEY", SECRET)
            .args(["actions", verb])
            .arg(&file)
            .args([
                "shop.get_order",
                "--arg",
                "\"A 1\"",
                "--param",
                "expand=true",
            ]);
        command
    };
    // Without the credentials of an apiKey environment: exit 2, saying to give --auth.
    let (output, _, stderr) = run(&mut command("render"));
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("uses auth_type apiKey") && stderr.contains("--auth"),
        "{stderr}"
    );

    let (stdout, _) = ok(command("render").args(["--auth", auth]));
    assert_eq!(
        stdout,
        format!("GET {url}/api/orders/A%201?expand=True\nX-API-Key: <secret:shop_key>\n\n")
    );
    let (stdout, stderr) = ok(command("call").args(["--auth", auth]));
    assert_eq!(stdout, "{\"status\": \"shipped\"}\n");
    assert!(!stderr.contains(SECRET), "{stderr}");
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].1, "/api/orders/A%201?expand=True");
    assert!(
        seen[0]
            .2
            .contains(&("x-api-key".to_string(), SECRET.to_string()))
    );
}
