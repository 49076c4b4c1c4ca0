//! The parser: tokens to the tree in [`ast`](super::ast), following the grammar of Go's
//! `text/template/parse` so that exactly the templates Go accepts parse here. The subset is
//! enforced in this stage: a construct Go accepts but PolyAI refuses (`range`, `template`,
//! `define`, `block`, `break`, `continue`, functions outside the ten allowed) is recorded and
//! reported as [`ErrorKind::Unsupported`] once the whole template has parsed, so a template
//! that Go itself would refuse always reports [`ErrorKind::Parse`].

use super::ast::*;
use super::lexer::{Kind, Token, lex};
use super::literal::{self, NumberError, StringError};
use super::{ErrorKind, LineIndex, Position, TemplateError};

/// Go's built-in template functions: a name outside this list is a parse error in Go.
const GO_BUILTINS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

type PResult<T> = Result<T, TemplateError>;

/// The Go node type of a term, which decides a few parse errors.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GoKind {
    Identifier,
    Dot,
    Nil,
    Variable,
    Field,
    Bool,
    Number,
    Pipe,
    String,
    Chain,
}

/// What an action turned out to be.
enum Item {
    Node(Node),
    /// A construct outside the subset, parsed and dropped (its violation is recorded).
    Skip,
    End,
    Else,
}

struct Parser<'s> {
    src: &'s str,
    lines: &'s LineIndex,
    toks: Vec<Token>,
    i: usize,
    vars: Vec<String>,
    range_depth: usize,
    violation: Option<TemplateError>,
    action_start: usize,
}

/// Parses `src` into its top-level nodes.
pub(crate) fn parse(src: &str, lines: &LineIndex) -> Result<Vec<Node>, TemplateError> {
    let mut p = Parser {
        src,
        lines,
        toks: lex(src),
        i: 0,
        vars: vec!["$".to_string()],
        range_depth: 0,
        violation: None,
        action_start: 0,
    };
    let root = p.parse_root()?;
    match p.violation {
        Some(v) => Err(v),
        None => Ok(root),
    }
}

impl<'s> Parser<'s> {
    fn pos(&self, offset: usize) -> Position {
        self.lines.position(self.src, offset)
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> TemplateError {
        TemplateError {
            kind: ErrorKind::Parse,
            position: Some(self.pos(offset)),
            message: message.into(),
        }
    }

    fn unsupported(&mut self, offset: usize, message: impl Into<String>) {
        if self.violation.is_none() {
            self.violation = Some(TemplateError {
                kind: ErrorKind::Unsupported,
                position: Some(self.pos(offset)),
                message: message.into(),
            });
        }
    }

    fn tok(&self, i: usize) -> &Token {
        &self.toks[i.min(self.toks.len() - 1)]
    }

    fn text(&self, t: &Token) -> &'s str {
        &self.src[t.start..t.end]
    }

    fn peek_kind(&self) -> Kind {
        self.tok(self.i).kind
    }

    /// Consumes one token; a lexer error becomes the parse error.
    fn next(&mut self) -> PResult<Token> {
        let t = self.tok(self.i).clone();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        if t.kind == Kind::Error {
            let msg = t.message.clone().unwrap_or_default();
            return Err(self.error_at(t.start, msg));
        }
        Ok(t)
    }

    fn backup(&mut self) {
        self.i -= 1;
    }

    fn next_non_space(&mut self) -> PResult<Token> {
        loop {
            let t = self.next()?;
            if t.kind != Kind::Space {
                return Ok(t);
            }
        }
    }

    /// Skips spaces (for good, as Go's `peekNonSpace` does) and returns the next token's kind.
    fn peek_non_space(&mut self) -> Kind {
        while self.peek_kind() == Kind::Space {
            self.i += 1;
        }
        self.peek_kind()
    }

