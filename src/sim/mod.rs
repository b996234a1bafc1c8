//! The gigafactory model: the node pool, failure processes and repair, jobs
//! and the queue, and the meter that observes them, driven by the generic
//! engine. Each part owns its state; this module wires them and carries a
//! failure or a recovery across them. Nothing here knows the report.
//!
//! Start with [`Simulation`]: [`Simulation::new`] for a scenario as its files say,
//! [`Simulation::builder`] ([`SimulationBuilder`]) for another seed, [`Detail`], or
//! the caller's own [`FailureClass`]es, [`JobSource`]s, [`Policy`], [`PowerStage`]s
//! and [`RepairFlow`]. [`Simulation::run`] gives the [`Report`](crate::Report);
//! [`Simulation::run_until`] and the probes ([`Simulation::now`],
//! [`Simulation::job_phase`], [`Simulation::free_nodes`], …) step through a run.

mod builder;
mod failures;
mod jobs;
mod nodes;
pub mod power;
mod record;
pub mod sched;
mod storage;
pub mod topology;
mod usage;
mod workclock;

pub use builder::SimulationBuilder;
pub use failures::repair::{Crews, Fix, OutageView, RepairEvent, RepairFlow, RepairStage, RepairTally, StandardFlow};
pub use failures::{Failure, FailureClass, FailureEvent};
pub use jobs::{CheckpointPolicy, JobEvent, JobRequest, JobSource, Milestone, Phase, PoissonTenants, RestoreLevel, TraceSource};
pub use nodes::Role;
pub use power::{ChipState, MeterSnapshot, PowerBin, PowerStage};
pub use record::{ClassInfo, FailureRecord, FrontierStats, GroupStats, JobRecord, JobTag, NO_TENANT, Recorder, SIZE_CLASSES, size_class};
pub use sched::{Cause, Policy};
pub use storage::{StorageBin, StorageSnapshot};
pub use topology::Topology;
pub use usage::UsageSnapshot;

use crate::config::{Level, Problem, Scenario};
use crate::engine::{self, RunStats, Scheduler, SimTime, Streams, stream_id};
use failures::Failures;
use failures::repair::{Flow, Repair};
use jobs::{Arrivals, JobTable};
use nodes::{Healed, NodePool, Struck};
use power::{Chain, Ledger, Meter};
use sched::{Room, Sched, TenantInfo};
use usage::Usage;

/// Events are small `Copy` values. Each family (failures, repair, jobs) has its
/// own event type and handler; the queue holds them flattened into one enum, so
/// that dispatch is a single jump (a nested enum cost ~8 instructions an event).
/// Job phase events carry the job's epoch so that an interruption cancels them lazily.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    FailureTick {
        class: u16,
    },
    FailureClock {
        class: u16,
        unit: u32,
    },
    FailureRecur {
        class: u16,
        unit: u32,
        generation: u32,
    },
    FailureBurst {
        class: u16,
    },
    FailureStrike {
        class: u16,
        unit: u32,
    },
    /// A rack of a site built in phases comes into service.
    RackInstalled {
        rack: u32,
    },
    /// A straggler (`slow[slot]`) is found.
    SlowFound {
        slot: u32,
    },
    /// Row `row` of a failure trace is due.
    FailureReplay {
        row: u32,
    },
    /// A silent fault (`pending[slot]`) is found.
    SilentFound {
        slot: u32,
    },
    RepairStageDone {
        outage: u32,
    },
    RepairSpareBack,
    JobPhaseEnd {
        job: u32,
        epoch: u32,
    },
    JobArrival {
        source: u16,
    },
    JobWallTime {
        job: u32,
        attempt: u32,
    },
    JobBackground {
        job: u32,
        generation: u32,
    },
    /// The shared storage's first transfer ends (epoch: its allocation then).
    StorageDue {
        epoch: u32,
    },
    /// The work clock reaches the earliest end of a running segment (under an enforced cap).
    WorkDue {
        generation: u32,
    },
}

impl From<FailureEvent> for Event {
    #[inline]
    fn from(e: FailureEvent) -> Self {
        match e {
            FailureEvent::ClassTick { class } => Event::FailureTick { class },
            FailureEvent::UnitClock { class, unit } => Event::FailureClock { class, unit },
            FailureEvent::Recur { class, unit, generation } => Event::FailureRecur { class, unit, generation },
            FailureEvent::Burst { class } => Event::FailureBurst { class },
            FailureEvent::Strike { class, unit } => Event::FailureStrike { class, unit },
            FailureEvent::Replay { row } => Event::FailureReplay { row },
        }
    }
}

impl From<RepairEvent> for Event {
    #[inline]
    fn from(e: RepairEvent) -> Self {
        match e {
            RepairEvent::StageDone { outage } => Event::RepairStageDone { outage },
            RepairEvent::SpareBack => Event::RepairSpareBack,
        }
    }
}

impl From<JobEvent> for Event {
    #[inline]
    fn from(e: JobEvent) -> Self {
        match e {
            JobEvent::PhaseEnd { job, epoch } => Event::JobPhaseEnd { job, epoch },
            JobEvent::Arrival { source } => Event::JobArrival { source },
            JobEvent::WallTime { job, attempt } => Event::JobWallTime { job, attempt },
            JobEvent::Background { job, generation } => Event::JobBackground { job, generation },
        }
    }
}

/// A silent fault not yet found, and each job computing on its unit then: (slot,
/// serial, work saved before the fault).
type SilentFault = (Failure, SimTime, Vec<(u32, u64, u64)>);

