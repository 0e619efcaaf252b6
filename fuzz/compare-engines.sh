#!/usr/bin/env bash
# Distinct root causes each engine finds on the same budget, side by side, one core each:
#
#   - the hunt's in-process engine: `srfuzz hunt --jobs 1`, every check (the default pair,
#     spec, order), SECONDS long;
#   - libFuzzer: fork-mode campaigns (-fork=1 -ignore_crashes=1, empty corpus) of the
#     `differential`, `spec` and `order` targets, a third of SECONDS each, one after another;
#
# both with the shipped known-findings list, both triaged by `srfuzz triage` (the hunt does it
# itself). Root causes are counted per check and summed, for both engines alike.
#
#     fuzz/compare-engines.sh SECONDS SEED      # from the repository root, after
#                                               # cargo build --release and
#                                               # (cd fuzz && cargo fuzz build -s none --no-trace-compares)
#                                               # (SRFUZZ_FUZZERS=DIR: the target binaries elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:?seconds}
SEED=${2:-1}
srfuzz=target/release/srfuzz
bins=${SRFUZZ_FUZZERS:-fuzz/target/x86_64-unknown-linux-gnu/release}
gen=$(sed -n 's/^pub const GENERATOR_VERSION: u32 = \([0-9]*\);/\1/p' src/scenario/gen.rs)
out=/tmp/srfuzz-engines-$T-$SEED
rm -rf "$out" && mkdir -p "$out/hunt-reports"

"$srfuzz" hunt --time "$T" --jobs 1 --seed "$SEED" --findings "$out/hunt" \
  --reports "$out/hunt-reports" > "$out/hunt.log" 2>&1 &
hunt=$!
(
  for target in differential spec order; do
    dir=$out/lf-$target
    mkdir -p "$dir/corpus" "$dir/artifacts"
    printf 'check: %s\nknown: shipped\ngenerator: %s\n' "$target" "$gen" \
      > "$dir/artifacts/srfuzz-campaign.txt"
    "$bins/$target" "$dir/corpus" -fork=1 -ignore_crashes=1 -seed="$SEED" \
      -max_total_time=$((T / 3)) -artifact_prefix="$dir/artifacts/" > "$dir/log" 2>&1 || true
  done
) &
lf=$!
wait "$hunt" || true
wait "$lf" || true

hunt_rc=$(grep -E '^[0-9]+ new root cause' "$out/hunt.log" | sed -E 's/^([0-9]+) new root cause\(s\), ([0-9]+) already reported, ([0-9]+) .*/\1 \2 \3/')
read -r h_new h_dup h_base <<< "$hunt_rc"
h_execs=$(head -n 1 "$out/hunt.log" | cut -d' ' -f1)
l_causes=0 l_base=0 l_execs=0
for target in differential spec order; do
  dir=$out/lf-$target
  "$srfuzz" triage "$dir/artifacts" > "$dir/triage" 2>&1 || true
  c=$(sed -nE 's/.*: ([0-9]+) new root cause.*/\1/p' "$dir/triage" | head -n 1)
  b=$(sed -nE 's/.*; ([0-9]+) root cause\(s\) of a base.*/\1/p' "$dir/triage" | head -n 1)
  # The fork-mode parent's status lines start with the executions so far: "#71746: cov: …".
  e=$(grep -oE '^#[0-9]+' "$dir/log" | tail -n 1 | tr -d '#' || true)
  e=${e:-0}
  l_causes=$((l_causes + ${c:-0})) l_base=$((l_base + ${b:-0})) l_execs=$((l_execs + e))
done
echo "budget ${T} s, seed $SEED"
echo "hunt:      $((h_new + h_dup)) root causes (+ $h_base of the base tree), $h_execs scenarios"
echo "libFuzzer: $l_causes root causes (+ $l_base of the base tree), $l_execs executions"
