//! The power chain: stages that turn the ledger's chip and node counts into IT
//! draw, then IT draw into facility draw. The chain defines facility draw; when
//! every facility stage is a fixed factor (PUE is) the report scales the IT
//! figures by it, otherwise the meter integrates the chain's output on its own.
//!
//! Stages are evaluated at each instant the ledger changes, so every draw in
//! the chain is piecewise constant with steps at the same instants. Per-chip
//! ramp limits (`slew.rs`) add a piecewise-linear excess on top, outside the
//! chain: the meter then hands the tracks linear stretches.

use super::ledger::Ledger;
use super::states::{ChipState, STATES};
use super::track::f;
use crate::config::PowerModel;
use crate::engine::SimTime;

/// A stage of the power chain, for stages written outside gigasim (a battery,
/// a ramp limiter, a cooling model). It sees the draw of the stage before it.
pub trait PowerStage: Send {
    fn name(&self) -> &str;
    /// The stage's draw from instant `at` on, while its input draws `input_w`
    /// and the site is in the state the ledger holds.
    fn apply(&mut self, at: SimTime, input_w: f64, site: &Ledger) -> f64;
    /// `Some(k)` when the output is always k × the input, whatever the time
    /// and history: the chain then scales the input's totals and series.
    fn factor(&self) -> Option<f64> {
        None
    }
}

/// Nodes that are up and racks, beyond their chips: added to the draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Overheads {
    pub node_w: f64,
    /// All racks together.
    pub racks_w: f64,
}

impl PowerStage for Overheads {
    fn name(&self) -> &str {
        "node and rack overheads"
    }
    #[inline]
    fn apply(&mut self, _: SimTime, w: f64, site: &Ledger) -> f64 {
        w + (f(site.up_nodes()) * self.node_w + self.racks_w)
    }
}

/// Every chip at the watts of its state: added to the draw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chips {
    pub watts: [f64; STATES],
}

impl PowerStage for Chips {
    fn name(&self) -> &str {
        "chips"
    }
    #[inline]
    fn apply(&mut self, _: SimTime, mut w: f64, site: &Ledger) -> f64 {
        for (n, watts) in site.counts().iter().zip(self.watts.iter()) {
            w += f(*n) * watts;
        }
        w
    }
}

/// Cooling and conversion: facility draw = IT draw × PUE.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pue(pub f64);

impl PowerStage for Pue {
    fn name(&self) -> &str {
        "PUE"
    }
    fn apply(&mut self, _: SimTime, w: f64, _: &Ledger) -> f64 {
        w * self.0
    }
    fn factor(&self) -> Option<f64> {
        Some(self.0)
    }
}

/// The chain: IT stages (overheads, then chips, summed from zero; fixed, so
/// that the per-event sum is inlined), then facility stages (PUE first, then
/// the caller's).
pub(crate) struct Chain {
    overheads: Overheads,
    chips: Chips,
    /// Watts the power floor adds to each state (0 without a floor).
    floor_extra: [f64; STATES],
    facility: Vec<Box<dyn PowerStage>>,
}

impl Chain {
    /// The chain a power model file describes.
    pub fn of(p: &PowerModel, racks: u64) -> Self {
        Self {
            overheads: Overheads { node_w: p.node_overhead_watts.get(), racks_w: f(racks) * p.rack_overhead_watts.get() },
            chips: Chips { watts: ChipState::floored_watts(p) },
            floor_extra: {
                let (lifted, raw) = (ChipState::floored_watts(p), ChipState::watts_table(&p.chip_watts));
                std::array::from_fn(|i| lifted[i] - raw[i])
            },
            facility: vec![Box::new(Pue(p.pue.get()))],
        }
    }

    /// Append a stage after the facility stages (e.g. a caller's battery).
    pub fn push(&mut self, s: Box<dyn PowerStage>) {
        self.facility.push(s);
    }

    /// IT draw of the site as the ledger holds it.
    #[inline]
    pub fn it_w(&mut self, at: SimTime, site: &Ledger) -> f64 {
        let w = self.overheads.apply(at, 0.0, site);
        self.chips.apply(at, w, site)
    }

    /// Facility draw for an IT draw of `it_w`.
    pub fn facility_w(&mut self, at: SimTime, it_w: f64, site: &Ledger) -> f64 {
        self.facility.iter_mut().fold(it_w, |w, s| s.apply(at, w, site))
    }

    /// The factor from IT to facility draw when every facility stage is one.
    pub fn facility_factor(&self) -> Option<f64> {
        self.facility.iter().try_fold(1.0, |k, s| s.factor().map(|x| k * x))
    }

    /// Watts of one chip in each state.
    pub fn floor_extra(&self) -> [f64; STATES] {
        self.floor_extra
    }
    pub fn chip_watts(&self) -> [f64; STATES] {
        self.chips.watts
    }
    /// Watts of a node that is up (beyond its chips), and of all racks.
    pub fn overheads(&self) -> (f64, f64) {
        (self.overheads.node_w, self.overheads.racks_w)
    }
    /// The PUE stage's factor (the first facility stage).
    pub fn pue(&self) -> f64 {
        self.facility[0].factor().unwrap_or(1.0)
    }
}
