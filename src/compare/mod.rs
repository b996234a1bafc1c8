//! `gigasim compare`: chosen metrics across run folders (summary.json) or sweep
//! folders (sweep.json, runs.csv), with the differences to a baseline and, for
//! sweeps, their 95% confidence intervals: paired when both sides ran with common
//! random numbers, Welch's otherwise.
//!
//! The baseline is the first folder. Sweep points are matched by their parameter
//! values as text (path and value as runs.csv writes them). A single sweep folder is
//! compared point by point against its own first point.

use crate::config::InputError;
use crate::sweep::{self, PointStats, RunRecord, SweepMeta, point_stats, t_quantile_975};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Metrics compared by default in run folders (those present in at least one).
pub const DEFAULT_RUN_METRICS: [&str; 4] = ["ettr", "goodput", "availability", "power.facility_mean_mw"];

/// The file compare writes into its output folder, beside `charts/`.
pub const CSV: &str = "compare.csv";
/// Lists the files the last compare wrote into the folder; the next one replaces exactly these.
pub const MANIFEST: &str = ".gigasim-compare-manifest";
/// Where the new files are written before they replace the old ones.
pub const STAGING: &str = ".gigasim-compare-staging";

/// A folder's results, as read.
pub enum Data {
    /// A run: its summary.json.
    Run(serde_json::Value),
    /// A sweep: its sweep.json and the checked rows of its runs.csv.
    Sweep { meta: Box<SweepMeta>, runs: Vec<RunRecord> },
}

pub struct Folder {
    pub dir: PathBuf,
    /// A short name for tables and charts: the folder's last path components, as few as tell it apart.
    pub name: String,
    pub data: Data,
}

/// Read a run or sweep folder; anything else, or a damaged file, is an input error naming it.
pub fn load(dir: &Path) -> Result<Folder> {
    let data = if dir.join("sweep.json").exists() {
        let (meta, runs) = sweep::load_runs(dir)?;
        Data::Sweep { meta: Box::new(meta), runs }
    } else if dir.join("summary.json").exists() {
        Data::Run(read_summary(&dir.join("summary.json"))?)
    } else {
        let what = if dir.is_dir() { "holds neither summary.json (a run) nor sweep.json (a sweep)" } else { "is not a folder" };
        return Err(InputError::new(
            dir.display().to_string(),
            None,
            format!("{what}; allowed: output folders of gigasim run, or of gigasim sweep or merge"),
        )
        .into());
    };
    Ok(Folder { dir: dir.to_path_buf(), name: String::new(), data })
}

fn read_summary(path: &Path) -> Result<serde_json::Value> {
    let shown = path.display().to_string();
    let text = crate::config::read_text(path, crate::config::MAX_MODEL_BYTES).map_err(|e| crate::config::unreadable(&shown, &e))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| InputError {
        file: shown.clone(),
        line_col: Some((e.line(), e.column())),
        field: None,
        message: format!("not JSON ({e}); allowed: summary.json as gigasim run writes it"),
    })?;
    if !value.is_object() {
        return Err(InputError::new(&shown, None, "not a JSON object; allowed: summary.json as gigasim run writes it").into());
    }
    if let Some(n) = crate::config::longest_string(&value).filter(|&n| n > crate::config::MAX_STRING) {
        return Err(InputError::new(
            &shown,
            None,
            format!("holds a string of {n} characters; allowed: names of at most {}, as gigasim writes them", crate::config::MAX_STRING),
        )
        .into());
    }
    Ok(value)
}

/// How the interval of a difference was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairing {
    /// Per-replication differences (both sides ran replication r with the same seed).
    Paired,
    /// Welch's interval for two independent samples.
    Unpaired,
    /// No interval: one run a side (run folders), or too few runs.
    None,
}

impl Pairing {
    pub fn as_str(self) -> &'static str {
        match self {
            Pairing::Paired => "paired",
            Pairing::Unpaired => "unpaired",
            Pairing::None => "none",
        }
    }
}

/// A difference to the baseline (this − baseline) with its 95% interval (NaN when there is none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Diff {
    pub diff: f64,
    pub lo: f64,
    pub hi: f64,
    /// `diff` over the baseline's mean (NaN when that is 0).
    pub rel: f64,
    pub pairing: Pairing,
}

