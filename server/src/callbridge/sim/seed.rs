//! The simulator's seed: the objects it starts with, as JSON.
//!
//! ```json
//! { "callProfiles": [ {"id": "..", "participantLimit": 100} ],
//!   "callLegProfiles": [ {"id": "..", "name": ".."} ],
//!   "coSpaceTemplates": [ {"id": "..", "name": "..",
//!       "accessMethodTemplates": [ {"name": "..", "uriGenerator": "$.guest"} ]} ],
//!   "ldapServers": [ {"address": "..", "portNumber": 636, "secure": true} ],
//!   "ldapMappings": [ {"jidMapping": "$uid$@example.com"} ],
//!   "ldapSources": [ {"server": "<id>", "mapping": "<id>", "baseDn": ".."} ],
//!   "ldapUserCoSpaceTemplateSources": [ {"ldapSource": "<id>", "coSpaceTemplate": "<id>", "filter": ".."} ],
//!   "users": [ {"userJid": "..", "name": "..", "coSpaceTemplates": ["<template id or name>"],
//!               "ldapUserCoSpaceTemplateSources": ["<source id>"]} ],
//!   "webBridges": [ {"url": "https://10.106.80.34:8443"} ],
//!   "coSpaces": [ {"name": "..", "uri": "..", "accessMethods": [ {..} ],
//!                  "coSpaceUsers": [ {"userJid": ".."} ]} ],
//!   "calls": [ {"coSpace": "<coSpace id>",
//!               "callLegs": [ {"name": "..", "remoteParty": ".."} ]} ] }
//! ```
//!
//! A user's `coSpaceTemplates` are assigned to them one by one
//! (`/users/<id>/userCoSpaceTemplates`); its `ldapUserCoSpaceTemplateSources`
//! are the template sources whose filter matched the user's directory entry
//! at the last LDAP sync (the simulator has no directory to evaluate them
//! against), and give the user each source's template, as a sync does.
//!
//! Every section is optional. An object's keys are the API's parameter names;
//! values may be strings, numbers or booleans; `id` is optional (a random
//! UUID otherwise). Objects go through the same validation as API writes.

use super::kinds::{self, Kind};
use super::store::{Origin, Store};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The seed matching the source document (template `CoSpaceTemp-Scheduler`,
/// its two access method templates, a demo user, three web bridges).
pub const DEFAULT_SEED_JSON: &str = include_str!("../seed.json");

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read the seed file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the seed is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("seed {collection}[{index}]: {reason}")]
    Invalid {
        collection: String,
        index: usize,
        reason: String,
    },
}

/// One seeded object: an optional id and its fields (child arrays included).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SeedObject {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(flatten)]
    pub fields: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub call_profiles: Vec<SeedObject>,
    #[serde(default)]
    pub call_leg_profiles: Vec<SeedObject>,
    #[serde(default)]
    pub co_space_templates: Vec<SeedObject>,
    #[serde(default)]
    pub ldap_servers: Vec<SeedObject>,
    #[serde(default)]
    pub ldap_mappings: Vec<SeedObject>,
    #[serde(default)]
    pub ldap_sources: Vec<SeedObject>,
    #[serde(default)]
    pub ldap_user_co_space_template_sources: Vec<SeedObject>,
    #[serde(default)]
    pub users: Vec<SeedObject>,
    #[serde(default)]
    pub web_bridges: Vec<SeedObject>,
    #[serde(default)]
    pub co_spaces: Vec<SeedObject>,
    #[serde(default)]
    pub calls: Vec<SeedObject>,
}

impl Seed {
    /// No objects at all.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The built-in seed ([`DEFAULT_SEED_JSON`]).
    pub fn source_document() -> Result<Self, SeedError> {
        Self::from_json(DEFAULT_SEED_JSON)
    }

    pub fn from_json(json: &str) -> Result<Self, SeedError> {
        Ok(serde_json::from_str(json)?)
    }

    pub fn from_file(path: &Path) -> Result<Self, SeedError> {
        let json = std::fs::read_to_string(path).map_err(|source| SeedError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&json)
    }

