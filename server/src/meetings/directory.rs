//! A person's own spaces on the Call Bridge, as the home page and the wizard
//! list them, kept for a short while per Call Bridge user.
//!
//! A CMS lists a user's spaces at `/users/<id>/usercoSpaces` (the coSpaces
//! they are a member of, ten per page, ids only); a coSpace list's items
//! carry neither `ownerJid` nor `cdrTag`. The scheduler makes its organizer
//! a member of every space it makes for a meeting, so those memberships are
//! dropped: first the ones the database knows as temporary meeting spaces
//! (no request), then, reading each remaining coSpace, any with the
//! scheduler's `cdrTag` marker (a half-made one, see
//! [`crate::callbridge::saga::request_marker`]). A person with many meetings
//! still costs one request per ten memberships, so each user's list is kept
//! for [`TTL`]; one caller reads it again while the others for that user
//! wait for that read instead of starting their own.
//!
//! Also kept for [`TTL`], so that a create costs the Call Bridge only the
//! requests that make the meeting's space: each person's Call Bridge user
//! with its template assignments ([`Directory::cb_user`]) and the
//! templates in full ([`callbridge::TemplateCache`]). An administrator's
//! change to a template or an assignment shows within that time.

use super::choices::ChoicesError;
use crate::callbridge::kept::{Kept, KeptMap};
use crate::callbridge::{self, CallBridgeClient, CoSpace, UserTemplates};
use crate::db::Db;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// How long a user's list is used before it is read again.
pub const TTL: Duration = Duration::from_secs(30);

type Slot = Arc<Mutex<Option<Kept<Vec<CoSpace>>>>>;

/// The per-user copies, by Call Bridge user id; each person's Call Bridge
/// user and template assignments, by JID; and the templates themselves.
/// All are kept for [`TTL`].
pub struct Directory {
    slots: std::sync::Mutex<HashMap<String, Slot>>,
    users: KeptMap<UserTemplates>,
    /// The coSpace templates in full, as the wizard's roles and the
    /// space-creation saga need them.
    pub templates: callbridge::TemplateCache,
}

impl Default for Directory {
    fn default() -> Self {
        Self {
            slots: std::sync::Mutex::default(),
            users: KeptMap::new(TTL),
            templates: callbridge::TemplateCache::new(TTL),
        }
    }
}

impl Directory {
    /// The Call Bridge user whose `userJid` is `jid` (in any case) and its
    /// template assignments: the kept copy while fresh, else read now
    /// (`GET /users?filter=<jid>`, then its `userCoSpaceTemplates`) with
    /// no lock held meanwhile. None (not kept: a user synced from the
    /// directory a moment later is found at once) when there is no such user.
    pub async fn cb_user(
        &self,
        cb: &CallBridgeClient,
        jid: &str,
    ) -> Result<Option<Arc<UserTemplates>>, callbridge::CallBridgeError> {
        let key = jid.to_ascii_lowercase();
        if let Some(u) = self.users.fresh(&key) {
            return Ok(Some(u));
        }
        let Some(user) = cb.user_by_jid(jid).await? else {
            return Ok(None);
        };
        let template_ids = cb
            .user_cospace_templates(&user.id)
            .await?
            .into_iter()
            .filter_map(|a| a.co_space_template)
            .collect();
        let found = Arc::new(UserTemplates { user, template_ids });
        self.users.keep(key, found.clone());
        Ok(Some(found))
    }

    /// Forgets every kept copy (the next use reads the Call Bridge again).
    pub fn forget(&self) {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.users.clear();
        self.templates.clear();
    }

    fn slot(&self, user_id: &str) -> Slot {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Expired copies of other users go, so the map stays small.
        slots.retain(|id, slot| {
            id == user_id
                || slot
                    .try_lock()
                    .map_or(true, |s| s.as_ref().is_some_and(|kept| kept.is_fresh(TTL)))
        });
        slots.entry(user_id.to_string()).or_default().clone()
    }

    /// The coSpaces the Call Bridge user `user_id` is a member of, except
    /// those the scheduler made for meetings.
    pub async fn spaces_of(
        &self,
        cb: &CallBridgeClient,
        db: &Db,
        user_id: &str,
    ) -> Result<Arc<Vec<CoSpace>>, ChoicesError> {
        let slot = self.slot(user_id);
        // Held across the read: the others wait for it and then use its copy.
        let mut slot = slot.lock().await;
        if let Some(kept) = slot.as_ref().filter(|kept| kept.is_fresh(TTL)) {
            return Ok(kept.value.clone());
        }
        let list = Arc::new(read_spaces(cb, db, user_id).await?);
        *slot = Some(Kept::now(list.clone()));
        Ok(list)
    }
}

