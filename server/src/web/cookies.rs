//! Reading and writing the two cookies the scheduler sets.

use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

/// The value of cookie `name` in the request, if any.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_owned()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure when asked.
/// `max_age` of `None` makes a browser-session cookie; `Some(0)` deletes it.
pub fn set(name: &str, value: &str, max_age_secs: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if let Some(secs) = max_age_secs {
        c = c.max_age(cookie::time::Duration::seconds(secs));
    }
    HeaderValue::from_str(&c.build().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; sid=abc; csrf=xyz"),
        );
        assert_eq!(get(&h, "sid").as_deref(), Some("abc"));
        assert_eq!(get(&h, "csrf").as_deref(), Some("xyz"));
        assert_eq!(get(&h, "none"), None);
    }

    #[test]
    fn set_cookie_attributes() {
        let v = set("sid", "tok", Some(60), true);
        let s = v.to_str().unwrap();
        for part in [
            "sid=tok",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(s.contains(part), "{s} lacks {part}");
        }
        assert!(!set("sid", "tok", None, false)
            .to_str()
            .unwrap()
            .contains("Secure"));
    }
}
