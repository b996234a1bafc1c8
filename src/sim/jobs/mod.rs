//! Jobs: what they are (requests from job sources, checkpoint policies) and
//! their state; `life.rs` carries a job through its phases.

mod life;
mod table;
mod trace;

pub(crate) use table::{Arrivals, JobTable};
pub use trace::TraceSource;

use super::power::ChipState;
use crate::config::{
    Checkpointing, DurationLaw, IntervalPolicy, JobClass, Law, Mechanism, MemoryLevel, Placement, SizeLaw, WallTime, exp_draw,
};
use crate::engine::{Duration, SimRng, SimTime};
use rand::RngExt;

/// The job family's events.
#[derive(Clone, Copy, Debug)]
pub enum JobEvent {
    /// The current phase of a job ends (restart, compute segment, checkpoint write).
    PhaseEnd { job: u32, epoch: u32 },
    /// A job arrives from a job source.
    Arrival { source: u16 },
    /// Attempt `attempt` of a job reaches its requested wall time.
    WallTime { job: u32, attempt: u32 },
    /// The fixed part of a job's background (asynchronous) write `generation` is over.
    Background { job: u32, generation: u32 },
}

/// How a job checkpoints. `CheckpointPolicy::new(interval, write)`, then `.at_end(false)`,
/// `.mechanism(..)`, `.size_gb_per_chip(..)`, `.memory(..)` or `.adaptive(..)` if wanted.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct CheckpointPolicy {
    pub interval_hours: f64,
    pub write_hours: f64,
    /// Also checkpoint after the last piece of work.
    pub at_end: bool,
    pub mechanism: Mechanism,
    /// Checkpoint state per chip, GB, moved through the site's storage (0: none).
    pub size_gb_per_chip: f64,
    pub memory: Option<MemoryLevel>,
    /// Retune the interval to the failures seen: (prior MTBF hours, prior failures).
    pub adaptive: Option<(f64, f64)>,
}

impl CheckpointPolicy {
    /// Write a checkpoint every `interval_hours` of computed work, stalling `write_hours`; also at the end.
    pub fn new(interval_hours: f64, write_hours: f64) -> Self {
        Self { interval_hours, write_hours, at_end: true, mechanism: Mechanism::Sync, size_gb_per_chip: 0.0, memory: None, adaptive: None }
    }
    pub fn at_end(mut self, at_end: bool) -> Self {
        self.at_end = at_end;
        self
    }
    pub fn mechanism(mut self, m: Mechanism) -> Self {
        self.mechanism = m;
        self
    }
    pub fn size_gb_per_chip(mut self, gb: f64) -> Self {
        self.size_gb_per_chip = gb;
        self
    }
    pub fn memory(mut self, m: Option<MemoryLevel>) -> Self {
        self.memory = m;
        self
    }
    pub fn adaptive(mut self, prior: Option<(f64, f64)>) -> Self {
        self.adaptive = prior;
        self
    }
}

impl From<&Checkpointing> for CheckpointPolicy {
    fn from(c: &Checkpointing) -> Self {
        let adaptive = match c.policy {
            IntervalPolicy::Adaptive { prior_mtbf_hours, prior_failures } => Some((prior_mtbf_hours.get(), prior_failures.get())),
            _ => None,
        };
        Self::new(c.interval_hours.get(), c.write_hours.get())
            .at_end(c.at_end)
            .mechanism(c.mechanism)
            .size_gb_per_chip(c.size_gb_per_chip.map_or(0.0, |g| g.get()))
            .memory(c.memory)
            .adaptive(adaptive)
    }
}

