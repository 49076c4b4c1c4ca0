//! A quick check for the commonest parameter schemas, run before the full validator.
//!
//! Most action schemas are an object of a few properties, each with a `type`, an `enum`, a
//! range, a length or an anchored `pattern` of digits and literals. [`QuickSchema::new`]
//! compiles such a schema into a small tree, and [`QuickSchema::accepts`] checks a value
//! against it with no allocation.
//!
//! The check is one-sided: every rule here is at least as strict as the full validator's
//! (an `integer` must be stored as one, numbers compare only when they compare exactly, an
//! `enum` member must be equal as JSON text is, `\d` is ASCII digits only), so
//! `accepts` gives `true` only for values the full validator accepts. A `false` means "not
//! known": the full validator decides, and describes what is wrong. A schema with any keyword
//! outside this set gets no quick check at all.

use serde_json::{Map, Number, Value};

/// Longest string a `pattern` is checked on here (a longer one goes to the full validator).
const MAX_PATTERN_INPUT: usize = 63;

/// A compiled schema (see the [module docs](self)).
#[derive(Debug, Clone, Default)]
pub(crate) struct QuickSchema {
    /// `type`: the JSON types allowed, a bit per [`Kind`] (`0`: any).
    types: u8,
    /// `enum` (or `const`): the values allowed.
    one_of: Option<Vec<Value>>,
    minimum: Option<Number>,
    maximum: Option<Number>,
    exclusive_minimum: Option<Number>,
    exclusive_maximum: Option<Number>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<Pattern>,
    /// `properties`, sorted by name (at most 64).
    properties: Vec<(String, QuickSchema)>,
    /// The `required` names that are in `properties`, a bit per position there.
    required: u64,
    /// The `required` names that are not in `properties`.
    required_elsewhere: Vec<String>,
    /// `additionalProperties: false`.
    closed: bool,
}

/// A JSON type of the `type` keyword, as a bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Null = 1,
    Boolean = 2,
    Object = 4,
    Array = 8,
    Number = 16,
    Integer = 32,
    String = 64,
}

impl QuickSchema {
    /// The quick form of `schema` (checked against the meta-schema beforehand), when every
    /// keyword in it is one this module reads; `check_formats` says whether `format` is a
    /// rule (then the schema gets no quick form) or an annotation.
    pub(crate) fn new(schema: &Value, check_formats: bool) -> Option<QuickSchema> {
        let Value::Object(schema) = schema else {
            // `true` and `false` schemas: left to the full validator.
            return None;
        };
        let mut quick = QuickSchema::default();
        let mut required = Vec::new();
        for (keyword, value) in schema {
            match keyword.as_str() {
                "type" => quick.types = types(value)?,
                // Both in one schema are two rules; the quick form holds one.
                "enum" | "const" if quick.one_of.is_some() => return None,
                "enum" => quick.one_of = Some(value.as_array()?.clone()),
                "const" => quick.one_of = Some(vec![value.clone()]),
                "minimum" => quick.minimum = Some(value.as_number()?.clone()),
                "maximum" => quick.maximum = Some(value.as_number()?.clone()),
                "exclusiveMinimum" => quick.exclusive_minimum = Some(value.as_number()?.clone()),
                "exclusiveMaximum" => quick.exclusive_maximum = Some(value.as_number()?.clone()),
                "minLength" => quick.min_length = Some(value.as_u64()?),
                "maxLength" => quick.max_length = Some(value.as_u64()?),
                "pattern" => quick.pattern = Some(Pattern::new(value.as_str()?)?),
                "properties" => {
                    for (name, property) in value.as_object()? {
                        quick
                            .properties
                            .push((name.clone(), QuickSchema::new(property, check_formats)?));
                    }
                }
                "required" => {
                    for name in value.as_array()? {
                        required.push(name.as_str()?);
                    }
                }
                "additionalProperties" => quick.closed = !value.as_bool()?,
                "format" if !check_formats => {}
                // Annotations, which validate nothing.
                "title" | "description" | "default" | "examples" | "$comment" | "$schema" => {}
                _ => return None,
            }
        }
        if quick.properties.len() > 64 {
            return None;
        }
        quick.properties.sort_by(|a, b| a.0.cmp(&b.0));
        for name in required {
            match quick.properties.iter().position(|(n, _)| n == name) {
                Some(i) => quick.required |= 1 << i,
                None => quick.required_elsewhere.push(name.to_owned()),
            }
        }
        Some(quick)
    }

