//! Singular JSONPath queries (RFC 9535 section 2.3.5.1: `$` followed only by name and index
//! selectors, one per segment), evaluated without the general query machinery.
//!
//! Nearly every output variable is such a path (`$.reference`, `$.tables[0]`,
//! `$['booking']['id']`). A singular query selects at most one node, so it needs no node list,
//! no allocation, and a direct walk of the document gives the same node the general evaluator
//! gives. Only paths written in a conservative subset of the grammar are recognised here;
//! anything else (whitespace, escapes, non-ASCII shorthand names, `-0`, huge indices, filters,
//! wildcards, descendants...) is left to `serde_json_path`, so the two can never disagree on
//! what a path means. The tests compare both on many paths and documents.

use serde_json::Value;

use crate::plain_json::{MAX_DEPTH, Reader, Scan};

/// One step of a singular query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// `.name`, `['name']` or `["name"]`: the member `name` of an object.
    Name(String),
    /// `[i]`: the element at `i` of an array, counted from the end when negative.
    Index(i64),
}

/// A parsed singular query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SingularPath(Vec<Step>);

/// Largest index RFC 9535 allows (I-JSON's exact integer range).
const MAX_INDEX: i64 = (1 << 53) - 1;

impl SingularPath {
    /// The query, when `path` is a singular query written in the subset this module reads.
    pub(crate) fn parse(path: &str) -> Option<SingularPath> {
        let mut rest = path.strip_prefix('$')?;
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                let name = &after[..end];
                if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                    return None;
                }
                steps.push(Step::Name(name.to_owned()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let close = after.find(']')?;
                steps.push(Self::selector(&after[..close])?);
                rest = &after[close + 1..];
            } else {
                return None;
            }
        }
        Some(SingularPath(steps))
    }

    /// The inside of a bracket: a quoted name without escapes, or a plain integer.
    fn selector(inside: &str) -> Option<Step> {
        for quote in ['\'', '"'] {
            if let Some(name) = inside
                .strip_prefix(quote)
                .and_then(|s| s.strip_suffix(quote))
            {
                // No escapes, no quote of either kind, no control characters: then the text
                // between the quotes is the name itself.
                let plain = !name
                    .chars()
                    .any(|c| c == '\\' || c == '\'' || c == '"' || c.is_control());
                return plain.then(|| Step::Name(name.to_owned()));
            }
        }
        let digits = inside.strip_prefix('-').unwrap_or(inside);
        let well_formed = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'))
            && inside != "-0";
        if !well_formed {
            return None;
        }
        let index: i64 = inside.parse().ok()?;
        (-MAX_INDEX..=MAX_INDEX)
            .contains(&index)
            .then_some(Step::Index(index))
    }

    /// The node the query selects in `root`, with its JSON Pointer (RFC 6901) when `pointer`
    /// is asked for.
    pub(crate) fn select<'v>(
        &self,
        root: &'v Value,
        pointer: bool,
    ) -> Option<(&'v Value, Option<String>)> {
        select(&self.0, root, pointer)
    }

    /// The JSON Pointer of the node the query names, when it does not depend on the document
    /// (no negative index).
    pub(crate) fn fixed_pointer(&self) -> Option<String> {
        let mut at = String::new();
        for step in &self.0 {
            match step {
                Step::Name(name) => push_name_token(&mut at, name),
                Step::Index(index) => push_index_token(&mut at, usize::try_from(*index).ok()?),
            }
        }
        Some(at)
    }
}

/// The node `steps` lead to from `root` (a negative index counts from the end of its array),
/// with its JSON Pointer when `pointer` is asked for.
fn select<'v>(
    steps: &[Step],
    root: &'v Value,
    pointer: bool,
) -> Option<(&'v Value, Option<String>)> {
    let mut node = root;
    let mut at = pointer.then(String::new);
    for step in steps {
        match (step, node) {
            (Step::Name(name), Value::Object(map)) => {
                node = map.get(name)?;
                if let Some(at) = at.as_mut() {
                    push_name_token(at, name);
                }
            }
            (Step::Index(index), Value::Array(items)) => {
                let len = i64::try_from(items.len()).ok()?;
                let resolved = if *index < 0 { len + index } else { *index };
                let position = usize::try_from(resolved).ok()?;
                node = items.get(position)?;
                if let Some(at) = at.as_mut() {
                    push_index_token(at, position);
                }
            }
            _ => return None,
        }
    }
    Some((node, at))
}

/// Appends `/name` to a JSON Pointer, with `~` and `/` escaped (RFC 6901).
fn push_name_token(at: &mut String, name: &str) {
    at.push('/');
    for c in name.chars() {
        match c {
            '~' => at.push_str("~0"),
            '/' => at.push_str("~1"),
            c => at.push(c),
        }
    }
}

