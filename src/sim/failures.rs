//! Failure processes and repair: units fail by their laws, take nodes out of
//! service, and come back after a reboot or through the crew queue.

use super::nodes::{Role, set_pop, set_push, set_remove};
use super::{Detail, Event, PURPOSE_CLASS, PURPOSE_CLOCK, PURPOSE_OUTCOME, Simulation};
use crate::config::{Category, DurationLaw, FailureClassSpec, Level, Outcome, exp_draw};
use crate::engine::{Duration, SimRng, Streams};
use crate::sim::meter::ChipState;
use crate::sim::topology::Topology;
use rand::RngExt;
use std::sync::Arc;

/// A failure class as the simulation uses it. Build one from a model file entry
/// with [`FailureClass::from_spec`], or in code with a law of your own.
#[derive(Clone, Debug)]
pub struct FailureClass {
    pub name: String,
    pub category: Category,
    pub level: Level,
    pub ttf: Arc<dyn DurationLaw>,
    pub outcome: Outcome,
}

impl FailureClass {
    pub fn from_spec(s: &FailureClassSpec) -> Self {
        Self { name: s.name.clone(), category: s.category, level: s.level, ttf: Arc::new(s.ttf.clone()), outcome: s.outcome.clone() }
    }
}

pub(crate) struct ClassState {
    units: u32,
    /// Rate per hour of the merged stream over all units, for exponential laws.
    merged_rate: Option<f64>,
    rng: SimRng,
    outcome_rng: SimRng,
    /// Draws taken so far by each unit's own clock (non-exponential laws).
    clock_draws: Vec<u32>,
}

impl ClassState {
    pub fn new(c: &FailureClass, index: u64, topo: &Topology, streams: &Streams) -> Self {
        let units = topo.units(c.level);
        let merged_rate = c.ttf.exponential_rate().map(|r| r * units as f64);
        Self {
            units,
            merged_rate,
            rng: streams.rng(PURPOSE_CLASS, index, 0),
            outcome_rng: streams.rng(PURPOSE_OUTCOME, index, 0),
            clock_draws: if merged_rate.is_some() { Vec::new() } else { vec![0; units as usize] },
        }
    }
}

/// An active outage: the nodes of one failed unit, out of service until it ends.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outage {
    level: Level,
    unit: u32,
    class: u16,
    permanent: bool,
    /// Swapped for a spare node; the broken one is being repaired off line.
    swapped: bool,
    repair: Duration,
}

impl Simulation {
    pub(crate) fn start_failure_processes(&mut self) {
        for c in 0..self.classes.len() {
            if self.class_state[c].merged_rate.is_some() {
                self.schedule_tick(c);
            } else {
                for unit in 0..self.class_state[c].units {
                    self.schedule_clock(c, unit);
                }
            }
        }
    }

    fn schedule_tick(&mut self, c: usize) {
        let st = &mut self.class_state[c];
        if let Some(rate) = st.merged_rate.filter(|&r| r > 0.0) {
            let h = exp_draw(&mut st.rng, 1.0 / rate);
            self.sched.after(Duration::from_hours(h), Event::ClassTick { class: c as u16 });
        }
    }

    fn schedule_clock(&mut self, c: usize, unit: u32) {
        let k = &mut self.class_state[c].clock_draws[unit as usize];
        let mut rng = self.streams.rng(PURPOSE_CLOCK, ((c as u64) << 40) | unit as u64, *k as u64);
        *k += 1;
        let h = self.classes[c].ttf.sample_hours(&mut rng);
        if h.is_finite() {
            self.sched.after(Duration::from_hours(h), Event::UnitClock { class: c as u16, unit });
        }
    }

    fn unit_up(&self, level: Level, unit: u32) -> bool {
        match level {
            Level::Chip => self.nodes.healthy(unit / self.topo.chips_per_node),
            Level::Node => self.nodes.healthy(unit),
            Level::Rack => self.nodes.rack_outages[unit as usize] == 0,
            Level::Pod => self.nodes.pod_outages[unit as usize] == 0,
        }
    }

    /// The merged stream fires at rate (all units) × λ; a unit that is down has
    /// rate 0, so the draw is thinned to units that are up. Exact for Poisson.
    pub(crate) fn on_class_tick(&mut self, c: usize) {
        let st = &mut self.class_state[c];
        let victim = st.rng.random_range(0..st.units);
        self.schedule_tick(c);
        if self.unit_up(self.classes[c].level, victim) {
            self.fail(c, victim);
        }
    }

    /// A unit's own clock: fails if up (the clock restarts when it is back);
    /// if it is down for another reason the clock simply starts over.
    pub(crate) fn on_unit_clock(&mut self, c: usize, unit: u32) {
        if self.unit_up(self.classes[c].level, unit) {
            self.fail(c, unit);
        } else {
            self.schedule_clock(c, unit);
        }
    }

