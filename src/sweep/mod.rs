//! Parameter sweeps: a grid of scenarios × replications run in parallel with
//! common random numbers, written so that output bytes never depend on the
//! thread count, a killed sweep resumes without loss, and shards merge into
//! exactly what an unsharded run writes.

mod spec;
mod stats;

pub use spec::{ParamMeta, Parameter, Sweep, SweepFile, SweepMeta, Values, json_value, metric};
pub use stats::{PointStats, point_stats, t_quantile_975};

use crate::config::InputError;
use crate::output::write_atomic;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Read, Seek, Write};
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

pub struct Options {
    /// Worker threads (0: one per core).
    pub jobs: usize,
    pub shard: Option<Shard>,
    pub progress: bool,
}

/// What a finished sweep wrote.
pub struct Outcome {
    pub runs_done_now: usize,
    pub runs_total: usize,
    pub files: Vec<PathBuf>,
}

const JOURNAL: &str = "runs.journal.csv";

/// One finished run: its index and its CSV line (without newline).
type Row = (usize, String);

fn header(meta: &SweepMeta) -> String {
    let mut cols = vec!["point".to_string(), "replication".into(), "seed".into()];
    cols.extend(meta.parameters.iter().map(|p| p.path.clone()));
    cols.extend(meta.metrics.iter().cloned());
    csv_line(&cols)
}

fn csv_line(fields: &[String]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    w.write_record(fields).expect("in-memory write");
    let mut s = String::from_utf8(w.into_inner().expect("in-memory flush")).expect("utf-8");
    s.pop();
    s
}

/// Rows already on disk: the final runs.csv of an earlier complete pass, and
/// whole lines of the journal (a line cut short by a kill is dropped, and the
/// journal truncated to its last whole line so appends stay aligned).
fn load_done(dir: &Path, head: &str) -> Result<BTreeMap<usize, String>> {
    let mut done = BTreeMap::new();
    let mut take = |text: &str, file: &Path| -> Result<usize> {
        let mut whole = 0;
        let mut lines = text.split_inclusive('\n');
        match lines.next() {
            Some(h) if h.trim_end_matches('\n') == head && h.ends_with('\n') => whole += h.len(),
            Some(_) => bail!("{} was written by another sweep (its header differs); use another --out", file.display()),
            None => return Ok(0),
        }
        for line in lines {
            let Some(body) = line.strip_suffix('\n') else { break };
            let k = row_index(body).with_context(|| format!("a damaged line in {}", file.display()))?;
            done.insert(k, body.to_string());
            whole += line.len();
        }
        Ok(whole)
    };
    let runs = dir.join("runs.csv");
    if runs.exists() {
        take(&std::fs::read_to_string(&runs)?, &runs)?;
    }
    let journal = dir.join(JOURNAL);
    if journal.exists() {
        let mut f = OpenOptions::new().read(true).write(true).open(&journal)?;
        let mut text = String::new();
        f.read_to_string(&mut text)?;
        let whole = take(&text, &journal)?;
        f.set_len(whole as u64)?;
    }
    Ok(done)
}

/// Rows sort by this key: point, then replication.
fn run_key(point: usize, rep: usize) -> usize {
    (point << 32) | rep
}

fn row_index(line: &str) -> Result<usize> {
    let mut it = line.split(',');
    let point: usize = it.next().unwrap_or("").parse()?;
    let rep: usize = it.next().unwrap_or("").parse()?;
    Ok(run_key(point, rep))
}

