//! The integrator of one power trajectory (IT draw, or facility draw when the
//! chain has a stage with memory): a piecewise-constant level, integrated
//! exactly, with its extremes, its largest instantaneous fall, and, when the
//! run keeps series, energy-conserving bins, the listed drops and the zoom
//! trace around the largest drop.

use super::linramps::LinearRamps;
use super::ramps::{RAMP_WINDOWS, Ramps, WorstRamps};
use super::violations::Violations;
use crate::engine::SimTime;
use std::collections::{BTreeMap, VecDeque};

/// One bin of the power series (fields named for IT draw, the series the
/// report shows; a facility track's bins are the same type).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PowerBin {
    /// ∫ power dt over the bin, in watt-milliseconds.
    pub it_wms: f64,
    /// Lowest and highest draw held for a positive time inside the bin, in watts.
    pub it_min_w: f64,
    pub it_max_w: f64,
}

/// Instantaneous falls (and rises) of IT draw at least this large are counted
/// and listed, each with the change of the track's own draw at that instant.
pub const LISTED_DROP_W: f64 = 1e6;

/// The zoom trace covers this long before the largest drop and as long after it.
pub const ZOOM_WINDOW_MINUTES: u64 = 30;

/// The listed drops keep every fall up to this many; past it, only the largest
/// fall in each of this many equal slices of the run, so that the list does not
/// grow with the number of events (the counts in the summary stay exact).
pub const MAX_LISTED_DROPS: usize = 250_000;

/// How many steps of each size (watts): exact percentiles and counts, in memory
/// that grows with the number of distinct sizes, not of steps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SizeCounts(BTreeMap<u64, u64>);

