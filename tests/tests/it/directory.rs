//! Sign-in with the organization's directory, through the real server and
//! a real OpenLDAP `slapd` on loopback (scripts/slapd.sh), over StartTLS
//! and LDAPS with a test CA made here. Each test has its own directory,
//! started on free ports and stopped when the test ends.
//!
//! Without slapd installed the tests say so and pass, unless
//! `SCHEDULER_TEST_LDAP=required` (set by scripts/test.sh), which makes a
//! missing slapd a failure.

use integration_tests::{form_field, location, post_form, texts, TestApp, TEMPLATE};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use reqwest::StatusCode;
use server::admin::cli::{execute, Context};
use server::admin::parse::parse;
use std::path::{Path, PathBuf};
use std::time::Duration;

const ROOT_DN: &str = "cn=admin,dc=example,dc=com";
const ROOT_PW: &str = "root-secret-pw";
const SERVICE_DN: &str = "cn=scheduler,ou=services,dc=example,dc=com";
const SERVICE_PW: &str = "service-secret-pw";
const ADMINS: &str = "cn=scheduler-admins,ou=groups,dc=example,dc=com";
const ALICE_PW: &str = "alice directory pw";
const SAI_PW: &str = "sai directory pw";

type Ca = CertifiedIssuer<'static, KeyPair>;

fn ca(name: &str) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

fn person(uid: &str, cn: &str, mail: &str, pw: &str) -> String {
    format!(
        "dn: uid={uid},ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: {uid}\n\
         cn: {cn}\nsn: {cn}\ndisplayName: {cn}\nmail: {mail}\nuserPassword: {pw}\n\n"
    )
}

/// The seed: a service account, alice (an administrator by the group),
/// bob, and two entries that both answer to `twin`.
fn seed() -> String {
    let mut s = String::from(
        "dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
         dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=services,dc=example,dc=com\nobjectClass: organizationalUnit\nou: services\n\n\
         dn: ou=groups,dc=example,dc=com\nobjectClass: organizationalUnit\nou: groups\n\n",
    );
    s.push_str(&format!(
        "dn: {SERVICE_DN}\nobjectClass: person\nobjectClass: simpleSecurityObject\ncn: scheduler\nsn: scheduler\nuserPassword: {SERVICE_PW}\n\n"
    ));
    s.push_str(&person(
        "alice",
        "Alice Directory",
        "alice@example.com",
        ALICE_PW,
    ));
    s.push_str(&person(
        "bob",
        "Bob Directory",
        "bob@example.com",
        "bob directory pw",
    ));
    // The Call Bridge simulator's seed has a user with JID demo@example.com.
    s.push_str(
        &person(
            "dana",
            "Dana Directory",
            "someone.else@example.org",
            "dana directory pw",
        )
        .replace("uid: dana\n", "uid: dana\nemployeeNumber: demo\n"),
    );
    // The source document's person: the Call Bridge simulator's seed has
    // the LDAP user saiacano@example.com, given the template by the LDAP
    // template source. Only in the directory, not a local account.
    s.push_str(
        &person("saiacano", "Saiacano", "saiacano@example.com", SAI_PW)
            .replace("displayName: Saiacano\n", "displayName: Sai acano\n"),
    );
    s.push_str(&person(
        "twin1",
        "Twin One",
        "twin1@example.com",
        "twin pw one",
    ));
    s.push_str(&person(
        "twin2",
        "Twin Two",
        "twin2@example.com",
        "twin pw two",
    ));
    // Both twins answer to `twin` through a second uid.
    s = s.replace("uid: twin1\n", "uid: twin1\nuid: twin\n");
    s = s.replace("uid: twin2\n", "uid: twin2\nuid: twin\n");
    s.push_str(&format!(
        "dn: {ADMINS}\nobjectClass: groupOfNames\ncn: scheduler-admins\nmember: uid=alice,ou=people,dc=example,dc=com\nmember: {SERVICE_DN}\n\n"
    ));
    s
}

/// A running slapd, stopped when dropped.
struct Slapd {
    dir: tempfile::TempDir,
    plain: String,
    ldaps: String,
    ca_pem: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/slapd.sh")
}

