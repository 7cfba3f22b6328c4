//! Data shared by the server and the browser halves of the web app.

use serde::{Deserialize, Serialize};

/// What every page needs to know about the request: who is signed in and
/// the anti-CSRF token that state-changing forms must carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageContext {
    pub user: Option<UserView>,
    pub csrf: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
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
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceView {
    pub id: String,
    pub name: String,
    pub uri: String,
    pub join_url: Option<String>,
}
