//! The object kinds the simulator knows: names, the parameters the CMS API
//! reference documents for each node and their types, required parameters,
//! the list query parameters, and the fields lists and single-object answers
//! show.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    /// Free text of at most that many characters.
    Text(usize),
    /// A URI user part: letters, digits, `.`, `_`, `-`, `+`.
    Uri,
    /// A URI user part with exactly one `$`.
    UriGenerator,
    Bool,
    Digits,
    /// The id of an object of that top-level collection.
    Ref(&'static str),
    /// One of these values (`defaultLayout`, `scope`, ...).
    Enum(&'static [&'static str]),
}

/// Free text as CMS takes it for names and descriptions.
const TEXT: Ty = Ty::Text(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum On {
    /// POST and PUT.
    Both,
    /// Only PUT (`regenerateSecret`).
    Put,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub name: &'static str,
    pub ty: Ty,
    /// False for actions (`requireCallId`, `regenerateSecret`).
    pub stored: bool,
    pub on: On,
}

const fn p(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        stored: true,
        on: On::Both,
    }
}

const fn action(name: &'static str, ty: Ty, on: On) -> Param {
    Param {
        name,
        ty,
        stored: false,
        on,
    }
}

/// The layouts the reference documents for `defaultLayout`.
pub(crate) const LAYOUTS: &[&str] = &[
    "allEqual",
    "speakerOnly",
    "telepresence",
    "stacked",
    "allEqualQuarters",
    "allEqualNinths",
    "allEqualSixteenths",
    "allEqualTwentyFifths",
    "onePlusFive",
    "onePlusSeven",
    "onePlusNine",
    "automatic",
    "onePlusN",
];

const SCOPE: Ty = Ty::Enum(&["public", "private"]);

/// An object kind: its names, parameters and which fields it shows.
#[derive(Debug)]
pub(crate) struct Kind {
    pub collection: &'static str,
    pub element: &'static str,
    pub parent: Option<&'static str>,
    pub params: &'static [Param],
    pub required: &'static [&'static str],
    /// List query parameters besides `offset`, `limit` and `filter`, with
    /// the field each one must equal (`coSpaceFilter` → `coSpace`).
    pub field_filters: &'static [(&'static str, &'static str)],
    pub list_fields: &'static [&'static str],
    pub detail_fields: &'static [&'static str],
    pub filter_fields: &'static [&'static str],
    pub api_writable: bool,
}