impl Slapd {
    /// None (after saying why) when slapd is not installed and not required.
    fn start() -> Option<Self> {
        let installed = Path::new("/usr/sbin/slapd").exists()
            || std::process::Command::new("sh")
                .args(["-c", "command -v slapd"])
                .output()
                .is_ok_and(|o| o.status.success());
        if !installed {
            if std::env::var("SCHEDULER_TEST_LDAP").as_deref() == Ok("required") {
                panic!("slapd is not installed (Debian packages slapd ldap-utils) and SCHEDULER_TEST_LDAP=required");
            }
            eprintln!("SKIPPED: slapd is not installed (apt-get install slapd ldap-utils); directory tests not run");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let ca = ca("Directory test CA");
        let key = KeyPair::generate().unwrap();
        let mut p =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".into()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, "slapd");
        let cert = p.signed_by(&key, &*ca).unwrap();
        let d = dir.path();
        std::fs::write(d.join("tls.crt"), cert.pem()).unwrap();
        std::fs::write(d.join("tls.key"), key.serialize_pem()).unwrap();
        std::fs::write(d.join("rootpw"), ROOT_PW).unwrap();
        std::fs::write(d.join("seed.ldif"), seed()).unwrap();
        let out = std::process::Command::new(script())
            .arg("start")
            .arg(d)
            .output()
            .expect("scripts/slapd.sh runs");
        assert!(
            out.status.success(),
            "slapd.sh start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let urls = String::from_utf8(out.stdout).unwrap();
        let mut urls = urls.split_whitespace();
        Some(Self {
            plain: urls.next().unwrap().to_owned(),
            ldaps: urls.next().unwrap().to_owned(),
            ca_pem: ca.pem(),
            dir,
        })
    }

    fn stop(&self) {
        let _ = std::process::Command::new(script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }

    /// Runs one change as the root DN over plain LDAP on loopback.
    async fn root(&self) -> ldap3::Ldap {
        let (conn, mut ldap) = ldap3::LdapConnAsync::new(&self.plain).await.unwrap();
        tokio::spawn(async move {
            let _ = conn.drive().await;
        });
        ldap.simple_bind(ROOT_DN, ROOT_PW)
            .await
            .unwrap()
            .success()
            .unwrap();
        ldap
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn scheduler(dir: &Path, words: &[&str]) {
    let mut ctx = Context::new(dir);
    ctx.ldap_password = Box::new(|_| Ok(SERVICE_PW.into()));
    ctx.timeout = Duration::from_secs(20);
    let mut out = Vec::new();
    execute(&ctx, parse(words).unwrap(), &mut out)
        .await
        .unwrap_or_else(|e| panic!("{words:?}: {e}"));
}

/// Points `app` at the directory: `url` (StartTLS on ldap://), the test
/// CA in `bundle`, uid filter, the administrators group.
async fn configure(app: &TestApp, url: &str, ca_pem: &str) {
    let d = app.data_dir();
    std::fs::write(d.join("ldap-ca.pem"), ca_pem).unwrap();
    scheduler(d, &["ldap", "server", url]).await;
    scheduler(d, &["ldap", "trust", "ldap-ca.pem"]).await;
    scheduler(d, &["ldap", "bind", SERVICE_DN]).await;
    scheduler(d, &["ldap", "password"]).await;
    scheduler(d, &["ldap", "base", "dc=example,dc=com"]).await;
    scheduler(
        d,
        &["ldap", "filter", "(&(objectClass=inetOrgPerson)(uid=$))"],
    )
    .await;
    scheduler(d, &["ldap", "attributes", "displayName", "mail"]).await;
    scheduler(d, &["ldap", "jid", "$uid$@example.com"]).await;
    scheduler(d, &["ldap", "admins", ADMINS]).await;
    scheduler(d, &["ldap", "recheck", "60"]).await;
}

async fn setup() -> Option<(Slapd, TestApp)> {
    let slapd = Slapd::start()?;
    let app = TestApp::spawn().await;
    configure(&app, &slapd.plain, &slapd.ca_pem).await;
    Some((slapd, app))
}

fn error_code(r: &reqwest::Response) -> String {
    location(r)
}

async fn alert(app: &TestApp, c: &reqwest::Client, r: &reqwest::Response) -> Vec<String> {
    texts(&app.page(c, location(r)).await, "[role=alert]")
}

#[tokio::test]
async fn a_directory_person_signs_in_over_starttls_and_is_stored() {
    let Some((_slapd, app)) = setup().await else {
        return;
    };
    let c = app.client();
    let r = app.sign_in(&c, "alice", ALICE_PW).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/", "signed in");
    let home = app.page(&c, "/").await;
    assert!(home.contains("Alice Directory"), "{home}");
    let u = server::auth::users::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.email, "alice@example.com");
    assert_eq!(u.jid.as_deref(), Some("alice@example.com"));
    assert!(u.is_directory_user());
    assert!(u.is_admin, "alice is in the administrators group");
    let login = server::auth::users::find_for_login(&app.db, "alice")
        .await
        .unwrap()
        .unwrap();
    assert!(login.password_hash.is_none());

    // bob is not in the group.
    let c2 = app.client();
    let r = app.sign_in(&c2, "bob", "bob directory pw").await;
    assert_eq!(location(&r), "/");
    let bob = server::auth::users::find_by_username(&app.db, "bob")
        .await
        .unwrap()
        .unwrap();
    assert!(!bob.is_admin);
}

#[tokio::test]
async fn wrong_empty_unknown_injected_and_ambiguous_names_are_refused_alike() {
    let Some((slapd, app)) = setup().await else {
        return;
    };
    // `twin` really is two entries.
    let (twins, _) = slapd
        .root()
        .await
        .search(
            "dc=example,dc=com",
            ldap3::Scope::Subtree,
            "(uid=twin)",
            vec!["1.1"],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
    assert_eq!(twins.len(), 2);
    let c = app.client();
    for (name, pw) in [
        ("alice", "not her password"),
        ("nobody", "whatever pw"),
        ("*)(uid=*", ALICE_PW),
        ("*", ALICE_PW),
        ("twin", "twin pw one"),
    ] {
        let r = app.sign_in(&c, name, pw).await;
        assert!(
            error_code(&r).starts_with("/login?error=invalid"),
            "{name}: {}",
            location(&r)
        );
        assert_eq!(
            alert(&app, &c, &r).await,
            vec!["Incorrect username or password."]
        );
    }
    // An empty password never reaches the directory (an unauthenticated
    // bind would succeed there).
    let r = app.sign_in(&c, "alice", "").await;
    assert!(error_code(&r).starts_with("/login?error=missing"));
    assert!(server::auth::users::find_by_username(&app.db, "twin")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn ldaps_works_and_another_ca_is_refused() {
    let Some(slapd) = Slapd::start() else {
        return;
    };
    let app = TestApp::spawn().await;
    configure(&app, &slapd.ldaps, &slapd.ca_pem).await;
    let c = app.client();
    assert_eq!(location(&app.sign_in(&c, "alice", ALICE_PW).await), "/");

    // A bundle from another CA: the TLS handshake fails, the person reads
    // that the directory cannot be reached.
    let other = ca("Some other CA");
    std::fs::write(app.data_dir().join("ldap-ca.pem"), other.pem()).unwrap();
    for url in [&slapd.ldaps, &slapd.plain] {
        scheduler(app.data_dir(), &["ldap", "server", url]).await;
        let c = app.client();
        let r = app.sign_in(&c, "bob", "bob directory pw").await;
        assert!(
            location(&r).starts_with("/login?error=directory"),
            "{url}: {}",
            location(&r)
        );
        assert_eq!(
            alert(&app, &c, &r).await,
            vec!["The directory cannot be reached. Try again later."]
        );
    }
}

#[tokio::test]
async fn a_local_account_wins_and_works_while_the_directory_is_down() {
    let Some((slapd, app)) = setup().await else {
        return;
    };
    // A local "bob" with a password: the directory's bob cannot sign in as him.
    app.add_user("bob", "Local Bob", "Europe/Paris").await;
    let c = app.client();
    let r = app.sign_in(&c, "bob", "bob directory pw").await;
    assert!(location(&r).starts_with("/login?error=invalid"));
    assert_eq!(
        location(&app.sign_in(&c, "bob", integration_tests::PASSWORD).await),
        "/"
    );

    slapd.stop();
    let c = app.client();
    let r = app.sign_in(&c, "alice", ALICE_PW).await;
    assert!(
        location(&r).starts_with("/login?error=directory"),
        "{}",
        location(&r)
    );
    let c = app.client();
    assert_eq!(
        location(&app.sign_in(&c, "bob", integration_tests::PASSWORD).await),
        "/",
        "local accounts still sign in"
    );
}

#[tokio::test]
async fn removed_from_the_group_or_the_directory_loses_it_after_the_recheck() {
    let Some((slapd, app)) = setup().await else {
        return;
    };
    let c = app.client();
    assert_eq!(location(&app.sign_in(&c, "alice", ALICE_PW).await), "/");
    let admin = c.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(admin.status(), StatusCode::OK);

    let mut root = slapd.root().await;
    root.modify(
        ADMINS,
        vec![ldap3::Mod::Delete(
            "member",
            std::collections::HashSet::from(["uid=alice,ou=people,dc=example,dc=com"]),
        )],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    // Within the interval nothing changes...
    app.clock.advance(chrono::Duration::seconds(30));
    let u = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            server::auth::users::find_by_username(&db, "alice")
                .await
                .unwrap()
                .unwrap()
        }
    };
    app.page(&c, "/").await;
    assert!(u(&app).await.is_admin);
    // ...after it, the next request asks the directory again.
    app.clock.advance(chrono::Duration::seconds(31));
    app.page(&c, "/").await;
    assert!(!u(&app).await.is_admin, "no longer an administrator");

    root.delete("uid=alice,ou=people,dc=example,dc=com")
        .await
        .unwrap()
        .success()
        .unwrap();
    app.clock.advance(chrono::Duration::seconds(61));
    let r = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login"), "signed out");
    let c = app.client();
    assert!(location(&app.sign_in(&c, "alice", ALICE_PW).await).starts_with("/login?error=invalid"));
}

#[tokio::test]
async fn the_call_bridge_user_is_found_by_the_mapped_jid() {
    let Some((_slapd, app)) = setup().await else {
        return;
    };
    // dana's JID by this mapping is demo@example.com: the seed's user with
    // the template, although the directory's mail is another address.
    scheduler(
        app.data_dir(),
        &["ldap", "jid", "$employeeNumber$@example.com"],
    )
    .await;
    let c = app.client();
    assert_eq!(
        location(&app.sign_in(&c, "dana", "dana directory pw").await),
        "/"
    );
    let wizard = app.page(&c, "/schedule").await;
    assert!(wizard.contains(integration_tests::TEMPLATE), "{wizard}");
    assert!(!wizard.contains("no video spaces yet"));

    // alice has no employeeNumber, so no JID and no Call Bridge user: a
    // clear word instead of empty lists.
    let c = app.client();
    assert_eq!(location(&app.sign_in(&c, "alice", ALICE_PW).await), "/");
    let wizard = app.page(&c, "/schedule").await;
    assert_eq!(
        texts(&wizard, ".notice"),
        vec!["Your account has no video spaces yet; ask your administrator."]
    );
    // In French too.
    c.get(app.url("/lang/fr?next=/schedule"))
        .send()
        .await
        .unwrap();
    let wizard = app.page(&c, "/schedule").await;
    assert_eq!(
        texts(&wizard, ".notice"),
        vec!["Votre compte n'a pas encore d'espaces vidéo ; demandez à votre administrateur."]
    );
}

/// Gives the simulator's LDAP user saiacano@example.com their personal
/// space, as an LDAP sync with a coSpace mapping does: "Saiacano's space",
/// with them as its member. Answers its id.
async fn saiacano_space(app: &TestApp) -> String {
    let cb = server::callbridge::CallBridgeClient::new(app.callbridge_config()).unwrap();
    let id = cb
        .create_cospace(&server::callbridge::NewCoSpace {
            name: Some("Saiacano's space".into()),
            uri: Some("saiacano.space".into()),
            call_id: Some("100200301".into()),
            owner_jid: Some("saiacano@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    cb.add_cospace_user(&id, "saiacano@example.com")
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn a_person_only_in_the_directory_books_a_meeting_and_is_admin_only_through_the_group() {
    let Some((slapd, app)) = setup().await else {
        return;
    };
    let space = saiacano_space(&app).await;
    assert!(server::auth::users::find_by_username(&app.db, "saiacano")
        .await
        .unwrap()
        .is_none());
    let c = app.client();
    assert_eq!(location(&app.sign_in(&c, "saiacano", SAI_PW).await), "/");

    // Their home: their name from the directory, their space from the
    // Call Bridge (their membership, found by the mapped JID).
    let home = app.page(&c, "/").await;
    assert_eq!(texts(&home, "h1"), vec!["Sai acano's Home"]);
    assert_eq!(
        texts(&home, ".spaces .space-row .name"),
        vec!["Saiacano's space"]
    );
    // Their template (through the LDAP template source) and their space.
    let wizard = app.page(&c, "/schedule").await;
    assert!(wizard.contains("CoSpaceTemp-Scheduler"), "{wizard}");
    assert!(wizard.contains(&space), "their space is offered: {wizard}");
    assert!(!wizard.contains("no video spaces yet"));

    // The wizard, step by step, with a new space from the template.
    let csrf = form_field(&wizard, "csrf").unwrap();
    let loc = post_form(
        &c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", ""),
            ("step", "1"),
            ("name", "Test-XRP"),
            ("space_mode", "new"),
            ("template_id", TEMPLATE),
            ("action", "next"),
        ],
    )
    .await;
    let draft = loc
        .trim_start_matches("/schedule?draft=")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    post_form(
        &c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("step", "2"),
            ("date", "2030-08-21"),
            ("from", "20:00"),
            ("to", "21:00"),
            ("duration", "1:00"),
            ("prev_to", "21:00"),
            ("prev_duration", "1:00"),
            ("time_zone", "Europe/Paris"),
            ("repeat", "none"),
            ("repeat_end", "never"),
            ("action", "next"),
        ],
    )
    .await;
    let loc = post_form(
        &c,
        &app.url("/schedule"),
        &[
            ("csrf", &csrf),
            ("draft", &draft),
            ("step", "3"),
            ("new_email", "ivrman@s.com"),
            ("new_role", "ExternalAccessMeth"),
            ("action", "create"),
        ],
    )
    .await;
    assert!(loc.starts_with("/?created="), "{loc}");
    let meeting = loc.trim_start_matches("/?created=").to_string();

    // They are its organizer: in the database, on the page, and on the
    // Call Bridge (the space's member and meetingScheduler).
    let me = server::auth::users::find_by_username(&app.db, "saiacano")
        .await
        .unwrap()
        .unwrap();
    assert!(me.is_directory_user());
    let organizer: String = sqlx::query_scalar("SELECT organizer_id FROM meetings WHERE id = $1")
        .bind(&meeting)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(organizer, me.id);
    let home = app.page(&c, "/").await;
    assert!(home.contains("Test-XRP"), "{home}");
    assert!(
        texts(&home, "li")
            .iter()
            .any(|t| t.contains("Test-XRP") && t.contains("You")),
        "organized by: You"
    );
    let made = app
        .cb
        .cospaces()
        .into_iter()
        .find(|s| s.get("name") == Some("Test-XRP"))
        .expect("the meeting's space");
    assert_eq!(made.get("meetingScheduler"), Some("Sai acano"));
    let members: Vec<String> = app
        .cb
        .cospace_users(&made.id)
        .into_iter()
        .filter_map(|m| m.get("userJid").map(str::to_string))
        .collect();
    assert_eq!(members, vec!["saiacano@example.com"]);
    // Their meeting's space is not one of "their spaces".
    let home = app.page(&c, "/").await;
    assert_eq!(
        texts(&home, ".spaces .space-row .name"),
        vec!["Saiacano's space"]
    );

    // Not an administrator...
    let only = "Only administrators can see this page.";
    assert!(app.page(&c, "/admin").await.contains(only));
    assert!(!me.is_admin);
    // ...until the directory's group has them, at the next re-check.
    slapd
        .root()
        .await
        .modify(
            ADMINS,
            vec![ldap3::Mod::Add(
                "member",
                std::collections::HashSet::from(["uid=saiacano,ou=people,dc=example,dc=com"]),
            )],
        )
        .await
        .unwrap()
        .success()
        .unwrap();
    app.clock.advance(chrono::Duration::seconds(61));
    let r = c.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "an administrator through the group"
    );
}

#[tokio::test]
async fn the_directory_stopped_mid_run_keeps_signed_in_people_signed_in() {
    let Some((slapd, app)) = setup().await else {
        return;
    };
    let c = app.client();
    assert_eq!(location(&app.sign_in(&c, "alice", ALICE_PW).await), "/");
    slapd.stop();
    // Past the re-check interval the directory cannot be asked: alice
    // stays signed in (an outage does not sign everybody out)...
    app.clock.advance(chrono::Duration::seconds(61));
    let r = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Alice Directory"));
    // ...and a new sign-in is told the directory cannot be reached.
    let c2 = app.client();
    let r = app.sign_in(&c2, "bob", "bob directory pw").await;
    assert!(location(&r).starts_with("/login?error=directory"));
    assert_eq!(
        alert(&app, &c2, &r).await,
        vec!["The directory cannot be reached. Try again later."]
    );
}

#[tokio::test]
async fn the_sign_in_lockout_applies_to_directory_people() {
    let Some((_slapd, app)) = setup().await else {
        return;
    };
    let c = app.client();
    for _ in 0..5 {
        let r = app.sign_in(&c, "bob", "not bob's password").await;
        assert!(location(&r).starts_with("/login?error=invalid"));
    }
    // Locked: even the right password is not tried against the directory.
    let r = app.sign_in(&c, "bob", "bob directory pw").await;
    assert!(
        location(&r).starts_with("/login?error=locked"),
        "{}",
        location(&r)
    );
    assert!(server::auth::users::find_by_username(&app.db, "bob")
        .await
        .unwrap()
        .is_none());
}