/// A straggler not yet found, and each job it slowed: (slot, serial).
type Straggler = (Failure, SimTime, Vec<(u32, u64)>);

/// The first free slot of a list of pending faults (a new one at the end if none).
fn free_slot<T>(list: &mut Vec<Option<T>>) -> usize {
    match list.iter().position(Option::is_none) {
        Some(i) => i,
        None => {
            list.push(None);
            list.len() - 1
        }
    }
}

/// What a run keeps beyond its totals. Either way it simulates the same events
/// and [`Report::summary`](crate::Report::summary) is the same to the byte.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    /// Everything: the failure list, power bins, zoom trace, drops and the
    /// frontier progress traces (what `gigasim run` writes as CSV and charts).
    #[default]
    Full,
    /// Only what `summary.json` needs, for sweeps and replications, where the
    /// series would be built and thrown away at every run.
    Summary,
}

const PURPOSE_SOURCE: u64 = stream_id("job-source");

/// One run of a scenario. `Simulation::new(&scenario).run()` gives a
/// [`Report`](crate::Report); [`run_until`](Self::run_until) and the probes step through it.
///
/// The same scenario and seed give the same events, stepped or not, and at
/// [`Detail::Summary`] the same summary without the series:
///
/// ```
/// use gigasim::engine::SimTime;
/// use gigasim::sim::Phase;
/// use gigasim::{Detail, Report, Simulation, config};
///
/// let s = config::apply_sets(&config::default_scenario(), &["horizon_days=1".into()])?;
///
/// // Half a day, then a look with the probes: the frontier job is job 0.
/// let mut sim = Simulation::new(&s);
/// sim.run_until(SimTime::from_hours(12.0));
/// assert_eq!(sim.now(), SimTime::from_hours(12.0));
/// let nodes = s.workload.frontier[0].chips.get() / s.facility.chips_per_node.get();
/// assert_eq!(sim.job_nodes(0).0, nodes);
/// assert!(matches!(sim.job_phase(0), Some(Phase::Running | Phase::Checkpointing | Phase::Restarting)));
/// let stepped = sim.run();
///
/// let json = |r: &Report| serde_json::to_string(&r.summary()).unwrap();
/// let plain = Simulation::new(&s).run();
/// assert_eq!(json(&stepped), json(&plain));
/// let lean = Simulation::builder(&s).detail(Detail::Summary).build().run();
/// assert_eq!(json(&lean), json(&plain));
/// assert!(lean.failures.is_empty() && !plain.failures.is_empty());
/// // Another seed, other failures.
/// let other = Simulation::builder(&s).seed(2).build().run();
/// assert_ne!(json(&other), json(&plain));
/// # Ok::<(), gigasim::config::InputError>(())
/// ```
pub struct Simulation {
    pub(crate) scenario: Scenario,
    pub(crate) seed: u64,
    pub(crate) detail: Detail,
    pub(crate) topo: Topology,
    pub(crate) horizon: SimTime,
    /// The power bin: a frontier trace keeps at most one checkpoint per bin.
    pub(crate) trace_bin_ms: u64,
    /// Nodes the frontier jobs and their hot spares leave to tenants.
    pub(crate) tenant_nodes: u32,
    pub(crate) events: Scheduler<Event>,
    pub(crate) stats: RunStats,
    pub(crate) meter: Meter,
    /// Under an enforced power cap: the clock running segments end by.
    pub(crate) clock: Option<workclock::WorkClock>,
    due_scratch: Vec<(u32, u32)>,
    pub(crate) pool: NodePool,
    pub(crate) failures: Failures,
    pub(crate) repair: Repair,
    pub(crate) jobs: JobTable,
    pub(crate) queue: Sched,
    pub(crate) arrivals: Arrivals,
    /// The tenant of each group's jobs (frontier jobs, then job sources).
    pub(crate) group_tenant: Vec<u16>,
    pub(crate) usage: Usage,
    /// Scratch: the free room handed to the policy.
    pub(crate) room: Room,
    /// Attempts started so far: each attempt's number is unique.
    pub(crate) attempts: u32,
    /// Scratch: the nodes of a one-rack job.
    pub(crate) rack_scratch: Vec<u32>,
    pub(crate) prices: Option<crate::config::PriceSeries>,
    /// (job, struck while computing) for the failure being handled.
    hit_scratch: Vec<(u32, bool)>,
    /// Per open outage, its row in the failure list (at `Detail::Full`).
    outage_rows: Vec<u32>,
    /// Silent faults not yet found: the fault, and each job computing on its unit
    /// then (slot, serial, work saved before the fault). Free slots are `None`.
    silent: Vec<Option<SilentFault>>,
    /// Stragglers not yet found, and the jobs each slowed (slot, serial).
    slow: Vec<Option<Straggler>>,
    pub(crate) rec: Recorder,
    /// The shared checkpoint storage, if the facility has one.
    pub(crate) storage: Option<storage::Storage>,
    /// Background writes begun so far: each one's generation.
    pub(crate) writes: u32,
}

