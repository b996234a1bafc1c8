//! Repair as a pipeline: an outage moves through stages (a reboot, a crew's
//! repair, a swap for a spare node), each drawing on resource pools (crews,
//! spare nodes). A [`RepairFlow`] decides which stage comes next, so that
//! escalation (automatic → crew → vendor) and misdiagnosis slot in as flows.

use super::Failure;
use crate::config::{DurationLaw, Law, Level, RepairSpec};
use crate::engine::{Duration, Scheduler, SimRng, Streams, stream_id};
use crate::sim::Event;
use std::collections::VecDeque;

const PURPOSE_SWAP: u64 = stream_id("repair-swap");

/// The repair family's events.
#[derive(Clone, Copy, Debug)]
pub enum RepairEvent {
    /// The current stage of an outage is over.
    StageDone { outage: u32 },
    /// A node repaired off line is back in the spare stock.
    SpareBack,
}

/// A step an outage goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepairStage {
    /// A reboot or reset: no crew, the failure's drawn reboot time.
    Reboot,
    /// A crew repairs the unit in place: the failure's drawn repair time.
    CrewRepair,
    /// A crew swaps the broken node for a spare node from stock (the swap law);
    /// the broken one is repaired off line (its repair time, no crew) and returns to stock.
    SpareSwap,
}

impl RepairStage {
    pub fn needs_crew(self) -> bool {
        matches!(self, RepairStage::CrewRepair | RepairStage::SpareSwap)
    }
}

/// What a flow sees of an outage.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct OutageView {
    pub id: u32,
    pub failure: Failure,
    /// Stages finished so far (in [`RepairFlow::after`], the one just over included).
    pub stages_done: u32,
}

/// Which stage an outage goes through next. Implement it to model escalation,
/// misdiagnosis or vendor returns. The pipeline holds the pools: a stage that
/// needs a crew waits for one (an outage keeps its crew from stage to stage and
/// lets it go at a stage that needs none), a swap takes a spare node, and a swap
/// asked for with none in stock, or for a rack or pod, is a crew repair instead.
pub trait RepairFlow: Send {
    /// The first stage of a new outage.
    fn first(&mut self, o: &OutageView) -> RepairStage;
    /// A crew is free for an outage waiting at `stage`: the stage it works on
    /// (e.g. a swap instead of a repair when a spare is in stock).
    fn with_crew(&mut self, o: &OutageView, stage: RepairStage, spares_in_stock: u32) -> RepairStage;
    /// `stage` is over: the next stage, or `None` when the unit is back.
    fn after(&mut self, o: &OutageView, stage: RepairStage) -> Option<RepairStage>;
    /// How long `stage` takes, in hours; `None` for the standard time: the
    /// failure's drawn reboot or repair time, or a draw of the swap law.
    fn stage_hours(&mut self, _o: &OutageView, _stage: RepairStage) -> Option<f64> {
        None
    }
}

/// Reboot transient failures; give permanent ones to a crew, who swaps a
/// failed chip's or node's node for a spare when one is in stock.
#[derive(Clone, Copy, Debug, Default)]
pub struct StandardFlow;

impl StandardFlow {
    #[inline]
    fn first_for(f: &Failure) -> RepairStage {
        if f.permanent { RepairStage::CrewRepair } else { RepairStage::Reboot }
    }
    #[inline]
    fn with_crew_for(f: &Failure, stage: RepairStage, spares_in_stock: u32) -> RepairStage {
        if stage == RepairStage::CrewRepair && matches!(f.level, Level::Chip | Level::Node) && spares_in_stock > 0 {
            RepairStage::SpareSwap
        } else {
            stage
        }
    }
}

impl RepairFlow for StandardFlow {
    fn first(&mut self, o: &OutageView) -> RepairStage {
        Self::first_for(&o.failure)
    }
    fn with_crew(&mut self, o: &OutageView, stage: RepairStage, spares_in_stock: u32) -> RepairStage {
        Self::with_crew_for(&o.failure, stage, spares_in_stock)
    }
    fn after(&mut self, _: &OutageView, _: RepairStage) -> Option<RepairStage> {
        None
    }
}