/// A job handed to the simulation by a [`JobSource`]: `JobRequest::new(chips, work_hours)`,
/// then `.checkpoint(..)` and `.restart_hours(..)` as needed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct JobRequest {
    pub chips: u32,
    /// Failure-free run time at this size, in hours.
    pub work_hours: f64,
    pub checkpoint: Option<CheckpointPolicy>,
    /// Time from resuming to computing again after an interruption, in hours.
    pub restart_hours: f64,
    /// The tenant it belongs to (index in the workload's tenants); `None`: its source's.
    pub tenant: Option<u16>,
    /// Requested wall time per attempt, hours; killed when an attempt runs longer.
    pub walltime_hours: Option<f64>,
    /// Back to the queue when killed at its wall time (else it ends as killed).
    pub requeue_on_timeout: bool,
    pub placement: Placement,
}

impl JobRequest {
    /// A job of `chips` chips needing `work_hours` of failure-free run time; no checkpoints, no restart time.
    pub fn new(chips: u32, work_hours: f64) -> Self {
        Self {
            chips,
            work_hours,
            checkpoint: None,
            restart_hours: 0.0,
            tenant: None,
            walltime_hours: None,
            requeue_on_timeout: false,
            placement: Placement::Anywhere,
        }
    }
    /// Where its nodes may lie (e.g. inside one rack, the scale-up domain).
    pub fn placement(mut self, p: Placement) -> Self {
        self.placement = p;
        self
    }
    pub fn tenant(mut self, tenant: Option<u16>) -> Self {
        self.tenant = tenant;
        self
    }
    /// Kill an attempt that runs longer than `hours` (`requeue`: then queue it again).
    pub fn walltime(mut self, hours: Option<f64>, requeue: bool) -> Self {
        self.walltime_hours = hours;
        self.requeue_on_timeout = requeue;
        self
    }
    pub fn checkpoint(mut self, policy: Option<CheckpointPolicy>) -> Self {
        self.checkpoint = policy;
        self
    }
    pub fn restart_hours(mut self, hours: f64) -> Self {
        self.restart_hours = hours;
        self
    }
}

/// A stream of arriving jobs. Implement it in your own crate to drive the site
/// with a workload gigasim does not ship; each source gets its own random stream.
pub trait JobSource: Send {
    fn name(&self) -> &str;
    /// The time until the next arrival (hours after `now_hours`) and that job,
    /// or `None` when the stream has ended.
    fn next(&mut self, now_hours: f64, rng: &mut SimRng) -> Option<(f64, JobRequest)>;
}

/// Poisson arrivals of one job class of a tenant, from a workload file.
#[derive(Clone, Debug)]
pub struct PoissonTenants {
    name: String,
    tenant: u16,
    walltime: WallTime,
    requeue_on_timeout: bool,
    placement: Placement,
    mean_gap_hours: f64,
    /// (chips, cumulative weight) pairs.
    sizes: Vec<(u32, f64)>,
    work: Law,
    p_checkpoint: f64,
    checkpoint: CheckpointPolicy,
    restart_hours: f64,
}

impl PoissonTenants {
    /// Class `t` of the tenant at index `tenant`.
    pub fn from_spec(t: &JobClass, tenant: u16) -> Self {
        let mut acc = 0.0;
        let sizes = match &t.chips {
            SizeLaw::Fixed(c) => vec![(c.get(), 1.0)],
            SizeLaw::Choice(v) => v
                .iter()
                .map(|(c, w)| {
                    acc += w.get();
                    (c.get(), acc)
                })
                .collect(),
        };
        Self {
            name: t.name.clone(),
            tenant,
            walltime: t.walltime.clone(),
            requeue_on_timeout: t.requeue_on_timeout,
            placement: t.placement,
            mean_gap_hours: 1.0 / t.arrivals_per_hour.get(),
            sizes,
            work: t.work_hours.clone(),
            p_checkpoint: t.p_checkpoint.get(),
            checkpoint: (&t.checkpoint).into(),
            restart_hours: t.restart_hours.get(),
        }
    }
}

