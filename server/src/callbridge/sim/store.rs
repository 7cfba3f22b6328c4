//! The simulator's objects in memory and the rules the Call Bridge applies
//! to them: accepted parameters (strictly or leniently), validation,
//! uniqueness of URIs and call IDs, members, computed fields, cascading
//! deletes, list paging and filters.

use super::kinds::{
    kind_of, valid_uri_char, Kind, On, Param, Ty, ACCESS_METHODS, ACCESS_METHOD_TEMPLATES,
    CALL_LEGS, COSPACES, COSPACE_TEMPLATES, COSPACE_USERS, PARTICIPANTS, USERS, USER_COSPACES,
};
use crate::callbridge::error::FailureDetail;
use crate::callbridge::xml;
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The `error` of the `parameterError` strict mode answers for a parameter
/// the reference does not document on that node (our own word: a real
/// Call Bridge may silently ignore such a parameter).
pub const UNKNOWN_PARAMETER: &str = "unknownParameter";

/// One stored object, as tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimObject {
    pub id: String,
    /// The owning object for sub-resources (the coSpace of an access method).
    pub parent: Option<String>,
    /// Set fields by API name (`uri`, `callId`, ...), as written; unset
    /// fields are absent.
    pub fields: BTreeMap<String, String>,
}

impl SimObject {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// A refusal: HTTP status and, usually, a `<failureDetails>` reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub status: u16,
    pub detail: Option<FailureDetail>,
}

impl ApiFailure {
    pub(crate) fn reason(status: u16, reason: &str) -> Self {
        Self {
            status,
            detail: Some(FailureDetail {
                reason: reason.to_string(),
                parameter: None,
                error: None,
            }),
        }
    }

    pub(crate) fn parameter(parameter: &str, error: &str) -> Self {
        Self {
            status: 400,
            detail: Some(FailureDetail {
                reason: "parameterError".into(),
                parameter: Some(parameter.to_string()),
                error: Some(error.to_string()),
            }),
        }
    }

    pub fn body(&self) -> String {
        self.detail
            .as_ref()
            .map(xml::failure_document)
            .unwrap_or_default()
    }
}

/// Where a write comes from: the API (rules for API clients) or the seed /
/// the test API (may write read-only kinds and choose ids; always strict).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Api,
    Internal,
}

/// A write's method: some parameters exist only on PUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Create,
    Modify,
}

/// Query of a list request.
#[derive(Debug, Default)]
pub(crate) struct ListQuery {
    pub offset: usize,
    pub limit: Option<usize>,
    pub filter: Option<String>,
    /// Fields that must equal a value (`coSpaceFilter`, or the parent of a
    /// view such as `/calls/<id>/callLegs`).
    pub equal: Vec<(&'static str, String)>,
}

impl ListQuery {
    /// Reads `offset`, `limit`, `filter` and the kind's field filters; any
    /// other name is refused when `strict`, ignored otherwise.
    pub fn parse(
        kind: &Kind,
        pairs: &[(String, String)],
        strict: bool,
    ) -> Result<Self, ApiFailure> {
        let mut q = ListQuery::default();
        for (k, v) in pairs {
            match k.as_str() {
                "offset" => {
                    q.offset = v
                        .parse()
                        .map_err(|_| ApiFailure::parameter("offset", "invalidValue"))?
                }
                "limit" => {
                    q.limit = Some(
                        v.parse()
                            .map_err(|_| ApiFailure::parameter("limit", "invalidValue"))?,
                    )
                }
                "filter" => q.filter = Some(v.clone()).filter(|v| !v.is_empty()),
                name => match kind.field_filters.iter().find(|(q, _)| *q == name) {
                    Some((_, field)) if !v.is_empty() => q.equal.push((field, v.clone())),
                    Some(_) => {}
                    None if strict => return Err(ApiFailure::parameter(name, UNKNOWN_PARAMETER)),
                    None => {}
                },
            }
        }
        Ok(q)
    }
}

/// All objects, by collection, in creation order.
#[derive(Debug)]
pub(crate) struct Store {
    objects: BTreeMap<&'static str, Vec<SimObject>>,
    /// The most objects one list page holds, whatever `limit` asks.
    pub max_page_size: usize,
    /// Refuse parameters the reference does not document for the node.
    pub strict: bool,
    /// Digits of a generated call ID.
    call_id_digits: usize,
    started: i64,
    /// The URIs and call IDs held by coSpaces and access methods, which
    /// must stay unique: looked up on every create, as a real Call Bridge
    /// does in its database, instead of scanning every object.
    unique: UniqueIndex,
    /// Each object's place in its collection's list, by id.
    positions: BTreeMap<&'static str, HashMap<String, usize>>,
}

/// Who holds each URI (ASCII lower case: URIs clash in any case) and call
/// ID, by object id. Kept by [`Store::create`], [`Store::modify`] and
/// [`Store::remove`], the only writers of coSpaces and access methods.
#[derive(Debug, Default)]
struct UniqueIndex {
    uris: HashMap<String, BTreeSet<String>>,
    call_ids: HashMap<String, BTreeSet<String>>,
}

impl UniqueIndex {
    fn keys(o: &SimObject) -> (Vec<String>, Option<&str>) {
        let uris = ["uri", "secondaryUri"]
            .iter()
            .filter_map(|f| o.get(f))
            .map(str::to_ascii_lowercase)
            .collect();
        (uris, o.get("callId"))
    }

