//! Data shared by the server and the browser halves of the web app.

use serde::{Deserialize, Serialize};

/// What every page needs to know about the request: who is signed in and
/// the anti-CSRF token that state-changing forms must carry.
#[derive(Clone, Default, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageContext {
    pub user: Option<UserView>,
    pub csrf: String,
    pub lang: crate::i18n::Lang,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
}

/// The signed-in user's home page, already formatted in their time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeData {
    pub display_name: String,
    /// "Last login Nov 25, 2026 at 18:59", or a first-sign-in text.
    pub last_login: String,
    pub time_zone: String,
    pub days: Vec<MeetingDay>,
    /// More meetings exist than the home page shows.
    pub has_more: bool,
    pub spaces: Vec<SpaceView>,
    /// Why the spaces could not be listed, if they could not.
    pub spaces_notice: Option<String>,
}

/// One page of the full list of upcoming meetings ("See more").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingsPage {
    pub days: Vec<MeetingDay>,
    /// From 1.
    pub page: u32,
    pub has_next: bool,
    pub time_zone: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingDay {
    /// "Today, Nov 25, 2026", "Tomorrow, Nov 26, 2026", "Friday, Nov 27, 2026".
    pub label: String,
    pub meetings: Vec<MeetingRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRow {
    pub id: String,
    /// "10:00 – 11:00" in the viewer's time zone.
    pub time_range: String,
    pub name: String,
    /// The meeting is running now.
    pub now: bool,
    pub space: String,
    /// "You", or the organizer's display name.
    pub organized_by: String,
    pub join_url: Option<String>,
    /// For the organizer: the attendees' answers so far ("2 accepted,
    /// 1 declined"); empty when none answered or for an attendee.
    #[serde(default)]
    pub answers: String,
    /// Who is in its space right now (running meetings only; none when the
    /// Call Bridge does not answer).
    #[serde(default)]
    pub live: Option<LiveView>,
}

/// A meeting's space live on the Call Bridge: how many are in, and who.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveView {
    pub participants: u32,
    /// Their names as the Call Bridge shows them (at most 20).
    pub names: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceView {
    pub id: String,
    pub name: String,
    pub uri: String,
    pub join_url: Option<String>,
}

/// A meeting being scheduled (or edited) in the wizard. Kept on the server
/// between steps, so the wizard works with plain form posts and keeps what
/// was typed when a step fails.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Empty until the first step is posted.
    pub id: String,
    /// Bumped on every post, so the page knows to reload.
    pub rev: u32,
    /// 1, 2 or 3.
    pub step: u8,
    /// Set when editing an existing meeting.
    pub meeting_id: Option<String>,
    pub name: String,
    /// "new" or "existing".
    pub space_mode: String,
    pub space_id: String,
    pub template_id: String,
    /// YYYY-MM-DD in `time_zone`.
    pub date: String,
    /// HH:MM.
    pub from: String,
    /// H:MM.
    pub duration: String,
    pub time_zone: String,
    /// "none", "daily", "weekly", "monthly" or "yearly".
    pub repeat: String,
    /// "never", "count" or "until".
    pub repeat_end: String,
    pub repeat_count: String,
    pub repeat_until: String,
    /// Every N days, weeks, months or years ("1" when empty).
    #[serde(default)]
    pub repeat_interval: String,
    /// Weekly: the weekdays, "MO".."SU" (none: the start's weekday).
    #[serde(default)]
    pub repeat_days: Vec<String>,
    /// Monthly: "day" (the start's day of the month, the default),
    /// "weekday" (the start's nth weekday, e.g. the 2nd Tuesday) or "last"
    /// (the last such weekday of the month).
    #[serde(default)]
    pub repeat_monthly: String,
    pub attendees: Vec<Attendee>,
    /// The new attendee row as last typed.
    pub new_email: String,
    pub new_role: String,
    /// Problems found in the last post, by field.
    pub errors: Vec<FieldError>,
    /// Overlaps with other meetings, found when the time was set: shown on
    /// the last step, they do not stop the booking.
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub email: String,
    pub role: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field, or "form" for the whole step.
    pub field: String,
    /// Already in the page's language.
    pub message: String,
}

