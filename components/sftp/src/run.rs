//! Running one call's async SSH work behind the synchronous capability functions.
//!
//! Capabilities are plain `fn(Value) -> Result<Value, AgentError>`, and a native scenario
//! may call them from inside its own tokio runtime, where `block_on` would panic. So each
//! call runs a current-thread runtime of its own on a thread of its own, which it joins:
//! the caller's runtime (if any) is never touched, and nothing outlives the call. The
//! whole call, from connecting to closing, is bounded by `connection.timeout`.

use std::thread;

use runtara_agent::AgentError;

use crate::errors::Target;
use crate::remote::Remote;

/// Opens a session for `target`, runs `work` on it, closes it, and returns what `work`
/// returned; or the error that stopped it, a `TIMEOUT` when it overran.
pub fn on_server<T, F>(target: Target<'_>, work: F) -> Result<T, AgentError>
where
    T: Send,
    F: AsyncFnOnce(&Remote<'_>) -> Result<T, AgentError> + Send,
{
    let internal = |what: &str, detail: &dyn std::fmt::Display| {
        AgentError::transient(
            "INTERNAL_ERROR",
            format!("{}: cannot {what}: {detail}", target.capability),
        )
    };
    thread::scope(|scope| {
        let worker = thread::Builder::new()
            .name(format!("runtara-sftp {}", target.capability))
            .spawn_scoped(scope, || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| internal("start a tokio runtime", &e))?;
                runtime.block_on(async {
                    tokio::time::timeout(target.connection.timeout, session(target, work))
                        .await
                        .unwrap_or_else(|_| Err(target.timed_out()))
                })
            })
            .map_err(|e| internal("start a thread", &e))?;
        worker.join().unwrap_or_else(|panic| {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(AgentError::permanent(
                "INTERNAL_ERROR",
                format!("{}: the SSH client panicked: {detail}", target.capability),
            ))
        })
    })
}

/// The session's life: open, work, close (also after a failure in `work`).
async fn session<T, F>(target: Target<'_>, work: F) -> Result<T, AgentError>
where
    F: AsyncFnOnce(&Remote<'_>) -> Result<T, AgentError>,
{
    let remote = Remote::open(target).await?;
    let result = work(&remote).await;
    remote.close().await;
    result
}
