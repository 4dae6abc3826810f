//! The calls a workflow that runs outside the core makes on its instance (the
//! operations of `runtara:durable/context`), as they travel to the core service.
//!
//! Over HTTP each call is a route under `/api/v1/instances/{id}/` (the
//! `durable-http` adapter). Over QUIC (native binaries) each call is one
//! bidirectional stream: the client writes a [`QuicRequest`] as JSON and finishes
//! its side; the core answers with a [`QuicReply`] as JSON and finishes. Replies
//! carry the same JSON bodies as the HTTP routes.
//!
//! It also owns what the workflow and the core agree on whichever way a call
//! travels: the stop requests a run pulls ([`Control`]) and the error codes a
//! stopped run ends with ([`PAUSED`], [`SUSPENDED`], [`CANCELLED`]). The crate is
//! `no_std` + `alloc`, because `runtara-runtime` (firmware too) uses those.

#![no_std]

extern crate alloc;

use alloc::{format, string::String, vec::Vec};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The error code of a run that stopped at a pause request, to be resumed.
pub const PAUSED: &str = "PAUSED";
/// The error code of a run that stopped for a durable sleep, to be resumed when it is due.
pub const SUSPENDED: &str = "SUSPENDED";
/// The error code of a run that stopped at a cancel request: the instance ends cancelled.
pub const CANCELLED: &str = "CANCELLED";

/// A request to stop that reaches a running workflow at its next checkpoint or poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Control {
    Pause,
    Cancel,
}

/// The ALPN protocol name of the core's QUIC endpoint.
pub const QUIC_ALPN: &[u8] = b"runtara/1";
/// The server name the core's QUIC certificate is issued for; clients verify it.
pub const QUIC_SERVER_NAME: &str = "localhost";
/// The most bytes of checkpoints (ids and states as JSON) one page of a replay
/// carries; a page holds one checkpoint at least, whatever its size.
pub const MAX_PAGE_BYTES: usize = 4 << 20;
/// The largest checkpoint (id and state as JSON) the core saves for a workflow run
/// outside it: one page of a replay must carry it back.
pub const MAX_CHECKPOINT_BYTES: usize = 12 << 20;
/// The largest request or reply on a QUIC stream: a checkpoint or a page of a
/// replay, with room for its framing.
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;
const _: () = assert!(MAX_MESSAGE_BYTES >= MAX_CHECKPOINT_BYTES + (1 << 20));
const _: () = assert!(MAX_CHECKPOINT_BYTES >= MAX_PAGE_BYTES);

/// One call on an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "call",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Call {
    /// A run starts: the first [`ReplayPage`] of the checkpoints earlier runs saved.
    /// Creates the instance when the tenant has none by that id.
    Register,
    /// The [`ReplayPage`] of the checkpoints saved after the one `after` names (a
    /// page's `next`).
    Checkpoints { after: u64 },
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

/// The reply of `register` and `checkpoints`: one page of the checkpoints earlier
/// runs saved, oldest first, at most [`MAX_PAGE_BYTES`] of them (or one larger
/// checkpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayPage {
    pub checkpoints: Vec<Saved>,
    /// Where the next page starts (the `after` of a `checkpoints` call); `None` on
    /// the last page.
    #[serde(default)]
    pub next: Option<u64>,
}

impl ReplayPage {
    /// Checks that a page's `next` moves on from `after`, the cursor it was asked
    /// with (0 for `register`), so that a client reading pages always ends.
    pub fn check_progress(&self, after: u64) -> Result<(), String> {
        match self.next {
            Some(next) if next <= after || self.checkpoints.is_empty() => Err(format!(
                "the page of checkpoints after {after} does not move on (next {next}, {} checkpoints)",
                self.checkpoints.len()
            )),
            _ => Ok(()),
        }
    }
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
    pub kind: Control,
    #[serde(default)]
    pub payload: Option<Value>,
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

impl core::fmt::Display for CallError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
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

    #[test]
    fn a_replay_page_names_where_the_next_starts_and_must_move_on() {
        let call = serde_json::to_value(Call::Checkpoints { after: 7 }).unwrap();
        assert_eq!(call, json!({"call": "checkpoints", "after": 7}));
        let page: ReplayPage =
            serde_json::from_value(json!({"checkpoints": [{"id": "a", "state": {}}], "next": 9}))
                .unwrap();
        assert_eq!(page.check_progress(7), Ok(()));
        assert!(page.check_progress(9).is_err(), "a page that goes back");
        let last: ReplayPage = serde_json::from_value(json!({"checkpoints": []})).unwrap();
        assert_eq!(last.next, None);
        assert_eq!(last.check_progress(9), Ok(()));
        let stuck = ReplayPage {
            checkpoints: Vec::new(),
            next: Some(12),
        };
        let error = stuck.check_progress(9).unwrap_err();
        assert_eq!(
            error,
            "the page of checkpoints after 9 does not move on (next 12, 0 checkpoints)"
        );
    }
}
