//! Observes chip states: exact chip-time per state and the power draw as a
//! piecewise-constant function, integrated exactly. It never changes what happens.

use crate::config::PowerModel;
use crate::engine::SimTime;

/// What a chip is doing. Every installed chip is in exactly one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ChipState {
    Idle = 0,
    Busy = 1,
    Checkpoint = 2,
    Restart = 3,
    Waiting = 4,
    Down = 5,
}

pub const STATES: usize = 6;

/// One bin of the power series.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PowerBin {
    /// ∫ IT power dt over the bin, in watt-milliseconds.
    pub it_wms: f64,
    /// Lowest and highest IT draw held for a positive time inside the bin, in watts.
    pub it_min_w: f64,
    pub it_max_w: f64,
}

/// Exact step trace of IT power around the largest drop: the `window` before it
/// (kept in a ring as the run goes) and the `window` after it.
#[derive(Clone, Debug, Default)]
struct Zoom {
    window: u64,
    ring: std::collections::VecDeque<(SimTime, f64)>,
    captured: Vec<(SimTime, f64)>,
    capture_until: SimTime,
}

/// Instantaneous falls in IT draw at least this large are listed.
pub const LISTED_DROP_W: f64 = 1e6;

/// `x as f64` for the counts and spans here, which stay below 2^63 (times are
/// capped at u64::MAX / 4 ms): the same value, through the one-instruction signed
/// conversion instead of the branchy unsigned one.
#[inline]
fn f(x: u64) -> f64 {
    debug_assert!(x < 1 << 63);
    x as i64 as f64
}

pub struct Meter {
    last: SimTime,
    /// Keep the series (bins, zoom, listed drops); the totals are kept either way.
    series: bool,
    zoom: Zoom,
    /// (instant, fall in IT watts) for every fall of at least [`LISTED_DROP_W`].
    pub(crate) drops: Vec<(SimTime, f64)>,
    count: [u64; STATES],
    /// Σ (change in `count[s]` × time of the change) over the run, so that the
    /// exact chip-time in state s up to T is count[s] × T − this (summation by
    /// parts): one product per change of state rather than one per state per event.
    changes: [i128; STATES],
    up_nodes: u64,
    node_changes: i128,
    watts: [f64; STATES],
    node_w: f64,
    /// Overhead of all racks, the constant term of every level.
    racks_w: f64,
    pub(crate) pue: f64,
    /// IT draw of the current counts; stale while `dirty` (see [`Meter::refresh`]).
    it_w: f64,
    dirty: bool,
    pub(crate) it_wms: f64,
    pub(crate) it_peak_w: f64,
    pub(crate) it_min_w: f64,
    level_before_instant: f64,
    pub(crate) max_drop_w: f64,
    pub(crate) max_drop_at: SimTime,
    pub(crate) bin_ms: u64,
    pub(crate) bins: Vec<PowerBin>,
    /// The bin holding `last`, and where it ends: saves a division per advance.
    bin_i: usize,
    bin_end: u64,
}

impl Meter {
    /// All chips start idle and all nodes up. Without `series` only the totals
    /// are kept: no power bins, zoom trace or list of drops.
    pub fn new(p: &PowerModel, chips: u64, nodes: u64, racks: u64, horizon: SimTime, bin_ms: u64, series: bool) -> Self {
        let w = &p.chip_watts;
        let watts = [w.idle.get(), w.busy.get(), w.checkpoint.get(), w.restart.get(), w.idle.get(), w.down.get()];
        let bin_ms = bin_ms.max(1);
        let nbins = if series { horizon.as_millis().div_ceil(bin_ms).max(1) as usize } else { 0 };
        let mut m = Self {
            last: SimTime::ZERO,
            series,
            zoom: Zoom { window: 30 * 60_000, ..Zoom::default() },
            drops: Vec::new(),
            count: [chips, 0, 0, 0, 0, 0],
            changes: [0; STATES],
            up_nodes: nodes,
            node_changes: 0,
            watts,
            node_w: p.node_overhead_watts.get(),
            racks_w: f(racks) * p.rack_overhead_watts.get(),
            pue: p.pue.get(),
            it_w: 0.0,
            dirty: true,
            it_wms: 0.0,
            it_peak_w: f64::NEG_INFINITY,
            it_min_w: f64::INFINITY,
            level_before_instant: 0.0,
            max_drop_w: 0.0,
            max_drop_at: SimTime::ZERO,
            bin_ms,
            bins: vec![PowerBin { it_wms: 0.0, it_min_w: f64::INFINITY, it_max_w: f64::NEG_INFINITY }; nbins],
            bin_i: 0,
            bin_end: bin_ms,
        };
        m.refresh();
        m.level_before_instant = m.it_w;
        m.zoom.ring.push_back((SimTime::ZERO, m.it_w));
        m
    }

