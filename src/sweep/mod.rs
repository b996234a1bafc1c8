//! Parameter sweeps: a grid of scenarios × replications run in parallel with
//! common random numbers, written so that output bytes never depend on the
//! thread count, a killed sweep resumes without loss, and shards merge into
//! exactly what an unsharded run writes.
//!
//! Start with [`Sweep::load`] (a sweep file, checked point by point before anything
//! runs), [`Sweep::with_sets`] for overrides as `gigasim sweep --set` takes them, and
//! [`run`] with [`Options`] into a folder: `runs.csv` (one row per run), `points.csv`
//! (mean and 95% interval per point, read back by [`load_points`]) and `sweep.json`.
//! [`merge`] joins the folders of shards; [`crate::plot::sweep_charts`] draws them.
//!
//! A tiny sweep: two crew counts × two replications of one day of a 25k-chip site.
//!
//! ```
//! use gigasim::sweep::{self, Options, Sweep};
//!
//! let dir = tempfile::tempdir()?;
//! // `base` is relative to the sweep file; here the sweep file is elsewhere, so absolute.
//! let base = std::fs::canonicalize("models/scenarios/factory-25k.ron")?;
//! let file = dir.path().join("crews.ron");
//! std::fs::write(&file, format!(r#"(
//!     name: "crews",
//!     base: "{}",
//!     set: ["horizon_days=1"],
//!     parameters: [(path: "failure.repair.crews", values: List([2, 8]))],
//!     replications: 2,
//!     metrics: ["goodput", "ettr", "frontier.0.interruptions"],
//! )"#, base.display()))?;
//!
//! let sweep = Sweep::load(&file)?.with_sets(&["seed=5".into()], "--set")?;
//! assert_eq!((sweep.points(), sweep.runs()), (2, 4));
//! assert_eq!(sweep.seed(1), 6); // replication r runs with seed + r at every point
//!
//! let out = dir.path().join("out");
//! let opts = Options { jobs: 1, ..Options::default() };
//! let done = sweep::run(&sweep, &out, &opts)?;
//! assert_eq!((done.runs_done_now, done.runs_total), (4, 4));
//! let (meta, points) = sweep::load_points(&out)?;
//! assert_eq!((meta.seed, points.len()), (5, 2));
//! for p in &points {
//!     let goodput = &p.stats[0];
//!     assert_eq!(goodput.n, 2);
//!     assert!(goodput.ci_lo <= goodput.mean && goodput.mean <= goodput.ci_hi && goodput.mean < 1.0);
//! }
//! // Run again into the same folder: everything is there, nothing runs.
//! assert_eq!(sweep::run(&sweep, &out, &opts)?.runs_done_now, 0);
//! # Ok::<(), anyhow::Error>(())
//! ```

mod spec;
mod stats;

pub use spec::{
    CHECK_EVERY_POINT, CHECK_VALUES, FileValues, MAX_POINTS, MAX_REPLICATIONS, MAX_VALUES, ParamMeta, ParamValue, Parameter, Sweep,
    SweepFile, SweepMeta, Values, fnv1a, json_value, metric, metric_paths,
};
pub use stats::{PointStats, point_stats, t_quantile_975};

use crate::config::InputError;
use crate::output::write_atomic;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A deterministic share of the runs: run k belongs to shard k mod count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a shard; allowed: I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// How [`run`] runs a sweep: worker threads, the shard, a progress bar and the
/// bounds. [`Options::default`] is what `gigasim sweep` uses without flags.
pub struct Options {
    /// Worker threads (0: one per core).
    pub jobs: usize,
    pub shard: Option<Shard>,
    pub progress: bool,
    /// Bounds on each run; a run that gets to its event bound fails the sweep
    /// (the runs done are kept in the journal).
    pub bounds: crate::work::Bounds,
    /// Bound on the events of all this sweep's (or shard's) runs together.
    pub total_events: u64,
    /// What to tell a user whose sweep is refused, e.g. "--allow-large".
    pub allow: &'static str,
    /// Written into sweep.json, with copies of its files in the folder's `inputs/`.
    pub provenance: Option<crate::provenance::Provenance>,
}

impl Default for Options {
    /// One thread per core, no shard, no progress bar, the default bounds.
    fn default() -> Self {
        Options {
            jobs: 0,
            shard: None,
            progress: false,
            bounds: crate::work::Bounds::DEFAULT,
            total_events: DEFAULT_TOTAL_EVENTS,
            allow: "--allow-large",
            provenance: None,
        }
    }
}

/// 1e10 events: about an hour of both cores of a small machine at 2.5–3 M events/s
/// each; a larger sweep is split into shards or allowed explicitly.
pub const DEFAULT_TOTAL_EVENTS: u64 = 10_000_000_000;

/// Memory a finished run's row is held in until the sweep writes its results: the
/// row's text and metrics, and the map's node (measured ~150 B for 7 cells), per cell.
const BYTES_PER_CELL: f64 = 32.0;

