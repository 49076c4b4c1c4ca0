//! Rendering an API-call action: what PolyAI does each time an agent decides to call one.
//!
//! A realistic booking action (a JSON Schema with required fields, enums, a nested object, an
//! array and an `allOf` of `if`/`then`; a body template with `if`, `else`, `with`, `index`,
//! `eq`/`and`/`not` and variables; a secret header and a Bearer connector on an API
//! connection) rendered over the same parameters many times:
//!
//! - **ours, full**: `PreparedAction::render`: parameter validation, the body template, the
//!   URL, headers, secrets and auth, into an `http::Request`;
//! - **ours, template**: `Template::render` of the body template alone, over the same data the
//!   full render builds (`parameters`, `variables`, `static_variables`).
//!
//! The template and its data are written to `--out-dir` so that `cargo xtask bench` can have
//! Go's own `text/template` (the oracle's bench mode) render exactly the same thing in the same
//! run. Each render's output is checked against the first one, so a broken render fails the
//! scenario instead of looking fast.
//!
//! Then [`execute`]: the action executed end to end (in-process and over loopback HTTP, against
//! raw `reqwest` sending the same prepared request) and OAuth token requests per 10,000 calls.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use polyai_actions::render::{PreparedAction, RenderContext};
use polyai_actions::template::{RenderOptions, Template};
use polyai_actions::{ApiAction, Environment, InMemorySecretStore};
use serde_json::{Value, json};

use crate::BenchResult;

mod execute;

pub use execute::{breakdown, cold, lines, serve_process};

/// The action, in the crate's file format.
const ACTION: &str = r#"
name: book_appointment
description: Book a table or a service appointment for the caller.
connection:
  base_url: https://bookings.example.com/api/v2
  auth:
    type: bearer
    token: { secret: bookings_token }
  headers:
    - { name: X-Client, value: polyai-agent }
url: /appointments
method: POST
headers:
  - { name: X-Signature, value: { secret: bookings_signature } }
parameters:
  type: object
  properties:
    service: { type: string, enum: [table, haircut, massage, consultation] }
    party_size: { type: integer, minimum: 1, maximum: 20 }
    date: { type: string, pattern: '^\d{4}-\d{2}-\d{2}$' }
    time: { type: string, pattern: '^\d{2}:\d{2}$' }
    duration_minutes: { type: integer, enum: [30, 60, 90] }
    customer:
      type: object
      properties:
        name: { type: string, minLength: 1, maxLength: 100 }
        phone: { type: string, pattern: '^\+?[0-9 ]{7,20}$' }
        email: { type: string }
        vip: { type: boolean }
      required: [name, phone]
    notes: { type: string, maxLength: 500 }
    extras:
      type: array
      items: { type: string, enum: [high_chair, window, quiet, accessible] }
      maxItems: 4
  required: [service, date, time, customer]
  allOf:
    - if: { properties: { service: { const: table } } }
      then: { required: [party_size] }
    - if: { properties: { service: { enum: [haircut, massage] } } }
      then: { required: [duration_minutes] }
body_template: |
  {
    "service": "{{.parameters.service}}",
    "slot": {"date": "{{.parameters.date}}", "time": "{{.parameters.time}}"},
    {{- if eq .parameters.service "table"}}
    "covers": {{.parameters.party_size}},
    {{- else}}
    "duration": {{.parameters.duration_minutes}},
    {{- end}}
    {{- with .parameters.customer}}
    "customer": {
      "name": "{{.name}}",
      "phone": "{{.phone}}"{{if .email}},
      "email": "{{.email}}"{{end}}{{if and .vip (not $.variables.account.blocked)}},
      "tier": "vip"{{end}}
    },
    {{- end}}
    {{- if .parameters.notes}}
    "notes": "{{.parameters.notes}}",
    {{- end}}
    {{- $site := index .static_variables "site_id"}}
    "site": "{{$site}}",
    "channel": "{{.variables.channel}}",
    "first_extra": "{{if .parameters.extras}}{{index .parameters.extras 0}}{{end}}"
  }
"#;

/// What an agent passes after collecting the booking details.
fn parameters() -> Value {
    json!({
        "service": "table",
        "party_size": 4,
        "date": "2026-12-24",
        "time": "19:30",
        "customer": {
            "name": "Sam Rivera",
            "phone": "+44 20 7946 0958",
            "email": "sam@example.com",
            "vip": true
        },
        "notes": "Anniversary dinner",
        "extras": ["window", "quiet"]
    })
}

