//! Framework-neutral header access.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

/// Read access to a request's headers by case-insensitive name, so a [`Verifier`] works with
/// any HTTP framework.
///
/// Implemented for `http::HeaderMap` (the type behind `axum::http::HeaderMap`,
/// `reqwest::header::HeaderMap`, hyper, tower and most Rust servers), for slices, arrays and
/// `Vec`s of `(name, value)` pairs, and for `HashMap`/`BTreeMap`s from names to values. For
/// another framework, implement [`header`](WebhookHeaders::header) with a case-insensitive
/// lookup.
///
/// [`Verifier`]: super::Verifier
pub trait WebhookHeaders {
    /// The value of the header `name` (the verifier passes it in lower case; match it
    /// case-insensitively), or `None` if it is absent or its value is not text. With several
    /// headers of that name, return the first.
    fn header(&self, name: &str) -> Option<&str>;

    /// Whether the header `name` is present at all, even with a value that is not text. Used
    /// only to tell a missing header from an unreadable one in errors; the default says
    /// `header(name).is_some()`.
    fn has_header(&self, name: &str) -> bool {
        self.header(name).is_some()
    }
}

/// The verifier's own header names, prepared once: looking a `HeaderMap` up by a `&str`
/// parses and validates the name on every call, which was a measurable share of a whole
/// verification (see BENCHMARKS.md).
static KNOWN_NAMES: [(&str, http::HeaderName); 3] = [
    (
        super::TIMESTAMP_HEADER,
        http::HeaderName::from_static(super::TIMESTAMP_HEADER),
    ),
    (
        super::SIGNATURE_HEADER,
        http::HeaderName::from_static(super::SIGNATURE_HEADER),
    ),
    (
        super::EVENT_ID_HEADER,
        http::HeaderName::from_static(super::EVENT_ID_HEADER),
    ),
];

fn header_value<'m>(map: &'m http::HeaderMap, name: &str) -> Option<&'m http::HeaderValue> {
    match KNOWN_NAMES.iter().find(|(known, _)| *known == name) {
        Some((_, prepared)) => map.get(prepared),
        None => map.get(name),
    }
}

impl WebhookHeaders for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&str> {
        // `HeaderMap` names are lower case already; a `&str` key is normalised on lookup.
        // Values may legally hold UTF-8 (obs-text) that `to_str` refuses; accept that too.
        header_value(self, name).and_then(|value| std::str::from_utf8(value.as_bytes()).ok())
    }

    fn has_header(&self, name: &str) -> bool {
        header_value(self, name).is_some()
    }
}

fn find_pair<'a, K, V>(
    pairs: impl IntoIterator<Item = (&'a K, &'a V)>,
    name: &str,
) -> Option<&'a str>
where
    K: AsRef<str> + ?Sized + 'a,
    V: AsRef<str> + ?Sized + 'a,
{
    pairs
        .into_iter()
        .find(|(key, _)| key.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_ref())
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        find_pair(self.iter().map(|(key, value)| (key, value)), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> WebhookHeaders for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, S: BuildHasher> WebhookHeaders for HashMap<K, V, S> {
    fn header(&self, name: &str) -> Option<&str> {
        find_pair(self.iter(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> WebhookHeaders for BTreeMap<K, V> {
    fn header(&self, name: &str) -> Option<&str> {
        find_pair(self.iter(), name)
    }
}

impl<T: WebhookHeaders + ?Sized> WebhookHeaders for &T {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }

    fn has_header(&self, name: &str) -> bool {
        (**self).has_header(name)
    }
}
