//! Checkpoint mechanisms held to independent theory: asynchronous and two-level
//! checkpoints against Markov chains of each scheme solved with nalgebra
//! (tests/common/ckpt_chain.rs, checked there against closed forms and a Monte Carlo
//! of the scheme), the level a restart restores from, shared storage bandwidth, and
//! the adaptive interval policy against Daly's optimum.

mod common;

use common::ckpt_chain::{async_time, two_level_restarts, two_level_time};
use common::{mean_se, power_ron, scenario};
use gigasim::Simulation;

/// One frontier job on every chip of a site of `nodes` nodes of 8 chips in racks of
/// `per_rack`, with `spares` hot spares among them.
struct Site<'a> {
    nodes: u32,
    per_rack: u32,
    classes: &'a str,
    extra: &'a str,
    storage: &'a str,
    jobs: Vec<String>,
    days: f64,
    seed: u64,
}

impl Site<'_> {
    fn ron(&self) -> String {
        format!(
            "(name: \"ckpt\", horizon_days: {days}, seed: {seed}, power_bin_minutes: 60.0,
              facility: (name: \"f\", chip: \"x\", chips_per_node: 8, nodes_per_rack: {npr}, racks_per_pod: {rpp}, pods: 1, storage: {storage}),
              failure: (name: \"f\", classes: [{classes}], repair: (crews: 4, spare_nodes: 0, swap: Fixed(hours: 1.0)) {extra}),
              power: {power},
              workload: (name: \"w\", tenants: [], frontier: [{jobs}]))",
            days = self.days,
            seed = self.seed,
            npr = self.per_rack,
            rpp = self.nodes / self.per_rack,
            storage = self.storage,
            classes = self.classes,
            extra = self.extra,
            power = power_ron(),
            jobs = self.jobs.join(", "),
        )
    }
}

fn job(name: &str, chips: u32, work: f64, ckpt: &str, restart: f64, spares: u32) -> String {
    format!(
        "(name: \"{name}\", chips: {chips}, work_hours: {work}, checkpoint: Some(({ckpt})), restart_hours: {restart}, hot_spare_nodes: {spares}, recovery: WaitForRepair)"
    )
}

/// A class of instant reboots striking each unit at `level` at `per_hour`.
fn class(name: &str, level: &str, per_hour: f64) -> String {
    format!(
        "(name: \"{name}\", category: Gpu, level: {level}, ttf: ExponentialRate(per_hour: {per_hour:e}), outcome: Transient(reboot: Fixed(hours: 0.0)))"
    )
}

/// Asynchronous checkpoints: the job stalls s for a snapshot, computes on while the
/// write (w) persists in the background, and a failure before it persists falls back
/// to the checkpoint before. 128 nodes of 8 chips, failures at Λ = 0.6/h over the job,
/// τ = 0.5 h, s = 0.05 h, w = 0.3 h, R = 0.2 h, 30 segments: the mean time to finish
/// matches the Markov chain of the scheme within 3 standard errors.
#[test]
fn async_checkpoints_match_the_markov_chain() {
    let (n, tau, s, w, r, lambda) = (30, 0.5, 0.05, 0.3, 0.2, 0.6);
    let expected = async_time(n, tau, s, w, r, lambda);
    let per_chip = class("chip", "Chip", lambda / 1024.0);
    let ckpt = format!("interval_hours: {tau}, write_hours: {w}, mechanism: Async(snapshot_hours: {s})");
    let mut lost = 0;
    let walls: Vec<f64> = (0..600)
        .map(|seed| {
            let site = Site {
                nodes: 128,
                per_rack: 4,
                classes: &per_chip,
                extra: "",
                storage: "None",
                jobs: vec![job("job", 1024, n as f64 * tau, &ckpt, r, 0)],
                days: expected * 4.0 / 24.0,
                seed: 7_000 + seed,
            };
            let rep = Simulation::new(&scenario(&site.ron())).run();
            let f = &rep.summary().frontier[0];
            assert_eq!(f.checkpoints_persisted, n as u32, "every segment's checkpoint persists once");
            assert_eq!(f.checkpoints_started, f.checkpoints_persisted + f.checkpoints_lost);
            lost += f.checkpoints_lost;
            f.finished_hours.expect("finishes inside the horizon")
        })
        .collect();
    let (mean, se) = mean_se(&walls);
    let z = (mean - expected) / se;
    println!("async: wall {mean:.4} ± {se:.4} h vs chain {expected:.4} h, z {z:.2}; {lost} checkpoints lost in 600 runs");
    assert!(z.abs() < 3.0, "z {z:.2}");
    // Without the fall-back (a snapshot counted at once) the job would finish sooner:
    // the chain of that scheme is the synchronous one with δ = s, far below.
    let sync = common::ckpt_chain::sync_time(n, tau, s, r, lambda);
    assert!((mean - sync) / se > 10.0, "the fall-back costs time: {mean} vs {sync}");
    assert!(lost > 0);
}

/// Two levels: checkpoints in the memory of buddy pairs every τ and persistent every
/// k-th. Chip failures (rate λ_M) leave host memory intact, so the job restores from
/// memory (r_mem); rack failures (λ_P) take both nodes of a pair (racks of 2 nodes),
/// so it restores from the persistent level (r_per). The mean time to finish and the
/// mean numbers of restarts from each level match the chain within 3 standard errors.
#[test]
fn two_level_checkpoints_match_the_markov_chain() {
    let (cycles, k, tau, d_mem, d_per, r_mem, r_per, l_mem, l_per) = (6, 4, 0.25, 0.01, 0.1, 0.05, 0.3, 1.0, 0.3);
    let expected = two_level_time(cycles, k, tau, d_mem, d_per, r_mem, r_per, l_mem, l_per);
    let (exp_mem, exp_per) = two_level_restarts(cycles, k, tau, d_mem, d_per, r_mem, r_per, l_mem, l_per);
    let classes = format!("{}, {}", class("chip", "Chip", l_mem / 1024.0), class("rack", "Rack", l_per / 64.0));
    let ckpt = format!(
        "interval_hours: {}, write_hours: {d_per}, memory: Some((interval_hours: {tau}, write_hours: {d_mem}, restore_hours: {r_mem}, group_nodes: 2, tolerates: 1))",
        k as f64 * tau
    );
    let (mut walls, mut mem, mut per) = (Vec::new(), Vec::new(), Vec::new());
    for seed in 0..800 {
        let site = Site {
            nodes: 128,
            per_rack: 2,
            classes: &classes,
            extra: "",
            storage: "None",
            jobs: vec![job("job", 1024, (cycles * k) as f64 * tau, &ckpt, r_per, 0)],
            days: expected * 5.0 / 24.0,
            seed: 19_000 + seed,
        };
        let rep = Simulation::new(&scenario(&site.ron())).run();
        let f = &rep.summary().frontier[0];
        walls.push(f.finished_hours.expect("finishes"));
        mem.push(f.restarts_from["memory"] as f64);
        per.push((f.restarts_from["storage"] + f.restarts_from["scratch"]) as f64);
    }
    for (what, xs, theory) in
        [("wall", &walls, expected), ("restarts from memory", &mem, exp_mem), ("restarts from storage", &per, exp_per)]
    {
        let (mean, se) = mean_se(xs);
        let z = (mean - theory) / se;
        println!("two-level {what}: {mean:.4} ± {se:.4} vs chain {theory:.4}, z {z:.2}");
        assert!(z.abs() < 3.0, "{what}: z {z:.2}");
    }
}

/// The level a restart restores from, with failures replayed from a trace. Single node
/// failures, each after the memory level was refreshed, never take a node and its
/// buddy: every restart restores from memory. Rack failures take both nodes of each pair,
/// and so does a buddy's failure during a restart from memory: every restart restores
/// from storage, and the restart time is the storage one.
#[test]
fn buddy_failures_decide_the_level_restored_from() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |rows: &str| {
        let csv = tmp.path().join("trace.csv");
        std::fs::write(&csv, format!("time_h,class,unit\n{rows}")).unwrap();
        let classes = "(name: \"node\", category: Host, level: Node, ttf: Exponential(mean_hours: 1e12), outcome: Transient(reboot: Fixed(hours: 0.0))),
                       (name: \"rack\", category: Network, level: Rack, ttf: Exponential(mean_hours: 1e12), outcome: Transient(reboot: Fixed(hours: 0.0)))";
        let extra = format!(", replay: Some({:?})", csv.display().to_string());
        let ckpt = "interval_hours: 1.0, write_hours: 0.05, memory: Some((interval_hours: 0.25, write_hours: 0.01, restore_hours: 0.1))";
        let site = Site {
            nodes: 16,
            per_rack: 2,
            classes,
            extra: &extra,
            storage: "None",
            jobs: vec![job("job", 128, 10.0, ckpt, 0.5, 0)],
            days: 1.0,
            seed: 1,
        };
        let rep = Simulation::new(&scenario(&site.ron())).run();
        rep.summary().frontier[0].clone()
    };
    // Nodes 0, 1 (0's buddy), 5 and 4 fail hours apart: memory each time.
    let f = run("1.1,node,0\n3.1,node,1\n5.1,node,5\n6.1,node,4\n");
    assert_eq!((f.restarts_from["memory"], f.restarts_from["storage"], f.restarts_from["scratch"]), (4, 0, 0));
    // Each memory restore loses only the work since the last quarter-hour checkpoint.
    assert!(f.mean_lost_hours < 0.25, "lost {} h per interruption", f.mean_lost_hours);
    // Rack 0 (nodes 0, 1) and rack 3; then node 2 and its buddy 3 within the restart.
    let f = run("1.1,rack,0\n3.1,rack,3\n5.1,node,2\n5.15,node,3\n");
    assert_eq!((f.restarts_from["memory"], f.restarts_from["storage"], f.restarts_from["scratch"]), (0, 3, 0));
    assert_eq!(f.interruptions, 4);
}

/// Shared storage: two identical jobs that checkpoint together each write at half the
/// bandwidth, so each write takes twice as long as alone; bytes are conserved; and a
/// restart from storage reads the checkpoint back at the read bandwidth.
#[test]
fn two_writers_share_the_storage_bandwidth() {
    // 512 chips × 1 GB at 100 GB/s: 5.12 s alone, 10.24 s shared.
    let quiet = class("none", "Node", 1e-12);
    let storage = "Some((write_gbps: 100.0, read_gbps: 200.0))";
    let ckpt = "interval_hours: 1.0, size_gb_per_chip: Some(1.0)";
    let run = |jobs: Vec<String>, extra: &str| {
        let site = Site { nodes: 128, per_rack: 4, classes: &quiet, extra, storage, jobs, days: 1.0, seed: 3 };
        Simulation::new(&scenario(&site.ron())).run().summary()
    };
    let solo = run(vec![job("a", 512, 10.0, ckpt, 0.1, 0)], "");
    let pair = run(vec![job("a", 512, 10.0, ckpt, 0.1, 0), job("b", 512, 10.0, ckpt, 0.1, 0)], "");
    let h = |s: f64| s / 3600.0;
    assert!((solo.frontier[0].finished_hours.unwrap() - (10.0 + h(10.0 * 5.12))).abs() < 1e-9);
    for f in &pair.frontier {
        assert!((f.finished_hours.unwrap() - (10.0 + h(10.0 * 10.24))).abs() < 1e-9, "{:?}", f.finished_hours);
        assert!((f.stall_hours - h(10.0 * 10.24)).abs() < 1e-9);
    }
    let st = pair.storage.as_ref().expect("the facility has storage");
    assert!((st.written_tb - 2.0 * 10.0 * 0.512).abs() < 1e-9, "written {} TB", st.written_tb);
    assert_eq!(st.transfers, 20);
    assert!((st.contention_slowdown - 2.0).abs() < 1e-9, "slowdown {}", st.contention_slowdown);
    let solo_st = solo.storage.as_ref().unwrap();
    assert!((solo_st.contention_slowdown - 1.0).abs() < 1e-9);

    // A node failure at 1.5 h: the job lost what it computed since its checkpoint at
    // 1 h + 5.12 s, restarts (0.1 h) and reads 512 GB at 200 GB/s (2.56 s).
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("trace.csv");
    std::fs::write(&csv, "time_h,class,unit\n1.5,none,0\n").unwrap();
    let extra = format!(", replay: Some({:?})", csv.display().to_string());
    let one = run(vec![job("a", 512, 10.0, ckpt, 0.1, 0)], &extra);
    let f = &one.frontier[0];
    let expected = 1.5 + 0.1 + h(2.56) + (10.0 - 1.0) + h(9.0 * 5.12);
    assert!((f.finished_hours.unwrap() - expected).abs() < 1e-9, "{:?} vs {expected}", f.finished_hours);
    assert_eq!(f.restarts_from["storage"], 1);
    let st = one.storage.as_ref().unwrap();
    assert!((st.read_tb - 0.512).abs() < 1e-12 && (st.written_tb - 10.0 * 0.512).abs() < 1e-9);
}

/// The adaptive policy learns the failure rate it was not told. The job starts from
/// a prior 25 times too optimistic (MTBF 50 h against 2 h, so an interval of 3.1 h
/// against Daly's 0.55 h), held weakly (0.2 failures' worth), and retunes at every
/// checkpoint from the interruptions it sees. Over 200 runs of 200 h of work its mean
/// wall time is within the cost of an interval 50% off Daly's (Daly's own formula at
/// 1.5 τ) of the Daly policy's, and far better than keeping the prior's interval.
#[test]
fn the_adaptive_policy_finds_daly_s_interval() {
    let (m, delta, r, work) = (2.0, 0.1, 0.2, 200.0);
    let chip = class("chip", "Chip", 1.0 / (1024.0 * m));
    let walls = |policy: &str, interval: f64| -> Vec<f64> {
        (0..200)
            .map(|seed| {
                let ckpt = format!("interval_hours: {interval}, write_hours: {delta}, policy: {policy}");
                let site = Site {
                    nodes: 128,
                    per_rack: 4,
                    classes: &chip,
                    extra: "",
                    storage: "None",
                    jobs: vec![job("job", 1024, work, &ckpt, r, 0)],
                    days: 60.0,
                    seed: 20_000 + seed,
                };
                let rep = Simulation::new(&scenario(&site.ron())).run();
                rep.frontier[0].finished_hours.expect("finishes")
            })
            .collect()
    };
    let prior = gigasim::theory::daly_interval(delta, 50.0);
    let tau = gigasim::theory::daly_interval(delta, m);
    let (adaptive, se_a) = mean_se(&walls("Adaptive(prior_mtbf_hours: 50.0, prior_failures: 0.2)", 1.0));
    let (daly, se_d) = mean_se(&walls("Daly", 1.0));
    let (fixed, se_f) = mean_se(&walls("Fixed", prior));
    let slack =
        gigasim::theory::daly_wall_time(work, 1.5 * tau, delta, r, m) / gigasim::theory::daly_wall_time(work, tau, delta, r, m) - 1.0;
    println!(
        "adaptive {adaptive:.2} ± {se_a:.2} h, Daly {daly:.2} ± {se_d:.2} h, prior's interval {prior:.2} h: {fixed:.2} ± {se_f:.2} h; slack {:.1}%",
        slack * 100.0
    );
    let se = (se_a * se_a + se_d * se_d).sqrt();
    assert!(adaptive < daly * (1.0 + slack) + 3.0 * se, "adaptive {adaptive} vs Daly {daly}");
    assert!(fixed - adaptive > 10.0 * (se_a * se_a + se_f * se_f).sqrt(), "learning pays: {fixed} vs {adaptive}");
}

/// Elastic restart, timed exactly from a replayed failure. 16 nodes of 8 chips, one
/// job on all of them, hourly checkpoints with no write time, a 0.1-h restart. Node 0
/// goes down at 1.5 h for 10 h. Waiting, the job restarts at 11.5 h and finishes its
/// 20 h of work at 30.6 h. Elastic, it restarts at once on 15 nodes at 15/16 speed
/// (checkpoints every 16/15 h from 1.6 h), keeps the returned node, grows back at
/// the first checkpoint after 11.5 h (12.27 h: 11 h of work saved) with one more
/// restart, and finishes at 1.6 + 10 × 16/15 + 0.1 + 9 h. On a stated scaling curve
/// it goes slower, and the busy chip-time its 120 chips do not turn into work is
/// counted as slowed.
#[test]
fn an_elastic_job_runs_short_and_grows_back_at_a_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("trace.csv");
    std::fs::write(&csv, "time_h,class,unit\n1.5,node,0\n").unwrap();
    let class =
        "(name: \"node\", category: Host, level: Node, ttf: Exponential(mean_hours: 1e12), outcome: Transient(reboot: Fixed(hours: 10.0)))";
    let extra = format!(", replay: Some({:?})", csv.display().to_string());
    let run = |elastic: &str| {
        let j = format!(
            "(name: \"job\", chips: 128, work_hours: 20.0, checkpoint: Some((interval_hours: 1.0)), restart_hours: 0.1, hot_spare_nodes: 0, recovery: WaitForRepair{elastic})"
        );
        let site = Site { nodes: 16, per_rack: 4, classes: class, extra: &extra, storage: "None", jobs: vec![j], days: 2.0, seed: 1 };
        Simulation::new(&scenario(&site.ron())).run()
    };
    let waiting = run("");
    assert!((waiting.frontier[0].finished_hours.unwrap() - 30.6).abs() < 1e-9);
    let r = run(", elastic: Some((min_share: 0.5))");
    let f = &r.summary().frontier[0];
    let expected = 1.6 + 10.0 * 16.0 / 15.0 + 0.1 + 9.0;
    assert!((f.finished_hours.unwrap() - expected).abs() < 1e-6, "finished {:?} h, expected {expected}", f.finished_hours);
    assert_eq!((f.resizes, f.interruptions), (1, 1));
    assert!((f.short_hours - (0.1 + 10.0 * 16.0 / 15.0)).abs() < 1e-6, "short {} h", f.short_hours);
    assert_eq!(r.time.slowed, 0, "15 nodes at 15/16 speed waste nothing");
    assert_eq!(r.time.total(), 128 * 48 * 3_600_000, "every chip-ms in one bucket");
    // A curve through (0.5, 0.4) and (1, 1): 0.925 at 15/16.
    let r = run(", elastic: Some((min_share: 0.5, scaling: [(0.5, 0.4)]))");
    let f = &r.summary().frontier[0];
    let seg: f64 = 1.0 / 0.925;
    let k = ((11.5 - 1.6) / seg).ceil();
    let expected = 1.6 + k * seg + 0.1 + (20.0 - 1.0 - k);
    assert!((f.finished_hours.unwrap() - expected).abs() < 1e-5, "finished {:?} h, expected {expected}", f.finished_hours);
    let slowed = r.time.slowed as f64 / 3.6e6;
    let want = k * seg * (120.0 - 0.925 * 128.0);
    assert!((slowed - want).abs() < 1e-3, "slowed {slowed} chip-h, expected {want}");
    assert_eq!(r.time.total(), 128 * 48 * 3_600_000);
    // Short of its minimum share, it waits.
    let r = run(", elastic: Some((min_share: 0.99))");
    assert!((r.frontier[0].finished_hours.unwrap() - 30.6).abs() < 1e-9);
}