impl JobSource for PoissonTenants {
    fn name(&self) -> &str {
        &self.name
    }
    fn next(&mut self, _now: f64, rng: &mut SimRng) -> Option<(f64, JobRequest)> {
        let gap = exp_draw(rng, self.mean_gap_hours);
        let total = self.sizes.last().map_or(1.0, |s| s.1);
        let u = rng.random::<f64>() * total;
        let chips = self.sizes.iter().find(|s| u < s.1).or(self.sizes.last()).map_or(1, |s| s.0);
        let work_hours = self.work.sample_hours(rng);
        let checkpoint = (rng.random::<f64>() < self.p_checkpoint).then_some(self.checkpoint);
        let walltime = match &self.walltime {
            WallTime::Unlimited => None,
            WallTime::Factor(f) => Some(f.get() * work_hours),
            WallTime::Hours(l) => Some(l.sample_hours(rng)),
        };
        let req = JobRequest::new(chips, work_hours).checkpoint(checkpoint).restart_hours(self.restart_hours);
        Some((gap, req.tenant(Some(self.tenant)).walltime(walltime, self.requeue_on_timeout).placement(self.placement)))
    }
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Queued,
    /// Holds fewer healthy nodes than it needs; waits for spares or repair.
    Waiting,
    Restarting,
    Running,
    Checkpointing,
    Done,
    /// Killed at its wall time and not requeued.
    Killed,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Waiting => "waiting",
            Phase::Restarting => "restarting",
            Phase::Running => "running",
            Phase::Checkpointing => "checkpointing",
            Phase::Done => "completed",
            Phase::Killed => "killed",
        }
    }
    /// Running on its nodes (restarting, computing or writing): a failure interrupts it.
    pub fn computing(self) -> bool {
        matches!(self, Phase::Restarting | Phase::Running | Phase::Checkpointing)
    }
    pub fn chip_state(self) -> ChipState {
        match self {
            Phase::Queued | Phase::Done | Phase::Killed => ChipState::Idle,
            Phase::Waiting => ChipState::Waiting,
            Phase::Restarting => ChipState::Restart,
            Phase::Running => ChipState::Busy,
            Phase::Checkpointing => ChipState::Checkpoint,
        }
    }
}

/// What a frontier job's progress trace marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Milestone {
    Start,
    Checkpoint,
    Interruption,
    Finished,
}

impl Milestone {
    pub fn label(self) -> &'static str {
        match self {
            Milestone::Start => "start",
            Milestone::Checkpoint => "checkpoint",
            Milestone::Interruption => "interruption",
            Milestone::Finished => "finished",
        }
    }
}

/// Checkpointing in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Ckpt {
    /// Work between persistent checkpoints, and the fixed part of each write.
    pub interval: u64,
    pub write: u64,
    pub at_end: bool,
    /// Asynchronous: the snapshot stall (the write goes on in the background).
    pub snapshot: Option<u64>,
    /// GB per chip moved through storage at each persistent write and restore (0: none).
    pub gb_per_chip: f64,
    pub mem: Option<MemCkpt>,
    /// A whole synchronous write (fixed part and transfer alone), ms: what a
    /// checkpoint on notice of maintenance costs.
    pub full_write: u64,
    /// The stall a persistent checkpoint costs (h), for Daly's interval, and the
    /// adaptive policy's prior (MTBF hours, failures).
    pub delta_h: f64,
    pub adaptive: Option<(f64, f64)>,
}

/// The in-memory level, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct MemCkpt {
    pub interval: u64,
    pub write: u64,
    pub restore: u64,
    pub group: u32,
    pub tolerates: u32,
}

/// Where a restart restores from: the contract's keys of `restarts_from`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RestoreLevel {
    Memory,
    Storage,
    /// Nothing saved yet: from the beginning.
    #[default]
    Scratch,
}

impl RestoreLevel {
    pub const ALL: [RestoreLevel; 3] = [RestoreLevel::Memory, RestoreLevel::Storage, RestoreLevel::Scratch];
    pub fn label(self) -> &'static str {
        match self {
            RestoreLevel::Memory => "memory",
            RestoreLevel::Storage => "storage",
            RestoreLevel::Scratch => "scratch",
        }
    }
}

