//! A facility cap the site enforces: when the draw would pass it, every busy
//! chip is capped to the same share of its busy watts (no lower than the chip
//! allows), and computes at share^alpha of its speed. The share follows from
//! the chip counts alone, so it changes only when they do.

use super::ledger::Ledger;
use super::states::ChipState;
use super::track::f;

/// The cap, the chip's curve, and what throttling cost.
#[derive(Clone, Debug)]
pub struct Cap {
    /// The cap on IT draw (the facility cap over the facility factor), W.
    it_cap_w: f64,
    busy_w: f64,
    pub min_share: f64,
    pub alpha: f64,
    /// The busy chips' share of their watts now, and their speed (share^alpha).
    pub share: f64,
    pub speed: f64,
    /// Time throttled, ms; busy chip-time lost to the slowdown, chip-ms; IT
    /// energy not drawn, watt-ms; the lowest share reached.
    pub throttled_ms: u64,
    pub lost_chip_ms: f64,
    pub shed_wms: f64,
    pub min_share_seen: f64,
}

impl Cap {
    /// `it_cap_w`: the cap on IT draw; `busy_w`: one busy chip's watts.
    pub fn new(it_cap_w: f64, busy_w: f64, min_share: f64, alpha: f64) -> Self {
        Self {
            it_cap_w,
            busy_w,
            min_share,
            alpha,
            share: 1.0,
            speed: 1.0,
            throttled_ms: 0,
            lost_chip_ms: 0.0,
            shed_wms: 0.0,
            min_share_seen: 1.0,
        }
    }

    /// The IT draw once busy chips are throttled, from the unthrottled `it_w`.
    #[inline]
    pub fn apply(&mut self, it_w: f64, site: &Ledger) -> f64 {
        let busy = f(site.counts()[ChipState::Busy as usize]) * self.busy_w;
        let share =
            if it_w > self.it_cap_w && busy > 0.0 { ((self.it_cap_w - (it_w - busy)) / busy).clamp(self.min_share, 1.0) } else { 1.0 };
        if share != self.share {
            self.share = share;
            self.speed = share.powf(self.alpha);
            self.min_share_seen = self.min_share_seen.min(share);
        }
        // Untouched when not throttled, to the bit.
        if share < 1.0 { it_w - busy * (1.0 - share) } else { it_w }
    }

    /// The share held for `dt` ms with `busy` chips busy.
    #[inline]
    pub fn hold(&mut self, dt: u64, busy: u64) {
        if self.share < 1.0 {
            self.throttled_ms += dt;
            self.lost_chip_ms += f(busy) * (1.0 - self.speed) * f(dt);
            self.shed_wms += f(busy) * self.busy_w * (1.0 - self.share) * f(dt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_chips_share_what_the_cap_leaves() {
        let mut l = Ledger::new(10, 2);
        l.shift(ChipState::Idle, ChipState::Busy, 8);
        // 8 busy chips of 1000 W and 2,000 W of the rest: 10,000 W against a 6,000 W cap.
        let mut c = Cap::new(6000.0, 1000.0, 0.3, 0.5);
        assert_eq!(c.apply(10_000.0, &l), 6000.0);
        assert_eq!((c.share, c.speed), (0.5, 0.5f64.sqrt()));
        // Below the chip's least share, the cap is broken.
        assert_eq!(c.apply(20_000.0, &l), 20_000.0 - 8000.0 * 0.7);
        assert_eq!(c.share, 0.3);
        c.hold(1000, 8);
        assert!((c.lost_chip_ms - 8.0 * (1.0 - 0.3f64.sqrt()) * 1000.0).abs() < 1e-9);
        // Under the cap, nothing changes.
        assert_eq!(c.apply(5000.0, &l), 5000.0);
        assert_eq!((c.share, c.speed, c.min_share_seen), (1.0, 1.0, 0.3));
    }
}
