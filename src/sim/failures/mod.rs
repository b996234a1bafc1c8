//! Failure processes: each class's units fail by its law while they are up.
//! This module decides when and which unit fails and what the outage will
//! need; the node pool and the repair pipeline carry it out.

pub mod repair;

use super::Event;
use super::failures::repair::Fix;
use crate::config::{Burst, Category, DurationLaw, FailureClassSpec, Law, Level, Outcome, ReplayedFailure, Retirement, exp_draw};
use crate::engine::{Duration, Scheduler, SimRng, SimTime, Streams, stream_id};
use crate::sim::topology::Topology;
use rand::RngExt;
use std::collections::VecDeque;
use std::sync::Arc;

const PURPOSE_CLASS: u64 = stream_id("failure-class");
const PURPOSE_OUTCOME: u64 = stream_id("failure-outcome");
const PURPOSE_CLOCK: u64 = stream_id("unit-clock");
const PURPOSE_LEMONS: u64 = stream_id("lemon-nodes");
const PURPOSE_RETIRE: u64 = stream_id("retirement");
const PURPOSE_DETECT: u64 = stream_id("detection");
const PURPOSE_RECUR: u64 = stream_id("recurrence");
const PURPOSE_HIDDEN: u64 = stream_id("hidden-delay");

/// The failure family's events.
#[derive(Clone, Copy, Debug)]
pub enum FailureEvent {
    /// Next failure of an exponential class, merged over all its units.
    ClassTick { class: u16 },
    /// Next failure of one unit of a class with its own clock per unit.
    UnitClock { class: u16, unit: u32 },
    /// A misdiagnosed fault strikes again (if its node's latent fault is still `generation`).
    Recur { class: u16, unit: u32, generation: u32 },
    /// A burst of a class: it picks its units and spreads their strikes.
    Burst { class: u16 },
    /// One unit of a burst is struck.
    Strike { class: u16, unit: u32 },
    /// Row `row` of a failure trace is due.
    Replay { row: u32 },
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
    /// How long its faults go unseen; `None`: the model's detection law, if any.
    pub detection: Option<Law>,
    /// Strikes many units at once, `ttf` apart over the whole site.
    pub burst: Option<Burst>,
    /// Planned: jobs save their work on notice.
    pub planned: bool,
    /// A unit's age runs on across reboots; a permanent repair makes it new.
    pub ageing: bool,
    /// With ageing: the age at which a unit (or a new part) enters service, hours.
    pub burn_in_hours: f64,
    /// Silent data corruption, found after a draw of this law.
    pub silent: Option<Law>,
    /// Fail-slow: the pace it leaves the jobs on it, until found.
    pub slow: Option<crate::config::Slow>,
}

impl FailureClass {
    pub fn new(name: impl Into<String>, category: Category, level: Level, ttf: Arc<dyn DurationLaw>, outcome: Outcome) -> Self {
        Self {
            name: name.into(),
            category,
            level,
            ttf,
            outcome,
            detection: None,
            burst: None,
            planned: false,
            ageing: false,
            burn_in_hours: 0.0,
            silent: None,
            slow: None,
        }
    }
    pub fn from_spec(s: &FailureClassSpec) -> Self {
        Self {
            detection: s.detection.clone(),
            burst: s.burst.clone(),
            planned: s.planned,
            ageing: s.ageing,
            burn_in_hours: s.burn_in_hours.get(),
            silent: s.silent.clone(),
            slow: s.slow.clone(),
            ..Self::new(s.name.clone(), s.category, s.level, Arc::new(s.ttf.clone()), s.outcome.clone())
        }
    }
}