/// Everything a finished run hands to the report: plain values.
#[non_exhaustive]
pub struct RunSnapshot {
    pub scenario: String,
    pub facility: String,
    pub seed: u64,
    pub horizon: SimTime,
    pub topology: Topology,
    pub detail: Detail,
    pub meter: MeterSnapshot,
    pub record: Recorder,
    pub usage: UsageSnapshot,
    /// Each tenant's entitled share (normalised), and the policy's name.
    pub shares: Vec<f64>,
    pub policy: String,
    /// What the site costs, with its electricity series and the run's first day of the year.
    pub cost: Option<(crate::config::CostModel, crate::config::PriceSeries, u32)>,
    /// Design power (every chip busy, every node and rack up, times PUE), W.
    pub design_w: f64,
    pub grid_spec: Option<crate::config::GridSpec>,
    pub frontier: Vec<FrontierStats>,
    pub stats: RunStats,
    /// Lemon nodes (ascending), and the failures that struck them.
    pub lemons: (Vec<u32>, u64),
    /// Nodes the retirement policy retired: lemons, and good nodes.
    pub retired: (u64, u64),
    /// What the repair pipeline did: outcomes, crew waits and use, spare stock.
    pub repair: RepairTally,
    pub spares_initial: u32,
    /// What the shared checkpoint storage did, if the facility has one.
    pub storage: Option<StorageSnapshot>,
}

impl Simulation {
    /// A simulation of `scenario` with its own seed and the models its files describe.
    pub fn new(scenario: &Scenario) -> Self {
        Self::builder(scenario).build()
    }

    /// [`new`](Self::new) for a scenario made or changed in code: checked first.
    pub fn try_new(scenario: &Scenario) -> Result<Self, Problem> {
        Self::builder(scenario).try_build()
    }

    pub fn builder(scenario: &Scenario) -> SimulationBuilder {
        let classes = scenario.failure.classes.iter().map(FailureClass::from_spec).collect();
        // A trace replaces the tenants' job classes.
        let trace_spec = scenario.workload.trace.clone();
        let sources = if trace_spec.is_some() {
            Vec::new()
        } else {
            scenario
                .workload
                .classes()
                .map(|(t, c)| (Box::new(PoissonTenants::from_spec(c, t as u16)) as Box<dyn JobSource>, Some(t as u16)))
                .collect()
        };
        SimulationBuilder {
            scenario: scenario.clone(),
            seed: scenario.seed,
            detail: Detail::Full,
            classes,
            sources,
            policy: None,
            stages: Vec::new(),
            flow: None,
            trace_spec,
            trace: None,
            prices: None,
            replay: None,
        }
    }