/// Refuse a sweep whose runs, estimated at the points its check builds (every point of
/// a small grid; a large grid's extremes), would pass a bound: one run's events or
/// memory (times the runs in flight at once, with the rows kept until the end), or
/// the events of all its runs (`runs` of them) together.
fn check_work(sweep: &Sweep, runs: usize, opts: &Options) -> Result<(), InputError> {
    let mut worst: Option<(usize, crate::work::Work)> = None;
    let mut trace: Option<(crate::config::TraceSpec, crate::sim::TraceSource)> = None;
    let threads = if opts.jobs > 0 { opts.jobs } else { std::thread::available_parallelism().map_or(1, |n| n.get()) };
    let cells = 4 + sweep.params.len() + sweep.metrics.len();
    let rows_bytes = runs as f64 * cells as f64 * BYTES_PER_CELL;
    for k in sweep.check_points() {
        let Ok(s) = sweep.scenario(k) else { continue };
        // A traced workload is estimated from its trace (read once, as the check does).
        if let Some(spec) = &s.workload.trace
            && trace.as_ref().is_none_or(|t| &t.0 != spec)
            && let Ok(t) = crate::sim::TraceSource::load(spec, &s.workload)
        {
            trace = Some((spec.clone(), t));
        }
        let traced = trace.as_ref().filter(|t| Some(&t.0) == s.workload.trace.as_ref()).map(|t| &t.1);
        let mut w = crate::work::Work::of(&s, traced);
        let in_flight = threads.min(runs.max(1)) as f64;
        for d in &mut w.drivers {
            d.bytes *= in_flight;
        }
        w.drivers.push(crate::work::Driver {
            field: "replications".into(),
            what: format!("{runs} result rows kept until the sweep ends"),
            events: 0.0,
            bytes: rows_bytes,
        });
        w.bytes = w.bytes * in_flight + rows_bytes;
        let name = |k: usize| {
            let at: Vec<String> = sweep.params.iter().zip(sweep.point_values(k)).map(|((p, _), v)| format!("{p}={}", shown(&v))).collect();
            format!("sweep `{}`, point {k} ({})", sweep.name, at.join(", "))
        };
        w.check(opts.bounds, opts.allow).map_err(|m| InputError::new(name(k), None, m))?;
        if worst.as_ref().is_none_or(|(_, b)| w.events > b.events) {
            worst = Some((k, w));
        }
    }
    let Some((k, w)) = worst else { return Ok(()) };
    let total = w.events * runs as f64;
    if total > opts.total_events as f64 {
        return Err(InputError::new(
            format!("sweep `{}`", sweep.name),
            None,
            format!(
                "its {runs} runs would take about {} events in all (up to {} each, at point {k}), beyond the bound of {} for a sweep (--max-sweep-events); allowed: fewer points or replications, shards (--shard I/N), or {}",
                crate::work::sci(total),
                crate::work::sci(w.events),
                crate::work::sci(opts.total_events as f64),
                opts.allow
            ),
        ));
    }
    Ok(())
}

/// What a finished sweep wrote.
pub struct Outcome {
    pub runs_done_now: usize,
    pub runs_total: usize,
    pub files: Vec<PathBuf>,
}

const JOURNAL: &str = "runs.journal.csv";

/// One finished run: its CSV line (without newline) and its metrics in the sweep's order.
#[derive(Clone, Debug, PartialEq)]
struct Run {
    text: String,
    metrics: Vec<f64>,
}

/// Runs by [`run_key`].
type Rows = BTreeMap<usize, Run>;

fn header_fields(meta: &SweepMeta) -> Vec<String> {
    let mut cols = vec!["point".to_string(), "replication".into(), "seed".into()];
    cols.extend(meta.parameters.iter().map(|p| p.path.clone()));
    cols.extend(meta.metrics.iter().cloned());
    cols.push("check".into());
    cols
}

/// The last cell of a row: a checksum (FNV-1a, 64 bits, in hex) of the row's other
/// cells as written, so that a row read back that was cut or edited, even into
/// another well-formed number, is found rather than copied into the results.
fn row_check(text_before: &str) -> String {
    fnv1a(text_before)
}

/// A value as `--set` would take it, for messages.
fn shown(v: &ParamValue) -> String {
    match v {
        ParamValue::Num(x) => json_value(*x),
        ParamValue::Text(t) => t.clone(),
    }
}

fn header(meta: &SweepMeta) -> String {
    csv_line(header_fields(meta))
}

fn csv_line<S: AsRef<[u8]>>(fields: impl IntoIterator<Item = S>) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    w.write_record(fields).expect("in-memory write");
    let mut s = String::from_utf8(w.into_inner().expect("in-memory flush")).expect("utf-8");
    s.pop();
    s
}

/// Rows sort by this key: point, then replication.
fn run_key(point: usize, rep: usize) -> usize {
    (point << 32) | rep
}

/// An input error at `line`, `col` of `file`.
fn at(file: &Path, line: usize, col: usize, field: Option<&str>, message: String) -> anyhow::Error {
    InputError { file: file.display().to_string(), line_col: Some((line, col)), field: field.map(str::to_string), message }.into()
}

/// What to do about a damaged line `line`.
fn fix(line: usize) -> String {
    format!(
        "a damaged line: delete line {line} and run the sweep (or that shard) again with the same --out, which redoes its run; or use another --out"
    )
}

