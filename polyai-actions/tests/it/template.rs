//! The template engine's rules, one test per rule, with Go 1.19's results as the expected
//! values (each checked against Go itself; the corpus in tests/corpus covers them at scale).

use polyai_actions::template::ast::{self, Node, Operand};
use polyai_actions::template::{ErrorKind, MissingKey, RenderOptions, Template};
use serde_json::{Value, json};

fn data() -> Value {
    json!({
        "s": "abc", "e": "", "n": null, "one": 1, "z": 0, "big": 1000000, "t": true, "f": false,
        "arr": [1, "a", null], "ea": [], "em": {}, "m": {"k": "v", "null": null, "b": 2},
        "q": "say \"hi\"", "neg0": -0.0, "p53": 9007199254740993u64,
        "parameters": {"email": "a@b.c", "qty": 3, "order-number": "N-1"}
    })
}

fn render_mode(
    src: &str,
    mode: MissingKey,
) -> Result<String, polyai_actions::template::TemplateError> {
    Template::parse(src)?.render(&data(), &RenderOptions::new().with_missing_key(mode))
}

fn go(src: &str) -> String {
    render_mode(src, MissingKey::GoDefault).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn go_err(src: &str) -> (ErrorKind, u32, u32) {
    let e = render_mode(src, MissingKey::GoDefault).expect_err(src);
    let p = e.position.expect("a position");
    (e.kind, p.line, p.column)
}

fn parse_kind(src: &str) -> ErrorKind {
    Template::parse(src).expect_err(src).kind
}

#[test]
fn truthiness() {
    for (v, want) in [
        (".t", "y"),
        (".f", "n"),
        (".one", "y"),
        (".z", "n"),
        (".s", "y"),
        (".e", "n"),
        (".arr", "y"),
        (".ea", "n"),
        (".m", "y"),
        (".em", "n"),
        (".n", "n"),
        (".missing", "n"),
        ("0.0", "n"),
        ("-0.0", "n"),
        (r#""0""#, "y"),
    ] {
        assert_eq!(
            go(&format!("{{{{if {v}}}}}y{{{{else}}}}n{{{{end}}}}")),
            want,
            "{v}"
        );
    }
}

#[test]
fn and_or_return_operands_and_stop_early() {
    assert_eq!(go(r#"{{and 1 0 "x"}}"#), "0");
    assert_eq!(go(r#"{{and 1 "x"}}"#), "x");
    assert_eq!(go(r#"{{or 0 "" "y"}}"#), "y");
    assert_eq!(go(r#"{{or 0 ""}}"#), "");
    // Short-circuit: the failing comparison after the deciding operand is never evaluated.
    assert_eq!(go("{{or 1 (lt .s 1)}}"), "1");
    assert_eq!(go("{{and 0 (lt .s 1)}}"), "0");
    assert_eq!(
        go_err("{{and 1 (lt .s 1)}}").0,
        ErrorKind::IncompatibleTypes
    );
    // The piped value is the last operand.
    assert_eq!(go("{{0 | and 1}}"), "0");
    assert_eq!(go("{{1 | and 0}}"), "0");
    assert_eq!(go("{{or .n .missing}}"), "<no value>");
    assert_eq!(go("{{not .e}} {{not .s}} {{.s | not}}"), "true false false");
}

#[test]
fn eq_with_several_operands_and_go_kinds() {
    assert_eq!(go(r#"{{eq .s "x" "abc"}}"#), "true");
    assert_eq!(go(r#"{{eq .s "x" "y"}}"#), "false");
    // The first match wins before a later incompatible operand is compared.
    assert_eq!(go(r#"{{eq 1 1 "x"}}"#), "true");
    assert_eq!(
        go_err(r#"{{eq 1 "x" 1}}"#),
        (ErrorKind::IncompatibleTypes, 1, 3)
    );
    assert_eq!(go_err("{{eq .one 1}}").0, ErrorKind::IncompatibleTypes);
    assert_eq!(go("{{eq .one 1.0}} {{eq .one 1e0}}"), "true true");
    assert_eq!(go("{{eq 'a' 97}} {{eq 0x61 97}}"), "true true");
    assert_eq!(
        go("{{eq .missing .n}} {{eq .missing 1}} {{eq .m nil}}"),
        "true false false"
    );
    assert_eq!(go_err("{{eq .m .m}}").0, ErrorKind::InvalidComparison);
    assert_eq!(go_err("{{eq .arr .m}}").0, ErrorKind::InvalidComparison);
    assert_eq!(go_err("{{eq .m 1}}").0, ErrorKind::IncompatibleTypes);
    assert_eq!(go_err("{{eq .s}}").0, ErrorKind::MissingArgument);
    assert_eq!(go("{{ne .s \"abc\"}} {{ne 1 2}}"), "false true");
}

#[test]
fn ordering_comparisons() {
    assert_eq!(
        go("{{lt .parameters.qty 5.0}} {{gt .parameters.qty 5.0}}"),
        "true false"
    );
    assert_eq!(
        go_err("{{gt .parameters.qty 5}}"),
        (ErrorKind::IncompatibleTypes, 1, 3)
    );
    assert_eq!(
        go(r#"{{lt "a" "b"}} {{le 2 2}} {{ge 1 2}}"#),
        "true true false"
    );
    assert_eq!(go_err("{{lt .t .f}}").0, ErrorKind::InvalidComparison);
    assert_eq!(go_err("{{lt .missing 1}}").0, ErrorKind::InvalidComparison);
    assert_eq!(go_err("{{lt .m 1}}").0, ErrorKind::InvalidComparison);
    assert_eq!(go_err("{{lt 1}}").0, ErrorKind::WrongArgumentCount);
    // A byte from a string is Go's uint8, comparable with int literals.
    assert_eq!(
        go("{{lt (index .s 0) 98}} {{eq (index .s 1) 98}}"),
        "true true"
    );
}

#[test]
fn index_on_maps_arrays_and_strings() {
    assert_eq!(go(r#"{{index .parameters "order-number"}}"#), "N-1");
    assert_eq!(go(r#"{{index .m "missing"}}"#), "<no value>");
    assert_eq!(
        go("{{index .arr 1}} {{index .arr 2}} {{index .s 1}}"),
        "a <no value> 98"
    );
    assert_eq!(go(r#"{{index . "m" "k"}}"#), "v");
    assert_eq!(go("{{index .arr}}"), "[1 a <nil>]");
    assert_eq!(go_err("{{index .arr 3}}").0, ErrorKind::Index);
    assert_eq!(go_err("{{index .arr 9}}").0, ErrorKind::Index);
    assert_eq!(go_err("{{index .arr -1}}").0, ErrorKind::Index);
    assert_eq!(go_err("{{index .arr 1.0}}").0, ErrorKind::Index);
    assert_eq!(go_err("{{index .arr .one}}").0, ErrorKind::Index);
    assert_eq!(go_err("{{index .m 1}}").0, ErrorKind::Index);
    assert_eq!(go_err("{{index .missing 0}}").0, ErrorKind::Index);
    assert_eq!(go_err(r#"{{index .m "null" "x"}}"#).0, ErrorKind::Index);
    assert_eq!(go_err("{{index .one 0}}").0, ErrorKind::Index);
}

#[test]
fn fields_missing_and_null() {
    assert_eq!(
        go("{{.m.k}} {{.missing}} {{.n}} {{.missing.x}}"),
        "v <no value> <no value> <no value>"
    );
    assert_eq!(go_err("{{.n.x}}"), (ErrorKind::FieldOnNonMap, 1, 5));
    assert_eq!(go_err("{{.s.x}}"), (ErrorKind::FieldOnNonMap, 1, 5));
    assert_eq!(go_err("{{.m.k.x.y}}").0, ErrorKind::FieldOnNonMap);
    assert_eq!(go_err("{{.s 1}}").0, ErrorKind::NotAFunction);
    assert_eq!(go_err("{{1 | .s}}").0, ErrorKind::NotAFunction);
    assert_eq!(go_err("{{(1) 2}}").0, ErrorKind::NotAFunction);
    assert_eq!(parse_kind("{{.parameters.order-number}}"), ErrorKind::Parse);
}

#[test]
fn missing_key_modes() {
    let e = |src, m| render_mode(src, m).map_err(|e| e.kind);
    assert_eq!(e("{{.missing}}", MissingKey::Zero), Ok("<no value>".into()));
    assert_eq!(
        e("{{.missing.x}}", MissingKey::Zero),
        Err(ErrorKind::FieldOnNonMap)
    );
    assert_eq!(
        e("{{.missing}}", MissingKey::Error),
        Err(ErrorKind::MissingKey)
    );
    // missingkey=error fails even inside a condition; index never does.
    assert_eq!(
        e("{{if .missing}}x{{end}}", MissingKey::Error),
        Err(ErrorKind::MissingKey)
    );
    assert_eq!(
        e(r#"{{index .m "missing"}}"#, MissingKey::Error),
        Ok("<no value>".into())
    );
    assert_eq!(
        e(r#"{{(index .m "missing").x}}"#, MissingKey::Error),
        Err(ErrorKind::MissingKey)
    );
    assert_eq!(
        e("{{$x := .n}}{{$x.y}}", MissingKey::GoDefault),
        Ok("<no value>".into())
    );
}

#[test]
fn platform_mode() {
    let p = |src| render_mode(src, MissingKey::Platform);
    assert_eq!(
        p("{{if .parameters.phone}}{{.parameters.phone}}{{else}}none{{end}}").unwrap(),
        "none"
    );
    assert_eq!(
        p("{{with .parameters.phone}}{{.}}{{end}}{{.parameters.email}}").unwrap(),
        "a@b.c"
    );
    let err = p(r#"{"phone": "{{.parameters.phone}}"}"#).unwrap_err();
    assert_eq!(err.kind, ErrorKind::MissingKey);
    assert_eq!(err.position.map(|p| p.column), Some(14));
    assert!(
        err.message.contains("`.parameters.phone` is missing"),
        "{}",
        err.message
    );
    let err = p("{{.n}}").unwrap_err();
    assert!(err.message.contains("`.n` is null"), "{}", err.message);
    let err = p(r#"{{index .parameters "phone"}}"#).unwrap_err();
    assert!(err.message.contains("no key \"phone\""), "{}", err.message);
    assert_eq!(
        p("{{.missing.deeper}}")
            .unwrap_err()
            .message
            .split(' ')
            .next(),
        Some("`.missing`")
    );
    assert_eq!(
        p("{{lt .parameters.phone 1.0}}").unwrap_err().kind,
        ErrorKind::MissingKey
    );
    assert_eq!(
        p("{{eq .parameters.phone nil}} {{not .missing}}").unwrap(),
        "true true"
    );
    // What is present renders exactly as in Go.
    assert_eq!(
        p("{{.big}} {{.m}}").unwrap(),
        "1e+06 map[b:2 k:v null:<nil>]"
    );
}

#[test]
fn variables_and_scope() {
    assert_eq!(go("{{$x := .s}}{{$x}}{{$x = 1}}{{$x}}"), "abc1");
    assert_eq!(go("{{with $v := .m}}{{$v.k}}{{.b}}{{end}}"), "v2");
    assert_eq!(go("{{if .t}}{{$x := 1}}{{$x}}{{end}}"), "1");
    assert_eq!(
        parse_kind("{{if .t}}{{$x := 1}}{{end}}{{$x}}"),
        ErrorKind::Parse
    );
    assert_eq!(go("{{$x := 1}}{{if .t}}{{$x = 2}}{{end}}{{$x}}"), "2");
    assert_eq!(go("{{with .m}}{{$.s}} {{.k}}{{end}}"), "abc v");
    assert_eq!(parse_kind("{{$y}}"), ErrorKind::Parse);
    // Declared in the if body, used in its else body: parses in Go, fails when run.
    assert_eq!(
        go_err("{{if 0}}{{$x := 1}}{{else}}{{$x}}{{end}}").0,
        ErrorKind::Exec
    );
    assert_eq!(parse_kind("{{$a, $b := 1}}"), ErrorKind::Parse);
}

#[test]
fn control_structures() {
    assert_eq!(
        go("{{if .f}}a{{else if .z}}b{{else if .s}}c{{else}}d{{end}}"),
        "c"
    );
    assert_eq!(go("{{with .missing}}a{{else}}b{{end}}"), "b");
    assert_eq!(go("{{with .m}}{{.k}}{{end}}"), "v");
    assert_eq!(
        parse_kind("{{with .s}}a{{else with .t}}b{{end}}"),
        ErrorKind::Parse
    );
    assert_eq!(
        parse_kind("{{with .s}}a{{else if .t}}b{{end}}"),
        ErrorKind::Parse
    );
    assert_eq!(parse_kind("{{if .s}}"), ErrorKind::Parse);
    assert_eq!(parse_kind("{{end}}"), ErrorKind::Parse);
    assert_eq!(parse_kind("{{if}}{{end}}"), ErrorKind::Parse);
}

#[test]
fn trim_markers_and_comments() {
    assert_eq!(go("a  {{- .s -}}  b"), "aabcb");
    assert_eq!(go("a {{-3}}"), "a -3");
    assert_eq!(go("a\n {{- /* note */ -}} \n b"), "ab");
    assert_eq!(go("{{/* a\ncomment */}}x"), "x");
    assert_eq!(parse_kind("{{ /* c */}}"), ErrorKind::Parse);
    assert_eq!(parse_kind("{{/* c */ }}"), ErrorKind::Parse);
    assert_eq!(parse_kind("{{/* c "), ErrorKind::Parse);
    assert_eq!(go("{{.s\n}}"), "abc");
}

#[test]
fn literal_forms() {
    assert_eq!(
        go("{{3}} {{-3}} {{+3}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}}"),
        "3 -3 3 31 15 15 5 1000"
    );
    assert_eq!(
        go("{{3.0}} {{1e6}} {{1.5e-7}} {{0x1p-2}} {{.5}} {{-0.0}} {{1_000.5}}"),
        "3 1e+06 1.5e-07 0.25 0.5 -0 1000.5"
    );
    assert_eq!(
        go(r"{{'a'}} {{'\n'}} {{'é'}} {{'\u00e9'}}"),
        "97 10 233 233"
    );
    assert_eq!(go(r#"{{"a\tb\u00e9\x41"}}|{{`raw\n`}}"#), "a\tbéA|raw\\n");
    assert_eq!(go("{{true}} {{false}}"), "true false");
    assert_eq!(parse_kind("{{09}}"), ErrorKind::Parse);
    assert_eq!(parse_kind("{{1e400}}"), ErrorKind::Parse);
    assert_eq!(parse_kind("{{99999999999999999999}}"), ErrorKind::Parse);
    assert_eq!(parse_kind(r#"{{"\'"}}"#), ErrorKind::Parse);
    assert_eq!(go_err("{{9223372036854775808}}").0, ErrorKind::Exec);
    assert_eq!(parse_kind("{{nil.a}}"), ErrorKind::Parse);
    assert_eq!(go_err("{{nil}}").0, ErrorKind::Exec);
}

#[test]
fn printing_json_values_like_go() {
    assert_eq!(
        go("{{.big}} {{.one}} {{.p53}} {{.neg0}}"),
        "1e+06 1 9.007199254740992e+15 -0"
    );
    assert_eq!(
        go("{{.m}} {{.arr}} {{.ea}} {{.em}}"),
        "map[b:2 k:v null:<nil>] [1 a <nil>] [] map[]"
    );
    assert_eq!(go("{{.q}}"), "say \"hi\"");
    assert!(go("{{.}}").starts_with("map[arr:[1 a <nil>] big:1e+06 e: ea:[] em:map[] f:false"));
}

#[test]
fn pipelines_and_parentheses() {
    assert_eq!(
        go(r#"{{.s | eq "abc"}} {{(eq .s "abc") | not}}"#),
        "true false"
    );
    assert_eq!(go("{{(index .m \"k\")}} {{(.m).k}}"), "v v");
    assert_eq!(parse_kind("{{.s | 1}}"), ErrorKind::Parse);
    assert_eq!(go("{{.s | }}"), "abc");
    assert_eq!(parse_kind("{{.s | | not}}"), ErrorKind::Parse);
    assert_eq!(go_err("{{if nil}}y{{end}}").0, ErrorKind::Exec);
}

#[test]
fn subset_is_enforced_at_parse_time() {
    for src in [
        "{{range .arr}}{{.}}{{end}}",
        "{{template \"x\"}}",
        "{{define \"x\"}}y{{end}}",
        "{{block \"x\" .}}y{{end}}",
        "{{range .arr}}{{break}}{{end}}",
        "{{len .s}}",
        "{{.s | printf \"%s\"}}",
        "{{html .s}}",
        "{{1i}}",
        r#"{{"\xff"}}"#,
    ] {
        assert_eq!(parse_kind(src), ErrorKind::Unsupported, "{src}");
    }
    // Go refuses these itself, so they are parse errors even though they are also outside.
    assert_eq!(parse_kind("{{range .arr}}{{end}}{{foo}}"), ErrorKind::Parse);
    assert_eq!(parse_kind("{{break}}"), ErrorKind::Parse);
    assert_eq!(
        parse_kind("{{define \"x\"}}y{{else}}{{end}}"),
        ErrorKind::Parse
    );
    let e = Template::parse("ab\n  {{len .s}}").unwrap_err();
    assert_eq!(
        e.position.map(|p| (p.line, p.column, p.offset)),
        Some((2, 5, 7))
    );
    assert_eq!(e.to_string().split(": ").next(), Some("2:5"));
}

#[test]
fn exec_error_positions_follow_go() {
    // Go reports line:column with a 0-based byte column; ours is 1-based in characters.
    assert_eq!(
        go_err("{{.a.b.c}}{{.n.x}}"),
        (ErrorKind::FieldOnNonMap, 1, 15)
    );
    assert_eq!(
        go_err("x\n{{eq .one 1}}"),
        (ErrorKind::IncompatibleTypes, 2, 3)
    );
    assert_eq!(go_err("{{(eq 1 1).x}}"), (ErrorKind::FieldOnNonMap, 1, 9));
    // After a two-byte character Go's byte column (6) equals our 1-based character column.
    assert_eq!(go_err("é{{.s.x}}"), (ErrorKind::FieldOnNonMap, 1, 6));
}

#[test]
fn a_parsed_template_renders_many_times_and_across_threads() {
    let t = std::sync::Arc::new(Template::parse("{{.parameters.email}}-{{.n}}").unwrap());
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let t = t.clone();
            std::thread::spawn(move || {
                let d = json!({"parameters": {"email": i}, "n": i * 2});
                t.render(&d, &RenderOptions::new()).unwrap()
            })
        })
        .collect();
    let outs: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(outs, vec!["0-0", "1-2"]);
}

#[test]
fn the_ast_exposes_fields_indexes_variables_comparisons_and_prints() {
    let t = Template::parse(
        r#"{{$p := .parameters}}{{if gt .parameters.qty 5}}{{index $p "order-number"}}{{end}}"#,
    )
    .unwrap();
    let (mut fields, mut vars, mut comparisons, mut index_keys, mut prints) =
        (vec![], 0, 0, vec![], 0);
    ast::walk(t.root(), &mut |n| {
        let pipeline = match n {
            Node::Action(a) => {
                if a.prints() {
                    prints += 1;
                }
                &a.pipeline
            }
            Node::If(i) => &i.pipeline,
            Node::With(w) => &w.pipeline,
            _ => return,
        };
        vars += pipeline.declarations.len();
        ast::walk_operands(pipeline, &mut |cmd, op| match op {
            Operand::Field(f) => fields.push((f.path(), f.position.column)),
            Operand::Function(f) if f.function.is_comparison() => comparisons += 1,
            Operand::Function(f) if f.function == ast::Function::Index => {
                if let Some(Operand::String(s)) = cmd.args.get(2) {
                    index_keys.push(s.value.clone());
                }
            }
            _ => {}
        });
    });
    assert_eq!(
        fields,
        vec![
            (".parameters".to_string(), 9),
            (".parameters.qty".to_string(), 30)
        ]
    );
    assert_eq!((vars, comparisons, prints), (1, 1, 1));
    assert_eq!(index_keys, vec!["order-number".to_string()]);
}
