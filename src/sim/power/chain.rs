//! The power chain: stages that turn the ledger's chip and node counts into IT
//! draw, then IT draw into facility draw. Facility draw is computed here, once.
//!
//! Stages are evaluated at each instant the ledger changes, so every draw in
//! the chain is piecewise constant with steps at the same instants. A stage
//! that is a fixed factor (PUE) says so through [`PowerStage::factor`]: the
//! chain's output then follows from the IT track exactly, with no work per event.

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

/// The stages gigasim ships, and a slot for one of the caller's.
pub enum Stage {
    /// Nodes that are up and racks, beyond their chips: added to the draw.
    Overheads {
        node_w: f64,
        racks_w: f64,
    },
    /// Every chip at the watts of its state: added to the draw.
    Chips {
        watts: [f64; STATES],
    },
    /// Cooling and conversion: facility draw = IT draw × PUE.
    Pue(f64),
    Custom(Box<dyn PowerStage>),
}

impl Stage {
    #[inline]
    fn apply(&mut self, at: SimTime, w: f64, site: &Ledger) -> f64 {
        match self {
            Stage::Overheads { node_w, racks_w } => w + (f(site.up_nodes()) * *node_w + *racks_w),
            Stage::Chips { watts } => {
                let mut w = w;
                for (n, watts) in site.counts().iter().zip(watts.iter()) {
                    w += f(*n) * watts;
                }
                w
            }
            Stage::Pue(k) => w * *k,
            Stage::Custom(s) => s.apply(at, w, site),
        }
    }
    fn factor(&self) -> Option<f64> {
        match self {
            Stage::Pue(k) => Some(*k),
            Stage::Custom(s) => s.factor(),
            Stage::Overheads { .. } | Stage::Chips { .. } => None,
        }
    }
}

/// IT stages (they sum the site's draw from zero), then facility stages.
pub struct Chain {
    it: Vec<Stage>,
    facility: Vec<Stage>,
}

impl Chain {
    /// The chain a power model file describes: overheads and chips make IT draw; PUE makes facility draw.
    pub fn of(p: &PowerModel, racks: u64) -> Self {
        Self {
            it: vec![
                Stage::Overheads { node_w: p.node_overhead_watts.get(), racks_w: f(racks) * p.rack_overhead_watts.get() },
                Stage::Chips { watts: ChipState::watts_table(&p.chip_watts) },
            ],
            facility: vec![Stage::Pue(p.pue.get())],
        }
    }

    /// Append a stage after the facility stages (e.g. a caller's battery).
    pub fn push(&mut self, s: Box<dyn PowerStage>) {
        self.facility.push(Stage::Custom(s));
    }

    /// IT draw of the site as the ledger holds it.
    #[inline]
    pub fn it_w(&mut self, at: SimTime, site: &Ledger) -> f64 {
        let mut w = 0.0;
        for s in &mut self.it {
            w = s.apply(at, w, site);
        }
        w
    }

    /// Facility draw for an IT draw of `it_w`.
    #[inline]
    pub fn facility_w(&mut self, at: SimTime, it_w: f64, site: &Ledger) -> f64 {
        let mut w = it_w;
        for s in &mut self.facility {
            w = s.apply(at, w, site);
        }
        w
    }

    /// The factor from IT to facility draw when every facility stage is one.
    pub fn facility_factor(&self) -> Option<f64> {
        self.facility.iter().try_fold(1.0, |k, s| s.factor().map(|x| k * x))
    }

    /// Watts of one chip in each state, of the node overhead and of all racks.
    pub fn chip_watts(&self) -> [f64; STATES] {
        self.it.iter().find_map(|s| if let Stage::Chips { watts } = s { Some(*watts) } else { None }).unwrap_or([0.0; STATES])
    }
    pub fn overheads(&self) -> (f64, f64) {
        self.it
            .iter()
            .find_map(|s| if let Stage::Overheads { node_w, racks_w } = s { Some((*node_w, *racks_w)) } else { None })
            .unwrap_or((0.0, 0.0))
    }
    /// The PUE stage's factor (1 without one).
    pub fn pue(&self) -> f64 {
        self.facility.iter().find_map(|s| if let Stage::Pue(k) = s { Some(*k) } else { None }).unwrap_or(1.0)
    }
}
