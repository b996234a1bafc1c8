//! What a run observed: the [`Report`] built from the plain snapshot a finished
//! simulation hands over, and the `summary.json` contract, [`Summary`].
//!
//! [`Simulation::run`] gives a [`Report`]: totals ([`Report::goodput`],
//! [`Report::ettr`], exact chip-time per bucket in [`Report::time`]) and, at
//! [`Detail::Full`], the series the run's CSV files and charts are drawn from.
//! [`Report::summary`] condenses it into a [`Summary`], whose field names are a
//! public interface (`summary.json`, sweep metrics by dotted path).
//! [`Simulation::run_watched`] runs under an event bound and a caller's watch.

use crate::config::Category;
use crate::engine::{Duration, RunStats, SimTime};
use crate::sim::power::{Beyond, Bucket, ChipState, Facility, PowerBin, RAMP_WINDOWS, STATES, TrackSnapshot, WorstRamps};
use crate::sim::{Detail, RunSnapshot, Simulation};
use serde::Serialize;
use std::collections::BTreeMap;

mod cost;
mod grid;
mod repair;
mod storage;
mod tenants;

pub use crate::sim::{ClassInfo, FailureRecord, FrontierStats, GroupStats, JobRecord, JobTag, UsageSnapshot};
pub use cost::CostSummary;
pub use grid::{BatterySummary, GridSummary, ThrottleSummary};
pub use repair::RepairSummary;
pub use storage::StorageSummary;
pub use tenants::{SchedulerSummary, TenantSummary};

impl Simulation {
    /// Run to the horizon and report.
    pub fn run(self) -> Report {
        self.run_with_progress(1, |_| ())
    }

    /// Run to the horizon in `slices` equal steps of simulated time, calling
    /// `progress(done fraction)` after each. Events happen exactly as in [`run`](Self::run).
    pub fn run_with_progress(self, slices: u32, mut progress: impl FnMut(f64)) -> Report {
        match self.run_watched(slices, u64::MAX, |done| {
            progress(done);
            Ok(())
        }) {
            Ok(r) => r,
            Err(e) => unreachable!("an unbounded run that is never stopped stopped: {e}"),
        }
    }

    /// [`run_with_progress`](Self::run_with_progress) under a bound: the run stops
    /// with [`Overrun::Events`] once it has processed `max_events` events, and with
    /// [`Overrun::Stopped`] when `watch` returns an error. `watch` is called after
    /// each slice and every million events in between (with the fraction of the
    /// horizon simulated), so a caller can check the memory in use or the time spent.
    ///
    /// ```
    /// use gigasim::engine::SimTime;
    /// use gigasim::{Overrun, Simulation, config};
    ///
    /// let s = config::apply_sets(&config::default_scenario(), &["horizon_days=4".into()])?;
    /// // At most 10,000 events: the run stops there, saying when.
    /// let stop = Simulation::new(&s).run_watched(4, 10_000, |_| Ok(())).unwrap_err();
    /// assert!(matches!(stop, Overrun::Events { processed: 10_000, .. }), "{stop}");
    ///
    /// // A watch that stops the run after its first quarter (one day).
    /// let watch = |done: f64| if done >= 0.25 { Err("enough".to_string()) } else { Ok(()) };
    /// let stop = Simulation::new(&s).run_watched(4, u64::MAX, watch).unwrap_err();
    /// assert_eq!(stop, Overrun::Stopped { why: "enough".into(), at: SimTime::from_hours(24.0) });
    /// # Ok::<(), config::InputError>(())
    /// ```
    pub fn run_watched(
        mut self,
        slices: u32,
        max_events: u64,
        mut watch: impl FnMut(f64) -> Result<(), String>,
    ) -> Result<Report, Overrun> {
        const CHUNK: u64 = 1_000_000;
        let h = self.horizon().as_millis();
        let n = slices.max(1) as u64;
        for k in 1..=n {
            let until = SimTime::from_millis((h as u128 * k as u128 / n as u128) as u64);
            loop {
                let left = max_events.saturating_sub(self.stats.processed);
                let (_, reached) = self.run_until_limited(until, left.min(CHUNK));
                if reached {
                    break;
                }
                if self.stats.processed >= max_events {
                    return Err(Overrun::Events { processed: self.stats.processed, at: self.now() });
                }
                let done = self.now().as_millis() as f64 / h.max(1) as f64;
                watch(done).map_err(|why| Overrun::Stopped { why, at: self.now() })?;
            }
            watch(k as f64 / n as f64).map_err(|why| Overrun::Stopped { why, at: self.now() })?;
        }
        Ok(build(self.into_snapshot()))
    }
}

