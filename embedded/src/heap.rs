//! The global allocator: embedded-alloc's linked-list heap over the board's heap
//! region, with a high-water mark for `--stats`.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};

use embedded_alloc::LlffHeap;

use crate::board::{HEAP_SIZE, HEAP_START};

struct Tracked {
    heap: LlffHeap,
    peak: AtomicUsize,
}

#[global_allocator]
static HEAP: Tracked = Tracked {
    heap: LlffHeap::empty(),
    peak: AtomicUsize::new(0),
};

// SAFETY: forwards to LlffHeap, which is a correct allocator; only counts besides.
unsafe impl GlobalAlloc for Tracked {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { self.heap.alloc(layout) };
        self.peak.fetch_max(self.heap.used(), Ordering::Relaxed);
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { self.heap.dealloc(ptr, layout) }
    }
}

/// Hands the board's heap region to the allocator; call once, first thing.
pub(crate) fn init() {
    // SAFETY: called once at start; the region is RAM nothing else uses.
    unsafe { HEAP.heap.init(HEAP_START, HEAP_SIZE) }
}

/// The most heap in use at any time so far, in bytes.
pub fn peak() -> usize {
    HEAP.peak.load(Ordering::Relaxed)
}

/// The heap's size, in bytes.
pub fn size() -> usize {
    HEAP_SIZE
}
