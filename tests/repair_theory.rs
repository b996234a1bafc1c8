//! The repair pipeline held to queueing theory and Markov chains, and domain
//! outages held to what they must do to nodes and jobs.
mod common;

use common::{erlang_c, mean_se, power_ron, scenario};
use gigasim::Simulation;
use gigasim::engine::SimTime;
use gigasim::sim::Detail;
use nalgebra::{DMatrix, DVector};

/// A site of `nodes` one-chip nodes in racks of `per_rack`, one node-level class
/// (permanent, exponential repair), `crews` crews, no cold spares, and one job on
/// `job` nodes with `spares` hot spares that waits for repairs.
#[allow(clippy::too_many_arguments)]
fn repair_site(
    nodes: u32,
    per_rack: u32,
    job: u32,
    spares: u32,
    crews: u32,
    node_rate: f64,
    repair_mean: f64,
    hours: f64,
    seed: u64,
) -> String {
    format!(
        "(name: \"repair\", horizon_days: {d}, seed: {seed}, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 1, nodes_per_rack: {per_rack}, racks_per_pod: {racks}, pods: 1),
          failure: (name: \"f\", classes: [(name: \"node\", category: Host, level: Node, ttf: ExponentialRate(per_hour: {node_rate}),
              outcome: Permanent(repair: Exponential(mean_hours: {repair_mean})))],
            repair: (crews: {crews}, spare_nodes: 0, swap: Fixed(hours: 1.0))),
          power: {power},
          workload: (name: \"w\", tenants: [], frontier: [(name: \"job\", chips: {job}, work_hours: 1e9,
              checkpoint: None, restart_hours: 0.0, hot_spare_nodes: {spares}, recovery: WaitForRepair)]))",
        d = hours / 24.0,
        racks = nodes / per_rack,
        power = power_ron(),
    )
}

/// Many nodes failing independently give near-Poisson arrivals of repairs (the
/// arrival rate is λ × nodes up, off the constant rate by the few nodes down: about
/// 1e-4 here); with exponential repair and c crews the crew queue is M/M/c. Its
/// time-average length Lq = C(c, a)·ρ/(1 − ρ) and mean wait Wq = Lq/λ.
/// Tolerance: 3 standard errors of the mean over independent replications (each
/// replication's estimate is one sample; the start from an empty queue biases a
/// 2,000-hour run by about relaxation time / run length, under 1%, well inside 3 SE).
#[test]
fn crew_queue_matches_erlang_c() {
    let (nodes, c, lambda, mu) = (20_000u32, 4u32, 3.0, 1.0);
    let a = lambda / mu;
    let rho = a / c as f64;
    let lq = erlang_c(c, a) * rho / (1.0 - rho);
    let wq = lq / lambda;
    let reps = 24;
    let (mut lqs, mut wqs) = (Vec::new(), Vec::new());
    for seed in 0..reps {
        let s = scenario(&repair_site(nodes, 16, nodes, 0, c, lambda / nodes as f64, 1.0 / mu, 2_000.0, seed));
        let r = Simulation::builder(&s).detail(Detail::Summary).build().run().summary().repair;
        lqs.push(r.mean_waiting_for_crew);
        wqs.push(r.mean_wait_for_crew_h);
    }
    let (m, se) = mean_se(&lqs);
    let z = (m - lq) / se;
    println!("Lq {m:.4} ± {se:.4} vs Erlang C {lq:.4}: z = {z:.2}");
    assert!(z.abs() < 3.0, "Lq {m} vs {lq} (se {se})");
    let (m, se) = mean_se(&wqs);
    let z = (m - wq) / se;
    println!("Wq {m:.4} h ± {se:.4} vs Erlang C {wq:.4} h: z = {z:.2}");
    assert!(z.abs() < 3.0, "Wq {m} vs {wq} (se {se})");
}

/// The stationary distribution of a continuous-time Markov chain with generator `q`:
/// π Q = 0, Σ π = 1, solved with nalgebra (one balance equation replaced by the sum).
fn stationary(q: &DMatrix<f64>) -> DVector<f64> {
    let n = q.nrows();
    let mut a = q.transpose();
    for j in 0..n {
        a[(n - 1, j)] = 1.0;
    }
    let mut b = DVector::zeros(n);
    b[n - 1] = 1.0;
    a.lu().solve(&b).expect("an irreducible chain has one stationary distribution")
}

