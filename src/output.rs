//! Files written from a `Report`: summary.json, failures.csv, power.csv, jobs.csv,
//! queue.csv, shares.csv, cost.csv and the rest of [`RUN_FILES`].
//!
//! A run replaces the run before it in its folder as one unit ([`replace_run`]): every
//! new file is written into [`STAGING`] inside the folder first; only when all are
//! written are the old run's files (those its [`MANIFEST`] lists, and the names any
//! run writes) moved aside and the new ones renamed into place. A failure (a full
//! disk, say) therefore leaves the older run as it was or the new one whole, never a
//! mix, and nothing but the run's own files is ever touched.
//!
//! Start with [`replace_run`] (all files, charts optional) or [`write_run`] (data
//! files only); [`summary_json`] and [`human_summary`] give the summary as text,
//! and each CSV has its own function ([`power_csv`], [`jobs_csv`], …) returning bytes.
//!
//! ```
//! use gigasim::{Simulation, config, output};
//!
//! let s = config::apply_sets(&config::default_scenario(), &["horizon_days=1".into()])?;
//! let report = Simulation::new(&s).run();
//!
//! // summary.json's text is the summary, serialised.
//! let json: serde_json::Value = serde_json::from_str(&output::summary_json(&report))?;
//! assert_eq!(json["chips"], s.facility.chips());
//! assert_eq!(json["frontier"][0]["name"], "frontier");
//! assert!((json["ettr"].as_f64().unwrap() - report.ettr()).abs() < 1e-12);
//! // What `gigasim run` prints: a few lines, the goodput among them.
//! let text = output::human_summary(&report);
//! assert!(text.contains(&format!("goodput    {:.3}", report.goodput())), "{text}");
//!
//! // A folder with a file of the user's: a run goes in beside it, and the next run
//! // replaces the first one's files, and only those.
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("notes.txt"), "mine")?;
//! let first = output::replace_run(&report, dir.path(), false)?;
//! assert!(first.ends_with(&[dir.path().join(output::MANIFEST)]));
//! assert!(output::RUN_FILES.iter().all(|f| dir.path().join(f).is_file()));
//! let again = Simulation::builder(&s).seed(2).build().run();
//! output::replace_run(&again, dir.path(), false)?;
//! assert_eq!(std::fs::read_to_string(dir.path().join("summary.json"))?, output::summary_json(&again));
//! assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt"))?, "mine");
//! assert!(!dir.path().join(output::STAGING).exists());
//! # Ok::<(), anyhow::Error>(())
//! ```

use crate::provenance::Provenance;
use crate::report::Report;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// A CSV table built in memory: writing to a `Vec` cannot fail.
struct Table(csv::Writer<Vec<u8>>);

impl Table {
    fn new<const N: usize>(header: [&str; N]) -> Self {
        let mut t = Table(csv::Writer::from_writer(Vec::new()));
        t.row(header);
        t
    }
    fn row<I: IntoIterator<Item = T>, T: AsRef<[u8]>>(&mut self, record: I) {
        self.0.write_record(record).expect("writing to memory cannot fail");
    }
    fn bytes(self) -> Vec<u8> {
        self.0.into_inner().expect("flushing to memory cannot fail")
    }
}

/// Write `bytes` to `path` atomically (temporary file `PATH.partial`, then rename).
/// An error names `path`; the temporary file is removed on failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("{}.partial", path.extension().and_then(|e| e.to_str()).unwrap_or("")));
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        anyhow::Error::new(e).context(format!("renaming {} to {}", tmp.display(), path.display()))
    })
}

/// `summary.json`'s text: [`Report::summary`] as pretty-printed JSON, with a final newline.
pub fn summary_json(r: &Report) -> String {
    summary_json_with(r, None)
}

/// summary.json with, last, the `provenance` block of the run when known.
pub fn summary_json_with(r: &Report, provenance: Option<&Provenance>) -> String {
    #[derive(serde::Serialize)]
    struct Recorded<'a> {
        #[serde(flatten)]
        summary: crate::report::Summary,
        provenance: &'a Provenance,
    }
    let mut s = match provenance {
        None => serde_json::to_string_pretty(&r.summary()),
        Some(p) => serde_json::to_string_pretty(&Recorded { summary: r.summary(), provenance: p }),
    }
    .expect("summary serialises");
    s.push('\n');
    s
}

/// One row per failure: when, what, where, whom it interrupted.
pub fn failures_csv(r: &Report) -> Vec<u8> {
    let t = &r.topology;
    let mut w = Table::new([
        "time_h",
        "day",
        "class",
        "category",
        "level",
        "unit",
        "chip",
        "node",
        "rack",
        "pod",
        "outcome",
        "jobs_hit",
        "recovered_h",
        "lemon_node",
        "onset_h",
    ]);
    for f in &r.failures {
        let c = &r.classes[f.class as usize];
        let at = t.place(c.level, f.unit);
        let text = |x: Option<u32>| x.map(|v| v.to_string()).unwrap_or_default();
        let jobs: Vec<String> = f.jobs_hit.iter().map(|&j| r.job_label(j)).collect();
        w.row([
            format!("{:.6}", f.time.as_hours()),
            format!("{}", (f.time.as_hours() / 24.0).floor() as u64),
            c.name.clone(),
            c.category.label().to_string(),
            c.level.label().to_string(),
            f.unit.to_string(),
            text(at.chip),
            text(at.node),
            text(at.rack),
            at.pod.to_string(),
            if f.permanent { "permanent" } else { "transient" }.to_string(),
            jobs.join(";"),
            f.recovered.map(|t| format!("{:.6}", t.as_hours())).unwrap_or_default(),
            at.node.is_some_and(|n| r.lemons.0.binary_search(&n).is_ok()).to_string(),
            f.onset.map(|t| format!("{:.6}", t.as_hours())).unwrap_or_default(),
        ]);
    }
    w.bytes()
}

