//! Generated corpus cases: random templates inside PolyAI's subset of Go's `text/template`
//! (text, `if`/`else if`/`else`/`end`, `with`/`else`/`end`, `$v :=` and `$v =`, field chains,
//! `index`, `eq ne lt le gt ge and or not` with literals, fields and parenthesised pipelines,
//! pipes, trim markers, comments) crossed with random JSON data built from the edge cases
//! (999999, 1e6, 1e21, 1e-5, 2^53+1, -0, quotes, unicode, newlines, nulls, empty strings, arrays
//! and objects, nesting) and with keys the templates ask for that the data may not have. No
//! `range`, `template`, `define`, `block` and no other function is ever produced.
//!
//! The generator is seeded and deterministic: the same seed writes the same files.

use serde_json::{Map, Value, json};

use super::{Case, Group, MODES, Rng};

/// The seed of the generated groups.
const SEED: u64 = 0x5eed_0012;
/// Generated groups and cases per group.
const GROUPS: usize = 4;
const CASES_PER_GROUP: usize = 600;

/// Keys the data and the templates draw from (some of them are always missing: `missing`,
/// `absent`).
const KEYS: &[&str] = &[
    "a", "b", "c", "id", "qty", "price", "name", "email", "items", "nested", "flag", "none",
    "empty", "big", "tiny", "missing", "absent",
];
const TOP_KEYS: &[&str] = &[
    "parameters",
    "variables",
    "static_variables",
    "a",
    "b",
    "missing",
];

pub(crate) fn groups() -> Vec<Group> {
    let mut rng = Rng::new(SEED);
    (0..GROUPS)
        .map(|g| {
            let name = format!("generated_{g}");
            let cases = (0..CASES_PER_GROUP)
                .map(|i| {
                    let data = data(&mut rng);
                    let template = Template::new(&mut rng).build();
                    let mode = *rng.pick(&MODES);
                    Case {
                        name: format!("{name}/{i:04}/{mode}"),
                        template,
                        data: Some(data.to_string()),
                        missing_key: mode,
                    }
                })
                .collect();
            Group {
                name,
                data: None,
                cases,
            }
        })
        .collect()
}

/// A leaf value from the edge cases.
fn leaf(rng: &mut Rng) -> Value {
    match rng.below(30) {
        0 => json!(999_999),
        1 => json!(1_000_000),
        2 => json!(1e21),
        3 => json!(1e-5),
        4 => json!(9_007_199_254_740_993_u64),
        5 => json!(-0.0),
        6 => json!(0),
        7 => json!(1),
        8 => json!(2.5),
        9 => json!(-3),
        10 => json!(0.1),
        11 => json!(12_345_678),
        12 => json!(""),
        13 => json!("x"),
        14 => json!("say \"hi\""),
        15 => json!("héllo 日本 🦀"),
        16 => json!("line1\nline2"),
        17 => json!("tab\tand \\ backslash"),
        18 => json!("<a>&amp;</a>"),
        19 => json!(null),
        20 => json!(true),
        21 => json!(false),
        22 => json!([]),
        23 => json!({}),
        24 => json!("0"),
        25 => json!(" "),
        26 => json!(3),
        27 => json!(1e6 + 0.5),
        28 => json!(-1e-7),
        _ => json!("ORD-12345"),
    }
}

fn value(rng: &mut Rng, depth: usize) -> Value {
    if depth >= 3 {
        return leaf(rng);
    }
    match rng.below(10) {
        0 | 1 => object(rng, depth + 1),
        2 => Value::Array((0..rng.below(4)).map(|_| value(rng, depth + 1)).collect()),
        _ => leaf(rng),
    }
}

fn object(rng: &mut Rng, depth: usize) -> Value {
    let mut map = Map::new();
    for _ in 0..rng.below(6) {
        let key = *rng.pick(KEYS);
        if key != "missing" && key != "absent" {
            map.insert(key.to_string(), value(rng, depth));
        }
    }
    Value::Object(map)
}

/// The data of a case: mostly an action's three documents, sometimes something else.
fn data(rng: &mut Rng) -> Value {
    match rng.below(20) {
        0 => json!(null),
        1 => value(rng, 1),
        _ => {
            let mut map = Map::new();
            for key in ["parameters", "variables", "static_variables", "a", "b"] {
                if rng.chance(85) {
                    map.insert(key.to_string(), object(rng, 1));
                }
            }
            Value::Object(map)
        }
    }
}

/// Builds one template, tracking the variables in scope so that every `$v` it uses is declared
/// (Go refuses undeclared variables at parse time; a few cases still test that on purpose in
/// the hand-written groups).
struct Template<'r> {
    rng: &'r mut Rng,
    scopes: Vec<Vec<String>>,
    out: String,
}