impl SizeCounts {
    /// Sizes are positive, so their bit patterns sort as the numbers do.
    #[inline]
    fn add(&mut self, w: f64) {
        *self.0.entry(w.to_bits()).or_insert(0) += 1;
    }
    /// (size in watts, count), smallest first.
    pub fn iter(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.0.iter().map(|(&b, &n)| (f64::from_bits(b), n))
    }
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// Exact step trace around the largest drop: the window before it (kept in a
/// ring as the run goes) and the window after it. Each point holds the track's
/// draw and IT draw at that instant.
#[derive(Clone, Debug, Default)]
struct Zoom {
    window: u64,
    ring: VecDeque<(SimTime, f64, f64)>,
    captured: Vec<(SimTime, f64, f64)>,
    capture_until: SimTime,
}

impl Zoom {
    /// The draw at `t`: into the ring of the window before; the ring becomes the
    /// capture when `capture`, and later points join it for a window after.
    fn push(&mut self, t: SimTime, level: f64, it: f64, capture: bool) {
        while self.ring.len() > 1 && self.ring[1].0.as_millis() + self.window <= t.as_millis() {
            self.ring.pop_front();
        }
        self.ring.push_back((t, level, it));
        if capture {
            self.captured = self.ring.iter().copied().collect();
            self.capture_until = SimTime::from_millis(t.as_millis() + self.window);
        } else if t <= self.capture_until && self.captured.last().is_some_and(|c| t >= c.0) {
            self.captured.push((t, level, it));
        }
    }
}

/// `x as f64` for the counts and spans here, which stay below 2^63 (times are
/// capped at u64::MAX / 4 ms): the same value, through the one-instruction signed
/// conversion instead of the branchy unsigned one.
#[inline]
pub(crate) fn f(x: u64) -> f64 {
    debug_assert!(x < 1 << 63);
    x as i64 as f64
}

/// What a finished track hands to the report: totals, and the series if kept.
#[derive(Clone, Debug, Default)]
pub struct TrackSnapshot {
    pub wms: f64,
    pub peak_w: f64,
    pub min_w: f64,
    pub max_drop_w: f64,
    pub max_drop_at: SimTime,
    pub bin_ms: u64,
    pub bins: Vec<PowerBin>,
    /// (instant, fall of this draw) where IT draw fell by at least [`LISTED_DROP_W`]
    /// (past [`MAX_LISTED_DROPS`], the largest in each slice).
    pub drops: Vec<(SimTime, f64)>,
    /// (instant, this draw, IT draw) from the zoom window before this draw's largest fall to as long after.
    pub zoom: Vec<(SimTime, f64, f64)>,
    /// The event the zoom is about: the largest fall in one instant (when, how large, W),
    /// or, for a draw that moves linearly, the largest within a minute (the window's end).
    pub zoom_at: SimTime,
    pub zoom_fall_w: f64,
    /// 0 for a fall in one instant, 60 for the largest within a minute.
    pub zoom_within_s: f64,
    /// The sizes of every fall and rise of this draw at an instant IT draw fell
    /// (rose) by at least [`LISTED_DROP_W`], kept at any detail.
    pub falls: SizeCounts,
    pub rises: SizeCounts,
    pub ramps: WorstRamps,
    /// Energy of each hour from the start (the last may be a part hour), watt-ms.
    pub hourly_wms: Vec<f64>,
    /// Time and energy above the grid cap and below the grid floor.
    pub beyond: Beyond,
    /// For a draw that moves linearly (chips under ramp limits): its violations of the
    /// ramp limits given, per minute and per second (see [`Violations`]).
    pub violations: Option<[(u64, f64); 2]>,
}

pub struct Track {
    /// Keep the series (bins, zoom, listed drops); the totals are kept either way.
    series: bool,
    zoom: Zoom,
    drops: Vec<(SimTime, f64)>,
    /// Once the list is full: the length (ms) of the slices it keeps one fall of.
    drop_slice: Option<u64>,
    horizon: SimTime,
    falls: SizeCounts,
    rises: SizeCounts,
    ramps: Ramps,
    level_before_instant: f64,
    /// IT draw before the last instant: its change decides which changes are counted.
    it_before_instant: f64,
    wms: f64,
    peak_w: f64,
    min_w: f64,
    max_drop_w: f64,
    max_drop_at: SimTime,
    bin_ms: u64,
    bins: Vec<PowerBin>,
    /// The bin holding the last instant, and where it ends: saves a division per advance.
    bin_i: usize,
    bin_end: u64,
    /// Energy of each hour (kept at any detail: prices are hourly), watt-ms;
    /// the hour in progress accumulates in `hour_wms` until `hour_end`.
    hourly: Vec<f64>,
    hour_wms: f64,
    hour_end: u64,
    /// A grid cap and floor on this draw (±∞ without): time and energy beyond them.
    cap_w: f64,
    floor_w: f64,
    beyond: Beyond,
    /// For a draw that moves linearly: exact ramps of a piecewise-linear draw
    /// (over [`RAMP_WINDOWS`]), and the ramp limits (change per window, W; window,
    /// ms) its steep stretches are counted against.
    lines: Option<Box<[LinearRamps; 3]>>,
    /// Violations of the grid's ramp limits per minute and per second, when it has any.
    violations: Option<Box<[Violations; 2]>>,
    /// The slope of the draw since the last corner handed to `lines`, W/ms.
    line_slope: f64,
    /// For a draw that moves linearly: the largest fall within a minute so far (when
    /// its window ended, how large), which the zoom is captured around.
    zoom_event: Option<(SimTime, f64)>,
}

/// Time (ms) and energy (watt-ms) a draw spent above its cap and below its floor.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Beyond {
    pub above_ms: u64,
    pub above_wms: f64,
    pub below_ms: u64,
    pub below_wms: f64,
}

/// Hourly energy resolution.
pub const HOUR_MS: u64 = 3_600_000;

impl Track {
    /// A track starting at `level` (IT draw `it`) at time zero.
    pub fn new(level: f64, it: f64, horizon: SimTime, bin_ms: u64, series: bool) -> Self {
        let bin_ms = bin_ms.max(1);
        let nbins = if series { horizon.as_millis().div_ceil(bin_ms).max(1) as usize } else { 0 };
        let mut zoom = Zoom { window: ZOOM_WINDOW_MINUTES * 60_000, ..Zoom::default() };
        zoom.ring.push_back((SimTime::ZERO, level, it));
        Self {
            series,
            zoom,
            drops: Vec::new(),
            drop_slice: None,
            horizon,
            falls: SizeCounts::default(),
            rises: SizeCounts::default(),
            ramps: Ramps::new(level),
            level_before_instant: level,
            it_before_instant: it,
            wms: 0.0,
            peak_w: f64::NEG_INFINITY,
            min_w: f64::INFINITY,
            max_drop_w: 0.0,
            max_drop_at: SimTime::ZERO,
            bin_ms,
            bins: vec![PowerBin { it_wms: 0.0, it_min_w: f64::INFINITY, it_max_w: f64::NEG_INFINITY }; nbins],
            bin_i: 0,
            bin_end: bin_ms,
            hourly: Vec::with_capacity(horizon.as_millis().div_ceil(HOUR_MS) as usize),
            hour_wms: 0.0,
            hour_end: HOUR_MS,
            cap_w: f64::INFINITY,
            floor_w: f64::NEG_INFINITY,
            beyond: Beyond::default(),
            lines: None,
            violations: None,
            line_slope: 0.0,
            zoom_event: None,
        }
    }

