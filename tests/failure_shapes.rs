//! Failure classes beyond independent clocks: bursts (fault storms), planned
//! maintenance, periodic and mixture laws, held to what each must do.
mod common;

use common::{mean_se, power_ron, scenario};
use gigasim::Simulation;
use gigasim::sim::Detail;

/// One job on every node of a 64-node site (4 chips a node), with the given classes.
fn site(classes: &str, checkpoint: &str, restart_h: f64, days: f64) -> String {
    format!(
        "(name: \"shapes\", horizon_days: {days}, seed: 9, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 4, nodes_per_rack: 8, racks_per_pod: 8, pods: 1),
          failure: (name: \"f\", classes: [{classes}], repair: (crews: 64, spare_nodes: 0, swap: Fixed(hours: 1.0))),
          power: {power},
          workload: (name: \"w\", tenants: [], frontier: [(name: \"job\", chips: 256, work_hours: 1e9,
              checkpoint: {checkpoint}, restart_hours: {restart_h}, hot_spare_nodes: 0, recovery: WaitForRepair)]))",
        power = power_ron()
    )
}

/// A burst every 100 h strikes 10 distinct nodes, each at a uniform time within
/// the next half hour, and nothing else.
#[test]
fn a_burst_strikes_its_count_of_distinct_units_within_its_span() {
    let storm = "(name: \"bad firmware\", category: Dependency, level: Node, ttf: Fixed(hours: 100.0),
        outcome: Transient(reboot: Fixed(hours: 0.2)), burst: Some((strikes: Units(10), within_hours: 0.5)))";
    let r = Simulation::new(&scenario(&site(storm, "None", 0.0, 50.0))).run();
    assert_eq!(r.failures.len(), 11 * 10, "11 bursts (100 h … 1,100 h) of 10 nodes");
    for (b, burst) in r.failures.chunks(10).enumerate() {
        let start = 100.0 * (b + 1) as f64;
        let mut units: Vec<u32> = burst.iter().map(|f| f.unit).collect();
        units.sort_unstable();
        units.dedup();
        assert_eq!(units.len(), 10, "burst {b} strikes distinct nodes");
        for f in burst {
            let t = f.time.as_hours();
            assert!(t >= start && t <= start + 0.5, "burst {b}: strike at {t} h");
        }
    }
}

/// Planned maintenance: the struck job writes a checkpoint of all it computed and
/// loses nothing; it pays the write and its restart before it runs again. With
/// planned events far apart, all restart chip-time is exactly interruptions ×
/// (write + restart) × chips.
#[test]
fn planned_maintenance_loses_no_work_and_pays_the_write_before_restart() {
    let maintenance = "(name: \"rolling maintenance\", category: UnplannedMaintenance, level: Node, ttf: Periodic(every_hours: 2000.0),
        outcome: Transient(reboot: Fixed(hours: 2.0)), planned: true)";
    let (write, restart) = (0.1, 0.25);
    let ckpt = format!("Some((interval_hours: 3.0, write_hours: {write}, at_end: false))");
    let s = scenario(&site(maintenance, &ckpt, restart, 60.0));
    let r = Simulation::builder(&s).detail(Detail::Summary).build().run().summary();
    let f = &r.frontier[0];
    assert!(f.interruptions > 10, "{} planned interruptions", f.interruptions);
    assert_eq!(r.time_breakdown.lost, 0.0, "no work lost to planned maintenance");
    let installed = 256.0 * 60.0 * 24.0;
    let restart_chip_h = r.time_breakdown.restart * installed;
    let expected = f.interruptions as f64 * (write + restart) * 256.0;
    assert!((restart_chip_h - expected).abs() < 1e-6 * expected, "restart {restart_chip_h} chip-h vs {expected}");
    assert_eq!(r.repair.detection_chip_hours, 0.0, "the write on notice is not detection");
}

