//! What the service's settings make of the Call Bridge client's
//! configuration: the command line and environment first, then what the
//! `scheduler callbridge ...` commands stored, then the defaults. Each
//! refusal names the setting it comes from, on one line.

use super::config::{
    check_url, read_password_file, CallBridgeConfig, HostOverride, Password, TlsOptions,
    DEFAULT_BASE_URL,
};
use crate::admin::config::{CallBridgeSettings, ConfigStore};
use crate::config::ServeConfig;
use std::path::PathBuf;

/// The environment variable holding the Call Bridge API password.
pub const PASSWORD_ENV: &str = "SCHEDULER_CALLBRIDGE_PASSWORD";

/// The API user when none is configured.
pub const DEFAULT_USERNAME: &str = "scheduler";

/// A Call Bridge setting the service refuses to start with.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct SetupError {
    /// The setting, as the administrator sets it (`--callbridge-url
    /// (SCHEDULER_CALLBRIDGE_URL)`, `scheduler callbridge trust`).
    pub setting: String,
    pub message: String,
}

fn refuse(setting: &str, message: impl ToString) -> SetupError {
    SetupError {
        setting: setting.to_string(),
        message: message.to_string(),
    }
}

const URL_FLAG: &str = "--callbridge-url (SCHEDULER_CALLBRIDGE_URL)";
const URL_CMD: &str = "scheduler callbridge server";
const PASSWORD_FILE_FLAG: &str = "--callbridge-password-file (SCHEDULER_CALLBRIDGE_PASSWORD_FILE)";
const PASSWORD_FILE_CMD: &str = "scheduler callbridge password-file";
const TRUST_FLAG: &str = "--callbridge-trust (SCHEDULER_CALLBRIDGE_TRUST)";
const TRUST_CMD: &str = "scheduler callbridge trust";
const RESOLVE_FLAG: &str = "--callbridge-resolve (SCHEDULER_CALLBRIDGE_RESOLVE)";

/// The client configuration for a real Call Bridge (not the built-in
/// simulator). `env_password` is SCHEDULER_CALLBRIDGE_PASSWORD's value.
pub fn client_config(
    serve: &ServeConfig,
    stored: &CallBridgeSettings,
    store: &ConfigStore,
    env_password: Option<String>,
) -> Result<CallBridgeConfig, SetupError> {
    let (urls, url_setting) = if !serve.callbridge_url.is_empty() {
        (serve.callbridge_url.clone(), URL_FLAG)
    } else if !stored.servers.is_empty() {
        (stored.servers.clone(), URL_CMD)
    } else {
        (vec![DEFAULT_BASE_URL.to_string()], URL_FLAG)
    };
    let urls: Vec<String> = urls
        .iter()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    for u in &urls {
        check_url(u).map_err(|e| refuse(url_setting, config_message(e)))?;
    }
    let Some((first, others)) = urls.split_first() else {
        return Err(refuse(url_setting, "no URL given"));
    };
    let username = serve
        .callbridge_username
        .clone()
        .or_else(|| stored.username.clone())
        .unwrap_or_else(|| DEFAULT_USERNAME.to_string());
    let password = match (&serve.callbridge_password, env_password) {
        (Some(p), _) => Password::new(p.clone()),
        (None, Some(p)) if !p.is_empty() => Password::new(p),
        _ => {
            let file = match (&serve.callbridge_password_file, &stored.password_file) {
                (Some(f), _) => Some((f.clone(), PASSWORD_FILE_FLAG)),
                (None, Some(f)) => Some((store.resolve(f), PASSWORD_FILE_CMD)),
                (None, None) => None,
            };
            match file {
                Some((path, setting)) => {
                    read_password_file(&path).map_err(|e| refuse(setting, config_message(e)))?
                }
                None => Password::default(),
            }
        }
    };
    let trust: Option<(PathBuf, &str)> = match (&serve.callbridge_trust, &stored.trust) {
        (Some(f), _) => Some((f.clone(), TRUST_FLAG)),
        (None, Some(f)) => Some((store.resolve(f), TRUST_CMD)),
        (None, None) => None,
    };
    let tls = match trust {
        Some((path, setting)) => {
            let tls = TlsOptions::with_trust_bundle_file(&path)
                .map_err(|e| refuse(setting, config_message(e)))?;
            check_bundle(&tls).map_err(|m| refuse(setting, m))?;
            tls
        }
        None => TlsOptions::default(),
    };
    let resolve = resolve_overrides(&serve.callbridge_resolve)?;
    let mut cfg = CallBridgeConfig::new(first.clone(), username, password);
    cfg.other_urls = others.to_vec();
    cfg.tls = tls;
    cfg.resolve = resolve;
    Ok(cfg)
}

