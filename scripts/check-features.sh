#!/usr/bin/env bash
# Feature isolation: the runtime, the DSL and every agent crate checked on its own,
# so that no feature one crate turns on leaks into another's build:
#   - without std (`--no-default-features`) for thumbv7em-none-eabihf, the
#     embedded target, for the crates firmware links (with clippy, -D warnings);
#   - with their default features for wasm32-wasip2 (the components) and for
#     this machine (native builds).
# scripts/test.sh runs it; it takes a few minutes the first time, seconds after.
set -euo pipefail
cd "$(dirname "$0")/.."

# What firmware links: the runtime and the agents available on embedded targets.
embedded=(runtara-path runtara-dsl runtara-agent runtara-protocol runtara-runtime
  runtara-agent-utils runtara-agent-transform runtara-agent-text runtara-agent-csv
  runtara-agent-xml runtara-agent-compression runtara-agent-datetime runtara-agent-crypto
  runtara-agent-file)
# Every crate that builds for wasm32-wasip2 and natively.
everywhere=(runtara-path runtara-dsl runtara-agent runtara-protocol runtara-runtime
  runtara-agent-utils runtara-agent-transform runtara-agent-text runtara-agent-csv
  runtara-agent-xml runtara-agent-compression runtara-agent-datetime runtara-agent-crypto
  runtara-agent-http runtara-agent-file)

# A check compiles only build scripts and proc macros (for this machine); nothing
# here runs long enough to be worth compiling them optimised, as dev builds do.
check=(clippy --quiet --config 'profile.dev.package."*".opt-level=0')

for crate in "${embedded[@]}"; do
  echo "==> $crate without std, for thumbv7em-none-eabihf"
  cargo "${check[@]}" -p "$crate" --no-default-features --target thumbv7em-none-eabihf -- -D warnings
done
for crate in "${everywhere[@]}"; do
  echo "==> $crate alone, for wasm32-wasip2 and natively"
  cargo "${check[@]}" -p "$crate" --target wasm32-wasip2 -- -D warnings
  cargo "${check[@]}" -p "$crate" -- -D warnings
done
