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
pub struct OutageView {
    pub id: u32,
    pub failure: Failure,
    /// Stages finished so far.
    pub stages_done: u32,
}

/// Which stage an outage goes through next. Implement it to model escalation,
/// misdiagnosis or vendor returns; the pipeline holds the pools.
pub trait RepairFlow: Send {
    /// The first stage of a new outage. A stage that needs a crew waits for one.
    fn first(&mut self, o: &OutageView) -> RepairStage;
    /// A crew is free for an outage waiting at `stage`: the stage it works on
    /// (e.g. a swap instead of a repair when a spare is in stock).
    fn with_crew(&mut self, o: &OutageView, stage: RepairStage, spares_in_stock: u32) -> RepairStage;
    /// `stage` is over: the next stage (keeping the crew it holds), or `None` when the unit is back.
    fn after(&mut self, o: &OutageView, stage: RepairStage) -> Option<RepairStage>;
}

/// Reboot transient failures; give permanent ones to a crew, who swaps a
/// failed chip's or node's node for a spare when one is in stock.
#[derive(Clone, Copy, Debug, Default)]
pub struct StandardFlow;

impl RepairFlow for StandardFlow {
    fn first(&mut self, o: &OutageView) -> RepairStage {
        if o.failure.permanent { RepairStage::CrewRepair } else { RepairStage::Reboot }
    }
    fn with_crew(&mut self, o: &OutageView, stage: RepairStage, spares_in_stock: u32) -> RepairStage {
        if stage == RepairStage::CrewRepair && matches!(o.failure.level, Level::Chip | Level::Node) && spares_in_stock > 0 {
            RepairStage::SpareSwap
        } else {
            stage
        }
    }
    fn after(&mut self, _: &OutageView, _: RepairStage) -> Option<RepairStage> {
        None
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
    /// Swapped for a spare node; the broken one goes to the off-line bench.
    swapped: bool,
}

/// Open outages and the pools they draw on.
pub struct Repair {
    outages: Vec<Outage>,
    free_ids: Vec<u32>,
    crews: Crews,
    spares_in_stock: u32,
    swap: Law,
    swap_rng: SimRng,
    flow: Box<dyn RepairFlow>,
}

impl Repair {
    pub fn new(spec: &RepairSpec, streams: &Streams, flow: Box<dyn RepairFlow>) -> Self {
        Self {
            outages: Vec::new(),
            free_ids: Vec::new(),
            crews: Crews::new(spec.crews.get()),
            spares_in_stock: spec.spare_nodes,
            swap: spec.swap.clone(),
            swap_rng: streams.rng(PURPOSE_SWAP, 0, 0),
            flow,
        }
    }

    pub fn crews(&self) -> &Crews {
        &self.crews
    }
    pub fn spares_in_stock(&self) -> u32 {
        self.spares_in_stock
    }
    /// Outages not yet over.
    pub fn open(&self) -> usize {
        self.outages.len() - self.free_ids.len()
    }

    fn view(&self, id: u32) -> OutageView {
        let o = &self.outages[id as usize];
        OutageView { id, failure: o.failure, stages_done: o.stages_done }
    }

    /// Register the outage a failure causes; [`begin`](Self::begin) starts it.
    pub fn open_outage(&mut self, failure: Failure) -> u32 {
        let o = Outage { failure, stage: RepairStage::Reboot, stages_done: 0, crew: false, swapped: false };
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
    pub fn begin(&mut self, id: u32, sched: &mut Scheduler<Event>) {
        let stage = self.flow.first(&self.view(id));
        self.outages[id as usize].stage = stage;
        if stage.needs_crew() {
            self.crews.queue.push_back(id);
            self.start_crews(sched);
        } else {
            self.run_stage(id, sched);
        }
    }

    fn stage_time(&mut self, id: u32) -> Duration {
        let o = &self.outages[id as usize];
        match o.stage {
            RepairStage::Reboot | RepairStage::CrewRepair => o.failure.repair,
            RepairStage::SpareSwap => Duration::from_hours(self.swap.sample_hours(&mut self.swap_rng)),
        }
    }

    fn run_stage(&mut self, id: u32, sched: &mut Scheduler<Event>) {
        let took = self.stage_time(id);
        sched.after(took, Event::Repair(RepairEvent::StageDone { outage: id }));
    }

    /// Give waiting outages to free crews, first come first served.
    pub fn start_crews(&mut self, sched: &mut Scheduler<Event>) {
        while self.crews.free > 0 {
            let Some(id) = self.crews.queue.pop_front() else { break };
            self.crews.free -= 1;
            let view = self.view(id);
            let stage = self.flow.with_crew(&view, self.outages[id as usize].stage, self.spares_in_stock);
            let o = &mut self.outages[id as usize];
            o.crew = true;
            o.stage = stage;
            if stage == RepairStage::SpareSwap {
                self.spares_in_stock -= 1;
                o.swapped = true;
            }
            self.run_stage(id, sched);
        }
    }

    /// A stage is over. Returns the failure when the unit is back in service
    /// (the outage is closed and its crew freed); `None` while it goes on.
    pub fn stage_done(&mut self, id: u32, sched: &mut Scheduler<Event>) -> Option<Failure> {
        let view = self.view(id);
        let stage = self.outages[id as usize].stage;
        self.outages[id as usize].stages_done += 1;
        if let Some(next) = self.flow.after(&view, stage) {
            self.outages[id as usize].stage = next;
            self.run_stage(id, sched);
            return None;
        }
        let o = self.outages[id as usize];
        if o.crew {
            self.crews.free += 1;
        }
        if o.swapped {
            sched.after(o.failure.repair, Event::Repair(RepairEvent::SpareBack));
        }
        self.free_ids.push(id);
        Some(o.failure)
    }

    pub fn spare_back(&mut self) {
        self.spares_in_stock += 1;
    }
}