    fn fail(&mut self, c: usize, unit: u32) {
        let rng = &mut self.class_state[c].outcome_rng;
        let (permanent, hours) = match &self.classes[c].outcome {
            Outcome::Transient { reboot } => (false, reboot.sample_hours(rng)),
            Outcome::Permanent { repair } => (true, repair.sample_hours(rng)),
            Outcome::Mixed { p_permanent, reboot, repair } => {
                if rng.random::<f64>() < p_permanent.get() {
                    (true, repair.sample_hours(rng))
                } else {
                    (false, reboot.sample_hours(rng))
                }
            }
        };
        let level = self.classes[c].level;
        let outage = Outage { level, unit, class: c as u16, permanent, swapped: false, repair: Duration::from_hours(hours) };
        let id = match self.free_outages.pop() {
            Some(id) => {
                self.outages[id as usize] = outage;
                id
            }
            None => {
                self.outages.push(outage);
                (self.outages.len() - 1) as u32
            }
        };
        self.mark_racks(level, unit, true);
        self.hit_scratch.clear();
        for n in self.topo.nodes_of(level, unit) {
            self.node_down(n);
        }
        let now = self.sched.now();
        let hits = std::mem::take(&mut self.hit_scratch);
        self.rec.count_failure(c as u16, permanent);
        if self.detail == Detail::Full {
            let tags: Vec<_> = hits.iter().filter(|h| h.1).map(|h| self.job_tag(h.0)).collect();
            self.rec.failure(now, c as u16, unit, permanent, tags);
        }
        for &(job, active) in &hits {
            if active {
                self.job_hit(job);
            }
        }
        self.hit_scratch = hits;
        if permanent {
            self.crew_queue.push_back(id);
            self.start_crews();
        } else {
            self.sched.after(outage.repair, Event::Recover { outage: id });
        }
    }

    fn mark_racks(&mut self, level: Level, unit: u32, down: bool) {
        let racks = match level {
            Level::Rack => unit..unit + 1,
            Level::Pod => {
                let p = &mut self.nodes.pod_outages[unit as usize];
                *p = if down { *p + 1 } else { *p - 1 };
                unit * self.topo.racks_per_pod..(unit + 1) * self.topo.racks_per_pod
            }
            _ => return,
        };
        for r in racks {
            let o = &mut self.nodes.rack_outages[r as usize];
            *o = if down { *o + 1 } else { *o - 1 };
        }
    }

    /// Node `n` is covered by one more outage; the first takes it out of service.
    fn node_down(&mut self, n: u32) {
        let i = n as usize;
        self.nodes.outages[i] += 1;
        if self.nodes.outages[i] > 1 {
            return;
        }
        self.meter.node_down();
        let cpn = self.topo.chips_per_node as u64;
        let owner = self.nodes.owner[i];
        match self.nodes.role[i] {
            Role::Free => {
                set_remove(&mut self.nodes.free, &mut self.nodes.pos, n);
                self.meter.shift(ChipState::Idle, ChipState::Down, cpn);
            }
            Role::Spare => {
                set_remove(&mut self.jobs[owner as usize].spares, &mut self.nodes.pos, n);
                self.meter.shift(ChipState::Idle, ChipState::Down, cpn);
                self.note_hit(owner, false);
            }
            Role::Active => {
                let job = &mut self.jobs[owner as usize];
                self.meter.shift(job.phase.chip_state(), ChipState::Down, cpn);
                job.active -= 1;
                self.nodes.role[i] = Role::Spare;
                self.note_hit(owner, true);
            }
        }
    }

    fn note_hit(&mut self, job: u32, active: bool) {
        match self.hit_scratch.iter_mut().find(|h| h.0 == job) {
            Some(h) => h.1 |= active,
            None => self.hit_scratch.push((job, active)),
        }
    }

    /// Node `n` is covered by one outage fewer; at none it is back in service.
    fn node_up(&mut self, n: u32) {
        let i = n as usize;
        self.nodes.outages[i] -= 1;
        if self.nodes.outages[i] > 0 {
            return;
        }
        self.meter.node_up();
        self.meter.shift(ChipState::Down, ChipState::Idle, self.topo.chips_per_node as u64);
        match self.nodes.role[i] {
            Role::Free => set_push(&mut self.nodes.free, &mut self.nodes.pos, n),
            Role::Spare => self.job_node_repaired(self.nodes.owner[i], n),
            Role::Active => unreachable!("an active node is healthy"),
        }
    }

    pub(crate) fn on_recover(&mut self, id: u32) {
        let o = self.outages[id as usize];
        if o.permanent {
            self.crews_free += 1;
            if o.swapped {
                self.sched.after(o.repair, Event::SpareBack);
            }
        }
        self.mark_racks(o.level, o.unit, false);
        for n in self.topo.nodes_of(o.level, o.unit) {
            self.node_up(n);
        }
        self.free_outages.push(id);
        if !self.class_state[o.class as usize].clock_draws.is_empty() {
            self.schedule_clock(o.class as usize, o.unit);
        }
        self.start_crews();
        self.try_schedule();
    }

    pub(crate) fn on_spare_back(&mut self) {
        self.spares_in_stock += 1;
    }

    /// Give waiting repairs to free crews, first come first served. A failed chip
    /// or node is swapped for a spare node when one is in stock.
    fn start_crews(&mut self) {
        while self.crews_free > 0 {
            let Some(id) = self.crew_queue.pop_front() else { break };
            self.crews_free -= 1;
            let o = &mut self.outages[id as usize];
            let took = if matches!(o.level, Level::Chip | Level::Node) && self.spares_in_stock > 0 {
                self.spares_in_stock -= 1;
                o.swapped = true;
                Duration::from_hours(self.repair.swap.sample_hours(&mut self.swap_rng))
            } else {
                o.repair
            };
            self.sched.after(took, Event::Recover { outage: id });
        }
    }

    pub(crate) fn free_node(&mut self, n: u32) {
        self.nodes.role[n as usize] = Role::Free;
        self.nodes.owner[n as usize] = super::nodes::NONE;
        if self.nodes.healthy(n) {
            set_push(&mut self.nodes.free, &mut self.nodes.pos, n);
        }
    }

    pub(crate) fn take_free_node(&mut self) -> Option<u32> {
        set_pop(&mut self.nodes.free, &mut self.nodes.pos)
    }
}
