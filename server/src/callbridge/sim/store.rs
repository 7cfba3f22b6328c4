//! The simulator's objects in memory and the rules the Call Bridge applies
//! to them: accepted parameters, validation, uniqueness of URIs and call
//! IDs, template instantiation, cascading deletes, list paging and filters.

use super::kinds::{
    kind_of, valid_uri_char, Kind, Param, Ty, ACCESS_METHODS, ACCESS_METHOD_TEMPLATES, COSPACES,
    COSPACE_TEMPLATES,
};
use crate::callbridge::error::FailureDetail;
use crate::callbridge::xml;
use rand::Rng;
use std::collections::BTreeMap;

/// One stored object, as tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimObject {
    pub id: String,
    /// The owning object for sub-resources (the coSpace of an access method).
    pub parent: Option<String>,
    /// Set fields by API name (`uri`, `callId`, ...); unset fields are absent.
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
    fn reason(status: u16, reason: &str) -> Self {
        Self {
            status,
            detail: Some(FailureDetail {
                reason: reason.to_string(),
                parameter: None,
                error: None,
            }),
        }
    }

    fn parameter(parameter: &str, error: &str) -> Self {
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
/// the test API (may write read-only kinds and choose ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Api,
    Internal,
}

/// Query of a list request.
#[derive(Debug, Default)]
pub(crate) struct ListQuery {
    pub offset: usize,
    pub limit: Option<usize>,
    pub filter: Option<String>,
    pub cospace_filter: Option<String>,
}

