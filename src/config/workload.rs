//! The workload schema (`models/workload/*.ron`): frontier jobs, tenants with
//! their entitled shares and job classes, the scheduler, and an optional trace.

use super::law::Law;
use super::num::{Count, NonNeg, Positive, Prob};
use super::trace::TraceOptions;
use serde::{Deserialize, Serialize};

/// Checkpoint policy: write every `interval_hours` of computed work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpointing {
    /// Work between persistent checkpoints, with `policy: Fixed` (the default).
    pub interval_hours: Positive,
    /// Fixed part of a persistent checkpoint's write (serialisation, barriers); the
    /// whole write without `size_gb_per_chip`. Synchronous: the job stalls for it.
    #[serde(default = "zero")]
    pub write_hours: NonNeg,
    /// Also write a checkpoint when the last piece of work is done.
    #[serde(default = "yes")]
    pub at_end: bool,
    /// How the interval is chosen: `Fixed` (`interval_hours`), `Young` or `Daly`
    /// from the stall and the job's mean time between failures as the failure
    /// model gives it (frontier jobs), or `Adaptive` from the failures it has seen.
    /// With a memory level they tune the persistent interval to the failures the
    /// memory level cannot serve.
    #[serde(default)]
    pub policy: IntervalPolicy,
    /// `Sync` (stall for the whole write) or `Async(snapshot_hours)`: stall for the
    /// snapshot, write in the background; the checkpoint counts once persisted.
    #[serde(default)]
    pub mechanism: Mechanism,
    /// Optional: checkpoint state per chip (GB). The write then also moves
    /// `chips × size` through the facility's shared storage, and a restart from
    /// storage reads it back (docs/sources.md S14).
    #[serde(default)]
    pub size_gb_per_chip: Option<Positive>,
    /// Optional: a fast level in the memory of peer nodes, written between the
    /// persistent checkpoints (Gemini-style, docs/sources.md S14).
    #[serde(default)]
    pub memory: Option<MemoryLevel>,
}

/// How a job's checkpoint interval is chosen (docs/sources.md, S4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum IntervalPolicy {
    #[default]
    Fixed,
    /// τ = √(2δM) (Young 1974).
    Young,
    /// Daly's higher-order optimum (Daly 2006, Eq. 20).
    Daly,
    /// Daly's optimum for the mean time between failures the job estimates from
    /// the interruptions it has seen: (prior_failures × prior_mtbf_hours + hours
    /// computed) / (prior_failures + interruptions), retuned at every checkpoint.
    Adaptive { prior_mtbf_hours: Positive, prior_failures: Positive },
}

/// How a persistent checkpoint is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Mechanism {
    /// The job stalls until the checkpoint is written.
    #[default]
    Sync,
    /// The job stalls for the snapshot (device to host copy), then computes on while
    /// the write proceeds; a failure before it persists falls back to the one before.
    Async { snapshot_hours: NonNeg },
}

/// A checkpoint level in host memory, each node's copy also held by the other
/// nodes of its group (buddy pairs with `group_nodes: 2, tolerates: 1`; an
/// erasure code over more). Node, rack and pod failures destroy the copies on
/// their nodes; chip failures leave host memory intact.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryLevel {
    /// Work between in-memory checkpoints (each persistent one refreshes memory too).
    pub interval_hours: Positive,
    /// Stall per in-memory checkpoint.
    pub write_hours: NonNeg,
    /// Restart time when restoring from memory (instead of `restart_hours`).
    pub restore_hours: NonNeg,
    /// Nodes (neighbouring node ids) that hold each other's copies.
    #[serde(default = "two", deserialize_with = "super::num::whole_u32")]
    pub group_nodes: u32,
    /// Nodes a group can lose and still restore.
    #[serde(default = "one", deserialize_with = "super::num::whole_u32")]
    pub tolerates: u32,
}

fn two() -> u32 {
    2
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// What a frontier job does when a failure leaves it short of nodes and its hot spares are gone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recovery {
    /// Wait until its own broken nodes are repaired.
    #[default]
    WaitForRepair,
    /// Take free healthy nodes from the shared pool, if any.
    BorrowFree,
    /// Take free nodes, then preempt (requeue) tenant jobs for the rest: the
    /// tenants' jobs it stops are counted as second-order preemptions.
    PreemptTenants,
}

