//! What the simulation writes down as it goes: counters, the failure list and
//! per-class counts. Plain values; the report is built from them.

use super::failures::FailureClass;
use super::jobs::Milestone;
use crate::config::{Category, Level};
use crate::engine::{Duration, SimTime};

/// A job named in reports: its group (frontier job or job class) and serial number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobTag {
    pub group: u16,
    pub serial: u64,
}

/// One failure that took a unit out of service.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FailureRecord {
    pub time: SimTime,
    pub class: u16,
    /// Id of the struck unit at its class's level (chip, node, rack or pod id).
    pub unit: u32,
    pub permanent: bool,
    /// Jobs whose computing nodes it struck.
    pub jobs_hit: Vec<JobTag>,
    /// When the unit was back in service (`None`: still down at the horizon).
    pub recovered: Option<SimTime>,
    /// A silent or fail-slow fault: when it began (`time` is when it was found).
    pub onset: Option<SimTime>,
}

#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ClassInfo {
    pub name: String,
    pub category: Category,
    pub level: Level,
    /// Failures of this class in the run, and how many of them were permanent.
    pub failures: u64,
    pub permanent: u64,
}

/// A frontier job's record at the end of a run.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FrontierStats {
    pub name: String,
    pub chips: u64,
    /// Failure-free compute the job needs, hours at full size.
    pub work_hours: f64,
    /// When it first started (hours since the start of the run).
    pub started_hours: f64,
    /// Work done (saved, plus unsaved progress at the horizon), hours at full size.
    pub useful_hours: f64,
    /// From first start to completion or the horizon.
    pub wall_hours: f64,
    pub finished_hours: Option<f64>,
    pub interruptions: u32,
    pub checkpoints: u32,
    pub lost_chip_hours: f64,
    /// Wall time it hung on faults not yet seen (part of its restarts).
    pub detection_hours: f64,
    /// Work between its checkpoints (as its policy chose it), hours; `None` without.
    pub checkpoint_interval_hours: Option<f64>,
    /// Persistent checkpoints begun, persisted, and lost (cut by a failure, or
    /// written in the background and not persisted when it struck); in-memory ones written.
    pub checkpoints_started: u32,
    pub checkpoints_persisted: u32,
    pub checkpoints_lost: u32,
    pub memory_checkpoints: u32,
    /// Completed restarts by the level they restored from (memory, storage, scratch).
    pub restarts_from: [u32; 3],
    /// Wall time stalled for checkpoints, and spent writing them in the background.
    pub stall_hours: f64,
    pub background_write_hours: f64,
    /// Elastic jobs: wall time computing on fewer nodes than its size, and times it grew back.
    pub short_hours: f64,
    pub resizes: u32,
    pub interruption_times_hours: Vec<f64>,
    /// (hours since start, work saved in hours, milestone).
    pub progress: Vec<(f64, f64, Milestone)>,
}

impl FrontierStats {
    /// Effective training time ratio: useful time over wall time.
    pub fn ettr(&self) -> f64 {
        if self.wall_hours > 0.0 { self.useful_hours / self.wall_hours } else { 0.0 }
    }

    /// The day its work completed, or, if it did not within the run, the day it
    /// would at the progress rate it kept (useful over wall time); `None` when it
    /// made no progress.
    pub fn projected_finish_days(&self) -> Option<f64> {
        if let Some(h) = self.finished_hours {
            return Some(h / 24.0);
        }
        (self.useful_hours > 0.0).then(|| {
            let left = (self.work_hours - self.useful_hours).max(0.0);
            (self.started_hours + self.wall_hours + left / self.ettr()) / 24.0
        })
    }
}

