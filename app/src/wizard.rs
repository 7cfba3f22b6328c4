//! Schedule a meeting: the three-step wizard ("Step N of 3").
//!
//! Every step is a plain form posted to `/schedule`; the server keeps the
//! draft, validates the step and says which page comes next. With JavaScript
//! the post happens in the background (see `enhance`) and the Time step keeps
//! Date, From, To and Duration consistent while the person types. The page is
//! the server's; three islands hydrate in the browser: the form itself
//! ([`WizardForm`]), the choice of space ([`SpaceMode`]) and the Time step's
//! fields ([`TimeFields`]).

use crate::api::{self, public_message, UNAUTHENTICATED};
use crate::enhance::{form_query, post_form, scripted, Posted};
use crate::i18n::{t, Lang};
use crate::model::{Draft, WizardPage};
use crate::page_context;
use crate::pages::{encode, ErrorBox};
use crate::timeform::{fmt_duration, fmt_hm, Span};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SchedulePage() -> impl IntoView {
    let query = use_query_map();
    let key = move || {
        let q = query.read();
        (q.get("draft"), q.get("rev"))
    };
    let page = Resource::new(key, |(draft, _)| api::load_wizard(draft));
    let pc = page_context();
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"…"</p> }>
            {move || {
                let (csrf, lang) = (pc.csrf.clone(), pc.lang);
                Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <Wizard page csrf lang/> }.into_any(),
                    Err(e) if public_message(&e) == UNAUTHENTICATED => {
                        let path = format!("/login?next={}", encode("/schedule"));
                        view! { <Redirect path/> }.into_any()
                    }
                    Err(e) => {
                        view! { <ErrorBox message=public_message(&e)/> }.into_any()
                    }
                }
            })}}
        </Suspense>
    }
}

fn field_error(d: &Draft, field: &'static str) -> impl IntoView {
    d.error_for(field).map(|message| {
        view! {
            <p class="field-error" id=format!("{field}-error")>
                {message}
            </p>
        }
    })
}

fn invalid(d: &Draft, field: &str) -> Option<&'static str> {
    d.error_for(field).map(|_| "true")
}

fn described(d: &Draft, field: &str) -> Option<String> {
    d.error_for(field).map(|_| format!("{field}-error"))
}