    /// The draw moves linearly between corners (fed by [`Track::advance_line`]):
    /// keep its ramps exactly.
    pub fn with_lines(mut self) -> Self {
        let v = self.level_before_instant;
        self.lines = Some(Box::new(RAMP_WINDOWS.map(|(w, _)| LinearRamps::new(w, v))));
        self
    }

    /// Count violations of `limits` (change in W within a window of ms) as the draw goes.
    pub fn with_ramp_limits(mut self, limits: [(f64, f64); 2]) -> Self {
        let v = self.level_before_instant;
        if limits.iter().any(|l| l.0.is_finite()) {
            self.violations = Some(Box::new(limits.map(|(l, w)| Violations::new(l, w, v))));
        }
        self
    }

    /// Count time and energy above `cap_w` and below `floor_w`.
    pub fn with_limits(mut self, cap_w: f64, floor_w: f64) -> Self {
        self.cap_w = cap_w;
        self.floor_w = floor_w;
        self
    }

    /// Add `level` held from `t0` to `t1` (ms) to the hours it covers.
    #[inline(always)]
    fn hours(&mut self, t0: u64, t1: u64, level: f64) {
        if t1 <= self.hour_end {
            self.hour_wms += level * f(t1 - t0);
        } else {
            self.cross_hours(t0, t1, level);
        }
    }

    #[inline(never)]
    fn cross_hours(&mut self, mut t0: u64, t1: u64, level: f64) {
        while t1 > self.hour_end {
            self.hour_wms += level * f(self.hour_end - t0);
            self.hourly.push(self.hour_wms);
            self.hour_wms = 0.0;
            t0 = self.hour_end;
            self.hour_end += HOUR_MS;
        }
        self.hour_wms += level * f(t1 - t0);
    }

    /// The level `level` was held from `last` to `now`, while IT draw was `it`
    /// (the IT track passes its own level); everything that happened at `last`
    /// is done, so that instant's fall is final.
    #[inline(always)]
    pub fn advance(&mut self, last: SimTime, now: SimTime, level: f64, it: f64) {
        let drop = self.level_before_instant - level;
        if drop != 0.0 {
            self.changed(last, drop, level, it);
        }
        if self.series {
            self.keep_series(last, now, level, drop, it);
        }
        if drop > self.max_drop_w {
            self.max_drop_w = drop;
            self.max_drop_at = last;
        }
        // Levels are finite sums, never NaN: plain comparisons do what max/min would.
        if level > self.peak_w {
            self.peak_w = level;
        }
        if level < self.min_w {
            self.min_w = level;
        }
        self.wms += level * f(now.as_millis() - last.as_millis());
        self.hours(last.as_millis(), now.as_millis(), level);
        if level > self.cap_w || level < self.floor_w {
            self.out_of_band(now.as_millis() - last.as_millis(), level);
        }
        self.level_before_instant = level;
        self.it_before_instant = it;
    }

    #[inline(never)]
    fn out_of_band(&mut self, dt: u64, level: f64) {
        let b = &mut self.beyond;
        if level > self.cap_w {
            b.above_ms += dt;
            b.above_wms += (level - self.cap_w) * f(dt);
        } else {
            b.below_ms += dt;
            b.below_wms += (self.floor_w - level) * f(dt);
        }
    }

