//! `cargo bench -p runtara-cli --bench component_sizes`: the README's table of
//! component sizes, raw and gzipped (the bytes a browser downloads), next to issue
//! 19's goals. Measured: every agent component and adapter `scripts/build-components.sh`
//! put in target/components, the tier-order scenario compiled alone (`runtara
//! compile`) and the order-summary app composed with its agents (`runtara compose`),
//! both built as the tests build them. Not a test: nothing here fails on size.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use flate2::Compression;
use flate2::write::GzEncoder;

/// Issue 19's size goals, in KiB, by the name a row is printed under.
const GOALS: &[(&str, u64)] = &[
    ("utils.wasm", 512),
    ("datetime.wasm", 1024),
    ("text.wasm", 1536),
    ("tier-order (scenario component)", 256),
    ("order-summary (composed app)", 1229),
];

fn main() {
    let work = tempfile::tempdir().unwrap();
    println!("| component | size | gzipped | goal |");
    println!("|---|---|---|---|");

    let mut agents: Vec<_> = std::fs::read_dir(components_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
        .collect();
    agents.sort();
    for agent in &agents {
        let name = agent.file_name().unwrap().to_string_lossy().into_owned();
        row(&name, agent);
    }

    let tier_order = root().join("examples/tier-order/scenario.json");
    let tier_work = work.path().join("tier-order");
    std::fs::create_dir_all(&tier_work).unwrap();
    row(
        "tier-order (scenario component)",
        &compile_scenario(&tier_order, &tier_work),
    );

    let order_summary = root().join("examples/order-summary/scenario.json");
    let summary_work = work.path().join("order-summary");
    std::fs::create_dir_all(&summary_work).unwrap();
    row(
        "order-summary (composed app)",
        &build_app(&order_summary, &summary_work),
    );
}

/// Prints the row of the component at `path`: its size, gzipped size and goal.
fn row(name: &str, path: &Path) {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let goal = GOALS
        .iter()
        .find(|(goal_name, _)| *goal_name == name)
        .map_or_else(String::new, |&(_, goal)| {
            let size = kib(bytes.len() as u64);
            let verdict = if size <= goal as f64 {
                "met"
            } else {
                "not met"
            };
            format!(
                "≤ {goal} KiB ({verdict}, {:.0}% of it)",
                100.0 * size / goal as f64
            )
        });
    println!(
        "| {name} | {:.0} KiB | {:.0} KiB | {goal} |",
        kib(bytes.len() as u64),
        kib(gzipped_len(&bytes))
    );
}

/// The length of `bytes` gzipped at the default level, as `runtara deploy browser`
/// measures what it ships.
fn gzipped_len(bytes: &[u8]) -> u64 {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap().len() as u64
}

fn kib(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}
