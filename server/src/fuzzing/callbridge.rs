//! The Call Bridge XML: the client's readers on any body, and the
//! simulator's writers read back by the client's readers.

use super::bytes::Bytes;
use crate::callbridge::error::{CallBridgeError, FailureDetail};
use crate::callbridge::model::{
    AccessMethod, AccessMethodTemplate, ApiObject, Call, CallLegProfile, CallProfile, CoSpace,
    CoSpaceTemplate, User, UserCoSpaceTemplate, WebBridge,
};
use crate::callbridge::xml::{
    failure_document, list_document, object_document, parse_failure, parse_list, parse_object,
};
use std::fmt::Debug;

/// `callbridge_xml`: a body as the client gets it (reqwest's `text()`
/// replaces invalid UTF-8 with U+FFFD) through every reader the client
/// uses, for every object kind it reads. Each gives a value or an error,
/// never a panic; a list holds at most one item per element in the body.
pub fn callbridge_xml(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    read::<CoSpaceTemplate>(&body);
    read::<AccessMethodTemplate>(&body);
    read::<CoSpace>(&body);
    read::<AccessMethod>(&body);
    read::<User>(&body);
    read::<UserCoSpaceTemplate>(&body);
    read::<CallProfile>(&body);
    read::<CallLegProfile>(&body);
    read::<Call>(&body);
    if let Ok(wb) = parse_object::<WebBridge>(&body) {
        let _ = wb.address();
    }
    if let Ok(page) = parse_list::<WebBridge>(&body, WebBridge::ELEMENT) {
        assert!(page.items.len() <= body.matches('<').count());
        for wb in &page.items {
            let _ = wb.address();
        }
    }
    if let Some(detail) = parse_failure(&body) {
        // What the client makes of a refusal, for each status it maps.
        for status in [400, 404, 409, 500] {
            let _ = CallBridgeError::from_failure(status, detail.clone()).to_string();
        }
    }
}

fn read<T: ApiObject + Debug>(body: &str) {
    let _ = parse_object::<T>(body);
    if let Ok(page) = parse_list::<T>(body, T::ELEMENT) {
        assert!(
            page.items.len() <= body.matches('<').count(),
            "{} items from {body:?}",
            page.items.len()
        );
    }
}

/// A field value as the simulator could store it: any text XML 1.0 can
/// carry (it has no way to write most control characters, not even as
/// character references), `None` for an unset field.
fn text(b: &mut Bytes<'_>) -> Option<String> {
    let s: String = b.opt_string()?.chars().filter(|c| xml_char(*c)).collect();
    (!s.is_empty()).then_some(s)
}

fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

fn flag(b: &mut Bytes<'_>) -> Option<bool> {
    match b.byte() % 3 {
        0 => None,
        1 => Some(false),
        _ => Some(true),
    }
}

fn n32(b: &mut Bytes<'_>) -> Option<u32> {
    b.bool().then(|| b.u32())
}

fn n64(b: &mut Bytes<'_>) -> Option<u64> {
    b.bool()
        .then(|| u64::from(b.u32()) << 32 | u64::from(b.u32()))
}

