//! Per-chip ramp limits, as GPU power smoothing sets them: a chip's draw moves
//! towards its state's watts at a limited rate (W/s up, W/s down) instead of
//! stepping. The chips of a state that changed state together and draw alike
//! form a cohort; each cohort's excess over its state's watts falls (or its
//! shortfall fills) linearly until it settles at a known instant, so the
//! site's excess is piecewise linear with corners at those instants: exact,
//! never sampled.
//!
//! The ledger counts chips, not which chip is which: chips leaving a state are
//! taken from its most recent arrivals first (exact when the chips of a state
//! changed together, as a synchronous job's do). A failed chip stops drawing at
//! once and a repaired one boots to idle at once: those changes are not ramps.

use super::states::{ChipState, STATES};
use std::collections::BTreeMap;

/// Ramp rates, watts per millisecond (both positive).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SlewSpec {
    pub up_w_per_ms: f64,
    pub down_w_per_ms: f64,
}

/// `chips` chips whose excess over their state's watts settles to zero at `settle`
/// (ms): from above (`above`, falling at the ramp-down rate) or from below.
#[derive(Clone, Copy, Debug)]
struct Cohort {
    chips: u64,
    settle: f64,
    above: bool,
}

/// The cohorts of every state and the sums that give the site's excess at any time.
#[derive(Clone, Debug)]
pub struct Slew {
    spec: SlewSpec,
    /// Per state, its cohorts, latest arrivals last (settled ones are dropped lazily).
    stacks: [Vec<Cohort>; STATES],
    /// Chips still ramping, by settle time (bit pattern of the ms, which sorts as
    /// the numbers do): (from above, from below).
    settling: BTreeMap<u64, (u64, u64)>,
    /// Over unsettled cohorts from above (and below): chips, and Σ chips × settle.
    above: (u64, f64),
    below: (u64, f64),
    /// ∫ excess dt, watt-ms: the energy the ramps add (negative: save).
    pub excess_wms: f64,
    /// Corners (ms, excess W) of the last [`Slew::advance`].
    corners: Vec<(f64, f64)>,
}

impl Slew {
    pub fn new(spec: SlewSpec) -> Self {
        Self {
            spec,
            stacks: std::array::from_fn(|_| Vec::new()),
            settling: BTreeMap::new(),
            above: (0, 0.0),
            below: (0, 0.0),
            excess_wms: 0.0,
            corners: Vec::new(),
        }
    }

    /// Whether any chip is ramping now.
    #[inline]
    pub fn ramping(&self) -> bool {
        self.above.0 + self.below.0 > 0
    }

    /// The site's excess over its states' watts at `t` (ms), W.
    pub fn excess(&self, t: f64) -> f64 {
        let (s, x) = (&self.spec, 0.0f64);
        let a = if self.above.0 > 0 { s.down_w_per_ms * (self.above.1 - t * self.above.0 as f64) } else { x };
        let b = if self.below.0 > 0 { s.up_w_per_ms * (self.below.1 - t * self.below.0 as f64) } else { x };
        a - b
    }

    /// The excess from `t0` to `t1` (ms): its corners, both ends included, in time
    /// order. Cohorts that settle on the way leave the sums.
    pub fn advance(&mut self, t0: u64, t1: u64) -> &[(f64, f64)] {
        self.corners.clear();
        let (t0, t1) = (t0 as f64, t1 as f64);
        self.corners.push((t0, self.excess(t0)));
        while let Some((&bits, &(up, down))) = self.settling.first_key_value() {
            let s = f64::from_bits(bits);
            if s > t1 {
                break;
            }
            self.settling.pop_first();
            if s > t0 {
                self.corners.push((s, self.excess(s)));
            }
            self.leave(s, up, down);
        }
        self.corners.push((t1, self.excess(t1)));
        for w in self.corners.windows(2) {
            self.excess_wms += (w[0].1 + w[1].1) / 2.0 * (w[1].0 - w[0].0);
        }
        &self.corners
    }

    /// Chips settling at `s` leave the sums.
    fn leave(&mut self, s: f64, above: u64, below: u64) {
        for (sum, n) in [(&mut self.above, above), (&mut self.below, below)] {
            sum.0 -= n;
            sum.1 = if sum.0 == 0 { 0.0 } else { sum.1 - n as f64 * s };
        }
    }

    /// Chips of a cohort that leave it (taken by a shift) before they settle.
    fn forget(&mut self, c: Cohort, n: u64) {
        let e = self.settling.get_mut(&c.settle.to_bits()).expect("an unsettled cohort is listed");
        if c.above {
            e.0 -= n
        } else {
            e.1 -= n
        };
        if *e == (0, 0) {
            self.settling.remove(&c.settle.to_bits());
        }
        let (a, b) = if c.above { (n, 0) } else { (0, n) };
        self.leave(c.settle, a, b);
    }