/// Mean of `d` with its Student-t 95% interval: the paired interval when `d` are
/// per-replication differences. NaN bounds for fewer than two values.
pub fn paired_ci(d: &[f64]) -> (f64, f64, f64) {
    let s = point_stats(d);
    (s.mean, s.ci_lo, s.ci_hi)
}

/// Difference of means `mean(b) − mean(a)` with Welch's 95% interval
/// (Welch–Satterthwaite degrees of freedom). NaN bounds when a side has fewer than two values.
pub fn welch_ci(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let (sa, sb) = (point_stats(a), point_stats(b));
    let diff = sb.mean - sa.mean;
    if a.len() < 2 || b.len() < 2 {
        return (diff, f64::NAN, f64::NAN);
    }
    let (va, vb) = (sa.sd * sa.sd / a.len() as f64, sb.sd * sb.sd / b.len() as f64);
    let se2 = va + vb;
    if se2 == 0.0 {
        return (diff, diff, diff); // both sides constant: the difference is exact
    }
    let df = se2 * se2 / (va * va / (a.len() - 1) as f64 + vb * vb / (b.len() - 1) as f64);
    let half = t_quantile_975(df) * se2.sqrt();
    (diff, diff - half, diff + half)
}

/// The runs of one sweep point: (replication, seed, metric value), in replication order.
type Reps<'a> = Vec<(usize, &'a str, f64)>;

/// The difference of `b` to the baseline `a`: paired when both hold the same
/// replications with the same seed each (common random numbers), else Welch's.
/// Runs without the metric are left out (paired: the replication on both sides).
pub fn sweep_diff(a: &[(usize, &str, f64)], b: &[(usize, &str, f64)]) -> Diff {
    let same_seeds = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0 && x.1 == y.1);
    let fin = |r: &[(usize, &str, f64)]| -> Vec<f64> { r.iter().map(|x| x.2).filter(|v| v.is_finite()).collect() };
    let base = point_stats(&fin(a)).mean;
    let (diff, lo, hi, pairing) = if same_seeds {
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y.2 - x.2).filter(|v| v.is_finite()).collect();
        let (m, lo, hi) = paired_ci(&d);
        (m, lo, hi, if d.len() >= 2 { Pairing::Paired } else { Pairing::None })
    } else {
        let (fa, fb) = (fin(a), fin(b));
        let (m, lo, hi) = welch_ci(&fa, &fb);
        (m, lo, hi, if fa.len() >= 2 && fb.len() >= 2 { Pairing::Unpaired } else { Pairing::None })
    };
    Diff { diff, lo, hi, rel: if base != 0.0 { diff / base.abs() } else { f64::NAN }, pairing }
}

/// One line of the comparison: a metric at one folder (and sweep point).
#[derive(Clone, Debug)]
pub struct Row {
    pub folder: usize,
    /// The sweep point (None for a run).
    pub point: Option<usize>,
    /// Parameter path and value text, in the sweep's order.
    pub params: Vec<(String, String)>,
    pub metric: String,
    /// n runs with the metric, their mean and 95% interval (NaN: none).
    pub stats: PointStats,
    /// The baseline it is compared with: folder and point.
    pub base: Option<(usize, Option<usize>)>,
    pub diff: Option<Diff>,
}

pub struct Comparison {
    pub folders: Vec<Folder>,
    pub metrics: Vec<String>,
    /// Every parameter path of the sweeps, in order of first appearance.
    pub params: Vec<String>,
    pub rows: Vec<Row>,
    /// What the reader should know: no interval for one run, points without a match.
    pub notes: Vec<String>,
}

/// The last path components of each folder, as few as tell them apart.
fn short_names(dirs: &[PathBuf]) -> Vec<String> {
    let comps: Vec<Vec<String>> = dirs
        .iter()
        .map(|d| {
            let c: Vec<String> = d.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).filter(|c| c != ".").collect();
            if c.is_empty() { vec![d.display().to_string()] } else { c }
        })
        .collect();
    let longest = comps.iter().map(Vec::len).max().unwrap_or(1);
    let tail = |c: &Vec<String>, k: usize| c[c.len().saturating_sub(k)..].join("/");
    for k in 1..=longest {
        let names: Vec<String> = comps.iter().map(|c| tail(c, k)).collect();
        if (0..names.len()).all(|i| (0..i).all(|j| names[i] != names[j] || dirs[i] == dirs[j])) {
            return names;
        }
    }
    dirs.iter().map(|d| d.display().to_string()).collect()
}

