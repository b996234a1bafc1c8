//! Ramp violations of a piecewise-linear draw G with steps, against a limit L
//! on its change within a window w: the times at which the change over the
//! window just ended, h(t) = G(t) − G(t − w), passes ±L, counted each time it
//! does. A step larger than L is one violation, and so is a steep ramp however
//! many corners it has; steps or ramps the same way within one window add up;
//! a small step against a long ramp does not split it. Exact: h is piecewise
//! linear with corners only where t or t − w is a corner of G, and the
//! crossings of ±L between them are found on each linear piece.

use super::linramps::value_at;
use std::collections::VecDeque;

#[derive(Clone, Debug)]
pub struct Violations {
    limit: f64,
    w: f64,
    /// Corners (time ms, value before, value after) not older than the window, and
    /// the one before them; the first of them whose window end is still ahead.
    hist: VecDeque<(f64, f64, f64)>,
    next_end: usize,
    /// h just after the last corner of h handled, and that corner's time (ms).
    h: f64,
    h_at: f64,
    pub count: u64,
    /// Time |h| spent above the limit, ms.
    pub over_ms: f64,
}

/// Relative slack on the limit: a ramp held exactly at it is not a violation, though
/// the battery's long sums of ramps may round it a hundredth of a watt past 10 MW.
const SLACK: f64 = 1e-6;

impl Violations {
    /// A draw of `start` from time zero, against a change of `limit` within `window_ms` (∞: none).
    pub fn new(limit: f64, window_ms: f64, start: f64) -> Self {
        let mut v = Self {
            limit: limit * (1.0 + SLACK),
            w: window_ms,
            hist: VecDeque::new(),
            next_end: 0,
            h: 0.0,
            h_at: 0.0,
            count: 0,
            over_ms: 0.0,
        };
        v.reset(start);
        v
    }

    /// Start again from a draw of `start` at time zero (what happens then sets the draw).
    pub fn reset(&mut self, start: f64) {
        self.hist.clear();
        self.hist.push_back((0.0, start, start));
        self.next_end = 0;
        self.h = 0.0;
        self.h_at = 0.0;
        self.count = 0;
        self.over_ms = 0.0;
    }

    /// h runs linearly from its last value to `before` at `t`, then jumps to `after`:
    /// count every entry into |h| > L on the way, and the time spent there.
    fn piece(&mut self, t: f64, before: f64, after: f64) {
        let l = self.limit;
        let enters = |a: f64, b: f64| (a.abs() <= l && b.abs() > l) || (a > l && b < -l) || (a < -l && b > l);
        self.count += u64::from(enters(self.h, before)) + u64::from(enters(before, after));
        let len = t - self.h_at;
        if len > 0.0 && (self.h.abs() > l || before.abs() > l) {
            let above = super::battery::beyond_line(self.h - l, before - l, len).0;
            let below = super::battery::beyond_line(-l - self.h, -l - before, len).0;
            self.over_ms += above + below;
        }
        self.h = after;
        self.h_at = t;
    }

    /// A corner of G: linear from the last corner to `before` at `t`, then a step to `after`.
    pub fn corner(&mut self, t: f64, before: f64, after: f64) {
        if !self.limit.is_finite() {
            return;
        }
        let last = *self.hist.back().expect("never empty");
        // Windows whose start leaves a corner c before t: h bends at c + w (and jumps by
        // c's step), while G runs linearly from `last` to `before`.
        while let Some(&c) = self.hist.get(self.next_end) {
            let tau = c.0 + self.w;
            if tau >= t {
                break;
            }
            let g = if t > last.0 { last.2 + (before - last.2) * (tau - last.0) / (t - last.0) } else { before };
            self.piece(tau, g - c.1, g - c.2);
            self.next_end += 1;
        }
        // The corner itself (and a window start leaving a corner at exactly t − w).
        while self.hist.get(self.next_end).is_some_and(|c| c.0 + self.w <= t) {
            self.next_end += 1;
        }
        self.hist.push_back((t, before, after));
        let start = t - self.w;
        self.piece(t, before - value_at(&self.hist, start, false), after - value_at(&self.hist, start, true));
        while self.hist.len() > 2 && self.hist[1].0 <= start {
            self.hist.pop_front();
            self.next_end = self.next_end.saturating_sub(1);
        }
    }

