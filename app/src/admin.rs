//! The administrators' page: what `scheduler status` says, every C2W link to
//! a web bridge, and the e-mail outbox.

use crate::api::{self, public_message, UNAUTHENTICATED};
use crate::i18n::{l, Lang};
use crate::model::{AdminData, BridgeRow, QueuedMail};
use crate::page_context;
use crate::pages::{encode, ErrorBox};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| api::load_admin());
    let pc = page_context();
    let query = use_query_map();
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"…"</p> }>
            {move || {
                let lang = pc.lang;
                let csrf = pc.csrf.clone();
                let cleanup = {
                    let q = query.read();
                    match q.get("cleanup").as_deref() {
                        Some("done") => Some(CleanupResult::Done {
                            examined: q.get("examined").unwrap_or_default(),
                            deleted: q.get("deleted").unwrap_or_default(),
                            failed: q.get("failed").unwrap_or_default(),
                            kept: q.get("kept").unwrap_or_default(),
                        }),
                        Some("busy") => Some(CleanupResult::Busy),
                        _ => None,
                    }
                };
                Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Admin data lang csrf cleanup/> }.into_any(),
                    Err(e) if public_message(&e) == UNAUTHENTICATED => {
                        let path = format!("/login?next={}", encode("/admin"));
                        view! { <Redirect path/> }.into_any()
                    }
                    Err(e) => view! { <ErrorBox message=public_message(&e)/> }.into_any(),
                }
            })}}
        </Suspense>
    }
}

/// What the last on-demand cleanup did (from the query string).
#[derive(Clone, Debug)]
enum CleanupResult {
    Done {
        examined: String,
        deleted: String,
        failed: String,
        kept: String,
    },
    Busy,
}

#[component]
fn Admin(
    data: AdminData,
    lang: Lang,
    csrf: String,
    cleanup: Option<CleanupResult>,
) -> impl IntoView {
    let cleanup_text = cleanup.map(|c| match c {
        CleanupResult::Done { examined, deleted, failed, kept } => match lang {
            Lang::En => format!("Cleanup done: {examined} temporary spaces examined, {deleted} deleted, {failed} failed (tried again next run), {kept} kept."),
            Lang::Fr => format!("Nettoyage terminé : {examined} espaces temporaires examinés, {deleted} supprimés, {failed} en échec (réessayés au prochain passage), {kept} conservés."),
        },
        CleanupResult::Busy => l(
            lang,
            "Another scheduler node is running the cleanup right now; nothing was done here.",
            "Un autre nœud du planificateur fait le nettoyage en ce moment ; rien n'a été fait ici.",
        )
        .to_string(),
    });
    let title = l(lang, "Administration", "Administration");
    view! {
        <crate::SafeTitle text=format!("{title} · {}", crate::i18n::t(lang, "app.name"))/>
        <div class="admin">
            <h1>{title}</h1>
            <p class="tz">{l(lang, "Times in ", "Heures en ")} {data.time_zone.clone()}</p>
            <section class="panel" aria-labelledby="status-title">
                <h2 id="status-title">{l(lang, "Service status", "État du service")}</h2>
                <pre class="status-lines">{data.status.join("\n")}</pre>
            </section>
            <section class="panel" aria-labelledby="cleanup-title">
                <h2 id="cleanup-title">{l(lang, "Temporary spaces", "Espaces temporaires")}</h2>
                <p>
                    {l(
                        lang,
                        "Every day at 01:15 GMT the scheduler deletes the temporary spaces of meetings that ended 24 hours or more before. You can run it now.",
                        "Chaque jour à 01:15 GMT, le planificateur supprime les espaces temporaires des réunions terminées depuis 24 heures ou plus. Vous pouvez le lancer maintenant.",
                    )}
                </p>
                {cleanup_text.map(|text| view! { <p class="notice" role="status">{text}</p> })}
                <form method="post" action="/admin/cleanup">
                    <input type="hidden" name="csrf" value=csrf/>
                    <button type="submit" class="button secondary">
                        {l(lang, "Run the cleanup now", "Lancer le nettoyage maintenant")}
                    </button>
                </form>
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
