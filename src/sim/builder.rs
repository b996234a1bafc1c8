//! How a simulation is put together beyond what the model files say.

use super::{Detail, FailureClass, JobSource, Policy, PowerStage, RepairFlow, Simulation, TraceSource};
use crate::config::{Part, PriceSeries, Problem, Scenario, TraceSpec};

/// Configures a simulation beyond what model files say: another seed, and
/// failure classes, job sources, a scheduling policy, power stages or a repair
/// flow implemented in the caller's own crate.
///
/// Made by [`Simulation::builder`]; [`build`](Self::build) trusts its scenario,
/// [`try_build`](Self::try_build) checks it first. The README's library section
/// has a failure class and a job source of one's own; `tests/seams.rs` a policy,
/// a power stage and a repair flow. [`trace`](Self::trace), [`replay`](Self::replay)
/// and [`prices`](Self::prices) take files read and checked already, so that many
/// runs (a sweep's) share one copy.
///
/// ```
/// use gigasim::config::{self, Count};
/// use gigasim::{Detail, Simulation};
///
/// let s = config::apply_sets(&config::default_scenario(), &["horizon_days=1".into()])?;
///
/// // A scenario changed in code is checked by `try_build`: a problem names the field.
/// let mut too_big = s.clone();
/// too_big.workload.frontier[0].chips = Count::new(1_000_000);
/// let problem = Simulation::builder(&too_big).try_build().err().expect("more chips than the site has");
/// assert_eq!(problem.path(), "workload.frontier[0].chips");
///
/// // The frontier job alone: no tenant jobs, no failure classes of the model files.
/// let quiet = Simulation::builder(&s).seed(7).detail(Detail::Summary).without_model_tenants().without_model_failures().build().run();
/// let summary = quiet.summary();
/// assert_eq!((summary.failures.total, summary.interruptions), (0, 0));
/// assert_eq!(summary.jobs.submitted, 1); // the frontier job
/// assert_eq!(summary.job_classes.keys().collect::<Vec<_>>(), ["frontier"]);
/// # Ok::<(), config::InputError>(())
/// ```
pub struct SimulationBuilder {
    pub(super) scenario: Scenario,
    pub(super) seed: u64,
    pub(super) detail: Detail,
    pub(super) classes: Vec<FailureClass>,
    /// Job sources, each with the tenant its jobs belong to (`None`: a tenant named after it).
    pub(super) sources: Vec<(Box<dyn JobSource>, Option<u16>)>,
    pub(super) policy: Option<Box<dyn Policy>>,
    pub(super) stages: Vec<Box<dyn PowerStage>>,
    pub(super) flow: Option<Box<dyn RepairFlow>>,
    /// The failure model's trace, once read.
    pub(super) replay: Option<Vec<crate::config::ReplayedFailure>>,
    /// The workload's trace, read at build time unless handed over already.
    pub(super) trace_spec: Option<TraceSpec>,
    pub(super) trace: Option<TraceSource>,
    /// The cost model's electricity series, read at build time.
    pub(super) prices: Option<PriceSeries>,
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
        self.sources.push((s, None));
        self
    }
    /// Drop the job classes of the scenario's workload (frontier jobs stay).
    pub fn without_model_tenants(mut self) -> Self {
        self.sources.clear();
        self
    }
    /// Replay this trace (read and checked already) in place of the workload's.
    pub fn trace(mut self, t: TraceSource) -> Self {
        self.trace = Some(t);
        self.trace_spec = None;
        self
    }
    /// Replay these failures (read and checked already) in place of reading the failure model's trace.
    pub fn replay(mut self, rows: Vec<crate::config::ReplayedFailure>) -> Self {
        self.replay = Some(rows);
        self
    }
    /// Price energy with this series (read and checked already) in place of reading the cost model's file.
    pub fn prices(mut self, p: PriceSeries) -> Self {
        self.prices = Some(p);
        self
    }
    /// Serve the queue with this policy instead of the one the workload names.
    pub fn policy(mut self, p: Box<dyn Policy>) -> Self {
        self.policy = Some(p);
        self
    }
    /// Append a stage to the power chain, after PUE (e.g. a battery or a cooling model).
    pub fn power_stage(mut self, s: Box<dyn PowerStage>) -> Self {
        self.stages.push(s);
        self
    }
    /// Route outages through this repair flow instead of the standard one.
    pub fn repair_flow(mut self, f: Box<dyn RepairFlow>) -> Self {
        self.flow = Some(f);
        self
    }
    /// [`build`](Self::build) after the checks a scenario file gets when it is
    /// loaded, for a `Scenario` made or changed in code: a problem (field path,
    /// what is wrong, what is allowed) instead of a panic deep in the run.
    pub fn try_build(mut self) -> Result<Simulation, Problem> {
        self.scenario.check()?;
        if let (Some(path), None) = (&self.scenario.failure.replay, &self.replay) {
            let f = &self.scenario.failure;
            let rows = crate::config::read_failure_trace(std::path::Path::new(path), &f.classes, &self.scenario.facility)
                .map_err(|e| Problem { part: Part::Failure, field: "replay".into(), message: e.to_string() })?;
            self.replay = Some(rows);
        }
        if let Some(spec) = self.trace_spec.take() {
            let t = TraceSource::load(&spec, &self.scenario.workload).map_err(|e| Problem {
                part: Part::Workload,
                field: "trace.file".into(),
                message: e.to_string(),
            })?;
            self.trace = Some(t);
        }
        if let (Some(c), None) = (&self.scenario.cost, &self.prices) {
            let p = PriceSeries::load(&c.electricity).map_err(|e| Problem {
                part: Part::Scenario,
                field: "cost.electricity".into(),
                message: e.to_string(),
            })?;
            self.prices = Some(p);
        }
        Ok(self.build())
    }
    /// Trusts the scenario: files and `--set` are checked when loaded; a scenario
    /// made in code should go through [`try_build`](Self::try_build).
    /// Panics if the workload names a trace that cannot be read.
    pub fn build(mut self) -> Simulation {
        if let (Some(path), None) = (&self.scenario.failure.replay, &self.replay) {
            let f = &self.scenario.failure;
            let rows = crate::config::read_failure_trace(std::path::Path::new(path), &f.classes, &self.scenario.facility);
            self.replay = Some(rows.unwrap_or_else(|e| panic!("{e}")));
        }
        if let Some(spec) = self.trace_spec.take() {
            self.trace = Some(TraceSource::load(&spec, &self.scenario.workload).unwrap_or_else(|e| panic!("{e}")));
        }
        if let (Some(c), None) = (&self.scenario.cost, &self.prices) {
            self.prices = Some(PriceSeries::load(&c.electricity).unwrap_or_else(|e| panic!("{e}")));
        }
        Simulation::assemble(self)
    }
}
