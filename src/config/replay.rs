//! Failure traces: failures read from a CSV file instead of drawn from laws. The
//! columns `time_h`, `class` and `unit` are read (others are ignored), so a
//! `failures.csv` that gigasim wrote replays as it is.

use super::{Facility, FailureClassSpec, InputError, Level};
use std::path::Path;

/// A bigger file is refused rather than read into memory.
const MAX_BYTES: u64 = 1 << 30;

/// One failure of a trace: when (hours from the start), which class, which unit at its level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplayedFailure {
    pub time_h: f64,
    pub class: u16,
    pub unit: u32,
    /// For a silent or fail-slow fault: how long after `time_h` (its onset) it was found.
    pub found_after_h: Option<f64>,
}

/// Units of a site at `level`.
fn units(f: &Facility, level: Level) -> u64 {
    match level {
        Level::Chip => f.chips(),
        Level::Node => f.nodes(),
        Level::Rack => f.racks(),
        Level::Pod => f.pods.get() as u64,
    }
}

/// Read a failure trace from `path`; see [`parse_failure_trace`].
pub fn read_failure_trace(path: &Path, classes: &[FailureClassSpec], site: &Facility) -> Result<Vec<ReplayedFailure>, InputError> {
    let file = path.display().to_string();
    let text = super::read_input(path, MAX_BYTES).map_err(|e| super::unreadable(&file, &e))?;
    super::files::label(path, "failure trace");
    parse_failure_trace(&file, &text, classes, site)
}

/// Parse a failure trace: a CSV with a header naming at least `time_h` (hours from the
/// start, ≥ 0), `class` (a class name of the failure model) and `unit` (the unit's id at
/// its class's level, below the site's count). An optional `onset_h` column (as
/// failures.csv has) gives a silent or fail-slow fault's onset, `time_h` being when it
/// was found. Rows come back sorted by time (ties in file order). Errors name the file,
/// the line, the column and what is allowed.
pub fn parse_failure_trace(
    file: &str,
    text: &str,
    classes: &[FailureClassSpec],
    site: &Facility,
) -> Result<Vec<ReplayedFailure>, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut r = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let at = |line: usize, col: usize, field: &str, message: String| InputError {
        file: file.into(),
        line_col: Some((line, col)),
        field: Some(field.into()),
        message,
    };
    let header = r.headers().map_err(|e| InputError::new(file, None, format!("cannot read the header: {e}")))?.clone();
    let column = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            InputError::new(file, Some(name.into()), format!("no `{name}` column; allowed: a header naming time_h, class and unit"))
        })
    };
    let (t, c, u) = (column("time_h")?, column("class")?, column("unit")?);
    let onset = header.iter().position(|h| h == "onset_h");
    let names: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| InputError { file: file.into(), line_col: Some((line, 1)), field: None, message: e.to_string() })?;
        let get = |k: usize| rec.get(k).unwrap_or("");
        let time_h =
            get(t).parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0).ok_or_else(|| {
                at(line, t + 1, "time_h", format!("got `{}`; allowed: hours from the start, a finite number >= 0", get(t)))
            })?;
        let class = names.iter().position(|n| *n == get(c)).ok_or_else(|| {
            at(line, c + 1, "class", format!("got `{}`; allowed: a class of the failure model: {}", get(c), names.join(", ")))
        })?;
        let max = units(site, classes[class].level);
        let unit = get(u).parse::<u64>().ok().filter(|&v| v < max).ok_or_else(|| {
            let level = classes[class].level.label();
            at(line, u + 1, "unit", format!("got `{}`; allowed: a {level} id from 0 to {} (class `{}`)", get(u), max - 1, names[class]))
        })?;
        let (time_h, found_after_h) = match onset.map(get).filter(|v| !v.is_empty()) {
            None => (time_h, None),
            Some(v) => {
                let o = v.parse::<f64>().ok().filter(|o| o.is_finite() && *o >= 0.0 && *o <= time_h).ok_or_else(|| {
                    at(line, onset.unwrap_or(0) + 1, "onset_h", format!("got `{v}`; allowed: empty, or hours from 0 to time_h ({time_h})"))
                })?;
                (o, Some(time_h - o))
            }
        };
        out.push(ReplayedFailure { time_h, class: class as u16, unit: unit as u32, found_after_h });
    }
    out.sort_by(|a, b| a.time_h.total_cmp(&b.time_h));
    Ok(out)
}
