//! Typed views of the Call Bridge objects the scheduler reads, and the form
//! parameters it writes.
//!
//! Every field but the id is optional: list answers carry a few fields, the
//! answer for one object carries them all, and an unset field is absent.

use serde::Deserialize;

/// One page of a list answer: `total` is the number of objects matching the
/// query on the Call Bridge, `items` the ones in this page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub total: u64,
    pub items: Vec<T>,
}

/// An object kind the client can list: its collection and element names.
pub trait ApiObject: serde::de::DeserializeOwned {
    /// The list's root element (`coSpaces`).
    const COLLECTION: &'static str;
    /// The element of one object (`coSpace`).
    const ELEMENT: &'static str;
}

macro_rules! api_object {
    ($t:ty, $collection:literal, $element:literal) => {
        impl ApiObject for $t {
            const COLLECTION: &'static str = $collection;
            const ELEMENT: &'static str = $element;
        }
    };
}

/// `/api/v1/coSpaceTemplates/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoSpaceTemplate {
    #[serde(rename = "@id")]
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub call_profile: Option<String>,
    pub call_leg_profile: Option<String>,
    pub dial_in_security_profile: Option<String>,
    pub default_access_method_template: Option<String>,
    pub num_access_method_templates: Option<u32>,
}
api_object!(CoSpaceTemplate, "coSpaceTemplates", "coSpaceTemplate");

/// `/api/v1/coSpaceTemplates/<id>/accessMethodTemplates/<id>`. The name is
/// what the web app shows as the attendee's **Role**.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessMethodTemplate {
    #[serde(rename = "@id")]
    pub id: String,
    pub name: Option<String>,
    /// Contains exactly one `$`, replaced by the coSpace's URI user part.
    pub uri_generator: Option<String>,
    pub call_leg_profile: Option<String>,
    pub generate_unique_call_id: Option<bool>,
    pub dial_in_security_profile: Option<String>,
    pub scope: Option<String>,
}
api_object!(
    AccessMethodTemplate,
    "accessMethodTemplates",
    "accessMethodTemplate"
);

/// `/api/v1/coSpaces/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoSpace {
    #[serde(rename = "@id")]
    pub id: String,
    pub name: Option<String>,
    pub uri: Option<String>,
    pub secondary_uri: Option<String>,
    pub call_id: Option<String>,
    pub passcode: Option<String>,
    pub secret: Option<String>,
    pub cdr_tag: Option<String>,
    pub owner_jid: Option<String>,
    pub call_profile: Option<String>,
    pub call_leg_profile: Option<String>,
    pub dial_in_security_profile: Option<String>,
    pub auto_generated: Option<bool>,
    /// The scheduling person's name (shown on the call as ownerName).
    pub meeting_scheduler: Option<String>,
    /// The id of the user whose JID is `ownerJid` (GET one coSpace).
    pub owner_id: Option<String>,
    /// How many access methods the coSpace has (GET one coSpace).
    pub num_access_methods: Option<u32>,
}
api_object!(CoSpace, "coSpaces", "coSpace");

/// `/api/v1/coSpaces/<id>/coSpaceUsers/<id>`: a member of a coSpace.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoSpaceUser {
    #[serde(rename = "@id")]
    pub id: String,
    pub user_jid: Option<String>,
    pub user_id: Option<String>,
    pub auto_generated: Option<bool>,
}
api_object!(CoSpaceUser, "coSpaceUsers", "coSpaceUser");

/// `/api/v1/coSpaces/<id>/accessMethods/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessMethod {
    #[serde(rename = "@id")]
    pub id: String,
    pub name: Option<String>,
    pub uri: Option<String>,
    pub call_id: Option<String>,
    pub passcode: Option<String>,
    pub secret: Option<String>,
    pub call_leg_profile: Option<String>,
    pub scope: Option<String>,
    pub dial_in_security_profile: Option<String>,
}
api_object!(AccessMethod, "accessMethods", "accessMethod");

/// `/api/v1/users/<id>` (users are imported from LDAP, read-only here).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(rename = "@id")]
    pub id: String,
    pub user_jid: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub cdr_tag: Option<String>,
    pub user_profile: Option<String>,
}
api_object!(User, "users", "user");

/// One entry of `/api/v1/users/<id>/userCoSpaceTemplates`: a coSpace
/// template assigned to the user. `name`/`description` repeat the template's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCoSpaceTemplate {
    #[serde(rename = "@id")]
    pub id: String,
    pub co_space_template: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}
api_object!(
    UserCoSpaceTemplate,
    "userCoSpaceTemplates",
    "userCoSpaceTemplate"
);