/// A periodic law starts each unit at a uniform phase: the first maintenance of
/// the 64 nodes falls uniformly over the period (mean P/2, standard error
/// P/√(12·64)); each node comes back after its 2-hour window and is next due a
/// period later.
#[test]
fn periodic_units_take_turns_then_keep_their_period() {
    let p = 500.0;
    let class = format!(
        "(name: \"maintenance\", category: UnplannedMaintenance, level: Node, ttf: Periodic(every_hours: {p}),
          outcome: Transient(reboot: Fixed(hours: 2.0)))"
    );
    let r = Simulation::new(&scenario(&site(&class, "None", 0.0, 60.0))).run();
    let mut first = vec![None; 64];
    let mut next = vec![None; 64];
    for f in &r.failures {
        let u = f.unit as usize;
        match (first[u], next[u]) {
            (None, _) => first[u] = Some(f.time.as_hours()),
            (Some(_), None) => next[u] = Some(f.time.as_hours()),
            _ => {}
        }
    }
    let firsts: Vec<f64> = first.iter().map(|t| t.expect("every node had its turn")).collect();
    let (m, _) = mean_se(&firsts);
    let se = p / (12.0f64 * 64.0).sqrt();
    assert!((m - p / 2.0).abs() < 3.0 * se, "mean first turn {m} h vs {}", p / 2.0);
    for u in 0..64 {
        if let (Some(a), Some(b)) = (first[u], next[u]) {
            assert!((b - a - (p + 2.0)).abs() < 1e-3, "node {u}: {a} then {b}");
        }
    }
}

/// Ageing with instant reboots is "minimal repair": a unit's failures form a
/// non-homogeneous Poisson process with cumulative hazard H(t) = (t/λ)^k, so its
/// count by T is Poisson with mean (T/λ)^k (here k = 0.5, infant mortality). The
/// mean count over 512 nodes is within 3 standard errors (√(mean/512)), and the
/// counts are Poisson: their variance over their mean within 3 standard errors of
/// 1 (≈ √(2/511)). Without ageing every reboot renews the unit, which for a
/// decreasing hazard gives clearly more failures; that is checked too.
#[test]
fn ageing_with_instant_reboots_is_minimal_repair() {
    let (k, scale, days) = (0.5, 1000.0, 90.0);
    let class = |ageing: bool| {
        format!(
            "(name: \"infant\", category: Gpu, level: Node, ttf: Weibull(shape: {k}, scale_hours: {scale}),
              outcome: Transient(reboot: Fixed(hours: 0.0)), ageing: {ageing})"
        )
    };
    let counts = |ageing: bool| {
        let ron = site(&class(ageing), "None", 0.0, days).replace("racks_per_pod: 8, pods: 1", "racks_per_pod: 8, pods: 8");
        let r = Simulation::new(&scenario(&ron.replace("chips: 256", "chips: 2048"))).run();
        let mut n = vec![0.0; 512];
        for f in &r.failures {
            n[f.unit as usize] += 1.0;
        }
        n
    };
    let n = counts(true);
    let expected = (days * 24.0 / scale).powf(k);
    let (m, _) = mean_se(&n);
    let se = (expected / 512.0).sqrt();
    let var = n.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 511.0;
    println!("ageing: {m:.3} failures a node vs {expected:.3} (se {se:.3}); dispersion {:.3}", var / m);
    assert!((m - expected).abs() < 3.0 * se, "mean {m} vs {expected}");
    assert!((var / m - 1.0).abs() < 3.0 * (2.0f64 / 511.0).sqrt(), "dispersion {}", var / m);
    let (renewed, _) = mean_se(&counts(false));
    println!("renewal: {renewed:.3} failures a node");
    assert!(renewed > expected + 6.0 * se, "renewal {renewed} vs minimal repair {expected}");
}