    /// `chips` chips move from `from` (drawing `w_from` when settled) to `to`
    /// (`w_to`) at `now` (ms). `held` is how many chips `from` held before.
    /// Changes at time zero set the starting draw; they are not ramps.
    pub fn shift(&mut self, now: u64, (from, w_from): (ChipState, f64), (to, w_to): (ChipState, f64), mut chips: u64) {
        let t = now as f64;
        let instant = now == 0 || from == ChipState::Down || to == ChipState::Down;
        // Most recent arrivals first: each carries its excess over to the new state.
        while chips > 0 {
            let Some(top) = self.stacks[from as usize].last_mut() else { break };
            let c = *top;
            let n = c.chips.min(chips);
            chips -= n;
            if n == c.chips {
                self.stacks[from as usize].pop();
            } else {
                top.chips -= n;
            }
            if c.settle <= t {
                // Settled: draws its state's watts, like the chips below it.
                self.arrive(t, to, w_from - w_to, n, instant);
                continue;
            }
            self.forget(c, n);
            let lag = if c.above { self.spec.down_w_per_ms * (c.settle - t) } else { -self.spec.up_w_per_ms * (c.settle - t) };
            self.arrive(t, to, lag + w_from - w_to, n, instant);
        }
        if chips > 0 {
            self.arrive(t, to, w_from - w_to, chips, instant);
        }
    }

    /// `n` chips enter `to` at `t` drawing `excess` W each above its watts.
    fn arrive(&mut self, t: f64, to: ChipState, excess: f64, n: u64, instant: bool) {
        if instant || excess == 0.0 || n == 0 {
            return;
        }
        let above = excess > 0.0;
        let rate = if above { self.spec.down_w_per_ms } else { self.spec.up_w_per_ms };
        let settle = t + excess.abs() / rate;
        if settle <= t {
            return;
        }
        let stack = &mut self.stacks[to as usize];
        match stack.last_mut() {
            Some(c) if c.settle == settle && c.above == above => c.chips += n,
            _ => {
                // Drop settled cohorts now and then, so that a stack does not grow with the run.
                if stack.len() >= 64 && stack.len().is_power_of_two() {
                    stack.retain(|c| c.settle > t);
                }
                stack.push(Cohort { chips: n, settle, above });
            }
        }
        let e = self.settling.entry(settle.to_bits()).or_insert((0, 0));
        let sum = if above {
            e.0 += n;
            &mut self.above
        } else {
            e.1 += n;
            &mut self.below
        };
        sum.0 += n;
        sum.1 += n as f64 * settle;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChipState::*;

    /// 100 W/s up, 50 W/s down.
    fn slew() -> Slew {
        Slew::new(SlewSpec { up_w_per_ms: 0.1, down_w_per_ms: 0.05 })
    }

    #[test]
    fn a_fall_ramps_down_at_its_rate_and_its_integral_is_the_trapezoid() {
        let mut s = slew();
        // 10 chips from busy (1000 W) to checkpoint (300 W) at 1 s: 700 W each above, 14 s to settle.
        s.shift(1000, (Busy, 1000.0), (Checkpoint, 300.0), 10);
        assert_eq!(s.excess(1000.0), 7000.0);
        let c = s.advance(1000, 20_000).to_vec();
        assert_eq!(c, vec![(1000.0, 7000.0), (15_000.0, 0.0), (20_000.0, 0.0)]);
        assert_eq!(s.excess_wms, 7000.0 * 14_000.0 / 2.0, "the triangle");
        assert!(!s.ramping());
    }

    #[test]
    fn a_chip_turned_back_mid_ramp_carries_its_excess() {
        let mut s = slew();
        s.shift(1000, (Busy, 1000.0), (Checkpoint, 300.0), 4); // 700 W above, falling 50 W/s
        s.advance(1000, 5000); // 4 s later: 500 W above checkpoint (800 W drawn)
        assert!((s.excess(5000.0) - 4.0 * 500.0).abs() < 1e-9);
        // Back to busy: each draws 800 W, 200 W below busy, filling at 100 W/s: 2 s.
        s.shift(5000, (Checkpoint, 300.0), (Busy, 1000.0), 4);
        assert!((s.excess(5000.0) + 800.0).abs() < 1e-9, "{}", s.excess(5000.0));
        let c = s.advance(5000, 10_000).to_vec();
        assert_eq!(c.len(), 3);
        assert!((c[1].0 - 7000.0).abs() < 1e-9 && c[1].1.abs() < 1e-9, "{c:?}");
    }

    #[test]
    fn failures_and_time_zero_do_not_ramp() {
        let mut s = slew();
        s.shift(0, (Idle, 150.0), (Busy, 1000.0), 8);
        s.shift(500, (Busy, 1000.0), (Down, 0.0), 4);
        s.shift(900, (Down, 0.0), (Idle, 150.0), 4);
        assert!(!s.ramping());
        // Taking chips beyond the stack's cohorts takes settled chips.
        s.shift(1000, (Busy, 1000.0), (Idle, 150.0), 2);
        s.shift(1000, (Idle, 150.0), (Busy, 1000.0), 3); // 2 from the cohort (850 W above → 0 net), 1 settled
        assert!((s.excess(1000.0) - (2.0 * 0.0 - 850.0)).abs() < 1e-9, "{}", s.excess(1000.0));
    }
}
