//! The space-creation saga: make (or reuse) the coSpace of a meeting "from
//! a template" with the documented API only (SPEC §7): the template's
//! callProfile, callLegProfile and dialInSecurityProfile copied onto the new
//! coSpace, one access method per access method template, the organizer
//! made a member; and undo what was done when a step fails.
//!
//! Idempotency: the coSpace's URI is `<uri base>-<token>`, the token being
//! the first 12 hex digits of SHA-256(request id), and its `cdrTag` is
//! `scheduler:<request id>`. The Call Bridge refuses a second coSpace with
//! the same URI (`duplicateCoSpaceUri`); then, or when the create's answer
//! was lost, the saga finds the first one with `GET /coSpaces?filter=<uri>`
//! and checks the `cdrTag` before reusing it. Access methods are matched by
//! name (the role), members by JID.

use super::client::CallBridgeClient;
use super::error::CallBridgeError;
use super::model::{
    AccessMethod, AccessMethodTemplate, CoSpace, CoSpaceTemplate, Form, NewAccessMethod, NewCoSpace,
};
use super::templates::{FullTemplate, TemplateCache};
use rand::Rng;
use reqwest::Url;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

/// Longest request id (it must fit the 100-character `cdrTag`).
pub const MAX_REQUEST_ID_LEN: usize = 80;
const MARKER_PREFIX: &str = "scheduler:";
const URI_BASE_MAX: usize = 40;
/// Attempts at a free random call ID for an access method.
const CALL_ID_ATTEMPTS: u32 = 5;
/// Longest `meetingScheduler` sent (the organizer's name).
const MEETING_SCHEDULER_MAX: usize = 200;

/// Where the meeting's space comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpaceSource {
    /// *Create a space for this meeting* from this coSpace template.
    Template { template_id: String },
    /// *Use an existing space for this meeting*. With a template, the access
    /// methods it lacks are added (and only those are removed on failure);
    /// the space itself is never modified or deleted.
    Existing {
        cospace_id: String,
        template_id: Option<String>,
    },
}

/// What to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceRequest {
    /// Identifies the request across retries (e.g. the meeting's UUID).
    pub request_id: String,
    /// The coSpace's name (the meeting's name).
    pub name: String,
    pub source: SpaceSource,
    /// The start of the new coSpace's URI (made URI-safe; the request token
    /// is appended). Ignored for an existing space.
    pub uri_base: String,
    /// The web bridge join address, e.g. `https://join.example.com`.
    pub web_bridge_url: String,
    /// The organizer's JID on the Call Bridge, if they have one: the new
    /// coSpace's `ownerJid`, and its member (`coSpaceUsers`).
    pub owner_jid: Option<String>,
    /// The organizer's name, sent as the new coSpace's `meetingScheduler`.
    pub organizer_name: Option<String>,
}

/// How the coSpace was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceOrigin {
    /// Created by this call.
    Created,
    /// Created by an earlier attempt with the same request id, found again.
    Recovered,
    /// A space that existed before (`SpaceSource::Existing`).
    Existing,
}

/// How one role (access method) is joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAccess {
    /// The access method (template) name, shown as the attendee's Role.
    pub role: String,
    pub access_method_id: String,
    pub uri: Option<String>,
    pub call_id: Option<String>,
    pub passcode: Option<String>,
    pub secret: Option<String>,
    /// `https://<web bridge>/meeting/<callId>?secret=<secret>`; the coSpace's
    /// call ID stands in when the access method has none.
    pub join_url: Option<String>,
}

/// The space of a meeting, ready to join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedSpace {
    pub cospace_id: String,
    pub origin: SpaceOrigin,
    pub name: Option<String>,
    pub uri: Option<String>,
    pub call_id: Option<String>,
    pub passcode: Option<String>,
    pub secret: Option<String>,
    pub join_url: Option<String>,
    /// One per access method template, in the template's order (for an
    /// existing space without template: its access methods).
    pub access_methods: Vec<RoleAccess>,
    /// The HTTP requests this saga sent to the Call Bridge.
    pub round_trips: u64,
}