/// Burn-in: units enter service at age B, so with instant reboots their count by T
/// is Poisson with mean H(T + B) − H(B) = ((T+B)/λ)^k − (B/λ)^k (3 standard errors
/// over 512 nodes): a 1,000-hour burn-in cuts the first 90 days' infant failures by half.
#[test]
fn burn_in_starts_units_at_their_burned_in_age() {
    let (k, scale, days, burn) = (0.5, 1000.0, 90.0, 1000.0);
    let class = format!(
        "(name: \"infant\", category: Gpu, level: Node, ttf: Weibull(shape: {k}, scale_hours: {scale}),
          outcome: Transient(reboot: Fixed(hours: 0.0)), ageing: true, burn_in_hours: {burn})"
    );
    let ron = site(&class, "None", 0.0, days)
        .replace("racks_per_pod: 8, pods: 1", "racks_per_pod: 8, pods: 8")
        .replace("chips: 256", "chips: 2048");
    let r = Simulation::new(&scenario(&ron)).run();
    let mut n = vec![0.0; 512];
    for f in &r.failures {
        n[f.unit as usize] += 1.0;
    }
    let t = days * 24.0;
    let expected = ((t + burn) / scale).powf(k) - (burn / scale).powf(k);
    let (m, _) = mean_se(&n);
    let se = (expected / 512.0).sqrt();
    println!("burn-in: {m:.3} failures a node vs {expected:.3} (se {se:.3}); without burn-in {:.3}", (t / scale).powf(k));
    assert!((m - expected).abs() < 3.0 * se, "mean {m} vs {expected}");
}

/// Silent data corruption: every node corrupts data at 10.3 h, found 2 h later.
/// The job checkpointed every hour, so at 12.3 h it holds 12 h of saved work, but
/// everything since the last checkpoint before the fault (10 h) is corrupt: it
/// rolls back to 10 h and loses 2.3 h of its 256 chips' work, interrupted once
/// (the 63 later finds strike a job already waiting), exactly.
#[test]
fn silent_corruption_rolls_back_to_the_checkpoint_before_the_fault() {
    let class = "(name: \"silent data corruption\", category: Gpu, level: Node, ttf: Fixed(hours: 10.3),
        outcome: Permanent(repair: Fixed(hours: 1.0)), silent: Some(Fixed(hours: 2.0)))";
    let ckpt = "Some((interval_hours: 1.0, write_hours: 0.0, at_end: false))";
    let s = scenario(&site(class, ckpt, 0.0, 13.2 / 24.0));
    let r = Simulation::builder(&s).detail(Detail::Summary).build().run().summary();
    let f = &r.frontier[0];
    assert_eq!(f.interruptions, 1);
    assert!((f.useful_hours - 10.0).abs() < 1e-9, "work kept: {} h", f.useful_hours);
    let lost_chip_h = r.time_breakdown.lost * 256.0 * 13.2;
    assert!((lost_chip_h - 2.3 * 256.0).abs() < 1e-6, "lost {lost_chip_h} chip-h");
    assert_eq!(r.failures.total, 64, "each fault is counted when it is found");
}

/// Host selection: a job that swaps in a hot spare pays `host_selection_hours` on top
/// of its restart. Eight one-chip nodes, a job on six with two hot spares, instant
/// reboots (the failed node is back as a spare at once): every interruption is
/// followed by a restart of exactly restart + selection, as long as no fault falls
/// inside a restart (checked from the failure list).
#[test]
fn a_restart_on_new_hosts_pays_host_selection() {
    let (restart, select) = (0.1, 0.2);
    let ron = format!(
        "(name: \"hosts\", horizon_days: 200.0, seed: 7, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 1, nodes_per_rack: 8, racks_per_pod: 1, pods: 1),
          failure: (name: \"f\", classes: [(name: \"node\", category: Host, level: Node, ttf: Exponential(mean_hours: 2000.0),
              outcome: Transient(reboot: Fixed(hours: 0.0)))], repair: (crews: 1, spare_nodes: 0, swap: Fixed(hours: 1.0))),
          power: {power},
          workload: (name: \"w\", tenants: [], frontier: [(name: \"job\", chips: 6, work_hours: 1e9, checkpoint: None,
              restart_hours: {restart}, hot_spare_nodes: 2, host_selection_hours: {select})]))",
        power = power_ron()
    );
    let r = Simulation::new(&scenario(&ron)).run();
    let hits: Vec<f64> = r.failures.iter().filter(|f| !f.jobs_hit.is_empty()).map(|f| f.time.as_hours()).collect();
    assert!(hits.len() > 10, "{} interruptions", hits.len());
    let gaps: Vec<f64> = hits.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|&g| g > restart + select), "a fault fell inside a restart (pick another seed): {gaps:?}");
    let s = r.summary();
    let restart_chip_h = s.time_breakdown.restart * 8.0 * 200.0 * 24.0;
    let expected = s.frontier[0].interruptions as f64 * (restart + select) * 6.0;
    assert!((restart_chip_h - expected).abs() < 1e-6 * expected, "restart {restart_chip_h} chip-h vs {expected}");
}

