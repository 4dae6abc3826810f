//! The calls a workflow that runs outside the core makes on its instance (the
//! operations of `runtara:durable/context`), as they travel to the core service.
//!
//! Over HTTP each call is a route under `/api/v1/instances/{id}/` (the
//! `durable-http` adapter). Over QUIC (native binaries) each call is one
//! bidirectional stream: the client writes a [`QuicRequest`] as JSON and finishes
//! its side; the core answers with a [`QuicReply`] as JSON and finishes. Replies
//! carry the same JSON bodies as the HTTP routes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The ALPN protocol name of the core's QUIC endpoint.
pub const QUIC_ALPN: &[u8] = b"runtara/1";
/// The server name the core's QUIC certificate is issued for; clients verify it.
pub const QUIC_SERVER_NAME: &str = "localhost";
/// The largest request or reply on a QUIC stream (a register reply holds every
/// checkpoint of the instance).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// One call on an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "call",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Call {
    /// A run starts: `{"checkpoints": [{"id", "state"}]}`. Creates the instance when
    /// the tenant has none by that id.
    Register,
    /// `{"existingState", "shouldPause", "shouldCancel"}`.
    Checkpoint { checkpoint_id: String, state: Value },
    /// `{"signal": null | {"kind": "pause"|"cancel", "payload": null}}`.
    PollSignal,
    /// `{"arrived": bool, "payload"}`.
    TakeSignal { signal_id: String },
    /// `{"wakeAt", "remainingMs"}`.
    DurableSleep {
        checkpoint_id: String,
        duration_ms: u64,
    },
    /// No answer (`null`).
    Log {
        level: LogLevel,
        message: String,
        #[serde(default)]
        context: Value,
    },
    /// No answer (`null`).
    Completed { output: Value },
    /// No answer (`null`).
    Failed { error: Value },
    /// `{"status": "paused"|"sleeping"}`.
    Suspended,
}

/// The level of a log event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// `register`'s reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registered {
    /// The checkpoints earlier runs saved, oldest first.
    pub checkpoints: Vec<Saved>,
}

/// A checkpoint an earlier run saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub id: String,
    pub state: Value,
}

/// `checkpoint`'s reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkpointed {
    /// The state saved earlier under the same id (kept), if any.
    pub existing_state: Option<Value>,
    pub should_pause: bool,
    pub should_cancel: bool,
}

/// `poll-signal`'s reply: the pending pause or cancel request, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Polled {
    pub signal: Option<ControlSignal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlSignal {
    pub kind: ControlKind,
    #[serde(default)]
    pub payload: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlKind {
    Pause,
    Cancel,
}

/// `take-signal`'s reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Taken {
    pub arrived: bool,
    #[serde(default)]
    pub payload: Value,
}

/// `durable-sleep`'s reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slept {
    /// When the sleep ends (ms since the epoch), as recorded when it was first asked.
    pub wake_at: i64,
    /// What is left of it now.
    pub remaining_ms: u64,
}

/// A call over QUIC, with who makes it: what HTTP puts in its path and headers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuicRequest {
    pub token: String,
    pub tenant_id: String,
    pub instance_id: String,
    #[serde(flatten)]
    pub call: Call,
}

/// The core's answer on a QUIC stream: the reply body, or an error with the HTTP
/// status the same refusal has over HTTP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum QuicReply {
    Ok(Value),
    Error(CallError),
}

/// Why the core refused a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_quic_request_is_flat_json() {
        let request = QuicRequest {
            token: "t".into(),
            tenant_id: "acme".into(),
            instance_id: "i".into(),
            call: Call::Checkpoint {
                checkpoint_id: "first".into(),
                state: json!({"steps": {}}),
            },
        };
        let text = serde_json::to_value(&request).unwrap();
        assert_eq!(
            text,
            json!({"token": "t", "tenantId": "acme", "instanceId": "i", "call": "checkpoint",
                   "checkpointId": "first", "state": {"steps": {}}})
        );
        assert_eq!(
            serde_json::from_value::<QuicRequest>(text).unwrap(),
            request
        );
        let reply = serde_json::to_value(QuicReply::Ok(json!(null))).unwrap();
        assert_eq!(reply, json!({"ok": null}));
        // The call's own fields are checked.
        let extra = json!({"token": "t", "tenantId": "a", "instanceId": "i",
                           "call": "checkpoint", "checkpointId": "x", "state": {}, "extra": 1});
        assert!(serde_json::from_value::<QuicRequest>(extra).is_err());
    }
}