    fn assemble(b: SimulationBuilder) -> Self {
        let SimulationBuilder { scenario, seed, detail, classes, mut sources, policy, stages, flow, trace, prices, replay, .. } = b;
        if let Some(t) = trace {
            // Each job names its tenant; the group's is the default tenant (or the first).
            let w = &scenario.workload;
            let home = w.default_tenant.as_deref().and_then(|d| w.tenant_index(d)).unwrap_or(0) as u16;
            sources.insert(0, (Box::new(t), (!w.tenants.is_empty()).then_some(home)));
        }
        // Trace rows name the model's classes; the builder may have changed them: match by name.
        let replay = replay.map(|rows| {
            let spec = &scenario.failure.classes;
            let index: Vec<Option<u16>> = spec.iter().map(|s| classes.iter().position(|c| c.name == s.name).map(|i| i as u16)).collect();
            rows.into_iter().filter_map(|r| index[r.class as usize].map(|class| crate::config::ReplayedFailure { class, ..r })).collect()
        });
        let topo = Topology::of(&scenario.facility);
        let horizon = SimTime::from_hours(scenario.horizon_days.get() * 24.0);
        let bin_ms = (scenario.power_bin_minutes.get() * 60_000.0).round().max(1.0) as u64;
        let streams = Streams::new(seed);
        let mut chain = Chain::of(&scenario.power, topo.racks() as u64);
        for s in stages {
            chain.push(s);
        }
        let ledger = Ledger::new(topo.chips() as u64, topo.nodes() as u64);
        let limits = scenario.grid.as_ref().map_or((f64::INFINITY, f64::NEG_INFINITY), |g| {
            (g.cap_mw.map_or(f64::INFINITY, |c| c.get() * 1e6), g.floor_mw.map_or(f64::NEG_INFINITY, |f| f.get() * 1e6))
        });
        let g = scenario.grid.clone().unwrap_or_default();
        let mw = |x: Option<crate::config::Positive>| x.map_or(f64::INFINITY, |x| x.get() * 1e6);
        let ramp_limits = (mw(g.ramp_mw_per_min), mw(g.ramp_mw_per_s));
        let mut meter = Meter::new(ledger, chain, horizon, bin_ms, detail == Detail::Full, limits, ramp_limits);
        let enforced = g.cap_mw.filter(|_| g.enforce_cap).zip(scenario.power.throttle.as_ref());
        if let Some((cap, t)) = enforced {
            meter = meter.with_cap(cap.get() * 1e6, t.min_fraction_of_busy.get(), t.alpha.get());
        }
        let clock = enforced.is_some().then(workclock::WorkClock::new);
        if let Some(r) = &scenario.power.ramp {
            let spec = power::slew::SlewSpec { up_w_per_ms: r.up_watts_per_s.get() / 1e3, down_w_per_ms: r.down_watts_per_s.get() / 1e3 };
            meter = meter.with_slew(spec);
        }
        if let Some(b) = &scenario.power.battery {
            meter = meter.with_battery(
                power::battery::BatterySpec {
                    capacity_wh: b.capacity_mwh.get() * 1e6,
                    power_w: b.power_mw.get() * 1e6,
                    round_trip: b.round_trip_efficiency.get(),
                    initial_soc: b.initial_soc.get(),
                    target_soc: b.target_soc.get(),
                    restore_w: b.restore_mw.get() * 1e6,
                    ramp_w_per_ms: b.grid_ramp_mw_per_min.get() * 1e6 / 60_000.0,
                    band_w: (
                        b.grid_min_mw.map_or(f64::NEG_INFINITY, |x| x.get() * 1e6),
                        b.grid_max_mw.map_or(f64::INFINITY, |x| x.get() * 1e6),
                    ),
                },
                (detail == Detail::Full).then_some(bin_ms),
                limits,
                ramp_limits,
            );
        }
        let w = &scenario.workload;
        let mut tenants: Vec<String> = w.tenants.iter().map(|t| t.name.clone()).collect();
        let mut group_tenant: Vec<u16> =
            w.frontier.iter().map(|f| f.tenant.as_deref().and_then(|t| w.tenant_index(t)).map_or(NO_TENANT, |i| i as u16)).collect();
        for (src, t) in &sources {
            group_tenant.push(t.unwrap_or_else(|| {
                tenants.push(src.name().to_string());
                (tenants.len() - 1) as u16
            }));
        }
        let groups = w.frontier.iter().map(|f| f.name.clone()).chain(sources.iter().map(|s| s.0.name().to_string())).collect();
        let infos = tenant_infos(&scenario, &tenants);
        let rec = Recorder::new(&classes, groups, tenants);
        let source_rngs = (0..sources.len()).map(|i| streams.rng(PURPOSE_SOURCE, i as u64, 0)).collect();
        let sources = sources.into_iter().map(|s| s.0).collect();
        let policy = policy.unwrap_or_else(|| sched::policy_for(&scenario.workload.scheduler));
        let usage = Usage::new(infos.len(), detail == Detail::Full);
        let mut sim = Simulation {
            seed,
            detail,
            topo,
            horizon,
            trace_bin_ms: bin_ms,
            tenant_nodes: {
                let held: u64 = scenario
                    .workload
                    .frontier
                    .iter()
                    .map(|f| f.chips.get().div_ceil(topo.chips_per_node) as u64 + f.hot_spare_nodes as u64)
                    .sum();
                (topo.nodes() as u64).saturating_sub(held) as u32
            },
            events: Scheduler::with_capacity(1024),
            stats: RunStats::default(),
            meter,
            pool: NodePool::new(topo),
            failures: Failures::new(
                classes,
                &topo,
                streams,
                scenario.failure.lemons.as_ref().map(|l| (l.fraction_of_nodes.get(), l.rate_factor.get())),
            )
            .with_retirement(scenario.failure.retirement.clone(), topo.nodes())
            .with_detection(scenario.failure.detection.clone())
            .with_latent_faults(
                scenario.failure.repair.escalation.as_ref().filter(|_| flow.is_none()).map(|e| e.refail.clone()),
                topo.nodes(),
            )
            .with_replay(replay)
            .with_install_hours(scenario.facility.install_hours()),
            repair: Repair::new(
                &scenario.failure.repair,
                &streams,
                flow.map_or(Flow::Standard(StandardFlow), Flow::Custom),
                topo.nodes(),
                topo.chips_per_node,
                detail == Detail::Full,
            ),
            jobs: JobTable::default(),
            queue: Sched::new(policy, infos),
            arrivals: Arrivals::new(sources, source_rngs),
            group_tenant,
            usage,
            room: Room::nodes(0, topo.chips_per_node).with_racks(topo.nodes_per_rack),
            attempts: 0,
            rack_scratch: Vec::new(),
            prices,
            hit_scratch: Vec::new(),
            outage_rows: Vec::new(),
            silent: Vec::new(),
            slow: Vec::new(),
            due_scratch: Vec::new(),
            clock,
            rec,
            storage: scenario.facility.storage.as_ref().map(|s| storage::Storage::new(s, bin_ms, detail == Detail::Full)),
            writes: 0,
            scenario,
        };
        sim.uninstall_racks();
        sim.failures.start(&mut sim.events);
        sim.start_frontier_jobs();
        sim.retime();
        for s in 0..sim.arrivals.len() {
            sim.schedule_next_arrival(s as u16);
        }
        sim
    }

    pub fn topology(&self) -> Topology {
        self.topo
    }
    pub fn horizon(&self) -> SimTime {
        self.horizon
    }

    /// Process every event up to `until` (at most the horizon); the clock then stands there.
    pub fn run_until(&mut self, until: SimTime) -> RunStats {
        self.run_until_limited(until, u64::MAX).0
    }

    /// [`run_until`](Self::run_until), stopping early after `limit` events; the
    /// second value tells whether `until` was reached.
    pub fn run_until_limited(&mut self, until: SimTime, limit: u64) -> (RunStats, bool) {
        let (s, reached) = engine::run_limited(self, until.min(self.horizon), limit);
        self.stats.processed += s.processed;
        self.stats.stale += s.stale;
        (s, reached)
    }