/// `--callbridge-resolve` entries, parsed.
pub fn resolve_overrides(entries: &[String]) -> Result<Vec<HostOverride>, SetupError> {
    entries
        .iter()
        .filter(|e| !e.trim().is_empty())
        .map(|e| HostOverride::parse(e).map_err(|err| refuse(RESOLVE_FLAG, config_message(err))))
        .collect()
}

/// A trust bundle holds at least one PEM certificate.
pub fn check_bundle(tls: &TlsOptions) -> Result<(), String> {
    let pem = tls.trust_bundle_pem.as_deref().unwrap_or_default();
    match reqwest::Certificate::from_pem_bundle(pem) {
        Ok(certs) if !certs.is_empty() => Ok(()),
        Ok(_) => Err("the trust bundle holds no PEM certificate".into()),
        Err(e) => Err(format!("bad trust bundle: {e}")),
    }
}

/// The message of a configuration error, without its "invalid ..." prefix.
fn config_message(e: super::CallBridgeError) -> String {
    match e {
        super::CallBridgeError::Config(m) => m,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn serve(dir: &std::path::Path) -> ServeConfig {
        let mut s = ServeConfig::for_tests(dir.to_path_buf());
        s.callbridge_simulator = false;
        s
    }

    #[test]
    fn flags_come_first_then_the_stored_settings_then_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        let mut stored = CallBridgeSettings::default();
        let cfg = client_config(&serve(dir.path()), &stored, &store, None).unwrap();
        assert_eq!(cfg.urls(), [DEFAULT_BASE_URL]);
        assert_eq!(cfg.username, DEFAULT_USERNAME);
        stored.servers = vec![
            "https://cms1.example.com:445".into(),
            "https://cms2.example.com:445".into(),
        ];
        stored.username = Some("schedapi".into());
        let cfg =
            client_config(&serve(dir.path()), &stored, &store, Some("env-pw".into())).unwrap();
        assert_eq!(
            cfg.urls(),
            [
                "https://cms1.example.com:445",
                "https://cms2.example.com:445"
            ]
        );
        assert_eq!(cfg.username, "schedapi");
        assert_eq!(cfg.password.expose(), "env-pw");
        let mut s = serve(dir.path());
        s.callbridge_url = vec!["https://cms9.example.com".into()];
        s.callbridge_username = Some("other".into());
        let cfg = client_config(&s, &stored, &store, None).unwrap();
        assert_eq!(cfg.urls(), ["https://cms9.example.com"]);
        assert_eq!(cfg.username, "other");
    }

    #[test]
    fn a_refused_url_names_the_setting_on_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        let mut s = serve(dir.path());
        s.callbridge_url = vec!["http://cms1.example.com".into()];
        let err = client_config(&s, &CallBridgeSettings::default(), &store, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--callbridge-url (SCHEDULER_CALLBRIDGE_URL): "),
            "{err}"
        );
        assert!(err.contains("http://cms1.example.com"), "{err}");
        assert!(!err.contains('\n'));
        let stored = CallBridgeSettings {
            servers: vec!["https://cms1.example.com".into(), "http://10.0.0.2".into()],
            ..Default::default()
        };
        let err = client_config(&serve(dir.path()), &stored, &store, None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("scheduler callbridge server: "), "{err}");
    }

    #[test]
    fn the_password_file_must_be_private_and_never_shows() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        std::fs::write(dir.path().join("cb.pw"), "F1le-Secret\n").unwrap();
        std::fs::set_permissions(
            dir.path().join("cb.pw"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let stored = CallBridgeSettings {
            password_file: Some("cb.pw".into()),
            ..Default::default()
        };
        let err = client_config(&serve(dir.path()), &stored, &store, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("scheduler callbridge password-file: "),
            "{err}"
        );
        assert!(err.contains("group or others"), "{err}");
        assert!(!err.contains("F1le-Secret"));
        std::fs::set_permissions(
            dir.path().join("cb.pw"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        let cfg = client_config(&serve(dir.path()), &stored, &store, None).unwrap();
        assert_eq!(cfg.password.expose(), "F1le-Secret");
        assert!(!format!("{cfg:?}").contains("F1le-Secret"));
    }

    #[test]
    fn a_bad_trust_bundle_or_override_names_its_setting() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConfigStore::new(dir.path());
        std::fs::write(dir.path().join("bundle.pem"), "not a certificate").unwrap();
        let stored = CallBridgeSettings {
            trust: Some("bundle.pem".into()),
            ..Default::default()
        };
        let err = client_config(&serve(dir.path()), &stored, &store, None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("scheduler callbridge trust: "), "{err}");
        let mut s = serve(dir.path());
        s.callbridge_resolve = vec!["cms.test".into()];
        let err = client_config(&s, &CallBridgeSettings::default(), &store, None)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--callbridge-resolve"), "{err}");
    }
}