/// A failure trace replays a run's own failures.csv: the same failures, at the same
/// times (to the file's 1e-6 h), units and classes, and no others (the classes' laws
/// do not run). Reboots are instant, so every replayed unit is up when its row comes.
#[test]
fn a_run_replays_its_own_failures_csv() {
    let classes = "(name: \"chip fault\", category: Gpu, level: Chip, ttf: Exponential(mean_hours: 3000.0),
          outcome: Transient(reboot: Fixed(hours: 0.0))),
        (name: \"rack fault\", category: Host, level: Rack, ttf: Exponential(mean_hours: 500.0),
          outcome: Transient(reboot: Fixed(hours: 0.0)))";
    let ckpt = "Some((interval_hours: 1.0, write_hours: 0.0, at_end: false))";
    let first = Simulation::new(&scenario(&site(classes, ckpt, 0.1, 30.0))).run();
    assert!(first.failures.len() > 50, "{} failures", first.failures.len());
    let tmp = tempfile::tempdir().unwrap();
    gigasim::output::write_run(&first, tmp.path()).unwrap();
    let csv = tmp.path().join("failures.csv");
    let ron = site(classes, ckpt, 0.1, 30.0)
        .replace("repair: (crews: 64", &format!("replay: Some({:?}), repair: (crews: 64", csv.display().to_string()));
    let again = Simulation::try_new(&scenario(&ron)).unwrap().run();
    assert_eq!(again.failures.len(), first.failures.len());
    for (a, b) in first.failures.iter().zip(&again.failures) {
        assert_eq!((a.class, a.unit), (b.class, b.unit));
        assert!((a.time.as_hours() - b.time.as_hours()).abs() < 2e-6, "{} vs {}", a.time.as_hours(), b.time.as_hours());
    }
}

/// A bad row names the file, its line and column, the field and what is allowed.
#[test]
fn a_bad_failure_trace_row_says_where_and_what_is_allowed() {
    let s = scenario(&site(
        "(name: \"chip fault\", category: Gpu, level: Chip, ttf: Exponential(mean_hours: 3000.0), outcome: Transient(reboot: Fixed(hours: 0.0)))",
        "None",
        0.0,
        1.0,
    ));
    let parse = |text: &str| gigasim::config::parse_failure_trace("trace.csv", text, &s.failure.classes, &s.facility);
    let ok = parse("time_h,class,unit,extra\n2.5,chip fault,7,x\n1.0,chip fault,255,y\n").unwrap();
    assert_eq!(ok.iter().map(|r| (r.time_h, r.unit)).collect::<Vec<_>>(), vec![(1.0, 255), (2.5, 7)], "sorted by time");
    let e = parse("time_h,class,unit\n1.0,chip fault,3\n2.0,GPU fault,3\n").unwrap_err();
    assert_eq!((e.file.as_str(), e.line_col, e.field.as_deref()), ("trace.csv", Some((3, 2)), Some("class")));
    assert!(e.message.contains("GPU fault") && e.message.contains("allowed: a class of the failure model: chip fault"), "{}", e.message);
    let e = parse("time_h,class,unit\n1.0,chip fault,256\n").unwrap_err();
    assert_eq!((e.line_col, e.field.as_deref()), (Some((2, 3)), Some("unit")));
    assert!(e.message.contains("a chip id from 0 to 255"), "{}", e.message);
    let e = parse("time_h,class,unit\n-1,chip fault,3\n").unwrap_err();
    assert_eq!((e.line_col, e.field.as_deref()), (Some((2, 1)), Some("time_h")));
    let e = parse("time,class,unit\n1,chip fault,3\n").unwrap_err();
    assert!(e.message.contains("no `time_h` column"), "{}", e.message);
}

