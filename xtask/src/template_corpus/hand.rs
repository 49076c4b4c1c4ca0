//! Hand-written corpus cases: one group per rule of Go's template semantics that PolyAI's subset
//! relies on (issue 12, point 5). Every case runs under Go's three `missingkey` settings; its
//! name is `<group>/<8 hex digits of a hash of template and data>/<mode>`, so names stay put
//! when cases are added. Most cases use [`standard`] data; the others say what they need.

use serde_json::{Value, json};

use super::{Case, Group, MODES, fnv1a};

/// Collects the cases of one group (the standard data is the group's default data).
struct G {
    name: &'static str,
    standard: String,
    cases: Vec<Case>,
}

impl G {
    fn new(name: &'static str) -> G {
        G {
            name,
            standard: standard().to_string(),
            cases: Vec::new(),
        }
    }

    /// A case over the standard data.
    fn t(&mut self, template: &str) -> &mut G {
        self.push(template, None)
    }

    /// Several cases over the standard data.
    fn all(&mut self, templates: &[&str]) -> &mut G {
        for template in templates {
            self.t(template);
        }
        self
    }

    /// A case over the given data.
    fn d(&mut self, template: &str, data: Value) -> &mut G {
        self.raw(template, &data.to_string())
    }

    /// A case over data given as JSON text (numbers keep their exact digits).
    fn raw(&mut self, template: &str, data: &str) -> &mut G {
        self.push(template, Some(data))
    }

    fn push(&mut self, template: &str, data: Option<&str>) -> &mut G {
        let hash = fnv1a(&[template, data.unwrap_or("standard")]);
        for mode in MODES {
            self.cases.push(Case {
                name: format!("{}/{:08x}/{mode}", self.name, hash >> 32),
                template: template.to_string(),
                data: data.map(str::to_string),
                missing_key: mode,
            });
        }
        self
    }

    fn done(&mut self) -> Group {
        Group {
            name: format!("hand_{}", self.name),
            data: Some(self.standard.clone()),
            cases: std::mem::take(&mut self.cases),
        }
    }
}

/// The data most hand-written cases render over: one key per kind of JSON value and edge case,
/// plus the three documents of an API-call action (`parameters`, `variables`,
/// `static_variables`).
fn standard() -> Value {
    let text = r#"{
        "t": true, "f": false, "z": 0, "one": 1, "two": 2, "negzero": -0.0, "half": 0.5,
        "n": null, "e": "", "s": "x", "sp": " ", "zs": "0", "fs": "false",
        "arr": [1, "a", null, true], "ea": [], "nested_arr": [[1, 2], [3, [4, 5]]],
        "m": {"k": "v", "n": 1, "nested": {"deep": "d"}, "null": null},
        "em": {},
        "big": 1000000, "nines": 999999, "e21": 1e21, "tiny": 1e-5, "p53": 9007199254740993,
        "pi": 3.14159, "neg": -2.5,
        "q": "say \"hi\"", "u": "héllo 日本 🦀", "nl": "line1\nline2", "tab": "a\tb",
        "html": "<a href=\"x\">&amp;</a>", "bs": "back\\slash",
        "parameters": {
            "order_id": "ORD-12345", "qty": 3, "price": 19.99, "email": "a@b.c",
            "order-number": "N-1", "tags": ["a", "b"], "flag": true, "none": null,
            "address": {"city": "Paris", "zip": "75001"}, "empty": "", "count": 0
        },
        "variables": {"customer_id": "C-9", "count": 0, "vip": false},
        "static_variables": {"api_version": "v2", "region": "eu"}
    }"#;
    serde_json::from_str(text).expect("the standard data is valid JSON")
}

/// Every JSON value kind, for truthiness and printing.
fn values() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(1),
        json!(-0.0),
        json!(0.5),
        json!(-1),
        json!(""),
        json!("x"),
        json!(" "),
        json!("0"),
        json!("false"),
        json!([]),
        json!([0]),
        json!([null]),
        json!({}),
        json!({"a": null}),
        json!({"a": 1}),
    ]
}

pub(crate) fn groups() -> Vec<Group> {
    vec![
        truthiness(),
        and_or_not(),
        eq_ne(),
        ordering(),
        index(),
        variables(),
        trim(),
        comments(),
        literals(),
        printing(),
        json_numbers(),
        missing(),
        fields(),
        parse_errors(),
        control(),
        pipelines(),
        positions(),
        bodies(),
        roots(),
    ]
}

fn truthiness() -> Group {
    let mut g = G::new("truthiness");
    for v in values() {
        let data = json!({ "v": v });
        g.d("{{if .v}}T{{else}}F{{end}}", data.clone());
        g.d("{{with .v}}[{{.}}]{{else}}E{{end}}", data.clone());
        g.d("{{not .v}}", data.clone());
        g.d("{{if not .v}}F{{end}}", data.clone());
        g.d("{{and .v \"then\"}}|{{or .v \"else\"}}", data);
    }
    g.all(&[
        "{{if .missing}}T{{else}}F{{end}}",
        "{{with .missing}}T{{else}}F{{end}}",
        "{{if .m.missing}}T{{else}}F{{end}}",
        "{{if .missing.deeper}}T{{else}}F{{end}}",
        "{{if .n.x}}T{{else}}F{{end}}",
        "{{if 0}}T{{else}}F{{end}}",
        "{{if 0.0}}T{{else}}F{{end}}",
        "{{if -0.0}}T{{else}}F{{end}}",
        "{{if 1}}T{{else}}F{{end}}",
        "{{if \"\"}}T{{else}}F{{end}}",
        "{{if ``}}T{{else}}F{{end}}",
        "{{if \"0\"}}T{{else}}F{{end}}",
        "{{if true}}T{{else}}F{{end}}",
        "{{if false}}T{{else}}F{{end}}",
        "{{if nil}}T{{else}}F{{end}}",
        "{{if 'a'}}T{{else}}F{{end}}",
        "{{if 0x0}}T{{else}}F{{end}}",
        "{{if .}}T{{else}}F{{end}}",
        "{{if $}}T{{else}}F{{end}}",
        "{{if .em}}T{{else}}F{{end}}{{if .ea}}T{{else}}F{{end}}",
        "{{if .parameters.email}}\"email\": \"{{.parameters.email}}\"{{end}}",
        "{{if .parameters.phone}}\"phone\": \"{{.parameters.phone}}\"{{end}}",
    ]);
    g.d("{{if .}}T{{else}}F{{end}}", json!(null));
    g.d("{{if .}}T{{else}}F{{end}}", json!({}));
    g.d("{{if .}}T{{else}}F{{end}}", json!([]));
    g.d("{{if .}}T{{else}}F{{end}}", json!(0));
    g.done()
}

