//! The parsed form of a template: a read-only tree a linter can walk.
//!
//! Every node carries the [`Position`] where its text starts in the template source. The tree
//! holds only what PolyAI's subset allows (text, actions, `if`, `with`, variables,
//! the ten allowed functions), so a walker never meets `range` or `template`. Nodes are built
//! by [`Template::parse`](super::Template::parse) only; they cannot be constructed or changed
//! from outside this crate.
//!
//! ```
//! use polyai_actions::template::{Template, ast::{Node, Operand}};
//!
//! let t = Template::parse("{{if .parameters.email}}{{.parameters.email}}{{end}}").unwrap();
//! let Node::If(node) = &t.root()[0] else { panic!("an if") };
//! let Operand::Field(field) = &node.pipeline.commands[0].args[0] else { panic!("a field") };
//! assert_eq!(field.path(), ".parameters.email");
//! assert_eq!(field.position.column, 6);
//! ```

use super::Position;

/// One element of a template body.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Node {
    /// Literal text, copied to the output unchanged (after trim markers are applied).
    Text(TextNode),
    /// `{{pipeline}}`: prints the pipeline's value, unless the pipeline declares or assigns
    /// variables (`{{$x := ...}}`), in which case it prints nothing.
    Action(ActionNode),
    /// `{{if pipeline}} ... {{else}} ... {{end}}` (also `{{else if ...}}`, kept as an `If`
    /// node inside the `else` list, the way Go does it).
    If(IfNode),
    /// `{{with pipeline}} ... {{else}} ... {{end}}`: the body runs with dot set to the value.
    With(WithNode),
}

impl Node {
    /// Where the node starts in the template source.
    pub fn position(&self) -> Position {
        match self {
            Node::Text(n) => n.position,
            Node::Action(n) => n.position,
            Node::If(n) => n.position,
            Node::With(n) => n.position,
        }
    }
}

/// Literal text between actions.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TextNode {
    /// Where the (trimmed) text starts.
    pub position: Position,
    /// The text as it is written to the output.
    pub text: String,
}

/// An action that evaluates a pipeline and prints its value with Go's `%v`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ActionNode {
    /// Where the `{{` starts.
    pub position: Position,
    /// What the action evaluates.
    pub pipeline: Pipeline,
}

impl ActionNode {
    /// True when the action prints its value (it declares or assigns no variable).
    pub fn prints(&self) -> bool {
        self.pipeline.declarations.is_empty()
    }
}

/// `{{if}}`, with its optional `{{else}}` list.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct IfNode {
    /// Where the `{{` of the `if` (or of the `{{else if`) starts.
    pub position: Position,
    /// The condition.
    pub pipeline: Pipeline,
    /// The nodes run when the condition is true.
    pub list: Vec<Node>,
    /// The nodes run when it is false (`{{else if}}` is one `If` node in this list).
    pub else_list: Option<Vec<Node>>,
}

/// `{{with}}`, with its optional `{{else}}` list.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WithNode {
    /// Where the `{{` of the `with` starts.
    pub position: Position,
    /// The value that becomes dot when it is true.
    pub pipeline: Pipeline,
    /// The nodes run with dot set to the value when it is true.
    pub list: Vec<Node>,
    /// The nodes run (with dot unchanged) when it is false.
    pub else_list: Option<Vec<Node>>,
}

/// A pipeline: optional variable declarations, then commands joined by `|`. The value of each
/// command is passed as the last argument of the next.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Pipeline {
    /// Where the pipeline's first token starts.
    pub position: Position,
    /// `$x :=` or `$x =` targets (at most one outside `range`, which the subset refuses).
    pub declarations: Vec<VariableName>,
    /// True for `$x = value` (assignment to an existing variable), false for `$x := value`.
    pub is_assign: bool,
    /// The commands, in order.
    pub commands: Vec<Command>,
}

/// A variable being declared or assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VariableName {
    /// Where the `$` starts.
    pub position: Position,
    /// The name with its `$` (`$x`, or `$` itself).
    pub name: String,
}

