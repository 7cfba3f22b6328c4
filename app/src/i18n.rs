//! English and French texts. The language comes from the `lang` cookie (set
//! by the switcher) or else the browser's Accept-Language.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language's own name, for the switcher.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The best supported language of an Accept-Language header
    /// ("fr-CH, fr;q=0.9, en;q=0.8"); English when none is supported.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_code(primary) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

/// One of two texts given in place, for words used on one page only.
pub fn l(lang: Lang, en: &'static str, fr: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Fr => fr,
    }
}

/// The text for `key` in `lang`; an unknown key shows as "??".
pub fn t(lang: Lang, key: &str) -> &'static str {
    match TEXTS.iter().find(|(k, _, _)| *k == key) {
        Some((_, en, fr)) => match lang {
            Lang::En => en,
            Lang::Fr => fr,
        },
        None => "??",
    }
}

/// (key, English, French)
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "Meeting Scheduler", "Planificateur de réunions"),
    ("app.skip", "Skip to content", "Aller au contenu"),
    ("app.loading", "Loading…", "Chargement…"),
    ("app.language", "Language", "Langue"),
    ("nav.sign_in", "Sign in", "Se connecter"),
    ("nav.sign_out", "Sign out", "Se déconnecter"),
    ("nav.home", "Go to Home", "Retour à l'accueil"),
    ("nav.admin", "Administration", "Administration"),
    ("login.title", "Sign in", "Connexion"),
    ("login.username", "Username", "Nom d'utilisateur"),
    ("login.password", "Password", "Mot de passe"),
    ("login.submit", "Sign in", "Se connecter"),
    ("login.guest_before", "No account? You can still ", "Pas de compte ? Vous pouvez quand même "),
    ("login.guest_link", "join a meeting", "rejoindre une réunion"),
    ("login.error.invalid", "Incorrect username or password.", "Nom d'utilisateur ou mot de passe incorrect."),
    ("login.error.missing", "Enter your username and password.", "Saisissez votre nom d'utilisateur et votre mot de passe."),
    ("login.error.locked", "Too many failed sign-in attempts. Try again in {n} minute(s).", "Trop de tentatives de connexion échouées. Réessayez dans {n} minute(s)."),
    ("login.error.csrf", "Your sign-in form expired. Please try again.", "Le formulaire de connexion a expiré. Veuillez réessayer."),
    ("login.error.directory", "The directory cannot be reached. Try again later.", "L'annuaire est injoignable. Réessayez plus tard."),
    ("login.error.other", "Sign-in failed. Please try again.", "La connexion a échoué. Veuillez réessayer."),
    ("home.title", "{name}'s Home", "Accueil de {name}"),
    ("home.join", "Join a meeting", "Rejoindre une réunion"),
    ("home.feed", "Calendar feed", "Flux d'agenda"),
    ("home.schedule", "Schedule meeting", "Planifier une réunion"),
    ("home.meetings", "My scheduled meetings", "Mes réunions planifiées"),
    ("home.no_meetings", "You have no upcoming meetings. Select Schedule meeting to book one.", "Vous n'avez aucune réunion à venir. Choisissez Planifier une réunion pour en réserver une."),
    ("home.times_in", "Times in ", "Heures en "),
    ("home.see_more", "See more", "Voir plus"),
    ("home.spaces", "My spaces", "Mes espaces"),
    ("home.no_spaces", "You have no spaces yet. A space is created when you schedule a meeting.", "Vous n'avez pas encore d'espace. Un espace est créé quand vous planifiez une réunion."),
    ("meeting.now", "Now", "En cours"),
    ("meeting.live", "Live now", "En direct"),
    ("meeting.participant", "participant", "participant"),
    ("meeting.participants", "participants", "participants"),
    ("meeting.space", "Space: ", "Espace : "),
    ("meeting.organized_by", "Organized by: ", "Organisée par : "),
    ("meeting.join", "Join", "Rejoindre"),
    ("join.title", "Join a meeting", "Rejoindre une réunion"),
    ("join.label", "Meeting ID or link", "ID ou lien de la réunion"),
    ("join.submit", "Join", "Rejoindre"),
    ("join.error", "Enter a meeting ID (digits only) or a meeting link from your invitation.", "Saisissez un ID de réunion (chiffres uniquement) ou le lien de votre invitation."),
    ("notfound.title", "Page not found", "Page introuvable"),
    ("list.pages", "Pages", "Pages"),
    ("list.prev", "Previous page", "Page précédente"),
    ("list.next", "Next page", "Page suivante"),
    ("list.page", "Page {n}", "Page {n}"),
    ("copy", "Copy", "Copier"),
    ("copied", "Copied", "Copié"),
    ("wizard.title", "Schedule a meeting", "Planifier une réunion"),
    ("wizard.edit_title", "Edit meeting", "Modifier la réunion"),
    ("wizard.step_of", "Step {n} of 3", "Étape {n} sur 3"),
    ("wizard.progress", "Progress", "Progression"),
    ("wizard.step.general", "General", "Général"),
    ("wizard.step.time", "Time", "Horaire"),
    ("wizard.step.attendees", "Attendees", "Participants"),
    ("wizard.next", "Next", "Suivant"),
    ("wizard.back", "Back", "Précédent"),
    ("wizard.cancel", "Cancel", "Annuler"),
    ("wizard.create", "Create", "Créer"),
    ("wizard.save", "Save", "Enregistrer"),
    ("wizard.name", "Name", "Nom"),
    ("wizard.space", "Space", "Espace"),
    ("wizard.space.new", "Create a space for this meeting", "Créer un espace pour cette réunion"),
    ("wizard.space.existing", "Use an existing space for this meeting", "Utiliser un espace existant pour cette réunion"),
    ("wizard.space.which", "Existing space", "Espace existant"),
    ("wizard.space.none", "(choose a space)", "(choisissez un espace)"),
    ("wizard.template", "Template", "Modèle"),
    ("wizard.date", "Date", "Date"),
    ("wizard.conflicts", "This time overlaps other meetings. You can still book it.", "Cet horaire chevauche d'autres réunions. Vous pouvez quand même réserver."),
    ("wizard.from", "From", "De"),
    ("wizard.to", "To", "À"),
    ("wizard.duration", "Duration (h:mm)", "Durée (h:mm)"),
    ("wizard.next_day", "(next day)", "(le lendemain)"),
    ("wizard.time_zone", "Time zone", "Fuseau horaire"),
    ("wizard.repeat", "Repeat", "Répétition"),
    ("wizard.repeat.none", "No repeat", "Aucune répétition"),
    ("wizard.repeat.yearly", "Yearly", "Tous les ans"),
    ("wizard.repeat.monthly", "Monthly", "Tous les mois"),
    ("wizard.repeat.weekly", "Weekly", "Toutes les semaines"),
    ("wizard.repeat.daily", "Daily", "Tous les jours"),
    ("wizard.repeat.end", "Ends", "Fin"),
    ("wizard.repeat.never", "Never", "Jamais"),
    ("wizard.repeat.after", "After a number of meetings", "Après un nombre de réunions"),
    ("wizard.repeat.count", "Number of meetings", "Nombre de réunions"),
    ("wizard.repeat.on", "On a date", "À une date"),
    ("wizard.repeat.until", "Last date", "Dernière date"),
    ("wizard.organizer", "Organizer:", "Organisateur :"),
    ("wizard.you", "You", "Vous"),
    ("wizard.attendees", "Attendees", "Participants"),
    ("wizard.no_video_spaces", "Your account has no video spaces yet; ask your administrator.", "Votre compte n'a pas encore d'espaces vidéo ; demandez à votre administrateur."),
    ("wizard.no_attendees", "No attendees yet.", "Aucun participant pour l'instant."),
    ("wizard.add_attendee", "Add an attendee", "Ajouter un participant"),
    ("wizard.email", "E-mail", "E-mail"),
    ("wizard.role", "Role", "Rôle"),
    ("wizard.actions", "Actions", "Actions"),
    ("wizard.add", "Add", "Ajouter"),
    ("wizard.remove", "Remove", "Retirer"),
    ("err.name_required", "Enter a name for the meeting.", "Saisissez un nom pour la réunion."),
    ("err.name_long", "The name is too long (200 characters at most).", "Le nom est trop long (200 caractères au plus)."),
    ("err.name_control", "The name cannot contain line breaks or control characters.", "Le nom ne peut pas contenir de retours à la ligne ni de caractères de contrôle."),
    ("err.space_required", "Choose one of your spaces, or create a space for this meeting.", "Choisissez l'un de vos espaces, ou créez un espace pour cette réunion."),
    ("err.template_required", "Choose a template.", "Choisissez un modèle."),
    ("err.date", "Enter the date as YYYY-MM-DD.", "Saisissez la date au format AAAA-MM-JJ."),
    ("err.past", "The meeting cannot end in the past.", "La réunion ne peut pas se terminer dans le passé."),
    ("err.time_zone", "Choose a time zone from the list.", "Choisissez un fuseau horaire dans la liste."),
    ("err.interval", "Enter how often it repeats: a whole number from 1 to 1000.", "Saisissez la fréquence : un nombre entier de 1 à 1000."),
    ("err.weekday", "Choose days of the week from the list.", "Choisissez des jours de la semaine dans la liste."),
    ("err.monthly", "Choose how the meeting repeats each month.", "Choisissez comment la réunion se répète chaque mois."),
    ("wizard.repeat.every", "Every", "Tous les"),
    ("wizard.repeat.every_unit", "day(s), week(s), month(s) or year(s), as chosen above", "jour(s), semaine(s), mois ou année(s), selon le choix ci-dessus"),
    ("wizard.repeat.days", "On (weekly; none: the day of the first meeting)", "Le (hebdomadaire ; aucun : le jour de la première réunion)"),
    ("wizard.repeat.monthly_by", "Each month (monthly)", "Chaque mois (mensuel)"),
    ("wizard.repeat.monthly_day", "On the same day of the month", "Le même jour du mois"),
    ("wizard.repeat.monthly_weekday", "On the same weekday (e.g. the 2nd Tuesday)", "Le même jour de la semaine (p. ex. le 2e mardi)"),
    ("wizard.repeat.monthly_last", "On the last such weekday of the month", "Le dernier de ces jours du mois"),
    ("wizard.repeat.summary", "Repeats", "Répétition"),
    ("wizard.first_meeting", "First meeting:", "Première réunion :"),
    ("wizard.unit.day", "day", "jour"),
    ("wizard.unit.days", "days", "jours"),
    ("wizard.unit.week", "week", "semaine"),
    ("wizard.unit.weeks", "weeks", "semaines"),
    ("wizard.unit.month", "month", "mois"),
    ("wizard.unit.months", "months", "mois"),
    ("wizard.unit.year", "year", "an"),
    ("wizard.unit.years", "years", "ans"),
    ("day.MO", "Monday", "Lundi"),
    ("day.TU", "Tuesday", "Mardi"),
    ("day.WE", "Wednesday", "Mercredi"),
    ("day.TH", "Thursday", "Jeudi"),
    ("day.FR", "Friday", "Vendredi"),
    ("day.SA", "Saturday", "Samedi"),
    ("day.SU", "Sunday", "Dimanche"),
    ("err.count", "Enter a number of meetings between 1 and 999.", "Saisissez un nombre de réunions entre 1 et 999."),
    ("err.no_occurrence", "This repetition has no meeting on or after the chosen date.", "Cette répétition ne donne aucune réunion à partir de la date choisie."),
    ("err.until", "Enter a last date on or after the first meeting.", "Saisissez une dernière date égale ou postérieure à la première réunion."),
    ("err.email", "Enter a valid e-mail address, like name@example.com.", "Saisissez une adresse e-mail valide, comme nom@exemple.com."),
    ("err.duplicate", "This person is already invited.", "Cette personne est déjà invitée."),
    ("err.role", "Choose a role from the list.", "Choisissez un rôle dans la liste."),
    ("err.too_many", "A meeting can have at most 200 attendees.", "Une réunion peut avoir au plus 200 participants."),
    ("err.draft_gone", "This scheduling form has expired. Start again.", "Ce formulaire de planification a expiré. Recommencez."),
    ("toast.created_title", "Meeting created", "Réunion créée"),
    ("toast.created", "This meeting has been created successfully", "Cette réunion a été créée avec succès"),
    ("toast.updated_title", "Meeting updated", "Réunion modifiée"),
    ("toast.updated", "This meeting has been updated successfully", "Cette réunion a été modifiée avec succès"),
    ("toast.deleted_title", "Meeting deleted", "Réunion supprimée"),
    ("toast.deleted", "The meeting has been deleted and its attendees told", "La réunion a été supprimée et ses participants prévenus"),
    ("toast.close", "Dismiss", "Fermer"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(
            Lang::from_accept_language("fr-CH, fr;q=0.9, en;q=0.8"),
            Lang::Fr
        );
        assert_eq!(
            Lang::from_accept_language("de-DE, en;q=0.5, fr;q=0.7"),
            Lang::Fr
        );
        assert_eq!(Lang::from_accept_language("de, es"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(Lang::from_accept_language("fr;q=0, en;q=0.1"), Lang::En);
        assert_eq!(Lang::from_accept_language(";;;,,,q=zz"), Lang::En);
    }

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(n, keys.len(), "duplicate keys");
        for (k, en, fr) in TEXTS {
            assert!(!en.is_empty() && !fr.is_empty(), "{k}");
            assert_eq!(en.contains("{n}"), fr.contains("{n}"), "{k}");
            assert_eq!(en.contains("{name}"), fr.contains("{name}"), "{k}");
        }
        assert_eq!(t(Lang::Fr, "home.spaces"), "Mes espaces");
        assert_eq!(t(Lang::En, "no.such.key"), "??");
    }
}