    /// Run what is left up to the horizon and hand over what the run observed.
    pub fn into_snapshot(mut self) -> RunSnapshot {
        self.run_until(self.horizon);
        self.meter.advance(self.horizon);
        // Jobs still slowed by a straggler, or hanging at the end: their time up to the horizon.
        for j in 0..self.jobs.slots() {
            let Some(job) = self.jobs.get(j) else { continue };
            if job.phase == Phase::Running && job.speed < 1.0 {
                self.slowed(j, self.horizon);
            } else if job.phase == Phase::Restarting {
                self.hung_until(j, self.horizon);
            }
        }
        self.usage.advance(self.horizon);
        for j in self.jobs.live_tenants() {
            let job = &self.jobs[j];
            let useful = job.work_done as u128 * job.chips as u128;
            let k = self.keys(j);
            self.rec.unfinished(k, useful);
            self.record_job(j);
        }
        for j in 0..self.scenario.workload.frontier.len() as u32 {
            let job = &self.jobs[j];
            if job.finished.is_none() {
                let useful = (job.work_done + self.unsaved(j, self.horizon)) as u128 * job.chips as u128;
                let k = self.keys(j);
                self.rec.unfinished(k, useful);
            }
        }
        let shares = self.queue.tenants().iter().map(|t| t.share).collect();
        let policy = self.queue.policy_name().to_string();
        self.rec.jobs.sort_by_key(|r| r.tag.serial);
        let frontier = (0..self.scenario.workload.frontier.len()).map(|j| self.frontier_stats(j as u32, self.horizon)).collect();
        RunSnapshot {
            scenario: self.scenario.name.clone(),
            facility: self.scenario.facility.name.clone(),
            seed: self.seed,
            horizon: self.horizon,
            topology: self.topo,
            detail: self.detail,
            meter: self.meter.snapshot(),
            usage: self.usage.snapshot(self.horizon.as_hours()),
            shares,
            policy,
            cost: match (self.scenario.cost.clone(), self.prices.take()) {
                (Some(c), Some(p)) => Some((c, p, crate::config::day_of_year(&self.scenario.start_date).unwrap_or(0))),
                _ => None,
            },
            grid_spec: self.scenario.grid.clone(),
            design_w: {
                let p = &self.scenario.power;
                (f64::from(self.topo.chips()) * p.chip_watts.busy.get()
                    + f64::from(self.topo.nodes()) * p.node_overhead_watts.get()
                    + f64::from(self.topo.racks()) * p.rack_overhead_watts.get())
                    * p.pue.get()
            },
            lemons: (self.failures.lemon_nodes().to_vec(), self.failures.on_lemons),
            retired: (self.failures.retired_lemons, self.failures.retired_good),
            repair: self.repair.take_tally(self.horizon),
            spares_initial: self.scenario.failure.repair.spare_nodes,
            storage: self.storage.as_ref().map(|s| s.snapshot(self.horizon)),
            record: self.rec,
            frontier,
            stats: self.stats,
        }
    }

    // ---- read-only probes, for step-level tests and tools

    /// Simulated time now.
    pub fn now(&self) -> SimTime {
        self.events.now()
    }
    /// The chip-state ledger: chips per state and nodes up now, and exact
    /// chip-time up to the last event (its `time()`), not up to `now()`.
    pub fn ledger(&self) -> &Ledger {
        self.meter.ledger()
    }
    /// Healthy nodes owned by no job.
    pub fn free_nodes(&self) -> u32 {
        self.pool.free_count()
    }
    /// Whether node `n` is in service (`None` past the last node).
    pub fn node_healthy(&self, n: u32) -> Option<bool> {
        (n < self.topo.nodes()).then(|| self.pool.healthy(n))
    }
    /// What node `n` does and for which owner (a job id); `None` past the last node.
    pub fn node_role(&self, n: u32) -> Option<(Role, Option<u32>)> {
        (n < self.topo.nodes()).then(|| (self.pool.role(n), self.pool.owner(n)))
    }
    /// Phase of job `id`. Frontier jobs are 0, 1, … in the workload's order; a
    /// tenant job's id is a slot that a later job reuses once it is done.
    pub fn job_phase(&self, id: u32) -> Option<Phase> {
        self.job_phase_of(id)
    }
    /// Nodes job `id` computes on, and its healthy hot spares.
    pub fn job_nodes(&self, id: u32) -> (u32, u32) {
        if self.jobs.get(id).is_some() { (self.pool.active(id), self.pool.spares(id)) } else { (0, 0) }
    }
    /// Jobs waiting in the queue.
    pub fn queued_jobs(&self) -> usize {
        self.queue.len()
    }
    /// The queue as the policy sees it, in order.
    pub fn queue(&self) -> impl Iterator<Item = &sched::QueuedJob> {
        self.queue.jobs()
    }
    /// Repair crews free, outages waiting for one, and spare nodes in stock.
    pub fn repair_state(&self) -> (u32, usize, u32) {
        (self.repair.crews().free(), self.repair.crews().waiting(), self.repair.spares().in_stock())
    }
    /// The repair pipeline's tallies so far (time averages up to now).
    pub fn repair_tally(&mut self) -> &RepairTally {
        let now = self.events.now();
        self.repair.tally(now)
    }
    /// Outages not yet over.
    pub fn open_outages(&self) -> usize {
        self.repair.open()
    }
    /// What the run has written down so far.
    pub fn record(&self) -> &Recorder {
        &self.rec
    }

    fn dispatch(&mut self, ev: Event) {
        self.meter.advance(self.events.now());
        match ev {
            Event::JobPhaseEnd { job, .. } => self.on_phase_end(job),
            Event::JobArrival { source } => self.on_arrival(source),
            Event::JobWallTime { job, .. } => self.on_walltime(job),
            Event::JobBackground { job, .. } => self.background_written(job),
            Event::StorageDue { .. } => self.on_storage_due(),
            Event::FailureTick { class } => self.on_failure(FailureEvent::ClassTick { class }),
            Event::FailureClock { class, unit } => self.on_failure(FailureEvent::UnitClock { class, unit }),
            Event::FailureRecur { class, unit, generation } => self.on_failure(FailureEvent::Recur { class, unit, generation }),
            Event::FailureBurst { class } => self.on_failure(FailureEvent::Burst { class }),
            Event::FailureStrike { class, unit } => self.on_failure(FailureEvent::Strike { class, unit }),
            Event::SilentFound { slot } => self.silent_found(slot),
            Event::SlowFound { slot } => self.slow_found(slot),
            Event::RackInstalled { rack } => self.install_rack(rack),
            Event::FailureReplay { row } => self.on_failure(FailureEvent::Replay { row }),
            Event::RepairStageDone { outage } => {
                if let Some(b) = self.repair.stage_done(outage, &mut self.events) {
                    if self.detail == Detail::Full {
                        self.rec.failure_back(self.outage_rows[outage as usize], self.events.now());
                    }
                    self.failures.back(&b.failure, b.fix, b.refail, &mut self.events);
                    self.recovered(b.failure);
                }
            }
            Event::RepairSpareBack => self.repair.spare_back(self.events.now()),
            Event::WorkDue { .. } => self.on_work_due(),
        }
        if self.clock.is_some() {
            self.retime();
        }
    }

