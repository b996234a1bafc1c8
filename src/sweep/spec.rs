//! Sweep files (`models/sweeps/*.ron`): a base scenario, parameters by `--set`
//! path with lists or ranges of values (grid = their product), replications,
//! and the summary metrics to collect.

use crate::config::{self, Count, FileSystem, InputError, Positive, Scenario, parse_ron};
use crate::output::thousands;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    pub name: String,
    /// The scenario every point starts from, relative to the sweep file.
    pub base: String,
    /// Overrides applied to every point before the parameters (same syntax as `--set`).
    #[serde(default)]
    pub set: Vec<String>,
    pub parameters: Vec<Parameter>,
    /// Runs per point. Replication r uses the same seed at every point (common random numbers).
    pub replications: Count,
    /// Summary fields to collect, by path into summary.json, e.g. `ettr`, `power.max_drop_mw`, `frontier.0.ettr`.
    pub metrics: Vec<String>,
    /// Labels for charts, by metric or parameter path, e.g.
    /// `{"workload.frontier[0].checkpoint.interval_hours": "Checkpoint interval (h)"}`;
    /// optional: known paths have labels already.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// A `--set` path, e.g. `workload.frontier[0].checkpoint.interval_hours`.
    pub path: String,
    pub values: Values,
}

/// One value of a parameter: a number, or text (an enum variant's name, a string
/// field, or the path of a model file for a whole part such as `failure`).
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Num(f64),
    Text(String),
}

impl ParamValue {
    pub fn num(&self) -> Option<f64> {
        match self {
            ParamValue::Num(x) => Some(*x),
            ParamValue::Text(_) => None,
        }
    }
}

/// As runs.csv and points.csv write it: a number's shortest text, or the text itself.
impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Num(x) => write!(f, "{x}"),
            ParamValue::Text(s) => f.write_str(s),
        }
    }
}

impl From<f64> for ParamValue {
    fn from(x: f64) -> Self {
        ParamValue::Num(x)
    }
}

