//! What a site costs (`models/cost/*.ron`): capital, operations, and the price
//! and carbon intensity of its electricity, constant or hourly from a CSV file.

use super::load::InputError;
use super::num::{MAX_VALUE, NonNeg, Positive};
use serde::{Deserialize, Serialize};

/// Capital: chips (with their servers and network) and the facility's power capacity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capital {
    pub per_chip_eur: NonNeg,
    pub chip_amortisation_years: Positive,
    /// Per MW of design power (every chip busy, every node and rack up, times PUE).
    pub per_facility_mw_eur: NonNeg,
    pub facility_amortisation_years: Positive,
}

/// The price and carbon intensity of the site's electricity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Electricity {
    Constant {
        eur_per_mwh: super::num::Finite,
        g_co2_per_kwh: NonNeg,
    },
    /// An hourly series (`timestamp,eur_per_mwh,g_co2_per_kwh`, a whole year from
    /// 1 January 00:00 UTC), relative to the cost file, aligned to the scenario's
    /// start date by day of year and hour; optionally rescaled to an annual mean price.
    Hourly {
        file: String,
        #[serde(default)]
        mean_eur_per_mwh: Option<Positive>,
    },
}

/// `models/cost/*.ron`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostModel {
    pub name: String,
    pub capital: Capital,
    /// Staff, maintenance and spares, € a year.
    pub operations_eur_per_year: NonNeg,
    pub electricity: Electricity,
}

/// Hourly price (€/MWh) and carbon intensity (gCO2/kWh) from the start of a year.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceSeries {
    pub eur_per_mwh: Vec<f64>,
    pub g_co2_per_kwh: Vec<f64>,
}

impl PriceSeries {
    /// The series a cost model names (read from disk for `Hourly`).
    pub fn load(e: &Electricity) -> Result<Self, InputError> {
        match e {
            Electricity::Constant { eur_per_mwh, g_co2_per_kwh } => {
                Ok(Self { eur_per_mwh: vec![eur_per_mwh.get()], g_co2_per_kwh: vec![g_co2_per_kwh.get()] })
            }
            Electricity::Hourly { file, mean_eur_per_mwh } => {
                // An hourly series: 100 years is 30 MB.
                let text = super::read_input(std::path::Path::new(file), 256 << 20).map_err(|e| super::load::unreadable(file, &e))?;
                super::files::label(std::path::Path::new(file), "prices");
                let mut s = Self::parse(file, &text)?;
                if let Some(m) = mean_eur_per_mwh {
                    let mean = s.eur_per_mwh.iter().sum::<f64>() / s.eur_per_mwh.len() as f64;
                    if mean <= 0.0 {
                        return Err(InputError::new(
                            file,
                            None,
                            format!("mean price {mean:.3} €/MWh cannot be rescaled; allowed: a series with a positive mean"),
                        ));
                    }
                    let k = m.get() / mean;
                    s.eur_per_mwh.iter_mut().for_each(|p| *p *= k);
                }
                Ok(s)
            }
        }
    }