/// One entry of `/api/v1/users/<id>/usercoSpaces`: a coSpace the user is
/// a member of. The coSpace's id is `coSpaceId` (the element's own id is
/// taken when a server leaves `coSpaceId` out).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCoSpace {
    #[serde(rename = "@id")]
    pub id: String,
    pub co_space_id: Option<String>,
    pub auto_generated: Option<bool>,
}
api_object!(UserCoSpace, "userCoSpaces", "userCoSpace");

impl UserCoSpace {
    /// The id of the coSpace this membership is in.
    pub fn cospace_id(&self) -> &str {
        self.co_space_id.as_deref().unwrap_or(&self.id)
    }
}

/// `/api/v1/ldapUserCoSpaceTemplateSources/<id>`: the coSpace template the
/// Call Bridge assigns to the users an LDAP source imports whose entry
/// matches `filter`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LdapUserCoSpaceTemplateSource {
    #[serde(rename = "@id")]
    pub id: String,
    pub co_space_template: Option<String>,
    pub ldap_source: Option<String>,
    pub filter: Option<String>,
}
api_object!(
    LdapUserCoSpaceTemplateSource,
    "ldapUserCoSpaceTemplateSources",
    "ldapUserCoSpaceTemplateSource"
);

/// `/api/v1/webBridges/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebBridge {
    #[serde(rename = "@id")]
    pub id: String,
    /// e.g. `https://10.106.80.34:8443` (CMS 3 may write `c2w://host:port`).
    pub url: Option<String>,
    pub tenant: Option<String>,
    pub tenant_group: Option<String>,
    pub web_bridge_profile: Option<String>,
}
api_object!(WebBridge, "webBridges", "webBridge");

impl WebBridge {
    /// `host:port` of the web bridge, whatever scheme its url has
    /// (`https://10.106.80.34:8443/` gives `10.106.80.34:8443`).
    pub fn address(&self) -> Option<String> {
        let url = self.url.as_deref()?.trim();
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let host = rest.split('/').next()?.trim();
        (!host.is_empty()).then(|| host.to_string())
    }
}

/// `/api/v1/callProfiles/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallProfile {
    #[serde(rename = "@id")]
    pub id: String,
    pub name: Option<String>,
    pub participant_limit: Option<u32>,
    pub recording_mode: Option<String>,
    pub streaming_mode: Option<String>,
}
api_object!(CallProfile, "callProfiles", "callProfile");

/// `/api/v1/callLegProfiles/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallLegProfile {
    #[serde(rename = "@id")]
    pub id: String,
    pub name: Option<String>,
    pub default_layout: Option<String>,
    pub needs_activation: Option<bool>,
}
api_object!(CallLegProfile, "callLegProfiles", "callLegProfile");

/// `/api/v1/calls/<id>`: an active call (a live meeting).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    #[serde(rename = "@id")]
    pub id: String,
    pub name: Option<String>,
    /// The coSpace the call is running in.
    pub co_space: Option<String>,
    pub call_correlator: Option<String>,
    pub duration_seconds: Option<u64>,
    pub num_call_legs: Option<u32>,
    pub num_participants_local: Option<u32>,
}
api_object!(Call, "calls", "call");

/// `/api/v1/callLegs/<id>` (also listed under `/calls/<id>/callLegs`): one
/// connection to an active call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallLeg {
    #[serde(rename = "@id")]
    pub id: String,
    pub name: Option<String>,
    pub remote_party: Option<String>,
    /// The call it belongs to.
    pub call: Option<String>,
    pub direction: Option<String>,
    pub duration_seconds: Option<u64>,
}
api_object!(CallLeg, "callLegs", "callLeg");

/// `/api/v1/participants/<id>` (also under `/calls/<id>/participants`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    #[serde(rename = "@id")]
    pub id: String,
    pub name: Option<String>,
    pub call: Option<String>,
}
api_object!(Participant, "participants", "participant");

/// `/api/v1/system/status`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemStatus {
    pub software_version: Option<String>,
    pub uptime_seconds: Option<u64>,
    pub activated: Option<bool>,
    pub cluster_enabled: Option<bool>,
    pub call_legs_active: Option<u32>,
}

/// Form parameters for a POST or PUT, in order. An empty value unsets the
/// field on the Call Bridge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value` (replacing an earlier value of the same name).
    pub fn set(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
        self
    }

    /// Sets `name` when `value` is given.
    pub fn set_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.set(name, v),
            None => self,
        }
    }

    /// Sends `name` with an empty value, which unsets the field.
    pub fn unset(self, name: &str) -> Self {
        self.set(name, "")
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One value of a form parameter: sent when set, absent otherwise.
pub trait FormValue {
    fn add_to(&self, form: Form, name: &str) -> Form;
}

impl FormValue for Option<String> {
    fn add_to(&self, form: Form, name: &str) -> Form {
        form.set_opt(name, self.clone())
    }
}

impl FormValue for Option<bool> {
    fn add_to(&self, form: Form, name: &str) -> Form {
        form.set_opt(name, self.map(|b| b.to_string()))
    }
}

/// A flag the Call Bridge takes as `true`; `false` sends nothing.
impl FormValue for bool {
    fn add_to(&self, form: Form, name: &str) -> Form {
        if *self {
            form.set(name, "true")
        } else {
            form
        }
    }
}

/// Declares the parameters of one POST: the struct, and `to_form` sending
/// each set field under its name in the CMS API reference, in the order
/// declared. One table per request, so a field and its name cannot drift.
macro_rules! form_params {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty => $param:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            pub fn to_form(&self) -> Form {
                let form = Form::new();
                $( let form = FormValue::add_to(&self.$field, form, $param); )*
                form
            }
        }
    };
}