    fn add(&mut self, o: &SimObject) {
        let (uris, call_id) = Self::keys(o);
        for u in uris {
            self.uris.entry(u).or_default().insert(o.id.clone());
        }
        if let Some(c) = call_id {
            self.call_ids
                .entry(c.to_string())
                .or_default()
                .insert(o.id.clone());
        }
    }

    fn forget(&mut self, o: &SimObject) {
        let (uris, call_id) = Self::keys(o);
        for u in uris {
            if let Some(holders) = self.uris.get_mut(&u) {
                holders.remove(&o.id);
                if holders.is_empty() {
                    self.uris.remove(&u);
                }
            }
        }
        if let Some(c) = call_id {
            if let Some(holders) = self.call_ids.get_mut(c) {
                holders.remove(&o.id);
                if holders.is_empty() {
                    self.call_ids.remove(c);
                }
            }
        }
    }

    fn held(map: &HashMap<String, BTreeSet<String>>, key: &str, except: Option<&str>) -> bool {
        map.get(key)
            .is_some_and(|holders| holders.iter().any(|h| Some(h.as_str()) != except))
    }
}

/// Whether a collection's URIs and call IDs are unique across coSpaces and
/// access methods.
fn unique_keyed(collection: &str) -> bool {
    matches!(collection, "coSpaces" | "accessMethods")
}

impl Default for Store {
    fn default() -> Self {
        Self {
            objects: BTreeMap::new(),
            max_page_size: 10,
            strict: false,
            call_id_digits: 9,
            started: chrono::Utc::now().timestamp(),
            unique: UniqueIndex::default(),
            positions: BTreeMap::new(),
        }
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Store {
    pub fn all(&self, collection: &str) -> Vec<SimObject> {
        self.objects.get(collection).cloned().unwrap_or_default()
    }

    fn items(&self, kind: &Kind) -> &[SimObject] {
        self.objects
            .get(kind.collection)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn find(&self, kind: &Kind, id: &str) -> Option<&SimObject> {
        let at = *self.positions.get(kind.collection)?.get(id)?;
        self.items(kind).get(at)
    }

    /// Adds an object at the end of its collection.
    fn push(&mut self, collection: &'static str, obj: SimObject) {
        let list = self.objects.entry(collection).or_default();
        self.positions
            .entry(collection)
            .or_default()
            .insert(obj.id.clone(), list.len());
        list.push(obj);
    }

    fn exists(&self, collection: &str, id: &str) -> bool {
        kind_of(collection).is_some_and(|k| self.find(k, id).is_some())
    }

    fn user_by_jid(&self, jid: &str) -> Option<&SimObject> {
        self.items(&USERS).iter().find(|u| {
            u.get("userJid")
                .is_some_and(|j| j.eq_ignore_ascii_case(jid))
        })
    }

    fn count(&self, kind: &Kind, pred: impl Fn(&SimObject) -> bool) -> String {
        self.items(kind)
            .iter()
            .filter(|o| pred(o))
            .count()
            .to_string()
    }

    /// Whether the object `id` of the top-level collection exists; the
    /// failure to answer if not.
    pub fn check_exists(&self, kind: &Kind, id: &str) -> Result<(), ApiFailure> {
        match self.find(kind, id) {
            Some(_) => Ok(()),
            None => Err(ApiFailure::reason(404, &kind.missing())),
        }
    }

    fn check_parent(&self, kind: &Kind, parent: Option<&str>) -> Result<(), ApiFailure> {
        match (kind.parent, parent) {
            (None, None) => Ok(()),
            (Some(pc), Some(pid)) => match kind_of(pc) {
                Some(pk) => self.check_exists(pk, pid),
                None => Err(ApiFailure::reason(404, "unrecognisedObject")),
            },
            _ => Err(ApiFailure::reason(404, "unrecognisedObject")),
        }
    }

    fn lookup(
        &self,
        kind: &Kind,
        parent: Option<&str>,
        id: &str,
    ) -> Result<&SimObject, ApiFailure> {
        self.check_parent(kind, parent)?;
        self.find(kind, id)
            .filter(|o| o.parent.as_deref() == parent)
            .ok_or_else(|| ApiFailure::reason(404, &kind.missing()))
    }

    // ---- reads ----------------------------------------------------------------

    fn computed(&self, kind: &Kind, obj: &SimObject, field: &str) -> Option<String> {
        let id = obj.id.as_str();
        match (kind.collection, field) {
            ("coSpaceTemplates", "numAccessMethodTemplates") => {
                Some(self.count(&ACCESS_METHOD_TEMPLATES, |t| {
                    t.parent.as_deref() == Some(id)
                }))
            }
            ("coSpaces", "numAccessMethods") => {
                Some(self.count(&ACCESS_METHODS, |a| a.parent.as_deref() == Some(id)))
            }
            ("coSpaces", "ownerId") => obj
                .get("ownerJid")
                .and_then(|j| self.user_by_jid(j))
                .map(|u| u.id.clone()),
            ("coSpaces" | "coSpaceUsers", "autoGenerated") => Some("false".into()),
            ("coSpaceUsers", "userId") => obj
                .get("userJid")
                .and_then(|j| self.user_by_jid(j))
                .map(|u| u.id.clone()),
            ("userCoSpaceTemplates", "name" | "description") => obj
                .get("coSpaceTemplate")
                .and_then(|t| self.find(&COSPACE_TEMPLATES, t))
                .and_then(|t| t.get(field))
                .map(str::to_string),
            ("calls" | "callLegs", "durationSeconds") => {
                let started: i64 = obj.get("startedAt")?.parse().ok()?;
                Some((now() - started).max(0).to_string())
            }
            ("calls", "numCallLegs") => Some(self.count(&CALL_LEGS, |l| l.get("call") == Some(id))),
            ("calls", "numParticipantsLocal") => {
                Some(self.count(&PARTICIPANTS, |l| l.get("call") == Some(id)))
            }
            _ => None,
        }
    }

    fn render_fields<'a>(
        &self,
        kind: &Kind,
        obj: &SimObject,
        fields: &'a [&'a str],
    ) -> Vec<(&'a str, String)> {
        let lower_uris = matches!(kind.collection, "coSpaces" | "accessMethods");
        fields
            .iter()
            .filter_map(|f| {
                let v = match obj.fields.get(*f) {
                    // A real Call Bridge may read a URI back lower-cased.
                    Some(v) if lower_uris && matches!(*f, "uri" | "secondaryUri") => {
                        Some(v.to_lowercase())
                    }
                    Some(v) => Some(v.clone()),
                    None => self.computed(kind, obj, f),
                };
                v.map(|v| (*f, v))
            })
            .collect()
    }

    pub fn get(&self, kind: &Kind, parent: Option<&str>, id: &str) -> Result<String, ApiFailure> {
        let obj = self.lookup(kind, parent, id)?;
        Ok(xml::object_document(
            kind.element,
            &obj.id,
            &self.render_fields(kind, obj, kind.detail_fields),
        ))
    }

    pub fn list(
        &self,
        kind: &Kind,
        parent: Option<&str>,
        query: &ListQuery,
    ) -> Result<String, ApiFailure> {
        self.check_parent(kind, parent)?;
        let needle = query.filter.as_deref().map(str::to_lowercase);
        let matching: Vec<&SimObject> = self
            .items(kind)
            .iter()
            .filter(|o| o.parent.as_deref() == parent)
            .filter(|o| match &needle {
                Some(n) => kind.filter_fields.iter().any(|f| {
                    o.get(f)
                        .is_some_and(|v| v.to_lowercase().contains(n.as_str()))
                }),
                None => true,
            })
            .filter(|o| {
                query
                    .equal
                    .iter()
                    .all(|(f, v)| o.get(f) == Some(v.as_str()))
            })
            .collect();
        let limit = query
            .limit
            .unwrap_or(self.max_page_size)
            .min(self.max_page_size.max(1));
        let rendered: Vec<(&str, Vec<(&str, String)>)> = matching
            .iter()
            .skip(query.offset)
            .take(limit)
            .map(|o| (o.id.as_str(), self.render_fields(kind, o, kind.list_fields)))
            .collect();
        Ok(xml::list_document(
            kind.collection,
            matching.len(),
            rendered,
            kind.element,
        ))
    }

    /// `GET /api/v1/users/<id>/usercoSpaces`: one `<userCoSpace>` per
    /// coSpace the user is a member of (`coSpaceUsers` with their JID), in
    /// the order they became one, paged like any list.
    pub fn user_cospaces(&self, user_id: &str, query: &ListQuery) -> Result<String, ApiFailure> {
        let user = self
            .find(&USERS, user_id)
            .ok_or_else(|| ApiFailure::reason(404, &USERS.missing()))?;
        let jid = user.get("userJid").unwrap_or_default();
        let spaces: Vec<&str> = self
            .items(&COSPACE_USERS)
            .iter()
            .filter(|m| {
                m.get("userJid")
                    .is_some_and(|j| j.eq_ignore_ascii_case(jid))
            })
            .filter_map(|m| m.parent.as_deref())
            .collect();
        let limit = query
            .limit
            .unwrap_or(self.max_page_size)
            .min(self.max_page_size.max(1));
        let rendered: Vec<(&str, Vec<(&str, String)>)> = spaces
            .iter()
            .skip(query.offset)
            .take(limit)
            .map(|id| {
                (
                    *id,
                    vec![
                        ("coSpaceId", id.to_string()),
                        ("autoGenerated", "false".to_string()),
                    ],
                )
            })
            .collect();
        Ok(xml::list_document(
            USER_COSPACES.collection,
            spaces.len(),
            rendered,
            USER_COSPACES.element,
        ))
    }

    /// `GET /api/v1/system/status`.
    pub fn status(&self) -> String {
        let legs = self.items(&CALL_LEGS).len().to_string();
        xml::object_document_without_id(
            "status",
            &[
                ("softwareVersion", "3.9.0".to_string()),
                ("uptimeSeconds", (now() - self.started).max(0).to_string()),
                ("activated", "true".into()),
                ("clusterEnabled", "false".into()),
                ("callLegsActive", legs),
                ("callLegsMaxActive", "0".into()),
                ("callLegsCompleted", "0".into()),
            ],
        )
    }

    // ---- validation -------------------------------------------------------------

    fn validate_value(&self, param: &Param, value: &str) -> Result<(), ApiFailure> {
        let invalid = || ApiFailure::parameter(param.name, "invalidValue");
        match param.ty {
            Ty::Text(max) => {
                if value.chars().count() > max {
                    return Err(invalid());
                }
            }
            Ty::Uri => {
                if value.len() > 254 || !value.chars().all(valid_uri_char) {
                    return Err(invalid());
                }
            }
            Ty::UriGenerator => {
                let dollars = value.matches('$').count();
                let rest_ok = value.chars().all(|c| c == '$' || valid_uri_char(c));
                if dollars != 1 || !rest_ok || value.len() > 254 {
                    return Err(invalid());
                }
            }
            Ty::Bool => {
                if value != "true" && value != "false" {
                    return Err(invalid());
                }
            }
            Ty::Digits => {
                if value.len() > 20 || !value.chars().all(|c| c.is_ascii_digit()) {
                    return Err(invalid());
                }
            }
            Ty::Enum(values) => {
                if !values.contains(&value) {
                    return Err(invalid());
                }
            }
            Ty::Ref(collection) => {
                if !self.exists(collection, value) {
                    let element = kind_of(collection).map_or("object", |k| k.element);
                    return Err(ApiFailure::reason(400, &format!("{element}DoesNotExist")));
                }
            }
        }
        Ok(())
    }

    /// Applies a form to `fields` (validated); answers the actions asked for.
    /// A parameter the node does not take is refused in strict mode (and
    /// always for internal writes, so a bad seed fails), ignored otherwise.
    fn apply_form(
        &self,
        kind: &Kind,
        fields: &mut BTreeMap<String, String>,
        form: &[(String, String)],
        op: Op,
        origin: Origin,
    ) -> Result<BTreeMap<String, String>, ApiFailure> {
        let strict = self.strict || origin == Origin::Internal;
        let mut actions = BTreeMap::new();
        for (name, value) in form {
            let param = kind
                .param(name)
                .filter(|p| p.on == On::Both || op == Op::Modify);
            let Some(param) = param else {
                if strict {
                    return Err(ApiFailure::parameter(name, UNKNOWN_PARAMETER));
                }
                continue;
            };
            if value.is_empty() {
                if param.stored {
                    fields.remove(name);
                }
                continue;
            }
            self.validate_value(param, value)?;
            if param.stored {
                fields.insert(name.clone(), value.clone());
            } else {
                actions.insert(name.clone(), value.clone());
            }
        }
        for required in kind.required {
            if !fields.contains_key(*required) {
                return Err(ApiFailure::parameter(required, "required"));
            }
        }
        Ok(actions)
    }

    fn uri_taken(&self, uri: &str, except: Option<&str>) -> bool {
        UniqueIndex::held(&self.unique.uris, &uri.to_ascii_lowercase(), except)
    }

    fn call_id_taken(&self, call_id: &str, except: Option<&str>) -> bool {
        UniqueIndex::held(&self.unique.call_ids, call_id, except)
    }

    /// Refuses a new/changed object whose URIs or call ID clash with the rest.
    fn check_unique(
        &self,
        fields: &BTreeMap<String, String>,
        except: Option<&str>,
    ) -> Result<(), ApiFailure> {
        let uri = fields.get("uri");
        let secondary = fields.get("secondaryUri");
        if let (Some(u), Some(s)) = (uri, secondary) {
            if u.eq_ignore_ascii_case(s) {
                return Err(ApiFailure::reason(400, "duplicateCoSpaceUri"));
            }
        }
        for u in [uri, secondary].into_iter().flatten() {
            if self.uri_taken(u, except) {
                return Err(ApiFailure::reason(400, "duplicateCoSpaceUri"));
            }
        }
        if let Some(c) = fields.get("callId") {
            if self.call_id_taken(c, except) {
                return Err(ApiFailure::reason(400, "duplicateCoSpaceId"));
            }
        }
        Ok(())
    }

    fn new_call_id(&self) -> String {
        let mut rng = rand::thread_rng();
        let low = 10u64.pow(self.call_id_digits as u32 - 1);
        loop {
            let id = rng.gen_range(low..low * 10).to_string();
            if !self.call_id_taken(&id, None) {
                return id;
            }
        }
    }

    fn new_secret() -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::thread_rng();
        (0..22)
            .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
            .collect()
    }

