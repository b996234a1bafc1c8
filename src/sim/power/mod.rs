//! Power and chip-time: the chip-state ledger, the power chain from chip
//! states to facility draw, and the tracks that integrate it. It observes; it
//! never changes what happens.

pub mod battery;
pub mod cap;
mod chain;
pub mod ledger;
pub mod linramps;
pub mod ramps;
pub mod slew;
pub mod states;
pub mod track;
pub mod violations;

pub(crate) use chain::Chain;
pub use chain::{Chips, Overheads, PowerStage, Pue};
pub use ledger::Ledger;
pub use ramps::{RAMP_WINDOWS, WorstRamps};
pub use states::{Bucket, ChipState, STATES};
pub(crate) use track::Track;
pub use track::{Beyond, LISTED_DROP_W, PowerBin, TrackSnapshot, ZOOM_WINDOW_MINUTES};

use crate::engine::SimTime;

/// The meter: the ledger, and the draw its counts give through the chain.
pub(crate) struct Meter {
    ledger: Ledger,
    chain: Chain,
    it: Track,
    /// Facility draw as a fixed factor of IT draw (decided once, when built),
    /// or else integrated on its own track.
    factor: Option<f64>,
    facility: Option<Track>,
    /// Draws of the current counts; stale while `dirty` (see [`Meter::refresh`]).
    it_w: f64,
    facility_w: f64,
    dirty: bool,
    /// A site battery between the facility and the grid.
    battery: Option<battery::Battery>,
    /// Per-chip ramp limits: the draw moves linearly between corners.
    slew: Option<slew::Slew>,
    /// A facility cap enforced by throttling busy chips.
    cap: Option<cap::Cap>,
}

/// How facility draw follows from IT draw, decided once when the chain is built.
#[derive(Clone, Debug)]
pub enum Facility<T> {
    /// Every facility stage is a fixed factor: facility draw is k × IT draw.
    Factor(f64),
    /// A stage is not: facility draw has its own track.
    Tracked(T),
}

/// What a finished meter hands to the report.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MeterSnapshot {
    pub chip_ms: [u128; STATES],
    pub node_up_ms: u128,
    pub chip_watts: [f64; STATES],
    /// Watts the power floor adds to each state (0 without a floor).
    pub floor_extra_watts: [f64; STATES],
    pub node_watts: f64,
    pub racks_watts: f64,
    pub pue: f64,
    pub it: TrackSnapshot,
    pub facility: Facility<TrackSnapshot>,
    /// The battery and the grid draw behind it, when the site has one.
    pub battery: Option<battery::Battery>,
    /// ∫ (IT draw − the draw its counts give) dt under ramp limits, watt-ms (0 without).
    pub ramp_excess_wms: f64,
    /// The enforced cap and what throttling cost, when the site has one.
    pub cap: Option<cap::Cap>,
}

impl Meter {
    /// All chips start idle and all nodes up. Without `series` only the totals
    /// are kept: no power bins, zoom trace or list of drops.
    /// `limits`: the grid's cap and floor on facility draw, W (±∞ for none);
    /// `ramp_limits`: its ramp limits per minute and per second, W (∞ for none).
    pub fn new(
        ledger: Ledger,
        mut chain: Chain,
        horizon: SimTime,
        bin_ms: u64,
        series: bool,
        limits: (f64, f64),
        ramp_limits: (f64, f64),
    ) -> Self {
        let it_w = chain.it_w(SimTime::ZERO, &ledger);
        let factor = chain.facility_factor();
        // With a fixed factor k the facility is k × IT: the IT track counts against limits / k.
        let k = factor.unwrap_or(1.0);
        let ramps = |k: f64| [(ramp_limits.0 / k, 60_000.0), (ramp_limits.1 / k, 1_000.0)];
        let it = Track::new(it_w, it_w, horizon, bin_ms, series);
        let it = if factor.is_some() { it.with_limits(limits.0 / k, limits.1 / k).with_ramp_limits(ramps(k)) } else { it };
        let (facility, facility_w) = match factor {
            Some(_) => (None, 0.0),
            None => {
                let w = chain.facility_w(SimTime::ZERO, it_w, &ledger);
                (Some(Track::new(w, it_w, horizon, bin_ms, series).with_limits(limits.0, limits.1).with_ramp_limits(ramps(1.0))), w)
            }
        };
        Self { ledger, chain, it, factor, facility, it_w, facility_w, dirty: false, battery: None, slew: None, cap: None }
    }

    /// Put a battery between the facility and the grid.
    /// `limits`: the grid's cap and floor (W); `ramp_limits`: its ramp limits per
    /// minute and per second (W, ∞ for none).
    pub fn with_battery(mut self, spec: battery::BatterySpec, bin_ms: Option<u64>, limits: (f64, f64), ramp_limits: (f64, f64)) -> Self {
        let facility = self.factor.map_or(self.facility_w, |k| self.it_w * k);
        let b = battery::Battery::new(spec, facility).with_limits(limits.0, limits.1).with_ramp_limits(ramp_limits.0, ramp_limits.1);
        self.battery = Some(match bin_ms {
            Some(ms) => b.with_bins(ms),
            None => b,
        });
        self
    }

