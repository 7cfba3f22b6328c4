//! The object kinds the simulator knows: names, accepted parameters and
//! their types, required parameters, and the fields lists and single-object
//! answers show.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Text,
    /// A URI user part: letters, digits, `.`, `_`, `-`, `+`.
    Uri,
    /// A URI user part with exactly one `$`.
    UriGenerator,
    Bool,
    Digits,
    /// The id of an object of that top-level collection.
    Ref(&'static str),
    Scope,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub name: &'static str,
    pub ty: Ty,
    /// False for actions (`requireCallId`, `regenerateSecret`, `coSpaceTemplate`).
    pub stored: bool,
}

const fn p(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        stored: true,
    }
}

const fn action(name: &'static str, ty: Ty) -> Param {
    Param {
        name,
        ty,
        stored: false,
    }
}

/// An object kind: its names, parameters and which fields it shows.
#[derive(Debug)]
pub(crate) struct Kind {
    pub collection: &'static str,
    pub element: &'static str,
    pub parent: Option<&'static str>,
    pub params: &'static [Param],
    pub required: &'static [&'static str],
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
        p("name", Ty::Text),
        p("participantLimit", Ty::Digits),
        p("recordingMode", Ty::Text),
        p("streamingMode", Ty::Text),
    ],
    required: &[],
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
        p("name", Ty::Text),
        p("defaultLayout", Ty::Text),
        p("needsActivation", Ty::Bool),
    ],
    required: &[],
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
        p("name", Ty::Text),
        p("description", Ty::Text),
        p("callProfile", Ty::Ref("callProfiles")),
        p("callLegProfile", Ty::Ref("callLegProfiles")),
        p("dialInSecurityProfile", Ty::Text),
        p("defaultAccessMethodTemplate", Ty::Text),
    ],
    required: &[],
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
        p("name", Ty::Text),
        p("uriGenerator", Ty::UriGenerator),
        p("callLegProfile", Ty::Ref("callLegProfiles")),
        p("generateUniqueCallId", Ty::Bool),
        p("dialInSecurityProfile", Ty::Text),
        p("scope", Ty::Scope),
    ],
    required: &["uriGenerator"],
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

pub(crate) const COSPACES: Kind = Kind {
    collection: "coSpaces",
    element: "coSpace",
    parent: None,
    params: &[
        p("name", Ty::Text),
        p("uri", Ty::Uri),
        p("secondaryUri", Ty::Uri),
        p("callId", Ty::Digits),
        p("cdrTag", Ty::Text),
        p("passcode", Ty::Digits),
        p("defaultLayout", Ty::Text),
        p("callProfile", Ty::Ref("callProfiles")),
        p("callLegProfile", Ty::Ref("callLegProfiles")),
        p("secret", Ty::Text),
        p("ownerJid", Ty::Text),
        p("meetingScheduler", Ty::Text),
        p("nonMemberAccess", Ty::Bool),
        action("requireCallId", Ty::Bool),
        action("regenerateSecret", Ty::Bool),
        action("coSpaceTemplate", Ty::Ref("coSpaceTemplates")),
    ],
    required: &[],
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
        "callProfile",
        "callLegProfile",
        "secret",
        "ownerJid",
        "meetingScheduler",
        "nonMemberAccess",
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
        p("callLegProfile", Ty::Ref("callLegProfiles")),
        p("secret", Ty::Text),
        action("regenerateSecret", Ty::Bool),
        p("scope", Ty::Scope),
        p("name", Ty::Text),
        p("dialInSecurityProfile", Ty::Text),
    ],
    required: &[],
    list_fields: &["name", "uri", "callId", "scope"],
    detail_fields: &[
        "name",
        "uri",
        "callId",
        "passcode",
        "callLegProfile",
        "secret",
        "scope",
        "dialInSecurityProfile",
    ],
    filter_fields: &["name", "uri"],
    api_writable: true,
};

pub(crate) const USERS: Kind = Kind {
    collection: "users",
    element: "user",
    parent: None,
    params: &[
        p("userJid", Ty::Text),
        p("name", Ty::Text),
        p("email", Ty::Text),
        p("cdrTag", Ty::Text),
        p("userProfile", Ty::Text),
    ],
    required: &["userJid"],
    list_fields: &["userJid", "name", "email"],
    detail_fields: &["userJid", "name", "email", "cdrTag", "userProfile"],
    filter_fields: &["userJid", "name", "email"],
    api_writable: false,
};

pub(crate) const USER_COSPACE_TEMPLATES: Kind = Kind {
    collection: "userCoSpaceTemplates",
    element: "userCoSpaceTemplate",
    parent: Some("users"),
    params: &[p("coSpaceTemplate", Ty::Ref("coSpaceTemplates"))],
    required: &["coSpaceTemplate"],
    list_fields: &["coSpaceTemplate", "name", "description"],
    detail_fields: &["coSpaceTemplate", "name", "description"],
    filter_fields: &[],
    api_writable: true,
};

pub(crate) const WEB_BRIDGES: Kind = Kind {
    collection: "webBridges",
    element: "webBridge",
    parent: None,
    params: &[
        p("url", Ty::Text),
        p("tenant", Ty::Text),
        p("tenantGroup", Ty::Text),
        p("webBridgeProfile", Ty::Text),
    ],
    required: &["url"],
    list_fields: &["url"],
    detail_fields: &["url", "tenant", "tenantGroup", "webBridgeProfile"],
    filter_fields: &["url"],
    api_writable: true,
};

pub(crate) const CALLS: Kind = Kind {
    collection: "calls",
    element: "call",
    parent: None,
    params: &[p("coSpace", Ty::Ref("coSpaces")), p("name", Ty::Text)],
    required: &["coSpace"],
    list_fields: &["name", "coSpace", "callCorrelator"],
    detail_fields: &["name", "coSpace", "callCorrelator", "durationSeconds"],
    filter_fields: &["name"],
    api_writable: true,
};

const KINDS: &[&Kind] = &[
    &CALL_PROFILES,
    &CALL_LEG_PROFILES,
    &COSPACE_TEMPLATES,
    &ACCESS_METHOD_TEMPLATES,
    &COSPACES,
    &ACCESS_METHODS,
    &USERS,
    &USER_COSPACE_TEMPLATES,
    &WEB_BRIDGES,
    &CALLS,
];

/// The kind at `/api/v1/<collection>`.
pub(crate) fn top_kind(collection: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.parent.is_none() && k.collection == collection)
}

/// The kind at `/api/v1/<parent>/<id>/<collection>`.
pub(crate) fn sub_kind(parent: &str, collection: &str) -> Option<&'static Kind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.parent == Some(parent) && k.collection == collection)
}

pub(crate) fn kind_of(collection: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.collection == collection)
}

pub(crate) fn valid_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}
