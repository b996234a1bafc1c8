//! The scheduler held to queueing theory and to the guarantees its policies claim.
mod common;

use common::{erlang_c, mean_se};
use gigasim::engine::{SimRng, SimTime};
use gigasim::sim::sched::{Cause, Decision, Placement, Policy, QueueView, QueuedJob, Slurm, shared_after_pass};
use gigasim::{Report, Simulation};
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

const MS_PER_H: f64 = 3_600_000.0;

/// A scenario with no failures and no frontier job: only the tenants and the scheduler given.
fn site((cpn, npr, rpp, pods): (u32, u32, u32, u32), hours: f64, seed: u64, tenants: &str, sched: &str) -> gigasim::config::Scenario {
    common::scenario(&format!(
        "(name: \"sched\", horizon_days: {days}, seed: {seed}, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: {cpn}, nodes_per_rack: {npr}, racks_per_pod: {rpp}, pods: {pods}),
          failure: (name: \"none\", classes: [], repair: (crews: 1, spare_nodes: 0, swap: Fixed(hours: 1.0))),
          power: {power},
          workload: (name: \"w\", frontier: [], tenants: [{tenants}], scheduler: {sched}))",
        days = hours / 24.0,
        power = common::power_ron()
    ))
}

/// A job class with no checkpoint, no restart or write overhead: a job holds its chips exactly its run time.
fn class(name: &str, per_hour: f64, chips: &str, work: &str, walltime: &str) -> String {
    format!(
        "(name: \"{name}\", arrivals_per_hour: {per_hour}, chips: {chips}, work_hours: {work}, p_checkpoint: 0.0,
          checkpoint: (interval_hours: 1.0, write_hours: 0.0, at_end: false), restart_hours: 0.0, walltime: {walltime})"
    )
}

fn hours(t: SimTime) -> f64 {
    t.as_millis() as f64 / MS_PER_H
}

// ---------------------------------------------------------------- 1. Erlang C

/// Mean wait in queue of `keep` successive jobs after `warm` jobs, one replication.
fn mmc_mean_wait(per_hour: f64, warm: usize, keep: usize, seed: u64) -> f64 {
    let n = warm + keep;
    // Enough time for n arrivals (Poisson: +6σ) and for the last of them to start.
    let horizon = (n as f64 + 6.0 * (n as f64).sqrt()) / per_hour + 200.0;
    let t = format!(
        "(name: \"t\", share: Fraction(1.0), classes: [{}])",
        class("c", per_hour, "Fixed(1)", "Exponential(mean_hours: 1.0)", "Unlimited")
    );
    // 16 chips as 4 nodes of 4: 1-chip jobs share nodes, so every free chip serves the queue.
    let s = site((4, 4, 1, 1), horizon, seed, &t, "(order: Fcfs)");
    let r = Simulation::new(&s).run();
    assert!(r.jobs.len() >= n, "{} jobs submitted, {n} needed", r.jobs.len());
    // Report.jobs is in submission order; the window is chosen by index, not by start, so no wait is censored.
    let waits: Vec<f64> = r.jobs[warm..n]
        .iter()
        .map(|j| {
            let start = j.started.expect("every job of the window starts before the horizon");
            assert_eq!(j.state, "completed");
            hours(start) - hours(j.submitted)
        })
        .collect();
    waits.iter().sum::<f64>() / keep as f64
}

/// M/M/c: Poisson arrivals, exponential run times, c servers, FCFS. Each
/// replication discards a warm-up of many relaxation times (about
/// 1/(cμ(1−√ρ)²): 100 h at ρ = 0.95) and averages the waits of the next jobs;
/// the replications are independent, so the standard error of their mean is
/// the sample sd over √n, however strongly successive waits are correlated.
#[test]
fn fcfs_wait_matches_erlang_c_at_two_loads() {
    let c = 16;
    for (rho, warm, keep, reps) in [(0.7, 5_000, 40_000, 32), (0.95, 20_000, 200_000, 16)] {
        let lambda = rho * c as f64;
        let means: Vec<f64> = (0..reps).into_par_iter().map(|k| mmc_mean_wait(lambda, warm, keep, 100 + k)).collect();
        let (mean, se) = mean_se(&means);
        let p_wait = erlang_c(c, lambda);
        let wq = p_wait / (c as f64 - lambda);
        let z = (mean - wq) / se;
        println!("Erlang C c={c} rho={rho}: mean wait {mean:.5} h, closed form {wq:.5} h (C = {p_wait:.5}), se {se:.5}, z {z:.2}");
        assert!(z.abs() < 3.0, "rho {rho}: simulated {mean:.5} ± {se:.5} h vs Erlang C {wq:.5} h (z = {z:.2})");
    }
}

#[test]
fn erlang_c_matches_known_values() {
    // M/M/1: C = ρ. M/M/2 at a = 1: P0 = 1/(1 + 1 + 1) and C = (a²/2!)·(2/(2−a))·P0 = 1/3.
    assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
}

// ---------------------------------------------------------------- 2. EASY backfill

/// One head of the queue as the watcher saw it.
#[derive(Clone, Copy, Debug)]
struct Head {
    id: u32,
    chips: u64,
    submitted: SimTime,
    /// The reservation computed when it became head (`None`: no known end frees enough).
    at: Option<SimTime>,
    /// The latest reservation recomputed since.
    last: Option<SimTime>,
    /// When every job running as it became head reaches its requested wall
    /// time: any reservation is at or before it, known ends or not.
    bound: SimTime,
}

#[derive(Default)]
struct WatchLog {
    head: Option<Head>,
    /// Heads that started, with the reservation made when they became head and their start.
    started: Vec<(Head, SimTime)>,
    violations: Vec<String>,
}

/// Slurm's FCFS+backfill policy, watched: at every pass it finds the head (the
/// first job in queue order the policy does not start), computes its EASY
/// reservation independently from the view (free nodes after the jobs
/// started ahead of it, then the requested ends of whole-node jobs), and
/// checks that the head starts no later than the reservation made when it
/// became head, nor than the time every job running then reaches its wall
/// time (a bound on any reservation, whether or not it can be computed), and
/// that a recomputed reservation never moves later.
struct Watch {
    inner: Slurm,
    log: Arc<Mutex<WatchLog>>,
}

/// The reservation for `head` given the room left after the jobs started ahead of it.
/// Whole-node head: the first requested end at which the free nodes plus those
/// whole-node jobs (and emptying shared nodes) release cover it. Sub-node head: the
/// first such release, or the requested end of a sub-node job at least as large.
fn reservation(head: &QueuedJob, free_nodes: u32, ends: &mut [(SimTime, u32, bool, u64)]) -> Option<SimTime> {
    ends.sort_by_key(|e| e.0);
    let mut avail = free_nodes;
    for &(t, nodes, sub_node, chips) in ends.iter() {
        if head.sub_node {
            if !sub_node || chips >= head.chips {
                return Some(t);
            }
        } else if !sub_node {
            avail += nodes;
            if avail >= head.nodes {
                return Some(t);
            }
        }
    }
    None
}

impl Policy for Watch {
    fn name(&self) -> &str {
        "watched"
    }
    fn requeue(&mut self, j: &QueuedJob, c: Cause) -> Placement {
        self.inner.requeue(j, c)
    }
    fn usage(&mut self, t: u16, d: i64, now: SimTime) {
        self.inner.usage(t, d, now)
    }
    fn decide(&mut self, v: &QueueView, out: &mut Vec<Decision>) {
        let before = out.len();
        self.inner.decide(v, out);
        let starts: HashSet<u32> =
            out[before..].iter().filter_map(|d| if let Decision::Start(id) = d { Some(*id) } else { None }).collect();
        let mut guard = self.log.lock().unwrap();
        let log = &mut *guard;
        let now = v.now;
        let mut room = v.room.clone();
        let mut ends: Vec<(SimTime, u32, bool, u64)> =
            v.ends().filter_map(|r| r.ends_by.map(|t| (t, r.nodes, r.sub_node, r.chips))).collect();
        let mut head = None;
        let (mut fresh, mut joins) = (Vec::new(), Vec::new());
        for j in v.jobs() {
            if !starts.contains(&j.id) {
                head = Some(*j);
                break;
            }
            let end = j.walltime_ms.map(|w| now + gigasim::engine::Duration::from_millis(w));
            if j.sub_node && room.fits(j) {
                if room.fresh_nodes(j) == 1 { fresh.push(end) } else { joins.push(end) }
            }
            if !room.take(j) {
                log.violations.push(format!("t={:.4} h: job {} started ahead of the head but does not fit", hours(now), j.id));
            }
            if let Some(w) = j.walltime_ms {
                ends.push((now + gigasim::engine::Duration::from_millis(w), j.nodes, j.sub_node, j.chips));
            }
        }
        // The head tracked so far: it either starts now or is still the head.
        if let Some(h) = log.head {
            let queued = v.jobs().any(|j| j.id == h.id && j.submitted == h.submitted);
            if !queued {
                log.violations.push(format!("head {} left the queue without starting", h.id));
                log.head = None;
            } else if starts.contains(&h.id) {
                if now > h.bound {
                    log.violations.push(format!(
                        "head {} of {} chips (submitted {:.4} h, reservation {:?}) started at {:.4} h, after every job running when it became head had ended (by {:.4} h)",
                        h.id,
                        h.chips,
                        hours(h.submitted),
                        h.at.map(hours),
                        hours(now),
                        hours(h.bound)
                    ));
                }
                if let Some(at) = h.at
                    && now > at
                {
                    log.violations.push(format!(
                        "head {} (submitted {:.4} h) started at {:.4} h, after its reservation at {:.4} h",
                        h.id,
                        hours(h.submitted),
                        hours(now),
                        hours(at)
                    ));
                }
                log.started.push((h, now));
                log.head = None;
            }
        }
        let Some(h) = head else { return };
        if room.fits(&h) {
            log.violations.push(format!("t={:.4} h: head {} fits but did not start", hours(now), h.id));
        }
        // A shared node frees a whole node when its last job's requested end comes; jobs
        // started in this pass made new shared nodes or may delay the earliest ones.
        ends.extend(shared_after_pass(v.shared_ends(), &fresh, &mut joins).into_iter().map(|t| (t, 1, false, u64::MAX)));
        let at = reservation(&h, room.free_nodes, &mut ends);
        let bound = ends.iter().map(|e| e.0).max().unwrap_or(now);
        let new = Head { id: h.id, chips: h.chips, submitted: h.submitted, at, last: at, bound };
        match log.head {
            None => log.head = Some(new),
            Some(ref mut old) if old.id == h.id && old.submitted == h.submitted => {
                // Jobs ending early can only bring it forward; backfilled jobs must not push it back.
                if let (Some(prev), Some(new)) = (old.last, at)
                    && new > prev
                {
                    let msg =
                        format!("head {}: reservation moved from {:.4} h to {:.4} h at {:.4} h", h.id, hours(prev), hours(new), hours(now));
                    log.violations.push(msg);
                }
                if old.last.is_some() && at.is_none() {
                    log.violations.push(format!("head {}: reservation lost at {:.4} h", h.id, hours(now)));
                }
                old.last = at;
            }
            Some(old) => {
                log.violations.push(format!("t={:.4} h: head {} replaced by {} without starting", hours(now), old.id, h.id));
                log.head = Some(new);
            }
        }
    }
}

/// A random small site and job mix: sizes from one chip to the whole site,
/// wall times 1–3× the run time (Factor ≥ 1), offered load 0.6–1.4.
fn random_case(rng: &mut SimRng, seed: u64, whole_nodes_only: bool) -> gigasim::config::Scenario {
    let cpn = [1, 2, 4, 8][rng.random_range(0..4)];
    let (npr, rpp, pods) = (rng.random_range(1..=4u32), rng.random_range(1..=3u32), rng.random_range(1..=2u32));
    let nodes = (npr * rpp * pods).max(2);
    let npr = if npr * rpp * pods < 2 { 2 } else { npr };
    let chips = nodes * cpn;
    let n_classes = rng.random_range(1..=3);
    let mut classes = Vec::new();
    let load = rng.random_range(0.6..1.4);
    for i in 0..n_classes {
        let n_sizes = rng.random_range(1..=3);
        let sizes: Vec<u32> = (0..n_sizes)
            .map(|_| {
                if !whole_nodes_only && cpn > 1 && rng.random_bool(0.4) {
                    rng.random_range(1..cpn)
                } else if rng.random_bool(0.3) {
                    rng.random_range(1..=chips)
                } else {
                    cpn * rng.random_range(1..=nodes)
                }
            })
            .map(|c| if whole_nodes_only { c.div_ceil(cpn) * cpn } else { c })
            .collect();
        let held: f64 =
            sizes.iter().map(|&c| if c < cpn { c as f64 } else { (c.div_ceil(cpn) * cpn) as f64 }).sum::<f64>() / n_sizes as f64;
        let mean = rng.random_range(0.2..3.0);
        let work = match rng.random_range(0..3) {
            0 => format!("Exponential(mean_hours: {mean})"),
            1 => format!("Uniform(min_hours: {}, max_hours: {})", mean * 0.5, mean * 1.5),
            _ => format!("Fixed(hours: {mean})"),
        };
        let factor = if rng.random_bool(0.3) { 1.0 } else { rng.random_range(1.0..3.0) };
        let per_hour = load * chips as f64 / (held * mean * n_classes as f64);
        let choice = sizes.iter().map(|c| format!("({c}, 1.0)")).collect::<Vec<_>>().join(", ");
        classes.push(class(&format!("c{i}"), per_hour, &format!("Choice([{choice}])"), &work, &format!("Factor({factor})")));
    }
    let tenants = format!("(name: \"t\", share: Fraction(1.0), classes: [{}])", classes.join(", "));
    let tested = [1, 3, 100][rng.random_range(0..3)];
    let sched = format!("(order: Fcfs, backfill: Some((max_jobs_tested: {tested})))");
    site((cpn, npr, rpp, pods), 24.0 * rng.random_range(2.0..6.0), seed, &tenants, &sched)
}

fn watched_run(s: &gigasim::config::Scenario) -> (Report, WatchLog) {
    let log = Arc::new(Mutex::new(WatchLog::default()));
    let watch = Watch { inner: Slurm::new(&s.workload.scheduler), log: log.clone() };
    let r = Simulation::builder(s).policy(Box::new(watch)).build().run();
    let log = std::mem::take(&mut *log.lock().unwrap());
    (r, log)
}

fn check_backfill_cases(whole_nodes_only: bool, cases: u64) -> (usize, usize, usize) {
    let mut rng = SimRng::seed_from_u64(if whole_nodes_only { 7 } else { 8 });
    let (mut heads, mut none, mut backfilled) = (0, 0, 0);
    for case in 0..cases {
        let s = random_case(&mut rng, case, whole_nodes_only);
        let (r, log) = watched_run(&s);
        let n = log.violations.len();
        assert!(
            n == 0,
            "case {case}: {n} violations, the first:\n{}\nfacility {:?}\nworkload {:?}",
            log.violations[..n.min(5)].join("\n"),
            s.facility,
            s.workload
        );
        // The starts the watcher saw are the starts the run recorded.
        let mut by_submit: HashMap<SimTime, Vec<Option<SimTime>>> = HashMap::new();
        for j in &r.jobs {
            by_submit.entry(j.submitted).or_default().push(j.started);
        }
        for (h, start) in &log.started {
            let rec = &by_submit[&h.submitted];
            if rec.len() == 1 {
                assert_eq!(rec[0], Some(*start), "case {case}: head {} submitted {:?}", h.id, h.submitted);
            }
            if h.at.is_none() {
                none += 1;
            }
        }
        heads += log.started.len();
        // Jobs that started before an older job: backfill did act.
        let mut latest = SimTime::ZERO;
        for j in &r.jobs {
            if let Some(s) = j.started {
                if s < latest {
                    backfilled += 1;
                }
                latest = latest.max(s);
            }
        }
    }
    (heads, none, backfilled)
}

/// Whole-node jobs only: every head has a reservation, and none starts after it.
#[test]
fn backfill_never_delays_the_head_on_random_whole_node_queues() {
    let (heads, none, backfilled) = check_backfill_cases(true, 200);
    println!("whole-node mixes: {heads} heads checked, {none} without reservation, {backfilled} jobs started before an older one");
    assert_eq!(none, 0, "with whole-node jobs only, the ends of running jobs always free enough");
    assert!(heads > 1000 && backfilled > 1000, "the cases exercise backfill: {heads} heads, {backfilled} backfilled");
}

/// Sub-node jobs mixed in: the reservation may find no time (jobs smaller than a
/// node free their node only when it empties), but the head must still start
/// by the time every job running when it became head has reached its wall time.
#[test]
fn backfill_never_delays_the_head_on_random_mixed_queues() {
    let (heads, none, backfilled) = check_backfill_cases(false, 200);
    println!("mixed sizes: {heads} heads checked, {none} without reservation, {backfilled} jobs started before an older one");
    assert!(heads > 1000 && backfilled > 1000, "the cases exercise backfill: {heads} heads, {backfilled} backfilled");
}

/// A whole-node head behind sub-node jobs: 1-chip jobs keep four 4-chip nodes
/// partly busy, and a job needing all 16 chips comes now and then. The
/// reservation leaves out jobs smaller than a node (when their node empties is
/// not known), so it finds no time at which the head fits; EASY must still not
/// let later jobs take the nodes the head is waiting for.
fn starving(seed: u64, backfill: bool) -> gigasim::config::Scenario {
    let t = format!(
        "(name: \"t\", share: Fraction(1.0), classes: [{}, {}])",
        class("small", 8.0, "Fixed(1)", "Exponential(mean_hours: 1.0)", "Factor(2.0)"),
        class("big", 0.02, "Fixed(16)", "Fixed(hours: 1.0)", "Factor(2.0)"),
    );
    let sched = if backfill { "(order: Fcfs, backfill: Some((max_jobs_tested: 100)))" } else { "(order: Fcfs)" };
    site((4, 4, 1, 1), 60.0 * 24.0, seed, &t, sched)
}

#[test]
fn backfill_does_not_starve_a_whole_node_head_behind_sub_node_jobs() {
    let fcfs = Simulation::new(&starving(1, false)).run().summary();
    let (r, log) = watched_run(&starving(1, true));
    let bf = r.summary();
    let (f, b) = (&fcfs.job_classes["big"], &bf.job_classes["big"]);
    println!(
        "16-chip jobs: fcfs {}/{} started, mean wait {:.2} h; fcfs+backfill {}/{} started, mean wait {:.2} h, p99 {:.1} h",
        f.jobs_started, f.jobs_submitted, f.wait_mean_h, b.jobs_started, b.jobs_submitted, b.wait_mean_h, b.wait_p99_h
    );
    let n = log.violations.len();
    assert!(n == 0, "{n} violations, the first:\n{}", log.violations[..n.min(5)].join("\n"));
}

// ---------------------------------------------------------------- 3. Backfill vs FCFS

/// A site of 32 four-chip nodes, many 1-node jobs and a few 24-node ones,
/// offered slightly more than the site can do (1.04), so each policy runs at
/// its own capacity: an FCFS queue with a large job at its head drains the
/// site while the small jobs behind it wait. Wall times equal run times, so
/// backfill plans on exact ends.
fn mixed_site(seed: u64, backfill: bool) -> Report {
    let t = format!(
        "(name: \"t\", share: Fraction(1.0), classes: [{}, {}])",
        class("small", 14.0, "Fixed(4)", "Exponential(mean_hours: 1.0)", "Factor(1.0)"),
        class("large", 0.2, "Fixed(96)", "Exponential(mean_hours: 4.0)", "Factor(1.0)"),
    );
    let sched = if backfill { "(order: Fcfs, backfill: Some((max_jobs_tested: 100)))" } else { "(order: Fcfs)" };
    Simulation::new(&site((4, 8, 4, 1), 60.0 * 24.0, seed, &t, sched)).run()
}

#[test]
fn backfill_uses_the_site_at_least_as_well_as_fcfs() {
    let seeds = 0..8u64;
    let runs: Vec<(Report, Report)> = seeds.clone().into_par_iter().map(|s| (mixed_site(s, false), mixed_site(s, true))).collect();
    let (mut gain, mut fcfs_alloc, mut bf_alloc, mut ratio) = (vec![], vec![], vec![], vec![]);
    for (seed, (f, b)) in seeds.zip(&runs) {
        let (fs, bs) = (f.summary(), b.summary());
        let (fa, ba) = (fs.scheduler.allocated, bs.scheduler.allocated);
        let (fw, bw) = (fs.job_classes["small"].wait_mean_h, bs.job_classes["small"].wait_mean_h);
        println!("seed {seed}: allocated fcfs {fa:.4} backfill {ba:.4}; small-job mean wait fcfs {fw:.2} h backfill {bw:.2} h");
        // The same jobs arrive under both (arrivals have their own random streams).
        assert_eq!(fs.jobs.submitted, bs.jobs.submitted);
        assert!(ba >= fa, "seed {seed}: backfill allocated {ba} < fcfs {fa}");
        assert!(bw < fw, "seed {seed}: backfill small-job wait {bw} h >= fcfs {fw} h");
        gain.push(ba - fa);
        fcfs_alloc.push(fa);
        bf_alloc.push(ba);
        ratio.push(bw / fw);
    }
    let (g, se) = mean_se(&gain);
    println!(
        "allocated: fcfs {:.4}, backfill {:.4}, gain {g:.4} ± {se:.4}; small-job wait backfill/fcfs {:.3}",
        mean_se(&fcfs_alloc).0,
        mean_se(&bf_alloc).0,
        mean_se(&ratio).0
    );
    // Paired over seeds: the gain is real, so the mix does make FCFS block.
    assert!(g > 3.0 * se, "gain {g} ± {se}");
}

// ---------------------------------------------------------------- 4. Fair share

const ENTITLED: [f64; 3] = [0.5, 0.3, 0.2];
/// 16 one-node (4-chip) jobs at a time; each tenant submits 20 an hour, the site serves 16.
const NODES: u32 = 16;

/// Chip-hours each tenant held in [from, to], from the job table (no failures,
/// no preemption: a job holds its chips from its start to its end).
fn held_between(r: &Report, tenants: usize, from: f64, to: f64) -> Vec<f64> {
    let mut held = vec![0.0; tenants];
    for j in &r.jobs {
        let Some(s) = j.started else { continue };
        let end = j.finished.map_or(to, hours).min(to);
        let start = hours(s).max(from);
        if end > start {
            held[j.tenant as usize] += (end - start) * j.chips as f64;
        }
    }
    held
}

/// Delivered shares over [warm, end] of three saturated tenants under fair
/// share with this half-life (`None`: FCFS).
fn saturated_shares(seed: u64, half_life: Option<f64>, warm: f64, end: f64) -> Vec<f64> {
    let t = |name: &str, share: f64| {
        format!(
            "(name: \"{name}\", share: Fraction({share}), classes: [{}])",
            class(name, 20.0, "Fixed(4)", "Exponential(mean_hours: 1.0)", "Unlimited")
        )
    };
    let tenants = [t("a", ENTITLED[0]), t("b", ENTITLED[1]), t("c", ENTITLED[2])].join(", ");
    // No age factor: with every queue growing, the age of each tenant's oldest job would tilt the balance.
    let sched = match half_life {
        Some(h) => format!("(order: FairShare(half_life_hours: {h}, weight_fair_share: 10000.0, weight_age: 0.0, max_age_hours: 168.0))"),
        None => "(order: Fcfs)".into(),
    };
    let r = Simulation::new(&site((4, 8, 2, 1), end, seed, &tenants, &sched)).run();
    // The job table agrees with the summary's chip-hours over the whole run.
    let all = held_between(&r, 3, 0.0, end);
    let sum = r.summary();
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        let d = sum.tenants[*name].chip_hours_delivered.unwrap();
        assert!((all[i] - d).abs() < 1e-6 * d, "{name}: {} vs {d}", all[i]);
        assert!(sum.tenants[*name].jobs_submitted > 2 * sum.tenants[*name].jobs_started, "{name} is saturated");
    }
    let held = held_between(&r, 3, warm, end);
    let total: f64 = held.iter().sum();
    held.iter().map(|h| h / total).collect()
}