/// Metrics a folder has: every numeric field of a run's summary.json, a sweep's metrics.
fn available(f: &Folder) -> Vec<String> {
    match &f.data {
        Data::Run(s) => sweep::metric_paths(s),
        Data::Sweep { meta, .. } => meta.metrics.clone(),
    }
}

/// Compare `folders` (the first is the baseline) on `metrics` (None: the default ones).
pub fn compare(mut folders: Vec<Folder>, metrics: Option<&[String]>) -> Result<Comparison, InputError> {
    if folders.is_empty() {
        return Err(InputError::new("compare", None, "no folders given; allowed: one or more run or sweep output folders"));
    }
    let is_run = |f: &Folder| matches!(f.data, Data::Run(_));
    if folders.iter().any(is_run) && !folders.iter().all(is_run) {
        let list = |run: bool| folders.iter().filter(|f| is_run(f) == run).map(|f| f.dir.display().to_string()).collect::<Vec<_>>();
        return Err(InputError::new(
            "compare",
            None,
            format!(
                "mixes run folders ({}) and sweep folders ({}); allowed: all run folders or all sweep folders (to set a run beside a sweep, run it as a sweep of one point)",
                list(true).join(", "),
                list(false).join(", ")
            ),
        ));
    }
    let names = short_names(&folders.iter().map(|f| f.dir.clone()).collect::<Vec<_>>());
    for (f, n) in folders.iter_mut().zip(names) {
        f.name = n;
    }
    let mut have: Vec<String> = Vec::new();
    for f in &folders {
        for m in available(f) {
            if !have.contains(&m) {
                have.push(m);
            }
        }
    }
    let metrics: Vec<String> = match metrics {
        Some(ms) => {
            for m in ms {
                if !have.contains(m) {
                    let what =
                        if m.is_empty() { "an empty metric name".to_string() } else { format!("metric `{m}` is in none of the folders") };
                    let of = if is_run(&folders[0]) { "numeric summary.json fields" } else { "the sweeps' metrics" };
                    return Err(InputError::new("--metrics", None, format!("{what}; allowed ({of}): {}", suggest(m, &have))));
                }
            }
            let mut out: Vec<String> = Vec::new();
            for m in ms {
                if !out.contains(m) {
                    out.push(m.clone());
                }
            }
            out
        }
        None if is_run(&folders[0]) => DEFAULT_RUN_METRICS.iter().map(|m| m.to_string()).filter(|m| have.contains(m)).collect(),
        None => have.clone(),
    };
    if metrics.is_empty() {
        return Err(InputError::new(
            "--metrics",
            None,
            format!("none of the default metrics is in the folders; allowed: {}", have.join(", ")),
        ));
    }
    let mut c = Comparison { folders, metrics, params: Vec::new(), rows: Vec::new(), notes: Vec::new() };
    if is_run(&c.folders[0]) {
        runs(&mut c)
    } else {
        sweeps(&mut c)
    }
    Ok(c)
}

/// What to offer for an unknown metric `m`: the metrics under its first component, or
/// else the top-level names (a group as `name.…`), so that the list stays readable.
fn suggest(m: &str, have: &[String]) -> String {
    let first = m.split('.').next().unwrap_or("");
    let under: Vec<&str> = have.iter().map(String::as_str).filter(|h| h.split('.').next() == Some(first) && h.contains('.')).collect();
    if !first.is_empty() && !under.is_empty() {
        return under.join(", ");
    }
    let mut top: Vec<String> = Vec::new();
    for h in have {
        let t = match h.split_once('.') {
            Some((g, _)) => format!("{g}.…"),
            None => h.clone(),
        };
        if !top.contains(&t) {
            top.push(t);
        }
    }
    top.join(", ")
}

