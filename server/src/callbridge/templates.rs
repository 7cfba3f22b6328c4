//! coSpace templates as a meeting needs them (the template's profiles and
//! each of its access method templates read in full), kept for a short
//! while: templates change rarely, and reading one costs 2 + one request
//! per access method template, which every create would otherwise pay.
//! Kept by [`super::kept::KeptMap`] (no lock held while the Call Bridge is
//! asked).

use super::client::CallBridgeClient;
use super::error::CallBridgeError;
use super::kept::KeptMap;
use super::model::{AccessMethodTemplate, CoSpaceTemplate, User};
use std::sync::Arc;
use std::time::Duration;

/// How long a template read is used (the same as a user's list of spaces,
/// `meetings::directory::TTL`): an administrator's change to a template
/// reaches new meetings within this time.
pub const TTL: Duration = Duration::from_secs(30);

/// A coSpace template with its access method templates, each read in full
/// (a list of them shows only some fields), in the Call Bridge's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullTemplate {
    pub template: CoSpaceTemplate,
    pub access_methods: Vec<AccessMethodTemplate>,
}

impl FullTemplate {
    /// Reads it: the template, the list of its access method templates,
    /// then each of those.
    pub async fn read(client: &CallBridgeClient, id: &str) -> Result<Self, CallBridgeError> {
        let template = client.cospace_template(id).await?;
        let mut access_methods = Vec::new();
        for listed in client.access_method_templates(id).await? {
            access_methods.push(client.access_method_template(id, &listed.id).await?);
        }
        Ok(Self {
            template,
            access_methods,
        })
    }

    /// The roles a meeting of this template offers: its access method
    /// templates' names.
    pub fn roles(&self) -> Vec<String> {
        self.access_methods
            .iter()
            .filter_map(|a| a.name.clone())
            .collect()
    }
}

/// A person's Call Bridge user and the coSpace templates assigned to it
/// (what `meetings::directory` keeps per JID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTemplates {
    pub user: User,
    /// The ids of the assigned templates, in the Call Bridge's order.
    pub template_ids: Vec<String>,
}

/// Templates by id, each kept for `ttl` after it was read.
pub struct TemplateCache {
    kept: KeptMap<FullTemplate>,
}

impl std::fmt::Debug for TemplateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateCache")
            .field("ttl", &self.kept.ttl())
            .finish()
    }
}

impl Default for TemplateCache {
    fn default() -> Self {
        Self::new(TTL)
    }
}

impl TemplateCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            kept: KeptMap::new(ttl),
        }
    }

    /// The template `id`: the kept copy while it is fresh, else read now.
    pub async fn get(
        &self,
        client: &CallBridgeClient,
        id: &str,
    ) -> Result<Arc<FullTemplate>, CallBridgeError> {
        if let Some(t) = self.kept.fresh(id) {
            return Ok(t);
        }
        let read = Arc::new(FullTemplate::read(client, id).await?);
        self.kept.keep(id.to_string(), read.clone());
        Ok(read)
    }

    /// Forgets every kept template (the next use reads again).
    pub fn clear(&self) {
        self.kept.clear();
    }
}