    /// Creates every seeded object in `store`, parents first.
    pub(crate) fn load_into(&self, store: &mut Store) -> Result<(), SeedError> {
        load(store, &kinds::CALL_PROFILES, None, &self.call_profiles)?;
        load(
            store,
            &kinds::CALL_LEG_PROFILES,
            None,
            &self.call_leg_profiles,
        )?;
        let templates = load(
            store,
            &kinds::COSPACE_TEMPLATES,
            None,
            &self.co_space_templates,
        )?;
        for (id, obj) in templates.iter().zip(&self.co_space_templates) {
            let children = children(obj, "accessMethodTemplates", "coSpaceTemplates")?;
            load(store, &kinds::ACCESS_METHOD_TEMPLATES, Some(id), &children)?;
        }
        load(store, &kinds::LDAP_SERVERS, None, &self.ldap_servers)?;
        load(store, &kinds::LDAP_MAPPINGS, None, &self.ldap_mappings)?;
        load(store, &kinds::LDAP_SOURCES, None, &self.ldap_sources)?;
        load(
            store,
            &kinds::LDAP_USER_COSPACE_TEMPLATE_SOURCES,
            None,
            &self.ldap_user_co_space_template_sources,
        )?;
        let users = load(store, &kinds::USERS, None, &self.users)?;
        for (index, (id, obj)) in users.iter().zip(&self.users).enumerate() {
            let invalid = |reason: String| SeedError::Invalid {
                collection: "users".into(),
                index,
                reason,
            };
            let names = |key: &str| -> Result<Vec<String>, SeedError> {
                let Some(list) = obj.fields.get(key) else {
                    return Ok(Vec::new());
                };
                list.as_array()
                    .ok_or_else(|| invalid(format!("{key} must be a list")))?
                    .iter()
                    .map(|t| {
                        t.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| invalid(format!("{key} holds ids or names")))
                    })
                    .collect()
            };
            let mut templates = Vec::new();
            for t in names("coSpaceTemplates")? {
                let template_id = store
                    .all("coSpaceTemplates")
                    .into_iter()
                    .find(|o| o.id == t || o.get("name") == Some(t.as_str()))
                    .map(|o| o.id)
                    .ok_or_else(|| invalid(format!("no coSpaceTemplate {t:?}")))?;
                templates.push(template_id);
            }
            // What the last LDAP sync gave the user through the sources.
            for source in names("ldapUserCoSpaceTemplateSources")? {
                let template_id = store
                    .all("ldapUserCoSpaceTemplateSources")
                    .into_iter()
                    .find(|o| o.id == source)
                    .and_then(|o| o.get("coSpaceTemplate").map(str::to_string))
                    .ok_or_else(|| {
                        invalid(format!("no ldapUserCoSpaceTemplateSource {source:?}"))
                    })?;
                if !templates.contains(&template_id) {
                    templates.push(template_id);
                }
            }
            for template_id in templates {
                store
                    .create(
                        &kinds::USER_COSPACE_TEMPLATES,
                        Some(id),
                        &[("coSpaceTemplate".to_string(), template_id)],
                        Origin::Internal,
                        None,
                    )
                    .map_err(|e| invalid(format!("{:?}", e.detail)))?;
            }
        }
        load(store, &kinds::WEB_BRIDGES, None, &self.web_bridges)?;
        let spaces = load(store, &kinds::COSPACES, None, &self.co_spaces)?;
        for (id, obj) in spaces.iter().zip(&self.co_spaces) {
            let methods = children(obj, "accessMethods", "coSpaces")?;
            load(store, &kinds::ACCESS_METHODS, Some(id), &methods)?;
            let members = children(obj, "coSpaceUsers", "coSpaces")?;
            load(store, &kinds::COSPACE_USERS, Some(id), &members)?;
        }
        let calls = load(store, &kinds::CALLS, None, &self.calls)?;
        for (id, obj) in calls.iter().zip(&self.calls) {
            let mut legs = children(obj, "callLegs", "calls")?;
            for leg in &mut legs {
                leg.fields
                    .insert("call".into(), serde_json::Value::String(id.clone()));
            }
            load(store, &kinds::CALL_LEGS, None, &legs)?;
        }
        Ok(())
    }
}

/// Keys holding child objects, not fields.
const CHILD_KEYS: &[&str] = &[
    "accessMethodTemplates",
    "accessMethods",
    "coSpaceTemplates",
    "ldapUserCoSpaceTemplateSources",
    "coSpaceUsers",
    "callLegs",
];

fn children(obj: &SeedObject, key: &str, collection: &str) -> Result<Vec<SeedObject>, SeedError> {
    match obj.fields.get(key) {
        None => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| SeedError::Invalid {
            collection: collection.to_string(),
            index: 0,
            reason: format!("{key}: {e}"),
        }),
    }
}

