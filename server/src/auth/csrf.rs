//! Anti-CSRF tokens: a random token in an HttpOnly cookie, repeated by every
//! state-changing form (`csrf` field) or fetch (`x-csrf-token` header). A
//! cross-site page can neither read the cookie nor the token in our pages.

use subtle::ConstantTimeEq;

pub const COOKIE: &str = "csrf";
pub const FIELD: &str = "csrf";
pub const HEADER: &str = "x-csrf-token";

/// Compares the submitted token with the cookie's, in constant time.
pub fn matches(expected: &str, submitted: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

/// Finds the `csrf` field in a form-encoded body.
pub fn token_in_form(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_is_exact() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abc", "abd"));
        assert!(!matches("abc", "ab"));
        assert!(!matches("", ""));
    }

    #[test]
    fn finds_the_field_in_a_form() {
        assert_eq!(token_in_form(b"a=1&csrf=xyz&b=2").as_deref(), Some("xyz"));
        assert_eq!(token_in_form(b"a=1"), None);
        assert_eq!(token_in_form(b"csrf=a%2Bb").as_deref(), Some("a+b"));
    }
}
