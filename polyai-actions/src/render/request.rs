//! The rendered request: the real `http::Request`, and its printed forms with secrets masked.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use super::RenderError;

/// One header while a request is being put together.
#[derive(Clone)]
struct DraftHeader {
    /// As written in the definition (shared with the printed forms).
    name: Arc<str>,
    /// The real value (empty when `parsed` holds it).
    value: String,
    /// What printed forms show instead of `value`, when it holds a secret.
    masked: Option<Arc<str>>,
    /// The name and value already checked and converted (a header of the definition, done once
    /// per prepared action) with the printed value, so the request takes them without parsing
    /// or copying again.
    parsed: Option<(http::HeaderName, http::HeaderValue, Arc<str>)>,
    /// The name already checked and converted, when only the value is left to check (a
    /// secret header of a prepared action).
    checked_name: Option<http::HeaderName>,
}

/// One printed header: the name as written in the definition, the value with secrets masked.
/// Shared (`Arc`) so a prepared action's fixed headers are printed without a copy per request.
pub(crate) type PrintedHeader = (Arc<str>, Arc<str>);

/// The printed headers of a request, in the order they are sent: `(name as written in the
/// definition, value with every secret masked)`.
#[derive(Clone, Debug)]
pub struct MaskedHeaders<'a>(std::slice::Iter<'a, PrintedHeader>);

impl<'a> Iterator for MaskedHeaders<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(name, value)| (&**name, &**value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for MaskedHeaders<'_> {}

impl DoubleEndedIterator for MaskedHeaders<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(name, value)| (&**name, &**value))
    }
}

/// The printed value of header `name` (case-insensitive) among `headers`.
fn masked_value<'h>(headers: &'h [PrintedHeader], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| &**v)
}

/// A header with a value written in the definition, checked and converted once.
#[derive(Clone, Debug)]
pub(crate) struct StaticHeader {
    name: Arc<str>,
    value: Arc<str>,
    parsed: (http::HeaderName, http::HeaderValue),
}

impl StaticHeader {
    /// The header, when its name and value are valid; `None` leaves it to the checks of
    /// [`Draft::finish`], which then reports what is wrong on every render.
    pub(crate) fn new(name: &str, value: &str) -> Option<StaticHeader> {
        if !value.is_ascii() {
            return None;
        }
        let parsed_name = http::HeaderName::from_bytes(name.as_bytes()).ok()?;
        let parsed_value = http::HeaderValue::from_str(value).ok()?;
        Some(StaticHeader {
            name: name.into(),
            value: value.into(),
            parsed: (parsed_name, parsed_value),
        })
    }
}

/// A request being put together: real and masked forms side by side.
pub(crate) struct Draft {
    pub(crate) method: http::Method,
    pub(crate) url: String,
    pub(crate) masked_url: String,
    /// The URL already checked and converted, with its printed form (a prepared action's,
    /// dropped as soon as a query is added).
    prepared_url: Option<(http::Uri, Arc<str>)>,
    headers: Vec<DraftHeader>,
    pub(crate) body: Bytes,
    pub(crate) secrets: Vec<String>,
    pub(crate) warnings: Vec<String>,
}

/// `url` without its fragment (`#...`), which is never sent.
pub(crate) fn without_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(before, _)| before)
}

