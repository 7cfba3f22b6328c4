//! How the administration shows words: a word someone typed, quoted for
//! an error message, and a stored value, cleaned for display; both always
//! one safe line (control and bidi characters escaped). Depends on nothing.

/// Renders a word typed by someone for an error message: control characters
/// escaped, long words cut, so that an error is always one safe line.
pub fn quote(word: &str) -> String {
    let mut out = String::from("'");
    for (i, c) in word.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        if c.is_control() || is_bidi_control(c) || c == '\'' || c == '\\' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Characters that reorder text on a terminal (Trojan Source).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A stored value for display: control characters escaped.
pub fn clean(value: &str) -> String {
    if value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        value
            .chars()
            .flat_map(|c| {
                let e: Vec<char> = if c.is_control() || is_bidi_control(c) {
                    c.escape_default().collect()
                } else {
                    vec![c]
                };
                e
            })
            .collect()
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_and_cuts() {
        assert_eq!(quote("a\nb"), "'a\\nb'");
        assert_eq!(quote("\u{1b}[31m"), "'\\u{1b}[31m'");
        let long = "x".repeat(200);
        assert_eq!(quote(&long).chars().count(), 83);
        assert_eq!(clean("ok"), "ok");
        assert_eq!(clean("a\tb"), "a\\tb");
        assert_eq!(quote("\u{202e}x"), "'\\u{202e}x'");
    }
}