impl ListQuery {
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ApiFailure> {
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
                "filter" if !v.is_empty() => q.filter = Some(v.clone()),
                "coSpaceFilter" if !v.is_empty() => q.cospace_filter = Some(v.clone()),
                _ => {}
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
    /// Digits of a generated call ID.
    call_id_digits: usize,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            objects: BTreeMap::new(),
            max_page_size: 10,
            call_id_digits: 9,
        }
    }
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
        self.items(kind).iter().find(|o| o.id == id)
    }

    fn exists(&self, collection: &str, id: &str) -> bool {
        kind_of(collection).is_some_and(|k| self.find(k, id).is_some())
    }

    fn check_parent(&self, kind: &Kind, parent: Option<&str>) -> Result<(), ApiFailure> {
        match (kind.parent, parent) {
            (None, None) => Ok(()),
            (Some(pc), Some(pid)) => match kind_of(pc) {
                Some(pk) if self.find(pk, pid).is_some() => Ok(()),
                Some(pk) => Err(ApiFailure::reason(404, &pk.missing())),
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
        match (kind.collection, field) {
            ("coSpaceTemplates", "numAccessMethodTemplates") => Some(
                self.items(&ACCESS_METHOD_TEMPLATES)
                    .iter()
                    .filter(|t| t.parent.as_deref() == Some(obj.id.as_str()))
                    .count()
                    .to_string(),
            ),
            ("coSpaces", "autoGenerated") => Some("false".into()),
            ("userCoSpaceTemplates", "name" | "description") => obj
                .get("coSpaceTemplate")
                .and_then(|t| self.find(&COSPACE_TEMPLATES, t))
                .and_then(|t| t.get(field))
                .map(str::to_string),
            ("calls", "durationSeconds") => {
                let started: i64 = obj.get("startedAt")?.parse().ok()?;
                Some(
                    (chrono::Utc::now().timestamp() - started)
                        .max(0)
                        .to_string(),
                )
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
        fields
            .iter()
            .filter_map(|f| {
                let v = match obj.fields.get(*f) {
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
            .filter(|o| match &query.cospace_filter {
                Some(c) => o.get("coSpace") == Some(c.as_str()),
                None => true,
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

    // ---- validation -------------------------------------------------------------

    fn validate_value(&self, param: &Param, value: &str) -> Result<(), ApiFailure> {
        let invalid = || ApiFailure::parameter(param.name, "invalidValue");
        match param.ty {
            Ty::Text => {
                if value.chars().count() > 200 {
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
            Ty::Scope => {
                if value != "public" && value != "private" {
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
    fn apply_form(
        &self,
        kind: &Kind,
        fields: &mut BTreeMap<String, String>,
        form: &[(String, String)],
    ) -> Result<BTreeMap<String, String>, ApiFailure> {
        let mut actions = BTreeMap::new();
        for (name, value) in form {
            let param = kind
                .param(name)
                .ok_or_else(|| ApiFailure::parameter(name, "unrecognisedParameter"))?;
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

    /// URIs and call IDs in use, except by the objects in `except`.
    fn taken(&self, except: &[&str]) -> (Vec<String>, Vec<String>) {
        let mut uris = Vec::new();
        let mut call_ids = Vec::new();
        for kind in [&COSPACES, &ACCESS_METHODS] {
            for o in self.items(kind) {
                if except.contains(&o.id.as_str()) {
                    continue;
                }
                for f in ["uri", "secondaryUri"] {
                    if let Some(u) = o.get(f) {
                        uris.push(u.to_lowercase());
                    }
                }
                if let Some(c) = o.get("callId") {
                    call_ids.push(c.to_string());
                }
            }
        }
        (uris, call_ids)
    }

    /// Refuses a set of new/changed objects whose URIs or call IDs clash
    /// with each other or with the rest.
    fn check_unique(
        &self,
        candidates: &[&BTreeMap<String, String>],
        except: &[&str],
    ) -> Result<(), ApiFailure> {
        let (mut uris, mut call_ids) = self.taken(except);
        for fields in candidates {
            for f in ["uri", "secondaryUri"] {
                if let Some(u) = fields.get(f) {
                    let u = u.to_lowercase();
                    if uris.contains(&u) {
                        return Err(ApiFailure::reason(400, "duplicateCoSpaceUri"));
                    }
                    uris.push(u);
                }
            }
            if let Some(c) = fields.get("callId") {
                if call_ids.contains(c) {
                    return Err(ApiFailure::reason(400, "duplicateCoSpaceId"));
                }
                call_ids.push(c.clone());
            }
        }
        Ok(())
    }

    fn new_call_id(&self, also_taken: &[String]) -> String {
        let (_, taken) = self.taken(&[]);
        let mut rng = rand::thread_rng();
        let low = 10u64.pow(self.call_id_digits as u32 - 1);
        loop {
            let id = rng.gen_range(low..low * 10).to_string();
            if !taken.contains(&id) && !also_taken.contains(&id) {
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
        if origin == Origin::Api && !kind.api_writable {
            return Err(ApiFailure::reason(400, "invalidOperation"));
        }
        self.check_parent(kind, parent)?;
        let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if self.find(kind, &id).is_some() {
            return Err(ApiFailure::reason(400, "duplicateObjectId"));
        }
        let mut fields = BTreeMap::new();
        let actions = self.apply_form(kind, &mut fields, form)?;
        let mut children: Vec<SimObject> = Vec::new();
        match kind.collection {
            "coSpaces" => {
                let template = actions.get("coSpaceTemplate").cloned();
                if let Some(t) = &template {
                    // The template's profiles apply unless given.
                    for f in ["callProfile", "callLegProfile"] {
                        if let Some(v) = self.find(&COSPACE_TEMPLATES, t).and_then(|t| t.get(f)) {
                            fields.entry(f.to_string()).or_insert_with(|| v.to_string());
                        }
                    }
                }
                if actions.get("requireCallId").map(String::as_str) == Some("true")
                    && !fields.contains_key("callId")
                {
                    fields.insert("callId".into(), self.new_call_id(&[]));
                }
                fields
                    .entry("secret".into())
                    .or_insert_with(Self::new_secret);
                if let Some(t) = &template {
                    children = self.instantiate(t, &id, &fields);
                }
            }
            "accessMethods" => {
                fields
                    .entry("secret".into())
                    .or_insert_with(Self::new_secret);
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
                fields.insert(
                    "startedAt".into(),
                    chrono::Utc::now().timestamp().to_string(),
                );
            }
            _ => {}
        }
        if matches!(kind.collection, "coSpaces" | "accessMethods") {
            let mut all: Vec<&BTreeMap<String, String>> = vec![&fields];
            all.extend(children.iter().map(|c| &c.fields));
            self.check_unique(&all, &[])?;
        }
        let obj = SimObject {
            id: id.clone(),
            parent: parent.map(str::to_string),
            fields,
        };
        self.objects.entry(kind.collection).or_default().push(obj);
        if !children.is_empty() {
            self.objects
                .entry(ACCESS_METHODS.collection)
                .or_default()
                .extend(children);
        }
        Ok(id)
    }

    /// The access methods a coSpace created from `template` gets: one per
    /// access method template, URI from its generator (`$` replaced by the
    /// coSpace's URI, or its name made URI-safe), a generated call ID when
    /// `generateUniqueCallId`, and a generated secret.
    fn instantiate(
        &self,
        template: &str,
        cospace_id: &str,
        cospace: &BTreeMap<String, String>,
    ) -> Vec<SimObject> {
        let base = cospace
            .get("uri")
            .cloned()
            .or_else(|| cospace.get("name").map(|n| uri_safe(n)))
            .filter(|b| !b.is_empty());
        let mut new_ids: Vec<String> = cospace.get("callId").cloned().into_iter().collect();
        let mut out = Vec::new();
        for amt in self
            .items(&ACCESS_METHOD_TEMPLATES)
            .iter()
            .filter(|t| t.parent.as_deref() == Some(template))
        {
            let mut fields = BTreeMap::new();
            for f in ["name", "callLegProfile", "scope", "dialInSecurityProfile"] {
                if let Some(v) = amt.get(f) {
                    fields.insert(f.to_string(), v.to_string());
                }
            }
            if let (Some(generator), Some(base)) = (amt.get("uriGenerator"), &base) {
                fields.insert("uri".into(), generator.replacen('$', base, 1));
            }
            if amt.get("generateUniqueCallId") == Some("true") {
                let id = self.new_call_id(&new_ids);
                new_ids.push(id.clone());
                fields.insert("callId".into(), id);
            }
            fields.insert("secret".into(), Self::new_secret());
            out.push(SimObject {
                id: uuid::Uuid::new_v4().to_string(),
                parent: Some(cospace_id.to_string()),
                fields,
            });
        }
        out
    }

    pub fn modify(
        &mut self,
        kind: &'static Kind,
        parent: Option<&str>,
        id: &str,
        form: &[(String, String)],
        origin: Origin,
    ) -> Result<(), ApiFailure> {
        if origin == Origin::Api && !kind.api_writable {
            return Err(ApiFailure::reason(400, "invalidOperation"));
        }
        let mut fields = self.lookup(kind, parent, id)?.fields.clone();
        let actions = self.apply_form(kind, &mut fields, form)?;
        if actions.get("regenerateSecret").map(String::as_str) == Some("true") {
            fields.insert("secret".into(), Self::new_secret());
        }
        if actions.get("requireCallId").map(String::as_str) == Some("true")
            && !fields.contains_key("callId")
        {
            fields.insert("callId".into(), self.new_call_id(&[]));
        }
        if matches!(kind.collection, "coSpaces" | "accessMethods") {
            self.check_unique(&[&fields], &[id])?;
        }
        if let Some(obj) = self
            .objects
            .get_mut(kind.collection)
            .and_then(|v| v.iter_mut().find(|o| o.id == id))
        {
            obj.fields = fields;
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
        if origin == Origin::Api && !kind.api_writable {
            return Err(ApiFailure::reason(400, "invalidOperation"));
        }
        self.lookup(kind, parent, id)?;
        self.remove(kind.collection, |o| o.id == id);
        // Cascades.
        match kind.collection {
            "coSpaces" => {
                self.remove("accessMethods", |o| o.parent.as_deref() == Some(id));
                self.remove("calls", |o| o.get("coSpace") == Some(id));
            }
            "coSpaceTemplates" => {
                self.remove("accessMethodTemplates", |o| o.parent.as_deref() == Some(id));
                self.remove("userCoSpaceTemplates", |o| {
                    o.get("coSpaceTemplate") == Some(id)
                });
            }
            "users" => self.remove("userCoSpaceTemplates", |o| o.parent.as_deref() == Some(id)),
            _ => {}
        }
        Ok(())
    }

    fn remove(&mut self, collection: &str, pred: impl Fn(&SimObject) -> bool) {
        if let Some(v) = self.objects.get_mut(collection) {
            v.retain(|o| !pred(o));
        }
    }
}

/// A name made into a URI user part: lowercase, runs of other characters
/// replaced by one `.`.
pub(crate) fn uri_safe(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-') {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('.') {
            out.push('.');
        }
    }
    out.trim_end_matches('.').to_string()
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
    fn uri_safe_names() {
        assert_eq!(uri_safe("Test-XRP"), "test-xrp");
        assert_eq!(uri_safe("  Weekly sync: team A "), "weekly.sync.team.a");
        assert_eq!(uri_safe("!!!"), "");
    }

    #[test]
    fn template_instantiation_is_atomic_on_uri_clash() {
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
        s.create(
            &ACCESS_METHOD_TEMPLATES,
            Some(&t),
            &form(&[("name", "G"), ("uriGenerator", "$.guest")]),
            Origin::Api,
            None,
        )
        .unwrap();
        s.create(
            &COSPACES,
            None,
            &form(&[("uri", "x.guest")]),
            Origin::Api,
            None,
        )
        .unwrap();
        let err = s
            .create(
                &COSPACES,
                None,
                &form(&[("uri", "x"), ("coSpaceTemplate", &t)]),
                Origin::Api,
                None,
            )
            .unwrap_err();
        assert_eq!(err.detail.unwrap().reason, "duplicateCoSpaceUri");
        assert_eq!(s.all("coSpaces").len(), 1);
        assert!(s.all("accessMethods").is_empty());
    }
}