    /// Ramp-limit every chip: the IT (and facility) tracks then take linear stretches.
    pub fn with_slew(mut self, spec: slew::SlewSpec) -> Self {
        self.it = self.it.with_lines();
        self.facility = self.facility.map(Track::with_lines);
        self.slew = Some(slew::Slew::new(spec));
        self
    }

    /// Enforce a facility cap of `cap_w` by throttling busy chips to no less than
    /// `min_share` of their watts, at share^`alpha` of their speed.
    pub fn with_cap(mut self, cap_w: f64, min_share: f64, alpha: f64) -> Self {
        let k = self.factor.unwrap_or_else(|| self.chain.pue());
        let busy_w = self.chain.chip_watts()[ChipState::Busy as usize];
        self.cap = Some(cap::Cap::new(cap_w / k, busy_w, min_share, alpha));
        self.dirty = true;
        self.refresh();
        self
    }

    /// How fast busy chips compute now (1 unless a cap throttles them).
    #[inline]
    pub fn speed(&mut self) -> f64 {
        self.refresh();
        self.cap.as_ref().map_or(1.0, |c| c.speed)
    }

    /// Bring the draws up to date. Changes of state only mark them stale, so the
    /// chain runs once per instant rather than once per change; IT draw depends on
    /// the counts alone, so the result is the same bit for bit.
    #[inline]
    fn refresh(&mut self) {
        if self.dirty {
            let at = self.ledger.time();
            self.it_w = self.chain.it_w(at, &self.ledger);
            if let Some(c) = &mut self.cap {
                self.it_w = c.apply(self.it_w, &self.ledger);
            }
            if self.facility.is_some() {
                self.facility_w = self.chain.facility_w(at, self.it_w, &self.ledger);
            }
            self.dirty = false;
        }
    }

    /// Bring the integrals up to `now` with the state held since the last call.
    #[inline(always)]
    pub fn advance(&mut self, now: SimTime) {
        let last = self.ledger.time();
        if now <= last {
            return;
        }
        self.refresh();
        if let Some(c) = &mut self.cap {
            c.hold(now.as_millis() - last.as_millis(), self.ledger.counts()[ChipState::Busy as usize]);
        }
        if self.slew.is_some() {
            self.advance_ramped(last, now);
            self.ledger.set_time(now);
            return;
        }
        self.it.advance(last, now, self.it_w, self.it_w);
        if let Some(f) = &mut self.facility {
            f.advance(last, now, self.facility_w, self.it_w);
        }
        if let Some(b) = &mut self.battery {
            let facility = self.factor.map_or(self.facility_w, |k| self.it_w * k);
            b.advance(last.as_millis(), now.as_millis(), facility);
        }
        self.ledger.set_time(now);
    }

    /// [`Meter::advance`] under ramp limits: the draws are the counts' plus the
    /// ramping chips' excess, linear between its corners.
    #[inline(never)]
    fn advance_ramped(&mut self, last: SimTime, now: SimTime) {
        let Some(slew) = &mut self.slew else { return };
        let corners = slew.advance(last.as_millis(), now.as_millis());
        for w in corners.windows(2) {
            let ((t0, x0), (t1, x1)) = (w[0], w[1]);
            if t1 <= t0 {
                continue;
            }
            let it = (self.it_w + x0, self.it_w + x1);
            self.it.advance_line(t0, t1, it, it);
            let fac = match (&mut self.facility, self.factor) {
                (_, Some(k)) => (it.0 * k, it.1 * k),
                (Some(f), None) => {
                    let at = SimTime::from_millis(t0 as u64);
                    let fw = (self.chain.facility_w(at, it.0, &self.ledger), self.chain.facility_w(at, it.1, &self.ledger));
                    f.advance_line(t0, t1, fw, it);
                    fw
                }
                (None, None) => unreachable!("without a factor the meter keeps a facility track"),
            };
            if let Some(b) = &mut self.battery {
                b.advance_line(t0, t1, fac.0, fac.1);
            }
        }
    }

