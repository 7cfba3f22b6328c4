//! A meeting's page: General and Dial-in information, Edit and Delete
//! (organizer only; Delete asks for confirmation first, without JavaScript too).

use crate::api::{self, public_message, UNAUTHENTICATED};
use crate::i18n::{l, t, Lang};
use crate::model::MeetingDetails;
use crate::page_context;
use crate::pages::{encode, ErrorBox};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn MeetingPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let meeting = Resource::new(id, api::load_meeting);
    let pc = page_context();
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"…"</p> }>
            {move || {
                // Read here, outside the async block, so a change of tab re-renders.
                let (confirm, error, tab, occ) = {
                    let q = query.read();
                    let occ = OccurrenceQuery {
                        original: q.get("occurrence").unwrap_or_default(),
                        confirm_cancel: q.get("confirm").as_deref() == Some("cancel"),
                        moving: q.get("move").is_some(),
                        date: q.get("date"),
                        from: q.get("from"),
                        to: q.get("to"),
                        name: q.get("name"),
                        done: ["cancelled", "moved"].into_iter().find(|k| q.get(k).is_some()),
                    };
                    (q.get("confirm").as_deref() == Some("delete"), q.get("error"), q.get("tab").unwrap_or_default(), occ)
                };
                let (csrf, lang) = (pc.csrf.clone(), pc.lang);
                Suspend::new(async move {
                match meeting.await {
                    Ok(m) => {
                        view! { <Meeting m csrf lang confirm error dial_in=tab == "dial-in" occ/> }.into_any()
                    }
                    Err(e) if public_message(&e) == UNAUTHENTICATED => {
                        let path = format!("/login?next={}", encode(&format!("/meetings/{}", id())));
                        view! { <Redirect path/> }.into_any()
                    }
                    Err(e) => {
                        view! {
                            <div class="card">
                                <ErrorBox message=public_message(&e)/>
                                <a href="/">"Home"</a>
                            </div>
                        }
                            .into_any()
                    }
                }
            })}}
        </Suspense>
    }
}

/// Copies `text` to the clipboard (shown once the page is interactive).
#[component]
fn CopyButton(text: String, label: String, lang: Lang) -> impl IntoView {
    view! {
        <CopyButtonIsland
            text
            label
            copy=t(lang, "copy").to_string()
            copied=t(lang, "copied").to_string()
        />
    }
}

/// The copy button's island: the texts come from the server.
#[island]
fn CopyButtonIsland(text: String, label: String, copy: String, copied: String) -> impl IntoView {
    let done = RwSignal::new(false);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&text);
            done.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <button type="button" class="button small secondary copy" aria-label=label on:click=on_click>
            <span aria-live="polite">{move || if done.get() { copied.clone() } else { copy.clone() }}</span>
        </button>
    }
}

/// A running meeting's space live on the Call Bridge: "Live now · 2
/// participants: Alice, Bob" (home rows and the meeting page).
#[component]
pub fn Live(live: crate::model::LiveView, lang: Lang) -> impl IntoView {
    let n = live.participants;
    let count = format!(
        "{n} {}",
        t(
            lang,
            if n == 1 {
                "meeting.participant"
            } else {
                "meeting.participants"
            }
        )
    );
    let names = (!live.names.is_empty()).then(|| live.names.join(", "));
    view! {
        <p class="live" role="status" data-participants=n.to_string()>
            <span class="badge live-badge">{t(lang, "meeting.live")}</span>
            " "
            <span class="count">{count}</span>
            {names.map(|names| view! { ": " <span class="names">{names}</span> })}
        </p>
    }
}

