//! Limits of runs: the memory limiter of one store, and the pool of memories,
//! tables and stacks that a pooled host reserves for its runs.

use wasmtime::{InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter};

/// How many runs a pooled host holds at once: each gets its memories, tables and
/// stack from slots reserved up front.
#[derive(Debug, Clone, Copy)]
pub struct InstancePool {
    /// Runs at once (the core's `max_running`).
    pub runs: usize,
}

/// Per run: a composed app is a few components (the scenario and its agents), each
/// with one memory, a couple of tables and up to a dozen core instances; these
/// leave room for a scenario with dozens of agents.
const MEMORIES_PER_RUN: u32 = 32;
const TABLES_PER_RUN: u32 = 64;
const CORE_INSTANCES_PER_RUN: u32 = 256;
/// Each memory slot reserves this much address space (Wasmtime's default memory
/// reservation on 64-bit hosts, which lets compiled code skip bounds checks), so a
/// slot may as well let one memory grow that far: the run's own memory limit is
/// enforced by [`MemoryLimit`], summed over its memories, with a clear error.
const MEMORY_SLOT_BYTES: u64 = 4 << 30;
/// The address space the pool may reserve, of the 128 TiB a 64-bit Linux process
/// has (reserved, not committed: it costs no memory until used).
const MAX_RESERVED_BYTES: u64 = 32 << 40;

impl InstancePool {
    /// The pooling allocator for this pool, or `None` when its memory slots would
    /// reserve more address space than [`MAX_RESERVED_BYTES`] (runs then allocate
    /// their memories as they start).
    pub(crate) fn allocation_strategy(&self) -> Option<InstanceAllocationStrategy> {
        let runs = u32::try_from(self.runs.max(1)).ok()?;
        let memories = runs.checked_mul(MEMORIES_PER_RUN)?;
        if u64::from(memories) * MEMORY_SLOT_BYTES > MAX_RESERVED_BYTES {
            return None;
        }
        let mut pooling = PoolingAllocationConfig::default();
        pooling
            .total_component_instances(runs)
            .total_stacks(runs)
            .total_memories(memories)
            .total_tables(runs.checked_mul(TABLES_PER_RUN)?)
            .total_core_instances(runs.checked_mul(CORE_INSTANCES_PER_RUN)?)
            .max_memories_per_component(MEMORIES_PER_RUN)
            .max_tables_per_component(TABLES_PER_RUN)
            .max_core_instances_per_component(CORE_INSTANCES_PER_RUN)
            .max_memory_size(usize::try_from(MEMORY_SLOT_BYTES).ok()?);
        Some(InstanceAllocationStrategy::Pooling(pooling))
    }
}

/// Caps the bytes of all linear memories of one store together, and remembers
/// when a growth was refused so the host can say so instead of reporting the
/// guest's resulting trap.
pub struct MemoryLimit {
    max_bytes: usize,
    used_bytes: usize,
    exceeded: Option<usize>,
}

impl MemoryLimit {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            used_bytes: 0,
            exceeded: None,
        }
    }

    /// The total the guest asked for when it was refused, if it ever was.
    pub fn exceeded(&self) -> Option<usize> {
        self.exceeded
    }
}

impl ResourceLimiter for MemoryLimit {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.used_bytes - current.min(self.used_bytes) + desired;
        if total > self.max_bytes {
            self.exceeded = Some(total);
            return Ok(false);
        }
        self.used_bytes = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_is_reserved_only_while_it_fits_the_address_space() {
        let fits = MAX_RESERVED_BYTES / (u64::from(MEMORIES_PER_RUN) * MEMORY_SLOT_BYTES);
        let pool = |runs: u64| InstancePool {
            runs: usize::try_from(runs).unwrap(),
        };
        assert!(pool(1).allocation_strategy().is_some());
        assert!(pool(fits).allocation_strategy().is_some());
        assert!(pool(fits + 1).allocation_strategy().is_none());
        assert!(
            pool(u64::from(u32::MAX) + 1)
                .allocation_strategy()
                .is_none()
        );
    }

    #[test]
    fn a_pooled_engine_starts_with_its_slots_reserved() {
        let mut config = wasmtime::Config::new();
        config.allocation_strategy(InstancePool { runs: 8 }.allocation_strategy().unwrap());
        wasmtime::Engine::new(&config).unwrap();
    }
}
