#!/usr/bin/env bash
# The README's second command, and what CI runs: every check and test.
set -euo pipefail
cd "$(dirname "$0")/.."

# A clean CI checkout gains nothing from incremental compilation, whose files
# take about 2.4 GB of the 9 GB target/ (a CI machine once ran out of disk).
if [[ -n "${CI:-}" ]]; then
  export CARGO_INCREMENTAL=0
fi

started=$SECONDS
step() { echo "==> $* (at $(( (SECONDS - started) / 60 ))m$(( (SECONDS - started) % 60 ))s)"; }

# Clippy lints our crates while they are built for the tests, not in a build of
# its own: clippy-driver, set as cargo's wrapper for workspace members, is rustc
# with clippy's lints added, so every dependency is compiled once instead of also
# being checked by `cargo clippy` (8 of CI's 46 minutes). CLIPPY_ARGS is how
# `cargo clippy -- -D warnings` hands the driver its arguments.
export CLIPPY_ARGS="-Dwarnings__CLIPPY_HACKERY__"
lint=(--config "build.rustc-workspace-wrapper='$(rustup which clippy-driver)'")

step "cargo fmt --check"
cargo fmt --all --check

scripts/install-tools.sh
# The agents' component code (wasi:http, the WIT glue) is only compiled for
# wasm32: linted here, as the components are built.
step "agent components, linted as they are built"
scripts/build-components.sh "${lint[@]}"

# Generated scenario crates share one cache under target/, so CI reuses the
# runtime build across tests (and across runs, where target/ is kept).
export RUNTARA_CACHE_DIR="${RUNTARA_CACHE_DIR:-$PWD/target/runtara-cache}"

step "feature isolation (each no_std-capable crate alone, per target)"
scripts/check-features.sh
step "every target of the workspace, linted as it is built"
cargo test --workspace --all-targets --no-run "${lint[@]}"
step "cargo test"
cargo test --workspace "${lint[@]}"
step "done"