impl Draft {
    /// A request to `url`; a fragment (`#...`) is dropped, as it is never sent.
    pub(crate) fn new(method: http::Method, mut url: String) -> Self {
        url.truncate(without_fragment(&url).len());
        Draft {
            method,
            masked_url: url.clone(),
            url,
            prepared_url: None,
            headers: Vec::with_capacity(4),
            body: Bytes::new(),
            secrets: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Sets a header, replacing any header of the same name (case-insensitively) in place.
    pub(crate) fn set_header(&mut self, name: &str, value: String, masked: Option<String>) {
        self.put(DraftHeader {
            name: name.into(),
            value,
            masked: masked.map(Arc::from),
            parsed: None,
            checked_name: None,
        });
    }

    /// [`Self::set_header`] for a secret value whose name (as written, and `checked`) and
    /// printed form are shared.
    pub(crate) fn set_secret_header(
        &mut self,
        name: Arc<str>,
        checked: http::HeaderName,
        value: String,
        masked: Arc<str>,
    ) {
        self.put(DraftHeader {
            name,
            value,
            masked: Some(masked),
            parsed: None,
            checked_name: Some(checked),
        });
    }

    /// [`Self::set_header`] for a header checked beforehand.
    pub(crate) fn set_static_header(&mut self, header: &StaticHeader) {
        self.put(DraftHeader {
            name: header.name.clone(),
            value: String::new(),
            masked: None,
            parsed: Some((
                header.parsed.0.clone(),
                header.parsed.1.clone(),
                header.value.clone(),
            )),
            checked_name: None,
        });
    }

    /// A request to a prepared action's URL, already converted (`uri`) and printed (`text`:
    /// the URL holds no secret, so it prints as it is): a request that adds no query takes it
    /// without parsing or copying; [`Self::add_query`] goes back to the text.
    pub(crate) fn prepared(method: http::Method, uri: http::Uri, text: Arc<str>) -> Self {
        Draft {
            method,
            url: String::new(),
            masked_url: String::new(),
            prepared_url: Some((uri, text)),
            headers: Vec::with_capacity(4),
            body: Bytes::new(),
            secrets: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn put(&mut self, header: DraftHeader) {
        let same = self
            .headers
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(&header.name));
        match same {
            // A later duplicate of the same name (impossible through `put`) cannot exist.
            Some(i) => self.headers[i] = header,
            None => self.headers.push(header),
        }
    }

    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// Adds `pair` (`name=value`) to the `Cookie` header, creating it if needed.
    pub(crate) fn add_cookie(&mut self, pair: String, masked_pair: String) {
        if let Some(h) = self
            .headers
            .iter_mut()
            .find(|h| h.name.eq_ignore_ascii_case("cookie"))
        {
            if let Some((_, _, printed)) = h.parsed.take() {
                h.value = printed.to_string();
            }
            let masked_before = h.masked.clone().unwrap_or_else(|| h.value.as_str().into());
            h.value = format!("{}; {pair}", h.value);
            h.masked = Some(format!("{masked_before}; {masked_pair}").into());
        } else {
            self.headers.push(DraftHeader {
                name: "Cookie".into(),
                value: pair,
                masked: Some(masked_pair.into()),
                parsed: None,
                checked_name: None,
            });
        }
    }

    /// Appends an already encoded query pair, with its masked form.
    pub(crate) fn add_query(&mut self, encoded: &str, masked: &str) {
        if let Some((_, text)) = self.prepared_url.take() {
            self.url = text.to_string();
            self.masked_url = text.to_string();
        }
        super::url::append_query(&mut self.url, encoded);
        super::url::append_query(&mut self.masked_url, masked);
    }

    pub(crate) fn note_secret(&mut self, name: &str) {
        if !self.secrets.iter().any(|s| s == name) {
            self.secrets.push(name.to_owned());
        }
    }

    pub(crate) fn finish(self) -> Result<RenderedRequest, RenderError> {
        let (uri, masked_url) = match self.prepared_url {
            Some((uri, masked)) => (uri, masked),
            None => {
                let masked_url = self.masked_url;
                // From the `String` itself: no copy of the URL.
                let uri = match http::Uri::try_from(self.url) {
                    Ok(uri) => uri,
                    Err(e) => return Err(invalid_url(&masked_url, &e)),
                };
                (uri, Arc::from(masked_url))
            }
        };
        let mut request = http::Request::new(self.body);
        *request.method_mut() = self.method;
        *request.uri_mut() = uri;
        let mut printed = Vec::with_capacity(self.headers.len());
        let headers = request.headers_mut();
        headers.reserve(self.headers.len());
        for h in self.headers {
            if let Some((name, value, shown)) = h.parsed {
                headers.append(name, value);
                printed.push((h.name, shown));
                continue;
            }
            let name = match h.checked_name {
                Some(name) => name,
                None => match http::HeaderName::from_bytes(h.name.as_bytes()) {
                    Ok(name) => name,
                    Err(_) => {
                        return Err(invalid_header(
                            &h.name,
                            h.masked.as_deref(),
                            BadHeader::Name,
                        ));
                    }
                },
            };
            if !h.value.is_ascii() {
                // The `http` crate would send UTF-8 bytes, Python's http.client Latin-1 (or
                // fail): the bytes on the wire depend on the runtime, so refuse.
                return Err(invalid_header(
                    &h.name,
                    h.masked.as_deref(),
                    BadHeader::NonAscii,
                ));
            }
            // The printed value first; then the real text moves into the header value (the
            // checks of `from_str`, without copying the text).
            let shown = match h.masked.clone() {
                Some(masked) => masked,
                None => Arc::from(h.value.as_str()),
            };
            let (name_written, masked) = (h.name, h.masked);
            let mut value = match http::HeaderValue::from_maybe_shared(Bytes::from(h.value)) {
                Ok(value) => value,
                Err(_) => {
                    return Err(invalid_header_value(&name_written, masked.as_deref()));
                }
            };
            if masked.is_some() {
                value.set_sensitive(true);
            }
            headers.append(name, value);
            printed.push((name_written, shown));
        }
        Ok(RenderedRequest {
            request,
            masked_url,
            masked_headers: printed,
            secrets: self.secrets,
            warnings: self.warnings,
        })
    }
}

/// What is wrong with a header of a draft, before its value is converted.
enum BadHeader {
    /// The name is not an HTTP token.
    Name,
    /// The value has non-ASCII characters.
    NonAscii,
}

/// The error for header `name`, whose value prints as `masked` when it holds a secret (kept out
/// of [`Draft::finish`]'s code: it runs only on errors).
#[cold]
#[inline(never)]
fn invalid_header(name: &str, masked: Option<&str>, bad: BadHeader) -> RenderError {
    let reason = match bad {
        BadHeader::Name => {
            "the name is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~)".to_owned()
        }
        BadHeader::NonAscii => {
            let which = match masked {
                Some(m) => format!("the value {m}"),
                None => "the value".to_owned(),
            };
            format!(
                "{which} has non-ASCII characters, whose bytes on the wire differ between \
                 runtimes (UTF-8 in Go, Latin-1 in Python); use ASCII, percent-encoded if need be"
            )
        }
    };
    RenderError::InvalidHeader {
        name: name.to_owned(),
        reason,
    }
}

/// The error for a header value `http` refuses (a line break or a control character), naming
/// the value only by its masked form when it holds a secret.
#[cold]
#[inline(never)]
fn invalid_header_value(name: &str, masked: Option<&str>) -> RenderError {
    RenderError::InvalidHeader {
        name: name.to_owned(),
        reason: match masked {
            Some(m) => format!(
                "the value {m} holds a line break, a control character or a non-ASCII \
                 character, which a header cannot carry; fix the secret's value"
            ),
            None => "the value holds a line break, a control character or a non-ASCII \
                     character, which a header cannot carry"
                .to_owned(),
        },
    }
}

/// The error for a URL `http` refuses, named by its masked form.
#[cold]
#[inline(never)]
fn invalid_url(masked_url: &str, error: &http::uri::InvalidUri) -> RenderError {
    RenderError::InvalidUrl {
        url: masked_url.to_owned(),
        reason: error.to_string(),
    }
}

/// The request an action or an integration operation would send.
///
/// It holds the real [`http::Request`] (secrets included, secret header values marked
/// [sensitive](http::HeaderValue::set_sensitive)) and a masked copy of its URL and headers for
/// printing: [`Display`](fmt::Display), [`Debug`](fmt::Debug) and [`to_curl`](Self::to_curl)
/// show each secret as `<secret:NAME>`. Note that the real request's own `Debug` (from the
/// `http` crate) hides sensitive headers but prints the URI in full, including an API key
/// sent as a query parameter: print this type instead.
///
/// Headers the sending client adds itself (`Host`, `Content-Length`, `User-Agent`, `Accept`,
/// `Accept-Encoding`, `Connection`) are not part of the rendering.
pub struct RenderedRequest {
    request: http::Request<Bytes>,
    masked_url: Arc<str>,
    masked_headers: Vec<PrintedHeader>,
    secrets: Vec<String>,
    warnings: Vec<String>,
}

impl RenderedRequest {
    /// The real request, to inspect.
    pub fn as_http(&self) -> &http::Request<Bytes> {
        &self.request
    }

    /// The real request, to hand on to a client.
    pub fn into_http(self) -> http::Request<Bytes> {
        self.request
    }

    /// The real request, to hand on to a client, and its printable record (masked URL and
    /// headers, the body), kept without copying the request. The action runner puts that
    /// record in the [`Outcome`](crate::outcome::Outcome) ([`Outcome::request`](crate::outcome::Outcome::request)).
    pub fn into_parts(self) -> (http::Request<Bytes>, SentRequest) {
        let sent = SentRequest {
            method: self.request.method().clone(),
            masked_url: self.masked_url,
            masked_headers: self.masked_headers,
            body: self.request.body().clone(),
        };
        (self.request, sent)
    }

    /// The method.
    pub fn method(&self) -> &http::Method {
        self.request.method()
    }

    /// The URL with secrets masked (`?api_key=<secret:NAME>`).
    pub fn url_masked(&self) -> &str {
        &self.masked_url
    }

    /// The headers in the order they are sent, names as written in the definition, secret
    /// values masked.
    pub fn headers_masked(&self) -> MaskedHeaders<'_> {
        MaskedHeaders(self.masked_headers.iter())
    }

    /// The masked value of header `name` (case-insensitive), if it is set.
    pub fn header_masked(&self, name: &str) -> Option<&str> {
        masked_value(&self.masked_headers, name)
    }

    /// The body bytes (never holds a secret: templates cannot read the secret store).
    pub fn body(&self) -> &Bytes {
        self.request.body()
    }

    /// The body as text, when it is UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(self.request.body()).ok()
    }

    /// The names of the secrets the request carries.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// Things the request does that are probably not what was meant (a body that is not valid
    /// JSON, a placeholder in place of an OAuth 2.0 token, ...).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A `curl` command that sends this request, with every secret masked as `<secret:NAME>`
    /// (replace those by hand to run it). Each argument is quoted for POSIX shells.
    ///
    /// There is deliberately no unmasked variant: a command line ends up in shell history and
    /// logs. Use [`into_http`](Self::into_http) to send the real request.
    pub fn to_curl(&self) -> String {
        let mut out = String::from("curl");
        if self.request.method() != http::Method::GET || !self.request.body().is_empty() {
            out.push_str(" --request ");
            out.push_str(self.request.method().as_str());
        }
        out.push(' ');
        out.push_str(&shell_quote(self.masked_url.as_bytes()));
        for (name, value) in &self.masked_headers {
            out.push_str(" \\\n  --header ");
            // `Name:` with nothing after it makes curl drop the header; `Name;` sends it empty.
            let header = if value.is_empty() {
                format!("{name};")
            } else {
                format!("{name}: {value}")
            };
            out.push_str(&shell_quote(header.as_bytes()));
        }
        if !self.request.body().is_empty() {
            out.push_str(" \\\n  --data-binary ");
            out.push_str(&shell_quote(self.request.body()));
        }
        out
    }
}

/// The printable record of a request that was sent: method, URL and headers with every
/// secret masked (`<secret:NAME>`; an OAuth 2.0 token put on by the sender as
/// `<oauth2 token>`), and the body. It holds no secret value, so its `Display` and `Debug`
/// can be logged; a body template that copied a sensitive conversation variable into the
/// body still shows it (mask those with
/// [`Conversation::redact`](crate::chain::Conversation::redact)).
#[derive(Clone, PartialEq, Eq)]
pub struct SentRequest {
    method: http::Method,
    masked_url: Arc<str>,
    masked_headers: Vec<PrintedHeader>,
    body: Bytes,
}

impl SentRequest {
    /// The method.
    pub fn method(&self) -> &http::Method {
        &self.method
    }