fn runs(c: &mut Comparison) {
    let value = |f: &Folder, m: &str| match &f.data {
        Data::Run(s) => sweep::metric(s, m).filter(|v| v.is_finite()),
        Data::Sweep { .. } => None,
    };
    for m in c.metrics.clone() {
        let base = value(&c.folders[0], &m);
        for (i, f) in c.folders.iter().enumerate() {
            let v = value(f, &m);
            let stats = point_stats(&v.into_iter().collect::<Vec<_>>());
            let diff = match (i, base, v) {
                (0, ..) => None,
                (_, Some(b), Some(v)) => Some(Diff {
                    diff: v - b,
                    lo: f64::NAN,
                    hi: f64::NAN,
                    rel: if b != 0.0 { (v - b) / b.abs() } else { f64::NAN },
                    pairing: Pairing::None,
                }),
                _ => Some(Diff { diff: f64::NAN, lo: f64::NAN, hi: f64::NAN, rel: f64::NAN, pairing: Pairing::None }),
            };
            let base = if i == 0 { None } else { Some((0, None)) };
            c.rows.push(Row { folder: i, point: None, params: Vec::new(), metric: m.clone(), stats, base, diff });
        }
    }
    c.notes.push("one run per folder: no confidence intervals (run a sweep with replications for them)".into());
    if c.folders.len() == 1 {
        c.notes.push("one folder: no differences (the first folder given is the baseline)".into());
    }
}

/// A point's parameters as (path, value text).
type Params = Vec<(String, String)>;

/// A sweep's points: parameters and the indices of its runs, by point.
fn points(meta: &SweepMeta, runs: &[RunRecord]) -> BTreeMap<usize, (Params, Vec<usize>)> {
    let mut out: BTreeMap<usize, (Params, Vec<usize>)> = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        let e = out
            .entry(r.point)
            .or_insert_with(|| (meta.parameters.iter().map(|p| p.path.clone()).zip(r.params.iter().cloned()).collect(), Vec::new()));
        e.1.push(i);
    }
    out
}

/// Points match when they set the same parameters to the same text, whatever the order.
fn point_key(params: &[(String, String)]) -> Vec<(String, String)> {
    let mut k = params.to_vec();
    k.sort();
    k
}

fn sweeps(c: &mut Comparison) {
    struct P<'a> {
        folder: usize,
        point: usize,
        params: Vec<(String, String)>,
        runs: Vec<&'a RunRecord>,
        meta: &'a SweepMeta,
    }
    let mut all: Vec<P> = Vec::new();
    for (fi, f) in c.folders.iter().enumerate() {
        if let Data::Sweep { meta, runs } = &f.data {
            for p in &meta.parameters {
                if !c.params.contains(&p.path) {
                    c.params.push(p.path.clone());
                }
            }
            for (point, (params, idx)) in points(meta, runs) {
                all.push(P { folder: fi, point, params, runs: idx.iter().map(|&i| &runs[i]).collect(), meta });
            }
        }
    }
    let single = c.folders.len() == 1;
    // The baseline point of each point: the first sweep's point with the same values,
    // or in a single sweep its first point.
    let base_of = |p: &P| -> Option<usize> {
        if single {
            return (p.point != all[0].point).then_some(0);
        }
        if p.folder == 0 {
            return None;
        }
        all.iter().position(|q| q.folder == 0 && point_key(&q.params) == point_key(&p.params))
    };
    let bases: Vec<Option<usize>> = all.iter().map(base_of).collect();
    fn reps<'a>(p: &P<'a>, m: &str) -> Reps<'a> {
        let i = p.meta.metrics.iter().position(|x| x == m);
        p.runs.iter().map(|r| (r.replication, r.seed.as_str(), i.and_then(|i| r.metrics.get(i).copied()).unwrap_or(f64::NAN))).collect()
    }
    // Rows of one point side by side: points in order of first appearance, then folders.
    let group = |p: &P| all.iter().position(|q| point_key(&q.params) == point_key(&p.params)).unwrap_or(0);
    let mut order: Vec<usize> = (0..all.len()).collect();
    if !single {
        order.sort_by_key(|&i| (group(&all[i]), all[i].folder));
    }
    for m in c.metrics.clone() {
        for &pi in &order {
            let p = &all[pi];
            let mine = reps(p, &m);
            let xs: Vec<f64> = mine.iter().map(|x| x.2).filter(|v| v.is_finite()).collect();
            let stats = point_stats(&xs);
            let diff = bases[pi].map(|b| sweep_diff(&reps(&all[b], &m), &mine));
            let base = bases[pi].map(|b| (all[b].folder, Some(all[b].point)));
            c.rows.push(Row { folder: p.folder, point: Some(p.point), params: p.params.clone(), metric: m.clone(), stats, base, diff });
        }
    }
    if single {
        c.notes.push(if all.len() > 1 {
            "one sweep: each point is compared with its first point".into()
        } else {
            "one sweep of one point: no differences".into()
        });
    } else {
        for (fi, f) in c.folders.iter().enumerate().skip(1) {
            let unmatched = all.iter().zip(&bases).filter(|(p, b)| p.folder == fi && b.is_none()).count();
            if unmatched > 0 {
                c.notes.push(format!(
                    "{}: {} with no point of the same parameter values in {} (the baseline): no difference",
                    f.name,
                    crate::output::count(unmatched as u64, "point", "points"),
                    c.folders[0].name
                ));
            }
        }
    }
}