    fn check_writable(kind: &Kind, origin: Origin) -> Result<(), ApiFailure> {
        if origin == Origin::Api && !kind.api_writable {
            return Err(ApiFailure::reason(400, "invalidOperation"));
        }
        Ok(())
    }

    // ---- writes -------------------------------------------------------------------

    /// Creates an object; answers its id.
    pub fn create(
        &mut self,
        kind: &'static Kind,
        parent: Option<&str>,
        form: &[(String, String)],
        origin: Origin,
        id: Option<String>,
    ) -> Result<String, ApiFailure> {
        Self::check_writable(kind, origin)?;
        self.check_parent(kind, parent)?;
        let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if self.find(kind, &id).is_some() {
            return Err(ApiFailure::reason(400, "duplicateObjectId"));
        }
        let mut fields = BTreeMap::new();
        let actions = self.apply_form(kind, &mut fields, form, Op::Create, origin)?;
        match kind.collection {
            "coSpaces" => {
                if actions.get("requireCallId").map(String::as_str) == Some("true")
                    && !fields.contains_key("callId")
                {
                    fields.insert("callId".into(), self.new_call_id());
                }
                fields
                    .entry("secret".into())
                    .or_insert_with(Self::new_secret);
            }
            "accessMethods" => {
                fields
                    .entry("secret".into())
                    .or_insert_with(Self::new_secret);
            }
            "coSpaceUsers" => {
                let jid = fields.get("userJid").cloned().unwrap_or_default();
                if self.user_by_jid(&jid).is_none() {
                    return Err(ApiFailure::reason(400, "userDoesNotExist"));
                }
                let member = self.items(&COSPACE_USERS).iter().any(|m| {
                    m.parent.as_deref() == parent
                        && m.get("userJid")
                            .is_some_and(|j| j.eq_ignore_ascii_case(&jid))
                });
                if member {
                    return Err(ApiFailure::reason(400, "duplicateCoSpaceUser"));
                }
            }
            "calls" => {
                let name = fields
                    .get("coSpace")
                    .and_then(|c| self.find(&COSPACES, c))
                    .and_then(|c| c.get("name"))
                    .map(str::to_string);
                if let Some(name) = name {
                    fields.entry("name".into()).or_insert(name);
                }
                fields.insert("callCorrelator".into(), uuid::Uuid::new_v4().to_string());
                fields.insert("startedAt".into(), now().to_string());
            }
            "callLegs" => {
                fields.insert("startedAt".into(), now().to_string());
                fields
                    .entry("direction".into())
                    .or_insert_with(|| "incoming".into());
            }
            _ => {}
        }
        if matches!(kind.collection, "coSpaces" | "accessMethods") {
            self.check_unique(&fields, None)?;
        }
        let participant = (kind.collection == "callLegs").then(|| {
            let mut p = BTreeMap::new();
            p.insert("callLeg".to_string(), id.clone());
            for f in ["call", "name"] {
                if let Some(v) = fields.get(f) {
                    p.insert(f.to_string(), v.clone());
                }
            }
            SimObject {
                id: uuid::Uuid::new_v4().to_string(),
                parent: None,
                fields: p,
            }
        });
        let obj = SimObject {
            id: id.clone(),
            parent: parent.map(str::to_string),
            fields,
        };
        if unique_keyed(kind.collection) {
            self.unique.add(&obj);
        }
        self.push(kind.collection, obj);
        if let Some(p) = participant {
            self.push(PARTICIPANTS.collection, p);
        }
        Ok(id)
    }