    /// Whether `value` certainly satisfies the schema (see the [module docs](self)).
    pub(crate) fn accepts(&self, value: &Value) -> bool {
        if self.types != 0 && self.types & kind_of(value) == 0 {
            return false;
        }
        if let Some(allowed) = &self.one_of
            && !allowed.iter().any(|a| a == value)
        {
            return false;
        }
        match value {
            Value::Number(n) => self.accepts_number(n),
            Value::String(s) => self.accepts_string(s),
            Value::Object(map) => self.accepts_object(map),
            _ => true,
        }
    }

    fn accepts_number(&self, n: &Number) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        // `n` is on the `side` of `limit` (or equal to it, unless `strict`), as far as an
        // exact comparison tells.
        let within = |limit: &Option<Number>, side: std::cmp::Ordering, strict: bool| {
            limit.as_ref().is_none_or(|limit| {
                compare(n, limit).is_some_and(|o| o == side || (!strict && o.is_eq()))
            })
        };
        within(&self.minimum, Greater, false)
            && within(&self.exclusive_minimum, Greater, true)
            && within(&self.maximum, Less, false)
            && within(&self.exclusive_maximum, Less, true)
    }

    fn accepts_string(&self, s: &str) -> bool {
        if self.min_length.is_some() || self.max_length.is_some() {
            let length = s.chars().count() as u64;
            if self.min_length.is_some_and(|min| length < min)
                || self.max_length.is_some_and(|max| length > max)
            {
                return false;
            }
        }
        self.pattern.as_ref().is_none_or(|p| p.matches(s))
    }

    fn accepts_object(&self, map: &Map<String, Value>) -> bool {
        let mut seen = 0u64;
        // The map's keys come sorted, as `properties` are: each is looked for from where the
        // last one was found (and from the start, should the order differ).
        let mut next = 0;
        for (key, value) in map {
            let found = self.properties[next..]
                .iter()
                .position(|(name, _)| name == key)
                .map(|i| next + i)
                .or_else(|| {
                    self.properties[..next]
                        .iter()
                        .position(|(name, _)| name == key)
                });
            match found {
                Some(i) => {
                    if !self.properties[i].1.accepts(value) {
                        return false;
                    }
                    seen |= 1 << i;
                    next = i + 1;
                }
                None if self.closed => return false,
                None => {}
            }
        }
        seen & self.required == self.required
            && self
                .required_elsewhere
                .iter()
                .all(|name| map.contains_key(name))
    }
}

/// The `type` keyword as a bit set of [`Kind`]s.
fn types(value: &Value) -> Option<u8> {
    let kind = |name: &Value| {
        Some(match name.as_str()? {
            "null" => Kind::Null,
            "boolean" => Kind::Boolean,
            "object" => Kind::Object,
            "array" => Kind::Array,
            "number" => Kind::Number,
            "integer" => Kind::Integer,
            "string" => Kind::String,
            _ => return None,
        } as u8)
    };
    match value {
        Value::Array(names) => names
            .iter()
            .try_fold(0, |set, name| Some(set | kind(name)?)),
        name => kind(name),
    }
}

/// The [`Kind`]s `value` is, as a bit set: a number stored as an integer is both a `number`
/// and an `integer` (`4.0` is only a `number` here, and left to the full validator).
fn kind_of(value: &Value) -> u8 {
    match value {
        Value::Null => Kind::Null as u8,
        Value::Bool(_) => Kind::Boolean as u8,
        Value::Object(_) => Kind::Object as u8,
        Value::Array(_) => Kind::Array as u8,
        Value::Number(n) if n.is_i64() || n.is_u64() => Kind::Number as u8 | Kind::Integer as u8,
        Value::Number(_) => Kind::Number as u8,
        Value::String(_) => Kind::String as u8,
    }
}

/// `a` against `b`, when the comparison is exact: both integers, both floats, or an integer
/// and a float with the integer within `f64`'s exact range.
fn compare(a: &Number, b: &Number) -> Option<std::cmp::Ordering> {
    const EXACT: u64 = 1 << 53;
    let as_exact_float = |n: &Number| {
        if let Some(i) = n.as_i64() {
            (i.unsigned_abs() <= EXACT).then_some(i as f64)
        } else if let Some(u) = n.as_u64() {
            (u <= EXACT).then_some(u as f64)
        } else {
            n.as_f64()
        }
    };
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    as_exact_float(a)?.partial_cmp(&as_exact_float(b)?)
}

