//! The client's error type and the mapping from `<failureDetails>` answers.

use std::time::Duration;

/// One reason read from a Call Bridge `<failureDetails>` body, e.g.
/// `<failureDetails><parameterError parameter="uri" error="invalidValue"/></failureDetails>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureDetail {
    /// The element name inside `<failureDetails>` (`duplicateCoSpaceUri`, `parameterError`, ...).
    pub reason: String,
    /// The `parameter` attribute (set for `parameterError`).
    pub parameter: Option<String>,
    /// The `error` attribute (set for `parameterError`).
    pub error: Option<String>,
}

/// Everything a Call Bridge API call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CallBridgeError {
    /// 401: the API user name or password was refused.
    #[error("the Call Bridge refused the API credentials (401)")]
    Unauthorized,
    /// 404, or a `<...DoesNotExist/>` failure reason: the object is unknown.
    #[error("{object} does not exist on the Call Bridge ({reason})")]
    NotFound {
        /// The kind of object named by the failure reason (`coSpace` for
        /// `coSpaceDoesNotExist`), or `object` when the body named none.
        object: String,
        /// The failure reason as sent (`coSpaceDoesNotExist`), or `404`.
        reason: String,
    },
    /// `duplicateCoSpaceUri`: the URI is already used by a coSpace or an access method.
    #[error("the URI is already used by another coSpace or access method (duplicateCoSpaceUri)")]
    DuplicateCoSpaceUri,
    /// `duplicateCoSpaceId`: the call ID is already used.
    #[error(
        "the call ID is already used by another coSpace or access method (duplicateCoSpaceId)"
    )]
    DuplicateCoSpaceId,
    /// `parameterError`: one parameter was refused.
    #[error("the Call Bridge refused parameter {parameter:?}: {error}")]
    ParameterError { parameter: String, error: String },
    /// Any other `<failureDetails>` reason.
    #[error("the Call Bridge refused the request (HTTP {status}): {reason}")]
    Failure { status: u16, reason: String },
    /// 503 until the retry policy gave up.
    #[error("the Call Bridge is busy (503), gave up after {attempts} attempt(s)")]
    Busy { attempts: u32 },
    /// No complete answer within the configured timeout.
    #[error("the Call Bridge did not answer within {0:?}")]
    Timeout(Duration),
    /// No connection, or the connection was closed before an answer.
    #[error("the Call Bridge is unreachable: {0}")]
    Unreachable(String),
    /// The TLS handshake failed: the Call Bridge's certificate does not
    /// verify against the trust bundle (or the system's roots), or does not
    /// name the host the URL names.
    #[error("the Call Bridge's certificate was refused ({0}); check `scheduler callbridge trust` and the host name in the URL")]
    Certificate(String),
    /// An HTTP status the API does not document, without failure details.
    #[error("unexpected HTTP status {status} from the Call Bridge")]
    UnexpectedStatus { status: u16, body: String },
    /// The answer was not the XML expected.
    #[error("cannot read the Call Bridge's answer: {0}")]
    Parse(String),
    /// A create answered 200 without a usable `Location` header.
    #[error("the Call Bridge answered a create without a Location header")]
    MissingLocation,
    /// The client configuration is unusable (non-loopback address, bad trust bundle, ...).
    #[error("invalid Call Bridge client configuration: {0}")]
    Config(String),
}

impl CallBridgeError {
    /// The kind of failure, as the metrics label it.
    pub fn kind(&self) -> &'static str {
        match self {
            CallBridgeError::Unauthorized => "unauthorized",
            CallBridgeError::NotFound { .. } => "not_found",
            CallBridgeError::DuplicateCoSpaceUri | CallBridgeError::DuplicateCoSpaceId => {
                "duplicate"
            }
            CallBridgeError::ParameterError { .. } | CallBridgeError::Failure { .. } => "refused",
            CallBridgeError::Busy { .. } => "busy",
            CallBridgeError::Timeout(_) => "timeout",
            CallBridgeError::Unreachable(_) => "unreachable",
            CallBridgeError::Certificate(_) => "certificate",
            _ => "bad_answer",
        }
    }

    /// True for [`CallBridgeError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, CallBridgeError::NotFound { .. })
    }

    /// True when the request may or may not have been applied by the Call
    /// Bridge: the answer was lost (timeout, connection dropped after sending).
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            CallBridgeError::Timeout(_) | CallBridgeError::Unreachable(_)
        )
    }

    /// Maps a failure reason (and the HTTP status it came with) to an error.
    pub fn from_failure(status: u16, detail: FailureDetail) -> Self {
        match detail.reason.as_str() {
            "duplicateCoSpaceUri" => CallBridgeError::DuplicateCoSpaceUri,
            "duplicateCoSpaceId" => CallBridgeError::DuplicateCoSpaceId,
            "parameterError" => CallBridgeError::ParameterError {
                parameter: detail.parameter.unwrap_or_default(),
                error: detail.error.unwrap_or_default(),
            },
            reason => match reason.strip_suffix("DoesNotExist") {
                Some(object) if !object.is_empty() => CallBridgeError::NotFound {
                    object: object.to_string(),
                    reason: reason.to_string(),
                },
                _ => CallBridgeError::Failure {
                    status,
                    reason: reason.to_string(),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(reason: &str) -> FailureDetail {
        FailureDetail {
            reason: reason.into(),
            parameter: None,
            error: None,
        }
    }

    #[test]
    fn failure_reasons_map_to_variants() {
        assert!(matches!(
            CallBridgeError::from_failure(400, detail("duplicateCoSpaceUri")),
            CallBridgeError::DuplicateCoSpaceUri
        ));
        match CallBridgeError::from_failure(404, detail("coSpaceDoesNotExist")) {
            CallBridgeError::NotFound { object, .. } => assert_eq!(object, "coSpace"),
            other => panic!("unexpected {other:?}"),
        }
        match CallBridgeError::from_failure(400, detail("tooManyLdapSyncs")) {
            CallBridgeError::Failure { status, reason } => {
                assert_eq!((status, reason.as_str()), (400, "tooManyLdapSyncs"))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
