//! Validated numbers. Checking inside `Deserialize` makes a bad value fail
//! while the parser still knows the line, and serde_path_to_error the field.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! checked_f64 {
    ($name:ident, $doc:literal, $ok:expr, $allowed:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
        #[serde(try_from = "f64", into = "f64")]
        pub struct $name(f64);

        impl $name {
            pub const ALLOWED: &'static str = $allowed;
            /// Panics if `v` is out of range; for values fixed in code.
            pub fn new(v: f64) -> Self {
                Self::try_from(v).expect("value in range")
            }
            #[inline]
            pub fn get(self) -> f64 {
                self.0
            }
        }
        impl TryFrom<f64> for $name {
            type Error = String;
            fn try_from(v: f64) -> Result<Self, String> {
                let ok: fn(f64) -> bool = $ok;
                if v.is_finite() && ok(v) { Ok(Self(v)) } else { Err(format!("got {}, allowed: {}", show(v), $allowed)) }
            }
        }
        impl From<$name> for f64 {
            fn from(v: $name) -> f64 {
                v.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

/// A number as a message shows it: plain when of ordinary size, else in
/// scientific notation (never 309 digits).
pub fn show(v: f64) -> String {
    if v == 0.0 || (1e-9..1e15).contains(&v.abs()) || !v.is_finite() { format!("{v}") } else { format!("{v:e}") }
}

/// The largest value any model number takes: far above every physical quantity
/// in the models (hours, watts, rates, bytes), and small enough that sums and
/// products of a few of them over a run stay finite.
pub const MAX_VALUE: f64 = 1e15;

/// The smallest non-zero magnitude: a millionth of the 1 ms clock tick in hours is
/// 3e-13, so nothing a model means is smaller, and an inverse (a time from a rate, a
/// rate from a time) stays within 1e12.
pub const MIN_VALUE: f64 = 1e-12;

checked_f64!(
    NonNeg,
    "0, or a finite number from 1e-12 to 1e15.",
    |v| v == 0.0 || (MIN_VALUE..=MAX_VALUE).contains(&v),
    "a finite number >= 0 (0, or from 1e-12 to 1e15)"
);
checked_f64!(
    Positive,
    "A finite number from 1e-12 to 1e15.",
    |v| (MIN_VALUE..=MAX_VALUE).contains(&v),
    "a finite number > 0, from 1e-12 to 1e15"
);
checked_f64!(
    Finite,
    "A finite number from -1e15 to 1e15 (a price may be negative).",
    |v| v.abs() <= MAX_VALUE,
    "a finite number from -1e15 to 1e15"
);
checked_f64!(Prob, "A probability in [0, 1].", |v| (0.0..=1.0).contains(&v), "a probability from 0 to 1");
checked_f64!(
    AtLeastOne,
    "A finite number ≥ 1 (a PUE; at most 1e15).",
    |v| (1.0..=MAX_VALUE).contains(&v),
    "a finite number >= 1 and at most 1e15"
);

/// A whole number ≥ 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "u64")]
pub struct Count(u32);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Whole { min: 1, max: u32::MAX as u64 }).map(|v| Count(v as u32))
    }
}

impl Count {
    pub fn new(v: u32) -> Self {
        Self::try_from(v as i64).expect("count >= 1")
    }
    #[inline]
    pub fn get(self) -> u32 {
        self.0
    }
}
impl TryFrom<i64> for Count {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        if (1..=u32::MAX as i64).contains(&v) {
            Ok(Self(v as u32))
        } else {
            Err(format!("got {v}, allowed: a whole number from 1 to {}", u32::MAX))
        }
    }
}
impl From<Count> for u64 {
    fn from(v: Count) -> u64 {
        v.0 as u64
    }
}

/// For `#[serde(deserialize_with)]` on whole-number fields that may be 0: a
/// negative or fractional value gets a message saying what is allowed.
pub fn whole_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    d.deserialize_any(Whole { min: 0, max: u32::MAX as u64 }).map(|v| v as u32)
}

pub fn whole_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(Whole { min: 0, max: u64::MAX })
}

/// A whole number in `min..=max`, written as an integer or as a whole float (`4e3`);
/// anything else is refused with the range allowed.
struct Whole {
    min: u64,
    max: u64,
}

impl Whole {
    fn bad<E: serde::de::Error>(&self, got: impl fmt::Display) -> E {
        E::custom(format!("got {got}, allowed: a whole number from {} to {}", self.min, self.max))
    }
}

impl serde::de::Visitor<'_> for Whole {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a whole number from {} to {}", self.min, self.max)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
        if (self.min..=self.max).contains(&v) { Ok(v) } else { Err(self.bad(v)) }
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
        if v >= 0 { self.visit_u64(v as u64) } else { Err(self.bad(v)) }
    }
    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| self.bad(v)).and_then(|v| self.visit_u64(v))
    }
    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| self.bad(v)).and_then(|v| self.visit_u64(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
        // 2^64 and beyond do not convert exactly: refused as out of range.
        if v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) { self.visit_u64(v as u64) } else { Err(self.bad(show(v))) }
    }
}