/// Write `sweep.json`, or check that the folder holds this very sweep.
fn claim_dir(dir: &Path, meta: &SweepMeta) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let text = serde_json::to_string_pretty(meta)? + "\n";
    let path = dir.join("sweep.json");
    if path.exists() {
        let old = std::fs::read_to_string(&path)?;
        // Labels only name things on charts: a change of them is the same sweep.
        let same_but_labels =
            serde_json::from_str::<SweepMeta>(&old).is_ok_and(|o| SweepMeta { labels: meta.labels.clone(), ..o } == *meta);
        if old != text && same_but_labels {
            return write_atomic(&path, text.as_bytes());
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

/// Run (or resume) a sweep into `dir`.
pub fn run(sweep: &Sweep, dir: &Path, opts: &Options) -> Result<Outcome> {
    let meta = sweep.meta();
    claim_dir(dir, &meta)?;
    let head = header(&meta);
    let done = load_done(dir, &head)?;
    let reps = sweep.replications as usize;
    let mine = |k: usize| opts.shard.is_none_or(|s| k % s.count as usize == s.index as usize);
    let all: Vec<usize> = (0..sweep.runs()).filter(|&k| mine(k)).collect();
    let todo: Vec<usize> = all.iter().copied().filter(|&k| !done.contains_key(&run_key(k / reps, k % reps))).collect();

    let journal_path = dir.join(JOURNAL);
    let mut journal = OpenOptions::new().create(true).append(true).read(true).open(&journal_path)?;
    if journal.seek(std::io::SeekFrom::End(0))? == 0 {
        journal.write_all(format!("{head}\n").as_bytes())?;
        journal.flush()?;
    }
    let journal = Mutex::new(journal);
    let bar = progress_bar(opts.progress, all.len() as u64, (all.len() - todo.len()) as u64, &sweep.name);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(opts.jobs).build()?;
    let new_rows: Vec<Row> = pool.install(|| {
        todo.par_iter()
            .map(|&k| -> Result<Row> {
                let row = run_one(sweep, k)?;
                // One whole line per write, flushed: a kill never leaves half a row behind a whole one.
                let mut j = journal.lock().expect("journal lock");
                j.write_all(format!("{}\n", row.1).as_bytes())?;
                j.flush()?;
                drop(j);
                bar.inc(1);
                Ok(row)
            })
            .collect::<Result<Vec<Row>>>()
    })?;
    bar.finish_and_clear();

    let mut rows: BTreeMap<usize, String> = done;
    rows.extend(new_rows);
    let files = write_results(dir, &meta, &head, &rows, opts.shard.is_none())?;
    std::fs::remove_file(&journal_path).ok();
    Ok(Outcome { runs_done_now: todo.len(), runs_total: all.len(), files })
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

fn run_one(sweep: &Sweep, k: usize) -> Result<Row> {
    let reps = sweep.replications as usize;
    let (point, rep) = (k / reps, (k % reps) as u32);
    let mut scenario = sweep.scenario(point)?;
    scenario.seed = sweep.seed(rep);
    let summary = serde_json::to_value(crate::Simulation::builder(&scenario).detail(crate::Detail::Summary).build().run().summary())?;
    let mut fields = vec![point.to_string(), rep.to_string(), scenario.seed.to_string()];
    fields.extend(sweep.point_values(point).iter().map(|v| format!("{v}")));
    for m in &sweep.metrics {
        fields.push(metric(&summary, m).map_or("NaN".into(), |v| format!("{v}")));
    }
    Ok((run_key(point, rep as usize), csv_line(&fields)))
}

/// runs.csv (sorted by point, replication) and, for a complete sweep, points.csv.
fn write_results(dir: &Path, meta: &SweepMeta, head: &str, rows: &BTreeMap<usize, String>, complete: bool) -> Result<Vec<PathBuf>> {
    let mut runs = format!("{head}\n");
    for line in rows.values() {
        runs.push_str(line);
        runs.push('\n');
    }
    let runs_path = dir.join("runs.csv");
    write_atomic(&runs_path, runs.as_bytes())?;
    let mut files = vec![dir.join("sweep.json"), runs_path];
    if complete {
        let points_path = dir.join("points.csv");
        write_atomic(&points_path, points_csv(meta, rows)?.as_bytes())?;
        files.push(points_path);
    }
    Ok(files)
}

/// One row per grid point: parameter values, n, and mean, sd and the 95%
/// Student-t confidence interval of each metric, from the runs' CSV text.
fn points_csv(meta: &SweepMeta, rows: &BTreeMap<usize, String>) -> Result<String> {
    let np = meta.parameters.len();
    let mut cols = vec!["point".to_string()];
    cols.extend(meta.parameters.iter().map(|p| p.path.clone()));
    cols.push("n".into());
    for m in &meta.metrics {
        for s in ["mean", "sd", "ci_lo", "ci_hi"] {
            cols.push(format!("{m}_{s}"));
        }
    }
    let mut out = csv_line(&cols) + "\n";
    let mut by_point: BTreeMap<usize, Vec<Vec<String>>> = BTreeMap::new();
    for line in rows.values() {
        let fields: Vec<String> = line.split(',').map(str::to_string).collect();
        by_point.entry(fields[0].parse()?).or_default().push(fields);
    }
    for (point, runs) in by_point {
        let mut fields = vec![point.to_string()];
        fields.extend(runs[0][3..3 + np].iter().cloned());
        fields.push(runs.len().to_string());
        for (i, _) in meta.metrics.iter().enumerate() {
            let xs: Vec<f64> = runs.iter().map(|r| r[3 + np + i].parse::<f64>()).collect::<Result<_, _>>()?;
            let s = point_stats(&xs);
            fields.extend([s.mean, s.sd, s.ci_lo, s.ci_hi].map(|v| format!("{v}")));
        }
        out += &(csv_line(&fields) + "\n");
    }
    Ok(out)
}

/// Join the runs.csv of finished shards into the files one unsharded run writes.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Vec<PathBuf>> {
    let Some(first) = dirs.first() else { bail!("no shard folders given") };
    let (text0, meta) = read_meta_text(first)?;
    let head = header(&meta);
    let mut rows = BTreeMap::new();
    for d in dirs {
        let (text, _) = read_meta_text(d)?;
        if text != text0 {
            return Err(InputError::new(
                d.join("sweep.json").display().to_string(),
                None,
                format!("a different sweep from {}; allowed: shards of one sweep", first.display()),
            )
            .into());
        }
        let runs = d.join("runs.csv");
        let body = std::fs::read_to_string(&runs).with_context(|| format!("reading {} (has that shard finished?)", runs.display()))?;
        let mut lines = body.lines();
        if lines.next() != Some(head.as_str()) {
            bail!("{}: header differs from the sweep's", runs.display());
        }
        for line in lines {
            let k = row_index(line)?;
            if let Some(old) = rows.insert(k, line.to_string())
                && old != line
            {
                bail!("{}: run {} / {} differs from another shard's", runs.display(), k >> 32, k & 0xffff_ffff);
            }
        }
    }
    let expected = meta.parameters.iter().map(|p| p.values.len()).product::<usize>() * meta.replications as usize;
    if rows.len() != expected {
        let given: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(InputError::new(
            given.join(" "),
            None,
            format!("the shards hold {} of the sweep's {} runs; allowed: every shard of the sweep, each finished", rows.len(), expected),
        )
        .into());
    }
    std::fs::create_dir_all(out)?;
    write_atomic(&out.join("sweep.json"), text0.as_bytes())?;
    write_results(out, &meta, &head, &rows, true)
}

/// Read back a finished sweep folder's metadata.
pub fn read_meta(dir: &Path) -> Result<SweepMeta> {
    Ok(read_meta_text(dir)?.1)
}

/// sweep.json's text (merge compares shards byte for byte) and its content.
fn read_meta_text(dir: &Path) -> Result<(String, SweepMeta)> {
    let p = dir.join("sweep.json");
    let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
    let meta = serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))?;
    Ok((text, meta))
}

