//! The largest change of a piecewise-linear draw (with steps) within a time
//! window, exact. h(t) = G(t + w) − G(t) is piecewise linear in t with corners
//! only where t or t + w is a corner of G, so its extremes are at those: each
//! corner b is checked as the window's end (against G(b − w), from history)
//! and as its start (against G(b + w), once that time has passed).

use std::collections::VecDeque;

/// Worst rise and fall of one draw over one window.
#[derive(Clone, Debug)]
pub struct LinearRamps {
    w: f64,
    /// Corners (time ms, value before, value after) not older than the window, and the last corner.
    hist: VecDeque<(f64, f64, f64)>,
    /// Corners whose `t + w` has not been reached yet.
    pending: VecDeque<(f64, f64, f64)>,
    pub worst_rise: f64,
    pub worst_fall: f64,
    /// The end (ms) of the window the worst fall was found in.
    pub worst_fall_at: f64,
}

impl LinearRamps {
    pub fn new(window_ms: u64, start: f64) -> Self {
        let mut hist = VecDeque::new();
        hist.push_back((0.0, start, start));
        let mut pending = VecDeque::new();
        pending.push_back((0.0, start, start));
        Self { w: window_ms as f64, hist, pending, worst_rise: 0.0, worst_fall: 0.0, worst_fall_at: 0.0 }
    }

    pub fn window_ms(&self) -> u64 {
        self.w as u64
    }

    /// A change over a window ending at `end` (ms).
    fn note(&mut self, change: f64, end: f64) {
        if change > self.worst_rise {
            self.worst_rise = change;
        }
        if -change > self.worst_fall {
            self.worst_fall = -change;
            self.worst_fall_at = end;
        }
    }

    fn value_at(&self, t: f64, after: bool) -> f64 {
        value_at(&self.hist, t, after)
    }

    /// A new corner: the draw is `before` just before `t` and `after` from `t` on
    /// (equal for a mere change of slope), linear since the previous corner.
    pub fn corner(&mut self, t: f64, before: f64, after: f64) {
        // Windows that started at pending corners b and end inside (last, t]: G(b + w) is on this segment.
        let last = *self.hist.back().expect("never empty");
        while let Some(&b) = self.pending.front() {
            let end = b.0 + self.w;
            if end > t {
                break;
            }
            let g_end = if end == t { before } else { last.2 + (before - last.2) * (end - last.0) / (t - last.0).max(f64::MIN_POSITIVE) };
            // From just before b (value b.1) and just after it (b.2).
            self.note(g_end - b.1, end);
            self.note(g_end - b.2, end);
            self.pending.pop_front();
        }
        self.hist.push_back((t, before, after));
        // Windows ending at t: against G(t − w), both before and after t's step.
        let g_start = self.value_at(t - self.w, true);
        self.note(before - g_start, t);
        self.note(after - g_start, t);
        // A step inside the window counts whole: the window (t − w, t] holds it.
        self.note(after - before, t);
        while self.hist.len() > 2 && self.hist[1].0 <= t - self.w {
            self.hist.pop_front();
        }
        self.pending.push_back((t, before, after));
    }
}

/// G at time `t` from corners (time, value before, value after), oldest first and never
/// empty, linear between them: the value after a step at exactly `t` when `after`.
pub(crate) fn value_at(hist: &VecDeque<(f64, f64, f64)>, t: f64, after: bool) -> f64 {
    let mut prev = *hist.front().expect("the history is never empty");
    if t < prev.0 {
        return prev.1;
    }
    for &c in hist.iter().skip(1) {
        if t < c.0 || (t == c.0 && !after) {
            if t == c.0 {
                return c.1;
            }
            // Linear between prev (after its step) and c (before its step).
            return prev.2 + (c.1 - prev.2) * (t - prev.0) / (c.0 - prev.0);
        }
        prev = c;
    }
    prev.2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ramp_a_step_and_a_window() {
        // 100 → ramps down at 1/ms to 40 over 60 ms, holds, then steps up by 30 at 200 ms.
        let mut r = LinearRamps::new(50, 100.0);
        r.corner(60.0, 40.0, 40.0);
        r.corner(200.0, 40.0, 70.0);
        r.corner(400.0, 70.0, 70.0);
        assert_eq!(r.worst_fall, 50.0, "50 ms of the 1/ms ramp");
        assert_eq!(r.worst_rise, 30.0, "the step");
        let mut wide = LinearRamps::new(1000, 100.0);
        wide.corner(60.0, 40.0, 40.0);
        wide.corner(200.0, 40.0, 70.0);
        wide.corner(1500.0, 70.0, 70.0);
        assert_eq!((wide.worst_fall, wide.worst_rise), (60.0, 30.0));
    }

    #[test]
    fn against_a_brute_force_scan() {
        // A zigzag with steps, checked against a fine scan of h(t).
        let pts: Vec<(f64, f64, f64)> = (1..60)
            .map(|i| {
                let t = i as f64 * 7.0 + (i % 3) as f64;
                let v = ((i * 37) % 23) as f64;
                let jump = if i % 5 == 0 { ((i * 11) % 7) as f64 - 3.0 } else { 0.0 };
                (t, v, v + jump)
            })
            .collect();
        let w = 20.0;
        let mut r = LinearRamps::new(w as u64, 0.0);
        for &(t, b, a) in &pts {
            r.corner(t, b, a);
        }
        let mut all = vec![(0.0, 0.0, 0.0)];
        all.extend(pts.iter().copied());
        let g = |t: f64, after: bool| -> f64 {
            let mut prev = all[0];
            for &c in all.iter().skip(1) {
                if t < c.0 || (t == c.0 && !after) {
                    return if t == c.0 { c.1 } else { prev.2 + (c.1 - prev.2) * (t - prev.0) / (c.0 - prev.0) };
                }
                prev = c;
            }
            prev.2
        };
        let (mut rise, mut fall) = (0.0f64, 0.0f64);
        let end = pts.last().unwrap().0;
        // Every window start on a fine grid, and those that put either end on a corner.
        let mut starts: Vec<f64> = (0..((end - w) * 4.0) as usize).map(|k| k as f64 * 0.25).collect();
        starts.extend(all.iter().flat_map(|c| [c.0, c.0 - w]).filter(|&t| t >= 0.0 && t + w <= end));
        for t in starts {
            for (a, b) in [(true, true), (false, true), (true, false), (false, false)] {
                let d = g(t + w, a) - g(t, b);
                rise = rise.max(d);
                fall = fall.max(-d);
            }
        }
        // A step counts whole in any window holding it.
        for c in &all {
            rise = rise.max(c.2 - c.1);
            fall = fall.max(c.1 - c.2);
        }
        assert!(
            (r.worst_rise - rise).abs() < 1e-9 && (r.worst_fall - fall).abs() < 1e-9,
            "{} {} vs scan {rise} {fall}",
            r.worst_rise,
            r.worst_fall
        );
    }
}