/// The node a unit at `level` sits on (`None` for a rack or pod: they span nodes).
#[inline]
fn node_of(level: Level, unit: u32, chips_per_node: u32) -> Option<u32> {
    match level {
        Level::Chip => Some(unit / chips_per_node),
        Level::Node => Some(unit),
        Level::Rack | Level::Pod => None,
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
    /// The retirement policy retired the node: it is replaced with new hardware.
    pub replace: bool,
    /// How long the fault goes unseen: the jobs it strikes hang meanwhile.
    pub detect: Duration,
    /// Planned: the jobs it strikes save their work first.
    pub planned: bool,
    /// Silent: the unit runs on, corrupting data, until the fault is found this much later.
    pub silent: Option<Duration>,
    /// Fail-slow: the unit runs on at this pace until the fault is found this much later.
    pub slow: Option<(f64, Duration)>,
}

impl Failure {
    /// The node it struck (`None` for a rack or pod).
    pub fn node(&self, chips_per_node: u32) -> Option<u32> {
        node_of(self.level, self.unit, chips_per_node)
    }
}

struct ClassState {
    units: u32,
    /// Rate per hour of the merged stream over all units, for exponential laws.
    merged_rate: Option<f64>,
    /// Units on lemon nodes, and how many times as often they fail (1: none, or the
    /// class is not a node's own). The merged stream weighs them by that factor.
    lemon_units: u32,
    factor: f64,
    rng: SimRng,
    outcome_rng: SimRng,
    /// Delays of silent and fail-slow faults, apart so that they leave outcomes be.
    hidden_rng: SimRng,
    /// Draws taken so far by each unit's own clock (non-exponential laws).
    clock_draws: Vec<u32>,
    /// With ageing: when each unit was last new (hours).
    born: Vec<f64>,
}

/// The failure processes of all classes.
pub struct Failures {
    classes: Vec<FailureClass>,
    state: Vec<ClassState>,
    streams: Streams,
    /// Lemon nodes, ascending, and whether each node is one.
    lemons: Vec<u32>,
    is_lemon: Vec<bool>,
    chips_per_node: u32,
    /// Failures that struck a lemon node's chips or host.
    pub on_lemons: u64,
    /// The retirement policy, each node's recent chip- and node-level failures (hours),
    /// and the nodes it retired: lemons found, and good nodes retired by mistake.
    retirement: Option<(Retirement, SimRng)>,
    recent: Vec<VecDeque<f64>>,
    pub retired_lemons: u64,
    pub retired_good: u64,
    /// The model's detection law (a class may have its own), and its stream.
    detection: Option<(Law, SimRng)>,
    /// Per node, the generation of its latent (misdiagnosed) fault: a recurrence of
    /// an older one is void. Kept only when repairs can misdiagnose.
    latent: Vec<u32>,
    /// How long a misdiagnosed node runs before its fault strikes again, and the
    /// stream for that and for the recurrences' repair times (their own, so that
    /// escalation leaves other failures' outcomes be).
    refail: Option<(Law, SimRng)>,
    /// A failure trace replayed instead of the classes' laws.
    replay: Option<Vec<ReplayedFailure>>,
    /// When each rack comes into service (hours; all 0 unless the site is built in
    /// phases): a unit's own clock starts then.
    install_h: Vec<f64>,
    nodes_per_rack: u32,
}

/// `count` distinct nodes of `nodes`, drawn by a partial Fisher–Yates shuffle, ascending.
fn draw_lemons(nodes: u32, count: u32, rng: &mut SimRng) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..nodes).collect();
    for i in 0..count as usize {
        let j = rng.random_range(i..nodes as usize);
        ids.swap(i, j);
    }
    let mut picked = ids[..count as usize].to_vec();
    picked.sort_unstable();
    picked
}