/// One row of points.csv, read back.
#[derive(Clone, Debug, PartialEq)]
pub struct PointRecord {
    pub point: usize,
    pub params: Vec<f64>,
    /// Statistics per metric, in the sweep's metric order.
    pub stats: Vec<PointStats>,
}

/// Read a finished sweep's points.csv.
pub fn load_points(dir: &Path) -> Result<(SweepMeta, Vec<PointRecord>)> {
    let meta = read_meta(dir)?;
    let p = dir.join("points.csv");
    let mut r = csv::Reader::from_path(&p).with_context(|| format!("opening {}", p.display()))?;
    let np = meta.parameters.len();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec?;
        let num = |i: usize| -> Result<f64> { Ok(rec.get(i).unwrap_or("").parse::<f64>()?) };
        let n = num(1 + np)? as usize;
        let stats = (0..meta.metrics.len())
            .map(|m| {
                let c = 2 + np + 4 * m;
                Ok(PointStats { n, mean: num(c)?, sd: num(c + 1)?, ci_lo: num(c + 2)?, ci_hi: num(c + 3)? })
            })
            .collect::<Result<_>>()?;
        out.push(PointRecord { point: num(0)? as usize, params: (0..np).map(|i| num(1 + i)).collect::<Result<_>>()?, stats });
    }
    Ok((meta, out))
}
