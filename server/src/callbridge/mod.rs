//! The Call Bridge side of the scheduler: a client for the CMS REST API
//! (`/api/v1/...`), a simulator behaving like a CMS for tests and demos,
//! and the saga that prepares a meeting's space with the documented API.
//!
//! See `docs/callbridge.md` for the API subset, error mapping, retry policy,
//! simulator seed and fault injection, and the idempotency scheme.

pub mod client;
pub mod cluster;
pub mod config;
pub mod error;
pub mod kept;
pub mod model;
pub mod saga;
pub mod setup;
pub mod sim;
pub mod templates;
pub mod xml;

#[cfg(test)]
mod tests;

pub use client::CallBridgeClient;
pub use cluster::{NodeReport, NodeState};
pub use config::{
    check_url, read_password_file, CallBridgeConfig, HostOverride, Password, RetryPolicy,
    TlsOptions, DEFAULT_BASE_URL,
};
pub use error::{CallBridgeError, FailureDetail};
pub use model::{
    AccessMethod, AccessMethodTemplate, ApiObject, Call, CallLeg, CallLegProfile, CallProfile,
    CoSpace, CoSpaceTemplate, CoSpaceUser, Form, LdapUserCoSpaceTemplateSource, NewAccessMethod,
    NewAccessMethodTemplate, NewCoSpace, NewCoSpaceTemplate, Page, Participant, SystemStatus, User,
    UserCoSpace, UserCoSpaceTemplate, WebBridge,
};
pub use saga::{
    create_meeting_space, delete_meeting_space, find_request_space, space_uri, Compensation,
    CreatedSpace, Deletion, RoleAccess, SagaCause, SagaError, SagaStep, SpaceOrigin, SpaceRequest,
    SpaceSource,
};
pub use templates::{FullTemplate, TemplateCache, UserTemplates};