/// A file's text, or an input error naming it (and, for bytes that are not UTF-8, the line).
fn read_utf8(path: &Path, missing: &str) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound { missing.to_string() } else { format!("cannot read: {e}") };
        InputError::new(path.display().to_string(), None, why)
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = good.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        at(path, line, col, None, "not UTF-8 text; allowed: the file as gigasim wrote it".into())
    })
}

/// What every row of a sweep's runs files must be, from its sweep.json: as many fields
/// as the header, a point and a replication of the grid, that replication's seed, the
/// point's parameter values as `run_one` writes them, and numbers for the metrics.
struct Grid<'a> {
    meta: &'a SweepMeta,
    head: Vec<String>,
    points: usize,
    /// Parameter values must be `run_one`'s text byte for byte. `merge` has the values
    /// only from sweep.json, which serde_json may read back a rounding off, so there a
    /// value within a few units in the last place of sweep.json's is accepted too.
    exact: bool,
}

impl<'a> Grid<'a> {
    fn new(meta: &'a SweepMeta, exact: bool) -> Self {
        let points = meta.parameters.iter().map(|p| p.values.len()).product();
        Grid { meta, head: header_fields(meta), points, exact }
    }

    /// Parameter values of point `k` (the first parameter varies slowest).
    fn point_values(&self, mut k: usize) -> Vec<&ParamValue> {
        let mut out = Vec::with_capacity(self.meta.parameters.len());
        for p in self.meta.parameters.iter().rev() {
            out.push(&p.values[k % p.values.len()]);
            k /= p.values.len();
        }
        out.reverse();
        out
    }

    /// Text must match byte for byte; a number as written (see `exact`).
    fn same_value(&self, text: &str, v: &ParamValue) -> bool {
        let v = match v {
            ParamValue::Text(t) => return text == t,
            ParamValue::Num(v) => *v,
        };
        if text == format!("{v}") {
            return true;
        }
        !self.exact && text.parse::<f64>().is_ok_and(|x| format!("{x}") == text && (x - v).abs() <= 4.0 * f64::EPSILON * v.abs())
    }
}

/// A metric as `run_one` writes it: a float's shortest text, finite, or an empty cell
/// for a metric the run's summary lacks.
fn metric_value(text: &str) -> Option<f64> {
    if text.is_empty() {
        return Some(f64::NAN);
    }
    text.parse::<f64>().ok().filter(|x| x.is_finite() && format!("{x}") == text)
}

/// A whole number as gigasim writes it (no sign, no leading zeros).
fn whole(text: &str) -> Option<usize> {
    text.parse::<usize>().ok().filter(|n| n.to_string() == text)
}

/// Rows read back from runs files, each checked against the grid, with where each
/// came from (to name both places of a conflict).
struct Reader<'a> {
    grid: &'a Grid<'a>,
    rows: Rows,
    from: BTreeMap<usize, (usize, usize)>,
    files: Vec<PathBuf>,
}

impl<'a> Reader<'a> {
    fn new(grid: &'a Grid<'a>) -> Self {
        Reader { grid, rows: Rows::new(), from: BTreeMap::new(), files: Vec::new() }
    }

