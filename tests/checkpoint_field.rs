//! Field check: the ETTR of one 16,384-GPU job on Meta's RSC-1 failure model
//! (`models/failure/rsc-1.ron`) against Kokolis et al., "Revisiting Reliability in
//! Large-Scale ML Research Clusters", HPCA 2025 (docs/sources.md, S2): 0.70 with
//! 60-minute checkpoints and 0.93 with 5-minute checkpoints.
//!
//! **The published figures** are projections from the paper's closed form
//!   E[ETTR] ≈ [1 − N·r_f·(u₀ + Δt_cp/2)] / (1 + w_cp/Δt_cp)
//! with N = 2,048 nodes of 8 GPUs and r_f = 6.50 failures per 1,000 node-days (S2), a job
//! MTTF of 1/(N·r_f) = 108.2 min (the paper's "1.8 h"). Only r_f and N are published for
//! this job; the restart overhead u₀ and the checkpoint write time w_cp are not.
//!
//! **Input ranges (the uncertainty the band is derived from):**
//! - u₀ ∈ [5, 20] min, the paper's stated range (S2). u₀ is the whole time from a fault
//!   to computing again, so in the simulator it is the model's detection delay (uniform
//!   on 0–5 min at the 5-minute health checks, mean 2.5 min) plus `restart_hours`.
//! - w_cp ∈ [0, 30 s]: 0 is a fully asynchronous checkpoint (PyTorch async DCP stalls
//!   6.3 s, S10); 30 s is the synchronous stall `models/workload/llama3-405b.ron` assumes
//!   at this scale (6.5 TB of training state over Tectonic's 2 TB/s is 3.3 s, S7, plus
//!   barrier and serialisation overhead).
//!
//! **The band.** ETTR falls as u₀ or w_cp grows, so over the input box it spans
//! [E(u₀ = 20 min, w_cp = 30 s), E(u₀ = 5 min, w_cp = 0)], where E is the exact expected
//! ETTR of the renewal model the paper's formula approximates to first order (Poisson
//! failures at rate N·r_f, failures also during restarts and writes: Daly 2006, Eq. 9,
//! S4; `gigasim::theory::daly_ettr`). The first-order form is printed too but not used
//! for the band: at Δt_cp = 60 min, N·r_f·Δt_cp = 0.55 is not small and it is low by
//! 0.04–0.08 (0.676 against 0.714 at u₀ = 5 min, w_cp = 0). Bands: 60 min [0.615, 0.714],
//! 5 min [0.737, 0.933]; both published figures lie inside (asserted). The simulated
//! ETTRs must lie inside, widened by 3 Monte Carlo standard errors.
//!
//! **Inputs simulated:** u₀ = 5 min (2.5 min detection + 2.5 min restart) and w_cp = 0,
//! the corner most favourable to the published figures and the point they imply (the
//! closed form gives 0.931 at 5-min checkpoints there; Kokolis et al. validated their
//! formula at u₀ = 5 min). A single job of 2,048 nodes holds 64 hot spare nodes (3.1%;
//! Delta needs 2–5%, S6) on a site of exactly those 2,112 nodes (about RSC-1's 2,000),
//! with the model's own repair (2 crews, 20 cold spares, escalation); it waits for
//! repair well under 0.5% of its wall time (asserted). 56 days (about the 54-day
//! Llama 3 field record of a 16k-GPU job, S1), 32 seeds.
//!
//! **What the full RSC-1 model adds** to the node rate alone: misdiagnosed remediation (a
//! node that fails again within hours), planned maintenance (no lost work), fault storms,
//! and lemon nodes (1.2% failing 226× as often until three failures in a week retire
//! them, so early in the run). Measured at the inputs above (56 days, 32 seeds; the test
//! prints each step, ETTR ± one standard error at 60 / 5 min):
//! - node rate only, no detection delay: 0.716 ± 0.002 / 0.933 ± 0.0003 (Daly: 0.714 /
//!   0.933), 13.3 interruptions a day; with the detection delay inside u₀: the same;
//! - + escalation (misdiagnosis): 0.677 / 0.923, 15.3 a day;
//! - + storms, maintenance, retirement: 0.679 / 0.920, 16.6 a day;
//! - + lemons, the full model: **0.664 ± 0.002 / 0.914 ± 0.0005**, 18.2 a day.
//!
//! Both lie inside the band, but below the published 0.70 and 0.93, which the node rate
//! alone reproduces (0.716 and 0.933, bracketing 0.70 with the first-order form's 0.676).
//! The full model cannot reach them at any inputs in the box: its own range over the box
//! is [0.549, 0.664] at 60 min and [0.690, 0.914] at 5 min (printed). A shorter restart
//! does not rescue the 60-minute figure: with no restart beyond detection (u₀ = 2.5 min,
//! below the range) it gives 0.683 at 60 min (0.942 at 5 min). Both figures at u₀ = 5 min
//! need an MTBI of at least about 102 min, 14 unplanned interruptions a day against the
//! model's 17 (13.3 at N·r_f): no refailures after misdiagnosed remediation and lemons
//! retired before the job starts.
//! The lemons' share depends on the horizon: at 60 min 0.647 over 28 days and 0.673 over
//! 112 days (32 seeds each), against 0.679 without lemons.
//!
//! The check can fail: with the ordinary node rate doubled the 60-minute ETTR drops to
//! about 0.44, far below the band (asserted in the second test).