/// Fail-slow: a straggler at 10.3 h halves the job's pace until it is found at
/// 12.3 h, when the pod goes down. With hourly checkpoints (no write time) the job
/// has 10 h saved and 0.3 h unsaved at the fault; at half pace it finishes its
/// 11th hour at 11.7 h and computes 0.3 h more by 12.3 h, which the failure throws
/// away. So: 11 h of work kept, 2 h × ½ × 256 chips slowed, 0.3 h × 256 lost, one
/// interruption; and every chip-ms lands in one bucket.
#[test]
fn a_straggler_slows_the_job_until_it_is_found() {
    let class = "(name: \"straggler\", category: Network, level: Pod, ttf: Fixed(hours: 10.3),
        outcome: Transient(reboot: Fixed(hours: 1.0)), slow: Some((speed: 0.5, detect: Fixed(hours: 2.0))))";
    let ckpt = "Some((interval_hours: 1.0, write_hours: 0.0, at_end: false))";
    let s = scenario(&site(class, ckpt, 0.0, 13.2 / 24.0));
    let r = Simulation::builder(&s).detail(Detail::Summary).build().run().summary();
    let f = &r.frontier[0];
    let chip_h = |share: f64| share * 256.0 * 13.2;
    assert_eq!(f.interruptions, 1);
    assert!((f.useful_hours - 11.0).abs() < 1e-6, "work kept {} h", f.useful_hours);
    assert!((chip_h(r.time_breakdown.slowed) - 256.0).abs() < 1e-3, "slowed {} chip-h", chip_h(r.time_breakdown.slowed));
    assert!((chip_h(r.time_breakdown.lost) - 0.3 * 256.0).abs() < 1e-3, "lost {} chip-h", chip_h(r.time_breakdown.lost));
    let t = &r.time_breakdown;
    let sum = t.useful + t.checkpoint + t.restart + t.lost + t.throttled + t.slowed + t.waiting + t.idle + t.down;
    assert!((sum - 1.0).abs() < 1e-12, "buckets sum to {sum}");
}

// ---------------------------------------------------------------- regressions (review of issue 12)

/// One rack of `per_rack` 4-chip nodes, a job on `job_chips` with `spares` hot spares.
#[allow(clippy::too_many_arguments)]
fn small_site(
    per_rack: u32,
    classes: &str,
    repair: &str,
    extra: &str,
    job_chips: u32,
    spares: u32,
    ckpt: &str,
    days: f64,
    seed: u64,
) -> String {
    format!(
        "(name: \"r\", horizon_days: {days}, seed: {seed}, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 4, nodes_per_rack: {per_rack}, racks_per_pod: 1, pods: 1),
          failure: (name: \"f\", classes: [{classes}], repair: {repair} {extra}),
          power: {power},
          workload: (name: \"w\", tenants: [], frontier: [(name: \"job\", chips: {job_chips}, work_hours: 1e9,
              checkpoint: {ckpt}, restart_hours: 0.0, hot_spare_nodes: {spares}, recovery: WaitForRepair)]))",
        power = power_ron()
    )
}