    /// Read the text of a runs file (runs.csv or the journal). gigasim writes whole
    /// lines, so a last line without its newline was cut: in the journal by a kill
    /// (`cut_ok`: dropped), elsewhere by damage (an error). Returns the length of the
    /// whole lines, to which a journal is truncated so that appends stay aligned.
    fn read(&mut self, file: &Path, text: &str, cut_ok: bool) -> Result<usize> {
        let whole = text.rfind('\n').map_or(0, |i| i + 1);
        if whole < text.len() && !cut_ok {
            let line = text[..whole].matches('\n').count() + 1;
            if line == 1 {
                return Err(at(
                    file,
                    1,
                    1,
                    None,
                    format!(
                        "the header is cut short (the file ends inside it); allowed: the header `{}` and a line per run (the file was truncated: use another --out)",
                        header(self.grid.meta)
                    ),
                ));
            }
            return Err(at(
                file,
                line,
                1,
                None,
                format!(
                    "the last line is cut short (no newline at its end: the file was truncated); allowed: whole lines as gigasim writes them; {}",
                    fix(line)
                ),
            ));
        }
        if whole == 0 {
            if text.is_empty() && !cut_ok {
                return Err(at(file, 1, 1, None, format!("empty; allowed: the header `{}` and a line per run", header(self.grid.meta))));
            }
            return Ok(0);
        }
        self.files.push(file.to_path_buf());
        let file_no = self.files.len() - 1;
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&text.as_bytes()[..whole]);
        let mut rec = csv::StringRecord::new();
        let mut next_line = 1;
        loop {
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map_or(next_line, |p| p.line() as usize);
                    return Err(at(file, line, 1, None, format!("not CSV ({e}); {}", fix(line))));
                }
            }
            let line = rec.position().map_or(next_line, |p| p.line() as usize);
            if line != next_line {
                // The reader skips empty lines; a quoted field over several lines also lands here.
                return Err(at(
                    file,
                    next_line,
                    1,
                    None,
                    format!("not a line of runs (empty, or a field over several lines); {}", fix(next_line)),
                ));
            }
            next_line = line + 1;
            if line == 1 {
                self.header(file, &rec)?;
                continue;
            }
            let (key, run) = self.row(file, line, &rec)?;
            match self.rows.get(&key) {
                // The same run twice with the same text (runs.csv and the journal of a
                // sweep killed while it wrote runs.csv, or two copies of a shard) is harmless.
                Some(old) if old.text == run.text => {}
                Some(_) => {
                    let (f, l) = self.from[&key];
                    return Err(at(
                        file,
                        line,
                        1,
                        None,
                        format!(
                            "point {}, replication {} is also at {}:{l}, with other values; allowed: one row per run (identical copies are harmless); delete one of the two lines (or both) and run the sweep (or that shard) again with the same --out, which redoes the run; or use another --out",
                            key >> 32,
                            key & 0xffff_ffff,
                            self.files[f].display()
                        ),
                    ));
                }
                None => {
                    self.rows.insert(key, run);
                    self.from.insert(key, (file_no, line));
                }
            }
        }
        Ok(whole)
    }

    /// The header must be this sweep's, else it is damaged or another sweep's.
    fn header(&self, file: &Path, rec: &csv::StringRecord) -> Result<()> {
        let want = &self.grid.head;
        let got: Vec<&str> = rec.iter().collect();
        if got.len() == want.len() && got.iter().zip(want).all(|(g, w)| g == w) {
            return Ok(());
        }
        let want_text = header(self.grid.meta);
        let got_text = csv_line(&got);
        let restore = format!("allowed: the header `{want_text}` (restore it, or use another --out)");
        if want_text.starts_with(&got_text) {
            let last = got.last().copied().unwrap_or("");
            return Err(at(file, 1, 1, None, format!("the header is cut short: it ends at `{last}`; {restore}")));
        }
        let differ: Vec<usize> =
            (0..got.len().max(want.len())).filter(|&i| got.get(i).copied() != want.get(i).map(String::as_str)).collect();
        let col = |i: usize| got.iter().take(i).map(|g| g.len() + 1).sum::<usize>() + 1;
        let first_three_ok = got.len() > 3 && got[..3] == ["point", "replication", "seed"];
        if first_three_ok && (got.len() != want.len() || differ.len() > 1) {
            return Err(at(
                file,
                1,
                col(3),
                None,
                format!(
                    "holds the runs of another sweep: its columns after `seed` are `{}`, this sweep's are `{}`; allowed: runs of this sweep (use another --out)",
                    got[3..].join(","),
                    want[3..].join(",")
                ),
            ));
        }
        let i = differ[0];
        let (g, w) = (got.get(i).copied().unwrap_or("(none)"), want.get(i).map_or("(none)", String::as_str));
        Err(at(file, 1, col(i), None, format!("the header is damaged: column {} is `{g}`, this sweep's is `{w}`; {restore}", i + 1)))
    }

    /// One row, checked field by field.
    fn row(&self, file: &Path, line: usize, rec: &csv::StringRecord) -> Result<(usize, Run)> {
        let (g, meta) = (self.grid, self.grid.meta);
        if rec.len() != g.head.len() {
            return Err(at(
                file,
                line,
                1,
                None,
                format!(
                    "a row of {} fields; allowed: {} fields as in the header (point, replication, seed, {}, {}, check); {}",
                    rec.len(),
                    g.head.len(),
                    crate::output::count(meta.parameters.len() as u64, "parameter", "parameters"),
                    crate::output::count(meta.metrics.len() as u64, "metric", "metrics"),
                    fix(line)
                ),
            ));
        }
        let col = |i: usize| rec.iter().take(i).map(|f| f.len() + 1).sum::<usize>() + 1;
        let bad = |i: usize, what: String| at(file, line, col(i), Some(&g.head[i]), format!("{what}; {}", fix(line)));
        let point = whole(&rec[0]).filter(|&p| p < g.points).ok_or_else(|| {
            bad(0, format!("`{}` is not a point of this sweep; allowed: a whole number from 0 to {}", &rec[0], g.points - 1))
        })?;
        let reps = meta.replications as usize;
        let rep = whole(&rec[1]).filter(|&r| r < reps).ok_or_else(|| {
            bad(1, format!("`{}` is not a replication of this sweep; allowed: a whole number from 0 to {}", &rec[1], reps - 1))
        })?;
        let seed = meta.seed.wrapping_add(rep as u64).to_string();
        if rec[2] != seed {
            return Err(bad(
                2,
                format!("`{}` is not the seed of replication {rep}; allowed: {seed} (sweep.json's seed + replication)", &rec[2]),
            ));
        }
        let np = meta.parameters.len();
        for (i, v) in g.point_values(point).into_iter().enumerate() {
            if !g.same_value(&rec[3 + i], v) {
                return Err(bad(3 + i, format!("`{}` is not point {point}'s value; allowed: {v}", &rec[3 + i])));
            }
        }
        let metrics = (0..meta.metrics.len())
            .map(|m| {
                let t = &rec[3 + np + m];
                metric_value(t).ok_or_else(|| {
                    bad(
                        3 + np + m,
                        format!("`{t}` is not a number as gigasim writes it; allowed: a finite number, or an empty cell for a metric the run lacks"),
                    )
                })
            })
            .collect::<Result<Vec<f64>>>()?;
        let last = rec.len() - 1;
        let want = row_check(&csv_line(rec.iter().take(last)));
        if rec[last] != want {
            return Err(bad(
                last,
                format!(
                    "`{}` is not the checksum of this row's cells (`{want}`): a cell was cut or changed after gigasim wrote it; allowed: the row as gigasim wrote it",
                    &rec[last]
                ),
            ));
        }
        Ok((run_key(point, rep), Run { text: csv_line(rec), metrics }))
    }
}

