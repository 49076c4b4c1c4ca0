//! The body-template lint rules (PA2xx), each triggered with its line and column, and clean
//! templates that trigger nothing.

use polyai_actions::lint::{Diagnostic, lint_action, rule};
use polyai_actions::{ApiAction, Method};
use serde_json::{Value, json};

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "order_number": {"type": "string", "pattern": "^[A-Z0-9-]+$"},
            "note": {"type": "string"},
            "priority": {"type": "string", "enum": ["low", "medium", "high"]},
            "qty": {"type": "integer"},
            "small": {"type": "integer", "minimum": 0, "maximum": 100},
            "price": {"type": "number"},
            "email": {"type": "string"},
            "order-ref": {"type": "string", "enum": ["a"]},
            "customer": {
                "type": "object",
                "properties": {"name": {"type": "string", "enum": ["x"]}, "phone": {"type": "string", "enum": ["1"]}},
                "required": ["name"]
            }
        },
        "required": ["order_number", "note", "priority", "qty", "small", "price", "customer", "order-ref"]
    })
}

fn lint_body(body: &str) -> Vec<Diagnostic> {
    let mut a = ApiAction::new("a", "https://api.example/x", Method::Post);
    a.description = "d".into();
    a.parameters = schema();
    a.body_template = Some(body.to_owned());
    lint_action(&a)
}

fn only(found: &[Diagnostic], code: &str) -> (u32, u32, String) {
    let v: Vec<&Diagnostic> = found.iter().filter(|d| d.code == code).collect();
    assert_eq!(v.len(), 1, "expected one {code}, got {found:#?}");
    let d = v[0];
    assert_eq!(d.severity, rule(code).unwrap().severity);
    assert_eq!(d.location.field, "body_template");
    (
        d.location.line.unwrap(),
        d.location.column.unwrap(),
        d.message.clone(),
    )
}

#[test]
fn clean_templates_have_no_findings() {
    for body in [
        r#"{"order": "{{.parameters.order_number}}", "priority": "{{.parameters.priority}}"}"#,
        r#"{"small": {{.parameters.small}}{{if .parameters.email}}, "email": "x"{{end}}}"#,
        "{{with .parameters.email}}E{{end}}{{if gt .parameters.qty 5.0}}big{{end}}",
        "{{if and .parameters.email .parameters.customer.phone}}{{.parameters.customer.phone}}{{end}}",
        "{{with .parameters.customer}}{{.name}}{{end}}",
        r#"{{index .parameters "order-ref"}} {{.variables.order_id}} {{.static_variables.region}}"#,
        "{{$x := .parameters.customer.name}}{{$x}}{{$.parameters.priority}}",
    ] {
        assert_eq!(lint_body(body), vec![], "{body}");
    }
}

#[test]
fn pa201_parse_error_with_position() {
    let (line, column, m) = only(&lint_body("line one\n{{if .parameters.qty}}x"), "PA201");
    assert_eq!(line, 2, "{m}");
    assert!(column >= 1);
    assert!(m.contains("does not parse"), "{m}");
}