/// Numbers as f64 (so sweep.json of a numeric sweep is what it always was), text as strings.
impl Serialize for ParamValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ParamValue::Num(x) => s.serialize_f64(*x),
            ParamValue::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ParamValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_f64<E>(self, x: f64) -> Result<ParamValue, E> {
                Ok(ParamValue::Num(x))
            }
            fn visit_i64<E>(self, x: i64) -> Result<ParamValue, E> {
                Ok(ParamValue::Num(x as f64))
            }
            fn visit_u64<E>(self, x: u64) -> Result<ParamValue, E> {
                Ok(ParamValue::Num(x as f64))
            }
            fn visit_str<E>(self, x: &str) -> Result<ParamValue, E> {
                Ok(ParamValue::Text(x.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Values {
    /// Numbers, or strings: a model file for a whole part (`failure`, `facility`, `power`,
    /// `workload`, `cost`) relative to the sweep file, else a JSON string (an enum's variant).
    List(Vec<ParamValue>),
    /// Model files for a whole part, relative to the sweep file (as strings in `List`).
    Files(Vec<String>),
    /// from, from + step, … up to and including `to` (within 1e-9 of a step).
    Range { from: f64, to: f64, step: Positive },
    /// `n` evenly spaced values from `from` to `to`.
    Linspace { from: f64, to: f64, n: Count },
    /// `n` values evenly spaced in log scale from `from` to `to`.
    Logspace { from: Positive, to: Positive, n: Count },
}

/// Most values one parameter may take. A sweep's points.csv and charts are read by
/// people: 100,000 values already put several values on every pixel of a chart's
/// axis. A finer or wider grid is several sweeps (each with its own `--out`), which
/// also run in parallel on several machines.
pub const MAX_VALUES: usize = 100_000;
/// Most grid points of one sweep (the product of its parameters' value counts), for
/// the same reason: points.csv holds a row per point, and a chart a mark per point.
pub const MAX_POINTS: usize = 100_000;
/// Most replications per point. A point's 95% interval has a half-width of
/// t · sd / √n: at 100,000 replications it is already √100,000 ≈ 316 times narrower
/// than one run's spread (sd), far below any model's own uncertainty.
pub const MAX_REPLICATIONS: u32 = 100_000;

/// A count computed in f64 for messages: whole below 1e15, else in e-notation.
fn big(n: f64) -> String {
    if n < 1e15 { thousands(n as u64) } else { format!("{n:e}") }
}

impl Values {
    /// How many values [`Values::expand`] gives, computed without making them, so that
    /// a huge grid is refused before anything is allocated.
    pub fn count(&self) -> Result<usize, String> {
        let too_many = |what: String| {
            Err(format!(
                "{what}; allowed: at most {} values per parameter (a larger grid is several sweeps, each with its own --out)",
                thousands(MAX_VALUES as u64)
            ))
        };
        let n = match self {
            Values::List(v) => v.len(),
            Values::Files(v) => v.len(),
            Values::Range { from, to, step } => {
                if from.partial_cmp(to).is_none_or(|o| o.is_gt()) {
                    return Err(format!("Range from {from} to {to} is empty; allowed: from <= to"));
                }
                // In f64: `to - from` may overflow to infinity, and the count be huge.
                let n = ((to - from) / step.get() + 1e-9).floor() + 1.0;
                if !n.is_finite() {
                    return too_many(format!("Range from {from} to {to} by {step} has too many values to count"));
                }
                if n > MAX_VALUES as f64 {
                    return too_many(format!("Range from {from} to {to} by {step} has {} values", big(n)));
                }
                n as usize
            }
            Values::Linspace { n, .. } | Values::Logspace { n, .. } => n.get() as usize,
        };
        if n > MAX_VALUES {
            return too_many(format!("{} values", thousands(n as u64)));
        }
        if n == 0 {
            return Err("no values; allowed: at least one".into());
        }
        Ok(n)
    }

    /// The values, all numbers or all text (a mix is refused: a column of runs.csv
    /// and a chart's axis hold one kind).
    pub fn expand(&self) -> Result<Vec<ParamValue>, String> {
        let count = self.count()?;
        let v: Vec<f64> = match self {
            Values::List(v) if v.iter().all(|x| x.num().is_some()) => v.iter().filter_map(ParamValue::num).collect(),
            Values::List(v) => {
                if let Some(x) = v.iter().find_map(ParamValue::num) {
                    return Err(format!("mixes numbers ({x}) and strings; allowed: all numbers, or all strings"));
                }
                return Ok(v.clone());
            }
            Values::Files(v) => return Ok(v.iter().cloned().map(ParamValue::Text).collect()),
            Values::Range { from, step, .. } => (0..count).map(|i| from + i as f64 * step.get()).collect(),
            Values::Linspace { from, to, .. } => {
                let n = count;
                (0..n).map(|i| if n == 1 { *from } else { from + (to - from) * i as f64 / (n - 1) as f64 }).collect()
            }
            Values::Logspace { from, to, .. } => {
                let (a, b, n) = (from.get().ln(), to.get().ln(), count);
                (0..n).map(|i| if n == 1 { from.get() } else { (a + (b - a) * i as f64 / (n - 1) as f64).exp() }).collect()
            }
        };
        if let Some(x) = v.iter().find(|x| !x.is_finite()) {
            return Err(format!("value {x} is not finite"));
        }
        Ok(v.into_iter().map(ParamValue::Num).collect())
    }
}

/// Refuse a grid of more than [`MAX_POINTS`] points, given each parameter's number
/// of values; the product is taken with overflow checks. Names `field`.
pub fn check_grid(file: &str, field: &str, counts: &[usize]) -> Result<usize, InputError> {
    let mut points: usize = 1;
    for &n in counts {
        points = points.checked_mul(n).filter(|&p| p <= MAX_POINTS).ok_or_else(|| {
            let product: f64 = counts.iter().map(|&n| n as f64).product();
            let shown: Vec<String> = counts.iter().map(|&n| thousands(n as u64)).collect();
            InputError::new(
                file,
                Some(field.to_string()),
                format!(
                    "the grid has {} = {} points; allowed: at most {} points (a larger grid is several sweeps, each with its own --out)",
                    shown.join(" × "),
                    big(product),
                    thousands(MAX_POINTS as u64)
                ),
            )
        })?;
    }
    Ok(points)
}

/// Refuse a replication count outside 1 to [`MAX_REPLICATIONS`]; `file` and `field` name where it came from.
pub fn check_replications(file: &str, field: Option<&str>, n: u64) -> Result<(), InputError> {
    if (1..=MAX_REPLICATIONS as u64).contains(&n) {
        return Ok(());
    }
    Err(InputError::new(
        file,
        field.map(str::to_string),
        format!(
            "got {} replications; allowed: 1 to {} (there a point's 95% interval is already √{} ≈ 316 times narrower than one run's spread)",
            thousands(n),
            thousands(MAX_REPLICATIONS as u64),
            thousands(MAX_REPLICATIONS as u64)
        ),
    ))
}

/// A sweep ready to run: the base scenario, the grid, and what to collect.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub name: String,
    pub base_path: String,
    pub base: Scenario,
    pub set: Vec<String>,
    pub params: Vec<(String, Vec<ParamValue>)>,
    pub replications: u32,
    pub metrics: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// Where file values are read from (`Default::default()` for a sweep built in code:
    /// its file values are then relative to the current directory).
    pub files: FileValues,
}

/// The model files of a sweep's file values: the sweep file's folder, which they are
/// relative to, and each file read once at load (by parameter path and value).
#[derive(Clone, Debug, Default)]
pub struct FileValues {
    dir: PathBuf,
    read: BTreeMap<(String, String), config::Override>,
}

/// The sweep's identity, written as `sweep.json` beside its results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepMeta {
    pub name: String,
    pub base: String,
    pub set: Vec<String>,
    pub seed: u64,
    pub replications: u32,
    pub parameters: Vec<ParamMeta>,
    pub metrics: Vec<String>,
    /// Chart labels from the sweep file (they do not make it another sweep).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Where the sweep came from ([`crate::provenance`]), last; it does not make it
    /// another sweep either.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<crate::provenance::Provenance>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamMeta {
    pub path: String,
    /// Numbers, or strings (file values as written, relative to the sweep file).
    pub values: Vec<ParamValue>,
    /// For file values: a checksum (FNV-1a, 64 bits, hex) of each file's text, so that
    /// a resume or a shard that reads other files under the same names is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_checksums: Vec<String>,
}

/// FNV-1a (64 bits) of `text`, in hex: runs.csv's row checks and sweep.json's file checksums.
pub fn fnv1a(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A file value as the sweep records it: the path as written, relative to the sweep
/// file, with `.` and `a/..` steps taken out, so that every machine (and every shard)
/// records the same text whatever its current directory.
fn canonical(rel: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let absolute = rel.starts_with('/');
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    format!("{}{}", if absolute { "/" } else { "" }, out.join("/"))
}

/// A parameter value as `--set` takes it: whole numbers as integers so that
/// integer fields (crews, spare nodes) accept them.
pub fn json_value(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// Grids of up to this many points have every point's scenario checked before a run
/// (about 0.1 s); larger ones a sample, see [`Sweep::check_points`].
pub const CHECK_EVERY_POINT: usize = 1_000;
/// Values of one parameter checked one by one in a larger grid; beyond, a sample.
pub const CHECK_VALUES: usize = 64;

impl Sweep {
    /// Load a sweep file and check every point and metric before anything runs.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let shown = path.display().to_string();
        let text = config::read_input(path, config::MAX_MODEL_BYTES).map_err(|e| config::unreadable(&shown, &e))?;
        config::files::label(path, "sweep");
        let file: SweepFile = parse_ron(&shown, &text)?;
        let base_path = path.parent().unwrap_or(Path::new("")).join(&file.base);
        let base = config::load_scenario(&FileSystem, &base_path).map_err(|e| {
            if e.file == base_path.display().to_string() && e.message.starts_with("cannot read") {
                InputError::new(&shown, Some("base".into()), format!("{}; allowed: a scenario path relative to the sweep file", e.message))
            } else {
                e
            }
        })?;
        // Sizes first: counted without making the values, so a huge grid is refused at once.
        let field = |i: usize| Some(format!("parameters[{i}].values"));
        let counts = (file.parameters.iter().enumerate())
            .map(|(i, p)| p.values.count().map_err(|m| InputError::new(&shown, field(i), m)))
            .collect::<Result<Vec<usize>, InputError>>()?;
        check_grid(&shown, "parameters", &counts)?;
        check_replications(&shown, Some("replications"), file.replications.get().into())?;
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut params = Vec::new();
        let mut files = BTreeMap::new();
        for (i, p) in file.parameters.iter().enumerate() {
            let mut vals = p.values.expand().map_err(|m| InputError::new(&shown, field(i), m))?;
            let part = config::whole_part(&p.path);
            if matches!(p.values, Values::Files(_)) && part.is_none() {
                return Err(InputError::new(
                    &shown,
                    field(i),
                    format!("Files(…) replaces a whole model part, not `{}`; allowed: the path {}", p.path, config::MODEL_PARTS.join(", ")),
                ));
            }
            for (j, v) in vals.iter_mut().enumerate() {
                let ParamValue::Text(t) = v else { continue };
                let at = || Some(format!("parameters[{i}].values[{j}]"));
                if t.is_empty() || t.chars().any(char::is_control) {
                    return Err(InputError::new(&shown, at(), format!("{t:?}; allowed: text without line breaks or control characters")));
                }
                if let Some(part) = part {
                    *t = canonical(t);
                    let (value, from) = config::load_part_file(&FileSystem, &shown, part, &dir.join(&*t)).map_err(|mut e| {
                        if e.file == shown {
                            e.field = at();
                            e.message = format!(
                                "{}; allowed: a path relative to the sweep file",
                                e.message.split("; allowed").next().unwrap_or("")
                            );
                        }
                        e
                    })?;
                    files.insert(
                        (p.path.trim().to_string(), t.clone()),
                        config::Override { path: p.path.trim().to_string(), value, from: Some(from) },
                    );
                }
            }
            params.push((p.path.clone(), vals));
        }
        let named: Vec<&String> = file.metrics.iter().chain(file.parameters.iter().map(|p| &p.path)).collect();
        if let Some(k) = file.labels.keys().find(|k| !named.contains(k)) {
            return Err(InputError::new(
                &shown,
                Some(format!("labels.{k}")),
                format!(
                    "names neither a metric nor a parameter of this sweep; allowed: {}",
                    named.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let sweep = Sweep {
            name: file.name,
            base_path: file.base,
            base,
            set: file.set,
            params,
            replications: file.replications.get(),
            metrics: file.metrics,
            labels: file.labels,
            files: FileValues { dir, read: files },
        };
        sweep.check(&shown)?;
        Ok(sweep)
    }

    /// Overrides from the command line (`path=value`, as `--set` takes them): applied to
    /// the base scenario, and to every point after the file's `set` (so they win over it)
    /// and before the parameters. They are recorded in `set`, so `sweep.json` tells the
    /// result apart from the file's own sweep. A path the sweep varies is refused (the
    /// parameter would override it at every point). `label` names the flag in errors.
    pub fn with_sets(mut self, sets: &[String], label: &str) -> Result<Self, InputError> {
        let relabel = |mut e: InputError| {
            if e.file == "--set" {
                e.file = label.to_string();
            }
            e
        };
        for set in sets {
            let path = set.split_once('=').map_or(set.as_str(), |(p, _)| p).trim();
            if let Some(i) = self.params.iter().position(|(p, _)| config::path_keys(p) == config::path_keys(path)) {
                return Err(InputError::new(
                    label,
                    Some(path.to_string()),
                    format!(
                        "is varied by the sweep (parameters[{i}]), so this value would be replaced at every point; allowed: a field the sweep does not vary"
                    ),
                ));
            }
        }
        self.base = config::apply_sets(&self.base, sets).map_err(relabel)?;
        self.set.extend(sets.iter().cloned());
        self.check(label)?;
        Ok(self)
    }

    /// Set the runs per point (as `--replications` does), within 1 to [`MAX_REPLICATIONS`].
    pub fn set_replications(&mut self, n: u32) -> Result<(), InputError> {
        check_replications("--replications", None, n.into())?;
        self.replications = n;
        Ok(())
    }

    /// Refuse a sweep whose grid or replications exceed the bounds (the fields are
    /// public, so a sweep built or changed in code is checked again before it runs).
    pub fn check_size(&self) -> Result<(), InputError> {
        let counts: Vec<usize> = self.params.iter().map(|p| p.1.len()).collect();
        for (i, &n) in counts.iter().enumerate() {
            if n == 0 || n > MAX_VALUES {
                return Err(InputError::new(
                    &self.name,
                    Some(format!("parameters[{i}].values")),
                    format!("{} values; allowed: 1 to {}", thousands(n as u64), thousands(MAX_VALUES as u64)),
                ));
            }
        }
        check_grid(&format!("sweep `{}`", self.name), "parameters", &counts)?;
        check_replications("--replications", None, self.replications.into())
    }

    pub fn points(&self) -> usize {
        self.params.iter().map(|p| p.1.len()).product()
    }

    /// Points × replications (saturating: [`Sweep::check_size`] keeps both small).
    pub fn runs(&self) -> usize {
        self.points().saturating_mul(self.replications as usize)
    }

    /// Parameter values of point `k` (the first parameter varies slowest).
    pub fn point_values(&self, mut k: usize) -> Vec<ParamValue> {
        let mut out = vec![ParamValue::Num(0.0); self.params.len()];
        for (i, (_, vals)) in self.params.iter().enumerate().rev() {
            out[i] = vals[k % vals.len()].clone();
            k /= vals.len();
        }
        out
    }

    /// The scenario of point `k`.
    pub fn scenario(&self, k: usize) -> Result<Scenario, InputError> {
        let mut sets = config::parse_sets(&self.set)?;
        for ((path, _), v) in self.params.iter().zip(self.point_values(k)) {
            sets.push(self.value_override(path.trim(), v)?);
        }
        config::apply_overrides(&self.base, &sets)
    }

    /// What a parameter value sets: a number as `--set` takes it, a model file's
    /// model for a whole part, else the text as a JSON string.
    fn value_override(&self, path: &str, v: ParamValue) -> Result<config::Override, InputError> {
        let text = match v {
            ParamValue::Num(x) => {
                let t = json_value(x);
                let value = serde_json::from_str(&t).unwrap_or(serde_json::Value::String(t));
                return Ok(config::Override { path: path.to_string(), value, from: None });
            }
            ParamValue::Text(t) => t,
        };
        if let Some(o) = self.files.read.get(&(path.to_string(), text.clone())) {
            return Ok(o.clone());
        }
        match config::whole_part(path) {
            // A value set in code after the load: read now.
            Some(part) => {
                let (value, from) = config::load_part_file(&FileSystem, &self.name, part, &self.files.dir.join(&text))?;
                Ok(config::Override { path: path.to_string(), value, from: Some(from) })
            }
            None => Ok(config::Override { path: path.to_string(), value: serde_json::Value::String(text), from: None }),
        }
    }

    pub fn seed(&self, replication: u32) -> u64 {
        self.base.seed.wrapping_add(replication as u64)
    }

    pub fn meta(&self) -> SweepMeta {
        SweepMeta {
            name: self.name.clone(),
            base: self.base_path.clone(),
            set: self.set.clone(),
            seed: self.base.seed,
            replications: self.replications,
            parameters: self
                .params
                .iter()
                .map(|(p, v)| {
                    let file = |x: &ParamValue| self.files.read.get(&(p.trim().to_string(), x.to_string())).and_then(|o| o.from.as_ref());
                    let file_checksums = v.iter().filter_map(|x| file(x).map(|f| fnv1a(&f.text))).collect();
                    ParamMeta { path: p.clone(), values: v.clone(), file_checksums }
                })
                .collect(),
            metrics: self.metrics.clone(),
            labels: self.labels.clone(),
            provenance: None,
        }
    }

    /// The points whose scenarios the sweep's check builds: every point of a grid of up to
    /// [`CHECK_EVERY_POINT`] points. A larger grid would cost a scenario build (a JSON round
    /// trip, about 0.1 ms) per point, so it gets a sample that still catches what a value
    /// can get wrong: every parameter's values (each with the other parameters at their
    /// first value; a parameter of more than [`CHECK_VALUES`] values at its first, last,
    /// smallest and largest values, the first whole and first fractional one, the first
    /// zero or negative one, and [`CHECK_VALUES`] evenly spaced ones), the corners of the
    /// grid (each parameter at its smallest or largest value, for up to 6 parameters,
    /// else all smallest and all largest), and the last point. A point outside the sample
    /// that is still invalid (a rule no bound or kind of value tells) fails when it runs,
    /// as an input error naming the point.
    pub fn check_points(&self) -> Vec<usize> {
        let points = self.points();
        if points <= CHECK_EVERY_POINT {
            return (0..points).collect();
        }
        // stride[i]: how far apart two points are whose parameter i differs by one value.
        let mut stride = vec![1; self.params.len()];
        for i in (0..self.params.len().saturating_sub(1)).rev() {
            stride[i] = stride[i + 1] * self.params[i + 1].1.len();
        }
        let arg = |vals: &[f64], better: fn(f64, f64) -> bool| (0..vals.len()).fold(0, |b, j| if better(vals[j], vals[b]) { j } else { b });
        // Text values have no order: their first and last stand for the extremes.
        let nums: Vec<Vec<f64>> = self.params.iter().map(|(_, v)| v.iter().map(|x| x.num().unwrap_or(f64::NAN)).collect()).collect();
        let extremes: Vec<[usize; 2]> = nums
            .iter()
            .map(|v| if v.iter().any(|x| x.is_nan()) { [0, v.len() - 1] } else { [arg(v, |a, b| a < b), arg(v, |a, b| a > b)] })
            .collect();
        let mut picks = std::collections::BTreeSet::from([0, points - 1]);
        for (i, vals) in nums.iter().enumerate() {
            let n = vals.len();
            // Every text value (each a file or a variant that may fail on its own).
            let idx: Vec<usize> = if n <= CHECK_VALUES || vals.iter().any(|x| x.is_nan()) {
                (0..n).collect()
            } else {
                let first = |f: fn(f64) -> bool| vals.iter().position(|&x| f(x));
                let mut v = vec![0, n - 1, extremes[i][0], extremes[i][1]];
                v.extend(
                    [first(|x| x.fract() == 0.0), first(|x| x.fract() != 0.0), first(|x| x == 0.0), first(|x| x < 0.0)]
                        .into_iter()
                        .flatten(),
                );
                v.extend((0..CHECK_VALUES).map(|s| s * (n - 1) / (CHECK_VALUES - 1)));
                v
            };
            picks.extend(idx.into_iter().map(|j| j * stride[i]));
        }
        let corners = if self.params.len() <= 6 { 1usize << self.params.len() } else { 0 };
        for c in 0..corners {
            picks.insert(extremes.iter().enumerate().map(|(i, e)| e[(c >> i) & 1] * stride[i]).sum());
        }
        for side in 0..2 {
            picks.insert(extremes.iter().enumerate().map(|(i, e)| e[side] * stride[i]).sum());
        }
        picks.into_iter().collect()
    }

    fn check(&self, file: &str) -> Result<(), InputError> {
        self.check_size()?;
        // Files a point names (a price series, a trace) are read once each here, so
        // that a bad one is an input error before any run, not a failed run. Every
        // value of a text parameter (a model file) is among the points checked.
        let (mut prices, mut trace) = (None, None);
        for k in self.check_points() {
            let at_point = |e: InputError, whole: bool| InputError {
                file: file.to_string(),
                line_col: None,
                field: e.field.clone(),
                message: if whole { format!("point {k}: {e}") } else { format!("point {k}: {}", e.message) },
            };
            let s = self.scenario(k).map_err(|e| at_point(e, false))?;
            if let Some(c) = &s.cost
                && prices.as_ref() != Some(&c.electricity)
            {
                crate::config::PriceSeries::load(&c.electricity).map_err(|e| at_point(e, true))?;
                prices = Some(c.electricity.clone());
            }
            if let Some(t) = &s.workload.trace
                && trace.as_ref() != Some(t)
            {
                crate::sim::TraceSource::load(t, &s.workload).map_err(|e| at_point(e, true))?;
                trace = Some(t.clone());
            }
        }
        // A run of one simulated minute tells which summary fields exist.
        let mut probe = self.base.clone();
        probe.horizon_days = Positive::new(1.0 / 1440.0);
        let summary = serde_json::to_value(crate::Simulation::new(&probe).run().summary()).expect("summary serialises");
        for (i, m) in self.metrics.iter().enumerate() {
            if metric(&summary, m).is_none() {
                let mut known = Vec::new();
                numeric_paths(&summary, String::new(), &mut known);
                return Err(InputError::new(
                    file,
                    Some(format!("metrics[{i}]")),
                    format!("`{m}` is not a numeric field of summary.json; allowed: {}", known.join(", ")),
                ));
            }
        }
        if self.metrics.is_empty() {
            return Err(InputError::new(
                file,
                Some("metrics".into()),
                "no metrics; allowed: at least one summary.json field, e.g. \"goodput\"",
            ));
        }
        Ok(())
    }
}

/// A numeric summary field by dotted path (`power.max_drop_mw`, `frontier.0.ettr`).
pub fn metric(summary: &serde_json::Value, path: &str) -> Option<f64> {
    let mut v = summary;
    for key in config::path_keys(path) {
        let key = key.as_str();
        v = match v {
            serde_json::Value::Object(m) => m.get(key)?,
            serde_json::Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    v.as_f64()
}

/// Every numeric field of a summary.json by dotted path, as [`metric`] reads them.
pub fn metric_paths(summary: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    numeric_paths(summary, String::new(), &mut out);
    out
}

fn numeric_paths(v: &serde_json::Value, prefix: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                numeric_paths(x, if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                numeric_paths(x, format!("{prefix}.{i}"), out);
            }
        }
        serde_json::Value::Number(_) => out.push(prefix),
        _ => {}
    }
}
