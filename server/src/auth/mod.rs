//! Sign-in: user accounts, password hashing, sessions, CSRF tokens, the
//! failed-sign-in rate limit and the organization's directory (LDAP).

pub mod csrf;
pub mod directory;
pub mod ldap;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod signed;
pub mod tokens;
pub mod users;

use base64::Engine;
use rand::RngCore;

/// 32 random bytes from the OS, URL-safe base64 without padding.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Is `s` shaped like a token made by [`random_token`]?
pub fn is_token_shaped(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_well_formed() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert!(is_token_shaped(&a), "{a}");
        assert!(!is_token_shaped("short"));
        assert!(!is_token_shaped(&format!("{}!", &a[..42])));
    }
}
