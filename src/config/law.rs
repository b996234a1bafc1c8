//! Probability laws for durations (hours), and the trait through which user
//! code can plug in a law of its own.

use super::num::{NonNeg, Positive};
use crate::engine::SimRng;
use rand::RngExt;
use rand_distr::{Distribution, LogNormal, Weibull};
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// A law of a random duration in hours. Implement it in your own crate to give
/// a failure class a time-to-failure law gigasim does not ship.
pub trait DurationLaw: Debug + Send + Sync {
    /// One draw, in hours (≥ 0; `f64::INFINITY` means never).
    fn sample_hours(&self, rng: &mut SimRng) -> f64;
    /// The mean, in hours.
    fn mean_hours(&self) -> f64;
    /// The first draw of a unit's clock, in hours. A periodic law starts at a
    /// random phase so that units do not all fire together.
    fn first_hours(&self, rng: &mut SimRng) -> f64 {
        self.sample_hours(rng)
    }
    /// A draw of the time left for a unit that has run `age_hours` without failing
    /// (the law conditioned on surviving that long). Default: a fresh draw, as if
    /// new; exponential laws are memoryless anyway, and Weibull laws condition exactly.
    fn residual_hours(&self, _age_hours: f64, rng: &mut SimRng) -> f64 {
        self.sample_hours(rng)
    }
    /// `Some(rate per hour)` if the law is exponential. The simulator then merges
    /// the identical clocks of many entities into one Poisson stream, which is
    /// statistically exact for memoryless laws and much cheaper.
    fn exponential_rate(&self) -> Option<f64> {
        None
    }
}

/// The built-in laws, as written in model files, e.g. `Weibull(shape: 0.7, scale_hours: 5000)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Law {
    /// Always the same duration.
    Fixed { hours: NonNeg },
    /// Exponential with the given mean.
    Exponential { mean_hours: Positive },
    /// Exponential with the given rate (events per hour); 0 means never.
    ExponentialRate { per_hour: NonNeg },
    /// Weibull: shape k (< 1: decreasing hazard, infant mortality), scale λ.
    Weibull { shape: Positive, scale_hours: Positive },
    /// Log-normal given by its median and the σ of the underlying normal.
    LogNormal { median_hours: Positive, sigma: NonNeg },
    /// Uniform between two bounds.
    Uniform { min_hours: NonNeg, max_hours: NonNeg },
    /// Every `every_hours`, as planned maintenance: a unit's first time is at a
    /// uniform random phase within the period (units take their turns).
    Periodic { every_hours: Positive },
    /// A weighted mix of laws: each draw picks a part with probability weight / Σ weights.
    Mixture { parts: Vec<(Positive, Law)> },
}

impl Law {
    pub fn fixed(hours: f64) -> Self {
        Law::Fixed { hours: NonNeg::new(hours) }
    }
    pub fn exponential_mean(mean_hours: f64) -> Self {
        Law::Exponential { mean_hours: Positive::new(mean_hours) }
    }
    /// Cross-field checks that serde cannot do alone; `Err` names the problem.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Law::Uniform { min_hours, max_hours } if min_hours.get() > max_hours.get() => {
                Err(format!("min_hours ({min_hours}) is above max_hours ({max_hours}); allowed: min_hours <= max_hours"))
            }
            Law::Mixture { parts } if parts.is_empty() => Err("has no parts; allowed: one or more (weight, law) pairs".into()),
            Law::Mixture { parts } => parts.iter().enumerate().try_for_each(|(i, (_, l))| l.check().map_err(|m| format!("part {i}: {m}"))),
            _ => Ok(()),
        }
    }
}

impl Law {
    /// The part of a mixture a uniform draw `u` in [0, 1) picks.
    fn pick(parts: &[(Positive, Law)], u: f64) -> &Law {
        let total: f64 = parts.iter().map(|p| p.0.get()).sum();
        let mut x = u * total;
        for (w, l) in parts {
            if x < w.get() {
                return l;
            }
            x -= w.get();
        }
        &parts[parts.len() - 1].1
    }
}

impl DurationLaw for Law {
    fn first_hours(&self, rng: &mut SimRng) -> f64 {
        match self {
            Law::Periodic { every_hours } => every_hours.get() * rng.random::<f64>(),
            _ => self.sample_hours(rng),
        }
    }

    fn residual_hours(&self, age_hours: f64, rng: &mut SimRng) -> f64 {
        match *self {
            // Inverting S(a + t) / S(a) = 1 − u: t = λ((a/λ)^k − ln(1 − u))^(1/k) − a.
            Law::Weibull { shape, scale_hours } if age_hours > 0.0 => {
                let (k, l) = (shape.get(), scale_hours.get());
                let h = (age_hours / l).powf(k) - (1.0 - rng.random::<f64>()).ln();
                (l * h.powf(1.0 / k) - age_hours).max(0.0)
            }
            _ => self.sample_hours(rng),
        }
    }