/// One command: a function call, or a single operand (further operands are an error at run
/// time, as in Go).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Command {
    /// Where the command's first token starts.
    pub position: Position,
    /// The operands; the first is the function or the value.
    pub args: Vec<Operand>,
}

/// The functions of PolyAI's subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Function {
    /// `eq a b ...`: a equals any of the others.
    Eq,
    /// `ne a b`.
    Ne,
    /// `lt a b`.
    Lt,
    /// `le a b`.
    Le,
    /// `gt a b`.
    Gt,
    /// `ge a b`.
    Ge,
    /// `and a b ...`: the first false operand, or the last one.
    And,
    /// `or a b ...`: the first true operand, or the last one.
    Or,
    /// `not a`.
    Not,
    /// `index item key ...`: map keys and array indexes.
    Index,
}

impl Function {
    /// The name as written in a template.
    pub fn name(self) -> &'static str {
        match self {
            Function::Eq => "eq",
            Function::Ne => "ne",
            Function::Lt => "lt",
            Function::Le => "le",
            Function::Gt => "gt",
            Function::Ge => "ge",
            Function::And => "and",
            Function::Or => "or",
            Function::Not => "not",
            Function::Index => "index",
        }
    }

    /// The function with this name, if the subset allows it.
    pub fn from_name(name: &str) -> Option<Function> {
        Some(match name {
            "eq" => Function::Eq,
            "ne" => Function::Ne,
            "lt" => Function::Lt,
            "le" => Function::Le,
            "gt" => Function::Gt,
            "ge" => Function::Ge,
            "and" => Function::And,
            "or" => Function::Or,
            "not" => Function::Not,
            "index" => Function::Index,
            _ => return None,
        })
    }

    /// True for the six comparison functions.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            Function::Eq | Function::Ne | Function::Lt | Function::Le | Function::Gt | Function::Ge
        )
    }
}

/// A function name used as an operand.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FunctionRef {
    /// Where the name starts.
    pub position: Position,
    /// Which function.
    pub function: Function,
}

/// One `.name` step of a field chain.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldName {
    /// Where the `.` starts.
    pub position: Position,
    /// The key, without the dot.
    pub name: String,
}

/// A field chain on dot: `.parameters.email`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Field {
    /// Where the first `.` starts.
    pub position: Position,
    /// The keys, in order (at least one).
    pub names: Vec<FieldName>,
}

impl Field {
    /// The chain as written, `.a.b`.
    pub fn path(&self) -> String {
        self.names.iter().map(|n| format!(".{}", n.name)).collect()
    }
}

/// A variable, with an optional field chain: `$`, `$x`, `$x.a.b`, `$.parameters`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Variable {
    /// Where the `$` starts.
    pub position: Position,
    /// The variable's name with its `$`.
    pub name: String,
    /// The keys after it, possibly none.
    pub fields: Vec<FieldName>,
}

impl Variable {
    /// The reference as written, `$x.a`.
    pub fn path(&self) -> String {
        let mut s = self.name.clone();
        for f in &self.fields {
            s.push('.');
            s.push_str(&f.name);
        }
        s
    }
}

/// Fields applied to a parenthesised pipeline or a function: `(index .a 0).b`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Chain {
    /// Where the operand the fields apply to starts.
    pub position: Position,
    /// The operand (a parenthesised pipeline or a function name).
    pub operand: Box<Operand>,
    /// The keys applied to its value (at least one).
    pub fields: Vec<FieldName>,
}

/// The value of a number literal, as Go's template engine types it when it has no other
/// context: an `int` (`3`, `0x1F`, `'a'`, `1_000`) or a `float64` (`3.0`, `1e6`, `0x1p-2`).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum NumberValue {
    /// A Go `int` (64 bits).
    Int(i64),
    /// A Go `float64`.
    Float(f64),
    /// An integer that fits `uint64` but not `int`: Go parses it but fails when it is used
    /// ("overflows int").
    OverflowsInt(u64),
}

