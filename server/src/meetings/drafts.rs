//! The wizard's drafts: a new meeting's or an edited meeting's fields kept
//! server-side between the steps (`meeting_drafts`), the step-by-step post
//! (`wizard_post`, called by `web::wizard` and the hydrated page), the data
//! of the wizard page, and a draft made from a stored meeting to edit it.
//! Create and Save hand over to `create` and `change`.

use super::validate;
use super::{cb_unreachable, Meetings};
use crate::auth::users::UserRecord;
use crate::clock::to_millis;
use crate::error::internal;
use crate::present::{long_day, repeat_words, time_zone_names};
use app::api::ssr::PublicError;
use app::i18n::{t, Lang};
use app::model::{Draft, FieldError, TemplateChoice, WizardPage};
use app::timeform::{fmt_duration, fmt_hm};
use chrono_tz::Tz;
use std::collections::HashMap;

/// Drafts untouched for this long are purged.
pub const DRAFT_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// Where the wizard goes after a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Show the draft (at its current step).
    Draft(String),
    /// Done: go there.
    To(String),
}

impl Meetings {
    /// A fresh draft: next half hour today in the user's zone, one hour.
    pub fn new_draft(&self, user: &UserRecord, templates: &[TemplateChoice]) -> Draft {
        let tz: Tz = user.time_zone.parse().unwrap_or(Tz::UTC);
        let local = self.now().with_timezone(&tz);
        let minutes = (local
            .time()
            .signed_duration_since(chrono::NaiveTime::MIN)
            .num_minutes() as u32
            / 30
            + 1)
            * 30;
        let date = if minutes >= 24 * 60 {
            local.date_naive() + chrono::Duration::days(1)
        } else {
            local.date_naive()
        };
        let roles = templates
            .first()
            .map(|t| t.roles.clone())
            .unwrap_or_default();
        Draft {
            step: 1,
            space_mode: "new".into(),
            template_id: templates.first().map(|t| t.id.clone()).unwrap_or_default(),
            date: date.format("%Y-%m-%d").to_string(),
            from: fmt_hm(minutes % (24 * 60)),
            duration: fmt_duration(60),
            time_zone: tz.name().to_string(),
            repeat: "none".into(),
            repeat_end: "never".into(),
            new_role: roles.first().cloned().unwrap_or_default(),
            ..Draft::default()
        }
    }

    pub async fn load_draft(&self, user_id: &str, id: &str) -> Result<Option<Draft>, sqlx::Error> {
        let data: Option<String> = sqlx::query_scalar(
            "SELECT data FROM meeting_drafts WHERE id = $1 AND user_id = $2 AND updated_at > $3",
        )
        .bind(id)
        .bind(user_id)
        .bind(to_millis(self.now()) - DRAFT_LIFETIME_MS)
        .fetch_optional(&self.db)
        .await?;
        Ok(data.and_then(|data| serde_json::from_str(&data).ok()))
    }