async fn read_spaces(
    cb: &CallBridgeClient,
    db: &Db,
    user_id: &str,
) -> Result<Vec<CoSpace>, ChoicesError> {
    let memberships = cb.user_cospaces(user_id).await?;
    let ids: Vec<String> = memberships
        .iter()
        .map(|m| m.cospace_id().to_string())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let made = made_for_meetings(db, &ids).await?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for m in memberships {
        let id = m.cospace_id().to_string();
        if made.contains(&id) || !seen.insert(id.clone()) {
            continue;
        }
        match cb.cospace(&id).await {
            Ok(space)
                if !space
                    .cdr_tag
                    .as_deref()
                    .is_some_and(callbridge::saga::is_request_marker) =>
            {
                out.push(space)
            }
            Ok(_) => {}
            // Deleted between the two reads: not listed.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Which of `cospace_ids` the database knows as temporary meeting spaces:
/// only those (it once read every temporary space of every user, on each
/// home page whose copy had expired).
async fn made_for_meetings(
    db: &Db,
    cospace_ids: &[String],
) -> Result<HashSet<String>, sqlx::Error> {
    let made: Vec<(String,)> = crate::db::fetch_for_ids(
        db,
        "SELECT cospace_id FROM spaces WHERE temporary = 1 AND cospace_id IN",
        cospace_ids,
    )
    .await?;
    Ok(made.into_iter().map(|(id,)| id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callbridge::sim::{CallBridgeSim, RequestMatcher, Seed, SimCredentials};

    async fn sim() -> (crate::callbridge::sim::SimHandle, CallBridgeClient, Db) {
        let sim = CallBridgeSim::start(
            Seed::source_document().unwrap(),
            SimCredentials::new("api", "pw"),
        )
        .await
        .unwrap();
        let client = CallBridgeClient::new(sim.client_config()).unwrap();
        let (db, dir) = crate::db::test_db().await;
        std::mem::forget(dir);
        (sim, client, db)
    }

    fn demo_id(sim: &crate::callbridge::sim::SimHandle) -> String {
        sim.objects("users")
            .into_iter()
            .find(|u| u.get("userJid") == Some("demo@example.com"))
            .unwrap()
            .id
    }

    #[tokio::test]
    async fn a_members_spaces_come_from_usercospaces_without_the_schedulers() {
        let (sim, cb, db) = sim().await;
        let demo = demo_id(&sim);
        let dir = Directory::default();
        let names = |l: &[CoSpace]| -> Vec<String> {
            l.iter().filter_map(|s| s.name.clone()).collect::<Vec<_>>()
        };
        assert_eq!(
            names(&dir.spaces_of(&cb, &db, &demo).await.unwrap()),
            vec!["Demo Organizer's space"],
            "the seed's personal space, and not Saiacano's"
        );
        // A space the scheduler half-made (its marker, not in the database)
        // with the demo user as member is not theirs to list.
        let made = cb
            .create_cospace(&crate::callbridge::NewCoSpace {
                name: Some("Meeting".into()),
                uri: Some("meeting.made".into()),
                cdr_tag: Some(crate::callbridge::saga::request_marker("r1")),
                ..Default::default()
            })
            .await
            .unwrap();
        cb.add_cospace_user(&made, "demo@example.com")
            .await
            .unwrap();
        let dir = Directory::default();
        assert_eq!(dir.spaces_of(&cb, &db, &demo).await.unwrap().len(), 1);

        // A space the database knows as made for a meeting is not listed;
        // one it knows as the user's own is.
        sqlx::query(
            "INSERT INTO users (id, username, display_name, email, created_at) \
             VALUES ('u1', 'demo', 'Demo', 'demo.organizer@example.com', 0)",
        )
        .execute(&db)
        .await
        .unwrap();
        for (uri, temporary) in [("meeting.one", 1), ("own.room", 0)] {
            let id = cb
                .create_cospace(&crate::callbridge::NewCoSpace {
                    name: Some(uri.into()),
                    uri: Some(uri.into()),
                    ..Default::default()
                })
                .await
                .unwrap();
            cb.add_cospace_user(&id, "demo@example.com").await.unwrap();
            sqlx::query(
                "INSERT INTO spaces (id, owner_id, cospace_id, name, uri, temporary, created_at) \
                 VALUES ($1, 'u1', $1, $2, $2, $3, 0)",
            )
            .bind(&id)
            .bind(uri)
            .bind(temporary)
            .execute(&db)
            .await
            .unwrap();
        }
        let dir = Directory::default();
        assert_eq!(
            names(&dir.spaces_of(&cb, &db, &demo).await.unwrap()),
            vec!["Demo Organizer's space", "own.room"]
        );
        // Back to the seed's one space for what follows.
        sqlx::query("UPDATE spaces SET temporary = 1")
            .execute(&db)
            .await
            .unwrap();

        // Concurrent readers share one read of the memberships.
        let dir = Directory::default();
        sim.clear_requests();
        let reads =
            futures_util::future::join_all((0..20).map(|_| dir.spaces_of(&cb, &db, &demo))).await;
        assert!(reads.iter().all(|r| r.as_ref().unwrap().len() == 1));
        let listed = sim
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.contains("/usercoSpaces"))
            .count();
        assert_eq!(listed, 1, "one read, not twenty");
        // A failed read is reported and not kept: the next caller tries again.
        let dir = Directory::default();
        sim.busy_next(100, RequestMatcher::new("GET /api/v1/users/**"));
        assert!(dir.spaces_of(&cb, &db, &demo).await.is_err());
        sim.clear_faults();
        assert_eq!(dir.spaces_of(&cb, &db, &demo).await.unwrap().len(), 1);
    }
}
