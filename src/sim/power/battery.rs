//! A site battery between the facility and the grid. The facility draw is
//! piecewise constant; the grid draw follows it at a limited ramp rate, the
//! battery making up the difference. While the grid ramps, the battery's power
//! is linear in time and its stored energy quadratic; the instants the grid
//! reaches its target or the battery runs empty, full or back to its target
//! charge are roots found in closed form, so every integral is exact. When
//! the battery cannot cover the difference, the grid steps (a ramp violation).

use super::linramps::LinearRamps;
use super::ramps::RAMP_WINDOWS;
use super::violations::Violations;

/// A battery and the grid ramp limit it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct BatterySpec {
    /// Energy capacity, Wh.
    pub capacity_wh: f64,
    /// Most charge or discharge power, W.
    pub power_w: f64,
    /// Round-trip efficiency (split evenly between charge and discharge).
    pub round_trip: f64,
    /// Stored energy at the start, and the charge it returns to when idle, as shares of capacity.
    pub initial_soc: f64,
    pub target_soc: f64,
    /// Power it recharges (or sheds) at towards its target charge, W.
    pub restore_w: f64,
    /// The grid's ramp limit, W per ms.
    pub ramp_w_per_ms: f64,
    /// The band it holds the grid draw in, W ((−∞, ∞) for none).
    pub band_w: (f64, f64),
}

/// The grid side: its draw, the battery's charge, and what they did.
#[derive(Clone, Debug)]
pub struct Battery {
    spec: BatterySpec,
    eta: f64,
    /// Grid draw now, W, and stored energy, Wh.
    pub grid_w: f64,
    pub stored_wh: f64,
    /// ∫ grid draw dt, watt-ms; energy charged and discharged (at the battery's terminals), Wh.
    pub grid_wms: f64,
    pub charged_wh: f64,
    pub discharged_wh: f64,
    /// Highest and lowest grid draw.
    pub peak_w: f64,
    pub min_w: f64,
    /// Steps of the grid draw (the battery could not cover the difference): count, largest, W.
    pub steps: u64,
    pub largest_step_w: f64,
    /// The largest step down.
    pub largest_fall_w: f64,
    /// Every step's size (bit pattern of the watts, which sort as the numbers do) and count.
    pub step_sizes: std::collections::BTreeMap<u64, u64>,
    pub stored_start_wh: f64,
    /// Time now (ms), the corner of the grid draw not yet handed on, and the worst
    /// changes within 1 s, 1 min and 15 min.
    t: f64,
    corner: Option<(f64, f64, f64)>,
    /// The grid draw's slope since the last corner, W/ms.
    slope: f64,
    pub ramps: [LinearRamps; 3],
    /// Grid energy of each whole hour so far, watt-ms (the hour in progress is in `hour_wms`).
    pub hourly_wms: Vec<f64>,
    pub hour_wms: f64,
    /// At full detail, per power bin: grid energy (watt-ms) and stored energy at the bin's end (Wh).
    bin_ms: Option<f64>,
    pub bins: Vec<(f64, f64)>,
    bin_wms: f64,
    /// The grid's cap and floor (±∞ without), and the time and energy beyond them.
    limits: (f64, f64),
    pub beyond: super::Beyond,
    /// Violations of the grid's ramp limits per minute and per second.
    pub violations: [Violations; 2],
}

const MS_PER_H: f64 = 3_600_000.0;

/// Draws this close (W) are the same but for rounding, where a ramping facility
/// leaves the grid on a moving target or the battery at its power limit.
const NEAR_W: f64 = 1e-6;
/// Likewise for instants (ms): below what the run's clock resolves late in a run.
const NEAR_MS: f64 = 1e-6;

impl Battery {
    pub fn new(spec: BatterySpec, facility_w: f64) -> Self {
        let stored = spec.capacity_wh * spec.initial_soc;
        Self {
            eta: spec.round_trip.sqrt(),
            grid_w: facility_w,
            stored_wh: stored,
            stored_start_wh: stored,
            grid_wms: 0.0,
            charged_wh: 0.0,
            discharged_wh: 0.0,
            peak_w: f64::NEG_INFINITY,
            min_w: f64::INFINITY,
            steps: 0,
            largest_step_w: 0.0,
            largest_fall_w: 0.0,
            step_sizes: std::collections::BTreeMap::new(),
            t: 0.0,
            corner: None,
            slope: 0.0,
            ramps: RAMP_WINDOWS.map(|(w, _)| LinearRamps::new(w, facility_w)),
            hourly_wms: Vec::new(),
            hour_wms: 0.0,
            bin_ms: None,
            bins: Vec::new(),
            bin_wms: 0.0,
            limits: (f64::INFINITY, f64::NEG_INFINITY),
            beyond: super::Beyond::default(),
            violations: [Violations::new(f64::INFINITY, 60_000.0, facility_w), Violations::new(f64::INFINITY, 1_000.0, facility_w)],
            spec,
        }
    }

