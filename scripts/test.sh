#!/usr/bin/env bash
# Runs every test tier, keeps going when one fails, and ends with one line
# `N passed, N failed` counting all tiers. Exits non-zero if anything failed.
# Expects the tools, the release package (pkg/dist) and the server binary to be
# built already (`make test` does that first).
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
LOGS=${LATCHKEY_TEST_LOGS:-$ROOT/target/test-logs}
mkdir -p "$LOGS"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

passed=0
failed=0
failed_tiers=()

# Adds the counts a cargo/wasm-bindgen-test log reports; a tier that ran no
# test at all (compile error, crash) counts as one failure.
count_cargo() {
  local tier=$1 log=$2 status=$3 p f
  p=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
  record "$tier" "$p" "$f" "$status"
}

# Adds the counts of a node:test TAP file.
count_tap() {
  local tier=$1 tap=$2 status=$3 p f
  p=$(grep -E '^# pass [0-9]+' "$tap" | awk '{s+=$3} END {print s+0}')
  f=$(grep -E '^# fail [0-9]+' "$tap" | awk '{s+=$3} END {print s+0}')
  record "$tier" "$p" "$f" "$status"
}

record() {
  local tier=$1 p=$2 f=$3 status=$4
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  [ "$f" -gt 0 ] && failed_tiers+=("$tier")
  printf '==> tier %-8s %d passed, %d failed\n' "$tier" "$p" "$f"
}

run_check() { # a single pass/fail check counted as one test
  local tier=$1; shift
  echo "==> $tier: $*"
  if "$@" >"$LOGS/$tier.log" 2>&1; then record "$tier" 1 0 0; else cat "$LOGS/$tier.log"; record "$tier" 0 1 1; fi
}

# --- lint ------------------------------------------------------------------
run_check fmt cargo fmt --all -- --check
run_check clippy cargo clippy --workspace --all-targets -- -D warnings
run_check clippy-wasm cargo clippy -p latchkey --all-targets --target wasm32-unknown-unknown -- -D warnings
run_check types tsc -p tests/types

# --- native: the pure core and the server ------------------------------------
echo "==> native: cargo test --workspace"
cargo test --workspace 2>&1 | tee "$LOGS/native.log"
count_cargo native "$LOGS/native.log" "${PIPESTATUS[0]}"

# --- browser: the kernel through wasm-bindgen-test in headless Chromium -------
echo "==> browser: cargo test --target wasm32-unknown-unknown"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
CHROMEDRIVER=/usr/bin/chromedriver \
WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120} \
  cargo test -p latchkey --target wasm32-unknown-unknown 2>&1 | tee "$LOGS/browser.log"
count_cargo browser "$LOGS/browser.log" "${PIPESTATUS[0]}"

# --- JS tiers ------------------------------------------------------------------
# tests/unit: the orchestration in Node over a fake browser (no server);
# tests/browser: the SDK's public API in Chromium against real servers;
# tests/e2e: the demo.
run_node_tier() {
  local tier=$1 dir=$2
  echo "==> $tier: node --test $dir"
  node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$LOGS/$tier.tap" \
    "$dir" 2>&1 | tee "$LOGS/$tier.log"
  count_tap "$tier" "$LOGS/$tier.tap" "${PIPESTATUS[0]}"
}
run_node_tier unit tests/unit/
run_node_tier sdk tests/browser/
run_node_tier e2e tests/e2e/

# Why each node test failed, last, where a CI log's tail shows it: the test's
# name, its location and its error message, from the TAP files.
failure_digest() {
  awk '
    /^ *not ok / { sub(/^ */, ""); print "  " $0; block = 1; next }
    block && /^ *\.\.\.$/ { block = 0; more = 0; next }
    block && /^ *location:/ { sub(/^ */, ""); print "    " $0; next }
    block && /^ *error:/ { sub(/^ */, ""); print "    " $0; more = ($0 ~ /[|>]-?$/) ? 8 : 0; next }
    block && more > 0 && /^    / { sub(/^ */, ""); print "      " $0; more--; next }
    { more = 0 }
  ' "$@"
}

echo
if [ "$failed" -gt 0 ]; then
  for tier in "${failed_tiers[@]}"; do
    if [ -f "$LOGS/$tier.tap" ]; then echo "failures in $tier:"; failure_digest "$LOGS/$tier.tap"; fi
  done
  echo "failed tiers: ${failed_tiers[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
