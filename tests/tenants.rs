//! Step-level tests of the shared site: sub-node jobs packed on shared nodes,
//! wall-time kills, preemption by tier with its limit, a frontier job's
//! recovery by preempting tenants, and placement inside one rack.
mod common;

use gigasim::config::{Category, DurationLaw, Law, Level, Outcome, Placement, Scenario};
use gigasim::engine::{SimRng, SimTime};
use gigasim::sim::power::ChipState;
use gigasim::sim::{CheckpointPolicy, FailureClass, JobRequest, Phase, Role};
use gigasim::{Simulation, output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn hours(h: f64) -> SimTime {
    SimTime::from_hours(h)
}

use common::Listed;

/// The first clock drawn fails after `at` hours, every other never: one unit fails once.
#[derive(Debug)]
struct FirstOnly {
    at: f64,
    used: AtomicBool,
}
impl DurationLaw for FirstOnly {
    fn sample_hours(&self, _: &mut SimRng) -> f64 {
        if self.used.swap(true, Ordering::SeqCst) { f64::INFINITY } else { self.at }
    }
    fn mean_hours(&self) -> f64 {
        self.at
    }
}

/// Node 0 fails once at `at` hours and is back `reboot` hours later.
fn node0_fails(at: f64, reboot: f64) -> FailureClass {
    let law = Arc::new(FirstOnly { at, used: AtomicBool::new(false) });
    FailureClass::new("node 0", Category::Host, Level::Node, law, Outcome::Transient { reboot: Law::fixed(reboot) })
}

/// `racks` racks of `nodes` nodes of 4 chips, no failures from the model; tenants
/// `low` (tier 0, preemptible) and `high` (tier 1); the given frontier jobs and scheduler.
fn site(racks: u32, nodes: u32, frontier: &str, scheduler: &str) -> Scenario {
    common::scenario(&format!(
        "(name: \"site\", horizon_days: 2.0, seed: 1, power_bin_minutes: 60.0,
          facility: (name: \"f\", chip: \"x\", chips_per_node: 4, nodes_per_rack: {nodes}, racks_per_pod: {racks}, pods: 1),
          failure: (name: \"none\", classes: [], repair: (crews: 1, spare_nodes: 0, swap: Fixed(hours: 1.0))),
          power: {}, workload: (name: \"w\", frontier: [{frontier}],
            tenants: [(name: \"low\", share: Fraction(0.5), preemptible: true), (name: \"high\", share: Fraction(0.5), priority_tier: 1)],
            scheduler: {scheduler}))",
        common::power_ron()
    ))
}

fn job(tenant: u16, chips: u32, run: f64) -> JobRequest {
    JobRequest::new(chips, run).tenant(Some(tenant))
}

#[test]
fn sub_node_jobs_share_a_node_and_its_failure_interrupts_every_one_of_them() {
    let s = site(1, 2, "", "()");
    let jobs = vec![(0.1, job(0, 1, 10.0)), (0.2, job(0, 2, 10.0)), (0.3, job(1, 1, 10.0)), (0.4, job(0, 4, 10.0))];
    let mut sim = Simulation::builder(&s).job_source(Box::new(Listed { jobs })).failure_class(node0_fails(1.0, 0.5)).build();
    sim.run_until(hours(0.5));
    // Chips 1 + 2 + 1 on the first node taken; the 4-chip job takes the other node whole.
    let shared: Vec<u32> = (0..2).filter(|&n| sim.node_role(n).unwrap().0 == Role::Shared).collect();
    assert_eq!(shared.len(), 1, "the three small jobs share one node");
    assert_eq!((sim.free_nodes(), sim.ledger().count(ChipState::Busy)), (0, 8));
    assert_eq!(shared[0], 0, "allocation starts at node 0");
    sim.run_until(hours(1.2));
    assert_eq!(sim.record().interruptions, 3, "node 0's failure interrupts each of its three jobs, not the whole-node job");
    assert_eq!(sim.queued_jobs(), 3);
    assert_eq!(sim.ledger().count(ChipState::Down), 4);
    assert_eq!(sim.ledger().count(ChipState::Busy), 4);
    sim.run_until(hours(1.6));
    assert_eq!((sim.queued_jobs(), sim.ledger().count(ChipState::Busy)), (0, 8), "back on the node once it is up");
}

#[test]
fn a_job_past_its_wall_time_is_killed_one_that_checkpoints_and_requeues_completes() {
    let s = site(1, 4, "", "()");
    let ckpt = Some(CheckpointPolicy::new(0.5, 0.0).at_end(false));
    let jobs = vec![
        (0.0, job(0, 4, 2.0).walltime(Some(1.0), false)),
        (0.0, job(0, 4, 2.0).walltime(Some(3.0), false)),
        (0.0, job(1, 4, 2.0).checkpoint(ckpt).walltime(Some(1.25), true)),
    ];
    let r = Simulation::builder(&s).job_source(Box::new(Listed { jobs })).build().run();
    let sum = r.summary();
    let (low, high) = (&sum.tenants["low"], &sum.tenants["high"]);
    assert_eq!((low.jobs_killed, low.jobs_completed), (1, 1), "{low:?}");
    // Killed once it runs longer than its wall time: at the next 1 ms tick.
    let tick = 1.0 / 3.6e6;
    assert!((low.lost_chip_hours - 4.0 * (1.0 + tick)).abs() < 1e-9, "the killed job loses its hour on 4 chips: {}", low.lost_chip_hours);
    // Saved 1.0 h by 1.25 h, killed, requeued, done after 1.0 h more: 0.25 h lost on 4 chips.
    assert_eq!((high.jobs_killed, high.jobs_completed, high.interruptions), (0, 1, 1), "{high:?}");
    assert!((high.lost_chip_hours - 4.0 * (0.25 + tick)).abs() < 1e-9, "{}", high.lost_chip_hours);
    let csv = String::from_utf8(output::jobs_csv(&r)).unwrap();
    assert_eq!(csv.lines().filter(|l| l.contains(",killed,")).count(), 1);
}

#[test]
fn a_higher_tier_preempts_preemptible_jobs_and_each_job_at_most_max_per_job_times() {
    let s = site(1, 2, "", "(preemption: Some((max_per_job: 1)))");
    let jobs = vec![(0.1, job(0, 8, 10.0)), (1.0, job(1, 4, 2.0)), (4.0, job(1, 4, 2.0))];
    let mut sim = Simulation::builder(&s).job_source(Box::new(Listed { jobs })).build();
    sim.run_until(hours(1.5));
    let low = sim.queue().next().copied().expect("the preempted job waits");
    assert_eq!((low.tenant, low.preemptions, low.nodes), (0, 1, 2));
    assert_eq!(sim.free_nodes(), 1, "the high-tier job took one of the two nodes it freed");
    // At 3 h the high job ends and the low one restarts; at 4 h it may not be preempted again.
    sim.run_until(hours(4.5));
    let waiting: Vec<u16> = sim.queue().map(|j| j.tenant).collect();
    assert_eq!(waiting, vec![1], "the second high-tier job waits: the low job was preempted once already");
    let sum = sim.run().summary();
    assert_eq!((sum.tenants["low"].jobs_preempted, sum.tenants["low"].preemptions), (1, 1));
    assert_eq!(sum.scheduler.policy, "fcfs+preemption");
}

#[test]
fn a_frontier_job_short_of_nodes_preempts_tenant_jobs_when_its_recovery_says_so() {
    for (recovery, preempted) in [("PreemptTenants", 1), ("BorrowFree", 0), ("WaitForRepair", 0)] {
        let frontier = format!(
            "(name: \"big\", tenant: Some(\"high\"), chips: 8, work_hours: 100.0, checkpoint: None, restart_hours: 0.0, hot_spare_nodes: 0, recovery: {recovery})"
        );
        let s = site(1, 4, &frontier, "()");
        // The tenant job takes the two nodes the frontier job leaves; node 0 (the frontier job's) fails at 1 h for 5 h.
        let jobs = vec![(0.1, job(0, 8, 20.0))];
        let mut sim = Simulation::builder(&s).job_source(Box::new(Listed { jobs })).failure_class(node0_fails(1.0, 5.0)).build();
        sim.run_until(hours(1.5));
        let phase = sim.job_phase(0).unwrap();
        assert_eq!(phase == Phase::Running, preempted == 1, "{recovery}: frontier job {phase:?}");
        assert_eq!(sim.record().second_order_preemptions, preempted, "{recovery}");
        assert_eq!(sim.queued_jobs() as u64, preempted, "{recovery}: the preempted tenant job waits in the queue");
    }
}

#[test]
fn a_one_rack_job_waits_for_a_whole_rack_where_a_job_placed_anywhere_spans_two() {
    // Two racks of 4 nodes: a 1-node job (1 h) on node 0, a 6-node job (10 h) on
    // nodes 1-6. After 1 h the free nodes are 0 (rack 0) and 7 (rack 1).
    let racks_of = |sim: &Simulation| -> Vec<u32> {
        let mut r: Vec<u32> = (0..8).filter(|&n| sim.node_role(n).unwrap().0 == Role::Active).map(|n| n / 4).collect();
        r.dedup();
        r
    };
    for placement in [Placement::Anywhere, Placement::OneRack] {
        let s = site(2, 4, "", "()");
        let jobs = vec![(0.1, job(0, 4, 1.0)), (0.2, job(0, 24, 10.0)), (2.0, job(1, 8, 20.0).placement(placement))];
        let mut sim = Simulation::builder(&s).job_source(Box::new(Listed { jobs })).build();
        sim.run_until(hours(3.0));
        match placement {
            Placement::Anywhere => assert_eq!((sim.queued_jobs(), sim.free_nodes()), (0, 0), "placed anywhere, it spans both racks"),
            Placement::OneRack => assert_eq!((sim.queued_jobs(), sim.free_nodes()), (1, 2), "one free node per rack: it waits"),
        }
        // The 6-node job ends at 10.2 h; then only the 2-node job runs.
        sim.run_until(hours(10.5));
        let want = if placement == Placement::OneRack { 1 } else { 2 };
        assert_eq!(racks_of(&sim).len(), want, "{placement:?}: racks of the 2-node job {:?}", racks_of(&sim));
    }
}

#[test]
fn checkpoint_and_requeue_saves_the_preempted_jobs_work_and_makes_the_preemptor_wait_for_it() {
    // The low job (8 chips, checkpoints every hour with a 0.1 h write) starts at 0.1 h:
    // at 1.5 h it holds 0.3 h of unsaved work when a high-tier job needs its nodes.
    let ckpt = Some(CheckpointPolicy::new(1.0, 0.1).at_end(false));
    let run = |mode: &str| {
        let s = site(1, 2, "", &format!("(preemption: Some((max_per_job: 1, mode: {mode})))"));
        let jobs = vec![(0.1, job(0, 8, 10.0).checkpoint(ckpt)), (1.5, job(1, 4, 1.0))];
        Simulation::builder(&s).job_source(Box::new(Listed { jobs })).build().run().summary()
    };
    let (now, drained) = (run("Requeue"), run("CheckpointRequeue"));
    let lost = |s: &gigasim::report::Summary| s.tenants["low"].lost_chip_hours;
    assert!((lost(&now) - 8.0 * 0.3).abs() < 1e-6, "requeued at once, 0.3 h on 8 chips is lost: {}", lost(&now));
    assert!(lost(&drained) < 1e-9, "written out first, nothing is lost: {}", lost(&drained));
    assert_eq!((now.tenants["low"].preemptions, drained.tenants["low"].preemptions), (1, 1));
    let wait = |s: &gigasim::report::Summary| s.tenants["high"].wait_mean_h;
    assert!(
        wait(&now) < 1e-6 && (wait(&drained) - 0.1).abs() < 1e-6,
        "the preemptor waits for the write: {} / {}",
        wait(&now),
        wait(&drained)
    );
}
