//! Repair as a pipeline: an outage moves through stages (a reboot, automatic
//! remediation, a crew's repair, a swap for a spare node, a vendor return),
//! each drawing on resource pools (crews, spare nodes). A [`RepairFlow`] decides
//! which stage comes next; the model's escalation (automatic → crew → vendor,
//! each stage able to misdiagnose) is built in, and the tallies a report needs
//! (stage outcomes, crew waits and use, spare stock) are kept here.

use super::Failure;
use crate::config::{DurationLaw, Escalation, Law, Level, RepairSpec};
use crate::engine::{Duration, Scheduler, SimRng, SimTime, Streams, stream_id};
use crate::sim::Event;
use rand::RngExt;
use std::collections::VecDeque;

const PURPOSE_SWAP: u64 = stream_id("repair-swap");
const PURPOSE_ESCALATION: u64 = stream_id("repair-escalation");

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
    /// Automatic remediation (reboot, reimage, reset) of a permanent fault: no crew.
    Auto,
    /// Waiting for a vendor's replacement part (no spare node in stock): no crew.
    Vendor,
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

/// A pool of identical servers (crews) with a first-come-first-served queue
/// (outage, when it joined, ms).
#[derive(Clone, Debug)]
pub struct Crews {
    total: u32,
    free: u32,
    queue: VecDeque<(u32, u64)>,
}

impl Crews {
    pub fn new(n: u32) -> Self {
        Self { total: n, free: n, queue: VecDeque::new() }
    }
    pub fn free(&self) -> u32 {
        self.free
    }
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }
    pub fn busy(&self) -> u32 {
        self.total - self.free
    }
}

/// How an outage ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fix {
    /// A transient failure, back after its reboot.
    Rebooted,
    /// A permanent fault cleared by automatic remediation.
    Auto,
    /// Cleared by a crew, in place or by a swap for a spare node.
    Crew,
    /// Cleared by a vendor return.
    Rma,
    /// A node retired by the retirement policy and replaced.
    Replaced,
    /// Back, but misdiagnosed: the fault is still there.
    Misdiagnosed,
}

impl Fix {
    pub const ALL: [Fix; 6] = [Fix::Rebooted, Fix::Auto, Fix::Crew, Fix::Rma, Fix::Replaced, Fix::Misdiagnosed];
    pub fn label(self) -> &'static str {
        match self {
            Fix::Rebooted => "rebooted",
            Fix::Auto => "auto_fixed",
            Fix::Crew => "crew_fixed",
            Fix::Rma => "rma",
            Fix::Replaced => "replaced",
            Fix::Misdiagnosed => "misdiagnosed",
        }
    }
}

/// What the repair pipeline tallied over a run. Times are ms; areas are
/// integrals over time (count × ms), so an area over the run's length is a time average.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RepairTally {
    /// Outages closed, by how they ended ([`Fix::ALL`] order), and their summed length.
    pub closed: [u64; 6],
    pub closed_ms: [u128; 6],
    /// Of the misdiagnoses, those by automatic remediation (the rest by crews).
    pub misdiagnosed_auto: u64,
    /// Waits for a crew that ended, and their summed length.
    pub crew_waits: u64,
    pub crew_wait_ms: u128,
    pub busy_area: u128,
    pub waiting_area: u128,
    pub stock_area: u128,
    pub min_stock: u32,
    pub crews: u32,
    /// Up to when the areas run.
    pub until_ms: u64,
    /// (ms, spares in stock, outages waiting for a crew, crews busy) at each change, when kept.
    pub series: Vec<(u64, u32, u32, u32)>,
}

impl RepairTally {
    pub fn count(&self, f: Fix) -> u64 {
        self.closed[f as usize]
    }
    /// Mean outage length in hours for outages that ended by `f`.
    pub fn mean_hours(&self, f: Fix) -> f64 {
        let n = self.closed[f as usize];
        if n == 0 { 0.0 } else { self.closed_ms[f as usize] as f64 / n as f64 / 3.6e6 }
    }
    pub fn mean_wait_for_crew_hours(&self) -> f64 {
        if self.crew_waits == 0 { 0.0 } else { self.crew_wait_ms as f64 / self.crew_waits as f64 / 3.6e6 }
    }
    /// Time-average outages waiting for a crew.
    pub fn mean_waiting(&self) -> f64 {
        if self.until_ms == 0 { 0.0 } else { self.waiting_area as f64 / self.until_ms as f64 }
    }
    /// Busy crew-time over crew-time.
    pub fn crew_utilization(&self) -> f64 {
        if self.until_ms == 0 || self.crews == 0 { 0.0 } else { self.busy_area as f64 / (self.until_ms as f64 * self.crews as f64) }
    }
    pub fn mean_stock(&self) -> f64 {
        if self.until_ms == 0 { 0.0 } else { self.stock_area as f64 / self.until_ms as f64 }
    }
}

#[derive(Clone, Copy, Debug)]
struct Outage {
    failure: Failure,
    stage: RepairStage,
    stages_done: u32,
    crew: bool,
    /// Spare nodes swapped in; as many broken ones go off line (repair or vendor).
    swapped: u32,
    /// Escalation step: 0 outside the escalation pipeline, else 1 auto, 2 crew, 3 vendor.
    step: u8,
    opened: SimTime,
}

