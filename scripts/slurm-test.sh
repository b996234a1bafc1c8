#!/usr/bin/env bash
# The real test of `gigasim slurm`, on a single-node Slurm set up on this machine
# (Debian, as root; the recipe of a checked set-up): a small sweep runs as a job array
# of 4 shards; one task is killed part-way; the merge, which waits with afterany, must
# run and fail naming that task; resubmit.sh must submit that task alone, which must
# resume from its journal; the merged files must equal an unsharded local sweep's
# byte for byte.
#
# Prints SKIP and exits 0 where apt-get is missing (or not root and no local Slurm).
# Runs again on a machine where Slurm is installed: a healthy local Slurm is reused,
# else its daemons are started (and stopped at the end, by pid) by this script.
#
# GIGASIM=path: the binary to test (default: cargo build --release, honouring
# CARGO_TARGET_DIR). SLURM_TEST_TIMEOUT: seconds for each wait (default 300).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TIMEOUT=${SLURM_TEST_TIMEOUT:-300}
TASKS=4
KILLED=2 # the task killed part-way
PER_TASK=12 # runs per task: 4 points × 12 replications / 4 tasks

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; } # from a to b
T0=$(now)
PHASE_T=$T0
TIMINGS=()
# End the current phase: its name and seconds go into the summary.
phase_done() {
    local t
    t=$(now)
    TIMINGS+=("$(printf '%-16s %7s s' "$1" "$(secs "$PHASE_T" "$t")")")
    echo "    ($1: $(secs "$PHASE_T" "$t") s)"
    PHASE_T=$t
}
log() { echo "==> $*"; }

STARTED_PIDS=() # daemons this script started: stopped on exit, by pid
OUR_JOBS=()     # job ids this script submitted: cancelled on exit if still queued
WORK=""
STATUS=FAIL