    /// The draw went linearly from `a` at `t0` to `b` at `t1` (ms), IT draw from
    /// `it_a` to `it_b`. A step to `a` at `t0`, if any, happens at an event instant.
    pub fn advance_line(&mut self, t0: f64, t1: f64, (a, b): (f64, f64), (it_a, it_b): (f64, f64)) {
        let at = SimTime::from_millis(t0 as u64);
        let drop = self.level_before_instant - a;
        if drop != 0.0 && at > SimTime::ZERO {
            let it_drop = self.it_before_instant - it_a;
            if it_drop >= LISTED_DROP_W {
                self.falls.add(drop);
            } else if -it_drop >= LISTED_DROP_W {
                self.rises.add(-drop);
            }
        }
        let len = t1 - t0;
        let slope = (b - a) / len;
        let mut fall_grew = false;
        if let Some(lines) = &mut self.lines
            && (drop != 0.0 || slope != self.line_slope || t0 == 0.0)
        {
            // A corner where the draw steps or bends (a stretch of the same slope goes on without one).
            self.line_slope = slope;
            let worst = lines[1].worst_fall;
            // What happens at time zero sets the draw; it does not step it.
            for r in lines.iter_mut() {
                if t0 == 0.0 {
                    *r = LinearRamps::new(r.window_ms(), a);
                } else {
                    r.corner(t0, self.level_before_instant, a);
                }
            }
            if let Some(v) = &mut self.violations {
                for x in v.iter_mut() {
                    if t0 == 0.0 { x.reset(a) } else { x.corner(t0, self.level_before_instant, a) }
                }
            }
            if lines[1].worst_fall > worst {
                fall_grew = true;
                self.zoom_event = Some((SimTime::from_millis(lines[1].worst_fall_at as u64), lines[1].worst_fall));
            }
        }
        if self.series {
            self.keep_series_line(at, t0, t1, (a, b), drop, it_a, fall_grew);
        }
        if drop > self.max_drop_w && at > SimTime::ZERO {
            self.max_drop_w = drop;
            self.max_drop_at = at;
        }
        self.peak_w = self.peak_w.max(a).max(b);
        self.min_w = self.min_w.min(a).min(b);
        self.wms += (a + b) / 2.0 * len;
        // The trapezoid cut at hour boundaries.
        let mut t = t0;
        while t < t1 {
            let end = t1.min(self.hour_end as f64);
            self.hour_wms += (line(t0, a, t1, b, t) + line(t0, a, t1, b, end)) / 2.0 * (end - t);
            if end == self.hour_end as f64 {
                self.hourly.push(self.hour_wms);
                self.hour_wms = 0.0;
                self.hour_end += HOUR_MS;
            }
            t = end;
        }
        let (ms, wms) = super::battery::beyond_line(a - self.cap_w, b - self.cap_w, len);
        self.beyond.above_ms += ms.round() as u64;
        self.beyond.above_wms += wms;
        let (ms, wms) = super::battery::beyond_line(self.floor_w - a, self.floor_w - b, len);
        self.beyond.below_ms += ms.round() as u64;
        self.beyond.below_wms += wms;
        self.level_before_instant = b;
        self.it_before_instant = it_b;
    }