impl Failures {
    /// `lemons`: the share of nodes that are lemons and how many times as often they fail.
    pub fn new(classes: Vec<FailureClass>, topo: &Topology, streams: Streams, lemons: Option<(f64, f64)>) -> Self {
        let nodes = topo.nodes();
        let (lemons, factor) = match lemons {
            Some((share, k)) if share > 0.0 && k > 1.0 => {
                let count = ((share * nodes as f64).round() as u32).min(nodes);
                (draw_lemons(nodes, count, &mut streams.rng(PURPOSE_LEMONS, 0, 0)), k)
            }
            _ => (Vec::new(), 1.0),
        };
        let mut is_lemon = vec![false; if lemons.is_empty() { 0 } else { nodes as usize }];
        for &n in &lemons {
            is_lemon[n as usize] = true;
        }
        let state = classes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let units = topo.units(c.level);
                let lemon_units = match c.level {
                    Level::Chip => lemons.len() as u32 * topo.chips_per_node,
                    Level::Node => lemons.len() as u32,
                    Level::Rack | Level::Pod => 0,
                };
                let factor = if lemon_units > 0 { factor } else { 1.0 };
                // A burst class runs one clock over the site: no merged rate, no clock per unit.
                let bursts = c.burst.is_some();
                // The merged stream runs at λ × (units + (k − 1) × lemon units).
                let weight = units as f64 + (factor - 1.0) * lemon_units as f64;
                let merged_rate =
                    c.ttf.exponential_rate().filter(|_| !bursts).map(|r| if lemon_units > 0 { r * weight } else { r * units as f64 });
                ClassState {
                    units,
                    merged_rate,
                    lemon_units,
                    factor,
                    rng: streams.rng(PURPOSE_CLASS, i as u64, 0),
                    outcome_rng: streams.rng(PURPOSE_OUTCOME, i as u64, 0),
                    hidden_rng: streams.rng(PURPOSE_HIDDEN, i as u64, 0),
                    clock_draws: if merged_rate.is_some() || bursts { Vec::new() } else { vec![0; units as usize] },
                    born: if c.ageing && merged_rate.is_none() && !bursts { vec![-c.burn_in_hours; units as usize] } else { Vec::new() },
                }
            })
            .collect();
        Self {
            classes,
            state,
            streams,
            lemons,
            is_lemon,
            chips_per_node: topo.chips_per_node,
            on_lemons: 0,
            retirement: None,
            recent: Vec::new(),
            retired_lemons: 0,
            retired_good: 0,
            detection: None,
            latent: Vec::new(),
            refail: None,
            replay: None,
            install_h: Vec::new(),
            nodes_per_rack: topo.nodes_per_rack,
        }
    }

    /// Racks come into service at these hours: their units' own clocks start then.
    pub fn with_install_hours(mut self, hours: Vec<f64>) -> Self {
        if hours.iter().any(|&h| h > 0.0) {
            self.install_h = hours;
        }
        self
    }

    /// The rack a unit of class `c` sits in (`None` for a pod).
    fn rack_of(&self, c: usize, unit: u32) -> Option<u32> {
        match self.classes[c].level {
            Level::Rack => Some(unit),
            level => self.node_of(level, unit).map(|n| n / self.nodes_per_rack),
        }
    }

    /// Rack `rack` comes into service now: its units' own clocks start, new (less
    /// their burn-in) for classes with ageing.
    pub fn install(&mut self, rack: u32, sched: &mut Scheduler<Event>) {
        let now = sched.now().as_hours();
        for c in 0..self.classes.len() {
            if self.state[c].clock_draws.is_empty() || self.replay.is_some() {
                continue;
            }
            let per_rack = match self.classes[c].level {
                Level::Chip => self.nodes_per_rack * self.chips_per_node,
                Level::Node => self.nodes_per_rack,
                Level::Rack => 1,
                Level::Pod => continue,
            };
            for unit in rack * per_rack..(rack + 1) * per_rack {
                self.renew(c, unit, now);
                self.schedule_clock(c, unit, sched);
            }
        }
    }

    /// Replay `rows` (sorted by time) instead of drawing failures from the classes' laws.
    pub fn with_replay(mut self, rows: Option<Vec<ReplayedFailure>>) -> Self {
        self.replay = rows;
        self
    }

    /// Faults go unseen for a draw of `law` (unless a class has its own).
    pub fn with_detection(mut self, law: Option<Law>) -> Self {
        let any = law.is_some() || self.classes.iter().any(|c| c.detection.is_some());
        if any {
            self.detection = Some((law.unwrap_or(Law::fixed(0.0)), self.streams.rng(PURPOSE_DETECT, 0, 0)));
        }
        self
    }

    /// Repairs may misdiagnose, a latent fault striking again after a draw of `refail`:
    /// keep each node's latent-fault generation.
    pub fn with_latent_faults(mut self, refail: Option<Law>, nodes: u32) -> Self {
        if let Some(law) = refail {
            self.latent = vec![0; nodes as usize];
            self.refail = Some((law, self.streams.rng(PURPOSE_RECUR, 0, 0)));
        }
        self
    }

    fn node_of(&self, level: Level, unit: u32) -> Option<u32> {
        node_of(level, unit, self.chips_per_node)
    }

    /// A unit of class `c` is new now (a new part), less its burn-in, if its class ages.
    fn renew(&mut self, c: usize, unit: u32, now_h: f64) {
        if let Some(b) = self.state[c].born.get_mut(unit as usize) {
            *b = now_h - self.classes[c].burn_in_hours;
        }
    }

    /// A unit is back after an outage that ended by `fix`. Misdiagnosed: its fault
    /// strikes again after `refail` (not under replay: the trace holds every failure).
    /// Cleared (automatic, crew, vendor or replacement): any latent fault of its node is
    /// gone. A reboot of a transient failure leaves a latent fault be.
    pub fn back(&mut self, f: &Failure, fix: Fix, refail: Option<Duration>, sched: &mut Scheduler<Event>) {
        let Some(node) = self.node_of(f.level, f.unit).filter(|_| !self.latent.is_empty()) else { return };
        if fix == Fix::Rebooted {
            return;
        }
        let g = &mut self.latent[node as usize];
        *g = g.wrapping_add(1);
        if let Some(after) = refail.filter(|_| self.replay.is_none()) {
            sched.after(after, FailureEvent::Recur { class: f.class, unit: f.unit, generation: *g }.into());
        }
    }

    /// Retire nodes by `policy`.
    pub fn with_retirement(mut self, policy: Option<Retirement>, nodes: u32) -> Self {
        if let Some(p) = policy {
            self.retirement = Some((p, self.streams.rng(PURPOSE_RETIRE, 0, 0)));
            self.recent = vec![VecDeque::new(); nodes as usize];
        }
        self
    }

    /// The lemon nodes, ascending.
    pub fn lemon_nodes(&self) -> &[u32] {
        &self.lemons
    }

    /// Whether unit `unit` of class `c` sits on a lemon node.
    fn on_lemon(&self, c: usize, unit: u32) -> bool {
        self.state[c].lemon_units > 0 && self.node_of(self.classes[c].level, unit).is_some_and(|n| self.is_lemon[n as usize])
    }

    /// Arm every class: one merged clock, or one clock per unit.
    pub fn start(&mut self, sched: &mut Scheduler<Event>) {
        if let Some(rows) = &self.replay {
            if let Some(r) = rows.first() {
                sched.at(SimTime::from_hours(r.time_h), FailureEvent::Replay { row: 0 }.into());
            }
            return;
        }
        for c in 0..self.classes.len() {
            if self.classes[c].burst.is_some() {
                let h = self.classes[c].ttf.first_hours(&mut self.state[c].rng);
                if h.is_finite() {
                    sched.after(Duration::from_hours(h), FailureEvent::Burst { class: c as u16 }.into());
                }
            } else if self.state[c].merged_rate.is_some() {
                self.schedule_tick(c, sched);
            } else {
                for unit in 0..self.state[c].units {
                    // A rack not yet in service starts its units' clocks when it arrives.
                    let later = self.rack_of(c, unit).is_some_and(|r| self.install_h.get(r as usize).is_some_and(|&h| h > 0.0));
                    if !later {
                        self.schedule_clock(c, unit, sched);
                    }
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
        let first = *k == 1;
        let ttf = &self.classes[c].ttf;
        // With ageing, from the unit's age; a first draw at age 0 keeps a periodic law's phase.
        let age = self.state[c].born.get(unit as usize).map(|&born| sched.now().as_hours() - born);
        let mut h = match (first, age) {
            (true, Some(a)) if a > 0.0 => ttf.residual_hours(a, &mut rng),
            (true, _) => ttf.first_hours(&mut rng),
            (false, Some(a)) => ttf.residual_hours(a, &mut rng),
            (false, None) => ttf.sample_hours(&mut rng),
        };
        if self.on_lemon(c, unit) {
            // Failing k times as often: the same law on a clock k times as fast.
            h /= self.state[c].factor;
        }
        if h.is_finite() {
            sched.after(Duration::from_hours(h), FailureEvent::UnitClock { class: c as u16, unit }.into());
        }
    }

    /// A failure event: the failure it brings, if its unit is up.
    #[inline]
    /// `up(level, unit)`: whether the unit is in service and can fail now (a unit
    /// that cannot has rate 0: a merged draw on it is thinned, its own clock restarts).
    pub fn on_event(&mut self, ev: FailureEvent, sched: &mut Scheduler<Event>, up: impl Fn(Level, u32) -> bool) -> Option<Failure> {
        match ev {
            // The merged stream fires at rate (all units) × λ; a unit that is down has
            // rate 0, so the draw is thinned to units that are up. Exact for Poisson.
            FailureEvent::ClassTick { class } => {
                let c = class as usize;
                let cpn = self.chips_per_node;
                let now = sched.now().as_hours();
                let st = &mut self.state[c];
                let victim = if st.lemon_units == 0 {
                    Some(st.rng.random_range(0..st.units))
                } else {
                    // Every unit weighs 1, and a lemon's unit k − 1 more: a draw past the
                    // units lands on a lemon's extra weight.
                    let x = st.rng.random::<f64>() * (st.units as f64 + (st.factor - 1.0) * st.lemon_units as f64);
                    if x < st.units as f64 {
                        Some(x as u32)
                    } else {
                        let j = (((x - st.units as f64) / (st.factor - 1.0)) as u32).min(st.lemon_units - 1);
                        let unit = match self.classes[c].level {
                            Level::Chip => self.lemons[(j / cpn) as usize] * cpn + j % cpn,
                            _ => self.lemons[j as usize],
                        };
                        // A lemon since replaced has no extra weight: the draw is thinned away.
                        self.on_lemon(c, unit).then_some(unit)
                    }
                };
                self.schedule_tick(c, sched);
                victim.filter(|&v| up(self.classes[c].level, v)).map(|v| self.draw(c, v, now))
            }
            // A unit's own clock: fails if up (the clock restarts when it is back);
            // if it is down for another reason the clock simply starts over.
            FailureEvent::UnitClock { class, unit } => {
                let c = class as usize;
                if up(self.classes[c].level, unit) {
                    Some(self.draw(c, unit, sched.now().as_hours()))
                } else {
                    self.schedule_clock(c, unit, sched);
                    None
                }
            }
            FailureEvent::Burst { class } => {
                let c = class as usize;
                let b = self.classes[c].burst.clone()?;
                let st = &mut self.state[c];
                let n = b.strikes.of(st.units);
                for unit in rand::seq::index::sample(&mut st.rng, st.units as usize, n as usize) {
                    let at = b.within_hours.get() * st.rng.random::<f64>();
                    sched.after(Duration::from_hours(at), FailureEvent::Strike { class, unit: unit as u32 }.into());
                }
                let h = self.classes[c].ttf.sample_hours(&mut self.state[c].rng);
                if h.is_finite() {
                    sched.after(Duration::from_hours(h), FailureEvent::Burst { class }.into());
                }
                None
            }
            FailureEvent::Strike { class, unit } => {
                let c = class as usize;
                up(self.classes[c].level, unit).then(|| self.draw(c, unit, sched.now().as_hours()))
            }
            FailureEvent::Replay { row } => {
                let rows = self.replay.as_ref()?;
                let r = rows[row as usize];
                if let Some(next) = rows.get(row as usize + 1) {
                    sched.at(SimTime::from_hours(next.time_h), FailureEvent::Replay { row: row + 1 }.into());
                }
                let c = r.class as usize;
                let mut f = up(self.classes[c].level, r.unit).then(|| self.draw(c, r.unit, sched.now().as_hours()))?;
                // A silent or fail-slow fault is found when the trace says it was.
                if let Some(h) = r.found_after_h {
                    let after = Duration::from_hours(h);
                    if self.classes[c].silent.is_some() {
                        f.silent = Some(after);
                    } else if let Some(sl) = &self.classes[c].slow {
                        f.slow = Some((sl.speed.get(), after));
                    }
                }
                Some(f)
            }
            // The fault a repair missed: the same class strikes again, as a permanent fault.
            FailureEvent::Recur { class, unit, generation } => {
                let c = class as usize;
                let node = self.node_of(self.classes[c].level, unit)?;
                if self.latent.get(node as usize) != Some(&generation) {
                    return None;
                }
                let (law, rng) = self.refail.as_mut()?;
                if !up(self.classes[c].level, unit) {
                    // Down for another reason, or not computing: the fault is still there.
                    let after = Duration::from_hours(law.sample_hours(rng));
                    sched.after(after, FailureEvent::Recur { class, unit, generation }.into());
                    return None;
                }
                // The same fault again, a permanent one; its repair time from the recurrences' stream.
                let repair = match &self.classes[c].outcome {
                    Outcome::Mixed { repair, .. } | Outcome::Permanent { repair } => repair.sample_hours(rng),
                    Outcome::Transient { reboot } => reboot.sample_hours(rng),
                };
                let now_h = sched.now().as_hours();
                self.prelude(c, unit, now_h).or_else(|| Some(self.failure(c, unit, true, Duration::from_hours(repair), false)))
            }
        }
    }

    /// Mark a failure of a silent or fail-slow class with the delay until it is found
    /// (unless a replayed trace gave it).
    #[inline]
    pub fn hide(&mut self, f: &mut Failure) {
        if f.silent.is_some() || f.slow.is_some() {
            return;
        }
        let c = &self.classes[f.class as usize];
        let rng = &mut self.state[f.class as usize].hidden_rng;
        if let Some(law) = &c.silent {
            f.silent = Some(Duration::from_hours(law.sample_hours(rng)));
        } else if let Some(sl) = &c.slow {
            f.slow = Some((sl.speed.get(), Duration::from_hours(sl.detect.sample_hours(rng))));
        }
    }

    /// How long a failure of class `c` goes unseen.
    #[inline]
    fn detect(&mut self, c: usize) -> Duration {
        match &mut self.detection {
            None => Duration::ZERO,
            Some((law, rng)) => Duration::from_hours(self.classes[c].detection.as_ref().unwrap_or(law).sample_hours(rng)),
        }
    }

    /// A failure of class `c` at `unit`, with its detection delay drawn.
    #[inline]
    fn failure(&mut self, c: usize, unit: u32, permanent: bool, repair: Duration, replace: bool) -> Failure {
        let detect = self.detect(c);
        let (level, planned) = (self.classes[c].level, self.classes[c].planned);
        Failure { class: c as u16, level, unit, permanent, repair, replace, detect, planned, silent: None, slow: None }
    }

    #[inline]
    fn draw(&mut self, c: usize, unit: u32, now_h: f64) -> Failure {
        if let Some(f) = self.prelude(c, unit, now_h) {
            return f;
        }
        self.outcome(c, unit)
    }

    /// What every failure of a chip or node does first: count it against a lemon and
    /// toward retirement; the retirement's failure when that retires the node.
    #[inline]
    fn prelude(&mut self, c: usize, unit: u32, now_h: f64) -> Option<Failure> {
        if self.on_lemon(c, unit) {
            self.on_lemons += 1;
        }
        let node = self.node_of(self.classes[c].level, unit).filter(|_| self.retirement.is_some())?;
        let repair = self.retire(node, now_h)?;
        Some(self.failure(c, unit, true, repair, true))
    }

    /// A failure's outcome from its class's outcome stream.
    #[inline]
    fn outcome(&mut self, c: usize, unit: u32) -> Failure {
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
        self.failure(c, unit, permanent, Duration::from_hours(hours), false)
    }

    /// Node `node` failed at `now_h`: if that makes the policy's count within its window,
    /// it is retired (a lemon found, or a good node by mistake) and replaced with new
    /// hardware, no lemon; the replacement time is returned.
    fn retire(&mut self, node: u32, now_h: f64) -> Option<Duration> {
        let (policy, rng) = self.retirement.as_mut()?;
        let recent = &mut self.recent[node as usize];
        while recent.front().is_some_and(|&t| t <= now_h - policy.window_hours.get()) {
            recent.pop_front();
        }
        recent.push_back(now_h);
        if recent.len() < policy.failures.get() as usize {
            return None;
        }
        recent.clear();
        let hours = policy.replace.sample_hours(rng);
        match self.is_lemon.get_mut(node as usize) {
            Some(lemon) if *lemon => {
                *lemon = false;
                self.retired_lemons += 1;
            }
            _ => self.retired_good += 1,
        }
        Some(Duration::from_hours(hours))
    }

    /// The unit of a class with per-unit clocks is back: its clock starts again
    /// (with ageing, from its age; new after a permanent repair).
    pub fn unit_back(&mut self, f: &Failure, sched: &mut Scheduler<Event>) {
        let (class, unit) = (f.class, f.unit);
        if f.permanent {
            self.renew(class as usize, unit, sched.now().as_hours());
        }
        if !self.state[class as usize].clock_draws.is_empty() && self.replay.is_none() {
            self.schedule_clock(class as usize, unit, sched);
        }
    }
}
