//! The worst ramps of a piecewise-constant draw: the largest fall and the
//! largest rise between any two instants at most a window apart, exactly.
//! With step changes an instantaneous ramp is infinite, so a ramp is stated
//! over a window: what a grid operator limits (MW per second, per minute, per
//! quarter hour).

/// The windows ramps are stated over, in milliseconds (widening), and their labels.
pub const RAMP_WINDOWS: [(u64, &str); 3] = [(1_000, "1s"), (60_000, "1min"), (900_000, "15min")];

const WIDEST: u64 = RAMP_WINDOWS[2].0;

/// Worst fall and rise over each of [`RAMP_WINDOWS`].
///
/// A fall ending at a step to `v` is the highest draw held in the window before
/// it, minus `v` (the worst change ending inside a step is reached at its start).
/// The window lies inside the current and the previous block of the widest
/// window's length, so the highest draw of those two blocks minus `v` bounds it:
/// a step is looked at only when that bound beats the worst fall found so far.
/// Then the steps of the window are scanned backwards, once for all windows
/// (they are nested). Rises likewise, with the lowest draw.
#[derive(Clone, Debug)]
pub struct Ramps {
    /// Step starts (ms) and draws, reaching at least the widest window back
    /// from `first` (earlier ones are dropped in batches).
    steps: Vec<(u64, f64)>,
    first: usize,
    /// Index of the current block (time / widest window), and the highest and
    /// lowest draw held in it and in the block before.
    block: u64,
    cur: (f64, f64),
    prev: (f64, f64),
    /// The draw held now (the last step's).
    held: f64,
    fall: [f64; 3],
    rise: [f64; 3],
}

/// The worst fall and rise (watts) within each window, in [`RAMP_WINDOWS`] order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WorstRamps {
    pub fall_w: [f64; 3],
    pub rise_w: [f64; 3],
}

impl Ramps {
    /// A draw of `level` from time zero.
    pub fn new(level: f64) -> Self {
        Self {
            steps: vec![(0, level)],
            first: 0,
            block: 0,
            cur: (level, level),
            prev: (level, level),
            held: level,
            fall: [0.0; 3],
            rise: [0.0; 3],
        }
    }

    /// The draw steps to `v` at `t` (ms). A step at time zero replaces the
    /// starting draw, which was never held.
    #[inline(always)]
    pub fn step(&mut self, t: u64, v: f64) {
        if t == 0 {
            *self = Self::new(v);
            return;
        }
        let b = t / WIDEST;
        if b != self.block {
            // The draw held before this step was held at the start of block b too.
            let h = (self.held, self.held);
            self.prev = if b == self.block + 1 { self.cur } else { h };
            self.cur = h;
            self.block = b;
        }
        // Draws are finite sums, never NaN: plain comparisons do what max/min would.
        let hi = if self.cur.0 > self.prev.0 { self.cur.0 } else { self.prev.0 };
        let lo = if self.cur.1 < self.prev.1 { self.cur.1 } else { self.prev.1 };
        let (fall, rise) = (hi - v, v - lo);
        // The windows are nested, so the narrowest has the smallest worst: a step
        // that cannot beat it cannot beat any.
        if fall > self.fall[0] || rise > self.rise[0] {
            self.scan(t, v, fall, rise);
        }
        self.steps.push((t, v));
        self.held = v;
        if v > self.cur.0 {
            self.cur.0 = v;
        } else if v < self.cur.1 {
            self.cur.1 = v;
        }
        if self.steps.len() >= 4096 {
            self.trim(t);
        }
    }

    /// The highest and lowest draw held in each window before `t` that the
    /// bounds `fall` and `rise` say might beat its worst, against `v`.
    #[inline(never)]
    fn scan(&mut self, t: u64, v: f64, fall: f64, rise: f64) {
        let Some(last) = (0..3).rev().find(|&k| fall > self.fall[k] || rise > self.rise[k]) else { return };
        let (mut hi, mut lo) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut end = t;
        let mut k = 0;
        for i in (self.first..self.steps.len()).rev() {
            let (start, value) = self.steps[i];
            // This step is held on [start, end); windows it no longer reaches are final.
            while k <= last && end <= t.saturating_sub(RAMP_WINDOWS[k].0) {
                self.settle(k, hi, lo, v);
                k += 1;
            }
            if k > last {
                return;
            }
            hi = hi.max(value);
            lo = lo.min(value);
            end = start;
        }
        for j in k..=last {
            self.settle(j, hi, lo, v);
        }
    }

    #[inline]
    fn settle(&mut self, k: usize, hi: f64, lo: f64, v: f64) {
        self.fall[k] = self.fall[k].max(hi - v);
        self.rise[k] = self.rise[k].max(v - lo);
    }

    /// Forget steps that ended before the widest window (amortised O(1): the
    /// first index only moves forward), dropping them from memory in batches.
    #[inline(never)]
    fn trim(&mut self, t: u64) {
        let from = t.saturating_sub(WIDEST);
        while self.first + 1 < self.steps.len() && self.steps[self.first + 1].0 <= from {
            self.first += 1;
        }
        if self.first * 2 >= self.steps.len() {
            self.steps.drain(..self.first);
            self.first = 0;
        }
    }

    pub fn worst(&self) -> WorstRamps {
        WorstRamps { fall_w: self.fall, rise_w: self.rise }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over every pair of step starts (the worst change ending inside a
    /// step is reached at its start), against the pruned scan.
    fn brute(steps: &[(u64, f64)], w: u64) -> (f64, f64) {
        let (mut fall, mut rise) = (0.0f64, 0.0f64);
        for (j, &(t2, v2)) in steps.iter().enumerate() {
            for (i, &(_, v1)) in steps[..j].iter().enumerate() {
                // Step i is held on [t_i, t_{i+1}); it counts if some instant of it lies in [t2 − w, t2).
                let end = steps[i + 1].0;
                if end > t2.saturating_sub(w) {
                    fall = fall.max(v1 - v2);
                    rise = rise.max(v2 - v1);
                }
            }
        }
        (fall, rise)
    }

    #[test]
    fn the_pruned_scan_agrees_with_every_pair() {
        // A deterministic jumble of steps: gaps from 1 ms to 20 min, levels 0..100.
        let mut x: u64 = 12345;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut steps = vec![(0u64, 50.0)];
        for _ in 0..400 {
            let gap = 1 + next() % [1_000, 60_000, 1_200_000][(next() % 3) as usize];
            steps.push((steps.last().unwrap().0 + gap, (next() % 100) as f64));
        }
        let mut r = Ramps::new(50.0);
        for &(t, v) in &steps[1..] {
            r.step(t, v);
        }
        let worst = r.worst();
        for (k, &(ms, label)) in RAMP_WINDOWS.iter().enumerate() {
            let (fall, rise) = brute(&steps, ms);
            assert_eq!((worst.fall_w[k], worst.rise_w[k]), (fall, rise), "window {label}");
        }
    }

    #[test]
    fn a_slow_staircase_is_a_small_ramp_over_a_second_and_a_large_one_over_minutes() {
        // 10 W down every 10 s, ten times.
        let mut r = Ramps::new(100.0);
        for k in 1..=10 {
            r.step(k * 10_000, 100.0 - 10.0 * k as f64);
        }
        let w = r.worst();
        assert_eq!(w.fall_w, [10.0, 60.0, 100.0], "1 s sees one step, 1 min six, 15 min all ten");
        assert_eq!(w.rise_w, [0.0; 3]);
    }
}