/// Why a bounded run stopped before its horizon.
#[derive(Clone, Debug, PartialEq)]
pub enum Overrun {
    /// It had processed its bound of events by simulated time `at`.
    Events { processed: u64, at: SimTime },
    /// The caller's watch stopped it, for this reason.
    Stopped { why: String, at: SimTime },
}

impl std::fmt::Display for Overrun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Overrun::Events { processed, at } => {
                write!(f, "stopped after {processed} events, {:.3} h into the simulated time", at.as_hours())
            }
            Overrun::Stopped { why, at } => write!(f, "stopped {:.3} h into the simulated time: {why}", at.as_hours()),
        }
    }
}

/// Chip-time in each accounting bucket, in chip-milliseconds. Every installed
/// chip-millisecond of the run lands in exactly one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimeBuckets {
    /// Computing work that was kept (saved by a checkpoint, completed, or in progress at the horizon).
    pub useful: u128,
    pub checkpoint: u128,
    pub restart: u128,
    /// Computing work that a failure threw away.
    pub lost: u128,
    /// Busy chip-time an enforced power cap took (throttled chips compute slower).
    pub throttled: u128,
    /// Busy chip-time stragglers took from the synchronous jobs they slowed.
    pub slowed: u128,
    /// Allocated to a job that waits for healthy nodes.
    pub waiting: u128,
    pub idle: u128,
    pub down: u128,
    /// In racks not yet in service (a site built in phases).
    pub not_installed: u128,
}

impl TimeBuckets {
    pub fn total(&self) -> u128 {
        self.useful
            + self.checkpoint
            + self.restart
            + self.lost
            + self.throttled
            + self.slowed
            + self.waiting
            + self.idle
            + self.down
            + self.not_installed
    }
}

/// Facility draw: the power chain's output, in one place for every output.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct FacilityPower {
    pub energy_wh: f64,
    pub peak_w: f64,
    pub min_w: f64,
    /// Largest fall at one instant, and when.
    pub max_drop_w: f64,
    pub max_drop_at: SimTime,
    /// What the zoom shows: the largest fall at one instant, or under per-chip ramp
    /// limits the largest within a minute (its window's end), W.
    pub zoom_at: SimTime,
    pub zoom_fall_w: f64,
    pub zoom_within_s: f64,
    /// One per power bin: mean, lowest and highest draw in the bin, in MW.
    pub bins_mw: Vec<(f64, f64, f64)>,
    /// Exact steps (instant, watts) around the largest fall, one for one with [`Report::zoom`].
    pub zoom: Vec<(SimTime, f64)>,
    /// (instant, fall in watts) where IT draw fell by at least 1 MW, one for one with [`Report::drops`].
    pub drops: Vec<(SimTime, f64)>,
    /// (size in watts, count) of the falls and rises at the instants IT draw
    /// fell (rose) by at least 1 MW, smallest first, kept at any detail.
    pub falls: Vec<(f64, u64)>,
    pub rises: Vec<(f64, u64)>,
    /// The worst fall and rise within each of [`RAMP_WINDOWS`].
    pub ramps: WorstRamps,
    /// Time and energy above the grid's cap and below its floor.
    pub beyond: Beyond,
    /// Under per-chip ramp limits: violations of the grid's per-minute and
    /// per-second ramp limits, counted as the draw went.
    pub violations: Option<[(u64, f64); 2]>,
}