/// The repair pipeline's pools as they changed: spare nodes in stock, outages
/// waiting for a crew, crews at work. Each row holds from its time to the next row's.
pub fn repair_csv(r: &Report) -> Vec<u8> {
    let mut w = Table::new(["time_h", "spares_in_stock", "waiting_for_crew", "crews_busy"]);
    for &(ms, stock, waiting, busy) in &r.repair.series {
        w.row([format!("{:.6}", ms as f64 / 3.6e6), stock.to_string(), waiting.to_string(), busy.to_string()]);
    }
    w.bytes()
}

/// The shared storage's use per power bin: bytes moved, mean and peak bandwidth, and
/// the mean number of transfers under way (its queue); only a header without storage.
pub fn storage_csv(r: &Report) -> Vec<u8> {
    let mut w = Table::new([
        "start_h",
        "end_h",
        "written_gb",
        "read_gb",
        "write_gbps",
        "read_gbps",
        "write_peak_gbps",
        "read_peak_gbps",
        "mean_transfers",
    ]);
    if let Some(st) = &r.storage {
        let bin_ms = st.bin_hours * 3.6e6;
        let end_ms = r.horizon.as_millis() as f64;
        // Bins after the last transfer were never touched: they are empty.
        let n = (end_ms / bin_ms).ceil() as usize;
        for i in 0..n {
            let b = st.bins.get(i).copied().unwrap_or_default();
            let (start, end) = (i as f64 * bin_ms, ((i + 1) as f64 * bin_ms).min(end_ms));
            if end <= start {
                continue;
            }
            let secs = (end - start) / 1000.0;
            w.row([
                format!("{:.6}", start / 3.6e6),
                format!("{:.6}", end / 3.6e6),
                format!("{:.3}", b.written_gb),
                format!("{:.3}", b.read_gb),
                format!("{:.3}", b.written_gb / secs),
                format!("{:.3}", b.read_gb / secs),
                format!("{:.3}", b.write_peak_gbps),
                format!("{:.3}", b.read_peak_gbps),
                format!("{:.6}", b.transfer_s / secs),
            ]);
        }
    }
    w.bytes()
}

/// Bin averages of IT and facility power (energy-conserving), with the exact
/// lowest and highest facility draw held inside each bin.
pub fn power_csv(r: &Report) -> Vec<u8> {
    let mut w = Table::new(["start_h", "end_h", "it_mw", "facility_mw", "facility_min_mw", "facility_max_mw", "grid_mw", "battery_soc"]);
    for (i, (b, &(mean, min, max))) in r.power_bins.iter().zip(&r.power.bins_mw).enumerate() {
        let (start, end) = r.bin_span_ms(i);
        if end <= start {
            continue;
        }
        let it_mw = b.it_wms / (end - start) as f64 / 1e6;
        // Behind a battery the grid's mean draw and the store at the bin's end; else the facility's and nothing.
        let (grid, soc) = match r.battery.as_ref().and_then(|bat| bat.bins.get(i).map(|g| (bat, g))) {
            Some((bat, &(wms, stored))) => {
                let cap = bat.spec().capacity_wh;
                (wms / (end - start) as f64 / 1e6, if cap > 0.0 { format!("{:.6}", stored / cap) } else { String::new() })
            }
            None => (mean, String::new()),
        };
        w.row([
            format!("{:.6}", start as f64 / 3.6e6),
            format!("{:.6}", end as f64 / 3.6e6),
            format!("{it_mw:.6}"),
            format!("{mean:.6}"),
            format!("{min:.6}"),
            format!("{max:.6}"),
            format!("{grid:.6}"),
            soc,
        ]);
    }
    w.bytes()
}

/// Each frontier job's saved work over time, with its checkpoints and interruptions.
pub fn frontier_csv(r: &Report) -> Vec<u8> {
    let mut w = Table::new(["time_h", "job", "event", "work_saved_h"]);
    for f in &r.frontier {
        for &(t, saved, m) in &f.progress {
            w.row([format!("{t:.6}"), f.name.clone(), m.label().to_string(), format!("{saved:.6}")]);
        }
        w.row([
            format!("{:.6}", r.horizon_hours().min(f.finished_hours.unwrap_or(f64::INFINITY))),
            f.name.clone(),
            "end".into(),
            format!("{:.6}", f.useful_hours),
        ]);
    }
    w.bytes()
}

/// Exact power steps around the largest drop: each row holds from its time until the next row's.
pub fn power_zoom_csv(r: &Report) -> Vec<u8> {
    let mut w = Table::new(["time_h", "it_mw", "facility_mw"]);
    for (&(t, it), &(_, facility)) in r.zoom.iter().zip(&r.power.zoom) {
        w.row([format!("{:.7}", t.as_hours()), format!("{:.6}", it / 1e6), format!("{:.6}", facility / 1e6)]);
    }
    w.bytes()
}

/// The fall in facility draw at every instant IT draw fell by at least 1 MW.
pub fn drops_csv(r: &Report) -> Vec<u8> {
    let mut w = Table::new(["time_h", "facility_drop_mw"]);
    for &(t, watts) in &r.power.drops {
        w.row([format!("{:.7}", t.as_hours()), format!("{:.6}", watts / 1e6)]);
    }
    w.bytes()
}

