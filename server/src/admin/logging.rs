//! Timed logging: `scheduler timedLogging <subsystem> <seconds>` raises a
//! subsystem's tracing targets to `debug` in the running service and drops
//! them back by themselves when the time is up.
//!
//! The process's log filter is an [`EnvFilter`] behind
//! [`tracing_subscriber::reload`]; [`init`] installs it (the binary does, in
//! `main`) and hands back the [`LogReload`] the service uses. The targets of
//! each subsystem are in [`Subsystem::targets`].

use super::config::Subsystem;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use tokio::sync::Notify;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter};

type ApplyFn = dyn Fn(&str) -> Result<(), String> + Send + Sync;

/// Changes the process's log filter.
#[derive(Clone)]
pub struct LogReload {
    base: String,
    apply: Arc<ApplyFn>,
}

impl std::fmt::Debug for LogReload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogReload")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl LogReload {
    /// `base`: the directives in force when nothing is raised.
    pub fn new<S>(base: impl Into<String>, handle: reload::Handle<EnvFilter, S>) -> Self
    where
        S: tracing::Subscriber + Send + Sync + 'static,
    {
        Self {
            base: base.into(),
            apply: Arc::new(move |directives: &str| {
                let filter = EnvFilter::try_new(directives).map_err(|e| e.to_string())?;
                handle.reload(filter).map_err(|e| e.to_string())
            }),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The filter directives with `raised` subsystems at `debug`.
    pub fn directives(&self, raised: &[Subsystem]) -> String {
        let targets: Vec<&str> = raised.iter().flat_map(|s| s.targets()).copied().collect();
        let mut parts: Vec<String> = self
            .base
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .filter(|d| {
                let target = d.split(['=', '[']).next().unwrap_or("");
                !targets.contains(&target)
            })
            .map(str::to_owned)
            .collect();
        parts.extend(targets.iter().map(|t| format!("{t}=debug")));
        parts.join(",")
    }

    /// Puts the filter for `raised` in force.
    pub fn set_raised(&self, raised: &[Subsystem]) -> Result<(), String> {
        (self.apply)(&self.directives(raised))
    }
}

/// How log lines are written on standard output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event, with its spans (`request{request_id=..}:`).
    #[default]
    Text,
    /// One JSON object per line (tracing's JSON formatter): `timestamp`,
    /// `level`, `fields.message`, `target`, and `spans` with the request's
    /// `request_id`.
    Json,
}

/// Installs the process's tracing subscriber: lines on standard output in
/// `format`, filtered by `RUST_LOG` (or `default_directives` when it is
/// unset or invalid) through a reloadable filter.
pub fn init(default_directives: &str, format: LogFormat) -> LogReload {
    let base = match std::env::var(EnvFilter::DEFAULT_ENV) {
        Ok(v) if EnvFilter::try_new(&v).is_ok() => v,
        _ => default_directives.to_owned(),
    };
    let filter = EnvFilter::try_new(&base).unwrap_or_else(|_| EnvFilter::new("info"));
    let (layer, handle) = reload::Layer::new(filter);
    let registry = tracing_subscriber::registry().with(layer);
    match format {
        LogFormat::Text => registry.with(tracing_subscriber::fmt::layer()).init(),
        LogFormat::Json => registry
            .with(tracing_subscriber::fmt::layer().json().flatten_event(false))
            .init(),
    }
    LogReload::new(base, handle)
}

/// The running service's timed logging: which subsystems are raised and
/// until when; puts the filter back when each time is up.
#[derive(Debug, Default)]
pub struct TimedLogging {
    reload: OnceLock<LogReload>,
    raised: Mutex<BTreeMap<Subsystem, DateTime<Utc>>>,
    changed: Notify,
}

impl TimedLogging {
    /// Gives the service control of the log filter (once).
    pub fn set_reload(&self, reload: LogReload) {
        let _ = self.reload.set(reload);
    }

    /// Can the service change the log filter?
    pub fn has_control(&self) -> bool {
        self.reload.get().is_some()
    }