/// An anchored pattern (`^...$`) of single-character atoms, each repeated a number of times.
#[derive(Debug, Clone)]
struct Pattern {
    atoms: Vec<Atom>,
}

/// One character class and how many times it repeats.
#[derive(Debug, Clone)]
struct Atom {
    /// The ASCII bytes the class holds, as a bit set.
    class: [u64; 2],
    min: usize,
    max: usize,
}

impl Atom {
    fn holds(&self, b: u8) -> bool {
        b < 128 && self.class[(b / 64) as usize] & (1 << (b % 64)) != 0
    }
}

/// Characters that mean something in a pattern outside a class.
const META: &[u8] = b"\\^$.|?*+()[]{}";

impl Pattern {
    /// The pattern, when it is `^`, then atoms (an ASCII literal, `\d`, `\w`, an escaped
    /// metacharacter or a class of those and ASCII ranges), each with an optional `?`, `*`,
    /// `+`, `{n}`, `{n,}` or `{n,m}`, then `$`.
    fn new(source: &str) -> Option<Pattern> {
        let body = source.strip_prefix('^')?.strip_suffix('$')?;
        let bytes = body.as_bytes();
        if !body.is_ascii() || bytes.last() == Some(&b'\\') {
            // (`\$` at the end is an escaped dollar, not the anchor.)
            return None;
        }
        let mut atoms = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let mut class = [0u64; 2];
            match bytes[at] {
                b'\\' => {
                    escape(bytes.get(at + 1).copied()?, &mut class)?;
                    at += 2;
                }
                b'[' => {
                    let close = at + 1 + bytes[at + 1..].iter().position(|&b| b == b']')?;
                    class_items(&bytes[at + 1..close], &mut class)?;
                    at = close + 1;
                }
                b if META.contains(&b) => return None,
                b => {
                    add(&mut class, b);
                    at += 1;
                }
            }
            let (min, max, used) = quantifier(&bytes[at..])?;
            at += used;
            atoms.push(Atom { class, min, max });
        }
        Some(Pattern { atoms })
    }

    /// Whether the whole of `s` matches, by the set of positions each atom can reach (a bit
    /// set, so strings of up to 63 bytes; a longer one is left to the full validator).
    fn matches(&self, s: &str) -> bool {
        let bytes = s.as_bytes();
        if bytes.len() > MAX_PATTERN_INPUT || !s.is_ascii() {
            return false;
        }
        let mut reach: u64 = 1;
        for atom in &self.atoms {
            let mut next = 0u64;
            let mut starts = reach;
            while starts != 0 {
                let start = starts.trailing_zeros() as usize;
                starts &= starts - 1;
                let mut count = 0;
                loop {
                    if count >= atom.min {
                        next |= 1 << (start + count);
                    }
                    if count == atom.max
                        || start + count == bytes.len()
                        || !atom.holds(bytes[start + count])
                    {
                        break;
                    }
                    count += 1;
                }
            }
            if next == 0 {
                return false;
            }
            reach = next;
        }
        reach & (1 << bytes.len()) != 0
    }
}

fn add(class: &mut [u64; 2], b: u8) {
    class[(b / 64) as usize] |= 1 << (b % 64);
}

fn add_range(class: &mut [u64; 2], from: u8, to: u8) {
    for b in from..=to {
        add(class, b);
    }
}

/// `\x` outside or inside a class: `\d` (ASCII digits), `\w` (ASCII word characters), or an
/// escaped metacharacter (itself).
fn escape(b: u8, class: &mut [u64; 2]) -> Option<()> {
    match b {
        b'd' => add_range(class, b'0', b'9'),
        b'w' => {
            add_range(class, b'0', b'9');
            add_range(class, b'a', b'z');
            add_range(class, b'A', b'Z');
            add(class, b'_');
        }
        b if META.contains(&b) || b == b'/' || b == b'-' => add(class, b),
        _ => return None,
    }
    Some(())
}

/// The inside of `[...]`: literals, escapes and ranges (no negation).
fn class_items(items: &[u8], class: &mut [u64; 2]) -> Option<()> {
    if items.is_empty() || items[0] == b'^' {
        return None;
    }
    let mut at = 0;
    while at < items.len() {
        let b = items[at];
        if b == b'\\' {
            escape(*items.get(at + 1)?, class)?;
            at += 2;
            continue;
        }
        if b == b'[' {
            return None;
        }
        if items.get(at + 1) == Some(&b'-') && at + 2 < items.len() {
            let to = items[at + 2];
            if to == b'\\' || to == b'[' || to < b {
                return None;
            }
            add_range(class, b, to);
            at += 3;
            continue;
        }
        add(class, b);
        at += 1;
    }
    Some(())
}