#[component]
fn Meeting(
    m: MeetingDetails,
    csrf: String,
    lang: Lang,
    confirm: bool,
    error: Option<String>,
    dial_in: bool,
    occ: OccurrenceQuery,
) -> impl IntoView {
    let base = format!("/meetings/{}", m.id);
    let general_tab = base.clone();
    let dial_tab = format!("{base}?tab=dial-in");
    let delete_action = format!("{base}/delete");
    let edit_action = format!("{base}/edit");
    let confirm_link = format!("{base}?confirm=delete");
    let MeetingDetails {
        name,
        when,
        time_zone,
        repeat,
        space_name,
        organizer,
        is_organizer,
        now,
        dial_in: access,
        attendees,
        deliveries,
        occurrences,
        meeting_time_zone,
        live,
        ..
    } = m;
    let occurrences_view = (!occurrences.is_empty()).then(|| {
        view! {
            <Occurrences
                occurrences
                meeting_time_zone
                base=base.clone()
                csrf=csrf.clone()
                lang
                is_organizer
                occ
            />
        }
    });
    let title = name.clone();
    view! {
        <crate::SafeTitle text=format!("{title} · {}", t(lang, "app.name"))/>
        <article class="meeting-page card">
            <h1>
                {name.clone()}
                {now.then(|| view! { " " <span class="badge now">{t(lang, "meeting.now")}</span> })}
            </h1>
            {live.map(|live| view! { <Live live lang/> })}
            {error.map(|message| view! { <ErrorBox message/> })}
            {confirm
                .then(|| {
                    view! {
                        <div class="confirm" role="alertdialog" aria-labelledby="confirm-title">
                            <h2 id="confirm-title">{l(lang, "Delete this meeting?", "Supprimer cette réunion ?")}</h2>
                            <p>{l(lang, "Its space and join links stop working, and the attendees are told.", "Son espace et ses liens ne fonctionneront plus, et les participants seront prévenus.")}</p>
                            <form method="post" action=delete_action.clone()>
                                <input type="hidden" name="csrf" value=csrf.clone()/>
                                <button type="submit" class="button danger">{l(lang, "Delete meeting", "Supprimer la réunion")}</button>
                                " "
                                <a class="button secondary" href=base.clone()>{l(lang, "Keep it", "La conserver")}</a>
                            </form>
                        </div>
                    }
                })}
            <nav class="tabs" aria-label=l(lang, "Meeting sections", "Sections de la réunion")>
                <a href=general_tab aria-current=(!dial_in).then_some("page")>{l(lang, "General", "Général")}</a>
                <a href=dial_tab aria-current=dial_in.then_some("page")>{l(lang, "Dial-in information", "Informations de connexion")}</a>
            </nav>
            {if dial_in {
                view! {
                    <section aria-label=l(lang, "Dial-in information", "Informations de connexion")>
                        {access
                            .into_iter()
                            .map(|a| {
                                view! {
                                    <div class="dial-in" data-role=a.role.clone()>
                                        <h2>{a.role.clone()}</h2>
                                        <dl>
                                            <dt>"URI"</dt>
                                            <dd class="uri">
                                                {a.uri.clone()}
                                                " "
                                                <CopyButton text=a.uri.clone() label=format!("{} URI {}", t(lang, "copy"), a.role) lang/>
                                            </dd>
                                            <dt>{l(lang, "Call ID", "ID d'appel")}</dt>
                                            <dd class="call-id">{a.call_id}</dd>
                                            <dt>{l(lang, "Passcode", "Code d'accès")}</dt>
                                            <dd class="passcode">{if a.passcode.is_empty() { l(lang, "none", "aucun").to_string() } else { a.passcode }}</dd>
                                            <dt>{l(lang, "Web link", "Lien web")}</dt>
                                            <dd class="join-url">
                                                <a href=a.join_url.clone()>{a.join_url.clone()}</a>
                                                " "
                                                <CopyButton text=a.join_url.clone() label=format!("{} {} {}", t(lang, "copy"), l(lang, "web link", "lien web"), a.role) lang/>
                                            </dd>
                                        </dl>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </section>
                }
                    .into_any()
            } else {
                view! {
                    <section aria-label=l(lang, "General", "Général")>
                        <dl class="general">
                            <dt>{l(lang, "When", "Quand")}</dt>
                            <dd class="when">{when}</dd>
                            <dt>{t(lang, "wizard.time_zone")}</dt>
                            <dd>{time_zone}</dd>
                            <dt>{t(lang, "wizard.repeat")}</dt>
                            <dd class="repeat">{repeat}</dd>
                            <dt>{t(lang, "wizard.space")}</dt>
                            <dd class="space">{space_name}</dd>
                            <dt>{t(lang, "wizard.organizer")}</dt>
                            <dd class="organizer">{organizer}</dd>
                        </dl>
                        <h2>{t(lang, "wizard.attendees")}</h2>
                        {if attendees.is_empty() {
                            view! { <p class="empty">{t(lang, "wizard.no_attendees")}</p> }.into_any()
                        } else {
                            view! {
                                <ul class="attendee-list">
                                    {attendees
                                        .into_iter()
                                        .map(|a| view! { <li><span class="email">{a.email}</span> " — " <span class="role">{a.role}</span></li> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }}
                        {occurrences_view}
                        {(is_organizer && !deliveries.is_empty()).then(|| view! { <Deliveries deliveries lang/> })}
                    </section>
                }
                    .into_any()
            }}
            {(is_organizer && !confirm)
                .then(|| {
                    view! {
                        <div class="meeting-actions">
                            <form method="post" action=edit_action>
                                <input type="hidden" name="csrf" value=csrf.clone()/>
                                <button type="submit" class="button secondary">{l(lang, "Edit", "Modifier")}</button>
                            </form>
                            <a class="button danger" href=confirm_link>{l(lang, "Delete", "Supprimer")}</a>
                        </div>
                    }
                })}
            <p><a href="/">{t(lang, "nav.home")}</a></p>
        </article>
    }
}

/// The invitation e-mail to each attendee, for the organizer: the status in
/// words (never colour alone), with when it went or why it did not.
#[component]
fn Deliveries(deliveries: Vec<crate::model::Delivery>, lang: Lang) -> impl IntoView {
    view! {
        <section class="deliveries" aria-labelledby="deliveries-title">
            <h2 id="deliveries-title">{l(lang, "Invitation e-mails", "E-mails d'invitation")}</h2>
            <table class="delivery-list">
                <thead>
                    <tr>
                        <th scope="col">{l(lang, "Attendee", "Participant")}</th>
                        <th scope="col">{l(lang, "Status", "État")}</th>
                        <th scope="col">{l(lang, "Details", "Détails")}</th>
                        <th scope="col">{l(lang, "Answer", "Réponse")}</th>
                    </tr>
                </thead>
                <tbody>
                    {deliveries
                        .into_iter()
                        .map(|d| {
                            view! {
                                <tr class="delivery" data-status=d.status.clone()>
                                    <th scope="row" class="email">{d.email}</th>
                                    <td class="status">{d.status_text}</td>
                                    <td class="detail">{d.detail}</td>
                                    <td class="answer" data-answer=d.answer.clone()>
                                        {d.answer_text}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// What the query string says about one occurrence: a cancellation to
/// confirm, the move form (with what was typed), or a change just made.
#[derive(Clone, Debug, Default)]
pub struct OccurrenceQuery {
    pub original: String,
    pub confirm_cancel: bool,
    pub moving: bool,
    pub date: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub name: Option<String>,
    pub done: Option<&'static str>,
}

/// A repeating meeting's next occurrences; the organizer can cancel or move
/// one, or change it and all that follow.
#[component]
fn Occurrences(
    occurrences: Vec<crate::model::OccurrenceView>,
    meeting_time_zone: String,
    base: String,
    csrf: String,
    lang: Lang,
    is_organizer: bool,
    occ: OccurrenceQuery,
) -> impl IntoView {
    let done = occ.done.map(|d| {
        let text = match d {
            "cancelled" => l(
                lang,
                "The occurrence was cancelled and the attendees are told.",
                "L'occurrence a été annulée et les participants sont prévenus.",
            ),
            _ => l(
                lang,
                "The occurrence was changed and the attendees are told.",
                "L'occurrence a été modifiée et les participants sont prévenus.",
            ),
        };
        view! { <p class="notice" role="status">{text}</p> }
    });
    let rows = occurrences
        .into_iter()
        .map(|o| {
            let selected = o.original == occ.original;
            let confirm_link = format!("{base}?occurrence={}&confirm=cancel", crate::pages::encode(&o.original));
            let move_link = format!("{base}?occurrence={}&move=1", crate::pages::encode(&o.original));
            let confirming = selected && occ.confirm_cancel && is_organizer;
            let moving = selected && occ.moving && is_organizer;
            let label = if o.name.is_empty() { o.when.clone() } else { format!("{} — {}", o.when, o.name) };
            view! {
                <li class="occurrence" data-original=o.original.clone()>
                    <span class="when">{label}</span>
                    {o.now.then(|| view! { " " <span class="badge now">{t(lang, "meeting.now")}</span> })}
                    {o.moved.then(|| view! { " " <span class="badge moved">{l(lang, "changed", "modifiée")}</span> })}
                    {(is_organizer && !confirming && !moving).then(|| view! {
                        <span class="occurrence-actions">
                            " "
                            <a class="button link" href=move_link>{l(lang, "Move", "Déplacer")}</a>
                            " "
                            <a class="button link" href=confirm_link>{l(lang, "Cancel", "Annuler")}</a>
                            {(!o.first).then(|| view! {
                                <form method="post" action=format!("{base}/occurrences/split") class="inline">
                                    <input type="hidden" name="csrf" value=csrf.clone()/>
                                    <input type="hidden" name="original" value=o.original.clone()/>
                                    <button type="submit" class="button link">{l(lang, "Edit this and following", "Modifier celle-ci et les suivantes")}</button>
                                </form>
                            })}
                        </span>
                    })}
                    {confirming.then(|| view! {
                        <div class="confirm" role="alertdialog" aria-labelledby="confirm-occurrence-title">
                            <h3 id="confirm-occurrence-title">{l(lang, "Cancel this occurrence?", "Annuler cette occurrence ?")}</h3>
                            <p>{l(lang, "The other occurrences stay. The attendees are told.", "Les autres occurrences restent. Les participants sont prévenus.")}</p>
                            <form method="post" action=format!("{base}/occurrences/cancel")>
                                <input type="hidden" name="csrf" value=csrf.clone()/>
                                <input type="hidden" name="original" value=o.original.clone()/>
                                <button type="submit" class="button danger">{l(lang, "Cancel occurrence", "Annuler l'occurrence")}</button>
                                " "
                                <a class="button secondary" href=base.clone()>{l(lang, "Keep it", "La conserver")}</a>
                            </form>
                        </div>
                    })}
                    {moving.then(|| {
                        let date = occ.date.clone().unwrap_or(o.date.clone());
                        let from = occ.from.clone().unwrap_or(o.from.clone());
                        let to = occ.to.clone().unwrap_or(o.to.clone());
                        let name = occ.name.clone().unwrap_or(o.name.clone());
                        view! {
                            <form method="post" action=format!("{base}/occurrences/move") class="move-occurrence">
                                <h3>{l(lang, "Move this occurrence", "Déplacer cette occurrence")}</h3>
                                <p class="tz">{l(lang, "Times in ", "Heures en ")} {meeting_time_zone.clone()}</p>
                                <input type="hidden" name="csrf" value=csrf.clone()/>
                                <input type="hidden" name="original" value=o.original.clone()/>
                                <label for="move-date">{t(lang, "wizard.date")}</label>
                                <input id="move-date" name="date" type="date" value=date required/>
                                <label for="move-from">{t(lang, "wizard.from")}</label>
                                <input id="move-from" name="from" type="time" value=from required/>
                                <label for="move-to">{t(lang, "wizard.to")}</label>
                                <input id="move-to" name="to" type="time" value=to required/>
                                <label for="move-name">{l(lang, "Name of this occurrence (optional)", "Nom de cette occurrence (facultatif)")}</label>
                                <input id="move-name" name="name" value=name maxlength="200"/>
                                <button type="submit" class="button primary">{l(lang, "Save occurrence", "Enregistrer l'occurrence")}</button>
                                " "
                                <a class="button secondary" href=base.clone()>{l(lang, "Back", "Retour")}</a>
                            </form>
                        }
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="occurrences" aria-labelledby="occurrences-title">
            <h2 id="occurrences-title">{l(lang, "Next occurrences", "Prochaines occurrences")}</h2>
            {done}
            <ul class="occurrence-list">{rows}</ul>
        </section>
    }
}