    pub fn modify(
        &mut self,
        kind: &'static Kind,
        parent: Option<&str>,
        id: &str,
        form: &[(String, String)],
        origin: Origin,
    ) -> Result<(), ApiFailure> {
        Self::check_writable(kind, origin)?;
        let mut fields = self.lookup(kind, parent, id)?.fields.clone();
        let actions = self.apply_form(kind, &mut fields, form, Op::Modify, origin)?;
        if actions.get("regenerateSecret").map(String::as_str) == Some("true") {
            fields.insert("secret".into(), Self::new_secret());
        }
        if actions.get("requireCallId").map(String::as_str) == Some("true")
            && !fields.contains_key("callId")
        {
            fields.insert("callId".into(), self.new_call_id());
        }
        if matches!(kind.collection, "coSpaces" | "accessMethods") {
            self.check_unique(&fields, Some(id))?;
        }
        let at = self
            .positions
            .get(kind.collection)
            .and_then(|p| p.get(id))
            .copied();
        if let Some(obj) = at.and_then(|at| {
            self.objects
                .get_mut(kind.collection)
                .and_then(|v| v.get_mut(at))
        }) {
            let keyed = unique_keyed(kind.collection);
            if keyed {
                self.unique.forget(obj);
            }
            obj.fields = fields;
            if keyed {
                self.unique.add(obj);
            }
        }
        Ok(())
    }