/// The quantifier at the start of `rest`: `(min, max, bytes used)`.
fn quantifier(rest: &[u8]) -> Option<(usize, usize, usize)> {
    const LIMIT: usize = 1000;
    let (min, max, used) = match rest.first() {
        Some(b'?') => (0, 1, 1),
        Some(b'*') => (0, usize::MAX, 1),
        Some(b'+') => (1, usize::MAX, 1),
        Some(b'{') => {
            let close = rest.iter().position(|&b| b == b'}')?;
            let inside = std::str::from_utf8(&rest[1..close]).ok()?;
            let digits = |s: &str| {
                (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| s.parse::<usize>().ok())
                    .flatten()
                    .filter(|n| *n <= LIMIT)
            };
            let (min, max) = match inside.split_once(',') {
                None => {
                    let n = digits(inside)?;
                    (n, n)
                }
                Some((min, "")) => (digits(min)?, usize::MAX),
                Some((min, max)) => (digits(min)?, digits(max)?),
            };
            if min > max {
                return None;
            }
            (min, max, close + 1)
        }
        _ => (1, 1, 0),
    };
    // A lazy or possessive suffix, or a quantifier on a quantifier: left to the full validator.
    if used > 0 && matches!(rest.get(used), Some(b'?' | b'*' | b'+' | b'{')) {
        return None;
    }
    Some((min, max, used))
}

#[cfg(test)]
mod tests {
    use super::QuickSchema;
    use serde_json::{Value, json};

