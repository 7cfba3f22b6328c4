//! Signed tokens: HMAC-SHA256 (RFC 2104) with a server secret kept in the
//! database (`server_secrets`, made on first use, shared by every node), so
//! a link can carry what it is about and be checked without a lookup.
//! A token is `base64url(payload) "." base64url(mac)`; the payload is a
//! list of fields that never hold a newline.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Longest token [`verify`] looks at: anything longer is refused unread.
pub const MAX_TOKEN: usize = 1024;

/// HMAC-SHA256 of `message` under `key` (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// A token for `fields` under `purpose` (the purpose is signed too: a token
/// made for one use is refused for another).
pub fn sign(secret: &[u8], purpose: &str, fields: &[&str]) -> String {
    let payload = fields.join("\n");
    let mac = hmac_sha256(secret, format!("{purpose}\n{payload}").as_bytes());
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload.as_bytes()),
        URL_SAFE_NO_PAD.encode(mac)
    )
}

/// The fields of a token made by [`sign`] with this secret and purpose;
/// None for anything else (altered, forged, another purpose, garbage).
pub fn verify(secret: &[u8], purpose: &str, token: &str) -> Option<Vec<String>> {
    if token.len() > MAX_TOKEN {
        return None;
    }
    let (payload, mac) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    let mut message = format!("{purpose}\n").into_bytes();
    message.extend_from_slice(&payload);
    let expected = hmac_sha256(secret, &message);
    if mac.len() != expected.len() || !bool::from(expected.ct_eq(&mac)) {
        return None;
    }
    let payload = String::from_utf8(payload).ok()?;
    Some(payload.split('\n').map(str::to_string).collect())
}

/// The server's secret named `name`, made (32 random bytes) the first time
/// it is asked for. Two nodes asking at once get the same one.
pub async fn server_secret(
    conn: &mut sqlx::AnyConnection,
    name: &str,
    now_ms: i64,
) -> Result<Vec<u8>, sqlx::Error> {
    if let Some(secret) = find_server_secret(&mut *conn, name).await? {
        return Ok(secret);
    }
    sqlx::query(
        "INSERT INTO server_secrets (name, secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(super::random_token())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    find_server_secret(&mut *conn, name)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// The server's secret named `name` if it was made (read only: a token
/// can only be valid once its secret exists).
pub async fn find_server_secret<'e, E>(db: E, name: &str) -> Result<Option<Vec<u8>>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row: Option<(String,)> =
        sqlx::query_as("SELECT secret FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(db)
            .await?;
    Ok(row
        .and_then(|(s,)| URL_SAFE_NO_PAD.decode(s).ok())
        .filter(|s| s.len() >= 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
    #[test]
    fn hmac_matches_rfc_4231() {
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn tokens_verify_only_unaltered_under_their_secret_and_purpose() {
        let secret = [7u8; 32];
        let token = sign(&secret, "answer", &["m1", "bob@example.com", "accepted"]);
        assert_eq!(
            verify(&secret, "answer", &token).unwrap(),
            ["m1", "bob@example.com", "accepted"]
        );
        assert!(verify(&[8u8; 32], "answer", &token).is_none());
        assert!(verify(&secret, "feed", &token).is_none());
        // Another payload under the first one's MAC.
        let (_, mac) = token.split_once('.').unwrap();
        let forged = format!(
            "{}.{mac}",
            URL_SAFE_NO_PAD.encode("m1\neve@example.com\naccepted")
        );
        assert!(verify(&secret, "answer", &forged).is_none());
        // Every single changed character is refused.
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).unwrap();
            if altered != token {
                assert!(verify(&secret, "answer", &altered).is_none(), "{altered}");
            }
        }
        for garbage in ["", ".", "a.b", "%%%.%%%", &"x".repeat(MAX_TOKEN + 1)] {
            assert!(verify(&secret, "answer", garbage).is_none());
        }
    }
}