/// A finite-source repair system: a job on N nodes with s hot spares (the whole
/// site), c crews, exponential repair at μ, nodes failing at λ. The number of nodes
/// down is a birth-death chain on 0..=N+s with down-rate min(k, c)·μ, and up-rate:
/// - by default every node that is up fails, spares and the nodes of a waiting job
///   too: (N + s − k)·λ;
/// - with `exposure: computing_only`, only the N computing nodes fail, while the job
///   runs (k ≤ s): N·λ, and 0 once it waits (a cold standby pool).
///
/// The job computes on N nodes while k ≤ s, so its computing share of the site's
/// chip-time is N/(N+s) · P(k ≤ s). Tolerance: 3 standard errors over independent
/// replications.
#[test]
fn hot_spares_and_crews_match_the_markov_chain() {
    let (n, s, c, lambda, mu) = (6u32, 2u32, 2u32, 0.1, 0.5);
    let m = (n + s) as usize;
    for computing_only in [false, true] {
        let mut q = DMatrix::zeros(m + 1, m + 1);
        for k in 0..=m {
            let up = match computing_only {
                false => (m - k) as f64 * lambda,
                true if k <= s as usize => n as f64 * lambda,
                true => 0.0,
            };
            if k < m {
                q[(k, k + 1)] = up;
            }
            if k > 0 {
                q[(k, k - 1)] = k.min(c as usize) as f64 * mu;
            }
            q[(k, k)] = -(0..=m).filter(|&j| j != k).map(|j| q[(k, j)]).sum::<f64>();
        }
        let pi = stationary(&q);
        let available: f64 = pi.iter().take(s as usize + 1).sum();
        let share = n as f64 / m as f64 * available;
        let reps = 30;
        let exposure = if computing_only { "exposure: Some((computing_only: true))," } else { "" };
        let shares: Vec<f64> = (0..reps)
            .map(|seed| {
                let ron = repair_site(n + s, n + s, n, s, c, lambda, 1.0 / mu, 5_000.0, seed)
                    .replace("repair: (crews:", &format!("{exposure} repair: (crews:"));
                let t = Simulation::builder(&scenario(&ron)).detail(Detail::Summary).build().run().summary().time_breakdown;
                t.useful + t.lost + t.checkpoint + t.restart
            })
            .collect();
        let (x, se) = mean_se(&shares);
        let z = (x - share) / se;
        println!("computing_only {computing_only}: share {x:.5} ± {se:.5} vs CTMC {share:.5} (availability {available:.5}): z = {z:.2}");
        assert!(z.abs() < 3.0, "computing_only {computing_only}: share {x} vs {share} (se {se})");
    }
}

/// A rack-level class takes every node of the rack down for the whole outage
/// (and no other node), and a job with nodes there is interrupted once per
/// outage, not once per node.
#[test]
fn a_rack_outage_downs_its_nodes_and_interrupts_each_job_once() {
    let ron = format!(
        "(name: \"racks\", horizon_days: 100.0, seed: 3, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 4, nodes_per_rack: 8, racks_per_pod: 4, pods: 2),
          failure: (name: \"f\", classes: [(name: \"power shelf\", category: Host, level: Rack, ttf: Exponential(mean_hours: 400.0),
              outcome: Permanent(repair: Fixed(hours: 3.0)))],
            repair: (crews: 64, spare_nodes: 0, swap: Fixed(hours: 1.0))),
          power: {power},
          workload: (name: \"w\", tenants: [], frontier: [(name: \"job\", chips: 256, work_hours: 1e9,
              checkpoint: Some((interval_hours: 1.0, write_hours: 0.0, at_end: false)), restart_hours: 0.0,
              hot_spare_nodes: 0, recovery: WaitForRepair)]))",
        power = power_ron()
    );
    let sc = scenario(&ron);
    let mut sim = Simulation::new(&sc);
    let horizon = sim.horizon();
    let mut seen = 0;
    let mut interruptions_expected = 0;
    let mut t = SimTime::from_millis(0);
    while t < horizon {
        // Step one minute at a time: each new outage is checked right after it starts.
        t = SimTime::from_millis(t.as_millis() + 60_000);
        sim.run_until(t);
        let fresh: Vec<_> = sim.record().failures[seen..].to_vec();
        for f in &fresh {
            let rack = f.unit;
            let was_computing = !f.jobs_hit.is_empty();
            assert!(f.jobs_hit.len() <= 1, "the job is listed once per outage: {:?}", f.jobs_hit);
            interruptions_expected += was_computing as u32;
            if f.time.as_millis() + 3 * 3_600_000 > t.as_millis() {
                for node in rack * 8..rack * 8 + 8 {
                    assert_eq!(sim.node_healthy(node), Some(false), "node {node} of struck rack {rack} is down");
                }
            }
        }
        seen += fresh.len();
        let down = (0..64).filter(|&n| sim.node_healthy(n) == Some(false)).count();
        let open: usize = sim.open_outages();
        assert_eq!(down, 8 * open, "exactly the nodes of the open rack outages are down");
    }
    assert!(seen > 20, "enough outages to test: {seen}");
    let r = sim.run();
    assert_eq!(r.frontier[0].interruptions, interruptions_expected, "one interruption per outage that struck the computing job");
    assert_eq!(r.interruptions, interruptions_expected as u64);
}

