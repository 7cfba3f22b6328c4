//! Renders one invitation, update or cancellation for one attendee, as the
//! CMS Scheduler and Google Calendar send them: multipart/mixed holding a
//! multipart/alternative (plain text, HTML, `text/calendar; method=...`)
//! and the same calendar attached as `invite.ics`.

use super::answers::AnswerLink;
use super::ics::{self, Method, Person};
use crate::address::valid_email;
use app::i18n::Lang;
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

/// What is being announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Invite,
    Update,
    Cancel,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Invite => "invite",
            Kind::Update => "update",
            Kind::Cancel => "cancel",
        }
    }
}

/// How one role joins: the stored `space_access` row.
pub use crate::db::access::AccessRow as Access;

/// One person a mail goes to, and the role they join with.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Recipient {
    pub email: String,
    pub role: String,
}

/// A snapshot of a meeting, enough to write to its attendees.
#[derive(Debug, Clone)]
pub struct MeetingMail {
    pub meeting_id: String,
    pub name: String,
    pub tz: Tz,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub rrule: Option<String>,
    pub sequence: i64,
    pub organizer: Person,
    /// In the meeting's order.
    pub attendees: Vec<Recipient>,
    pub access: Vec<Access>,
    /// Cancelled occurrences (original local starts in `tz`): EXDATE.
    pub exdates: Vec<NaiveDateTime>,
    /// Moved or renamed occurrences, by original local start.
    pub overrides: Vec<OccurrenceMail>,
    /// Set when the mail is about this one occurrence (its original local
    /// start) rather than the whole series.
    pub instance: Option<NaiveDateTime>,
}

/// An edited occurrence of a series, as the mails announce it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccurrenceMail {
    pub original: NaiveDateTime,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub name: Option<String>,
}

impl MeetingMail {
    /// The times and name of the occurrence this mail is about (or of the
    /// first occurrence for a whole-series mail).
    fn subject_occurrence(&self) -> (DateTime<Utc>, DateTime<Utc>, String) {
        let Some(original) = self.instance else {
            return (self.start, self.end, self.name.clone());
        };
        if let Some(o) = self.overrides.iter().find(|o| o.original == original) {
            return (
                o.start,
                o.end,
                o.name.clone().unwrap_or_else(|| self.name.clone()),
            );
        }
        let start = crate::recurrence::resolve_local(self.tz, original);
        (start, start + (self.end - self.start), self.name.clone())
    }
}

/// The From: of every invitation (`scheduler.json`: email.sender / email.organizerName).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub address: String,
    pub name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("invalid e-mail address {0:?}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
}

/// Header text: no control characters (CR/LF cannot start a new header);
/// lettre encodes anything non-ASCII (RFC 2047).
fn header_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn l(lang: Lang, en: &'static str, fr: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Fr => fr,
    }
}

/// The name of the attached calendar.
pub const INVITE_FILE: &str = "invite.ics";

/// The UID of a meeting's calendar entry: stable across updates.
pub fn uid(meeting_id: &str) -> String {
    format!("{meeting_id}@cms-scheduler")
}

fn mailbox(name: Option<&str>, email: &str) -> Result<Mailbox, ComposeError> {
    if !valid_email(email) {
        return Err(ComposeError::Address(email.to_string()));
    }
    let address = email
        .parse()
        .map_err(|_| ComposeError::Address(email.to_string()))?;
    let name = name.map(header_text).filter(|n| !n.is_empty());
    Ok(Mailbox::new(name, address))
}

/// Renders the message for `recipient` (whose role is `role`), without
/// answer links.
pub fn render(
    m: &MeetingMail,
    kind: Kind,
    recipient: &str,
    role: &str,
    lang: Lang,
    sender: &Sender,
    stamp: DateTime<Utc>,
) -> Result<String, ComposeError> {
    render_for(
        m,
        kind,
        &Addressee {
            email: recipient,
            role,
            lang,
            answers: &[],
        },
        sender,
        stamp,
    )
}

