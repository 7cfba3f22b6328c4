//! The Call Bridge REST API client: HTTP Basic auth, XML answers, paged
//! lists, form-encoded writes, typed errors, bounded retries, failover
//! between the Call Bridges of a cluster and a count of the round trips made.

use super::cluster::{Cluster, NodeReport};
use super::config::CallBridgeConfig;
use super::error::CallBridgeError;
use super::model::{
    AccessMethod, AccessMethodTemplate, ApiObject, Call, CallLeg, CallLegProfile, CallProfile,
    CoSpace, CoSpaceTemplate, CoSpaceUser, Form, LdapUserCoSpaceTemplateSource, NewAccessMethod,
    NewAccessMethodTemplate, NewCoSpace, NewCoSpaceTemplate, Page, Participant, SystemStatus, User,
    UserCoSpace, UserCoSpaceTemplate, WebBridge,
};
use super::xml;
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LOG_TARGET: &str = "callbridge";
/// Longest answer body written to the debug log.
const LOG_BODY_MAX: usize = 4096;
/// A safety stop for paging against a Call Bridge whose lists keep growing.
const MAX_PAGES: u32 = 10_000;

/// A Call Bridge API client. Cheap to clone (the connection pool is shared,
/// and so is the round-trip count, see [`CallBridgeClient::counting`]).
#[derive(Clone)]
pub struct CallBridgeClient {
    http: reqwest::Client,
    base: Url,
    /// Every Call Bridge, `base` first; shared by the clones.
    cluster: Arc<Cluster>,
    config: Arc<CallBridgeConfig>,
    /// HTTP requests sent (each attempt of each call, each page of a list).
    round_trips: Arc<AtomicU64>,
}

impl std::fmt::Debug for CallBridgeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallBridgeClient")
            .field("config", &self.config)
            .finish()
    }
}

/// A successful answer.
#[derive(Debug)]
struct Answer {
    location: Option<String>,
    body: String,
}

/// A failed attempt: the error, whether the request may have reached the
/// Call Bridge, and the `Retry-After` it asked for.
struct AttemptError {
    error: CallBridgeError,
    maybe_sent: bool,
    retry_after: Option<Duration>,
}

impl AttemptError {
    fn answered(error: CallBridgeError) -> Self {
        Self {
            error,
            maybe_sent: true,
            retry_after: None,
        }
    }
}

/// A failure that says the node is not serving: move to the next one.
fn is_node_failure(e: &CallBridgeError) -> bool {
    matches!(
        e,
        CallBridgeError::Busy { .. }
            | CallBridgeError::Timeout(_)
            | CallBridgeError::Unreachable(_)
            | CallBridgeError::Certificate(_)
    )
}

fn is_idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::PUT | Method::DELETE)
}

fn truncate(body: &str) -> &str {
    match body.char_indices().nth(LOG_BODY_MAX) {
        Some((i, _)) => &body[..i],
        None => body,
    }
}

/// The system's trusted roots (DER), read once.
fn system_roots() -> &'static [Vec<u8>] {
    static ROOTS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        rustls_native_certs::load_native_certs()
            .certs
            .into_iter()
            .map(|c| c.to_vec())
            .collect()
    })
}

/// Whether a transport failure is the TLS handshake refusing the server's
/// certificate: a rustls error in the chain, or its words in the message
/// (hyper-rustls hands it over as text inside an io::Error).
fn is_certificate_failure(e: &(dyn std::error::Error + 'static), detail: &str) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if err.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        current = err.source();
    }
    let d = detail.to_ascii_lowercase();
    d.contains("invalid peer certificate") || d.contains("certificate not valid")
}