/// One row per tenant job: who, how big, when it was submitted, started and
/// finished, how it ended, and what failures and preemptions cost it.
pub fn jobs_csv(r: &Report) -> Vec<u8> {
    let mut w = Table::new([
        "job",
        "tenant",
        "chips",
        "submitted_h",
        "started_h",
        "finished_h",
        "wait_h",
        "state",
        "interruptions",
        "lost_chip_h",
        "class",
        "size_class",
        "run_h",
        "walltime_h",
        "preemptions",
    ]);
    let h = |t: crate::engine::SimTime| format!("{:.6}", t.as_hours());
    let ms_h = |ms: u64| format!("{:.6}", ms as f64 / 3.6e6);
    for j in &r.jobs {
        w.row([
            r.job_label(j.tag),
            r.tenants.get(j.tenant as usize).cloned().unwrap_or_default(),
            j.chips.to_string(),
            h(j.submitted),
            j.started.map(h).unwrap_or_default(),
            j.finished.map(h).unwrap_or_default(),
            j.started.map(|s| format!("{:.6}", s.since(j.submitted).as_hours())).unwrap_or_default(),
            j.state.to_string(),
            j.interruptions.to_string(),
            format!("{:.6}", j.lost_chip_ms as f64 / 3.6e6),
            r.groups[j.tag.group as usize].clone(),
            crate::sim::SIZE_CLASSES[crate::sim::size_class(j.chips) as usize].1.to_string(),
            ms_h(j.work_ms),
            j.walltime_ms.map(ms_h).unwrap_or_default(),
            j.preemptions.to_string(),
        ]);
    }
    w.bytes()
}

/// The span of usage bin `i` in hours, `(start, length)`: whole bins of
/// `usage.bin_hours`, the last one cut at the horizon.
fn usage_bin(r: &Report, i: usize) -> (f64, f64) {
    let bin_h = r.usage.bin_hours;
    let start = i as f64 * bin_h;
    (start, ((i + 1) as f64 * bin_h).min(r.horizon_hours()) - start)
}

/// One row per hour (a usage bin): the mean queue length, the share of the site's
/// chips held by jobs (every tenant's and the frontier jobs that name none), and
/// the mean of healthy free chips no waiting job could use. Empty below full detail.
pub fn queue_csv(r: &Report) -> Vec<u8> {
    let mut w = Table::new(["time_h", "queued_jobs", "allocated_share", "fragmented_chips"]);
    let tenants = r.usage.chip_hours.len();
    for (i, b) in r.usage.bins.iter().enumerate() {
        let (start, len) = usage_bin(r, i);
        if len <= 0.0 || b.len() < tenants + 3 {
            continue;
        }
        let held: f64 = b[..tenants].iter().sum::<f64>() + b[tenants + 2];
        w.row([
            format!("{start:.6}"),
            format!("{:.6}", b[tenants] / len),
            format!("{:.8}", held / len / r.chips.max(1) as f64),
            format!("{:.6}", b[tenants + 1] / len),
        ]);
    }
    w.bytes()
}

/// Long format, one row per day (0 is the first 24 h) and tenant: the chip-hours
/// the tenant's jobs held that day, that over all tenants' chip-hours that day
/// (empty when no tenant held any), and its entitled share. Empty below full detail.
pub fn shares_csv(r: &Report) -> Vec<u8> {
    let mut w = Table::new(["day", "tenant", "chip_hours", "share_delivered", "share_entitled"]);
    let tenants = r.usage.chip_hours.len().min(r.tenants.len());
    let mut days: Vec<Vec<f64>> = Vec::new();
    for (i, b) in r.usage.bins.iter().enumerate() {
        let (start, len) = usage_bin(r, i);
        if len <= 0.0 || b.len() < tenants {
            continue;
        }
        let d = (start / 24.0 + 1e-9).floor() as usize;
        if days.len() <= d {
            days.resize(d + 1, vec![0.0; tenants]);
        }
        for (sum, v) in days[d].iter_mut().zip(&b[..tenants]) {
            *sum += v;
        }
    }
    for (d, held) in days.iter().enumerate() {
        let total: f64 = held.iter().sum();
        for (t, h) in held.iter().enumerate() {
            w.row([
                d.to_string(),
                r.tenants[t].clone(),
                format!("{h:.3}"),
                if total > 0.0 { format!("{:.8}", h / total) } else { String::new() },
                format!("{:.8}", r.shares.get(t).copied().unwrap_or(0.0)),
            ]);
        }
    }
    w.bytes()
}

/// One row per hour of facility energy with that hour's price and carbon intensity
/// (the header alone when the run has no cost model): `time_h` is the hour's start;
/// the last hour may be a part hour.
pub fn cost_csv(r: &Report) -> Vec<u8> {
    let mut w = Table::new(["time_h", "facility_mwh", "eur_per_mwh", "g_co2_per_kwh", "energy_eur", "co2_kg"]);
    if let Some((_, prices, day)) = &r.cost {
        for (h, &wh) in r.facility_hourly_wh.iter().enumerate() {
            let (price, g) = prices.at(*day, h);
            let mwh = wh / 1e6;
            // 1 MWh at 1 g/kWh is 1 kg.
            w.row([
                h.to_string(),
                format!("{mwh:.6}"),
                format!("{price:.4}"),
                format!("{g:.4}"),
                format!("{:.4}", mwh * price),
                format!("{:.4}", mwh * g),
            ]);
        }
    }
    w.bytes()
}

