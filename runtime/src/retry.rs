use core::time::Duration;

/// How often and how patiently an Agent step retries transient errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The wait before the first retry; each further retry waits twice as long.
    pub first_delay: Duration,
}

/// No single wait between attempts is longer than this, however large the exponent grows.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

impl RetryPolicy {
    /// DSL.md's defaults: 3 retries, 1000 ms first delay.
    pub fn from_step(max_retries: Option<u32>, retry_delay_ms: Option<u64>) -> Self {
        Self {
            max_retries: max_retries.unwrap_or(3),
            first_delay: Duration::from_millis(retry_delay_ms.unwrap_or(1000)),
        }
    }

    /// The wait before retry number `retry` (1-based), or `None` when retries are used up.
    /// An agent's own `retry-after` hint wins when it is longer.
    pub fn backoff(&self, retry: u32, retry_after_ms: Option<u64>) -> Option<Duration> {
        if retry > self.max_retries {
            return None;
        }
        let exponential = self
            .first_delay
            .checked_mul(1u32.checked_shl(retry - 1).unwrap_or(u32::MAX))
            .unwrap_or(MAX_BACKOFF)
            .min(MAX_BACKOFF);
        let hinted = Duration::from_millis(retry_after_ms.unwrap_or(0)).min(MAX_BACKOFF);
        Some(exponential.max(hinted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_after_max_retries() {
        let policy = RetryPolicy::from_step(Some(3), Some(100));
        assert_eq!(policy.backoff(1, None), Some(Duration::from_millis(100)));
        assert_eq!(policy.backoff(2, None), Some(Duration::from_millis(200)));
        assert_eq!(policy.backoff(3, None), Some(Duration::from_millis(400)));
        assert_eq!(policy.backoff(4, None), None);
    }

    #[test]
    fn retry_after_hint_wins_when_longer_and_backoff_is_capped() {
        let policy = RetryPolicy::from_step(Some(40), Some(1000));
        assert_eq!(policy.backoff(1, Some(5000)), Some(Duration::from_secs(5)));
        assert_eq!(policy.backoff(39, None), Some(MAX_BACKOFF));
    }

    #[test]
    fn defaults_follow_the_dsl() {
        assert_eq!(
            RetryPolicy::from_step(None, None),
            RetryPolicy {
                max_retries: 3,
                first_delay: Duration::from_secs(1)
            }
        );
    }
}
