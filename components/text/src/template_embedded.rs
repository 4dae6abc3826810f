//! `render-template` in the embedded (`no_std`) build: templates are rendered with
//! minijinja, which needs the standard library, so the capability answers
//! `UNAVAILABLE_ON_TARGET`. `runtara compile --target embedded` refuses it beforehand
//! (`compiler/src/embedded_support.rs` holds the same reason).

use runtara_agent::AgentError;
use serde_json::Value;

/// See the std build: unavailable here.
pub fn render_template(_input: Value) -> Result<Value, AgentError> {
    Err(AgentError::unavailable_on_target(
        "render-template",
        "templates use minijinja, which needs std",
    ))
}