/// What a job in `Checkpointing` or `Restarting` is doing now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Step {
    #[default]
    None,
    /// Writing the in-memory level.
    Memory,
    /// A persistent write: its fixed part, then its transfer to storage.
    Fixed,
    Transfer,
    /// Asynchronous: the snapshot stall.
    Snapshot,
    /// Stalled until the write in the background persists.
    WaitWrite,
    /// Restarting: reading the checkpoint back from storage.
    Read,
}

/// A job's checkpoints: what is saved where, and its counts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Saves {
    /// Work at the newest persistent checkpoint and the newest in-memory one.
    pub persisted: u64,
    pub in_memory: u64,
    /// Work at which the next persistent checkpoint is due.
    pub next_persist: u64,
    /// Nodes whose in-memory copies are gone since the memory level was last refreshed.
    pub lost_nodes: Vec<u32>,
    /// Asynchronous: the work a background write is persisting, and its generation.
    pub writing: Option<u64>,
    pub write_gen: u32,
    pub write_began: SimTime,
    /// The transfer through storage the job waits for (its id), and its write in
    /// the background's (asynchronous).
    pub flow: u64,
    pub write_flow: u64,
    /// The level the pending restart restores from.
    pub level: RestoreLevel,
    pub step: Step,
    pub step_ms: u64,
    pub started: u32,
    pub persisted_n: u32,
    pub lost_n: u32,
    pub memory_n: u32,
    pub restores: [u32; 3],
    /// Interruptions that could not restore from memory.
    pub deep_n: u32,
    pub stall_ms: u64,
    pub background_ms: u64,
    /// Time computing (restarting, running, checkpointing), for the adaptive policy.
    pub exposed_ms: u64,
}

pub(crate) struct Job {
    pub serial: u64,
    /// Frontier job index, or (number of frontier jobs + source index) for tenants.
    pub group: u16,
    pub frontier: bool,
    pub tenant: u16,
    /// Nodes it computes on (1 for a job smaller than a node).
    pub needed: u32,
    pub chips: u64,
    /// Chips it computes on per node it holds: a node's, or fewer on a shared node.
    pub node_chips: u32,
    /// Its nodes must lie in one rack.
    pub one_rack: bool,
    pub walltime: Option<u64>,
    pub requeue_on_timeout: bool,
    /// The current attempt's number, unique in the run: a stale wall-time event names another.
    pub attempt: u32,
    pub preemptions: u32,
    /// Preempted, writing a checkpoint before it gives its chips back.
    pub draining: bool,
    pub work_total: u64,
    /// Work saved by the last completed checkpoint (or completed segments), ms.
    pub work_done: u64,
    pub seg_len: u64,
    /// Under an enforced cap: the work clock's reading when the running segment began.
    pub work_start: f64,
    pub phase: Phase,
    pub phase_start: SimTime,
    pub ckpt: Option<Ckpt>,
    pub saves: Saves,
    /// The restart from storage (or scratch); the pending restart's, by its level.
    pub restart_base: Duration,
    pub restart: Duration,
    pub target_spares: u32,
    pub recovery: crate::config::Recovery,
    pub submitted: SimTime,
    pub first_start: Option<SimTime>,
    pub finished: Option<SimTime>,
    /// Started before: the next start pays the restart overhead.
    pub resumed: bool,
    pub interruptions: u32,
    pub checkpoints: u32,
    pub lost_chip_ms: u128,
    /// When the faults that struck it are seen (a restart before then hangs until
    /// then); the current restart's hang; and all the time it hung so far (ms).
    pub seen: SimTime,
    pub hang_now: Duration,
    pub hung_ms: u64,
    /// The checkpoint it wrote on notice of planned maintenance, paid before its next restart.
    pub notice: Duration,
    /// Its pace (1: full; below while a straggler slows it), the stragglers slowing it,
    /// and in the running segment: the work done (ms) up to `run_mark`.
    pub speed: f64,
    /// The stragglers slowing it, not yet found: (pace, slot of the straggler).
    pub paces: Vec<(f64, u32)>,
    pub run_mark: SimTime,
    pub run_done: f64,
    /// Frontier jobs: the time to select hosts that join it, and that time when the
    /// next restart follows new hosts (else zero).
    pub selection: Duration,
    pub pick: Duration,
    /// Frontier jobs that may run short of nodes: how, their speed for the nodes
    /// they hold now (1 when whole), the time they computed short, and resizes.
    pub elastic: Option<crate::config::Elastic>,
    pub elastic_speed: f64,
    pub short_ms: u64,
    pub resizes: u32,
    /// The restart under way grows the job back: not a restore after a failure.
    pub resizing: bool,
    /// Frontier jobs only: (time, work saved so far in ms, what happened).
    pub trace: Vec<(SimTime, u64, Milestone)>,
}