    pub fn delete(
        &mut self,
        kind: &'static Kind,
        parent: Option<&str>,
        id: &str,
        origin: Origin,
    ) -> Result<(), ApiFailure> {
        Self::check_writable(kind, origin)?;
        self.lookup(kind, parent, id)?;
        self.remove(kind.collection, |o| o.id == id);
        self.cascade(kind.collection, id);
        Ok(())
    }

    /// What goes with a deleted object.
    fn cascade(&mut self, collection: &str, id: &str) {
        let child = |o: &SimObject| o.parent.as_deref() == Some(id);
        match collection {
            "coSpaces" => {
                self.remove("accessMethods", child);
                self.remove("coSpaceUsers", child);
                let calls: Vec<String> = self
                    .all("calls")
                    .into_iter()
                    .filter(|c| c.get("coSpace") == Some(id))
                    .map(|c| c.id)
                    .collect();
                for call in calls {
                    self.remove("calls", |o| o.id == call);
                    self.cascade("calls", &call);
                }
            }
            "calls" => {
                self.remove("callLegs", |o| o.get("call") == Some(id));
                self.remove("participants", |o| o.get("call") == Some(id));
            }
            "callLegs" => self.remove("participants", |o| o.get("callLeg") == Some(id)),
            "coSpaceTemplates" => {
                self.remove("accessMethodTemplates", child);
                self.remove("userCoSpaceTemplates", |o| {
                    o.get("coSpaceTemplate") == Some(id)
                });
                self.remove("ldapUserCoSpaceTemplateSources", |o| {
                    o.get("coSpaceTemplate") == Some(id)
                });
            }
            "users" => {
                self.remove("userCoSpaceTemplates", child);
            }
            _ => {}
        }
    }