#[component]
fn Wizard(page: WizardPage, csrf: String, lang: Lang) -> impl IntoView {
    let d = page.draft.clone();
    let step = d.step.clamp(1, 3);
    let editing = d.meeting_id.is_some();
    let title = if editing {
        t(lang, "wizard.edit_title")
    } else {
        t(lang, "wizard.title")
    };
    let steps = [
        t(lang, "wizard.step.general"),
        t(lang, "wizard.step.time"),
        t(lang, "wizard.step.attendees"),
    ];
    let form_error = d.error_for("form");
    let body = match step {
        1 => view! { <StepGeneral page=page.clone() lang/> }.into_any(),
        2 => view! { <StepTime page=page.clone() lang/> }.into_any(),
        _ => view! { <StepAttendees page=page.clone() lang/> }.into_any(),
    };
    let last = if editing {
        t(lang, "wizard.save")
    } else {
        t(lang, "wizard.create")
    };
    view! {
        <crate::SafeTitle text=format!("{title} · {}", t(lang, "app.name"))/>
        <div class="wizard card">
            <h1>{title}</h1>
            <p class="step-count" aria-live="polite">
                {t(lang, "wizard.step_of").replace("{n}", &step.to_string())} " — " {steps[usize::from(step) - 1]}
            </p>
            <ol class="progress" aria-label=t(lang, "wizard.progress")>
                {steps
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let n = i as u8 + 1;
                        let class = if n < step { "done" } else if n == step { "current" } else { "todo" };
                        view! {
                            <li class=class aria-current=(n == step).then_some("step")>
                                <span class="num" aria-hidden="true">{n}</span>
                                <span class="label">{*name}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            {form_error.map(|message| view! { <ErrorBox message/> })}
            {page.notice.clone().map(|message| view! { <p class="notice" role="status">{message}</p> })}
            <WizardForm>
                <input type="hidden" name="csrf" value=csrf/>
                <input type="hidden" name="draft" value=d.id.clone()/>
                <input type="hidden" name="step" value=step.to_string()/>
                {body}
                <div class="wizard-nav">
                    {if step < 3 {
                        view! {
                            <button type="submit" name="action" value="next" class="button primary">
                                {t(lang, "wizard.next")}
                            </button>
                        }
                            .into_any()
                    } else {
                        view! {
                            <button type="submit" name="action" value="create" class="button primary">
                                {last}
                            </button>
                        }
                            .into_any()
                    }}
                    {(step > 1)
                        .then(|| {
                            view! {
                                <button type="submit" name="action" value="back" class="button secondary">
                                    {t(lang, "wizard.back")}
                                </button>
                            }
                        })}
                    <button type="submit" name="action" value="cancel" class="button secondary">
                        {t(lang, "wizard.cancel")}
                    </button>
                </div>
            </WizardForm>
        </div>
    }
}

/// The wizard's `<form>` (its fields are the server's `children`): with
/// JavaScript a step posts in the background, and the page the server
/// chose (the next step, or the home page) replaces this one without a
/// full reload; a failure to post shows above the form.
#[island]
fn WizardForm(children: Children) -> impl IntoView {
    let busy = RwSignal::new(false);
    let post_error = RwSignal::new(None::<String>);
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        post_error.set(None);
        leptos::task::spawn_local(async move {
            match post_form(ev).await {
                Posted::Location(l) => crate::enhance::visit(&l).await,
                Posted::Failed(message) => post_error.set(Some(message)),
            }
            busy.set(false);
        });
    };
    view! {
        {move || post_error.get().map(|message| view! { <ErrorBox message/> })}
        <form method="post" action="/schedule" novalidate on:submit=on_submit aria-busy=move || busy.get().to_string()>
            {children()}
        </form>
    }
}

#[component]
fn StepGeneral(page: WizardPage, lang: Lang) -> impl IntoView {
    let d = page.draft.clone();
    let existing = d.space_mode == "existing";
    // Nothing on the Call Bridge for this person (e.g. a directory person
    // with no Call Bridge user yet): say so instead of empty lists. Not
    // when the Call Bridge did not answer: then nobody knows (the notice
    // says it cannot be reached).
    let nothing = page.notice.is_none() && page.templates.is_empty() && page.spaces.is_empty();
    let space_list = view! {
        <label for="space_id">{t(lang, "wizard.space.which")}</label>
        <select id="space_id" name="space_id" aria-invalid=invalid(&d, "space_id") aria-describedby=described(&d, "space_id")>
            <option value="" selected=d.space_id.is_empty()>{t(lang, "wizard.space.none")}</option>
            {page
                .spaces
                .iter()
                .map(|s| {
                    view! {
                        <option value=s.id.clone() selected=s.id == d.space_id>
                            {format!("{} ({})", s.name, s.uri)}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    };
    view! {
        {nothing.then(|| view! { <p class="notice" role="status">{t(lang, "wizard.no_video_spaces")}</p> })}
        <label for="name">{t(lang, "wizard.name")}</label>
        <input
            id="name"
            name="name"
            value=d.name.clone()
            maxlength="200"
            autocomplete="off"
            aria-required="true"
            aria-invalid=invalid(&d, "name")
            aria-describedby=described(&d, "name")
        />
        {field_error(&d, "name")}
        <fieldset>
            <legend>{t(lang, "wizard.space")}</legend>
            <SpaceMode existing lang>{space_list}</SpaceMode>
            {field_error(&d, "space_id")}
        </fieldset>
        <label for="template_id">{t(lang, "wizard.template")}</label>
        <select id="template_id" name="template_id" aria-invalid=invalid(&d, "template_id") aria-describedby=described(&d, "template_id")>
            {page
                .templates
                .iter()
                .map(|tp| {
                    let label = if tp.description.is_empty() {
                        tp.name.clone()
                    } else {
                        format!("{} — {}", tp.name, tp.description)
                    };
                    view! {
                        <option value=tp.id.clone() selected=tp.id == d.template_id>
                            {label}
                        </option>
                    }
                })
                .collect_view()}
        </select>
        {field_error(&d, "template_id")}
    }
}

/// A new space or an existing one; the list of spaces (the server's
/// `children`) shows, with JavaScript, only for an existing one.
#[island]
fn SpaceMode(existing: bool, lang: Lang, children: Children) -> impl IntoView {
    // With JavaScript only what applies is shown; without, everything is.
    let js = scripted();
    let mode = RwSignal::new(if existing { "existing" } else { "new" });
    let hide_spaces = move || js.get() && mode.get() != "existing";
    view! {
        <label class="choice">
            <input type="radio" name="space_mode" value="new" checked=!existing on:change=move |_| mode.set("new")/>
            {t(lang, "wizard.space.new")}
        </label>
        <label class="choice">
            <input type="radio" name="space_mode" value="existing" checked=existing on:change=move |_| mode.set("existing")/>
            {t(lang, "wizard.space.existing")}
        </label>
        <div class="space-choice" hidden=hide_spaces>
            {children()}
        </div>
    }
}

/// The Time step: the time zone list (long, and not interactive) is the
/// server's; the rest is the [`TimeFields`] island.
#[component]
fn StepTime(page: WizardPage, lang: Lang) -> impl IntoView {
    let d = page.draft.clone();
    let zones = page
        .time_zones
        .iter()
        .map(|z| view! { <option value=z.clone() selected=*z == d.time_zone>{z.clone()}</option> })
        .collect_view();
    view! {
        <TimeFields d=d.clone() first_meeting=page.first_meeting.clone() lang>
            <label for="time_zone">{t(lang, "wizard.time_zone")}</label>
            <select id="time_zone" name="time_zone">{zones}</select>
        </TimeFields>
    }
}

/// Date, From, To and Duration kept consistent while the person types; with
/// JavaScript only the repetition fields that apply are shown, and the
/// first meeting follows the fields (asked of the server). `children` is the
/// time zone field.
#[island]
fn TimeFields(
    d: Draft,
    first_meeting: Option<String>,
    lang: Lang,
    children: Children,
) -> impl IntoView {
    let initial = Span::parse(&d.from, &d.duration).unwrap_or(Span {
        from: 9 * 60,
        duration: 60,
    });
    let from = RwSignal::new(fmt_hm(initial.from));
    let span = RwSignal::new(initial);
    let to_text = RwSignal::new(fmt_hm(initial.to()));
    let dur_text = RwSignal::new(fmt_duration(initial.duration));
    let live_error = RwSignal::new(None::<&'static str>);
    let apply =
        move |r: Result<Span, crate::timeform::SpanError>, keep_to: bool, keep_dur: bool| match r {
            Ok(s) => {
                span.set(s);
                live_error.set(None);
                if !keep_to {
                    to_text.set(fmt_hm(s.to()));
                }
                if !keep_dur {
                    dur_text.set(fmt_duration(s.duration));
                }
            }
            Err(e) => live_error.set(Some(e.message())),
        };
    let next_day = move || {
        span.get()
            .ends_next_day()
            .then(|| t(lang, "wizard.next_day"))
    };
    let repeat_options = [
        ("none", "wizard.repeat.none"),
        ("yearly", "wizard.repeat.yearly"),
        ("monthly", "wizard.repeat.monthly"),
        ("weekly", "wizard.repeat.weekly"),
        ("daily", "wizard.repeat.daily"),
    ];
    let end = if d.repeat_end.is_empty() {
        "never".to_string()
    } else {
        d.repeat_end.clone()
    };
    // With JavaScript only what applies to the chosen repetition is shown
    // and the first meeting follows the fields; without, everything is
    // shown and the server says the first meeting once the step is posted.
    let js = scripted();
    let repeat = RwSignal::new(d.repeat.clone());
    let end_choice = RwSignal::new(end.clone());
    let interval = RwSignal::new(if d.repeat_interval.trim().is_empty() {
        "1".to_string()
    } else {
        d.repeat_interval.clone()
    });
    let first = RwSignal::new(first_meeting);
    let asked = StoredValue::new(0u32);
    let refresh_first = move |ev: leptos::ev::Event| {
        let Some(form) = form_query(&ev) else {
            return;
        };
        let n = asked.get_value() + 1;
        asked.set_value(n);
        leptos::task::spawn_local(async move {
            let answer = api::first_meeting(form).await;
            // Only the latest question's answer counts.
            if asked.get_value() == n {
                first.set(answer.ok().flatten());
            }
        });
    };
    let shows = move |what: &'static str| {
        move || {
            if !js.get() {
                return false;
            }
            let r = repeat.get();
            match what {
                "repeating" => r == "none" || r.is_empty(),
                "weekly" => r != "weekly",
                "monthly" => r != "monthly",
                "count" => r == "none" || r.is_empty() || end_choice.get() != "count",
                "until" => r == "none" || r.is_empty() || end_choice.get() != "until",
                _ => false,
            }
        }
    };
    let unit = move || {
        if !js.get() {
            return t(lang, "wizard.repeat.every_unit");
        }
        let one = interval.get().trim() == "1";
        let key = match (repeat.get().as_str(), one) {
            ("daily", true) => "wizard.unit.day",
            ("daily", false) => "wizard.unit.days",
            ("weekly", true) => "wizard.unit.week",
            ("weekly", false) => "wizard.unit.weeks",
            ("monthly", true) => "wizard.unit.month",
            ("monthly", false) => "wizard.unit.months",
            (_, true) => "wizard.unit.year",
            (_, false) => "wizard.unit.years",
        };
        t(lang, key)
    };
    view! {
        <div class="step-time" on:change=refresh_first>
        <label for="date">{t(lang, "wizard.date")}</label>
        <input
            id="date"
            name="date"
            type="date"
            value=d.date.clone()
            aria-invalid=invalid(&d, "date")
            aria-describedby=described(&d, "date")
        />
        {field_error(&d, "date")}
        <div class="time-row">
            <div>
                <label for="from">{t(lang, "wizard.from")}</label>
                <input
                    id="from"
                    name="from"
                    type="time"
                    value=fmt_hm(initial.from)
                    prop:value=from
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        from.set(v.clone());
                        apply(span.get_untracked().with_from(&v), false, true);
                    }
                    aria-invalid=invalid(&d, "from")
                    aria-describedby=described(&d, "from")
                />
            </div>
            <div>
                <label for="to">{t(lang, "wizard.to")}</label>
                <input
                    id="to"
                    name="to"
                    type="time"
                    value=fmt_hm(initial.to())
                    prop:value=to_text
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        to_text.set(v.clone());
                        apply(span.get_untracked().with_to(&v), true, false);
                    }
                    aria-invalid=invalid(&d, "to")
                    aria-describedby=described(&d, "to")
                />
                <span class="hint">{next_day}</span>
            </div>
            <div>
                <label for="duration">{t(lang, "wizard.duration")}</label>
                <input
                    id="duration"
                    name="duration"
                    value=fmt_duration(initial.duration)
                    prop:value=dur_text
                    inputmode="numeric"
                    size="5"
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        dur_text.set(v.clone());
                        apply(span.get_untracked().with_duration(&v), false, true);
                    }
                    aria-invalid=invalid(&d, "duration")
                    aria-describedby=described(&d, "duration")
                />
            </div>
        </div>
        <input type="hidden" name="prev_to" value=fmt_hm(initial.to()) prop:value=to_text/>
        <input type="hidden" name="prev_duration" value=fmt_duration(initial.duration) prop:value=dur_text/>
        {field_error(&d, "from")}
        {field_error(&d, "to")}
        {field_error(&d, "duration")}
        {move || live_error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
        {children()}
        <label for="repeat">{t(lang, "wizard.repeat")}</label>
        <select id="repeat" name="repeat" on:change=move |ev| repeat.set(event_target_value(&ev))>
            {repeat_options
                .iter()
                .map(|(v, k)| view! { <option value=*v selected=d.repeat == *v>{t(lang, k)}</option> })
                .collect_view()}
        </select>
        <div class="repeat-every" hidden=shows("repeating")>
        <label for="repeat_interval">{t(lang, "wizard.repeat.every")}</label>
        <div class="inline-field">
            <input id="repeat_interval" name="repeat_interval" inputmode="numeric" size="4"
                value=if d.repeat_interval.is_empty() { "1".to_string() } else { d.repeat_interval.clone() }
                on:input=move |ev| interval.set(event_target_value(&ev))
                aria-invalid=invalid(&d, "repeat_interval") aria-describedby=described(&d, "repeat_interval")/>
            <span class="hint repeat-unit">{unit}</span>
        </div>
        {field_error(&d, "repeat_interval")}
        </div>
        <fieldset class="weekdays" hidden=shows("weekly")>
            <legend>{t(lang, "wizard.repeat.days")}</legend>
            {["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
                .into_iter()
                .map(|code| {
                    let checked = d.repeat_days.iter().any(|c| c == code);
                    view! {
                        <label class="choice">
                            <input type="checkbox" name=format!("repeat_day_{code}") value="on" checked=checked/>
                            {t(lang, &format!("day.{code}"))}
                        </label>
                    }
                })
                .collect_view()}
            {field_error(&d, "repeat_days")}
        </fieldset>
        <fieldset class="monthly" hidden=shows("monthly")>
            <legend>{t(lang, "wizard.repeat.monthly_by")}</legend>
            {[
                ("day", "wizard.repeat.monthly_day"),
                ("weekday", "wizard.repeat.monthly_weekday"),
                ("last", "wizard.repeat.monthly_last"),
            ]
                .into_iter()
                .map(|(value, key)| {
                    let checked = d.repeat_monthly == value || (value == "day" && d.repeat_monthly.is_empty());
                    view! {
                        <label class="choice">
                            <input type="radio" name="repeat_monthly" value=value checked=checked/>
                            {t(lang, key)}
                        </label>
                    }
                })
                .collect_view()}
            {field_error(&d, "repeat_monthly")}
        </fieldset>
        <fieldset class="repeat-end" hidden=shows("repeating")>
            <legend>{t(lang, "wizard.repeat.end")}</legend>
            <label class="choice">
                <input type="radio" name="repeat_end" value="never" checked=end == "never"
                    on:change=move |_| end_choice.set("never".into())/>
                {t(lang, "wizard.repeat.never")}
            </label>
            <label class="choice">
                <input type="radio" name="repeat_end" value="count" checked=end == "count"
                    on:change=move |_| end_choice.set("count".into())/>
                {t(lang, "wizard.repeat.after")}
            </label>
            <div class="end-count" hidden=shows("count")>
            <label for="repeat_count">{t(lang, "wizard.repeat.count")}</label>
            <input id="repeat_count" name="repeat_count" inputmode="numeric" size="4" value=d.repeat_count.clone()
                aria-invalid=invalid(&d, "repeat_count") aria-describedby=described(&d, "repeat_count")/>
            {field_error(&d, "repeat_count")}
            </div>
            <label class="choice">
                <input type="radio" name="repeat_end" value="until" checked=end == "until"
                    on:change=move |_| end_choice.set("until".into())/>
                {t(lang, "wizard.repeat.on")}
            </label>
            <div class="end-until" hidden=shows("until")>
            <label for="repeat_until">{t(lang, "wizard.repeat.until")}</label>
            <input id="repeat_until" name="repeat_until" type="date" value=d.repeat_until.clone()
                aria-invalid=invalid(&d, "repeat_until") aria-describedby=described(&d, "repeat_until")/>
            {field_error(&d, "repeat_until")}
            </div>
        </fieldset>
        <p class="first-meeting" aria-live="polite">
            {move || first.get().map(|day| view! { <strong>{t(lang, "wizard.first_meeting")}</strong> " " {day} })}
        </p>
        </div>
    }
}

#[component]
fn StepAttendees(page: WizardPage, lang: Lang) -> impl IntoView {
    let d = page.draft.clone();
    let roles: Vec<String> = page
        .templates
        .iter()
        .find(|tp| tp.id == d.template_id)
        .map(|tp| tp.roles.clone())
        .unwrap_or_default();
    let attendees = d.attendees.clone();
    let warnings = d.warnings.clone();
    let repeat_text = page.repeat_text.clone();
    let first_meeting = page.first_meeting.clone();
    view! {
        {repeat_text.map(|text| view! {
            <p class="repeat-summary"><strong>{t(lang, "wizard.repeat.summary")}</strong> " " {text}</p>
        })}
        {first_meeting.map(|day| view! {
            <p class="first-meeting"><strong>{t(lang, "wizard.first_meeting")}</strong> " " {day}</p>
        })}
        {(!warnings.is_empty()).then(|| view! {
            <div class="warnings" role="status">
                <p><strong>{t(lang, "wizard.conflicts")}</strong></p>
                <ul>{warnings.into_iter().map(|w| view! { <li class="conflict">{w}</li> }).collect_view()}</ul>
            </div>
        })}
        <p class="organizer">{t(lang, "wizard.organizer")} " " <strong>{t(lang, "wizard.you")}</strong></p>
        <fieldset class="add-attendee">
            <legend>{t(lang, "wizard.add_attendee")}</legend>
            <div class="attendee-row">
                <div>
                    <label for="new_email">{t(lang, "wizard.email")}</label>
                    <input id="new_email" name="new_email" type="email" autocomplete="off" maxlength="254"
                        value=d.new_email.clone()
                        aria-invalid=invalid(&d, "new_email") aria-describedby=described(&d, "new_email")/>
                </div>
                <div>
                    <label for="new_role">{t(lang, "wizard.role")}</label>
                    <select id="new_role" name="new_role">
                        {roles
                            .iter()
                            .map(|r| view! { <option value=r.clone() selected=*r == d.new_role>{r.clone()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit" name="action" value="add" class="button secondary">
                    {t(lang, "wizard.add")}
                </button>
            </div>
            {field_error(&d, "new_email")}
        </fieldset>
        {if attendees.is_empty() {
            view! { <p class="empty">{t(lang, "wizard.no_attendees")}</p> }.into_any()
        } else {
            view! {
                <table class="attendees">
                    <caption class="visually-hidden">{t(lang, "wizard.attendees")}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{t(lang, "wizard.email")}</th>
                            <th scope="col">{t(lang, "wizard.role")}</th>
                            <th scope="col"><span class="visually-hidden">{t(lang, "wizard.actions")}</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {attendees
                            .into_iter()
                            .enumerate()
                            .map(|(i, a)| {
                                let label = format!("{} {}", t(lang, "wizard.remove"), a.email);
                                view! {
                                    <tr>
                                        <td class="email">{a.email}</td>
                                        <td class="role">{a.role}</td>
                                        <td>
                                            <button type="submit" name="action" value=format!("remove:{i}") class="button small secondary" aria-label=label>
                                                {t(lang, "wizard.remove")}
                                            </button>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
                .into_any()
        }}
    }
}