/// Two stragglers on one node, at 0.5 (found after 1 h) and 0.9 (after 5 h): the job
/// runs at 0.9 from 9.5 h, 0.5 from 10 h, 0.9 again from 11 h (when the slower is
/// found and its node fails for 0.5 h) until 14.5 h: slowed 0.05 + 0.5 + 0.3 chip-hours
/// per chip on 4 chips = 3.4 chip-hours.
#[test]
fn the_slowest_straggler_left_sets_the_pace() {
    let classes = "(name: \"A\", category: Gpu, level: Node, ttf: Fixed(hours: 10.0), outcome: Transient(reboot: Fixed(hours: 0.5)), slow: Some((speed: 0.5, detect: Fixed(hours: 1.0)))),
                   (name: \"B\", category: Gpu, level: Node, ttf: Fixed(hours: 9.5), outcome: Transient(reboot: Fixed(hours: 0.5)), slow: Some((speed: 0.9, detect: Fixed(hours: 5.0))))";
    let rep = "(crews: 4, spare_nodes: 0, swap: Fixed(hours: 1.0))";
    let r = Simulation::new(&scenario(&small_site(1, classes, rep, "", 4, 0, "None", 16.0 / 24.0, 1))).run();
    let slowed = r.time.slowed as f64 / 3.6e6;
    assert!((slowed - 3.4).abs() < 1e-3, "slowed {slowed} chip-h");
}

/// A straggler slows a job only while the job computes on it. The job computes 1 h,
/// then 1 h at half pace on the straggler (node 0); a fault on node 0 at 2 h throws
/// that 1.5 h away and the job restarts on its hot spare at full pace: its 10-hour
/// segment ends at 12 h, and at 20 h it holds 10 h saved and 8 h unsaved, with every
/// chip-ms in one bucket. (The straggler is found at 6 h, when the job is long gone.)
#[test]
fn a_straggler_found_mid_segment_leaves_the_rest_of_the_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("trace.csv");
    std::fs::write(&csv, "time_h,class,unit\n1.0,S,0\n2.0,T,0\n").unwrap();
    let classes = "(name: \"S\", category: Gpu, level: Node, ttf: Exponential(mean_hours: 1e9), outcome: Transient(reboot: Fixed(hours: 0.5)), slow: Some((speed: 0.5, detect: Fixed(hours: 5.0)))),
                   (name: \"T\", category: Gpu, level: Node, ttf: Exponential(mean_hours: 1e9), outcome: Transient(reboot: Fixed(hours: 0.5)))";
    let rep = format!("(crews: 4, spare_nodes: 0, swap: Fixed(hours: 1.0)), replay: Some({:?})", csv.display().to_string());
    let ckpt = "Some((interval_hours: 10.0, write_hours: 0.0, at_end: false))";
    let r = Simulation::new(&scenario(&small_site(2, classes, &rep, "", 4, 1, ckpt, 20.0 / 24.0, 1))).run();
    let f = &r.frontier[0];
    // At 2 h the job had 1.5 h of unsaved work, lost; from 2 h it computes at full pace
    // until the straggler is found at 6 h (it no longer runs on that node), so by 20 h it has
    // computed 18 h of work: a 10-hour checkpoint at 12 h and 8 h unsaved.
    assert!((f.useful_hours - 18.0).abs() < 1e-6, "useful {} h", f.useful_hours);
    let t = &r.time;
    assert_eq!(t.total(), 8 * 20 * 3_600_000, "every chip-ms in one bucket");
}

/// A periodic law with ageing keeps its random first phase.
#[test]
fn periodic_with_ageing_keeps_its_phase() {
    let class = "(name: \"m\", category: UnplannedMaintenance, level: Node, ttf: Periodic(every_hours: 500.0), outcome: Transient(reboot: Fixed(hours: 2.0)), ageing: true)";
    let rep = "(crews: 4, spare_nodes: 0, swap: Fixed(hours: 1.0))";
    let r = Simulation::new(&scenario(&small_site(64, class, rep, "", 256, 0, "None", 30.0, 1))).run();
    let mut t: Vec<u64> = r.failures.iter().map(|f| f.time.as_millis()).collect();
    t.dedup();
    assert!(t.len() > 50, "{} distinct first times of 64 nodes", t.len());
}

/// Every automatic repair misdiagnoses: each fault strikes again 20 h later and goes
/// to a crew, also when a frequent transient class reboots the node meanwhile (its
/// reboot does not clear the fault). Only a recurrence found down when due (its node in
/// another outage; it is re-armed) or still pending at the end may miss a crew.
#[test]
fn a_misdiagnosed_fault_strikes_again_whatever_else_happens() {
    let esc = "(crews: 64, spare_nodes: 0, swap: Fixed(hours: 1.0), escalation: Some((auto: Fixed(hours: 0.1), auto_success: 0.0,
        crew_success: 1.0, rma_lead: Fixed(hours: 10.0), window_hours: 72.0, refail: Fixed(hours: 20.0))))";
    let perm = "(name: \"perm\", category: Host, level: Node, ttf: Exponential(mean_hours: 2000.0), outcome: Permanent(repair: Fixed(hours: 5.0)))";
    let blip = format!(
        "{perm}, (name: \"blip\", category: Host, level: Node, ttf: Exponential(mean_hours: 5.0), outcome: Transient(reboot: Fixed(hours: 0.0)))"
    );
    for (classes, extra) in [(perm.to_string(), ""), (blip, "")] {
        let r = Simulation::new(&scenario(&small_site(64, &classes, esc, extra, 224, 8, "None", 200.0, 3))).run();
        let (mis, crew) = (r.repair.count(gigasim::sim::Fix::Misdiagnosed), r.repair.count(gigasim::sim::Fix::Crew));
        assert!(mis > 100 && crew as f64 >= 0.9 * mis as f64, "{extra}: {mis} misdiagnosed, {crew} crew repairs");
    }
}