    /// Move `chips` chips from one state to another (at the time of the last `advance`).
    #[inline]
    pub fn shift(&mut self, from: ChipState, to: ChipState, chips: u64) {
        if from == to || chips == 0 {
            return;
        }
        if let Some(s) = &mut self.slew {
            let w = self.chain.chip_watts();
            s.shift(self.ledger.time().as_millis(), (from, w[from as usize]), (to, w[to as usize]), chips);
        }
        self.ledger.shift(from, to, chips);
        self.dirty = true;
    }
    #[inline]
    pub fn node_up(&mut self) {
        self.ledger.node_up();
        self.dirty = true;
    }
    #[inline]
    pub fn node_down(&mut self) {
        self.ledger.node_down();
        self.dirty = true;
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    /// IT draw now, in watts.
    #[cfg(test)]
    fn it_watts(&mut self) -> f64 {
        self.refresh();
        self.it_w
    }

    pub fn snapshot(self) -> MeterSnapshot {
        let (node_watts, racks_watts) = self.chain.overheads();
        MeterSnapshot {
            chip_ms: self.ledger.chip_ms(),
            node_up_ms: self.ledger.node_up_ms(),
            chip_watts: self.chain.chip_watts(),
            floor_extra_watts: self.chain.floor_extra(),
            node_watts,
            racks_watts,
            pue: self.chain.pue(),
            it: self.it.snapshot(),
            facility: match (self.factor, self.facility) {
                (Some(k), _) => Facility::Factor(k),
                (None, Some(t)) => Facility::Tracked(t.snapshot()),
                (None, None) => unreachable!("without a factor the meter keeps a facility track"),
            },
            ramp_excess_wms: self.slew.as_ref().map_or(0.0, |s| s.excess_wms),
            cap: self.cap,
            battery: self.battery.map(|mut b| {
                b.finish();
                b
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AtLeastOne, ChipWatts, NonNeg, PowerModel};

    const NO_LIMITS: (f64, f64) = (f64::INFINITY, f64::NEG_INFINITY);
    const NO_RAMP_LIMITS: (f64, f64) = (f64::INFINITY, f64::INFINITY);

    fn model() -> PowerModel {
        let w = NonNeg::new;
        PowerModel {
            name: "t".into(),
            chip_watts: ChipWatts { idle: w(100.0), busy: w(700.0), checkpoint: w(200.0), restart: w(300.0), down: w(0.0) },
            node_overhead_watts: w(1000.0),
            rack_overhead_watts: w(500.0),
            floor: None,
            battery: None,
            ramp: None,
            throttle: None,
            pue: AtLeastOne::new(1.5),
        }
    }

    fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    /// 8 chips on 2 nodes in 1 rack: step the ledger, then check the draw and
    /// its integral against the watts table by hand.
    #[test]
    fn the_meter_integrates_the_chain_over_the_ledger() {
        let mut m = Meter::new(Ledger::new(8, 2), Chain::of(&model(), 1), t(3000), 1000, true, NO_LIMITS, NO_RAMP_LIMITS);
        // 0..1000 ms: all idle, both nodes up: 8·100 + 2·1000 + 500 = 3300 W.
        assert_eq!(m.it_watts(), 3300.0);
        m.advance(t(1000));
        m.shift(ChipState::Idle, ChipState::Busy, 8);
        // 1000..2500: all busy: 8·700 + 2500 = 8100 W.
        assert_eq!(m.it_watts(), 8100.0);
        m.advance(t(2500));
        m.shift(ChipState::Busy, ChipState::Down, 4);
        m.node_down();
        // 2500..3000: 4 busy, 4 down, one node up: 4·700 + 1000 + 500 = 4300 W.
        m.advance(t(3000));
        let s = m.snapshot();
        assert_eq!(s.it.wms, 3300.0 * 1000.0 + 8100.0 * 1500.0 + 4300.0 * 500.0);
        assert_eq!((s.it.peak_w, s.it.min_w, s.it.max_drop_w, s.it.max_drop_at), (8100.0, 3300.0, 3800.0, t(2500)));
        assert!(matches!(s.facility, Facility::Factor(k) if k == 1.5), "PUE is a fixed factor: facility follows from IT");
        assert_eq!(s.chip_ms[ChipState::Busy as usize], 8 * 1500 + 4 * 500);
        assert_eq!(s.node_up_ms, 2 * 2500 + 500);
        assert_eq!(s.it.bins.len(), 3);
    }

    /// A stage with memory is integrated on its own track.
    #[test]
    fn a_stage_that_is_not_a_factor_gets_its_own_track() {
        struct Floor(f64);
        impl PowerStage for Floor {
            fn name(&self) -> &str {
                "floor"
            }
            fn apply(&mut self, _: SimTime, w: f64, _: &Ledger) -> f64 {
                w.max(self.0)
            }
        }
        let mut chain = Chain::of(&model(), 1);
        chain.push(Box::new(Floor(6000.0)));
        let mut m = Meter::new(Ledger::new(8, 2), chain, t(2000), 1000, false, NO_LIMITS, NO_RAMP_LIMITS);
        m.advance(t(1000)); // 3300 W IT → 4950 W after PUE → 6000 W after the floor
        m.shift(ChipState::Idle, ChipState::Busy, 8);
        m.advance(t(2000)); // 8100 W IT → 12150 W
        let s = m.snapshot();
        let Facility::Tracked(f) = s.facility else { panic!("a floor is not a fixed factor") };
        assert_eq!(f.wms, 6000.0 * 1000.0 + 12150.0 * 1000.0);
        assert_eq!((f.min_w, f.peak_w), (6000.0, 12150.0));
    }
}
