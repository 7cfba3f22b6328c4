//! What a person may choose from on the Call Bridge: their Call Bridge user
//! (found by JID), the coSpace templates assigned to it (with the roles of
//! each) and their own spaces. Read by the wizard (`drafts`), the home page
//! (`lists`) and the REST API; all of it through the copies `directory`
//! keeps for a while.

use super::Meetings;
use crate::auth::users::UserRecord;
use crate::callbridge;
use app::model::{SpaceChoice, TemplateChoice};
use std::sync::Arc;

/// Why the choices could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ChoicesError {
    #[error(transparent)]
    CallBridge(#[from] callbridge::CallBridgeError),
    #[error("reading the spaces the scheduler made: {0}")]
    Db(#[from] sqlx::Error),
}

/// What the user may choose from on the Call Bridge.
pub struct Choices {
    pub templates: Vec<TemplateChoice>,
    pub spaces: Vec<SpaceChoice>,
    pub cb_user_jid: Option<String>,
}

impl Meetings {
    /// The Call Bridge user that is this person: the one whose `userJid` is
    /// the person's JID (a directory person's from the directory's mapping,
    /// a local account's as set with `cms-scheduler user`), looked up with
    /// `GET /users?filter=<jid>`. The filter matches substrings, so the one
    /// whose JID is exactly that (in any case) is taken. No JID: none. Kept
    /// a while with its template assignments (`directory`).
    async fn cb_user_templates(
        &self,
        user: &UserRecord,
    ) -> Result<Option<Arc<callbridge::UserTemplates>>, callbridge::CallBridgeError> {
        match user.jid.as_deref().filter(|j| !j.trim().is_empty()) {
            Some(jid) => self.directory.cb_user(&self.cb, jid.trim()).await,
            None => Ok(None),
        }
    }

    /// The person's Call Bridge user (see `cb_user_templates`).
    pub async fn cb_user(
        &self,
        user: &UserRecord,
    ) -> Result<Option<callbridge::User>, callbridge::CallBridgeError> {
        Ok(self.cb_user_templates(user).await?.map(|u| u.user.clone()))
    }

    /// The user's own spaces on the Call Bridge (not those the scheduler
    /// made): what the home page lists under "My spaces".
    pub async fn own_spaces(&self, user: &UserRecord) -> Result<Vec<SpaceChoice>, ChoicesError> {
        let Some(cb_user) = self.cb_user(user).await? else {
            return Ok(Vec::new());
        };
        self.spaces_of(&cb_user.id).await
    }

    async fn spaces_of(&self, cb_user_id: &str) -> Result<Vec<SpaceChoice>, ChoicesError> {
        let base = reqwest::Url::parse(&self.join_base_url).ok();
        Ok(self
            .directory
            .spaces_of(&self.cb, &self.db, cb_user_id)
            .await?
            .iter()
            .map(|s| SpaceChoice {
                name: s.name.clone().unwrap_or_else(|| s.id.clone()),
                uri: s.uri.clone().unwrap_or_default(),
                join_url: match (&base, s.call_id.as_deref()) {
                    (Some(base), Some(call_id)) => {
                        callbridge::saga::join_url(base, call_id, s.secret.as_deref())
                    }
                    _ => None,
                },
                id: s.id.clone(),
            })
            .collect())
    }

    /// The user's templates (with their roles) and own spaces on the Call Bridge.
    pub async fn choices(&self, user: &UserRecord) -> Result<Choices, ChoicesError> {
        self.choices_with(user, true).await
    }

    /// The user's templates (with their roles) and, if `with_spaces`, their
    /// own spaces: a create that makes a new space needs no list of them.
    pub async fn choices_with(
        &self,
        user: &UserRecord,
        with_spaces: bool,
    ) -> Result<Choices, ChoicesError> {
        let Some(cb_user) = self.cb_user_templates(user).await? else {
            return Ok(Choices {
                templates: Vec::new(),
                spaces: Vec::new(),
                cb_user_jid: None,
            });
        };
        let mut templates = Vec::new();
        for id in &cb_user.template_ids {
            let full = match self.directory.templates.get(&self.cb, id).await {
                Ok(t) => t,
                // Deleted since it was assigned: not offered.
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            templates.push(TemplateChoice {
                id: full.template.id.clone(),
                name: full.template.name.clone().unwrap_or_default(),
                description: full.template.description.clone().unwrap_or_default(),
                roles: full.roles(),
            });
        }
        let spaces = if with_spaces {
            self.spaces_of(&cb_user.user.id).await?
        } else {
            Vec::new()
        };
        Ok(Choices {
            templates,
            spaces,
            cb_user_jid: cb_user.user.user_jid.clone(),
        })
    }
}