/// A silent fault replays at its onset and is found when the trace says (failures.csv's
/// onset_h), not a detection delay later than that.
#[test]
fn a_replayed_silent_fault_is_found_when_it_was() {
    let class = "(name: \"sdc\", category: Gpu, level: Node, ttf: Fixed(hours: 10.3), outcome: Transient(reboot: Fixed(hours: 1.0)), silent: Some(Fixed(hours: 2.0)))";
    let rep = "(crews: 4, spare_nodes: 0, swap: Fixed(hours: 1.0))";
    let ron = small_site(1, class, rep, "", 4, 0, "None", 1.0, 1);
    let first = Simulation::new(&scenario(&ron)).run();
    let tmp = tempfile::tempdir().unwrap();
    gigasim::output::write_run(&first, tmp.path()).unwrap();
    let replay = format!("swap: Fixed(hours: 1.0)), replay: Some({:?})", tmp.path().join("failures.csv").display().to_string());
    let again = Simulation::new(&scenario(&ron.replace("swap: Fixed(hours: 1.0))", &replay))).run();
    let times = |r: &gigasim::Report| r.failures.iter().map(|f| (f.time.as_hours() * 1e4).round()).collect::<Vec<_>>();
    assert_eq!(times(&first), times(&again));
}

/// Escalation leaves the outcomes of other failures be (common random numbers): with
/// automatic repair clearing 100% or 90% of faults, the failures at the same time and
/// unit in both runs have the same outcome.
#[test]
fn escalation_leaves_other_outcomes_be() {
    let classes = "(name: \"M\", category: Host, level: Node, ttf: Exponential(mean_hours: 2000.0), outcome: Mixed(p_permanent: 0.5, reboot: Fixed(hours: 0.0), repair: Fixed(hours: 0.0)))";
    let run = |p: f64| {
        let rep = format!(
            "(crews: 64, spare_nodes: 0, swap: Fixed(hours: 0.0), escalation: Some((auto: Fixed(hours: 0.0), auto_success: {p},
            crew_success: 1.0, rma_lead: Fixed(hours: 0.0), window_hours: 0.000001, refail: Fixed(hours: 1.0))))"
        );
        let r = Simulation::new(&scenario(&small_site(64, classes, &rep, "", 256, 0, "None", 100.0, 5))).run();
        r.failures.iter().map(|f| (f.time.as_millis(), f.unit, f.permanent)).collect::<Vec<_>>()
    };
    let (a, b) = (run(1.0), run(0.9));
    let common: Vec<_> = a.iter().filter_map(|x| b.iter().find(|y| y.0 == x.0 && y.1 == x.1).map(|y| (x.2, y.2))).collect();
    assert!(common.len() > 50, "{} failures in common", common.len());
    assert!(common.iter().all(|(p, q)| p == q), "outcomes differ");
}

