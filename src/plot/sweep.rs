//! Charts of a parameter sweep, drawn from `sweep.json` and `points.csv`.
//!
//! Parameters and metrics are named in words with their unit (see `labels.rs`);
//! `sweep.json` may override a name with a `labels` map (path → name) or a
//! `label` on a parameter.

use super::labels::{self, Quantity, Scale};
use super::run::{read_json, unreadable};
use super::*;
use serde::Deserialize;
use std::collections::HashMap;

/// Draw every chart of the sweep directory `dir` into `out`; returns the files written.
///
/// For each metric: `<metric>_vs_<param0>` (mean and 95% confidence band
/// against the first parameter, one line per value of the second) and, with
/// two parameters or more, `<metric>_heatmap` (mean over the first two).
/// Other parameters are held at their first value.
pub fn sweep_charts(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    sweep_charts_with(dir, out, &[])
}

/// As [`sweep_charts`], with labelled vertical markers at values of the first
/// parameter on the line charts (e.g. `("Young's optimum", 0.12)`).
pub fn sweep_charts_marked(dir: &Path, out: &Path, markers: &[(&str, f64)]) -> Result<Vec<PathBuf>> {
    let refs: Vec<Reference> = markers.iter().map(|&(label, at)| Reference::Marker { label: label.to_string(), at }).collect();
    sweep_charts_with(dir, out, &refs)
}

/// A theoretical value drawn over the line charts of a sweep, named in the legend.
/// Values of the first parameter are in its own unit (as in sweep.json), not the
/// unit the axis shows.
#[derive(Clone, Debug)]
pub enum Reference {
    /// A value of the first parameter (an optimum, say), on every line chart: a dashed vertical.
    Marker { label: String, at: f64 },
    /// An expected curve of one metric: (first parameter value, metric value) points, dashed.
    Curve { label: String, metric: String, points: Vec<(f64, f64)> },
}

/// As [`sweep_charts`], with theoretical references over the line charts.
pub fn sweep_charts_with(dir: &Path, out: &Path, refs: &[Reference]) -> Result<Vec<PathBuf>> {
    let spec: SweepSpec = read_json(&dir.join("sweep.json"))?;
    let sweep = Sweep::load(spec, &dir.join("points.csv"))?;
    let mut files = Vec::new();
    for m in 0..sweep.metrics.len() {
        files.extend(render(&LinesChart { sw: &sweep, m, refs }, out)?);
        if sweep.params.len() >= 2 {
            files.extend(render(&HeatmapChart { sw: &sweep, m }, out)?);
        }
    }
    Ok(files)
}

// ---------------------------------------------------------------- inputs

#[derive(Debug, Deserialize)]
struct SweepSpec {
    #[serde(default)]
    name: String,
    #[serde(default)]
    base: String,
    #[serde(default)]
    replications: u64,
    parameters: Vec<ParamSpec>,
    metrics: Vec<String>,
    /// Names by path, overriding the built-in table (optional).
    #[serde(default)]
    labels: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct ParamSpec {
    path: String,
    values: Vec<serde_json::Value>,
    /// A name for the parameter, overriding the built-in table (optional).
    #[serde(default)]
    label: Option<String>,
}

#[derive(Clone, Debug)]
struct Value {
    label: String,
    num: Option<f64>,
    /// The text as sweep.json and points.csv hold it (a file path in full).
    raw: String,
}

impl Value {
    fn from_json(v: &serde_json::Value) -> Self {
        match v {
            serde_json::Value::Number(n) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                Value { label: labels::fmt_num(x, 6), num: Some(x), raw: n.to_string() }
            }
            serde_json::Value::String(s) => Value::from_text(s),
            other => Value { label: other.to_string(), num: None, raw: other.to_string() },
        }
    }
    fn from_text(s: &str) -> Self {
        let t = s.trim();
        match t.parse::<f64>() {
            Ok(x) if x.is_finite() => Value { label: labels::fmt_num(x, 6), num: Some(x), raw: s.to_string() },
            _ => Value { label: t.to_string(), num: None, raw: s.to_string() },
        }
    }
    fn same(&self, other: &Value) -> bool {
        match (self.num, other.num) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
            _ => self.raw.trim() == other.raw.trim(),
        }
    }
}

struct Param {
    path: String,
    short: String,
    q: Quantity,
    scale: Scale,
    values: Vec<Value>,
}

impl Param {
    /// "2 min", "8", "460": a value with its unit, for legends and notes.
    fn value_with_unit(&self, i: usize) -> String {
        let v = &self.values[i];
        match (v.num, self.scale.suffix.as_str()) {
            (Some(_), "") | (None, _) => v.label.clone(),
            (Some(_), "%") => format!("{}%", v.label),
            (Some(_), u) => format!("{} {u}", v.label),
        }
    }
}

