//! The integration tests, in one binary: each module starts the real server
//! (`TestApp::spawn`) on port 0 with a fresh database. One binary links the
//! server once instead of once per file.

mod admin_page;
mod answers;
mod callbridge_tls;
mod cleanup;
mod cluster;
mod directory;
mod faults;
mod feed;
mod first_on_rule;
mod home;
mod hostile;
mod live;
mod load;
mod mail;
mod occurrences;
mod rest_api;
mod schedule;
mod sign_in;
mod static_assets;
mod upgrade;