    /// Transfers through the shared storage end: their jobs go on.
    fn on_storage_due(&mut self) {
        let now = self.events.now();
        let Some(s) = self.storage.as_mut() else { return };
        // Handling one may stop another job's transfer that ended at this instant
        // (say, by preempting it): each is delivered only if its job still waits for it.
        for (id, j, dir) in s.due(now, &mut self.events) {
            let Some(job) = self.jobs.get(j) else { continue };
            if job.saves.flow == id {
                self.jobs[j].saves.flow = 0;
                self.transfer_done(j, dir);
            } else if job.saves.write_flow == id {
                self.jobs[j].saves.write_flow = 0;
                self.persisted_async(j);
            }
        }
    }

    /// Running segments whose end the work clock reached end now.
    fn on_work_due(&mut self) {
        let Some(c) = &mut self.clock else { return };
        let mut due = std::mem::take(&mut self.due_scratch);
        c.due(self.events.now().as_millis(), &mut due);
        for &(j, epoch) in &due {
            if self.jobs.epoch(j) == epoch && self.jobs[j].phase == Phase::Running {
                self.on_phase_end(j);
            }
        }
        due.clear();
        self.due_scratch = due;
    }

    /// Under an enforced cap: take the speed the chip counts now give, and (re)arm
    /// the wake-up for the earliest segment end.
    pub(crate) fn retime(&mut self) {
        let speed = self.meter.speed();
        let Some(c) = &mut self.clock else { return };
        let now = self.events.now().as_millis();
        c.set_speed(now, speed);
        if let Some(t) = c.rearm(now) {
            let generation = c.generation;
            self.events.at(SimTime::from_millis(t), Event::WorkDue { generation });
        }
    }

    #[inline]
    fn on_failure(&mut self, e: FailureEvent) {
        let (pool, jobs, topo, exposure) = (&self.pool, &self.jobs, &self.topo, self.scenario.failure.exposure);
        let up = |level: Level, unit: u32| {
            pool.unit_up(level, unit)
                && exposure.is_none_or(|x| {
                    let n = match level {
                        Level::Chip => unit / topo.chips_per_node,
                        Level::Node => unit,
                        Level::Rack | Level::Pod => return true,
                    };
                    let exposed = |j: u32| {
                        let p = jobs[j].phase;
                        (!x.computing_only || p.computing()) && (x.during_restart || p != Phase::Restarting)
                    };
                    match pool.role(n) {
                        Role::Active | Role::Shared => pool.users(n).any(exposed),
                        Role::Free | Role::Spare => !x.computing_only,
                    }
                })
        };
        if let Some(mut f) = self.failures.on_event(e, &mut self.events, up) {
            self.failures.hide(&mut f);
            match (f.silent, f.slow) {
                (Some(after), _) => self.corrupt(f, after),
                (None, Some((speed, after))) => self.straggle(f, speed, after),
                (None, None) => self.fail(f),
            }
        }
    }