/// Counters and lists the run writes down as it goes; read them through
/// [`Simulation::record`](crate::Simulation::record) or the report.
#[derive(Clone, Debug)]
pub struct Recorder {
    pub failures: Vec<FailureRecord>,
    pub interruptions: u64,
    pub lost_chip_ms: u128,
    /// Chip-time jobs hung on faults not yet seen, chip-ms (part of the restart bucket).
    pub hung_chip_ms: u128,
    /// Busy chip-time stragglers took from the jobs they slowed, chip-ms.
    pub slowed_chip_ms: u128,
    pub submitted: u64,
    pub completed: u64,
    pub rejected: u64,
    pub started: u64,
    /// Tenant jobs a frontier job's recovery preempted.
    pub second_order_preemptions: u64,
    serial: u64,
    pub classes: Vec<ClassInfo>,
    /// Names of the frontier jobs, then of the job sources.
    pub groups: Vec<String>,
    /// Counts per group, in the order of `groups`.
    pub by_group: Vec<GroupStats>,
    /// Names of the tenants, and counts per tenant in that order.
    pub tenants: Vec<String>,
    pub by_tenant: Vec<GroupStats>,
    /// Counts per size class of tenant jobs, in the order of [`SIZE_CLASSES`].
    pub by_size: Vec<GroupStats>,
    /// Every tenant job, at `Detail::Full` (finished ones as they finish, the rest at the end).
    pub jobs: Vec<JobRecord>,
}

/// One tenant job as the run saw it (kept at `Detail::Full`): a row of jobs.csv.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JobRecord {
    pub tag: JobTag,
    pub tenant: u16,
    pub chips: u64,
    /// Failure-free run time asked for, ms.
    pub work_ms: u64,
    pub walltime_ms: Option<u64>,
    pub submitted: SimTime,
    pub started: Option<SimTime>,
    pub finished: Option<SimTime>,
    /// Where it stood at the end: "completed", or its phase at the horizon.
    pub state: &'static str,
    pub interruptions: u32,
    pub preemptions: u32,
    /// Computed work a failure threw away, chip-ms.
    pub lost_chip_ms: u128,
}

/// Size classes of tenant jobs, by chips: (largest in class, label).
pub const SIZE_CLASSES: [(u64, &str); 5] = [(1, "1"), (7, "2-7"), (63, "8-63"), (255, "64-255"), (u64::MAX, "256+")];

pub fn size_class(chips: u64) -> u8 {
    SIZE_CLASSES.iter().position(|c| chips <= c.0).unwrap_or(SIZE_CLASSES.len() - 1) as u8
}

/// What the jobs of one group (a frontier job, a job class), one tenant or one
/// size class went through.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct GroupStats {
    pub submitted: u64,
    /// Asked for more chips than the site can ever give it: never queued.
    pub rejected: u64,
    pub started: u64,
    pub completed: u64,
    /// Killed at their wall time and not requeued.
    pub killed: u64,
    /// Jobs preempted at least once, and preemptions in all.
    pub preempted: u64,
    pub preemptions: u64,
    pub interruptions: u64,
    /// Each started queued job's wait from submission to first start, ms.
    pub waits_ms: Vec<u64>,
    /// Sum of the bounded slowdowns of completed jobs.
    pub slowdown_sum: f64,
    /// Chip-time of work saved (completed jobs' work, others' checkpointed work), chip-ms.
    pub useful_chip_ms: u128,
    /// Computed work thrown away by interruptions, chip-ms.
    pub lost_chip_ms: u128,
}

/// The tenant of a frontier job that names none.
pub const NO_TENANT: u16 = u16::MAX;

/// Which tallies a job counts in: its group, its tenant and (tenant jobs) its size class.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Keys {
    pub group: u16,
    pub tenant: u16,
    pub size: Option<u8>,
}

