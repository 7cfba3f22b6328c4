//! One attendee's e-mail status in words ("Sent", "Waiting to retry"...),
//! for the organizer's meeting page and the administrators' outbox list.

use super::DeliveryRow;
use crate::clock::from_millis;
use app::i18n::Lang;
use chrono_tz::Tz;

/// One attendee's e-mail status, in words.
pub fn delivery(
    email: String,
    row: Option<DeliveryRow>,
    tz: Tz,
    lang: Lang,
) -> app::model::Delivery {
    let en = lang == Lang::En;
    let at = |ms: i64| {
        from_millis(ms)
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let Some(r) = row else {
        return app::model::Delivery {
            email,
            status: "none".into(),
            status_text: if en { "Not sent" } else { "Non envoyé" }.into(),
            detail: String::new(),
            answer: "none".into(),
            answer_text: String::new(),
        };
    };
    let what = match (r.kind.as_str(), en) {
        ("cancel", true) => "Cancellation",
        ("cancel", false) => "Annulation",
        ("update", true) => "Update",
        ("update", false) => "Mise à jour",
        (_, true) => "Invitation",
        (_, false) => "Invitation",
    };
    let error = r.last_error.clone().unwrap_or_default();
    let (status_text, detail) = match (r.status.as_str(), en) {
        ("sent", true) => (
            "Sent".to_string(),
            format!("{what} sent {}", r.sent_at.map(at).unwrap_or_default()),
        ),
        ("sent", false) => (
            "Envoyé".to_string(),
            format!(
                "{what} envoyée le {}",
                r.sent_at.map(at).unwrap_or_default()
            ),
        ),
        ("failed", true) => (
            "Failed".to_string(),
            format!(
                "{what} not delivered after {} attempt(s): {error}",
                r.attempts
            ),
        ),
        ("failed", false) => (
            "Échec".to_string(),
            format!(
                "{what} non remise après {} tentative(s) : {error}",
                r.attempts
            ),
        ),
        (_, true) if r.attempts > 0 => (
            "Waiting to retry".to_string(),
            format!(
                "{what}: attempt {} failed ({error}); next try {}",
                r.attempts,
                at(r.next_attempt_at)
            ),
        ),
        (_, false) if r.attempts > 0 => (
            "Nouvelle tentative prévue".to_string(),
            format!(
                "{what} : la tentative {} a échoué ({error}) ; prochain essai {}",
                r.attempts,
                at(r.next_attempt_at)
            ),
        ),
        (_, true) => ("Waiting to be sent".to_string(), what.to_string()),
        (_, false) => ("En attente d'envoi".to_string(), what.to_string()),
    };
    app::model::Delivery {
        email,
        status: r.status,
        status_text,
        detail,
        answer: "none".into(),
        answer_text: String::new(),
    }
}