    fn describe(&self, t: &Token) -> String {
        let text = self.text(t);
        match t.kind {
            Kind::Eof => "EOF".into(),
            Kind::Block
            | Kind::Break
            | Kind::Continue
            | Kind::Define
            | Kind::Else
            | Kind::End
            | Kind::If
            | Kind::Nil
            | Kind::Range
            | Kind::Template
            | Kind::With
            | Kind::Dot => format!("<{text}>"),
            _ if text.chars().count() > 10 => {
                format!("{:?}...", text.chars().take(10).collect::<String>())
            }
            _ => format!("{text:?}"),
        }
    }

    fn unexpected<T>(&self, t: &Token, context: &str) -> PResult<T> {
        Err(self.error_at(
            t.start,
            format!("unexpected {} in {context}", self.describe(t)),
        ))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> PResult<Token> {
        let t = self.next_non_space()?;
        if t.kind != kind {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn parse_root(&mut self) -> PResult<Vec<Node>> {
        let mut root = Vec::new();
        while self.peek_kind() != Kind::Eof {
            if self.peek_kind() == Kind::LeftDelim {
                let save = self.i;
                self.i += 1;
                if self.peek_non_space() == Kind::Define {
                    let t = self.tok(self.i).clone();
                    self.i += 1;
                    self.unsupported(t.start, "define is outside the subset");
                    self.parse_definition()?;
                    continue;
                }
                self.i = save;
            }
            let start = self.tok(self.i).start;
            match self.text_or_action()? {
                Item::Node(n) => root.push(n),
                Item::Skip => {}
                Item::End => return Err(self.error_at(start, "unexpected {{end}}")),
                Item::Else => return Err(self.error_at(start, "unexpected {{else}}")),
            }
        }
        Ok(root)
    }

    /// Parses a nested template body (`define`, `block`) with its own variables.
    fn sub_tree(&mut self, context: &str) -> PResult<()> {
        let vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let depth = std::mem::replace(&mut self.range_depth, 0);
        let start = self.tok(self.i).start;
        let (_, end) = self.item_list()?;
        self.vars = vars;
        self.range_depth = depth;
        if !matches!(end, Item::End) {
            return Err(self.error_at(start, format!("unexpected {{{{else}}}} in {context}")));
        }
        Ok(())
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let t = self.next_non_space()?;
        if !matches!(t.kind, Kind::String | Kind::RawString) {
            return self.unexpected(&t, CONTEXT);
        }
        if literal::unquote(self.text(&t)).is_err() {
            return Err(self.error_at(t.start, "invalid syntax"));
        }
        self.expect(Kind::RightDelim, CONTEXT)?;
        self.sub_tree(CONTEXT)
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Item)> {
        let mut list = Vec::new();
        while self.peek_non_space() != Kind::Eof {
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                Item::Skip => {}
                end @ (Item::End | Item::Else) => return Ok((list, end)),
            }
        }
        let t = self.tok(self.i).clone();
        Err(self.error_at(t.start, "unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space()?;
        match t.kind {
            Kind::Text => Ok(Item::Node(Node::Text(TextNode {
                position: self.pos(t.start),
                text: self.text(&t).to_string(),
            }))),
            Kind::LeftDelim => {
                self.action_start = t.start;
                self.action()
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let start = self.action_start;
        let t = self.next_non_space()?;
        match t.kind {
            Kind::Block => {
                self.unsupported(t.start, "block is outside the subset");
                self.block_control()
            }
            Kind::Break | Kind::Continue => self.break_control(&t),
            Kind::Else => self.else_control(),
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                Ok(Item::End)
            }
            Kind::If => self.if_control(start),
            Kind::Range => {
                self.unsupported(t.start, "range is outside the subset");
                self.parse_control(false, "range")?;
                Ok(Item::Skip)
            }
            Kind::Template => {
                self.unsupported(t.start, "template is outside the subset");
                self.template_control()
            }
            Kind::With => {
                let (pipeline, list, else_list) = self.parse_control(false, "with")?;
                Ok(Item::Node(Node::With(WithNode {
                    position: self.pos(start),
                    pipeline,
                    list,
                    else_list,
                })))
            }
            _ => {
                self.backup();
                let pipeline = self.pipeline("command", Kind::RightDelim)?;
                Ok(Item::Node(Node::Action(ActionNode {
                    position: self.pos(start),
                    pipeline,
                })))
            }
        }
    }

    fn break_control(&mut self, keyword: &Token) -> PResult<Item> {
        let name = self.text(keyword);
        let t = self.next_non_space()?;
        if t.kind != Kind::RightDelim {
            return self.unexpected(&t, &format!("{{{{{name}}}}}"));
        }
        if self.range_depth == 0 {
            return Err(self.error_at(
                keyword.start,
                format!("{{{{{name}}}}} outside {{{{range}}}}"),
            ));
        }
        self.unsupported(keyword.start, format!("{name} is outside the subset"));
        Ok(Item::Skip)
    }

    fn else_control(&mut self) -> PResult<Item> {
        if self.peek_non_space() == Kind::If {
            return Ok(Item::Else);
        }
        self.expect(Kind::RightDelim, "else")?;
        Ok(Item::Else)
    }

    fn if_control(&mut self, start: usize) -> PResult<Item> {
        Ok(Item::Node(Node::If(self.if_node(start)?)))
    }

    fn if_node(&mut self, start: usize) -> PResult<IfNode> {
        let (pipeline, list, else_list) = self.parse_control(true, "if")?;
        Ok(IfNode {
            position: self.pos(start),
            pipeline,
            list,
            else_list,
        })
    }

    #[allow(clippy::type_complexity)]
    fn parse_control(
        &mut self,
        allow_else_if: bool,
        context: &str,
    ) -> PResult<(Pipeline, Vec<Node>, Option<Vec<Node>>)> {
        let nvars = self.vars.len();
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let else_start = self.i;
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        if let Item::Else = next {
            if allow_else_if && self.peek_kind() == Kind::If {
                // `{{else if x}}` is `{{else}}{{if x}}...{{end}}` with the inner end shared.
                let start = self.else_delim(else_start);
                self.i += 1;
                else_list = Some(vec![Node::If(self.if_node(start)?)]);
            } else {
                let (list, next) = self.item_list()?;
                if !matches!(next, Item::End) {
                    let t = self.tok(self.i.saturating_sub(1)).clone();
                    return Err(self.error_at(t.start, "expected end; found {{else}}"));
                }
                else_list = Some(list);
            }
        }
        self.vars.truncate(nvars);
        Ok((pipe, list, else_list))
    }

    /// The offset of the `{{` of the `{{else if` just read (searching back from the cursor).
    fn else_delim(&self, floor: usize) -> usize {
        let mut j = self.i;
        while j > floor {
            j -= 1;
            if self.tok(j).kind == Kind::LeftDelim {
                return self.tok(j).start;
            }
        }
        self.tok(self.i).start
    }

    fn template_name(&mut self, t: &Token, context: &str) -> PResult<()> {
        match t.kind {
            Kind::String | Kind::RawString => {
                if literal::unquote(self.text(t)).is_err() {
                    return Err(self.error_at(t.start, "invalid syntax"));
                }
                Ok(())
            }
            _ => self.unexpected(t, context),
        }
    }

    fn template_control(&mut self) -> PResult<Item> {
        const CONTEXT: &str = "template clause";
        let t = self.next_non_space()?;
        self.template_name(&t, CONTEXT)?;
        if self.next_non_space()?.kind != Kind::RightDelim {
            self.backup();
            self.pipeline(CONTEXT, Kind::RightDelim)?;
        }
        Ok(Item::Skip)
    }

    fn block_control(&mut self) -> PResult<Item> {
        const CONTEXT: &str = "block clause";
        let t = self.next_non_space()?;
        self.template_name(&t, CONTEXT)?;
        self.pipeline(CONTEXT, Kind::RightDelim)?;
        self.sub_tree(CONTEXT)?;
        Ok(Item::Skip)
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> PResult<Pipeline> {
        self.peek_non_space();
        let start = self.tok(self.i).start;
        let mut declarations = Vec::new();
        let mut is_assign = false;
        loop {
            if self.peek_non_space() != Kind::Variable {
                break;
            }
            let save = self.i;
            let v = self.next()?;
            let next = self.peek_non_space();
            let name = self.text(&v).to_string();
            let decl = VariableName {
                position: self.pos(v.start),
                name: name.clone(),
            };
            match next {
                Kind::Assign | Kind::Declare => {
                    is_assign = next == Kind::Assign;
                    self.next_non_space()?;
                    declarations.push(decl);
                    self.vars.push(name);
                }
                Kind::Char if self.text(self.tok(self.i)) == "," => {
                    let comma = self.next_non_space()?;
                    declarations.push(decl);
                    self.vars.push(name);
                    if context == "range" && declarations.len() < 2 {
                        match self.peek_non_space() {
                            Kind::Variable | Kind::RightDelim | Kind::RightParen => continue,
                            _ => {
                                return Err(self
                                    .error_at(comma.start, "range can only initialize variables"));
                            }
                        }
                    }
                    return Err(
                        self.error_at(comma.start, format!("too many declarations in {context}"))
                    );
                }
                _ => self.i = save,
            }
            break;
        }
        let mut commands: Vec<(Command, GoKind)> = Vec::new();
        loop {
            let t = self.next_non_space()?;
            if t.kind == end {
                if commands.is_empty() {
                    return Err(self.error_at(t.start, format!("missing value for {context}")));
                }
                for (i, (_, kind)) in commands.iter().enumerate().skip(1) {
                    if matches!(
                        kind,
                        GoKind::Bool | GoKind::Dot | GoKind::Nil | GoKind::Number | GoKind::String
                    ) {
                        return Err(self.error_at(
                            commands[i].0.position.offset,
                            format!("non executable command in pipeline stage {}", i + 1),
                        ));
                    }
                }
                return Ok(Pipeline {
                    position: self.pos(start),
                    declarations,
                    is_assign,
                    commands: commands.into_iter().map(|(c, _)| c).collect(),
                });
            }
            match t.kind {
                Kind::Bool
                | Kind::CharConstant
                | Kind::Complex
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    commands.push(self.command()?);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn command(&mut self) -> PResult<(Command, GoKind)> {
        self.peek_non_space();
        let start = self.tok(self.i).start;
        let mut args = Vec::new();
        let mut first = None;
        loop {
            self.peek_non_space();
            if let Some((op, kind)) = self.operand()? {
                first.get_or_insert(kind);
                args.push(op);
            }
            let t = self.next()?;
            match t.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        match first {
            None => Err(self.error_at(start, "empty command")),
            Some(kind) => Ok((
                Command {
                    position: self.pos(start),
                    args,
                },
                kind,
            )),
        }
    }

    fn field_names(&mut self) -> PResult<Vec<FieldName>> {
        let mut names = Vec::new();
        while self.peek_kind() == Kind::Field {
            let t = self.next()?;
            names.push(FieldName {
                position: self.pos(t.start),
                name: self.text(&t)[1..].into(),
            });
        }
        Ok(names)
    }

    fn operand(&mut self) -> PResult<Option<(Operand, GoKind)>> {
        let Some((node, kind)) = self.term()? else {
            return Ok(None);
        };
        if self.peek_kind() != Kind::Field {
            return Ok(Some((node, kind)));
        }
        let names = self.field_names()?;
        Ok(Some(match (node, kind) {
            (Operand::Field(mut f), _) => {
                f.names.extend(names);
                (Operand::Field(f), GoKind::Field)
            }
            (Operand::Variable(mut v), _) => {
                v.fields.extend(names);
                (Operand::Variable(v), GoKind::Variable)
            }
            (node, GoKind::Bool | GoKind::String | GoKind::Number | GoKind::Nil | GoKind::Dot) => {
                let start = node.position().offset;
                let text = self.term_text(&node);
                return Err(self.error_at(start, format!("unexpected . after term {text:?}")));
            }
            (node, _) => {
                let position = node.position();
                (
                    Operand::Chain(Chain {
                        position,
                        operand: Box::new(node),
                        fields: names,
                    }),
                    GoKind::Chain,
                )
            }
        }))
    }

    fn term_text(&self, node: &Operand) -> String {
        match node {
            Operand::Bool(_, b) => b.to_string(),
            Operand::String(s) => s.quoted.clone(),
            Operand::Number(n) => n.text.clone(),
            Operand::Nil(_) => "nil".into(),
            _ => ".".into(),
        }
    }

    fn term(&mut self) -> PResult<Option<(Operand, GoKind)>> {
        let t = self.next_non_space()?;
        let text = self.text(&t);
        let position = self.pos(t.start);
        Ok(Some(match t.kind {
            Kind::Identifier => {
                if !GO_BUILTINS.contains(&text) {
                    return Err(self.error_at(t.start, format!("function {text:?} not defined")));
                }
                match Function::from_name(text) {
                    Some(function) => (
                        Operand::Function(FunctionRef { position, function }),
                        GoKind::Identifier,
                    ),
                    None => {
                        self.unsupported(
                            t.start,
                            format!(
                                "function {text} is outside the subset (allowed: eq ne lt le gt ge and or not index)"
                            ),
                        );
                        (Operand::Nil(position), GoKind::Identifier)
                    }
                }
            }
            Kind::Dot => (Operand::Dot(position), GoKind::Dot),
            Kind::Nil => (Operand::Nil(position), GoKind::Nil),
            Kind::Variable => {
                if !self.vars.iter().any(|v| v == text) {
                    return Err(self.error_at(t.start, format!("undefined variable {text:?}")));
                }
                (
                    Operand::Variable(Variable {
                        position,
                        name: text.into(),
                        fields: Vec::new(),
                    }),
                    GoKind::Variable,
                )
            }
            Kind::Field => (
                Operand::Field(Field {
                    position,
                    names: vec![FieldName {
                        position,
                        name: text[1..].into(),
                    }],
                }),
                GoKind::Field,
            ),
            Kind::Bool => (Operand::Bool(position, text == "true"), GoKind::Bool),
            Kind::CharConstant => {
                let v = literal::char_constant(text).map_err(|m| self.error_at(t.start, m))?;
                (
                    Operand::Number(NumberLiteral {
                        position,
                        text: text.into(),
                        value: NumberValue::Int(v),
                    }),
                    GoKind::Number,
                )
            }
            Kind::Complex => {
                self.unsupported(
                    t.start,
                    format!("complex constant {text} is outside the subset"),
                );
                (Operand::Nil(position), GoKind::Number)
            }
            Kind::Number => {
                let value = match literal::number(text) {
                    Ok(v) => v,
                    Err(NumberError::Parse(m)) => return Err(self.error_at(t.start, m)),
                    Err(NumberError::Unsupported(m)) => {
                        self.unsupported(t.start, m);
                        NumberValue::Int(0)
                    }
                };
                (
                    Operand::Number(NumberLiteral {
                        position,
                        text: text.into(),
                        value,
                    }),
                    GoKind::Number,
                )
            }
            Kind::LeftParen => {
                let p = self.pipeline("parenthesized pipeline", Kind::RightParen)?;
                (Operand::Pipeline(Box::new(p)), GoKind::Pipe)
            }
            Kind::String | Kind::RawString => {
                let value = match literal::unquote(text) {
                    Ok(v) => v,
                    Err(StringError::Syntax) => {
                        return Err(self.error_at(t.start, "invalid syntax"));
                    }
                    Err(StringError::NotUtf8) => {
                        self.unsupported(
                            t.start,
                            "string literal whose bytes are not valid UTF-8 (an \\x or octal escape)",
                        );
                        String::new()
                    }
                };
                (
                    Operand::String(StringLiteral {
                        position,
                        quoted: text.into(),
                        value,
                    }),
                    GoKind::String,
                )
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}