    /// Keep power bins of `bin_ms` (the grid's mean draw and the store at each bin's end).
    pub fn with_bins(mut self, bin_ms: u64) -> Self {
        self.bin_ms = Some(bin_ms.max(1) as f64);
        self
    }

    /// Count time and energy of the grid draw above `cap_w` and below `floor_w`.
    pub fn with_limits(mut self, cap_w: f64, floor_w: f64) -> Self {
        self.limits = (cap_w, floor_w);
        self
    }

    /// Count the grid draw's violations of a change of `per_min` W within a minute and
    /// `per_s` W within a second (∞ for none).
    pub fn with_ramp_limits(mut self, per_min: f64, per_s: f64) -> Self {
        let g = self.grid_w;
        self.violations = [Violations::new(per_min, 60_000.0, g), Violations::new(per_s, 1_000.0, g)];
        self
    }

    /// Close the bin in progress at the horizon.
    pub fn finish(&mut self) {
        // The end of the last stretch.
        self.mark(self.grid_w, self.grid_w);
        self.flush();
        self.violations.iter_mut().for_each(Violations::finish);
        if self.bin_ms.is_some() && (self.bin_wms != 0.0 || self.t > self.bins.len() as f64 * self.bin_ms.unwrap_or(1.0)) {
            self.bins.push((self.bin_wms, self.stored_wh));
            self.bin_wms = 0.0;
        }
    }

    /// A corner of the grid draw at the current time: `before` just before, `after` from now on.
    fn mark(&mut self, before: f64, after: f64) {
        match &mut self.corner {
            Some(c) if c.0 == self.t => c.2 = after,
            _ => {
                self.flush();
                self.corner = Some((self.t, before, after));
            }
        }
    }

    /// Hand the pending corner to the ramp trackers.
    pub fn flush(&mut self) {
        if let Some((t, b, a)) = self.corner.take() {
            for r in &mut self.ramps {
                r.corner(t, b, a);
            }
            for v in &mut self.violations {
                v.corner(t, b, a);
            }
        }
    }

    pub fn spec(&self) -> &BatterySpec {
        &self.spec
    }

    /// Losses so far, Wh: energy charged (at the battery's terminals) less energy
    /// discharged less the change in store.
    pub fn losses_wh(&self) -> f64 {
        self.charged_wh - self.discharged_wh - (self.stored_wh - self.stored_start_wh)
    }

    fn step_to(&mut self, w: f64) {
        let jump = (w - self.grid_w).abs();
        if jump > 0.0 {
            self.steps += 1;
            self.largest_step_w = self.largest_step_w.max(jump);
            if w < self.grid_w {
                self.largest_fall_w = self.largest_fall_w.max(jump);
            }
            *self.step_sizes.entry(jump.to_bits()).or_insert(0) += 1;
            self.mark(self.grid_w, w);
        }
        self.grid_w = w;
    }

    /// The grid draw it aims for: the facility's, plus a recharge while below its
    /// target charge, less a discharge while above it, kept within the band (if any).
    fn target(&self, p: f64) -> f64 {
        let (lo, hi) = self.spec.band_w;
        self.unbanded_target(p).clamp(lo, hi)
    }

    /// [`Battery::target`] before the band, and, when the facility moves at `q` W/ms: how
    /// fast the target moves (`q` inside the band, 0 held at an edge) and in how long it
    /// meets an edge of the band (a change of regime).
    fn target_motion(&self, p: f64, q: f64) -> (f64, f64) {
        let (lo, hi) = self.spec.band_w;
        let raw = self.unbanded_target(p);
        // An edge it meets within rounding (of draw or of time) is behind it.
        let ahead = |e: f64| (e - raw) / q > NEAR_MS && (e - raw).abs() > NEAR_W;
        let (inside, next_edge) = if q > 0.0 {
            (!ahead(lo) && ahead(hi), [lo, hi].into_iter().find(|&e| ahead(e)))
        } else if q < 0.0 {
            (!ahead(hi) && ahead(lo), [hi, lo].into_iter().find(|&e| ahead(e)))
        } else {
            (raw > lo && raw < hi, None)
        };
        (if inside { q } else { 0.0 }, next_edge.map_or(f64::INFINITY, |e| (e - raw) / q))
    }

