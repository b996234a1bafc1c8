//! What a run observed: counters fed during the run (`Recorder`), the
//! `Report` built at the end, and the `summary.json` contract.

use crate::config::{Category, Level, Scenario};
use crate::engine::{Duration, RunStats, SimTime};
use crate::sim::meter::{ChipState, PowerBin, STATES};
use crate::sim::{Detail, FailureClass, JobSource, Milestone, Simulation};
use serde::Serialize;
use std::collections::BTreeMap;

/// A job named in reports: its group (frontier job or tenant class) and serial number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobTag {
    pub group: u16,
    pub serial: u64,
}

/// One failure that took a unit out of service.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureRecord {
    pub time: SimTime,
    pub class: u16,
    /// Id of the struck unit at its class's level (chip, node, rack or pod id).
    pub unit: u32,
    pub permanent: bool,
    /// Jobs whose computing nodes it struck.
    pub jobs_hit: Vec<JobTag>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClassInfo {
    pub name: String,
    pub category: Category,
    pub level: Level,
    /// Failures of this class in the run, and how many of them were permanent.
    pub failures: u64,
    pub permanent: u64,
}

pub(crate) struct Recorder {
    pub failures: Vec<FailureRecord>,
    pub interruptions: u64,
    pub lost_chip_ms: u128,
    pub submitted: u64,
    pub completed: u64,
    pub rejected: u64,
    started: u64,
    wait_ms: u128,
    serial: u64,
    classes: Vec<ClassInfo>,
    groups: Vec<String>,
}

impl Recorder {
    pub fn new(s: &Scenario, classes: &[FailureClass], sources: &[Box<dyn JobSource>]) -> Self {
        let groups = s.workload.frontier.iter().map(|f| f.name.clone()).chain(sources.iter().map(|s| s.name().to_string())).collect();
        let classes = classes
            .iter()
            .map(|c| ClassInfo { name: c.name.clone(), category: c.category, level: c.level, failures: 0, permanent: 0 })
            .collect();
        Self {
            failures: Vec::new(),
            interruptions: 0,
            lost_chip_ms: 0,
            submitted: 0,
            completed: 0,
            rejected: 0,
            started: 0,
            wait_ms: 0,
            serial: 0,
            classes,
            groups,
        }
    }
    pub fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial - 1
    }
    pub fn count_failure(&mut self, class: u16, permanent: bool) {
        let c = &mut self.classes[class as usize];
        c.failures += 1;
        c.permanent += permanent as u64;
    }
    /// The failure list, kept at [`Detail::Full`](crate::sim::Detail) only.
    pub fn failure(&mut self, time: SimTime, class: u16, unit: u32, permanent: bool, jobs_hit: Vec<JobTag>) {
        self.failures.push(FailureRecord { time, class, unit, permanent, jobs_hit });
    }
    pub fn interrupted(&mut self, lost_chip_ms: u128) {
        self.interruptions += 1;
        self.lost_chip_ms += lost_chip_ms;
    }
    pub fn started(&mut self, wait: Duration) {
        self.started += 1;
        self.wait_ms += wait.as_millis() as u128;
    }
}

/// Chip-time in each accounting bucket, in chip-milliseconds. Every installed
/// chip-millisecond of the run lands in exactly one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeBuckets {
    /// Computing work that was kept (saved by a checkpoint, completed, or in progress at the horizon).
    pub useful: u128,
    pub checkpoint: u128,
    pub restart: u128,
    /// Computing work that a failure threw away.
    pub lost: u128,
    /// Allocated to a job that waits for healthy nodes.
    pub waiting: u128,
    pub idle: u128,
    pub down: u128,
}