fn load(
    store: &mut Store,
    kind: &'static Kind,
    parent: Option<&str>,
    objects: &[SeedObject],
) -> Result<Vec<String>, SeedError> {
    let mut ids = Vec::new();
    for (index, obj) in objects.iter().enumerate() {
        let invalid = |reason: String| SeedError::Invalid {
            collection: kind.collection.to_string(),
            index,
            reason,
        };
        let mut form = Vec::new();
        for (k, v) in &obj.fields {
            if CHILD_KEYS.contains(&k.as_str()) && (v.is_array()) {
                continue;
            }
            let value = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Null => continue,
                _ => return Err(invalid(format!("{k} must be a string, number or boolean"))),
            };
            form.push((k.clone(), value));
        }
        let id = store
            .create(kind, parent, &form, Origin::Internal, obj.id.clone())
            .map_err(|e| match e.detail {
                Some(d) => invalid(format!(
                    "{}{}",
                    d.reason,
                    d.parameter
                        .map(|p| format!(" ({p}: {})", d.error.unwrap_or_default()))
                        .unwrap_or_default()
                )),
                None => invalid(format!("refused with HTTP {}", e.status)),
            })?;
        ids.push(id);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_seed_loads() {
        let mut store = Store::default();
        Seed::source_document()
            .unwrap()
            .load_into(&mut store)
            .unwrap();
        assert_eq!(store.all("webBridges").len(), 3);
        assert_eq!(store.all("accessMethodTemplates").len(), 2);
        assert_eq!(
            store.all("userCoSpaceTemplates").len(),
            2,
            "both users, through the LDAP template source"
        );
        assert_eq!(store.all("ldapUserCoSpaceTemplateSources").len(), 1);
        assert_eq!(store.all("coSpaceUsers").len(), 1);
        let t = &store.all("coSpaceTemplates")[0];
        assert_eq!(t.get("name"), Some("CoSpaceTemp-Scheduler"));
        assert_eq!(t.get("description"), Some("CST-External/Internal Access"));
    }

    #[test]
    fn bad_seeds_are_refused_with_the_place() {
        let err = Seed::from_json(r#"{"coSpaceTemplates":[{"name":"T","accessMethodTemplates":[{"uriGenerator":"guest"}]}]}"#)
            .unwrap()
            .load_into(&mut Store::default())
            .unwrap_err();
        assert!(err.to_string().contains("uriGenerator"), "{err}");
        assert!(Seed::from_json(r#"{"nope":[]}"#).is_err());
    }

    #[tokio::test]
    async fn ldap_users_get_the_template_of_their_source_and_are_found_by_exact_jid() {
        use crate::callbridge::sim::{CallBridgeSim, SimCredentials};
        let sim = CallBridgeSim::start(
            Seed::source_document().unwrap(),
            SimCredentials::new("api", "pw"),
        )
        .await
        .unwrap();
        let cb = crate::callbridge::CallBridgeClient::new(sim.client_config()).unwrap();
        let sources = cb.ldap_user_cospace_template_sources().await.unwrap();
        assert_eq!(sources.len(), 1);
        let template = sources[0].co_space_template.clone().unwrap();
        assert!(sources[0].filter.as_deref().unwrap().contains("memberOf"));
        // The filter matches substrings: "acano@example" finds saiacano,
        // but only the exact JID is the person.
        assert_eq!(cb.users(Some("ACANO@example")).await.unwrap().len(), 1);
        assert!(cb.user_by_jid("acano@example.com").await.unwrap().is_none());
        let sai = cb
            .user_by_jid("SaiAcano@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sai.name.as_deref(), Some("Sai acano"));
        let templates = cb.templates_of_user(&sai.id).await.unwrap();
        assert_eq!(templates.len(), 1);
        assert_eq!(templates[0].id, template);
        assert_eq!(templates[0].name.as_deref(), Some("CoSpaceTemp-Scheduler"));
        // The demo user is a member of their own space.
        let demo = cb.user_by_jid("demo@example.com").await.unwrap().unwrap();
        let spaces = cb.user_cospaces(&demo.id).await.unwrap();
        assert_eq!(spaces.len(), 1);
        let space = cb.cospace(spaces[0].cospace_id()).await.unwrap();
        assert_eq!(space.name.as_deref(), Some("Demo Organizer's space"));
        assert!(cb.user_cospaces(&sai.id).await.unwrap().is_empty());
    }
}
