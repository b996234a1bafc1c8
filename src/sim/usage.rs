//! Who holds the site over time: chips held per tenant, queue length and
//! fragmented chips, integrated exactly between changes (levels are constant
//! in between), in totals and, at full detail, in hourly bins. Levels are
//! whole numbers and time whole milliseconds, so the integrals are exact
//! integers: they do not depend on how often the clock is read.

use crate::engine::SimTime;

/// Levels integrated over time. Series 0..tenants are chips held per tenant,
/// then the queue length and the fragmented free chips.
pub(crate) struct Usage {
    at: SimTime,
    levels: Vec<i64>,
    /// Level × ms so far, per series.
    totals: Vec<i128>,
    bin_ms: u64,
    /// Level × ms per bin, `levels.len()` values a bin (kept at full detail only).
    bins: Option<Vec<i128>>,
    tenants: usize,
}

/// Series after the tenants'.
pub(crate) const QUEUE: usize = 0;
pub(crate) const FRAGMENTED: usize = 1;
/// Chips held by frontier jobs that name no tenant.
pub(crate) const UNTENANTED: usize = 2;
const EXTRA: usize = 3;

pub(crate) const USAGE_BIN_MS: u64 = 3_600_000;

impl Usage {
    pub fn new(tenants: usize, keep_bins: bool) -> Self {
        let n = tenants + EXTRA;
        Self { at: SimTime::ZERO, levels: vec![0; n], totals: vec![0; n], bin_ms: USAGE_BIN_MS, bins: keep_bins.then(Vec::new), tenants }
    }

    /// Integrate the levels up to `now`.
    pub fn advance(&mut self, now: SimTime) {
        let (mut t, end) = (self.at.as_millis(), now.as_millis());
        if end <= t {
            return;
        }
        let n = self.levels.len();
        for (tot, &l) in self.totals.iter_mut().zip(&self.levels) {
            *tot += l as i128 * (end - t) as i128;
        }
        if let Some(bins) = self.bins.as_mut() {
            while t < end {
                let bin = (t / self.bin_ms) as usize;
                let stop = end.min((bin as u64 + 1) * self.bin_ms);
                if bins.len() < (bin + 1) * n {
                    bins.resize((bin + 1) * n, 0);
                }
                for (k, &l) in self.levels.iter().enumerate() {
                    bins[bin * n + k] += l as i128 * (stop - t) as i128;
                }
                t = stop;
            }
        }
        self.at = now;
    }

    /// Tenant `t` holds `delta` chips more from now (call [`advance`](Self::advance) first).
    pub fn hold(&mut self, t: u16, delta: i64) {
        self.levels[t as usize] += delta;
    }
    /// Set series `extra` (QUEUE, FRAGMENTED) from now.
    pub fn set(&mut self, extra: usize, level: i64) {
        self.levels[self.tenants + extra] = level;
    }
    /// Series `extra`'s level now.
    pub fn level(&self, extra: usize) -> i64 {
        self.levels[self.tenants + extra]
    }
    /// Frontier jobs of no tenant hold `delta` chips more from now.
    pub fn hold_untenanted(&mut self, delta: i64) {
        self.levels[self.tenants + UNTENANTED] += delta;
    }

    /// Hand over: chip-hours per tenant, mean queue length and fragmented
    /// chips over `hours`, and the hourly bins.
    pub fn snapshot(&self, hours: f64) -> UsageSnapshot {
        let n = self.levels.len();
        let h = |x: i128| x as f64 / 3.6e6;
        let per_hour = |k: usize| if hours > 0.0 { h(self.totals[k]) / hours } else { 0.0 };
        UsageSnapshot {
            chip_hours: self.totals[..self.tenants].iter().map(|&x| h(x)).collect(),
            mean_queue: per_hour(self.tenants + QUEUE),
            mean_fragmented: per_hour(self.tenants + FRAGMENTED),
            untenanted_chip_hours: h(self.totals[self.tenants + UNTENANTED]),
            bin_hours: self.bin_ms as f64 / 3.6e6,
            bins: self.bins.as_ref().map(|b| b.chunks(n).map(|c| c.iter().map(|&x| h(x)).collect()).collect()).unwrap_or_default(),
        }
    }
}

/// What the usage tracker saw over a run: chips held per tenant, queue length and fragmentation.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct UsageSnapshot {
    /// Chip-hours held per tenant.
    pub chip_hours: Vec<f64>,
    /// Time-mean queue length (jobs) and fragmented free chips.
    pub mean_queue: f64,
    pub mean_fragmented: f64,
    /// Chip-hours held by frontier jobs that name no tenant.
    pub untenanted_chip_hours: f64,
    pub bin_hours: f64,
    /// Per bin: chip-hours per tenant, then queue length × hours, fragmented
    /// chip-hours and untenanted frontier chip-hours.
    pub bins: Vec<Vec<f64>>,
}
