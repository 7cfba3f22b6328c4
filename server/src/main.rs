//! The scheduler binary: `cms-scheduler serve` runs the service; `cms-scheduler user ...`
//! manages local accounts; `cms-scheduler scheduler ...` is the MMP `scheduler`
//! command set.

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::auth::users::{self, NewUser};
use server::clock::{to_millis, Clock, SystemClock};
use server::config::ServeConfig;
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
        #[arg(
            long,
            env = "SCHEDULER_DATA_DIR",
            default_value = "data",
            global = true
        )]
        data_dir: std::path::PathBuf,
        #[arg(long, env = "DATABASE_URL", global = true)]
        database_url: Option<String>,
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
        #[arg(long, env = "SCHEDULER_DATA_DIR", default_value = "data")]
        data_dir: std::path::PathBuf,
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
    },
    /// Put a backup made by `backup` in place of the database, with the
    /// service stopped; the replaced database is kept beside it.
    Restore {
        file: std::path::PathBuf,
        #[arg(long, env = "SCHEDULER_DATA_DIR", default_value = "data")]
        data_dir: std::path::PathBuf,
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
    },
    /// Configure the scheduler, like the MMP `scheduler` command
    /// (`cms-scheduler scheduler help` lists the commands).
    Scheduler {
        #[arg(long, env = "SCHEDULER_DATA_DIR", default_value = "data")]
        data_dir: std::path::PathBuf,
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // RUST_LOG, or this default; reloadable for `scheduler timedLogging`.
    let log_reload = server::admin::logging::init("info,sqlx=warn,tower_http=warn", cli.log_format);
    let command = cli.command.unwrap_or_else(|| {
        Command::Serve(Box::new(ServeOnly::parse_from(["cms-scheduler"]).config))
    });
    match command {
        Command::Serve(cfg) => serve(*cfg, log_reload, cli.log_format).await,
        Command::Simulators {
            data_dir,
            listen,
            web_bridges,
            latency_ms,
        } => simulators(&data_dir, listen, web_bridges, latency_ms).await,
        Command::Backup {
            file,
            data_dir,
            database_url,
        } => {
            let url = database_url.unwrap_or_else(|| default_database_url(&data_dir));
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
            file,
            data_dir,
            database_url,
        } => {
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
            let url = database_url.unwrap_or_else(|| default_database_url(&data_dir));
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
        Command::Scheduler { data_dir, words } => {
            std::process::exit(server::admin::cli::run(&data_dir, &words).await)
        }
        Command::User {
            command,
            data_dir,
            database_url,
        } => {
            let url = database_url.unwrap_or_else(|| default_database_url(&data_dir));
            let db = server::db::connect(&url, &data_dir).await?;
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

/// The embedded default: a SQLite file in the data directory.
fn default_database_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}", data_dir.join("scheduler.db").display())
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
