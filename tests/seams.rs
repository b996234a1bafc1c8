//! Each extension seam proven by a second implementation written outside the
//! crate (a scheduling policy, a power stage, a repair flow), and step-level
//! tests: run to a time, then assert each part's state through the probes.
mod common;

use gigasim::config::{Category, Law, Level, Outcome, Scenario};
use gigasim::engine::{SimRng, SimTime};
use gigasim::sim::power::{ChipState, Ledger};
use gigasim::sim::sched::{Cause, Decision, Placement, QueueView, QueuedJob};
use gigasim::sim::{FailureClass, JobRequest, JobSource, OutageView, Phase, Policy, PowerStage, RepairFlow, RepairStage};
use gigasim::{Report, Simulation, output};
use std::sync::Arc;

fn hours(h: f64) -> SimTime {
    SimTime::from_hours(h)
}

/// A failure class of `level` whose units fail exactly `every` hours after they are up.
fn clockwork(level: Level, every: f64, outcome: Outcome) -> FailureClass {
    FailureClass::new(format!("{level:?} every {every} h"), Category::Host, level, Arc::new(common::Clockwork { every }), outcome)
}

/// A site of 2 racks × 4 nodes × 4 chips, no failures from the model, and
/// optionally one frontier job of 16 chips with one hot spare.
fn small_site(frontier: bool, repair: &str, days: f64) -> Scenario {
    let job = if frontier {
        "(name: \"big\", chips: 16, work_hours: 1000.0, checkpoint: Some((interval_hours: 1.0, write_hours: 0.1)),
          restart_hours: 0.5, hot_spare_nodes: 1, recovery: WaitForRepair)"
    } else {
        ""
    };
    common::scenario(&format!(
        "(name: \"small\", horizon_days: {days}, seed: 1, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 4, nodes_per_rack: 4, racks_per_pod: 2, pods: 1),
          failure: (name: \"none\", classes: [], repair: {repair}),
          power: {}, workload: (name: \"w\", frontier: [{job}], tenants: []))",
        common::power_ron()
    ))
}

const REPAIR: &str = "(crews: 2, spare_nodes: 1, swap: Fixed(hours: 0.5))";

// ---------------------------------------------------------------- scheduling

/// A source emitting a fixed list of (arrival hour, chips) jobs of 10 hours each.
struct Listed {
    jobs: Vec<(f64, u32)>,
    at: f64,
}
impl JobSource for Listed {
    fn name(&self) -> &str {
        "listed"
    }
    fn next(&mut self, _now: f64, _: &mut SimRng) -> Option<(f64, JobRequest)> {
        if self.jobs.is_empty() {
            return None;
        }
        let (t, chips) = self.jobs.remove(0);
        let gap = t - self.at;
        self.at = t;
        Some((gap, JobRequest::new(chips, 10.0)))
    }
}

/// Start every queued job that fits, in queue order (first fit: small jobs pass a blocked head).
struct FirstFit;
impl Policy for FirstFit {
    fn name(&self) -> &str {
        "first fit"
    }
    fn decide(&mut self, view: &QueueView, out: &mut Vec<Decision>) {
        let mut free = view.free_nodes;
        for j in view.jobs() {
            if j.nodes <= free {
                free -= j.nodes;
                out.push(Decision::Start(j.id));
            }
        }
    }
    fn requeue(&mut self, _: &QueuedJob, _: Cause) -> Placement {
        Placement::Back
    }
}

/// The frontier job and its spare hold 5 of 8 nodes, leaving 3. A 2-node job
/// (10 h) arrives at 0.5 h, a 3-node job at 1 h and a 1-node job at 2 h. FCFS
/// keeps the small job behind the blocked 3-node head; a policy written here
/// starts it at once.
#[test]
fn a_policy_from_outside_the_crate_decides_who_starts() {
    let s = small_site(true, REPAIR, 1.0);
    let run = |policy: Option<Box<dyn Policy>>| {
        let mut b = Simulation::builder(&s).job_source(Box::new(Listed { jobs: LISTED.to_vec(), at: 0.0 }));
        if let Some(p) = policy {
            b = b.policy(p);
        }
        let mut sim = b.build();
        sim.run_until(hours(3.0));
        let state = (sim.queued_jobs(), sim.free_nodes());
        (state, sim.run())
    };
    let ((queued, free), fcfs) = run(None);
    assert_eq!((queued, free), (2, 1), "FCFS: both wait, the 3-node head does not fit in 1 free node");
    // Waits: 0, then 9.5 h (until the 2-node job ends at 10.5 h), then 18.5 h (until the 3-node job ends).
    assert!((fcfs.mean_wait_hours - 28.0 / 3.0).abs() < 1e-9, "{}", fcfs.mean_wait_hours);
    let ((queued, free), ff) = run(Some(Box::new(FirstFit)));
    assert_eq!((queued, free), (1, 0), "first fit: the 1-node job runs, the 3-node job waits");
    // Waits: 0, 0, and 11 h for the 3-node job (until 12 h, when both others have ended).
    assert!((ff.mean_wait_hours - 11.0 / 3.0).abs() < 1e-9, "{}", ff.mean_wait_hours);
    assert_eq!((fcfs.jobs_completed, ff.jobs_completed), (2, 3), "first fit also finishes the 3-node job by 24 h");
}

/// (arrival hour, chips) of the listed jobs, 10 h each: 2 nodes, 3 nodes, 1 node.
const LISTED: [(f64, u32); 3] = [(0.5, 8), (1.0, 12), (2.0, 4)];

/// The pod fails at 3 h and interrupts the running tenant jobs: FCFS puts
/// them back at the front; first fit at the back; a third policy at the front.
#[test]
fn the_policy_decides_where_an_interrupted_job_waits() {
    let s = small_site(true, REPAIR, 1.0);
    let pod = clockwork(Level::Pod, 3.0, Outcome::Transient { reboot: Law::fixed(1.0) });
    let order = |policy: Box<dyn Policy>| {
        let mut sim = Simulation::builder(&s)
            .failure_class(pod.clone())
            .job_source(Box::new(Listed { jobs: LISTED.to_vec(), at: 0.0 }))
            .policy(policy)
            .build();
        sim.run_until(hours(3.5));
        sim.queue().map(|j| (j.nodes, j.interruptions)).collect::<Vec<_>>()
    };
    // FCFS: only the 2-node job was running (the 1-node job waited behind the 3-node one).
    assert_eq!(order(Box::new(gigasim::sim::sched::Fcfs)), vec![(2, 1), (3, 0), (1, 0)]);
    assert_eq!(order(Box::new(FirstFit)), vec![(3, 0), (2, 1), (1, 1)], "interrupted jobs wait at the back");
    assert_eq!(order(Box::new(FrontRequeue)), vec![(1, 1), (2, 1), (3, 0)], "or at the front, if the policy says so");
}

/// First fit, but an interrupted job goes back to the front.
struct FrontRequeue;
impl Policy for FrontRequeue {
    fn name(&self) -> &str {
        "first fit, requeue at the front"
    }
    fn decide(&mut self, view: &QueueView, out: &mut Vec<Decision>) {
        FirstFit.decide(view, out)
    }
    fn requeue(&mut self, _: &QueuedJob, _: Cause) -> Placement {
        Placement::Front
    }
}

// ---------------------------------------------------------------- power chain

/// Doubles the draw of the stage before it. Without `declares_factor` the
/// chain cannot know that, and integrates its output on its own track.
struct Double {
    declares_factor: bool,
}
impl PowerStage for Double {
    fn name(&self) -> &str {
        "double"
    }
    fn apply(&mut self, _: SimTime, input_w: f64, _: &Ledger) -> f64 {
        2.0 * input_w
    }
    fn factor(&self) -> Option<f64> {
        self.declares_factor.then_some(2.0)
    }
}

fn harsh_enough() -> Scenario {
    common::scenario(&format!(
        "(name: \"p\", horizon_days: 10.0, seed: 4, power_bin_minutes: 30.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 4, nodes_per_rack: 8, racks_per_pod: 4, pods: 2),
          failure: (name: \"f\", repair: (crews: 2, spare_nodes: 2, swap: Fixed(hours: 0.5)), classes: [
             (name: \"gpu\", category: Gpu, level: Chip, ttf: Exponential(mean_hours: 2000.0), outcome: Mixed(p_permanent: 0.3, reboot: Fixed(hours: 0.3), repair: Fixed(hours: 8.0)))]),
          power: {},
          workload: (name: \"w\",
            frontier: [(name: \"big\", chips: 160, work_hours: 2000.0, checkpoint: Some((interval_hours: 0.5, write_hours: 0.05)), restart_hours: 0.2, hot_spare_nodes: 2, recovery: BorrowFree)],
            tenants: [(name: \"t\", classes: [(name: \"t\", arrivals_per_hour: 2.0, chips: Choice([(4, 1.0), (16, 1.0)]), work_hours: Exponential(mean_hours: 3.0),
                       p_checkpoint: 0.5, checkpoint: (interval_hours: 1.0, write_hours: 0.1, at_end: false), restart_hours: 0.1)])]))",
        common::power_ron()
    ))
}

#[test]
fn a_power_stage_from_outside_the_crate_shapes_facility_draw() {
    let s = harsh_enough();
    let plain = Simulation::new(&s).run();
    let scaled = Simulation::builder(&s).power_stage(Box::new(Double { declares_factor: true })).build().run();
    let tracked = Simulation::builder(&s).power_stage(Box::new(Double { declares_factor: false })).build().run();
    for r in [&scaled, &tracked] {
        // The stage sits after PUE: IT draw and what happened are untouched.
        assert_eq!(r.it_energy_wh.to_bits(), plain.it_energy_wh.to_bits());
        assert_eq!(r.chip_ms_by_state, plain.chip_ms_by_state);
        assert_eq!(output::failures_csv(r), output::failures_csv(&plain));
        // Doubling is exact in binary floating point, so extremes double exactly.
        assert_eq!(r.power.peak_w, 2.0 * plain.power.peak_w);
        assert_eq!(r.power.min_w, 2.0 * plain.power.min_w);
    }
    assert_eq!(scaled.power.max_drop_w, 2.0 * plain.power.max_drop_w);
    // On its own track a drop is the difference of two rounded draws: within a few ε of the peak.
    let slack = 4.0 * f64::EPSILON * tracked.power.peak_w;
    assert!(
        (tracked.power.max_drop_w - 2.0 * plain.power.max_drop_w).abs() <= slack,
        "{} vs 2 × {}",
        tracked.power.max_drop_w,
        plain.power.max_drop_w
    );
    // A fixed factor scales the IT track's figures: exactly twice.
    assert_eq!(scaled.power.energy_wh, 2.0 * plain.power.energy_wh);
    assert_eq!(scaled.power.bins_mw, plain.power.bins_mw.iter().map(|&(a, b, c)| (2.0 * a, 2.0 * b, 2.0 * c)).collect::<Vec<_>>());
    // Integrated on its own, the sum is taken in another order: equal to rounding.
    // A sum of n positive terms carries at most (n − 1)·ε relative rounding, each
    // term a few ε more (products, unit changes): both sums within (n + 4)·ε of
    // the exact one, so within (2n + 8)·ε of each other. n: the steps of the run.
    let n = tracked.stats.processed as f64;
    let rel = (2.0 * n + 8.0) * f64::EPSILON;
    let (e, e2) = (tracked.power.energy_wh, 2.0 * plain.power.energy_wh);
    assert!((e - e2).abs() <= rel * e2, "{e} vs 2 × {}", plain.power.energy_wh);
    assert_eq!(tracked.power.bins_mw.len(), plain.power.bins_mw.len());
    for (a, b) in tracked.power.bins_mw.iter().zip(&plain.power.bins_mw) {
        assert!((a.0 - 2.0 * b.0).abs() <= rel * 2.0 * b.0, "bin mean {} vs 2 × {}", a.0, b.0);
        assert_eq!((a.1, a.2), (2.0 * b.1, 2.0 * b.2));
    }
    // Its zoom and drops are at the same instants as the IT series, and the
    // files and charts come out whole.
    assert!(!tracked.power.zoom.is_empty());
    assert_eq!(tracked.zoom.iter().map(|z| z.0).collect::<Vec<_>>(), tracked.power.zoom.iter().map(|z| z.0).collect::<Vec<_>>());
    let dir = tempfile::tempdir().expect("temp dir");
    output::write_run(&tracked, dir.path()).expect("outputs written");
    let zoom = std::fs::read_to_string(dir.path().join("power_zoom.csv")).expect("zoom file");
    assert!(zoom.lines().skip(1).all(|l| l.split(',').all(|c| !c.is_empty())), "no blank cells:\n{zoom}");
    let charts = gigasim::plot::run_charts(dir.path(), &dir.path().join("charts")).expect("charts drawn");
    assert!(charts.iter().any(|p| p.ends_with("power_zoom.png")));
    assert_eq!(tracked.summary().power.facility_peak_mw, 2.0 * plain.summary().power.facility_peak_mw);
}

// ---------------------------------------------------------------- repair flow

/// Misdiagnosis: the first crew repair of every outage does not fix it; the
/// crew repairs it a second time.
struct FailsOnce;
impl RepairFlow for FailsOnce {
    fn first(&mut self, o: &OutageView) -> RepairStage {
        if o.failure.permanent { RepairStage::CrewRepair } else { RepairStage::Reboot }
    }
    fn with_crew(&mut self, _: &OutageView, stage: RepairStage, _: u32) -> RepairStage {
        stage
    }
    fn after(&mut self, o: &OutageView, stage: RepairStage) -> Option<RepairStage> {
        (stage == RepairStage::CrewRepair && o.stages_done == 1).then_some(RepairStage::CrewRepair)
    }
}

/// Every node fails 10 h after it is up; a crew repairs it in 2 h (enough
/// crews, no waiting). Over 120 h: 10 failures of 2 h each per node; if every
/// repair is done twice, 8 failures of 4 h each.
#[test]
fn a_repair_flow_from_outside_the_crate_routes_outages() {
    let s = small_site(false, "(crews: 8, spare_nodes: 0, swap: Fixed(hours: 0.5))", 5.0);
    let class = clockwork(Level::Node, 10.0, Outcome::Permanent { repair: Law::fixed(2.0) });
    let run = |flow: bool| -> Report {
        let mut b = Simulation::builder(&s).failure_class(class.clone());
        if flow {
            b = b.repair_flow(Box::new(FailsOnce));
        }
        b.build().run()
    };
    let chip_ms = |node_hours: f64| (node_hours * 4.0 * 3.6e6) as u128;
    let standard = run(false);
    assert_eq!(standard.failures.len(), 8 * 10);
    assert_eq!(standard.time.down, chip_ms(8.0 * 10.0 * 2.0));
    let twice = run(true);
    assert_eq!(twice.failures.len(), 8 * 8);
    assert_eq!(twice.time.down, chip_ms(8.0 * 8.0 * 4.0));
}

/// Escalation: every outage is first rebooted (0.1 h); the reboot does not fix
/// it, so it waits for the one crew, who repairs it in 2 h.
struct Escalate;
impl RepairFlow for Escalate {
    fn first(&mut self, _: &OutageView) -> RepairStage {
        RepairStage::Reboot
    }
    fn with_crew(&mut self, _: &OutageView, stage: RepairStage, _: u32) -> RepairStage {
        stage
    }
    fn after(&mut self, _: &OutageView, stage: RepairStage) -> Option<RepairStage> {
        (stage == RepairStage::Reboot).then_some(RepairStage::CrewRepair)
    }
    fn stage_hours(&mut self, _: &OutageView, stage: RepairStage) -> Option<f64> {
        (stage == RepairStage::CrewRepair).then_some(2.0)
    }
}

/// All 8 nodes fail at 10 h; after their reboots they queue for one crew:
/// back at 12.1 h, 14.1 h, 16.1 h, 18.1 h, … (20 h horizon).
#[test]
fn an_escalated_outage_waits_for_a_crew() {
    let s = small_site(false, "(crews: 1, spare_nodes: 0, swap: Fixed(hours: 0.5))", 20.0 / 24.0);
    let node = clockwork(Level::Node, 10.0, Outcome::Transient { reboot: Law::fixed(0.1) });
    let mut sim = Simulation::builder(&s).failure_class(node).repair_flow(Box::new(Escalate)).build();
    sim.run_until(hours(10.05));
    assert_eq!(sim.repair_state(), (1, 0, 0), "rebooting needs no crew");
    sim.run_until(hours(11.0));
    assert_eq!(sim.repair_state(), (0, 7, 0), "one repair under way, seven waiting");
    sim.run_until(hours(19.0));
    assert_eq!((sim.open_outages(), sim.repair_state()), (4, (0, 3, 0)));
    let r = sim.run();
    let down_node_hours = (2.1 + 4.1 + 6.1 + 8.1) + 4.0 * 10.0;
    assert_eq!(r.time.down, (down_node_hours * 4.0 * 3.6e6_f64).round() as u128);
}

/// A flow asking for a swap with no spare in stock gets a crew repair.
struct AlwaysSwap;
impl RepairFlow for AlwaysSwap {
    fn first(&mut self, _: &OutageView) -> RepairStage {
        RepairStage::CrewRepair
    }
    fn with_crew(&mut self, _: &OutageView, _: RepairStage, _: u32) -> RepairStage {
        RepairStage::SpareSwap
    }
    fn after(&mut self, _: &OutageView, _: RepairStage) -> Option<RepairStage> {
        None
    }
}

#[test]
fn a_swap_takes_a_spare_from_stock_or_becomes_a_repair() {
    let s = small_site(false, "(crews: 8, spare_nodes: 1, swap: Fixed(hours: 0.5))", 1.0);
    let node = clockwork(Level::Node, 10.0, Outcome::Permanent { repair: Law::fixed(3.0) });
    let mut sim = Simulation::builder(&s).failure_class(node).repair_flow(Box::new(AlwaysSwap)).build();
    sim.run_until(hours(10.6));
    assert_eq!((sim.open_outages(), sim.repair_state()), (7, (1, 0, 0)), "one swap (0.5 h) done; seven repairs (3 h) under way");
    sim.run_until(hours(13.6));
    assert_eq!((sim.open_outages(), sim.repair_state()), (0, (8, 0, 1)), "the swapped-out node is back in stock at 13.5 h");
}

// ---------------------------------------------------------------- step-level

/// The single pod reboots at 10 h (1 h): step through the frontier job's life
/// and check the pool, the ledger, the job and the repair state at each step.
#[test]
fn stepping_through_a_pod_outage() {
    let s = small_site(true, REPAIR, 1.0);
    let pod = clockwork(Level::Pod, 10.0, Outcome::Transient { reboot: Law::fixed(1.0) });
    let mut sim = Simulation::builder(&s).failure_class(pod).build();
    let frontier = 0;
    let l = |sim: &Simulation, st: ChipState| sim.ledger().count(st);

    sim.run_until(hours(0.5));
    assert_eq!(sim.job_phase(frontier), Some(Phase::Running));
    assert_eq!(sim.job_nodes(frontier), (4, 1));
    assert_eq!(sim.free_nodes(), 3);
    assert_eq!((l(&sim, ChipState::Busy), l(&sim, ChipState::Spare), l(&sim, ChipState::Idle)), (16, 4, 12));

    sim.run_until(hours(1.05));
    assert_eq!(sim.job_phase(frontier), Some(Phase::Checkpointing), "writing its first checkpoint (1.0 h to 1.1 h)");
    assert_eq!(l(&sim, ChipState::Checkpoint), 16);

    sim.run_until(hours(10.0) + gigasim::engine::Duration::from_millis(1));
    assert_eq!(sim.job_phase(frontier), Some(Phase::Waiting), "every node is down");
    assert_eq!(sim.job_nodes(frontier), (0, 0));
    assert_eq!((sim.free_nodes(), l(&sim, ChipState::Down), sim.ledger().up_nodes()), (0, 32, 0));
    assert_eq!((sim.open_outages(), sim.record().interruptions), (1, 1));
    assert_eq!(sim.repair_state(), (2, 0, 1), "a reboot needs no crew and no spare");

    sim.run_until(hours(11.0) + gigasim::engine::Duration::from_millis(1));
    assert_eq!(sim.job_phase(frontier), Some(Phase::Restarting));
    assert_eq!((sim.job_nodes(frontier), sim.free_nodes(), sim.open_outages()), ((4, 1), 3, 0));
    assert_eq!(
        (l(&sim, ChipState::Restart), l(&sim, ChipState::Down), l(&sim, ChipState::Spare), l(&sim, ChipState::Idle)),
        (16, 0, 4, 12)
    );

    sim.run_until(hours(11.6));
    assert_eq!(sim.job_phase(frontier), Some(Phase::Running));
    let r = sim.run();
    assert_eq!(r.frontier[0].interruptions, 2, "the pod fails again at 21 h");
}

/// Eight nodes fail for good at once; two crews and one spare node: the first
/// outage is swapped (0.5 h), the second repaired in place (3 h), six wait.
#[test]
fn stepping_through_the_crew_queue_and_the_spare_stock() {
    let s = small_site(false, REPAIR, 1.0);
    let node = clockwork(Level::Node, 10.0, Outcome::Permanent { repair: Law::fixed(3.0) });
    let mut sim = Simulation::builder(&s).failure_class(node).build();
    sim.run_until(hours(10.0));
    assert_eq!((sim.open_outages(), sim.repair_state()), (8, (0, 6, 0)));
    sim.run_until(hours(10.6));
    // The swap is over: that node is up, its crew took the next outage, and no
    // spare is back yet (the broken node is 3 h on the bench).
    assert_eq!((sim.open_outages(), sim.repair_state(), sim.free_nodes()), (7, (0, 5, 0), 1));
    sim.run_until(hours(13.0) + gigasim::engine::Duration::from_millis(1));
    // 13.0: the in-place repair is over; 13.5 would bring the spare back.
    assert_eq!((sim.open_outages(), sim.repair_state()), (6, (0, 4, 0)));
    sim.run_until(hours(13.6));
    // 13.5: the spare is back first (scheduled first), then the third repair ends
    // and its crew swaps that spare in for the next outage.
    assert_eq!(sim.repair_state(), (0, 3, 0), "the spare came back at 13.5 h and was swapped in at once");
    assert_eq!(sim.open_outages(), 5);
}
