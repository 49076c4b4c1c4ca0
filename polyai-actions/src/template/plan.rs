//! A flat form of the commonest templates, run without the tree walker.
//!
//! Most body templates are text, field chains printed as they are (`{{.parameters.date}}`)
//! and `{{if .field}} ... {{else}} ... {{end}}` on a field chain. For such a template,
//! [`Plan::new`] lays the tree out as one list of steps over one text buffer, and
//! [`Plan::run`] runs it over the data with a handful of lookups: no tree to chase.
//!
//! The plan decides only what it can decide exactly as the evaluator (`exec`) does, with the
//! evaluator's own printing and truth: printing a string, a number or a boolean that is there,
//! and the truth of a field that is there or (outside `missingkey=error`) missing. For anything else (a missing or null value to
//! print, an object or array to print, a field of something that is not an object) it stops
//! ([`Plan::run`] gives `false`) and the evaluator renders the template from the start, so
//! every error message and every rule of Go's stays the evaluator's. The tests run both on
//! many templates and documents.

use std::ops::Range;

use serde_json::{Map, Value};

use super::MissingKey;
use super::ast::{Command, Node, Operand, Pipeline};
use super::exec::{json_truth, push_json_scalar};

/// One step of a plan.
#[derive(Clone, Debug)]
enum Step {
    /// Copy this range of [`Plan::text`].
    Text(Range<u32>),
    /// Print the value of the field chain at this range of [`Plan::names`].
    Print(Range<u32>),
    /// When the field chain is false, go on at step `otherwise`.
    Unless { chain: Range<u32>, otherwise: u32 },
    /// Go on at step `to` (the end of an `if` whose first branch ran).
    Jump(u32),
}

/// A template laid out flat (see the [module docs](self)).
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    steps: Vec<Step>,
    /// Every field name, as ranges of [`Plan::text`].
    names: Vec<Range<u32>>,
    /// The text to copy and the field names, in one buffer.
    text: String,
}

impl Plan {
    /// The plan of a template whose nodes are `root`, when every node is text, a printed
    /// field chain, or an `if` on a field chain with such nodes inside.
    pub(crate) fn new(root: &[Node]) -> Option<Plan> {
        let mut plan = Plan {
            steps: Vec::new(),
            names: Vec::new(),
            text: String::new(),
        };
        plan.lay_out(root)?;
        Some(plan)
    }

    fn lay_out(&mut self, nodes: &[Node]) -> Option<()> {
        for node in nodes {
            match node {
                Node::Text(t) => {
                    let range = self.push_text(&t.text)?;
                    self.steps.push(Step::Text(range));
                }
                Node::Action(a) => {
                    let chain = self.chain(&a.pipeline)?;
                    self.steps.push(Step::Print(chain));
                }
                Node::If(n) => {
                    let chain = self.chain(&n.pipeline)?;
                    let test = self.steps.len();
                    self.steps.push(Step::Unless {
                        chain: chain.clone(),
                        otherwise: 0,
                    });
                    self.lay_out(&n.list)?;
                    let otherwise = match &n.else_list {
                        Some(else_list) => {
                            let jump = self.steps.len();
                            self.steps.push(Step::Jump(0));
                            let otherwise = self.index()?;
                            self.lay_out(else_list)?;
                            let end = self.index()?;
                            self.steps[jump] = Step::Jump(end);
                            otherwise
                        }
                        None => self.index()?,
                    };
                    self.steps[test] = Step::Unless { chain, otherwise };
                }
                Node::With(_) => return None,
            }
        }
        Some(())
    }

    fn index(&self) -> Option<u32> {
        u32::try_from(self.steps.len()).ok()
    }

    fn push_text(&mut self, text: &str) -> Option<Range<u32>> {
        let start = u32::try_from(self.text.len()).ok()?;
        self.text.push_str(text);
        Some(start..u32::try_from(self.text.len()).ok()?)
    }

    /// The field chain a pipeline is made of alone (`.a.b`: no declaration, no function, no
    /// second command or operand), as a range of [`Plan::names`].
    fn chain(&mut self, pipeline: &Pipeline) -> Option<Range<u32>> {
        if !pipeline.declarations.is_empty() {
            return None;
        }
        let [Command { args, .. }] = pipeline.commands.as_slice() else {
            return None;
        };
        let [Operand::Field(field)] = args.as_slice() else {
            return None;
        };
        let start = u32::try_from(self.names.len()).ok()?;
        for name in &field.names {
            let range = self.push_text(&name.name)?;
            self.names.push(range);
        }
        Some(start..u32::try_from(self.names.len()).ok()?)
    }

    fn slice(&self, range: &Range<u32>) -> &str {
        &self.text[range.start as usize..range.end as usize]
    }

