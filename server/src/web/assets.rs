//! The site's static files under `/pkg`: the JS, WASM and CSS that
//! scripts/build.sh names by content hash and precompresses. tower-http's
//! ServeDir sends them (the Brotli or gzip copy when the browser accepts
//! it); this adds the caching: `immutable` for a year when the name carries
//! a content hash, revalidation otherwise, an `ETag` per representation and
//! `304 Not Modified`. Also finds the hash file that tells the pages those
//! names.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;

/// The file scripts/build.sh writes into the site root: one `js: <hash>`,
/// `wasm: <hash>`, `css: <hash>` line each, as cargo-leptos's hash file.
pub const HASH_FILE: &str = "hash.txt";

/// A name with a content hash never changes content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Any other file may change under the same name: ask each time (a `304`).
pub const REVALIDATE: &str = "no-cache";

/// The hash file of the site root, as an absolute path (leptos joins it to
/// the executable's directory), when the build wrote one.
pub fn hash_file(site_root: &Path) -> Option<PathBuf> {
    let file = site_root.join(HASH_FILE);
    if !file.is_file() {
        return None;
    }
    std::path::absolute(&file).ok()
}

/// The style sheet's address for the server's own plain pages: the
/// content-hashed name the build wrote (as the app's pages link it), else
/// the plain name.
pub fn stylesheet_href(options: &leptos::config::LeptosOptions) -> String {
    let name = &options.output_name;
    let pkg = &options.site_pkg_dir;
    let hash = hash_file(Path::new(&*options.site_root))
        .and_then(|f| std::fs::read_to_string(f).ok())
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("css:").map(|h| h.trim().to_string()))
        })
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    match hash {
        Some(h) => format!("/{pkg}/{name}.{h}.css"),
        None => format!("/{pkg}/{name}.css"),
    }
}

/// The service for the pkg directory, nested under `/pkg` by the router.
/// No session middleware: these files are the same for everyone, and a
/// `Set-Cookie` has no place in a response every cache may keep.
pub fn pkg_service(pkg_dir: impl AsRef<Path>) -> Router {
    let files = ServeDir::new(pkg_dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false);
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn(caching))
}