    fn schemas() -> Vec<Value> {
        vec![
            json!({"type": "object",
                   "properties": {
                       "date": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
                       "time": {"type": "string", "pattern": "^\\d{2}:\\d{2}$"},
                       "party_size": {"type": "integer", "minimum": 1, "maximum": 12},
                       "seating": {"type": "string", "enum": ["indoor", "terrace"]}},
                   "required": ["date", "time", "party_size"]}),
            json!({"type": "object", "additionalProperties": false,
                   "properties": {"a": {"type": ["string", "null"], "minLength": 2, "maxLength": 3},
                                  "n": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1.5},
                                  "c": {"const": 3}, "o": {"type": "object", "required": ["x"]}}}),
            json!({"properties": {"code": {"pattern": "^[A-Z][a-z0-9_-]*\\.[a-z]{2,3}$"},
                                  "w": {"pattern": "^\\w+ ?\\d?$"},
                                  "big": {"maximum": 9007199254740993u64, "minimum": -1.5}}}),
            json!({"type": "object", "properties": {"e": {"type": "string", "format": "email"}}}),
            json!({"type": "object", "properties": {"p": {"pattern": "a+"}}}),
            json!({"type": "object", "properties": {"c": {"enum": [1, 3], "const": 1}}}),
        ]
    }

    fn instances() -> Vec<Value> {
        vec![
            json!({"date": "2026-12-24", "time": "19:30", "party_size": 4, "seating": "terrace"}),
            json!({"date": "2026-12-24", "time": "19:30", "party_size": 4}),
            json!({"date": "2026-1-24", "time": "19:30", "party_size": 4}),
            json!({"date": "２０２６-12-24", "time": "19:30", "party_size": 4}),
            json!({"date": "2026-12-24", "time": "19:30", "party_size": 4.0}),
            json!({"date": "2026-12-24", "time": "19:30", "party_size": 13}),
            json!({"date": "2026-12-24", "time": "19:30", "party_size": 0}),
            json!({"date": "2026-12-24\n", "time": "19:30", "party_size": 4}),
            json!({"date": "2026-12-24", "time": "19:30", "party_size": 4, "seating": "roof"}),
            json!({"date": "2026-12-24", "party_size": 4}),
            json!({"a": "ab", "n": 1, "c": 3, "o": {"x": 1}}),
            json!({"a": null, "n": 1.4999}),
            json!({"a": "abcd"}),
            json!({"a": "é€"}),
            json!({"a": "a"}),
            json!({"n": 0}),
            json!({"n": 1.5}),
            json!({"c": 3.0}),
            json!({"o": {}}),
            json!({"extra": true}),
            json!({"code": "Ab_-9.io", "w": "word 7", "big": 9007199254740993u64}),
            json!({"code": "ab.io", "w": "wörd", "big": -1.5}),
            json!({"code": "A.toolong", "w": "w  ", "big": 9007199254740992u64}),
            json!({"code": "A.io\n", "w": "", "big": -2}),
            json!({"e": "not an email"}),
            json!({"p": "xaay"}),
            json!("not an object"),
            json!(null),
            json!([1]),
        ]
    }

    /// Never accepts what the full validator refuses, and agrees with it on the plain cases.
    #[test]
    fn accepts_only_what_the_full_validator_accepts() {
        let (mut compiled, mut accepted, mut agreed) = (0, 0, 0);
        for schema in schemas() {
            let full = jsonschema::draft7::options()
                .should_validate_formats(true)
                .build(&schema)
                .unwrap();
            let Some(quick) = QuickSchema::new(&schema, true) else {
                continue;
            };
            compiled += 1;
            for instance in instances() {
                let by_full = full.is_valid(&instance);
                if quick.accepts(&instance) {
                    accepted += 1;
                    assert!(by_full, "{schema} accepts {instance} quickly, not fully");
                }
                agreed += usize::from(quick.accepts(&instance) == by_full);
            }
        }
        assert_eq!(compiled, 3, "schemas with a quick form");
        assert_eq!(accepted, 30, "instances accepted quickly");
        // Left to the full validator though valid: `4.0` as an integer, `3.0` for `const: 3`,
        // and a bound beyond f64's exact integers compared with a float.
        assert_eq!(
            agreed,
            3 * 29 - 3,
            "cases the quick check decides as the full one does"
        );
    }

    /// Every pattern the quick check reads matches only strings jsonschema's `pattern` matches.
    #[test]
    fn quick_patterns_match_only_what_jsonschema_matches() {
        let patterns = [
            "^\\d{4}-\\d{2}-\\d{2}$",
            "^\\d{2}:\\d{2}$",
            "^[A-Z]{2}\\d{3,5}$",
            "^[a-z0-9._-]+$",
            "^\\w*$",
            "^a?b+c*$",
            "^[+]?\\d{1,3}[ -]?\\d{3,}$",
            "^\\(\\d\\)\\.\\$\\/$",
            "^x{0}y{2,}$",
            "^$",
        ];
        let strings = [
            "",
            "2026-12-24",
            "19:30",
            "AB123",
            "AB12",
            "ab.c-d_9",
            "word_7",
            "abbbc",
            "ac",
            "b",
            "+44 1234567",
            "44-123",
            "(1).$/",
            "yy",
            "xyy",
            "y",
            "1:2",
            "١٢:٣٤",
            "AB１２３",
            "2026-12-24\n",
            " 19:30",
            "a b",
            "ÀB123",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ];
        let mut matched = 0;
        for pattern in patterns {
            let schema = json!({"pattern": pattern});
            let quick = QuickSchema::new(&schema, true).unwrap_or_else(|| panic!("{pattern}"));
            let full = jsonschema::draft7::new(&schema).unwrap();
            for s in strings {
                let value = json!(s);
                if quick.accepts(&value) {
                    matched += 1;
                    assert!(
                        full.is_valid(&value),
                        "{pattern} matches {s:?} quickly, not fully"
                    );
                } else if s.is_ascii() && s.len() < 64 {
                    // Within the subset the two agree the other way too.
                    assert!(
                        !full.is_valid(&value),
                        "{pattern} refuses {s:?} quickly only"
                    );
                }
            }
        }
        assert_eq!(matched, 30, "pattern matches");
    }

    #[test]
    fn patterns_outside_the_subset_get_no_quick_form() {
        for pattern in [
            "a+",
            "^a",
            "a$",
            "^a\\$",
            "^(a)$",
            "^a|b$",
            "^.$",
            "^a+?$",
            "^a**$",
            "^\\s$",
            "^[^a]$",
            "^\\D$",
            "^é$",
            "^a{2,1}$",
            "^a{1001}$",
            "^[a-]$x",
        ] {
            let schema = json!({"pattern": pattern});
            assert!(QuickSchema::new(&schema, true).is_none(), "{pattern}");
        }
        let schema = json!({"items": {"type": "string"}});
        assert!(QuickSchema::new(&schema, true).is_none());
    }
}