/// Appends `/index` to a JSON Pointer.
fn push_index_token(at: &mut String, index: usize) {
    at.push('/');
    at.push_str(&index.to_string());
}

/// The nodes the singular queries of `paths` select in the JSON document `raw` (a copy of
/// each, `None` where a query selects nothing), read in one pass that builds only the selected
/// subtrees: every other value is checked and skipped.
///
/// `None` when the pass cannot stand in for parsing the whole document: a path is not a
/// singular query, `raw` is not UTF-8 or not a JSON document, a query has a negative index
/// (which needs the array's length), or there are more than 64 queries. Skipped values go
/// through the same `serde_json` deserializer, in the same way, as a parse into [`Value`] does,
/// so `raw` is accepted here exactly when it parses as a `Value` (same syntax, string escapes,
/// number range and nesting limit), and a duplicated key selects its last occurrence, as in a
/// `Value`.
pub(crate) fn extract(raw: &[u8], paths: &[super::ParsedPath]) -> Option<Vec<Option<Value>>> {
    if paths.len() > 64 {
        return None;
    }
    for path in paths {
        let singular = path.singular.as_ref()?;
        if singular
            .0
            .iter()
            .any(|s| matches!(s, Step::Index(i) if *i < 0))
        {
            return None;
        }
    }
    let text = std::str::from_utf8(raw).ok()?;
    let all = if paths.len() == 64 {
        u64::MAX
    } else {
        (1u64 << paths.len()) - 1
    };
    read_plain(text, paths, all).or_else(|| read_with_serde(text, paths, all))
}

/// [`extract`] on the small reader of [`crate::plain_json`]; `None` when the document is not
/// plain JSON.
fn read_plain(text: &str, paths: &[super::ParsedPath], all: u64) -> Option<Vec<Option<Value>>> {
    let mut found: Vec<Option<Value>> = vec![None; paths.len()];
    let mut walk = Walk {
        paths,
        found: &mut found,
        reader: Reader::new(text),
    };
    walk.node(all, 0).ok()?;
    walk.reader.finish().ok()?;
    Some(found)
}

/// [`extract`] through serde_json's deserializer, for any document.
fn read_with_serde(
    text: &str,
    paths: &[super::ParsedPath],
    all: u64,
) -> Option<Vec<Option<Value>>> {
    let mut found: Vec<Option<Value>> = vec![None; paths.len()];
    let mut de = serde_json::Deserializer::from_str(text);
    serde::de::DeserializeSeed::deserialize(
        Select {
            paths,
            active: all,
            depth: 0,
            found: &mut found,
        },
        &mut de,
    )
    .ok()?;
    de.end().ok()?;
    Some(found)
}

/// The one pass over a plain document (see [`crate::plain_json`]): the same walk as
/// [`Select`], on the small reader. It gives up ([`Unsure`]) wherever the document leaves the
/// plain subset, and [`extract`] then reads it with [`Select`].
struct Walk<'p, 'f, 't> {
    /// Every one has a singular query (checked by [`extract`]).
    paths: &'p [super::ParsedPath],
    found: &'f mut [Option<Value>],
    reader: Reader<'t>,
}

impl Walk<'_, '_, '_> {
    /// The value here, `active` being the queries that matched their first `depth` steps.
    fn node(&mut self, active: u64, depth: usize) -> Scan<()> {
        self.reader.skip_whitespace();
        if ends_at(self.paths, active, depth) {
            let start = self.reader.position();
            let kind = self.reader.skip_value(depth)?;
            let node = self.reader.value_of(start, kind)?;
            store(self.paths, self.found, active, depth, node);
            return Ok(());
        }
        match self.reader.peek() {
            Some(b'{') if depth < MAX_DEPTH => {
                self.reader.expect(b'{')?;
                if self.reader.empty(b'}') {
                    return Ok(());
                }
                loop {
                    let key = self.reader.key()?;
                    let routed = route(
                        self.paths,
                        self.found,
                        active,
                        depth,
                        |s| matches!(s, Step::Name(n) if n == key),
                    );
                    if routed == 0 {
                        self.reader.skip_value(depth + 1)?;
                    } else {
                        self.node(routed, depth + 1)?;
                    }
                    if !self.reader.comma_or(b'}')? {
                        return Ok(());
                    }
                }
            }
            Some(b'[') if depth < MAX_DEPTH => {
                self.reader.expect(b'[')?;
                if self.reader.empty(b']') {
                    return Ok(());
                }
                let mut index: i64 = 0;
                loop {
                    let routed = route(self.paths, self.found, active, depth, |s| {
                        *s == Step::Index(index)
                    });
                    if routed == 0 {
                        self.reader.skip_value(depth + 1)?;
                    } else {
                        self.node(routed, depth + 1)?;
                    }
                    if !self.reader.comma_or(b']')? {
                        return Ok(());
                    }
                    index += 1;
                }
            }
            _ => self.reader.skip_value(depth).map(|_| ()),
        }
    }
}