fn and_or_not() -> Group {
    let mut g = G::new("and_or_not");
    g.all(&[
        "{{and 1 0 \"x\"}}",
        "{{or 0 \"\" \"y\"}}",
        "{{and 1 2 3}}",
        "{{or 0 0 0}}",
        "{{or 0 \"\" nil}}",
        "{{and \"\" nil}}",
        "{{and 1}}",
        "{{or 0}}",
        "{{and}}",
        "{{or}}",
        "{{not}}",
        "{{not 1 2}}",
        "{{not 0}}",
        "{{not \"\"}}",
        "{{not nil}}",
        "{{and .s .one}}",
        "{{and .s .z .missing}}",
        "{{or .e .z .s}}",
        "{{or .e .z .n}}",
        "{{and .m .arr}}",
        "{{or .em .ea .m}}",
        "{{and .t .f}}",
        "{{or .f .t}}",
        "{{and .missing 1}}",
        "{{and .missing.x 1}}",
        "{{and 0 .missing.x}}",
        "{{or 1 .missing.x}}",
        "{{or .missing.x 1}}",
        "{{and .n .missing}}",
        "{{or 1 (index .arr 10)}}",
        "{{and 0 (index .arr 10)}}",
        "{{and 1 (index .arr 10)}}",
        "{{or 0 (index .arr 10)}}",
        "{{or 1 (eq 1 1.0)}}",
        "{{and 1 (eq 1 1.0)}}",
        "{{and 1 .s.field}}",
        "{{or 1 .s.field}}",
        "{{if and .t .s}}yes{{end}}",
        "{{if or .f .e}}yes{{else}}no{{end}}",
        "{{if and .parameters.email .parameters.flag}}both{{end}}",
        "{{not (and .t .f)}}",
        "{{not (or .f .z)}}",
        "{{and (eq .s \"x\") (ne .one 2.0)}}",
        "{{or (lt .one 0.0) (gt .one 0.5)}}",
        "{{not .m}}{{not .em}}",
        "{{and .p53 .big}}",
        "{{or .tiny 1}}",
        "{{and .negzero 1}}",
        "{{or .negzero \"fallback\"}}",
    ]);
    g.done()
}

fn eq_ne() -> Group {
    let mut g = G::new("eq_ne");
    g.all(&[
        "{{eq 1 1}}",
        "{{eq 1 2}}",
        "{{eq 1 2 3 1}}",
        "{{eq 1 2 3}}",
        "{{eq 1 1.0}}",
        "{{eq 1.0 1}}",
        "{{eq 1.5 1.5}}",
        "{{eq .one 1}}",
        "{{eq .one 1.0}}",
        "{{eq .one 1.0 2.0}}",
        "{{eq .one 2.0 1.0}}",
        "{{eq .two 1.0 2.0 3.0}}",
        "{{eq .one .one}}",
        "{{eq .one .two}}",
        "{{eq .s \"x\"}}",
        "{{eq .s \"y\" \"x\"}}",
        "{{eq .s \"y\" \"z\"}}",
        "{{eq .s `x`}}",
        "{{eq \"a\" \"a\"}}",
        "{{eq \"a\" \"A\"}}",
        "{{eq .u \"héllo 日本 🦀\"}}",
        "{{eq .s 1}}",
        "{{eq .s 1.0}}",
        "{{eq \"1\" 1}}",
        "{{eq .t true}}",
        "{{eq .t false}}",
        "{{eq true true}}",
        "{{eq .t 1}}",
        "{{eq .f \"false\"}}",
        "{{eq .n nil}}",
        "{{eq nil nil}}",
        "{{eq .n .n}}",
        "{{eq .n 1}}",
        "{{eq 1 .n}}",
        "{{eq .n \"\"}}",
        "{{eq .missing nil}}",
        "{{eq .missing 1}}",
        "{{eq 1 .missing}}",
        "{{eq .missing .missing}}",
        "{{eq .m .m}}",
        "{{eq .em .em}}",
        "{{eq .arr .arr}}",
        "{{eq .ea .ea}}",
        "{{eq .m .arr}}",
        "{{eq .m nil}}",
        "{{eq .arr nil}}",
        "{{eq nil .m}}",
        "{{eq .m 1}}",
        "{{eq .arr \"a\"}}",
        "{{eq .s .m}}",
        "{{eq 1}}",
        "{{eq .s}}",
        "{{eq}}",
        "{{ne 1 2}}",
        "{{ne 1 1}}",
        "{{ne .s \"x\"}}",
        "{{ne .s \"y\"}}",
        "{{ne .one 1}}",
        "{{ne .one 1.0}}",
        "{{ne 1 2 3}}",
        "{{ne 1}}",
        "{{ne}}",
        "{{ne .n nil}}",
        "{{ne .m .m}}",
        "{{eq 'a' 97}}",
        "{{eq 'a' \"a\"}}",
        "{{eq 0x10 16}}",
        "{{eq 0o17 15}}",
        "{{eq 0b11 3}}",
        "{{eq 1_000 1000}}",
        "{{eq 1e3 1000.0}}",
        "{{eq .big 1e6}}",
        "{{eq .big 1000000.0}}",
        "{{eq .big 1000000}}",
        "{{eq .p53 9007199254740992.0}}",
        "{{eq .p53 9007199254740993.0}}",
        "{{eq .negzero 0.0}}",
        "{{eq .negzero -0.0}}",
        "{{eq .z .negzero}}",
        "{{eq .tiny 1e-5}}",
        "{{eq .tiny 0.00001}}",
        "{{eq .e21 1e21}}",
        "{{eq .half .5}}",
        "{{eq (eq 1 1) true}}",
        "{{eq (index .arr 0) 1.0}}",
        "{{eq (index .arr 1) \"a\"}}",
        "{{eq (index .arr 2) nil}}",
        "{{eq (index .m \"missing\") nil}}",
        "{{eq .parameters.qty 3.0}}",
        "{{eq .parameters.qty 3}}",
        "{{eq .variables.count 0.0}}",
        "{{eq .static_variables.region \"eu\" \"us\"}}",
        "{{eq .s \"x\" 1}}",
        "{{eq .s \"y\" 1}}",
        "{{eq .one 1.0 \"x\"}}",
        "{{eq .one 2.0 \"x\"}}",
    ]);
    g.done()
}

