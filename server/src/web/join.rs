//! GET /join/go?q=<meeting id or link>: sends a guest or a user to the web
//! bridge's join page. The destination is always built on the configured web
//! bridge address, so the form cannot be used to redirect anywhere else.

use super::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct JoinQuery {
    #[serde(default)]
    q: String,
}

/// The join URL for a meeting ID ("123 456 789") or a meeting link
/// ("https://bridge/meeting/123456789?secret=abc").
pub fn resolve(input: &str, base: &str) -> Option<String> {
    let input = input.trim();
    let base = base.trim_end_matches('/');
    let digits: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.'))
        .collect();
    if (4..=20).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        return Some(format!("{base}/meeting/{digits}"));
    }
    let after = &input[input.find("/meeting/")? + "/meeting/".len()..];
    let call_id: String = after.chars().take_while(char::is_ascii_digit).collect();
    if !(4..=20).contains(&call_id.len()) {
        return None;
    }
    let secret = input.find("secret=").map(|i| {
        input[i + "secret=".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect::<String>()
    });
    Some(match secret {
        Some(s) if !s.is_empty() => format!("{base}/meeting/{call_id}?secret={s}"),
        _ => format!("{base}/meeting/{call_id}"),
    })
}

pub async fn go(State(st): State<AppState>, Query(q): Query<JoinQuery>) -> Response {
    match resolve(&q.q, &st.join_base_url) {
        Some(url) => Redirect::to(&url).into_response(),
        None => Redirect::to("/join?error=invalid").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::resolve;

    const BASE: &str = "https://join.example.com/";

    #[test]
    fn meeting_ids_and_links() {
        assert_eq!(
            resolve("123 456 789", BASE).unwrap(),
            "https://join.example.com/meeting/123456789"
        );
        assert_eq!(
            resolve(
                "https://other.example/meeting/987654321?secret=Ab_c-1.x",
                BASE
            )
            .unwrap(),
            "https://join.example.com/meeting/987654321?secret=Ab_c-1.x"
        );
        assert_eq!(
            resolve("https://x/meeting/98765?secret=a\"><script>", BASE).unwrap(),
            "https://join.example.com/meeting/98765?secret=a"
        );
        assert_eq!(resolve("hello", BASE), None);
        assert_eq!(resolve("12", BASE), None);
        assert_eq!(resolve("https://evil.example/", BASE), None);
    }
}