/// The classic fair-share rule alone, as its documentation states it, as a
/// reference: `NODES` nodes always busy with jobs of exponential length 1 h;
/// a tenant's usage U decays with the half-life and grows with the chips it
/// holds; a freed node goes to the tenant with the highest 2^(−u/s), u its
/// share of all usage and s its entitlement.
fn reference_shares(seed: u64, half_life: f64, warm: f64, end: f64) -> Vec<f64> {
    let mut rng = SimRng::seed_from_u64(seed);
    let (mut usage, mut held, mut got) = ([0.0f64; 3], [0.0f64; 3], [0.0f64; 3]);
    let mut t = 0.0;
    let advance = |to: f64, t: &mut f64, usage: &mut [f64; 3], held: &[f64; 3], got: &mut [f64; 3]| {
        let keep = (-(to - *t) / half_life).exp2();
        for i in 0..3 {
            usage[i] = usage[i] * keep + held[i] * half_life / std::f64::consts::LN_2 * (1.0 - keep);
            got[i] += held[i] * (to.min(end) - t.max(warm)).max(0.0);
        }
        *t = to;
    };
    let pick = |usage: &[f64; 3]| {
        let total: f64 = usage.iter().sum();
        let f = |i: usize| if total > 0.0 { (-(usage[i] / total) / ENTITLED[i]).exp2() } else { 1.0 };
        (0..3).fold(0, |b, i| if f(i) > f(b) { i } else { b })
    };
    let mut nodes: Vec<(f64, usize)> = Vec::new();
    for _ in 0..NODES {
        let i = pick(&usage);
        held[i] += 4.0;
        nodes.push((gigasim::config::exp_draw(&mut rng, 1.0), i));
    }
    loop {
        let k = (0..nodes.len()).fold(0, |b, k| if nodes[k].0 < nodes[b].0 { k } else { b });
        let (te, i) = nodes[k];
        if te >= end {
            advance(end, &mut t, &mut usage, &held, &mut got);
            break;
        }
        advance(te, &mut t, &mut usage, &held, &mut got);
        held[i] -= 4.0;
        let j = pick(&usage);
        held[j] += 4.0;
        nodes[k] = (te + gigasim::config::exp_draw(&mut rng, 1.0), j);
    }
    let total: f64 = got.iter().sum();
    got.iter().map(|g| g / total).collect()
}