    fn unbanded_target(&self, p: f64) -> f64 {
        let goal = self.spec.capacity_wh * self.spec.target_soc;
        if self.stored_wh < goal - 1e-6 {
            p + self.spec.restore_w
        } else if self.stored_wh > goal + 1e-6 {
            p - self.spec.restore_w
        } else {
            p
        }
    }

    /// The facility drew `p` watts from `t0` to `t1` (ms): move the grid and the battery.
    pub fn advance(&mut self, t0: u64, t1: u64, p: f64) {
        self.advance_line(t0 as f64, t1 as f64, p, p);
    }

    /// The facility's draw went linearly from `p0` at `t0` to `p1` at `t1` (ms), as
    /// ramp-limited chips make it: move the grid and the battery. With `p0 == p1`
    /// every operation is the constant case's.
    pub fn advance_line(&mut self, t0: f64, t1: f64, p0: f64, p1: f64) {
        if t0 == 0.0 && self.t == 0.0 && self.corner.is_none() && self.grid_wms == 0.0 {
            // What happens at time zero (jobs taking their nodes) sets the draw; it does not step it.
            self.grid_w = p0;
            self.ramps = RAMP_WINDOWS.map(|(w, _)| LinearRamps::new(w, p0));
            self.violations.iter_mut().for_each(|v| v.reset(p0));
        }
        let q = if p1 == p0 { 0.0 } else { (p1 - p0) / (t1 - t0) };
        self.t = t0;
        let mut left = t1 - t0;
        let mut guard = 0;
        while left > 0.0 {
            guard += 1;
            debug_assert!(guard < 128, "the battery's regime changes a few times per interval");
            if guard > 1000 {
                // Never expected (the debug assertion above guards it): rather than
                // hang, pass the rest of the interval on to the grid as it comes.
                let p = p0 + q * (self.t - t0);
                self.step_to(p);
                self.integrate(left, 0.0, q, 0.0);
                break;
            }
            let p = p0 + q * (self.t - t0);
            let b0 = p - self.grid_w; // battery power: > 0 discharging
            let cap = self.spec.capacity_wh;
            if (b0 > 0.0 && self.stored_wh <= 0.0) || (b0 < 0.0 && self.stored_wh >= cap) {
                // Empty (or full): nothing to give (or take); the grid sees the facility.
                self.step_to(p);
                continue;
            }
            // (Rounding can leave it a hair past its limit: p − (p − P) need not be P.)
            if b0.abs() > self.spec.power_w + NEAR_W {
                // Beyond its power: the grid takes the rest at once.
                let w = p - b0.signum() * self.spec.power_w;
                self.step_to(w);
                continue;
            }
            let target = self.target(p);
            // The target moves at qt (the facility's q, or 0 at an edge of the band) until `edge`.
            let (qt, edge) = if q == 0.0 { (0.0, f64::INFINITY) } else { self.target_motion(p, q) };
            let mut dg = target - self.grid_w;
            let r = self.spec.ramp_w_per_ms;
            if qt != 0.0 && dg != 0.0 && (dg.abs() < NEAR_W || ((dg.signum() * r - qt) * dg > 0.0 && dg / (dg.signum() * r - qt) < NEAR_MS))
            {
                // On its moving target but for rounding (in draw or in time): it follows it.
                self.grid_w = target;
                dg = 0.0;
            }
            // The grid's slope (W/ms) and the time it reaches its target (which moves at qt).
            let (mut slope, reach) = if dg == 0.0 {
                (qt.clamp(-r, r), f64::INFINITY)
            } else if qt == 0.0 {
                (dg.signum() * r, dg.abs() / r)
            } else {
                let slope = dg.signum() * r;
                (slope, if (slope - qt) * dg > 0.0 { dg / (slope - qt) } else { f64::INFINITY })
            };
            // The battery's power falls at `bslope`: b(s) = b0 − bslope·s.
            let mut bslope = slope - q;
            let left_here = left.min(edge);
            let mut end = left_here.min(reach);
            let mut hit: Option<Hit> = None;
            {
                // (With a steady facility and no band these never apply: the battery then
                // only moves towards its restoring power, within its limit.)
                let limit = self.spec.power_w - NEAR_W;
                let outward = (b0 >= limit && bslope < 0.0) || (b0 <= -limit && bslope > 0.0);
                // Giving or taking nothing, or about to (b reaches zero within the clock's rounding).
                let idle = b0.abs() < NEAR_W || (b0 / bslope > 0.0 && b0 / bslope < NEAR_MS);
                let stuck = (idle && bslope < 0.0 && self.stored_wh <= 0.0) || (idle && bslope > 0.0 && self.stored_wh >= cap);
                if outward || stuck {
                    // At its power limit, or empty (full) with the facility outrunning the
                    // grid's ramp: the grid follows the facility, the battery holds its power.
                    (slope, bslope, end) = (q, 0.0, left_here);
                } else if bslope != 0.0 {
                    // Reaching its power limit on the way.
                    let limit = if bslope < 0.0 { self.spec.power_w } else { -self.spec.power_w };
                    let s = (b0 - limit) / bslope;
                    if s > 0.0 && s < NEAR_MS {
                        // At its limit but for rounding: hold it there.
                        self.grid_w = p - limit;
                        continue;
                    }
                    if s > 0.0 && s < end {
                        end = s;
                        hit = Some(Hit::Power);
                    }
                }
            }
            // Only a phase that could move the store as far as a level it watches (empty,
            // full, back to target) needs the roots: |∫b| ≤ max |b| × the phase's length.
            let levels = self.limits();
            let reach_wms = b0.abs().max((b0 - bslope * end).abs()) * end;
            if levels.iter().flatten().any(|(l, _)| l.abs() <= reach_wms) {
                // Where its power changes sign the phase ends: a charge is stored at η and a
                // discharge costs 1/η, so the levels hold for one sign at a time.
                if b0.abs() >= NEAR_W && bslope != 0.0 && b0 / bslope >= NEAR_MS && b0 / bslope < end {
                    end = b0 / bslope;
                    hit = Some(Hit::Zero);
                }
                // Discharge empties it; charge fills it; restoring stops at the target charge.
                for (limit, kind) in levels.into_iter().flatten() {
                    if let Some(s) = first_root(b0, bslope, limit)
                        && s < end
                    {
                        end = s;
                        hit = Some(kind);
                    }
                }
            }
            self.integrate(end, b0, slope, bslope);
            left -= end;
            if end == reach && hit.is_none() {
                self.grid_w = target + qt * end;
            }
            match hit {
                Some(Hit::Empty) | Some(Hit::Full) => {
                    self.stored_wh = if hit == Some(Hit::Empty) { 0.0 } else { self.spec.capacity_wh };
                    self.step_to(p0 + q * (self.t - t0));
                }
                Some(Hit::Target) => self.stored_wh = self.spec.capacity_wh * self.spec.target_soc,
                Some(Hit::Zero) => {}
                Some(Hit::Power) => {
                    let b = if bslope < 0.0 { self.spec.power_w } else { -self.spec.power_w };
                    self.grid_w = p0 + q * (self.t - t0) - b;
                }
                None => {}
            }
        }
    }

