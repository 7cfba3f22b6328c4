//! Meetings: the one service behind the web app, the REST API and C2W.
//! A file per thing a person does:
//!
//! - [`drafts`]: the wizard's steps and drafts, and editing a meeting in it;
//! - [`create`]: creating a meeting (the Call Bridge saga, then one transaction);
//! - [`change`]: changing a whole meeting or series;
//! - [`occurrences`]: changing one occurrence of a series;
//! - [`delete`]: deleting a meeting and its temporary space;
//! - [`read`]: one meeting for its page; [`lists`]: the home page and the
//!   list of upcoming meetings;
//! - [`choices`]: the person's templates and spaces on the Call Bridge
//!   (cached by [`directory`]); [`conflicts`]: overlaps with other bookings;
//! - [`validate`]: the checks of what was typed; [`api`]: the JSON face
//!   used by `web::rest` and C2W; [`visible`]: which meetings a person's
//!   lists show.

pub mod answers;
pub mod api;
pub mod change;
pub mod choices;
pub mod conflicts;
pub mod create;
pub mod delete;
pub mod directory;
pub mod drafts;
pub mod feed;
pub mod lists;
pub mod live;
pub mod occurrences;
pub mod read;
pub mod validate;
pub mod visible;

pub use choices::Choices;
pub use drafts::Next;

use crate::callbridge::CallBridgeClient;
use crate::clock::Clock;
use crate::db::Db;
use app::api::ssr::PublicError;
use app::i18n::Lang;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub struct Meetings {
    pub db: Db,
    /// Writes whole transactions (a new meeting), grouped on SQLite.
    pub writer: crate::db::group::GroupWriter,
    pub clock: Arc<dyn Clock>,
    pub cb: Arc<CallBridgeClient>,
    /// Join links are built on this web bridge address.
    pub join_base_url: String,
    /// Invitation e-mails: written to the outbox with each change.
    pub mail: Arc<crate::mail::Mailer>,
    /// The Call Bridge's users and spaces, read at most every 30 s.
    pub directory: directory::Directory,
    /// Who is in a running meeting's space, read at most every 5 s.
    pub live: live::LiveCalls,
}

impl Meetings {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

fn cb_unreachable(lang: Lang, public: &PublicError) -> String {
    let id = match public {
        PublicError::Internal { id } => id.clone(),
        other => other.to_string(),
    };
    match lang {
        Lang::En => format!("The Call Bridge could not complete the request, so nothing was created or changed. Try again in a moment (error id {id})."),
        Lang::Fr => format!("Le Call Bridge n'a pas pu traiter la demande : rien n'a été créé ni modifié. Réessayez dans un instant (identifiant d'erreur {id})."),
    }
}
