//! The built JS, WASM and CSS as a browser gets them from a running server:
//! the pages name the content-hashed files of the hash file, and `/pkg`
//! serves them immutable, precompressed when asked, with an ETag and a 304,
//! and without the session middleware's cookies.

use integration_tests::TestApp;
use reqwest::header;
use reqwest::StatusCode;

const JS: &str = "cms-scheduler.Jj1jAbCdEfGhIjKlMnOpQr.js";
const WASM: &str = "cms-scheduler.Ww2wAbCdEfGhIjKlMnOpQr.wasm";
const CSS: &str = "cms-scheduler.Cc3cAbCdEfGhIjKlMnOpQr.css";

/// A site root as scripts/build.sh leaves it: hashed names, a `.br` and a
/// `.gz` copy beside each, the hash file.
fn built_site() -> tempfile::TempDir {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    for name in [JS, WASM, CSS] {
        std::fs::write(pkg.join(name), format!("plain {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), format!("br {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gz {name}")).unwrap();
    }
    std::fs::write(
        site.path().join("hash.txt"),
        "js: Jj1jAbCdEfGhIjKlMnOpQr\nwasm: Ww2wAbCdEfGhIjKlMnOpQr\ncss: Cc3cAbCdEfGhIjKlMnOpQr\n",
    )
    .unwrap();
    site
}

#[tokio::test]
async fn pages_name_the_hashed_files_of_the_hash_file() {
    let site = built_site();
    let app = TestApp::spawn_with_site_root(site.path()).await;
    let html = app.page(&app.client(), "/login").await;
    for name in [JS, WASM, CSS] {
        assert!(html.contains(&format!("/pkg/{name}")), "{name} in\n{html}");
    }
    assert!(!html.contains("/pkg/cms-scheduler.css"), "{html}");
}

#[tokio::test]
async fn hashed_files_are_immutable_precompressed_and_revalidated() {
    let site = built_site();
    let app = TestApp::spawn_with_site_root(site.path()).await;
    // A browser that has been to a page: it has the session's cookies.
    let c = app.signed_in_demo().await;
    for name in [JS, WASM, CSS] {
        let url = app.url(&format!("/pkg/{name}"));
        let r = c
            .get(&url)
            .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        let h = r.headers().clone();
        assert_eq!(
            h[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(h[header::CONTENT_ENCODING], "br");
        assert_eq!(h[header::VARY], "accept-encoding");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.get(header::SET_COOKIE).is_none(), "{name}: {h:?}");
        let etag = h[header::ETAG].to_str().unwrap().to_owned();
        assert_eq!(r.text().await.unwrap(), format!("br {name}"));

        let r = c
            .get(&url)
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        assert_ne!(r.headers()[header::ETAG], etag.as_str());
        assert_eq!(r.text().await.unwrap(), format!("gz {name}"));

        let r = c.get(&url).send().await.unwrap();
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(r.text().await.unwrap(), format!("plain {name}"));

        let r = c
            .get(&url)
            .header(header::ACCEPT_ENCODING, "br")
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{name}");
        assert_eq!(r.headers()[header::ETAG], etag.as_str());
        assert_eq!(r.text().await.unwrap(), "");
    }
    let r = c
        .get(app.url("/pkg/cms-scheduler.Xx9xAbCdEfGhIjKlMnOpQr.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers().get(header::CACHE_CONTROL).is_none());
}