    /// The URL with secrets masked.
    pub fn url_masked(&self) -> &str {
        &self.masked_url
    }

    /// The headers in the order they were sent, secret values masked.
    pub fn headers_masked(&self) -> MaskedHeaders<'_> {
        MaskedHeaders(self.masked_headers.iter())
    }

    /// The masked value of header `name` (case-insensitive), if it was sent.
    pub fn header_masked(&self, name: &str) -> Option<&str> {
        masked_value(&self.masked_headers, name)
    }

    /// The body bytes.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text, when it is UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// Records that the sender set header `name` to a value printed as `masked`, replacing a
    /// header of that name (case-insensitively) in place, else adding it.
    pub(crate) fn set_header_masked(&mut self, name: &str, masked: String) {
        match self
            .masked_headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(header) => header.1 = masked.into(),
            None => self.masked_headers.push((name.into(), masked.into())),
        }
    }
}

/// Writes a request as an HTTP message: request line, headers, blank line, body.
fn write_message(
    f: &mut fmt::Formatter<'_>,
    method: &http::Method,
    url: &str,
    headers: &[PrintedHeader],
    body: &[u8],
) -> fmt::Result {
    writeln!(f, "{method} {url}")?;
    for (name, value) in headers {
        writeln!(f, "{name}: {value}")?;
    }
    if !body.is_empty() {
        writeln!(f)?;
        f.write_str(&String::from_utf8_lossy(body))?;
    }
    Ok(())
}