form_params! {
    /// Parameters of `POST /api/v1/coSpaces`.
    pub struct NewCoSpace {
        name: Option<String> => "name",
        uri: Option<String> => "uri",
        secondary_uri: Option<String> => "secondaryUri",
        call_id: Option<String> => "callId",
        passcode: Option<String> => "passcode",
        secret: Option<String> => "secret",
        cdr_tag: Option<String> => "cdrTag",
        owner_jid: Option<String> => "ownerJid",
        call_profile: Option<String> => "callProfile",
        call_leg_profile: Option<String> => "callLegProfile",
        dial_in_security_profile: Option<String> => "dialInSecurityProfile",
        /// The scheduling person's name.
        meeting_scheduler: Option<String> => "meetingScheduler",
        /// Ask the Call Bridge to generate a call ID when none is given.
        require_call_id: bool => "requireCallId",
    }
}

form_params! {
    /// Parameters of `POST /api/v1/coSpaces/<id>/accessMethods`.
    pub struct NewAccessMethod {
        name: Option<String> => "name",
        uri: Option<String> => "uri",
        call_id: Option<String> => "callId",
        passcode: Option<String> => "passcode",
        secret: Option<String> => "secret",
        call_leg_profile: Option<String> => "callLegProfile",
        scope: Option<String> => "scope",
        dial_in_security_profile: Option<String> => "dialInSecurityProfile",
    }
}

form_params! {
    /// Parameters of `POST /api/v1/coSpaceTemplates`.
    pub struct NewCoSpaceTemplate {
        name: Option<String> => "name",
        description: Option<String> => "description",
        call_profile: Option<String> => "callProfile",
        call_leg_profile: Option<String> => "callLegProfile",
        dial_in_security_profile: Option<String> => "dialInSecurityProfile",
    }
}

form_params! {
    /// Parameters of `POST /api/v1/coSpaceTemplates/<id>/accessMethodTemplates`.
    pub struct NewAccessMethodTemplate {
        name: Option<String> => "name",
        uri_generator: Option<String> => "uriGenerator",
        call_leg_profile: Option<String> => "callLegProfile",
        generate_unique_call_id: Option<bool> => "generateUniqueCallId",
        dial_in_security_profile: Option<String> => "dialInSecurityProfile",
        scope: Option<String> => "scope",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_set_replaces_and_unset_sends_empty() {
        let f = Form::new()
            .set("name", "a")
            .set("uri", "b")
            .set("name", "c")
            .unset("uri");
        assert_eq!(
            f.pairs(),
            &[
                ("name".to_string(), "c".to_string()),
                ("uri".into(), "".into())
            ]
        );
    }

    #[test]
    fn a_form_sends_set_fields_under_their_cms_names_in_order() {
        let space = NewCoSpace {
            name: Some("Weekly".into()),
            secondary_uri: Some("88001".into()),
            meeting_scheduler: Some("Sam".into()),
            require_call_id: true,
            ..Default::default()
        };
        let form = space.to_form();
        let pairs: Vec<(&str, &str)> = form
            .pairs()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("name", "Weekly"),
                ("secondaryUri", "88001"),
                ("meetingScheduler", "Sam"),
                ("requireCallId", "true"),
            ]
        );
        assert!(NewCoSpace::default().to_form().is_empty());
        let template = NewAccessMethodTemplate {
            generate_unique_call_id: Some(false),
            ..Default::default()
        };
        assert_eq!(
            template.to_form().get("generateUniqueCallId"),
            Some("false")
        );
    }

    #[test]
    fn web_bridge_address_strips_scheme_and_path() {
        let wb = |url: &str| WebBridge {
            id: "x".into(),
            url: Some(url.into()),
            tenant: None,
            tenant_group: None,
            web_bridge_profile: None,
        };
        assert_eq!(
            wb("https://10.106.80.34:8443/").address().as_deref(),
            Some("10.106.80.34:8443")
        );
        assert_eq!(
            wb("c2w://wb.example.com:9999").address().as_deref(),
            Some("wb.example.com:9999")
        );
        assert_eq!(wb("").address(), None);
    }
}
