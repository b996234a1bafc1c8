//! The simulator held to closed forms where theory exists.
mod common;

use common::{OneJob, Site, mean_se};
use gigasim::Simulation;
use gigasim::config::{DurationLaw, Law, Level, Outcome};
use gigasim::engine::SimRng;
use gigasim::sim::FailureClass;
use std::sync::Arc;

/// Daly's formula assumes: Poisson failures of the whole job with mean M, which
/// also strike during restarts and checkpoint writes; a failure loses everything
/// since the last completed checkpoint and is followed by a restart of length R
/// (itself restarted if struck); every τ of work ends with a checkpoint; the
/// first attempt pays no restart. The test scenario is set up to match:
/// - one job on all N chips; one chip-level exponential class with rate 1/(N·M)
///   per chip, so the job's failures are Poisson with mean M;
/// - failures are transient with zero reboot time and there are no spares, so
///   the job never waits: after a failure it restarts at once on the same chips;
/// - the failure clock runs whatever the job is doing (restart, write included);
/// - work is a whole number of intervals and `at_end: true`, so every τ ends
///   with a checkpoint; the first start pays no restart.
///
/// Tolerance: the mean over n replications is within 3 standard errors.
#[test]
fn wall_time_matches_daly_for_several_intervals_and_mtbfs() {
    // (tau, M, delta, R, intervals): near-optimal, moderately off, and far off the optimum.
    let cases = [
        (0.5, 2.0, 0.1, 0.2, 40),   // tau_opt (Young) = sqrt(2·0.1·2) = 0.63 h
        (0.25, 1.0, 0.05, 0.1, 40), // tau_opt = 0.32 h
        (2.0, 1.0, 0.05, 0.1, 5),   // tau 6x the optimum: wall time 3.7x the work
        (0.05, 4.0, 0.1, 0.5, 100), // tau 18x too short: write time dominates
    ];
    let n_chips = 1024.0;
    for (k, &(tau, m, delta, r, intervals)) in cases.iter().enumerate() {
        let ts = tau * intervals as f64;
        let expected = gigasim::theory::daly_wall_time(ts, tau, delta, r, m);
        let per_chip = 1.0 / (n_chips * m);
        let reps = 600;
        let walls: Vec<f64> = (0..reps)
            .map(|seed| {
                let s = OneJob {
                    site: Site { chips_per_node: 8, nodes_per_rack: 4, racks_per_pod: 4, pods: 8 },
                    classes: format!(
                        "(name: \"any\", category: Gpu, level: Chip, ttf: ExponentialRate(per_hour: {per_chip:e}), outcome: Transient(reboot: Fixed(hours: 0.0)))"
                    ),
                    work_hours: ts,
                    interval_hours: tau,
                    write_hours: delta,
                    restart_hours: r,
                    horizon_days: expected * 30.0 / 24.0,
                    seed: 1000 * k as u64 + seed,
                }
                .scenario();
                let report = Simulation::new(&s).run();
                report.frontier[0].finished_hours.expect("the job finishes well inside the horizon")
            })
            .collect();
        let (mean, se) = mean_se(&walls);
        let z = (mean - expected) / se;
        println!("tau {tau} M {m} delta {delta} R {r}: mean wall {mean:.3} h, Daly {expected:.3} h, se {se:.3}, z {z:.2}");
        assert!(z.abs() < 3.0, "case {k}: simulated {mean:.4} ± {se:.4} h vs Daly {expected:.4} h (z = {z:.2})");
        // Sanity that the case is not trivially satisfied: failures really happened.
        assert!(mean > ts * 1.02, "case {k}: wall time {mean} should exceed the work {ts}");
    }
}

/// One job on every chip that never checkpoints or restarts: a run where only the failures matter.
fn failures_only(site: Site, days: f64, seed: u64) -> gigasim::config::Scenario {
    OneJob {
        site,
        classes: String::new(),
        work_hours: 1e6,
        interval_hours: 1.0,
        write_hours: 0.0,
        restart_hours: 0.0,
        horizon_days: days,
        seed,
    }
    .scenario()
}

fn poisson_counts(classes: Vec<FailureClass>, site: Site, days: f64, reps: u64) -> Vec<f64> {
    (0..reps)
        .map(|seed| {
            let s = failures_only(Site { ..site }, days, seed);
            let mut b = Simulation::builder(&s);
            for c in &classes {
                b = b.failure_class(c.clone());
            }
            b.build().run().failures.len() as f64
        })
        .collect()
}