struct Metric {
    path: String,
    q: Quantity,
    scale: Scale,
}

#[derive(Clone, Copy, Debug)]
struct Stat {
    mean: f64,
    lo: f64,
    hi: f64,
}

impl Stat {
    fn scaled(self, s: &Scale) -> Stat {
        Stat { mean: s.apply(self.mean), lo: s.apply(self.lo), hi: s.apply(self.hi) }
    }
}

struct Sweep {
    name: String,
    base: String,
    replications: u64,
    params: Vec<Param>,
    metrics: Vec<Metric>,
    /// Value indices of each parameter → (n, stats per metric, in the metric's own unit).
    cells: HashMap<Vec<usize>, (f64, Vec<Stat>)>,
}

/// Model files by their file stem (`../failure/rsc-1.ron` as `rsc-1`), where the
/// stems tell them apart; the CSV files keep the paths in full.
fn file_stems(values: &mut [Value]) {
    let stem = |v: &Value| {
        let p = Path::new(v.label.as_str());
        let file = v.label.contains('/') || p.extension().is_some_and(|e| e == "ron");
        file.then(|| p.file_stem().map(|s| s.to_string_lossy().to_string())).flatten()
    };
    let stems: Vec<Option<String>> = values.iter().map(stem).collect();
    let distinct: std::collections::HashSet<&Option<String>> = stems.iter().collect();
    if distinct.len() == stems.len() {
        for (v, s) in values.iter_mut().zip(stems) {
            if let Some(s) = s {
                v.label = s;
            }
        }
    }
}

/// The last component of a parameter path: `interval_hours` for `workload.frontier[0].checkpoint.interval_hours`.
fn short_name(path: &str) -> String {
    path.rsplit('.').next().unwrap_or(path).to_string()
}

fn parse_num(s: &str) -> f64 {
    s.trim().parse().unwrap_or(f64::NAN)
}

fn max_abs(xs: impl IntoIterator<Item = f64>) -> f64 {
    xs.into_iter().filter(|x| x.is_finite()).map(f64::abs).fold(0.0, f64::max)
}

