//! A meeting's page: General and Dial-in information, Edit and Delete
//! (organizer only; Delete asks for confirmation first, without JavaScript too).

use crate::api::{self, public_message, UNAUTHENTICATED};
use crate::i18n::{l, t, Lang};
use crate::model::MeetingDetails;
use crate::page_context;
use crate::pages::{encode, ErrorBox};
use leptos::prelude::*;
use leptos_meta::Title;
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
                let (confirm, error, tab) = {
                    let q = query.read();
                    (q.get("confirm").as_deref() == Some("delete"), q.get("error"), q.get("tab").unwrap_or_default())
                };
                let (csrf, lang) = (pc.csrf.clone(), pc.lang);
                Suspend::new(async move {
                match meeting.await {
                    Ok(m) => {
                        view! { <Meeting m csrf lang confirm error dial_in=tab == "dial-in"/> }.into_any()
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
    let copied = RwSignal::new(false);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&text);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <button type="button" class="button small secondary copy" aria-label=label on:click=on_click>
            <span aria-live="polite">{move || if copied.get() { t(lang, "copied") } else { t(lang, "copy") }}</span>
        </button>
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
        ..
    } = m;
    let title = name.clone();
    view! {
        <Title text=format!("{title} · {}", t(lang, "app.name"))/>
        <article class="meeting-page card">
            <h1>
                {name.clone()}
                {now.then(|| view! { " " <span class="badge now">{t(lang, "meeting.now")}</span> })}
            </h1>
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
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