/// The standard flow inline (no call through a pointer on every outage), or the caller's.
pub(crate) enum Flow {
    Standard(StandardFlow),
    Custom(Box<dyn RepairFlow>),
}

impl Flow {
    // The standard flow reads the outage directly; only a caller's flow gets a view built.
    #[inline]
    fn first(&mut self, o: &Outage, id: u32) -> RepairStage {
        match self {
            Flow::Standard(_) => StandardFlow::first_for(&o.failure),
            Flow::Custom(f) => f.first(&o.view(id)),
        }
    }
    #[inline]
    fn with_crew(&mut self, o: &Outage, id: u32, spares: u32) -> RepairStage {
        match self {
            Flow::Standard(_) => StandardFlow::with_crew_for(&o.failure, o.stage, spares),
            Flow::Custom(f) => f.with_crew(&o.view(id), o.stage, spares),
        }
    }
    #[inline]
    fn after(&mut self, o: &Outage, id: u32) -> Option<RepairStage> {
        match self {
            Flow::Standard(_) => None,
            Flow::Custom(f) => f.after(&o.view(id), o.stage),
        }
    }
    #[inline]
    fn stage_hours(&mut self, o: &Outage, id: u32) -> Option<f64> {
        match self {
            Flow::Standard(_) => None,
            Flow::Custom(f) => f.stage_hours(&o.view(id), o.stage),
        }
    }
}

/// Cold spare nodes in stock.
#[derive(Clone, Copy, Debug)]
pub struct Spares {
    in_stock: u32,
}

impl Spares {
    pub fn in_stock(&self) -> u32 {
        self.in_stock
    }
    /// Take one from stock, if there is one.
    fn take(&mut self) -> bool {
        let had = self.in_stock > 0;
        self.in_stock -= had as u32;
        had
    }
}

/// A pool of identical servers (crews) with a first-come-first-served queue.
#[derive(Clone, Debug)]
pub struct Crews {
    free: u32,
    queue: VecDeque<u32>,
}

impl Crews {
    pub fn new(n: u32) -> Self {
        Self { free: n, queue: VecDeque::new() }
    }
    pub fn free(&self) -> u32 {
        self.free
    }
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }
}

#[derive(Clone, Copy, Debug)]
struct Outage {
    failure: Failure,
    stage: RepairStage,
    stages_done: u32,
    crew: bool,
    /// Spare nodes swapped in; as many broken ones go to the off-line bench.
    swapped: u32,
}

impl Outage {
    fn view(&self, id: u32) -> OutageView {
        OutageView { id, failure: self.failure, stages_done: self.stages_done }
    }
}

/// Open outages and the pools they draw on.
pub struct Repair {
    outages: Vec<Outage>,
    free_ids: Vec<u32>,
    crews: Crews,
    spares: Spares,
    swap: Law,
    swap_rng: SimRng,
    flow: Flow,
}

impl Repair {
    pub(crate) fn new(spec: &RepairSpec, streams: &Streams, flow: Flow) -> Self {
        Self {
            outages: Vec::new(),
            free_ids: Vec::new(),
            crews: Crews::new(spec.crews.get()),
            spares: Spares { in_stock: spec.spare_nodes },
            swap: spec.swap.clone(),
            swap_rng: streams.rng(PURPOSE_SWAP, 0, 0),
            flow,
        }
    }

    pub fn crews(&self) -> &Crews {
        &self.crews
    }
    pub fn spares(&self) -> &Spares {
        &self.spares
    }
    /// Outages not yet over.
    pub fn open(&self) -> usize {
        self.outages.len() - self.free_ids.len()
    }

