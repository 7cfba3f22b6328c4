//! Demo mode: a ready-made organizer account on a fresh machine.

use crate::auth::users::{self, NewUser, UserError};
use crate::db::Db;

pub const USERNAME: &str = "demo";
pub const PASSWORD: &str = "demo-scheduler";
pub const DISPLAY_NAME: &str = "Demo Organizer";

/// Creates the demo organizer unless it exists. Returns true when created.
pub async fn ensure_demo_user(db: &Db, now_ms: i64) -> Result<bool, UserError> {
    let user = NewUser {
        username: USERNAME,
        display_name: DISPLAY_NAME,
        email: "demo.organizer@example.com",
        password: Some(PASSWORD),
        time_zone: "Europe/Paris",
    };
    match users::create(db, user, now_ms).await {
        Ok(_) => Ok(true),
        Err(UserError::Taken(_)) => Ok(false),
        Err(e) => Err(e),
    }
}