impl Sweep {
    fn load(spec: SweepSpec, points: &Path) -> Result<Self> {
        let named = |path: &str, own: Option<&String>, q: Quantity| -> Quantity {
            match own.or_else(|| spec.labels.get(path)) {
                Some(label) if !label.trim().is_empty() => q.renamed(label),
                _ => q,
            }
        };
        let mut params: Vec<Param> = spec
            .parameters
            .iter()
            .map(|p| {
                let values: Vec<Value> = p.values.iter().map(Value::from_json).collect();
                let q = named(&p.path, p.label.as_ref(), labels::parameter(&p.path));
                let scale = q.scale(max_abs(values.iter().filter_map(|v| v.num)));
                Param { path: p.path.clone(), short: short_name(&p.path), q, scale, values }
            })
            .collect();
        // Numeric values are labelled in the axis unit, with as many digits as keep them apart.
        for p in &mut params {
            let nums: Vec<f64> = p.values.iter().filter_map(|v| v.num).collect();
            if nums.len() == p.values.len() {
                for (v, l) in p.values.iter_mut().zip(labels::value_labels(&nums, &p.scale)) {
                    v.label = l;
                }
            } else {
                file_stems(&mut p.values);
            }
        }
        if params.is_empty() {
            return Err(unreadable(&points.with_file_name("sweep.json"), "has no parameters"));
        }
        if let Some(p) = params.iter().find(|p| p.values.is_empty()) {
            return Err(unreadable(&points.with_file_name("sweep.json"), format_args!("parameter `{}` has no values", p.path)));
        }
        let mut r = csv::Reader::from_path(points).map_err(|e| unreadable(points, format_args!("cannot read: {e}")))?;
        let headers = r.headers().map_err(|e| unreadable(points, format_args!("cannot read: {e}")))?.clone();
        let col = |name: &str| -> Result<usize> {
            headers.iter().position(|h| h == name).ok_or_else(|| unreadable(points, format_args!("no column `{name}`")))
        };
        let pcols: Vec<usize> = params.iter().map(|p| col(&p.path)).collect::<Result<_>>()?;
        let mcols: Vec<[usize; 3]> = spec
            .metrics
            .iter()
            .map(|m| Ok([col(&format!("{m}_mean"))?, col(&format!("{m}_ci_lo"))?, col(&format!("{m}_ci_hi"))?]))
            .collect::<Result<_>>()?;
        let ncol = headers.iter().position(|h| h == "n");
        let mut cells = HashMap::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| unreadable(points, format_args!("row {}: {e}", i + 2)))?;
            let get = |c: usize| rec.get(c).unwrap_or("");
            let idx: Option<Vec<usize>> = params
                .iter()
                .zip(&pcols)
                .map(|(p, &c)| {
                    let v = Value::from_text(get(c));
                    p.values.iter().position(|x| x.same(&v))
                })
                .collect();
            let Some(idx) = idx else { continue };
            let n = ncol.map(|c| parse_num(get(c))).unwrap_or(f64::NAN);
            let stats =
                mcols.iter().map(|&[m, lo, hi]| Stat { mean: parse_num(get(m)), lo: parse_num(get(lo)), hi: parse_num(get(hi)) }).collect();
            cells.entry(idx).or_insert((n, stats));
        }
        let metrics = spec
            .metrics
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let q = named(m, None, labels::metric(m));
                let scale = q.scale(max_abs(cells.values().map(|c: &(f64, Vec<Stat>)| c.1[k].mean)));
                Metric { path: m.clone(), q, scale }
            })
            .collect();
        Ok(Sweep { name: spec.name, base: spec.base, replications: spec.replications, params, metrics, cells })
    }

    /// The statistics of metric `m` at a point, in the metric's display unit.
    fn stat(&self, m: usize, i0: usize, i1: Option<usize>) -> Option<Stat> {
        let mut key = vec![0; self.params.len()];
        key[0] = i0;
        if let Some(i1) = i1 {
            key[1] = i1;
        }
        let (lo, hi) = self.metrics[m].q.bounds;
        let clip = |v: f64| v.max(lo.unwrap_or(f64::NEG_INFINITY)).min(hi.unwrap_or(f64::INFINITY));
        self.cells
            .get(&key)
            .map(|c| c.1[m])
            .map(|s| Stat { mean: s.mean, lo: clip(s.lo), hi: clip(s.hi) }.scaled(&self.metrics[m].scale))
            .filter(|s| s.mean.is_finite())
    }

    /// Whether a confidence interval of metric `m` reaches past the values it can take
    /// (a share above 1, a count below 0: few replications), and is cut there.
    fn clipped(&self, m: usize) -> bool {
        let (lo, hi) = self.metrics[m].q.bounds;
        self.cells.values().any(|c| lo.is_some_and(|l| c.1[m].lo < l) || hi.is_some_and(|h| c.1[m].hi > h))
    }

    /// Replications per point, from the points themselves (or sweep.json).
    fn reps(&self) -> String {
        let ns: Vec<f64> = self.cells.values().map(|c| c.0).filter(|n| n.is_finite()).collect();
        let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if ns.is_empty() {
            format!("{}", self.replications)
        } else if lo == hi {
            labels::fmt_num(lo, 3)
        } else {
            format!("{}–{}", labels::fmt_num(lo, 3), labels::fmt_num(hi, 3))
        }
    }

    /// " · others held at: hot spare nodes 0, repair crews 2" for parameters beyond the first `k`.
    fn held(&self, k: usize) -> String {
        let rest: Vec<String> = self.params.iter().skip(k).map(|p| format!("{} {}", p.q.lower(), p.value_with_unit(0))).collect();
        if rest.is_empty() { String::new() } else { format!(" · others held at: {}", rest.join(", ")) }
    }

    fn heading_base(&self) -> String {
        // The base scenario by its file name: the folders before it are the sweep file's business.
        let base = Path::new(&self.base).file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
        let mut s = format!("sweep `{}`", self.name);
        if !base.is_empty() {
            s += &format!(" on {base}");
        }
        s
    }
}

/// Tick label positions in pixels: true if labels of these widths centred at these x fit side by side.
fn fits(ticks: &[(i32, i32)]) -> bool {
    let mut sorted = ticks.to_vec();
    sorted.sort();
    sorted.windows(2).all(|w| w[0].0 + w[0].1 / 2 + 10 <= w[1].0 - w[1].1 / 2)
}

/// Nice values for a log axis between `lo` and `hi` (display units): 1-2-5 per decade,
/// or 1 per decade where that is too dense.
fn log_ticks(lo: f64, hi: f64, dense: bool) -> Vec<f64> {
    let mut out = Vec::new();
    if !(lo > 0.0 && hi > lo) {
        return out;
    }
    let mut e = lo.log10().floor() as i32;
    while 10f64.powi(e) <= hi * 1.0001 {
        for m in if dense { &[1.0, 2.0, 5.0][..] } else { &[1.0][..] } {
            let v = m * 10f64.powi(e);
            if v >= lo * 0.9999 && v <= hi * 1.0001 {
                out.push(v);
            }
        }
        e += 1;
    }
    out
}

// ---------------------------------------------------------------- mean ± CI against parameter 0

struct LinesChart<'a> {
    sw: &'a Sweep,
    m: usize,
    refs: &'a [Reference],
}

struct Series {
    label: String,
    colour: RGBColor,
    points: Vec<(f64, Stat)>,
}