fn ordering() -> Group {
    let mut g = G::new("ordering");
    for f in ["lt", "le", "gt", "ge"] {
        for args in [
            "1 2",
            "2 1",
            "2 2",
            "1.5 2.5",
            "2.5 2.5",
            "-1 1",
            "1 1.0",
            "1.0 1",
            ".one 1",
            ".one 1.0",
            ".one .two",
            ".two .one",
            ".half .one",
            "\"a\" \"b\"",
            "\"b\" \"a\"",
            "\"a\" \"a\"",
            "\"B\" \"a\"",
            "\"\" \"a\"",
            "\"é\" \"z\"",
            ".s \"x\"",
            ".s \"y\"",
            ".u .s",
            ".s 1",
            "true false",
            ".t .f",
            ".n 1",
            "nil 1",
            ".n .n",
            ".m .m",
            ".arr .arr",
            ".missing 1",
            "1 .missing",
            "'a' 'b'",
            "0x10 17",
            ".negzero 0.0",
            ".negzero -0.0",
            ".tiny 0.0001",
            ".big .nines",
            ".p53 9007199254740992.0",
            ".e21 1e20",
            ".parameters.qty 5",
            ".parameters.qty 5.0",
            ".parameters.price 20.0",
            "1",
            "",
            "1 2 3",
        ] {
            g.t(&format!("{{{{{f} {args}}}}}"));
        }
    }
    g.all(&[
        "{{if gt .parameters.qty 2.0}}many{{else}}few{{end}}",
        "{{if lt .parameters.qty 5}}few{{end}}",
        "{{if le .variables.count 0.0}}none{{end}}",
        "{{if ge .s \"w\"}}after{{end}}",
    ]);
    g.done()
}

fn index() -> Group {
    let mut g = G::new("index");
    g.all(&[
        "{{index .m \"k\"}}",
        "{{index .m \"n\"}}",
        "{{index .m \"missing\"}}",
        "{{index .m \"null\"}}",
        "{{index .m \"nested\" \"deep\"}}",
        "{{index .m \"nested\" \"missing\"}}",
        "{{index .m \"missing\" \"deeper\"}}",
        "{{index .em \"k\"}}",
        "{{index .arr 0}}",
        "{{index .arr 1}}",
        "{{index .arr 2}}",
        "{{index .arr 3}}",
        "{{index .arr 4}}",
        "{{index .arr 10}}",
        "{{index .arr -1}}",
        "{{index .ea 0}}",
        "{{index .nested_arr 1 1 0}}",
        "{{index .nested_arr 1 1 5}}",
        "{{index .nested_arr 0}}",
        "{{index .arr 1.0}}",
        "{{index .arr .one}}",
        "{{index .arr \"0\"}}",
        "{{index .arr nil}}",
        "{{index .arr true}}",
        "{{index .arr 'a'}}",
        "{{index .arr 0x1}}",
        "{{index .m 1}}",
        "{{index .m nil}}",
        "{{index .m .s}}",
        "{{index .m true}}",
        "{{index .s 0}}",
        "{{index \"abc\" 1}}",
        "{{index \"abc\" 3}}",
        "{{index \"abc\" 4}}",
        "{{index .u 1}}",
        "{{index .one 0}}",
        "{{index .t 0}}",
        "{{index .n 0}}",
        "{{index .n \"k\"}}",
        "{{index .missing \"k\"}}",
        "{{index .missing 0}}",
        "{{index nil 0}}",
        "{{index .m}}",
        "{{index .arr}}",
        "{{index 1}}",
        "{{index}}",
        "{{index .parameters \"order-number\"}}",
        "{{index .parameters \"order_id\"}}",
        "{{index . \"parameters\" \"address\" \"city\"}}",
        "{{index .parameters.tags 1}}",
        "{{index .parameters.tags 2}}",
        "{{(index .m \"nested\").deep}}",
        "{{(index .m \"nested\").missing}}",
        "{{(index .arr 0).x}}",
        "{{(index .m \"missing\").x}}",
        "{{$k := \"k\"}}{{index .m $k}}",
        "{{$i := 1}}{{index .arr $i}}",
        "{{index $ \"s\"}}",
        "{{index . \"s\"}}",
        "{{with .m}}{{index . \"k\"}}{{end}}",
        "{{if index .m \"k\"}}has k{{end}}",
        "{{if index .m \"missing\"}}has{{else}}not{{end}}",
        "{{eq (index .parameters \"order-number\") \"N-1\"}}",
    ]);
    g.d("{{index . 0}}|{{index . 1}}", json!(["first", 2]));
    g.d("{{index . 2}}", json!(["first", 2]));
    g.d("{{index . \"\"}}", json!({"": "empty key"}));
    g.d("{{index . \"a b\"}}", json!({"a b": "spaced"}));
    g.d("{{index . \"é\"}}", json!({"é": "accent"}));
    g.done()
}