/// An exponential law that hides its rate, forcing the per-unit clock path.
#[derive(Debug)]
struct HiddenExp(f64);
impl DurationLaw for HiddenExp {
    fn sample_hours(&self, rng: &mut SimRng) -> f64 {
        gigasim::config::exp_draw(rng, self.0)
    }
    fn mean_hours(&self) -> f64 {
        self.0
    }
}

fn instant(level: Level, ttf: Arc<dyn DurationLaw>) -> FailureClass {
    FailureClass::new(format!("{level:?}"), gigasim::config::Category::Gpu, level, ttf, Outcome::Transient { reboot: Law::fixed(0.0) })
}

/// Exponential failures with no downtime: counts are Poisson(N·λ·T). Checks the
/// mean (3 standard errors of N·λ·T over n replications, σ² = N·λ·T) and the
/// index of dispersion var/mean = 1 (sd of the sample variance ratio ≈ sqrt(2/(n−1))
/// for large means), through both the merged stream and per-unit clocks.
#[test]
fn failure_counts_are_poisson_with_mean_n_lambda_t() {
    let site = || Site { chips_per_node: 8, nodes_per_rack: 4, racks_per_pod: 8, pods: 4 }; // 1024 chips, 128 nodes, 32 racks
    let days = 30.0;
    let t = days * 24.0;
    let reps = 400;
    let cases: Vec<(&str, Vec<FailureClass>, f64)> = vec![
        ("merged chip stream", vec![instant(Level::Chip, Arc::new(Law::exponential_mean(5_000.0)))], 1024.0 * t / 5_000.0),
        ("per-unit node clocks", vec![instant(Level::Node, Arc::new(HiddenExp(800.0)))], 128.0 * t / 800.0),
        (
            "chip + rack classes",
            vec![
                instant(Level::Chip, Arc::new(Law::exponential_mean(20_000.0))),
                instant(Level::Rack, Arc::new(Law::exponential_mean(300.0))),
            ],
            1024.0 * t / 20_000.0 + 32.0 * t / 300.0,
        ),
    ];
    for (name, classes, expected) in cases {
        let counts = poisson_counts(classes, site(), days, reps);
        let n = reps as f64;
        let mean = counts.iter().sum::<f64>() / n;
        let se = (expected / n).sqrt();
        let z = (mean - expected) / se;
        let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let dispersion = var / mean;
        let dz = (dispersion - 1.0) / (2.0 / (n - 1.0)).sqrt();
        println!("{name}: mean {mean:.2} vs N·λ·T {expected:.2} (z {z:.2}); var/mean {dispersion:.3} (z {dz:.2})");
        assert!(z.abs() < 3.0, "{name}: mean count {mean} vs {expected} (z = {z:.2})");
        assert!(dz.abs() < 3.0, "{name}: index of dispersion {dispersion} (z = {dz:.2})");
    }
}