/// Who one copy of a mail is for, in which language, with which answer links.
#[derive(Debug, Clone, Copy)]
pub struct Addressee<'a> {
    pub email: &'a str,
    pub role: &'a str,
    pub lang: Lang,
    /// Their Accept / Tentative / Decline links (none in a cancellation).
    pub answers: &'a [AnswerLink],
}

/// Renders the message for one recipient, with their answer links in the
/// text and HTML parts (not in the calendar: clients answer it with their
/// own buttons, by a REPLY to the ORGANIZER).
pub fn render_for(
    m: &MeetingMail,
    kind: Kind,
    to: &Addressee<'_>,
    sender: &Sender,
    stamp: DateTime<Utc>,
) -> Result<String, ComposeError> {
    let (recipient, role, lang) = (to.email, to.role, to.lang);
    let access = m.access.iter().find(|a| a.role == role);
    let (occ_start, occ_end, occ_name) = m.subject_occurrence();
    let name = header_text(&occ_name);
    let subject = match kind {
        Kind::Invite => format!("{}{name}", l(lang, "Invitation: ", "Invitation : ")),
        Kind::Update => format!("{}{name}", l(lang, "Updated: ", "Mise à jour : ")),
        Kind::Cancel => format!("{}{name}", l(lang, "Cancelled: ", "Annulée : ")),
    };
    let local = occ_start.with_timezone(&m.tz).date_naive();
    let when = format!(
        "{}, {}, {} ({})",
        crate::present::weekday_text(local, lang),
        crate::present::date_text(local, lang),
        crate::present::time_range(occ_start, occ_end, m.tz, lang),
        m.tz.name()
    );
    let repeat = if m.instance.is_some() {
        l(lang, "This occurrence only", "Cette occurrence seulement").to_string()
    } else {
        crate::present::repeat_words(
            m.rrule.as_deref(),
            m.tz,
            m.start.with_timezone(&m.tz).naive_local(),
            lang,
        )
    };
    let organizer = m
        .organizer
        .name
        .clone()
        .unwrap_or_else(|| m.organizer.email.clone());
    let intro = match (kind, m.instance.is_some()) {
        (Kind::Update, true) => l(
            lang,
            "One occurrence of this meeting has changed.",
            "Une occurrence de cette réunion a été modifiée.",
        ),
        (Kind::Cancel, true) => l(
            lang,
            "One occurrence of this meeting has been cancelled.",
            "Une occurrence de cette réunion a été annulée.",
        ),
        (Kind::Invite, _) => l(
            lang,
            "You are invited to this meeting.",
            "Vous êtes invité(e) à cette réunion.",
        ),
        (Kind::Update, false) => l(
            lang,
            "This meeting has changed.",
            "Cette réunion a été modifiée.",
        ),
        (Kind::Cancel, false) => l(
            lang,
            "This meeting has been cancelled.",
            "Cette réunion a été annulée.",
        ),
    };
    // (label, value) rows: the meeting, then how this attendee joins.
    let mut rows: Vec<(&str, String)> = vec![
        (l(lang, "Meeting", "Réunion"), occ_name.clone()),
        (l(lang, "When", "Quand"), when),
        (l(lang, "Repeat", "Répétition"), repeat),
        (l(lang, "Organizer", "Organisateur"), organizer.clone()),
    ];
    let mut join_rows: Vec<(&str, String)> = Vec::new();
    if kind != Kind::Cancel {
        join_rows.push((l(lang, "Role", "Rôle"), role.to_string()));
        if let Some(a) = access {
            for (label, v) in [
                (
                    l(lang, "Video address (URI)", "Adresse vidéo (URI)"),
                    &a.uri,
                ),
                (l(lang, "Call ID", "ID d'appel"), &a.call_id),
                (l(lang, "Passcode", "Code secret"), &a.passcode),
                (
                    l(
                        lang,
                        "Join from a browser",
                        "Rejoindre depuis un navigateur",
                    ),
                    &a.join_url,
                ),
            ] {
                if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                    join_rows.push((label, v.to_string()));
                }
            }
        }
    }
    let mut text = format!("{intro}\n\n");
    for (k, v) in &rows {
        text.push_str(&format!("{k}: {}\n", v.replace(['\r', '\n'], " ")));
    }
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>\n<p>{}</p>\n<table>\n",
        lang.code(),
        crate::error::escape(&subject),
        crate::error::escape(intro)
    );
    for (k, v) in &rows {
        html.push_str(&format!(
            "<tr><th scope=\"row\" align=\"left\">{}</th><td>{}</td></tr>\n",
            crate::error::escape(k),
            crate::error::escape(v)
        ));
    }
    html.push_str("</table>\n");
    if kind != Kind::Cancel && !to.answers.is_empty() {
        let ask = l(
            lang,
            "Will you attend? Answer with one of these links:",
            "Serez-vous présent(e) ? Répondez avec l'un de ces liens :",
        );
        text.push_str(&format!("\n{ask}\n"));
        html.push_str(&format!(
            "<p class=\"answers\">{}<br>\n",
            crate::error::escape(ask)
        ));
        let mut anchors = Vec::new();
        for a in to.answers {
            text.push_str(&format!("{}: {}\n", a.answer.verb(lang), a.url));
            anchors.push(format!(
                "<a href=\"{}\" data-answer=\"{}\">{}</a>",
                crate::error::escape(&a.url),
                a.answer.word(),
                crate::error::escape(a.answer.verb(lang))
            ));
        }
        html.push_str(&anchors.join(" &middot; \n"));
        html.push_str("</p>\n");
    }
    if !join_rows.is_empty() {
        let heading = l(lang, "How to join", "Comment rejoindre");
        text.push_str(&format!("\n{heading}\n"));
        html.push_str(&format!(
            "<h2>{}</h2>\n<table>\n",
            crate::error::escape(heading)
        ));
        for (k, v) in &join_rows {
            text.push_str(&format!("{k}: {v}\n"));
            let value = if v.starts_with("https://") {
                format!("<a href=\"{0}\">{0}</a>", crate::error::escape(v))
            } else {
                crate::error::escape(v)
            };
            html.push_str(&format!(
                "<tr><th scope=\"row\" align=\"left\">{}</th><td>{value}</td></tr>\n",
                crate::error::escape(k)
            ));
        }
        html.push_str("</table>\n");
    }
    html.push_str("</body></html>\n");
    rows.clear();

    let location = access
        .filter(|_| kind != Kind::Cancel)
        .and_then(|a| a.join_url.clone().or_else(|| a.uri.clone()))
        .unwrap_or_default();
    let description = if kind == Kind::Cancel {
        intro.to_string()
    } else {
        join_rows
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let method = if kind == Kind::Cancel {
        Method::Cancel
    } else {
        Method::Request
    };
    let sent_by =
        (!sender.address.eq_ignore_ascii_case(&m.organizer.email)).then(|| sender.address.clone());
    // Each copy names its own recipient: attendees do not see each other.
    let attendees = vec![Person {
        name: None,
        email: recipient.to_string(),
    }];
    let base = ics::Event {
        sent_by,
        attendees,
        ..series_event(m, method, stamp, location, description)
    };
    let events: Vec<ics::Event> = match m.instance {
        // One occurrence: a VEVENT with its RECURRENCE-ID only.
        Some(original) => vec![ics::Event {
            start: occ_start,
            end: occ_end,
            summary: occ_name.clone(),
            rrule: None,
            exdates: Vec::new(),
            recurrence_id: Some(original),
            ..base
        }],
        // The series, then each edited occurrence (not in a cancellation
        // of the whole series: that cancels them all).
        None if kind == Kind::Cancel => vec![base],
        None => with_overrides(m, base),
    };
    let calendar = ics::write_all(&events);

    let from = mailbox(
        Some(sender.name.as_deref().unwrap_or(organizer.as_str())),
        &sender.address,
    )?;
    let to = mailbox(None, recipient)?;
    let domain = sender
        .address
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap_or_else(|| "localhost".into());
    let calendar_type = ContentType::parse(&format!(
        "text/calendar; charset=utf-8; method={}",
        method.word()
    ))
    .map_err(|e| ComposeError::Build(e.to_string()))?;
    // The attachment is application/ics, as Google Calendar sends it: a
    // second text/calendar part would be a second invitation to some clients.
    let attachment_type = ContentType::parse("application/ics; name=\"invite.ics\"")
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .date(stamp.into())
        .message_id(Some(format!("<{}@{domain}>", uuid::Uuid::new_v4())))
        .multipart(
            MultiPart::mixed()
                .multipart(
                    MultiPart::alternative()
                        .singlepart(SinglePart::plain(text))
                        .singlepart(SinglePart::html(html))
                        .singlepart(
                            SinglePart::builder()
                                .header(calendar_type)
                                .body(calendar.clone()),
                        ),
                )
                .singlepart(
                    Attachment::new(INVITE_FILE.to_string()).body(calendar, attachment_type),
                ),
        )
        .map_err(|e| ComposeError::Build(e.to_string()))?;
    String::from_utf8(message.formatted()).map_err(|e| ComposeError::Build(e.to_string()))
}

