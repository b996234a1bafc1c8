#!/usr/bin/env bash
# Issue 4's benchmarks: builds in release, runs them all and prints one table
# (measure | value | target | met?). The table, with the date and the machine,
# is also written to $OUT/report.md (default target/bench/) for BENCHMARKS.md.
#
#   scripts/bench.sh            everything (about 5 minutes once built)
#   QUICK=1 scripts/bench.sh    fewer repetitions, for a smoke test
#
# Needs: cargo, /usr/bin/time (GNU time), jq, python3 (SimPy is installed into
# target/bench-venv when python3 cannot import it).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-target/bench}
QUICK=${QUICK:-0}
BIN=target/release/gigasim
SCEN=models/scenarios/gigafactory-100k.ron
mkdir -p "$OUT"
TABLE="$OUT/table.psv"
: >"$TABLE"

for tool in jq python3; do
    command -v "$tool" >/dev/null || { echo "bench.sh needs $tool" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench.sh needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }

row() { printf '%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" >>"$TABLE"; }
# calc EXPR: floating-point arithmetic and comparisons through python3.
calc() { python3 -c "print($1)"; }
yesno() { if [ "$(calc "$1")" = "True" ]; then echo yes; else echo NO; fi; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "== build (release)" >&2
cargo build --release --quiet

# One timed run of the release binary: prints "wall_s max_rss_kb events".
timed_run() {
    local dir="$1"; shift
    rm -rf "$dir"
    local t0 t1 rss
    t0=$(date +%s.%N)
    # No charts: this row measures load, simulate and write the data files.
    /usr/bin/time -f '%M' -o "$dir.rss" "$BIN" run "$@" --out "$dir" -q --no-charts
    t1=$(date +%s.%N)
    rss=$(cat "$dir.rss")
    echo "$(calc "$t1 - $t0") $rss $(jq .events "$dir/summary.json")"
}

# Median wall time and maximum RSS over N runs: prints "wall_s max_rss_kb events".
measure() {
    local n="$1" dir="$2"; shift 2
    local walls=() rss=0 ev=0 w r e
    for _ in $(seq "$n"); do
        read -r w r e < <(timed_run "$dir" "$@")
        walls+=("$w")
        [ "$r" -gt "$rss" ] && rss=$r
        ev=$e
    done
    echo "$(printf '%s\n' "${walls[@]}" | median) $rss $ev"
}

# ---------------------------------------------------------------- engine hold model
echo "== engine hold model (criterion)" >&2
cargo bench --quiet --bench engine_hold >"$OUT/criterion.txt" 2>&1 || { cat "$OUT/criterion.txt" >&2; exit 1; }
# Events per second of one criterion case: elements per iteration / mean time per iteration.
eps() {
    local d="target/criterion/hold/$1/$2/new"
    local ns el
    ns=$(jq '.mean.point_estimate' "$d/estimates.json")
    el=$(jq '.throughput.Elements' "$d/benchmark.json")
    calc "$el / ($ns * 1e-9)"
}
for n in 1000 100000 1000000; do
    e=$(eps engine $n); s=$(eps std_binary_heap $n); d=$(eps dary4_heap $n); r=$(eps radix_heap $n)
    best=$(calc "max($s, $d, $r)")
    bestname=$(calc "{$s: 'std heap', $d: '4-ary heap', $r: 'radix heap'}[$best]")
    label=$(calc "'{:.0e}'.format($n)")
    case $n in
        1000) target="—"; met="—" ;;
        100000) target="≥ 1.5 × std heap = $(calc "round(1.5 * $s / 1e6, 2)") M/s"; met=$(yesno "$e >= 1.5 * $s") ;;
        1000000) target="≥ 4 M/s"; met=$(yesno "$e >= 4e6") ;;
    esac
    row "hold $label pending: engine (FIFO ties)" "$(calc "round($e / 1e6, 2)") M events/s" "$target" "$met"
    row "hold $label pending: bare std / 4-ary / radix" "$(calc "'{:.2f} / {:.2f} / {:.2f} M/s'.format($s / 1e6, $d / 1e6, $r / 1e6)")" "reference" "—"
    row "hold $label pending: engine / fastest bare ($bestname)" "$(calc "round($e / $best, 2)")" "—" "—"
done

# ---------------------------------------------------------------- default scenario
REPS=5; [ "$QUICK" = 1 ] && REPS=1
echo "== default scenario ×$REPS" >&2
read -r W R E < <(measure "$REPS" "$OUT/default" "$SCEN")
row "default 100k/180 d: wall (load, simulate, write; median of $REPS)" "$(calc "round($W, 3)") s" "< 1 s" "$(yesno "$W < 1")"
row "default 100k/180 d: events processed" "$E" "—" "—"
row "default 100k/180 d: events/s, end to end" "$(calc "round($E / $W / 1e6, 2)") M/s" "—" "—"
row "default 100k/180 d: peak memory (max RSS)" "$(calc "round($R / 1024, 1)") MB" "< 200 MB" "$(yesno "$R < 200 * 1024")"