impl TimeBuckets {
    pub fn total(&self) -> u128 {
        self.useful + self.checkpoint + self.restart + self.lost + self.waiting + self.idle + self.down
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FrontierStats {
    pub name: String,
    pub chips: u64,
    /// Work done (saved, plus unsaved progress at the horizon), hours at full size.
    pub useful_hours: f64,
    /// From first start to completion or the horizon.
    pub wall_hours: f64,
    pub finished_hours: Option<f64>,
    pub interruptions: u32,
    pub checkpoints: u32,
    pub lost_chip_hours: f64,
    pub interruption_times_hours: Vec<f64>,
    /// (hours since start, work saved in hours, milestone).
    pub progress: Vec<(f64, f64, Milestone)>,
}

impl FrontierStats {
    /// Effective training time ratio: useful time over wall time.
    pub fn ettr(&self) -> f64 {
        if self.wall_hours > 0.0 { self.useful_hours / self.wall_hours } else { 0.0 }
    }
}

/// Everything a run produced; outputs, charts and sweeps consume it.
#[derive(Clone, Debug)]
pub struct Report {
    pub scenario: String,
    pub facility: String,
    pub seed: u64,
    pub horizon: SimTime,
    pub chips: u64,
    pub nodes: u64,
    pub topology: crate::sim::Topology,
    pub classes: Vec<ClassInfo>,
    /// Names of the frontier jobs, then of the job sources (tenant classes).
    pub groups: Vec<String>,
    /// What the run kept: at [`Detail::Summary`] the failure list, power bins,
    /// zoom, drops and frontier traces are empty.
    pub detail: Detail,
    pub failures: Vec<FailureRecord>,
    pub interruptions: u64,
    pub time: TimeBuckets,
    /// Chip-ms per chip state (idle, busy, checkpoint, restart, waiting, down), for energy checks.
    pub chip_ms_by_state: [u128; STATES],
    pub node_up_ms: u128,
    pub chip_watts: [f64; STATES],
    pub node_watts: f64,
    pub racks_watts: f64,
    pub pue: f64,
    pub it_energy_wh: f64,
    pub it_peak_w: f64,
    pub it_min_w: f64,
    pub max_drop_w: f64,
    pub max_drop_at: SimTime,
    /// Every instantaneous fall in IT draw of at least 1 MW: (instant, watts).
    pub drops: Vec<(SimTime, f64)>,
    /// Exact IT power steps (time, watts) from 30 min before the largest drop to 30 min after.
    pub zoom: Vec<(SimTime, f64)>,
    pub power_bin: Duration,
    pub power_bins: Vec<PowerBin>,
    pub jobs_submitted: u64,
    pub jobs_completed: u64,
    pub jobs_started: u64,
    pub jobs_rejected: u64,
    pub mean_wait_hours: f64,
    pub frontier: Vec<FrontierStats>,
    pub stats: RunStats,
}

const WMS_PER_WH: f64 = 3_600_000.0;

pub(crate) fn build(sim: Simulation, stats: RunStats, frontier: Vec<FrontierStats>) -> Report {
    let m = &sim.meter;
    let chip_ms = m.chip_ms();
    let by = |s: ChipState| chip_ms[s as usize];
    let rec = sim.rec;
    let busy = by(ChipState::Busy);
    let time = TimeBuckets {
        useful: busy - rec.lost_chip_ms,
        checkpoint: by(ChipState::Checkpoint),
        restart: by(ChipState::Restart),
        lost: rec.lost_chip_ms,
        waiting: by(ChipState::Waiting),
        idle: by(ChipState::Idle),
        down: by(ChipState::Down),
    };
    let chip_watts = [ChipState::Idle, ChipState::Busy, ChipState::Checkpoint, ChipState::Restart, ChipState::Waiting, ChipState::Down]
        .map(|s| m.watts(s));
    Report {
        scenario: sim.scenario.name.clone(),
        facility: sim.scenario.facility.name.clone(),
        seed: sim.seed,
        horizon: sim.horizon,
        chips: sim.topo.chips() as u64,
        nodes: sim.topo.nodes() as u64,
        topology: sim.topo,
        classes: rec.classes,
        groups: rec.groups,
        detail: sim.detail,
        failures: rec.failures,
        interruptions: rec.interruptions,
        time,
        chip_ms_by_state: chip_ms,
        node_up_ms: m.node_up_ms(),
        chip_watts,
        node_watts: m.node_watts(),
        racks_watts: m.rack_watts(),
        pue: m.pue,
        it_energy_wh: m.it_wms / WMS_PER_WH,
        it_peak_w: m.it_peak_w,
        it_min_w: m.it_min_w,
        max_drop_w: m.max_drop_w,
        max_drop_at: m.max_drop_at,
        drops: m.drops.clone(),
        zoom: m.zoom_trace().to_vec(),
        power_bin: Duration::from_millis(m.bin_ms),
        power_bins: m.bins.clone(),
        jobs_submitted: rec.submitted,
        jobs_completed: rec.completed,
        jobs_started: rec.started,
        jobs_rejected: rec.rejected,
        mean_wait_hours: if rec.started > 0 { rec.wait_ms as f64 / rec.started as f64 / 3_600_000.0 } else { 0.0 },
        frontier,
        stats,
    }
}

impl Simulation {
    pub(crate) fn frontier_report(&self, j: u32, now: SimTime) -> FrontierStats {
        let job = &self.jobs[j as usize];
        let end = job.finished.unwrap_or(now);
        let start = job.first_start.unwrap_or(now);
        FrontierStats {
            name: self.rec_group(job.group),
            chips: job.chips,
            useful_hours: Duration::from_millis(job.work_done + job.unsaved_work(now)).as_hours(),
            wall_hours: end.since(start).as_hours(),
            finished_hours: job.finished.map(|t| t.as_hours()),
            interruptions: job.interruptions,
            checkpoints: job.checkpoints,
            lost_chip_hours: job.lost_chip_ms as f64 / 3_600_000.0,
            interruption_times_hours: job.trace.iter().filter(|e| e.2 == Milestone::Interruption).map(|e| e.0.as_hours()).collect(),
            progress: job.trace.iter().map(|&(t, w, m)| (t.as_hours(), Duration::from_millis(w).as_hours(), m)).collect(),
        }
    }
    fn rec_group(&self, g: u16) -> String {
        self.rec.groups[g as usize].clone()
    }
}

impl Report {
    pub fn horizon_hours(&self) -> f64 {
        self.horizon.as_hours()
    }
    pub fn installed_chip_ms(&self) -> u128 {
        self.chips as u128 * self.horizon.as_millis() as u128
    }
    pub fn facility_energy_wh(&self) -> f64 {
        self.it_energy_wh * self.pue
    }
    pub fn facility_mean_w(&self) -> f64 {
        self.facility_energy_wh() / self.horizon_hours()
    }
    pub fn goodput(&self) -> f64 {
        self.time.useful as f64 / self.installed_chip_ms() as f64
    }
    /// Frontier ETTR: all frontier jobs' useful time over their wall time.
    pub fn ettr(&self) -> f64 {
        let (u, w) =
            self.frontier.iter().fold((0.0, 0.0), |(u, w), f| (u + f.useful_hours * f.chips as f64, w + f.wall_hours * f.chips as f64));
        if w > 0.0 { u / w } else { 0.0 }
    }
    pub fn job_label(&self, t: JobTag) -> String {
        let g = &self.groups[t.group as usize];
        if (t.group as usize) < self.frontier.len() { g.clone() } else { format!("{g}#{}", t.serial) }
    }

    /// The `summary.json` contract (field names are a public interface).
    pub fn summary(&self) -> Summary {
        let total = self.installed_chip_ms() as f64;
        let frac = |x: u128| x as f64 / total;
        let mut by_category: BTreeMap<String, u64> = Category::ALL.iter().map(|c| (c.label().to_string(), 0)).collect();
        let mut by_class: BTreeMap<String, u64> = BTreeMap::new();
        for c in self.classes.iter().filter(|c| c.failures > 0) {
            *by_category.entry(c.category.label().to_string()).or_default() += c.failures;
            *by_class.entry(c.name.clone()).or_default() += c.failures;
        }
        let t = &self.time;
        let mw = |w: f64| w / 1e6;
        Summary {
            scenario: self.scenario.clone(),
            facility: self.facility.clone(),
            seed: self.seed,
            horizon_days: self.horizon_hours() / 24.0,
            chips: self.chips,
            failures: FailureSummary {
                total: self.classes.iter().map(|c| c.failures).sum(),
                permanent: self.classes.iter().map(|c| c.permanent).sum(),
                by_category,
                by_class,
            },
            interruptions: self.interruptions,
            goodput: self.goodput(),
            ettr: self.ettr(),
            utilization: frac(t.useful + t.checkpoint + t.restart + t.lost + t.waiting),
            availability: 1.0 - frac(t.down),
            time_breakdown: Breakdown {
                useful: frac(t.useful),
                checkpoint: frac(t.checkpoint),
                restart: frac(t.restart),
                lost: frac(t.lost),
                waiting: frac(t.waiting),
                idle: frac(t.idle),
                down: frac(t.down),
            },
            energy: Energy { it_mwh: self.it_energy_wh / 1e6, facility_mwh: self.facility_energy_wh() / 1e6 },
            power: Power {
                it_peak_mw: mw(self.it_peak_w),
                facility_peak_mw: mw(self.it_peak_w * self.pue),
                facility_mean_mw: mw(self.facility_mean_w()),
                facility_min_mw: mw(self.it_min_w * self.pue),
                max_drop_mw: mw(self.max_drop_w * self.pue),
                max_drop_at_hours: self.max_drop_at.as_hours(),
            },
            jobs: Jobs {
                submitted: self.jobs_submitted,
                started: self.jobs_started,
                completed: self.jobs_completed,
                rejected: self.jobs_rejected,
                mean_wait_h: self.mean_wait_hours,
            },
            frontier: self
                .frontier
                .iter()
                .map(|f| FrontierSummary {
                    name: f.name.clone(),
                    chips: f.chips,
                    ettr: f.ettr(),
                    useful_hours: f.useful_hours,
                    wall_hours: f.wall_hours,
                    interruptions: f.interruptions,
                    checkpoints: f.checkpoints,
                    mtbi_hours: if f.interruptions > 0 { f.wall_hours / f.interruptions as f64 } else { f.wall_hours },
                    finished_hours: f.finished_hours,
                })
                .collect(),
            events: self.stats.processed,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub facility: String,
    pub seed: u64,
    pub horizon_days: f64,
    pub chips: u64,
    pub failures: FailureSummary,
    /// Job interruptions (a failure striking a computing job), all jobs.
    pub interruptions: u64,
    /// Useful chip-time / installed chip-time.
    pub goodput: f64,
    /// Frontier job(s): useful time / wall time since first start.
    pub ettr: f64,
    /// Share of chip-time allocated to jobs (useful, checkpoint, restart, lost, waiting).
    pub utilization: f64,
    /// Share of chip-time not down.
    pub availability: f64,
    pub time_breakdown: Breakdown,
    pub energy: Energy,
    pub power: Power,
    pub jobs: Jobs,
    pub frontier: Vec<FrontierSummary>,
    /// Events processed (deterministic).
    pub events: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FailureSummary {
    pub total: u64,
    pub permanent: u64,
    pub by_category: BTreeMap<String, u64>,
    pub by_class: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Breakdown {
    pub useful: f64,
    pub checkpoint: f64,
    pub restart: f64,
    pub lost: f64,
    pub waiting: f64,
    pub idle: f64,
    pub down: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Energy {
    pub it_mwh: f64,
    pub facility_mwh: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Power {
    pub it_peak_mw: f64,
    pub facility_peak_mw: f64,
    pub facility_mean_mw: f64,
    pub facility_min_mw: f64,
    /// Largest fall in facility draw at one instant.
    pub max_drop_mw: f64,
    pub max_drop_at_hours: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Jobs {
    pub submitted: u64,
    pub started: u64,
    pub completed: u64,
    pub rejected: u64,
    /// Mean time from submission to first start, started jobs.
    pub mean_wait_h: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FrontierSummary {
    pub name: String,
    pub chips: u64,
    pub ettr: f64,
    pub useful_hours: f64,
    pub wall_hours: f64,
    pub interruptions: u32,
    pub checkpoints: u32,
    /// Mean wall time between interruptions.
    pub mtbi_hours: f64,
    pub finished_hours: Option<f64>,
}