use gigasim::Simulation;
use gigasim::config::{DurationLaw, FailureModel, Law, NonNeg, Scenario, parse_ron};
use gigasim::sim::Detail;
use gigasim::theory::daly_ettr;
use rayon::prelude::*;

/// Nodes of 8 GPUs the job computes on: 16,384 GPUs.
const JOB_NODES: u32 = 2048;
/// Hot spare nodes the job holds (the site has no other nodes).
const HOT_SPARES: u32 = 64;
/// RSC-1's failures per node-day (S2).
const R_F: f64 = 6.50e-3;
const DAYS: f64 = 56.0;
const SEEDS: u64 = 32;
/// Restart overhead u₀, minutes: the published range (S2).
const U0: [f64; 2] = [5.0, 20.0];
/// Checkpoint write time w_cp, minutes (see the module comment).
const W: [f64; 2] = [0.0, 0.5];
/// The inputs simulated: the corner of the box most favourable to the published figures.
const U0_STAR: f64 = U0[0];
const W_STAR: f64 = W[0];
/// (checkpoint interval in minutes, published ETTR) (S2).
const PUBLISHED: [(f64, f64); 2] = [(60.0, 0.70), (5.0, 0.93)];

/// The job's MTTF at the node rate alone, minutes: 1 / (N·r_f) = 108.2 min.
fn mttf_min() -> f64 {
    24.0 * 60.0 / (JOB_NODES as f64 * R_F)
}

/// Kokolis et al.'s first-order closed form (S2), all times in minutes.
fn kokolis(dt: f64, u0: f64, w: f64) -> f64 {
    (1.0 - (u0 + dt / 2.0) / mttf_min()) / (1.0 + w / dt)
}

/// The ETTR band over the input box: the exact renewal expectation at its two corners.
fn band(dt: f64) -> (f64, f64) {
    let m = mttf_min();
    (daly_ettr(dt, W[1], U0[1], m), daly_ettr(dt, W[0], U0[0], m))
}

fn rsc1() -> FailureModel {
    parse_ron("models/failure/rsc-1.ron", include_str!("../models/failure/rsc-1.ron")).unwrap_or_else(|e| panic!("{e}"))
}

/// Mean detection delay of a model, minutes (2.5 for RSC-1's 5-minute health checks).
fn detection_min(m: &FailureModel) -> f64 {
    m.detection.as_ref().map_or(0.0, |d| d.mean_hours() * 60.0)
}