/// An id, or an attribute of a failure: a token the Call Bridge (or the
/// simulator) makes, never with tabs or line breaks, which an XML reader
/// turns into spaces in an attribute (the writers do not encode them).
fn token(b: &mut Bytes<'_>) -> String {
    b.string()
        .chars()
        .filter(|c| xml_char(*c) && !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

fn id(b: &mut Bytes<'_>) -> String {
    token(b)
}

fn field<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(T::to_string).unwrap_or_default()
}

/// One object as written: its value, its id and the `(name, value)` pairs
/// the simulator writes for it.
type Written<T> = (T, String, Vec<(&'static str, String)>);

/// Builds an object of `$t` from the bytes, with what the simulator would
/// write for it.
macro_rules! object {
    ($b:expr, $t:ident { $($f:ident: $name:literal $kind:ident),* $(,)? }) => {{
        let id = id($b);
        let value = $t { id: id.clone(), $($f: $kind($b)),* };
        let fields: Vec<(&'static str, String)> = vec![$(($name, field(&value.$f))),*];
        (value, id, fields)
    }};
}

/// Writes one to four objects made by `make`, each alone and all as a
/// list, and checks that the client reads back exactly what was written.
fn round_trip<T: ApiObject + Debug + PartialEq>(
    b: &mut Bytes<'_>,
    make: fn(&mut Bytes<'_>) -> Written<T>,
) {
    let count = b.below(4);
    let objects: Vec<Written<T>> = (0..=count).map(|_| make(b)).collect();
    for (value, id, fields) in &objects {
        let xml = object_document(T::ELEMENT, id, fields);
        let back: T = parse_object(&xml).unwrap_or_else(|e| panic!("{xml:?}: {e}"));
        assert_eq!(&back, value, "{xml:?}");
    }
    let total = objects.len() + b.below(1000);
    let xml = list_document(
        T::COLLECTION,
        total,
        objects
            .iter()
            .map(|(_, id, fields)| (id.as_str(), fields.clone())),
        T::ELEMENT,
    );
    let page = parse_list::<T>(&xml, T::ELEMENT).unwrap_or_else(|e| panic!("{xml:?}: {e}"));
    assert_eq!(page.total, total as u64, "{xml:?}");
    let expected: Vec<&T> = objects.iter().map(|(v, _, _)| v).collect();
    assert_eq!(page.items.iter().collect::<Vec<_>>(), expected, "{xml:?}");
}

/// `callbridge_roundtrip`: what the simulator writes (`object_document`,
/// `list_document`, `failure_document`) for arbitrary field values, the
/// client reads back unchanged, for every object kind.
pub fn callbridge_roundtrip(data: &[u8]) {
    let mut b = Bytes::new(data);
    match b.byte() % 12 {
        0 => round_trip(&mut b, |b| {
            object!(b, CoSpaceTemplate {
                name: "name" text,
                description: "description" text,
                call_profile: "callProfile" text,
                call_leg_profile: "callLegProfile" text,
                dial_in_security_profile: "dialInSecurityProfile" text,
                default_access_method_template: "defaultAccessMethodTemplate" text,
                num_access_method_templates: "numAccessMethodTemplates" n32,
            })
        }),
        1 => round_trip(&mut b, |b| {
            object!(b, AccessMethodTemplate {
                name: "name" text,
                uri_generator: "uriGenerator" text,
                call_leg_profile: "callLegProfile" text,
                generate_unique_call_id: "generateUniqueCallId" flag,
                dial_in_security_profile: "dialInSecurityProfile" text,
                scope: "scope" text,
            })
        }),
        2 => round_trip(&mut b, |b| {
            object!(b, CoSpace {
                name: "name" text,
                uri: "uri" text,
                secondary_uri: "secondaryUri" text,
                call_id: "callId" text,
                passcode: "passcode" text,
                secret: "secret" text,
                cdr_tag: "cdrTag" text,
                owner_jid: "ownerJid" text,
                call_profile: "callProfile" text,
                call_leg_profile: "callLegProfile" text,
                dial_in_security_profile: "dialInSecurityProfile" text,
                auto_generated: "autoGenerated" flag,
                meeting_scheduler: "meetingScheduler" text,
                owner_id: "ownerId" text,
                num_access_methods: "numAccessMethods" n32,
            })
        }),
        3 => round_trip(&mut b, |b| {
            object!(b, AccessMethod {
                name: "name" text,
                uri: "uri" text,
                call_id: "callId" text,
                passcode: "passcode" text,
                secret: "secret" text,
                call_leg_profile: "callLegProfile" text,
                scope: "scope" text,
                dial_in_security_profile: "dialInSecurityProfile" text,
            })
        }),
        4 => round_trip(&mut b, |b| {
            object!(b, User {
                user_jid: "userJid" text,
                name: "name" text,
                email: "email" text,
                cdr_tag: "cdrTag" text,
                user_profile: "userProfile" text,
            })
        }),
        5 => round_trip(&mut b, |b| {
            object!(b, UserCoSpaceTemplate {
                co_space_template: "coSpaceTemplate" text,
                name: "name" text,
                description: "description" text,
            })
        }),
        6 => round_trip(&mut b, |b| {
            object!(b, WebBridge {
                url: "url" text,
                tenant: "tenant" text,
                tenant_group: "tenantGroup" text,
                web_bridge_profile: "webBridgeProfile" text,
            })
        }),
        7 => round_trip(&mut b, |b| {
            object!(b, CallProfile {
                name: "name" text,
                participant_limit: "participantLimit" n32,
                recording_mode: "recordingMode" text,
                streaming_mode: "streamingMode" text,
            })
        }),
        8 => round_trip(&mut b, |b| {
            object!(b, CallLegProfile {
                name: "name" text,
                default_layout: "defaultLayout" text,
                needs_activation: "needsActivation" flag,
            })
        }),
        9 => round_trip(&mut b, |b| {
            object!(b, Call {
                name: "name" text,
                co_space: "coSpace" text,
                call_correlator: "callCorrelator" text,
                duration_seconds: "durationSeconds" n64,
                num_call_legs: "numCallLegs" n32,
                num_participants_local: "numParticipantsLocal" n32,
            })
        }),
        _ => {
            // The reason is an element name the simulator picks from its
            // own list (`duplicateCoSpaceUri`, `parameterError`, ...); the
            // attributes carry anything.
            let reason: String = b
                .string()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .skip_while(char::is_ascii_digit)
                .collect();
            if reason.is_empty() {
                return;
            }
            let detail = FailureDetail {
                reason,
                parameter: b.bool().then(|| token(&mut b)),
                error: b.bool().then(|| token(&mut b)),
            };
            let xml = failure_document(&detail);
            assert_eq!(parse_failure(&xml), Some(detail), "{xml:?}");
        }
    }
}