/// How parameter values sit on the x axis.
#[derive(Clone, Copy, PartialEq)]
enum XScale {
    /// Not all numbers: evenly spaced, in the order of sweep.json.
    Categories,
    Linear,
    /// Positive values spanning 20× or more: log10 of the value.
    Log,
}

/// The spread of `xs` relative to their mean (coefficient of variation).
fn cv(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    if mean.abs() > 0.0 { var.sqrt() / mean.abs() } else { f64::INFINITY }
}

/// How numeric values of the first parameter sit on the x axis: linearly when they are
/// about evenly spaced; on a log axis when they grow by about even ratios over a wide range
/// (2, 4, 8 … min); evenly spaced in order when they grow so but start at zero (0, 9, 18 … 460
/// spare nodes), which a log axis cannot show.
fn x_scale(nums: &[f64]) -> XScale {
    let mut v: Vec<f64> = nums.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    let positive: Vec<f64> = v.iter().copied().filter(|x| *x > 0.0).collect();
    if positive.len() < 3 || positive[positive.len() - 1] / positive[0] < 10.0 {
        return XScale::Linear;
    }
    let diffs: Vec<f64> = v.windows(2).map(|w| w[1] - w[0]).collect();
    let ratios: Vec<f64> = positive.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let geometric = cv(&ratios) < cv(&diffs);
    match (geometric, positive.len() == v.len()) {
        (true, true) => XScale::Log,
        (true, false) if v.len() <= 15 => XScale::Categories,
        _ => XScale::Linear,
    }
}

const MARKER_COLOURS: [RGBColor; 3] = [RGBColor(180, 30, 30), RGBColor(30, 120, 60), RGBColor(110, 60, 160)];
const CURVE_COLOURS: [RGBColor; 3] = [RGBColor(0x22, 0x22, 0x22), RGBColor(0x8c, 0x56, 0x4b), RGBColor(0x6b, 0x6e, 0xcf)];