    fn raised(&self) -> std::sync::MutexGuard<'_, BTreeMap<Subsystem, DateTime<Utc>>> {
        self.raised.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Raises exactly the subsystems of `wanted` whose time is not up.
    pub fn apply(
        &self,
        wanted: &BTreeMap<Subsystem, DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let mut raised = self.raised();
        *raised = wanted
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(s, u)| (*s, *u))
            .collect();
        let result = self.reload_filter(&raised);
        drop(raised);
        self.changed.notify_one();
        result
    }

    /// The raised subsystems and until when.
    pub fn snapshot(&self, now: DateTime<Utc>) -> BTreeMap<Subsystem, DateTime<Utc>> {
        self.raised()
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(s, u)| (*s, *u))
            .collect()
    }

    fn reload_filter(&self, raised: &BTreeMap<Subsystem, DateTime<Utc>>) -> Result<(), String> {
        match self.reload.get() {
            Some(r) => r.set_raised(&raised.keys().copied().collect::<Vec<_>>()),
            None => Ok(()),
        }
    }

    /// Drops the subsystems whose time is up at `now`.
    fn expire(&self, now: DateTime<Utc>) {
        let mut raised = self.raised();
        let before = raised.len();
        raised.retain(|_, until| *until > now);
        if raised.len() != before {
            if let Err(e) = self.reload_filter(&raised) {
                tracing::error!("cannot restore the log filter: {e}");
            }
        }
    }

    fn next_expiry(&self) -> Option<DateTime<Utc>> {
        self.raised().values().min().copied()
    }

    /// Puts the levels back when their time is up; runs until aborted.
    pub async fn run(self: Arc<Self>) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.next_expiry() {
                Some(until) => {
                    let wait = (until - Utc::now()).to_std().unwrap_or_default();
                    tokio::select! {
                        () = tokio::time::sleep(wait) => self.expire(Utc::now()),
                        () = &mut changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    fn recording(base: &str) -> (LogReload, Arc<StdMutex<Vec<String>>>) {
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let s = seen.clone();
        let reload = LogReload {
            base: base.into(),
            apply: Arc::new(move |d: &str| {
                s.lock().unwrap().push(d.to_owned());
                Ok(())
            }),
        };
        (reload, seen)
    }

    #[test]
    fn directives_add_the_subsystem_targets() {
        let (r, _) = recording("info,sqlx=warn,callbridge=warn");
        assert_eq!(r.directives(&[]), "info,sqlx=warn,callbridge=warn");
        assert_eq!(
            r.directives(&[Subsystem::Api]),
            "info,sqlx=warn,callbridge=debug,api=debug,server::callbridge=debug"
        );
        assert_eq!(
            r.directives(&[Subsystem::WebBridge, Subsystem::Email]),
            "info,sqlx=warn,callbridge=warn,c2w=debug,server::c2w=debug,mail=debug,server::mail=debug"
        );
        for s in Subsystem::ALL {
            assert!(EnvFilter::try_new(r.directives(&[s])).is_ok());
        }
    }

    #[tokio::test]
    async fn raised_levels_drop_back_by_themselves() {
        let (reload, seen) = recording("info");
        let timed = Arc::new(TimedLogging::default());
        timed.set_reload(reload);
        let task = tokio::spawn(timed.clone().run());
        let now = Utc::now();
        let mut wanted = BTreeMap::new();
        wanted.insert(Subsystem::Email, now + chrono::Duration::milliseconds(300));
        wanted.insert(Subsystem::Api, now + chrono::Duration::seconds(60));
        wanted.insert(Subsystem::WebBridge, now - chrono::Duration::seconds(1));
        timed.apply(&wanted, now).unwrap();
        assert_eq!(timed.snapshot(now).len(), 2);
        assert_eq!(
            seen.lock().unwrap().last().unwrap(),
            "info,callbridge=debug,api=debug,server::callbridge=debug,mail=debug,server::mail=debug"
        );
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        assert_eq!(
            seen.lock().unwrap().last().unwrap(),
            "info,callbridge=debug,api=debug,server::callbridge=debug"
        );
        assert_eq!(timed.snapshot(Utc::now()).len(), 1);
        timed.apply(&BTreeMap::new(), Utc::now()).unwrap();
        assert_eq!(seen.lock().unwrap().last().unwrap(), "info");
        task.abort();
    }
}
