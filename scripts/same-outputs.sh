#!/usr/bin/env bash
# same-outputs.sh BASE_REV: proves that the working tree's code writes exactly the
# bytes BASE_REV's code writes: every file (data, charts, sweep tables) of every
# shipped scenario at each seed, and of the shipped sweep(s).
#
#   scripts/same-outputs.sh HEAD               did my uncommitted change alter any output?
#   SEEDS="1 2 3" scripts/same-outputs.sh main~3
#
# Exit: 0 all identical, 1 some file differs (or a run failed), 2 usage error,
#       3 a build failed.
# Time (measured on 2 busy cores): about 5 min when nothing is built yet (both target
# dirs cold); about 45 s when only BASE_REV's own crate must be built (dependencies warm
# in target-base/); about 4 s when both binaries are up to date, which is the cost of the
# 9 runs and the comparison. An edit to src/ adds the working tree's rebuild (~50 s).
#
# Both binaries run with the same arguments, from the same directory, on one snapshot
# of the working tree's models/ (so only the code differs, and concurrent
# edits to models/ mid-run cannot make the two sides read different files), and each
# writes to the same --out path in turn (so an output that ever embeds its own path
# still compares equal).
set -euo pipefail

usage() {
    echo "usage: $0 BASE_REV    (env: SEEDS=\"1 2\", the seeds for each scenario)" >&2
    exit 2
}
[ $# -eq 1 ] || usage
case $1 in -h | --help) usage ;; esac
repo=$(git rev-parse --show-toplevel 2>/dev/null) || { echo "same-outputs: not inside a git repository" >&2; exit 2; }
cd "$repo"
base_sha=$(git rev-parse --verify --quiet "$1^{commit}") || { echo "same-outputs: not a commit: $1" >&2; exit 2; }
base_name=$1
[ "$(git rev-parse --short "$base_sha")" = "$1" ] || base_name="$1 ($(git rev-parse --short "$base_sha"))"
SEEDS=${SEEDS:-"1 2"}
for s in $SEEDS; do [[ $s =~ ^[0-9]+$ ]] || { echo "same-outputs: SEEDS must be integers, got '$s'" >&2; exit 2; }; done
[ -n "${SEEDS// /}" ] || { echo "same-outputs: SEEDS is empty" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/same-outputs.XXXXXX")
cleanup() {
    # The worktree is registered in the repo's .git: remove it properly, not just its files.
    if [ -d "$tmp/base" ]; then git -C "$repo" worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; fi
    rm -rf "$tmp"
    git -C "$repo" worktree prune 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$tmp/bin/base" "$tmp/bin/new" "$tmp/out/base" "$tmp/out/new" "$tmp/run"

# ---------------------------------------------------------------- builds
# BASE_REV is built in its own worktree into target-base/ (git-ignored), so its
# dependencies are compiled once. A fresh worktree has fresh mtimes, so cargo always
# rebuilds the gigasim crate itself (~50 s): the binary is therefore also kept per
# commit and compiler, and a later run against the same BASE_REV skips the build.
cache="$repo/target-base/same-outputs/$base_sha-$(rustc -vV | cksum | cut -d' ' -f1)"
if [ -x "$cache/gigasim" ]; then
    echo "== base $base_name: cached build in ${cache#"$repo"/}" >&2
else
    echo "== build base $base_name in a worktree, CARGO_TARGET_DIR=target-base" >&2
    git worktree add --quiet --detach "$tmp/base" "$base_sha"
    (cd "$tmp/base" && CARGO_TARGET_DIR="$repo/target-base" cargo build --release --quiet) ||
        { echo "same-outputs: building $1 failed" >&2; exit 3; }
    mkdir -p "$cache"
    cp "$repo/target-base/release/gigasim" "$cache/gigasim.partial" && mv "$cache/gigasim.partial" "$cache/gigasim"
fi
cp "$cache/gigasim" "$tmp/bin/base/gigasim"

echo "== build working tree (target/)" >&2
# env -u: a CARGO_TARGET_DIR in the caller's environment must not redirect this build.
(env -u CARGO_TARGET_DIR cargo build --release --quiet) || { echo "same-outputs: building the working tree failed" >&2; exit 3; }
# Copies: a rebuild of target/ by someone else during the runs cannot swap the binary.
cp target/release/gigasim "$tmp/bin/new/gigasim"

# One snapshot of the working tree's models, read by both binaries.
cp -r models "$tmp/models"

# ---------------------------------------------------------------- runs
runs=0 files=0 differ=0 failed=0

# compare_file A B: prints where A and B first differ.
compare_file() {
    local a=$1 b=$2 msg byte line col from
    msg=$(cmp -- "$a" "$b" 2>&1) || true
    if [[ $msg =~ differ:\ (byte|char)\ ([0-9]+),\ line\ ([0-9]+) ]]; then
        byte=${BASH_REMATCH[2]} line=${BASH_REMATCH[3]}
        if { [ ! -s "$a" ] || grep -qI '' "$a"; } && { [ ! -s "$b" ] || grep -qI '' "$b"; }; then
            # Text: show the first differing line of each side, cut to a window around
            # the first differing column (SVG lines can be very long).
            col=$(($({ head -c $((byte - 1)) "$a"; printf X; } | tail -n 1 | wc -c) - 1))
            from=$((col > 60 ? col - 60 : 1))
            echo "        first difference: line $line, column $((col + 1))"
            echo "        - base: $(sed -n "${line}{p;q}" "$a" | cut -c "$from-$((from + 199))")"
            echo "        + new:  $(sed -n "${line}{p;q}" "$b" | cut -c "$from-$((from + 199))")"
        else
            echo "        binary; first difference at byte $byte; sizes $(stat -c %s "$a") vs $(stat -c %s "$b") bytes"
        fi
    else
        # cmp's "EOF on X after byte N": one file is a prefix of the other.
        echo "        ${msg#cmp: } (sizes $(stat -c %s "$a") vs $(stat -c %s "$b") bytes)"
    fi
}

# normalized FILE: what of FILE is compared. A `provenance` block (the last key of
# summary.json and sweep.json: version, commit, file hashes) names the build, not
# the results, and a report page's command and time (between its context comments)
# name the invocation; both are left out.
normalized() {
    case ${1##*/} in
    summary.json | sweep.json)
        awk '/^  "provenance": /{exit} {print}' "$1" | sed '$ s/,$//'
        grep -q '^  "provenance": ' "$1" && echo "}" || true
        ;;
    *.html) sed '/<!-- gigasim:context -->/,/<!-- \/gigasim:context -->/d' "$1" ;;
    *) cat "$1" ;;
    esac
}

