use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// Simulation time in integer milliseconds since the start of the run.
/// Integers keep event ordering exact and runs bit-reproducible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of simulation time in integer milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

const MS_PER_HOUR: f64 = 3_600_000.0;

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms)
    }
    pub const fn as_millis(self) -> u64 {
        self.0
    }
    /// Rounded to the nearest millisecond; negative or NaN become zero.
    pub fn from_hours(h: f64) -> Self {
        SimTime(Duration::from_hours(h).0)
    }
    pub fn as_hours(self) -> f64 {
        self.0 as f64 / MS_PER_HOUR
    }
    pub fn since(self, earlier: SimTime) -> Duration {
        Duration(self.0 - earlier.0)
    }
}

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms)
    }
    pub const fn as_millis(self) -> u64 {
        self.0
    }
    /// Durations drawn from distributions are rounded once, here. Values beyond
    /// ~500 million years saturate (an "infinite" time to failure).
    pub fn from_hours(h: f64) -> Self {
        let x = h * MS_PER_HOUR;
        if x.is_nan() || x <= 0.0 {
            Duration(0)
        } else if x >= u64::MAX as f64 / 4.0 {
            Duration(u64::MAX / 4)
        } else {
            // x.round() (half away from zero) without the libm call: below 2^62 the
            // cast truncates exactly and x − trunc(x) is exact.
            let t = x as u64;
            Duration(t + (x - t as f64 >= 0.5) as u64)
        }
    }
    pub fn as_hours(self) -> f64 {
        self.0 as f64 / MS_PER_HOUR
    }
}

impl Add<Duration> for SimTime {
    type Output = SimTime;
    #[inline]
    fn add(self, d: Duration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}
impl AddAssign<Duration> for SimTime {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}
impl Sub for SimTime {
    type Output = Duration;
    fn sub(self, o: SimTime) -> Duration {
        Duration(self.0 - o.0)
    }
}
impl Add for Duration {
    type Output = Duration;
    fn add(self, o: Duration) -> Duration {
        Duration(self.0.saturating_add(o.0))
    }
}
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} h", self.as_hours())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_hours_rounds_like_f64_round() {
        let reference = |h: f64| {
            let ms = (h * MS_PER_HOUR).round();
            if ms.is_nan() || ms <= 0.0 {
                0
            } else if ms >= u64::MAX as f64 / 4.0 {
                u64::MAX / 4
            } else {
                ms as u64
            }
        };
        let mut hs =
            vec![0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, 0.5 / MS_PER_HOUR, 1.5 / MS_PER_HOUR, 2.5 / MS_PER_HOUR];
        hs.extend([0.4999999999999999, 0.5, 0.5000000000000001, 1.4999999999999998, 2.5].map(|ms: f64| ms / MS_PER_HOUR));
        hs.extend(
            [(1u64 << 52) as f64, (1u64 << 53) as f64 + 2.0, u64::MAX as f64 / 4.0, u64::MAX as f64 / 4.0 - 4096.0]
                .map(|ms| ms / MS_PER_HOUR),
        );
        let mut x = 0.123_456_789_f64;
        for _ in 0..100_000 {
            x = (x * 3.987_654_321).fract() * 10f64.powi((x * 1e6) as i32 % 16 - 4);
            hs.push(x);
        }
        for h in hs {
            assert_eq!(Duration::from_hours(h).as_millis(), reference(h), "{h:e} h");
        }
    }
}