const TEXT: &[&str] = &[
    "x", " ", "  ", "\n", "\t", "\"", "'", "{", "}", ":", ",", "é", "日本", "🦀", "a b", "\\",
    "<>&", "{\"k\": ", "\r\n", "-", "$", ".", "|", "()", "/*", "*/",
];
const FLOATS: &[&str] = &[
    "0.0",
    "1.0",
    "2.5",
    "-0.0",
    "1e6",
    "1e-5",
    "999999.0",
    "1e21",
    "9007199254740993.0",
    "0.1",
    "3.0",
    ".5",
    "-3.0",
    "1000000.0",
];
const INTS: &[&str] = &[
    "0", "1", "2", "3", "-1", "0x10", "1_000", "'a'", "0b1", "0o7",
];
const STRINGS: &[&str] = &[
    "\"x\"",
    "\"\"",
    "\"0\"",
    "\"say \\\"hi\\\"\"",
    "\"é\"",
    "\"a\\nb\"",
    "`raw`",
    "`x`",
    "\"ORD-12345\"",
    "\"héllo 日本 🦀\"",
];

impl<'r> Template<'r> {
    fn new(rng: &'r mut Rng) -> Template<'r> {
        Template {
            rng,
            scopes: vec![Vec::new()],
            out: String::new(),
        }
    }

    fn build(mut self) -> String {
        let n = 1 + self.rng.below(5);
        self.items(n, 0);
        self.out
    }

    fn items(&mut self, n: usize, depth: usize) {
        for _ in 0..n {
            self.item(depth);
        }
    }

    fn item(&mut self, depth: usize) {
        let roll = self.rng.below(100);
        match roll {
            0..=24 => self.text(),
            25..=54 => {
                let pipeline = self.pipeline(0);
                self.action(&pipeline);
            }
            55..=66 if depth < 3 => self.if_block(depth),
            67..=74 if depth < 3 => self.with_block(depth),
            75..=84 => self.declare(),
            85..=89 if self.has_vars() => {
                let var = self.var();
                let expr = self.expr(0);
                self.action(&format!("{var} = {expr}"));
            }
            90..=94 => {
                let comment = *self.rng.pick(&["/* c */", "/* é\nnote */", "/**/"]);
                let (l, r) = if self.rng.chance(40) {
                    ("{{- ", " -}}")
                } else {
                    ("{{", "}}")
                };
                self.out.push_str(l);
                self.out.push_str(comment);
                self.out.push_str(r);
            }
            _ => self.text(),
        }
    }

    fn text(&mut self) {
        for _ in 0..1 + self.rng.below(3) {
            let piece = *self.rng.pick(TEXT);
            self.out.push_str(piece);
        }
    }

    /// `{{` pipeline `}}` with random trim markers and spacing.
    fn action(&mut self, inner: &str) {
        let left = *self.rng.pick(&["{{", "{{", "{{", "{{ ", "{{- ", "{{-\n"]);
        let right = *self.rng.pick(&["}}", "}}", "}}", " }}", " -}}", "\t-}}"]);
        self.out.push_str(left);
        self.out.push_str(inner);
        self.out.push_str(right);
    }

    fn has_vars(&self) -> bool {
        self.scopes.iter().any(|s| !s.is_empty())
    }

    fn var(&mut self) -> String {
        let all: Vec<String> = self.scopes.iter().flatten().cloned().collect();
        self.rng.pick(&all).clone()
    }

    fn declare(&mut self) {
        let name = format!("${}", self.rng.pick(&["v", "x", "id", "n"]));
        let expr = self.expr(0);
        self.action(&format!("{name} := {expr}"));
        self.scopes.last_mut().expect("a scope").push(name);
    }

    fn if_block(&mut self, depth: usize) {
        self.block("if", depth);
    }

    fn with_block(&mut self, depth: usize) {
        self.block("with", depth);
    }

    /// `{{if c}}...{{else if c}}...{{else}}...{{end}}` (or `with`); a variable declared in the
    /// condition lives until `{{end}}`, one declared in a branch until the branch ends.
    fn block(&mut self, keyword: &str, depth: usize) {
        self.scopes.push(Vec::new());
        let condition = if self.rng.chance(15) {
            let name = "$c".to_string();
            let expr = self.expr(0);
            self.scopes.last_mut().expect("a scope").push(name.clone());
            format!("{name} := {expr}")
        } else {
            self.pipeline(0)
        };
        self.action(&format!("{keyword} {condition}"));
        self.branch(depth);
        if keyword == "if" && self.rng.chance(25) {
            let condition = self.pipeline(0);
            self.action(&format!("else if {condition}"));
            self.branch(depth);
        }
        if self.rng.chance(45) {
            self.action("else");
            self.branch(depth);
        }
        self.action("end");
        self.scopes.pop();
    }

    fn branch(&mut self, depth: usize) {
        self.scopes.push(Vec::new());
        let n = self.rng.below(4);
        self.items(n, depth + 1);
        self.scopes.pop();
    }

    /// An expression, optionally followed by a pipe into a function.
    fn pipeline(&mut self, depth: usize) -> String {
        let expr = self.expr(depth);
        if self.rng.chance(8) {
            let tail = match self.rng.below(5) {
                0 => "not".to_string(),
                1 => format!("eq {}", self.arg(depth + 1)),
                2 => format!("and {}", self.arg(depth + 1)),
                3 => format!("or {}", self.arg(depth + 1)),
                _ => format!("ne {}", self.arg(depth + 1)),
            };
            format!("{expr} | {tail}")
        } else {
            expr
        }
    }

    fn expr(&mut self, depth: usize) -> String {
        if depth < 2 && self.rng.chance(45) {
            self.call(depth)
        } else {
            self.arg(depth)
        }
    }

    fn call(&mut self, depth: usize) -> String {
        let wrong_count = self.rng.chance(4);
        let (function, count) = match self.rng.below(12) {
            0 | 1 => (
                "eq",
                2 + usize::from(self.rng.chance(30)) + usize::from(self.rng.chance(15)),
            ),
            2 => ("ne", 2),
            3 => ("lt", 2),
            4 => ("le", 2),
            5 => ("gt", 2),
            6 => ("ge", 2),
            7 => ("and", 1 + self.rng.below(3)),
            8 => ("or", 1 + self.rng.below(3)),
            9 => ("not", 1),
            _ => return self.index(depth),
        };
        let count = if wrong_count {
            match count {
                1 => 2,
                _ => count - 1,
            }
        } else {
            count
        };
        let mut out = function.to_string();
        let comparable = matches!(function, "eq" | "ne" | "lt" | "le" | "gt" | "ge");
        // Comparisons mostly compare things of one kind, so that not every case is an error.
        let kind = self.rng.below(4);
        for _ in 0..count {
            out.push(' ');
            let arg = if comparable && self.rng.chance(55) {
                self.literal_of(kind)
            } else {
                self.arg(depth + 1)
            };
            out.push_str(&arg);
        }
        out
    }

    fn index(&mut self, depth: usize) -> String {
        let collection = if self.rng.chance(70) {
            self.field_chain(1)
        } else {
            self.arg(depth + 1)
        };
        let mut out = format!("index {collection}");
        for _ in 0..self.rng.below(3) {
            out.push(' ');
            let key = match self.rng.below(10) {
                0..=4 => format!("\"{}\"", self.rng.pick(KEYS)),
                5..=7 => self.rng.below(4).to_string(),
                8 => "\"order-number\"".to_string(),
                _ => self.arg(depth + 1),
            };
            out.push_str(&key);
        }
        out
    }

    fn arg(&mut self, depth: usize) -> String {
        match self.rng.below(100) {
            0..=39 => self.field_chain(2),
            40..=49 if self.has_vars() => {
                let var = self.var();
                if self.rng.chance(30) {
                    format!("{var}.{}", self.rng.pick(KEYS))
                } else {
                    var
                }
            }
            50..=74 => {
                let kind = self.rng.below(4);
                self.literal_of(kind)
            }
            75..=86 if depth < 3 => {
                let inner = self.pipeline(depth + 1);
                if self.rng.chance(15) {
                    format!("({inner}).{}", self.rng.pick(KEYS))
                } else {
                    format!("({inner})")
                }
            }
            87..=90 => "$".to_string(),
            91..=93 => ".".to_string(),
            94..=96 => format!("$.{}", self.rng.pick(TOP_KEYS)),
            97 => "nil".to_string(),
            _ => self.field_chain(2),
        }
    }

    /// A literal: 0 float, 1 int, 2 string, 3 bool.
    fn literal_of(&mut self, kind: usize) -> String {
        match kind {
            0 => self.rng.pick(FLOATS).to_string(),
            1 => self.rng.pick(INTS).to_string(),
            2 => self.rng.pick(STRINGS).to_string(),
            _ => self.rng.pick(&["true", "false"]).to_string(),
        }
    }

    /// `.top.key.key`, the first key mostly one of the action's documents.
    fn field_chain(&mut self, max_extra: usize) -> String {
        let mut out = String::new();
        if self.rng.chance(80) {
            out.push('.');
            let key = *self.rng.pick(TOP_KEYS);
            out.push_str(key);
        } else {
            out.push('.');
            let key = *self.rng.pick(KEYS);
            out.push_str(key);
        }
        for _ in 0..self.rng.below(max_extra + 1) {
            out.push('.');
            let key = *self.rng.pick(KEYS);
            out.push_str(key);
        }
        out
    }
}
