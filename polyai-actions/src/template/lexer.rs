//! The lexer: template source to tokens, each with its byte offset. It follows the rules of
//! Go's `text/template/parse` lexer (delimiters `{{` `}}`, trim markers that need a space,
//! comments that must touch the delimiters, newlines allowed inside actions).

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    LeftDelim,
    RightDelim,
    Space,
    Bool,
    /// A printable ASCII character with no meaning of its own (`,` among them).
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Field,
    Identifier,
    LeftParen,
    RightParen,
    Number,
    Pipe,
    RawString,
    String,
    Variable,
    Dot,
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
    Eof,
    Error,
}

/// A token: its kind and where its text lies in the source (`start..end`). For an error
/// token `message` says what is wrong.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    pub message: Option<String>,
}

const SPACE: &[u8] = b" \t\r\n";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Go's `isAlphaNumeric`: `_`, a Unicode letter or a Unicode decimal digit. Rust's standard
/// library has no exact test for Go's "letter" and "decimal digit" categories; `is_alphabetic`
/// and `is_numeric` are close (they also accept a few marks and non-decimal numerals).
fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && SPACE.contains(&s[1])
}

fn has_right_trim(s: &[u8]) -> bool {
    s.len() >= 2 && SPACE.contains(&s[0]) && s[1] == b'-'
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    start: usize,
    paren_depth: i32,
    tokens: Vec<Token>,
}

/// Splits `src` into tokens. The list ends with an `Eof` token, or with an `Error` token at
/// the first thing Go's lexer would refuse.
pub(crate) fn lex(src: &str) -> Vec<Token> {
    let mut l = Lexer {
        src,
        pos: 0,
        start: 0,
        paren_depth: 0,
        tokens: Vec::new(),
    };
    let mut state = State::Text;
    loop {
        state = match state {
            State::Text => l.lex_text(),
            State::LeftDelim => l.lex_left_delim(),
            State::Comment => l.lex_comment(),
            State::RightDelim => l.lex_right_delim(),
            State::Inside => l.lex_inside(),
            State::Done => break,
        };
    }
    l.tokens
}

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    Inside,
    Done,
}