/// `values` in `scale` with 4 significant digits, more where that would show two
/// different values alike (availability 0.99994 against 0.99995); empty for NaN.
pub(crate) fn shown(values: &[f64], scale: &crate::plot::labels::Scale) -> Vec<String> {
    let fmt = |v: f64, sig: usize| if v.is_finite() { crate::plot::labels::fmt_num(scale.apply(v), sig) } else { String::new() };
    let mut labels = Vec::new();
    for sig in 4..=9 {
        labels = values.iter().map(|&v| fmt(v, sig)).collect::<Vec<_>>();
        if (0..values.len()).all(|i| (0..i).all(|j| labels[i] != labels[j] || values[i] == values[j] || labels[i].is_empty())) {
            break;
        }
    }
    labels
}

impl Comparison {
    /// The name and unit of metric `m`: a sweep file's label for it if one gives one, else the built-in table's.
    pub(crate) fn quantity(&self, m: &str) -> crate::plot::labels::Quantity {
        let q = crate::plot::labels::metric(m);
        let label = self.folders.iter().find_map(|f| match &f.data {
            Data::Sweep { meta, .. } => meta.labels.get(m),
            Data::Run(_) => None,
        });
        match label {
            Some(l) => q.renamed(l),
            None => q,
        }
    }
}

/// "interval_hours=0.25, crews=4": parameters by the last part of their path.
pub fn point_label(params: &[(String, String)]) -> String {
    params.iter().map(|(p, v)| format!("{}={v}", short_param(p))).collect::<Vec<_>>().join(", ")
}

fn short_param(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

// ---------------------------------------------------------------- outputs

fn num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { String::new() }
}

