#!/usr/bin/env bash
# The README's first command: installs what is missing, builds runtara and the
# agent components, then compiles, composes and runs an example scenario.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-tools.sh

echo "==> building runtara and the agent components"
cargo build -p runtara-cli
scripts/build-components.sh

example=examples/order-summary
mkdir -p target/example
echo "==> runtara compile $example/scenario.json"
target/debug/runtara compile "$example/scenario.json" -o target/example/scenario.wasm
echo "==> runtara compose"
target/debug/runtara compose target/example/scenario.wasm -o target/example/app.wasm
echo "==> wasmtime run (input $example/input.json)"
rm -rf target/example/out && mkdir -p target/example/in target/example/out
cp "$example/input.json" target/example/in/data.json
wasmtime run --dir target/example/in::/input --dir target/example/out::/output target/example/app.wasm
echo "==> runtara run"
target/debug/runtara run target/example/app.wasm --input "$example/input.json"
echo
echo "runtara is ready: target/debug/runtara --help"
