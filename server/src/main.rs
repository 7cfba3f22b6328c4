//! The scheduler binary: `cms-scheduler serve` runs the service; `cms-scheduler user ...`
//! manages local accounts; `cms-scheduler scheduler ...` is the MMP `scheduler`
//! command set.

use anyhow::Context;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use server::auth::users::{self, NewUser};
use server::clock::{to_millis, Clock, SystemClock};
use server::config::file::{self as config_file, ConfigFile};
use server::config::{DataDir, ServeConfig, Storage};
use server::Application;
use std::io::BufRead;
use std::sync::Arc;

/// `cms-scheduler --version`: the crate's version and the git commit it was
/// built from (server/build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CMS_SCHEDULER_COMMIT"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "cms-scheduler",
    version = VERSION,
    about = "Meeting scheduler for a CMS-style video platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The configuration file (TOML; keys are `serve`'s long flags, see
    /// docs/install.md). Unset: /etc/cms-scheduler/cms-scheduler.toml if it
    /// exists; `none`: no file.
    #[arg(long, env = "SCHEDULER_CONFIG", global = true)]
    config: Option<std::path::PathBuf>,
    #[command(flatten)]
    logs: Logs,
}

#[derive(Args)]
struct Logs {
    /// How log lines are written: `text`, or `json` (one object per line,
    /// each line of a request carrying its request id).
    #[arg(
        long,
        env = "SCHEDULER_LOG_FORMAT",
        value_enum,
        default_value_t = server::admin::logging::LogFormat::Text,
        global = true
    )]
    log_format: server::admin::logging::LogFormat,
}

/// `server` with no subcommand serves, configured by the environment.
#[derive(Parser)]
struct ServeOnly {
    #[command(flatten)]
    config: ServeConfig,
}

