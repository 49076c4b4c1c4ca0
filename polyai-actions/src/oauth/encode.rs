//! The two encodings a token request needs: `application/x-www-form-urlencoded` and base64.

/// Form-encodes `text` (WHATWG `application/x-www-form-urlencoded`, as RFC 6749 appendix B
/// asks): `A-Z a-z 0-9 * - . _` kept, a space as `+`, every other byte `%XX`.
pub(crate) fn form_component(text: &str, out: &mut String) {
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

/// `key=value&key=value`, form-encoded.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        form_component(k, &mut out);
        out.push('=');
        form_component(v, &mut out);
    }
    out
}

/// `Basic base64(form(id):form(secret))`: RFC 6749 §2.3.1 form-encodes both before joining.
pub(crate) fn basic(client_id: &str, client_secret: &str) -> String {
    let mut joined = String::new();
    form_component(client_id, &mut joined);
    joined.push(':');
    form_component(client_secret, &mut joined);
    format!("Basic {}", crate::render::auth::base64(joined.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_reserved_bytes() {
        assert_eq!(
            form(&[("scope", "read write"), ("x", "a+b/c:d~é")]),
            "scope=read+write&x=a%2Bb%2Fc%3Ad%7E%C3%A9"
        );
    }

    #[test]
    fn basic_form_encodes_id_and_secret_first() {
        // RFC 6749 §2.3.1: "s3:cr t" becomes "s3%3Acr+t" before base64.
        assert_eq!(
            basic("my id", "s3:cr t"),
            format!("Basic {}", crate::render::auth::base64(b"my+id:s3%3Acr+t"))
        );
    }
}
