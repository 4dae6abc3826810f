//! At most so many instance runs at once; the others wait their turn, first come,
//! first served.

use std::collections::VecDeque;
use std::sync::Mutex;

pub(super) struct Slots<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    free: usize,
    waiting: VecDeque<T>,
}

impl<T> Slots<T> {
    /// `max` slots (at least one).
    pub(super) fn new(max: usize) -> Self {
        Self {
            state: Mutex::new(State {
                free: max.max(1),
                waiting: VecDeque::new(),
            }),
        }
    }

    /// Takes a slot for `run` and hands it back to be run now, or queues it behind
    /// the others (`None`).
    pub(super) fn enter(&self, run: T) -> Option<T> {
        let mut state = self.lock();
        if state.free > 0 {
            state.free -= 1;
            Some(run)
        } else {
            state.waiting.push_back(run);
            None
        }
    }

    /// How many slots are free now (none while runs wait for one).
    pub(super) fn free(&self) -> usize {
        self.lock().free
    }

    /// A run that had a slot ended: its slot goes to the first waiting run, handed
    /// back to be run now, or is freed.
    pub(super) fn leave(&self) -> Option<T> {
        let mut state = self.lock();
        let next = state.waiting.pop_front();
        if next.is_none() {
            state.free += 1;
        }
        next
    }

    /// A poisoned lock still holds a valid count and queue.
    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_over_the_cap_wait_in_order() {
        let slots = Slots::new(2);
        assert_eq!(slots.enter("a"), Some("a"));
        assert_eq!(slots.enter("b"), Some("b"));
        assert_eq!(slots.enter("c"), None);
        assert_eq!(slots.enter("d"), None);
        assert_eq!(slots.free(), 0);
        assert_eq!(slots.leave(), Some("c"));
        assert_eq!(slots.leave(), Some("d"));
        assert_eq!(slots.leave(), None);
        assert_eq!(slots.enter("e"), Some("e"));
        assert_eq!(slots.leave(), None);
        assert_eq!(slots.leave(), None);
        // Both slots are free again.
        assert_eq!(slots.free(), 2);
        assert_eq!(slots.enter("f"), Some("f"));
        assert_eq!(slots.enter("g"), Some("g"));
        assert_eq!(slots.enter("h"), None);
    }
}