    /// The store levels that end a phase, as ∫b ds from its start (positive: energy taken out).
    fn limits(&self) -> [Option<(f64, Hit)>; 3] {
        let goal = self.spec.capacity_wh * self.spec.target_soc;
        let target = if self.spec.restore_w <= 0.0 {
            None
        } else if self.stored_wh < goal - 1e-6 {
            Some((-(goal - self.stored_wh) * MS_PER_H / self.eta, Hit::Target))
        } else if self.stored_wh > goal + 1e-6 {
            Some(((self.stored_wh - goal) * MS_PER_H * self.eta, Hit::Target))
        } else {
            None
        };
        [
            // Emptying: ∫b = stored × η (discharge draws 1/η from store per unit delivered).
            Some((self.stored_wh * MS_PER_H * self.eta, Hit::Empty)),
            // Filling: −∫b = (capacity − stored) / η.
            Some((-(self.spec.capacity_wh - self.stored_wh) * MS_PER_H / self.eta, Hit::Full)),
            target,
        ]
    }

    /// Hold the phase for `s` ms: the grid changing at `slope` W/ms, the battery's
    /// power from `b0` at −`bslope` W/ms.
    fn integrate(&mut self, s: f64, b0: f64, slope: f64, bslope: f64) {
        if s <= 0.0 {
            return;
        }
        let g0 = self.grid_w;
        let g1 = g0 + slope * s;
        if slope != self.slope {
            // The slope changes here: a corner (a stretch of the same slope goes on without one).
            self.mark(g0, g0);
            self.slope = slope;
        }
        self.grid_wms += (g0 + g1) / 2.0 * s;
        if let Some(bin) = self.bin_ms {
            self.cut_bins(bin, s, (b0, bslope), slope, g0);
        }
        let (cap, floor) = self.limits;
        if g0.max(g1) > cap {
            let (ms, wms) = beyond_line(g0 - cap, g1 - cap, s);
            self.beyond.above_ms += ms.round() as u64;
            self.beyond.above_wms += wms;
        }
        if g0.min(g1) < floor {
            let (ms, wms) = beyond_line(floor - g0, floor - g1, s);
            self.beyond.below_ms += ms.round() as u64;
            self.beyond.below_wms += wms;
        }
        // The same trapezoid, cut at hour boundaries (prices are hourly).
        let (mut t, end) = (self.t, self.t + s);
        loop {
            let hour_end = (self.hourly_wms.len() as f64 + 1.0) * MS_PER_H;
            let stop = end.min(hour_end);
            let (a, b) = (g0 + slope * (t - self.t), g0 + slope * (stop - self.t));
            self.hour_wms += (a + b) / 2.0 * (stop - t);
            if end < hour_end {
                break;
            }
            self.hourly_wms.push(self.hour_wms);
            self.hour_wms = 0.0;
            t = stop;
            if t >= end {
                break;
            }
        }
        self.peak_w = self.peak_w.max(g0).max(g1);
        self.min_w = self.min_w.min(g0).min(g1);
        // Split ∫b into its positive (discharge) and negative (charge) parts.
        let b1 = b0 - bslope * s;
        let (out_wms, in_wms) = split_integral(b0, b1, s);
        let (out_wh, in_wh) = (out_wms / MS_PER_H, in_wms / MS_PER_H);
        self.discharged_wh += out_wh;
        self.charged_wh += in_wh;
        self.stored_wh += in_wh * self.eta - out_wh / self.eta;
        self.grid_w = g1;
        self.t += s;
    }
}

