//! A map that keeps at most so many entries, dropping the least recently used: the
//! core's compiled components, which would otherwise grow with every component run.

use std::collections::HashMap;
use std::hash::Hash;

pub(super) struct Lru<K, V> {
    capacity: usize,
    /// Each value with the tick it was last used at.
    entries: HashMap<K, (V, u64)>,
    tick: u64,
}

impl<K: Eq + Hash + Clone, V: Clone> Lru<K, V> {
    /// Keeps at most `capacity` entries (at least one).
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            tick: 0,
        }
    }

    /// The value for `key`, marked used.
    pub(super) fn get(&mut self, key: &K) -> Option<V> {
        self.tick += 1;
        let (value, used) = self.entries.get_mut(key)?;
        *used = self.tick;
        Some(value.clone())
    }

    /// Whether `key` has a value (not marked used).
    pub(super) fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Keeps `value` for `key`, dropping the least recently used entry when full.
    pub(super) fn insert(&mut self, key: K, value: V) {
        self.tick += 1;
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            // A linear scan: the map holds tens of entries, and an insert follows a
            // compile, which takes far longer.
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (value, self.tick));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entry_goes_when_full() {
        let mut lru = Lru::new(2);
        lru.insert("a", 1);
        lru.insert("b", 2);
        assert_eq!(lru.get(&"a"), Some(1)); // `b` is now the least recently used
        lru.insert("c", 3);
        assert_eq!(lru.get(&"b"), None);
        assert!(!lru.contains(&"b") && lru.contains(&"c"));
        assert_eq!(lru.get(&"a"), Some(1));
        assert_eq!(lru.get(&"c"), Some(3));
        lru.insert("c", 4); // replacing an entry drops nothing
        assert_eq!((lru.get(&"a"), lru.get(&"c")), (Some(1), Some(4)));
    }
}