/// Rows already on disk: the final runs.csv of an earlier complete pass, and
/// whole lines of the journal (a line cut short by a kill is dropped, and the
/// journal truncated to its last whole line so appends stay aligned). Any other
/// damage is an input error, and then nothing is changed.
fn load_done(dir: &Path, grid: &Grid) -> Result<Rows> {
    let mut reader = Reader::new(grid);
    let runs = dir.join("runs.csv");
    if runs.exists() {
        reader.read(&runs, &read_utf8(&runs, "missing")?, false)?;
    }
    let journal = dir.join(JOURNAL);
    if journal.exists() {
        let text = read_utf8(&journal, "missing")?;
        let whole = reader.read(&journal, &text, true)?;
        if whole < text.len() {
            let f = OpenOptions::new().write(true).open(&journal).with_context(|| format!("opening {}", journal.display()))?;
            f.set_len(whole as u64).with_context(|| format!("truncating {} to its whole lines", journal.display()))?;
        }
    }
    Ok(reader.rows)
}

/// Write `sweep.json`, or check that the folder holds this very sweep.
fn claim_dir(dir: &Path, meta: &SweepMeta) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let text = serde_json::to_string_pretty(meta)? + "\n";
    let path = dir.join("sweep.json");
    if path.exists() {
        let old = read_utf8(&path, "missing")?;
        // Labels only name things on charts, provenance the build: a change of them is
        // the same sweep (resumed by this build, it records this build).
        let same_but_labels = serde_json::from_str::<SweepMeta>(&old)
            .is_ok_and(|o| SweepMeta { labels: meta.labels.clone(), provenance: meta.provenance.clone(), ..o } == *meta);
        if old != text && same_but_labels {
            return write_atomic(&path, text.as_bytes());
        }
        if let Err(e) = serde_json::from_str::<SweepMeta>(&old) {
            return Err(at(
                &path,
                e.line(),
                e.column(),
                None,
                format!("damaged ({}); allowed: sweep.json as gigasim writes it (restore it, or use another --out)", json_message(&e)),
            ));
        }
        if old != text {
            return Err(InputError::new(
                path.display().to_string(),
                None,
                "this folder holds the results of a different sweep; allowed: the same sweep file and values (to resume), or another --out",
            )
            .into());
        }
        return Ok(());
    }
    write_atomic(&path, text.as_bytes())
}

/// Refuse more worker threads than 8 per core: beyond the cores they only add memory
/// (each holds a simulation), and the output bytes do not depend on their number.
fn check_jobs(jobs: usize) -> Result<(), InputError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max = 8 * cores;
    if jobs <= max {
        return Ok(());
    }
    Err(InputError::new(
        "--jobs",
        None,
        format!(
            "got {jobs}; allowed: 0 (one thread per core) to {max} (8 × the {cores} cores): more threads than cores only add memory, and the output does not depend on their number"
        ),
    ))
}

/// Run (or resume) a sweep into `dir`.
pub fn run(sweep: &Sweep, dir: &Path, opts: &Options) -> Result<Outcome> {
    check_jobs(opts.jobs)?;
    sweep.check_size()?;
    let mine_count = match opts.shard {
        None => sweep.runs(),
        Some(s) => (sweep.runs() + (s.count - 1 - s.index) as usize) / s.count as usize,
    };
    check_work(sweep, mine_count, opts)?;
    let meta = SweepMeta { provenance: opts.provenance.clone(), ..sweep.meta() };
    claim_dir(dir, &meta)?;
    let head = header(&meta);
    let grid = Grid::new(&meta, true);
    let done = load_done(dir, &grid)?;
    // Only once the folder's rows passed: a refused resume changes nothing.
    if let Some(p) = &meta.provenance {
        p.write_copies(dir)?;
    }
    let reps = sweep.replications as usize;
    let runs = sweep.runs();
    let mine = |k: usize| opts.shard.is_none_or(|s| k % s.count as usize == s.index as usize);
    // Counted, not listed: a sweep may have up to 10^10 runs.
    let all = match opts.shard {
        None => runs,
        Some(s) => (runs + (s.count - 1 - s.index) as usize) / s.count as usize,
    };
    let done_mine = done.keys().filter(|&&key| mine((key >> 32) * reps + (key & 0xffff_ffff))).count();

    let journal_path = dir.join(JOURNAL);
    let mut journal = OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(&journal_path)
        .with_context(|| format!("opening {}", journal_path.display()))?;
    if journal.seek(std::io::SeekFrom::End(0))? == 0 {
        journal.write_all(format!("{head}\n").as_bytes()).with_context(|| format!("writing {}", journal_path.display()))?;
        journal.flush()?;
    }
    let journal = Mutex::new(journal);
    let bar = progress_bar(opts.progress, all as u64, done_mine as u64, &sweep.name);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(opts.jobs).build()?;
    let new_rows: Vec<(usize, Run)> = pool.install(|| {
        (0..runs)
            .into_par_iter()
            .filter(|&k| mine(k) && !done.contains_key(&run_key(k / reps, k % reps)))
            .map(|k| -> Result<(usize, Run)> {
                let row = run_one(sweep, k, opts)?;
                // One whole line per write, flushed: a kill never leaves half a row behind a whole one.
                let mut j = journal.lock().expect("journal lock");
                j.write_all(format!("{}\n", row.1.text).as_bytes()).with_context(|| format!("writing {}", journal_path.display()))?;
                j.flush()?;
                drop(j);
                bar.inc(1);
                Ok(row)
            })
            .collect::<Result<Vec<_>>>()
    })?;
    bar.finish_and_clear();

    let runs_done_now = new_rows.len();
    let mut rows = done;
    rows.extend(new_rows);
    let files = write_results(dir, &meta, &head, &rows, opts.shard.is_none())?;
    std::fs::remove_file(&journal_path).ok();
    Ok(Outcome { runs_done_now, runs_total: all, files })
}