impl fmt::Display for SentRequest {
    /// As [`RenderedRequest`]'s: the request line with the masked URL, the masked headers, a
    /// blank line and the body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_message(
            f,
            &self.method,
            &self.masked_url,
            &self.masked_headers,
            &self.body,
        )
    }
}

impl fmt::Debug for SentRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentRequest")
            .field("method", &self.method)
            .field("url", &self.masked_url)
            .field("headers", &self.masked_headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// Quotes `bytes` as one POSIX shell word: in single quotes (`'` written `'\''`), or, when the
/// text is not UTF-8 or holds control characters, as a `$'...'` word with `\xNN` escapes. A
/// shell reads the word back as exactly `bytes`, so it is safe for any URL, header or body.
///
/// ```
/// use polyai_actions::render::shell_quote;
/// assert_eq!(shell_quote(b"it's"), r"'it'\''s'");
/// assert_eq!(shell_quote(b"a\x1bb"), r"$'a\x1bb'");
/// ```
pub fn shell_quote(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text)
            if !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t') =>
        {
            format!("'{}'", text.replace('\'', r"'\''"))
        }
        _ => {
            let mut out = String::from("$'");
            for &b in bytes {
                match b {
                    b'\'' => out.push_str("\\'"),
                    b'\\' => out.push_str("\\\\"),
                    0x20..=0x7e => out.push(b as char),
                    _ => out.push_str(&format!("\\x{b:02x}")),
                }
            }
            out.push('\'');
            out
        }
    }
}

impl fmt::Display for RenderedRequest {
    /// An HTTP message: the request line with the masked URL, the masked headers, a blank
    /// line and the body (lossily decoded if it is not UTF-8).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_message(
            f,
            self.request.method(),
            &self.masked_url,
            &self.masked_headers,
            self.request.body(),
        )
    }
}

impl fmt::Debug for RenderedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderedRequest")
            .field("method", self.request.method())
            .field("url", &self.masked_url)
            .field("headers", &self.masked_headers)
            .field("body", &String::from_utf8_lossy(self.request.body()))
            .field("secrets", &self.secrets)
            .field("warnings", &self.warnings)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote(b"it's"), r"'it'\''s'");
        assert_eq!(shell_quote(b"a\nb"), "'a\nb'");
        assert_eq!(shell_quote(b"\x01\xff'"), r"$'\x01\xff\''");
    }
}