    /// Nothing to close: a violation is counted when it starts.
    pub fn finish(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_counts_once_and_a_ramp_once_however_many_corners() {
        let mut v = Violations::new(10.0, 60_000.0, 100.0);
        v.corner(1000.0, 100.0, 85.0); // a 15 step down: one
        v.corner(100_000.0, 85.0, 80.0); // 5 down, a while later: no
        // Down 1 per second for 30 s, in three pieces: 30 within a minute: one.
        v.corner(200_000.0, 80.0, 80.0);
        v.corner(210_000.0, 70.0, 70.0);
        v.corner(220_000.0, 60.0, 60.0);
        v.corner(230_000.0, 50.0, 50.0);
        // Up at 10 per minute for 5 minutes: exactly the limit, not a violation.
        v.corner(600_000.0, 50.0, 50.0);
        v.corner(900_000.0, 100.0, 100.0);
        v.finish();
        assert_eq!(v.count, 2);
    }

    #[test]
    fn a_window_starting_at_a_corner_is_checked() {
        // Up 8 over 10 s, then 0.1 a second for 190 s: 13 within the minute from 0 s, while
        // the windows ending at corners hold 8 (to 10 s) and 6 (to 200 s).
        let mut v = Violations::new(12.0, 60_000.0, 0.0);
        v.corner(10_000.0, 8.0, 8.0);
        v.corner(200_000.0, 27.0, 27.0);
        v.finish();
        assert_eq!(v.count, 1, "13 within the minute from 0 s");
    }

    #[test]
    fn steps_the_same_way_add_up_within_a_window_and_not_beyond() {
        let mut v = Violations::new(10.0, 60_000.0, 100.0);
        v.corner(1000.0, 100.0, 94.0);
        v.corner(31_000.0, 94.0, 88.0); // 12 down within a minute: one
        v.corner(200_000.0, 88.0, 82.0);
        v.corner(400_000.0, 82.0, 76.0); // 6 each, minutes apart: none
        // A drop and the rise back 20 s later: two.
        v.corner(500_000.0, 76.0, 50.0);
        v.corner(520_000.0, 50.0, 76.0);
        v.corner(700_000.0, 76.0, 76.0);
        v.finish();
        assert_eq!(v.count, 3);
    }

    /// Against a fine scan of h(t) = G(t) − G(t − w) on a zigzag with steps.
    #[test]
    fn the_entries_are_those_of_a_fine_scan() {
        let pts: Vec<(f64, f64, f64)> = (1..80)
            .map(|i| {
                let t = i as f64 * 7.0 + (i % 3) as f64;
                let v = ((i * 37) % 23) as f64;
                let jump = if i % 5 == 0 { ((i * 11) % 9) as f64 - 4.0 } else { 0.0 };
                (t, v, v + jump)
            })
            .collect();
        let (w, l) = (20.0, 9.5);
        let mut v = Violations::new(l, w, 0.0);
        for &(t, b, a) in &pts {
            v.corner(t, b, a);
        }
        let mut all = vec![(0.0, 0.0, 0.0)];
        all.extend(pts.iter().copied());
        let g = |t: f64| -> f64 {
            let mut prev = all[0];
            for &c in all.iter().skip(1) {
                if t < c.0 {
                    return prev.2 + (c.1 - prev.2) * (t - prev.0) / (c.0 - prev.0);
                }
                prev = c;
            }
            prev.2
        };
        // h just after each point of a fine grid (no grid point falls on a corner).
        let (mut inside, mut entries, mut last_sign, mut over) = (false, 0, 0.0, 0.0);
        let end = pts.last().unwrap().0;
        let mut t = 0.0005;
        while t < end {
            let h = g(t) - if t >= w { g(t - w) } else { 0.0 };
            let now = h.abs() > l;
            if now && (!inside || h.signum() != last_sign) {
                entries += 1;
            }
            inside = now;
            last_sign = h.signum();
            if now {
                over += 0.001;
            }
            t += 0.001;
        }
        assert_eq!(v.count, entries);
        // The scan's time over is good to its step at each of the crossings.
        assert!((v.over_ms - over).abs() < 0.001 * 2.0 * entries as f64, "{} vs {over}", v.over_ms);
        assert!(entries > 5, "{entries}");
    }

    #[test]
    fn a_step_and_a_ramp_the_same_way_add_up_within_the_window() {
        // Down 8 at once, then down at 5 per minute: 13 within a minute.
        let mut v = Violations::new(10.0, 60_000.0, 100.0);
        v.corner(0.0, 100.0, 100.0);
        v.corner(1000.0, 100.0, 92.0);
        v.corner(121_000.0, 82.0, 82.0);
        v.finish();
        assert_eq!(v.count, 1);
        // The same ramp alone stays within it.
        let mut w = Violations::new(10.0, 60_000.0, 100.0);
        w.corner(1000.0, 100.0, 100.0);
        w.corner(121_000.0, 90.0, 90.0);
        w.finish();
        assert_eq!(w.count, 0);
    }
}
