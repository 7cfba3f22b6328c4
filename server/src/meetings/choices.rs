//! What a person may choose from on the Call Bridge: their Call Bridge user,
//! the coSpace templates assigned to it (with the roles of each) and their
//! own spaces. Read by the wizard (`drafts`) and the home page (`lists`),
//! through the 30-second cache in `directory`.

use super::Meetings;
use crate::auth::users::UserRecord;
use crate::callbridge;
use app::model::{SpaceChoice, TemplateChoice};

/// What the user may choose from on the Call Bridge.
pub struct Choices {
    pub templates: Vec<TemplateChoice>,
    pub spaces: Vec<SpaceChoice>,
    pub cb_user_jid: Option<String>,
}

impl Meetings {
    /// The Call Bridge user that is this user. A directory person: the one
    /// with the JID the directory's mapping gave (none without a mapping).
    /// A local account: same e-mail, or a JID that is the e-mail or starts
    /// with the username.
    async fn cb_user(
        &self,
        user: &UserRecord,
    ) -> Result<Option<callbridge::User>, callbridge::CallBridgeError> {
        let users = self.directory.users(&self.cb).await?;
        if user.is_directory_user() {
            let Some(jid) = user.jid.as_deref() else {
                return Ok(None);
            };
            return Ok(users
                .iter()
                .find(|u| {
                    u.user_jid
                        .as_deref()
                        .is_some_and(|j| j.eq_ignore_ascii_case(jid))
                })
                .cloned());
        }
        Ok(users
            .iter()
            .find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&user.email))
                    || u.user_jid.as_deref().is_some_and(|j| {
                        j.eq_ignore_ascii_case(&user.email)
                            || j.split('@')
                                .next()
                                .is_some_and(|local| local.eq_ignore_ascii_case(&user.username))
                    })
            })
            .cloned())
    }

    /// The user's own spaces on the Call Bridge (not those the scheduler
    /// made): what the home page lists under "My spaces".
    pub async fn own_spaces(
        &self,
        user: &UserRecord,
    ) -> Result<Vec<SpaceChoice>, callbridge::CallBridgeError> {
        let Some(jid) = self.cb_user(user).await?.and_then(|u| u.user_jid) else {
            return Ok(Vec::new());
        };
        self.spaces_of(&jid).await
    }

    async fn spaces_of(&self, jid: &str) -> Result<Vec<SpaceChoice>, callbridge::CallBridgeError> {
        let base = reqwest::Url::parse(&self.join_base_url).ok();
        Ok(self
            .directory
            .spaces(&self.cb)
            .await?
            .iter()
            .filter(|s| {
                s.owner_jid
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(jid))
            })
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
    pub async fn choices(&self, user: &UserRecord) -> Result<Choices, callbridge::CallBridgeError> {
        let Some(cb_user) = self.cb_user(user).await? else {
            return Ok(Choices {
                templates: Vec::new(),
                spaces: Vec::new(),
                cb_user_jid: None,
            });
        };
        let mut templates = Vec::new();
        for tpl in self.cb.templates_of_user(&cb_user.id).await? {
            let roles = self
                .cb
                .access_method_templates(&tpl.id)
                .await?
                .into_iter()
                .filter_map(|a| a.name)
                .collect();
            templates.push(TemplateChoice {
                id: tpl.id,
                name: tpl.name.unwrap_or_default(),
                description: tpl.description.unwrap_or_default(),
                roles,
            });
        }
        let jid = cb_user.user_jid.clone();
        let spaces = match &jid {
            Some(jid) => self.spaces_of(jid).await?,
            None => Vec::new(),
        };
        Ok(Choices {
            templates,
            spaces,
            cb_user_jid: jid,
        })
    }
}
