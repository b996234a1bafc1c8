#!/usr/bin/env bash
# Coverage-guided fuzzing of gigasim's input parsers with cargo-fuzz (libFuzzer).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # each target for SECONDS (default 60)
#
# Targets (fuzz/fuzz_targets/): ron_models, load_scenario, set_parser, sweep_file, traces.
# Needs nightly Rust and cargo-fuzz:  rustup toolchain install nightly; cargo install cargo-fuzz
# The corpus is generated from models/ into fuzz/corpus/<target>/ (not committed; what
# libFuzzer adds stays there for the next run). Crashes land in fuzz/artifacts/<target>/;
# reproduce one with: cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>
# KEEP_GOING=1 runs in libFuzzer's fork mode and goes on after a crash, timeout or OOM
# (each still saved), to collect more than the first. Exit 1 when any target crashed.
# See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ron_models load_scenario set_parser sweep_file traces)

if ! cargo +nightly fuzz --help >/dev/null 2>&1; then
    echo "error: cargo-fuzz (and a nightly toolchain) is needed: rustup toolchain install nightly && cargo install cargo-fuzz" >&2
    exit 2
fi
# The fuzz crate builds in its own target folder (instrumented builds share nothing with others).
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/fuzz/target}"

corpus=fuzz/corpus
mkdir -p "$corpus"/{ron_models,load_scenario,set_parser,sweep_file,traces} fuzz/logs
# A file with a selector byte in front: seed TARGET NAME BYTE FILE
seed() { { printf "\\x$(printf %02x "$3")"; cat "$4"; } > "$corpus/$1/$2"; }

# ron_models: the first byte picks the type (0 facility, 1 failure, 2 power, 3 workload, 4 cost, 5 scenario, 6 sweep).
i=0
for kind in facility failure power workload cost scenarios sweeps; do
    for f in models/$kind/*.ron; do seed ron_models "$kind-$(basename "$f")" $i "$f"; done
    i=$((i + 1))
done
# load_scenario: the first byte picks which of the default scenario's files the input replaces.
i=0
for f in models/scenarios/gigafactory-100k.ron models/facility/gb200-nvl72.ron models/failure/llama3-54d.ron \
         models/power/gb200.ron models/workload/frontier-plus-tenants.ron models/cost/gigafactory-de.ron; do
    seed load_scenario "$i-$(basename "$f")" $i "$f"
    i=$((i + 1))
done
for f in models/scenarios/*.ron; do seed load_scenario "scen-$(basename "$f")" 0 "$f"; done
for f in models/facility/*.ron; do seed load_scenario "fac-$(basename "$f")" 1 "$f"; done
for f in models/failure/*.ron; do seed load_scenario "fail-$(basename "$f")" 2 "$f"; done
for f in models/power/*.ron; do seed load_scenario "pow-$(basename "$f")" 3 "$f"; done
for f in models/workload/*.ron; do seed load_scenario "work-$(basename "$f")" 4 "$f"; done
for f in models/cost/*.ron; do seed load_scenario "cost-$(basename "$f")" 5 "$f"; done
# set_parser: one path=value a line.
printf '%s\n' 'failure.repair.crews=8' > "$corpus/set_parser/crews"
printf '%s\n' 'workload.frontier[0].checkpoint.interval_hours=0.25' 'horizon_days=30' > "$corpus/set_parser/ckpt"
printf '%s\n' 'failure.classes[0].ttf.per_hour=1e-5' > "$corpus/set_parser/rate"
printf '%s\n' 'failure.classes[0].ttf={"Weibull":{"shape":0.7,"scale_hours":1e5}}' > "$corpus/set_parser/weibull"
printf '%s\n' 'power_bin_minutes=15' 'seed=3' 'name=x' > "$corpus/set_parser/misc"
printf '%s\n' 'workload.tenants[0].share=0.5' 'facility.chips_per_node=4' > "$corpus/set_parser/tenants"
# sweep_file: the shipped sweeps.
for f in models/sweeps/*.ron; do cp "$f" "$corpus/sweep_file/$(basename "$f")"; done
printf '%s\n' '(name: "s", base: "b.ron", parameters: [(path: "failure.repair.crews", values: Range(from: 2, to: 8, step: 2)), (path: "horizon_days", values: Linspace(from: 1, to: 2, n: 3)), (path: "power_bin_minutes", values: Logspace(from: 1, to: 100, n: 3))], replications: 2, metrics: ["ettr"])' > "$corpus/sweep_file/ranges.ron"
# traces: first byte bit 0 SWF, bit 1 failure trace.
for f in models/traces/*.csv; do seed traces "$(basename "$f")" 0 "$f"; done
printf '\x00submit_h,tenant,chips,run_h,walltime_h,ckpt_h\n0,a,8,1.5,2,\n0.5,b,64,10,,0.5\n' > "$corpus/traces/small.csv"
printf '\x01; SWF\n1 0 10 3600 64 -1 -1 64 7200 -1 1 3 4 -1 1 -1 -1 -1\n2 60 5 1800 8 -1 -1 -1 -1 -1 1 5 4 -1 2 -1 -1 -1\n' > "$corpus/traces/small.swf"
printf '\x02time_h,class,unit\n1.5,Faulty GPU,3\n2.0,NIC,17\n' > "$corpus/traces/failures.csv"

flags=(-max_total_time="$secs" -rss_limit_mb=512 -timeout=1 -print_final_stats=1)
if [ "${KEEP_GOING:-0}" = 1 ]; then
    flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi
crashed=()
for t in "${targets[@]}"; do
    echo "== $t: ${secs} s"
    if cargo +nightly fuzz run "$t" -- "${flags[@]}" > "fuzz/logs/$t.log" 2>&1; then
        :
    else
        crashed+=("$t")
    fi
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|SUMMARY|panicked at|ERROR: libFuzzer|Test unit written" "fuzz/logs/$t.log" | sort | uniq -c | sort -rn | head -20 || true
    ls "fuzz/artifacts/$t" 2>/dev/null | sed 's/^/   artifact: /' | head -20 || true
done
if [ ${#crashed[@]} -gt 0 ]; then
    echo "crashed: ${crashed[*]} (logs in fuzz/logs/, inputs in fuzz/artifacts/)"
    exit 1
fi
echo "no crashes"