cleanup() {
    local rc=$?
    set +e
    for id in "${OUR_JOBS[@]}"; do
        if [[ -n $(active "$id") ]]; then scancel "$id" 2>/dev/null; fi
    done
    # Last started, first stopped: slurmd, slurmctld, munged.
    for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
        local pid=${STARTED_PIDS[i]}
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    done
    ((${#STARTED_PIDS[@]})) && echo "stopped the daemons this test started (pids ${STARTED_PIDS[*]})"
    echo
    echo "timings:"
    for t in "${TIMINGS[@]}"; do echo "    $t"; done
    printf '    %-16s %7s s\n' total "$(secs "$T0" "$(now)")"
    if [[ $STATUS == PASS && $rc == 0 ]]; then
        [[ -n $WORK ]] && rm -rf "$WORK"
        echo "PASS: scripts/slurm-test.sh"
    else
        [[ -n $WORK ]] && echo "the test's files are kept in $WORK"
        echo "FAIL: scripts/slurm-test.sh"
        exit 1
    fi
}
trap cleanup EXIT

# What to look at when something fails: the queue, our jobs, the logs.
diagnose() {
    echo "---- squeue"
    squeue 2>&1 | head -50
    for id in "${OUR_JOBS[@]}"; do
        echo "---- scontrol show job $id"
        scontrol show job "$id" 2>&1 | head -60
    done
    if [[ -n $WORK && -d $OUT/slurm/logs ]]; then
        for f in "$OUT"/slurm/logs/*; do
            [[ -f $f ]] || continue
            echo "---- $f"
            tail -n 30 "$f"
        done
    fi
    for f in /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log; do
        [[ -f $f ]] && { echo "---- $f (last lines)"; tail -n 20 "$f"; }
    done
}
fail() {
    echo "FAIL: $*" >&2
    diagnose
    exit 1
}

# The job's id if it is still queued or running, else nothing.
active() {
    squeue -h -o %i -t pending,running,suspended,completing,configuring -j "$1" 2>/dev/null || true
}
# Wait until none of the jobs is queued or running.
wait_jobs() {
    local deadline=$(($(date +%s) + TIMEOUT))
    while true; do
        local busy=""
        for id in "$@"; do busy+=$(active "$id"); done
        [[ -z $busy ]] && return 0
        (($(date +%s) > deadline)) && fail "jobs $* still queued or running after ${TIMEOUT} s"
        sleep 0.5
    done
}
# A job's JobState while slurmctld still knows it (MinJobAge), else "unknown".
job_state() {
    scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2 || true
}
# True if pid names a live process whose command is $2 (a pid file may be stale).
alive() {
    [[ -n ${1:-} && -r /proc/$1/comm && $(cat "/proc/$1/comm") == "$2" ]]
}
pid_in() { [[ -r $1 ]] && tr -dc 0-9 <"$1" || true; }

HOST=$(hostname -s)
# A local Slurm that answers and whose node takes jobs.
slurm_ready() {
    command -v sinfo >/dev/null || return 1
    alive "$(pid_in /run/slurmctld.pid)" slurmctld && alive "$(pid_in /run/slurmd.pid)" slurmd || return 1
    local state
    state=$(timeout 10 sinfo -h -n "$HOST" -o %t 2>/dev/null | head -1)
    [[ $state =~ ^(idle|mix|mixed|alloc|allocated|comp|completing) ]]
}

# ---- Slurm: reuse, or install and start
if slurm_ready; then
    log "reusing the Slurm running on this machine"
    phase_done install
    phase_done "daemons up"
else
    if ! command -v apt-get >/dev/null; then
        echo "SKIP: scripts/slurm-test.sh needs apt-get (Debian/Ubuntu) to install Slurm, and no local Slurm runs here"
        trap - EXIT
        exit 0
    fi
    if [[ $(id -u) != 0 ]]; then
        echo "SKIP: scripts/slurm-test.sh must run as root to install and start Slurm (no local Slurm runs here)"
        trap - EXIT
        exit 0
    fi
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
        log "installing slurm-wlm and munge"
        apt-get update -q </dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge </dev/null
    else
        log "slurm-wlm and munge are installed"
    fi
    phase_done install

    log "starting munged, slurmctld and slurmd"
    # munge runs as its own user and must own its folders, or it refuses to start.
    if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
        old=$(pid_in /run/munge/munged.pid)
        if alive "$old" munged; then
            kill "$old"
            sleep 1
        fi
        mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
        if [[ ! -s /etc/munge/munge.key ]]; then
            dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
            chmod 400 /etc/munge/munge.key
        fi
        chown -R munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
        runuser -u munge -- /usr/sbin/munged
        for _ in $(seq 50); do
            [[ -s /run/munge/munged.pid ]] && break
            sleep 0.1
        done
        STARTED_PIDS+=("$(pid_in /run/munge/munged.pid)")
        munge -n | unmunge >/dev/null || fail "munge does not work after starting munged"
    fi
    # Daemons of an earlier set-up that do not serve a node: stopped (by their pid files) and started afresh.
    for d in slurmd slurmctld; do
        old=$(pid_in "/run/$d.pid")
        if alive "$old" "$d"; then
            kill "$old"
            for _ in $(seq 50); do alive "$old" "$d" || break; sleep 0.2; done
        fi
    done
    conf=/etc/slurm/slurm.conf
    mkdir -p /etc/slurm /var/lib/slurm/slurmd /var/lib/slurm/slurmctld /var/log/slurm
    if [[ -f $conf ]] && ! grep -q 'written by gigasim scripts/slurm-test.sh' "$conf"; then
        cp "$conf" "$conf.before-gigasim-test.$(date +%s)"
    fi
    mem_mb=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10))
    # Addresses given, so that nothing depends on the host name resolving.
    cat >"$conf" <<EOF
# A single-node Slurm, written by gigasim scripts/slurm-test.sh
ClusterName=local
SlurmctldHost=$HOST(127.0.0.1)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmdSpoolDir=/var/lib/slurm/slurmd
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmUser=root
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
    # -c: no jobs recovered from an earlier run's state.
    slurmctld -c
    for _ in $(seq 100); do
        alive "$(pid_in /run/slurmctld.pid)" slurmctld && break
        sleep 0.1
    done
    alive "$(pid_in /run/slurmctld.pid)" slurmctld || fail "slurmctld did not start"
    STARTED_PIDS+=("$(pid_in /run/slurmctld.pid)")
    slurmd
    for _ in $(seq 100); do
        alive "$(pid_in /run/slurmd.pid)" slurmd && break
        sleep 0.1
    done
    alive "$(pid_in /run/slurmd.pid)" slurmd || fail "slurmd did not start"
    STARTED_PIDS+=("$(pid_in /run/slurmd.pid)")
    deadline=$(($(date +%s) + TIMEOUT))
    until slurm_ready; do
        (($(date +%s) > deadline)) && fail "the node $HOST is not idle after ${TIMEOUT} s: $(sinfo 2>&1)"
        sleep 0.5
    done
    phase_done "daemons up"
fi
sinfo

# ---- the binary
if [[ -z ${GIGASIM:-} ]]; then
    log "cargo build --release"
    cargo build --release -q
    target=${CARGO_TARGET_DIR:-target}
    [[ $target == /* ]] || target=$ROOT/$target
    GIGASIM=$target/release/gigasim
    phase_done build
fi
[[ -x $GIGASIM ]] || fail "GIGASIM=$GIGASIM is not an executable"

# ---- the sweep: 4 points × 12 replications = 48 runs of about 0.3 s, 12 per shard:
# a year of a 25k-chip site whose frontier job runs throughout.
WORK=$(mktemp -d /tmp/gigasim-slurm-test.XXXXXX)
OUT="$WORK/out dir's" # a space and a quote: the scripts must quote paths
LOCAL=$WORK/local
SWEEP=$WORK/sweep.ron
base=$ROOT/models/scenarios/factory-25k.ron
cat >"$SWEEP" <<EOF
(
    name: "slurm-test",
    base: "${base//\"/\\\"}",
    parameters: [(path: "workload.frontier[0].checkpoint.interval_hours", values: List([0.1, 0.25, 0.5, 1.0]))],
    replications: 2,
    metrics: ["ettr", "goodput", "frontier.0.interruptions"],
)
EOF
# The same options for the cluster and the local sweep: --replications, --horizon-days and --set pass through.
SWEEP_OPTS=(--replications 12 --horizon-days 365 --set 'workload.frontier[0].work_hours=20000' --set seed=7)

log "gigasim slurm"
"$GIGASIM" slurm "$SWEEP" --out "$OUT" --tasks "$TASKS" --time 00:10:00 --mem 256 "${SWEEP_OPTS[@]}" ||
    fail "gigasim slurm exited $?"
for s in array merge submit resubmit; do
    bash -n "$OUT/slurm/$s.sh" || fail "$s.sh is not valid bash"
done

log "bash submit.sh"
submit_out=$(bash "$OUT/slurm/submit.sh") || fail "submit.sh failed: $submit_out"
echo "$submit_out"
ARRAY=$(awk '$1 == "array" {id = $2} END {print id}' "$OUT/slurm/jobs.txt")
MERGE=$(awk '$1 == "merge" {id = $2} END {print id}' "$OUT/slurm/jobs.txt")
[[ $ARRAY =~ ^[0-9]+$ && $MERGE =~ ^[0-9]+$ ]] || fail "no job ids in jobs.txt: $(cat "$OUT/slurm/jobs.txt")"
OUR_JOBS+=("$ARRAY" "$MERGE")
scontrol show job "$MERGE" | grep -q "Dependency=afterany:${ARRAY}" ||
    fail "the merge job $MERGE does not depend on the array with afterany: $(scontrol show job "$MERGE" | grep -o 'Dependency=[^ ]*')"

# Kill task 2 once its journal holds a finished run, with most of its runs still to do.
journal=$OUT/shards/$KILLED/runs.journal.csv
deadline=$(($(date +%s) + TIMEOUT))
until [[ -f $journal && $(wc -l <"$journal") -ge 2 ]]; do
    (($(date +%s) > deadline)) && fail "shard $KILLED's journal has no finished run after ${TIMEOUT} s"
    [[ -z $(active "$ARRAY") ]] && fail "the array ended before shard $KILLED finished a run"
    sleep 0.1
done
log "scancel ${ARRAY}_$KILLED (finished runs in its journal: $(($(wc -l <"$journal") - 1)))"
scancel "${ARRAY}_$KILLED"
wait_jobs "$ARRAY" "$MERGE"

log "checking: task $KILLED cancelled, the merge ran and failed naming it, no result"
[[ -f $OUT/shards/$KILLED/runs.csv ]] &&
    fail "shard $KILLED finished before the kill took effect (the runs are too short for this test)"
[[ $(job_state "${ARRAY}_$KILLED") =~ ^(CANCELLED|unknown|)$ ]] ||
    fail "task $KILLED is $(job_state "${ARRAY}_$KILLED"), not CANCELLED"
merge_log=$OUT/slurm/logs/merge-$MERGE.out
[[ -f $merge_log ]] || fail "the merge job $MERGE did not run after the failed task (no $merge_log): afterany?"
cat "$merge_log"
grep -q "resubmit task ids $KILLED;" "$merge_log" || fail "the merge's log does not name task $KILLED alone"
state=$(job_state "$MERGE")
[[ $state == FAILED || -z $state ]] || fail "the merge job is $state, not FAILED"
echo "merge job $MERGE: ${state:-(no longer known to slurmctld)}"
for f in runs.csv points.csv sweep.json; do
    [[ -e $OUT/result/$f ]] && fail "$OUT/result/$f exists after a failed merge"
done
for ((i = 0; i < TASKS; i++)); do
    ((i == KILLED)) && continue
    [[ -f $OUT/shards/$i/runs.csv ]] || fail "shard $i did not finish"
done
kept=$(($(wc -l <"$journal") - 1))
((kept >= 1 && kept < PER_TASK)) || fail "shard $KILLED's journal holds $kept runs after the kill; expected 1 to $((PER_TASK - 1))"
echo "shard $KILLED: $kept of $PER_TASK runs in its journal after the kill"
declare -A STAMP
for ((i = 0; i < TASKS; i++)); do
    ((i == KILLED)) || STAMP[$i]=$(stat -c '%y %s' "$OUT/shards/$i/runs.csv")
done
phase_done "array + merge"

log "bash resubmit.sh"
resubmit_out=$(bash "$OUT/slurm/resubmit.sh") || fail "resubmit.sh failed: $resubmit_out"
echo "$resubmit_out"
ARRAY2=$(awk '$1 == "array" {id = $2} END {print id}' "$OUT/slurm/jobs.txt")
MERGE2=$(awk '$1 == "merge" {id = $2} END {print id}' "$OUT/slurm/jobs.txt")
[[ $ARRAY2 != "$ARRAY" && $MERGE2 != "$MERGE" ]] || fail "resubmit.sh recorded no new jobs"
OUR_JOBS+=("$ARRAY2" "$MERGE2")
grep -q "resubmitted task ids $KILLED of " <<<"$resubmit_out" || fail "resubmit.sh did not resubmit task $KILLED alone"
wait_jobs "$ARRAY2" "$MERGE2"

log "checking: only task $KILLED ran again, it resumed, the merge succeeded"
logs=("$OUT"/slurm/logs/array-"${ARRAY2}"_*.out)
[[ ${#logs[@]} == 1 && ${logs[0]} == "$OUT/slurm/logs/array-${ARRAY2}_$KILLED.out" ]] ||
    fail "the resubmitted array ran other tasks: ${logs[*]}"
cat "${logs[0]}"
grep -q "resuming; finished runs in the journal: $kept\$" "${logs[0]}" || fail "task $KILLED did not resume from its journal"
grep -q "ran $((PER_TASK - kept)) of this shard's $PER_TASK runs" "${logs[0]}" ||
    fail "task $KILLED did not run exactly the $((PER_TASK - kept)) runs missing from its journal"
for ((i = 0; i < TASKS; i++)); do
    ((i == KILLED)) && continue
    [[ $(stat -c '%y %s' "$OUT/shards/$i/runs.csv") == "${STAMP[$i]}" ]] || fail "shard $i was written again"
done
cat "$OUT/slurm/logs/merge-$MERGE2.out"
state=$(job_state "$MERGE2")
[[ $state == COMPLETED || -z $state ]] || fail "the second merge job is $state, not COMPLETED"
for f in runs.csv points.csv sweep.json; do
    [[ -f $OUT/result/$f ]] || fail "no $OUT/result/$f after the second merge"
done
phase_done resubmit

log "the same sweep locally, unsharded"
"$GIGASIM" sweep "$SWEEP" --out "$LOCAL" "${SWEEP_OPTS[@]}" --no-charts -q || fail "the local sweep exited $?"
# The data files; others (charts, a report) may record when or how they were made.
for f in runs.csv points.csv sweep.json; do
    cmp "$OUT/result/$f" "$LOCAL/$f" || fail "$f differs between the Slurm result and the local sweep"
    echo "identical: result/$f and local/$f ($(wc -c <"$LOCAL/$f") bytes, $(wc -l <"$LOCAL/$f") lines)"
done
phase_done local

STATUS=PASS
