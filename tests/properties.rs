//! Determinism, conservation, common random numbers, and pluggability.
mod common;

use gigasim::config::{self, Category, Law, Level, Outcome, Scenario, apply_sets, default_scenario};
use gigasim::engine::SimRng;
use gigasim::sim::{FailureClass, JobRequest, JobSource};
use gigasim::{Detail, Report, Simulation, output};
use std::sync::Arc;

fn with(s: &Scenario, sets: &[&str]) -> Scenario {
    apply_sets(s, &sets.iter().map(|x| x.to_string()).collect::<Vec<_>>()).unwrap_or_else(|e| panic!("{e}"))
}

fn default_days(days: f64) -> Scenario {
    with(&default_scenario(), &[&format!("horizon_days={days}")])
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_does_not() {
    let s = default_scenario();
    let a = Simulation::new(&s).run();
    let b = Simulation::new(&s).run();
    assert_eq!(output::summary_json(&a), output::summary_json(&b));
    assert_eq!(output::failures_csv(&a), output::failures_csv(&b));
    assert_eq!(output::power_csv(&a), output::power_csv(&b));
    let c = Simulation::new(&with(&s, &["seed=2"])).run();
    assert_ne!(output::summary_json(&a), output::summary_json(&c));
}

/// The energy computed independently from time spent per state and the watts of
/// each state, against the meter's running integral.
fn energy_from_states_wh(r: &Report) -> f64 {
    let chips: f64 = r.chip_ms_by_state.iter().zip(r.chip_watts).map(|(&ms, w)| ms as f64 * w).sum();
    let nodes = r.node_up_ms as f64 * r.node_watts;
    let racks = r.racks_watts * r.horizon.as_millis() as f64;
    (chips + nodes + racks) / 3.6e6
}

fn check_conservation(r: &Report) {
    let t = &r.time;
    assert_eq!(t.total(), r.installed_chip_ms(), "buckets must sum exactly to installed chip-time");
    let b = r.summary().time_breakdown;
    let sum = b.useful + b.checkpoint + b.restart + b.lost + b.waiting + b.idle + b.down;
    assert!((sum - 1.0).abs() < 1e-9, "fractions sum to {sum}");
    let e = energy_from_states_wh(r);
    assert!((r.it_energy_wh - e).abs() <= 1e-9 * e, "meter {} Wh vs states {} Wh", r.it_energy_wh, e);
    let bins: f64 = r.power_bins.iter().map(|b| b.it_wms).sum::<f64>() / 3.6e6;
    assert!((bins - r.it_energy_wh).abs() <= 1e-9 * e, "power bins {bins} Wh vs total {} Wh", r.it_energy_wh);
    for b in &r.power_bins {
        assert!(b.it_min_w <= b.it_max_w + 1e-6);
    }
}

#[test]
fn time_and_energy_are_conserved_on_the_default_site() {
    let r = Simulation::new(&default_days(30.0)).run();
    assert!(r.time.lost > 0 && r.time.restart > 0 && r.time.checkpoint > 0 && r.time.down > 0, "every bucket is exercised: {:?}", r.time);
    check_conservation(&r);
}

/// A harsher site: rack and pod failures, Weibull clocks, slow repair with few
/// crews and no spares, so jobs wait and nodes stay down.
fn harsh() -> Scenario {
    common::scenario(&format!(
        "(name: \"harsh\", horizon_days: 20.0, seed: 9, power_bin_minutes: 7.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 4, nodes_per_rack: 18, racks_per_pod: 4, pods: 3),
          failure: (name: \"f\", repair: (crews: 1, spare_nodes: 2, swap: Fixed(hours: 0.5)), classes: [
             (name: \"gpu\", category: Gpu, level: Chip, ttf: Weibull(shape: 0.7, scale_hours: 3000.0), outcome: Mixed(p_permanent: 0.5, reboot: Fixed(hours: 0.3), repair: LogNormal(median_hours: 20.0, sigma: 0.5))),
             (name: \"switch\", category: Network, level: Rack, ttf: Exponential(mean_hours: 400.0), outcome: Permanent(repair: Uniform(min_hours: 2.0, max_hours: 6.0))),
             (name: \"feed\", category: Host, level: Pod, ttf: Exponential(mean_hours: 2000.0), outcome: Transient(reboot: Fixed(hours: 1.0))),
          ]),
          power: {},
          workload: (name: \"w\",
            frontier: [(name: \"big\", chips: 600, work_hours: 200.0, checkpoint: Some((interval_hours: 0.5, write_hours: 0.05)), restart_hours: 0.2, hot_spare_nodes: 4, recovery: BorrowFree)],
            tenants: [(name: \"t\", classes: [(name: \"t\", arrivals_per_hour: 3.0, chips: Choice([(4, 1.0), (16, 1.0), (64, 0.2)]), work_hours: Exponential(mean_hours: 3.0),
                       p_checkpoint: 0.5, checkpoint: (interval_hours: 1.0, write_hours: 0.1, at_end: false), restart_hours: 0.1)])]))",
        common::power_ron()
    ))
}

#[test]
fn time_and_energy_are_conserved_under_heavy_failures() {
    let r = Simulation::new(&harsh()).run();
    assert!(r.time.waiting > 0 && r.time.down > 0, "the harsh site makes jobs wait: {:?}", r.time);
    check_conservation(&r);
}

/// `Detail::Summary` keeps no series but simulates the same run: the summary and
/// every total are the same to the byte.
#[test]
fn summary_detail_reports_the_same_totals_without_the_series() {
    for s in [default_days(30.0), harsh()] {
        let full = Simulation::new(&s).run();
        let lean = Simulation::builder(&s).detail(Detail::Summary).build().run();
        assert_eq!(output::summary_json(&lean), output::summary_json(&full), "{}", s.name);
        assert_eq!(lean.chip_ms_by_state, full.chip_ms_by_state);
        assert_eq!(lean.node_up_ms, full.node_up_ms);
        assert_eq!(lean.it_energy_wh.to_bits(), full.it_energy_wh.to_bits());
        assert_eq!((lean.detail, full.detail), (Detail::Summary, Detail::Full));
        assert!(!full.failures.is_empty() && !full.power_bins.is_empty() && !full.zoom.is_empty() && !full.frontier[0].progress.is_empty());
        assert!(lean.failures.is_empty() && lean.power_bins.is_empty() && lean.zoom.is_empty() && lean.drops.is_empty());
        assert!(lean.frontier.iter().all(|f| f.progress.is_empty() && f.interruption_times_hours.is_empty()));
    }
}

/// A scenario changed in code skips the loader's checks; `try_new` runs them and
/// names the field instead of panicking inside the run.
#[test]
fn a_scenario_made_in_code_is_checked_by_try_new() {
    let mut s = default_days(1.0);
    assert!(Simulation::try_new(&s).is_ok());
    s.workload.frontier[0].chips = config::Count::new(1_000_000);
    let p = Simulation::try_new(&s).err().expect("a job larger than the site is refused");
    assert_eq!(p.path(), "workload.frontier[0].chips", "{p}");
    assert!(p.to_string().starts_with("workload.frontier[0].chips: "), "{p}");
    let p = Simulation::builder(&s).seed(3).try_build().err().expect("the builder checks too");
    assert_eq!(p.path(), "workload.frontier[0].chips");
}

/// Common random numbers: the failure history depends only on the failure
/// model and the seed, not on the checkpoint interval or the tenant load.
#[test]
fn changing_the_workload_leaves_every_failure_unchanged() {
    let base = default_days(30.0);
    let a = Simulation::new(&base).run();
    let b = Simulation::new(&with(&base, &["workload.frontier[0].checkpoint.interval_hours=0.5"])).run();
    let c =
        Simulation::new(&with(&base, &["workload.tenants[1].classes[0].arrivals_per_hour=5", "workload.frontier[0].restart_hours=0.5"]))
            .run();
    let key = |r: &Report| r.failures.iter().map(|f| (f.time, f.class, f.unit, f.permanent)).collect::<Vec<_>>();
    assert!(!a.failures.is_empty());
    assert_eq!(key(&a), key(&b), "checkpoint interval changed the failures");
    assert_eq!(key(&a), key(&c), "tenant load changed the failures");
    // The change did change the run.
    assert_ne!(a.frontier[0].checkpoints, b.frontier[0].checkpoints);
    assert_ne!(a.jobs_submitted, c.jobs_submitted);
}

/// A job source defined here: `left` jobs of 8 chips, one every 2 hours.
struct Trickle {
    left: u32,
}
impl JobSource for Trickle {
    fn name(&self) -> &str {
        "trickle"
    }
    fn next(&mut self, _now: f64, _: &mut SimRng) -> Option<(f64, JobRequest)> {
        (self.left > 0).then(|| {
            self.left -= 1;
            (2.0, JobRequest::new(8, 1.0))
        })
    }
}

#[test]
fn user_crates_can_plug_in_failure_laws_and_job_sources() {
    let s = common::scenario(&format!(
        "(name: \"plug\", horizon_days: 5.0, seed: 3, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 8, nodes_per_rack: 4, racks_per_pod: 2, pods: 2),
          failure: (name: \"none\", classes: [], repair: (crews: 1, spare_nodes: 0, swap: Fixed(hours: 1.0))),
          power: {}, workload: (name: \"w\", frontier: [], tenants: []))",
        common::power_ron()
    ));
    let class = FailureClass::new(
        "clockwork",
        Category::Host,
        Level::Rack,
        Arc::new(common::Clockwork { every: 10.0 }),
        Outcome::Transient { reboot: Law::fixed(2.0) },
    );
    let r = Simulation::builder(&s).failure_class(class).job_source(Box::new(Trickle { left: 7 })).build().run();
    // 4 racks, each failing at 10 h, 22 h, 34 h, ... (10 h up + 2 h reboot): 10 failures each in 120 h.
    assert_eq!(r.failures.len(), 4 * 10);
    assert!(r.failures.iter().all(|f| r.classes[f.class as usize].name == "clockwork"));
    assert_eq!(r.jobs_submitted, 7);
    assert_eq!(r.groups, vec!["trickle".to_string()]);
}

#[test]
fn the_embedded_default_matches_the_files_on_disk() {
    let disk = config::load_scenario(
        &config::FileSystem,
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/", "models/scenarios/gigafactory-100k.ron")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(disk, default_scenario());
}

/// The swing figures in summary.json agree with the listed drops, and ramps
/// widen with their window: over 1 s at least the largest single step.
#[test]
fn power_swings_agree_with_the_listed_drops() {
    for s in [default_days(30.0), harsh()] {
        let r = Simulation::new(&s).run();
        let sum = r.summary();
        let days = sum.horizon_days;
        let drops_mw: Vec<f64> = r.power.drops.iter().map(|d| d.1 / 1e6).collect();
        let falls: u64 = r.power.falls.iter().map(|f| f.1).sum();
        assert_eq!(drops_mw.len() as u64, falls, "{}: the list and the sizes hold the same falls", s.name);
        for (key, t) in [("10", 10.0), ("50", 50.0), ("90", 90.0)] {
            let listed = drops_mw.iter().filter(|&&x| x > t).count() as f64 / days;
            assert_eq!(sum.power.drops.per_day_over_mw[key], listed, "{}: falls over {t} MW a day", s.name);
        }
        for sw in [&sum.power.drops, &sum.power.rises] {
            let w = |k: &str| sw.worst_ramp_mw[k];
            assert!(w("1s") <= w("1min") && w("1min") <= w("15min"), "{}: {:?}", s.name, sw.worst_ramp_mw);
            if let (Some(p50), Some(p95), Some(p99), Some(max)) = (sw.p50_mw, sw.p95_mw, sw.p99_mw, sw.max_mw) {
                assert!(p50 <= p95 && p95 <= p99 && p99 <= max);
                assert!(w("1s") >= max, "{}: a single step of {max} MW is a ramp within 1 s, yet the worst is {}", s.name, w("1s"));
            }
        }
        assert_eq!(sum.power.drops.max_mw.unwrap_or(0.0), drops_mw.iter().copied().fold(0.0, f64::max));
    }
}

/// Idle time splits exactly into hot spares and free chips, and interruptions
/// into the frontier job's and the tenants'.
#[test]
fn idle_time_and_interruptions_split_exactly() {
    let r = Simulation::new(&default_days(30.0)).run();
    let s = r.summary();
    assert!((s.idle_split.hot_spares + s.idle_split.free - s.time_breakdown.idle).abs() < 1e-12);
    assert!(s.idle_split.hot_spares > 0.0 && s.idle_split.free > 0.0, "{:?}", s.idle_split);
    // The hot spares are held all run long, less the time they stood in for broken nodes.
    let held = 460.0 * 4.0 / r.chips as f64;
    assert!(s.idle_split.hot_spares <= held && s.idle_split.hot_spares > 0.9 * held, "{} vs {held}", s.idle_split.hot_spares);
    let frontier: u64 = s.frontier.iter().map(|f| f.interruptions as u64).sum();
    assert_eq!(s.tenant_interruptions + frontier, s.interruptions);
    assert!(s.tenant_interruptions > 0);
}

/// With no failures a job's progress rate is τ/(τ + δ) exactly, so its
/// projected finish is its failure-free wall time, within the one segment in
/// progress at the horizon; once it finishes, the projection is the finish.
#[test]
fn the_projected_finish_of_a_failure_free_job_is_its_wall_time() {
    let job = |days: f64| common::OneJob {
        site: common::Site { chips_per_node: 8, nodes_per_rack: 4, racks_per_pod: 2, pods: 1 },
        classes: String::new(),
        work_hours: 100.0,
        interval_hours: 1.0,
        write_hours: 0.1,
        restart_hours: 0.0,
        horizon_days: days,
        seed: 1,
    };
    let wall = 110.0; // 100 segments of 1 h work + 0.1 h write, whole milliseconds
    let s = Simulation::new(&job(2.0).scenario()).run().summary();
    let f = &s.frontier[0];
    assert_eq!((f.finished_hours, f.work_hours), (None, 100.0));
    let projected = f.projected_finish_days.expect("it made progress") * 24.0;
    assert!((projected - wall).abs() < 1.1, "projected {projected} h vs {wall} h");
    let s = Simulation::new(&job(6.0).scenario()).run().summary();
    let f = &s.frontier[0];
    assert_eq!(f.finished_hours, Some(wall));
    assert_eq!(f.projected_finish_days, Some(wall / 24.0));
}

/// A job that checkpoints every 3.6 s keeps at most one checkpoint a power bin
/// (an hour here) in its trace, and every interruption; its saved work at each
/// kept row is the same as without thinning.
#[test]
fn traces_grow_with_time_and_interruptions_not_with_checkpoints() {
    let s = common::OneJob {
        site: common::Site { chips_per_node: 8, nodes_per_rack: 4, racks_per_pod: 2, pods: 1 },
        classes:
            "(name: \"g\", category: Gpu, level: Chip, ttf: Exponential(mean_hours: 500.0), outcome: Transient(reboot: Fixed(hours: 0.1)))"
                .into(),
        work_hours: 1e6,
        interval_hours: 0.001,
        write_hours: 0.0001,
        restart_hours: 0.05,
        horizon_days: 2.0,
        seed: 5,
    }
    .scenario();
    let r = Simulation::new(&s).run();
    let f = &r.frontier[0];
    assert!(f.checkpoints > 40_000, "{} checkpoints", f.checkpoints);
    let checkpoints = f.progress.iter().filter(|p| p.2 == gigasim::sim::Milestone::Checkpoint).count();
    // One a bin, and one more after each interruption (the interruption row ends a bin's run).
    let bound = 48 + f.interruptions as usize;
    assert!(checkpoints <= bound, "{checkpoints} checkpoint rows for 48 one-hour bins and {} interruptions", f.interruptions);
    assert_eq!(f.interruption_times_hours.len(), f.interruptions as usize, "every interruption is kept");
    assert!(f.interruptions > 0);
    // Saved work never decreases along the trace.
    assert!(f.progress.windows(2).all(|w| w[0].1 <= w[1].1));
}

/// A tenant job larger than what the frontier job leaves would block an FCFS
/// queue for good; it is rejected at submission (and counted), and the rest flow.
#[test]
fn a_tenant_job_that_can_never_fit_is_rejected_not_left_to_block_the_queue() {
    let s = common::scenario(&format!(
        "(name: \"blocked\", horizon_days: 10.0, seed: 2, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 4, nodes_per_rack: 4, racks_per_pod: 2, pods: 1),
          failure: (name: \"none\", classes: [], repair: (crews: 1, spare_nodes: 0, swap: Fixed(hours: 1.0))),
          power: {},
          workload: (name: \"w\",
            frontier: [(name: \"big\", chips: 24, work_hours: 1000.0, checkpoint: None, restart_hours: 0.0, hot_spare_nodes: 0)],
            tenants: [(name: \"t\", classes: [(name: \"t\", arrivals_per_hour: 1.0, chips: Choice([(4, 1.0), (12, 1.0)]), work_hours: Exponential(mean_hours: 0.5),
                       p_checkpoint: 0.0, checkpoint: (interval_hours: 1.0, write_hours: 0.0), restart_hours: 0.0)])]))",
        common::power_ron()
    ));
    let sum = Simulation::new(&s).run().summary();
    let t = &sum.tenants["t"];
    // 12 chips need 3 nodes; the frontier job leaves 2.
    assert!(t.jobs_rejected > 50, "{t:?}");
    assert_eq!(sum.jobs.rejected, t.jobs_rejected);
    let admitted = t.jobs_submitted - t.jobs_rejected;
    assert!(t.jobs_started as f64 >= 0.95 * admitted as f64, "the queue flows: {t:?}");
    // The jobs block's mean wait is the tenants' (the frontier job's zero wait is left out).
    assert!((sum.jobs.mean_wait_h - t.wait_mean_h).abs() < 1e-12, "{} vs {}", sum.jobs.mean_wait_h, t.wait_mean_h);
    assert!(t.wait_p50_h <= t.wait_p95_h && t.wait_p95_h <= t.wait_p99_h);
}

/// jobs.csv holds every tenant job once, and agrees with the tenants' counts.
#[test]
fn the_job_table_agrees_with_the_tenant_counts() {
    let r = Simulation::new(&default_days(10.0)).run();
    let s = r.summary();
    let csv = String::from_utf8(output::jobs_csv(&r)).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    // Size classes count tenant jobs only (the frontier job is in its tenant's block).
    let submitted: u64 = s.size_classes.values().map(|t| t.jobs_submitted - t.jobs_rejected).sum();
    let completed: u64 = s.size_classes.values().map(|t| t.jobs_completed).sum();
    let started: u64 = s.size_classes.values().map(|t| t.jobs_started).sum();
    assert_eq!(rows.len() as u64, submitted);
    assert_eq!(rows.iter().filter(|r| r[7] == "completed").count() as u64, completed);
    assert_eq!(rows.iter().filter(|r| !r[4].is_empty()).count() as u64, started);
    let mut names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), rows.len(), "each job once");
    for t in s.tenants.keys().filter(|t| s.tenants[*t].jobs_started > 1) {
        let waits: Vec<f64> = rows.iter().filter(|r| r[1] == t && !r[6].is_empty()).map(|r| r[6].parse().unwrap()).collect();
        let mean = waits.iter().sum::<f64>() / waits.len() as f64;
        // The file rounds to the microhour: the mean agrees to that.
        assert!((mean - s.tenants[t].wait_mean_h).abs() < 1e-6, "{t}: {mean} vs {}", s.tenants[t].wait_mean_h);
    }
    // At Summary detail the table is not kept.
    let lean = Simulation::builder(&default_days(10.0)).detail(Detail::Summary).build().run();
    assert!(lean.jobs.is_empty());
}