impl Battery {
    /// Add the segment (grid from `g0` at `slope`, battery from `b0`) to the power
    /// bins it covers, noting the store at each bin boundary it crosses.
    fn cut_bins(&mut self, bin: f64, s: f64, (b0, bslope): (f64, f64), slope: f64, g0: f64) {
        let (start, end) = (self.t, self.t + s);
        let mut t = start;
        loop {
            let bin_end = (self.bins.len() as f64 + 1.0) * bin;
            let stop = end.min(bin_end);
            let (a, b) = (g0 + slope * (t - start), g0 + slope * (stop - start));
            self.bin_wms += (a + b) / 2.0 * (stop - t);
            if end < bin_end {
                break;
            }
            // The store at the boundary: its level at the segment's start plus the part so far.
            let u = stop - start;
            let (out_wms, in_wms) = split_integral(b0, b0 - bslope * u, u);
            let stored = self.stored_wh + in_wms / MS_PER_H * self.eta - out_wms / MS_PER_H / self.eta;
            self.bins.push((self.bin_wms, stored));
            self.bin_wms = 0.0;
            t = stop;
            if t >= end {
                break;
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hit {
    Empty,
    Full,
    Target,
    /// Its power limit.
    Power,
    /// Its power changes sign: from discharging to charging or back.
    Zero,
}

/// Time and ∫ of the positive part of a line going from `a` to `b` over `s` ms.
pub(crate) fn beyond_line(a: f64, b: f64, s: f64) -> (f64, f64) {
    let (pos, _) = split_integral(a, b, s);
    let time = if a >= 0.0 && b >= 0.0 {
        s
    } else if a <= 0.0 && b <= 0.0 {
        0.0
    } else {
        let z = s * a / (a - b);
        if a > 0.0 { z } else { s - z }
    };
    (time, pos)
}

/// Positive and negative parts of ∫ b over a segment where b goes linearly from b0 to b1 in s.
fn split_integral(b0: f64, b1: f64, s: f64) -> (f64, f64) {
    if b0 >= 0.0 && b1 >= 0.0 {
        ((b0 + b1) / 2.0 * s, 0.0)
    } else if b0 <= 0.0 && b1 <= 0.0 {
        (0.0, -(b0 + b1) / 2.0 * s)
    } else {
        let z = s * b0 / (b0 - b1);
        let (first, second) = (b0 / 2.0 * z, b1 / 2.0 * (s - z));
        if b0 > 0.0 { (first, -second) } else { (second, -first) }
    }
}

/// The first s > 0 with ∫0^s (b0 − slope·u) du reaching `level` (same sign as the
/// integral's direction), or `None`.
fn first_root(b0: f64, slope: f64, level: f64) -> Option<f64> {
    if level == 0.0 {
        return None;
    }
    // b0·s − slope·s²/2 = level.
    if slope == 0.0 {
        let s = level / b0;
        return (b0 != 0.0 && s > 0.0).then_some(s);
    }
    let (a, b, c) = (-slope / 2.0, b0, -level);
    let disc = b * b - 4.0 * a * c;
    if disc < 0.0 {
        return None;
    }
    let q = disc.sqrt();
    let roots = [(-b + q) / (2.0 * a), (-b - q) / (2.0 * a)];
    roots.into_iter().filter(|&s| s > 0.0).fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.min(s))))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: f64 = 60_000.0;

    fn spec(capacity_mwh: f64, power_mw: f64, ramp_mw_per_min: f64) -> BatterySpec {
        BatterySpec {
            capacity_wh: capacity_mwh * 1e6,
            power_w: power_mw * 1e6,
            round_trip: 0.9,
            initial_soc: 0.5,
            target_soc: 0.5,
            restore_w: 1e6,
            ramp_w_per_ms: ramp_mw_per_min * 1e6 / MIN,
            band_w: (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// A square wave: 150 MW for 8 min, 55 MW for 1 min (a checkpoint), `cycles` times.
    fn checkpoints(b: &mut Battery, cycles: u64) -> f64 {
        let (mut t, mut facility_wms) = (0u64, 0.0);
        for _ in 0..cycles {
            for (p, d) in [(150e6, 8 * 60_000u64), (55e6, 60_000)] {
                b.advance(t, t + d, p);
                facility_wms += p * d as f64;
                t += d;
            }
        }
        facility_wms
    }

    #[test]
    fn grid_energy_is_facility_energy_plus_losses_plus_the_change_in_store() {
        for s in [spec(50.0, 100.0, 10.0), spec(0.5, 20.0, 2.0), spec(200.0, 200.0, 1.0)] {
            let mut b = Battery::new(s, 150e6);
            let facility_wms = checkpoints(&mut b, 400);
            let lhs = b.grid_wms / MS_PER_H;
            let rhs = facility_wms / MS_PER_H + b.losses_wh() + (b.stored_wh - b.stored_start_wh);
            assert!((lhs - rhs).abs() <= 1e-9 * lhs, "{lhs} vs {rhs}");
            assert!(b.stored_wh >= -1e-6 && b.stored_wh <= b.spec.capacity_wh + 1e-6, "{}", b.stored_wh);
            let expected_losses = b.charged_wh * (1.0 - b.eta) + b.discharged_wh * (1.0 / b.eta - 1.0);
            assert!((b.losses_wh() - expected_losses).abs() <= 1e-6 * expected_losses.max(1.0));
        }
    }

    #[test]
    fn a_large_battery_holds_the_ramp_limit_and_none_steps_as_the_facility_does() {
        // Each dip leaves ~1.4 MWh more in store than the next rise takes out: it sheds
        // that at 20 MW between dips.
        let mut big = Battery::new(BatterySpec { restore_w: 20e6, ..spec(100.0, 120.0, 10.0) }, 150e6);
        checkpoints(&mut big, 200);
        assert_eq!(big.steps, 0, "never a step");
        big.flush();
        let per_min = big.ramps[1].worst_fall.max(big.ramps[1].worst_rise);
        assert!(per_min <= 10e6 + 1e-3 && per_min > 9e6, "within any minute it moves at most the 10 MW limit: {per_min}");
        assert!(big.peak_w <= 150e6 + 20e6 + 1.0 && big.min_w >= 55e6 - 1.0);
        let mut none = Battery::new(spec(0.0, 0.0, 10.0), 150e6);
        checkpoints(&mut none, 200);
        // 200 dips and the 199 rises between them (the wave ends low).
        assert_eq!(none.steps, 399, "every change of the facility's draw reaches the grid as a step");
        assert!((none.largest_step_w - 95e6).abs() < 1.0);
    }

    /// A facility that ramps (chips under ramp limits): a saw of 8-minute climbs from 55
    /// to 150 MW and 10-second falls back.
    fn saw(b: &mut Battery, cycles: u64) -> f64 {
        let (mut t, mut facility_wms) = (0.0, 0.0);
        for _ in 0..cycles {
            for (p0, p1, d) in [(55e6, 150e6, 8.0 * MIN), (150e6, 55e6, 10_000.0)] {
                b.advance_line(t, t + d, p0, p1);
                facility_wms += (p0 + p1) / 2.0 * d;
                t += d;
            }
        }
        facility_wms
    }

    #[test]
    fn behind_a_ramping_facility_energy_balances_and_the_store_stays_in_bounds() {
        for s in [spec(50.0, 100.0, 10.0), spec(0.5, 20.0, 2.0), spec(200.0, 200.0, 1.0), spec(0.0, 0.0, 10.0)] {
            let mut b = Battery::new(s, 55e6);
            let facility_wms = saw(&mut b, 300);
            let lhs = b.grid_wms / MS_PER_H;
            let rhs = facility_wms / MS_PER_H + b.losses_wh() + (b.stored_wh - b.stored_start_wh);
            assert!((lhs - rhs).abs() <= 1e-9 * lhs, "{lhs} vs {rhs}");
            assert!(b.stored_wh >= -1e-6 && b.stored_wh <= b.spec.capacity_wh + 1e-6, "{}", b.stored_wh);
        }
        // No battery: the grid is the facility, ramps and all, and never steps.
        let mut none = Battery::new(spec(0.0, 0.0, 10.0), 55e6);
        let facility_wms = saw(&mut none, 10);
        none.flush();
        assert!((none.grid_wms - facility_wms).abs() <= 1e-9 * facility_wms && none.steps == 0);
        assert!((none.ramps[0].worst_fall - 9.5e6).abs() < 1.0, "95 MW in 10 s: 9.5 MW in a second");
    }

    #[test]
    fn a_facility_ramping_slower_than_the_grid_limit_is_followed_without_the_battery() {
        // 11.875 MW/min, under a 20 MW/min limit: the grid follows it, the battery idles.
        let mut b = Battery::new(BatterySpec { restore_w: 0.0, ..spec(10.0, 100.0, 20.0) }, 55e6);
        b.advance_line(0.0, 8.0 * MIN, 55e6, 150e6);
        assert_eq!((b.charged_wh, b.discharged_wh), (0.0, 0.0));
        assert!((b.grid_w - 150e6).abs() < 1e-3 && (b.grid_wms - (55e6 + 150e6) / 2.0 * 8.0 * MIN).abs() < 1.0);
        // Steeper than the limit: the grid climbs at 20 MW/min, the battery gives the rest.
        let mut c = Battery::new(BatterySpec { restore_w: 0.0, ..spec(10.0, 100.0, 20.0) }, 55e6);
        c.advance_line(0.0, MIN, 55e6, 95e6);
        assert!((c.grid_w - 75e6).abs() < 1e-3, "{}", c.grid_w);
        // It gave the triangle between the two lines: 20 MW over a minute, halved.
        assert!((c.discharged_wh - 20e6 / 60.0 / 2.0).abs() < 1e-3, "{}", c.discharged_wh);
    }

    /// A band of 90–130 MW over a facility swinging between 150 and 55 MW (in steps, or
    /// ramping), with as much energy above the band as below it give or take the losses:
    /// a battery large and fast enough holds the grid inside it, and the energy balances.
    #[test]
    fn a_battery_holds_the_grid_within_its_band() {
        let banded = BatterySpec { restore_w: 0.0, band_w: (90e6, 130e6), ..spec(100.0, 200.0, 1000.0) };
        let steps = [(150e6, 150e6, 7.0 * MIN), (55e6, 55e6, 4.0 * MIN)];
        let ramps = [(55e6, 150e6, 8.0 * MIN), (150e6, 55e6, 10_000.0)];
        for wave in [&steps, &ramps] {
            let mut b = Battery::new(banded.clone(), 120e6);
            b.advance(0, 60_000, 120e6);
            let facility_wms = 120e6 * MIN + waves(&mut b, 50, wave);
            assert!(b.peak_w <= 130e6 + 1e-3 && b.min_w >= 90e6 - 1e-3, "{} .. {}", b.min_w, b.peak_w);
            assert!(b.discharged_wh > 0.0 && b.charged_wh > 0.0 && b.steps == 0);
            let lhs = b.grid_wms / MS_PER_H;
            let rhs = facility_wms / MS_PER_H + b.losses_wh() + (b.stored_wh - b.stored_start_wh);
            assert!((lhs - rhs).abs() <= 1e-9 * lhs, "{lhs} vs {rhs}");
        }
        // Without a band the same battery passes the swings on (at its fast ramp).
        let mut free = Battery::new(BatterySpec { restore_w: 0.0, ..spec(100.0, 200.0, 1000.0) }, 120e6);
        free.advance(0, 60_000, 120e6);
        waves(&mut free, 50, &steps);
        assert!(free.peak_w > 149e6 && free.min_w < 56e6);
    }

    /// `cycles` times the pieces (facility from, to, over ms), from a minute in; their energy.
    fn waves(b: &mut Battery, cycles: u64, pieces: &[(f64, f64, f64)]) -> f64 {
        let (mut t, mut facility_wms) = (MIN, 0.0);
        for _ in 0..cycles {
            for &(p0, p1, d) in pieces {
                b.advance_line(t, t + d, p0, p1);
                facility_wms += (p0 + p1) / 2.0 * d;
                t += d;
            }
        }
        facility_wms
    }

    /// The store stays within its bounds where the battery's power changes sign in a
    /// phase (a charge is stored at η, a discharge costs 1/η) and when it starts a hair
    /// off zero at a bound.
    #[test]
    fn the_store_stays_in_bounds_where_the_battery_turns_from_giving_to_taking() {
        let full = BatterySpec { capacity_wh: 1e6, initial_soc: 1.0, target_soc: 1.0, restore_w: 0.0, ..spec(1.0, 50.0, 10.0) };
        let mut b = Battery::new(full, 100e6);
        b.advance(0, 1000, 100e6);
        // Giving a milliwatt, then the facility falls 1 MW/s for 20 s: it would take in more than it has room for.
        b.grid_w = 100e6 - 1e-3;
        b.advance_line(1000.0, 21_000.0, 100e6, 80e6);
        assert!(b.stored_wh <= 1e6 + 1e-6, "{}", b.stored_wh);
        let empty =
            BatterySpec { capacity_wh: 1e6, initial_soc: 0.0, target_soc: 0.0, restore_w: 0.0, round_trip: 0.81, ..spec(1.0, 50.0, 10.0) };
        let mut e = Battery::new(empty, 100e6);
        e.advance(0, 1000, 100e6);
        // Taking 5 MW, then the facility climbs 1 MW/s: what it gives back must come from what it took.
        e.grid_w = 105e6;
        e.advance_line(1000.0, 21_000.0, 100e6, 120e6);
        assert!(e.stored_wh >= -1e-6, "{}", e.stored_wh);
    }

    /// p − (p + P) rounds to a hair past −P where p + P crosses a power of two: that is
    /// the limit, not beyond it (no step, and no pass without progress).
    #[test]
    fn a_hair_past_the_power_limit_is_the_limit() {
        let s = BatterySpec {
            capacity_wh: 5e5,
            power_w: 2e7,
            target_soc: 0.55,
            restore_w: 0.0,
            ramp_w_per_ms: 436.5297214905111,
            ..spec(1.0, 20.0, 1.0)
        };
        let mut b = Battery::new(s, 100e6);
        b.advance(0, 1000, 100e6);
        let p = 58287468.92424371;
        b.grid_w = 78287468.92424372;
        let steps = b.steps;
        b.advance_line(1000.0, 1584.0, p, p);
        assert_eq!(b.steps, steps, "the grid ramps down at its limit");
    }

    #[test]
    fn the_ramp_is_linear_and_its_integral_the_trapezoid() {
        // From 150 to 55 MW at 10 MW/min: 9.5 min of ramp, then flat.
        let mut b = Battery::new(BatterySpec { restore_w: 0.0, ..spec(100.0, 200.0, 10.0) }, 150e6);
        // A minute at 150 MW (time zero sets the draw, it does not step it), then the fall.
        b.advance(0, 60_000, 150e6);
        b.advance(60_000, 21 * 60_000, 55e6);
        let ramp_ms = 9.5 * MIN;
        let want = 150e6 * MIN + (150e6 + 55e6) / 2.0 * ramp_ms + 55e6 * (20.0 * MIN - ramp_ms);
        assert!((b.grid_wms - want).abs() < 1e-6 * want, "{} vs {want}", b.grid_wms);
        assert_eq!(b.grid_w, 55e6);
        // The battery took in what the grid drew above the facility: (95 MW × 9.5 min) / 2.
        assert!((b.charged_wh - 95e6 * 9.5 / 60.0 / 2.0).abs() < 1e-3);
    }
}