/// Everything a run produced; outputs, charts and sweeps consume it.
///
/// Chip-time is kept exactly, in chip-milliseconds: every installed chip-millisecond
/// lands in one bucket of [`time`](Self::time), and [`summary`](Self::summary) gives
/// the shares, energy, power swings, jobs and frontier figures of `summary.json`.
///
/// ```
/// use gigasim::{Simulation, config};
///
/// let s = config::apply_sets(&config::default_scenario(), &["horizon_days=1".into()])?;
/// let r = Simulation::new(&s).run();
/// assert_eq!(r.time.total(), r.installed_chip_ms());
/// assert_eq!(r.installed_chip_ms(), r.chips as u128 * 24 * 3_600_000);
/// assert_eq!(r.goodput(), r.time.useful as f64 / r.installed_chip_ms() as f64);
/// // Mean draw over the horizon is the energy over the hours.
/// assert!((r.facility_mean_w() * r.horizon_hours() - r.facility_energy_wh()).abs() < 1e-9 * r.facility_energy_wh());
///
/// let sum = r.summary();
/// assert_eq!(sum.failures.total, r.failures.len() as u64);
/// assert!(sum.power.facility_min_mw <= sum.power.facility_mean_mw && sum.power.facility_mean_mw <= sum.power.facility_peak_mw);
/// // One frontier job: its ETTR is the run's.
/// let f = &sum.frontier[0];
/// assert_eq!((f.name.as_str(), f.ettr), ("frontier", r.ettr()));
/// assert!(f.useful_hours <= f.wall_hours && f.wall_hours <= 24.0);
/// # Ok::<(), config::InputError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
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
    /// Lemon nodes (ascending), and the failures that struck their chips or host.
    pub lemons: (Vec<u32>, u64),
    /// Nodes the retirement policy retired: lemons found, and good nodes by mistake.
    pub retired: (u64, u64),
    /// What the repair pipeline did, and the spare stock it started with.
    pub repair: crate::sim::RepairTally,
    pub spares_initial: u32,
    /// What the shared checkpoint storage did, if the facility has one.
    pub storage: Option<crate::sim::StorageSnapshot>,
    /// Chip-time jobs hung on faults not yet seen, chip-ms.
    pub hung_chip_ms: u128,
    pub interruptions: u64,
    pub time: TimeBuckets,
    /// Chip-ms per chip state (in [`ChipState::ALL`] order), for energy checks.
    pub chip_ms_by_state: [u128; STATES],
    pub node_up_ms: u128,
    pub chip_watts: [f64; STATES],
    /// IT energy the power floor added, Wh.
    pub floor_energy_wh: f64,
    /// IT energy the ramp limits added, Wh.
    pub ramp_energy_wh: f64,
    pub node_watts: f64,
    pub racks_watts: f64,
    /// The PUE stage's factor (facility figures are in [`Report::power`]).
    pub pue: f64,
    pub it_energy_wh: f64,
    pub it_peak_w: f64,
    pub it_min_w: f64,
    pub max_drop_w: f64,
    pub max_drop_at: SimTime,
    /// Every instantaneous fall in IT draw of at least 1 MW: (instant, watts).
    pub drops: Vec<(SimTime, f64)>,
    /// Exact IT power steps (time, watts) from the zoom window before the largest
    /// fall of facility draw to as long after.
    pub zoom: Vec<(SimTime, f64)>,
    pub power_bin: Duration,
    pub power_bins: Vec<PowerBin>,
    /// Facility draw, from the power chain.
    pub power: FacilityPower,
    pub jobs_submitted: u64,
    pub jobs_completed: u64,
    pub jobs_started: u64,
    pub jobs_rejected: u64,
    /// Mean wait from submission to first start of the tenants' started jobs.
    pub mean_wait_hours: f64,
    /// Counts and waits per group, in the order of `groups`.
    pub by_group: Vec<GroupStats>,
    /// Tenant names, and counts per tenant in that order.
    pub tenants: Vec<String>,
    pub by_tenant: Vec<GroupStats>,
    /// Counts per size class of tenant jobs (`sim::SIZE_CLASSES`).
    pub by_size: Vec<GroupStats>,
    /// Tenant jobs a frontier job's recovery preempted.
    pub second_order_preemptions: u64,
    /// Chips held per tenant over time, queue length, fragmentation.
    pub usage: UsageSnapshot,
    /// Each tenant's entitled share (normalised).
    pub shares: Vec<f64>,
    /// The scheduling policy's name.
    pub policy: String,
    /// The cost model, its electricity series and the run's first day of the year.
    pub cost: Option<(crate::config::CostModel, crate::config::PriceSeries, u32)>,
    /// Design power, W (every chip busy, every node and rack up, × PUE).
    pub design_w: f64,
    /// The grid's limits, from the scenario.
    pub grid_spec: Option<crate::config::GridSpec>,
    /// The site battery and the grid draw behind it, when the power model has one.
    pub battery: Option<crate::sim::power::battery::Battery>,
    /// The cap the site enforces and what throttling cost, when it enforces one.
    pub cap: Option<crate::sim::power::cap::Cap>,
    /// Energy bought from the grid each hour from the start, Wh (the facility's, or
    /// the grid's behind a battery; the last may be a part hour).
    pub facility_hourly_wh: Vec<f64>,
    /// Every tenant job, by serial (at [`Detail::Full`]; empty otherwise).
    pub jobs: Vec<JobRecord>,
    pub frontier: Vec<FrontierStats>,
    pub stats: RunStats,
}