    /// Where the field chain leads from the data's top level `top`.
    fn lookup<'d>(&self, top: &impl Fn(&str) -> Top<'d>, chain: &Range<u32>) -> Found<'d> {
        let names = &self.names[chain.start as usize..chain.end as usize];
        let Some((first, rest)) = names.split_first() else {
            return Found::Undecided;
        };
        let mut map = match (top(self.slice(first)), rest.is_empty()) {
            (Top::Missing, true) => return Found::MissingLast,
            (Top::Missing, false) => return Found::MissingEarlier,
            (Top::Value(value), true) => return Found::Value(value),
            (Top::Value(Value::Object(inner)) | Top::Object(inner), false) => inner,
            (Top::EmptyObject, false) if rest.len() == 1 => return Found::MissingLast,
            (Top::EmptyObject, false) => return Found::MissingEarlier,
            // An object ending the chain (to print or to test), or a field of a non-object.
            _ => return Found::Undecided,
        };
        for (k, name) in rest.iter().enumerate() {
            let last = k + 1 == rest.len();
            match map.get(self.slice(name)) {
                None if last => return Found::MissingLast,
                None => return Found::MissingEarlier,
                Some(value) if last => return Found::Value(value),
                Some(Value::Object(inner)) => map = inner,
                Some(_) => return Found::Undecided,
            }
        }
        Found::Undecided
    }

    /// Renders the plan over `data` into `out`; `false` when it stopped (see the
    /// [module docs](self)), having perhaps written part of the output.
    pub(crate) fn run(&self, data: &Value, mode: MissingKey, out: &mut String) -> bool {
        let Value::Object(data) = data else {
            return false;
        };
        self.run_over(
            &|name| data.get(name).map_or(Top::Missing, Top::Value),
            mode,
            out,
        )
    }

    /// [`Self::run`] over data whose top level is given by `top` (a key to what it holds),
    /// for data that is not one `Value` (the conversation's parts, borrowed where they are).
    pub(crate) fn run_over<'d>(
        &self,
        top: &impl Fn(&str) -> Top<'d>,
        mode: MissingKey,
        out: &mut String,
    ) -> bool {
        let mut at = 0;
        while let Some(step) = self.steps.get(at) {
            at += 1;
            match step {
                Step::Text(range) => out.push_str(self.slice(range)),
                Step::Print(chain) => match self.lookup(top, chain) {
                    Found::Value(value) if push_json_scalar(out, value) => {}
                    _ => return false,
                },
                Step::Unless { chain, otherwise } => {
                    let truth = match (self.lookup(top, chain), mode) {
                        (Found::Value(value), _) => json_truth(value),
                        // A missing key is Go's zero value, false; `missingkey=error` makes it
                        // an error, and under `missingkey=zero` a field of the zero value is
                        // one: the evaluator's to give.
                        (Found::MissingLast, MissingKey::Error) => return false,
                        (Found::MissingLast, _) => false,
                        (Found::MissingEarlier, MissingKey::Platform | MissingKey::GoDefault) => {
                            false
                        }
                        _ => return false,
                    };
                    if !truth {
                        at = *otherwise as usize;
                    }
                }
                Step::Jump(to) => at = *to as usize,
            }
        }
        true
    }
}