/// The saga's steps, for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SagaStep {
    Validate,
    ReadTemplate,
    CreateCoSpace,
    ReadCoSpace,
    ListAccessMethods,
    CreateAccessMethod { role: String },
    ReadAccessMethod { role: String },
    CompleteAccessMethod { role: String },
    AddMember,
}

impl fmt::Display for SagaStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SagaStep::Validate => f.write_str("validate the request"),
            SagaStep::ReadTemplate => f.write_str("read the coSpace template"),
            SagaStep::CreateCoSpace => f.write_str("create the coSpace"),
            SagaStep::ReadCoSpace => f.write_str("read the coSpace"),
            SagaStep::ListAccessMethods => f.write_str("list the access methods"),
            SagaStep::CreateAccessMethod { role } => write!(f, "create access method {role}"),
            SagaStep::ReadAccessMethod { role } => write!(f, "read access method {role}"),
            SagaStep::CompleteAccessMethod { role } => {
                write!(f, "complete access method {role}")
            }
            SagaStep::AddMember => f.write_str("make the organizer a member"),
        }
    }
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum SagaCause {
    #[error(transparent)]
    CallBridge(#[from] CallBridgeError),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("the URI {uri} belongs to a coSpace not created for this request")]
    UriTaken { uri: String },
}

/// What the undo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compensation {
    /// Nothing had been created.
    NothingToUndo,
    /// Everything created was deleted (API paths listed).
    Undone { deleted: Vec<String> },
    /// Some objects could not be deleted and are left behind.
    Failed {
        deleted: Vec<String>,
        left_behind: Vec<String>,
        error: String,
    },
}

impl Compensation {
    /// True unless objects were left behind.
    pub fn succeeded(&self) -> bool {
        !matches!(self, Compensation::Failed { .. })
    }
}

impl fmt::Display for Compensation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compensation::NothingToUndo => f.write_str("nothing to undo"),
            Compensation::Undone { deleted } => write!(f, "undone, deleted {}", deleted.join(", ")),
            Compensation::Failed {
                left_behind, error, ..
            } => write!(
                f,
                "FAILED ({error}), left behind {}",
                left_behind.join(", ")
            ),
        }
    }
}

/// A failed saga: the step, the cause and what the undo achieved.
#[derive(Debug, thiserror::Error)]
#[error("cannot prepare the meeting space: {step} failed: {cause}; compensation: {compensation}")]
pub struct SagaError {
    pub step: SagaStep,
    #[source]
    pub cause: SagaCause,
    pub compensation: Compensation,
}

/// The `cdrTag` that marks a coSpace as made for `request_id`.
pub fn request_marker(request_id: &str) -> String {
    format!("{MARKER_PREFIX}{request_id}")
}

/// Whether a `cdrTag` marks a coSpace as made by the scheduler.
pub fn is_request_marker(cdr_tag: &str) -> bool {
    cdr_tag.starts_with(MARKER_PREFIX)
}

/// A URI user part made of `text`: lowercase letters, digits, `.`, `_`,
/// other runs replaced by `-`, at most 40 characters (may be empty).
fn uri_safe(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out
        .trim_matches(['-', '.'])
        .chars()
        .take(URI_BASE_MAX)
        .collect();
    while out.ends_with(['-', '.']) {
        out.pop();
    }
    out
}

/// The URI of the coSpace made for `request_id`: `<uri-safe base>-<token>`.
pub fn space_uri(uri_base: &str, request_id: &str) -> String {
    let mut base = uri_safe(uri_base);
    if base.is_empty() {
        base.push_str("meeting");
    }
    let digest = Sha256::digest(request_id.as_bytes());
    let token: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{base}-{token}")
}

/// `https://<web bridge>/meeting/<callId>?secret=<secret>`.
pub fn join_url(web_bridge: &Url, call_id: &str, secret: Option<&str>) -> Option<String> {
    let mut base = web_bridge.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    let mut url = base.join("meeting/").ok()?;
    url.path_segments_mut().ok()?.pop_if_empty().push(call_id);
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        url.query_pairs_mut().append_pair("secret", secret);
    }
    Some(url.to_string())
}

fn random_call_id() -> String {
    rand::thread_rng()
        .gen_range(100_000_000u64..1_000_000_000)
        .to_string()
}