impl<'s> Lexer<'s> {
    fn bytes(&self) -> &'s [u8] {
        self.src.as_bytes()
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn backup(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.pos -= c.len_utf8();
        }
    }

    fn emit(&mut self, kind: Kind) {
        self.tokens.push(Token {
            kind,
            start: self.start,
            end: self.pos,
            message: None,
        });
        self.start = self.pos;
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn error(&mut self, message: String) -> State {
        self.tokens.push(Token {
            kind: Kind::Error,
            start: self.start,
            end: self.pos,
            message: Some(message),
        });
        State::Done
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn lex_text(&mut self) -> State {
        if let Some(x) = self.rest().find("{{") {
            let delim = self.pos + x;
            let mut text_end = delim;
            if has_left_trim(&self.bytes()[delim + 2..]) {
                let text = &self.src[self.start..delim];
                text_end = self.start + text.trim_end_matches(is_space).len();
            }
            if text_end > self.start {
                self.pos = text_end;
                self.emit(Kind::Text);
            }
            self.pos = delim;
            self.ignore();
            return State::LeftDelim;
        }
        self.pos = self.src.len();
        if self.pos > self.start {
            self.emit(Kind::Text);
        }
        self.emit(Kind::Eof);
        State::Done
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = &self.bytes()[self.pos..];
        if has_right_trim(rest) && rest[2..].starts_with(b"}}") {
            return (true, true);
        }
        (rest.starts_with(b"}}"), false)
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += 2;
        let trim = has_left_trim(&self.bytes()[self.pos..]);
        let after = if trim { 2 } else { 0 };
        if self.bytes()[self.pos + after..].starts_with(b"/*") {
            self.pos += after;
            self.ignore();
            return State::Comment;
        }
        self.emit(Kind::LeftDelim);
        self.pos += after;
        self.ignore();
        self.paren_depth = 0;
        State::Inside
    }

    fn lex_comment(&mut self) -> State {
        self.pos += 2;
        let Some(i) = self.rest().find("*/") else {
            return self.error("unclosed comment".into());
        };
        self.pos += i + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += 2;
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(is_space).len();
        }
        self.ignore();
        State::Text
    }

    fn lex_right_delim(&mut self) -> State {
        let trim = has_right_trim(&self.bytes()[self.pos..]);
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += 2;
        self.emit(Kind::RightDelim);
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(is_space).len();
            self.ignore();
        }
        State::Text
    }

    fn lex_inside(&mut self) -> State {
        loop {
            let (delim, _) = self.at_right_delim();
            if delim {
                if self.paren_depth == 0 {
                    return State::RightDelim;
                }
                return self.error("unclosed left paren".into());
            }
            let Some(r) = self.next() else {
                return self.error("unclosed action".into());
            };
            match r {
                c if is_space(c) => {
                    self.backup(Some(c));
                    if let Some(s) = self.lex_space() {
                        return s;
                    }
                }
                '=' => self.emit(Kind::Assign),
                ':' => {
                    if self.next() != Some('=') {
                        return self.error("expected :=".into());
                    }
                    self.emit(Kind::Declare);
                }
                '|' => self.emit(Kind::Pipe),
                '"' => {
                    if let Some(s) = self.lex_quote() {
                        return s;
                    }
                }
                '`' => {
                    if let Some(s) = self.lex_raw_quote() {
                        return s;
                    }
                }
                '$' => {
                    if let Some(s) = self.lex_variable() {
                        return s;
                    }
                }
                '\'' => {
                    if let Some(s) = self.lex_char() {
                        return s;
                    }
                }
                '.' if self
                    .bytes()
                    .get(self.pos)
                    .is_some_and(|b| !b.is_ascii_digit()) =>
                {
                    if let Some(s) = self.lex_field_or_variable(Kind::Field) {
                        return s;
                    }
                }
                '.' | '+' | '-' | '0'..='9' => {
                    self.backup(Some(r));
                    if let Some(s) = self.lex_number() {
                        return s;
                    }
                }
                c if is_alnum(c) => {
                    self.backup(Some(c));
                    if let Some(s) = self.lex_identifier() {
                        return s;
                    }
                }
                '(' => {
                    self.emit(Kind::LeftParen);
                    self.paren_depth += 1;
                }
                ')' => {
                    self.emit(Kind::RightParen);
                    self.paren_depth -= 1;
                    if self.paren_depth < 0 {
                        return self.error("unexpected right paren U+0029 ')'".into());
                    }
                }
                c if (' '..='~').contains(&c) => self.emit(Kind::Char),
                c => {
                    return self.error(format!(
                        "unrecognized character in action: U+{:04X}",
                        c as u32
                    ));
                }
            }
        }
    }

    /// Returns `Some(state)` when the lexer must leave the action loop.
    fn lex_space(&mut self) -> Option<State> {
        let mut n = 0;
        while let Some(c) = self.peek().filter(|c| is_space(*c)) {
            self.pos += c.len_utf8();
            n += 1;
        }
        let b = self.bytes();
        if has_right_trim(&b[self.pos - 1..]) && b[self.pos + 1..].starts_with(b"}}") {
            self.pos -= 1;
            if n == 1 {
                return Some(State::RightDelim);
            }
        }
        self.emit(Kind::Space);
        None
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with("}}"),
        }
    }

    fn bad_character(&mut self) -> State {
        let c = self.peek().map_or(-1i64, |c| c as i64);
        if c < 0 {
            return self.error("bad character U+FFFFFFFF".into());
        }
        self.error(format!("bad character U+{c:04X}"))
    }

    fn lex_identifier(&mut self) -> Option<State> {
        while let Some(c) = self.peek().filter(|c| is_alnum(*c)) {
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            return Some(self.bad_character());
        }
        let kind = match &self.src[self.start..self.pos] {
            "block" => Kind::Block,
            "break" => Kind::Break,
            "continue" => Kind::Continue,
            "define" => Kind::Define,
            "else" => Kind::Else,
            "end" => Kind::End,
            "if" => Kind::If,
            "range" => Kind::Range,
            "nil" => Kind::Nil,
            "template" => Kind::Template,
            "with" => Kind::With,
            "true" | "false" => Kind::Bool,
            _ => Kind::Identifier,
        };
        self.emit(kind);
        None
    }

    fn lex_variable(&mut self) -> Option<State> {
        if self.at_terminator() {
            self.emit(Kind::Variable);
            return None;
        }
        self.lex_field_or_variable(Kind::Variable)
    }

    fn lex_field_or_variable(&mut self, kind: Kind) -> Option<State> {
        if self.at_terminator() {
            self.emit(if kind == Kind::Variable {
                Kind::Variable
            } else {
                Kind::Dot
            });
            return None;
        }
        while let Some(c) = self.peek().filter(|c| is_alnum(*c)) {
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            return Some(self.bad_character());
        }
        self.emit(kind);
        None
    }

    fn lex_char(&mut self) -> Option<State> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return Some(self.error("unterminated character constant".into())),
                },
                None | Some('\n') => {
                    return Some(self.error("unterminated character constant".into()));
                }
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(Kind::CharConstant);
        None
    }

    fn lex_number(&mut self) -> Option<State> {
        if !self.scan_number() {
            let text = self.src[self.start..self.pos].to_string();
            return Some(self.error(format!("bad number syntax: {text:?}")));
        }
        if let Some('+' | '-') = self.peek() {
            if !self.scan_number() || !self.src[..self.pos].ends_with('i') {
                let text = self.src[self.start..self.pos].to_string();
                return Some(self.error(format!("bad number syntax: {text:?}")));
            }
            self.emit(Kind::Complex);
        } else {
            self.emit(Kind::Number);
        }
        None
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> Option<State> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return Some(self.error("unterminated quoted string".into())),
                },
                None | Some('\n') => return Some(self.error("unterminated quoted string".into())),
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(Kind::String);
        None
    }

    fn lex_raw_quote(&mut self) -> Option<State> {
        loop {
            match self.next() {
                None => return Some(self.error("unterminated raw quoted string".into())),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(Kind::RawString);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Kind> {
        lex(src).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn trim_markers_need_a_space() {
        use Kind::*;
        assert_eq!(
            kinds("a {{- 3}}"),
            vec![Text, LeftDelim, Number, RightDelim, Eof]
        );
        assert_eq!(
            kinds("a {{-3}}"),
            vec![Text, LeftDelim, Number, RightDelim, Eof]
        );
        let toks = lex("a {{- 3}}");
        assert_eq!(&"a {{- 3}}"[toks[0].start..toks[0].end], "a");
        let toks = lex("a {{-3}}");
        assert_eq!(&"a {{-3}}"[toks[0].start..toks[0].end], "a ");
        assert_eq!(&"a {{-3}}"[toks[2].start..toks[2].end], "-3");
    }

    #[test]
    fn fields_variables_and_errors() {
        use Kind::*;
        assert_eq!(
            kinds("{{$x := .a.b}}"),
            vec![
                LeftDelim, Variable, Space, Declare, Space, Field, Field, RightDelim, Eof
            ]
        );
        assert_eq!(kinds("{{.a-b}}").last(), Some(&Error));
        assert_eq!(kinds("{{/* x */ }}").last(), Some(&Error));
        assert_eq!(kinds("{{1a}}").last(), Some(&Error));
        assert_eq!(
            kinds("{{ 1 -}} x"),
            vec![LeftDelim, Space, Number, RightDelim, Text, Eof]
        );
    }
}
