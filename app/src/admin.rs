//! The administrators' page: what `scheduler status` says, every C2W link to
//! a web bridge, and the e-mail outbox.

use crate::api::{self, public_message, UNAUTHENTICATED};
use crate::i18n::{l, Lang};
use crate::model::{AdminData, BridgeRow, QueuedMail};
use crate::page_context;
use crate::pages::{encode, ErrorBox};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
pub fn AdminPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| api::load_admin());
    let lang = page_context().lang;
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Admin data lang/> }.into_any(),
                    Err(e) if public_message(&e) == UNAUTHENTICATED => {
                        let path = format!("/login?next={}", encode("/admin"));
                        view! { <Redirect path/> }.into_any()
                    }
                    Err(e) => view! { <ErrorBox message=public_message(&e)/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Admin(data: AdminData, lang: Lang) -> impl IntoView {
    let title = l(lang, "Administration", "Administration");
    view! {
        <Title text=format!("{title} · {}", crate::i18n::t(lang, "app.name"))/>
        <div class="admin">
            <h1>{title}</h1>
            <p class="tz">{l(lang, "Times in ", "Heures en ")} {data.time_zone.clone()}</p>
            <section class="panel" aria-labelledby="status-title">
                <h2 id="status-title">{l(lang, "Service status", "État du service")}</h2>
                <pre class="status-lines">{data.status.join("\n")}</pre>
            </section>
            <Bridges bridges=data.bridges lang/>
            <MailQueue
                pending=data.mail_pending
                sent=data.mail_sent
                failed=data.mail_failed
                mail=data.mail
                lang
            />
        </div>
    }
}

#[component]
fn Bridges(bridges: Vec<BridgeRow>, lang: Lang) -> impl IntoView {
    let up = bridges.iter().filter(|b| b.up).count();
    let total = bridges.len();
    view! {
        <section class="panel" aria-labelledby="bridges-title">
            <h2 id="bridges-title">{l(lang, "Web bridges (C2W)", "Web bridges (C2W)")}</h2>
            {if bridges.is_empty() {
                view! {
                    <p class="empty">
                        {l(
                            lang,
                            "The C2W links are not running: the scheduler is disabled, or C2W certificates or trust are not configured.",
                            "Les liens C2W ne tournent pas : le planificateur est désactivé, ou les certificats ou la confiance C2W ne sont pas configurés.",
                        )}
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <p class="summary">
                        {format!("{up} / {total} ")}
                        {l(lang, "UP", "connectés (UP)")}
                    </p>
                    <table class="bridge-list">
                        <thead>
                            <tr>
                                <th scope="col">{l(lang, "Web bridge", "Web bridge")}</th>
                                <th scope="col">{l(lang, "State", "État")}</th>
                                <th scope="col">{l(lang, "Since", "Depuis")}</th>
                                <th scope="col">"GUID"</th>
                                <th scope="col">{l(lang, "Connections", "Connexions")}</th>
                                <th scope="col">{l(lang, "Last error", "Dernière erreur")}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {bridges
                                .into_iter()
                                .map(|b| {
                                    let state = if b.up { "UP" } else { "DOWN" };
                                    view! {
                                        <tr class="bridge" data-state=state>
                                            <th scope="row" class="address">{b.address}</th>
                                            <td class="state">{state}</td>
                                            <td class="since">{b.since}</td>
                                            <td class="guid">{b.guid}</td>
                                            <td class="connections">{b.connections}</td>
                                            <td class="error">{b.last_error}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn MailQueue(
    pending: i64,
    sent: i64,
    failed: i64,
    mail: Vec<QueuedMail>,
    lang: Lang,
) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="mail-title">
            <h2 id="mail-title">{l(lang, "E-mail outbox", "File d'envoi des e-mails")}</h2>
            <dl class="mail-counts">
                <dt>{l(lang, "Waiting", "En attente")}</dt>
                <dd class="pending">{pending}</dd>
                <dt>{l(lang, "Sent", "Envoyés")}</dt>
                <dd class="sent">{sent}</dd>
                <dt>{l(lang, "Failed", "Échecs")}</dt>
                <dd class="failed">{failed}</dd>
            </dl>
            {if mail.is_empty() {
                view! { <p class="empty">{l(lang, "No e-mail yet.", "Aucun e-mail pour l'instant.")}</p> }
                    .into_any()
            } else {
                view! {
                    <table class="mail-list">
                        <thead>
                            <tr>
                                <th scope="col">{l(lang, "Queued", "Mis en file")}</th>
                                <th scope="col">{l(lang, "Recipient", "Destinataire")}</th>
                                <th scope="col">{l(lang, "Meeting", "Réunion")}</th>
                                <th scope="col">{l(lang, "Status", "État")}</th>
                                <th scope="col">{l(lang, "Details", "Détails")}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {mail
                                .into_iter()
                                .map(|m| {
                                    view! {
                                        <tr class="mail" data-status=m.delivery.status.clone()>
                                            <td class="queued">{m.queued}</td>
                                            <th scope="row" class="email">{m.delivery.email}</th>
                                            <td class="meeting">{m.meeting}</td>
                                            <td class="status">{m.delivery.status_text}</td>
                                            <td class="detail">{m.delivery.detail}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}