/// What replaces `$` in a URI generator: the coSpace's URI, else its name
/// made URI-safe.
fn uri_part(space: &CoSpace) -> Option<String> {
    space
        .uri
        .clone()
        .filter(|u| !u.is_empty())
        .or_else(|| space.name.as_deref().map(uri_safe))
        .filter(|p| !p.is_empty())
}

/// A random secret for a coSpace or an access method, like the ones a
/// Call Bridge generates: 22 letters and digits.
fn random_secret() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..22)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

/// The space ready to join, from the coSpace and each role's access method.
fn ready_space(
    web_bridge: &Url,
    cospace_id: String,
    origin: SpaceOrigin,
    space: CoSpace,
    roles: Vec<(String, AccessMethod)>,
) -> CreatedSpace {
    let space_join = space
        .call_id
        .as_deref()
        .and_then(|c| join_url(web_bridge, c, space.secret.as_deref()));
    let access_methods = roles
        .into_iter()
        .map(|(role, am)| {
            let call_id = am.call_id.clone().or_else(|| space.call_id.clone());
            RoleAccess {
                join_url: call_id
                    .as_deref()
                    .and_then(|c| join_url(web_bridge, c, am.secret.as_deref())),
                role,
                access_method_id: am.id,
                uri: am.uri,
                call_id: am.call_id,
                passcode: am.passcode,
                secret: am.secret,
            }
        })
        .collect();
    CreatedSpace {
        cospace_id,
        origin,
        name: space.name,
        uri: space.uri,
        call_id: space.call_id,
        passcode: space.passcode,
        secret: space.secret,
        join_url: space_join,
        access_methods,
        round_trips: 0,
    }
}

/// How [`Saga::obtain_space`] got the coSpace.
enum Obtained {
    /// Created by this run: the coSpace as it was sent.
    Created(Box<CoSpace>),
    /// Made by an earlier attempt, found again by its URI and marker.
    Recovered(String),
}

/// An access method this run created: its id and, when its create was
/// answered, what was sent (all it holds).
struct MadeAccessMethod {
    id: String,
    sent: Option<AccessMethod>,
}

/// What undoes one step: every object the saga added.
#[derive(Debug, Clone)]
enum Undo {
    DeleteCoSpace(String),
    DeleteAccessMethod { cospace_id: String, id: String },
    RemoveMember { cospace_id: String, id: String },
}

impl Undo {
    fn path(&self) -> String {
        match self {
            Undo::DeleteCoSpace(id) => format!("/api/v1/coSpaces/{id}"),
            Undo::DeleteAccessMethod { cospace_id, id } => {
                format!("/api/v1/coSpaces/{cospace_id}/accessMethods/{id}")
            }
            Undo::RemoveMember { cospace_id, id } => {
                format!("/api/v1/coSpaces/{cospace_id}/coSpaceUsers/{id}")
            }
        }
    }

    /// The coSpace an access method or a member lives in.
    fn inside(&self) -> Option<&str> {
        match self {
            Undo::DeleteCoSpace(_) => None,
            Undo::DeleteAccessMethod { cospace_id, .. } | Undo::RemoveMember { cospace_id, .. } => {
                Some(cospace_id)
            }
        }
    }
}

type StepResult<T> = Result<T, (SagaStep, SagaCause)>;

fn at<E: Into<SagaCause>>(step: SagaStep) -> impl FnOnce(E) -> (SagaStep, SagaCause) {
    move |e| (step, e.into())
}

struct Saga<'a> {
    /// Counting its own round trips.
    client: CallBridgeClient,
    /// Where templates are kept, if anywhere (else each run reads its own).
    templates: Option<&'a TemplateCache>,
    undo: Vec<Undo>,
}

/// Creates (or reuses) the space of a meeting; see the module docs. On
/// failure everything this call created is deleted again (a pre-existing
/// space is never touched) and the error tells the step and the undo outcome.
pub async fn create_meeting_space(
    client: &CallBridgeClient,
    request: &SpaceRequest,
) -> Result<CreatedSpace, SagaError> {
    run_saga(client, None, request).await
}

/// [`create_meeting_space`] taking the template from `templates` while its
/// copy there is fresh (the scheduler's creates: see [`TemplateCache`]).
pub async fn create_meeting_space_with(
    client: &CallBridgeClient,
    templates: &TemplateCache,
    request: &SpaceRequest,
) -> Result<CreatedSpace, SagaError> {
    run_saga(client, Some(templates), request).await
}