const WMS_PER_WH: f64 = 3_600_000.0;

/// The time buckets from the ledger's chip-time per state, by the state table.
fn buckets(chip_ms: &[u128; STATES], lost: u128, throttled: u128, slowed: u128) -> TimeBuckets {
    let mut t = TimeBuckets::default();
    for s in ChipState::ALL {
        let ms = chip_ms[s as usize];
        *match s.bucket() {
            Bucket::Work => &mut t.useful,
            Bucket::Checkpoint => &mut t.checkpoint,
            Bucket::Restart => &mut t.restart,
            Bucket::Waiting => &mut t.waiting,
            Bucket::Idle => &mut t.idle,
            Bucket::Down => &mut t.down,
            Bucket::NotInstalled => &mut t.not_installed,
        } += ms;
    }
    // Lost work was computed (busy) before a failure threw it away.
    t.useful = t.useful.checked_sub(lost).expect("lost work is never more than the work computed");
    t.lost = lost;
    // Throttled busy time computed less; the rounding of work to whole ms may not match it to the ms.
    t.throttled = throttled.min(t.useful);
    t.useful -= t.throttled;
    // Slowed busy time likewise (each interval rounded to the chip-ms).
    t.slowed = slowed.min(t.useful);
    t.useful -= t.slowed;
    t
}

/// (start, end) of power bin `i` in ms, the last cut at the horizon.
fn bin_span(i: usize, bin: u64, horizon: u64) -> (u64, u64) {
    (i as u64 * bin, ((i as u64 + 1) * bin).min(horizon))
}

/// Facility draw from the chain: a factor applied to the IT track (as the last
/// step, in each figure's own unit), or the chain's own track. Returns it with
/// the IT zoom at the facility zoom's instants.
fn facility_power(
    it: &TrackSnapshot,
    it_energy_wh: f64,
    facility: Facility<TrackSnapshot>,
    horizon: u64,
) -> (FacilityPower, Vec<(SimTime, f64)>) {
    let mean_mw = |b: &PowerBin, i: usize| {
        let (start, end) = bin_span(i, it.bin_ms, horizon);
        b.it_wms / (end.saturating_sub(start)) as f64 / 1e6
    };
    match facility {
        Facility::Factor(k) => {
            let power = FacilityPower {
                energy_wh: it_energy_wh * k,
                peak_w: it.peak_w * k,
                min_w: it.min_w * k,
                max_drop_w: it.max_drop_w * k,
                max_drop_at: it.max_drop_at,
                zoom_at: it.zoom_at,
                zoom_fall_w: it.zoom_fall_w * k,
                zoom_within_s: it.zoom_within_s,
                bins_mw: it.bins.iter().enumerate().map(|(i, b)| (mean_mw(b, i) * k, b.it_min_w * k / 1e6, b.it_max_w * k / 1e6)).collect(),
                zoom: it.zoom.iter().map(|&(t, w, _)| (t, w * k)).collect(),
                drops: it.drops.iter().map(|&(t, w)| (t, w * k)).collect(),
                falls: it.falls.iter().map(|(w, n)| (w * k, n)).collect(),
                rises: it.rises.iter().map(|(w, n)| (w * k, n)).collect(),
                ramps: WorstRamps { fall_w: it.ramps.fall_w.map(|w| w * k), rise_w: it.ramps.rise_w.map(|w| w * k) },
                beyond: Beyond { above_wms: it.beyond.above_wms * k, below_wms: it.beyond.below_wms * k, ..it.beyond },
                violations: it.violations,
            };
            (power, it.zoom.iter().map(|&(t, w, _)| (t, w)).collect())
        }
        Facility::Tracked(f) => {
            let power = FacilityPower {
                energy_wh: f.wms / WMS_PER_WH,
                peak_w: f.peak_w,
                min_w: f.min_w,
                max_drop_w: f.max_drop_w,
                max_drop_at: f.max_drop_at,
                zoom_at: f.zoom_at,
                zoom_fall_w: f.zoom_fall_w,
                zoom_within_s: f.zoom_within_s,
                bins_mw: f.bins.iter().enumerate().map(|(i, b)| (mean_mw(b, i), b.it_min_w / 1e6, b.it_max_w / 1e6)).collect(),
                zoom: f.zoom.iter().map(|&(t, w, _)| (t, w)).collect(),
                drops: f.drops,
                falls: f.falls.iter().collect(),
                rises: f.rises.iter().collect(),
                ramps: f.ramps,
                beyond: f.beyond,
                violations: f.violations,
            };
            (power, f.zoom.iter().map(|&(t, _, it)| (t, it)).collect())
        }
    }
}

