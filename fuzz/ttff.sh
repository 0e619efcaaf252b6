#!/usr/bin/env bash
# Time to first finding: seeded `cargo fuzz run differential` trials from an empty corpus, each
# timed until the first crash artifact whose new difference (as `srfuzz triage` keys it, known
# findings skipped) contains PATTERN. libFuzzer runs in fork mode with -ignore_crashes=1 so that
# other findings do not end a trial. With REQUIRE, the artifact must also show that text in
# `srfuzz run ARTIFACT --designs <first design>` (e.g. a resolved Kconfig line; `run` exits 1
# when it reports findings, which is not an error here). Prints one line
# per trial, then median, min and max. With KEEP=DIR in the environment, each trial's finding
# is copied there.
#
#   fuzz/ttff.sh DESIGNS PATTERN [TRIALS] [MAX_SECONDS] [REQUIRE]
#   fuzz/ttff.sh register_dax-v4,mainline '(auto) | "alive, committed, no dax' 5 60 \
#     '# CONFIG_DEV_DAX_HMEM is not set'
set -euo pipefail
designs=$1 pattern=$2 trials=${3:-5} max=${4:-60} require=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
cargo build --release --manifest-path ../Cargo.toml -q
cargo fuzz build -s none differential 2>/dev/null
srfuzz=../target/release/srfuzz
bin=target/x86_64-unknown-linux-gnu/release/differential
times=()
for seed in $(seq 1 "$trials"); do
  dir=$(mktemp -d)
  mkdir "$dir/corpus" "$dir/artifacts"
  start=$(date +%s.%N)
  SRFUZZ_DESIGNS=$designs setsid "$bin" "$dir/corpus" -seed="$seed" -fork=1 -ignore_crashes=1 \
    -max_total_time="$max" -artifact_prefix="$dir/artifacts/" >"$dir/log" 2>&1 &
  pid=$!
  found=""
  declare -A seen=()
  while [ -z "$found" ]; do
    alive=1
    kill -0 "$pid" 2>/dev/null || alive=0
    for a in "$dir"/artifacts/crash-*; do
      [ -e "$a" ] && [ -z "${seen[$a]:-}" ] || continue
      seen[$a]=1
      if "$srfuzz" triage "$a" --designs "$designs" | grep -F -- "$pattern" >/dev/null &&
        { [ -z "$require" ] ||
          { "$srfuzz" run "$a" --designs "${designs%%,*}" || true; } |
            grep -F -- "$require" >/dev/null; }; then
        found=$(python3 -c "import os,sys; print(f'{os.path.getmtime(sys.argv[1]) - float(sys.argv[2]):.2f}')" "$a" "$start")
        echo "seed $seed: found after ${found} s ($(basename "$a"))"
        [ -z "${KEEP:-}" ] || cp "$a" "$KEEP/seed$seed-$(basename "$a")"
        break
      fi
    done
    [ -n "$found" ] || [ "$alive" = 1 ] || { echo "seed $seed: not found in ${max} s"; found=inf; }
    [ -n "$found" ] || sleep 0.1
  done
  kill -- -"$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset seen
  times+=("$found")
  rm -rf "$dir"
done
python3 - "${times[@]}" <<'PY'
import statistics, sys
t = sorted(float(x) for x in sys.argv[1:])
print(f"time to first finding over {len(t)} trials: median {statistics.median(t):.2f} s, min {t[0]:.2f} s, max {t[-1]:.2f} s")
PY
