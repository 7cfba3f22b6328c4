//! The Accept / Tentative / Decline links of an invitation: what a link's
//! signed token says (meeting, attendee, answer, a nonce that makes it
//! single-use, the language of the mail) and the links themselves. The
//! answers are recorded by `meetings::answers`; the pages are `web::answers`.

use crate::auth::signed;
use app::i18n::Lang;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

/// The `server_secrets` row answer links are signed with.
pub const SECRET: &str = "answers";
/// What an answer token is signed for (no other token verifies as one).
const PURPOSE: &str = "answer-v1";

/// An attendee's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    Accepted,
    Tentative,
    Declined,
}

impl Answer {
    pub const ALL: [Answer; 3] = [Answer::Accepted, Answer::Tentative, Answer::Declined];

    /// As stored and as the pages' `data-answer` say it.
    pub fn word(self) -> &'static str {
        match self {
            Answer::Accepted => "accepted",
            Answer::Tentative => "tentative",
            Answer::Declined => "declined",
        }
    }

    pub fn from_word(s: &str) -> Option<Answer> {
        Answer::ALL.into_iter().find(|a| a.word() == s)
    }

    /// The link's words: "Accept", "Tentative", "Decline".
    pub fn verb(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Answer::Accepted, Lang::En) => "Accept",
            (Answer::Tentative, Lang::En) => "Tentative",
            (Answer::Declined, Lang::En) => "Decline",
            (Answer::Accepted, Lang::Fr) => "Accepter",
            (Answer::Tentative, Lang::Fr) => "Peut-être",
            (Answer::Declined, Lang::Fr) => "Refuser",
        }
    }

    /// The answer given: "Accepted", "Tentative", "Declined".
    pub fn done(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Answer::Accepted, Lang::En) => "Accepted",
            (Answer::Tentative, Lang::En) => "Tentative",
            (Answer::Declined, Lang::En) => "Declined",
            (Answer::Accepted, Lang::Fr) => "Acceptée",
            (Answer::Tentative, Lang::Fr) => "Peut-être",
            (Answer::Declined, Lang::Fr) => "Refusée",
        }
    }
}

/// What one answer link says, once its signature is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerToken {
    pub meeting_id: String,
    /// Lower case.
    pub email: String,
    pub answer: Answer,
    /// Random: the link records its answer once (`answer_token_uses`).
    pub nonce: String,
    pub lang: Lang,
}

impl AnswerToken {
    /// A fresh token (new nonce) for this attendee's answer.
    pub fn new(meeting_id: &str, email: &str, answer: Answer, lang: Lang) -> Self {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self {
            meeting_id: meeting_id.to_string(),
            email: email.trim().to_ascii_lowercase(),
            answer,
            nonce: URL_SAFE_NO_PAD.encode(bytes),
            lang,
        }
    }

    pub fn sign(&self, secret: &[u8]) -> String {
        signed::sign(
            secret,
            PURPOSE,
            &[
                &self.meeting_id,
                &self.email,
                self.answer.word(),
                &self.nonce,
                self.lang.code(),
            ],
        )
    }

    /// The token's contents; None unless it was signed with `secret`.
    pub fn verify(secret: &[u8], token: &str) -> Option<Self> {
        let fields = signed::verify(secret, PURPOSE, token)?;
        let [meeting_id, email, answer, nonce, lang] = <[String; 5]>::try_from(fields).ok()?;
        Some(Self {
            meeting_id,
            email,
            answer: Answer::from_word(&answer)?,
            nonce,
            lang: Lang::from_code(&lang)?,
        })
    }
}

/// The page an answer link opens: `<public url>/answer/<token>`.
pub fn link(public_url: &str, secret: &[u8], token: &AnswerToken) -> String {
    format!(
        "{}/answer/{}",
        public_url.trim_end_matches('/'),
        token.sign(secret)
    )
}

/// One answer link of a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerLink {
    pub answer: Answer,
    pub url: String,
}

/// Fresh Accept, Tentative and Decline links for one attendee.
pub fn links(
    public_url: &str,
    secret: &[u8],
    meeting_id: &str,
    email: &str,
    lang: Lang,
) -> Vec<AnswerLink> {
    Answer::ALL
        .into_iter()
        .map(|answer| AnswerLink {
            answer,
            url: link(
                public_url,
                secret,
                &AnswerToken::new(meeting_id, email, answer, lang),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_says_what_it_was_made_for_and_nothing_else() {
        let secret = [3u8; 32];
        let t = AnswerToken::new("m1", " Bob@Example.com", Answer::Tentative, Lang::Fr);
        assert_eq!(t.email, "bob@example.com");
        let signed = t.sign(&secret);
        assert_eq!(AnswerToken::verify(&secret, &signed), Some(t.clone()));
        assert_eq!(AnswerToken::verify(&[4u8; 32], &signed), None);
        // A token of another purpose with the same fields is not an answer.
        let other = signed::sign(
            &secret,
            "answer-v2",
            &["m1", "bob@example.com", "tentative", &t.nonce, "fr"],
        );
        assert_eq!(AnswerToken::verify(&secret, &other), None);
        let ls = links(
            "https://sched.example.com/",
            &secret,
            "m1",
            "bob@example.com",
            Lang::En,
        );
        assert_eq!(ls.len(), 3);
        let tokens: Vec<AnswerToken> = ls
            .iter()
            .map(|l| {
                let token = l
                    .url
                    .strip_prefix("https://sched.example.com/answer/")
                    .unwrap();
                AnswerToken::verify(&secret, token).unwrap()
            })
            .collect();
        assert_eq!(
            tokens.iter().map(|t| t.answer).collect::<Vec<_>>(),
            Answer::ALL
        );
        assert_ne!(tokens[0].nonce, tokens[1].nonce);
    }
}