/// The steps of query `i` of `paths` (each has a singular query, checked by [`extract`]).
fn steps_of(paths: &[super::ParsedPath], i: usize) -> &[Step] {
    paths[i].singular.as_ref().map_or(&[], |p| &p.0)
}

/// Whether a query of `active` ends at `depth` (its value is wanted whole).
fn ends_at(paths: &[super::ParsedPath], active: u64, depth: usize) -> bool {
    bits(active).any(|i| steps_of(paths, i).len() == depth)
}

/// The queries of `active` whose step at `depth` is `wanted`. What each had found is cleared:
/// a later duplicate key replaces what an earlier one gave.
fn route(
    paths: &[super::ParsedPath],
    found: &mut [Option<Value>],
    active: u64,
    depth: usize,
    wanted: impl Fn(&Step) -> bool,
) -> u64 {
    let mut routed = 0;
    for i in bits(active) {
        if steps_of(paths, i).get(depth).is_some_and(&wanted) {
            routed |= 1 << i;
            found[i] = None;
        }
    }
    routed
}

/// Stores `node`, the value at `depth` where a query of `active` ends ([`ends_at`]): for that
/// query, the value itself; for a longer one passing through it, what the rest of its steps
/// select in it.
fn store(
    paths: &[super::ParsedPath],
    found: &mut [Option<Value>],
    active: u64,
    depth: usize,
    node: Value,
) {
    if active.count_ones() == 1 {
        // The usual case: one query, ending here, takes the value itself.
        found[active.trailing_zeros() as usize] = Some(node);
        return;
    }
    for i in bits(active) {
        let rest = steps_of(paths, i).get(depth..).unwrap_or(&[]);
        found[i] = select(rest, &node, false).map(|(v, _)| v.clone());
    }
}

/// The positions of the bits set in `mask`, lowest first.
fn bits(mut mask: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let i = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            i
        })
    })
}

/// The walk at one node: the queries still on their way (`active`, a bit per query), each
/// having matched its first `depth` steps.
struct Select<'p, 'f> {
    /// Every one has a singular query (checked by [`extract`]).
    paths: &'p [super::ParsedPath],
    active: u64,
    depth: usize,
    found: &'f mut [Option<Value>],
}

impl Select<'_, '_> {
    /// The walk at the value where the queries `routed` (from [`route`]) go on.
    fn child(&mut self, routed: u64) -> Select<'_, '_> {
        Select {
            paths: self.paths,
            active: routed,
            depth: self.depth + 1,
            found: self.found,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Select<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        if ends_at(self.paths, self.active, self.depth) {
            let node = Value::deserialize(de)?;
            store(self.paths, self.found, self.active, self.depth, node);
            return Ok(());
        }
        de.deserialize_any(self)
    }
}

use serde::Deserialize as _;

impl<'de> serde::de::Visitor<'de> for Select<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut index: i64 = 0;
        loop {
            let routed = route(self.paths, self.found, self.active, self.depth, |s| {
                *s == Step::Index(index)
            });
            let more = if routed == 0 {
                seq.next_element::<Skip>()?.is_some()
            } else {
                seq.next_element_seed(Present(self.child(routed)))?
                    .is_some()
            };
            if !more {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let routed = route(
                self.paths,
                self.found,
                self.active,
                self.depth,
                |s| matches!(s, Step::Name(n) if n.as_str() == key.0.as_ref()),
            );
            if routed == 0 {
                map.next_value::<Skip>()?;
            } else {
                map.next_value_seed(self.child(routed))?;
            }
        }
        Ok(())
    }
}

/// A [`Select`] as a sequence element (`next_element_seed` needs a seed whose value says the
/// element was there).
struct Present<'p, 'f>(Select<'p, 'f>);

impl<'de> serde::de::DeserializeSeed<'de> for Present<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        self.0.deserialize(de)
    }
}

/// An object key, borrowed from the document when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
        }
        de.deserialize_str(KeyVisitor)
    }
}

/// Any JSON value, checked the way a parse into [`Value`] checks it (`deserialize_any`, so the
/// same string and number handling) and dropped without being built.
struct Skip;