    /// Keep the series up to `now`, given the fall at the instant `last` that is
    /// over: the listed drops, the zoom ring around the largest, and the bins.
    /// Out of line: at [`Detail::Summary`](super::Detail) the hot path skips it.
    #[inline(never)]
    fn keep_series(&mut self, now: SimTime, drop: f64) {
        let (t, level) = (self.last, self.it_w);
        if drop >= LISTED_DROP_W {
            self.drops.push((t, drop));
        }
        let z = &mut self.zoom;
        while z.ring.len() > 1 && z.ring[1].0.as_millis() + z.window <= t.as_millis() {
            z.ring.pop_front();
        }
        z.ring.push_back((t, level));
        if drop > self.max_drop_w {
            z.captured = z.ring.iter().copied().collect();
            z.capture_until = SimTime::from_millis(t.as_millis() + z.window);
        } else if t <= z.capture_until && t > self.max_drop_at {
            z.captured.push((t, level));
        }
        // Bin `bin_i` covers [bin_end - bin_ms, bin_end) and holds `last`.
        let mut t = t.as_millis();
        while t < now.as_millis() {
            let end = self.bin_end.min(now.as_millis());
            if let Some(b) = self.bins.get_mut(self.bin_i) {
                b.it_wms += level * f(end - t);
                b.it_min_w = b.it_min_w.min(level);
                b.it_max_w = b.it_max_w.max(level);
            }
            if end == self.bin_end {
                self.bin_i += 1;
                self.bin_end = self.bin_end.saturating_add(self.bin_ms);
            }
            t = end;
        }
    }

    /// Step points (time, IT watts) from `window` before the largest drop to `window` after.
    pub fn zoom_trace(&self) -> &[(SimTime, f64)] {
        &self.zoom.captured
    }

    /// IT draw of the current counts, summed from scratch (no drift).
    #[inline]
    fn level(&self) -> f64 {
        let mut w = f(self.up_nodes) * self.node_w + self.racks_w;
        for s in 0..STATES {
            w += f(self.count[s]) * self.watts[s];
        }
        w
    }

    /// Bring `it_w` up to date. Changes of state only mark it stale, so the sum is
    /// taken once per instant rather than once per change; it depends on the
    /// counts alone, so the result is the same bit for bit.
    #[inline]
    fn refresh(&mut self) {
        if self.dirty {
            self.it_w = self.level();
            self.dirty = false;
        }
    }

    /// Bring the integrals up to `now` with the state held since the last call.
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        if now <= self.last {
            return;
        }
        self.refresh();
        // Everything that happened at `last` is done: that instant's fall is final.
        let level = self.it_w;
        let drop = self.level_before_instant - level;
        if self.series {
            self.keep_series(now, drop);
        }
        if drop > self.max_drop_w {
            self.max_drop_w = drop;
            self.max_drop_at = self.last;
        }
        // Levels are finite sums, never NaN: plain comparisons do what max/min would.
        if level > self.it_peak_w {
            self.it_peak_w = level;
        }
        if level < self.it_min_w {
            self.it_min_w = level;
        }
        self.it_wms += level * f(now.as_millis() - self.last.as_millis());
        self.last = now;
        self.level_before_instant = level;
    }

    /// Move `chips` chips from one state to another (at the time of the last `advance`).
    #[inline]
    pub fn shift(&mut self, from: ChipState, to: ChipState, chips: u64) {
        if from == to || chips == 0 {
            return;
        }
        debug_assert!(self.count[from as usize] >= chips, "{from:?} has {} < {chips}", self.count[from as usize]);
        self.count[from as usize] -= chips;
        self.count[to as usize] += chips;
        let moved = chips as i128 * self.last.as_millis() as i128;
        self.changes[from as usize] -= moved;
        self.changes[to as usize] += moved;
        self.dirty = true;
    }

    pub fn node_up(&mut self) {
        self.up_nodes += 1;
        self.node_changes += self.last.as_millis() as i128;
        self.dirty = true;
    }
    pub fn node_down(&mut self) {
        self.up_nodes -= 1;
        self.node_changes -= self.last.as_millis() as i128;
        self.dirty = true;
    }

    /// Exact chip-milliseconds spent in each state up to the last `advance`.
    pub fn chip_ms(&self) -> [u128; STATES] {
        std::array::from_fn(|s| (self.count[s] as i128 * self.last.as_millis() as i128 - self.changes[s]) as u128)
    }

    /// Exact node-milliseconds in service up to the last `advance`.
    pub fn node_up_ms(&self) -> u128 {
        (self.up_nodes as i128 * self.last.as_millis() as i128 - self.node_changes) as u128
    }

    pub fn it_watts(&self) -> f64 {
        if self.dirty { self.level() } else { self.it_w }
    }
    pub fn watts(&self, s: ChipState) -> f64 {
        self.watts[s as usize]
    }
    pub fn node_watts(&self) -> f64 {
        self.node_w
    }
    pub fn rack_watts(&self) -> f64 {
        self.racks_w
    }
}
