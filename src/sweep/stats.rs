//! Point statistics: mean, sample standard deviation, Student-t 95% interval.

use statrs::distribution::{ContinuousCDF, StudentsT};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointStats {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n − 1); NaN for fewer than two runs.
    pub sd: f64,
    pub ci_lo: f64,
    pub ci_hi: f64,
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
pub fn t_quantile_975(df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(0.975))
}

pub fn point_stats(xs: &[f64]) -> PointStats {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return PointStats { n, mean, sd: f64::NAN, ci_lo: f64::NAN, ci_hi: f64::NAN };
    }
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let half = t_quantile_975((n - 1) as f64) * sd / (n as f64).sqrt();
    PointStats { n, mean, sd, ci_lo: mean - half, ci_hi: mean + half }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Standard table values of t_{0.975, df}.
        for (df, t) in [(1.0, 12.706204736), (4.0, 2.776445105), (9.0, 2.262157163), (29.0, 2.045229642)] {
            assert!((t_quantile_975(df) - t).abs() < 1e-6, "df {df}: {}", t_quantile_975(df));
        }
    }
}