pub(crate) fn build(snap: RunSnapshot) -> Report {
    let RunSnapshot {
        scenario,
        facility,
        seed,
        horizon,
        topology,
        detail,
        meter: m,
        record: rec,
        frontier,
        stats,
        usage,
        shares,
        policy,
        cost,
        design_w,
        grid_spec,
        lemons,
        retired,
        repair,
        spares_initial,
        storage,
    } = snap;
    let it_energy_wh = m.it.wms / WMS_PER_WH;
    // The energy the site buys each hour: the grid's draw behind a battery, else the facility's.
    let facility_hourly_wh: Vec<f64> = match (&m.battery, &m.facility) {
        (Some(b), _) => {
            let mut h: Vec<f64> = b.hourly_wms.iter().map(|w| w / WMS_PER_WH).collect();
            if b.hour_wms != 0.0 {
                h.push(b.hour_wms / WMS_PER_WH);
            }
            h
        }
        (None, Facility::Factor(k)) => m.it.hourly_wms.iter().map(|w| w * k / WMS_PER_WH).collect(),
        (None, Facility::Tracked(t)) => t.hourly_wms.iter().map(|w| w / WMS_PER_WH).collect(),
    };
    let (power, zoom) = facility_power(&m.it, it_energy_wh, m.facility, horizon.as_millis());
    let it = m.it;
    Report {
        scenario,
        facility,
        seed,
        horizon,
        chips: topology.chips() as u64,
        nodes: topology.nodes() as u64,
        topology,
        classes: rec.classes,
        groups: rec.groups,
        detail,
        failures: rec.failures,
        repair,
        spares_initial,
        storage,
        hung_chip_ms: rec.hung_chip_ms,
        interruptions: rec.interruptions,
        time: buckets(&m.chip_ms, rec.lost_chip_ms, m.cap.as_ref().map_or(0, |c| c.lost_chip_ms.round() as u128), rec.slowed_chip_ms),
        chip_ms_by_state: m.chip_ms,
        node_up_ms: m.node_up_ms,
        chip_watts: m.chip_watts,
        ramp_energy_wh: m.ramp_excess_wms / WMS_PER_WH,
        floor_energy_wh: m.floor_extra_watts.iter().zip(&m.chip_ms).map(|(w, &ms)| w * ms as f64).sum::<f64>() / WMS_PER_WH,
        node_watts: m.node_watts,
        racks_watts: m.racks_watts,
        pue: m.pue,
        it_energy_wh,
        it_peak_w: it.peak_w,
        it_min_w: it.min_w,
        max_drop_w: it.max_drop_w,
        max_drop_at: it.max_drop_at,
        drops: it.drops,
        zoom,
        power_bin: Duration::from_millis(it.bin_ms),
        power_bins: it.bins,
        power,
        jobs_submitted: rec.submitted,
        jobs_completed: rec.completed,
        jobs_started: rec.started,
        jobs_rejected: rec.rejected,
        mean_wait_hours: {
            // Queued jobs only: frontier jobs start at time zero and record no wait.
            let waits = rec.by_group.iter().flat_map(|g| &g.waits_ms);
            let (n, sum) = waits.fold((0u64, 0u128), |(n, s), &w| (n + 1, s + w as u128));
            if n > 0 { sum as f64 / n as f64 / 3_600_000.0 } else { 0.0 }
        },
        by_group: rec.by_group,
        tenants: rec.tenants,
        by_tenant: rec.by_tenant,
        by_size: rec.by_size,
        second_order_preemptions: rec.second_order_preemptions,
        usage,
        shares,
        policy,
        cost,
        design_w,
        grid_spec,
        lemons,
        retired,
        battery: m.battery.clone(),
        cap: m.cap.clone(),
        facility_hourly_wh,
        jobs: rec.jobs,
        frontier,
        stats,
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
        self.power.energy_wh
    }
    /// (start, end) of power bin `i` in ms; the last ends at the horizon.
    pub fn bin_span_ms(&self, i: usize) -> (u64, u64) {
        bin_span(i, self.power_bin.as_millis(), self.horizon.as_millis())
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
        let cost = self.cost_summary();
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
            nodes: self.nodes,
            failures: FailureSummary {
                total: self.classes.iter().map(|c| c.failures).sum(),
                lemon_nodes: self.lemons.0.len() as u64,
                on_lemon_nodes: self.lemons.1,
                retired_lemons: self.retired.0,
                retired_good_nodes: self.retired.1,
                permanent: self.classes.iter().map(|c| c.permanent).sum(),
                by_category,
                by_class,
            },
            repair: self.repair_summary(),
            storage: self.storage_summary(),
            interruptions: self.interruptions,
            tenant_interruptions: self.interruptions - self.frontier.iter().map(|f| f.interruptions as u64).sum::<u64>(),
            goodput: self.goodput(),
            ettr: self.ettr(),
            utilization: frac(t.useful + t.checkpoint + t.restart + t.lost + t.waiting),
            availability: 1.0 - frac(t.down),
            time_breakdown: Breakdown {
                useful: frac(t.useful),
                checkpoint: frac(t.checkpoint),
                restart: frac(t.restart),
                lost: frac(t.lost),
                throttled: frac(t.throttled),
                slowed: frac(t.slowed),
                not_installed: frac(t.not_installed),
                waiting: frac(t.waiting),
                idle: frac(t.idle),
                down: frac(t.down),
            },
            idle_split: {
                let spares = self.chip_ms_by_state[ChipState::Spare as usize];
                IdleSplit { hot_spares: frac(spares), free: frac(t.idle - spares) }
            },
            energy: Energy {
                it_mwh: self.it_energy_wh / 1e6,
                facility_mwh: self.facility_energy_wh() / 1e6,
                floor_energy_mwh: self.floor_energy_wh / 1e6,
                ramp_energy_mwh: self.ramp_energy_wh / 1e6,
            },
            power: Power {
                it_peak_mw: mw(self.it_peak_w),
                facility_peak_mw: mw(self.power.peak_w),
                facility_mean_mw: mw(self.facility_mean_w()),
                facility_min_mw: mw(self.power.min_w),
                max_drop_mw: mw(self.power.max_drop_w),
                max_drop_at_hours: self.power.max_drop_at.as_hours(),
                zoom: ZoomEvent {
                    at_hours: self.power.zoom_at.as_hours(),
                    fall_mw: mw(self.power.zoom_fall_w),
                    within_s: self.power.zoom_within_s,
                },
                drops: Swings::of(&self.power.falls, self.power.ramps.fall_w, self.horizon_hours() / 24.0),
                rises: Swings::of(&self.power.rises, self.power.ramps.rise_w, self.horizon_hours() / 24.0),
            },
            jobs: Jobs {
                submitted: self.jobs_submitted,
                started: self.jobs_started,
                completed: self.jobs_completed,
                rejected: self.jobs_rejected,
                mean_wait_h: self.mean_wait_hours,
            },
            tenants: self.tenant_summaries(cost.as_ref()),
            job_classes: self.class_summaries(),
            size_classes: self.size_summaries(),
            scheduler: self.scheduler_summary(),
            cost,
            grid: self.grid_summary(),
            battery: self.battery_summary(),
            throttle: self.throttle_summary(),
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
                    detection_hours: f.detection_hours,
                    checkpoint_interval_hours: f.checkpoint_interval_hours,
                    checkpoints_started: f.checkpoints_started,
                    checkpoints_persisted: f.checkpoints_persisted,
                    checkpoints_lost: f.checkpoints_lost,
                    memory_checkpoints: f.memory_checkpoints,
                    restarts_from: crate::sim::RestoreLevel::ALL
                        .iter()
                        .map(|l| (l.label().to_string(), f.restarts_from[*l as usize]))
                        .collect(),
                    stall_hours: f.stall_hours,
                    background_write_hours: f.background_write_hours,
                    short_hours: f.short_hours,
                    resizes: f.resizes,
                    lost_chip_hours: f.lost_chip_hours,
                    mean_lost_hours: if f.interruptions > 0 { f.lost_chip_hours / f.chips as f64 / f.interruptions as f64 } else { 0.0 },
                    finished_hours: f.finished_hours,
                    work_hours: f.work_hours,
                    projected_finish_days: f.projected_finish_days(),
                })
                .collect(),
            events: self.stats.processed,
        }
    }
}