/// A site built in phases: racks 4–7 of 8 (32 nodes each) arrive on day 10. Before,
/// they are not installed: no failure strikes them and their chip-time is counted
/// apart, exactly. Each rack's units start new when it arrives: with an early-life
/// Weibull class (k = 0.5, λ = 1,000 h) and instant reboots, a late node's failures by
/// day 90 are Poisson with mean ((T − 240 h)/λ)^k (3 standard errors over 128 nodes),
/// not the H(T) − H(240 h) of a clock that ran from day 0.
#[test]
fn racks_built_in_phases_start_new_on_their_day() {
    let (k, scale, days, arrive) = (0.5, 1000.0, 90.0, 240.0);
    let ron = format!(
        "(name: \"phased\", horizon_days: {days}, seed: 2, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 4, nodes_per_rack: 32, racks_per_pod: 8, pods: 1,
              commissioning: Some([(day: 0.0, racks: 4), (day: 10.0, racks: 4)])),
          failure: (name: \"f\", classes: [(name: \"infant\", category: Gpu, level: Node, ttf: Weibull(shape: {k}, scale_hours: {scale}),
              outcome: Transient(reboot: Fixed(hours: 0.0)), ageing: true)], repair: (crews: 4, spare_nodes: 0, swap: Fixed(hours: 1.0))),
          power: {power},
          workload: (name: \"w\", tenants: [], frontier: [(name: \"job\", chips: 512, work_hours: 1e9, checkpoint: None,
              restart_hours: 0.0, hot_spare_nodes: 0)]))",
        power = power_ron()
    );
    let r = Simulation::new(&scenario(&ron)).run();
    assert!(r.failures.iter().all(|f| f.unit < 128 || f.time.as_hours() >= arrive), "a late rack failed before it arrived");
    let not_installed_chip_h = r.time.not_installed as f64 / 3.6e6;
    assert!((not_installed_chip_h - 4.0 * 32.0 * 4.0 * arrive).abs() < 1e-6, "{not_installed_chip_h} chip-h not installed");
    let mut n = vec![0.0; 256];
    for f in &r.failures {
        n[f.unit as usize] += 1.0;
    }
    let t = days * 24.0;
    let expected = ((t - arrive) / scale).powf(k);
    let (m, _) = mean_se(&n[128..]);
    let se = (expected / 128.0).sqrt();
    println!(
        "late racks: {m:.3} failures a node vs {expected:.3} (se {se:.3}); a clock from day 0 would give {:.3}",
        (t / scale).powf(k) - (arrive / scale).powf(k)
    );
    assert!((m - expected).abs() < 3.0 * se, "mean {m} vs {expected}");
    let s = r.summary();
    let b = &s.time_breakdown;
    let sum = b.useful + b.checkpoint + b.restart + b.lost + b.throttled + b.slowed + b.waiting + b.idle + b.down + b.not_installed;
    assert!((sum - 1.0).abs() < 1e-12, "buckets sum to {sum}");
}

/// A phased site refuses phases that do not add up to its racks, days out of order, and
/// frontier jobs that do not fit in the racks of day 0, naming the field and what is allowed.
#[test]
fn a_phased_site_says_what_is_wrong() {
    let ron = |phases: &str, chips: u32| {
        format!(
            "(name: \"phased\", horizon_days: 1.0, seed: 2, power_bin_minutes: 60.0,
              facility: (name: \"f\", chip: \"x\", chips_per_node: 4, nodes_per_rack: 32, racks_per_pod: 8, pods: 1, commissioning: Some([{phases}])),
              failure: (name: \"f\", classes: [], repair: (crews: 4, spare_nodes: 0, swap: Fixed(hours: 1.0))),
              power: {power},
              workload: (name: \"w\", tenants: [], frontier: [(name: \"job\", chips: {chips}, work_hours: 1e9, checkpoint: None,
                  restart_hours: 0.0, hot_spare_nodes: 0)]))",
            power = power_ron()
        )
    };
    let err = |phases: &str, chips: u32| Simulation::try_new(&scenario(&ron(phases, chips))).err().expect("refused");
    let e = err("(day: 0.0, racks: 4), (day: 10.0, racks: 3)", 512);
    assert!(e.field == "commissioning" && e.message.contains("exactly the site's 8 racks"), "{e:?}");
    let e = err("(day: 0.0, racks: 4), (day: 10.0, racks: 2), (day: 5.0, racks: 2)", 512);
    assert!(e.field == "commissioning[2].day" && e.message.contains("days in order"), "{e:?}");
    let e = err("(day: 0.0, racks: 4), (day: 10.0, racks: 4)", 516);
    assert!(e.field == "frontier[0].chips" && e.message.contains("128 nodes in service on day 0"), "{e:?}");
    assert!(Simulation::try_new(&scenario(&ron("(day: 0.0, racks: 4), (day: 10.0, racks: 4)", 512))).is_ok());
}
