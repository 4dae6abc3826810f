//! Deadlines: `executionTimeoutSeconds` for the whole run, `config.timeout` for a
//! Split or While step. They are checked between steps (and while a step waits),
//! never in the middle of an agent call: a component cannot interrupt a call into
//! another component, so the step that overran fails once the call returns.

use core::time::Duration;

use crate::clock::Instant;

use crate::WorkflowError;

/// A point in time and the error that work still running after it fails with.
#[derive(Debug, Clone)]
pub(crate) struct Deadline {
    at: Instant,
    error: WorkflowError,
}

impl Deadline {
    /// `limit` from now; `None` when that is too far away to represent (no deadline).
    pub fn after(limit: Duration, error: WorkflowError) -> Option<Self> {
        Some(Self {
            at: Instant::now().checked_add(limit)?,
            error,
        })
    }

    /// The error, once the deadline has passed.
    pub fn check(&self) -> Result<(), WorkflowError> {
        if Instant::now() > self.at {
            Err(self.error.clone())
        } else {
            Ok(())
        }
    }

    /// How long until the deadline passes.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whichever of two optional deadlines comes first.
    pub fn earliest(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.at < a.at { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str) -> WorkflowError {
        WorkflowError::workflow(code, "late")
    }

    #[test]
    fn a_passed_deadline_fails_with_its_error() {
        let deadline = Deadline::after(Duration::ZERO, error("LATE")).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(deadline.check().unwrap_err().code, "LATE");
        assert_eq!(deadline.remaining(), Duration::ZERO);
    }

    #[test]
    fn the_earlier_deadline_wins() {
        let near = Deadline::after(Duration::from_secs(1), error("NEAR"));
        let far = Deadline::after(Duration::from_secs(100), error("FAR"));
        let earliest = |a: &Option<Deadline>, b: &Option<Deadline>| {
            Deadline::earliest(a.clone(), b.clone()).map(|d| d.error.code)
        };
        assert_eq!(earliest(&near, &far).as_deref(), Some("NEAR"));
        assert_eq!(earliest(&far, &near).as_deref(), Some("NEAR"));
        assert_eq!(earliest(&None, &far).as_deref(), Some("FAR"));
        assert_eq!(earliest(&None, &None), None);
        assert!(Deadline::after(Duration::MAX, error("NEVER")).is_none());
    }
}