/// The data files of a run, named as in [`RUN_FILES`], with their bytes.
fn data_files(r: &Report, provenance: Option<&Provenance>) -> [(&'static str, Vec<u8>); 12] {
    [
        ("summary.json", summary_json_with(r, provenance).into_bytes()),
        ("failures.csv", failures_csv(r)),
        ("power.csv", power_csv(r)),
        ("power_zoom.csv", power_zoom_csv(r)),
        ("drops.csv", drops_csv(r)),
        ("frontier.csv", frontier_csv(r)),
        ("jobs.csv", jobs_csv(r)),
        ("queue.csv", queue_csv(r)),
        ("shares.csv", shares_csv(r)),
        ("cost.csv", cost_csv(r)),
        ("repair.csv", repair_csv(r)),
        ("storage.csv", storage_csv(r)),
    ]
}

/// Write the data files of a run into `dir` (no charts), replacing the run that was
/// there as [`replace_run`] does; returns the paths written.
pub fn write_run(r: &Report, dir: &Path) -> Result<Vec<PathBuf>> {
    replace_run(r, dir, false)
}

/// The file in a run's folder that lists the files that run wrote there: after a few
/// `#` comment lines, one path a line, relative to the folder and `/`-separated, the
/// manifest itself last. The next run into the folder removes these files (and any
/// of the names every run may write: [`RUN_FILES`], the charts, their temporary
/// `.partial` names) before it moves its own in, and no other file. Charts that
/// `gigasim plot` draws later are not listed; their names are known anyway.
pub const MANIFEST: &str = ".gigasim-manifest";

/// The folder in a run's folder where [`replace_run`] writes the new files (under
/// `new/`) and puts the old run's files aside (under `old/`) while it swaps them.
/// It is removed when the run ends, and one left by a killed run is removed by the next.
pub const STAGING: &str = ".gigasim-staging";

/// Write a run into `dir` (created if missing) as one unit, replacing the run that
/// was there: its data files ([`RUN_FILES`]), its charts in `charts/` when `charts`
/// (drawn by `plot::run_charts` from the staged files), `report.html` (built by
/// [`crate::page::run_page`] from those), and the [`MANIFEST`].
/// Returns the paths written, in that order.
///
/// Every new file is written into [`STAGING`]`/new/` first. Only when all are written
/// are the old run's files moved aside into [`STAGING`]`/old/` and the new ones
/// renamed into place; then the staging folder is removed, and `charts/` too if that
/// left it empty. If anything fails (a full disk, say), the new files are dropped and
/// the old ones put back: `dir` then holds the earlier run exactly as it was. Other
/// files and folders in `dir` (say `examples/`) are never touched. One run at a time
/// per folder: two at once share the staging folder.
///
/// Every error names the path it concerns.
pub fn replace_run(r: &Report, dir: &Path, charts: bool) -> Result<Vec<PathBuf>> {
    replace_run_with(r, dir, charts, None, &crate::page::Context::default())
}

/// [`replace_run`] with the run's [`Provenance`] (summary.json gets it as its last
/// block, and the folder a copy of every file it lists, in [`INPUTS`], replaced with
/// the rest of the run) and the command line and time that `report.html` names
/// (`gigasim run` passes its own; [`replace_run`] leaves them out).
pub fn replace_run_with(
    r: &Report,
    dir: &Path,
    charts: bool,
    provenance: Option<&Provenance>,
    ctx: &crate::page::Context,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Through a link, charts/ would replace files outside `dir`.
    let linked = dir.join("charts");
    if std::fs::symlink_metadata(&linked).is_ok_and(|m| !m.is_dir()) {
        anyhow::bail!(crate::config::InputError::new(
            linked.display().to_string(),
            None,
            "is a link or a file, not a folder; allowed: a folder, or nothing there"
        ));
    }
    inputs_free(dir)?;
    let staging = dir.join(STAGING);
    remove_staging(&staging)?;
    let result = stage_and_swap(r, dir, &staging, charts, provenance, ctx);
    let old = staging.join("old");
    if result.is_err() && holds_files(&old) {
        // Putting the earlier run back failed part-way: its files must not be deleted.
        return result.with_context(|| {
            format!("the earlier run's files could not all be put back into {}: the rest are in {}", dir.display(), old.display())
        });
    }
    // A staging folder that will not go now is removed by the next run.
    let _ = remove_staging(&staging);
    result.with_context(|| format!("writing a run into {} (nothing there was changed)", dir.display()))
}

fn stage_and_swap(
    r: &Report,
    dir: &Path,
    staging: &Path,
    charts: bool,
    provenance: Option<&Provenance>,
    ctx: &crate::page::Context,
) -> Result<Vec<PathBuf>> {
    let new = staging.join("new");
    let old = staging.join("old");
    // Every folder the swap needs is made now, before the disk can fill up.
    for d in [&new, &old.join("charts")] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let mut names: Vec<String> = Vec::new();
    for (name, bytes) in data_files(r, provenance) {
        let p = new.join(name);
        std::fs::write(&p, &bytes).with_context(|| format!("writing {}", p.display()))?;
        names.push(name.to_string());
    }
    if let Some(p) = provenance {
        names.extend(p.write_copies(&new)?);
    }
    if charts {
        let drawn =
            crate::plot::run_charts(&new, &new.join("charts")).with_context(|| format!("drawing the charts of {}", dir.display()))?;
        for f in drawn {
            let rel = f.strip_prefix(&new).with_context(|| format!("chart {} drawn outside {}", f.display(), new.display()))?;
            names.push(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"));
        }
    }
    // The page inlines the staged charts, so it comes after them.
    let charts_dir = new.join("charts");
    let page = crate::page::run_page(&new, charts.then_some(charts_dir.as_path()), ctx)?;
    let p = new.join(crate::page::PAGE);
    std::fs::write(&p, page).with_context(|| format!("writing {}", p.display()))?;
    names.push(crate::page::PAGE.to_string());
    names.push(MANIFEST.to_string());
    let p = new.join(MANIFEST);
    std::fs::write(&p, manifest_text(&names)).with_context(|| format!("writing {}", p.display()))?;
    swap(dir, &new, &old, &names)?;
    Ok(names.iter().map(|n| dir.join(n)).collect())
}

fn manifest_text(names: &[String]) -> String {
    let mut text = String::from(
        "# gigasim: the files the last run wrote into this folder, one a line.\n\
         # The next run into this folder replaces exactly these (and the names any run writes).\n",
    );
    for n in names {
        text += n;
        text.push('\n');
    }
    text
}

/// Move the files of the run in `dir` aside into `old`, then the files `names` from
/// `new` into `dir`; on failure undo both.
fn swap(dir: &Path, new: &Path, old: &Path, names: &[String]) -> Result<()> {
    let put_back = |aside: &[String]| {
        for n in aside.iter().rev() {
            let _ = std::fs::rename(old.join(n), dir.join(n));
        }
    };
    let inputs = (dir.join(INPUTS), old.join(INPUTS));
    let inputs_aside = owned_inputs(dir);
    if inputs_aside {
        std::fs::rename(&inputs.0, &inputs.1).with_context(|| format!("moving {} aside into {}", inputs.0.display(), old.display()))?;
    }
    let put_back = |aside: &[String]| {
        put_back(aside);
        if inputs_aside {
            let _ = std::fs::rename(&inputs.1, &inputs.0);
        }
    };
    let mut aside = Vec::new();
    for n in old_run_files(dir) {
        if let Err(e) = std::fs::rename(dir.join(&n), old.join(&n)) {
            put_back(&aside);
            return Err(e).with_context(|| format!("moving {} aside into {}", dir.join(&n).display(), old.display()));
        }
        aside.push(n);
    }
    let charts = dir.join("charts");
    // Without a charts/ folder in `dir`, the new one moves in whole.
    let whole = std::fs::symlink_metadata(&charts).is_err() && names.iter().any(|n| n.starts_with("charts/"));
    let mut placed: Vec<&String> = Vec::new();
    let with_inputs = names.iter().any(|n| n.starts_with("inputs/"));
    let mut place = || -> Result<()> {
        if with_inputs {
            std::fs::rename(new.join(INPUTS), &inputs.0)
                .with_context(|| format!("moving {} to {}", new.join(INPUTS).display(), inputs.0.display()))?;
        }
        if whole {
            std::fs::rename(new.join("charts"), &charts)
                .with_context(|| format!("moving {} to {}", new.join("charts").display(), charts.display()))?;
        }
        for n in names.iter().filter(|n| !(n.starts_with("inputs/") || whole && n.starts_with("charts/"))) {
            let (from, to) = (new.join(n), dir.join(n));
            std::fs::rename(&from, &to).with_context(|| format!("moving {} to {}", from.display(), to.display()))?;
            placed.push(n);
        }
        Ok(())
    };
    if let Err(e) = place() {
        for n in placed {
            let _ = std::fs::remove_file(dir.join(n));
        }
        if whole {
            let _ = std::fs::remove_dir_all(&charts);
        }
        if with_inputs {
            let _ = std::fs::remove_dir_all(&inputs.0);
        }
        put_back(&aside);
        return Err(e);
    }
    // A --no-charts run after one with charts: charts/ goes if nothing else is in it.
    let _ = std::fs::remove_dir(&charts);
    Ok(())
}

/// The folder in a run's folder that keeps a copy of every file the run read (see
/// [`Provenance`]), laid out as the files were beside each other.
pub const INPUTS: &str = "inputs";

/// Refuse a folder whose [`INPUTS`] is not one a run left there: it is the user's.
pub fn inputs_free(dir: &Path) -> Result<(), crate::config::InputError> {
    let inputs = dir.join(INPUTS);
    if std::fs::symlink_metadata(&inputs).is_ok() && !owned_inputs(dir) {
        return Err(crate::config::InputError::new(
            inputs.display().to_string(),
            None,
            "is not the copy of model files an earlier run left (its .gigasim-manifest does not list it), and a run keeps its own there; allowed: another --out, or nothing of that name",
        ));
    }
    Ok(())
}

/// Whether `dir` holds an [`INPUTS`] folder its last run wrote: a real folder (not a
/// link), listed in its [`MANIFEST`] or (the manifest damaged) in its summary.json's
/// provenance. Any other is the user's, never touched.
fn owned_inputs(dir: &Path) -> bool {
    let listed = std::fs::read_to_string(dir.join(MANIFEST)).is_ok_and(|t| t.lines().any(|l| l.starts_with("inputs/")))
        || crate::provenance::read(dir).is_ok_and(|p| p.files.values().any(|f| f.copy.starts_with("inputs/")));
    listed && std::fs::symlink_metadata(dir.join(INPUTS)).is_ok_and(|m| m.is_dir())
}

/// Remove the staging folder (or a file of that name) if it is there.
fn remove_staging(staging: &Path) -> Result<()> {
    let removed = match std::fs::symlink_metadata(staging) {
        Err(_) => return Ok(()),
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(staging),
        Ok(_) => std::fs::remove_file(staging),
    };
    removed.with_context(|| format!("removing {} (left by a run that did not finish)", staging.display()))
}

/// Whether `dir` or a folder in it holds a file.
fn holds_files(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .is_ok_and(|entries| entries.flatten().any(|e| e.file_type().is_ok_and(|t| !t.is_dir()) || holds_files(&e.path())))
}

/// The files [`write_run`] writes into a run's folder: the data files, and last the
/// page built from them ([`crate::page`]).
pub const RUN_FILES: [&str; 13] = [
    "summary.json",
    "failures.csv",
    "power.csv",
    "power_zoom.csv",
    "drops.csv",
    "frontier.csv",
    "jobs.csv",
    "queue.csv",
    "shares.csv",
    "cost.csv",
    "repair.csv",
    "storage.csv",
    "report.html",
];

/// The charts `plot::run_charts` draws into a run's `charts/` folder, each as `STEM.svg` and `STEM.png`
/// (the tenant charts only when the run had tenant jobs), [`COST_CHARTS`] besides when it had a cost model,
/// and [`BATTERY_CHARTS`] when its power model had a site battery.
pub const RUN_CHARTS: &[&str] = crate::plot::BASE_RUN_CHART_STEMS;

/// The charts `plot::run_charts` draws besides [`RUN_CHARTS`] when the run had a cost model.
pub const COST_CHARTS: &[&str] = crate::plot::COST_CHART_STEMS;

/// The charts `plot::run_charts` draws besides [`RUN_CHARTS`] when the run's power model had a battery.
pub const BATTERY_CHARTS: &[&str] = crate::plot::BATTERY_CHART_STEMS;

/// The charts `plot::run_charts` draws besides [`RUN_CHARTS`] when the facility had a shared storage.
pub const STORAGE_CHARTS: &[&str] = crate::plot::STORAGE_CHART_STEMS;

/// The paths (relative to `dir`, `/`-separated) of the files an earlier run left in
/// `dir`: those its [`MANIFEST`] lists, the manifest, and whichever of the names any
/// run writes are there: [`RUN_FILES`], the charts in `charts/`, their temporary
/// `.partial` names. Only files, never a folder; a manifest line that is not a plain
/// name or `charts/NAME` is ignored, so a damaged manifest cannot reach outside `dir`.
fn old_run_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = RUN_FILES.iter().flat_map(|f| [f.to_string(), format!("{f}.partial")]).collect();
    for stem in crate::plot::RUN_CHART_STEMS {
        for name in [format!("{stem}.svg"), format!("{stem}.png"), format!("{stem}.svg.partial"), format!("{stem}.partial.png")] {
            names.push(format!("charts/{name}"));
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join(MANIFEST)) {
        names.extend(text.lines().filter(|l| !l.starts_with('#') && safe_name(l)).map(str::to_string));
    }
    names.push(MANIFEST.to_string());
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()) && std::fs::symlink_metadata(dir.join(n)).is_ok_and(|m| !m.is_dir()));
    names
}

