//! The pages of the web app.

use crate::api::{self, public_message, UNAUTHENTICATED};
use crate::i18n::{t, Lang};
use crate::model::{HomeData, MeetingDay, MeetingRow, PageContext, SpaceView};
use crate::page_context;
use leptos::prelude::*;
use leptos_router::{
    components::Redirect,
    hooks::{use_location, use_query_map},
};

fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">"…"</p> }
}

#[component]
pub fn ErrorBox(message: String) -> impl IntoView {
    view! { <p class="error-box" role="alert">{message}</p> }
}

/// Renders `f(lang)` once the page context (and so the language) is known.
pub fn with_lang<V, F>(f: F) -> impl IntoView
where
    V: IntoView + 'static,
    F: Fn(Lang) -> V + Send + Sync + Clone + 'static,
{
    f(page_context().lang)
}

fn page_title(lang: Lang, key: &str) -> String {
    format!("{} · {}", t(lang, key), t(lang, "app.name"))
}

/// The top bar: product name, language switcher, and the signed-in user with Sign out.
#[component]
pub fn Header() -> impl IntoView {
    let pc = page_context();
    let location = use_location();
    let lang = pc.lang;
    view! {
        <header class="topbar">
            {

                    let other = if lang == Lang::En { Lang::Fr } else { Lang::En };
                    let switch = move || {
                        let search = location.search.get();
                        let here = if search.is_empty() {
                            location.pathname.get()
                        } else {
                            format!("{}?{}", location.pathname.get(), search.trim_start_matches('?'))
                        };
                        format!("/lang/{}?next={}", other.code(), encode(&here))
                    };
                    let account = match pc {
                        PageContext { user: Some(user), csrf, .. } => {
                            view! {
                                <div class="account">
                                    {user.is_admin.then(|| view! {
                                        <a class="button link" href="/admin">{t(lang, "nav.admin")}</a>
                                    })}
                                    <span class="who">{user.display_name}</span>
                                    <form method="post" action="/auth/logout">
                                        <input type="hidden" name="csrf" value=csrf/>
                                        <button type="submit" class="button link">
                                            {t(lang, "nav.sign_out")}
                                        </button>
                                    </form>
                                </div>
                            }
                                .into_any()
                        }
                        _ => {
                            view! {
                                <a class="button link" href="/login">
                                    {t(lang, "nav.sign_in")}
                                </a>
                            }
                                .into_any()
                        }
                    };
                    view! {
                        <a class="skip-link" href="#main">{t(lang, "app.skip")}</a>
                        <a class="brand" href="/">{t(lang, "app.name")}</a>
                        <div class="account">
                            <a
                                class="button link lang-switch"
                                href=switch
                                hreflang=other.code()
                                lang=other.code()
                                rel="external nofollow"
                            >
                                {other.name()}
                            </a>
                            {account}
                        </div>
                    }
            }
        </header>
    }
}

/// Percent-encodes a path for a query parameter.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Sends a guest to the sign-in page, coming back to `next` afterwards.
#[component]
fn SignInFirst(next: &'static str) -> impl IntoView {
    let path = format!("/login?next={}", encode(next));
    view! { <Redirect path=path/> }
}

/// "Meeting created — This meeting has been created successfully", after the wizard.
#[component]
fn Toast(lang: Lang) -> impl IntoView {
    let query = use_query_map();
    let q = query.read_untracked();
    let which = if q.get("created").is_some() {
        Some(("toast.created_title", "toast.created"))
    } else if q.get("updated").is_some() {
        Some(("toast.updated_title", "toast.updated"))
    } else if q.get("deleted").is_some() {
        Some(("toast.deleted_title", "toast.deleted"))
    } else {
        None
    };
    which.map(|(title, body)| {
        view! {
            <ToastBox
                title=t(lang, title).to_string()
                body=t(lang, body).to_string()
                close=t(lang, "toast.close").to_string()
            />
        }
    })
}