    /// [`Track::keep_series`] for a linear stretch: the zoom point at its start, and
    /// its trapezoid cut at bin boundaries.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn keep_series_line(&mut self, at: SimTime, t0: f64, t1: f64, (a, b): (f64, f64), drop: f64, it_a: f64, fall_grew: bool) {
        if self.it_before_instant - it_a >= LISTED_DROP_W && at > SimTime::ZERO {
            self.list_drop(at, drop);
        }
        // A larger fall within a minute is found at most a minute after it: the ring holds it.
        self.zoom.push(at, a, it_a, fall_grew);
        let mut t = t0;
        while t < t1 {
            let end = t1.min(self.bin_end as f64);
            let (u, v) = (line(t0, a, t1, b, t), line(t0, a, t1, b, end));
            if let Some(bin) = self.bins.get_mut(self.bin_i) {
                bin.it_wms += (u + v) / 2.0 * (end - t);
                bin.it_min_w = bin.it_min_w.min(u).min(v);
                bin.it_max_w = bin.it_max_w.max(u).max(v);
            }
            if end == self.bin_end as f64 {
                self.bin_i += 1;
                self.bin_end = self.bin_end.saturating_add(self.bin_ms);
            }
            t = end;
        }
    }

    /// The draw stepped by −`drop` to `level` at `t`: count the change and feed the ramps.
    #[inline(always)]
    fn changed(&mut self, t: SimTime, drop: f64, level: f64, it: f64) {
        let it_drop = self.it_before_instant - it;
        if t == SimTime::ZERO {
            // The starting draw (all idle) is never held: what happens at time
            // zero (jobs taking their nodes) sets the draw, it does not step it.
        } else if it_drop >= LISTED_DROP_W {
            self.falls.add(drop);
        } else if -it_drop >= LISTED_DROP_W {
            self.rises.add(-drop);
        }
        self.ramps.step(t.as_millis(), level);
        if let Some(v) = &mut self.violations {
            Self::step_violations(v, t, self.level_before_instant, level);
        }
    }

    #[inline(never)]
    fn step_violations(v: &mut [Violations; 2], t: SimTime, before: f64, after: f64) {
        for x in v.iter_mut() {
            if t == SimTime::ZERO { x.reset(after) } else { x.corner(t.as_millis() as f64, before, after) }
        }
    }

    /// Keep the series up to `now`: the listed drops, the zoom ring around the
    /// largest, and the bins. Out of line: at `Detail::Summary` the hot path skips it.
    #[inline(never)]
    fn keep_series(&mut self, t: SimTime, now: SimTime, level: f64, drop: f64, it: f64) {
        // Time zero sets the starting draw; it does not step it (see `changed`).
        if self.it_before_instant - it >= LISTED_DROP_W && t > SimTime::ZERO {
            self.list_drop(t, drop);
        }
        self.zoom.push(t, level, it, drop > self.max_drop_w);
        // Bin `bin_i` covers [bin_end - bin_ms, bin_end) and holds `t`.
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

    /// List a fall: every one until the list is full, then the largest of each slice.
    fn list_drop(&mut self, t: SimTime, drop: f64) {
        if self.drop_slice.is_none() && self.drops.len() < MAX_LISTED_DROPS {
            self.drops.push((t, drop));
            return;
        }
        let slice = *self.drop_slice.get_or_insert_with(|| {
            let slice = self.horizon.as_millis().div_ceil(MAX_LISTED_DROPS as u64).max(1);
            let mut kept: Vec<(SimTime, f64)> = Vec::with_capacity(MAX_LISTED_DROPS);
            for &d in &self.drops {
                match kept.last_mut() {
                    Some(k) if k.0.as_millis() / slice == d.0.as_millis() / slice => {
                        if d.1 > k.1 {
                            *k = d;
                        }
                    }
                    _ => kept.push(d),
                }
            }
            self.drops = kept;
            slice
        });
        match self.drops.last_mut() {
            Some(k) if k.0.as_millis() / slice == t.as_millis() / slice => {
                if drop > k.1 {
                    *k = (t, drop);
                }
            }
            _ => self.drops.push((t, drop)),
        }
    }

    pub fn snapshot(mut self) -> TrackSnapshot {
        // The hour in progress at the horizon (a part hour when the horizon falls inside one).
        if self.hour_wms != 0.0 || (self.hourly.len() as u64) * HOUR_MS < self.horizon.as_millis() {
            self.hourly.push(self.hour_wms);
        }
        TrackSnapshot {
            beyond: self.beyond,
            hourly_wms: self.hourly,
            wms: self.wms,
            peak_w: self.peak_w,
            min_w: self.min_w,
            max_drop_w: self.max_drop_w,
            max_drop_at: self.max_drop_at,
            bin_ms: self.bin_ms,
            bins: self.bins,
            drops: self.drops,
            zoom: self.zoom.captured,
            zoom_at: self.zoom_event.map_or(self.max_drop_at, |e| e.0),
            zoom_fall_w: self.zoom_event.map_or(self.max_drop_w, |e| e.1),
            zoom_within_s: if self.lines.is_some() { 60.0 } else { 0.0 },
            falls: self.falls,
            rises: self.rises,
            violations: self.violations.as_mut().map(|v| {
                let (end, level) = (self.horizon.as_millis() as f64, self.level_before_instant);
                v.iter_mut().for_each(|x| {
                    x.corner(end, level, level);
                    x.finish();
                });
                v.each_ref().map(|x| (x.count, x.over_ms))
            }),
            ramps: match self.lines {
                Some(mut l) => {
                    let (end, v) = (self.horizon.as_millis() as f64, self.level_before_instant);
                    l.iter_mut().for_each(|r| r.corner(end, v, v));
                    WorstRamps { fall_w: std::array::from_fn(|i| l[i].worst_fall), rise_w: std::array::from_fn(|i| l[i].worst_rise) }
                }
                None => self.ramps.worst(),
            },
        }
    }
}