fn progress_bar(show: bool, len: u64, pos: u64, name: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len).with_position(pos).with_message(name.to_string());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} runs ({per_sec}, ETA {eta})")
            .expect("valid template"),
    );
    bar
}

fn run_one(sweep: &Sweep, k: usize, opts: &Options) -> Result<(usize, Run)> {
    let reps = sweep.replications as usize;
    let (point, rep) = (k / reps, (k % reps) as u32);
    let values = sweep.point_values(point);
    // Sweep::check builds a sample of a large grid's points: one it did not may fail here.
    let mut scenario = sweep.scenario(point).map_err(|e| {
        let at: Vec<String> = sweep.params.iter().zip(&values).map(|((p, _), v)| format!("{p}={}", shown(v))).collect();
        InputError {
            file: format!("sweep `{}`", sweep.name),
            line_col: None,
            field: e.field,
            message: format!("point {point} ({}): {}", at.join(", "), e.message),
        }
    })?;
    scenario.seed = sweep.seed(rep);
    let sim = crate::Simulation::builder(&scenario).detail(crate::Detail::Summary).build();
    // The memory bound holds for the whole process: every run in flight and the rows kept.
    let report = sim
        .run_watched(1, opts.bounds.events, |_| {
            let held = crate::work::held();
            if held > opts.bounds.bytes {
                return Err(format!("the sweep held {} MB of memory", held >> 20));
            }
            Ok(())
        })
        .map_err(|e| {
        InputError::new(
            format!("sweep `{}`", sweep.name),
            None,
            format!(
                "point {point}, replication {rep}: {e}, at the bound of {} events per run; allowed: a sweep within the bound, or {} (the runs done are kept: run the sweep again to resume)",
                crate::work::sci(opts.bounds.events as f64),
                opts.allow
            ),
        )
    })?;
    let summary = serde_json::to_value(report.summary())?;
    let mut fields = vec![point.to_string(), rep.to_string(), scenario.seed.to_string()];
    fields.extend(values.iter().map(|v| v.to_string()));
    let metrics: Vec<f64> = sweep.metrics.iter().map(|m| metric(&summary, m).unwrap_or(f64::NAN)).collect();
    fields.extend(metrics.iter().map(|v| if v.is_finite() { format!("{v}") } else { String::new() }));
    fields.push(row_check(&csv_line(&fields)));
    Ok((run_key(point, rep as usize), Run { text: csv_line(&fields), metrics }))
}

/// runs.csv (sorted by point, replication) and, for a complete sweep, points.csv.
fn write_results(dir: &Path, meta: &SweepMeta, head: &str, rows: &Rows, complete: bool) -> Result<Vec<PathBuf>> {
    let mut runs = format!("{head}\n");
    for run in rows.values() {
        runs.push_str(&run.text);
        runs.push('\n');
    }
    let runs_path = dir.join("runs.csv");
    write_atomic(&runs_path, runs.as_bytes())?;
    let mut files = vec![dir.join("sweep.json"), runs_path];
    if complete {
        let points_path = dir.join("points.csv");
        write_atomic(&points_path, points_csv(meta, rows).as_bytes())?;
        files.push(points_path);
    }
    Ok(files)
}

fn points_header(meta: &SweepMeta) -> Vec<String> {
    let mut cols = vec!["point".to_string()];
    cols.extend(meta.parameters.iter().map(|p| p.path.clone()));
    cols.push("n".into());
    for m in &meta.metrics {
        for s in ["mean", "sd", "ci_lo", "ci_hi"] {
            cols.push(format!("{m}_{s}"));
        }
    }
    cols
}