/// compare.csv: one row per folder, point and metric (tidy, for pandas).
pub fn csv(c: &Comparison) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let mut head = vec!["folder".to_string(), "point".into()];
    head.extend(c.params.iter().cloned());
    head.extend(
        ["metric", "n", "mean", "ci_lo", "ci_hi", "baseline", "baseline_point", "diff", "diff_ci_lo", "diff_ci_hi", "rel_diff", "pairing"]
            .map(String::from),
    );
    let _ = w.write_record(&head);
    for r in &c.rows {
        let mut f = vec![c.folders[r.folder].dir.display().to_string(), r.point.map(|p| p.to_string()).unwrap_or_default()];
        f.extend(c.params.iter().map(|p| r.params.iter().find(|x| &x.0 == p).map(|x| x.1.clone()).unwrap_or_default()));
        f.push(r.metric.clone());
        f.push(r.stats.n.to_string());
        f.extend([r.stats.mean, r.stats.ci_lo, r.stats.ci_hi].map(num));
        match r.base {
            Some((bf, bp)) => {
                f.push(c.folders[bf].dir.display().to_string());
                f.push(bp.map(|p| p.to_string()).unwrap_or_default());
            }
            None => f.extend([String::new(), String::new()]),
        }
        match r.diff {
            Some(d) => {
                f.extend([d.diff, d.lo, d.hi, d.rel].map(num));
                f.push(d.pairing.as_str().into());
            }
            None => f.extend(std::iter::repeat_n(String::new(), 5)),
        }
        let _ = w.write_record(&f);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The terminal table: aligned, values in the metric's display unit.
pub fn table(c: &Comparison) -> String {
    use crate::plot::labels::fmt_num;
    let sweeps = c.rows.iter().any(|r| r.point.is_some());
    let mut head = vec!["metric", "folder"];
    if sweeps {
        head.extend(["point", "n"]);
    }
    head.extend(["value", "95% CI", "diff", "diff 95% CI", "diff %", "pairing"]);
    if !sweeps {
        head.retain(|h| !h.contains("CI") && *h != "pairing");
    }
    let mut lines: Vec<Vec<String>> = vec![head.iter().map(|h| h.to_string()).collect()];
    for m in &c.metrics {
        let rows: Vec<&Row> = c.rows.iter().filter(|r| &r.metric == m).collect();
        let q = c.quantity(m);
        let max = rows.iter().map(|r| r.stats.mean.abs()).filter(|v| v.is_finite()).fold(0.0, f64::max);
        let scale = q.scale(max);
        let show = |v: f64| if v.is_finite() { fmt_num(scale.apply(v), 4) } else { String::new() };
        let means = shown(&rows.iter().map(|r| r.stats.mean).collect::<Vec<_>>(), &scale);
        // Differences in the metric's display unit (percentage points for shares).
        let signed = |v: f64| if !v.is_finite() { String::new() } else { format!("{}{}", if v > 0.0 { "+" } else { "" }, show(v)) };
        let range =
            |lo: f64, hi: f64| if lo.is_finite() && hi.is_finite() { format!("{} … {}", show(lo), show(hi)) } else { String::new() };
        let label = q.axis(&scale);
        for (k, r) in rows.iter().enumerate() {
            let mut l = vec![if k == 0 { label.clone() } else { String::new() }, c.folders[r.folder].name.clone()];
            if sweeps {
                l.push(point_label(&r.params));
                l.push(r.stats.n.to_string());
            }
            l.push(means[k].clone());
            if sweeps {
                l.push(range(r.stats.ci_lo, r.stats.ci_hi));
            }
            match r.diff {
                Some(d) => {
                    l.push(signed(d.diff));
                    if sweeps {
                        l.push(range(d.lo, d.hi));
                    }
                    l.push(percent(d.rel));
                    if sweeps {
                        l.push(d.pairing.as_str().into());
                    }
                }
                None => {
                    let base = if r.base.is_none() && (c.folders.len() > 1 || sweeps) { "baseline" } else { "" };
                    l.push(base.into());
                    l.extend(std::iter::repeat_n(String::new(), if sweeps { 3 } else { 1 }));
                }
            }
            lines.push(l);
        }
    }
    let widths: Vec<usize> = (0..lines[0].len()).map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for l in &lines {
        let cells: Vec<String> = l
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let pad = " ".repeat(widths[i] - s.chars().count());
                // Numbers right-aligned, text left-aligned.
                let numeric = s.starts_with(|ch: char| ch.is_ascii_digit() || ch == '+' || ch == '-');
                if numeric { format!("{pad}{s}") } else { format!("{s}{pad}") }
            })
            .collect();
        out += cells.join("  ").trim_end();
        out.push('\n');
    }
    for n in &c.notes {
        out += &format!("note: {n}\n");
    }
    out
}

/// "+2.84%"; a share too small for two decimals keeps two significant digits ("+6.2e-4%").
fn percent(rel: f64) -> String {
    let p = 100.0 * rel;
    if !p.is_finite() {
        String::new()
    } else if p == 0.0 || p.abs() >= 0.01 {
        format!("{p:+.2}%")
    } else {
        format!("{}{}%", if p > 0.0 { "+" } else { "" }, crate::plot::labels::fmt_num(p, 2))
    }
}

/// Write compare.csv and (when `charts`) charts/ into `out` as one unit: all into a
/// staging folder first, then the files the last compare wrote there (its manifest
/// lists them) are set aside, the new ones moved in, and the old ones removed. A
/// failure puts the old ones back. Other files in `out` are not touched.
pub fn write(c: &Comparison, out: &Path, charts: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let staging = out.join(STAGING);
    remove_dir(&staging)?;
    let result = stage_and_swap(c, out, &staging, charts);
    if result.is_err() && holds_files(&staging.join("old")) {
        return result
            .with_context(|| format!("the earlier comparison's files could not all be put back: the rest are in {}", staging.display()));
    }
    let _ = remove_dir(&staging);
    result.with_context(|| format!("writing a comparison into {} (nothing there was changed)", out.display()))
}

fn holds_files(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .is_ok_and(|entries| entries.flatten().any(|e| e.file_type().is_ok_and(|t| !t.is_dir()) || holds_files(&e.path())))
}

fn remove_dir(d: &Path) -> Result<()> {
    match std::fs::symlink_metadata(d) {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(d).with_context(|| format!("removing {}", d.display())),
        Ok(_) => std::fs::remove_file(d).with_context(|| format!("removing {}", d.display())),
    }
}