/// A number or character literal.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct NumberLiteral {
    /// Where the literal starts.
    pub position: Position,
    /// The literal as written.
    pub text: String,
    /// Its value.
    pub value: NumberValue,
}

/// A string literal, interpreted (`"..."`) or raw (`` `...` ``).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StringLiteral {
    /// Where the opening quote starts.
    pub position: Position,
    /// The literal as written, quotes included.
    pub quoted: String,
    /// Its value after escapes are applied.
    pub value: String,
}

/// An operand of a command.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Operand {
    /// `.a.b`: keys looked up from dot.
    Field(Field),
    /// `$x`, `$x.a`.
    Variable(Variable),
    /// `(pipeline).a` or a function followed by fields.
    Chain(Chain),
    /// `.` itself.
    Dot(Position),
    /// `nil`.
    Nil(Position),
    /// `true` / `false`.
    Bool(Position, bool),
    /// A number or character literal.
    Number(NumberLiteral),
    /// A string literal.
    String(StringLiteral),
    /// One of the subset's functions.
    Function(FunctionRef),
    /// A parenthesised pipeline.
    Pipeline(Box<Pipeline>),
}

impl Operand {
    /// Where the operand starts.
    pub fn position(&self) -> Position {
        match self {
            Operand::Field(f) => f.position,
            Operand::Variable(v) => v.position,
            Operand::Chain(c) => c.position,
            Operand::Dot(p) | Operand::Nil(p) | Operand::Bool(p, _) => *p,
            Operand::Number(n) => n.position,
            Operand::String(s) => s.position,
            Operand::Function(f) => f.position,
            Operand::Pipeline(p) => p.position,
        }
    }

    /// The position Go's executor reports for this operand: for a chain it is the position of
    /// the second step (`.b` in `.a.b`), an artefact of how Go's parser builds chains.
    pub(crate) fn go_position(&self) -> Position {
        match self {
            Operand::Field(f) => f.names.get(1).map_or(f.position, |n| n.position),
            Operand::Variable(v) => v.fields.first().map_or(v.position, |n| n.position),
            Operand::Chain(c) => c.fields[0].position,
            other => other.position(),
        }
    }
}

/// Calls `visit` for every node of `nodes`, depth first, including the nodes inside `if` and
/// `with` bodies and their `else` lists.
///
/// ```
/// use polyai_actions::template::{Template, ast::{walk, Node}};
///
/// let t = Template::parse("a{{if .x}}{{.y}}{{else}}{{.z}}{{end}}").unwrap();
/// let mut printed = 0;
/// walk(t.root(), &mut |n| if let Node::Action(a) = n { if a.prints() { printed += 1 } });
/// assert_eq!(printed, 2);
/// ```
pub fn walk<'a>(nodes: &'a [Node], visit: &mut dyn FnMut(&'a Node)) {
    for node in nodes {
        visit(node);
        match node {
            Node::If(IfNode {
                list, else_list, ..
            })
            | Node::With(WithNode {
                list, else_list, ..
            }) => {
                walk(list, visit);
                if let Some(e) = else_list {
                    walk(e, visit);
                }
            }
            _ => {}
        }
    }
}

/// Calls `visit` for every operand of `pipeline`, depth first, including the operands inside
/// parenthesised pipelines and chains. Each call also receives the command the operand
/// belongs to, so a linter can see a comparison together with its operands.
pub fn walk_operands<'a>(pipeline: &'a Pipeline, visit: &mut dyn FnMut(&'a Command, &'a Operand)) {
    for command in &pipeline.commands {
        for operand in &command.args {
            visit_operand(command, operand, visit);
        }
    }
}

fn visit_operand<'a>(
    command: &'a Command,
    operand: &'a Operand,
    visit: &mut dyn FnMut(&'a Command, &'a Operand),
) {
    visit(command, operand);
    match operand {
        Operand::Pipeline(p) => walk_operands(p, visit),
        Operand::Chain(c) => visit_operand(command, &c.operand, visit),
        _ => {}
    }
}