/// One job of `JOB_NODES` nodes plus `HOT_SPARES` on a site of exactly those nodes,
/// failing as `model`, with total restart overhead `u0` (detection included), write
/// time `w` and interval `dt`, all in minutes.
fn scenario(model: &FailureModel, dt: f64, u0: f64, w: f64, seed: u64) -> Scenario {
    let restart = u0 - detection_min(model);
    assert!(restart >= 0.0, "u₀ = {u0} min is shorter than the detection delay");
    let nodes = JOB_NODES + HOT_SPARES;
    assert_eq!(nodes % 64, 0, "whole pods of 16 racks of 4 nodes");
    let ron = format!(
        "(name: \"rsc-1, one 16k-GPU job\", horizon_days: {DAYS}, seed: {seed}, power_bin_minutes: 60.0,
          facility: (name: \"RSC-1-sized\", chip: \"NVIDIA A100\", chips_per_node: 8, nodes_per_rack: 4, racks_per_pod: 16, pods: {pods}),
          failure: (name: \"replaced below\", classes: [], repair: (crews: 1, spare_nodes: 0, swap: Fixed(hours: 1.0))),
          power: (name: \"p\", chip_watts: (idle: 100.0, busy: 400.0, checkpoint: 150.0, restart: 150.0, down: 0.0),
              node_overhead_watts: 2000.0, rack_overhead_watts: 1000.0, pue: 1.2),
          workload: (name: \"w\", tenants: [], frontier: [(name: \"job\", chips: {chips}, work_hours: 1e9,
              checkpoint: Some((interval_hours: {tau}, write_hours: {w}, at_end: false)),
              restart_hours: {r}, hot_spare_nodes: {HOT_SPARES}, recovery: WaitForRepair)]))",
        pods = nodes / 64,
        chips = JOB_NODES * 8,
        tau = dt / 60.0,
        w = w / 60.0,
        r = restart / 60.0,
    );
    let mut s: Scenario = parse_ron("checkpoint_field scenario", &ron).unwrap_or_else(|e| panic!("{e}"));
    s.failure = model.clone();
    s
}

/// Means and standard errors over the seeds.
struct Measured {
    ettr: f64,
    se: f64,
    interruptions_per_day: f64,
    /// The largest share of its wall time a run's job spent waiting for nodes.
    max_wait_share: f64,
}

fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

fn measure(model: &FailureModel, dt: f64, u0: f64, w: f64) -> Measured {
    let runs: Vec<(f64, f64, f64)> = (1..=SEEDS)
        .into_par_iter()
        .map(|seed| {
            let s = scenario(model, dt, u0, w, seed);
            let sum = Simulation::builder(&s).detail(Detail::Summary).try_build().unwrap_or_else(|p| panic!("{p:?}")).run().summary();
            let f = &sum.frontier[0];
            // The job is the site's only user: its waiting is the site's, in chip-time shares.
            let wait_share = sum.time_breakdown.waiting * sum.chips as f64 / f.chips as f64;
            (f.useful_hours / f.wall_hours, f.interruptions as f64 / (f.wall_hours / 24.0), wait_share)
        })
        .collect();
    let (ettr, se) = mean_se(&runs.iter().map(|r| r.0).collect::<Vec<_>>());
    Measured {
        ettr,
        se,
        interruptions_per_day: runs.iter().map(|r| r.1).sum::<f64>() / runs.len() as f64,
        max_wait_share: runs.iter().map(|r| r.2).fold(0.0, f64::max),
    }
}

/// The RSC-1 model built up from the node rate alone, one mechanism at a time.
fn variants() -> Vec<(&'static str, FailureModel, f64)> {
    let full = rsc1();
    let mut node_only = full.clone();
    node_only.classes.retain(|c| c.name == "Node failure");
    node_only.lemons = None;
    node_only.retirement = None;
    node_only.repair.escalation = None;
    let mut undetected = node_only.clone();
    undetected.detection = None;
    let mut escalating = node_only.clone();
    escalating.repair.escalation = full.repair.escalation.clone();
    let mut storms = full.clone();
    storms.lemons = None;
    vec![
        ("node rate only, no detection (Daly)", undetected, U0_STAR),
        ("+ 5-min health-check detection", node_only, U0_STAR),
        ("+ repair escalation (misdiagnosis)", escalating, U0_STAR),
        ("+ storms, maintenance, retirement", storms, U0_STAR),
        ("+ lemon nodes: full RSC-1 model", full, U0_STAR),
    ]
}