fn variables() -> Value {
    json!({"channel": "voice", "account": {"blocked": false, "status": "active"}})
}

fn static_variables() -> Value {
    json!({"site_id": "LDN-SOHO-01", "currency": "GBP"})
}

/// Renders the full request `count` times; returns the time and the body of the last one.
fn full(
    prepared: &PreparedAction<'_>,
    context: &RenderContext<'_>,
    expected: &[u8],
    count: usize,
) -> BenchResult<Duration> {
    let started = Instant::now();
    for _ in 0..count {
        let request = prepared.render(std::hint::black_box(context))?;
        if request.body() != expected {
            return Err("a full render produced another body".into());
        }
        std::hint::black_box(request);
    }
    Ok(started.elapsed())
}

/// Renders the body template alone `count` times.
fn template_only(
    template: &Template,
    data: &Value,
    expected: &[u8],
    count: usize,
) -> BenchResult<Duration> {
    let options = RenderOptions::default();
    let started = Instant::now();
    for _ in 0..count {
        let body = template.render(std::hint::black_box(data), &options)?;
        if body.as_bytes() != expected {
            return Err("a template render produced another body".into());
        }
        std::hint::black_box(body);
    }
    Ok(started.elapsed())
}

/// Runs the scenario (no server involved).
pub fn run(args: &crate::Args) -> BenchResult<Value> {
    let count: usize = args.number("renders", 100_000)?;
    let (reps, warmup) = args.repetitions(5)?;
    let out_dir = PathBuf::from(args.text("out-dir")?);

    let action = ApiAction::from_yaml_str(ACTION)?;
    let source = action
        .body_template
        .clone()
        .ok_or("the benchmark action has a body template")?;
    let mut secrets = InMemorySecretStore::new();
    for env in Environment::ALL {
        secrets.insert(env, "bookings_token", "tok_benchmark_0123456789");
        secrets.insert(env, "bookings_signature", "sig_benchmark_abcdef");
    }
    let context = RenderContext::new(Environment::Live, &secrets)
        .with_parameters(parameters())
        .with_variables(variables())
        .with_static_variables(Environment::Live, static_variables());
    let prepared = PreparedAction::new(&action)?;
    let template = Template::parse(&source)?;
    let data = json!({
        "parameters": parameters(),
        "variables": variables(),
        "static_variables": static_variables(),
    });

    // The outputs every render must reproduce; the template alone must give the full
    // render's body, or the two measurements are not of the same work.
    let request = prepared.render(&context)?;
    let expected = request.body().to_vec();
    let alone = template.render(&data, &RenderOptions::default())?;
    if alone.as_bytes() != expected.as_slice() {
        return Err(format!(
            "the template alone renders another body than the full render:\n{alone}\nvs\n{}",
            String::from_utf8_lossy(&expected)
        )
        .into());
    }
    std::fs::create_dir_all(&out_dir)?;
    std::fs::write(out_dir.join("action.tmpl"), &source)?;
    std::fs::write(out_dir.join("action.json"), serde_json::to_vec(&data)?)?;
    std::fs::write(out_dir.join("action.out"), &expected)?;

    for _ in 0..warmup {
        full(&prepared, &context, &expected, count)?;
        template_only(&template, &data, &expected, count)?;
    }
    let (mut full_runs, mut template_runs) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        if rep % 2 == 0 {
            full_runs.push(full(&prepared, &context, &expected, count)?);
            template_runs.push(template_only(&template, &data, &expected, count)?);
        } else {
            template_runs.push(template_only(&template, &data, &expected, count)?);
            full_runs.push(full(&prepared, &context, &expected, count)?);
        }
    }
    let execution = execute::run(args, reps, warmup)?;
    let seconds = |runs: &[Duration]| runs.iter().map(Duration::as_secs_f64).collect::<Vec<_>>();
    Ok(json!({
        "scenario": "actions",
        "units": count,
        "output_bytes": expected.len(),
        "template": out_dir.join("action.tmpl"),
        "data": out_dir.join("action.json"),
        "expected": out_dir.join("action.out"),
        "full": {"seconds": seconds(&full_runs)},
        "template_only": {"seconds": seconds(&template_runs)},
        "execution": execution,
    }))
}