    async fn save_draft(&self, user_id: &str, d: &Draft) -> Result<(), sqlx::Error> {
        let data = serde_json::to_string(d).unwrap_or_default();
        let now = to_millis(self.now());
        sqlx::query(
            "INSERT INTO meeting_drafts (id, user_id, data, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at \
             WHERE meeting_drafts.user_id = excluded.user_id",
        )
        .bind(&d.id)
        .bind(user_id)
        .bind(data)
        .bind(now)
        .execute(&self.db)
        .await?;
        sqlx::query("DELETE FROM meeting_drafts WHERE updated_at <= $1")
            .bind(now - DRAFT_LIFETIME_MS)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    async fn delete_draft(&self, user_id: &str, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM meeting_drafts WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// The wizard page: the draft (a new one, or a stored one at its step),
    /// the user's templates and spaces, and at the last step the repetition
    /// in words.
    pub async fn wizard_page(
        &self,
        user: &UserRecord,
        draft: Option<&str>,
        lang: Lang,
    ) -> Result<WizardPage, PublicError> {
        let (templates, spaces, notice) = match self.choices(user).await {
            Ok(c) => (c.templates, c.spaces, None),
            Err(e) => {
                let public = internal(format!("listing Call Bridge choices: {e}"));
                let id = match public {
                    PublicError::Internal { id } => id,
                    other => other.to_string(),
                };
                let notice = match lang {
                    Lang::En => format!("The Call Bridge cannot be reached, so templates and spaces cannot be listed. Try again in a moment (error id {id})."),
                    Lang::Fr => format!("Le Call Bridge est injoignable : les modèles et espaces ne peuvent pas être listés. Réessayez dans un instant (identifiant d'erreur {id})."),
                };
                (Vec::new(), Vec::new(), Some(notice))
            }
        };
        let mut d = match draft {
            Some(id) => match self.load_draft(&user.id, id).await.map_err(internal)? {
                Some(d) => d,
                None => {
                    let mut d = self.new_draft(user, &templates);
                    d.errors.push(FieldError {
                        field: "form".into(),
                        message: t(lang, "err.draft_gone").into(),
                    });
                    d
                }
            },
            None => self.new_draft(user, &templates),
        };
        d.step = d.step.clamp(1, 3);
        let when = (d.step >= 2)
            .then(|| validate::time(&d, lang, self.now()).ok())
            .flatten();
        let repeat_text = when.as_ref().filter(|_| d.step == 3).and_then(|w| {
            w.rrule
                .as_deref()
                .map(|r| repeat_words(Some(r), w.tz, w.local_start, lang))
        });
        Ok(WizardPage {
            repeat_text,
            first_meeting: when.as_ref().and_then(|w| first_meeting_text(w, lang)),
            draft: d,
            templates,
            spaces,
            time_zones: time_zone_names(),
            notice,
        })
    }

    /// Applies a wizard post: merges the step's fields, runs the button's
    /// action, stores the draft, and says where to go.
    pub async fn wizard_post(
        &self,
        user: &UserRecord,
        form: &HashMap<String, String>,
        lang: Lang,
    ) -> Result<Next, PublicError> {
        let get = |k: &str| form.get(k).cloned().unwrap_or_default();
        let action = get("action");
        let draft_id = get("draft");
        let choices = self.choices(user).await;
        let (templates, spaces) = match &choices {
            Ok(c) => (c.templates.clone(), c.spaces.clone()),
            Err(_) => (Vec::new(), Vec::new()),
        };
        let mut d = if draft_id.is_empty() {
            let mut d = self.new_draft(user, &templates);
            d.id = uuid::Uuid::new_v4().to_string();
            d
        } else {
            match self
                .load_draft(&user.id, &draft_id)
                .await
                .map_err(internal)?
            {
                Some(d) => d,
                None => return Err(PublicError::Invalid(t(lang, "err.draft_gone").into())),
            }
        };
        if action == "cancel" {
            self.delete_draft(&user.id, &d.id).await.map_err(internal)?;
            return Ok(Next::To(match &d.meeting_id {
                Some(id) => format!("/meetings/{id}"),
                None => "/".into(),
            }));
        }
        let posted_step: u8 = get("step").parse().unwrap_or(d.step).clamp(1, 3);
        d.errors.clear();
        d.rev += 1;
        merge(&mut d, posted_step, form);
        let template_ids: Vec<String> = templates.iter().map(|t| t.id.clone()).collect();
        let space_ids: Vec<String> = spaces.iter().map(|s| s.id.clone()).collect();
        let roles: Vec<String> = templates
            .iter()
            .find(|t| t.id == d.template_id)
            .map(|t| t.roles.clone())
            .unwrap_or_default();
        if let Err(e) = &choices {
            let public = internal(format!("listing Call Bridge choices: {e}"));
            d.errors.push(FieldError {
                field: "form".into(),
                message: cb_unreachable(lang, &public),
            });
        }
        let editing = d.meeting_id.is_some();
        match action.as_str() {
            "back" => d.step = posted_step.saturating_sub(1).max(1),
            "next" => {
                let errors = match posted_step {
                    1 if editing => {
                        // The space and template of a meeting stay; only the name is checked.
                        validate::general(&d, lang, &[d.template_id.clone()], &[])
                            .into_iter()
                            .filter(|e| e.field == "name")
                            .collect()
                    }
                    1 => validate::general(&d, lang, &template_ids, &space_ids),
                    2 => match validate::time(&d, lang, self.now()) {
                        Ok(when) => {
                            // Overlaps are warnings for the last step.
                            let space = (d.space_mode == "existing").then_some(d.space_id.as_str());
                            d.warnings = self
                                .conflicts(user, &when, d.meeting_id.as_deref(), space, lang)
                                .await
                                .map_err(internal)?;
                            Vec::new()
                        }
                        Err(e) => e,
                    },
                    _ => Vec::new(),
                };
                if errors.is_empty() && d.errors.is_empty() {
                    d.step = (posted_step + 1).min(3);
                    if d.step == 3 && !roles.contains(&d.new_role) {
                        d.new_role = roles.first().cloned().unwrap_or_default();
                    }
                } else {
                    d.step = posted_step;
                    d.errors.extend(errors);
                }
            }
            "add" => {
                d.step = 3;
                match validate::new_attendee(&d, lang, &roles) {
                    Ok(a) => {
                        d.attendees.push(a);
                        d.new_email.clear();
                    }
                    Err(errors) => d.errors.extend(errors),
                }
            }
            a if a.starts_with("remove:") => {
                d.step = 3;
                if let Ok(i) = a["remove:".len()..].parse::<usize>() {
                    if i < d.attendees.len() {
                        d.attendees.remove(i);
                    }
                }
            }
            "create" => {
                d.step = 3;
                let mut errors = if editing {
                    Vec::new()
                } else {
                    validate::general(&d, lang, &template_ids, &space_ids)
                };
                let when = validate::time(&d, lang, self.now());
                if let Err(e) = &when {
                    errors.extend(e.clone());
                }
                // An address typed but not added yet counts as added.
                if !d.new_email.trim().is_empty() {
                    match validate::new_attendee(&d, lang, &roles) {
                        Ok(a) => {
                            d.attendees.push(a);
                            d.new_email.clear();
                        }
                        Err(e) => errors.extend(e),
                    }
                }
                errors.extend(validate::attendees(&d, lang, &roles));
                if let (true, Ok(when)) = (errors.is_empty() && d.errors.is_empty(), when) {
                    let result = if editing {
                        self.update(user, &d, &when).await
                    } else {
                        self.create(
                            user,
                            &d,
                            &when,
                            choices.as_ref().ok().and_then(|c| c.cb_user_jid.clone()),
                        )
                        .await
                        .map(|c| c.id)
                    };
                    match result {
                        Ok(id) => {
                            self.delete_draft(&user.id, &d.id).await.map_err(internal)?;
                            let flag = if editing { "updated" } else { "created" };
                            return Ok(Next::To(format!("/?{flag}={id}")));
                        }
                        Err(message) => d.errors.push(FieldError {
                            field: "form".into(),
                            message,
                        }),
                    }
                } else {
                    // Go back to the first step with a problem.
                    d.step = errors
                        .iter()
                        .map(|e| match e.field.as_str() {
                            "name" | "space_id" | "template_id" => 1,
                            "new_email" => 3,
                            _ => 2,
                        })
                        .min()
                        .unwrap_or(3);
                    d.errors.extend(errors);
                }
            }
            _ => d.step = posted_step,
        }
        self.save_draft(&user.id, &d).await.map_err(internal)?;
        Ok(Next::Draft(format!(
            "/schedule?draft={}&rev={}",
            d.id, d.rev
        )))
    }

    /// A draft to edit an existing meeting (organizer only).
    pub async fn edit_draft(&self, user: &UserRecord, id: &str) -> Result<String, PublicError> {
        let m = self.details(user, id, Lang::En).await?;
        if !m.is_organizer {
            return Err(PublicError::NotFound);
        }
        #[derive(sqlx::FromRow)]
        struct Stored {
            local_start: String,
            time_zone: String,
            duration_minutes: i64,
            template_id: String,
            rrule: Option<String>,
        }
        let Stored {
            local_start,
            time_zone: tz,
            duration_minutes: duration,
            template_id,
            rrule,
        } = sqlx::query_as(
            "SELECT local_start, time_zone, duration_minutes, COALESCE(template_id, '') AS template_id, rrule \
             FROM meetings WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.db)
        .await
        .map_err(internal)?;
        let (date, from) = local_start.split_once('T').unwrap_or(("", ""));
        let r = draft_repeat(rrule.as_deref(), &tz);
        let d = Draft {
            id: uuid::Uuid::new_v4().to_string(),
            rev: 1,
            step: 1,
            meeting_id: Some(id.to_string()),
            name: m.name,
            space_mode: "new".into(),
            template_id,
            date: date.into(),
            from: from.into(),
            duration: fmt_duration(u32::try_from(duration).unwrap_or(60)),
            time_zone: tz,
            repeat: r.repeat,
            repeat_end: r.end,
            repeat_count: r.count,
            repeat_until: r.until,
            repeat_interval: r.interval,
            repeat_days: r.days,
            repeat_monthly: r.monthly,
            new_role: m
                .attendees
                .first()
                .map(|a| a.role.clone())
                .unwrap_or_default(),
            attendees: m.attendees,
            ..Draft::default()
        };
        self.save_draft(&user.id, &d).await.map_err(internal)?;
        Ok(format!("/schedule?draft={}&rev=1", d.id))
    }
}

/// Copies the fields of `step` from the form into the draft.
impl Meetings {
    /// The wizard's first-meeting line for the time step's fields as the
    /// form would post them (URL-encoded): what [`validate::time`] would
    /// store. None while they are not a valid repeating meeting.
    pub fn first_meeting_line(&self, form: &str, lang: Lang) -> Option<String> {
        let fields: HashMap<String, String> = serde_urlencoded::from_str(form).ok()?;
        let mut d = Draft::default();
        merge(&mut d, 2, &fields);
        if !d.errors.is_empty() {
            return None;
        }
        let when = validate::time(&d, lang, self.now()).ok()?;
        first_meeting_text(&when, lang)
    }
}

/// "Tuesday, Feb 10, 2026" for a repeating meeting (its stored start, the
/// first date the rule produces on or after the chosen one); None for one
/// that does not repeat.
fn first_meeting_text(when: &validate::When, lang: Lang) -> Option<String> {
    when.rrule
        .as_ref()
        .map(|_| long_day(when.local_start.date(), lang))
}

fn merge(d: &mut Draft, step: u8, form: &HashMap<String, String>) {
    let get = |k: &str| {
        form.get(k)
            .map(|v| v.chars().take(2048).collect::<String>())
    };
    match step {
        1 => {
            if let Some(v) = get("name") {
                d.name = v;
            }
            if d.meeting_id.is_none() {
                d.space_mode = if get("space_mode").as_deref() == Some("existing") {
                    "existing"
                } else {
                    "new"
                }
                .into();
                d.space_id = get("space_id").unwrap_or_default();
                if let Some(v) = get("template_id") {
                    d.template_id = v;
                }
            }
        }
        2 => {
            d.date = get("date").unwrap_or_default();
            let (from, to, dur) = (
                get("from").unwrap_or_default(),
                get("to").unwrap_or_default(),
                get("duration").unwrap_or_default(),
            );
            let (prev_to, prev_dur) = (
                get("prev_to").unwrap_or_default(),
                get("prev_duration").unwrap_or_default(),
            );
            d.from = from.clone();
            match app::timeform::Span::from_form(&from, &to, &dur, &prev_to, &prev_dur) {
                Ok(span) => d.duration = fmt_duration(span.duration),
                Err(e) => {
                    d.errors.push(FieldError {
                        field: if e == app::timeform::SpanError::EndNotAfterStart {
                            "to"
                        } else {
                            "from"
                        }
                        .into(),
                        message: e.message().into(),
                    });
                }
            }
            if let Some(v) = get("time_zone") {
                d.time_zone = v;
            }
            d.repeat = get("repeat").unwrap_or_else(|| "none".into());
            d.repeat_end = get("repeat_end").unwrap_or_else(|| "never".into());
            d.repeat_count = get("repeat_count").unwrap_or_default();
            d.repeat_until = get("repeat_until").unwrap_or_default();
            d.repeat_interval = get("repeat_interval").unwrap_or_default();
            d.repeat_monthly = get("repeat_monthly").unwrap_or_default();
            d.repeat_days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
                .into_iter()
                .filter(|c| form.contains_key(&format!("repeat_day_{c}")))
                .map(str::to_string)
                .collect();
        }
        _ => {
            d.new_email = get("new_email").unwrap_or_default();
            if let Some(v) = get("new_role") {
                d.new_role = v;
            }
        }
    }
}

/// A stored rule as the wizard's repeat fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct RepeatFields {
    repeat: String,
    end: String,
    count: String,
    until: String,
    interval: String,
    days: Vec<String>,
    monthly: String,
}

fn draft_repeat(rrule: Option<&str>, tz: &str) -> RepeatFields {
    use crate::recurrence::{End, Frequency, MonthDay, Recurrence, Until};
    let none = RepeatFields {
        repeat: "none".into(),
        end: "never".into(),
        ..RepeatFields::default()
    };
    let Some(rule) = rrule.and_then(|r| Recurrence::from_rrule(r).ok()) else {
        return none;
    };
    let tz: Tz = tz.parse().unwrap_or(Tz::UTC);
    let mut f = RepeatFields {
        interval: if rule.interval > 1 {
            rule.interval.to_string()
        } else {
            String::new()
        },
        ..none
    };
    f.repeat = match &rule.freq {
        Frequency::None => return f,
        Frequency::Daily => "daily".into(),
        Frequency::Weekly { days } => {
            f.days = days
                .iter()
                .map(|w| crate::recurrence::weekday_code(*w).to_string())
                .collect();
            "weekly".into()
        }
        Frequency::Monthly { on } => {
            f.monthly = match on {
                Some(MonthDay::Nth { nth: -1, .. }) => "last".into(),
                Some(MonthDay::Nth { .. }) => "weekday".into(),
                _ => "day".into(),
            };
            "monthly".into()
        }
        Frequency::Yearly { .. } => "yearly".into(),
    };
    match rule.end {
        End::Count(n) => {
            f.end = "count".into();
            f.count = n.to_string();
        }
        End::Until(u) => {
            f.end = "until".into();
            f.until = match u {
                Until::Date(d) => d,
                Until::Utc(t) => t.with_timezone(&tz).date_naive(),
            }
            .format("%Y-%m-%d")
            .to_string();
        }
        End::Never => {}
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_repeat_fields() {
        let r = draft_repeat(Some("FREQ=DAILY;UNTIL=20261231T225959Z"), "Europe/Paris");
        assert_eq!(
            (r.repeat.as_str(), r.end.as_str(), r.until.as_str()),
            ("daily", "until", "2026-12-31")
        );
        let r = draft_repeat(
            Some("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=10"),
            "Europe/Paris",
        );
        assert_eq!(
            r,
            RepeatFields {
                repeat: "weekly".into(),
                end: "count".into(),
                count: "10".into(),
                until: String::new(),
                interval: "2".into(),
                days: vec!["MO".into(), "TH".into()],
                monthly: String::new(),
            }
        );
        let r = draft_repeat(Some("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630"), "UTC");
        assert_eq!(
            (r.repeat.as_str(), r.monthly.as_str(), r.until.as_str()),
            ("monthly", "last", "2027-06-30")
        );
    }
}