    /// Register the outage a failure causes; [`begin`](Self::begin) starts it.
    pub fn open_outage(&mut self, failure: Failure) -> u32 {
        let o = Outage { failure, stage: RepairStage::Reboot, stages_done: 0, crew: false, swapped: 0 };
        match self.free_ids.pop() {
            Some(id) => {
                self.outages[id as usize] = o;
                id
            }
            None => {
                self.outages.push(o);
                (self.outages.len() - 1) as u32
            }
        }
    }

    /// Start the outage's first stage, or queue it for a crew.
    #[inline]
    pub fn begin(&mut self, id: u32, sched: &mut Scheduler<Event>) {
        let stage = self.flow.first(&self.outages[id as usize], id);
        self.outages[id as usize].stage = stage;
        // A new outage holds no crew: a crew stage waits for one.
        if stage.needs_crew() {
            self.crews.queue.push_back(id);
            self.start_crews(sched);
        } else {
            self.run_stage(id, sched);
        }
    }

    /// Put outage `id` into its next stage: queue it for a crew if the stage
    /// needs one it does not hold; let its crew go if the stage needs none.
    fn enter(&mut self, id: u32, stage: RepairStage, sched: &mut Scheduler<Event>) {
        let o = &mut self.outages[id as usize];
        o.stage = stage;
        if stage.needs_crew() && !o.crew {
            self.crews.queue.push_back(id);
            self.start_crews(sched);
        } else if !stage.needs_crew() && o.crew {
            o.crew = false;
            self.crews.free += 1;
            self.run_stage(id, sched);
            self.start_crews(sched);
        } else {
            self.run_stage(id, sched);
        }
    }

    /// Time the outage's stage and arm its end. A swap takes a spare node;
    /// with none in stock, or for a unit larger than a node, it is a crew repair.
    #[inline]
    fn run_stage(&mut self, id: u32, sched: &mut Scheduler<Event>) {
        let o = &mut self.outages[id as usize];
        if o.stage == RepairStage::SpareSwap {
            if matches!(o.failure.level, Level::Chip | Level::Node) && self.spares.take() {
                o.swapped += 1;
            } else {
                o.stage = RepairStage::CrewRepair;
            }
        }
        let o = &self.outages[id as usize];
        let took = match self.flow.stage_hours(o, id) {
            Some(h) => Duration::from_hours(h),
            None => match o.stage {
                RepairStage::Reboot | RepairStage::CrewRepair => o.failure.repair,
                RepairStage::SpareSwap => Duration::from_hours(self.swap.sample_hours(&mut self.swap_rng)),
            },
        };
        sched.after(took, RepairEvent::StageDone { outage: id }.into());
    }

    /// Give waiting outages to free crews, first come first served.
    pub fn start_crews(&mut self, sched: &mut Scheduler<Event>) {
        while self.crews.free > 0 {
            let Some(id) = self.crews.queue.pop_front() else { break };
            self.crews.free -= 1;
            let stage = self.flow.with_crew(&self.outages[id as usize], id, self.spares.in_stock);
            let o = &mut self.outages[id as usize];
            o.crew = true;
            o.stage = stage;
            self.run_stage(id, sched);
        }
    }

    /// A stage is over. Returns the failure when the unit is back in service
    /// (the outage is closed and its crew freed); `None` while it goes on.
    #[inline]
    pub fn stage_done(&mut self, id: u32, sched: &mut Scheduler<Event>) -> Option<Failure> {
        self.outages[id as usize].stages_done += 1;
        if let Some(next) = self.flow.after(&self.outages[id as usize], id) {
            self.enter(id, next, sched);
            return None;
        }
        let o = self.outages[id as usize];
        if o.crew {
            self.crews.free += 1;
        }
        for _ in 0..o.swapped {
            sched.after(o.failure.repair, RepairEvent::SpareBack.into());
        }
        self.free_ids.push(id);
        Some(o.failure)
    }

    pub fn spare_back(&mut self) {
        self.spares.in_stock += 1;
    }
}
