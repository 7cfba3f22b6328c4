//! Server functions: the browser's entrance to the scheduler.
//!
//! Read-only functions use GET; anything that changes state is a POST and
//! must carry the CSRF token (checked by the server's middleware).

use crate::model::{AdminData, HomeData, MeetingDetails, MeetingsPage, PageContext, WizardPage};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// Text of the error returned when a function needs a signed-in user.
pub const UNAUTHENTICATED: &str = "You need to sign in.";

/// The message a person may see for a server function error.
pub fn public_message(err: &ServerFnError) -> String {
    match err {
        ServerFnError::ServerError(msg) => msg.clone(),
        _ => "The scheduler could not be reached. Check your connection and try again.".into(),
    }
}

#[server(input = GetUrl, endpoint = "page_context")]
pub async fn load_page_context() -> Result<PageContext, ServerFnError> {
    Ok(ssr::request_auth()?.page_context())
}

#[server(input = GetUrl, endpoint = "home_data")]
pub async fn load_home() -> Result<HomeData, ServerFnError> {
    let user = ssr::request_auth()?
        .user
        .ok_or_else(|| ServerFnError::new(UNAUTHENTICATED))?;
    let lang = ssr::request_auth()?.lang;
    let backend = ssr::backend()?;
    backend
        .home(&user, lang)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

#[server(input = GetUrl, endpoint = "meetings")]
pub async fn load_meetings(page: u32) -> Result<MeetingsPage, ServerFnError> {
    let auth = ssr::request_auth()?;
    let user = auth
        .user
        .ok_or_else(|| ServerFnError::new(UNAUTHENTICATED))?;
    ssr::backend()?
        .meetings_page(&user, page, auth.lang)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

#[server(input = GetUrl, endpoint = "wizard")]
pub async fn load_wizard(draft: Option<String>) -> Result<WizardPage, ServerFnError> {
    let auth = ssr::request_auth()?;
    let user = auth
        .user
        .ok_or_else(|| ServerFnError::new(UNAUTHENTICATED))?;
    ssr::backend()?
        .wizard(&user, draft.as_deref(), auth.lang)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

/// The wizard's first-meeting line while the time step is being filled
/// in: `form` is the step's fields, URL-encoded as the form would post
/// them. None while they do not make a valid repeating meeting.
#[server(input = GetUrl, endpoint = "first_meeting")]
pub async fn first_meeting(form: String) -> Result<Option<String>, ServerFnError> {
    let auth = ssr::request_auth()?;
    if auth.user.is_none() {
        return Err(ServerFnError::new(UNAUTHENTICATED));
    }
    ssr::backend()?
        .first_meeting(&form, auth.lang)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

#[server(input = GetUrl, endpoint = "meeting")]
pub async fn load_meeting(id: String) -> Result<MeetingDetails, ServerFnError> {
    let auth = ssr::request_auth()?;
    let user = auth
        .user
        .ok_or_else(|| ServerFnError::new(UNAUTHENTICATED))?;
    ssr::backend()?
        .meeting(&user, &id, auth.lang)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

#[server(input = GetUrl, endpoint = "admin")]
pub async fn load_admin() -> Result<AdminData, ServerFnError> {
    let auth = ssr::request_auth()?;
    let user = auth
        .user
        .ok_or_else(|| ServerFnError::new(UNAUTHENTICATED))?;
    ssr::backend()?
        .admin(&user, auth.lang)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! The contract between the web app and the server half.

    use crate::i18n::Lang;
    use crate::model::{AdminData, HomeData, MeetingDetails, MeetingsPage, WizardPage};
    use leptos::prelude::*;
    use std::sync::Arc;

    /// The signed-in user, as resolved by the server from the session cookie.
    #[derive(Clone, Debug)]
    pub struct SessionUser {
        pub id: String,
        pub username: String,
        pub display_name: String,
        pub time_zone: String,
        pub is_admin: bool,
    }

    /// Put into every request's extensions by the server's session middleware.
    #[derive(Clone, Debug)]
    pub struct RequestAuth {
        pub user: Option<SessionUser>,
        pub csrf: String,
        pub lang: crate::i18n::Lang,
    }

    impl RequestAuth {
        /// What the pages need to know of this request.
        pub fn page_context(self) -> crate::model::PageContext {
            crate::model::PageContext {
                user: self.user.map(|u| crate::model::UserView {
                    username: u.username,
                    display_name: u.display_name,
                    is_admin: u.is_admin,
                }),
                csrf: self.csrf,
                lang: self.lang,
            }
        }
    }

    /// An error whose text is safe to show in a browser. Internal details are
    /// logged by the server under `id`; only the id reaches the page.
    #[derive(Debug, Clone, thiserror::Error)]
    pub enum PublicError {
        #[error("Something went wrong on the server (error id {id}). Try again, or give the id to your administrator.")]
        Internal { id: String },
        #[error("{0}")]
        Invalid(String),
        #[error("This meeting does not exist, or you cannot see it.")]
        NotFound,
        #[error("Only administrators can see this page.")]
        AdminsOnly,
    }

    /// What the web app asks of the scheduler. The server implements it; the
    /// same implementation serves the scheduler's other entrances.
    #[async_trait::async_trait]
    pub trait Backend: Send + Sync + 'static {
        async fn home(&self, user: &SessionUser, lang: Lang) -> Result<HomeData, PublicError>;
        /// The full list of upcoming meetings, one page (from 1) at a time.
        async fn meetings_page(
            &self,
            user: &SessionUser,
            page: u32,
            lang: Lang,
        ) -> Result<MeetingsPage, PublicError>;
        /// The wizard: a fresh draft when `draft` is None, else the user's draft.
        async fn wizard(
            &self,
            user: &SessionUser,
            draft: Option<&str>,
            lang: Lang,
        ) -> Result<WizardPage, PublicError>;
        /// The wizard's first-meeting line for the time step's fields
        /// (URL-encoded), as the server would store them.
        async fn first_meeting(
            &self,
            form: &str,
            lang: Lang,
        ) -> Result<Option<String>, PublicError>;
        /// A meeting the user organizes or attends.
        async fn meeting(
            &self,
            user: &SessionUser,
            id: &str,
            lang: Lang,
        ) -> Result<MeetingDetails, PublicError>;
        /// The administrators' page (administrators only).
        async fn admin(&self, user: &SessionUser, lang: Lang) -> Result<AdminData, PublicError>;
    }

    #[derive(Clone)]
    pub struct BackendHandle(pub Arc<dyn Backend>);

    pub fn request_auth() -> Result<RequestAuth, ServerFnError> {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<RequestAuth>().cloned())
            .ok_or_else(|| ServerFnError::new("The request has no session context."))
    }

    pub fn backend() -> Result<Arc<dyn Backend>, ServerFnError> {
        use_context::<BackendHandle>()
            .map(|b| b.0)
            .ok_or_else(|| ServerFnError::new("The scheduler backend is not available."))
    }
}
