//! Demo mode: a ready-made organizer account on a fresh machine.

use crate::auth::users::{self, NewUser, UserError};
use crate::db::Db;

pub const USERNAME: &str = "demo";
pub const PASSWORD: &str = "demo-scheduler";
pub const DISPLAY_NAME: &str = "Demo Organizer";

/// Creates the demo organizer (an administrator) unless it exists. Returns
/// true when created.
pub async fn ensure_demo_user(db: &Db, now_ms: i64) -> Result<bool, UserError> {
    let user = NewUser {
        username: USERNAME,
        display_name: DISPLAY_NAME,
        email: "demo.organizer@example.com",
        password: Some(PASSWORD),
        time_zone: "Europe/Paris",
    };
    let created = match users::create(db, user, now_ms).await {
        Ok(_) => true,
        Err(UserError::Taken(_)) => false,
        Err(e) => return Err(e),
    };
    // The demo organizer is also the administrator, so a person trying the
    // demo can see the administrators' page.
    users::set_admin(db, USERNAME, true).await?;
    Ok(created)
}
