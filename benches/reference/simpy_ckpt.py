#!/usr/bin/env python3
"""The failure/checkpoint model of benches/reference/ckpt-model.ron, in SimPy.

One job computes in segments of tau hours of work, each followed by a checkpoint
write of delta hours; the job fails as a Poisson process with mean M (the failure
clock runs whatever the job is doing). A failure loses the work since the last
completed checkpoint; the node reboots (zero time here) and the job restarts,
paying R hours (itself restarted if struck). The work outlasts the horizon, and a
run reports ETTR over it: work saved plus the unsaved progress at the horizon
(gigasim's definition), over the horizon.

Events are counted as gigasim counts `processed` events in the same model: a
failure, the node being back after its reboot, and each phase end that happens
(restart, compute segment, checkpoint write). Interrupted timeouts are not counted.

Prints one JSON object: replications, events, seconds, events_per_s, ettr_mean, ettr_se.
"""

import argparse
import json
import math
import random
import time

import simpy


class Job:
    def __init__(self, env, a):
        self.env = env
        self.a = a
        self.work_done = 0.0
        self.phase = "run"
        self.phase_start = 0.0
        self.seg = 0.0
        self.events = 0
        self.interruptions = 0
        self.proc = env.process(self.run())

    def run(self):
        env, a = self.env, self.a
        rebooting = False
        resumed = False
        while True:
            try:
                if rebooting:
                    self.phase = "waiting"
                    yield env.timeout(a.reboot)
                    self.events += 1  # the node is back
                    rebooting = False
                if resumed:
                    self.phase, self.phase_start = "restart", env.now
                    yield env.timeout(a.restart)
                    self.events += 1
                    resumed = False
                while True:
                    self.seg = a.tau
                    self.phase, self.phase_start = "run", env.now
                    yield env.timeout(self.seg)
                    self.events += 1
                    self.phase = "ckpt"
                    yield env.timeout(a.delta)
                    self.events += 1
                    self.work_done += self.seg
            except simpy.Interrupt:
                if self.phase != "waiting":
                    self.interruptions += 1
                rebooting = True
                resumed = True

    def useful(self):
        if self.phase == "run":
            return self.work_done + (self.env.now - self.phase_start)
        if self.phase == "ckpt":
            return self.work_done + self.seg
        return self.work_done


def failures(env, rng, job, mtbf):
    while True:
        yield env.timeout(rng.expovariate(1.0 / mtbf))
        job.events += 1
        job.proc.interrupt()


def replicate(a, seed):
    env = simpy.Environment()
    rng = random.Random(seed)
    job = Job(env, a)
    env.process(failures(env, rng, job, a.mtbf))
    env.run(until=a.horizon_hours)
    return job.useful() / a.horizon_hours, job.events


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--horizon-hours", type=float, default=365 * 24.0)
    p.add_argument("--mtbf", type=float, default=2.0, help="M: mean time between job failures, hours")
    p.add_argument("--tau", type=float, default=0.5, help="checkpoint interval (work), hours")
    p.add_argument("--delta", type=float, default=0.1, help="checkpoint write, hours")
    p.add_argument("--restart", type=float, default=0.2, help="R: restart, hours")
    p.add_argument("--reboot", type=float, default=0.0, help="reboot after a failure, hours")
    a = p.parse_args()
    ettrs, events, seconds = [], 0, 0.0
    for r in range(a.reps):
        t0 = time.perf_counter()
        ettr, ev = replicate(a, 1 + r)
        seconds += time.perf_counter() - t0
        ettrs.append(ettr)
        events += ev
    n = len(ettrs)
    mean = sum(ettrs) / n
    se = math.sqrt(sum((x - mean) ** 2 for x in ettrs) / (n - 1) / n) if n > 1 else float("nan")
    print(json.dumps({"replications": n, "events": events, "seconds": seconds, "events_per_s": events / seconds, "ettr_mean": mean, "ettr_se": se}))


if __name__ == "__main__":
    main()