impl CallBridgeClient {
    /// Builds the client; fails on a refused URL (plain http off loopback,
    /// credentials in it, a path) or a bad trust bundle. The server's
    /// certificate is checked against the trust bundle when one is given,
    /// else against the system's roots.
    pub fn new(config: CallBridgeConfig) -> Result<Self, CallBridgeError> {
        let bases = config.validate()?;
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .no_proxy()
            .danger_accept_invalid_certs(config.tls.accept_invalid_certs)
            .danger_accept_invalid_hostnames(config.tls.accept_invalid_hostnames);
        match &config.tls.trust_bundle_pem {
            Some(pem) => {
                let certs = reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| CallBridgeError::Config(format!("bad trust bundle: {e}")))?;
                if certs.is_empty() {
                    return Err(CallBridgeError::Config(
                        "the trust bundle holds no certificate".into(),
                    ));
                }
                for cert in certs {
                    builder = builder.add_root_certificate(cert);
                }
            }
            None => {
                for der in system_roots() {
                    if let Ok(cert) = reqwest::Certificate::from_der(der) {
                        builder = builder.add_root_certificate(cert);
                    }
                }
            }
        }
        for o in &config.resolve {
            builder = builder.resolve(&o.host, std::net::SocketAddr::new(o.addr, 0));
        }
        let http = builder
            .build()
            .map_err(|e| CallBridgeError::Config(format!("cannot build the HTTP client: {e}")))?;
        let base = bases[0].clone();
        Ok(Self {
            http,
            base,
            cluster: Arc::new(Cluster::new(bases, config.recheck_after)),
            config: Arc::new(config),
            round_trips: Arc::default(),
        })
    }

    /// Each Call Bridge: in use or not, its state, version and last error.
    pub fn nodes(&self) -> Vec<NodeReport> {
        self.cluster.reports()
    }

    /// Asks every Call Bridge for `GET /api/v1/system/status` (one attempt
    /// each, no failover): their state and software version are then
    /// known, and a recovered first node is in use again.
    pub async fn probe(&self) {
        for i in 0..self.cluster.len() {
            let url = match self.url(&["system", "status"], &[]) {
                Ok(u) => self.on_node(i, &u),
                Err(_) => return,
            };
            match self.attempt(i, &Method::GET, &url, None, 1).await {
                Ok(answer) => {
                    let version = xml::parse_object::<super::model::SystemStatus>(&answer.body)
                        .ok()
                        .and_then(|s| s.software_version);
                    self.cluster.set_version(i, version);
                }
                Err(f) => {
                    if !is_node_failure(&f.error) {
                        self.cluster.note_error(i, &f.error.to_string());
                    }
                }
            }
        }
    }

    /// Probes the Call Bridges every `every` until `stop` turns true.
    pub async fn watch(self, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            self.probe().await;
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// `url` (built on the first node) on node `i`.
    fn on_node(&self, i: usize, url: &Url) -> Url {
        if i == 0 {
            return url.clone();
        }
        let mut u = self.cluster.node(i).base.clone();
        u.set_path(url.path());
        u.set_query(url.query());
        u
    }

    pub fn config(&self) -> &CallBridgeConfig {
        &self.config
    }

    /// The same client (same connections) with its own round-trip count,
    /// starting at 0: what one saga or one page render costs.
    pub fn counting(&self) -> Self {
        Self {
            round_trips: Arc::default(),
            ..self.clone()
        }
    }

    /// HTTP requests this client (and its clones sharing the count) sent:
    /// every attempt, retries and list pages included.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// `<base>/api/v1/<segments...>?<query>`, each segment percent-encoded.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Url, CallBridgeError> {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|_| CallBridgeError::Config("base_url cannot take a path".into()))?;
            path.clear().push("api").push("v1");
            for s in segments {
                path.push(s);
            }
        }
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Sends one request to the first healthy Call Bridge, retrying by the
    /// policy and moving to the next Call Bridge when one fails. A 503 (the
    /// Call Bridge refused it unprocessed) and a failed connection (nothing
    /// was sent) are retried for any method, on the next node at once if
    /// there is one; a timeout or a dropped connection only for
    /// GET/PUT/DELETE: a POST may have been applied, and repeating it, on
    /// this node or another of the cluster (they share one database), could
    /// make a second object. The caller decides (the saga looks for it).
    async fn execute(
        &self,
        method: Method,
        url: Url,
        form: Option<&Form>,
    ) -> Result<Answer, CallBridgeError> {
        let policy = &self.config.retry;
        let max_attempts = policy.max_attempts.max(1) + (self.cluster.len() as u32 - 1);
        let mut attempt = 1;
        // The metrics' name of the request, when metrics are kept.
        let operation = crate::metrics::enabled().then(|| operation(&method, &url));
        let mut tried: Vec<usize> = Vec::new();
        loop {
            let node = self.cluster.pick(&tried);
            let node_url = self.on_node(node, &url);
            let started = Instant::now();
            let result = self.attempt(node, &method, &node_url, form, attempt).await;
            if let Some(operation) = &operation {
                crate::metrics::callbridge_request(
                    operation,
                    match &result {
                        Ok(_) => "ok",
                        Err(failure) => failure.error.kind(),
                    },
                    started.elapsed(),
                );
            }
            let failure = match result {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            let retryable = match &failure.error {
                CallBridgeError::Busy { .. } => true,
                CallBridgeError::Timeout(_)
                | CallBridgeError::Unreachable(_)
                | CallBridgeError::Certificate(_) => !failure.maybe_sent || is_idempotent(&method),
                _ => false,
            };
            if !retryable || attempt >= max_attempts {
                let error = match failure.error {
                    CallBridgeError::Busy { .. } => CallBridgeError::Busy { attempts: attempt },
                    other => other,
                };
                return Err(error);
            }
            tried.push(node);
            if self.cluster.untried_left(&tried) {
                tracing::debug!(
                    target: LOG_TARGET,
                    %method,
                    url = %node_url,
                    attempt,
                    error = %failure.error,
                    "trying the next Call Bridge"
                );
            } else {
                tried.clear();
                let wait = policy.backoff(attempt).max(
                    failure
                        .retry_after
                        .unwrap_or_default()
                        .min(policy.max_backoff),
                );
                tracing::debug!(
                    target: LOG_TARGET,
                    %method,
                    url = %node_url,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    error = %failure.error,
                    "retrying"
                );
                tokio::time::sleep(wait).await;
            }
            attempt += 1;
        }
    }

    /// One request to node `node`; its answer (or none) updates the node's state.
    async fn attempt(
        &self,
        node: usize,
        method: &Method,
        url: &Url,
        form: Option<&Form>,
        attempt: u32,
    ) -> Result<Answer, AttemptError> {
        let result = self.send(method, url, form, attempt).await;
        match &result {
            Ok(_) => self.cluster.answered(node),
            Err(f) if is_node_failure(&f.error) => self.cluster.failed(node, &f.error.to_string()),
            Err(f) => {
                self.cluster.answered(node);
                if matches!(f.error, CallBridgeError::Unauthorized) {
                    self.cluster.note_error(node, &f.error.to_string());
                }
            }
        }
        result
    }

    async fn send(
        &self,
        method: &Method,
        url: &Url,
        form: Option<&Form>,
        attempt: u32,
    ) -> Result<Answer, AttemptError> {
        tracing::debug!(
            target: LOG_TARGET,
            %method,
            url = %url,
            attempt,
            form = ?form.map(Form::pairs),
            "request"
        );
        let started = Instant::now();
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .basic_auth(&self.config.username, Some(self.config.password.expose()))
            .header(reqwest::header::ACCEPT, "text/xml");
        if let Some(form) = form {
            request = request.form(form.pairs());
        }
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Err(self.transport_error(method, url, e, started)),
        };
        let status = response.status();
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = match response.text().await {
            Ok(b) => b,
            Err(e) => return Err(self.transport_error(method, url, e, started)),
        };
        tracing::debug!(
            target: LOG_TARGET,
            %method,
            url = %url,
            status = status.as_u16(),
            location = location.as_deref().unwrap_or(""),
            elapsed_ms = started.elapsed().as_millis() as u64,
            body = truncate(&body),
            "response"
        );
        if status.is_success() {
            return Ok(Answer { location, body });
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return Err(AttemptError {
                error: CallBridgeError::Busy { attempts: attempt },
                maybe_sent: false,
                retry_after,
            });
        }
        let error = answer_error(status.as_u16(), &body);
        Err(AttemptError::answered(error))
    }

    fn transport_error(
        &self,
        method: &Method,
        url: &Url,
        e: reqwest::Error,
        started: Instant,
    ) -> AttemptError {
        let maybe_sent = !e.is_connect();
        let error = if e.is_timeout() {
            CallBridgeError::Timeout(self.config.timeout)
        } else {
            let mut detail = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                detail.push_str(": ");
                detail.push_str(&s.to_string());
                source = s.source();
            }
            if is_certificate_failure(&e, &detail) {
                let reason = match detail.to_ascii_lowercase().find("invalid peer certificate") {
                    Some(i) => detail[i..].to_string(),
                    None => detail.rsplit(": ").next().unwrap_or("").to_string(),
                };
                CallBridgeError::Certificate(format!("{}: {reason}", url.host_str().unwrap_or("")))
            } else {
                CallBridgeError::Unreachable(detail)
            }
        };
        tracing::debug!(
            target: LOG_TARGET,
            %method,
            url = %url,
            elapsed_ms = started.elapsed().as_millis() as u64,
            error = %error,
            "no answer"
        );
        AttemptError {
            error,
            maybe_sent,
            retry_after: None,
        }
    }

    // ---- generic operations -------------------------------------------------

    /// `GET /api/v1/<segments>`: one object.
    pub async fn get_object<T: DeserializeOwned>(
        &self,
        segments: &[&str],
    ) -> Result<T, CallBridgeError> {
        let url = self.url(segments, &[])?;
        let answer = self.execute(Method::GET, url, None).await?;
        xml::parse_object(&answer.body)
    }

    /// One page of a list: `GET /api/v1/<segments>?offset=..&limit=..&<query>`.
    pub async fn page<T: ApiObject>(
        &self,
        segments: &[&str],
        offset: u64,
        limit: u32,
        query: &[(&str, &str)],
    ) -> Result<Page<T>, CallBridgeError> {
        let offset_s = offset.to_string();
        let limit_s = limit.to_string();
        let mut q: Vec<(&str, &str)> = vec![("offset", &offset_s), ("limit", &limit_s)];
        q.extend_from_slice(query);
        let url = self.url(segments, &q)?;
        let answer = self.execute(Method::GET, url, None).await?;
        xml::parse_list(&answer.body, T::ELEMENT)
    }

    /// Every object of a list, page after page until `total` is reached.
    pub async fn list_all<T: ApiObject>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, CallBridgeError> {
        let mut out = Vec::new();
        let mut offset = 0u64;
        for _ in 0..MAX_PAGES {
            let page: Page<T> = self
                .page(segments, offset, self.config.page_size, query)
                .await?;
            let received = page.items.len() as u64;
            out.extend(page.items);
            offset += received;
            // An empty page before `total` means the list shrank meanwhile.
            if received == 0 || offset >= page.total {
                break;
            }
        }
        Ok(out)
    }

    /// `POST /api/v1/<segments>`; answers the new object's id from `Location`.
    pub async fn create(&self, segments: &[&str], form: &Form) -> Result<String, CallBridgeError> {
        let url = self.url(segments, &[])?;
        let answer = self.execute(Method::POST, url, Some(form)).await?;
        answer
            .location
            .as_deref()
            .and_then(location_id)
            .ok_or(CallBridgeError::MissingLocation)
    }

    /// `PUT /api/v1/<segments>`; an empty value unsets that field.
    pub async fn modify(&self, segments: &[&str], form: &Form) -> Result<(), CallBridgeError> {
        let url = self.url(segments, &[])?;
        self.execute(Method::PUT, url, Some(form)).await.map(|_| ())
    }

    /// `DELETE /api/v1/<segments>`.
    pub async fn delete(&self, segments: &[&str]) -> Result<(), CallBridgeError> {
        let url = self.url(segments, &[])?;
        self.execute(Method::DELETE, url, None).await.map(|_| ())
    }

    // ---- coSpace templates ---------------------------------------------------

    pub async fn cospace_templates(
        &self,
        filter: Option<&str>,
    ) -> Result<Vec<CoSpaceTemplate>, CallBridgeError> {
        self.list_all(&["coSpaceTemplates"], &filter_query(filter))
            .await
    }

    pub async fn cospace_template(&self, id: &str) -> Result<CoSpaceTemplate, CallBridgeError> {
        self.get_object(&["coSpaceTemplates", id]).await
    }

    pub async fn create_cospace_template(
        &self,
        params: &NewCoSpaceTemplate,
    ) -> Result<String, CallBridgeError> {
        self.create(&["coSpaceTemplates"], &params.to_form()).await
    }

    pub async fn modify_cospace_template(
        &self,
        id: &str,
        form: &Form,
    ) -> Result<(), CallBridgeError> {
        self.modify(&["coSpaceTemplates", id], form).await
    }

    pub async fn delete_cospace_template(&self, id: &str) -> Result<(), CallBridgeError> {
        self.delete(&["coSpaceTemplates", id]).await
    }

    pub async fn access_method_templates(
        &self,
        template_id: &str,
    ) -> Result<Vec<AccessMethodTemplate>, CallBridgeError> {
        self.list_all(
            &["coSpaceTemplates", template_id, "accessMethodTemplates"],
            &[],
        )
        .await
    }

    pub async fn access_method_template(
        &self,
        template_id: &str,
        id: &str,
    ) -> Result<AccessMethodTemplate, CallBridgeError> {
        self.get_object(&["coSpaceTemplates", template_id, "accessMethodTemplates", id])
            .await
    }

    pub async fn create_access_method_template(
        &self,
        template_id: &str,
        params: &NewAccessMethodTemplate,
    ) -> Result<String, CallBridgeError> {
        self.create(
            &["coSpaceTemplates", template_id, "accessMethodTemplates"],
            &params.to_form(),
        )
        .await
    }

    pub async fn modify_access_method_template(
        &self,
        template_id: &str,
        id: &str,
        form: &Form,
    ) -> Result<(), CallBridgeError> {
        self.modify(
            &["coSpaceTemplates", template_id, "accessMethodTemplates", id],
            form,
        )
        .await
    }

    pub async fn delete_access_method_template(
        &self,
        template_id: &str,
        id: &str,
    ) -> Result<(), CallBridgeError> {
        self.delete(&["coSpaceTemplates", template_id, "accessMethodTemplates", id])
            .await
    }

    // ---- coSpaces and access methods -----------------------------------------

    /// All coSpaces whose name or URI contains `filter` (case-insensitive).
    pub async fn cospaces(&self, filter: Option<&str>) -> Result<Vec<CoSpace>, CallBridgeError> {
        self.list_all(&["coSpaces"], &filter_query(filter)).await
    }

    pub async fn cospaces_page(
        &self,
        offset: u64,
        limit: u32,
        filter: Option<&str>,
    ) -> Result<Page<CoSpace>, CallBridgeError> {
        self.page(&["coSpaces"], offset, limit, &filter_query(filter))
            .await
    }

    pub async fn cospace(&self, id: &str) -> Result<CoSpace, CallBridgeError> {
        self.get_object(&["coSpaces", id]).await
    }

    pub async fn create_cospace(&self, params: &NewCoSpace) -> Result<String, CallBridgeError> {
        self.create(&["coSpaces"], &params.to_form()).await
    }

    pub async fn modify_cospace(&self, id: &str, form: &Form) -> Result<(), CallBridgeError> {
        self.modify(&["coSpaces", id], form).await
    }

    pub async fn delete_cospace(&self, id: &str) -> Result<(), CallBridgeError> {
        self.delete(&["coSpaces", id]).await
    }

    pub async fn access_methods(
        &self,
        cospace_id: &str,
    ) -> Result<Vec<AccessMethod>, CallBridgeError> {
        self.list_all(&["coSpaces", cospace_id, "accessMethods"], &[])
            .await
    }

    pub async fn access_method(
        &self,
        cospace_id: &str,
        id: &str,
    ) -> Result<AccessMethod, CallBridgeError> {
        self.get_object(&["coSpaces", cospace_id, "accessMethods", id])
            .await
    }

    pub async fn create_access_method(
        &self,
        cospace_id: &str,
        params: &NewAccessMethod,
    ) -> Result<String, CallBridgeError> {
        self.create(
            &["coSpaces", cospace_id, "accessMethods"],
            &params.to_form(),
        )
        .await
    }

    pub async fn modify_access_method(
        &self,
        cospace_id: &str,
        id: &str,
        form: &Form,
    ) -> Result<(), CallBridgeError> {
        self.modify(&["coSpaces", cospace_id, "accessMethods", id], form)
            .await
    }

    pub async fn delete_access_method(
        &self,
        cospace_id: &str,
        id: &str,
    ) -> Result<(), CallBridgeError> {
        self.delete(&["coSpaces", cospace_id, "accessMethods", id])
            .await
    }

    // ---- users ------------------------------------------------------------------

    pub async fn users(&self, filter: Option<&str>) -> Result<Vec<User>, CallBridgeError> {
        self.list_all(&["users"], &filter_query(filter)).await
    }

    pub async fn user(&self, id: &str) -> Result<User, CallBridgeError> {
        self.get_object(&["users", id]).await
    }

    /// The user whose `userJid` is exactly `jid` (case-insensitive), if any.
    pub async fn user_by_jid(&self, jid: &str) -> Result<Option<User>, CallBridgeError> {
        let users = self.users(Some(jid)).await?;
        Ok(users.into_iter().find(|u| {
            u.user_jid
                .as_deref()
                .is_some_and(|j| j.eq_ignore_ascii_case(jid))
        }))
    }

    /// `GET /api/v1/users/<id>/usercoSpaces`: the coSpaces the user is a
    /// member of (their own, and those they were added to).
    pub async fn user_cospaces(&self, user_id: &str) -> Result<Vec<UserCoSpace>, CallBridgeError> {
        self.list_all(&["users", user_id, "usercoSpaces"], &[])
            .await
    }

    /// `GET /api/v1/ldapUserCoSpaceTemplateSources`: which coSpace template
    /// the Call Bridge gives the users of which LDAP source.
    pub async fn ldap_user_cospace_template_sources(
        &self,
    ) -> Result<Vec<LdapUserCoSpaceTemplateSource>, CallBridgeError> {
        self.list_all(&["ldapUserCoSpaceTemplateSources"], &[])
            .await
    }

    /// `GET /api/v1/users/<id>/userCoSpaceTemplates`.
    pub async fn user_cospace_templates(
        &self,
        user_id: &str,
    ) -> Result<Vec<UserCoSpaceTemplate>, CallBridgeError> {
        self.list_all(&["users", user_id, "userCoSpaceTemplates"], &[])
            .await
    }

    /// Assigns a coSpace template to a user; answers the assignment's id.
    pub async fn assign_cospace_template(
        &self,
        user_id: &str,
        template_id: &str,
    ) -> Result<String, CallBridgeError> {
        self.create(
            &["users", user_id, "userCoSpaceTemplates"],
            &Form::new().set("coSpaceTemplate", template_id),
        )
        .await
    }

    pub async fn unassign_cospace_template(
        &self,
        user_id: &str,
        assignment_id: &str,
    ) -> Result<(), CallBridgeError> {
        self.delete(&["users", user_id, "userCoSpaceTemplates", assignment_id])
            .await
    }

    /// The coSpace templates assigned to a user (what the wizard offers).
    pub async fn templates_of_user(
        &self,
        user_id: &str,
    ) -> Result<Vec<CoSpaceTemplate>, CallBridgeError> {
        let mut out = Vec::new();
        for assignment in self.user_cospace_templates(user_id).await? {
            if let Some(tid) = assignment.co_space_template.as_deref() {
                match self.cospace_template(tid).await {
                    Ok(t) => out.push(t),
                    // Deleted between the two reads: not offered.
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(out)
    }

    // ---- web bridges, profiles, calls -------------------------------------------

    pub async fn web_bridges(&self) -> Result<Vec<WebBridge>, CallBridgeError> {
        self.list_all(&["webBridges"], &[]).await
    }

    pub async fn web_bridge(&self, id: &str) -> Result<WebBridge, CallBridgeError> {
        self.get_object(&["webBridges", id]).await
    }

    pub async fn call_profiles(&self) -> Result<Vec<CallProfile>, CallBridgeError> {
        self.list_all(&["callProfiles"], &[]).await
    }

    pub async fn call_profile(&self, id: &str) -> Result<CallProfile, CallBridgeError> {
        self.get_object(&["callProfiles", id]).await
    }

    pub async fn call_leg_profiles(&self) -> Result<Vec<CallLegProfile>, CallBridgeError> {
        self.list_all(&["callLegProfiles"], &[]).await
    }

    pub async fn call_leg_profile(&self, id: &str) -> Result<CallLegProfile, CallBridgeError> {
        self.get_object(&["callLegProfiles", id]).await
    }

    /// Active calls; with `cospace_id`, only the calls in that coSpace
    /// (`coSpaceFilter`).
    pub async fn calls(&self, cospace_id: Option<&str>) -> Result<Vec<Call>, CallBridgeError> {
        let query: Vec<(&str, &str)> = cospace_id
            .map(|c| ("coSpaceFilter", c))
            .into_iter()
            .collect();
        self.list_all(&["calls"], &query).await
    }

    pub async fn call(&self, id: &str) -> Result<Call, CallBridgeError> {
        self.get_object(&["calls", id]).await
    }

    /// The legs of one active call (`/calls/<id>/callLegs`).
    pub async fn call_legs_of(&self, call_id: &str) -> Result<Vec<CallLeg>, CallBridgeError> {
        self.list_all(&["calls", call_id, "callLegs"], &[]).await
    }

    /// Every call leg whose name or remote party contains `filter`.
    pub async fn call_legs(&self, filter: Option<&str>) -> Result<Vec<CallLeg>, CallBridgeError> {
        self.list_all(&["callLegs"], &filter_query(filter)).await
    }

    pub async fn call_leg(&self, id: &str) -> Result<CallLeg, CallBridgeError> {
        self.get_object(&["callLegs", id]).await
    }

    /// The participants of one active call (`/calls/<id>/participants`).
    pub async fn participants_of(
        &self,
        call_id: &str,
    ) -> Result<Vec<Participant>, CallBridgeError> {
        self.list_all(&["calls", call_id, "participants"], &[])
            .await
    }

    /// `GET /api/v1/system/status`: software version, uptime, activation.
    pub async fn system_status(&self) -> Result<SystemStatus, CallBridgeError> {
        self.get_object(&["system", "status"]).await
    }

    // ---- members of a coSpace ---------------------------------------------------

    /// `GET /api/v1/coSpaces/<id>/coSpaceUsers`, optionally filtered by JID.
    pub async fn cospace_users(
        &self,
        cospace_id: &str,
        filter: Option<&str>,
    ) -> Result<Vec<CoSpaceUser>, CallBridgeError> {
        self.list_all(
            &["coSpaces", cospace_id, "coSpaceUsers"],
            &filter_query(filter),
        )
        .await
    }

    /// Makes the user with `user_jid` a member of the coSpace (it then shows
    /// in their web app); answers the membership's id.
    pub async fn add_cospace_user(
        &self,
        cospace_id: &str,
        user_jid: &str,
    ) -> Result<String, CallBridgeError> {
        self.create(
            &["coSpaces", cospace_id, "coSpaceUsers"],
            &Form::new().set("userJid", user_jid),
        )
        .await
    }

    pub async fn delete_cospace_user(
        &self,
        cospace_id: &str,
        id: &str,
    ) -> Result<(), CallBridgeError> {
        self.delete(&["coSpaces", cospace_id, "coSpaceUsers", id])
            .await
    }
}

/// The id at the end of a create's `Location` (`/api/v1/coSpaces/<id>`,
/// relative as CMS sends it, or absolute).
pub fn location_id(location: &str) -> Option<String> {
    location
        .split(['?', '#'])
        .next()?
        .rsplit('/')
        .find(|s| !s.is_empty())
        .map(str::to_string)
}

/// Whether a failure reason names an unknown API node: the reference spells
/// it `unrecognizedObject`, some servers `unrecognisedObject`.
fn is_unrecognised_object(reason: &str) -> bool {
    reason.eq_ignore_ascii_case("unrecognizedObject")
        || reason.eq_ignore_ascii_case("unrecognisedObject")
}

/// The error for an answer that is neither a success nor a 503: 401,
/// `<failureDetails>` (a missing object is 404 per the reference, but 400
/// with failure details is met too: both are "does not exist"), a bare 404,
/// or any other status.
pub fn answer_error(status: u16, body: &str) -> CallBridgeError {
    if status == 401 {
        return CallBridgeError::Unauthorized;
    }
    match xml::parse_failure(body) {
        Some(detail) if is_unrecognised_object(&detail.reason) || status == 404 => {
            match CallBridgeError::from_failure(status, detail) {
                e @ CallBridgeError::NotFound { .. } => e,
                CallBridgeError::Failure { reason, .. } => CallBridgeError::NotFound {
                    object: "object".into(),
                    reason,
                },
                // 404 with a parameter error or a duplicate: an odd answer,
                // the reason says more than the status.
                other => other,
            }
        }
        Some(detail) => CallBridgeError::from_failure(status, detail),
        None if status == 404 => CallBridgeError::NotFound {
            object: "object".into(),
            reason: "404".into(),
        },
        None => CallBridgeError::UnexpectedStatus {
            status,
            body: truncate(body).to_string(),
        },
    }
}

fn filter_query(filter: Option<&str>) -> Vec<(&str, &str)> {
    filter
        .filter(|f| !f.is_empty())
        .map(|f| ("filter", f))
        .into_iter()
        .collect()
}

/// A request as the metrics name it: the method and the API path with
/// every id as `{id}` (`POST coSpaces/{id}/accessMethods`).
fn operation(method: &Method, url: &Url) -> String {
    let path = url.path();
    let path = path
        .find("/api/v1/")
        .map_or(path, |i| &path[i + "/api/v1/".len()..]);
    // CMS ids are UUIDs: hex digits and dashes.
    let is_id = |s: &str| {
        s.len() >= 8
            && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && s.chars().any(|c| c.is_ascii_digit())
    };
    let named: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if is_id(s) { "{id}" } else { s })
        .collect();
    format!("{method} {}", named.join("/"))
}

#[cfg(test)]
mod operation_tests {
    #[test]
    fn ids_do_not_name_operations() {
        let url = |p: &str| reqwest::Url::parse(&format!("https://cms.test:445{p}")).unwrap();
        let op = |m: reqwest::Method, p: &str| super::operation(&m, &url(p));
        assert_eq!(
            op(
                reqwest::Method::POST,
                "/api/v1/coSpaces/3b1c7d2e-0a4f-4c55-9e1d-2f6a8b9c0d1e/accessMethods"
            ),
            "POST coSpaces/{id}/accessMethods"
        );
        assert_eq!(
            op(reqwest::Method::GET, "/api/v1/coSpaces?filter=x"),
            "GET coSpaces"
        );
        assert_eq!(
            op(reqwest::Method::GET, "/api/v1/system/status"),
            "GET system/status"
        );
    }
}