# ---------------------------------------------------------------- trace replay
# 1,000,000 tenant jobs from a generated trace on the default site for 180
# days, fair share with EASY backfill, the tenants' chips loaded above 80% with a queue.
echo "== replay of 1M jobs" >&2
[ -f target/replay-1m.csv ] || python3 scripts/gen-trace.py target/replay-1m.csv
read -r W R E < <(measure 3 "$OUT/replay" benches/reference/replay-1m.ron --trace target/replay-1m.csv)
held=$(jq '.scheduler.allocated' "$OUT/replay/summary.json")
queue=$(jq '.scheduler.queue_length_mean' "$OUT/replay/summary.json")
row "replay 1M jobs, 180 d, fair share + backfill: wall (read trace, simulate, write; median of 3), memory" "$(calc "round($W, 2)") s, $(calc "round($R / 1024)") MB (site $(calc "round($held * 100, 1)")% allocated, mean queue $(calc "round($queue, 1)") jobs)" "< 10 s" "$(yesno "$W < 10")"

# ---------------------------------------------------------------- scale
# The default site at 22, 87 and 348 pods of 1,152 chips; the frontier job, its hot
# spares and the tenant arrival rates scale with the pods, so the site stays the same
# mix (frontier in whole NVL72 racks of 72 chips).
SREPS=3; [ "$QUICK" = 1 ] && SREPS=1
echo "== scale ×$SREPS" >&2
declare -A SW SR SE
for pods in 22 87 348; do
    fchips=$(calc "round(92160 * $pods / 87 / 72) * 72")
    spares=$(calc "round(460 * $pods / 87)")
    small=$(calc "30.0 * $pods / 87")
    medium=$(calc "0.4 * $pods / 87")
    for days in 180 720; do
        read -r w r e < <(measure "$SREPS" "$OUT/scale-$pods-$days" "$SCEN" --horizon-days "$days" \
            --set "facility.pods=$pods" --set "workload.frontier[0].chips=$fchips" \
            --set "workload.frontier[0].hot_spare_nodes=$spares" \
            --set "workload.tenants[1].classes[0].arrivals_per_hour=$small" --set "workload.tenants[2].classes[0].arrivals_per_hour=$medium")
        SW[$pods-$days]=$w; SR[$pods-$days]=$r; SE[$pods-$days]=$e
    done
done
for pods in 22 87 348; do
    for days in 180 720; do
        k=$pods-$days
        label="scale $(calc "'{:.0f}k'.format($pods * 1152 / 1000)") chips, $days d"
        value="$(calc "round(${SW[$k]}, 2)") s, $(calc "round(${SR[$k]} / 1024, 1)") MB, $(calc "round(${SE[$k]} / 1e6, 2)") M events"
        if [ "$k" = 348-180 ]; then
            row "$label: wall, peak memory, events" "$value" "< 4 s" "$(yesno "${SW[$k]} < 4")"
        else
            row "$label: wall, peak memory, events" "$value" "—" "—"
        fi
    done
done
# No worse than linear: each step up in size (×4 chips, or ×4 days) may cost at most
# 1.3 × 4 in time and in memory. (Steps from small runs cost less: fixed costs.)
for step in "22-180 87-180" "87-180 348-180" "22-720 87-720" "87-720 348-720" "22-180 22-720" "87-180 87-720" "348-180 348-720"; do
    read -r a b <<<"$step"
    tr=$(calc "${SW[$b]} / ${SW[$a]}"); mr=$(calc "${SR[$b]} / ${SR[$a]}")
    row "scale step ${a/-/ pods, } d → ${b/-/ pods, } d (×4): time, memory" "×$(calc "round($tr, 2)"), ×$(calc "round($mr, 2)")" "≤ ×5.2 each" "$(yesno "$tr <= 5.2 and $mr <= 5.2")"
done

# ---------------------------------------------------------------- sweep
if "$BIN" sweep --help >/dev/null 2>&1; then
    echo "== sweep of 200 runs, 1 and 2 threads" >&2
    declare -A SWT
    for jobs in 1 2; do
        rm -rf "$OUT/sweep-$jobs"
        t0=$(date +%s.%N)
        "$BIN" sweep benches/sweep-200.ron --jobs "$jobs" --out "$OUT/sweep-$jobs" --no-charts --quiet
        t1=$(date +%s.%N)
        SWT[$jobs]=$(calc "$t1 - $t0")
    done
    row "sweep 200 × default: 1 thread / 2 threads" "$(calc "round(${SWT[1]}, 1)") s / $(calc "round(${SWT[2]}, 1)") s" "—" "—"
    row "sweep 200 × default: speed-up on 2 threads" "$(calc "round(${SWT[1]} / ${SWT[2]}, 2)")×" "≥ 1.8×" "$(yesno "${SWT[1]} / ${SWT[2]} >= 1.8")"