/// Names a compare may have written: compare.csv, charts/compare_*.svg|png, the manifest.
fn ours(name: &str) -> bool {
    name == CSV
        || name == MANIFEST
        || name
            .strip_prefix("charts/compare_")
            .is_some_and(|s| (s.ends_with(".svg") || s.ends_with(".png")) && !s.contains('/') && !s.contains("..") && !s.contains('\\'))
}

fn stage_and_swap(c: &Comparison, out: &Path, staging: &Path, charts: bool) -> Result<Vec<PathBuf>> {
    let (new, old) = (staging.join("new"), staging.join("old"));
    for d in [&new, &old.join("charts")] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let mut names = vec![CSV.to_string()];
    std::fs::write(new.join(CSV), csv(c)).with_context(|| format!("writing {}", new.join(CSV).display()))?;
    if charts {
        for f in crate::plot::compare_charts(c, &new.join("charts"))? {
            if let Some(n) = f.file_name() {
                names.push(format!("charts/{}", n.to_string_lossy()));
            }
        }
    }
    names.push(MANIFEST.into());
    let manifest = format!(
        "# gigasim compare: the files it wrote into this folder, one a line; the next compare replaces these.\n{}\n",
        names.join("\n")
    );
    std::fs::write(new.join(MANIFEST), manifest).with_context(|| format!("writing {}", new.join(MANIFEST).display()))?;
    // The earlier comparison's files: those its manifest lists, and compare.csv.
    let mut earlier: Vec<String> = std::fs::read_to_string(out.join(MANIFEST))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && ours(l))
        .map(String::from)
        .collect();
    earlier.push(CSV.into());
    earlier.push(MANIFEST.into());
    earlier.sort();
    earlier.dedup();
    earlier.retain(|n| out.join(n).is_file());
    let mut aside: Vec<&String> = Vec::new();
    let mut placed: Vec<&String> = Vec::new();
    let moved = (|| -> Result<()> {
        for n in &earlier {
            std::fs::rename(out.join(n), old.join(n)).with_context(|| format!("moving {} aside", out.join(n).display()))?;
            aside.push(n);
        }
        if charts {
            std::fs::create_dir_all(out.join("charts")).with_context(|| format!("creating {}", out.join("charts").display()))?;
        }
        for n in &names {
            std::fs::rename(new.join(n), out.join(n)).with_context(|| format!("moving {} into {}", n, out.display()))?;
            placed.push(n);
        }
        Ok(())
    })();
    if let Err(e) = moved {
        for n in placed {
            let _ = std::fs::remove_file(out.join(n));
        }
        for n in aside.iter().rev() {
            let _ = std::fs::rename(old.join(n), out.join(n));
        }
        return Err(e);
    }
    // charts/ goes if this compare emptied it (--no-charts after charts).
    let _ = std::fs::remove_dir(out.join("charts"));
    Ok(names.iter().map(|n| out.join(n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_take_as_few_components_as_tell_folders_apart() {
        let d = |s: &str| PathBuf::from(s);
        assert_eq!(short_names(&[d("/a/x/out"), d("/a/y/out")]), ["x/out", "y/out"]);
        assert_eq!(short_names(&[d("/a/base"), d("b/crews8")]), ["base", "crews8"]);
    }

    #[test]
    fn welch_matches_a_hand_computation() {
        // a: mean 2, var 1 (n 3); b: mean 5, var 4 (n 3). se² = 1/3 + 4/3 = 5/3,
        // df = (5/3)² / ((1/3)²/2 + (4/3)²/2) = 25/9 / (17/18) = 50/17.
        let (d, lo, hi) = welch_ci(&[1.0, 2.0, 3.0], &[3.0, 5.0, 7.0]);
        let half = t_quantile_975(50.0 / 17.0) * (5.0f64 / 3.0).sqrt();
        assert!((d - 3.0).abs() < 1e-12);
        assert!((lo - (3.0 - half)).abs() < 1e-12 && (hi - (3.0 + half)).abs() < 1e-12, "{lo} {hi}");
        // t(2.941) lies between the table values t(2) = 4.303 and t(3) = 3.182.
        assert!(half > 3.182 * 1.29 && half < 4.303 * 1.291, "{half}");
    }

    #[test]
    fn ours_refuses_paths_outside_the_charts() {
        assert!(ours("charts/compare_ettr.png") && ours(CSV));
        assert!(!ours("charts/compare_../../x.png") && !ours("summary.json") && !ours("charts/power.png"));
    }
}