fn variables() -> Group {
    let mut g = G::new("variables");
    g.all(&[
        "{{$x := .s}}{{$x}}",
        "{{$x := 1}}{{$x}}",
        "{{$x := 1.5}}{{$x}}",
        "{{$x := 1}}{{$x = 2}}{{$x}}",
        "{{$x := 1}}{{$x = \"s\"}}{{$x}}",
        "{{$x = 1}}",
        "{{$x}}",
        "{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}",
        "{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}",
        "{{if true}}{{$x := 1}}{{end}}{{$x}}",
        "{{with .m}}{{$x := .k}}{{$x}}{{end}}{{$x}}",
        "{{with $y := .m}}{{$y.k}}{{end}}",
        "{{with $y := .m}}{{$y.k}}{{end}}{{$y}}",
        "{{with $y := .missing}}{{$y}}{{else}}none:{{$y}}{{end}}",
        "{{if $v := .s}}{{$v}}{{else}}no{{end}}",
        "{{if $v := .e}}{{$v}}{{else}}empty[{{$v}}]{{end}}",
        "{{if $v := .missing}}{{$v}}{{else}}missing[{{$v}}]{{end}}",
        "{{$}}",
        "{{$.s}}",
        "{{$.m.k}}",
        "{{$.missing}}",
        "{{$.m.missing}}",
        "{{with .m}}{{$.s}}/{{.k}}{{end}}",
        "{{with .m.nested}}{{$.m.k}}{{.deep}}{{end}}",
        "{{$x := .m}}{{$x.k}}",
        "{{$x := .m}}{{$x.nested.deep}}",
        "{{$x := .m}}{{$x.missing}}",
        "{{$x := .one}}{{$x.y}}",
        "{{$x := .n}}{{$x.y}}",
        "{{$x := .missing}}{{$x}}",
        "{{$x := .missing}}{{$x.y}}",
        "{{$x := eq .s \"x\"}}{{$x}}",
        "{{$x := and .e .s}}{{$x}}",
        "{{$x := index .arr 1}}{{$x}}",
        "{{$x := (eq 1 1)}}{{not $x}}",
        "{{$a := 1}}{{$b := 2}}{{$a}}{{$b}}",
        "{{$a := 1}}{{$a := 2}}{{$a}}",
        "{{$a, $b := 1}}",
        "{{$a := }}",
        "{{$a :=}}",
        "{{$ := 1}}",
        "{{$x := 1 2}}",
        "{{$x := 1}}{{$x 2}}",
        "{{$x.y := 1}}",
        "{{$x := 1}}{{$x := $x}}{{$x}}",
        "{{$x_1 := \"a\"}}{{$x_1}}",
        "{{$é := \"unicode name\"}}{{$é}}",
        "{{$x := .s}}{{if eq $x \"x\"}}match{{end}}",
        "{{$x := 0.0}}{{if .t}}{{$x = 1.5}}{{end}}{{gt $x 1.0}}",
        "{{$x := \"a\"}}{{with .m}}{{$x = .k}}{{end}}{{$x}}",
        "{{$x := 1}}{{with $x := 2}}{{$x}}{{end}}{{$x}}",
        "{{$1 := 1}}",
        "{{$x := 1}} {{- $x -}} {{$x}}",
    ]);
    g.done()
}

fn trim() -> Group {
    let mut g = G::new("trim");
    g.all(&[
        "a  {{- .s -}}  b",
        "a  {{- .s}}  b",
        "a  {{.s -}}  b",
        "a\n\t {{- .s}}",
        "{{.s -}}\n\n b",
        "{{- .s}}",
        "{{.s -}}",
        "  {{- .s -}}  ",
        "{{-3}}",
        "{{- 3}}",
        "{{3 -}}",
        "{{3-}}",
        "{{-3 -}} x",
        "x {{-3}}",
        "{{-.s}}",
        "{{ -3}}",
        "{{- -3 -}}",
        "{{-  3  -}}",
        "a {{- /* c */ -}} b",
        "a {{- /* c */}} b",
        "a {{/* c */ -}} b",
        "a {{-/* c */}} b",
        "a {{/* c */-}} b",
        "x {{- if .t}} y {{- end}} z",
        "x {{- if .t -}} y {{- end -}} z",
        "x\n{{- if .f}} y {{- else -}}\n  n  {{- end}}\nz",
        "[ {{- with .m}} {{- .k -}} {{end -}} ]",
        "a\r\n{{- .s}}",
        "{{.s -}}\r\n\tb",
        "a\u{a0}{{- .s -}}\u{a0}b",
        "a\u{2003}{{- .s}}",
        "a\u{b}{{- .s}}",
        "a\u{c}{{- .s}}",
        "\n\n\n{{- .s -}}\n\n\n",
        "{{- -}}",
        "{{- }}",
        "{{ -}}",
        "{{-}}",
        "a {{- $x := 1 -}} b{{$x}}",
        "a {{- $x := 1}} b {{- $x -}} c",
        "{{.s}}{{- .s}}",
        "{{- .s -}}{{- .s -}}",
        "{{-1.5}}",
        "{{- 1.5}}",
        "{{-0x10}}",
        "{{- /* only a comment */ -}}",
        "{ {{- .s -}} }",
        "{\n  \"a\": \"{{- .s -}}\"\n}",
    ]);
    g.done()
}

fn comments() -> Group {
    let mut g = G::new("comments");
    g.all(&[
        "a{{/* c */}}b",
        "a{{/**/}}b",
        "a{{/* multi\nline\ncomment */}}b",
        "a{{ /* c */ }}b",
        "a{{/* c */ }}b",
        "a{{ /* c */}}b",
        "a{{/* unclosed }}b",
        "a{{/* c */ .s}}b",
        "a{{.s /* c */}}b",
        "a{{/* {{.s}} */}}b",
        "a{{/* nested /* c */ */}}b",
        "a{{/* c *//* d */}}b",
        "{{/* c */}}",
        "{{- /* c */ -}}",
        "a {{- /* c */ -}}\n\n b",
        "a{{/* \"quoted\" and `raw` */}}b",
        "a{{/* c */}}{{.s}}{{/* d */}}b",
        "{{if .t}}{{/* inside if */}}yes{{end}}",
        "a{{/*c*/}}b",
        "a{{/* ünïcödé 🦀 */}}b",
        "a{{/ * c * /}}b",
        "a{{*/}}b",
    ]);
    g.done()
}

