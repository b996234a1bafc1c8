//! The gigafactory model: facility, failures and repair, jobs, and the meter
//! that observes them, driven by the generic engine.

mod failures;
mod jobs;
pub mod meter;
mod nodes;
pub mod topology;

pub use failures::FailureClass;
pub use jobs::{CheckpointPolicy, JobRequest, JobSource, Milestone, PoissonTenants};
pub use meter::{ChipState, PowerBin};
pub use topology::Topology;

use crate::config::{Problem, RepairSpec, Scenario};
use crate::engine::{self, Epochs, Scheduler, SimTime, Streams, stream_id};
use crate::report::{self, Report};
use failures::{ClassState, Outage};
use jobs::Job;
use meter::Meter;
use nodes::Nodes;
use std::collections::VecDeque;

/// Events are small `Copy` values; job events carry the job's epoch so that an
/// interruption cancels them lazily.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// Next failure of an exponential class, merged over all its units.
    ClassTick { class: u16 },
    /// Next failure of one unit of a class with its own clock per unit.
    UnitClock { class: u16, unit: u32 },
    /// A reboot or repair is over.
    Recover { outage: u32 },
    /// A node repaired off line is back in the spare stock.
    SpareBack,
    /// The current phase of a job ends (restart, compute segment, checkpoint write).
    JobPhase { job: u32, epoch: u32 },
    /// A job arrives from a job source.
    Arrival { source: u16 },
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

pub(crate) const PURPOSE_CLASS: u64 = stream_id("failure-class");
pub(crate) const PURPOSE_OUTCOME: u64 = stream_id("failure-outcome");
pub(crate) const PURPOSE_CLOCK: u64 = stream_id("unit-clock");
pub(crate) const PURPOSE_SWAP: u64 = stream_id("repair-swap");
pub(crate) const PURPOSE_SOURCE: u64 = stream_id("job-source");

/// Configures a simulation beyond what model files say: another seed, failure
/// classes or job sources implemented in the caller's own crate.
pub struct SimulationBuilder {
    scenario: Scenario,
    seed: u64,
    detail: Detail,
    classes: Vec<FailureClass>,
    sources: Vec<Box<dyn JobSource>>,
}

impl SimulationBuilder {
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Keep only the totals (see [`Detail`]).
    pub fn detail(mut self, detail: Detail) -> Self {
        self.detail = detail;
        self
    }
    /// Add a failure class, e.g. one whose law is a user type implementing `DurationLaw`.
    pub fn failure_class(mut self, c: FailureClass) -> Self {
        self.classes.push(c);
        self
    }
    /// Drop the failure classes of the scenario's failure model (its repair resources stay).
    pub fn without_model_failures(mut self) -> Self {
        self.classes.clear();
        self
    }
    /// Add a stream of jobs from a user type implementing `JobSource`.
    pub fn job_source(mut self, s: Box<dyn JobSource>) -> Self {
        self.sources.push(s);
        self
    }
    /// Drop the tenant classes of the scenario's workload (frontier jobs stay).
    pub fn without_model_tenants(mut self) -> Self {
        self.sources.clear();
        self
    }
    /// [`build`](Self::build) after the checks a scenario file gets when it is
    /// loaded, for a `Scenario` made or changed in code: a problem (field path,
    /// what is wrong, what is allowed) instead of a panic deep in the run.
    pub fn try_build(self) -> Result<Simulation, Problem> {
        self.scenario.check()?;
        Ok(self.build())
    }
    /// Trusts the scenario: files and `--set` are checked when loaded; a scenario
    /// made in code should go through [`try_build`](Self::try_build).
    pub fn build(self) -> Simulation {
        Simulation::assemble(self.scenario, self.seed, self.detail, self.classes, self.sources)
    }
}