impl Outage {
    fn view(&self, id: u32) -> OutageView {
        OutageView { id, failure: self.failure, stages_done: self.stages_done }
    }
}

/// The escalation pipeline's settings and each node's repair history.
struct Escalating {
    spec: Escalation,
    rng: SimRng,
    /// Per node: the step its last repair reached, and when it came back (hours).
    last: Vec<(u8, f64)>,
    chips_per_node: u32,
}

/// A unit back in service after its outage.
#[derive(Clone, Copy, Debug)]
pub struct Back {
    pub failure: Failure,
    /// How the outage ended.
    pub fix: Fix,
    /// Misdiagnosed: the fault strikes again after this long.
    pub refail: Option<Duration>,
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
    escalation: Option<Escalating>,
    tally: RepairTally,
    keep_series: bool,
}

impl Repair {
    pub(crate) fn new(spec: &RepairSpec, streams: &Streams, flow: Flow, nodes: u32, chips_per_node: u32, keep_series: bool) -> Self {
        // A flow of the caller's own replaces the built-in escalation.
        let escalation = spec.escalation.clone().filter(|_| matches!(flow, Flow::Standard(_))).map(|e| Escalating {
            spec: e,
            rng: streams.rng(PURPOSE_ESCALATION, 0, 0),
            last: vec![(0, f64::NEG_INFINITY); nodes as usize],
            chips_per_node,
        });
        let mut r = Self {
            outages: Vec::new(),
            free_ids: Vec::new(),
            crews: Crews::new(spec.crews.get()),
            spares: Spares { in_stock: spec.spare_nodes },
            swap: spec.swap.clone(),
            swap_rng: streams.rng(PURPOSE_SWAP, 0, 0),
            flow,
            escalation,
            tally: RepairTally { min_stock: spec.spare_nodes, crews: spec.crews.get(), ..Default::default() },
            keep_series,
        };
        r.note(0);
        r
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
    /// The tallies, with the time averages run up to `now`.
    pub fn tally(&mut self, now: SimTime) -> &RepairTally {
        self.advance(now.as_millis());
        &self.tally
    }
    /// Hand the tallies over at the end of a run.
    pub(crate) fn take_tally(&mut self, now: SimTime) -> RepairTally {
        self.advance(now.as_millis());
        std::mem::take(&mut self.tally)
    }

    /// Run the time integrals up to `now` (ms), before the pools change.
    #[inline]
    fn advance(&mut self, now: u64) {
        let t = &mut self.tally;
        let dt = now.saturating_sub(t.until_ms) as u128;
        if dt > 0 {
            t.busy_area += dt * self.crews.busy() as u128;
            t.waiting_area += dt * self.crews.queue.len() as u128;
            t.stock_area += dt * self.spares.in_stock as u128;
            t.until_ms = now;
        }
    }

    /// After the pools changed at `now`: the stock's low mark and the series.
    #[inline]
    fn note(&mut self, now: u64) {
        let t = &mut self.tally;
        t.min_stock = t.min_stock.min(self.spares.in_stock);
        if self.keep_series {
            let row = (now, self.spares.in_stock, self.crews.queue.len() as u32, self.crews.busy());
            match t.series.last_mut() {
                Some(last) if (last.1, last.2, last.3) == (row.1, row.2, row.3) => {}
                Some(last) if last.0 == now => *last = row,
                _ => t.series.push(row),
            }
        }
    }

    /// Register the outage a failure causes; [`begin`](Self::begin) starts it.
    pub fn open_outage(&mut self, failure: Failure, now: SimTime) -> u32 {
        let o = Outage { failure, stage: RepairStage::Reboot, stages_done: 0, crew: false, swapped: 0, step: 0, opened: now };
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

    /// The escalation step a new outage starts at: a permanent chip or node fault
    /// within the window of its node's last repair goes one step further.
    fn first_step(&self, f: &Failure, now_h: f64) -> u8 {
        let Some(e) = &self.escalation else { return 0 };
        let Some(node) = f.node(e.chips_per_node).filter(|_| f.permanent && !f.replace) else { return 0 };
        let (step, back) = e.last[node as usize];
        if step > 0 && now_h - back <= e.spec.window_hours.get() { (step + 1).min(3) } else { 1 }
    }

    /// Start the outage's first stage, or queue it for a crew.
    #[inline]
    pub fn begin(&mut self, id: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now();
        self.advance(now.as_millis());
        let step = self.first_step(&self.outages[id as usize].failure, now.as_hours());
        let stage = match step {
            0 => self.flow.first(&self.outages[id as usize], id),
            1 => RepairStage::Auto,
            2 => RepairStage::CrewRepair,
            // A vendor return: a crew swaps in a spare if there is one, else the node waits for the part.
            _ if self.spares.in_stock > 0 => RepairStage::SpareSwap,
            _ => RepairStage::Vendor,
        };
        self.outages[id as usize].step = step;
        // A new outage holds no crew: a crew stage waits for one.
        self.enter(id, stage, sched);
        self.note(now.as_millis());
    }

    /// Put outage `id` into its next stage: queue it for a crew if the stage
    /// needs one it does not hold; let its crew go if the stage needs none.
    fn enter(&mut self, id: u32, stage: RepairStage, sched: &mut Scheduler<Event>) {
        let o = &mut self.outages[id as usize];
        o.stage = stage;
        if stage.needs_crew() && !o.crew {
            self.crews.queue.push_back((id, sched.now().as_millis()));
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
            None => match (o.stage, &mut self.escalation) {
                (RepairStage::Auto, Some(e)) => Duration::from_hours(e.spec.auto.sample_hours(&mut e.rng)),
                (RepairStage::Vendor, Some(e)) => Duration::from_hours(e.spec.rma_lead.sample_hours(&mut e.rng)),
                (RepairStage::SpareSwap, _) => Duration::from_hours(self.swap.sample_hours(&mut self.swap_rng)),
                _ => o.failure.repair,
            },
        };
        sched.after(took, RepairEvent::StageDone { outage: id }.into());
    }

    /// Give waiting outages to free crews, first come first served.
    pub fn start_crews(&mut self, sched: &mut Scheduler<Event>) {
        let now = sched.now().as_millis();
        self.advance(now);
        while self.crews.free > 0 {
            let Some((id, since)) = self.crews.queue.pop_front() else { break };
            let o = &self.outages[id as usize];
            let stage = if o.step == 0 {
                self.flow.with_crew(o, id, self.spares.in_stock)
            } else {
                StandardFlow::with_crew_for(&o.failure, o.stage, self.spares.in_stock)
            };
            let o = &mut self.outages[id as usize];
            o.stage = stage;
            if o.step == 3 && self.spares.in_stock == 0 {
                // The stock ran out while it waited: it waits for the vendor's part, crew-free.
                o.stage = RepairStage::Vendor;
            } else {
                self.crews.free -= 1;
                o.crew = true;
                self.tally.crew_waits += 1;
                self.tally.crew_wait_ms += (now - since) as u128;
            }
            self.run_stage(id, sched);
        }
        self.note(now);
    }

    /// A stage is over. Returns the unit when it is back in service (the outage is
    /// closed and its crew freed); `None` while the outage goes on.
    #[inline]
    pub fn stage_done(&mut self, id: u32, sched: &mut Scheduler<Event>) -> Option<Back> {
        let now = sched.now();
        self.advance(now.as_millis());
        self.outages[id as usize].stages_done += 1;
        if self.outages[id as usize].step == 0
            && let Some(next) = self.flow.after(&self.outages[id as usize], id)
        {
            self.enter(id, next, sched);
            self.note(now.as_millis());
            return None;
        }
        let o = self.outages[id as usize];
        if o.crew {
            self.crews.free += 1;
        }
        // The part off line: the vendor's lead time after a vendor swap, else the repair.
        let mut offline = o.failure.repair;
        let mut fix = match o.stage {
            _ if o.failure.replace => Fix::Replaced,
            RepairStage::Reboot => Fix::Rebooted,
            RepairStage::Auto => Fix::Auto,
            RepairStage::CrewRepair | RepairStage::SpareSwap if o.step < 3 => Fix::Crew,
            _ => Fix::Rma,
        };
        let mut refail = None;
        if let Some(e) = &mut self.escalation
            && o.step > 0
        {
            let cleared = match fix {
                Fix::Auto => e.rng.random::<f64>() < e.spec.auto_success.get(),
                Fix::Crew => e.rng.random::<f64>() < e.spec.crew_success.get(),
                _ => true,
            };
            if fix == Fix::Rma && o.swapped > 0 {
                offline = Duration::from_hours(e.spec.rma_lead.sample_hours(&mut e.rng));
            }
            if !cleared {
                self.tally.misdiagnosed_auto += (fix == Fix::Auto) as u64;
                fix = Fix::Misdiagnosed;
                refail = Some(Duration::from_hours(e.spec.refail.sample_hours(&mut e.rng)));
            }
            if let Some(node) = o.failure.node(e.chips_per_node) {
                e.last[node as usize] = (o.step, now.as_hours());
            }
        } else if let Some(e) = &mut self.escalation
            && o.failure.replace
            && let Some(node) = o.failure.node(e.chips_per_node)
        {
            // New hardware: its repair history starts over.
            e.last[node as usize] = (0, f64::NEG_INFINITY);
        }
        self.tally.closed[fix as usize] += 1;
        self.tally.closed_ms[fix as usize] += now.since(o.opened).as_millis() as u128;
        for _ in 0..o.swapped {
            sched.after(offline, RepairEvent::SpareBack.into());
        }
        self.free_ids.push(id);
        self.note(now.as_millis());
        Some(Back { failure: o.failure, fix, refail })
    }

    pub fn spare_back(&mut self, now: SimTime) {
        self.advance(now.as_millis());
        self.spares.in_stock += 1;
        self.note(now.as_millis());
    }
}
