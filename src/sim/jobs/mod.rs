//! Jobs: what they are (requests from job sources, checkpoint policies) and
//! their state; `life.rs` carries a job through its phases.

mod life;
mod table;

pub(crate) use table::{Arrivals, JobTable};

use super::power::ChipState;
use crate::config::{Checkpointing, DurationLaw, Law, SizeLaw, TenantClass, exp_draw};
use crate::engine::{Duration, SimRng, SimTime};
use rand::RngExt;

/// The job family's events.
#[derive(Clone, Copy, Debug)]
pub enum JobEvent {
    /// The current phase of a job ends (restart, compute segment, checkpoint write).
    PhaseEnd { job: u32, epoch: u32 },
    /// A job arrives from a job source.
    Arrival { source: u16 },
}

/// How a job checkpoints. `CheckpointPolicy::new(interval, write)`, then `.at_end(false)` if wanted.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct CheckpointPolicy {
    pub interval_hours: f64,
    pub write_hours: f64,
    /// Also checkpoint after the last piece of work.
    pub at_end: bool,
}

impl CheckpointPolicy {
    /// Write a checkpoint every `interval_hours` of computed work, stalling `write_hours`; also at the end.
    pub fn new(interval_hours: f64, write_hours: f64) -> Self {
        Self { interval_hours, write_hours, at_end: true }
    }
    pub fn at_end(mut self, at_end: bool) -> Self {
        self.at_end = at_end;
        self
    }
}

impl From<&Checkpointing> for CheckpointPolicy {
    fn from(c: &Checkpointing) -> Self {
        Self::new(c.interval_hours.get(), c.write_hours.get()).at_end(c.at_end)
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
}

impl JobRequest {
    /// A job of `chips` chips needing `work_hours` of failure-free run time; no checkpoints, no restart time.
    pub fn new(chips: u32, work_hours: f64) -> Self {
        Self { chips, work_hours, checkpoint: None, restart_hours: 0.0 }
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

/// Poisson arrivals of one tenant class from a workload file.
#[derive(Clone, Debug)]
pub struct PoissonTenants {
    name: String,
    mean_gap_hours: f64,
    /// (chips, cumulative weight) pairs.
    sizes: Vec<(u32, f64)>,
    work: Law,
    p_checkpoint: f64,
    checkpoint: CheckpointPolicy,
    restart_hours: f64,
}

impl PoissonTenants {
    pub fn from_spec(t: &TenantClass) -> Self {
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
        Some((gap, JobRequest::new(chips, work_hours).checkpoint(checkpoint).restart_hours(self.restart_hours)))
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
        }
    }
    pub fn chip_state(self) -> ChipState {
        match self {
            Phase::Queued | Phase::Done => ChipState::Idle,
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

/// Checkpointing in milliseconds: (interval of work, write time, also at the end).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Ckpt {
    pub interval: u64,
    pub write: u64,
    pub at_end: bool,
}

pub(crate) struct Job {
    pub serial: u64,
    /// Frontier job index, or (number of frontier jobs + source index) for tenants.
    pub group: u16,
    pub frontier: bool,
    /// Nodes it computes on.
    pub needed: u32,
    pub chips: u64,
    pub work_total: u64,
    /// Work saved by the last completed checkpoint (or completed segments), ms.
    pub work_done: u64,
    pub seg_len: u64,
    pub phase: Phase,
    pub phase_start: SimTime,
    pub ckpt: Option<Ckpt>,
    pub restart: Duration,
    pub target_spares: u32,
    pub borrow: bool,
    pub submitted: SimTime,
    pub first_start: Option<SimTime>,
    pub finished: Option<SimTime>,
    /// Started before: the next start pays the restart overhead.
    pub resumed: bool,
    pub interruptions: u32,
    pub checkpoints: u32,
    pub lost_chip_ms: u128,
    /// Frontier jobs only: (time, work saved so far in ms, what happened).
    pub trace: Vec<(SimTime, u64, Milestone)>,
}

impl Job {
    /// Computed work not yet saved: lost if the job is interrupted now.
    pub fn unsaved_work(&self, now: SimTime) -> u64 {
        match self.phase {
            Phase::Running => now.since(self.phase_start).as_millis(),
            Phase::Checkpointing => self.seg_len,
            _ => 0,
        }
    }

    /// How long phase `p` lasts once entered. Every phase end is timed here, so
    /// that shared storage bandwidth can re-time writes and reads in one place.
    pub fn phase_duration(&self, p: Phase) -> Duration {
        match p {
            Phase::Restarting => self.restart,
            Phase::Running => Duration::from_millis(self.seg_len),
            Phase::Checkpointing => Duration::from_millis(self.ckpt.map_or(0, |c| c.write)),
            Phase::Queued | Phase::Waiting | Phase::Done => unreachable!("{p:?} has no timed end"),
        }
    }
}