fn literals() -> Group {
    let mut g = G::new("literals");
    g.all(&[
        "{{42}}",
        "{{-7}}",
        "{{+5}}",
        "{{0}}",
        "{{-0}}",
        "{{007}}",
        "{{0x1F}}",
        "{{0X1f}}",
        "{{0x_1F}}",
        "{{0o17}}",
        "{{0O17}}",
        "{{017}}",
        "{{0b101}}",
        "{{0B101}}",
        "{{1_000_000}}",
        "{{1__0}}",
        "{{_1}}",
        "{{1_}}",
        "{{0x}}",
        "{{0b2}}",
        "{{09}}",
        "{{08.5}}",
        "{{3.0}}",
        "{{3.5}}",
        "{{-3.5}}",
        "{{.5}}",
        "{{5.}}",
        "{{-.5}}",
        "{{1e6}}",
        "{{1E6}}",
        "{{1e+6}}",
        "{{1e-5}}",
        "{{1.5e3}}",
        "{{.5e3}}",
        "{{1e21}}",
        "{{1e20}}",
        "{{1e-4}}",
        "{{0.0001}}",
        "{{0.00001}}",
        "{{123456789.0}}",
        "{{999999.0}}",
        "{{1000000.0}}",
        "{{-0.0}}",
        "{{0.1}}",
        "{{0.30000000000000004}}",
        "{{1e308}}",
        "{{1e309}}",
        "{{1e400}}",
        "{{5e-324}}",
        "{{1e-400}}",
        "{{0x1p4}}",
        "{{0x1.8p1}}",
        "{{0x1p-2}}",
        "{{1_000.000_1}}",
        "{{9223372036854775807}}",
        "{{-9223372036854775808}}",
        "{{9223372036854775808}}",
        "{{18446744073709551615}}",
        "{{18446744073709551616}}",
        "{{123456789012345678901234567890}}",
        "{{9007199254740993}}",
        "{{9007199254740993.0}}",
        "{{1e}}",
        "{{1.2.3}}",
        "{{1x}}",
        "{{--1}}",
        "{{'a'}}",
        "{{'é'}}",
        "{{'日'}}",
        "{{'\\n'}}",
        "{{'\\t'}}",
        "{{'\\''}}",
        "{{'\\\\'}}",
        "{{'\\x41'}}",
        "{{'\\101'}}",
        "{{'\\u00e9'}}",
        "{{'\\U0001F980'}}",
        "{{'ab'}}",
        "{{''}}",
        "{{'\\q'}}",
        "{{'a}}",
        "{{\"plain\"}}",
        "{{\"\"}}",
        "{{\"a\\tb\"}}",
        "{{\"a\\nb\"}}",
        "{{\"a\\\"b\"}}",
        "{{\"a\\\\b\"}}",
        "{{\"\\x41\\x42\"}}",
        "{{\"\\101\"}}",
        "{{\"\\u00e9\"}}",
        "{{\"\\U0001F980\"}}",
        "{{\"\\a\\b\\f\\v\\r\"}}",
        "{{\"'\"}}",
        "{{\"bad \\q\"}}",
        "{{\"unterminated}}",
        "{{\"new\nline\"}}",
        "{{\"héllo 日本 🦀\"}}",
        "{{\"{{\"}}",
        "{{\"}}\"}}",
        "{{`raw`}}",
        "{{`raw\\n`}}",
        "{{`two\nlines`}}",
        "{{`\"quotes\"`}}",
        "{{``}}",
        "{{`unterminated}}",
        "{{`}}`}}",
        "{{true}}",
        "{{false}}",
        "{{nil}}",
        "{{true false}}",
        "{{True}}",
        "{{.}}",
        "{{1 2}}",
        "{{\"a\" \"b\"}}",
    ]);
    g.done()
}

fn printing() -> Group {
    let mut g = G::new("printing");
    let numbers = [
        "0",
        "-0",
        "-0.0",
        "1",
        "-1",
        "999999",
        "1000000",
        "1e6",
        "1000001",
        "12345678",
        "-999999",
        "-1000000",
        "100000",
        "123456.7",
        "999999.9",
        "999999.99999",
        "1e20",
        "1e21",
        "1e22",
        "123456789012345680000",
        "1e-4",
        "0.0001",
        "0.00012345",
        "1e-5",
        "0.00001",
        "0.00001234",
        "1e-7",
        "0.1",
        "0.2",
        "0.3",
        "1.1",
        "2.675",
        "100",
        "1.5",
        "-2.5e-7",
        "3.14159",
        "1e100",
        "1e-100",
        "9007199254740992",
        "9007199254740993",
        "9007199254740994",
        "18014398509481985",
        "1.7976931348623157e308",
        "-1.7976931348623157e308",
        "5e-324",
        "2.2250738585072014e-308",
        "4.9406564584124654e-324",
        "123456789",
        "1234567.0",
        "0.000001",
        "33.333333333333336",
    ];
    for n in numbers {
        g.raw("{{.v}}", &format!("{{\"v\": {n}}}"));
    }
    let nums = numbers.join(", ");
    g.raw("{{.v}}", &format!("{{\"v\": [{nums}]}}"));
    for v in [
        json!(""),
        json!("plain"),
        json!("say \"hi\""),
        json!("it's"),
        json!("back\\slash"),
        json!("line1\nline2"),
        json!("tab\there"),
        json!("cr\r\nlf"),
        json!("héllo 日本 🦀"),
        json!("<no value>"),
        json!("<>&'\""),
        json!("\u{0}nul"),
        json!("\u{7f}\u{1b}[0m"),
        json!("%v %s %d %%"),
        json!("{{.s}}"),
        json!(true),
        json!(false),
        json!(null),
        json!([]),
        json!({}),
        json!([1, "a", null, true, [], {}]),
        json!([[1, [2, [3]]]]),
        json!(["a b", "c"]),
        json!(["", ""]),
        json!({"b": 1, "a": "x", "c": null}),
        json!({"B": 1, "a": 2, "_": 3, "1": 4, "é": 5, "Z": 6}),
        json!({"k": {"nested": {"deeper": [1, {"x": null}]}}}),
        json!({"a": "x y", "b": "z"}),
        json!({"a": ""}),
        json!({"": "empty key"}),
        json!({"a b": 1, "a": 2}),
        json!({"list": [1e6, 1e21, 1e-5, -0.0, 9_007_199_254_740_993_u64]}),
        json!({"q": "\"quoted\"", "nl": "a\nb"}),
        json!([{"a": 1}, {"b": [null]}]),
    ] {
        g.d("{{.v}}", json!({ "v": v }));
        g.d("[{{.v}}]", json!({ "v": v }));
    }
    g.all(&[
        "{{.missing}}",
        "[{{.missing}}]",
        "{{.m.missing}}",
        "{{.m}}",
        "{{.arr}}",
        "{{.nested_arr}}",
        "{{.parameters}}",
        "{{.parameters.address}}",
        "{{.parameters.tags}}",
        "{{.variables}}",
        "{{.static_variables}}",
        "{{.}}",
        "{{$}}",
        "{{.n}}",
        "{{.m.null}}",
        "{{index .arr 2}}",
        "{{.big}} {{.nines}} {{.e21}} {{.tiny}} {{.p53}} {{.negzero}} {{.pi}} {{.neg}}",
        "{{.q}} {{.u}} {{.nl}} {{.tab}} {{.html}} {{.bs}}",
        "\"{{.q}}\"",
        "{\"text\": \"{{.html}}\"}",
        "{{.t}}{{.f}}",
        "{{eq 1 1}}",
        "{{1.0}}",
        "{{2.50}}",
    ]);
    g.done()
}