#[test]
fn pa202_forbidden_constructs() {
    for (body, word) in [
        ("{{range .parameters.items}}x{{end}}", "range"),
        (r#"{{template "x"}}"#, "template"),
        (r#"{{define "x"}}y{{end}}"#, "define"),
        (r#"{{block "x" .}}y{{end}}"#, "block"),
        ("{{len .parameters.note}}", "len"),
        ("{{printf \"%d\" .parameters.qty}}", "printf"),
    ] {
        let (line, column, m) = only(&lint_body(&format!("ab\n  {body}")), "PA202");
        assert_eq!((line, column), (2, 5), "{body}: {m}");
        assert!(m.contains(word), "{body}: {m}");
    }
}

#[test]
fn pa203_undeclared_parameters() {
    let (line, column, m) = only(&lint_body("x {{.parameters.order_numbr}}"), "PA203");
    assert_eq!((line, column), (1, 5));
    assert!(
        m.contains("`.parameters.order_numbr`") && m.contains("order_number"),
        "{m}"
    );
    let (_, _, m) = only(&lint_body("{{.parameters.customer.mail}}"), "PA203");
    assert!(m.contains("`.parameters.customer.mail`"), "{m}");
    only(&lint_body(r#"{{index .parameters "nope"}}"#), "PA203");
    only(
        &lint_body("{{with .parameters.customer}}{{.nme}}{{end}}"),
        "PA203",
    );
    only(
        &lint_body("{{if eq $.parameters.prio \"x\"}}{{end}}"),
        "PA203",
    );
}

#[test]
fn pa204_string_in_json_body() {
    let (line, column, m) = only(
        &lint_body("{\n  \"note\": \"{{.parameters.note}}\"\n}"),
        "PA204",
    );
    assert_eq!((line, column), (2, 14));
    assert!(
        m.contains("`.parameters.note`") && m.contains("escaping"),
        "{m}"
    );
    // Not a JSON body: no warning.
    assert!(
        lint_body("note={{.parameters.note}}")
            .iter()
            .all(|d| d.code != "PA204")
    );
}

#[test]
fn pa205_number_printed_with_percent_v() {
    let (_, _, m) = only(&lint_body(r#"{"qty": {{.parameters.qty}}}"#), "PA205");
    assert!(m.contains("1e+06"), "{m}");
    only(&lint_body(r#"{"p": {{.parameters.price}}}"#), "PA205");
}

#[test]
fn pa206_integer_literal_against_json_number() {
    let (line, column, m) = only(&lint_body("{{if gt .parameters.qty 5}}big{{end}}"), "PA206");
    assert_eq!((line, column), (1, 25));
    assert!(m.contains("`5.0`"), "{m}");
    only(&lint_body("{{if eq 1 .parameters.price}}{{end}}"), "PA206");
    // Two literals compare fine in Go.
    assert!(
        lint_body("{{if eq 1 1}}{{end}}")
            .iter()
            .all(|d| d.code != "PA206")
    );
}

#[test]
fn pa207_hyphenated_key_as_field() {
    let (line, column, m) = only(
        &lint_body("{\n \"ref\": \"{{.parameters.order-ref}}\"}"),
        "PA207",
    );
    assert_eq!((line, column), (2, 12));
    assert!(m.contains(r#"`index .parameters "order-ref"`"#), "{m}");
    assert!(
        lint_body("{{.parameters.order-ref}}")
            .iter()
            .all(|d| d.code != "PA201")
    );
}

#[test]
fn pa208_optional_parameter_outside_a_guard() {
    let (line, column, m) = only(&lint_body("{{.parameters.email}}"), "PA208");
    assert_eq!((line, column), (1, 3));
    assert!(m.contains("{{if .parameters.email}}"), "{m}");
    // In the else branch the guard does not hold.
    only(
        &lint_body("{{if .parameters.email}}{{else}}{{.parameters.email}}{{end}}"),
        "PA208",
    );
    // An ordering comparison fails on an absent value; `eq` does not (absent equals only nil).
    only(
        &lint_body(r#"{{if gt .parameters.email "x"}}{{end}}"#),
        "PA208",
    );
    assert!(lint_body(r#"{{if eq .parameters.email "x"}}{{end}}"#).is_empty());
    // `or` as a default is fine in a condition, not when its result may be the absent value.
    assert!(lint_body(r#"{{if or .parameters.email .parameters.note}}{{end}}"#).is_empty());
    only(&lint_body(r#"{{or "" .parameters.email}}"#), "PA208");
    // Assigning is fine; printing the variable is not tracked.
    assert!(lint_body("{{$e := .parameters.email}}").is_empty());
    // Nested optional field.
    only(&lint_body("{{.parameters.customer.phone}}"), "PA208");
}

#[test]
fn pa209_unknown_top_level_key() {
    let (_, _, m) = only(&lint_body("{{.params.order_number}}"), "PA209");
    assert!(m.contains("`.params`"), "{m}");
}
