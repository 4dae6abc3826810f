//! `cargo bench -p runtara-cli --bench firmware_size`: the README's table of
//! firmware sizes. Each example the board runs is compiled with `runtara compile
//! --target embedded`; from the ELF file come its flash (text and rodata), data and
//! bss, and a run under QEMU (`--stats`) gives the heap's high-water mark, less the
//! flash image the reference board keeps in RAM. The goal is order-summary under
//! 256 KiB of flash (not a test: nothing here passes or fails on size).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use object::{Object, ObjectSection, SectionKind};

/// The examples the board runs.
const EXAMPLES: &[&str] = &[
    "order-summary",
    "tier-order",
    "safe-parse",
    "csv-to-xml-report",
];

/// The RAM flash image of mps2-an386 (`embedded/src/board/mps2_an386.rs`), which the
/// heap holds besides what the workflow uses.
const FLASH_IMAGE: u64 = 256 * 1024;

fn main() {
    let work = tempfile::tempdir().unwrap();
    println!("| example | flash (text + rodata) | data | bss | heap used |");
    println!("|---|---|---|---|---|");
    for example in EXAMPLES {
        let dir = root().join("examples").join(example);
        let firmware = work.path().join(format!("{example}.elf"));
        success(
            runtara()
                .args(["compile", "--target", "embedded", "-o"])
                .arg(&firmware)
                .arg(dir.join("scenario.json")),
        );
        let (flash, data, bss) = sections(&firmware);
        let heap = heap_used(&firmware, &dir.join("input.json"), work.path())
            .map_or_else(|| "(no QEMU)".to_owned(), kib);
        println!(
            "| {example} | {} | {data} B | {bss} B | {heap} |",
            kib(flash)
        );
    }
}

/// Flash (text and rodata), data and bss, in bytes.
fn sections(firmware: &Path) -> (u64, u64, u64) {
    let bytes = std::fs::read(firmware).unwrap();
    let elf = object::File::parse(&*bytes).unwrap();
    let (mut flash, mut data, mut bss) = (0, 0, 0);
    for section in elf.sections() {
        match section.kind() {
            SectionKind::Text | SectionKind::ReadOnlyData | SectionKind::ReadOnlyString => {
                flash += section.size()
            }
            SectionKind::Data => data += section.size(),
            SectionKind::UninitializedData => bss += section.size(),
            _ => {}
        }
    }
    (flash, data, bss)
}

/// The heap's high-water mark of one run, less the flash image; `None` without QEMU.
fn heap_used(firmware: &Path, input: &Path, work: &Path) -> Option<u64> {
    std::fs::copy(input, work.join("input.json")).unwrap();
    let _ = std::fs::remove_file(work.join("flash.img"));
    let out = Command::new("qemu-system-arm")
        .args(["-machine", "mps2-an386", "-cpu", "cortex-m4", "-nographic"])
        .args([
            "-monitor",
            "none",
            "-serial",
            "none",
            "-icount",
            "shift=auto,sleep=off",
        ])
        .args([
            "-semihosting-config",
            "enable=on,target=native,arg=firmware,arg=--stats",
        ])
        .arg("-kernel")
        .arg(firmware)
        .current_dir(work)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stats = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line.get("heapUsed").is_some())?;
    Some(stats["heapUsed"].as_u64()?.saturating_sub(FLASH_IMAGE))
}

fn kib(bytes: u64) -> String {
    format!("{} KiB", bytes.div_ceil(1024))
}
