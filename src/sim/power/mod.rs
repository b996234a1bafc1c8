//! Power and chip-time: the chip-state ledger, the power chain from chip
//! states to facility draw, and the tracks that integrate it. It observes; it
//! never changes what happens.

pub mod chain;
pub mod ledger;
pub mod states;
pub mod track;

pub use chain::{Chain, Chips, Overheads, PowerStage, Pue};
pub use ledger::Ledger;
pub use states::{Bucket, ChipState, STATES};
pub use track::{LISTED_DROP_W, PowerBin, Track, TrackSnapshot, ZOOM_WINDOW_MINUTES};

use crate::engine::SimTime;

/// The meter: the ledger, and the draw its counts give through the chain.
pub struct Meter {
    ledger: Ledger,
    chain: Chain,
    it: Track,
    /// Facility draw integrated on its own, only when a stage is not a fixed factor.
    facility: Option<Track>,
    /// Draws of the current counts; stale while `dirty` (see [`Meter::refresh`]).
    it_w: f64,
    facility_w: f64,
    dirty: bool,
}

/// What a finished meter hands to the report.
pub struct MeterSnapshot {
    pub chip_ms: [u128; STATES],
    pub node_up_ms: u128,
    pub chip_watts: [f64; STATES],
    pub node_watts: f64,
    pub racks_watts: f64,
    pub pue: f64,
    pub it: TrackSnapshot,
    /// `Ok(k)`: facility draw is k × IT draw. `Err(track)`: integrated on its own.
    pub facility: Result<f64, TrackSnapshot>,
}

impl Meter {
    /// All chips start idle and all nodes up. Without `series` only the totals
    /// are kept: no power bins, zoom trace or list of drops.
    pub fn new(ledger: Ledger, mut chain: Chain, horizon: SimTime, bin_ms: u64, series: bool) -> Self {
        let it_w = chain.it_w(SimTime::ZERO, &ledger);
        let it = Track::new(it_w, horizon, bin_ms, series);
        let (facility, facility_w) = match chain.facility_factor() {
            Some(_) => (None, 0.0),
            None => {
                let w = chain.facility_w(SimTime::ZERO, it_w, &ledger);
                (Some(Track::new(w, horizon, bin_ms, series)), w)
            }
        };
        Self { ledger, chain, it, facility, it_w, facility_w, dirty: false }
    }

    /// Bring the draws up to date. Changes of state only mark them stale, so the
    /// chain runs once per instant rather than once per change; IT draw depends on
    /// the counts alone, so the result is the same bit for bit.
    #[inline]
    fn refresh(&mut self) {
        if self.dirty {
            let at = self.ledger.time();
            self.it_w = self.chain.it_w(at, &self.ledger);
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
        self.it.advance(last, now, self.it_w);
        if let Some(f) = &mut self.facility {
            f.advance(last, now, self.facility_w);
        }
        self.ledger.set_time(now);
    }

    /// Move `chips` chips from one state to another (at the time of the last `advance`).
    #[inline]
    pub fn shift(&mut self, from: ChipState, to: ChipState, chips: u64) {
        if from == to || chips == 0 {
            return;
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
    pub fn it_watts(&mut self) -> f64 {
        self.refresh();
        self.it_w
    }

    pub fn snapshot(self) -> MeterSnapshot {
        let (node_watts, racks_watts) = self.chain.overheads();
        MeterSnapshot {
            chip_ms: self.ledger.chip_ms(),
            node_up_ms: self.ledger.node_up_ms(),
            chip_watts: self.chain.chip_watts(),
            node_watts,
            racks_watts,
            pue: self.chain.pue(),
            it: self.it.snapshot(),
            facility: match (self.chain.facility_factor(), self.facility) {
                (Some(k), _) => Ok(k),
                (None, Some(t)) => Err(t.snapshot()),
                (None, None) => unreachable!("a chain with memory keeps a facility track"),
            },
        }
    }
}