    fn remove(&mut self, collection: &str, pred: impl Fn(&SimObject) -> bool) {
        let keyed = unique_keyed(collection);
        let Store {
            objects,
            unique,
            positions,
            ..
        } = self;
        let Some((name, v)) = objects.iter_mut().find(|(name, _)| **name == collection) else {
            return;
        };
        let before = v.len();
        v.retain(|o| {
            let gone = pred(o);
            if gone && keyed {
                unique.forget(o);
            }
            !gone
        });
        if v.len() != before {
            let places = positions.entry(*name).or_default();
            places.clear();
            places.extend(v.iter().enumerate().map(|(i, o)| (o.id.clone(), i)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn uri_generator_needs_exactly_one_dollar() {
        let mut s = Store::default();
        let t = s
            .create(
                &COSPACE_TEMPLATES,
                None,
                &form(&[("name", "T")]),
                Origin::Api,
                None,
            )
            .unwrap();
        for bad in ["guest", "$.$", "$ guest"] {
            let err = s
                .create(
                    &ACCESS_METHOD_TEMPLATES,
                    Some(&t),
                    &form(&[("uriGenerator", bad)]),
                    Origin::Api,
                    None,
                )
                .unwrap_err();
            let d = err.detail.unwrap();
            assert_eq!(d.parameter.as_deref(), Some("uriGenerator"), "{bad}");
        }
        assert!(s
            .create(
                &ACCESS_METHOD_TEMPLATES,
                Some(&t),
                &form(&[("uriGenerator", "$.guest")]),
                Origin::Api,
                None,
            )
            .is_ok());
    }

    #[test]
    fn unknown_parameters_are_ignored_unless_strict() {
        let mut s = Store::default();
        let lenient = form(&[("uri", "a"), ("coSpaceTemplate", "x")]);
        let id = s
            .create(&COSPACES, None, &lenient, Origin::Api, None)
            .unwrap();
        assert_eq!(s.all("coSpaces")[0].get("coSpaceTemplate"), None);
        s.strict = true;
        let err = s
            .create(
                &COSPACES,
                None,
                &form(&[("uri", "b"), ("coSpaceTemplate", "x")]),
                Origin::Api,
                None,
            )
            .unwrap_err();
        let d = err.detail.unwrap();
        assert_eq!(
            (
                d.reason.as_str(),
                d.parameter.as_deref(),
                d.error.as_deref()
            ),
            (
                "parameterError",
                Some("coSpaceTemplate"),
                Some(UNKNOWN_PARAMETER)
            )
        );
        // regenerateSecret is a PUT parameter only.
        let err = s
            .create(
                &COSPACES,
                None,
                &form(&[("regenerateSecret", "true")]),
                Origin::Api,
                None,
            )
            .unwrap_err();
        assert_eq!(
            err.detail.unwrap().parameter.as_deref(),
            Some("regenerateSecret")
        );
        s.modify(
            &COSPACES,
            None,
            &id,
            &form(&[("regenerateSecret", "true")]),
            Origin::Api,
        )
        .unwrap();
        assert_eq!(s.all("coSpaces").len(), 1);
    }

    #[test]
    fn enumerated_values_are_checked() {
        let mut s = Store::default();
        let err = s
            .create(
                &COSPACES,
                None,
                &form(&[("defaultLayout", "everyoneBig")]),
                Origin::Api,
                None,
            )
            .unwrap_err();
        let d = err.detail.unwrap();
        assert_eq!(d.parameter.as_deref(), Some("defaultLayout"));
        assert_eq!(d.error.as_deref(), Some("invalidValue"));
        assert!(s
            .create(
                &COSPACES,
                None,
                &form(&[("defaultLayout", "onePlusFive")]),
                Origin::Api,
                None,
            )
            .is_ok());
    }

    #[test]
    fn uris_read_back_lower_cased_and_stay_unique_whatever_the_case() {
        let mut s = Store::default();
        let id = s
            .create(
                &COSPACES,
                None,
                &form(&[("uri", "Board.Room")]),
                Origin::Api,
                None,
            )
            .unwrap();
        assert!(s
            .get(&COSPACES, None, &id)
            .unwrap()
            .contains("<uri>board.room</uri>"));
        assert_eq!(s.all("coSpaces")[0].get("uri"), Some("Board.Room"));
        let err = s
            .create(
                &COSPACES,
                None,
                &form(&[("uri", "BOARD.room")]),
                Origin::Api,
                None,
            )
            .unwrap_err();
        assert_eq!(err.detail.unwrap().reason, "duplicateCoSpaceUri");
    }

    #[test]
    fn uris_and_call_ids_are_freed_by_a_delete_or_a_change_and_clash_in_any_case() {
        let mut s = Store::default();
        let space = |s: &mut Store, uri: &str, call_id: &str| {
            s.create(
                &COSPACES,
                None,
                &form(&[("name", uri), ("uri", uri), ("callId", call_id)]),
                Origin::Api,
                None,
            )
        };
        let reason = |r: Result<String, ApiFailure>| r.unwrap_err().detail.unwrap().reason;
        let a = space(&mut s, "team.a", "100000001").unwrap();
        assert_eq!(
            reason(space(&mut s, "TEAM.A", "100000002")),
            "duplicateCoSpaceUri"
        );
        assert_eq!(
            reason(space(&mut s, "team.b", "100000001")),
            "duplicateCoSpaceId"
        );
        // An access method of the space clashes with other coSpaces too.
        s.create(
            &ACCESS_METHODS,
            Some(&a),
            &form(&[("uri", "guest.a"), ("callId", "100000003")]),
            Origin::Api,
            None,
        )
        .unwrap();
        assert_eq!(
            reason(space(&mut s, "Guest.A", "100000004")),
            "duplicateCoSpaceUri"
        );
        // A change frees the old URI and takes the new one; the object may
        // keep its own.
        s.modify(
            &COSPACES,
            None,
            &a,
            &form(&[("uri", "team.c")]),
            Origin::Api,
        )
        .unwrap();
        s.modify(
            &COSPACES,
            None,
            &a,
            &form(&[("uri", "team.c")]),
            Origin::Api,
        )
        .unwrap();
        assert_eq!(
            reason(space(&mut s, "team.c", "100000005")),
            "duplicateCoSpaceUri"
        );
        let b = space(&mut s, "team.a", "100000006").unwrap();
        // A delete frees the space's URIs and call IDs and its access methods'.
        s.delete(&COSPACES, None, &a, Origin::Api).unwrap();
        space(&mut s, "guest.a", "100000001").unwrap();
        space(&mut s, "team.c", "100000003").unwrap();
        assert!(s.find(&COSPACES, &a).is_none());
        assert_eq!(s.find(&COSPACES, &b).unwrap().get("uri"), Some("team.a"));
        assert_eq!(s.all("coSpaces").len(), 3);
    }
}