    /// The jobs computing on the nodes of `f`'s unit now.
    fn computing_on(&self, f: &Failure) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for n in self.topo.nodes_of(f.level, f.unit) {
            for j in self.pool.users(n) {
                if self.jobs[j].phase.computing() && !out.contains(&j) {
                    out.push(j);
                }
            }
        }
        out
    }

    /// A straggler: the unit runs on, slowing each job computing on it to `speed`
    /// (the slowest straggler sets a job's pace) until it is found `after` from now.
    fn straggle(&mut self, f: Failure, speed: f64, after: crate::engine::Duration) {
        let struck: Vec<(u32, u64)> = self.computing_on(&f).into_iter().map(|j| (j, self.jobs[j].serial)).collect();
        let slot = free_slot(&mut self.slow);
        for &(j, _) in &struck {
            self.jobs[j].paces.push((speed, slot as u32));
            self.pace_of_stragglers(j);
        }
        self.slow[slot] = Some((f, self.events.now(), struck));
        self.events.after(after, Event::SlowFound { slot: slot as u32 });
    }

    /// A straggler is found: the jobs it slowed (with no other straggler) get their
    /// pace back, and its unit goes out of service as a failure does.
    fn slow_found(&mut self, slot: u32) {
        let Some((mut f, onset, struck)) = self.slow[slot as usize].take() else { return };
        f.slow = None;
        for (j, serial) in struck {
            let Some(job) = self.jobs.get(j).filter(|job| job.serial == serial) else { continue };
            if let Some(i) = job.paces.iter().position(|p| p.1 == slot) {
                self.jobs[j].paces.swap_remove(i);
                self.pace_of_stragglers(j);
            }
        }
        self.found(f, onset);
    }

    /// A hidden fault (silent or slow) that began at `onset` is found: its unit goes out of
    /// service as a failure does; if it is down already, its clock starts again. Returns
    /// whether it failed now (`hit_scratch` then holds the jobs it interrupted).
    fn found(&mut self, f: Failure, onset: SimTime) -> bool {
        if self.pool.unit_up(f.level, f.unit) {
            self.fail(f);
            if self.detail == Detail::Full {
                self.rec.onset_of_last(onset);
            }
            true
        } else {
            self.failures.unit_back(&f, &mut self.events);
            false
        }
    }

    /// A site built in phases: racks not in service on day 0 are out until their day.
    fn uninstall_racks(&mut self) {
        let cpn = self.topo.chips_per_node as u64;
        for (r, h) in self.scenario.facility.install_hours().into_iter().enumerate() {
            if h <= 0.0 {
                continue;
            }
            let r = r as u32;
            self.pool.cover_domain(Level::Rack, r, true);
            for n in self.topo.nodes_of(Level::Rack, r) {
                self.pool.strike(n);
                self.meter.node_down();
                self.meter.shift(ChipState::Idle, ChipState::NotInstalled, cpn);
            }
            self.events.at(SimTime::from_hours(h), Event::RackInstalled { rack: r });
        }
    }

    /// Rack `r` comes into service: its nodes join the free pool and its units start failing.
    fn install_rack(&mut self, r: u32) {
        let cpn = self.topo.chips_per_node as u64;
        self.pool.cover_domain(Level::Rack, r, false);
        for n in self.topo.nodes_of(Level::Rack, r) {
            // A pod outage under way keeps it down.
            if self.pool.heal(n) == Healed::StillDown {
                self.meter.shift(ChipState::NotInstalled, ChipState::Down, cpn);
            } else {
                self.meter.node_up();
                self.meter.shift(ChipState::NotInstalled, ChipState::Idle, cpn);
            }
        }
        self.failures.install(r, &mut self.events);
        self.try_schedule();
    }

    /// Job `j` goes at the pace of the slowest straggler it still computes on (1 with none).
    pub(crate) fn pace_of_stragglers(&mut self, j: u32) {
        let pace = self.jobs[j].paces.iter().map(|p| p.0).fold(1.0, f64::min) * self.jobs[j].elastic_speed;
        if pace != self.jobs[j].speed {
            self.set_speed(j, pace);
        }
    }

    /// Job `j` restarts: stragglers on nodes it no longer computes on slow it no more.
    pub(crate) fn drop_stragglers_left_behind(&mut self, j: u32) {
        if self.jobs[j].paces.is_empty() {
            return;
        }
        let mut paces = std::mem::take(&mut self.jobs[j].paces);
        paces.retain(|&(_, slot)| {
            self.slow[slot as usize]
                .as_ref()
                .is_some_and(|(f, _, _)| self.topo.nodes_of(f.level, f.unit).any(|n| self.pool.users(n).any(|u| u == j)))
        });
        self.jobs[j].paces = paces;
        self.pace_of_stragglers(j);
    }

    /// A silent fault: the unit runs on; note what each job computing on it had
    /// saved before it, and find the fault `after` from now.
    fn corrupt(&mut self, f: Failure, after: crate::engine::Duration) {
        let struck: Vec<(u32, u64, u64)> =
            self.computing_on(&f).into_iter().map(|j| (j, self.jobs[j].serial, self.jobs[j].saved())).collect();
        let slot = free_slot(&mut self.silent);
        self.silent[slot] = Some((f, self.events.now(), struck));
        self.events.after(after, Event::SilentFound { slot: slot as u32 });
    }

    /// A silent fault is found: its unit goes out of service as a failure does, and
    /// every job that computed on it since rolls back to what it had saved before it
    /// (checkpoints written since hold corrupt state), restarting if it still runs.
    fn silent_found(&mut self, slot: u32) {
        let Some((mut f, onset, struck)) = self.silent[slot as usize].take() else { return };
        f.silent = None;
        // Jobs the outage itself interrupts are not interrupted twice.
        let hit: Vec<u32> = if self.found(f, onset) { self.hit_scratch.iter().map(|h| h.0).collect() } else { Vec::new() };
        for (j, serial, saved) in struck {
            let Some(job) = self.jobs.get(j).filter(|job| job.serial == serial && job.finished.is_none()) else { continue };
            if job.work_done > saved {
                let lost = (job.work_done - saved) as u128 * job.chips as u128;
                let k = self.keys(j);
                let job = &mut self.jobs[j];
                job.work_done = saved;
                job.saves.persisted = job.saves.persisted.min(saved);
                // Memory holds only its newest copy, written after the fault: gone.
                if job.saves.in_memory > saved {
                    job.saves.in_memory = 0;
                }
                job.saves.next_persist = saved + job.ckpt.map_or(0, |c| c.interval);
                job.lost_chip_ms += lost;
                self.rec.rolled_back(k, lost);
            }
            if self.jobs[j].phase.computing() && !hit.contains(&j) {
                self.interrupt(j, Cause::Failure);
            } else if hit.contains(&j) && self.jobs[j].phase == Phase::Restarting {
                // It restarted on a spare before the rollback: from the level left now.
                let before = (self.jobs[j].saves.level, self.jobs[j].work_done);
                self.settle_restore(j);
                if (self.jobs[j].saves.level, self.jobs[j].work_done) != before {
                    self.restart_again(j);
                }
            }
        }
        self.try_schedule();
    }

    /// A unit fails: its nodes go out of service, the jobs computing on them
    /// are interrupted, and its outage starts through the repair pipeline.
    fn fail(&mut self, f: Failure) {
        let id = self.repair.open_outage(f, self.events.now());
        if f.level != Level::Chip {
            // A node that goes down takes the in-memory checkpoint copies it held.
            for n in self.topo.nodes_of(f.level, f.unit) {
                for j in self.pool.users(n).collect::<Vec<_>>() {
                    self.jobs[j].lose_memory(n);
                }
            }
        }
        self.pool.cover_domain(f.level, f.unit, true);
        self.hit_scratch.clear();
        for n in self.topo.nodes_of(f.level, f.unit) {
            self.strike(n);
        }
        let mut hits = std::mem::take(&mut self.hit_scratch);
        // The jobs it interrupts: struck where they compute (a job waiting for nodes
        // holds some, but is not computing; a hot spare computes nothing).
        hits.retain(|h| h.1 && self.jobs[h.0].phase.computing());
        self.rec.count_failure(f.class, f.permanent);
        if self.detail == Detail::Full {
            let tags: Vec<_> = hits.iter().map(|h| self.job_tag(h.0)).collect();
            let row = self.rec.failure(self.events.now(), f.class, f.unit, f.permanent, tags);
            if self.outage_rows.len() <= id as usize {
                self.outage_rows.resize(id as usize + 1, 0);
            }
            self.outage_rows[id as usize] = row;
        }
        for &(job, _) in &hits {
            // The job hangs until the fault is seen: a restart before then waits for it.
            let seen = self.events.now() + f.detect;
            let job_seen = &mut self.jobs[job].seen;
            *job_seen = (*job_seen).max(seen);
            self.interrupt(job, if f.planned { Cause::Maintenance } else { Cause::Failure });
        }
        self.hit_scratch = hits;
        self.repair.begin(id, &mut self.events);
        self.try_schedule();
    }

    fn strike(&mut self, n: u32) {
        let cpn = self.topo.chips_per_node as u64;
        let (from, hit) = match self.pool.strike(n) {
            Struck::AlreadyDown => return,
            Struck::Shared => {
                self.meter.node_down();
                let mut idle = cpn;
                for i in 0..self.pool.jobs_on(n).len() {
                    let j = self.pool.jobs_on(n)[i];
                    let job = &self.jobs[j];
                    idle -= job.chips;
                    self.meter.shift(job.phase.chip_state(), ChipState::Down, job.chips);
                    self.hit_scratch.push((j, true));
                }
                self.meter.shift(ChipState::Idle, ChipState::Down, idle);
                return;
            }
            Struck::Free => (ChipState::Idle, None),
            Struck::Spare { owner } => (ChipState::Spare, Some((owner, false))),
            Struck::Active { owner } => (self.jobs[owner].phase.chip_state(), Some((owner, true))),
        };
        self.meter.node_down();
        self.meter.shift(from, ChipState::Down, cpn);
        if let Some((job, active)) = hit {
            match self.hit_scratch.iter_mut().find(|h| h.0 == job) {
                Some(h) => h.1 |= active,
                None => self.hit_scratch.push((job, active)),
            }
        }
    }

    /// A unit is back in service: its nodes return to their owners or the free
    /// pool, its clock restarts, crews take the next outage, and the queue moves.
    fn recovered(&mut self, f: Failure) {
        self.pool.cover_domain(f.level, f.unit, false);
        for n in self.topo.nodes_of(f.level, f.unit) {
            let healed = self.pool.heal(n);
            if healed == Healed::StillDown {
                continue;
            }
            self.meter.node_up();
            self.meter.shift(ChipState::Down, ChipState::Idle, self.topo.chips_per_node as u64);
            if let Healed::Owned { owner } = healed {
                self.job_node_repaired(owner, n);
            }
        }
        self.failures.unit_back(&f, &mut self.events);
        self.repair.start_crews(&mut self.events);
        self.try_schedule();
    }
}