/// A meeting's events as a calendar feed publishes them for one person:
/// the same UID, SEQUENCE, times, RRULE, EXDATE and edited occurrences
/// (RECURRENCE-ID) as its invitations, so a client merges the two; with
/// the person's own way to join (`role`; None for the organizer, who gets
/// every role's) and no ATTENDEE lines (attendees do not see each other).
pub fn feed_events(m: &MeetingMail, role: Option<&str>, stamp: DateTime<Utc>) -> Vec<ics::Event> {
    let mine: Vec<&Access> = m
        .access
        .iter()
        .filter(|a| role.is_none_or(|r| a.role == r))
        .collect();
    let location = mine
        .iter()
        .find_map(|a| a.join_url.clone().or_else(|| a.uri.clone()))
        .unwrap_or_default();
    let description = mine
        .iter()
        .flat_map(|a| {
            [
                ("Role", Some(a.role.clone())),
                ("Video address (URI)", a.uri.clone()),
                ("Call ID", a.call_id.clone()),
                ("Passcode", a.passcode.clone()),
                ("Join from a browser", a.join_url.clone()),
            ]
        })
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| format!("{k}: {v}")))
        .collect::<Vec<_>>()
        .join("\n");
    with_overrides(
        m,
        series_event(m, Method::Publish, stamp, location, description),
    )
}

