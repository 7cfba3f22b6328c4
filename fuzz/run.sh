#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) and fails if any of
# them finds a crash, a hang (over 30 s for one input) or runs out of memory.
#
#   fuzz/run.sh [SECONDS]
#
# Needs the nightly toolchain (rustup toolchain install nightly); installs
# cargo-fuzz when it is missing. New inputs go to fuzz/corpus/<target>/
# (not kept in git), crashes and logs to fuzz/artifacts/<target>/; the kept
# inputs in fuzz/seeds/<target>/ are read, never written; dicts/<target>.dict,
# when there is one, gives libFuzzer the words of the format.
set -euo pipefail

seconds="${1:-60}"
cd "$(dirname "$0")"

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

mkdir -p artifacts
failed=()
summary=()
for target in $(cargo +nightly fuzz list); do
  mkdir -p "corpus/$target"
  log="artifacts/$target.log"
  options=(-max_total_time="$seconds" -timeout=30 -print_final_stats=1)
  if [[ -f "dicts/$target.dict" ]]; then
    options+=(-dict="dicts/$target.dict")
  fi
  echo "== $target: ${seconds}s"
  if cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    "${options[@]}" 2>&1 | tee "$log"; then
    status=ok
  else
    status=FAILED
    failed+=("$target")
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  summary+=("$(printf '%-22s %-6s %12s executions' "$target" "$status" "${runs:-?}")")
done

echo
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "failed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