/// JSON number texts that a decoder can get wrong: the data is given as text and must be decoded
/// the way Go's encoding/json does (correctly rounded float64).
fn json_numbers() -> Group {
    let mut g = G::new("json_numbers");
    for n in [
        "0.1000000000000000055511151231257827",
        "0.10000000000000001",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203126",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "7.038531e-26",
        "123456789012345678901234567890",
        "1234567890123456789012345678901234567890e-20",
        "9007199254740993",
        "9007199254740993.0",
        "9007199254740995",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "4.9e-324",
        "2.4703282292062328e-324",
        "2.4703282292062327e-324",
        "1e-400",
        "-1e-400",
        "8.988465674311579e307",
        "0.000000000000000000000000000000000001",
        "1E2",
        "1e+2",
        "100e-2",
        "0e10",
        "-0e-10",
        "3.0000000000000004",
        "0.3",
        "1.5e300",
        "6.02214076e23",
        "4503599627370497.5",
        "4503599627370496.5",
        "1152921504606846977",
    ] {
        g.raw("{{.v}}", &format!("{{\"v\": {n}}}"));
        g.raw("{{eq .v 0.1}} {{gt .v 1.0}}", &format!("{{\"v\": {n}}}"));
    }
    g.done()
}

fn missing() -> Group {
    let mut g = G::new("missing");
    g.all(&[
        "{{.missing}}",
        "{{.missing.x}}",
        "{{.missing.x.y}}",
        "{{.m.missing}}",
        "{{.m.missing.x}}",
        "{{.m.nested.missing}}",
        "{{.parameters.phone}}",
        "{{.variables.missing}}",
        "{{.static_variables.missing}}",
        "{{if .missing}}T{{else}}F{{end}}",
        "{{if .parameters.phone}}{{.parameters.phone}}{{end}}",
        "{{with .missing}}W{{else}}E{{end}}",
        "{{with .parameters.phone}}{{.}}{{else}}no phone{{end}}",
        "{{not .missing}}",
        "{{.missing | not}}",
        "{{eq .missing \"\"}}",
        "{{eq .missing 0.0}}",
        "{{eq .missing nil}}",
        "{{ne .missing nil}}",
        "{{lt .missing 1.0}}",
        "{{index .m \"missing\"}}",
        "{{index .missing \"x\"}}",
        "{{and .missing.x 1}}",
        "{{and 1 .missing.x}}",
        "{{or .missing.x \"default\"}}",
        "{{or .missing \"default\"}}",
        "{{$x := .missing}}[{{$x}}]",
        "{{$x := .m.missing}}{{if $x}}T{{else}}F{{end}}",
        "{{.n.x}}",
        "{{.m.null.x}}",
        "{{index .m \"null\"}}",
        "{{.em.x}}",
        "{{.em.x.y}}",
        "{{$.missing}}",
        "{{with .m}}{{.missing}}{{end}}",
        "{{with .m}}{{$.missing}}{{end}}",
        "{{if .m.k}}{{.m.missing}}{{end}}",
        "{{if .f}}{{.missing}}{{end}}ok",
        "{{if .t}}{{else}}{{.missing}}{{end}}ok",
        "{{(.missing)}}",
        "{{(.missing).x}}",
        "{{(index .m \"missing\").x}}",
    ]);
    g.d("{{.x}}", json!(null));
    g.d("{{.x.y}}", json!(null));
    g.d("{{if .x}}T{{else}}F{{end}}", json!(null));
    g.d("{{.x}}", json!({}));
    g.d("{{.parameters.x}}", json!({"parameters": {}}));
    g.d("{{.parameters.x}}", json!({"parameters": null}));
    g.d("{{.parameters.x}}", json!({}));
    g.done()
}

fn fields() -> Group {
    let mut g = G::new("fields");
    g.all(&[
        "{{.s}}",
        "{{.m.k}}",
        "{{.m.nested.deep}}",
        "{{.parameters.address.city}}",
        "{{.s.x}}",
        "{{.one.x}}",
        "{{.t.x}}",
        "{{.arr.x}}",
        "{{.ea.x}}",
        "{{.arr.0}}",
        "{{.m.k.x}}",
        "{{.m.n.x}}",
        "{{.n.x}}",
        "{{.parameters.order-number}}",
        "{{.parameters.order_number}}",
        "{{.parameters.Order_id}}",
        "{{.m.k 1}}",
        "{{.m 1}}",
        "{{.s 1}}",
        "{{.m.nested \"x\"}}",
        "{{.m.k | .x}}",
        "{{. 1}}",
        "{{.a.}}",
        "{{..}}",
        "{{.a..b}}",
        "{{. a}}",
        "{{.1}}",
        "{{.a.1}}",
        "{{.é}}",
        "{{.日本}}",
        "{{.a-b}}",
        "{{.a_b}}",
        "{{._}}",
        "{{.m.nested.deep.x}}",
        "{{(.m).k}}",
        "{{(.m.nested).deep}}",
        "{{(.s).x}}",
        "{{(1).x}}",
        "{{(nil).x}}",
        "{{(\"s\").x}}",
        "{{(eq 1 1).x}}",
        "{{$.m.k}}",
    ]);
    g.d("{{.é}}", json!({"é": "accent"}));
    g.d("{{.a_b}}", json!({"a_b": "underscore"}));
    g.d("{{._}}", json!({"_": "underscore only"}));
    g.d("{{.Upper}} {{.upper}}", json!({"Upper": "U", "upper": "u"}));
    g.d("{{.x}}", json!([1, 2]));
    g.d("{{.x}}", json!("string root"));
    g.d("{{.x}}", json!(1.5));
    g.d("{{.x}}", json!(true));
    g.done()
}