# run_pair LABEL GIGASIM-ARGS...: runs both binaries with the same arguments (plus
# --out and -q), then compares the two output trees file by file.
run_pair() {
    local label=$1 slug side rc n nd f
    local -a list
    shift
    slug=${label// /-}
    runs=$((runs + 1))
    local ok=1
    for side in base new; do
        rm -rf "$tmp/run/out"
        rc=0
        (cd "$tmp" && "$tmp/bin/$side/gigasim" "$@" --out "$tmp/run/out" -q) >"$tmp/run/$side.log" 2>&1 || rc=$?
        if [ "$rc" -ne 0 ]; then
            echo "FAIL  $label: the $side binary exited with $rc:"
            sed 's/^/        /' "$tmp/run/$side.log" | head -n 10
            ok=0
        fi
        mkdir -p "$tmp/run/out"
        mv "$tmp/run/out" "$tmp/out/$side/$slug"
    done
    [ "$ok" = 1 ] || { failed=$((failed + 1)); return; }

    local A="$tmp/out/base/$slug" B="$tmp/out/new/$slug"
    # The union of both trees' files, so a file only one side wrote is counted too.
    mapfile -t list < <({ (cd "$A" && find . -type f); (cd "$B" && find . -type f); } | sed 's|^\./||' | LC_ALL=C sort -u)
    n=${#list[@]} nd=0
    local report=""
    for f in "${list[@]}"; do
        # A run's manifest (the list of its files) is compared when both sides wrote
        # one; a BASE_REV from before manifests wrote none, which is no difference.
        if [ "${f##*/}" = .gigasim-manifest ] && { [ ! -e "$A/$f" ] || [ ! -e "$B/$f" ]; }; then
            continue
        fi
        # Nor are the copies of the inputs and the report page a difference, when
        # BASE_REV is from before them; the manifest is then compared without them.
        case $f in inputs/* | report.html)
            { [ -e "$A/$f" ] && [ -e "$B/$f" ]; } || continue ;;
        esac
        if [ -e "$A/$f" ] && [ -e "$B/$f" ] && ! cmp -s -- "$A/$f" "$B/$f"; then
            normalized "$A/$f" >"$tmp/run/a.norm"
            normalized "$B/$f" >"$tmp/run/b.norm"
            if [ "${f##*/}" = .gigasim-manifest ] && ! { [ -d "$A/inputs" ] && [ -d "$B/inputs" ] && [ -e "$A/report.html" ] && [ -e "$B/report.html" ]; }; then
                # Lines naming files only one side wrote (inputs/, report.html) are no difference.
                for side in a b; do
                    grep -v -e '^inputs/' -e '^report.html$' "$tmp/run/$side.norm" >"$tmp/run/$side.norm2" || true
                    mv "$tmp/run/$side.norm2" "$tmp/run/$side.norm"
                done
            fi
            if cmp -s "$tmp/run/a.norm" "$tmp/run/b.norm"; then
                continue
            fi
        fi
        if [ ! -e "$A/$f" ]; then
            report+="    $f: only written by new"$'\n'; nd=$((nd + 1))
        elif [ ! -e "$B/$f" ]; then
            report+="    $f: only written by base"$'\n'; nd=$((nd + 1))
        elif ! cmp -s -- "$A/$f" "$B/$f"; then
            report+="    $f differs"$'\n'"$(compare_file "$A/$f" "$B/$f")"$'\n'; nd=$((nd + 1))
        fi
    done
    files=$((files + n))
    differ=$((differ + nd))
    if [ "$nd" -eq 0 ]; then
        [ "$n" -gt 0 ] || { echo "FAIL  $label: no output files at all"; failed=$((failed + 1)); return; }
        echo "same  $label: $n files"
    else
        echo "DIFF  $label: $nd of $n files differ"
        printf '%s' "$report"
    fi
}

echo "== runs: base $base_name vs working tree, seeds $SEEDS" >&2
for scen in "$tmp"/models/scenarios/*.ron; do
    for seed in $SEEDS; do
        run_pair "$(basename "$scen" .ron) seed $seed" run "$scen" --seed "$seed"
    done
done
# `gigasim sweep` has no seed option (replication r uses the base scenario's seed + r),
# so each sweep runs once, with the default number of jobs (its bytes do not depend on it).
for sw in "$tmp"/models/sweeps/*.ron; do
    run_pair "sweep $(basename "$sw" .ron)" sweep "$sw"
done

# ---------------------------------------------------------------- verdict
if [ "$differ" -eq 0 ] && [ "$failed" -eq 0 ]; then
    echo "same-outputs: $runs runs, $files files, all identical"
    exit 0
fi
msg="same-outputs: $runs runs, $files files, $differ files differ"
[ "$failed" -eq 0 ] || msg+=", $failed of the runs failed"
echo "$msg"
exit 1