/// The `summary.json` contract: what [`Report::summary`] gives and `gigasim run`
/// writes (with [`output::summary_json`](crate::output::summary_json)). Field names
/// are a public interface: fields are added freely, renamed or removed only with a
/// note in the README's changelog. A sweep's metrics name its numbers by dotted path
/// (`power.max_drop_mw`, `frontier.0.ettr`, see [`sweep::metric`](crate::sweep::metric)).
/// The shares in [`time_breakdown`](Self::time_breakdown) sum to 1; see [`Report`]
/// for an example.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub facility: String,
    pub seed: u64,
    pub horizon_days: f64,
    pub chips: u64,
    pub nodes: u64,
    pub failures: FailureSummary,
    pub repair: RepairSummary,
    /// The shared checkpoint storage (`null` when the facility has none).
    pub storage: Option<StorageSummary>,
    /// Job interruptions (a failure striking a computing job), all jobs.
    pub interruptions: u64,
    /// Of those, interruptions of tenant jobs (the rest struck frontier jobs).
    pub tenant_interruptions: u64,
    /// Useful chip-time / installed chip-time.
    pub goodput: f64,
    /// Frontier job(s): useful time / wall time since first start.
    pub ettr: f64,
    /// Share of chip-time allocated to jobs (useful, checkpoint, restart, lost, waiting).
    pub utilization: f64,
    /// Share of chip-time not down.
    pub availability: f64,
    pub time_breakdown: Breakdown,
    /// `time_breakdown.idle` split: hot spares held by frontier jobs, and free chips.
    pub idle_split: IdleSplit,
    pub energy: Energy,
    pub power: Power,
    pub jobs: Jobs,
    /// Per tenant of the workload (and per job source added in code), by name.
    pub tenants: BTreeMap<String, TenantSummary>,
    /// Per job class (a frontier job or a tenant's class), by name.
    pub job_classes: BTreeMap<String, TenantSummary>,
    /// Per size class of tenant jobs, by chips ("1", "2-7", "8-63", "64-255", "256+").
    pub size_classes: BTreeMap<String, TenantSummary>,
    pub scheduler: SchedulerSummary,
    /// The site's draw as the grid sees it, against the grid's limits.
    pub grid: GridSummary,
    /// The site battery (when the power model has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery: Option<BatterySummary>,
    /// The power cap the site enforces by throttling (when the scenario's grid does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttle: Option<ThrottleSummary>,
    /// What the run cost (when the scenario names a cost model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostSummary>,
    pub frontier: Vec<FrontierSummary>,
    /// Events processed (deterministic).
    pub events: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FailureSummary {
    pub total: u64,
    /// Lemon nodes (0 without lemons), and the failures that struck their chips or host.
    pub lemon_nodes: u64,
    pub on_lemon_nodes: u64,
    /// Nodes the retirement policy retired and replaced: lemons found, good nodes by mistake.
    pub retired_lemons: u64,
    pub retired_good_nodes: u64,
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
    /// Busy time an enforced power cap took (0 without one).
    pub throttled: f64,
    /// Busy time stragglers took from the jobs they slowed (0 without fail-slow classes).
    pub slowed: f64,
    /// In racks not yet in service (0 unless the site is built in phases).
    pub not_installed: f64,
    pub waiting: f64,
    pub idle: f64,
    pub down: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct IdleSplit {
    pub hot_spares: f64,
    pub free: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Energy {
    pub it_mwh: f64,
    pub facility_mwh: f64,
    /// IT energy the power floor added (stalled chips of running jobs lifted to
    /// the floor); 0 without a floor.
    pub floor_energy_mwh: f64,
    /// IT energy per-chip ramp limits added (chips still drawing while they ramp
    /// down, less what they did not draw while ramping up); 0 without.
    pub ramp_energy_mwh: f64,
}

/// The event the zoom trace is centred on: the largest fall of facility draw in one
/// instant, or, under per-chip ramp limits (no instant falls but failures'), the
/// largest within a minute.
#[derive(Clone, Debug, Serialize)]
pub struct ZoomEvent {
    pub at_hours: f64,
    pub fall_mw: f64,
    /// 0 for a fall in one instant, 60 for the largest within a minute (`at_hours` is the minute's end).
    pub within_s: f64,
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
    /// The event power_zoom.csv is centred on.
    pub zoom: ZoomEvent,
    /// Instantaneous falls of facility draw (where IT draw fell by at least 1 MW).
    pub drops: Swings,
    /// Instantaneous rises, likewise.
    pub rises: Swings,
}

/// How often and how far facility draw steps in one direction.
#[derive(Clone, Debug, Serialize)]
pub struct Swings {
    /// Mean count per day of steps larger than each threshold, keyed by the threshold in MW.
    pub per_day_over_mw: BTreeMap<String, f64>,
    /// Percentiles of the step sizes (nearest rank), MW; null when there were none.
    pub p50_mw: Option<f64>,
    pub p95_mw: Option<f64>,
    pub p99_mw: Option<f64>,
    pub max_mw: Option<f64>,
    /// The largest change in this direction between two instants at most the
    /// window apart, keyed by window ("1s", "1min", "15min"), MW.
    pub worst_ramp_mw: BTreeMap<String, f64>,
}

/// Thresholds of [`Swings::per_day_over_mw`], MW.
pub const SWING_THRESHOLDS_MW: [f64; 3] = [10.0, 50.0, 90.0];

impl Swings {
    /// From (size in watts, count) pairs, smallest first.
    fn of(sizes_w: &[(f64, u64)], worst_w: [f64; 3], days: f64) -> Self {
        let total: u64 = sizes_w.iter().map(|s| s.1).sum();
        // Nearest rank: the smallest size with at least p% of the sizes at or below it.
        let rank = |p: f64| {
            let r = ((p / 100.0 * total as f64).ceil() as u64).clamp(1, total.max(1));
            let mut seen = 0;
            sizes_w.iter().find(|s| {
                seen += s.1;
                seen >= r
            })
        };
        let mw = |s: Option<&(f64, u64)>| s.map(|s| s.0 / 1e6);
        Swings {
            per_day_over_mw: SWING_THRESHOLDS_MW
                .iter()
                .map(|&t| (format!("{t}"), sizes_w.iter().filter(|s| s.0 / 1e6 > t).map(|s| s.1).sum::<u64>() as f64 / days))
                .collect(),
            p50_mw: mw(rank(50.0)),
            p95_mw: mw(rank(95.0)),
            p99_mw: mw(rank(99.0)),
            max_mw: mw(sizes_w.last()),
            worst_ramp_mw: RAMP_WINDOWS.iter().zip(worst_w).map(|(&(_, label), w)| (label.to_string(), w / 1e6)).collect(),
        }
    }
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
    /// Wall time it hung on faults not yet seen (part of its restarts).
    pub detection_hours: f64,
    /// Work between its checkpoints, hours, as its policy chose it (`null` without checkpoints).
    pub checkpoint_interval_hours: Option<f64>,
    /// Persistent checkpoints begun, persisted (as `checkpoints`) and lost: cut by a
    /// failure, or not yet persisted in the background when one struck.
    pub checkpoints_started: u32,
    pub checkpoints_persisted: u32,
    pub checkpoints_lost: u32,
    /// In-memory checkpoints written (a memory level only).
    pub memory_checkpoints: u32,
    /// Completed restarts by where they restored from: "memory", "storage", "scratch".
    pub restarts_from: BTreeMap<String, u32>,
    /// Wall time stalled for checkpoints, and spent writing them in the background.
    pub stall_hours: f64,
    pub background_write_hours: f64,
    /// Chip-hours of computed work lost (recomputed), and per interruption the
    /// work lost, hours at full size.
    pub lost_chip_hours: f64,
    pub mean_lost_hours: f64,
    /// Elastic jobs: wall time computing on fewer nodes than its size, and times it grew back.
    pub short_hours: f64,
    pub resizes: u32,
    pub finished_hours: Option<f64>,
    /// Failure-free compute the job needs, hours at full size.
    pub work_hours: f64,
    /// The day its work completed, or the day it would at the progress rate it
    /// kept (useful over wall time); left out when it made no progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projected_finish_days: Option<f64>,
}