impl Draft {
    pub fn error_for(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    }
}

/// Everything the wizard page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardPage {
    pub draft: Draft,
    pub templates: Vec<TemplateChoice>,
    pub spaces: Vec<SpaceChoice>,
    pub time_zones: Vec<String>,
    /// Problems reaching the Call Bridge while loading choices.
    pub notice: Option<String>,
    /// The repetition in words ("Every 2 weeks on Monday and Thursday, 10
    /// times"), once the time step is valid.
    #[serde(default)]
    pub repeat_text: Option<String>,
    /// The first meeting of a repeating meeting ("Tuesday, Feb 10, 2026"):
    /// the first date its rule produces on or after the chosen date, once
    /// the time step is valid (steps 2 and 3).
    #[serde(default)]
    pub first_meeting: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateChoice {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The access method templates' names: the attendee roles.
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceChoice {
    pub id: String,
    pub name: String,
    pub uri: String,
    pub join_url: Option<String>,
}

/// A meeting as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingDetails {
    pub id: String,
    pub name: String,
    /// "Wednesday, Nov 25, 2026, 10:00 – 11:00".
    pub when: String,
    pub time_zone: String,
    pub repeat: String,
    pub space_name: String,
    pub organizer: String,
    pub is_organizer: bool,
    pub now: bool,
    pub dial_in: Vec<DialIn>,
    pub attendees: Vec<Attendee>,
    /// The invitation e-mail to each attendee (organizer only; empty otherwise).
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
    /// A repeating meeting's next occurrences (empty otherwise).
    #[serde(default)]
    pub occurrences: Vec<OccurrenceView>,
    /// The meeting's own zone: occurrences are moved in it.
    #[serde(default)]
    pub meeting_time_zone: String,
    /// Who is in its space right now (see [`MeetingRow::live`]).
    #[serde(default)]
    pub live: Option<LiveView>,
}

/// One upcoming occurrence of a repeating meeting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceView {
    /// Its original local start in the meeting's zone (`YYYY-MM-DDTHH:MM`):
    /// what cancels or moves it.
    pub original: String,
    /// When, in the viewer's zone and language.
    pub when: String,
    /// Its own name when renamed, else empty.
    pub name: String,
    pub moved: bool,
    pub now: bool,
    /// The series' first occurrence (no "this and following" there).
    pub first: bool,
    /// Its date, start and end in the meeting's zone, for the move form.
    pub date: String,
    pub from: String,
    pub to: String,
}

/// Where the last e-mail to one attendee stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub email: String,
    /// "pending", "sent", "failed" or "none" (nothing written yet).
    pub status: String,
    /// Localized words: the status, when it was sent or the last error.
    pub status_text: String,
    pub detail: String,
    /// The attendee's answer: "accepted", "tentative", "declined", or
    /// "none" (none given yet).
    #[serde(default)]
    pub answer: String,
    /// The answer in words.
    #[serde(default)]
    pub answer_text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DialIn {
    pub role: String,
    pub uri: String,
    pub call_id: String,
    pub passcode: String,
    pub join_url: String,
}

/// The administrators' page: the running service's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminData {
    /// The lines `scheduler status` prints.
    pub status: Vec<String>,
    /// Every C2W link to a web bridge (empty when C2W does not run).
    pub bridges: Vec<BridgeRow>,
    /// The zone the times on the page are in (the administrator's).
    pub time_zone: String,
    pub mail_pending: i64,
    pub mail_sent: i64,
    pub mail_failed: i64,
    /// The newest mails of the outbox, newest first.
    pub mail: Vec<QueuedMail>,
}

/// One C2W link as the administrators' page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeRow {
    pub address: String,
    pub up: bool,
    pub guid: String,
    /// When it went UP or DOWN, in the administrator's zone.
    pub since: String,
    pub last_error: String,
    pub connections: u64,
}

/// One mail of the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedMail {
    /// When it was queued, in the administrator's zone.
    pub queued: String,
    pub meeting: String,
    pub delivery: Delivery,
}