/// Lemon nodes: per-node failure counts are Poisson(λT) on ordinary nodes and
/// Poisson(kλT) on lemons, so each group's mean is within 3 standard errors
/// (sqrt(mean / nodes)) of its own, its index of dispersion within 3 sd of 1
/// (sqrt(2 / (n − 1))), and the share of lemons the run draws is the one asked for.
/// Node-level and chip-level classes, merged stream and per-unit clocks.
#[test]
fn lemon_nodes_fail_k_times_as_often_and_the_rest_as_before() {
    let site = || Site { chips_per_node: 4, nodes_per_rack: 16, racks_per_pod: 16, pods: 8 }; // 2,048 nodes
    let (share, k, days) = (0.1, 5.0, 30.0);
    let t = days * 24.0;
    let cases: Vec<(&str, FailureClass, f64)> = vec![
        ("node, merged stream", instant(Level::Node, Arc::new(Law::exponential_mean(150.0))), t / 150.0),
        ("node, per-unit clocks", instant(Level::Node, Arc::new(HiddenExp(150.0))), t / 150.0),
        ("chip, merged stream", instant(Level::Chip, Arc::new(Law::exponential_mean(600.0))), 4.0 * t / 600.0),
    ];
    for (name, class, per_node) in cases {
        let mut s = failures_only(site(), days, 3);
        s.failure.lemons = Some(gigasim::config::Lemons {
            fraction_of_nodes: gigasim::config::Prob::new(share),
            rate_factor: gigasim::config::AtLeastOne::new(k),
        });
        let r = Simulation::builder(&s).failure_class(class).build().run();
        let lemons = &r.lemons.0;
        assert_eq!(lemons.len(), (share * 2048.0_f64).round() as usize, "{name}");
        let mut counts = vec![0.0f64; 2048];
        for f in &r.failures {
            let node = if name.starts_with("chip") { f.unit / 4 } else { f.unit };
            counts[node as usize] += 1.0;
        }
        let on_lemons: f64 = lemons.iter().map(|&n| counts[n as usize]).sum();
        assert_eq!(on_lemons as u64, r.lemons.1, "{name}: the failures counted on lemons");
        for (group, nodes, expected) in [
            ("lemons", lemons.clone(), k * per_node),
            ("others", (0..2048).filter(|n| lemons.binary_search(n).is_err()).collect::<Vec<u32>>(), per_node),
        ] {
            let xs: Vec<f64> = nodes.iter().map(|&n| counts[n as usize]).collect();
            let n = xs.len() as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let z = (mean - expected) / (expected / n).sqrt();
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let dz = (var / mean - 1.0) / (2.0 / (n - 1.0)).sqrt();
            println!("{name}, {group}: mean {mean:.3} vs {expected:.3} (z {z:.2}), var/mean {:.3} (z {dz:.2})", var / mean);
            assert!(z.abs() < 3.0, "{name}, {group}: mean {mean} vs {expected} (z = {z:.2})");
            assert!(dz.abs() < 3.0, "{name}, {group}: index of dispersion {} (z = {dz:.2})", var / mean);
        }
    }
}

/// Retirement after 3 failures in a window longer than the run: a lemon (rate kλ) is
/// found when its count reaches 3, with probability P(Poisson(kλT) ≥ 3), so the lemons
/// found are Binomial(L, that); good nodes are retired by mistake with P(Poisson(λT) ≥ 3)
/// each, plus at most that same chance for each replaced lemon (new hardware, failing at λ
/// for what is left of the run): the bound is added to the tolerance, not hidden in it.
#[test]
fn retirement_finds_lemons_as_often_as_their_counts_reach_the_threshold() {
    let site = Site { chips_per_node: 4, nodes_per_rack: 16, racks_per_pod: 16, pods: 8 }; // 2,048 nodes
    let (t, k) = (720.0, 5.0);
    let lt = 0.5; // λT of a good node
    let tail = |m: f64| 1.0 - (-m).exp() * (1.0 + m + m * m / 2.0);
    let mut s = failures_only(site, t / 24.0, 5);
    s.failure.lemons = Some(gigasim::config::Lemons {
        fraction_of_nodes: gigasim::config::Prob::new(0.1),
        rate_factor: gigasim::config::AtLeastOne::new(k),
    });
    s.failure.retirement = Some(gigasim::config::Retirement {
        failures: gigasim::config::Count::new(3),
        window_hours: gigasim::config::Positive::new(10.0 * t),
        replace: Law::fixed(1.0),
    });
    let r = Simulation::builder(&s).failure_class(instant(Level::Node, Arc::new(Law::exponential_mean(t / lt)))).build().run();
    let f = r.summary().failures;
    let (lemons, good) = (205.0, 2048.0 - 205.0);
    let (p_lemon, p_good) = (tail(k * lt), tail(lt));
    let found = lemons * p_lemon;
    let sd = (lemons * p_lemon * (1.0 - p_lemon)).sqrt();
    println!("lemons found {} vs {found:.1} ± {sd:.1}", f.retired_lemons);
    assert!((f.retired_lemons as f64 - found).abs() < 3.0 * sd, "lemons found {} vs {found:.1} (sd {sd:.2})", f.retired_lemons);
    let wrong = good * p_good;
    let sd = (good * p_good * (1.0 - p_good)).sqrt();
    let second = f.retired_lemons as f64 * p_good; // at most: replaced lemons retired again
    println!("good nodes retired {} vs {wrong:.1} (+ at most {second:.1}) ± {sd:.1}", f.retired_good_nodes);
    let x = f.retired_good_nodes as f64;
    assert!(x > wrong - 3.0 * sd && x < wrong + second + 3.0 * sd, "good nodes retired {x} vs {wrong:.1} (sd {sd:.2})");
}