/// A gang-scheduled training job that owns part of the site from the start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontierJob {
    pub name: String,
    /// The tenant it belongs to (its chip-time counts toward that tenant's share).
    #[serde(default)]
    pub tenant: Option<String>,
    /// Chips computing; rounded up to whole nodes.
    pub chips: Count,
    /// Failure-free compute time needed, in hours at full size.
    pub work_hours: Positive,
    pub checkpoint: Option<Checkpointing>,
    /// Time from an interruption (with healthy nodes at hand) to computing again.
    pub restart_hours: NonNeg,
    /// Healthy extra nodes the job holds to swap in at once after a failure.
    #[serde(deserialize_with = "super::num::whole_u32")]
    pub hot_spare_nodes: u32,
    /// Where it finds nodes when short of them and out of spares.
    #[serde(default)]
    pub recovery: Recovery,
    /// Optional: time to select and set up hosts that join it (a hot spare or a
    /// borrowed node), added to the restart that follows; 0 by default.
    #[serde(default = "zero")]
    pub host_selection_hours: NonNeg,
    /// Optional: instead of waiting for nodes, run on fewer (at least `min_share` of
    /// its nodes) at a lower speed, and grow back at the first checkpoint after
    /// nodes return (paying a restart, losing nothing).
    #[serde(default)]
    pub elastic: Option<Elastic>,
}

/// Elastic restart: how few nodes a frontier job runs on, and how fast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Elastic {
    /// The least share of its nodes it runs on; with fewer it waits.
    pub min_share: Prob,
    /// Its speed at a share of its nodes, as (share, speed) points, linear in
    /// between and up to (1, 1); empty (the default): speed = share.
    #[serde(default)]
    pub scaling: Vec<(Prob, Prob)>,
}

impl Elastic {
    /// The speed on `share` of its nodes.
    pub fn speed(&self, share: f64) -> f64 {
        if share >= 1.0 {
            return 1.0;
        }
        let mut pts: Vec<(f64, f64)> = self.scaling.iter().map(|(a, b)| (a.get(), b.get())).collect();
        if pts.is_empty() {
            return share;
        }
        pts.push((1.0, 1.0));
        match pts.iter().position(|p| p.0 >= share) {
            Some(0) => pts[0].1 * share / pts[0].0.max(1e-12),
            Some(i) => {
                let (a, b) = (pts[i - 1], pts[i]);
                a.1 + (b.1 - a.1) * (share - a.0) / (b.0 - a.0).max(1e-12)
            }
            None => 1.0,
        }
    }
}

/// Job sizes in chips.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SizeLaw {
    Fixed(Count),
    /// (chips, weight) pairs; weights need not sum to 1.
    Choice(Vec<(Count, Positive)>),
}

impl SizeLaw {
    pub fn sizes(&self) -> Vec<u32> {
        match self {
            SizeLaw::Fixed(c) => vec![c.get()],
            SizeLaw::Choice(v) => v.iter().map(|(c, _)| c.get()).collect(),
        }
    }
}

/// The wall time a job asks for; it is killed when one attempt runs longer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum WallTime {
    /// No limit.
    #[default]
    Unlimited,
    /// This many times the job's failure-free run time.
    Factor(Positive),
    /// Drawn from a law, whatever the job's run time.
    Hours(Law),
}

/// Where a job's nodes may lie.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Placement {
    /// Any free nodes.
    #[default]
    Anywhere,
    /// A job no larger than a rack runs inside one rack (the scale-up domain,
    /// e.g. one NVL72); larger jobs take any nodes.
    OneRack,
}

/// A class of a tenant's jobs: Poisson arrivals with size and duration laws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobClass {
    pub name: String,
    pub arrivals_per_hour: Positive,
    pub chips: SizeLaw,
    /// Failure-free run time of one job, in hours.
    pub work_hours: Law,
    /// Share of jobs that checkpoint (with `checkpoint`); the others lose all work on a failure.
    pub p_checkpoint: Prob,
    pub checkpoint: Checkpointing,
    pub restart_hours: NonNeg,
    #[serde(default)]
    pub walltime: WallTime,
    /// A job killed at its wall time goes back to the queue (else it ends as killed).
    #[serde(default)]
    pub requeue_on_timeout: bool,
    #[serde(default)]
    pub placement: Placement,
}

/// A tenant's entitlement.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Share {
    /// A fraction of the site.
    Fraction(Prob),
    /// A number of chips.
    Chips(Count),
}

impl Default for Share {
    fn default() -> Self {
        Share::Fraction(Prob::new(0.0))
    }
}

/// A community or organisation using the site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    pub name: String,
    #[serde(default)]
    pub share: Share,
    /// QOS tier: a higher tier is served first and may preempt lower tiers' preemptible jobs.
    #[serde(default, deserialize_with = "super::num::whole_u32")]
    pub priority_tier: u32,
    /// Its jobs may be preempted by a higher tier or a frontier job's recovery.
    #[serde(default)]
    pub preemptible: bool,
    #[serde(default)]
    pub classes: Vec<JobClass>,
}