/// A plain file name, or `charts/` and one: nothing that could leave the folder.
fn safe_name(rel: &str) -> bool {
    let plain = |p: &str| !p.is_empty() && p != "." && p != ".." && !p.contains(['\\', '\0', ':']);
    match rel.split('/').collect::<Vec<_>>()[..] {
        [f] => plain(f) && f != STAGING && f != "charts",
        ["charts", f] => plain(f),
        _ => false,
    }
}

/// Remove from `dir` what an earlier run wrote there, so that a new run (say with
/// `--no-charts`) leaves none of it behind: the files its [`MANIFEST`] lists, the
/// manifest, the [`RUN_FILES`], every chart `plot::run_charts` can draw in `charts/`,
/// their temporary `.partial` names, and a [`STAGING`] folder left by a run that did
/// not finish; then `charts/` if that left it empty. Only these are touched, never
/// another file. Returns what was removed. ([`replace_run`] does this itself, and
/// only once the new files are all written.)
pub fn remove_run_outputs(dir: &Path) -> Result<Vec<PathBuf>> {
    remove_staging(&dir.join(STAGING))?;
    let mut removed = Vec::new();
    if owned_inputs(dir) {
        let p = dir.join(INPUTS);
        std::fs::remove_dir_all(&p).with_context(|| format!("removing {} (written by an earlier run)", p.display()))?;
        removed.push(p);
    }
    for n in old_run_files(dir) {
        let p = dir.join(n);
        match std::fs::remove_file(&p) {
            Ok(()) => removed.push(p),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {} (written by an earlier run)", p.display())),
        }
    }
    // Fails, harmlessly, if the folder is missing or holds other files.
    let _ = std::fs::remove_dir(dir.join("charts"));
    Ok(removed)
}