/// Three tenants entitled to 0.5/0.3/0.2, each submitting 20 one-node jobs an
/// hour to a 16-node site that serves 16: every queue grows all run long.
///
/// A start cannot be undone, so the rule lets a tenant's usage overshoot its
/// entitlement by up to one job's part of all decayed usage: with jobs of c
/// chips and mean length m on C chips and usage living h/ln 2 on average, the
/// shares settle within g = (c/C)·m·ln 2/h of the entitlements, a bias of
/// fair share itself that vanishes as the half-life grows. So the test holds
/// the simulator to the rule's reference model (3 standard errors of the
/// difference), to the entitlements within g + 3 SE, and checks that a
/// longer half-life brings the shares closer, while FCFS (equal arrivals)
/// gives each about a third.
#[test]
fn fair_share_delivers_the_entitled_shares_under_saturation() {
    let days = 20.0 * 24.0;
    let seeds: Vec<u64> = (0..10).collect();
    let fcfs: Vec<Vec<f64>> = seeds.par_iter().map(|&s| saturated_shares(s, None, 24.0, 24.0 + days)).collect();
    let mut worst = Vec::new();
    for h in [4.0, 16.0] {
        // Ten half-lives of warm-up: the start's imbalance is then 2^−10 of all usage.
        let warm = 10.0 * h;
        let sim: Vec<Vec<f64>> = seeds.par_iter().map(|&s| saturated_shares(s, Some(h), warm, warm + days)).collect();
        let reference: Vec<Vec<f64>> = (0..40).into_par_iter().map(|s| reference_shares(1000 + s, h, warm, warm + days)).collect();
        let (job_chips, site_chips, mean_run) = (4.0, 4.0 * NODES as f64, 1.0);
        let g = job_chips / site_chips * mean_run * std::f64::consts::LN_2 / h;
        let mut dev_max: (f64, f64) = (0.0, 0.0);
        for (i, e) in ENTITLED.iter().enumerate() {
            let col = |v: &Vec<Vec<f64>>| mean_se(&v.iter().map(|r| r[i]).collect::<Vec<_>>());
            let ((m, se), (rm, rse), (fm, _)) = (col(&sim), col(&reference), col(&fcfs));
            let z_ref = (m - rm) / (se * se + rse * rse).sqrt();
            println!(
                "half-life {h} h, tenant {i}: entitled {e}, delivered {m:.5} ± {se:.5}, reference {rm:.5} ± {rse:.5} (z {z_ref:.2}), g {g:.4}, fcfs {fm:.4}"
            );
            assert!(z_ref.abs() < 3.0, "tenant {i}: simulated {m} ± {se} vs reference rule {rm} ± {rse} (z = {z_ref:.2})");
            assert!((m - e).abs() < g + 3.0 * se, "tenant {i}: delivered {m} ± {se} vs entitled {e}, more than g = {g}");
            assert!((m - e).abs() < 0.1 * (fm - e).abs(), "fair share {m} should be far closer to {e} than fcfs {fm}");
            if (m - e).abs() > dev_max.0 {
                dev_max = ((m - e).abs(), se);
            }
        }
        worst.push(dev_max);
    }
    let ((d4, s4), (d16, s16)) = (worst[0], worst[1]);
    assert!(d4 - d16 > 3.0 * (s4 * s4 + s16 * s16).sqrt(), "a longer half-life brings the shares closer: {d4} at 4 h, {d16} at 16 h");
}

/// A job whose run time equals its requested wall time ran no longer than it
/// asked for: it completes, and is not killed at its last instant.
#[test]
fn a_job_running_exactly_its_wall_time_completes() {
    let t = format!("(name: \"t\", share: Fraction(1.0), classes: [{}])", class("c", 1.0, "Fixed(4)", "Fixed(hours: 1.0)", "Factor(1.0)"));
    let r = Simulation::new(&site((4, 2, 1, 1), 48.0, 1, &t, "(order: Fcfs)")).run();
    let s = &r.summary().tenants["t"];
    assert!(s.jobs_started > 20);
    assert_eq!((s.jobs_killed, s.lost_chip_hours), (0, 0.0), "{s:?}");
}
