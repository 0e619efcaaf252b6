#!/usr/bin/env bash
# Builds every cargo-fuzz target into $OUT with its seed corpus, dictionary and options, as
# OSS-Fuzz and ClusterFuzzLite expect. Runs in the OSS-Fuzz Rust image (SANITIZER set by the
# infrastructure) and locally without Docker on the stable toolchain:
#
#     SANITIZER=none OUT=/tmp/out SRC=$PWD/.. .clusterfuzzlite/build.sh
#
# (`.ci/run` does that and checks $OUT.) The targets read no environment that matters to a
# finding: the pair and the known list are fixed per target.
set -euo pipefail
: "${OUT:?set OUT to the output directory}"
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
targets=$(cd fuzz && cargo fuzz list)
if [ "${SANITIZER:-none}" = none ]; then
  (cd fuzz && cargo fuzz build -s none)
else
  (cd fuzz && cargo fuzz build -O)
fi
bindir=fuzz/target/x86_64-unknown-linux-gnu/release
seeds=$(mktemp -d)
cargo run --release -q -- seeds "$seeds"
texts=$(mktemp -d)
cp corpus/*.scn tests/fixtures/*.scn reports/known-findings.txt "$texts/"
for d in reports/*/; do
  [ -f "$d/scenario.scn" ] && cp "$d/scenario.scn" "$texts/$(basename "$d").scn"
done
for t in $targets; do
  cp "$bindir/$t" "$OUT/"
  # The byte targets decode seeds with the generator; the text target parses scenario text.
  if [ "$t" = scenario_text ]; then from=$texts; else from=$seeds; fi
  # Kept small as `cargo fuzz cmin` does: libFuzzer's merge keeps the inputs that add coverage
  # of this target (the full set if the binary cannot run here).
  # Seeds that crash (repros of findings) leave their artifacts in a scratch directory, not in
  # the checkout.
  min=$(mktemp -d) crashes=$(mktemp -d)
  if "$bindir/$t" -merge=1 -artifact_prefix="$crashes/" "$min" "$from" > "$min.log" 2>&1 &&
    [ -n "$(ls -A "$min")" ]; then
    from=$min
  fi
  echo "$t: $(ls "$from" | wc -l) seed inputs"
  (cd "$from" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
  rm -rf "$min" "$min.log" "$crashes"
  [ -f "fuzz/dict/$t.dict" ] && cp "fuzz/dict/$t.dict" "$OUT/$t.dict"
  # Generated scenarios read at most a few hundred bytes; scenario text runs to a few KiB.
  if [ "$t" = scenario_text ]; then max_len=4096; else max_len=512; fi
  printf '[libfuzzer]\nmax_len = %s\n' "$max_len" > "$OUT/$t.options"
  if [ -f "$OUT/$t.dict" ]; then
    printf 'dict = %s.dict\n' "$t" >> "$OUT/$t.options"
  fi
done
rm -rf "$seeds" "$texts"