fn parse_errors() -> Group {
    let mut g = G::new("parse_errors");
    g.all(&[
        "{{",
        "{{.s",
        "{{.s}",
        "text {{",
        "}}",
        "a }} b",
        "{}",
        "{{}}",
        "{{ }}",
        "{{end}}",
        "{{else}}",
        "{{if .t}}",
        "{{if .t}}x",
        "{{if .t}}{{else}}",
        "{{if .t}}{{else}}{{else}}{{end}}",
        "{{if .t}}{{end}}{{end}}",
        "{{if}}{{end}}",
        "{{with}}{{end}}",
        "{{if .t .f}}{{end}}",
        "{{with .m}}",
        "{{if .t}}{{else if}}{{end}}",
        "{{if .t}}{{else with .m}}{{end}}",
        "{{if .t}}{{else foo}}{{end}}",
        "{{foo}}",
        "{{foo .s}}",
        "{{Eq 1 1}}",
        "{{$y}}",
        "{{(}}",
        "{{)}}",
        "{{(.s}}",
        "{{.s)}}",
        "{{()}}",
        "{{|}}",
        "{{.s |}}",
        "{{| .s}}",
        "{{.s | | not}}",
        "{{.s | 1}}",
        "{{.s | \"x\"}}",
        "{{:= 1}}",
        "{{1 := 2}}",
        "{{.s := 2}}",
        "{{= 1}}",
        "{{@}}",
        "{{#}}",
        "{{.s ;}}",
        "{{.s,}}",
        "{{!}}",
        "{{.s\n}}",
        "{{\n.s\n}}",
        "{{if .t\n}}yes{{end}}",
        "{{break}}",
        "{{continue}}",
        "{{if .t}}{{break}}{{end}}",
        "{{else if .t}}{{end}}",
        "{{end if}}",
        "{{if .t}}{{end .t}}",
        "{{else .t}}",
        "{{if .t}}{{else .t}}{{end}}",
        "{{with .m}}{{else}}{{else}}{{end}}",
        "{{ {{.s}}",
        "{{{.s}}}",
        "{{.s}}}",
        "{{{{.s}}}}",
        "{{/*}}",
        "{{*/}}",
        "{{nil}}",
        "{{nil.x}}",
        "{{true.x}}",
        "{{\"s\".x}}",
        "{{1.x}}",
        "{{$.}}",
        "{{$x.}}",
        "{{.s.}}",
        "{{if .t}}\n\n{{end}}\n{{end}}",
        "line 1\nline 2\n{{if}}",
        "line 1\n{{.s\nline 3",
        "a\nb\nc\n{{foo}}",
        "{{\"a\" 'b}}",
        "{{'}}",
        "{{\"}}",
        "{{`}}",
    ]);
    g.done()
}

fn control() -> Group {
    let mut g = G::new("control");
    g.all(&[
        "{{if .t}}A{{else}}B{{end}}",
        "{{if .f}}A{{else}}B{{end}}",
        "{{if .f}}A{{else if .t}}B{{else}}C{{end}}",
        "{{if .f}}A{{else if .e}}B{{else}}C{{end}}",
        "{{if .f}}A{{else if .e}}B{{else if .s}}C{{end}}",
        "{{if .f}}A{{else if .missing}}B{{else}}C{{end}}",
        "{{if .t}}{{if .f}}A{{else}}B{{end}}{{else}}C{{end}}",
        "{{if .t}}{{if .t}}{{if .t}}deep{{end}}{{end}}{{end}}",
        "{{with .m}}{{.k}}{{end}}",
        "{{with .m}}{{.k}}{{else}}none{{end}}",
        "{{with .em}}{{.k}}{{else}}none{{end}}",
        "{{with .ea}}x{{else}}none{{end}}",
        "{{with .m.nested}}{{.deep}}{{end}}",
        "{{with .m}}{{with .nested}}{{.deep}}{{end}}{{end}}",
        "{{with .arr}}{{index . 1}}{{end}}",
        "{{with .s}}{{.}}{{end}}",
        "{{with .s}}{{.x}}{{end}}",
        "{{with .one}}{{.}}{{end}}",
        "{{with .z}}{{.}}{{else}}zero{{end}}",
        "{{with .missing}}{{.}}{{else}}missing{{end}}",
        "{{with .m}}{{$.s}}{{.k}}{{$.m.k}}{{end}}",
        "{{with .m}}{{.}}{{end}}",
        "{{with $m := .m}}{{$m.k}}{{.k}}{{end}}",
        "{{with .m}}{{else}}{{.k}}{{end}}",
        "{{with .e}}{{else}}[{{.}}]{{end}}",
        "{{if eq .s \"x\"}}x{{else if eq .s \"y\"}}y{{end}}",
        "{{if eq .parameters.qty 3.0}}three{{end}}",
        "{{if .parameters.tags}}tags: {{.parameters.tags}}{{end}}",
        "{{if .t}}{{end}}",
        "{{if .t}}{{else}}{{end}}",
        "{{with .m}}{{end}}",
        "{{if (eq .s \"x\")}}paren{{end}}",
        "{{if not .f}}not f{{end}}",
        "{{if .t}}\n  line\n{{end}}",
        "{{if .t -}}\n  line\n{{- end}}",
        "{{if index .m \"k\"}}{{index .m \"k\"}}{{end}}",
        "{{if .s}}{{.missing}}{{end}}",
        "{{if .t}}{{eq 1 1.0}}{{end}}",
        "{{if .f}}{{eq 1 1.0}}{{end}}ok",
        "{{if eq 1 1.0}}x{{end}}",
        "{{with eq 1 1.0}}x{{end}}",
        "{{if .t}}a{{else if eq 1 1.0}}b{{end}}",
        "{{if .f}}a{{else if eq 1 1.0}}b{{end}}",
        "{{if and .t (index .arr 10)}}x{{end}}",
    ]);
    g.done()
}

