//! Demo mode: a ready-made organizer account on a fresh machine.

use crate::auth::users::{self, NewUser, UserError};
use crate::db::Db;

pub const USERNAME: &str = "demo";
pub const PASSWORD: &str = "demo-scheduler";
pub const DISPLAY_NAME: &str = "Demo Organizer";
/// The demo organizer's Call Bridge user (the simulator's seed).
pub const JID: &str = "demo@example.com";

/// Creates the demo organizer (an administrator) unless it exists. Returns
/// true when created.
pub async fn ensure_demo_user(db: &Db, now_ms: i64) -> Result<bool, UserError> {
    let user = NewUser {
        username: USERNAME,
        display_name: DISPLAY_NAME,
        email: "demo.organizer@example.com",
        password: Some(PASSWORD),
        time_zone: "Europe/Paris",
        jid: Some(JID),
    };
    let created = match users::create(db, user, now_ms).await {
        Ok(_) => true,
        Err(UserError::Taken(_)) => false,
        Err(e) => return Err(e),
    };
    // The demo organizer is also the administrator, so a person trying the
    // demo can see the administrators' page.
    users::set_admin(db, USERNAME, true).await?;
    // A demo account made before local accounts had a JID gets it now.
    if users::find_by_username(db, USERNAME)
        .await?
        .is_some_and(|u| u.jid.is_none())
    {
        users::set_jid(db, USERNAME, Some(JID)).await?;
    }
    Ok(created)
}