impl Recorder {
    pub(crate) fn new(classes: &[FailureClass], groups: Vec<String>, tenants: Vec<String>) -> Self {
        let classes = classes
            .iter()
            .map(|c| ClassInfo { name: c.name.clone(), category: c.category, level: c.level, failures: 0, permanent: 0 })
            .collect();
        Self {
            failures: Vec::new(),
            interruptions: 0,
            lost_chip_ms: 0,
            hung_chip_ms: 0,
            slowed_chip_ms: 0,
            submitted: 0,
            completed: 0,
            rejected: 0,
            started: 0,
            second_order_preemptions: 0,
            serial: 0,
            classes,
            by_group: vec![GroupStats::default(); groups.len()],
            by_tenant: vec![GroupStats::default(); tenants.len()],
            by_size: vec![GroupStats::default(); SIZE_CLASSES.len()],
            jobs: Vec::new(),
            groups,
            tenants,
        }
    }
    fn each(&mut self, k: Keys, f: impl Fn(&mut GroupStats)) {
        f(&mut self.by_group[k.group as usize]);
        if let Some(t) = self.by_tenant.get_mut(k.tenant as usize) {
            f(t);
        }
        if let Some(c) = k.size {
            f(&mut self.by_size[c as usize]);
        }
    }
    /// A job was submitted: its serial number.
    pub(crate) fn submit(&mut self, k: Keys) -> u64 {
        self.submitted += 1;
        self.each(k, |g| g.submitted += 1);
        self.serial += 1;
        self.serial - 1
    }
    /// A job completed its work; `slowdown` is its bounded slowdown (tenant jobs).
    pub(crate) fn complete(&mut self, k: Keys, slowdown: Option<f64>, useful_chip_ms: u128) {
        self.completed += 1;
        self.each(k, |g| {
            g.completed += 1;
            g.slowdown_sum += slowdown.unwrap_or(0.0);
            g.useful_chip_ms += useful_chip_ms;
        });
    }
    /// A job ended at its wall time; its checkpointed work still counts as useful.
    pub(crate) fn killed(&mut self, k: Keys, useful_chip_ms: u128) {
        self.each(k, |g| {
            g.killed += 1;
            g.useful_chip_ms += useful_chip_ms;
        });
    }
    /// Saved work of a job still unfinished at the horizon.
    pub(crate) fn unfinished(&mut self, k: Keys, useful_chip_ms: u128) {
        self.each(k, |g| g.useful_chip_ms += useful_chip_ms);
    }
    /// A job was preempted (`first`: for the first time).
    pub(crate) fn preempted(&mut self, k: Keys, first: bool) {
        self.each(k, |g| {
            g.preemptions += 1;
            g.preempted += first as u64;
        });
    }
    /// A source asked for a job the site cannot run.
    pub(crate) fn reject(&mut self, k: Keys) {
        self.rejected += 1;
        self.each(k, |g| g.rejected += 1);
    }
    pub(crate) fn count_failure(&mut self, class: u16, permanent: bool) {
        let c = &mut self.classes[class as usize];
        c.failures += 1;
        c.permanent += permanent as u64;
    }
    /// The failure list, kept at [`Detail::Full`](crate::sim::Detail) only.
    /// Returns the failure's row, for [`failure_back`](Self::failure_back).
    pub(crate) fn failure(&mut self, time: SimTime, class: u16, unit: u32, permanent: bool, jobs_hit: Vec<JobTag>) -> u32 {
        self.failures.push(FailureRecord { time, class, unit, permanent, jobs_hit, recovered: None, onset: None });
        (self.failures.len() - 1) as u32
    }
    /// The last failure listed was a hidden fault that began at `at`.
    pub(crate) fn onset_of_last(&mut self, at: SimTime) {
        if let Some(f) = self.failures.last_mut() {
            f.onset = Some(at);
        }
    }
    pub(crate) fn failure_back(&mut self, row: u32, at: SimTime) {
        if let Some(f) = self.failures.get_mut(row as usize) {
            f.recovered = Some(at);
        }
    }
    pub(crate) fn interrupted(&mut self, k: Keys, lost_chip_ms: u128) {
        self.interruptions += 1;
        self.lost_chip_ms += lost_chip_ms;
        self.each(k, |g| {
            g.interruptions += 1;
            g.lost_chip_ms += lost_chip_ms;
        });
    }
    /// Saved work a job threw away on finding silent corruption (no interruption of its own).
    pub(crate) fn rolled_back(&mut self, k: Keys, lost_chip_ms: u128) {
        self.lost_chip_ms += lost_chip_ms;
        self.each(k, |g| g.lost_chip_ms += lost_chip_ms);
    }
    /// A job started for the first time; `wait` is `None` for frontier jobs, which never queue.
    pub(crate) fn started(&mut self, k: Keys, wait: Option<Duration>) {
        self.started += 1;
        self.each(k, |g| {
            g.started += 1;
            if let Some(w) = wait {
                g.waits_ms.push(w.as_millis());
            }
        });
    }
}
