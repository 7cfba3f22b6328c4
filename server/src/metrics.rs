//! The service's metrics: one function per thing measured, so every module
//! records under the same names and labels, and the Prometheus recorder
//! whose text `/metrics` serves (the `metrics` facade and
//! `metrics-exporter-prometheus`). Depends on nothing in the crate. The
//! names are listed in docs/operations.md.

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Latency buckets, in seconds: a page answers in milliseconds, a Call
/// Bridge request in tens of them, a slow one in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same).
/// None when another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full("scheduler_db_write_turn_wait_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full("scheduler_db_group_batches".into()),
                    &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Are metrics kept (was [`install`] called)? Callers skip building labels
/// on hot paths when not.
pub fn enabled() -> bool {
    HANDLE.get().is_some_and(Option::is_some)
}

/// The Prometheus text of everything recorded so far.
pub fn render() -> Option<String> {
    install().map(PrometheusHandle::render)
}

/// One HTTP request the service answered: `route` is the matched route
/// (`/meetings/{id}`), never the raw path, so ids do not make new series.
pub fn http_request(route: &str, method: &str, status: u16, took: Duration) {
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
    ];
    counter!("scheduler_http_requests_total", &labels).increment(1);
    histogram!(
        "scheduler_http_request_duration_seconds",
        "route" => route.to_owned(),
        "method" => method.to_owned()
    )
    .record(took.as_secs_f64());
}

/// One request to the Call Bridge API (each try counts): `operation` is
/// the method and the path with ids as `{id}` (`POST coSpaces/{id}/accessMethods`),
/// `outcome` `ok` or the kind of failure.
pub fn callbridge_request(operation: &str, outcome: &'static str, took: Duration) {
    counter!(
        "scheduler_callbridge_requests_total",
        "operation" => operation.to_owned(),
        "outcome" => outcome
    )
    .increment(1);
    histogram!(
        "scheduler_callbridge_request_duration_seconds",
        "operation" => operation.to_owned()
    )
    .record(took.as_secs_f64());
}

/// A meeting-space saga ended: `ready` or `failed`.
pub fn saga_run(outcome: &'static str) {
    counter!("scheduler_saga_runs_total", "outcome" => outcome).increment(1);
}

/// A failed saga's undo: `complete` or `incomplete` (something was left).
pub fn saga_compensation(outcome: &'static str) {
    counter!("scheduler_saga_compensations_total", "outcome" => outcome).increment(1);
}

/// How many C2W links are up, and how many are wanted.
pub fn c2w_links(up: usize, wanted: usize) {
    gauge!("scheduler_c2w_links_up").set(up as f64);
    gauge!("scheduler_c2w_links_wanted").set(wanted as f64);
}

/// A C2W link went down, or came back after being down.
pub fn c2w_link_change(event: &'static str) {
    counter!("scheduler_c2w_link_events_total", "event" => event).increment(1);
}

/// One outbox pass: mails sent, to be tried again, and given up on.
pub fn outbox_pass(sent: usize, retried: usize, failed: usize) {
    counter!("scheduler_mail_sends_total", "outcome" => "sent").increment(sent as u64);
    counter!("scheduler_mail_sends_total", "outcome" => "retry").increment(retried as u64);
    counter!("scheduler_mail_sends_total", "outcome" => "failed").increment(failed as u64);
}

/// Mails waiting in the outbox.
pub fn outbox_depth(pending: i64) {
    gauge!("scheduler_outbox_depth").set(pending as f64);
}

/// A sign-in: `ok`, `refused` (wrong name or password), `locked` (the rate
/// limit or lockout answered) or `unavailable` (the directory did not).
pub fn sign_in(outcome: &'static str) {
    counter!("scheduler_sign_ins_total", "outcome" => outcome).increment(1);
}

/// A name or address was locked out by the sign-in limiter.
pub fn lockout() {
    counter!("scheduler_lockouts_total").increment(1);
}

/// A cleanup run ended: `done` or `failed`; `deleted` spaces it removed.
pub fn cleanup_run(outcome: &'static str, deleted: usize) {
    counter!("scheduler_cleanup_runs_total", "outcome" => outcome).increment(1);
    counter!("scheduler_cleanup_spaces_deleted_total").increment(deleted as u64);
}

/// How long a write waited for the database's writer (SQLite's single
/// writer; PostgreSQL records nothing).
pub fn db_write_turn_wait(took: Duration) {
    histogram!("scheduler_db_write_turn_wait_seconds").record(took.as_secs_f64());
}

/// One write given to the group writer (`db::group`), from its queueing
/// to its commit.
pub fn db_write(took: Duration) {
    histogram!("scheduler_db_write_duration_seconds").record(took.as_secs_f64());
}

/// One group of writes committed together (`db::group`): how many.
pub fn db_group(batches: usize) {
    histogram!("scheduler_db_group_batches").record(batches as f64);
}

/// The database pool, read when metrics are scraped.
pub fn db_pool(size: u32, idle: usize) {
    gauge!("scheduler_db_pool_connections", "state" => "open").set(f64::from(size));
    gauge!("scheduler_db_pool_connections", "state" => "idle").set(idle as f64);
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_is_recorded_is_rendered() {
        super::install().expect("the recorder");
        super::http_request(
            "/meetings/{id}",
            "GET",
            200,
            std::time::Duration::from_millis(3),
        );
        super::sign_in("refused");
        let text = super::render().unwrap();
        assert!(text.contains(
            "scheduler_http_requests_total{route=\"/meetings/{id}\",method=\"GET\",status=\"200\"}"
        ), "{text}");
        assert!(
            text.contains("scheduler_http_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(
            text.contains("scheduler_sign_ins_total{outcome=\"refused\"}"),
            "{text}"
        );
    }
}