else
    echo "== sweep: skipped (gigasim sweep is not there yet)" >&2
    row "sweep 200 × default: speed-up on 2 threads" "not run (no \`gigasim sweep\` yet)" "≥ 1.8×" "—"
fi
# What two cores give at best: 4 default runs one after another vs two at a time.
echo "== parallel ceiling: default runs, 1 vs 2 at a time" >&2
t0=$(date +%s.%N)
for i in 1 2 3 4; do "$BIN" run "$SCEN" --out "$OUT/par-$i" -q; done
t1=$(date +%s.%N)
for i in 1 3; do "$BIN" run "$SCEN" --out "$OUT/par-$i" -q & "$BIN" run "$SCEN" --out "$OUT/par-$((i + 1))" -q; wait; done
t2=$(date +%s.%N)
row "parallel ceiling: 4 default runs, 1 vs 2 processes at a time" "$(calc "round(($t1 - $t0) / ($t2 - $t1), 2)")× faster with 2" "reference for the sweep's 1.8×" "—"

# ---------------------------------------------------------------- SimPy reference
echo "== failure/checkpoint model: SimPy vs gigasim" >&2
PY=python3
if ! python3 -c "import simpy" 2>/dev/null; then
    if [ ! -x target/bench-venv/bin/python ] || ! target/bench-venv/bin/python -c "import simpy" 2>/dev/null; then
        python3 -m venv target/bench-venv
        target/bench-venv/bin/pip install --quiet simpy
    fi
    PY=target/bench-venv/bin/python
fi
PREPS=30; GREPS=300; [ "$QUICK" = 1 ] && { PREPS=5; GREPS=20; }
# Parameters of benches/reference/ckpt-model.ron: M = 2 h, τ = 0.5 h, δ = 0.1 h, R = 0.2 h, 365 days.
"$PY" benches/reference/simpy_ckpt.py --reps "$PREPS" --horizon-hours 8760 --mtbf 2 --tau 0.5 --delta 0.1 --restart 0.2 --reboot 0 >"$OUT/simpy.json"
cargo bench --quiet --bench ckpt_model -- --reps "$GREPS" 2>/dev/null | grep '^{' >"$OUT/gigasim-ckpt.json"
cargo bench --quiet --bench ckpt_floor -- --reps "$GREPS" 2>/dev/null | grep '^{' >"$OUT/engine-floor.json"
P=$(jq .events_per_s "$OUT/simpy.json"); G=$(jq .events_per_s "$OUT/gigasim-ckpt.json")
PM=$(jq .ettr_mean "$OUT/simpy.json"); PS=$(jq .ettr_se "$OUT/simpy.json")
GM=$(jq .ettr_mean "$OUT/gigasim-ckpt.json"); GS=$(jq .ettr_se "$OUT/gigasim-ckpt.json"); DALY=$(jq .daly_ettr "$OUT/gigasim-ckpt.json")
row "ckpt model: SimPy events/s ($PREPS replications of a year)" "$(calc "round($P / 1e6, 3)") M/s" "about 0.1 M/s" "—"
row "ckpt model: gigasim events/s ($GREPS replications, in process)" "$(calc "round($G / 1e6, 2)") M/s" "—" "—"
row "ckpt model: gigasim / SimPy, per event" "$(calc "round($G / $P, 1)")×" "≥ 100×" "$(yesno "$G / $P >= 100")"
F=$(jq .events_per_s "$OUT/engine-floor.json")
row "ckpt dynamics on the bare engine, no gigafactory model (benches/ckpt_floor.rs)" "$(calc "round($F / 1e6, 2)") M/s = $(calc "round($F / $P, 1)")× SimPy" "reference: the ceiling for the row above" "—"
row "ckpt model: mean ETTR, SimPy vs gigasim (± 1.96 se)" "$(calc "'{:.4f} ± {:.4f} vs {:.4f} ± {:.4f} (Daly {:.4f})'.format($PM, 1.96 * $PS, $GM, 1.96 * $GS, $DALY)")" "agree within the 95% CI of the difference" "$(yesno "abs($PM - $GM) <= 1.96 * ($PS ** 2 + $GS ** 2) ** 0.5")"

# ---------------------------------------------------------------- the table
{
    echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src benches || echo ' (with uncommitted changes)')"
    echo
    echo "| measure | value | target | met? |"
    echo "| --- | --- | --- | --- |"
    while IFS='|' read -r m v t ok; do echo "| $m | $v | $t | $ok |"; done <"$TABLE"
    echo
    echo "Machine: \`nproc\` = $(nproc); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo '```'
    lscpu | grep -E '^(Architecture|Model name|CPU\(s\)|Thread|Core|Socket|CPU max MHz|L1d|L2|L3)' || true
    free -h
    echo '```'
} >"$OUT/report.md"
cat "$OUT/report.md"