/// What a key of the data's top level holds, for [`Plan::run_over`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Top<'d> {
    /// No such key.
    Missing,
    /// This value.
    Value(&'d Value),
    /// An object, held as a map.
    Object(&'d Map<String, Value>),
    /// An empty object.
    EmptyObject,
}

/// Where a field chain leads.
enum Found<'d> {
    /// To this value.
    Value(&'d Value),
    /// Its last key is missing.
    MissingLast,
    /// A key before the last is missing.
    MissingEarlier,
    /// Through something that is not an object: the evaluator decides.
    Undecided,
}

#[cfg(test)]
mod tests {
    use super::super::{MissingKey, RenderOptions, Template};
    use super::Plan;
    use serde_json::{Value, json};

    const TEMPLATES: &[&str] = &[
        "",
        "plain text",
        "{{.a}}",
        "{{.a.b}}-{{.a.c}}",
        "{{ .a }} and {{- .n -}} and {{.t}}",
        r#"{"x": "{{.a.b}}", "n": {{.n}}, "t": {{.t}}}"#,
        "{{if .a}}yes{{end}}",
        "{{if .a.b}}{{.a.b}}{{else}}none{{end}}",
        "{{if .missing}}yes{{else}}no{{end}}",
        "{{if .missing.deeper}}yes{{else}}no{{end}}",
        "{{if .z}}z{{else if .e}}e{{else if .n}}n{{else}}none{{end}}",
        "{{if .a}}{{if .a.b}}ab{{else}}a{{end}}{{end}}!",
        "{{if .null}}x{{else}}y{{end}}",
        "{{if .list}}L{{end}}{{if .empty_list}}E{{end}}{{if .empty}}M{{end}}",
        "{{if .zero}}0{{end}}{{if .f}}F{{end}}{{if .e}}S{{end}}",
        "{{if .a.b.c}}x{{end}}",
        "{{if .s.x}}x{{end}}",
        "{{.missing}}",
        "{{.null}}",
        "{{.a}}",
        "{{.list}}",
        "{{.s.x}}",
        "{{.big}} {{.small}} {{.frac}} {{.neg}}",
        "{{if .a}}{{.missing}}{{end}}",
        // Not laid out: the evaluator alone.
        "{{with .a}}{{.b}}{{end}}",
        "{{if eq .s \"x\"}}x{{end}}",
        "{{$x := .a}}{{$x}}",
        "{{.a | not}}",
        "{{index .list 0}}",
        "{{.}}",
    ];

    fn documents() -> Vec<Value> {
        vec![
            json!({"a": {"b": "B", "c": 3}, "n": 4, "t": true, "s": "x", "list": [1],
                   "empty_list": [], "empty": {}, "zero": 0, "f": false, "e": "",
                   "null": null, "big": 1e21, "small": 0.00001, "frac": 2.5, "neg": -7,
                   "z": 0.0}),
            json!({"a": "text", "n": 1.5, "t": false, "s": {"x": "inner"}}),
            json!({"a": {"b": ""}, "n": 0, "t": "yes"}),
            json!({"a": null}),
            json!({}),
            json!([1, 2]),
            json!("scalar"),
            Value::Null,
        ]
    }

    const MODES: [MissingKey; 4] = [
        MissingKey::Platform,
        MissingKey::GoDefault,
        MissingKey::Zero,
        MissingKey::Error,
    ];

    /// Every template of [`TEMPLATES`] that is laid out flat, parsed, with its plan.
    fn plans() -> Vec<(&'static str, Template, Plan)> {
        TEMPLATES
            .iter()
            .filter_map(|source| {
                let template = Template::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
                let plan = Plan::new(template.root())?;
                Some((*source, template, plan))
            })
            .collect()
    }

    /// Checks that `out`, what the plan gave for `template` over `data`, is what the
    /// evaluator gives.
    fn assert_evaluator_gives(
        source: &str,
        template: &Template,
        data: &Value,
        mode: MissingKey,
        out: &str,
    ) {
        let options = RenderOptions::new().with_missing_key(mode);
        let mut expected = String::new();
        super::super::exec::execute(template, data, &options, &mut expected).unwrap_or_else(|e| {
            panic!("{source} over {data} ({mode:?}): the plan gave {out:?}, the evaluator {e}")
        });
        assert_eq!(out, expected, "{source} over {data} ({mode:?})");
    }

    #[test]
    fn runs_as_the_evaluator_does_wherever_it_answers() {
        let plans = plans();
        let mut answered = 0;
        for (source, template, plan) in &plans {
            for data in documents() {
                for mode in MODES {
                    let mut out = String::new();
                    if plan.run(&data, mode, &mut out) {
                        answered += 1;
                        assert_evaluator_gives(source, template, &data, mode, &out);
                    }
                }
            }
        }
        assert_eq!(plans.len(), 24, "templates laid out flat");
        assert_eq!(answered, 224, "renders the plan answered");
    }

    /// The plan over a top level given key by key (objects as maps, empty objects as such,
    /// as a conversation hands its parts over) answers as the evaluator does over the whole
    /// document, wherever it answers, and answers as often as over the document, less the
    /// chains that end at an object given as a map (left to the evaluator).
    #[test]
    fn runs_over_a_top_level_given_key_by_key_as_over_the_document() {
        use super::Top;
        let (mut answered, mut over_document) = (0, 0);
        for (source, template, plan) in &plans() {
            for data in documents() {
                let Value::Object(map) = &data else {
                    continue;
                };
                let top = |name: &str| match map.get(name) {
                    None => Top::Missing,
                    Some(Value::Object(inner)) if inner.is_empty() => Top::EmptyObject,
                    Some(Value::Object(inner)) => Top::Object(inner),
                    Some(value) => Top::Value(value),
                };
                for mode in MODES {
                    let mut whole = String::new();
                    over_document += usize::from(plan.run(&data, mode, &mut whole));
                    let mut out = String::new();
                    if plan.run_over(&top, mode, &mut out) {
                        answered += 1;
                        assert_evaluator_gives(source, template, &data, mode, &out);
                    }
                }
            }
        }
        assert_eq!(
            over_document, 224,
            "renders answered over the whole document"
        );
        assert_eq!(
            answered, 204,
            "renders answered over the top level key by key"
        );
    }
}