    /// Parse the CSV text: consecutive hours from 1 January 00:00 UTC.
    pub fn parse(file: &str, text: &str) -> Result<Self, InputError> {
        let err = |line: usize, col: usize, field: &str, m: String| InputError {
            file: file.to_string(),
            line_col: Some((line, col)),
            field: Some(field.to_string()),
            message: m,
        };
        let mut rows = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
        let (hl, header) =
            rows.next().ok_or_else(|| InputError::new(file, None, "no header; allowed: timestamp,eur_per_mwh,g_co2_per_kwh"))?;
        let cols: Vec<&str> = header.split(',').map(str::trim).collect();
        let at = |name: &str| {
            cols.iter().position(|c| *c == name).ok_or_else(|| {
                err(hl + 1, 1, name, format!("the header `{header}` has no column `{name}`; allowed: timestamp,eur_per_mwh,g_co2_per_kwh"))
            })
        };
        let (ti, pi, ci) = (at("timestamp")?, at("eur_per_mwh")?, at("g_co2_per_kwh")?);
        let mut s = Self { eur_per_mwh: Vec::new(), g_co2_per_kwh: Vec::new() };
        let mut first: Option<i64> = None;
        for (i, line) in rows {
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            let cell = |k: usize, name: &str| {
                f.get(k).copied().ok_or_else(|| err(i + 1, k + 1, name, "missing; allowed: a value in every column".into()))
            };
            let ts = cell(ti, "timestamp")?;
            let hour = hours_since_epoch(ts)
                .ok_or_else(|| err(i + 1, ti + 1, "timestamp", format!("got `{ts}`; allowed: YYYY-MM-DDTHH:00:00Z (UTC)")))?;
            let start = *first.get_or_insert(hour);
            if s.eur_per_mwh.is_empty() && !ts.contains("-01-01T00:") {
                return Err(err(i + 1, ti + 1, "timestamp", format!("got `{ts}`; allowed: a series starting on 1 January at 00:00 UTC")));
            }
            if hour != start + s.eur_per_mwh.len() as i64 {
                return Err(err(
                    i + 1,
                    ti + 1,
                    "timestamp",
                    format!("got `{ts}`; allowed: the hour after the row before (no gaps or repeats)"),
                ));
            }
            let num = |k: usize, name: &str, ok: fn(f64) -> bool, allowed: &str| -> Result<f64, InputError> {
                let v = cell(k, name)?;
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && ok(*x))
                    .ok_or_else(|| err(i + 1, k + 1, name, format!("got `{v}`; allowed: {allowed}")))
            };
            s.eur_per_mwh.push(num(
                pi,
                "eur_per_mwh",
                |x| x.abs() <= MAX_VALUE,
                "a number from -1e15 to 1e15 (negative prices are allowed)",
            )?);
            s.g_co2_per_kwh.push(num(ci, "g_co2_per_kwh", |x| (0.0..=MAX_VALUE).contains(&x), "a number from 0 to 1e15")?);
        }
        if !(8760..=8784).contains(&s.eur_per_mwh.len()) {
            return Err(InputError::new(file, None, format!("{} hours; allowed: a whole year, 8,760 or 8,784 hours", s.eur_per_mwh.len())));
        }
        Ok(s)
    }

    /// Price and intensity of hour `h` of a run that starts on day of year `day` (0-based).
    pub fn at(&self, day: u32, h: usize) -> (f64, f64) {
        let i = (day as usize * 24 + h) % self.eur_per_mwh.len();
        (self.eur_per_mwh[i], self.g_co2_per_kwh[i])
    }
}

/// Hours since 1970-01-01T00Z of `YYYY-MM-DDTHH:00:00Z`.
fn hours_since_epoch(ts: &str) -> Option<i64> {
    let b = ts.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || &ts[13..] != ":00:00Z" {
        return None;
    }
    let n = |r: std::ops::Range<usize>| ts.get(r)?.parse::<i64>().ok();
    let (y, m, d, h) = (n(0..4)?, n(5..7)?, n(8..10)?, n(11..13)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 24 + h)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Day of year (0-based) of `YYYY-MM-DD`, or `None` if it is not such a date.
pub fn day_of_year(date: &str) -> Option<u32> {
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| date.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let days_in = [31, if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > days_in[(m - 1) as usize] {
        return None;
    }
    Some((days_from_civil(y, m, d) - days_from_civil(y, 1, 1)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_hours() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(hours_since_epoch("2018-01-01T00:00:00Z"), Some(days_from_civil(2018, 1, 1) * 24));
        assert_eq!(day_of_year("2026-03-01"), Some(59));
        assert_eq!(day_of_year("2024-03-01"), Some(60));
        assert_eq!(day_of_year("2026-02-29"), None);
        assert_eq!(hours_since_epoch("2018-01-01 00:00"), None);
    }

    #[test]
    fn a_series_must_be_whole_consecutive_hours() {
        let mut text = String::from("# c\ntimestamp,eur_per_mwh,g_co2_per_kwh\n");
        for h in 0..8760 {
            let t = days_from_civil(2018, 1, 1) * 24 + h;
            let (d, hh) = (t.div_euclid(24), t.rem_euclid(24));
            // Back to a date: walk from 2018-01-01.
            let doy = d - days_from_civil(2018, 1, 1);
            let mut m = 1;
            let mut left = doy;
            let len = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            while left >= len[m - 1] {
                left -= len[m - 1];
                m += 1;
            }
            text += &format!("2018-{m:02}-{:02}T{hh:02}:00:00Z,{},100\n", left + 1, h % 7);
        }
        let s = PriceSeries::parse("p.csv", &text).unwrap();
        assert_eq!((s.eur_per_mwh.len(), s.at(0, 8), s.at(1, 0).0, s.at(364, 24).0), (8760, (1.0, 100.0), 3.0, 0.0));
        let gap = text.replacen("2018-01-01T05:00:00Z", "2018-01-01T06:00:00Z", 1);
        let e = PriceSeries::parse("p.csv", &gap).unwrap_err();
        assert_eq!(e.line_col, Some((8, 1)));
        assert!(e.message.contains("the hour after"), "{e}");
        let bad = text.replacen(",3,100", ",x,100", 1);
        assert!(PriceSeries::parse("p.csv", &bad).unwrap_err().to_string().contains("eur_per_mwh"));
    }
}