fn pipelines() -> Group {
    let mut g = G::new("pipelines");
    g.all(&[
        "{{.t | not}}",
        "{{.s | eq \"x\"}}",
        "{{.s | eq \"y\" \"x\"}}",
        "{{1.0 | eq .one}}",
        "{{1 | eq .one}}",
        "{{.s | and 1}}",
        "{{.e | or 0}}",
        "{{0 | and 1}}",
        "{{\"k\" | index .m}}",
        "{{0 | index .arr}}",
        "{{(eq 1 1) | not}}",
        "{{eq 1 1 | not}}",
        "{{.t | not | not}}",
        "{{.s | .m}}",
        "{{.s | $}}",
        "{{$x := .s | eq \"x\"}}{{$x}}",
        "{{if .s | eq \"x\"}}yes{{end}}",
        "{{with .m | not}}{{.}}{{else}}no{{end}}",
        "{{.missing | not}}",
        "{{.m.missing | eq nil}}",
        "{{2.0 | lt 1.0}}",
        "{{1.0 | lt 2.0}}",
        "{{1 | lt}}",
        "{{1 | not 2}}",
        "{{1 | index}}",
    ]);
    g.done()
}

/// Errors after multi-byte characters and on later lines: the reported line and column.
fn positions() -> Group {
    let mut g = G::new("positions");
    g.all(&[
        "é日本{{.s.x}}",
        "🦀🦀 {{index .arr 9}}",
        "line1\nline2 {{index .arr 9}}",
        "line1\nline2\n\tline3 {{eq .s 1}}",
        "{{if .t}}\n  {{.m.k.x}}\n{{end}}",
        "{{if .t}}\n  héllo {{lt .t .f}}\n{{end}}",
        "{{.s}}\n{{.s}}\n{{.missing}}",
        "{{with .m}}\n\n  {{.missing.x}}{{end}}",
        "{{and 1\n  (index .arr 9)}}",
        "{{eq\n.s\n1}}",
        "{{.m.nested.deep.x}}",
        "{{$x := .one}}\n{{$x.y}}",
        "{{ index .arr 9 }}",
        "x{{- index .arr 9 -}}",
        "{{(index .arr 9)}}",
        "{{not (index .arr 9)}}",
        "{{eq .s (index .arr 9)}}",
        "ab\r\ncd {{index .arr 9}}",
        "{{\"é\"}} {{.s.x}}",
        "{{/* é */}}{{.s.x}}",
        "{{`a\nb`}}{{.s.x}}",
    ]);
    g.done()
}

/// Realistic API-call action bodies.
fn bodies() -> Group {
    let mut g = G::new("bodies");
    let order = json!({
        "parameters": {
            "order_id": "ORD-12345", "qty": 3, "price": 1_000_000, "email": "a@b.c",
            "note": "he said \"hi\"\nthen left", "priority": "high",
            "order-number": "N-1", "items": ["a", "b"], "address": {"city": "Paris"}
        },
        "variables": {"customer_id": "C-9", "verified": true, "attempts": 0},
        "static_variables": {"api_version": "v2", "tenant": "acme"}
    });
    let sparse = json!({
        "parameters": {"order_id": "ORD-1"},
        "variables": {},
        "static_variables": {"api_version": "v1"}
    });
    let templates = [
        "{\"order_id\": \"{{.parameters.order_id}}\", \"qty\": {{.parameters.qty}}}",
        "{\n  \"order_id\": \"{{.parameters.order_id}}\"\n  {{- if .parameters.email}},\n  \"email\": \"{{.parameters.email}}\"\n  {{- end}}\n}",
        "{\"price\": {{.parameters.price}}}",
        "{\"note\": \"{{.parameters.note}}\"}",
        "{\"number\": \"{{index .parameters \"order-number\"}}\"}",
        "{\"items\": \"{{.parameters.items}}\", \"address\": \"{{.parameters.address}}\"}",
        "{\"customer\": \"{{.variables.customer_id}}\", \"v\": \"{{.static_variables.api_version}}\"}",
        "{{if eq .parameters.priority \"high\" \"urgent\"}}{\"escalate\": true}{{else}}{\"escalate\": false}{{end}}",
        "{{if .variables.verified}}{\"verified\": true}{{else}}{\"verified\": false}{{end}}",
        "{{if gt .parameters.qty 2.0}}bulk{{else}}single{{end}}",
        "{{if gt .parameters.qty 2}}bulk{{end}}",
        "{{with .parameters.address}}{\"city\": \"{{.city}}\", \"tenant\": \"{{$.static_variables.tenant}}\"}{{end}}",
        "{{$id := .parameters.order_id}}{\"id\": \"{{$id}}\", \"again\": \"{{$id}}\"}",
        "{\"attempts\": {{.variables.attempts}}, \"first\": {{eq .variables.attempts 0.0}}}",
        "{\"email\": \"{{.parameters.email}}\"}",
        "{\"email\": {{if .parameters.email}}\"{{.parameters.email}}\"{{else}}null{{end}}}",
        "{\"tenant\": \"{{.static_variables.tenant}}\"}",
        "{{- /* order lookup */ -}}\n{\"order_id\": \"{{.parameters.order_id}}\"}\n",
        "{\"q\": \"{{or .parameters.query \"*\"}}\"}",
        "{\"all\": \"{{.}}\"}",
    ];
    for t in templates {
        g.d(t, order.clone());
        g.d(t, sparse.clone());
    }
    g.done()
}

/// The data itself of every kind, and `.` / `$` at the root.
fn roots() -> Group {
    let mut g = G::new("roots");
    for v in values() {
        g.d("{{.}}", v.clone());
        g.d("{{$}}", v.clone());
        g.d("{{.x}}", v);
    }
    g.d("{{.}}", json!(1e6));
    g.d("{{.}}", json!("root string"));
    g.d("{{index . 1}}", json!([0, "one"]));
    g.d("{{with .}}{{.}}{{end}}", json!("w"));
    g.raw("{{.}}", "[1e6, 1e21, 1e-5, -0, 9007199254740993]");
    g.done()
}