/// A job on N chips failing at a per-chip rate λ sees interruptions at rate N·λ
/// (the system MTBF of a gang-scheduled job). Checked over the whole run with
/// the Poisson standard error.
#[test]
fn job_interruption_rate_is_n_lambda() {
    let per_chip = 1.0 / 50_000.0;
    let reps = 200;
    let days = 20.0;
    let counts: Vec<f64> = (0..reps)
        .map(|seed| {
            let s = OneJob {
                site: Site { chips_per_node: 4, nodes_per_rack: 18, racks_per_pod: 4, pods: 2 }, // 576 chips
                classes: format!("(name: \"g\", category: Gpu, level: Chip, ttf: ExponentialRate(per_hour: {per_chip:e}), outcome: Transient(reboot: Fixed(hours: 0.0)))"),
                work_hours: 1e6,
                interval_hours: 0.5,
                write_hours: 0.01,
                restart_hours: 0.1,
                horizon_days: days,
                seed,
            }
            .scenario();
            Simulation::new(&s).run().frontier[0].interruptions as f64
        })
        .collect();
    let expected = 576.0 * per_chip * days * 24.0;
    let (mean, _) = mean_se(&counts);
    let se = (expected / reps as f64).sqrt();
    assert!(((mean - expected) / se).abs() < 3.0, "interruptions {mean} vs N·λ·T {expected}");
}

/// The Daly policy: a job whose checkpoint policy is `Daly` takes Daly's interval for
/// its write time and the MTBF the failure model gives it (here M = 2 h: one chip-level
/// class at 1/(N·M) per chip), its mean wall time for 30 intervals of work is Daly's
/// expected wall time within 3 standard errors, and over a sweep of fixed intervals
/// around it (½ to 2×, same work) no interval does more than 1% better than Daly's —
/// the optimum the simulator finds is where Daly's formula puts it.
#[test]
fn the_daly_policy_picks_the_interval_where_ettr_peaks() {
    let (m, delta, r) = (2.0, 0.1, 0.2);
    let tau = gigasim::theory::daly_interval(delta, m);
    let work = 30.0 * tau;
    let n_chips = 1024.0;
    let per_chip = 1.0 / (n_chips * m);
    let expected = gigasim::theory::daly_wall_time(work, tau, delta, r, m);
    let reps = 600;
    let walls = |interval: f64, daly: bool, base_seed: u64| -> (Vec<f64>, f64) {
        let mut used = 0.0;
        let w = (0..reps)
            .map(|seed| {
                let mut ron = OneJob {
                    site: Site { chips_per_node: 8, nodes_per_rack: 4, racks_per_pod: 4, pods: 8 },
                    classes: format!(
                        "(name: \"any\", category: Gpu, level: Chip, ttf: ExponentialRate(per_hour: {per_chip:e}), outcome: Transient(reboot: Fixed(hours: 0.0)))"
                    ),
                    work_hours: work,
                    interval_hours: interval,
                    write_hours: delta,
                    restart_hours: r,
                    horizon_days: expected * 30.0 / 24.0,
                    seed: base_seed + seed,
                }
                .ron();
                if daly {
                    ron = ron.replace("at_end: true)", "at_end: true, policy: Daly)");
                }
                let report = Simulation::new(&common::scenario(&ron)).run();
                used = report.summary().frontier[0].checkpoint_interval_hours.expect("it checkpoints");
                report.frontier[0].finished_hours.expect("the job finishes well inside the horizon")
            })
            .collect();
        (w, used)
    };
    // The policy ignores `interval_hours` (given as 1 h here) and takes Daly's.
    let (daly_walls, used) = walls(1.0, true, 50_000);
    assert!((used - tau).abs() < 1e-6, "interval {used} h, Daly's {tau} h");
    let (mean, se) = mean_se(&daly_walls);
    let z = (mean - expected) / se;
    println!("Daly interval {tau:.4} h: wall {mean:.3} ± {se:.3} h vs Daly {expected:.3} h, z {z:.2}");
    assert!(z.abs() < 3.0, "wall {mean} vs {expected} (z {z:.2})");
    let ettr_daly = work / mean;
    for (k, c) in [0.5, 0.75, 1.5, 2.0].into_iter().enumerate() {
        let (w, _) = walls(c * tau, false, 60_000 + 1_000 * k as u64);
        let ettr = work / mean_se(&w).0;
        println!("  {c}× Daly's interval: ETTR {ettr:.4} (Daly's: {ettr_daly:.4})");
        assert!(ettr < ettr_daly * 1.01, "{c}× the Daly interval does {ettr} against {ettr_daly}");
    }
}