/// The toast itself: its Close button hides it (an island).
#[island]
fn ToastBox(title: String, body: String, close: String) -> impl IntoView {
    let shown = RwSignal::new(true);
    move || {
        shown.get().then(|| {
            view! {
                <div class="toast" role="status">
                    <strong class="toast-title">{title.clone()}</strong>
                    <span class="toast-body">{body.clone()}</span>
                    <button type="button" class="button link" on:click=move |_| shown.set(false)>
                        {close.clone()}
                    </button>
                </div>
            }
        })
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| api::load_home());
    let lang = page_context().lang;
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(data) => {
                        view! {
                            <crate::SafeTitle text=page_title(lang, "home.meetings")/>
                            <Toast lang/>
                            <Home data lang/>
                        }
                            .into_any()
                    }
                    Err(e) if public_message(&e) == UNAUTHENTICATED => {
                        view! { <SignInFirst next="/"/> }.into_any()
                    }
                    Err(e) => view! { <ErrorBox message=public_message(&e)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Home(data: HomeData, lang: Lang) -> impl IntoView {
    let HomeData {
        display_name,
        last_login,
        time_zone,
        days,
        has_more,
        spaces,
        spaces_notice,
    } = data;
    let meetings = if days.is_empty() {
        view! { <p class="empty">{t(lang, "home.no_meetings")}</p> }.into_any()
    } else {
        view! {
            <div class="days">
                {days.into_iter().map(|day| view! { <Day day lang/> }).collect_view()}
            </div>
            {has_more
                .then(|| {
                    view! {
                        <a class="see-more" href="/meetings">
                            {t(lang, "home.see_more")}
                        </a>
                    }
                })}
        }
        .into_any()
    };
    let spaces_notice = spaces_notice.map(|m| view! { <p class="notice" role="status">{m}</p> });
    let spaces = if spaces.is_empty() {
        view! { <p class="empty">{t(lang, "home.no_spaces")}</p> }.into_any()
    } else {
        view! {
            <ul class="spaces">
                {spaces.into_iter().map(|s| view! { <Space space=s lang/> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <div class="home">
            <div class="home-head">
                <div>
                    <h1>{t(lang, "home.title").replace("{name}", &display_name)}</h1>
                    <p class="last-login">{last_login}</p>
                </div>
                <div class="home-actions">
                    <a class="button secondary" href="/calendar-feed" rel="external">{t(lang, "home.feed")}</a>
                    <a class="button secondary" href="/join">{t(lang, "home.join")}</a>
                    <a class="button primary" href="/schedule">{t(lang, "home.schedule")}</a>
                </div>
            </div>
            <section class="panel" aria-labelledby="meetings-heading">
                <h2 id="meetings-heading">{t(lang, "home.meetings")}</h2>
                <p class="tz">{t(lang, "home.times_in")} {time_zone}</p>
                {meetings}
            </section>
            <section class="panel" aria-labelledby="spaces-heading">
                <h2 id="spaces-heading">{t(lang, "home.spaces")}</h2>
                {spaces_notice}
                {spaces}
            </section>
        </div>
    }
}

/// "See more": every upcoming meeting, a page at a time.
#[component]
pub fn MeetingsListPage() -> impl IntoView {
    let query = use_query_map();
    let page_no = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    };
    let list = Resource::new(page_no, api::load_meetings);
    let lang = page_context().lang;
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(p) => {
                        let prev = (p.page > 1).then(|| format!("/meetings?page={}", p.page - 1));
                        let next = p.has_next.then(|| format!("/meetings?page={}", p.page + 1));
                        view! {
                            <crate::SafeTitle text=page_title(lang, "home.meetings")/>
                            <section class="panel" aria-labelledby="all-meetings">
                                <h1 id="all-meetings">{t(lang, "home.meetings")}</h1>
                                <p class="tz">{t(lang, "home.times_in")} {p.time_zone}</p>
                                {if p.days.is_empty() {
                                    view! { <p class="empty">{t(lang, "home.no_meetings")}</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="days">
                                            {p.days.into_iter().map(|day| view! { <Day day lang/> }).collect_view()}
                                        </div>
                                    }
                                        .into_any()
                                }}
                                <nav class="pager" aria-label=t(lang, "list.pages")>
                                    {prev.map(|href| view! { <a href=href rel="prev">{t(lang, "list.prev")}</a> })}
                                    <span>{t(lang, "list.page").replace("{n}", &p.page.to_string())}</span>
                                    {next.map(|href| view! { <a href=href rel="next">{t(lang, "list.next")}</a> })}
                                </nav>
                            </section>
                        }
                            .into_any()
                    }
                    Err(e) if public_message(&e) == UNAUTHENTICATED => {
                        view! { <SignInFirst next="/meetings"/> }.into_any()
                    }
                    Err(e) => view! { <ErrorBox message=public_message(&e)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Day(day: MeetingDay, lang: Lang) -> impl IntoView {
    view! {
        <section class="day">
            <h3>{day.label}</h3>
            <ul class="meetings">
                {day.meetings.into_iter().map(|m| view! { <Meeting meeting=m lang/> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Meeting(meeting: MeetingRow, lang: Lang) -> impl IntoView {
    let MeetingRow {
        id,
        time_range,
        name,
        now,
        space,
        organized_by,
        join_url,
        answers,
        live,
    } = meeting;
    let join_label = format!("{} {name}", t(lang, "meeting.join"));
    view! {
        <li class="meeting" data-meeting-id=id.clone()>
            <span class="time">{time_range}</span>
            <a class="name" href=format!("/meetings/{id}")>{name}</a>
            {now.then(|| view! { <span class="badge now">{t(lang, "meeting.now")}</span> })}
            <span class="space">{t(lang, "meeting.space")} {space}</span>
            <span class="organizer">{t(lang, "meeting.organized_by")} {organized_by}</span>
            {(!answers.is_empty()).then(|| view! { <span class="answers">{answers}</span> })}
            {live.map(|live| view! { <crate::meeting::Live live lang/> })}
            {join_url
                .map(|url| {
                    view! {
                        <a class="button small" href=url aria-label=join_label>
                            {t(lang, "meeting.join")}
                        </a>
                    }
                })}
        </li>
    }
}

#[component]
fn Space(space: SpaceView, lang: Lang) -> impl IntoView {
    let join_label = format!("{} {}", t(lang, "meeting.join"), space.name);
    view! {
        <li class="space-row">
            <span class="name">{space.name}</span>
            <span class="uri">{space.uri}</span>
            {space
                .join_url
                .map(|url| {
                    view! {
                        <a class="button small" href=url aria-label=join_label>
                            {t(lang, "meeting.join")}
                        </a>
                    }
                })}
        </li>
    }
}

/// Turns the `error` code of the sign-in redirect into a message.
pub fn login_error_text(lang: Lang, code: &str, retry_minutes: Option<&str>) -> String {
    match code {
        "invalid" => t(lang, "login.error.invalid").into(),
        "missing" => t(lang, "login.error.missing").into(),
        "locked" => {
            let n: u32 = retry_minutes
                .and_then(|m| m.parse().ok())
                .unwrap_or(15)
                .min(60 * 24);
            t(lang, "login.error.locked").replace("{n}", &n.to_string())
        }
        "csrf" => t(lang, "login.error.csrf").into(),
        "directory" => t(lang, "login.error.directory").into(),
        _ => t(lang, "login.error.other").into(),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    view! {
            {
                match page_context() {
                    PageContext { user: Some(_), .. } => view! { <Redirect path="/"/> }.into_any(),
                    PageContext { user: None, csrf, lang } => {
                        let error = move || {
                            let q = query.read();
                            q.get("error")
                                .map(|code| login_error_text(lang, &code, q.get("retry").as_deref()))
                        };
                        view! {
                            <crate::SafeTitle text=page_title(lang, "login.title")/>
                            <div class="login">
                                <form method="post" action="/auth/login" class="card">
                                    <h1>{t(lang, "login.title")}</h1>
                                    {move || error().map(|message| view! { <ErrorBox message/> })}
                                    <input type="hidden" name="csrf" value=csrf/>
                                    <input type="hidden" name="next" value=next/>
                                    <label for="username">{t(lang, "login.username")}</label>
                                    <input
                                        id="username"
                                        name="username"
                                        autocomplete="username"
                                        required
                                        autofocus
                                        maxlength="256"
                                    />
                                    <label for="password">{t(lang, "login.password")}</label>
                                    <input
                                        id="password"
                                        name="password"
                                        type="password"
                                        autocomplete="current-password"
                                        required
                                        maxlength="1024"
                                    />
                                    <button type="submit" class="button primary">
                                        {t(lang, "login.submit")}
                                    </button>
                                </form>
                                <p class="guest">
                                    {t(lang, "login.guest_before")}
                                    <a href="/join">{t(lang, "login.guest_link")}</a>
                                    "."
                                </p>
                            </div>
                        }
                            .into_any()
                    }
                }
            }
    }
}

/// Join a meeting by ID or link; open to guests.
#[component]
pub fn JoinPage() -> impl IntoView {
    let query = use_query_map();
    with_lang(move |lang| {
        let error = move || {
            query
                .read()
                .get("error")
                .map(|_| t(lang, "join.error").to_string())
        };
        view! {
            <crate::SafeTitle text=page_title(lang, "join.title")/>
            <form method="get" action="/join/go" class="card join">
                <h1>{t(lang, "join.title")}</h1>
                {move || error().map(|message| view! { <ErrorBox message/> })}
                <label for="meeting">{t(lang, "join.label")}</label>
                <input id="meeting" name="q" required maxlength="2048" autocomplete="off"/>
                <button type="submit" class="button primary">
                    {t(lang, "join.submit")}
                </button>
            </form>
        }
    })
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    with_lang(|lang| {
        view! {
            <crate::SafeTitle text=page_title(lang, "notfound.title")/>
            <div class="card">
                <h1>{t(lang, "notfound.title")}</h1>
                <a href="/">{t(lang, "nav.home")}</a>
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_errors_have_clear_texts() {
        assert_eq!(
            login_error_text(Lang::En, "invalid", None),
            "Incorrect username or password."
        );
        assert!(login_error_text(Lang::En, "locked", Some("15")).contains("15 minute"));
        assert!(login_error_text(Lang::Fr, "locked", Some("999999999")).contains("1440 minute"));
        assert!(login_error_text(Lang::En, "whatever", None).starts_with("Sign-in failed"));
        assert!(
            login_error_text(Lang::En, "directory", None).contains("directory cannot be reached")
        );
        assert!(login_error_text(Lang::Fr, "directory", None).contains("annuaire"));
        assert_eq!(
            login_error_text(Lang::Fr, "invalid", None),
            "Nom d'utilisateur ou mot de passe incorrect."
        );
    }

    #[test]
    fn encodes_paths() {
        assert_eq!(encode("/a b?c=d&e"), "%2Fa%20b%3Fc%3Dd%26e");
    }
}