/// The repair site (20,000 nodes, plenty of crews, fixed 0.2-hour repairs) with, optionally,
/// the escalation pipeline (auto → crew → vendor) and a detection delay spliced in.
fn escalating_site(stages: Option<(f64, f64)>, detect_h: f64, seed: u64) -> String {
    let escalation = stages.map_or("None".to_string(), |(pa, pc)| {
        format!(
            "Some((auto: Fixed(hours: 0.05), auto_success: {pa}, crew_success: {pc},
              rma_lead: Fixed(hours: 1.0), window_hours: 1.0, refail: Fixed(hours: 0.1)))"
        )
    });
    repair_site(20_000, 16, 20_000, 0, 1_000, 1e-4, 0.2, 2_000.0, seed)
        .replace("outcome: Permanent(repair: Exponential(mean_hours: 0.2)))]", "outcome: Permanent(repair: Fixed(hours: 0.2)))]")
        .replace(
            "swap: Fixed(hours: 1.0))",
            &format!("swap: Fixed(hours: 1.0), escalation: {escalation}), detection: Some(Fixed(hours: {detect_h}))"),
        )
}

/// Escalation: a fault chain starts with automatic remediation, which clears it
/// with probability p_a; a misdiagnosed node fails again 0.1 h later, inside the
/// 1-hour window, and goes to a crew (p_c), then to a vendor return, which always
/// clears it. Independent faults of a node within an hour of its last repair are
/// rare (rate 1e-4 per node-hour), so the counts are binomial given the stage
/// before: auto_fixed ~ Bin(chains, p_a), crew_fixed ~ Bin(auto misdiagnoses, p_c).
/// Tolerance 3 binomial standard deviations; the stage times are fixed, so each
/// kind's mean time to repair is exact.
#[test]
fn escalation_clears_faults_in_the_proportions_each_stage_succeeds() {
    let (pa, pc) = (0.6, 0.7);
    let s = scenario(&escalating_site(Some((pa, pc)), 0.0, 11));
    let r = Simulation::builder(&s).detail(Detail::Summary).build().run().summary().repair;
    let chains = (r.auto_fixed + r.misdiagnosed_by_auto) as f64;
    let z_auto = (r.auto_fixed as f64 - chains * pa) / (chains * pa * (1.0 - pa)).sqrt();
    let at_crew = r.misdiagnosed_by_auto as f64;
    let z_crew = (r.crew_fixed as f64 - at_crew * pc) / (at_crew * pc * (1.0 - pc)).sqrt();
    println!("{chains} chains: auto {} (z {z_auto:.2}), crew {} of {at_crew} (z {z_crew:.2}), rma {}", r.auto_fixed, r.crew_fixed, r.rma);
    assert!(chains > 3_000.0, "enough fault chains: {chains}");
    assert!(z_auto.abs() < 3.0 && z_crew.abs() < 3.0, "z {z_auto:.2}, {z_crew:.2}");
    assert_eq!(r.rma, r.misdiagnosed - r.misdiagnosed_by_auto, "every crew misdiagnosis ends at the vendor");
    for (kind, hours) in [("auto_fixed", 0.05), ("crew_fixed", 0.2), ("rma", 1.0)] {
        assert!((r.mttr_h[kind] - hours).abs() < 1e-6, "{kind}: {} h", r.mttr_h[kind]);
    }
}

/// Detection: a job struck by a fault hangs until the fault is seen, d after it,
/// before its restart. The job (19,000 nodes, 1,000 hot spares) restarts at once on a
/// spare, so it hangs d unless the next fault cuts the hang short. With no restart
/// overhead of its own, all restart chip-time is that hang (exactly). The next fault
/// comes at rate Λ = 19,000 × 1e-4 per hour, so each interruption hangs min(d, X),
/// X ~ Exp(Λ), with mean (1 − e^(−Λd))/Λ and second moment 2/Λ² · (1 − e^(−Λd)(1 + Λd)).
/// Tolerance: 3 standard errors.
#[test]
fn detection_delay_is_restart_time_counted_on_its_own() {
    let d: f64 = 0.25;
    let ron = repair_site(20_000, 16, 19_000, 1_000, 1_000, 1e-4, 0.2, 2_000.0, 5)
        .replace("swap: Fixed(hours: 1.0))", &format!("swap: Fixed(hours: 1.0)), detection: Some(Fixed(hours: {d}))"));
    let r = Simulation::builder(&scenario(&ron)).detail(Detail::Summary).build().run().summary();
    let installed = r.chips as f64 * r.horizon_days * 24.0;
    let restart_chip_h = r.time_breakdown.restart * installed;
    println!("restart {restart_chip_h:.1} chip-h, detection {:.1} chip-h", r.repair.detection_chip_hours);
    assert!(r.repair.detection_chip_hours > 0.0);
    assert!((restart_chip_h - r.repair.detection_chip_hours).abs() < 1e-6 * restart_chip_h);
    let f = &r.frontier[0];
    let lambda: f64 = 19_000.0 * 1e-4;
    let mean = (1.0 - (-lambda * d).exp()) / lambda;
    let second = 2.0 / lambda.powi(2) * (1.0 - (-lambda * d).exp() * (1.0 + lambda * d));
    let n = f.interruptions as f64;
    let se = ((second - mean * mean) / n).sqrt();
    let z = (f.detection_hours / n - mean) / se;
    println!("hung {:.4} h per interruption vs {mean:.4}: z = {z:.2}", f.detection_hours / n);
    assert!(z.abs() < 3.0, "hung {} h per interruption vs {mean} (se {se})", f.detection_hours / n);
}
