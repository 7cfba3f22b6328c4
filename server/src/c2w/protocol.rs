//! The messages of the C2W protocol (see `docs/c2w.md`): JSON text frames,
//! each `{"v": 1, "type": "...", ...}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The protocol version this scheduler speaks.
pub const VERSION: u32 = 1;

/// One frame: the version and the message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub v: u32,
    #[serde(flatten)]
    pub msg: Message,
}

impl Envelope {
    pub fn new(msg: Message) -> Self {
        Self { v: VERSION, msg }
    }

    pub fn to_text(&self) -> String {
        // A Message always serializes (strings, numbers and JSON values only).
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// Who the web bridge says the signed-in web-app user is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelayedUser {
    Username(String),
    Email(String),
}

/// An error answered to a relayed request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayError {
    pub code: String,
    pub message: String,
    /// The meeting service's own error, when it produced one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
}

impl RelayError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: message.into(),
            detail: None,
        }
    }

    /// What a relay answers for an unknown operation.
    pub fn unsupported(op: &str) -> Self {
        Self::new("unsupported", format!("unknown operation {op}"))
    }
}

/// Answers relayed requests (`op` and `params` as in `docs/c2w.md`): the
/// link (`supervisor`) calls it, the meeting service (`relay`) implements it.
#[async_trait::async_trait]
pub trait RelayHandler: Send + Sync + 'static {
    async fn handle(
        &self,
        user: &RelayedUser,
        op: &str,
        params: Value,
    ) -> Result<Value, RelayError>;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Message {
    /// Web bridge -> scheduler, first frame: the bridge's identity.
    #[serde(rename = "hello")]
    Hello { guid: String },
    /// Scheduler -> web bridge, answer to `hello`.
    #[serde(rename = "hello.ack")]
    HelloAck { node: String },
    /// Scheduler -> web bridge: scheduling is (or is no longer) offered.
    #[serde(rename = "scheduling.available")]
    SchedulingAvailable { available: bool },
    /// Either side; the other answers `heartbeat.ack` with the same `seq`.
    #[serde(rename = "heartbeat")]
    Heartbeat { seq: u64 },
    #[serde(rename = "heartbeat.ack")]
    HeartbeatAck { seq: u64 },
    /// Web bridge -> scheduler: a request of a signed-in web-app user.
    #[serde(rename = "request")]
    Request {
        id: String,
        user: RelayedUser,
        op: String,
        #[serde(default)]
        params: Value,
    },
    /// Scheduler -> web bridge: the answer to `request` `id`.
    #[serde(rename = "response")]
    Response {
        id: String,
        ok: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<RelayError>,
    },
    /// Scheduler -> every web bridge: something changed.
    #[serde(rename = "push")]
    Push {
        event: String,
        #[serde(default)]
        data: Value,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_flat_versioned_json() {
        let e = Envelope::new(Message::Hello { guid: "g".into() });
        assert_eq!(e.to_text(), r#"{"v":1,"type":"hello","guid":"g"}"#);
        let r = Envelope::parse(
            r#"{"v":1,"type":"request","id":"1","user":{"email":"a@b"},"op":"meetings.list"}"#,
        )
        .unwrap();
        assert!(matches!(
            r.msg,
            Message::Request { ref user, .. } if *user == RelayedUser::Email("a@b".into())
        ));
    }
}
