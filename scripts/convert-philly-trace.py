#!/usr/bin/env python3
"""Rebuild models/traces/philly-excerpt.csv from the Philly job list that Pollux ships.

Reads:  simulator/traces/philly.csv of github.com/petuum/adaptdl at commit
        de25dcc90c350b8ade3a710e437a651a8d2efae6 (Apache-2.0; a per-job table
        derived from the Microsoft Philly trace, github.com/msr-fiddle/philly-traces):
        columns timestamp (submit, "YYYY-mm-dd HH:MM:SS"), duration (s), num_gpus,
        gpu_time, cluster (the virtual-cluster hash).
Writes: gigasim's trace CSV (header submit_h,tenant,chips,run_h,walltime_h,vc,source_offset)
        to stdout, with the provenance comment block first; a summary to stderr.

    scripts/convert-philly-trace.py philly.csv > models/traces/philly-excerpt.csv

SRC may also be a slice of that file that starts at byte --src-offset (the excerpt
was rebuilt from such a slice); the bytes used are checked against SHA256 below.
Standard library only; the output is byte-for-byte deterministic.
"""

import argparse
import datetime as dt
import hashlib
import math
import statistics
import sys

START, END = 1_700_000, 1_748_000  # the byte range of philly.csv this excerpt takes
SHA256 = "e2b3b80af4365bc2010e567a24f5e26762327941ed42a3cb3f5911e2b4c86acc"
TENANTS = ["academia", "industry", "startups"]
UNDER_ASK_EVERY, UNDER_ASK = 10, 0.8


def tenant(vc):
    return TENANTS[int(vc, 16) % 3]


def hours(x):
    # Six decimals (3.6 ms); trailing zeros dropped so the file stays small.
    return f"{x:.6f}".rstrip("0").rstrip(".")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src")
    ap.add_argument("--src-offset", type=int, default=0, help="byte of philly.csv where SRC starts")
    a = ap.parse_args()
    data = open(a.src, "rb").read()
    chunk = data[START - a.src_offset : END - a.src_offset]
    if len(chunk) != END - START or hashlib.sha256(chunk).hexdigest() != SHA256:
        sys.exit(f"bytes {START}..{END} of philly.csv do not match the expected SHA-256: wrong file or offset")
    # Keep the complete lines only: drop the partial line at each end of the range.
    text = chunk.decode("ascii")
    first = text.index("\n") + 1
    last = text.rindex("\n")
    rows, pos = [], START + first
    for line in text[first:last].split("\n"):
        ts, dur, gpus, gpu_time, vc = line.split(",")
        submit = dt.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S")
        dur, gpus = float(dur), int(gpus)
        assert abs(dur * gpus - float(gpu_time)) < 1e-6, line
        if dur > 0 and gpus > 0:
            rows.append((submit, dur, gpus, vc, pos))
        pos += len(line) + 1
    t0 = min(r[0] for r in rows)
    rows.sort(key=lambda r: r[0])  # stable: file order kept for ties
    out = []
    for i, (submit, dur, gpus, vc, off) in enumerate(rows, 1):
        run_h = dur / 3600
        wall_h = UNDER_ASK * run_h if i % UNDER_ASK_EVERY == 0 else math.floor(dur / 3600) + 1
        out.append(((submit - t0).total_seconds() / 3600, tenant(vc), gpus, run_h, wall_h, vc, off))

    w = sys.stdout.write
    w("# Excerpt of the Microsoft Philly GPU-cluster job trace (Jeon et al., \"Analysis of Large-Scale\n")
    w("# Multi-Tenant GPU Clusters for DNN Training Workloads\", USENIX ATC 2019; msr-fiddle/philly-traces),\n")
    w("# as tabulated per job in simulator/traces/philly.csv of github.com/petuum/adaptdl\n")
    w("# (commit de25dcc90c350b8ade3a710e437a651a8d2efae6; that repository is Apache-2.0).\n")
    w("# See models/traces/README.md and LICENSE-philly-excerpt. Rebuild: scripts/convert-philly-trace.py.\n")
    w(f"# Rows: the {len(out)} complete lines lying in bytes {START}..{END} of that 3,444,496-byte file\n")
    w(f"# (sha256 of those bytes {SHA256[:16]}...): jobs that ended between 2017-11-16 and 2017-11-18.\n")
    w("# Changed: seconds -> hours; submit_h counts from the earliest submit in the excerpt; rows sorted\n")
    w("# by submit time (ties keep file order); chips = num_gpus; vc = the source's cluster column;\n")
    w("# source_offset = the row's byte offset in philly.csv.\n")
    w("# tenant RULE: the virtual-cluster hash read as a hex number, mod 3: 0 academia, 1 industry, 2 startups.\n")
    w("# walltime_h RULE (the source has no requested time): run_h rounded up to the next whole hour\n")
    w("# strictly above it (floor(run_h) + 1), except every 10th row (rows 10, 20, ... in this order),\n")
    w(f"# which asks {UNDER_ASK} x run_h: a user who under-asked, so that job is killed at its wall time.\n")
    w("submit_h,tenant,chips,run_h,walltime_h,vc,source_offset\n")
    for s, t, c, r, wl, vc, off in out:
        w(f"{hours(s)},{t},{c},{hours(r)},{hours(wl)},{vc},{off}\n")

    run = [r[3] for r in out]
    gpu_h = [r[2] * r[3] for r in out]
    big = sum(g for g, r in zip(gpu_h, out) if r[2] >= 8)
    counts = {t: sum(1 for r in out if r[1] == t) for t in TENANTS}
    print(
        f"jobs {len(out)}; tenants {counts}; submit span {max(r[0] for r in out):.2f} h;\n"
        f"run_h median {statistics.median(run):.4f} mean {statistics.mean(run):.4f} max {max(run):.2f};\n"
        f"1-chip share {sum(1 for r in out if r[2] == 1) / len(out):.4f}; "
        f"GPU-h {sum(gpu_h):.1f}, share in >=8-chip jobs {big / sum(gpu_h):.4f};\n"
        f"under-asked rows {sum(1 for r in out if r[4] < r[3])}; chips {sorted({r[2] for r in out})}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
