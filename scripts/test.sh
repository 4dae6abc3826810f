#!/usr/bin/env bash
# The README's second command, and what CI runs: every check and test.
set -euo pipefail
cd "$(dirname "$0")/.."

# A clean CI checkout gains nothing from incremental compilation, whose files
# take about 2.4 GB of the 9 GB target/ (a CI machine once ran out of disk).
if [[ -n "${CI:-}" ]]; then
  export CARGO_INCREMENTAL=0
fi

scripts/install-tools.sh
scripts/build-components.sh

# Generated scenario crates share one cache under target/, so CI reuses the
# runtime build across tests (and across runs, where target/ is kept).
export RUNTARA_CACHE_DIR="${RUNTARA_CACHE_DIR:-$PWD/target/runtara-cache}"

echo "==> cargo fmt --check"
cargo fmt --all --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
# The agents' component code (wasi:http, the WIT glue) is only compiled for wasm32.
agents=()
for entry in $(sed -n 's/^  "\(runtara-[a-z-]*\):[a-z-]*"$/\1/p' scripts/build-components.sh); do
  agents+=(-p "$entry")
done
agents+=(-p runtara-http-body) # the adapters' shared wasi-http body code
cargo clippy --target wasm32-wasip2 "${agents[@]}" -- -D warnings
echo "==> feature isolation (each no_std-capable crate alone, per target)"
scripts/check-features.sh
echo "==> cargo test"
cargo test --workspace