async fn run_saga(
    client: &CallBridgeClient,
    templates: Option<&TemplateCache>,
    request: &SpaceRequest,
) -> Result<CreatedSpace, SagaError> {
    let mut saga = Saga {
        client: client.counting(),
        templates,
        undo: Vec::new(),
    };
    match saga.run(request).await {
        Ok(mut space) => {
            space.round_trips = saga.client.round_trips();
            tracing::info!(
                target: "callbridge",
                request_id = %request.request_id,
                cospace_id = %space.cospace_id,
                origin = ?space.origin,
                round_trips = space.round_trips,
                "meeting space ready"
            );
            crate::metrics::saga_run("ready");
            Ok(space)
        }
        Err((step, cause)) => {
            tracing::warn!(
                target: "callbridge",
                request_id = %request.request_id,
                %step,
                error = %cause,
                "meeting space saga failed, compensating"
            );
            let compensation = saga.compensate().await;
            crate::metrics::saga_run("failed");
            crate::metrics::saga_compensation(match compensation {
                Compensation::Failed { .. } => "incomplete",
                _ => "complete",
            });
            Err(SagaError {
                step,
                cause,
                compensation,
            })
        }
    }
}

/// The coSpace a request made, if any: the one with its URI and marked with
/// its `cdrTag` (what a dead node's half-made space is found by).
pub async fn find_request_space(
    client: &CallBridgeClient,
    uri: &str,
    request_id: &str,
) -> Result<Option<String>, CallBridgeError> {
    let marker = request_marker(request_id);
    for c in client.cospaces(Some(uri)).await? {
        if !c
            .uri
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(uri))
        {
            continue;
        }
        // A list shows no cdrTag (as on a real Call Bridge): read the object.
        match client.cospace(&c.id).await {
            Ok(full) if full.cdr_tag.as_deref() == Some(marker.as_str()) => {
                return Ok(Some(full.id))
            }
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Whether [`delete_meeting_space`] deleted the space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    /// It did not exist (a 404 counts as already deleted).
    AlreadyGone,
}

/// Deletes a meeting's coSpace (and so its access methods). A 404, or a
/// failed try followed by a look that finds nothing, counts as already gone.
pub async fn delete_meeting_space(
    client: &CallBridgeClient,
    cospace_id: &str,
) -> Result<Deletion, CallBridgeError> {
    match client.delete_cospace(cospace_id).await {
        Ok(()) => Ok(Deletion::Deleted),
        Err(e) if e.is_not_found() => Ok(Deletion::AlreadyGone),
        // An earlier try may have deleted it and lost the answer (the
        // client retries a dropped DELETE and reports the last error): ask
        // before giving up.
        Err(e) => match client.cospace(cospace_id).await {
            Err(gone) if gone.is_not_found() => {
                tracing::info!(target: "callbridge", %cospace_id, "the coSpace was deleted after all ({e})");
                Ok(Deletion::AlreadyGone)
            }
            _ => Err(e),
        },
    }
}

impl Saga<'_> {
    async fn run(&mut self, req: &SpaceRequest) -> StepResult<CreatedSpace> {
        let web_bridge = validate(req).map_err(at(SagaStep::Validate))?;
        let template_id = match &req.source {
            SpaceSource::Template { template_id } => Some(template_id.as_str()),
            SpaceSource::Existing { template_id, .. } => template_id.as_deref(),
        };
        let template = match template_id {
            Some(t) => Some(self.template(t).await.map_err(at(SagaStep::ReadTemplate))?),
            None => None,
        };
        let templates: &[AccessMethodTemplate] = template
            .as_deref()
            .map(|t| t.access_methods.as_slice())
            .unwrap_or_default();
        let (cospace_id, origin) = match (&req.source, template.as_deref()) {
            (SpaceSource::Existing { cospace_id, .. }, _) => {
                (cospace_id.clone(), SpaceOrigin::Existing)
            }
            // Its profiles are copied onto the new coSpace (an existing
            // space keeps its own).
            (SpaceSource::Template { .. }, Some(full)) => {
                match self.obtain_space(req, &full.template).await? {
                    Obtained::Created(made) => {
                        return self
                            .complete_created(req, &web_bridge, templates, made)
                            .await;
                    }
                    Obtained::Recovered(id) => (id, SpaceOrigin::Recovered),
                }
            }
            // (A template source always names its template.)
            (SpaceSource::Template { .. }, None) => {
                return Err((
                    SagaStep::Validate,
                    SagaCause::InvalidRequest("no template given".into()),
                ))
            }
        };
        let space = self
            .client
            .cospace(&cospace_id)
            .await
            .map_err(at(SagaStep::ReadCoSpace))?;
        let owned_space = origin != SpaceOrigin::Existing;
        if owned_space {
            if let Some(jid) = req.owner_jid.as_deref().filter(|j| !j.trim().is_empty()) {
                self.ensure_member(&cospace_id, jid, origin)
                    .await
                    .map_err(at(SagaStep::AddMember))?;
            }
        }
        // A space found again, or one that existed: what it holds already.
        let listed = self
            .client
            .access_methods(&cospace_id)
            .await
            .map_err(at(SagaStep::ListAccessMethods))?;

        let mut roles = Vec::new();
        if template_id.is_some() {
            for t in templates {
                let role = t.name.clone().unwrap_or_else(|| t.id.clone());
                let (id, created) = match listed.iter().find(|a| a.name.as_deref() == Some(&role)) {
                    Some(a) => (a.id.clone(), false),
                    None => {
                        let made = self
                            .create_access_method(&cospace_id, uri_part(&space), t, &role)
                            .await?;
                        (made.id, true)
                    }
                };
                let may_modify = owned_space || created;
                let am = self
                    .read_and_complete(&cospace_id, &id, &role, t, may_modify)
                    .await?;
                roles.push((role, am));
            }
        } else {
            for a in &listed {
                let role = a.name.clone().unwrap_or_else(|| a.id.clone());
                let am = self
                    .client
                    .access_method(&cospace_id, &a.id)
                    .await
                    .map_err(at(SagaStep::ReadAccessMethod { role: role.clone() }))?;
                roles.push((role, am));
            }
        }

        Ok(ready_space(&web_bridge, cospace_id, origin, space, roles))
    }

    /// The template `id` with its access method templates: from the cache
    /// when the saga has one.
    async fn template(&self, id: &str) -> Result<Arc<FullTemplate>, CallBridgeError> {
        match self.templates {
            Some(cache) => cache.get(&self.client, id).await,
            None => Ok(Arc::new(FullTemplate::read(&self.client, id).await?)),
        }
    }

    /// The rest of a coSpace this run created: the organizer made a member
    /// and one access method per template. Its call ID and secret, and
    /// those of its access methods, were chosen here and sent: nothing is
    /// read back, unless a create's answer was lost and an access method
    /// had to be found again.
    async fn complete_created(
        &mut self,
        req: &SpaceRequest,
        web_bridge: &Url,
        templates: &[AccessMethodTemplate],
        made: Box<CoSpace>,
    ) -> StepResult<CreatedSpace> {
        if let Some(jid) = req.owner_jid.as_deref().filter(|j| !j.trim().is_empty()) {
            self.ensure_member(&made.id, jid, SpaceOrigin::Created)
                .await
                .map_err(at(SagaStep::AddMember))?;
        }
        let mut roles = Vec::new();
        for t in templates {
            let role = t.name.clone().unwrap_or_else(|| t.id.clone());
            let am = self
                .create_access_method(&made.id, uri_part(&made), t, &role)
                .await?;
            let am = match am.sent {
                Some(am) => am,
                None => {
                    self.read_and_complete(&made.id, &am.id, &role, t, true)
                        .await?
                }
            };
            roles.push((role, am));
        }
        Ok(ready_space(
            web_bridge,
            made.id.clone(),
            SpaceOrigin::Created,
            *made,
            roles,
        ))
    }

    /// The coSpace of the request, created with the template's profiles,
    /// a call ID and a secret chosen here; or, when the URI is taken or the
    /// answer was lost, the one an earlier attempt made, found again.
    async fn obtain_space(
        &mut self,
        req: &SpaceRequest,
        template: &CoSpaceTemplate,
    ) -> StepResult<Obtained> {
        let uri = space_uri(&req.uri_base, &req.request_id);
        let marker = request_marker(&req.request_id);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let params = NewCoSpace {
                name: Some(req.name.clone()),
                uri: Some(uri.clone()),
                call_id: Some(random_call_id()),
                secret: Some(random_secret()),
                cdr_tag: Some(marker.clone()),
                owner_jid: req.owner_jid.clone().filter(|j| !j.trim().is_empty()),
                meeting_scheduler: req
                    .organizer_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(|n| n.chars().take(MEETING_SCHEDULER_MAX).collect()),
                call_profile: template.call_profile.clone(),
                call_leg_profile: template.call_leg_profile.clone(),
                dial_in_security_profile: template.dial_in_security_profile.clone(),
                require_call_id: true,
                ..NewCoSpace::default()
            };
            match self.client.create_cospace(&params).await {
                Ok(id) => {
                    self.undo.push(Undo::DeleteCoSpace(id.clone()));
                    return Ok(Obtained::Created(Box::new(CoSpace {
                        id,
                        name: params.name,
                        uri: params.uri,
                        secondary_uri: None,
                        call_id: params.call_id,
                        passcode: None,
                        secret: params.secret,
                        cdr_tag: params.cdr_tag,
                        owner_jid: params.owner_jid,
                        call_profile: params.call_profile,
                        call_leg_profile: params.call_leg_profile,
                        dial_in_security_profile: params.dial_in_security_profile,
                        auto_generated: None,
                        meeting_scheduler: params.meeting_scheduler,
                        owner_id: None,
                        num_access_methods: None,
                    })));
                }
                // The call ID chosen is another space's: choose again.
                Err(CallBridgeError::DuplicateCoSpaceId) if attempt < CALL_ID_ATTEMPTS => {}
                // The URI is taken (an earlier or concurrent attempt?) or the
                // answer was lost: the space may exist, look for it.
                Err(e) if e.is_ambiguous() || matches!(e, CallBridgeError::DuplicateCoSpaceUri) => {
                    return match self.find_previous(&uri, &marker).await {
                        Ok(Some(id)) => {
                            self.undo.push(Undo::DeleteCoSpace(id.clone()));
                            Ok(Obtained::Recovered(id))
                        }
                        Ok(None) => Err((SagaStep::CreateCoSpace, e.into())),
                        Err(cause) => Err((SagaStep::CreateCoSpace, cause)),
                    };
                }
                Err(e) => return Err((SagaStep::CreateCoSpace, e.into())),
            }
        }
    }

    /// Makes `jid` a member of a space this request owns; for a space found
    /// again, only if it is not one yet.
    async fn ensure_member(
        &mut self,
        cospace_id: &str,
        jid: &str,
        origin: SpaceOrigin,
    ) -> Result<(), CallBridgeError> {
        if origin == SpaceOrigin::Recovered {
            let members = self.client.cospace_users(cospace_id, Some(jid)).await?;
            if members.iter().any(|m| {
                m.user_jid
                    .as_deref()
                    .is_some_and(|j| j.eq_ignore_ascii_case(jid))
            }) {
                return Ok(());
            }
        }
        let id = self.client.add_cospace_user(cospace_id, jid).await?;
        self.undo.push(Undo::RemoveMember {
            cospace_id: cospace_id.to_string(),
            id,
        });
        Ok(())
    }

    /// The coSpace with exactly this URI, if it carries our marker; an error
    /// if the URI is someone else's.
    async fn find_previous(&self, uri: &str, marker: &str) -> Result<Option<String>, SagaCause> {
        let candidates = self.client.cospaces(Some(uri)).await?;
        for c in candidates {
            if !c
                .uri
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(uri))
            {
                continue;
            }
            let full = match self.client.cospace(&c.id).await {
                Ok(full) => full,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            if full.cdr_tag.as_deref() == Some(marker) {
                return Ok(Some(full.id));
            }
            return Err(SagaCause::UriTaken {
                uri: uri.to_string(),
            });
        }
        Ok(None)
    }

    /// Creates the access method of `role` in the coSpace from its (full)
    /// template, with a secret chosen here and a call ID when the template
    /// generates one. When the answer was lost and the access method is
    /// found again by its name, what it holds is not known (`sent` is None).
    async fn create_access_method(
        &mut self,
        cospace_id: &str,
        uri_part: Option<String>,
        template: &AccessMethodTemplate,
        role: &str,
    ) -> StepResult<MadeAccessMethod> {
        let step = || SagaStep::CreateAccessMethod {
            role: role.to_string(),
        };
        let uri = match (template.uri_generator.as_deref(), uri_part) {
            (Some(g), Some(part)) => Some(g.replacen('$', &part, 1)),
            _ => None,
        };
        let wants_call_id = template.generate_unique_call_id == Some(true);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let params = NewAccessMethod {
                name: Some(role.to_string()),
                uri: uri.clone(),
                call_id: wants_call_id.then(random_call_id),
                secret: Some(random_secret()),
                call_leg_profile: template.call_leg_profile.clone(),
                scope: template.scope.clone(),
                dial_in_security_profile: template.dial_in_security_profile.clone(),
                ..NewAccessMethod::default()
            };
            match self.client.create_access_method(cospace_id, &params).await {
                Ok(id) => {
                    self.undo.push(Undo::DeleteAccessMethod {
                        cospace_id: cospace_id.to_string(),
                        id: id.clone(),
                    });
                    return Ok(MadeAccessMethod {
                        id: id.clone(),
                        sent: Some(AccessMethod {
                            id,
                            name: params.name,
                            uri: params.uri,
                            call_id: params.call_id,
                            passcode: None,
                            secret: params.secret,
                            call_leg_profile: params.call_leg_profile,
                            scope: params.scope,
                            dial_in_security_profile: params.dial_in_security_profile,
                        }),
                    });
                }
                Err(CallBridgeError::DuplicateCoSpaceId)
                    if wants_call_id && attempt < CALL_ID_ATTEMPTS => {}
                Err(e) if e.is_ambiguous() => {
                    // The answer was lost: it may exist; adopt it if so.
                    let found = self
                        .client
                        .access_methods(cospace_id)
                        .await
                        .map_err(at(step()))?
                        .into_iter()
                        .find(|a| a.name.as_deref() == Some(role));
                    return match found {
                        Some(a) => {
                            self.undo.push(Undo::DeleteAccessMethod {
                                cospace_id: cospace_id.to_string(),
                                id: a.id.clone(),
                            });
                            Ok(MadeAccessMethod {
                                id: a.id,
                                sent: None,
                            })
                        }
                        None => Err((step(), e.into())),
                    };
                }
                Err(e) => return Err((step(), e.into())),
            }
        }
    }

    /// Reads an access method and, when allowed, gives it what it lacks: a
    /// secret, and a call ID if its template generates one.
    async fn read_and_complete(
        &mut self,
        cospace_id: &str,
        id: &str,
        role: &str,
        template: &AccessMethodTemplate,
        may_modify: bool,
    ) -> StepResult<AccessMethod> {
        let read_step = || SagaStep::ReadAccessMethod {
            role: role.to_string(),
        };
        let am = self
            .client
            .access_method(cospace_id, id)
            .await
            .map_err(at(read_step()))?;
        let lacks_secret = am.secret.as_deref().is_none_or(str::is_empty);
        let lacks_call_id = template.generate_unique_call_id == Some(true)
            && am.call_id.as_deref().is_none_or(str::is_empty);
        if !may_modify || !(lacks_secret || lacks_call_id) {
            return Ok(am);
        }
        let step = || SagaStep::CompleteAccessMethod {
            role: role.to_string(),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut form = Form::new();
            if lacks_secret {
                form = form.set("regenerateSecret", "true");
            }
            if lacks_call_id {
                form = form.set("callId", random_call_id());
            }
            match self
                .client
                .modify_access_method(cospace_id, id, &form)
                .await
            {
                Ok(()) => break,
                Err(CallBridgeError::DuplicateCoSpaceId)
                    if lacks_call_id && attempt < CALL_ID_ATTEMPTS => {}
                Err(e) => return Err((step(), e.into())),
            }
        }
        self.client
            .access_method(cospace_id, id)
            .await
            .map_err(at(read_step()))
    }

    /// Deletes what was created, newest first; an access method or a member
    /// inside a coSpace that is deleted anyway is skipped; 404 counts as
    /// deleted.
    async fn compensate(&mut self) -> Compensation {
        if self.undo.is_empty() {
            return Compensation::NothingToUndo;
        }
        let spaces: Vec<String> = self
            .undo
            .iter()
            .filter_map(|u| match u {
                Undo::DeleteCoSpace(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        let mut deleted = Vec::new();
        let mut left_behind = Vec::new();
        let mut last_error = None;
        for undo in self.undo.drain(..).rev() {
            if undo.inside().is_some_and(|c| spaces.iter().any(|s| s == c)) {
                // Goes with its coSpace.
                continue;
            }
            let result = match &undo {
                Undo::DeleteCoSpace(id) => self.client.delete_cospace(id).await,
                Undo::DeleteAccessMethod { cospace_id, id } => {
                    self.client.delete_access_method(cospace_id, id).await
                }
                Undo::RemoveMember { cospace_id, id } => {
                    self.client.delete_cospace_user(cospace_id, id).await
                }
            };
            match result {
                Ok(()) => deleted.push(undo.path()),
                Err(e) if e.is_not_found() => deleted.push(undo.path()),
                Err(e) => {
                    tracing::error!(
                        target: "callbridge",
                        object = %undo.path(),
                        error = %e,
                        "compensation could not delete"
                    );
                    left_behind.push(undo.path());
                    last_error = Some(e.to_string());
                }
            }
        }
        match last_error {
            None => Compensation::Undone { deleted },
            Some(error) => Compensation::Failed {
                deleted,
                left_behind,
                error,
            },
        }
    }
}

fn validate(req: &SpaceRequest) -> Result<Url, SagaCause> {
    let invalid = |m: &str| SagaCause::InvalidRequest(m.to_string());
    if req.request_id.trim().is_empty() {
        return Err(invalid("the request id is empty"));
    }
    if req.request_id.len() > MAX_REQUEST_ID_LEN {
        return Err(invalid("the request id is too long"));
    }
    if req.name.trim().is_empty() {
        return Err(invalid("the meeting name is empty"));
    }
    let url = Url::parse(req.web_bridge_url.trim())
        .map_err(|e| SagaCause::InvalidRequest(format!("bad web bridge URL: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(invalid("the web bridge URL must be https://host[:port]"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("the web bridge URL takes no query or fragment"));
    }
    match &req.source {
        SpaceSource::Template { template_id } if template_id.trim().is_empty() => {
            Err(invalid("no template given"))
        }
        SpaceSource::Existing { cospace_id, .. } if cospace_id.trim().is_empty() => {
            Err(invalid("no coSpace given"))
        }
        _ => Ok(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_uris_are_safe_and_stable() {
        let a = space_uri("Test-XRP", "req-1");
        assert_eq!(a, space_uri("Test-XRP", "req-1"));
        assert_ne!(a, space_uri("Test-XRP", "req-2"));
        assert!(a.starts_with("test-xrp-"), "{a}");
        assert_eq!(a.len(), "test-xrp-".len() + 12);
        let b = space_uri("  Réunion d'équipe / Q3 ", "x");
        assert!(
            b.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "{b}"
        );
        assert!(space_uri("", "x").starts_with("meeting-"));
        assert!(space_uri(&"a".repeat(200), "x").len() <= URI_BASE_MAX + 13);
    }

    #[test]
    fn join_urls() {
        let wb = Url::parse("https://join.example.com").unwrap();
        assert_eq!(
            join_url(&wb, "123456789", Some("aB3")).as_deref(),
            Some("https://join.example.com/meeting/123456789?secret=aB3")
        );
        let wb = Url::parse("https://10.106.80.34:8443/cms").unwrap();
        assert_eq!(
            join_url(&wb, "1", None).as_deref(),
            Some("https://10.106.80.34:8443/cms/meeting/1")
        );
        let wb = Url::parse("https://wb/").unwrap();
        assert_eq!(
            join_url(&wb, "1", Some("a b&c")).as_deref(),
            Some("https://wb/meeting/1?secret=a+b%26c")
        );
    }
}
