//! E-mail address syntax: the one check shared by the wizard, the REST API,
//! the mail outbox and the `scheduler email` commands. Depends on nothing.

/// A syntactically valid, header-safe e-mail address (RFC 5322 addr-spec,
/// dot-atom form only: no quoted local parts, no comments, no spaces).
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let dot_atom = |p: &str, allowed: &dyn Fn(char) -> bool| {
        !p.is_empty()
            && p.split('.')
                .all(|part| !part.is_empty() && part.chars().all(allowed))
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    s.len() <= 254
        && local.len() <= 64
        && dot_atom(local, &atext)
        && domain.contains('.')
        && domain.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "a@example.com",
            "first.last+tag@sub.example.org",
            "x@a-b.co",
        ] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "a@.com",
            "a@b..com",
            ".a@b.com",
            "a b@c.com",
            "a@b.com\r\nBcc: x@y.z",
            "a@-b.com",
            "\"q\"@b.com",
            "a@b.com>",
        ] {
            assert!(!valid_email(bad), "{bad:?}");
        }
    }
}