impl Chart for LinesChart<'_> {
    fn stem(&self) -> String {
        format!("{}_vs_{}", self.sw.metrics[self.m].path, self.sw.params[0].short)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let sw = self.sw;
        let metric = &sw.metrics[self.m];
        let p0 = &sw.params[0];
        let nums: Vec<f64> = p0.values.iter().filter_map(|v| v.num.map(|x| p0.scale.apply(x))).collect();
        let scale = if nums.len() < p0.values.len() { XScale::Categories } else { x_scale(&nums) };
        // Text values (model files, variants) have no order between them: each is a
        // point with its interval bars, not a line through the categories.
        let text = nums.len() < p0.values.len();
        // x of a value of parameter 0 given in its own unit.
        let x_of = |v: f64| match scale {
            XScale::Categories => f64::NAN,
            XScale::Linear => p0.scale.apply(v),
            XScale::Log => p0.scale.apply(v).log10(),
        };
        let xpos = |i: usize| match scale {
            XScale::Categories => i as f64,
            _ => p0.values[i].num.map_or(f64::NAN, x_of),
        };
        let lines: Vec<Option<usize>> = match sw.params.get(1) {
            Some(p1) => (0..p1.values.len()).map(Some).collect(),
            None => vec![None],
        };
        let mut series: Vec<Series> = Vec::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for &i1 in &lines {
            let mut points: Vec<(f64, Stat)> =
                (0..p0.values.len()).filter_map(|i0| sw.stat(self.m, i0, i1).map(|s| (xpos(i0), s))).collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            // Lines that coincide exactly (a metric the second parameter does not touch) are drawn once.
            let same = |a: &[(f64, Stat)], b: &[(f64, Stat)]| {
                a.len() == b.len()
                    && a.iter().zip(b).all(|(x, y)| {
                        let close = |p: f64, q: f64| (p - q).abs() <= 1e-9 * p.abs().max(q.abs()).max(1e-12) || (p.is_nan() && q.is_nan());
                        x.0 == y.0 && close(x.1.mean, y.1.mean) && close(x.1.lo, y.1.lo) && close(x.1.hi, y.1.hi)
                    })
            };
            match series.iter().position(|s| same(&s.points, &points)) {
                Some(k) => members[k].push(i1.unwrap_or(0)),
                None => {
                    series.push(Series { label: String::new(), colour: INK, points });
                    members.push(vec![i1.unwrap_or(0)]);
                }
            }
        }
        let n_lines = series.len();
        for (k, s) in series.iter_mut().enumerate() {
            s.label = match sw.params.get(1) {
                Some(p1) if members[k].len() > 1 => {
                    let vals: Vec<String> = members[k].iter().map(|&i| p1.values[i].label.clone()).collect();
                    let unit =
                        if p1.scale.suffix.is_empty() || p1.scale.suffix == "%" { String::new() } else { format!(" {}", p1.scale.suffix) };
                    format!("{}{unit}: identical", vals.join(", "))
                }
                Some(p1) => p1.value_with_unit(members[k][0]),
                None => "simulated: mean, 95% CI".into(),
            };
            // Few lines: distinct colours; many: an ordered scale, so no colour repeats.
            s.colour = if n_lines <= 6 { PALETTE[k] } else { viridis(0.92 * k as f64 / (n_lines - 1) as f64) };
        }
        // Several series over text values sit side by side within each category.
        if text && n_lines > 1 {
            let step = (0.7 / n_lines as f64).min(0.18);
            for (k, s) in series.iter_mut().enumerate() {
                let off = (k as f64 - (n_lines - 1) as f64 / 2.0) * step;
                s.points.iter_mut().for_each(|p| p.0 += off);
            }
        }
        // Overlapping bands turn to mud: fainter with more lines, whiskers only past six.
        let band_alpha = match series.len() {
            _ if text => None,
            0..=3 => Some(0.16),
            4..=6 => Some(0.09),
            _ => None,
        };
        let curves: Vec<(&str, Vec<(f64, f64)>)> = self
            .refs
            .iter()
            .filter_map(|r| match r {
                Reference::Curve { label, metric: m, points } if *m == metric.path && scale != XScale::Categories => Some((
                    label.as_str(),
                    points.iter().map(|&(x, y)| (x_of(x), metric.scale.apply(y))).filter(|p| p.0.is_finite() && p.1.is_finite()).collect(),
                )),
                _ => None,
            })
            .collect();
        let markers: Vec<(&str, f64, f64)> = self
            .refs
            .iter()
            .filter_map(|r| match r {
                Reference::Marker { label, at } if scale != XScale::Categories && x_of(*at).is_finite() => {
                    Some((label.as_str(), *at, x_of(*at)))
                }
                _ => None,
            })
            .collect();

        let title = format!("{} vs {}", metric.q.name, p0.q.lower());
        let reps = sw.reps();
        // One run a point has no spread: say so rather than promise a band.
        let spread = if reps == "1" {
            "one run a point, so no confidence interval".to_string()
        } else {
            format!(
                "mean of {reps} runs a point; {}: 95% confidence interval{}",
                if band_alpha.is_some() {
                    "band"
                } else if text {
                    "bars"
                } else {
                    "whiskers"
                },
                if sw.clipped(self.m) { ", cut at the metric's range" } else { "" }
            )
        };
        let sub = format!(
            "{} · {spread}{}{}",
            sw.heading_base(),
            match scale {
                XScale::Log => " · log x axis",
                XScale::Categories if nums.len() == p0.values.len() => " · x: swept values, evenly spaced",
                _ => "",
            },
            sw.held(if sw.params.len() >= 2 { 2 } else { 1 })
        );
        let area = heading(root, &title, &sub)?;

        // The legend: one entry per line, then the references; a column at the right.
        let mut keys: Vec<Key> =
            series.iter().map(|s| Key::new(Swatch::MeanBand(s.colour, band_alpha.is_some()), s.label.clone())).collect();
        for (k, (label, _)) in curves.iter().enumerate() {
            keys.push(Key::new(Swatch::Dashed(CURVE_COLOURS[k % CURVE_COLOURS.len()]), label.to_string()));
        }
        for (k, (label, at, _)) in markers.iter().enumerate() {
            let v = labels::with_unit(*at, &p0.scale, 3);
            keys.push(Key::new(Swatch::VDash(MARKER_COLOURS[k % MARKER_COLOURS.len()]), format!("{label}: {v}")));
        }
        let legend_title = sw.params.get(1).filter(|_| lines.len() > 1).map(|p1| p1.q.name.clone());
        let with_legend = keys.len() > 1 || lines.len() > 1 || !curves.is_empty() || !markers.is_empty();
        let (w, _) = area.dim_in_pixel();
        let (plot_area, legend) = if with_legend {
            let room = (w as i32) * 2 / 5;
            let mut px = LEGEND_PX;
            while px > 15 && legend_column_width(&area, legend_title.as_deref(), &keys, px)? > room - 28 {
                px -= 1;
            }
            let lw = (legend_column_width(&area, legend_title.as_deref(), &keys, px)? + 36).min(room);
            let (a, b) = area.split_horizontally(w - lw as u32);
            (a, Some((b, px)))
        } else {
            (area.clone(), None)
        };

        let mut all: Vec<f64> =
            series.iter().flat_map(|s| s.points.iter().flat_map(|(_, st)| [st.mean, st.lo, st.hi])).filter(|v| v.is_finite()).collect();
        if all.is_empty() {
            return centred_note(&area, "points.csv has no finite values for this metric");
        }
        let xs: Vec<f64> = (0..p0.values.len()).map(xpos).filter(|x| x.is_finite()).collect();
        let (xmin, xmax) = (xs.iter().copied().fold(f64::INFINITY, f64::min), xs.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        let xr = match scale {
            XScale::Categories => -0.5..(p0.values.len() as f64 - 0.5),
            _ if xmax > xmin => (xmin - 0.05 * (xmax - xmin))..(xmax + 0.05 * (xmax - xmin)),
            _ => (xmin - 0.5 * xmin.abs().max(1.0))..(xmax + 0.5 * xmax.abs().max(1.0)),
        };
        // The expected curves count for the y range only where they are on the chart.
        all.extend(curves.iter().flat_map(|c| c.1.iter().filter(|p| xr.contains(&p.0)).map(|p| p.1)));
        let (mut ymin, ymax) = (all.iter().copied().fold(f64::INFINITY, f64::min), all.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        // A metric the parameters barely move (a count that depends on the failures only, say):
        // from zero, so that its confidence band reads as a strip around a flat line, not a wall.
        // Flat means: their spread is a small part of the confidence intervals around them.
        let means: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1.mean)).collect();
        let (mlo, mhi) = (means.iter().copied().fold(f64::INFINITY, f64::min), means.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        let mut halves: Vec<f64> =
            series.iter().flat_map(|s| s.points.iter().map(|p| 0.5 * (p.1.hi - p.1.lo))).filter(|h| h.is_finite()).collect();
        halves.sort_by(f64::total_cmp);
        let typical_half = halves.get(halves.len() / 2).copied().unwrap_or(0.0);
        if ymin > 0.0 && mhi - mlo <= 0.25 * typical_half && mhi - mlo <= 0.02 * mhi.abs() {
            ymin = 0.0;
        }
        let pad = if ymax > ymin { 0.08 * (ymax - ymin) } else { 0.05 * ymax.abs().max(1e-9) };
        // Counts, shares and power are not negative: no room below zero.
        let ylo = if ymin >= 0.0 { (ymin - pad).max(0.0) } else { ymin - pad };
        let mut chart = framed(&plot_area, 24, 100).build_cartesian_2d(xr.clone(), ylo..(ymax + pad))?;

        // x ticks: at the swept values (the values a person chose) when their labels fit;
        // else at round values. Every tick has its label.
        let (_, ys) = chart.plotting_area().get_pixel_range();
        let width_of = |t: &str| plot_area.estimate_text_size(t, &font(TICK_PX)).map(|s| s.0 as i32);
        let mut own: Vec<(f64, String)> =
            (0..p0.values.len()).map(|i| (xpos(i), p0.values[i].label.clone())).filter(|t| t.0.is_finite()).collect();
        own.dedup_by(|a, b| a.0 == b.0);
        let mut placed = Vec::new();
        for (x, l) in &own {
            placed.push((chart.backend_coord(&(*x, ymin)).0, width_of(l)?));
        }
        let manual: Option<Vec<(f64, String)>> = if fits(&placed) || scale == XScale::Categories {
            Some(own)
        } else if scale == XScale::Log {
            let (lo, hi) = (10f64.powf(xr.start), 10f64.powf(xr.end));
            let mut pick = Vec::new();
            for dense in [true, false] {
                let t: Vec<(f64, String)> = log_ticks(lo, hi, dense).into_iter().map(|v| (v.log10(), labels::fmt_num(v, 3))).collect();
                let mut px = Vec::new();
                for (x, l) in &t {
                    px.push((chart.backend_coord(&(*x, ymin)).0, width_of(l)?));
                }
                pick = t;
                if fits(&px) {
                    break;
                }
            }
            Some(pick)
        } else {
            None
        };
        chart
            .configure_mesh()
            .house()
            .x_desc(p0.q.axis(&p0.scale))
            .y_desc(metric.q.axis(&metric.scale))
            .x_labels(if manual.is_some() { 0 } else { 8 })
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        if let Some(ticks) = &manual {
            let mut last_right = i32::MIN;
            for (x, label) in ticks {
                let px = chart.backend_coord(&(*x, ymin)).0;
                root.draw(&PathElement::new(vec![(px, ys.start), (px, ys.end)], GRID_BOLD.stroke_width(1)))?;
                root.draw(&PathElement::new(vec![(px, ys.end), (px, ys.end + 6)], MUTED.stroke_width(1)))?;
                let half = width_of(label)? / 2 + 5;
                // Only categories can be too many to label; numbers were thinned above.
                if px - half > last_right {
                    let top = text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Top);
                    root.draw(&Text::new(label.clone(), (px, ys.end + 10), font(TICK_PX).pos(top)))?;
                    last_right = px + half;
                }
            }
        }
        for s in &series {
            let ok = |p: &&(f64, Stat)| p.1.lo.is_finite() && p.1.hi.is_finite();
            let upper: Vec<(f64, f64)> = s.points.iter().filter(ok).map(|p| (p.0, p.1.hi)).collect();
            if let (Some(alpha), true) = (band_alpha, upper.len() >= 2) {
                let band: Vec<(f64, f64)> = upper.iter().copied().chain(s.points.iter().rev().filter(ok).map(|p| (p.0, p.1.lo))).collect();
                chart.draw_series(std::iter::once(Polygon::new(band, s.colour.mix(alpha).filled())))?;
            }
            // Whiskers show the interval at each point, which a lone point or a thin band would hide.
            chart.draw_series(
                s.points.iter().filter(ok).map(|p| PathElement::new(vec![(p.0, p.1.lo), (p.0, p.1.hi)], s.colour.mix(0.6).stroke_width(2))),
            )?;
            if text {
                // Caps mark the ends of the bars.
                let cap = 0.04;
                for p in s.points.iter().filter(ok) {
                    for y in [p.1.lo, p.1.hi] {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(p.0 - cap, y), (p.0 + cap, y)],
                            s.colour.stroke_width(2),
                        )))?;
                    }
                }
            } else {
                chart.draw_series(LineSeries::new(s.points.iter().map(|p| (p.0, p.1.mean)), s.colour.stroke_width(3)))?;
            }
            chart.draw_series(s.points.iter().map(|p| Circle::new((p.0, p.1.mean), 5, s.colour.filled())))?;
        }
        for (k, (_, pts)) in curves.iter().enumerate() {
            let c = CURVE_COLOURS[k % CURVE_COLOURS.len()];
            let pts: Vec<(f64, f64)> = pts.iter().copied().filter(|p| xr.contains(&p.0)).collect();
            chart.draw_series(DashedLineSeries::new(pts, 9, 6, c.stroke_width(2)))?;
        }
        // Reference values (e.g. theoretical optima) as dashed verticals; the legend names them.
        for (k, &(_, _, x)) in markers.iter().enumerate() {
            if !xr.contains(&x) {
                continue;
            }
            let px = chart.backend_coord(&(x, ymin)).0;
            let colour = MARKER_COLOURS[k % MARKER_COLOURS.len()];
            let mut y = ys.start;
            while y < ys.end {
                root.draw(&PathElement::new(vec![(px, y), (px, (y + 10).min(ys.end))], colour.stroke_width(2)))?;
                y += 16;
            }
        }
        if let Some((la, px)) = legend {
            legend_column(&la, legend_title.as_deref(), &keys, 10, 8, px)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- heat map over parameters 0 × 1

struct HeatmapChart<'a> {
    sw: &'a Sweep,
    m: usize,
}

