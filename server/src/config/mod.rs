//! Configuration of the running service: its flags and environment
//! variables ([`ServeConfig`], [`Storage`]), and the configuration file that
//! sits below both ([`file`]).

pub mod file;

use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[arg(long, env = "SCHEDULER_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Directory for the embedded database and other state; created if missing.
    #[arg(long, env = "SCHEDULER_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL; defaults to an SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// A file holding the database URL (when it carries a password),
    /// readable by the service user only; `--database-url` wins.
    #[arg(long, env = "DATABASE_URL_FILE")]
    pub database_url_file: Option<PathBuf>,

    /// Where the built web assets (pkg/ with the WASM, JS and CSS) are.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Mark cookies Secure. On by default when served over HTTPS; set it
    /// when a TLS-terminating proxy sits in front of a plain listener.
    #[arg(long, env = "SCHEDULER_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// The web bridge address used to build join links.
    #[arg(
        long,
        env = "SCHEDULER_JOIN_BASE_URL",
        default_value = "https://join.example.com"
    )]
    pub join_base_url: String,

    /// Where people reach this server (e.g. `https://scheduler.example.com`):
    /// the answer links in invitations and the calendar feed addresses are
    /// built on it. Unset: `http://` and the listening address.
    #[arg(long, env = "SCHEDULER_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The Call Bridge API: `https://cms1.example.com:445` (any host; plain
    /// `http://` only on loopback). Several, comma-separated, for the Call
    /// Bridges of a cluster, the preferred first. Unset: `scheduler
    /// callbridge server`, else `https://127.0.0.1:443`, or the built-in
    /// simulator in demo mode.
    #[arg(long, env = "SCHEDULER_CALLBRIDGE_URL", value_delimiter = ',')]
    pub callbridge_url: Vec<String>,

    /// The Call Bridge API user (unset: `scheduler callbridge username`,
    /// else `scheduler`). Its password is never on the command line: it
    /// comes from SCHEDULER_CALLBRIDGE_PASSWORD or a password file.
    #[arg(long, env = "SCHEDULER_CALLBRIDGE_USERNAME")]
    pub callbridge_username: Option<String>,

    /// A file holding the Call Bridge API password, readable by the
    /// service user only (unset: `scheduler callbridge password-file`).
    #[arg(long, env = "SCHEDULER_CALLBRIDGE_PASSWORD_FILE")]
    pub callbridge_password_file: Option<PathBuf>,

    /// PEM certificates the Call Bridge's certificate must chain to (unset:
    /// `scheduler callbridge trust`, else the system's roots).
    #[arg(long, env = "SCHEDULER_CALLBRIDGE_TRUST")]
    pub callbridge_trust: Option<PathBuf>,

    /// `host=address`: resolve this Call Bridge host name to this address
    /// without DNS (tests and labs; the certificate is still checked
    /// against the host name). Comma-separated for several.
    #[arg(long, env = "SCHEDULER_CALLBRIDGE_RESOLVE", value_delimiter = ',')]
    pub callbridge_resolve: Vec<String>,

    /// Run the built-in Call Bridge simulator (seeded with the source
    /// document's objects) and talk to it.
    #[arg(long, env = "SCHEDULER_CALLBRIDGE_SIMULATOR", default_value_t = false)]
    pub callbridge_simulator: bool,

    /// Serve Prometheus metrics at `/metrics` on this address (a listener
    /// of its own, off the public one; unset: no metrics are kept).
    #[arg(long, env = "SCHEDULER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// The simulator's seed (JSON, see `callbridge::sim::seed`) instead of
    /// the built-in one.
    #[arg(long, env = "SCHEDULER_CALLBRIDGE_SEED")]
    pub callbridge_seed: Option<PathBuf>,

    /// Demo mode: create the demo organizer account if it is missing.
    #[arg(long, env = "SCHEDULER_DEMO", default_value_t = false)]
    pub demo: bool,

    /// The Call Bridge API password when set by code (tests); otherwise it
    /// comes from SCHEDULER_CALLBRIDGE_PASSWORD or a password file.
    #[arg(skip)]
    pub callbridge_password: Option<String>,

    /// Serve the built-in simulator over HTTPS with this certificate, on
    /// its host name (tests: the client then verifies it like a real one,
    /// with `callbridge_trust` and `callbridge_resolve`).
    #[arg(skip)]
    pub callbridge_simulator_tls: Option<SimulatorCert>,
}