impl<'de> serde::Deserialize<'de> for Skip {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> serde::de::Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_none<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_key::<Key<'de>>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

#[cfg(test)]
mod tests {
    use super::SingularPath;
    use serde_json::{Value, json};
    use serde_json_path::JsonPath;

    /// Paths the subset reads, paths it leaves to the general evaluator, and a few that are
    /// not valid at all.
    const PATHS: &[&str] = &[
        "$",
        "$.a",
        "$.a.b",
        "$.a_1",
        "$._x",
        "$['a']",
        "$[\"a\"]",
        "$['a b']",
        "$['a/b~c']",
        "$['']",
        "$.list[0]",
        "$.list[1]",
        "$.list[2]",
        "$.list[-1]",
        "$.list[-3]",
        "$.list[-4]",
        "$.list[10]",
        "$.a.list[0].b",
        "$[0]",
        "$.n[0][1]",
        "$.n[-1][-1]",
        // Not read by the subset (the general evaluator decides).
        "$[ 0 ]",
        "$['a\\'b']",
        "$['\\u0061']",
        "$.é",
        "$.list[-0]",
        "$.list[01]",
        "$.list[9007199254740992]",
        "$.list[*]",
        "$..a",
        "$.list[0,1]",
        "$.list[0:2]",
        "$[?@.b]",
        "$.1a",
        "$.",
        "$a",
        "a",
        "$.a[",
        "$.a]",
        "",
    ];

    fn documents() -> Vec<Value> {
        vec![
            json!({"a": {"b": 1, "list": [{"b": "x"}, {"b": "y"}]}, "list": [10, 20, 30],
                   "a_1": true, "_x": null, "a b": "space", "a/b~c": "odd", "": "empty",
                   "n": [[1, 2], [3, 4]], "é": "accent", "a'b": "quote"}),
            json!([["nested"], 2, 3]),
            json!({"a": [1, 2], "list": {"0": "not an array"}}),
            json!("scalar"),
            json!(null),
        ]
    }

    #[test]
    fn agrees_with_serde_json_path_on_every_path_and_document() {
        let mut read_by_subset = 0;
        for path in PATHS {
            let Some(singular) = SingularPath::parse(path) else {
                continue;
            };
            read_by_subset += 1;
            let general = JsonPath::parse(path).unwrap_or_else(|e| {
                panic!("{path}: the subset reads a path RFC 9535 refuses: {e}")
            });
            for document in documents() {
                let expected = general.query_located(&document).all();
                let found = singular.select(&document, true);
                match (expected.as_slice(), found) {
                    ([], None) => {}
                    ([node], Some((value, Some(pointer)))) => {
                        assert_eq!(node.node(), value, "{path} over {document}");
                        assert_eq!(
                            node.location().to_json_pointer(),
                            pointer,
                            "{path} over {document}"
                        );
                    }
                    (expected, found) => panic!(
                        "{path} over {document}: serde_json_path gives {} node(s), the subset {found:?}",
                        expected.len()
                    ),
                }
            }
        }
        assert_eq!(
            read_by_subset, 21,
            "the subset reads the first 21 paths of PATHS"
        );
    }

    /// Documents for the one-pass reader: duplicated keys, escapes, numbers at the edge of
    /// what a `Value` holds, nesting, and documents that are not JSON at all.
    const RAW: &[&str] = &[
        r#"{"a": {"b": 1, "list": [{"b": "x"}, {"b": "y"}]}, "list": [10, 20, 30], "a_1": true}"#,
        r#"{"a": {"b": 1}, "a": {"c": 2}}"#,
        r#"{"a": 1, "a": {"b": 3}}"#,
        r#"{"list": [1, 2], "list": []}"#,
        r#"{"a\u0020b": "escaped key", "a b": "plain key"}"#,
        r#"{"a b": "plain key", "a\u0020b": "escaped key"}"#,
        r#"{"a": "\ud83d\ude00", "list": ["\n", 1e308, -0, 12345678901234567890]}"#,
        r#"{"a": "\ud800", "list": [1]}"#,
        r#"{"a": 1, "list": [1e400]}"#,
        r#"{"a": 1, "x": "\q"}"#,
        r#"{"a": 1} trailing"#,
        r#"{"a": 1,}"#,
        r#"[["nested"], 2, 3]"#,
        r#"{"n": [[1, 2], [3, 4]], "": "empty", "a/b~c": "odd"}"#,
        r#""scalar""#,
        r#"null"#,
        "",
        "   ",
        "{\"a\": \"\u{1}\"}",
        "{\"a\": \"caf\u{e9}\"}",
    ];