/// One row per grid point: parameter values, n, and mean, sd and the 95%
/// Student-t confidence interval of each metric, from the runs (checked rows only).
fn points_csv(meta: &SweepMeta, rows: &Rows) -> String {
    let np = meta.parameters.len();
    let mut out = csv_line(points_header(meta)) + "\n";
    let mut by_point: BTreeMap<usize, Vec<&Run>> = BTreeMap::new();
    for (key, run) in rows {
        by_point.entry(key >> 32).or_default().push(run);
    }
    for (point, runs) in by_point {
        let mut fields = vec![point.to_string()];
        // The row's own text of the values: byte for byte what an unsharded run writes
        // (text values may hold commas, so the row is read as CSV).
        let row = csv::ReaderBuilder::new().has_headers(false).from_reader(runs[0].text.as_bytes()).records().next();
        let cells = row.and_then(|r| r.ok()).unwrap_or_default();
        fields.extend(cells.iter().skip(3).take(np).map(str::to_string));
        fields.push(runs.len().to_string());
        for i in 0..meta.metrics.len() {
            let xs: Vec<f64> = runs.iter().map(|r| r.metrics.get(i).copied().unwrap_or(f64::NAN)).collect();
            let s = point_stats(&xs);
            // Undefined (one run's spread, a metric no run has): an empty cell, not a NaN.
            fields.extend([s.mean, s.sd, s.ci_lo, s.ci_hi].map(|v| if v.is_finite() { format!("{v}") } else { String::new() }));
        }
        out += &(csv_line(&fields) + "\n");
    }
    out
}

/// Join the runs.csv of finished shards into the files one unsharded run writes.
/// Every row is checked against the sweep; nothing is written unless all are good.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Vec<PathBuf>> {
    let Some(first) = dirs.first() else {
        return Err(InputError::new("merge", None, "no shard folders given; allowed: the --out folders of every shard of one sweep").into());
    };
    let (text0, meta) = read_meta_text(first)?;
    let grid = Grid::new(&meta, false);
    let mut reader = Reader::new(&grid);
    for d in dirs {
        let (text, m) = read_meta_text(d)?;
        // Shards started from other folders or by another build record another
        // provenance; the first shard's is kept.
        let unrecorded = |m: &SweepMeta| SweepMeta { provenance: None, ..m.clone() };
        if text != text0 && unrecorded(&m) != unrecorded(&meta) {
            return Err(InputError::new(
                d.join("sweep.json").display().to_string(),
                None,
                format!("a different sweep from {}; allowed: shards of one sweep", first.display()),
            )
            .into());
        }
        let runs = d.join("runs.csv");
        let body = read_utf8(
            &runs,
            "missing: the shard has not finished; allowed: the folder of a finished shard (run the shard again with the same --out: it resumes and writes runs.csv)",
        )?;
        reader.read(&runs, &body, false)?;
    }
    let rows = reader.rows;
    let expected = grid.points * meta.replications as usize;
    if rows.len() != expected {
        let given: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(InputError::new(
            given.join(" "),
            None,
            format!("the shards hold {} of the sweep's {} runs; allowed: every shard of the sweep, each finished", rows.len(), expected),
        )
        .into());
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_atomic(&out.join("sweep.json"), text0.as_bytes())?;
    if let Some(p) = &meta.provenance {
        // The shards hold the same copies (their sweep.json are the same bytes).
        for (copy, _) in p.copies_in(first)?.values() {
            let to = out.join(copy.strip_prefix(first).unwrap_or(copy));
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::copy(copy, &to).with_context(|| format!("copying {} to {}", copy.display(), to.display()))?;
        }
    }
    write_results(out, &meta, &header(&meta), &rows, true)
}

/// Read back a finished sweep folder's metadata.
pub fn read_meta(dir: &Path) -> Result<SweepMeta> {
    Ok(read_meta_text(dir)?.1)
}

/// A serde_json error's message without its position (the error names that apart).
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

/// sweep.json's text (merge compares shards byte for byte) and its content, checked
/// against the bounds a sweep file has.
fn read_meta_text(dir: &Path) -> Result<(String, SweepMeta)> {
    let p = dir.join("sweep.json");
    let shown = p.display().to_string();
    let text = read_utf8(&p, "missing; allowed: an output folder of gigasim sweep or merge (it holds sweep.json)")?;
    let meta: SweepMeta = serde_json::from_str(&text).map_err(|e| {
        let message = json_message(&e);
        InputError {
            file: shown.clone(),
            line_col: Some((e.line(), e.column())),
            field: None,
            message: format!("{message}; allowed: sweep.json as gigasim writes it"),
        }
    })?;
    let counts: Vec<usize> = meta.parameters.iter().map(|p| p.values.len()).collect();
    for (i, &n) in counts.iter().enumerate() {
        if n == 0 || n > spec::MAX_VALUES {
            let field = Some(format!("parameters[{i}].values"));
            return Err(InputError::new(&shown, field, format!("{n} values; allowed: 1 to {}", spec::MAX_VALUES)).into());
        }
    }
    spec::check_grid(&shown, "parameters", &counts)?;
    spec::check_replications(&shown, Some("replications"), meta.replications.into())?;
    if meta.metrics.is_empty() {
        return Err(InputError::new(&shown, Some("metrics".into()), "no metrics; allowed: at least one").into());
    }
    // Names and paths as a sweep file may hold them: a megabyte name would be drawn on every chart.
    let max = crate::config::MAX_STRING;
    let longest = serde_json::to_value(&meta).ok().as_ref().and_then(crate::config::longest_string);
    if let Some(n) = longest.filter(|&n| n > max) {
        return Err(InputError::new(
            &shown,
            None,
            format!("holds a string of {n} characters; allowed: names, paths and labels of at most {max}, as gigasim writes them"),
        )
        .into());
    }
    Ok((text, meta))
}