/// A certificate for the built-in Call Bridge simulator to serve.
#[derive(Clone)]
pub struct SimulatorCert {
    /// PEM, leaf first.
    pub chain_pem: String,
    pub key_pem: String,
    /// The host name its URL uses (one the certificate names).
    pub host: String,
}

impl std::fmt::Debug for SimulatorCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorCert")
            .field("host", &self.host)
            .finish()
    }
}

/// Where the other commands (`user`, `backup`, `restore`) find the
/// database: the same flags, variables and file keys as `serve`'s.
#[derive(Debug, Clone, Args)]
pub struct Storage {
    /// The service's data directory.
    #[arg(
        long,
        env = "SCHEDULER_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Database URL; defaults to an SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// A file holding the database URL; `--database-url` wins.
    #[arg(long, env = "DATABASE_URL_FILE", global = true)]
    pub database_url_file: Option<PathBuf>,
}

/// Where the `scheduler ...` commands find the running service.
#[derive(Debug, Clone, Args)]
pub struct DataDir {
    /// The service's data directory.
    #[arg(long, env = "SCHEDULER_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("cannot read the database URL file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the database URL file {path} is empty")]
    Empty { path: String },
}

/// The database URL: `url`, else the first line of `url_file`, else the
/// SQLite file `scheduler.db` in `data_dir`.
pub fn database_url(
    url: Option<&str>,
    url_file: Option<&std::path::Path>,
    data_dir: &std::path::Path,
) -> Result<String, SecretFileError> {
    if let Some(url) = url {
        return Ok(url.to_string());
    }
    if let Some(path) = url_file {
        let text = std::fs::read_to_string(path).map_err(|source| SecretFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let line = text.lines().next().unwrap_or_default().trim();
        if line.is_empty() {
            return Err(SecretFileError::Empty {
                path: path.display().to_string(),
            });
        }
        return Ok(line.to_string());
    }
    Ok(format!(
        "sqlite://{}",
        data_dir.join("scheduler.db").display()
    ))
}

impl Storage {
    pub fn database_url(&self) -> Result<String, SecretFileError> {
        database_url(
            self.database_url.as_deref(),
            self.database_url_file.as_deref(),
            &self.data_dir,
        )
    }
}

impl ServeConfig {
    /// The database URL (see [`database_url`]).
    pub fn database_url(&self) -> Result<String, SecretFileError> {
        database_url(
            self.database_url.as_deref(),
            self.database_url_file.as_deref(),
            &self.data_dir,
        )
    }

    /// Should this process run the Call Bridge simulator?
    pub fn uses_simulator(&self) -> bool {
        self.callbridge_simulator || (self.demo && self.callbridge_url.is_empty())
    }

    /// A configuration for tests: a fresh data directory, port 0, the simulator.
    pub fn for_tests(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url: None,
            database_url_file: None,
            site_root: "target/site".into(),
            secure_cookies: false,
            join_base_url: "https://join.example.com".into(),
            public_url: None,
            callbridge_url: Vec::new(),
            callbridge_username: None,
            callbridge_password_file: None,
            callbridge_trust: None,
            callbridge_resolve: Vec::new(),
            callbridge_simulator: true,
            callbridge_seed: None,
            demo: false,
            callbridge_password: None,
            metrics_listen: None,
            callbridge_simulator_tls: None,
        }
    }
}