/// The value at `t` of the line through (`t0`, `a`) and (`t1`, `b`).
#[inline]
fn line(t0: f64, a: f64, t1: f64, b: f64, t: f64) -> f64 {
    if t >= t1 { b } else { a + (b - a) * (t - t0) / (t1 - t0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    #[test]
    fn energy_bins_extremes_and_the_largest_drop_are_exact() {
        // 100 W for 0..1500 ms, 40 W for 1500..2000, 70 W for 2000..3000; bins of 1000 ms.
        let mut k = Track::new(100.0, 100.0, t(3000), 1000, true);
        k.advance(t(0), t(1500), 100.0, 100.0);
        k.advance(t(1500), t(2000), 40.0, 40.0);
        k.advance(t(2000), t(3000), 70.0, 70.0);
        let s = k.snapshot();
        assert_eq!(s.wms, 100.0 * 1500.0 + 40.0 * 500.0 + 70.0 * 1000.0);
        assert_eq!(s.bins.iter().map(|b| b.it_wms).collect::<Vec<_>>(), vec![100_000.0, 70_000.0, 70_000.0]);
        assert_eq!((s.bins[1].it_min_w, s.bins[1].it_max_w), (40.0, 100.0));
        assert_eq!((s.peak_w, s.min_w), (100.0, 40.0));
        assert_eq!((s.max_drop_w, s.max_drop_at), (60.0, t(1500)));
        assert!(s.drops.is_empty(), "no fall reaches a megawatt");
        assert_eq!(s.zoom.first(), Some(&(t(0), 100.0, 100.0)), "the zoom reaches back to the start");
        assert_eq!(s.zoom[s.zoom.len() - 2..], [(t(1500), 40.0, 40.0), (t(2000), 70.0, 70.0)]);
    }

    /// A linear stretch: its energy is the trapezoid, cut exactly at bin and cap crossings.
    #[test]
    fn a_linear_stretch_is_integrated_as_its_trapezoid() {
        let mut k = Track::new(100.0, 100.0, t(3000), 1000, true)
            .with_limits(70.0, f64::NEG_INFINITY)
            .with_lines()
            .with_ramp_limits([(5.0, 60_000.0), (5.0, 1000.0)]);
        // 100 W until 500 ms, then down linearly to 40 W at 1500 ms, then flat.
        k.advance_line(0.0, 500.0, (100.0, 100.0), (100.0, 100.0));
        k.advance_line(500.0, 1500.0, (100.0, 40.0), (100.0, 40.0));
        k.advance_line(1500.0, 3000.0, (40.0, 40.0), (40.0, 40.0));
        let s = k.snapshot();
        assert_eq!(s.wms, 100.0 * 500.0 + 70.0 * 1000.0 + 40.0 * 1500.0);
        // Bin 0: 100 W for 500 ms, then 100 → 70 W over 500 ms; bin 1: 70 → 40 W, then 40 W.
        assert_eq!(s.bins.iter().map(|b| b.it_wms).collect::<Vec<_>>(), vec![50_000.0 + 42_500.0, 27_500.0 + 20_000.0, 40_000.0]);
        assert_eq!((s.bins[0].it_min_w, s.bins[1].it_max_w), (70.0, 70.0));
        // Above 70 W: all of the first 500 ms and the first half of the ramp.
        assert_eq!(s.beyond.above_ms, 1000);
        assert_eq!(s.beyond.above_wms, 30.0 * 500.0 + 30.0 / 2.0 * 500.0);
        // Within any second it falls 60 W (the whole ramp); within a second, one stretch breaks a 5 W limit.
        assert_eq!((s.ramps.fall_w[0], s.ramps.rise_w[0], s.max_drop_w), (60.0, 0.0, 0.0));
        // The fall breaks a 5 W limit within a minute and within a second: from when 5 W
        // of it are within the window (83.3 ms into it) to when less than 5 W of it are
        // (within a second: 83.3 ms before its end plus a second; within a minute: till
        // the end of the run).
        let v = s.violations.expect("limits given");
        assert_eq!((v[0].0, v[1].0), (1, 1));
        // (The limit's slack of one part in a million moves each crossing by 8e-5 ms.)
        assert!((v[1].1 - (1000.0 - 2.0 * 1000.0 / 12.0 + 1000.0)).abs() < 2e-4, "{}", v[1].1);
        assert!((v[0].1 - (3000.0 - 500.0 - 1000.0 / 12.0)).abs() < 2e-4, "{}", v[0].1);
    }

    #[test]
    fn without_series_only_the_totals_are_kept() {
        let mut k = Track::new(5e6, 5e6, t(10), 1, false);
        k.advance(t(0), t(5), 5e6, 5e6);
        k.advance(t(5), t(10), 1e6, 1e6);
        let s = k.snapshot();
        assert_eq!(s.wms, 5e6 * 5.0 + 1e6 * 5.0);
        assert_eq!(s.max_drop_w, 4e6);
        assert!(s.bins.is_empty() && s.drops.is_empty() && s.zoom.is_empty());
    }

    /// A facility track lists its falls where IT draw fell by a megawatt, and
    /// carries IT draw in its zoom.
    #[test]
    fn a_facility_track_lists_falls_where_it_draw_fell() {
        let mut k = Track::new(9e6, 6e6, t(30), 10, true);
        k.advance(t(0), t(10), 9e6, 6e6);
        k.advance(t(10), t(20), 7.5e6, 5e6); // IT −1 MW, facility −1.5 MW: listed
        k.advance(t(20), t(30), 7e6, 4.5e6); // IT −0.5 MW: not listed
        let s = k.snapshot();
        assert_eq!(s.drops, vec![(t(10), 1.5e6)]);
        assert_eq!((s.max_drop_w, s.max_drop_at), (1.5e6, t(10)));
        assert_eq!(s.zoom.last(), Some(&(t(20), 7e6, 4.5e6)));
    }

    /// Past the cap, the list keeps the largest fall of each slice and stays
    /// within the cap; the counts stay exact.
    #[test]
    fn a_long_list_of_drops_is_sliced_keeping_the_largest() {
        let n = MAX_LISTED_DROPS as u64 + 50_000;
        let horizon = t(2 * n + 10);
        let mut k = Track::new(3e6, 3e6, horizon, 1_000_000, true);
        // 3 MW, then 1 MW (or, every fourth time, 0 MW), one ms each.
        let level = |i: u64| {
            if i % 2 == 0 {
                3e6
            } else if i % 8 == 7 {
                0.0
            } else {
                1e6
            }
        };
        let mut falls = Vec::new();
        for i in 1..=2 * n {
            // level(i) is held from t(i − 1): the step to it happens then.
            k.advance(t(i - 1), t(i), level(i), level(i));
            if i > 1 && level(i) < level(i - 1) {
                falls.push((t(i - 1), level(i - 1) - level(i)));
            }
        }
        let slice = horizon.as_millis().div_ceil(MAX_LISTED_DROPS as u64);
        let mut expected: Vec<(SimTime, f64)> = Vec::new();
        for &(at, d) in &falls {
            match expected.last_mut() {
                Some(e) if e.0.as_millis() / slice == at.as_millis() / slice => {
                    if d > e.1 {
                        *e = (at, d);
                    }
                }
                _ => expected.push((at, d)),
            }
        }
        let s = k.snapshot();
        assert!(s.drops.len() <= MAX_LISTED_DROPS, "{} rows", s.drops.len());
        assert_eq!(s.drops.len(), expected.len());
        let first_wrong = s.drops.iter().zip(&expected).position(|(a, b)| a != b);
        assert_eq!(first_wrong, None, "the largest fall of each slice");
        assert_eq!(s.falls.total(), falls.len() as u64, "every fall is counted");
    }
}