/// One row of points.csv, read back.
#[derive(Clone, Debug, PartialEq)]
pub struct PointRecord {
    pub point: usize,
    /// Numeric parameter values (NaN for a text parameter: see `values`).
    pub params: Vec<f64>,
    /// Every parameter's value, numbers and text.
    pub values: Vec<ParamValue>,
    /// Statistics per metric, in the sweep's metric order.
    pub stats: Vec<PointStats>,
}

/// Read a finished sweep's points.csv; a damaged one is an input error naming its line.
pub fn load_points(dir: &Path) -> Result<(SweepMeta, Vec<PointRecord>)> {
    let meta = read_meta(dir)?;
    let p = dir.join("points.csv");
    let text = read_utf8(&p, "missing; allowed: the folder of a finished sweep (points.csv is written when every run is done)")?;
    let head = points_header(&meta);
    let (np, points) = (meta.parameters.len(), Grid::new(&meta, false).points);
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| at(&p, e.position().map_or(i + 1, |q| q.line() as usize), 1, None, format!("not CSV: {e}")))?;
        let line = rec.position().map_or(i + 1, |q| q.line() as usize);
        if i == 0 {
            if rec.iter().ne(head.iter().map(String::as_str)) {
                return Err(at(&p, line, 1, None, format!("the header differs from this sweep's; allowed: `{}`", csv_line(&head))));
            }
            continue;
        }
        if rec.len() != head.len() {
            return Err(at(&p, line, 1, None, format!("a row of {} fields; allowed: {} fields as in the header", rec.len(), head.len())));
        }
        let col = |c: usize| rec.iter().take(c).map(|f| f.len() + 1).sum::<usize>() + 1;
        let num = |c: usize| -> Result<f64> {
            if rec[c].is_empty() {
                return Ok(f64::NAN); // a statistic that is undefined (one run's spread)
            }
            rec[c].parse::<f64>().map_err(|_| {
                at(&p, line, col(c), Some(&head[c]), format!("`{}` is not a number; allowed: a number, or an empty cell", &rec[c]))
            })
        };
        let count = |c: usize, below: usize| -> Result<usize> {
            whole(&rec[c])
                .filter(|&n| n < below)
                .ok_or_else(|| at(&p, line, col(c), Some(&head[c]), format!("`{}` is not a whole number below {below}", &rec[c])))
        };
        let point = count(0, points)?;
        let n = count(1 + np, usize::MAX)?;
        let stats = (0..meta.metrics.len())
            .map(|m| {
                let c = 2 + np + 4 * m;
                Ok(PointStats { n, mean: num(c)?, sd: num(c + 1)?, ci_lo: num(c + 2)?, ci_hi: num(c + 3)? })
            })
            .collect::<Result<_>>()?;
        let values = (0..np)
            .map(|i| match meta.parameters[i].values.first() {
                Some(ParamValue::Text(_)) => Ok(ParamValue::Text(rec[1 + i].to_string())),
                _ => num(1 + i).map(ParamValue::Num),
            })
            .collect::<Result<Vec<_>>>()?;
        let params = values.iter().map(|v| v.num().unwrap_or(f64::NAN)).collect();
        out.push(PointRecord { point, params, values, stats });
    }
    Ok((meta, out))
}

/// One row of runs.csv, read back: parameter values as the row's text (a value is
/// compared as written, whatever its type), metrics in the sweep's order (NaN for an
/// empty cell: a metric the run lacked).
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub point: usize,
    pub replication: usize,
    pub seed: String,
    pub params: Vec<String>,
    pub metrics: Vec<f64>,
}

/// Read a sweep folder's runs.csv, every row checked as `merge` checks it (fields,
/// grid, seed, parameter values, numbers, checksum); a damaged row is an input error
/// naming its line. Rows come sorted by point, then replication.
pub fn load_runs(dir: &Path) -> Result<(SweepMeta, Vec<RunRecord>)> {
    let meta = read_meta(dir)?;
    let grid = Grid::new(&meta, false);
    let mut reader = Reader::new(&grid);
    let p = dir.join("runs.csv");
    let text = read_utf8(&p, "missing; allowed: the folder of a finished sweep, shard or merge (it holds runs.csv)")?;
    reader.read(&p, &text, false)?;
    let np = meta.parameters.len();
    let mut out = Vec::with_capacity(reader.rows.len());
    for (key, run) in reader.rows {
        // The row's own text, read as CSV again: a quoted value stays whole.
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(run.text.as_bytes());
        let rec = rdr.records().next().and_then(|r| r.ok()).unwrap_or_default();
        out.push(RunRecord {
            point: key >> 32,
            replication: key & 0xffff_ffff,
            seed: rec.get(2).unwrap_or("").to_string(),
            params: (0..np).map(|i| rec.get(3 + i).unwrap_or("").to_string()).collect(),
            metrics: run.metrics,
        });
    }
    Ok((meta, out))
}