impl Job {
    /// Its running segment has gone at full pace throughout: work is wall time since it began.
    #[inline]
    fn steady(&self) -> bool {
        self.speed == 1.0 && self.run_done == 0.0
    }

    /// Whether the memory level still holds a whole copy: no group lost more nodes than it tolerates.
    fn memory_intact(&self) -> bool {
        let Some(m) = self.ckpt.and_then(|c| c.mem) else { return false };
        let lost = &self.saves.lost_nodes;
        lost.iter().all(|&n| lost.iter().filter(|&&o| o / m.group == n / m.group).count() as u32 <= m.tolerates)
    }

    /// Where it would restore from now, and the work saved there: the newest intact copy.
    pub fn restore_point(&self) -> (RestoreLevel, u64) {
        let s = &self.saves;
        if s.in_memory > 0 && s.in_memory >= s.persisted && self.memory_intact() {
            (RestoreLevel::Memory, s.in_memory)
        } else if s.persisted > 0 {
            (RestoreLevel::Storage, s.persisted)
        } else {
            (RestoreLevel::Scratch, 0)
        }
    }

    /// The restart from `level`: the memory level's restore, else the restart from storage.
    pub fn restart_for(&self, level: RestoreLevel) -> Duration {
        match (level, self.ckpt.and_then(|c| c.mem)) {
            (RestoreLevel::Memory, Some(m)) => Duration::from_millis(m.restore),
            _ => self.restart_base,
        }
    }

    /// Work saved where a restart could restore it from.
    pub fn saved(&self) -> u64 {
        self.restore_point().1
    }

    /// Node `n` went down while it held this job's in-memory copies.
    pub fn lose_memory(&mut self, n: u32) {
        if self.ckpt.is_some_and(|c| c.mem.is_some()) && !self.saves.lost_nodes.contains(&n) {
            self.saves.lost_nodes.push(n);
        }
    }

    /// Computed work not yet saved: lost if the job is interrupted now.
    pub fn unsaved_work(&self, now: SimTime) -> u64 {
        match self.phase {
            Phase::Running if self.steady() => now.since(self.phase_start).as_millis(),
            Phase::Running => (self.run_done + now.since(self.run_mark).as_millis() as f64 * self.speed) as u64,
            Phase::Checkpointing => self.seg_len,
            _ => 0,
        }
    }

    /// How long phase `p` lasts once entered. Every phase end is timed here, so
    /// that shared storage bandwidth can re-time writes and reads in one place.
    pub fn phase_duration(&self, p: Phase) -> Duration {
        match p {
            Phase::Restarting => self.restart + self.hang_now + self.notice + self.pick,
            Phase::Running if self.steady() => Duration::from_millis(self.seg_len),
            Phase::Running => Duration::from_millis(((self.seg_len as f64 - self.run_done) / self.speed).ceil().max(0.0) as u64),
            Phase::Checkpointing => Duration::from_millis(self.saves.step_ms),
            Phase::Queued | Phase::Waiting | Phase::Done | Phase::Killed => unreachable!("{p:?} has no timed end"),
        }
    }
}