/// The order in which queued jobs are considered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Order {
    /// First come, first served; an interrupted job goes back to the front.
    #[default]
    Fcfs,
    /// Slurm's multifactor priority with classic fair share: a higher
    /// priority tier first, then weight_fair_share × 2^(−usage/share) +
    /// weight_age × min(1, age/max_age), usage decaying with a half-life.
    FairShare {
        #[serde(default = "week")]
        half_life_hours: Positive,
        #[serde(default = "w_fs")]
        weight_fair_share: NonNeg,
        #[serde(default = "w_age")]
        weight_age: NonNeg,
        #[serde(default = "week")]
        max_age_hours: Positive,
    },
}

fn week() -> Positive {
    Positive::new(168.0)
}
fn w_fs() -> NonNeg {
    NonNeg::new(10_000.0)
}
fn w_age() -> NonNeg {
    NonNeg::new(1_000.0)
}

/// EASY backfill: the first job that cannot start gets a reservation at the
/// earliest time the requested wall times of running jobs free enough room;
/// later jobs start now only if they do not delay it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backfill {
    /// Queued jobs tested per pass (Slurm's bf_max_job_test).
    #[serde(default = "hundred", deserialize_with = "super::num::whole_u32")]
    pub max_jobs_tested: u32,
}

pub(super) fn zero_hours() -> NonNeg {
    zero()
}

fn zero() -> NonNeg {
    NonNeg::new(0.0)
}

fn hundred() -> u32 {
    100
}

/// Preemption by priority tier: a job that cannot start stops preemptible
/// jobs of lower tiers, youngest first, and they go back to the queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preemption {
    /// How often one job may be preempted; then it runs to its end.
    #[serde(default = "three", deserialize_with = "super::num::whole_u32")]
    pub max_per_job: u32,
    #[serde(default)]
    pub mode: PreemptMode,
}

/// What a preempted job does with its unsaved work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PreemptMode {
    /// Stopped at once: work since its last checkpoint is lost (Slurm's REQUEUE).
    #[default]
    Requeue,
    /// A job that checkpoints first writes a checkpoint (its write time, holding
    /// its chips), then goes back to the queue with nothing lost; one that does
    /// not checkpoint is requeued at once.
    CheckpointRequeue,
}

fn three() -> u32 {
    3
}

/// How the queue is served: an order, optionally with backfill and preemption.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSpec {
    #[serde(default)]
    pub order: Order,
    #[serde(default)]
    pub backfill: Option<Backfill>,
    #[serde(default)]
    pub preemption: Option<Preemption>,
}

impl SchedulerSpec {
    /// The combination's name, e.g. `fair_share+backfill+preemption`.
    pub fn policy_name(&self) -> String {
        let mut s = match self.order {
            Order::Fcfs => "fcfs",
            Order::FairShare { .. } => "fair_share",
        }
        .to_string();
        if self.backfill.is_some() {
            s += "+backfill";
        }
        if self.preemption.is_some() {
            s += "+preemption";
        }
        s
    }
}

/// A job trace replayed in place of the tenants' job classes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSpec {
    /// CSV (`submit_h,tenant,chips,run_h,walltime_h[,ckpt_h]`) or SWF (`.swf`);
    /// relative to the workload file.
    pub file: String,
    #[serde(default)]
    pub options: TraceOptions,
    /// Checkpoint write time of trace jobs that give a `ckpt_h`.
    #[serde(default = "zero")]
    pub write_hours: NonNeg,
    /// Restart time of an interrupted trace job.
    #[serde(default = "zero")]
    pub restart_hours: NonNeg,
}

/// `models/workload/*.ron`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    pub frontier: Vec<FrontierJob>,
    #[serde(default)]
    pub tenants: Vec<Tenant>,
    /// How the queue is served (optional; first come, first served when left out).
    #[serde(default)]
    pub scheduler: SchedulerSpec,
    #[serde(default)]
    pub trace: Option<TraceSpec>,
    /// The tenant that trace jobs of tenants not named here join.
    #[serde(default)]
    pub default_tenant: Option<String>,
}

impl TraceSpec {
    /// Replay `file` with default options.
    pub fn new(file: impl Into<String>) -> Self {
        Self { file: file.into(), options: TraceOptions::default(), write_hours: zero(), restart_hours: zero() }
    }
}

impl Workload {
    /// Index of the tenant called `name`.
    pub fn tenant_index(&self, name: &str) -> Option<usize> {
        self.tenants.iter().position(|t| t.name == name)
    }
    /// The job classes in order, each with its tenant's index.
    pub fn classes(&self) -> impl Iterator<Item = (usize, &JobClass)> {
        self.tenants.iter().enumerate().flat_map(|(i, t)| t.classes.iter().map(move |c| (i, c)))
    }
}
