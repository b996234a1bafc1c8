//! Sweep files (`models/sweeps/*.ron`): a base scenario, parameters by `--set`
//! path with lists or ranges of values (grid = their product), replications,
//! and the summary metrics to collect.

use crate::config::{self, Count, FileSystem, InputError, Positive, Scenario, parse_ron};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Values {
    List(Vec<f64>),
    /// from, from + step, … up to and including `to` (within 1e-9 of a step).
    Range {
        from: f64,
        to: f64,
        step: Positive,
    },
    /// `n` evenly spaced values from `from` to `to`.
    Linspace {
        from: f64,
        to: f64,
        n: Count,
    },
    /// `n` values evenly spaced in log scale from `from` to `to`.
    Logspace {
        from: Positive,
        to: Positive,
        n: Count,
    },
}

impl Values {
    pub fn expand(&self) -> Result<Vec<f64>, String> {
        let v: Vec<f64> = match self {
            Values::List(v) => v.clone(),
            Values::Range { from, to, step } => {
                let n = ((to - from) / step.get() + 1e-9).floor();
                if !(0.0..=1e6).contains(&n) {
                    return Err(format!(
                        "Range from {from} to {to} by {step} is empty or too long; allowed: from <= to, at most 1e6 values"
                    ));
                }
                (0..=n as u64).map(|i| from + i as f64 * step.get()).collect()
            }
            Values::Linspace { from, to, n } => {
                let n = n.get();
                (0..n).map(|i| if n == 1 { *from } else { from + (to - from) * i as f64 / (n - 1) as f64 }).collect()
            }
            Values::Logspace { from, to, n } => {
                let (a, b, n) = (from.get().ln(), to.get().ln(), n.get());
                (0..n).map(|i| if n == 1 { from.get() } else { (a + (b - a) * i as f64 / (n - 1) as f64).exp() }).collect()
            }
        };
        if v.is_empty() {
            return Err("no values; allowed: at least one".into());
        }
        if let Some(x) = v.iter().find(|x| !x.is_finite()) {
            return Err(format!("value {x} is not finite"));
        }
        Ok(v)
    }
}

/// A sweep ready to run: the base scenario, the grid, and what to collect.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub name: String,
    pub base_path: String,
    pub base: Scenario,
    pub set: Vec<String>,
    pub params: Vec<(String, Vec<f64>)>,
    pub replications: u32,
    pub metrics: Vec<String>,
    pub labels: BTreeMap<String, String>,
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamMeta {
    pub path: String,
    pub values: Vec<f64>,
}

/// A parameter value as `--set` takes it: whole numbers as integers so that
/// integer fields (crews, spare nodes) accept them.
pub fn json_value(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

impl Sweep {
    /// Load a sweep file and check every point and metric before anything runs.
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| InputError::new(&shown, None, format!("cannot read: {e}")))?;
        let file: SweepFile = parse_ron(&shown, &text)?;
        let base_path = path.parent().unwrap_or(Path::new("")).join(&file.base);
        let base = config::load_scenario(&FileSystem, &base_path).map_err(|e| {
            if e.file == base_path.display().to_string() && e.message.starts_with("cannot read") {
                InputError::new(&shown, Some("base".into()), format!("{}; allowed: a scenario path relative to the sweep file", e.message))
            } else {
                e
            }
        })?;
        let mut params = Vec::new();
        for (i, p) in file.parameters.iter().enumerate() {
            let vals = p.values.expand().map_err(|m| InputError::new(&shown, Some(format!("parameters[{i}].values")), m))?;
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

    pub fn points(&self) -> usize {
        self.params.iter().map(|p| p.1.len()).product()
    }

    pub fn runs(&self) -> usize {
        self.points() * self.replications as usize
    }

    /// Parameter values of point `k` (the first parameter varies slowest).
    pub fn point_values(&self, mut k: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.params.len()];
        for (i, (_, vals)) in self.params.iter().enumerate().rev() {
            out[i] = vals[k % vals.len()];
            k /= vals.len();
        }
        out
    }

    /// The scenario of point `k`.
    pub fn scenario(&self, k: usize) -> Result<Scenario, InputError> {
        let mut sets = self.set.clone();
        for ((path, _), v) in self.params.iter().zip(self.point_values(k)) {
            sets.push(format!("{path}={}", json_value(v)));
        }
        config::apply_sets(&self.base, &sets)
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
            parameters: self.params.iter().map(|(p, v)| ParamMeta { path: p.clone(), values: v.clone() }).collect(),
            metrics: self.metrics.clone(),
            labels: self.labels.clone(),
        }
    }

    fn check(&self, file: &str) -> Result<(), InputError> {
        // Files a point names (a price series, a trace) are read once each here, so
        // that a bad one is an input error before any run, not a failed run.
        let (mut prices, mut trace) = (None, None);
        for k in 0..self.points() {
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
