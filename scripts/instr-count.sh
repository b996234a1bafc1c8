#!/usr/bin/env bash
# instr-count.sh: instruction counts (callgrind "Collected", i.e. I refs) of the working
# tree's code, for two fixed workloads. Unlike wall time they barely move between runs
# (a few hundred instructions in a billion), so a refactor's cost shows even on a busy
# 2-core machine.
#   1. gigasim run models/scenarios/gigafactory-100k.ron --no-charts -q   (the default site, 180 d)
#   2. the ckpt_model bench binary with --reps 30                        (the SimPy comparison model)
#
#   scripts/instr-count.sh                                   build release + bench, print both counts
#   CARGO_TARGET_DIR=target-base scripts/instr-count.sh      same, building into another target dir
#
# If target-base/BASELINE.txt (or $BASELINE) holds lines `run_gigafactory_100k_ir=N` and
# `ckpt_model_reps30_ir=N`, the change against them is printed too.
# Needs: cargo, valgrind, jq. Takes about 15 s once built.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
for tool in valgrind jq; do command -v "$tool" >/dev/null || { echo "instr-count.sh needs $tool" >&2; exit 1; }; done

target=${CARGO_TARGET_DIR:-target}
echo "== build release and the ckpt_model bench (target dir: $target)" >&2
cargo build --release --quiet
# The bench binary's name carries a hash: take its path from cargo's own report.
bench=$(cargo bench --bench ckpt_model --no-run --quiet --message-format=json |
    jq -r 'select(.reason == "compiler-artifact" and .target.name == "ckpt_model" and .executable != null) | .executable' | tail -n 1)
[ -x "$bench" ] || { echo "instr-count.sh: no ckpt_model bench executable found" >&2; exit 1; }

out=$(mktemp -d "${TMPDIR:-/tmp}/instr-count.XXXXXX")
trap 'rm -rf "$out"' EXIT

# ir CMD...: the total instructions callgrind counts for CMD (its stdout is dropped).
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >/dev/null 2>"$out/cg.log" ||
        { echo "instr-count.sh: failed: $*" >&2; grep -v '^==[0-9]*==' "$out/cg.log" >&2; return 1; }
    sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$out/cg.log"
}

run_ir=$(ir "$target/release/gigasim" run models/scenarios/gigafactory-100k.ron --out "$out/run" -q --no-charts)
# --scenario: the bench's built-in default is an absolute path into the tree it was built in.
ckpt_ir=$(ir "$bench" --reps 30 --scenario benches/reference/ckpt-model.ron)
[ -n "$run_ir" ] && [ -n "$ckpt_ir" ] || { echo "instr-count.sh: callgrind reported no count" >&2; exit 1; }

baseline=${BASELINE:-target-base/BASELINE.txt}
# vs NAME COUNT: " (+1.23% vs baseline N)" when the baseline file has NAME.
vs() {
    local b
    b=$( { grep -s "^$1=" "$baseline" || true; } | tail -n 1 | cut -d= -f2)
    [ -n "$b" ] && awk -v n="$2" -v b="$b" 'BEGIN { printf " (%+d, %+.4f%% vs baseline %d)", n - b, 100 * (n - b) / b, b }'
    return 0
}
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src benches Cargo.toml Cargo.lock || echo ' + uncommitted changes')"
echo "gigasim run gigafactory-100k --no-charts: $run_ir instructions$(vs run_gigafactory_100k_ir "$run_ir")"
echo "ckpt_model --reps 30:                     $ckpt_ir instructions$(vs ckpt_model_reps30_ir "$ckpt_ir")"
