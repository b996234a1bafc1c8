//! Failure processes: each class's units fail by its law while they are up.
//! This module decides when and which unit fails and what the outage will
//! need; the node pool and the repair pipeline carry it out.

pub mod repair;

use super::Event;
use super::nodes::NodePool;
use crate::config::{Category, DurationLaw, FailureClassSpec, Level, Outcome, exp_draw};
use crate::engine::{Duration, Scheduler, SimRng, Streams, stream_id};
use crate::sim::topology::Topology;
use rand::RngExt;
use std::sync::Arc;

const PURPOSE_CLASS: u64 = stream_id("failure-class");
const PURPOSE_OUTCOME: u64 = stream_id("failure-outcome");
const PURPOSE_CLOCK: u64 = stream_id("unit-clock");

/// The failure family's events.
#[derive(Clone, Copy, Debug)]
pub enum FailureEvent {
    /// Next failure of an exponential class, merged over all its units.
    ClassTick { class: u16 },
    /// Next failure of one unit of a class with its own clock per unit.
    UnitClock { class: u16, unit: u32 },
}

/// A failure class as the simulation uses it. Build one from a model file entry
/// with [`FailureClass::from_spec`], or in code with [`FailureClass::new`] and a
/// law of your own.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FailureClass {
    pub name: String,
    pub category: Category,
    pub level: Level,
    pub ttf: Arc<dyn DurationLaw>,
    pub outcome: Outcome,
}

impl FailureClass {
    pub fn new(name: impl Into<String>, category: Category, level: Level, ttf: Arc<dyn DurationLaw>, outcome: Outcome) -> Self {
        Self { name: name.into(), category, level, ttf, outcome }
    }
    pub fn from_spec(s: &FailureClassSpec) -> Self {
        Self::new(s.name.clone(), s.category, s.level, Arc::new(s.ttf.clone()), s.outcome.clone())
    }
}

/// One failure as drawn: the unit struck and what its outage needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Failure {
    pub class: u16,
    pub level: Level,
    pub unit: u32,
    /// Needs a crew (else a reboot brings it back).
    pub permanent: bool,
    /// The reboot time, or the repair time a crew (or the off-line bench) needs.
    pub repair: Duration,
}

struct ClassState {
    units: u32,
    /// Rate per hour of the merged stream over all units, for exponential laws.
    merged_rate: Option<f64>,
    rng: SimRng,
    outcome_rng: SimRng,
    /// Draws taken so far by each unit's own clock (non-exponential laws).
    clock_draws: Vec<u32>,
}

/// The failure processes of all classes.
pub struct Failures {
    classes: Vec<FailureClass>,
    state: Vec<ClassState>,
    streams: Streams,
}

impl Failures {
    pub fn new(classes: Vec<FailureClass>, topo: &Topology, streams: Streams) -> Self {
        let state = classes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let units = topo.units(c.level);
                let merged_rate = c.ttf.exponential_rate().map(|r| r * units as f64);
                ClassState {
                    units,
                    merged_rate,
                    rng: streams.rng(PURPOSE_CLASS, i as u64, 0),
                    outcome_rng: streams.rng(PURPOSE_OUTCOME, i as u64, 0),
                    clock_draws: if merged_rate.is_some() { Vec::new() } else { vec![0; units as usize] },
                }
            })
            .collect();
        Self { classes, state, streams }
    }

    /// Arm every class: one merged clock, or one clock per unit.
    pub fn start(&mut self, sched: &mut Scheduler<Event>) {
        for c in 0..self.classes.len() {
            if self.state[c].merged_rate.is_some() {
                self.schedule_tick(c, sched);
            } else {
                for unit in 0..self.state[c].units {
                    self.schedule_clock(c, unit, sched);
                }
            }
        }
    }

    fn schedule_tick(&mut self, c: usize, sched: &mut Scheduler<Event>) {
        let st = &mut self.state[c];
        if let Some(rate) = st.merged_rate.filter(|&r| r > 0.0) {
            let h = exp_draw(&mut st.rng, 1.0 / rate);
            sched.after(Duration::from_hours(h), FailureEvent::ClassTick { class: c as u16 }.into());
        }
    }

    fn schedule_clock(&mut self, c: usize, unit: u32, sched: &mut Scheduler<Event>) {
        let k = &mut self.state[c].clock_draws[unit as usize];
        let mut rng = self.streams.rng(PURPOSE_CLOCK, ((c as u64) << 40) | unit as u64, *k as u64);
        *k += 1;
        let h = self.classes[c].ttf.sample_hours(&mut rng);
        if h.is_finite() {
            sched.after(Duration::from_hours(h), FailureEvent::UnitClock { class: c as u16, unit }.into());
        }
    }

    /// A failure event: the failure it brings, if its unit is up.
    #[inline]
    pub fn on_event(&mut self, ev: FailureEvent, sched: &mut Scheduler<Event>, pool: &NodePool) -> Option<Failure> {
        match ev {
            // The merged stream fires at rate (all units) × λ; a unit that is down has
            // rate 0, so the draw is thinned to units that are up. Exact for Poisson.
            FailureEvent::ClassTick { class } => {
                let c = class as usize;
                let st = &mut self.state[c];
                let victim = st.rng.random_range(0..st.units);
                self.schedule_tick(c, sched);
                pool.unit_up(self.classes[c].level, victim).then(|| self.draw(c, victim))
            }
            // A unit's own clock: fails if up (the clock restarts when it is back);
            // if it is down for another reason the clock simply starts over.
            FailureEvent::UnitClock { class, unit } => {
                let c = class as usize;
                if pool.unit_up(self.classes[c].level, unit) {
                    Some(self.draw(c, unit))
                } else {
                    self.schedule_clock(c, unit, sched);
                    None
                }
            }
        }
    }

    #[inline]
    fn draw(&mut self, c: usize, unit: u32) -> Failure {
        let rng = &mut self.state[c].outcome_rng;
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
        Failure { class: c as u16, level: self.classes[c].level, unit, permanent, repair: Duration::from_hours(hours) }
    }

    /// The unit of a class with per-unit clocks is back: its clock starts again.
    pub fn unit_back(&mut self, class: u16, unit: u32, sched: &mut Scheduler<Event>) {
        if !self.state[class as usize].clock_draws.is_empty() {
            self.schedule_clock(class as usize, unit, sched);
        }
    }
}
