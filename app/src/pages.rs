//! The pages of the web app.

use crate::api::{self, public_message, UNAUTHENTICATED};
use crate::model::{HomeData, MeetingDay, MeetingRow, PageContext, SpaceView};
use crate::PageCtx;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Redirect, hooks::use_query_map};

fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}

#[component]
fn ErrorBox(message: String) -> impl IntoView {
    view! { <p class="error-box" role="alert">{message}</p> }
}

/// The top bar: product name, and the signed-in user with Sign out.
#[component]
pub fn Header() -> impl IntoView {
    let ctx = expect_context::<PageCtx>();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Meeting Scheduler"</a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match ctx.await {
                        Ok(PageContext { user: Some(user), csrf }) => {
                            view! {
                                <div class="account">
                                    <span class="who">{user.display_name}</span>
                                    <form method="post" action="/auth/logout">
                                        <input type="hidden" name="csrf" value=csrf/>
                                        <button type="submit" class="button link">"Sign out"</button>
                                    </form>
                                </div>
                            }
                                .into_any()
                        }
                        _ => view! { <a class="button link" href="/login">"Sign in"</a> }.into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}

/// Sends a guest to the sign-in page, coming back to `next` afterwards.
#[component]
fn SignInFirst(next: &'static str) -> impl IntoView {
    let path = format!("/login?next={next}");
    view! { <Redirect path=path/> }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| api::load_home());
    view! {
        <Title text="Home · Meeting Scheduler"/>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(data) => view! { <Home data/> }.into_any(),
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
fn Home(data: HomeData) -> impl IntoView {
    let HomeData {
        display_name,
        last_login,
        time_zone,
        days,
        has_more,
        spaces,
    } = data;
    let meetings = if days.is_empty() {
        view! {
            <p class="empty">
                "You have no upcoming meetings. Select Schedule meeting to book one."
            </p>
        }
        .into_any()
    } else {
        view! {
            <div class="days">{days.into_iter().map(|day| view! { <Day day/> }).collect_view()}</div>
            {has_more.then(|| view! { <a class="see-more" href="/meetings">"See more"</a> })}
        }
            .into_any()
    };
    let spaces = if spaces.is_empty() {
        view! { <p class="empty">"You have no spaces yet. A space is created when you schedule a meeting."</p> }
            .into_any()
    } else {
        view! {
            <ul class="spaces">{spaces.into_iter().map(|s| view! { <Space space=s/> }).collect_view()}</ul>
        }
            .into_any()
    };
    view! {
        <div class="home">
            <div class="home-head">
                <div>
                    <h1>{format!("{display_name}'s Home")}</h1>
                    <p class="last-login">{last_login}</p>
                </div>
                <div class="home-actions">
                    <a class="button secondary" href="/join">"Join a meeting"</a>
                    <a class="button primary" href="/schedule">"Schedule meeting"</a>
                </div>
            </div>
            <section class="panel" aria-labelledby="meetings-heading">
                <h2 id="meetings-heading">"My scheduled meetings"</h2>
                <p class="tz">"Times in " {time_zone}</p>
                {meetings}
            </section>
            <section class="panel" aria-labelledby="spaces-heading">
                <h2 id="spaces-heading">"My spaces"</h2>
                {spaces}
            </section>
        </div>
    }
}

#[component]
fn Day(day: MeetingDay) -> impl IntoView {
    view! {
        <section class="day">
            <h3>{day.label}</h3>
            <ul class="meetings">
                {day.meetings.into_iter().map(|m| view! { <Meeting meeting=m/> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Meeting(meeting: MeetingRow) -> impl IntoView {
    let MeetingRow {
        id,
        time_range,
        name,
        now,
        space,
        organized_by,
        join_url,
    } = meeting;
    view! {
        <li class="meeting" data-meeting-id=id>
            <span class="time">{time_range}</span>
            <span class="name">{name}</span>
            {now.then(|| view! { <span class="badge now">"Now"</span> })}
            <span class="space">"Space: " {space}</span>
            <span class="organizer">"Organized by: " {organized_by}</span>
            {join_url.map(|url| view! { <a class="button small" href=url>"Join"</a> })}
        </li>
    }
}

#[component]
fn Space(space: SpaceView) -> impl IntoView {
    view! {
        <li class="space-row">
            <span class="name">{space.name}</span>
            <span class="uri">{space.uri}</span>
            {space.join_url.map(|url| view! { <a class="button small" href=url>"Join"</a> })}
        </li>
    }
}

/// Turns the `error` code of the sign-in redirect into a message.
pub fn login_error_text(code: &str, retry_minutes: Option<&str>) -> String {
    match code {
        "invalid" => "Incorrect username or password.".into(),
        "missing" => "Enter your username and password.".into(),
        "locked" => format!(
            "Too many failed sign-in attempts. Try again in {} minute(s).",
            retry_minutes.unwrap_or("a few")
        ),
        "csrf" => "Your sign-in form expired. Please try again.".into(),
        _ => "Sign-in failed. Please try again.".into(),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let ctx = expect_context::<PageCtx>();
    let query = use_query_map();
    let error = move || {
        let q = query.read();
        q.get("error")
            .map(|code| login_error_text(&code, q.get("retry").as_deref()))
    };
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    view! {
        <Title text="Sign in · Meeting Scheduler"/>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match ctx.await {
                    Ok(PageContext { user: Some(_), .. }) => view! { <Redirect path="/"/> }.into_any(),
                    Ok(PageContext { user: None, csrf }) => {
                        view! {
                            <div class="login">
                                <form method="post" action="/auth/login" class="card">
                                    <h1>"Sign in"</h1>
                                    {move || error().map(|message| view! { <ErrorBox message/> })}
                                    <input type="hidden" name="csrf" value=csrf/>
                                    <input type="hidden" name="next" value=next/>
                                    <label for="username">"Username"</label>
                                    <input
                                        id="username"
                                        name="username"
                                        autocomplete="username"
                                        required
                                        autofocus
                                        maxlength="256"
                                    />
                                    <label for="password">"Password"</label>
                                    <input
                                        id="password"
                                        name="password"
                                        type="password"
                                        autocomplete="current-password"
                                        required
                                        maxlength="1024"
                                    />
                                    <button type="submit" class="button primary">"Sign in"</button>
                                </form>
                                <p class="guest">
                                    "No account? You can still "
                                    <a href="/join">"join a meeting"</a>
                                    "."
                                </p>
                            </div>
                        }
                            .into_any()
                    }
                    Err(e) => view! { <ErrorBox message=public_message(&e)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Join a meeting by ID or link; open to guests.
#[component]
pub fn JoinPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || {
        query.read().get("error").map(|_| {
            "Enter a meeting ID (digits only) or a meeting link from your invitation.".to_string()
        })
    };
    view! {
        <Title text="Join a meeting · Meeting Scheduler"/>
        <form method="get" action="/join/go" class="card join">
            <h1>"Join a meeting"</h1>
            {move || error().map(|message| view! { <ErrorBox message/> })}
            <label for="meeting">"Meeting ID or link"</label>
            <input id="meeting" name="q" required maxlength="2048" autocomplete="off"/>
            <button type="submit" class="button primary">"Join"</button>
        </form>
    }
}

/// Scheduling requires sign-in; the wizard itself arrives with the Call Bridge.
#[component]
pub fn SchedulePage() -> impl IntoView {
    let ctx = expect_context::<PageCtx>();
    view! {
        <Title text="Schedule a meeting · Meeting Scheduler"/>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match ctx.await {
                    Ok(PageContext { user: Some(_), .. }) => {
                        view! {
                            <div class="card">
                                <h1>"Schedule a meeting"</h1>
                                <p>
                                    "Scheduling is not available on this server yet: it needs a connected Call Bridge."
                                </p>
                                <a class="button secondary" href="/">"Back to Home"</a>
                            </div>
                        }
                            .into_any()
                    }
                    Ok(_) => view! { <SignInFirst next="/schedule"/> }.into_any(),
                    Err(e) => view! { <ErrorBox message=public_message(&e)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found · Meeting Scheduler"/>
        <div class="card">
            <h1>"Page not found"</h1>
            <a href="/">"Go to Home"</a>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::login_error_text;

    #[test]
    fn login_errors_have_clear_texts() {
        assert_eq!(
            login_error_text("invalid", None),
            "Incorrect username or password."
        );
        assert!(login_error_text("locked", Some("15")).contains("15 minute"));
        assert!(login_error_text("whatever", None).starts_with("Sign-in failed"));
    }
}
