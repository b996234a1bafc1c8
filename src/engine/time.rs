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
        let ms = (h * MS_PER_HOUR).round();
        if ms.is_nan() || ms <= 0.0 {
            Duration(0)
        } else if ms >= u64::MAX as f64 / 4.0 {
            Duration(u64::MAX / 4)
        } else {
            Duration(ms as u64)
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
