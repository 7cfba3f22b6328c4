//! GET /answer/{token} and POST /answer: an attendee answers an invitation
//! from its Accept / Tentative / Decline links, without signing in. The GET
//! only shows a one-button confirmation (mail scanners open links: a GET
//! records nothing); the POST records the answer once and offers fresh
//! links to change it. A link that is not valid, whatever the reason, gets
//! one and the same page.

use super::middleware::request_lang;
use super::plain::{page, style, PageStyle};
use super::AppState;
use crate::error::{escape, internal_page};
use crate::mail::answers::Answer;
use crate::meetings::answers::AnswerRequest;
use app::api::ssr::RequestAuth;
use app::i18n::{l, Lang};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    token: String,
}

/// The one page for every link that cannot be used: it says nothing of why.
fn unusable(style: &PageStyle) -> Response {
    let lang = style.lang;
    page(
        StatusCode::NOT_FOUND,
        style,
        l(lang, "This link cannot be used", "Ce lien ne peut pas être utilisé"),
        &format!(
            "<p class=\"answer-refused\">{}</p>",
            escape(l(
                lang,
                "It may have been used already, or the invitation may have changed. Use the links of the newest invitation you received, or answer from your calendar.",
                "Il a peut-être déjà servi, ou l'invitation a changé. Utilisez les liens de la dernière invitation reçue, ou répondez depuis votre agenda.",
            ))
        ),
    )
}

fn about(r: &AnswerRequest, lang: Lang) -> String {
    let current = r.current.map(|a| {
        format!(
            "<p class=\"current-answer\" data-answer=\"{}\">{} {}</p>",
            a.word(),
            escape(l(lang, "Your answer so far:", "Votre réponse jusqu'ici :")),
            escape(a.done(lang))
        )
    });
    format!(
        "<p class=\"answer-meeting\"><strong>{}</strong><br>{} {}</p>{}",
        escape(&r.meeting_name),
        escape(l(lang, "Organized by", "Organisée par")),
        escape(&r.organizer_name),
        current.unwrap_or_default()
    )
}

/// GET /answer/{token}: the confirmation form (records nothing).
pub async fn show(
    State(st): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let request = match st.meetings.answer_request(&token).await {
        Ok(Some(r)) => r,
        Ok(None) => return unusable(&style(&st, request_lang(&headers))),
        Err(e) => return internal_page(e),
    };
    let lang = request.token.lang;
    let answer = request.token.answer;
    let title = match answer {
        Answer::Accepted => l(
            lang,
            "Accept this invitation?",
            "Accepter cette invitation ?",
        ),
        Answer::Tentative => l(lang, "Answer tentatively?", "Répondre peut-être ?"),
        Answer::Declined => l(
            lang,
            "Decline this invitation?",
            "Refuser cette invitation ?",
        ),
    };
    let body = format!(
        "{about}<form method=\"post\" action=\"/answer\" class=\"answer-form\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <button type=\"submit\" class=\"button primary\" data-answer=\"{word}\">{verb}</button></form>",
        about = about(&request, lang),
        csrf = escape(&auth.csrf),
        token = escape(&token),
        word = answer.word(),
        verb = escape(answer.verb(lang)),
    );
    page(StatusCode::OK, &style(&st, lang), title, &body)
}

/// POST /answer: records the answer (once) and offers the other two.
pub async fn record(
    State(st): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<AnswerForm>,
) -> Response {
    let recorded = match st.meetings.record_answer(&form.token).await {
        Ok(Some(r)) => r,
        Ok(None) => return unusable(&style(&st, request_lang(&headers))),
        Err(e) => return internal_page(e),
    };
    let t = &recorded.request.token;
    let lang = t.lang;
    let links: Vec<String> = recorded
        .change
        .iter()
        .map(|c| {
            format!(
                "<a class=\"button secondary\" href=\"{}\" data-answer=\"{}\">{}</a>",
                escape(&c.url),
                c.answer.word(),
                escape(c.answer.verb(lang))
            )
        })
        .collect();
    let body = format!(
        "<p class=\"answer-meeting\"><strong>{name}</strong></p>\
         <p class=\"answer-recorded\" role=\"status\" data-answer=\"{word}\">{said} {done}</p>\
         <p>{change}</p><p class=\"answer-change\">{links}</p>",
        name = escape(&recorded.request.meeting_name),
        word = t.answer.word(),
        said = escape(l(lang, "Your answer:", "Votre réponse :")),
        done = escape(t.answer.done(lang)),
        change = escape(l(
            lang,
            "The organizer sees it. Changed your mind?",
            "L'organisateur la voit. Vous changez d'avis ?"
        )),
        links = links.join(" "),
    );
    page(
        StatusCode::OK,
        &style(&st, lang),
        l(lang, "Thank you", "Merci"),
        &body,
    )
}