    /// The paths of [`PATHS`] the one-pass reading takes (singular, no negative index).
    fn one_pass_paths() -> Vec<super::super::ParsedPath> {
        PATHS
            .iter()
            .filter_map(|p| SingularPath::parse(p).map(|s| (p, s)))
            .filter(|(_, s)| {
                !s.0.iter()
                    .any(|s| matches!(s, super::Step::Index(i) if *i < 0))
            })
            .map(|(p, _)| super::super::ParsedPath::new("v", p))
            .collect()
    }

    #[test]
    fn one_pass_reading_gives_what_a_full_parse_gives() {
        let paths = one_pass_paths();
        assert_eq!(paths.len(), 17);
        let mut deep = String::new();
        for _ in 0..200 {
            deep.push('[');
        }
        for _ in 0..200 {
            deep.push(']');
        }
        let mut raws: Vec<Vec<u8>> = RAW.iter().map(|r| r.as_bytes().to_vec()).collect();
        raws.push(deep.into_bytes());
        raws.push(b"{\"a\": \"\xff\"}".to_vec());
        for raw in &raws {
            let parsed = serde_json::from_slice::<Value>(raw);
            let found = super::extract(raw, &paths);
            let text = String::from_utf8_lossy(raw);
            match (parsed, found) {
                (Err(_), None) => {}
                (Ok(document), Some(found)) => {
                    for (path, got) in paths.iter().zip(found) {
                        let singular = path.singular.as_ref().unwrap();
                        let expected = singular.select(&document, true);
                        let got = got.map(|v| (v, singular.fixed_pointer()));
                        assert_eq!(
                            got.as_ref().map(|(v, p)| (v, p.clone())),
                            expected,
                            "{singular:?} over {text}"
                        );
                    }
                }
                (parsed, found) => panic!(
                    "{text}: a full parse gives {}, the one-pass reader {}",
                    if parsed.is_ok() {
                        "a document"
                    } else {
                        "an error"
                    },
                    if found.is_some() { "a result" } else { "none" }
                ),
            }
        }
    }

    /// The small reader answers plain documents, and exactly as the serde_json pass does.
    #[test]
    fn the_plain_reader_and_the_serde_json_pass_agree() {
        let paths = one_pass_paths();
        let all = (1u64 << paths.len()) - 1;
        let mut documents: Vec<String> = RAW.iter().map(|r| r.to_string()).collect();
        documents.extend(
            crate::plain_json::tests::DOCUMENTS
                .iter()
                .map(|d| d.to_string()),
        );
        documents.extend(documents_with_every_path());
        let mut answered = 0;
        for document in &documents {
            let by_serde = super::read_with_serde(document, &paths, all);
            if let Some(plain) = super::read_plain(document, &paths, all) {
                answered += 1;
                assert_eq!(Some(plain), by_serde, "{document}");
            }
        }
        assert_eq!(answered, 36, "plain documents the small reader answers");
    }

    /// Documents in which the paths of [`PATHS`] find something, written as text with
    /// duplicated keys, odd spacing and values of every kind.
    fn documents_with_every_path() -> Vec<String> {
        vec![
            r#"{"a": {"b": [1, 2.5, "x"], "list": [{"b": "x"}, {"b": {"deep": [null]}}]},
               "list": [10, -20, 30.25, {"k": "v"}], "a_1": false, "_x": 0, "a b": [],
               "a/b~c": {}, "": "", "n": [[1, 2], [3, [4, 5]]]}"#
                .to_owned(),
            r#"{"a": 1, "a": {"b": 2}, "list": [1], "list": [[0], 1, 2], "n": [0, [9, 8]]}"#
                .to_owned(),
            r#"{"a":{"b":{"c":1},"b":true},"list":["\n\t\"", 18446744073709551616, -0]}"#
                .to_owned(),
            r#"[[["x"]], {"a": 1}, 3]"#.to_owned(),
            r#"{"list": {"0": 1}, "a": [], "n": {"0": {"1": 2}}}"#.to_owned(),
        ]
    }

    #[test]
    fn one_pass_reading_declines_negative_indices() {
        let path = super::super::ParsedPath::new("v", "$.list[-1]");
        assert!(path.singular.is_some());
        assert_eq!(super::extract(br#"{"list": [1]}"#, &[path]), None);
    }

    #[test]
    fn leaves_everything_outside_the_subset_to_the_general_evaluator() {
        for path in [
            "$[ 0 ]",
            "$['a\\'b']",
            "$.é",
            "$.list[-0]",
            "$.list[01]",
            "$..a",
            "$.list[*]",
        ] {
            assert_eq!(SingularPath::parse(path), None, "{path}");
        }
    }
}