#[derive(Subcommand)]
enum Command {
    /// Run the scheduler (the default).
    Serve(Box<ServeConfig>),
    /// Manage local user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[command(flatten)]
        storage: Storage,
    },
    /// Run the Call Bridge simulator and three web bridge simulators on their
    /// own, for several scheduler nodes to share (scripts/cluster.sh). The
    /// API user is `scheduler`, its password SCHEDULER_CALLBRIDGE_PASSWORD;
    /// the web bridges' certificates come from `<data-dir>/demo-pki/`.
    Simulators {
        #[arg(long, env = "SCHEDULER_DATA_DIR", default_value = "data")]
        data_dir: std::path::PathBuf,
        /// Where the Call Bridge simulator's API listens.
        #[arg(long, default_value = "127.0.0.1:9443")]
        listen: std::net::SocketAddr,
        /// How many web bridge simulators to start (the Call Bridge lists them all).
        #[arg(long, default_value_t = server::demo::DEMO_WEB_BRIDGES)]
        web_bridges: usize,
        /// Delay every Call Bridge API answer by this many milliseconds (a
        /// real CMS answers in tens of milliseconds; 0: at once).
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
    },
    /// Copy the SQLite database to FILE while the service runs (a consistent
    /// copy, checked). PostgreSQL: use pg_dump (docs/operations.md).
    Backup {
        file: std::path::PathBuf,
        #[command(flatten)]
        storage: Storage,
    },
    /// Put a backup made by `backup` in place of the database, with the
    /// service stopped; the replaced database is kept beside it.
    Restore {
        file: std::path::PathBuf,
        #[command(flatten)]
        storage: Storage,
    },
    /// Configure the scheduler, like the MMP `scheduler` command
    /// (`cms-scheduler scheduler help` lists the commands).
    Scheduler {
        #[command(flatten)]
        data: DataDir,
        /// The words that follow `scheduler` on the MMP.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        words: Vec<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a local user. The password is read from SCHEDULER_PASSWORD or, if
    /// unset, from the first line of standard input; never from the command line.
    Add {
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// Make the user an administrator (the /admin page).
        #[arg(long)]
        admin: bool,
        /// The JID of their Call Bridge user (its templates and spaces are
        /// theirs); without it the account has no Call Bridge user.
        #[arg(long)]
        jid: Option<String>,
    },
    /// Set a local user's Call Bridge JID, or with no JID clear it.
    Jid {
        username: String,
        jid: Option<String>,
    },
    /// Make a user an administrator, or with --revoke no longer one.
    Admin {
        username: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Set a local user's password (read like `add`).
    Passwd { username: String },
    /// Make an API token for a user (printed once) for the REST API.
    Token {
        username: String,
        /// A name to recognise (and revoke) the token by.
        #[arg(long, default_value = "api")]
        name: String,
    },
    /// Revoke a user's API tokens with this name.
    RevokeToken {
        username: String,
        #[arg(long, default_value = "api")]
        name: String,
    },
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("SCHEDULER_PASSWORD") {
        return Ok(p);
    }
    eprintln!("Password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// The keys a configuration file may hold: `serve`'s long flags and the
/// global ones (not `config` itself).
fn config_keys() -> Vec<String> {
    let mut keys = config_file::keys_of::<ServeConfig>();
    keys.extend(config_file::keys_of::<Logs>());
    keys.retain(|k| k != "config");
    keys
}

/// Applies the configuration file, if any, to `target` under the command
/// line's `matches` for it. A refused key stops here with one line.
fn apply_file<T: Args + FromArgMatches>(
    file: Option<&ConfigFile>,
    target: &mut T,
    matches: &ArgMatches,
) {
    if let Some(file) = file {
        if let Err(e) = file.apply(target, matches) {
            stop(&e);
        }
    }
}

/// Ends the process on a configuration error: one line, exit status 1.
fn stop(e: &dyn std::fmt::Display) -> ! {
    eprintln!("cms-scheduler: {e}");
    std::process::exit(1)
}

/// The matches of the subcommand `name`, or the top level's.
fn matches_of<'m>(matches: &'m ArgMatches, name: &str) -> &'m ArgMatches {
    matches.subcommand_matches(name).unwrap_or(matches)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let file = config_file::chosen(cli.config.as_deref())
        .map(|path| ConfigFile::read(&path, &config_keys()).unwrap_or_else(|e| stop(&e)));
    apply_file(file.as_ref(), &mut cli.logs, &matches);
    let log_format = cli.logs.log_format;
    // RUST_LOG, or this default; reloadable for `scheduler timedLogging`.
    let log_reload = server::admin::logging::init("info,sqlx=warn,tower_http=warn", log_format);
    let file = file.as_ref();
    let command = match cli.command.take() {
        Some(Command::Serve(mut cfg)) => {
            apply_file(file, &mut *cfg, matches_of(&matches, "serve"));
            Command::Serve(cfg)
        }
        Some(command) => command,
        // No subcommand: serve, configured by the environment and the file.
        None => {
            let serve_matches = ServeOnly::command().get_matches_from(["cms-scheduler"]);
            let mut cfg = ServeOnly::from_arg_matches(&serve_matches)?.config;
            apply_file(file, &mut cfg, &serve_matches);
            Command::Serve(Box::new(cfg))
        }
    };
    match command {
        Command::Serve(cfg) => {
            if let Some(file) = file {
                tracing::info!(path = file.path(), "configuration file read");
            }
            serve(*cfg, log_reload, log_format).await
        }
        Command::Simulators {
            data_dir,
            listen,
            web_bridges,
            latency_ms,
        } => simulators(&data_dir, listen, web_bridges, latency_ms).await,
        Command::Backup {
            file: to,
            mut storage,
        } => {
            apply_file(file, &mut storage, matches_of(&matches, "backup"));
            let file = to;
            let url = storage.database_url()?;
            let made = server::db::backup::backup(&url, &file).await?;
            println!(
                "Backup written to {}: {} meetings, {} users, schema version {}, {} bytes",
                file.display(),
                made.meetings,
                made.users,
                made.schema_version,
                made.bytes
            );
            Ok(())
        }
        Command::Restore {
            file: from,
            mut storage,
        } => {
            apply_file(file, &mut storage, matches_of(&matches, "restore"));
            let file = from;
            let data_dir = storage.data_dir.clone();
            // Never under a running service: it would keep writing to the
            // file being replaced.
            let socket = data_dir.join(server::admin::CONTROL_SOCKET);
            if server::admin::control::request(
                &socket,
                server::admin::control::Request::Status,
                std::time::Duration::from_secs(2),
            )
            .await
            .is_ok()
            {
                anyhow::bail!(
                    "the scheduler service is running on {}: stop it first, then restore",
                    data_dir.display()
                );
            }
            let url = storage.database_url()?;
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
            let done = server::db::backup::restore(&url, &file, &stamp).await?;
            println!(
                "Restored {}: {} meetings, {} users, schema version {}",
                file.display(),
                done.contents.meetings,
                done.contents.users,
                done.contents.schema_version
            );
            if let Some(previous) = done.previous {
                println!("The replaced database is kept as {}", previous.display());
            }
            Ok(())
        }
        Command::Scheduler { mut data, words } => {
            apply_file(file, &mut data, matches_of(&matches, "scheduler"));
            std::process::exit(server::admin::cli::run(&data.data_dir, &words).await)
        }
        Command::User {
            command,
            mut storage,
        } => {
            apply_file(file, &mut storage, matches_of(&matches, "user"));
            let url = storage.database_url()?;
            let db = server::db::connect(&url, &storage.data_dir).await?;
            match command {
                UserCommand::Add {
                    username,
                    display_name,
                    email,
                    time_zone,
                    admin,
                    jid,
                } => {
                    let password = read_password()?;
                    let user = NewUser {
                        username: &username,
                        display_name: &display_name,
                        email: &email,
                        password: Some(&password),
                        time_zone: &time_zone,
                        jid: jid.as_deref(),
                    };
                    users::create(&db, user, to_millis(SystemClock.now()))
                        .await
                        .context("cannot add the user")?;
                    if admin {
                        users::set_admin(&db, &username, true).await?;
                    }
                    println!(
                        "User {} added{}",
                        users::normalize_username(&username),
                        if admin { " (administrator)" } else { "" }
                    );
                }
                UserCommand::Jid { username, jid } => {
                    if !users::set_jid(&db, &username, jid.as_deref()).await? {
                        anyhow::bail!("no local user named {username}");
                    }
                    let name = users::normalize_username(&username);
                    match jid.as_deref().and_then(users::normalize_jid) {
                        Some(jid) => println!("{name}'s Call Bridge user is {jid}"),
                        None => println!("{name} has no Call Bridge user"),
                    }
                }
                UserCommand::Admin { username, revoke } => {
                    if !users::set_admin(&db, &username, !revoke).await? {
                        anyhow::bail!("no user named {username}");
                    }
                    let name = users::normalize_username(&username);
                    if revoke {
                        println!("{name} is no longer an administrator");
                    } else {
                        println!("{name} is an administrator");
                    }
                }
                UserCommand::Passwd { username } => {
                    let password = read_password()?;
                    if !users::set_password(&db, &username, &password).await? {
                        anyhow::bail!("no local user named {username}");
                    }
                    println!("Password changed");
                }
                UserCommand::Token { username, name } => {
                    let Some(user) = users::find_by_username(&db, &username).await? else {
                        anyhow::bail!("no user named {username}");
                    };
                    let token = server::auth::tokens::create(
                        &db,
                        &user.id,
                        &name,
                        to_millis(SystemClock.now()),
                    )
                    .await?;
                    println!("{token}");
                }
                UserCommand::RevokeToken { username, name } => {
                    let Some(user) = users::find_by_username(&db, &username).await? else {
                        anyhow::bail!("no user named {username}");
                    };
                    let n = server::auth::tokens::revoke(&db, &user.id, &name).await?;
                    println!("{n} token(s) revoked");
                }
            }
            Ok(())
        }
    }
}

async fn simulators(
    data_dir: &std::path::Path,
    listen: std::net::SocketAddr,
    web_bridges: usize,
    latency_ms: u64,
) -> anyhow::Result<()> {
    use server::callbridge::sim::{CallBridgeSim, Seed, SimCredentials};
    let password = std::env::var("SCHEDULER_CALLBRIDGE_PASSWORD").context(
        "set SCHEDULER_CALLBRIDGE_PASSWORD: the Call Bridge API password the nodes will use",
    )?;
    let cb = CallBridgeSim::start_on(
        listen,
        Seed::source_document()?,
        SimCredentials::new("scheduler", password),
    )
    .await?;
    if latency_ms > 0 {
        cb.set_delay(Some(std::time::Duration::from_millis(latency_ms)));
    }
    let pki = server::demo::DemoPki::load_or_make(&data_dir.join("demo-pki"))?;
    let bridges = server::demo::start_simulated_bridges(&pki, &cb, web_bridges).await?;
    println!(
        "Call Bridge simulator at {} (answers delayed by {latency_ms} ms)",
        cb.base_url
    );
    for b in &bridges {
        println!("Web bridge simulator at {} (guid {})", b.url(), b.guid);
    }
    println!(
        "C2W certificates for the nodes: {}",
        data_dir.join("demo-pki").display()
    );
    shutdown_signal().await;
    drop(bridges);
    Ok(())
}

/// A line for the person who started the service: on standard output, or
/// on standard error when standard output carries JSON log lines only.
fn banner(format: server::admin::logging::LogFormat, line: &str) {
    match format {
        server::admin::logging::LogFormat::Text => println!("{line}"),
        server::admin::logging::LogFormat::Json => eprintln!("{line}"),
    }
}

async fn serve(
    cfg: ServeConfig,
    log_reload: server::admin::logging::LogReload,
    log_format: server::admin::logging::LogFormat,
) -> anyhow::Result<()> {
    let demo = cfg.demo;
    let app = match Application::build(cfg, Arc::new(SystemClock)).await {
        Ok(app) => app,
        Err(e) => {
            // One line, naming the setting when a setting is the cause.
            eprintln!("the scheduler could not start: {e}");
            std::process::exit(1);
        }
    };
    app.admin.set_log_reload(log_reload);
    let url = format!("http://{}", app.addr);
    tracing::info!("CmsWebSchedulerApplication - Started, listening on {url}");
    banner(
        log_format,
        &format!("Meeting Scheduler is running at {url}"),
    );
    if demo {
        banner(
            log_format,
            &format!(
                "Demo sign-in: username {} / password {}",
                server::demo::USERNAME,
                server::demo::PASSWORD
            ),
        );
    }
    app.run_until(shutdown_signal())
        .await
        .context("the server stopped with an error")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