/// One run of a scenario. `Simulation::new(&scenario).run()` gives a [`Report`].
pub struct Simulation {
    pub(crate) scenario: Scenario,
    pub(crate) seed: u64,
    pub(crate) detail: Detail,
    pub(crate) topo: Topology,
    pub(crate) horizon: SimTime,
    pub(crate) streams: Streams,
    pub(crate) sched: Scheduler<Event>,
    pub(crate) meter: Meter,
    pub(crate) nodes: Nodes,
    // failures and repair
    pub(crate) classes: Vec<FailureClass>,
    pub(crate) class_state: Vec<ClassState>,
    pub(crate) outages: Vec<Outage>,
    pub(crate) free_outages: Vec<u32>,
    pub(crate) repair: RepairSpec,
    pub(crate) crews_free: u32,
    pub(crate) crew_queue: VecDeque<u32>,
    pub(crate) spares_in_stock: u32,
    pub(crate) swap_rng: engine::SimRng,
    // jobs
    pub(crate) jobs: Vec<Job>,
    pub(crate) job_epochs: Epochs,
    pub(crate) free_job_slots: Vec<u32>,
    pub(crate) queue: VecDeque<u32>,
    pub(crate) sources: Vec<Box<dyn JobSource>>,
    pub(crate) source_rngs: Vec<engine::SimRng>,
    pub(crate) pending: Vec<Option<JobRequest>>,
    pub(crate) node_vec_pool: Vec<Vec<u32>>,
    pub(crate) hit_scratch: Vec<(u32, bool)>,
    // observations
    pub(crate) rec: report::Recorder,
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
        let sources = scenario.workload.tenants.iter().map(|t| Box::new(PoissonTenants::from_spec(t)) as Box<dyn JobSource>).collect();
        SimulationBuilder { scenario: scenario.clone(), seed: scenario.seed, detail: Detail::Full, classes, sources }
    }

    fn assemble(scenario: Scenario, seed: u64, detail: Detail, classes: Vec<FailureClass>, sources: Vec<Box<dyn JobSource>>) -> Self {
        let topo = Topology::of(&scenario.facility);
        let horizon = SimTime::from_hours(scenario.horizon_days.get() * 24.0);
        let bin_ms = (scenario.power_bin_minutes.get() * 60_000.0).round().max(1.0) as u64;
        let streams = Streams::new(seed);
        let meter = Meter::new(
            &scenario.power,
            topo.chips() as u64,
            topo.nodes() as u64,
            topo.racks() as u64,
            horizon,
            bin_ms,
            detail == Detail::Full,
        );
        let repair = scenario.failure.repair.clone();
        let class_state = classes.iter().enumerate().map(|(i, c)| ClassState::new(c, i as u64, &topo, &streams)).collect();
        let source_rngs = (0..sources.len()).map(|i| streams.rng(PURPOSE_SOURCE, i as u64, 0)).collect();
        let n_sources = sources.len();
        let rec = report::Recorder::new(&scenario, &classes, &sources);
        let mut sim = Simulation {
            seed,
            detail,
            topo,
            horizon,
            streams,
            sched: Scheduler::with_capacity(1024),
            meter,
            nodes: Nodes::new(topo.nodes(), topo.racks(), topo.pods),
            classes,
            class_state,
            outages: Vec::new(),
            free_outages: Vec::new(),
            crews_free: repair.crews.get(),
            spares_in_stock: repair.spare_nodes,
            swap_rng: streams.rng(PURPOSE_SWAP, 0, 0),
            repair,
            crew_queue: VecDeque::new(),
            jobs: Vec::new(),
            job_epochs: Epochs::default(),
            free_job_slots: Vec::new(),
            queue: VecDeque::new(),
            sources,
            source_rngs,
            pending: vec![None; n_sources],
            node_vec_pool: Vec::new(),
            hit_scratch: Vec::new(),
            rec,
            scenario,
        };
        sim.start_failure_processes();
        sim.start_frontier_jobs();
        for s in 0..n_sources {
            sim.schedule_next_arrival(s as u16);
        }
        sim
    }

    pub fn topology(&self) -> Topology {
        self.topo
    }

    /// Run to the horizon and report.
    pub fn run(self) -> Report {
        self.run_with_progress(1, |_| ())
    }

    /// Run to the horizon in `slices` equal steps of simulated time, calling
    /// `progress(done fraction)` after each. Events happen exactly as in [`run`](Self::run).
    pub fn run_with_progress(mut self, slices: u32, mut progress: impl FnMut(f64)) -> Report {
        let h = self.horizon.as_millis();
        let mut stats = engine::RunStats::default();
        for k in 1..=slices.max(1) as u64 {
            let until = SimTime::from_millis((h as u128 * k as u128 / slices.max(1) as u128) as u64);
            let s = engine::run(&mut self, until);
            stats.processed += s.processed;
            stats.stale += s.stale;
            progress(k as f64 / slices.max(1) as f64);
        }
        self.finish(stats)
    }

    fn finish(mut self, stats: engine::RunStats) -> Report {
        self.meter.advance(self.horizon);
        let frontier = (0..self.scenario.workload.frontier.len()).map(|j| self.frontier_report(j as u32, self.horizon)).collect();
        report::build(self, stats, frontier)
    }

    fn dispatch(&mut self, ev: Event) {
        self.meter.advance(self.sched.now());
        match ev {
            Event::ClassTick { class } => self.on_class_tick(class as usize),
            Event::UnitClock { class, unit } => self.on_unit_clock(class as usize, unit),
            Event::Recover { outage } => self.on_recover(outage),
            Event::SpareBack => self.on_spare_back(),
            Event::JobPhase { job, .. } => self.on_job_phase(job),
            Event::Arrival { source } => self.on_arrival(source),
        }
    }
}

impl engine::Model for Simulation {
    type Event = Event;

    #[inline]
    fn scheduler(&mut self) -> &mut Scheduler<Event> {
        &mut self.sched
    }

    #[inline]
    fn is_current(&self, ev: &Event) -> bool {
        match *ev {
            Event::JobPhase { job, epoch } => self.job_epochs.get(job as usize) == epoch,
            _ => true,
        }
    }

    #[inline]
    fn handle(&mut self, ev: Event) {
        self.dispatch(ev)
    }
}