/// `<stem>.<22 characters of unpadded base64url>.<ext>`: the names
/// scripts/build.sh and cargo-leptos's `hash-files` give (an MD5 digest).
fn has_content_hash(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.rsplit('.');
    let (Some(_ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A strong validator of what ServeDir is about to send: the file's length
/// and modification time (nginx's recipe) and the encoding, so the Brotli,
/// gzip and plain bodies of one file each have their own.
fn etag_of(headers: &HeaderMap) -> Option<HeaderValue> {
    let length = headers.get(header::CONTENT_LENGTH)?.to_str().ok()?;
    let modified = headers.get(header::LAST_MODIFIED)?.to_str().ok()?;
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity");
    let digest = Sha256::digest(format!("{length}\n{modified}\n{encoding}").as_bytes());
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{short}\"")).ok()
}

/// RFC 9110 §13.1.2: does `If-None-Match` name this representation (weak
/// comparison), or `*`?
fn none_match_hits(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let ours = etag.to_str().unwrap_or_default();
    list.split(',').map(str::trim).any(|tag| {
        tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == ours.trim_start_matches("W/")
    })
}

async fn caching(mut req: Request, next: Next) -> Response {
    let conditional = matches!(*req.method(), Method::GET | Method::HEAD);
    // If-None-Match is answered here; with it, If-Modified-Since is ignored
    // (RFC 9110 §13.1.3), so ServeDir must not see that one either.
    let if_none_match = req.headers_mut().remove(header::IF_NONE_MATCH);
    if if_none_match.is_some() {
        req.headers_mut().remove(header::IF_MODIFIED_SINCE);
    }
    let cache_control = if has_content_hash(req.uri().path()) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut res = next.run(req).await;
    let status = res.status();
    if status != StatusCode::OK && status != StatusCode::NOT_MODIFIED {
        return res;
    }
    let headers = res.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if status != StatusCode::OK {
        return res;
    }
    let Some(etag) = etag_of(headers) else {
        return res;
    };
    headers.insert(header::ETAG, etag.clone());
    match if_none_match {
        Some(inm) if conditional && none_match_hits(&inm, &etag) => not_modified(res),
        _ => res,
    }
}

/// The 304 for a 200 ServeDir was about to send: its validators and caching
/// headers, no body.
fn not_modified(res: Response) -> Response {
    let (mut parts, _body) = res.into_parts();
    parts.status = StatusCode::NOT_MODIFIED;
    for name in [
        header::CONTENT_LENGTH,
        header::CONTENT_TYPE,
        header::CONTENT_ENCODING,
        header::ACCEPT_RANGES,
    ] {
        parts.headers.remove(name);
    }
    Response::from_parts(parts, Body::empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    const HASHED: &str = "app.AbCdEfGhIjKlMnOpQrStUv.js";

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(HASHED), "plain body").unwrap();
        std::fs::write(dir.path().join(format!("{HASHED}.br")), "brotli body").unwrap();
        std::fs::write(dir.path().join(format!("{HASHED}.gz")), "gzip body").unwrap();
        std::fs::write(dir.path().join("unhashed.css"), "body {}").unwrap();
        dir
    }

    async fn get(
        dir: &Path,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let mut req = axum::http::Request::builder().uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = pkg_service(dir)
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    fn value_of(headers: &HeaderMap, name: header::HeaderName) -> &str {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[tokio::test]
    async fn a_hashed_name_is_immutable_and_sent_in_the_encoding_asked_for() {
        let dir = site();
        let path = format!("/{HASHED}");
        let (status, h, body) = get(dir.path(), &path, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "plain body");
        assert_eq!(value_of(&h, header::CACHE_CONTROL), IMMUTABLE);
        assert_eq!(value_of(&h, header::VARY), "accept-encoding");
        assert_eq!(value_of(&h, header::CONTENT_ENCODING), "");
        assert!(value_of(&h, header::CONTENT_TYPE).contains("javascript"));
        let plain_etag = value_of(&h, header::ETAG).to_owned();
        assert!(
            plain_etag.starts_with('"') && plain_etag.len() > 2,
            "{plain_etag}"
        );

        let (_, h, body) = get(
            dir.path(),
            &path,
            &[("accept-encoding", "gzip, deflate, br")],
        )
        .await;
        assert_eq!(body, "brotli body");
        assert_eq!(value_of(&h, header::CONTENT_ENCODING), "br");
        assert!(value_of(&h, header::CONTENT_TYPE).contains("javascript"));
        let br_etag = value_of(&h, header::ETAG).to_owned();

        let (_, h, body) = get(dir.path(), &path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(body, "gzip body");
        assert_eq!(value_of(&h, header::CONTENT_ENCODING), "gzip");
        let gz_etag = value_of(&h, header::ETAG).to_owned();

        assert_ne!(plain_etag, br_etag);
        assert_ne!(br_etag, gz_etag);
        assert_ne!(plain_etag, gz_etag);
    }

    #[tokio::test]
    async fn if_none_match_with_the_etag_is_answered_304_without_a_body() {
        let dir = site();
        let path = format!("/{HASHED}");
        let (_, h, _) = get(dir.path(), &path, &[("accept-encoding", "br")]).await;
        let etag = value_of(&h, header::ETAG).to_owned();

        let (status, h, body) = get(
            dir.path(),
            &path,
            &[("accept-encoding", "br"), ("if-none-match", &etag)],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert_eq!(body, "");
        assert_eq!(value_of(&h, header::ETAG), etag);
        assert_eq!(value_of(&h, header::CACHE_CONTROL), IMMUTABLE);
        assert_eq!(value_of(&h, header::CONTENT_LENGTH), "");

        // In a list, weak, or `*`: the same.
        for inm in [
            format!("\"x\", {etag}"),
            format!("W/{etag}"),
            "*".to_owned(),
        ] {
            let (status, _, _) = get(
                dir.path(),
                &path,
                &[("accept-encoding", "br"), ("if-none-match", &inm)],
            )
            .await;
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{inm}");
        }

        // Another representation's ETag, or another one: the whole file.
        let (status, _, body) = get(
            dir.path(),
            &path,
            &[("accept-encoding", "gzip"), ("if-none-match", &etag)],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "gzip body");
        // If-None-Match wins over an If-Modified-Since that would say 304.
        let (status, _, _) = get(
            dir.path(),
            &path,
            &[
                ("if-none-match", "\"other\""),
                ("if-modified-since", "Sun, 06 Nov 2094 08:49:37 GMT"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn an_unhashed_name_is_revalidated_and_a_missing_file_is_404() {
        let dir = site();
        let (status, h, body) = get(dir.path(), "/unhashed.css", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "body {}");
        assert_eq!(value_of(&h, header::CACHE_CONTROL), REVALIDATE);
        assert!(!value_of(&h, header::ETAG).is_empty());

        let (status, h, _) = get(dir.path(), "/app.AbCdEfGhIjKlMnOpQrStUw.js", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(value_of(&h, header::CACHE_CONTROL), "");
    }

    #[test]
    fn content_hashes_are_recognised_in_names() {
        assert!(has_content_hash(
            "/cms-scheduler.8lZzPAl3rpC-bZ_kYrzV7Q.wasm"
        ));
        assert!(has_content_hash("/a/b.AbCdEfGhIjKlMnOpQrStUv.css"));
        assert!(!has_content_hash("/cms-scheduler.wasm"));
        assert!(!has_content_hash("/cms-scheduler_bg.wasm"));
        assert!(!has_content_hash("/x.short.js"));
        assert!(!has_content_hash("/.AbCdEfGhIjKlMnOpQrStUv.js"));
        assert!(!has_content_hash("/x.AbCdEfGhIjKlMnOpQrSt!v.js"));
    }

    #[test]
    fn the_hash_file_is_found_in_the_site_root_as_an_absolute_path() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(hash_file(dir.path()), None);
        std::fs::write(dir.path().join(HASH_FILE), "js: x\n").unwrap();
        let found = hash_file(dir.path()).unwrap();
        assert!(found.is_absolute());
        assert_eq!(std::fs::read_to_string(found).unwrap(), "js: x\n");
    }
}