#[test]
fn rsc1_16k_job_ettr_lies_in_the_band_of_kokolis_et_al() {
    let t0 = std::time::Instant::now();
    let m = mttf_min();
    println!("Job MTTF at the node rate alone: {m:.1} min ({:.2} interruptions a day)", 24.0 * 60.0 / m);
    println!("Inputs simulated: u0 = {U0_STAR} min (detection included), w_cp = {W_STAR} min; {SEEDS} seeds of {DAYS} days");
    let variants = variants();
    for (dt, published) in PUBLISHED {
        let (lo, hi) = band(dt);
        println!("\nCheckpoints every {dt} min: published {published}");
        println!(
            "  band (exact renewal, u0 in [{}, {}] min, w_cp in [{}, {}] min): [{lo:.3}, {hi:.3}]; first-order closed form over the box: [{:.3}, {:.3}]",
            U0[0],
            U0[1],
            W[0],
            W[1],
            kokolis(dt, U0[1], W[1]),
            kokolis(dt, U0[0], W[0]),
        );
        assert!(lo <= published && published <= hi, "the published {published} lies outside the band [{lo}, {hi}] its own inputs allow");
        let mut full = None;
        for (name, model, u0) in &variants {
            let r = measure(model, dt, *u0, W_STAR);
            println!("  {name:<38} ETTR {:.4} ± {:.4} (SE), {:.1} interruptions a day", r.ettr, r.se, r.interruptions_per_day);
            full = Some(r);
        }
        let full = full.expect("the full model is the last variant");
        println!(
            "  Daly at the simulated inputs: {:.4}; closed form: {:.4}",
            daly_ettr(dt, W_STAR, U0_STAR, m),
            kokolis(dt, U0_STAR, W_STAR)
        );
        // The full model at the other corner of the box: how far the simulator's own range reaches.
        let far = measure(&variants.last().expect("full").1, dt, U0[1], W[1]);
        let reproduced = far.ettr - 3.0 * far.se <= published && published <= full.ettr + 3.0 * full.se;
        println!(
            "  full model over the input box: [{:.4} ± {:.4}, {:.4} ± {:.4}]: published {published} {}",
            far.ettr,
            far.se,
            full.ettr,
            full.se,
            if reproduced { "reproduced" } else { "NOT reproduced" }
        );
        println!("  longest wait for repair in a run: {:.3}% of wall time", full.max_wait_share * 100.0);
        assert!(full.max_wait_share < 0.005, "the job waited for repair {:.3}% of its wall time", full.max_wait_share * 100.0);
        let (a, b) = (lo - 3.0 * full.se, hi + 3.0 * full.se);
        assert!(a <= full.ettr && full.ettr <= b, "every {dt} min: simulated ETTR {} ± {} outside the band [{a}, {b}]", full.ettr, full.se);
    }
    println!("\n({:.1} s)", t0.elapsed().as_secs_f64());
}

/// The band is narrow enough to catch a wrong failure rate: with the ordinary node
/// rate doubled, the 60-minute ETTR falls well below it.
#[test]
fn doubling_the_node_rate_leaves_the_band() {
    let mut model = rsc1();
    let node = model.classes.iter_mut().find(|c| c.name == "Node failure").expect("RSC-1 has a node class");
    let Law::ExponentialRate { per_hour } = node.ttf.clone() else { panic!("RSC-1's node class has an exponential rate") };
    node.ttf = Law::ExponentialRate { per_hour: NonNeg::new(2.0 * per_hour.get()) };
    let dt = PUBLISHED[0].0;
    let (lo, _) = band(dt);
    let r = measure(&model, dt, U0_STAR, W_STAR);
    println!("Node rate doubled, every {dt} min: ETTR {:.4} ± {:.4} against the band's low end {lo:.3}", r.ettr, r.se);
    assert!(r.ettr + 3.0 * r.se < lo, "a doubled failure rate should leave the band: {} ± {}", r.ettr, r.se);
}