/// Viridis, sampled at nine points and interpolated linearly.
fn viridis(t: f64) -> RGBColor {
    const V: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.5 };
    let x = t * (V.len() - 1) as f64;
    let i = (x.floor() as usize).min(V.len() - 2);
    let f = x - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    RGBColor(lerp(V[i].0, V[i + 1].0), lerp(V[i].1, V[i + 1].1), lerp(V[i].2, V[i + 1].2))
}

/// Decimals that show every cell with three significant digits and tell neighbours apart.
fn cell_decimals(lo: f64, hi: f64) -> usize {
    let mag = lo.abs().max(hi.abs());
    let sig3 = if mag > 0.0 { 2 - mag.log10().floor() as i32 } else { 0 };
    let spread = if hi > lo { (-(hi - lo).log10()).ceil() as i32 + 1 } else { 0 };
    sig3.max(spread).clamp(0, 6) as usize
}

impl Chart for HeatmapChart<'_> {
    fn stem(&self) -> String {
        format!("{}_heatmap", self.sw.metrics[self.m].path)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let sw = self.sw;
        let metric = &sw.metrics[self.m];
        let (p0, p1) = (&sw.params[0], &sw.params[1]);
        let (nx, ny) = (p0.values.len() as u32, p1.values.len() as u32);
        let grid: Vec<Vec<Option<f64>>> =
            (0..nx as usize).map(|i| (0..ny as usize).map(|j| sw.stat(self.m, i, Some(j)).map(|s| s.mean)).collect()).collect();
        let vals: Vec<f64> = grid.iter().flatten().flatten().copied().collect();
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let norm = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        let title = format!("{} over {} × {}", metric.q.name, p0.q.lower(), p1.q.lower());
        let reps = sw.reps();
        let runs = if reps == "1" { "one run a cell".to_string() } else { format!("mean of {reps} runs a cell") };
        let sub = format!("{} · {runs}{}", sw.heading_base(), sw.held(2));
        let area = heading(root, &title, &sub)?;
        if vals.is_empty() {
            return centred_note(&area, "points.csv has no finite values for this metric");
        }
        let (main, bar) = area.split_horizontally(area.dim_in_pixel().0 - 190);
        // Room left of the cells for the widest value label and the axis name beside it.
        let mut widest = 0;
        for v in &p1.values {
            widest = widest.max(main.estimate_text_size(&v.label, &font(TICK_PX))?.0 as i32);
        }
        // Cell (i, j) spans [i, i+1] × [j, j+1]; labels sit at the centres.
        let mut chart = framed(&main, 10, (widest + 56) as u32).build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(MUTED)
            .axis_desc_style(font(AXIS_DESC_PX))
            .x_desc(p0.q.axis(&p0.scale))
            .y_desc(p1.q.axis(&p1.scale))
            .x_labels(0)
            .y_labels(0)
            .draw()?;
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let mut last_right = i32::MIN;
        for (i, v) in p0.values.iter().enumerate() {
            let px = chart.backend_coord(&(i as f64 + 0.5, 0.0)).0;
            let half = main.estimate_text_size(&v.label, &font(TICK_PX))?.0 as i32 / 2 + 5;
            root.draw(&PathElement::new(vec![(px, ys.end), (px, ys.end + 6)], MUTED.stroke_width(1)))?;
            if px - half > last_right {
                let top = text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Top);
                root.draw(&Text::new(v.label.clone(), (px, ys.end + 10), font(TICK_PX).pos(top)))?;
                last_right = px + half;
            }
        }
        let mut last_top = i32::MAX;
        for (j, v) in p1.values.iter().enumerate() {
            let py = chart.backend_coord(&(0.0, j as f64 + 0.5)).1;
            root.draw(&PathElement::new(vec![(xs.start - 6, py), (xs.start, py)], MUTED.stroke_width(1)))?;
            if py + (TICK_PX as i32) < last_top {
                let right = text_anchor::Pos::new(text_anchor::HPos::Right, text_anchor::VPos::Center);
                root.draw(&Text::new(v.label.clone(), (xs.start - 10, py), font(TICK_PX).pos(right)))?;
                last_top = py;
            }
        }
        let write = nx <= 12 && ny <= 12;
        let decimals = cell_decimals(lo, hi);
        for (i, col) in grid.iter().enumerate() {
            for (j, v) in col.iter().enumerate() {
                let (x, y) = (i as f64, j as f64);
                let fill = match v {
                    Some(v) => viridis(norm(*v)).filled(),
                    None => RGBColor(0xee, 0xee, 0xee).filled(),
                };
                let mut cell = Rectangle::new([(x, y), (x + 1.0, y + 1.0)], fill);
                cell.set_margin(1, 1, 1, 1);
                chart.draw_series(std::iter::once(cell))?;
                if write || v.is_none() {
                    let (text, colour) = match v {
                        Some(v) => (thousands(&format!("{v:.decimals$}")), if norm(*v) < 0.6 { WHITE } else { INK }),
                        None => ("no data".to_string(), MUTED),
                    };
                    let c = chart.backend_coord(&(x + 0.5, y + 0.5));
                    let px = if nx <= 6 && ny <= 6 { 26 } else { 21 };
                    let style = font_c(px, colour).pos(text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center));
                    root.draw(&Text::new(text, c, style))?;
                }
            }
        }
        // Colour scale.
        let (blo, bhi) = if hi > lo { (lo, hi) } else { (lo - 0.5 * lo.abs().max(1e-9), hi + 0.5 * hi.abs().max(1e-9)) };
        let mut scale = ChartBuilder::on(&bar)
            .margin_top(10)
            .margin_bottom(70)
            .margin_left(10)
            .margin_right(4)
            .y_label_area_size(0)
            .right_y_label_area_size(120)
            .build_cartesian_2d(0.0..1.0, blo..bhi)?;
        scale
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .axis_style(MUTED)
            .label_style(font(TICK_PX))
            .y_labels(8)
            .y_label_formatter(&|v| fmt_sig(*v, 4))
            .draw()?;
        let steps = 120;
        scale.draw_series((0..steps).map(|k| {
            let a = blo + (bhi - blo) * k as f64 / steps as f64;
            let b = blo + (bhi - blo) * (k + 1) as f64 / steps as f64;
            Rectangle::new([(0.0, a), (1.0, b)], viridis(norm(0.5 * (a + b))).filled())
        }))?;
        // The scale's name, upright along its right edge.
        let (bw, bh) = bar.dim_in_pixel();
        let style = font_c(NOTE_PX, MUTED)
            .transform(FontTransform::Rotate90)
            .pos(text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center));
        bar.draw(&Text::new(metric.q.axis(&metric.scale), (bw as i32 - 24, (bh as i32 - 60) / 2), style))?;
        Ok(())
    }
}
