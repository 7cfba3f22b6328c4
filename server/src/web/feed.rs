//! The calendar feed: GET /feed/{token}.ics serves a person's meetings as
//! text/calendar (ETag and If-None-Match: 304), for Outlook, Google
//! Calendar and Apple Calendar to subscribe to; GET /calendar-feed is the
//! person's page about it and POST /calendar-feed makes a new address (the
//! old one stops working) and shows it, once, with a `webcal://` link.

use super::middleware::signed_in_user;
use super::plain::{page, style};
use super::AppState;
use crate::error::{escape, internal_page};
use crate::meetings::feed::{SUFFIX, WINDOW_AHEAD_DAYS, WINDOW_BACK_DAYS};
use app::api::ssr::RequestAuth;
use app::i18n::{l, Lang};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

/// Does an If-None-Match header name `etag` (or `*`)?
pub fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// GET /feed/{token}.ics
pub async fn serve(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "No such calendar.").into_response();
    let Some(token) = file.strip_suffix(SUFFIX) else {
        return not_found();
    };
    let feed = match st.meetings.feed(token).await {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let etag = HeaderValue::from_str(&feed.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let cache = HeaderValue::from_static("private, no-cache");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches_etag(v, &feed.etag));
    if fresh {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("inline; filename=\"meetings.ics\""),
            ),
        ],
        feed.body,
    )
        .into_response()
}

fn explain(lang: Lang) -> String {
    let text = match lang {
        Lang::En => format!(
            "Subscribe to your private address in Outlook, Google Calendar or Apple Calendar to see the meetings you organize or are invited to, from {WINDOW_BACK_DAYS} days back to two years ahead ({WINDOW_AHEAD_DAYS} days). Anyone with the address can read them: keep it to yourself."
        ),
        Lang::Fr => format!(
            "Abonnez votre agenda Outlook, Google Agenda ou Apple Calendrier à votre adresse privée pour voir les réunions que vous organisez ou auxquelles vous êtes invité(e), de {WINDOW_BACK_DAYS} jours en arrière à deux ans en avant ({WINDOW_AHEAD_DAYS} jours). Toute personne qui a l'adresse peut les lire : gardez-la pour vous."
        ),
    };
    format!("<p>{}</p>", escape(&text))
}

fn renew_form(auth: &RequestAuth, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/calendar-feed\" class=\"feed-renew\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\" class=\"button primary\">{}</button></form>",
        escape(&auth.csrf),
        escape(label)
    )
}

fn back(lang: Lang) -> String {
    format!(
        "<p><a href=\"/\">{}</a></p>",
        escape(app::i18n::t(lang, "nav.home"))
    )
}

/// GET /calendar-feed
pub async fn page_get(
    State(st): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> Response {
    let lang = auth.lang;
    let user = match signed_in_user(&st, &auth, Some("/calendar-feed")).await {
        Ok(u) => u,
        Err(resp) => return resp,
    };
    let created = match st.meetings.feed_created(&user).await {
        Ok(c) => c,
        Err(e) => return internal_page(e),
    };
    let state = match created {
        Some(ms) => {
            let tz: chrono_tz::Tz = user.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
            let when = crate::clock::from_millis(ms)
                .with_timezone(&tz)
                .format("%Y-%m-%d %H:%M");
            let text = match lang {
                Lang::En => format!("You made your address on {when}. It is shown only when it is made: to see it again, make a new one (the old one then stops working, so subscribe again with the new one)."),
                Lang::Fr => format!("Vous avez créé votre adresse le {when}. Elle n'est montrée qu'à sa création : pour la revoir, créez-en une nouvelle (l'ancienne cesse alors de fonctionner : réabonnez-vous avec la nouvelle)."),
            };
            format!(
                "<p class=\"feed-state\" data-feed=\"yes\">{}</p>{}",
                escape(&text),
                renew_form(
                    &auth,
                    l(lang, "Make a new address", "Créer une nouvelle adresse")
                )
            )
        }
        None => format!(
            "<p class=\"feed-state\" data-feed=\"no\">{}</p>{}",
            escape(l(
                lang,
                "You have no calendar address yet.",
                "Vous n'avez pas encore d'adresse d'agenda."
            )),
            renew_form(&auth, l(lang, "Make my address", "Créer mon adresse"))
        ),
    };
    page(
        StatusCode::OK,
        &style(&st, lang),
        l(lang, "Calendar feed", "Flux d'agenda"),
        &format!("{}{state}{}", explain(lang), back(lang)),
    )
}

/// The `webcal://` form of an http(s) address.
pub fn webcal(url: &str) -> String {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    format!("webcal://{rest}")
}

/// POST /calendar-feed: a new address, shown once.
pub async fn page_renew(
    State(st): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
) -> Response {
    let lang = auth.lang;
    let user = match signed_in_user(&st, &auth, Some("/calendar-feed")).await {
        Ok(u) => u,
        Err(resp) => return resp,
    };
    let token = match st.meetings.renew_feed(&user).await {
        Ok(t) => t,
        Err(e) => return internal_page(e),
    };
    let url = format!("{}/feed/{token}{SUFFIX}", st.meetings.mail.public_url());
    let body = format!(
        "{explain}<p role=\"status\">{made}</p>\
         <p><label for=\"feed-url\">{label}</label><br>\
         <input id=\"feed-url\" class=\"feed-url\" type=\"text\" readonly value=\"{url}\" size=\"60\"></p>\
         <p><a class=\"button primary webcal\" href=\"{webcal}\">{subscribe}</a></p>\
         <p class=\"feed-help\">{help}</p>{back}",
        explain = explain(lang),
        made = escape(l(
            lang,
            "Your new address is ready. Copy it now: it is not shown again. Any older address no longer works.",
            "Votre nouvelle adresse est prête. Copiez-la maintenant : elle ne sera plus montrée. Toute adresse précédente ne fonctionne plus.",
        )),
        label = escape(l(lang, "Your calendar address", "Votre adresse d'agenda")),
        url = escape(&url),
        webcal = escape(&webcal(&url)),
        subscribe = escape(l(lang, "Subscribe in my calendar app", "M'abonner dans mon application d'agenda")),
        help = escape(l(
            lang,
            "Google Calendar: Other calendars, From URL, then paste the address. Outlook: Add calendar, Subscribe from web.",
            "Google Agenda : Autres agendas, À partir de l'URL, puis collez l'adresse. Outlook : Ajouter un calendrier, S'abonner à partir du web.",
        )),
        back = back(lang),
    );
    page(
        StatusCode::OK,
        &style(&st, lang),
        l(lang, "Calendar feed", "Flux d'agenda"),
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_and_webcal() {
        assert!(matches_etag("\"abc\"", "\"abc\""));
        assert!(matches_etag("\"x\", W/\"abc\"", "\"abc\""));
        assert!(matches_etag("*", "\"abc\""));
        assert!(!matches_etag("\"abd\"", "\"abc\""));
        assert!(!matches_etag("", "\"abc\""));
        assert_eq!(
            webcal("https://s.example.com/feed/t.ics"),
            "webcal://s.example.com/feed/t.ics"
        );
        assert_eq!(
            webcal("http://127.0.0.1:3000/feed/t.ics"),
            "webcal://127.0.0.1:3000/feed/t.ics"
        );
    }
}