    fn sample_hours(&self, rng: &mut SimRng) -> f64 {
        match *self {
            Law::Periodic { every_hours } => every_hours.get(),
            Law::Mixture { ref parts } => {
                let u = rng.random::<f64>();
                Law::pick(parts, u).sample_hours(rng)
            }
            Law::Fixed { hours } => hours.get(),
            Law::Exponential { mean_hours } => exp_draw(rng, mean_hours.get()),
            Law::ExponentialRate { per_hour } => {
                if per_hour.get() == 0.0 {
                    f64::INFINITY
                } else {
                    exp_draw(rng, 1.0 / per_hour.get())
                }
            }
            Law::Weibull { shape, scale_hours } => {
                // Parameters were validated positive and finite when loaded.
                Weibull::new(scale_hours.get(), shape.get()).map_or(f64::INFINITY, |d| d.sample(rng))
            }
            Law::LogNormal { median_hours, sigma } => {
                LogNormal::new(median_hours.get().ln(), sigma.get()).map_or(median_hours.get(), |d| d.sample(rng))
            }
            Law::Uniform { min_hours, max_hours } => {
                let (a, b) = (min_hours.get(), max_hours.get());
                a + (b - a) * rng.random::<f64>()
            }
        }
    }

    fn mean_hours(&self) -> f64 {
        match *self {
            Law::Periodic { every_hours } => every_hours.get(),
            Law::Mixture { ref parts } => {
                let total: f64 = parts.iter().map(|p| p.0.get()).sum();
                parts.iter().map(|(w, l)| w.get() / total * l.mean_hours()).sum()
            }
            Law::Fixed { hours } => hours.get(),
            Law::Exponential { mean_hours } => mean_hours.get(),
            Law::ExponentialRate { per_hour } => 1.0 / per_hour.get(),
            Law::Weibull { shape, scale_hours } => scale_hours.get() * gamma(1.0 + 1.0 / shape.get()),
            Law::LogNormal { median_hours, sigma } => median_hours.get() * (sigma.get().powi(2) / 2.0).exp(),
            Law::Uniform { min_hours, max_hours } => (min_hours.get() + max_hours.get()) / 2.0,
        }
    }

    fn exponential_rate(&self) -> Option<f64> {
        match *self {
            Law::Exponential { mean_hours } => Some(1.0 / mean_hours.get()),
            Law::ExponentialRate { per_hour } => Some(per_hour.get()),
            _ => None,
        }
    }
}

/// Inverse-transform exponential draw; `1 - u` keeps the argument of ln in (0, 1].
#[inline]
pub fn exp_draw(rng: &mut SimRng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

/// Lanczos approximation of Γ(x) for x > 0 (about 15 significant digits).
pub fn gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma(1.0 - x))
    } else {
        let x = x - 1.0;
        let mut a = C[0];
        let t = x + G + 0.5;
        for (i, c) in C.iter().enumerate().skip(1) {
            a += c / (x + i as f64);
        }
        (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn gamma_matches_known_values() {
        assert!((gamma(1.0) - 1.0).abs() < 1e-12);
        assert!((gamma(5.0) - 24.0).abs() < 1e-10);
        assert!((gamma(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn sample_means_agree_with_mean_hours() {
        // n = 200k draws: the sample mean's standard error is sd/sqrt(n); 4 SE bound.
        let laws = [
            (Law::exponential_mean(3.0), 3.0),
            (
                Law::Weibull { shape: Positive::new(0.7), scale_hours: Positive::new(10.0) },
                10.0 * (gamma(1.0 + 2.0 / 0.7) - gamma(1.0 + 1.0 / 0.7).powi(2)).sqrt(),
            ),
            (
                Law::LogNormal { median_hours: Positive::new(2.0), sigma: NonNeg::new(0.5) },
                2.0 * ((0.25f64).exp() * ((0.25f64).exp() - 1.0)).sqrt(),
            ),
            (Law::Uniform { min_hours: NonNeg::new(1.0), max_hours: NonNeg::new(3.0) }, 2.0 / 12f64.sqrt()),
            // Mixture of Exp(1) and Exp(9), weights 3:1: mean 3, E[X²] = 0.75·2 + 0.25·162 = 42.
            (
                Law::Mixture {
                    parts: vec![(Positive::new(3.0), Law::exponential_mean(1.0)), (Positive::new(1.0), Law::exponential_mean(9.0))],
                },
                (42.0f64 - 9.0).sqrt(),
            ),
        ];
        let n = 200_000;
        for (law, sd) in laws {
            let mut rng = SimRng::seed_from_u64(7);
            let m: f64 = (0..n).map(|_| law.sample_hours(&mut rng)).sum::<f64>() / n as f64;
            let se = sd / (n as f64).sqrt();
            assert!((m - law.mean_hours()).abs() < 4.0 * se, "{law:?}: {m} vs {}", law.mean_hours());
        }
    }
}