/// How many web bridges the demo runs (the source document's three).
pub const DEMO_WEB_BRIDGES: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum DemoBridgeError {
    #[error("demo certificates: {0}")]
    Certificates(String),
    #[error("demo certificate files in {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] crate::c2w::TlsError),
    #[error(transparent)]
    Sim(#[from] crate::c2w::sim::WebBridgeSimError),
    #[error(transparent)]
    CallBridge(#[from] crate::callbridge::sim::SimError),
    #[error(transparent)]
    Config(#[from] crate::admin::config::ConfigError),
}

/// Demo mode's web bridges: three simulators on loopback, listed by the
/// Call Bridge simulator in place of the seed's (unreachable) addresses,
/// with C2W certificates made once in `<data-dir>/demo-pki/` and the
/// scheduler enabled with them, unless an administrator already set C2W up.
/// The C2W mesh then comes UP as on a real cluster.
pub async fn start_web_bridges(
    data_dir: &std::path::Path,
    cb: &crate::callbridge::sim::SimHandle,
) -> Result<Vec<crate::c2w::sim::WebBridgeSim>, DemoBridgeError> {
    let pki = DemoPki::load_or_make(&data_dir.join(PKI_DIR))?;
    let sims = start_simulated_bridges(&pki, cb, DEMO_WEB_BRIDGES).await?;
    let store = crate::admin::config::ConfigStore::new(data_dir);
    let mut cfg = store.load()?;
    if cfg.c2w.certs.is_none() && cfg.c2w.trust.is_none() {
        cfg.c2w.certs = Some(crate::admin::config::CertPair {
            key: format!("{PKI_DIR}/c2w.key"),
            cert: format!("{PKI_DIR}/c2w.pem"),
        });
        cfg.c2w.trust = Some(format!("{PKI_DIR}/ca.pem"));
        cfg.enabled = true;
        store.save(&cfg)?;
        tracing::info!("demo: C2W configured with the demo certificates and the scheduler enabled");
    }
    Ok(sims)
}

/// Starts `n` web bridge simulators with the demo PKI's certificate and has
/// the Call Bridge simulator list them in place of whatever it listed.
pub async fn start_simulated_bridges(
    pki: &DemoPki,
    cb: &crate::callbridge::sim::SimHandle,
    n: usize,
) -> Result<Vec<crate::c2w::sim::WebBridgeSim>, DemoBridgeError> {
    let tls = crate::c2w::tls::server_config(
        pki.bridge_key.clone_key(),
        vec![pki.bridge_cert.clone(), pki.ca_cert.clone()],
        std::slice::from_ref(&pki.ca_cert),
    )?;
    for wb in cb.objects("webBridges") {
        cb.remove_web_bridge(&wb.id)?;
    }
    let mut sims = Vec::new();
    for _ in 0..n {
        let sim = crate::c2w::sim::WebBridgeSim::start(tls.clone()).await?;
        cb.add_web_bridge(&sim.url())?;
        sims.push(sim);
    }
    Ok(sims)
}

const PKI_DIR: &str = "demo-pki";

/// One demo CA that signs the web bridges' certificate and the scheduler's:
/// `ca.pem`, `bridge.pem`/`.key`, `c2w.pem` (full chain)/`.key` in a
/// directory, made once.
pub struct DemoPki {
    ca_cert: rustls_pki_types::CertificateDer<'static>,
    bridge_cert: rustls_pki_types::CertificateDer<'static>,
    bridge_key: rustls_pki_types::PrivateKeyDer<'static>,
}

impl DemoPki {
    pub fn load_or_make(dir: &std::path::Path) -> Result<Self, DemoBridgeError> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let files = ["ca.pem", "bridge.pem", "bridge.key", "c2w.pem", "c2w.key"];
        if !files.iter().all(|f| dir.join(f).is_file()) {
            make_pki(dir)?;
        }
        let cert = |name: &str| {
            let path = dir.join(name);
            CertificateDer::from_pem_file(&path)
                .map_err(|e| DemoBridgeError::Certificates(format!("{}: {e}", path.display())))
        };
        let key_path = dir.join("bridge.key");
        let bridge_key = PrivateKeyDer::from_pem_file(&key_path)
            .map_err(|e| DemoBridgeError::Certificates(format!("{}: {e}", key_path.display())))?;
        Ok(Self {
            ca_cert: cert("ca.pem")?,
            bridge_cert: cert("bridge.pem")?,
            bridge_key,
        })
    }
}

/// Writes ca.pem, bridge.pem/.key and c2w.pem (full chain)/.key to `dir`;
/// keys are readable by their owner only.
fn make_pki(dir: &std::path::Path) -> Result<(), DemoBridgeError> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let err = |e: rcgen::Error| DemoBridgeError::Certificates(e.to_string());
    let io = |path: &std::path::Path, source| DemoBridgeError::Io {
        path: path.display().to_string(),
        source,
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io(dir, e))?;
    let mut p = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(DnType::CommonName, "Meeting Scheduler demo CA");
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(p, KeyPair::generate().map_err(err)?).map_err(err)?;
    let write = |name: &str, text: &str, private: bool| -> Result<(), DemoBridgeError> {
        use std::io::Write;
        let path = dir.join(name);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(if private { 0o600 } else { 0o644 })
            .open(&path)
            .map_err(|e| io(&path, e))?;
        f.write_all(text.as_bytes()).map_err(|e| io(&path, e))
    };
    for (name, purpose) in [
        ("bridge", ExtendedKeyUsagePurpose::ServerAuth),
        ("c2w", ExtendedKeyUsagePurpose::ClientAuth),
    ] {
        let key = KeyPair::generate().map_err(err)?;
        let mut p = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".into()])
            .map_err(err)?;
        p.distinguished_name
            .push(DnType::CommonName, format!("demo {name}"));
        p.extended_key_usages = vec![purpose];
        let cert = p.signed_by(&key, &ca).map_err(err)?;
        write(&format!("{name}.key"), &key.serialize_pem(), true)?;
        let chain = if name == "c2w" {
            format!("{}{}", cert.pem(), ca.pem())
        } else {
            cert.pem()
        };
        write(&format!("{name}.pem"), &chain, false)?;
    }
    // Last: its presence means the set is complete.
    write("ca.pem", &ca.pem(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_demo_organizer_has_the_simulators_demo_jid_even_when_made_before_jids() {
        let (db, _dir) = crate::db::test_db().await;
        // A demo account from an older release: no JID.
        users::create(
            &db,
            NewUser {
                username: USERNAME,
                display_name: DISPLAY_NAME,
                email: "demo.organizer@example.com",
                password: Some(PASSWORD),
                time_zone: "Europe/Paris",
                jid: None,
            },
            0,
        )
        .await
        .unwrap();
        assert!(!ensure_demo_user(&db, 0).await.unwrap(), "not made again");
        let demo = users::find_by_username(&db, USERNAME)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(demo.jid.as_deref(), Some(JID));
        assert!(demo.is_admin);
    }
}
