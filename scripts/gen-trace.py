#!/usr/bin/env python3
"""Write a synthetic job trace in gigasim's CSV form, for the replay benchmark.

usage: gen-trace.py OUT.csv [JOBS] [DAYS] [CHIPS]
Poisson submissions of JOBS jobs over DAYS days, sized and timed to offer about 90% of
CHIPS (the tenants' chips; the default site leaves 6,224), across three tenants; wall
times 1.5x the run time, one job in 50 under-asks (0.8x) and is killed. Seeded: the same
arguments give the same bytes.
"""
import math
import random
import sys

out = sys.argv[1]
jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
days = float(sys.argv[3]) if len(sys.argv) > 3 else 180.0
chips = float(sys.argv[4]) if len(sys.argv) > 4 else 6224.0
rng = random.Random(42)
sizes = [(1, 0.35), (2, 0.1), (4, 0.3), (8, 0.15), (16, 0.06), (64, 0.03), (256, 0.01)]
mean_size = sum(c * w for c, w in sizes)
hours = days * 24.0
rate = jobs / hours
# Mean run time that offers 90% of the chips: rate × size × run = 0.9 × chips.
mean_run = 0.9 * chips / (rate * mean_size)
sigma = 1.2
median = mean_run / math.exp(sigma * sigma / 2)
tenants = ["academia", "industry", "startups"]
t = 0.0
with open(out, "w") as f:
    f.write("submit_h,tenant,chips,run_h,walltime_h\n")
    for i in range(jobs):
        t += rng.expovariate(rate)
        u, acc = rng.random(), 0.0
        c = sizes[-1][0]
        for size, w in sizes:
            acc += w
            if u < acc:
                c = size
                break
        run = max(median * math.exp(sigma * rng.gauss(0, 1)), 1 / 3600)
        wall = run * (0.8 if i % 50 == 49 else 1.5)
        f.write(f"{t:.6f},{rng.choices(tenants, (0.5, 0.3, 0.2))[0]},{c},{run:.6f},{wall:.6f}\n")
