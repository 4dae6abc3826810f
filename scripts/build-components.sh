#!/usr/bin/env bash
# Builds every agent component and adapter for wasm32-wasip2 and puts them at
# target/components/<name>.wasm, where runtara compile/compose and the tests look.
# Arguments are passed on to `cargo build` (scripts/test.sh lints the build).
set -euo pipefail
cd "$(dirname "$0")/.."

# crate name -> component file name
components=(
  "runtara-agent-utils:utils"
  "runtara-agent-transform:transform"
  "runtara-agent-http:http"
  "runtara-agent-csv:csv"
  "runtara-agent-crypto:crypto"
  "runtara-agent-text:text"
  "runtara-agent-xml:xml"
  "runtara-agent-compression:compression"
  "runtara-agent-file:file"
  "runtara-agent-datetime:datetime"
  "runtara-durable-none:durable-none"
  "runtara-durable-http:durable-http"
  "runtara-http-trigger:http-trigger"
)

packages=()
for entry in "${components[@]}"; do packages+=(-p "${entry%%:*}"); done
# Symbols stripped too, not only debug info: the name section is a fifth of a
# component (575 KB of text.wasm's 3 MB) and only names functions in trap backtraces.
# The runtara:capabilities custom section stays.
cargo build --target wasm32-wasip2 --profile component \
  --config 'profile.component.strip="symbols"' "${packages[@]}" "$@"

target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target_dir/components"
for entry in "${components[@]}"; do
  crate="${entry%%:*}"; name="${entry##*:}"
  cp "$target_dir/wasm32-wasip2/component/${crate//-/_}.wasm" "$target_dir/components/$name.wasm"
done
echo "components in $target_dir/components: $(cd "$target_dir/components" && ls *.wasm | tr '\n' ' ')"