/// A series event, then one event per moved or renamed occurrence (its
/// RECURRENCE-ID, no rule), the rest as in the series.
fn with_overrides(m: &MeetingMail, base: ics::Event) -> Vec<ics::Event> {
    let mut events = vec![base.clone()];
    if m.rrule.is_some() {
        events.extend(m.overrides.iter().map(|o| ics::Event {
            start: o.start,
            end: o.end,
            summary: o.name.clone().unwrap_or_else(|| m.name.clone()),
            rrule: None,
            exdates: Vec::new(),
            recurrence_id: Some(o.original),
            ..base.clone()
        }));
    }
    events
}

/// The meeting's series as one event: its UID, sequence, times, rule and
/// cancelled dates; no attendees and no SENT-BY (the callers add theirs).
fn series_event(
    m: &MeetingMail,
    method: Method,
    stamp: DateTime<Utc>,
    location: String,
    description: String,
) -> ics::Event {
    ics::Event {
        method,
        uid: uid(&m.meeting_id),
        sequence: m.sequence,
        stamp,
        tz: m.tz,
        start: m.start,
        end: m.end,
        rrule: m.rrule.clone(),
        summary: m.name.clone(),
        location,
        description,
        organizer: m.organizer.clone(),
        sent_by: None,
        attendees: Vec::new(),
        exdates: m.exdates.clone(),
        recurrence_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn meeting() -> MeetingMail {
        MeetingMail {
            meeting_id: "m1".into(),
            name: "Revue\r\nBcc: victim@example.com; été".into(),
            tz: "Europe/Paris".parse().unwrap(),
            start: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
            rrule: Some("FREQ=WEEKLY;COUNT=4".into()),
            sequence: 2,
            organizer: Person {
                name: Some("Alice".into()),
                email: "alice@example.com".into(),
            },
            attendees: vec![Recipient {
                email: "bob@example.com".into(),
                role: "Guest".into(),
            }],
            access: vec![Access {
                role: "Guest".into(),
                uri: Some("rev.guest@example.com".into()),
                call_id: Some("123456".into()),
                passcode: Some("4242".into()),
                join_url: Some("https://wb.example.com/meeting/123456?secret=s".into()),
            }],
            exdates: Vec::new(),
            overrides: Vec::new(),
            instance: None,
        }
    }

    fn sender() -> Sender {
        Sender {
            address: "scheduler@example.com".into(),
            name: Some("Scheduler\r\nX-Evil: 1".into()),
        }
    }

    #[test]
    fn headers_cannot_be_injected() {
        let msg = render(
            &meeting(),
            Kind::Invite,
            "bob@example.com",
            "Guest",
            Lang::En,
            &sender(),
            Utc::now(),
        )
        .unwrap();
        let head = msg.split("\r\n\r\n").next().unwrap();
        assert!(!head.lines().any(|l| l.starts_with("Bcc:")));
        assert!(!head.lines().any(|l| l.starts_with("X-Evil")));
        assert!(head.contains("Subject: "));
        assert!(msg.contains("text/calendar; charset=utf-8; method=REQUEST"));
        assert!(msg.contains("multipart/alternative"));
        assert!(render(
            &meeting(),
            Kind::Invite,
            "bob@example.com\r\nBcc: x@y.z",
            "Guest",
            Lang::En,
            &sender(),
            Utc::now()
        )
        .is_err());
    }

    #[test]
    fn cancellation_in_french() {
        let mut m = meeting();
        m.name = "Point hebdo".into();
        let msg = render(
            &m,
            Kind::Cancel,
            "bob@example.com",
            "Guest",
            Lang::Fr,
            &sender(),
            Utc::now(),
        )
        .unwrap();
        assert!(msg.contains("method=CANCEL"));
        assert!(msg.contains("Subject: =?utf-8?") || msg.contains("Subject: Annul"));
    }

    /// The decoded body of the MIME part whose headers contain `header`
    /// (lettre writes ASCII calendars as 7bit or quoted-printable).
    fn part_after(msg: &str, header: &str) -> String {
        let at = msg
            .find(header)
            .unwrap_or_else(|| panic!("{header} in {msg}"));
        let rest = &msg[at..];
        let (head, body) = rest.split_at(rest.find("\r\n\r\n").unwrap() + 4);
        let body = &body[..body.find("\r\n--").unwrap()];
        if !head.contains("Content-Transfer-Encoding: quoted-printable") {
            return body.to_string();
        }
        let soft = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let bytes = soft.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    /// The answer links go in the text and the HTML, never in the calendar
    /// (clients answer it themselves, to the ORGANIZER), and not in a
    /// cancellation.
    #[test]
    fn answer_links_in_text_and_html_only() {
        let links = vec![
            AnswerLink {
                answer: crate::mail::answers::Answer::Accepted,
                url: "https://s.example.com/answer/AAA.111".into(),
            },
            AnswerLink {
                answer: crate::mail::answers::Answer::Declined,
                url: "https://s.example.com/answer/DDD.222".into(),
            },
        ];
        let to = Addressee {
            email: "bob@example.com",
            role: "Guest",
            lang: Lang::En,
            answers: &links,
        };
        let msg = render_for(&meeting(), Kind::Invite, &to, &sender(), Utc::now()).unwrap();
        let text = part_after(&msg, "Content-Type: text/plain");
        let html = part_after(&msg, "Content-Type: text/html");
        let calendar = part_after(&msg, "method=REQUEST\r\n");
        assert!(
            text.contains("Accept: https://s.example.com/answer/AAA.111"),
            "{text}"
        );
        assert!(
            text.contains("Decline: https://s.example.com/answer/DDD.222"),
            "{text}"
        );
        assert!(html.contains(
            "<a href=\"https://s.example.com/answer/AAA.111\" data-answer=\"accepted\">Accept</a>"
        ));
        assert!(!calendar.contains("/answer/"), "{calendar}");
        assert!(calendar.contains("ORGANIZER;CN=\"Alice\""), "{calendar}");
        let msg = render_for(&meeting(), Kind::Cancel, &to, &sender(), Utc::now()).unwrap();
        assert!(!msg.contains("/answer/"));
    }

    /// The feed's events: the invitation's UID and SEQUENCE, no ATTENDEE,
    /// the person's own way to join.
    #[test]
    fn feed_events_share_the_invitation_uid() {
        let m = meeting();
        let events = feed_events(&m, Some("Guest"), Utc::now());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].uid, uid("m1"));
        assert_eq!(events[0].sequence, 2);
        assert!(events[0].attendees.is_empty());
        assert_eq!(
            events[0].location,
            "https://wb.example.com/meeting/123456?secret=s"
        );
        assert!(feed_events(&m, Some("Host"), Utc::now())[0]
            .location
            .is_empty());
    }

    /// Every kind of mail: multipart/mixed holding the alternative and the
    /// same calendar as invite.ics; METHOD equal in the calendar and the
    /// MIME header; the recipient in To: and asked to answer.
    #[test]
    fn every_kind_of_mail_is_one_calendar_inline_and_attached() {
        let mut base = meeting();
        base.name = "Weekly review".into();
        let original = chrono::NaiveDate::from_ymd_opt(2026, 12, 8)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let one = MeetingMail {
            instance: Some(original),
            ..base.clone()
        };
        for (m, kind, method) in [
            (&base, Kind::Invite, "REQUEST"),
            (&base, Kind::Update, "REQUEST"),
            (&one, Kind::Update, "REQUEST"),
            (&one, Kind::Cancel, "CANCEL"),
            (&base, Kind::Cancel, "CANCEL"),
        ] {
            let msg = render(
                m,
                kind,
                "bob@example.com",
                "Guest",
                Lang::En,
                &sender(),
                Utc::now(),
            )
            .unwrap();
            let head = &msg[..msg.find("\r\n\r\n").unwrap()];
            assert!(head.contains("Content-Type: multipart/mixed;"), "{head}");
            assert!(head.contains("\r\nTo: bob@example.com\r\n"), "{head}");
            let alternative = msg.find("Content-Type: multipart/alternative;").unwrap();
            let inline_at = msg
                .find(&format!(
                    "Content-Type: text/calendar; charset=utf-8; method={method}\r\n"
                ))
                .unwrap_or_else(|| panic!("method={method} in {msg}"));
            let attached_at = msg
                .find("Content-Disposition: attachment; filename=\"invite.ics\"")
                .unwrap();
            assert!(alternative < inline_at && inline_at < attached_at);
            let inline = part_after(&msg, &format!("method={method}\r\n"));
            let attached = part_after(&msg, "filename=\"invite.ics\"");
            assert_eq!(inline, attached);
            assert!(msg.contains("Content-Type: application/ics; name=\"invite.ics\""));
            let calendar = inline.replace("\r\n ", "");
            assert_eq!(
                calendar.matches("METHOD:").collect::<Vec<_>>(),
                ["METHOD:"],
                "{calendar}"
            );
            assert!(
                calendar.contains(&format!("\r\nMETHOD:{method}\r\n")),
                "{calendar}"
            );
            assert!(
                calendar.contains(
                    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.com\r\n"
                ),
                "{calendar}"
            );
            assert!(calendar.contains("ORGANIZER;CN=\"Alice\";SENT-BY=\"mailto:scheduler@example.com\":mailto:alice@example.com\r\n"));
            let busy = if method == "CANCEL" { "FREE" } else { "BUSY" };
            assert!(calendar.contains(&format!("X-MICROSOFT-CDO-BUSYSTATUS:{busy}\r\n")));
            assert_eq!(
                calendar.contains("RECURRENCE-ID;TZID=Europe/Paris:20261208T100000"),
                m.instance.is_some(),
                "{calendar}"
            );
        }
    }
}