/// `n` with thousands separators: 100224 → "100,224" (as on the charts).
pub fn thousands(n: u64) -> String {
    crate::plot::fmt_int(n)
}

/// `n` and the noun, singular for one: "1 day", "3 days".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A span of hours in the unit a person reads it in: seconds, minutes, hours or days.
pub fn span(hours: f64) -> String {
    let m = hours * 60.0;
    if m < 1.0 {
        format!("{:.0} s", m * 60.0)
    } else if m < 100.0 {
        format!("{m:.1} min")
    } else if hours < 48.0 {
        format!("{hours:.1} h")
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

/// Energy in MWh, or GWh from a thousand MWh.
pub fn energy(mwh: f64) -> String {
    if mwh >= 1000.0 { format!("{:.1} GWh", mwh / 1000.0) } else { format!("{mwh:.1} MWh") }
}

/// A few lines for a person at a terminal.
/// TB as a person reads them: PB from a thousand TB on, GB below one TB.
fn bytes_tb(tb: f64) -> String {
    if tb >= 1000.0 {
        format!("{} PB", thousands((tb / 1000.0).round() as u64))
    } else if tb >= 1.0 {
        format!("{tb:.1} TB")
    } else {
        format!("{:.1} GB", tb * 1000.0)
    }
}

/// The lines `gigasim run` prints: the site, failures, the frontier job, where the
/// chip-time went, goodput, power and its swings, jobs (see the README's "Reading
/// the summary").
pub fn human_summary(r: &Report) -> String {
    let s = r.summary();
    let b = &s.time_breakdown;
    let days = s.horizon_days;
    let days_text = if days.fract() == 0.0 { count(days as u64, "day", "days") } else { format!("{days} days") };
    let mut out = format!("{} — {} chips ({}), {}, seed {}\n", s.scenario, thousands(s.chips), s.facility, days_text, s.seed);
    let frontier_hits = s.interruptions - s.tenant_interruptions;
    out += &format!(
        "  failures   {} ({:.1} a day, {} permanent{}); jobs interrupted {}: frontier {}, tenants {}\n",
        thousands(s.failures.total),
        s.failures.total as f64 / days,
        thousands(s.failures.permanent),
        if s.failures.lemon_nodes > 0 || s.failures.retired_good_nodes > 0 {
            format!(
                ", {} on {} lemon nodes; retired {} lemons and {} good nodes",
                thousands(s.failures.on_lemon_nodes),
                thousands(s.failures.lemon_nodes),
                thousands(s.failures.retired_lemons),
                thousands(s.failures.retired_good_nodes)
            )
        } else {
            String::new()
        },
        count(s.interruptions, "time", "times"),
        thousands(frontier_hits),
        thousands(s.tenant_interruptions)
    );
    let rp = &s.repair;
    let mut stages = vec![format!("{} rebooted", thousands(rp.rebooted))];
    for (n, word) in [(rp.auto_fixed, "auto-fixed"), (rp.crew_fixed, "crew-fixed"), (rp.rma, "vendor-returned"), (rp.replaced, "replaced")]
    {
        if n > 0 || word == "crew-fixed" {
            stages.push(format!("{} {word}", thousands(n)));
        }
    }
    if rp.misdiagnosed > 0 {
        stages.push(format!("{} misdiagnosed", thousands(rp.misdiagnosed)));
    }
    out += &format!(
        "  repair     {}; {} crews {:.0}% busy, mean wait for one {}; spares in stock {} at the lowest (of {}){}\n",
        stages.join(", "),
        rp.crews,
        100.0 * rp.crew_utilization,
        span(rp.mean_wait_for_crew_h),
        thousands(rp.spares_min as u64),
        thousands(rp.spares_initial as u64),
        if rp.detection > 0.0 {
            format!("; jobs hung {:.2}% of chip-time on faults not yet seen", 100.0 * rp.detection)
        } else {
            String::new()
        }
    );
    for f in &s.frontier {
        let every = if f.interruptions > 0 { format!("interrupted every {}", span(f.mtbi_hours)) } else { "never interrupted".into() };
        let finish = match (f.finished_hours, f.projected_finish_days) {
            (Some(h), _) => format!("done on day {:.1}", h / 24.0),
            (None, Some(d)) => format!("at this rate done on day {d:.0}"),
            (None, None) => "no progress".into(),
        };
        out += &format!(
            "  frontier   `{}` on {} chips: ETTR {:.3}, {}; {} h of its {} h of work done, {}\n",
            f.name,
            thousands(f.chips),
            f.ettr,
            every,
            thousands(f.useful_hours.round() as u64),
            thousands(f.work_hours.round() as u64),
            finish
        );
        if f.checkpoints_started > 0 || f.memory_checkpoints > 0 {
            let from: Vec<String> =
                f.restarts_from.iter().filter(|e| *e.1 > 0).map(|(level, n)| format!("{} from {level}", thousands(*n as u64))).collect();
            out += &format!(
                "             checkpoints {} persisted of {} begun ({} lost){}; stalled {} h{}; restarts {}; {} of work lost per interruption\n",
                thousands(f.checkpoints_persisted as u64),
                thousands(f.checkpoints_started as u64),
                thousands(f.checkpoints_lost as u64),
                if f.memory_checkpoints > 0 { format!(", {} in memory", thousands(f.memory_checkpoints as u64)) } else { String::new() },
                thousands(f.stall_hours.round() as u64),
                if f.background_write_hours > 0.0 {
                    format!(", wrote {} h in the background", thousands(f.background_write_hours.round() as u64))
                } else {
                    String::new()
                },
                if from.is_empty() { "none".into() } else { from.join(", ") },
                span(f.mean_lost_hours)
            );
        }
    }
    if let Some(st) = &s.storage {
        out += &format!(
            "  storage    {} written, {} read at {} / {} GB/s; busy {:.2}% of the time, contention slowed transfers {:.2}%\n",
            bytes_tb(st.written_tb),
            bytes_tb(st.read_tb),
            thousands(st.write_gbps.round() as u64),
            thousands(st.read_gbps.round() as u64),
            100.0 * st.busy_fraction,
            100.0 * (st.contention_slowdown - 1.0)
        );
    }
    out += &format!(
        "  chip-time  useful {:.1}% · checkpoint {:.1}% · restart {:.1}% · lost {:.1}%{} · waiting {:.1}% · idle {:.1}% (hot spares {:.1}%, free {:.1}%) · down {:.1}%{}\n",
        100.0 * b.useful,
        100.0 * b.checkpoint,
        100.0 * b.restart,
        100.0 * b.lost,
        match (b.throttled > 0.0, b.slowed > 0.0) {
            (false, false) => String::new(),
            (true, false) => format!(" · throttled {:.1}%", 100.0 * b.throttled),
            (false, true) => format!(" · slowed {:.1}%", 100.0 * b.slowed),
            (true, true) => format!(" · throttled {:.1}% · slowed {:.1}%", 100.0 * b.throttled, 100.0 * b.slowed),
        },
        100.0 * b.waiting,
        100.0 * b.idle,
        100.0 * s.idle_split.hot_spares,
        100.0 * s.idle_split.free,
        100.0 * b.down,
        if b.not_installed > 0.0 { format!(" · not installed {:.1}%", 100.0 * b.not_installed) } else { String::new() }
    );
    out += &format!("  goodput    {:.3}   utilization {:.3}   availability {:.4}\n", s.goodput, s.utilization, s.availability);
    out += &format!(
        "  power      facility mean {:.1} MW, peak {:.1} MW, lowest {:.1} MW; energy {}\n",
        s.power.facility_mean_mw,
        s.power.facility_peak_mw,
        s.power.facility_min_mw,
        energy(s.energy.facility_mwh)
    );
    for (word, sw) in [("falls", &s.power.drops), ("rises", &s.power.rises)] {
        let over = |t: &str| sw.per_day_over_mw.get(t).copied().unwrap_or(0.0);
        let ramp = |w: &str| sw.worst_ramp_mw.get(w).copied().unwrap_or(0.0);
        let sizes = match (sw.p50_mw, sw.max_mw) {
            (Some(p50), Some(max)) => format!(" (median {p50:.1} MW, largest {max:.1} MW)"),
            _ => String::new(),
        };
        out += &format!(
            "  {word:<9}  at one instant, over 10 / 50 / 90 MW: {:.1} / {:.1} / {:.1} a day{sizes}; worst within 1 s / 1 min / 15 min: {:.1} / {:.1} / {:.1} MW\n",
            over("10"),
            over("50"),
            over("90"),
            ramp("1s"),
            ramp("1min"),
            ramp("15min")
        );
    }
    if let Some(t) = &s.throttle {
        out += &format!(
            "  throttle   cap {:.1} MW enforced for {}, busy chips down to {:.0}% of their power; {} busy chip-hours lost ({:.2}% of busy time), {} not drawn\n",
            t.cap_mw,
            span(t.hours_throttled),
            100.0 * t.lowest_power_share,
            thousands(t.throughput_lost_chip_hours.round() as u64),
            100.0 * t.throughput_lost_fraction,
            energy(t.energy_shed_mwh)
        );
    }
    out += &format!(
        "  jobs       {} submitted, {} completed (frontier jobs included), mean wait to first start {}\n",
        thousands(s.jobs.submitted),
        thousands(s.jobs.completed),
        span(s.jobs.mean_wait_h)
    );
    out += &tenant_lines(r, &s);
    if let Some(c) = &s.cost {
        let m = |eur: f64| if eur.abs() >= 1e9 { format!("€{:.2}B", eur / 1e9) } else { format!("€{:.1}M", eur / 1e6) };
        out += &format!(
            "  cost       €{:.2} per useful chip-hour (capital {:.2} · energy {:.2} · operations {:.2}), {:.2} kg CO2; {} in all ({} energy at {:.1} €/MWh), {} t CO2\n",
            c.eur_per_useful_chip_hour,
            c.capital_eur_per_useful_chip_hour,
            c.energy_eur_per_useful_chip_hour,
            c.operations_eur_per_useful_chip_hour,
            c.kg_co2_per_useful_chip_hour,
            m(c.total_eur),
            m(c.energy_eur),
            c.mean_price_eur_per_mwh,
            thousands(c.co2_t.round() as u64)
        );
    }
    out
}

/// The scheduler's policy and one aligned line per tenant that submitted jobs, held
/// chips or is entitled to some: jobs done / submitted, p95 wait, share delivered / entitled.
fn tenant_lines(r: &Report, s: &crate::report::Summary) -> String {
    // summary.json keys a repeated tenant name `name#i`.
    let mut seen = std::collections::BTreeSet::new();
    let rows: Vec<(String, &crate::report::TenantSummary)> = r
        .tenants
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let key = if seen.insert(name.clone()) { name.clone() } else { format!("{name}#{i}") };
            s.tenants.get(&key).map(|t| (name.clone(), t))
        })
        .filter(|(_, t)| t.jobs_submitted > 0 || t.share_entitled.unwrap_or(0.0) > 0.0 || t.chip_hours_delivered.unwrap_or(0.0) > 0.0)
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let pct = |x: Option<f64>| format!("{:.1}%", 100.0 * x.unwrap_or(0.0));
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|(name, t)| {
            [
                name.clone(),
                thousands(t.jobs_completed),
                thousands(t.jobs_submitted),
                span(t.wait_p95_h),
                pct(t.share_delivered),
                pct(t.share_entitled),
            ]
        })
        .collect();
    let w = |k: usize| cells.iter().map(|c| c[k].chars().count()).max().unwrap_or(0);
    let (w0, w1, w2, w3, w4, w5) = (w(0), w(1), w(2), w(3), w(4), w(5));
    let mut out = format!(
        "  tenants    policy {}, mean queue {:.2} jobs; jobs done / submitted, p95 wait, share of tenants' chip-time delivered / entitled\n",
        s.scheduler.policy, s.scheduler.queue_length_mean
    );
    for [name, done, submitted, p95, delivered, entitled] in cells {
        out += &format!("             {name:<w0$}  {done:>w1$} / {submitted:<w2$}  p95 {p95:<w3$}   {delivered:>w4$} / {entitled:>w5$}\n");
    }
    out
}
