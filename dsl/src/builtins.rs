//! The built-in variables, readable as `variables.<name>`: the run's identity
//! everywhere, and inside Split and While iterations the upstream-compatible
//! iteration variables. The runtime sets them; a scenario cannot declare them
//! (validation refuses a graph's `variables` or a step's `config.variables` that
//! name one), so they cannot be forged.

/// The workflow's id (the child's id inside an embedded workflow).
pub const WORKFLOW_ID: &str = "_workflow_id";
/// The instance's id.
pub const INSTANCE_ID: &str = "_instance_id";
/// The tenant's id.
pub const TENANT_ID: &str = "_tenant_id";
/// This iteration's 0-based index (Split and While).
pub const INDEX: &str = "_index";
/// The indices of every enclosing iteration, outermost first, this one last.
pub const LOOP_INDICES: &str = "_loop_indices";
/// The current Split item (kept by an inner While).
pub const ITEM: &str = "_item";
/// The While context `{index, outputs}` (kept by an inner Split).
pub const LOOP: &str = "_loop";
/// The previous While iteration's Finish output: absent in iteration 0, and
/// never inherited from an enclosing While (an inner Split or While drops it).
pub const PREVIOUS_OUTPUTS: &str = "_previousOutputs";
/// The signal id a WaitForSignal step waits for, in its `onWait` subgraph.
pub const SIGNAL_ID: &str = "_signal_id";

/// Every built-in variable.
pub const ALL: [&str; 9] = [
    WORKFLOW_ID,
    INSTANCE_ID,
    TENANT_ID,
    INDEX,
    LOOP_INDICES,
    ITEM,
    LOOP,
    PREVIOUS_OUTPUTS,
    SIGNAL_ID,
];

/// Whether `name` is a built-in variable.
pub fn is_builtin(name: &str) -> bool {
    ALL.contains(&name)
}

/// Where a built-in variable that is not set everywhere is set, for an error
/// about reading it elsewhere.
pub(crate) fn where_set(name: &str) -> Option<&'static str> {
    Some(match name {
        INDEX | LOOP_INDICES => "inside a Split's or a While's subgraph",
        ITEM => "inside a Split's subgraph",
        LOOP => "inside a While's subgraph",
        PREVIOUS_OUTPUTS => "inside a While's subgraph (a Split within it does not keep it)",
        SIGNAL_ID => "inside a WaitForSignal's onWait subgraph",
        _ => return None,
    })
}