impl Kind {
    pub fn missing(&self) -> String {
        format!("{}DoesNotExist", self.element)
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

pub(crate) const CALL_PROFILES: Kind = Kind {
    collection: "callProfiles",
    element: "callProfile",
    parent: None,
    params: &[
        p("name", TEXT),
        p("participantLimit", Ty::Digits),
        p(
            "recordingMode",
            Ty::Enum(&["disabled", "manual", "automatic"]),
        ),
        p(
            "streamingMode",
            Ty::Enum(&["disabled", "manual", "automatic"]),
        ),
    ],
    required: &[],
    field_filters: &[],
    list_fields: &["name", "participantLimit"],
    detail_fields: &["name", "participantLimit", "recordingMode", "streamingMode"],
    filter_fields: &["name"],
    api_writable: true,
};

pub(crate) const CALL_LEG_PROFILES: Kind = Kind {
    collection: "callLegProfiles",
    element: "callLegProfile",
    parent: None,
    params: &[
        p("name", TEXT),
        p("defaultLayout", Ty::Enum(LAYOUTS)),
        p("needsActivation", Ty::Bool),
    ],
    required: &[],
    field_filters: &[],
    list_fields: &["name"],
    detail_fields: &["name", "defaultLayout", "needsActivation"],
    filter_fields: &["name"],
    api_writable: true,
};

pub(crate) const COSPACE_TEMPLATES: Kind = Kind {
    collection: "coSpaceTemplates",
    element: "coSpaceTemplate",
    parent: None,
    params: &[
        p("name", TEXT),
        p("description", TEXT),
        p("callProfile", Ty::Ref("callProfiles")),
        p("callLegProfile", Ty::Ref("callLegProfiles")),
        p("dialInSecurityProfile", TEXT),
        p("defaultAccessMethodTemplate", TEXT),
    ],
    required: &[],
    field_filters: &[],
    list_fields: &["name", "description", "numAccessMethodTemplates"],
    detail_fields: &[
        "name",
        "description",
        "callProfile",
        "callLegProfile",
        "dialInSecurityProfile",
        "defaultAccessMethodTemplate",
        "numAccessMethodTemplates",
    ],
    filter_fields: &["name", "description"],
    api_writable: true,
};

pub(crate) const ACCESS_METHOD_TEMPLATES: Kind = Kind {
    collection: "accessMethodTemplates",
    element: "accessMethodTemplate",
    parent: Some("coSpaceTemplates"),
    params: &[
        p("name", TEXT),
        p("uriGenerator", Ty::UriGenerator),
        p("callLegProfile", Ty::Ref("callLegProfiles")),
        p("generateUniqueCallId", Ty::Bool),
        p("dialInSecurityProfile", TEXT),
        p("scope", SCOPE),
    ],
    required: &["uriGenerator"],
    field_filters: &[],
    list_fields: &["name", "uriGenerator", "generateUniqueCallId"],
    detail_fields: &[
        "name",
        "uriGenerator",
        "callLegProfile",
        "generateUniqueCallId",
        "dialInSecurityProfile",
        "scope",
    ],
    filter_fields: &["name"],
    api_writable: true,
};

/// `POST /coSpaces` as the reference documents it: no template parameter.
pub(crate) const COSPACES: Kind = Kind {
    collection: "coSpaces",
    element: "coSpace",
    parent: None,
    params: &[
        p("name", TEXT),
        p("uri", Ty::Uri),
        p("secondaryUri", Ty::Uri),
        p("callId", Ty::Digits),
        p("cdrTag", Ty::Text(100)),
        p("passcode", Ty::Digits),
        p("defaultLayout", Ty::Enum(LAYOUTS)),
        p("tenant", TEXT),
        p("callLegProfile", Ty::Ref("callLegProfiles")),
        p("callProfile", Ty::Ref("callProfiles")),
        p("callBrandingProfile", TEXT),
        p("dialInSecurityProfile", TEXT),
        action("requireCallId", Ty::Bool, On::Both),
        p("secret", TEXT),
        action("regenerateSecret", Ty::Bool, On::Put),
        p("nonMemberAccess", Ty::Bool),
        p("ownerJid", TEXT),
        p("streamUrl", TEXT),
        p("ownerAdGuid", TEXT),
        p("meetingScheduler", TEXT),
    ],
    required: &[],
    field_filters: &[],
    list_fields: &["name", "autoGenerated", "uri", "secondaryUri", "callId"],
    detail_fields: &[
        "name",
        "autoGenerated",
        "uri",
        "secondaryUri",
        "callId",
        "cdrTag",
        "passcode",
        "defaultLayout",
        "tenant",
        "callProfile",
        "callLegProfile",
        "callBrandingProfile",
        "dialInSecurityProfile",
        "secret",
        "nonMemberAccess",
        "ownerJid",
        "ownerId",
        "streamUrl",
        "ownerAdGuid",
        "meetingScheduler",
        "numAccessMethods",
    ],
    filter_fields: &["name", "uri"],
    api_writable: true,
};

pub(crate) const ACCESS_METHODS: Kind = Kind {
    collection: "accessMethods",
    element: "accessMethod",
    parent: Some("coSpaces"),
    params: &[
        p("uri", Ty::Uri),
        p("callId", Ty::Digits),
        p("passcode", Ty::Digits),
        p("name", TEXT),
        p("callLegProfile", Ty::Ref("callLegProfiles")),
        p("secret", TEXT),
        action("regenerateSecret", Ty::Bool, On::Put),
        p("scope", SCOPE),
        p("importance", Ty::Digits),
        p("dialInSecurityProfile", TEXT),
    ],
    required: &[],
    field_filters: &[],
    list_fields: &["name", "uri", "callId", "scope"],
    detail_fields: &[
        "name",
        "uri",
        "callId",
        "passcode",
        "callLegProfile",
        "secret",
        "scope",
        "importance",
        "dialInSecurityProfile",
    ],
    filter_fields: &["name", "uri"],
    api_writable: true,
};

/// The members of a coSpace (`/coSpaces/<id>/coSpaceUsers`).
pub(crate) const COSPACE_USERS: Kind = Kind {
    collection: "coSpaceUsers",
    element: "coSpaceUser",
    parent: Some("coSpaces"),
    params: &[
        p("userJid", TEXT),
        p("callLegProfile", Ty::Ref("callLegProfiles")),
        p("canDestroy", Ty::Bool),
        p("canAddRemoveMember", Ty::Bool),
        p("canChangeName", Ty::Bool),
        p("canChangeUri", Ty::Bool),
        p("canChangeCallId", Ty::Bool),
        p("canChangePasscode", Ty::Bool),
        p("canPostMessage", Ty::Bool),
        p("canRemoveSelf", Ty::Bool),
        p("canDeleteAllMessages", Ty::Bool),
        p("canChangeScope", Ty::Bool),
    ],
    required: &["userJid"],
    field_filters: &[],
    list_fields: &["userJid", "userId", "autoGenerated"],
    detail_fields: &[
        "userJid",
        "userId",
        "autoGenerated",
        "callLegProfile",
        "canDestroy",
        "canAddRemoveMember",
        "canChangeName",
        "canChangeUri",
        "canChangeCallId",
        "canChangePasscode",
        "canPostMessage",
        "canRemoveSelf",
        "canDeleteAllMessages",
        "canChangeScope",
    ],
    filter_fields: &["userJid"],
    api_writable: true,
};

pub(crate) const USERS: Kind = Kind {
    collection: "users",
    element: "user",
    parent: None,
    params: &[
        p("userJid", TEXT),
        p("name", TEXT),
        p("email", TEXT),
        p("authenticationId", TEXT),
        p("cdrTag", Ty::Text(100)),
        p("userProfile", TEXT),
    ],
    required: &["userJid"],
    field_filters: &[],
    list_fields: &["userJid", "name", "email"],
    detail_fields: &[
        "userJid",
        "name",
        "email",
        "authenticationId",
        "cdrTag",
        "userProfile",
    ],
    filter_fields: &["userJid", "name", "email"],
    api_writable: false,
};

pub(crate) const USER_COSPACE_TEMPLATES: Kind = Kind {
    collection: "userCoSpaceTemplates",
    element: "userCoSpaceTemplate",
    parent: Some("users"),
    params: &[p("coSpaceTemplate", Ty::Ref("coSpaceTemplates"))],
    required: &["coSpaceTemplate"],
    field_filters: &[],
    list_fields: &["coSpaceTemplate", "name", "description"],
    detail_fields: &["coSpaceTemplate", "name", "description"],
    filter_fields: &[],
    api_writable: true,
};

/// `/users/<id>/usercoSpaces`: the coSpaces a user is a member of. Not
/// stored: computed from the coSpaces' members (see `Store::user_cospaces`);
/// this kind only names the list and its fields.
pub(crate) const USER_COSPACES: Kind = Kind {
    collection: "userCoSpaces",
    element: "userCoSpace",
    parent: Some("users"),
    params: &[],
    required: &[],
    field_filters: &[],
    list_fields: &["coSpaceId", "autoGenerated"],
    detail_fields: &["coSpaceId", "autoGenerated"],
    filter_fields: &[],
    api_writable: false,
};

/// The directory servers the Call Bridge imports users from.
pub(crate) const LDAP_SERVERS: Kind = Kind {
    collection: "ldapServers",
    element: "ldapServer",
    parent: None,
    params: &[
        p("address", TEXT),
        p("name", TEXT),
        p("portNumber", Ty::Digits),
        p("username", TEXT),
        p("password", TEXT),
        p("secure", Ty::Bool),
        p("usePagedResults", Ty::Bool),
    ],
    required: &["address", "portNumber"],
    field_filters: &[],
    list_fields: &["address", "name", "portNumber", "secure"],
    // The password is never shown.
    detail_fields: &[
        "address",
        "name",
        "portNumber",
        "username",
        "secure",
        "usePagedResults",
    ],
    filter_fields: &["address", "name"],
    api_writable: true,
};

/// How a directory entry becomes a Call Bridge user (and their space):
/// `$attribute$` replaced by the entry's value.
pub(crate) const LDAP_MAPPINGS: Kind = Kind {
    collection: "ldapMappings",
    element: "ldapMapping",
    parent: None,
    params: &[
        p("jidMapping", TEXT),
        p("nameMapping", TEXT),
        p("cdrTagMapping", TEXT),
        p("authenticationIdMapping", TEXT),
        p("coSpaceNameMapping", TEXT),
        p("coSpaceUriMapping", TEXT),
        p("coSpaceSecondaryUriMapping", TEXT),
        p("coSpaceCallIdMapping", TEXT),
    ],
    required: &[],
    field_filters: &[],
    list_fields: &["jidMapping", "nameMapping"],
    detail_fields: &[
        "jidMapping",
        "nameMapping",
        "cdrTagMapping",
        "authenticationIdMapping",
        "coSpaceNameMapping",
        "coSpaceUriMapping",
        "coSpaceSecondaryUriMapping",
        "coSpaceCallIdMapping",
    ],
    filter_fields: &["jidMapping"],
    api_writable: true,
};

/// What to import: a server, a mapping, a base DN and a filter.
pub(crate) const LDAP_SOURCES: Kind = Kind {
    collection: "ldapSources",
    element: "ldapSource",
    parent: None,
    params: &[
        p("server", Ty::Ref("ldapServers")),
        p("mapping", Ty::Ref("ldapMappings")),
        p("baseDn", TEXT),
        p("filter", TEXT),
        p("tenant", TEXT),
        p("userProfile", TEXT),
        p("nonMemberAccess", Ty::Bool),
    ],
    required: &["server", "mapping", "baseDn"],
    field_filters: &[],
    list_fields: &["server", "mapping", "baseDn", "filter"],
    detail_fields: &[
        "server",
        "mapping",
        "baseDn",
        "filter",
        "tenant",
        "userProfile",
        "nonMemberAccess",
    ],
    filter_fields: &["baseDn"],
    api_writable: true,
};

/// The coSpace template the Call Bridge assigns, at each LDAP sync, to the
/// users an LDAP source imports whose entry matches `filter`: how a template
/// reaches LDAP users without a per-user assignment.
pub(crate) const LDAP_USER_COSPACE_TEMPLATE_SOURCES: Kind = Kind {
    collection: "ldapUserCoSpaceTemplateSources",
    element: "ldapUserCoSpaceTemplateSource",
    parent: None,
    params: &[
        p("ldapSource", Ty::Ref("ldapSources")),
        p("coSpaceTemplate", Ty::Ref("coSpaceTemplates")),
        p("filter", TEXT),
    ],
    required: &["ldapSource", "coSpaceTemplate"],
    field_filters: &[],
    list_fields: &["ldapSource", "coSpaceTemplate", "filter"],
    detail_fields: &["ldapSource", "coSpaceTemplate", "filter"],
    filter_fields: &[],
    api_writable: true,
};

pub(crate) const WEB_BRIDGES: Kind = Kind {
    collection: "webBridges",
    element: "webBridge",
    parent: None,
    params: &[
        p("url", TEXT),
        p("tenant", TEXT),
        p("tenantGroup", TEXT),
        p("webBridgeProfile", TEXT),
    ],
    required: &["url"],
    field_filters: &[],
    list_fields: &["url"],
    detail_fields: &["url", "tenant", "tenantGroup", "webBridgeProfile"],
    filter_fields: &["url"],
    api_writable: true,
};

/// Active calls; `POST /calls coSpace=<id>` starts one.
pub(crate) const CALLS: Kind = Kind {
    collection: "calls",
    element: "call",
    parent: None,
    params: &[p("coSpace", Ty::Ref("coSpaces")), p("name", TEXT)],
    required: &["coSpace"],
    field_filters: &[("coSpaceFilter", "coSpace")],
    list_fields: &["name", "coSpace", "callCorrelator"],
    detail_fields: &[
        "name",
        "coSpace",
        "callCorrelator",
        "durationSeconds",
        "numCallLegs",
        "numParticipantsLocal",
    ],
    filter_fields: &["name"],
    api_writable: true,
};

/// The legs of active calls (one per participant here); read-only through
/// the API, made by [`super::SimHandle::join_call`].
pub(crate) const CALL_LEGS: Kind = Kind {
    collection: "callLegs",
    element: "callLeg",
    parent: None,
    params: &[
        p("call", Ty::Ref("calls")),
        p("name", TEXT),
        p("remoteParty", TEXT),
        p("direction", Ty::Enum(&["incoming", "outgoing"])),
    ],
    required: &["call"],
    field_filters: &[],
    list_fields: &["name", "remoteParty", "call"],
    detail_fields: &[
        "name",
        "remoteParty",
        "call",
        "direction",
        "durationSeconds",
    ],
    filter_fields: &["name", "remoteParty"],
    api_writable: false,
};

/// The participants of active calls; read-only, made with their call leg.
pub(crate) const PARTICIPANTS: Kind = Kind {
    collection: "participants",
    element: "participant",
    parent: None,
    params: &[
        p("call", Ty::Ref("calls")),
        p("callLeg", Ty::Ref("callLegs")),
        p("name", TEXT),
    ],
    required: &["call"],
    field_filters: &[],
    list_fields: &["name", "call"],
    detail_fields: &["name", "call"],
    filter_fields: &["name"],
    api_writable: false,
};

const KINDS: &[&Kind] = &[
    &CALL_PROFILES,
    &CALL_LEG_PROFILES,
    &COSPACE_TEMPLATES,
    &ACCESS_METHOD_TEMPLATES,
    &COSPACES,
    &ACCESS_METHODS,
    &COSPACE_USERS,
    &USERS,
    &USER_COSPACE_TEMPLATES,
    &LDAP_SERVERS,
    &LDAP_MAPPINGS,
    &LDAP_SOURCES,
    &LDAP_USER_COSPACE_TEMPLATE_SOURCES,
    &WEB_BRIDGES,
    &CALLS,
    &CALL_LEGS,
    &PARTICIPANTS,
];

/// Lists under an object that are views of top-level objects:
/// `/calls/<id>/callLegs` lists the call legs whose `call` is `<id>`.
const VIEWS: &[(&str, &str, &Kind, &str)] = &[
    ("calls", "callLegs", &CALL_LEGS, "call"),
    ("calls", "participants", &PARTICIPANTS, "call"),
];

/// The kind at `/api/v1/<collection>` (node names in any case).
pub(crate) fn top_kind(collection: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.parent.is_none() && k.collection.eq_ignore_ascii_case(collection))
}

/// The kind at `/api/v1/<parent>/<id>/<collection>`.
pub(crate) fn sub_kind(parent: &str, collection: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.parent == Some(parent) && k.collection.eq_ignore_ascii_case(collection))
}

/// A view at `/api/v1/<parent>/<id>/<collection>`: its kind and the field
/// that holds the parent's id.
pub(crate) fn view(parent: &str, collection: &str) -> Option<(&'static Kind, &'static str)> {
    VIEWS
        .iter()
        .find(|(p, c, _, _)| *p == parent && c.eq_ignore_ascii_case(collection))
        .map(|(_, _, k, f)| (*k, *f))
}

pub(crate) fn kind_of(collection: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.collection == collection)
}

pub(crate) fn valid_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}
