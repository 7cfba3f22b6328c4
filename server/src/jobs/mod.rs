//! Background jobs: the daily cleanup of temporary spaces, and the lease that
//! makes a job run on one scheduler node at a time.

pub mod cleanup;
pub mod lease;
pub mod recover;