impl engine::Model for Simulation {
    type Event = Event;

    #[inline]
    fn scheduler(&mut self) -> &mut Scheduler<Event> {
        &mut self.events
    }

    #[inline]
    fn is_current(&self, ev: &Event) -> bool {
        match *ev {
            Event::JobPhaseEnd { job, epoch } => self.jobs.epoch(job) == epoch,
            Event::JobWallTime { job, attempt } => self.walltime_current(job, attempt),
            Event::JobBackground { job, generation } => self.background_current(job, generation),
            Event::StorageDue { epoch } => self.storage.as_ref().is_some_and(|s| s.epoch() == epoch),
            Event::WorkDue { generation } => self.clock.as_ref().is_some_and(|c| c.generation == generation),
            _ => true,
        }
    }

    #[inline]
    fn handle(&mut self, ev: Event) {
        self.dispatch(ev)
    }
}

/// What the scheduler knows of each tenant: the workload's tenants (shares
/// normalised over all of them, a share in chips as a fraction of the site),
/// then one per job source added in code, entitled to nothing.
fn tenant_infos(s: &Scenario, names: &[String]) -> Vec<TenantInfo> {
    use crate::config::Share;
    let chips = s.facility.chips().max(1) as f64;
    let raw: Vec<f64> = s
        .workload
        .tenants
        .iter()
        .map(|t| match t.share {
            Share::Fraction(f) => f.get(),
            Share::Chips(c) => c.get() as f64 / chips,
        })
        .collect();
    let total: f64 = raw.iter().sum();
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let t = s.workload.tenants.get(i);
            TenantInfo {
                name: name.clone(),
                share: if total > 0.0 { raw.get(i).copied().unwrap_or(0.0) / total } else { 0.0 },
                tier: t.map_or(0, |t| t.priority_tier),
                preemptible: t.is_some_and(|t| t.preemptible),
            }
        })
        .collect()
}
