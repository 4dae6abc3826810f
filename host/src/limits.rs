use wasmtime::ResourceLimiter;

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
