//! Charts of one run, drawn from the files `gigasim run` wrote.

use super::*;
use crate::sim::power::ZOOM_WINDOW_MINUTES;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Draw every chart of the run directory `dir` into `out`; returns the files written.
///
/// Reads `summary.json`, `power.csv`, `power_zoom.csv`, `drops.csv`, `failures.csv`
/// and `frontier.csv`; writes [`RUN_CHART_STEMS`], each as `.svg` and `.png`.
/// A folder written before `drops.csv` existed still draws: the charts that need it
/// say that it is missing.
pub fn run_charts(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let summary: RunSummary = read_json(&dir.join("summary.json"))?;
    let power: Vec<PowerRow> = read_csv(&dir.join("power.csv"))?;
    let zoom: Vec<ZoomRow> = read_csv(&dir.join("power_zoom.csv"))?;
    let drops_path = dir.join("drops.csv");
    let drops: Option<Vec<DropRow>> = if drops_path.exists() { Some(read_csv(&drops_path)?) } else { None };
    let failures: Vec<FailureRow> = read_csv(&dir.join("failures.csv"))?;
    let frontier: Vec<FrontierRow> = read_csv(&dir.join("frontier.csv"))?;
    let drops = drops.as_deref();
    let mut files = Vec::new();
    files.extend(render(&PowerChart { s: &summary, rows: &power, drops }, out)?);
    files.extend(render(&ZoomChart { s: &summary, rows: &zoom }, out)?);
    files.extend(render(&DropsChart { s: &summary, drops }, out)?);
    files.extend(render(&FailuresChart { s: &summary, rows: &failures }, out)?);
    files.extend(render(&BreakdownChart { s: &summary }, out)?);
    files.extend(render(&FrontierChart { s: &summary, rows: &frontier }, out)?);
    Ok(files)
}

/// The charts [`run_charts`] writes, in order.
pub const RUN_CHART_STEMS: [&str; 6] = ["power", "power_zoom", "power_drops", "failures_per_day", "time_breakdown", "frontier_progress"];

/// A file the charts are drawn from is missing or damaged: an [`InputError`] naming
/// it (bad input to `gigasim plot`, exit 2).
///
/// [`InputError`]: crate::config::InputError
pub(crate) fn unreadable(path: &Path, what: impl std::fmt::Display) -> anyhow::Error {
    crate::config::InputError::new(path.display().to_string(), None, format!("{what}; allowed: the file as gigasim wrote it")).into()
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, format_args!("cannot read: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| unreadable(path, format_args!("cannot parse: {e}")))?;
    // Names as gigasim writes them: a megabyte name would be drawn on every chart.
    if let Some(n) = crate::config::longest_string(&value).filter(|&n| n > crate::config::MAX_STRING) {
        return Err(unreadable(path, format_args!("holds a string of {n} characters (at most {} are written)", crate::config::MAX_STRING)));
    }
    serde_json::from_value(value).map_err(|e| unreadable(path, format_args!("cannot parse: {e}")))
}

pub(crate) fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let mut r = csv::Reader::from_path(path).map_err(|e| unreadable(path, format_args!("cannot read: {e}")))?;
    let mut rows = Vec::new();
    for (i, row) in r.deserialize().enumerate() {
        rows.push(row.map_err(|e| unreadable(path, format_args!("row {}: {e}", i + 2)))?);
    }
    Ok(rows)
}

// ---------------------------------------------------------------- inputs

/// The parts of `summary.json` the charts use. Fields added later are optional,
/// so that the folder of an older run still draws.
#[derive(Debug, Deserialize)]
struct RunSummary {
    #[serde(default)]
    scenario: String,
    #[serde(default)]
    chips: u64,
    horizon_days: f64,
    #[serde(default)]
    goodput: f64,
    #[serde(default)]
    ettr: f64,
    #[serde(default)]
    utilization: f64,
    #[serde(default)]
    availability: f64,
    time_breakdown: Breakdown,
    #[serde(default)]
    idle_split: Option<IdleSplit>,
    #[serde(default)]
    energy: Option<Energy>,
    power: Power,
    #[serde(default)]
    frontier: Vec<Frontier>,
    #[serde(default)]
    grid: Option<GridLimits>,
    #[serde(default)]
    throttle: Option<serde::de::IgnoredAny>,
}

/// The grid's cap, when the scenario sets one.
#[derive(Debug, Deserialize)]
struct GridLimits {
    #[serde(default)]
    cap_mw: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Breakdown {
    useful: f64,
    checkpoint: f64,
    restart: f64,
    lost: f64,
    #[serde(default)]
    throttled: f64,
    #[serde(default)]
    slowed: f64,
    waiting: f64,
    idle: f64,
    down: f64,
    #[serde(default)]
    not_installed: f64,
}

#[derive(Debug, Deserialize)]
struct IdleSplit {
    hot_spares: f64,
    free: f64,
}

#[derive(Debug, Deserialize)]
struct Energy {
    facility_mwh: f64,
}

#[derive(Debug, Deserialize)]
pub(super) struct ZoomEvent {
    pub at_hours: f64,
    pub fall_mw: f64,
    /// 0: a fall in one instant; 60: the largest within a minute (ramp-limited chips).
    pub within_s: f64,
}

#[derive(Debug, Deserialize)]
struct Power {
    facility_mean_mw: f64,
    facility_peak_mw: f64,
    #[serde(default)]
    facility_min_mw: Option<f64>,
    max_drop_mw: f64,
    max_drop_at_hours: f64,
    /// What the zoom is centred on (older summaries: the largest instant fall).
    #[serde(default)]
    zoom: Option<ZoomEvent>,
    #[serde(default)]
    drops: Option<Swings>,
    #[serde(default)]
    rises: Option<Swings>,
}

/// `power.drops` or `power.rises`.
#[derive(Debug, Deserialize)]
struct Swings {
    #[serde(default)]
    per_day_over_mw: std::collections::BTreeMap<String, f64>,
    p50_mw: Option<f64>,
    p95_mw: Option<f64>,
    p99_mw: Option<f64>,
    max_mw: Option<f64>,
    #[serde(default)]
    worst_ramp_mw: std::collections::BTreeMap<String, f64>,
}

impl Swings {
    /// (threshold MW, count a day), smallest threshold first.
    fn over(&self) -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = self.per_day_over_mw.iter().filter_map(|(k, n)| k.parse::<f64>().ok().map(|t| (t, *n))).collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    }
}

#[derive(Debug, Deserialize)]
struct Frontier {
    name: String,
    #[serde(default)]
    chips: u64,
    ettr: f64,
    #[serde(default)]
    mtbi_hours: f64,
    #[serde(default)]
    useful_hours: Option<f64>,
    #[serde(default)]
    finished_hours: Option<f64>,
    #[serde(default)]
    work_hours: Option<f64>,
    #[serde(default)]
    projected_finish_days: Option<f64>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
struct PowerRow {
    start_h: f64,
    end_h: f64,
    it_mw: f64,
    facility_mw: f64,
    facility_min_mw: f64,
    facility_max_mw: f64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
struct ZoomRow {
    time_h: f64,
    it_mw: f64,
    facility_mw: f64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
struct DropRow {
    time_h: f64,
    facility_drop_mw: f64,
}

#[derive(Debug, Deserialize)]
struct FailureRow {
    time_h: f64,
    category: String,
    /// `transient` or `permanent`; absent in folders written before the column existed.
    #[serde(default)]
    outcome: String,
}

#[derive(Debug, Deserialize)]
struct FrontierRow {
    time_h: f64,
    job: String,
    event: String,
    work_saved_h: f64,
}

fn subtitle_base(s: &RunSummary) -> String {
    run_subtitle(&s.scenario, s.chips, s.horizon_days)
}

/// The part of `summary.json` every run chart names: scenario, chips and days.
#[derive(Debug, Deserialize)]
pub(crate) struct RunHeader {
    #[serde(default)]
    pub scenario: String,
    #[serde(default)]
    pub chips: u64,
    pub horizon_days: f64,
}

impl RunHeader {
    /// The start of a run chart's subtitle.
    pub fn subtitle(&self) -> String {
        run_subtitle(&self.scenario, self.chips, self.horizon_days)
    }
}

/// The start of every run chart's subtitle: scenario, chips and days.
pub(crate) fn run_subtitle(scenario: &str, chips: u64, days: f64) -> String {
    format!("{scenario} · {} chips · {} days", fmt_int(chips), fmt_sig(days, 4))
}

// ---------------------------------------------------------------- power

const FACILITY: RGBColor = RGBColor(0x1f, 0x4e, 0x8c);
const FACILITY_EDGE: RGBColor = RGBColor(0x86, 0xa8, 0xd4);
const IT: RGBColor = RGBColor(0xe0, 0x7b, 0x1f);
const DROP: RGBColor = RGBColor(0xc6, 0x28, 0x28);
/// Fall sizes from small to large: light to dark.
const FALL_SHADES: [RGBColor; 4] =
    [RGBColor(0xf2, 0xc4, 0xbe), RGBColor(0xe3, 0x8a, 0x7e), RGBColor(0xc9, 0x4c, 0x40), RGBColor(0x7f, 0x1d, 0x1d)];

struct PowerChart<'a> {
    s: &'a RunSummary,
    rows: &'a [PowerRow],
    drops: Option<&'a [DropRow]>,
}

/// Merge consecutive bins so that at most `max` remain, preferring a round
/// group length (30 min, 1 h, 8 h, a day, …): energy-weighted means, exact extremes.
fn coarsen(rows: &[PowerRow], max: usize) -> Vec<PowerRow> {
    let min_k = rows.len().div_ceil(max.max(1)).max(1);
    // The bin length from the whole span: the CSV rounds each bound to a microhour.
    let bin_h = match (rows.first(), rows.last()) {
        (Some(a), Some(z)) if rows.len() > 1 => (z.start_h - a.start_h) / (rows.len() - 1) as f64,
        (Some(a), _) => a.end_h - a.start_h,
        _ => 0.0,
    };
    let nice = [0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 24.0, 48.0, 168.0];
    let k = nice
        .iter()
        .filter(|_| bin_h > 0.0)
        .map(|d| d / bin_h)
        .find(|k| *k >= min_k as f64 - 1e-3 && (k - k.round()).abs() < 1e-3 * k.max(1.0))
        .map(|k| k.round() as usize)
        .unwrap_or(min_k);
    rows.chunks(k)
        .map(|c| {
            let dur: f64 = c.iter().map(|r| r.end_h - r.start_h).sum();
            let w = |f: fn(&PowerRow) -> f64| {
                if dur > 0.0 { c.iter().map(|r| f(r) * (r.end_h - r.start_h)).sum::<f64>() / dur } else { f(&c[0]) }
            };
            PowerRow {
                start_h: c[0].start_h,
                end_h: c[c.len() - 1].end_h,
                it_mw: w(|r| r.it_mw),
                facility_mw: w(|r| r.facility_mw),
                facility_min_mw: c.iter().map(|r| r.facility_min_mw).fold(f64::INFINITY, f64::min),
                facility_max_mw: c.iter().map(|r| r.facility_max_mw).fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect()
}

/// Fall-size classes cut at the thresholds of summary.json (10, 50, 90 MW by default):
/// (label, lower bound exclusive or None for the first class).
fn fall_classes(s: &RunSummary) -> Vec<f64> {
    let t: Vec<f64> = s.power.drops.as_ref().map(|d| d.over().into_iter().map(|o| o.0).collect()).unwrap_or_default();
    if t.is_empty() { vec![10.0, 50.0, 90.0] } else { t }
}

fn class_label(cuts: &[f64], c: usize) -> String {
    match c {
        // Listed falls are those where IT draw fell by 1 MW or more: facility by at least as much.
        0 => format!("1–{} MW", fmt_sig(cuts[0], 3)),
        c if c == cuts.len() => format!("over {} MW", fmt_sig(cuts[c - 1], 3)),
        c => format!("{}–{} MW", fmt_sig(cuts[c - 1], 3), fmt_sig(cuts[c], 3)),
    }
}

/// The class of a fall: the number of thresholds it is strictly larger than.
fn class_of(cuts: &[f64], mw: f64) -> usize {
    cuts.iter().filter(|&&t| mw > t).count()
}

impl Chart for PowerChart<'_> {
    fn stem(&self) -> String {
        "power".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let horizon_h = self.rows.last().map(|r| r.end_h).unwrap_or(s.horizon_days * 24.0).max(s.horizon_days * 24.0);
        let unit = TimeUnit::for_span_hours(horizon_h);
        // Day by day from three weeks on (what a planner reads at months), finer for short runs.
        let days = horizon_h / 24.0;
        let bins = coarsen(self.rows, if days >= 20.0 { (days.ceil() as usize).min(600) } else { 200 });
        let bin_h = bins.first().map(|b| b.end_h - b.start_h).unwrap_or(24.0);
        let per = bin_name(bin_h);
        let energy = s.energy.as_ref().map(|e| format!(" · energy {}", fmt_energy_mwh(e.facility_mwh))).unwrap_or_default();
        let lowest = s.power.facility_min_mw.map(|m| format!(", lowest {} MW", fmt_sig(m, 3))).unwrap_or_default();
        let sub = format!(
            "{} · facility mean {} MW, peak {} MW{lowest}{energy}",
            subtitle_base(s),
            fmt_sig(s.power.facility_mean_mw, 4),
            fmt_sig(s.power.facility_peak_mw, 4),
        );
        let title = format!("Facility power {}: range, mean and instantaneous falls", by_phrase(&per));
        let area = heading(root, &title, &sub)?;
        if bins.is_empty() {
            return centred_note(&area, "power.csv has no rows");
        }
        let mut keys = vec![
            Key::new(Swatch::Line(FACILITY_EDGE, 2), format!("facility: highest and lowest draw in each {per}")),
            Key::new(Swatch::Line(FACILITY, 3), format!("facility, mean of each {per}")),
            Key::new(Swatch::Line(IT, 3), format!("IT, mean of each {per}")),
        ];
        if s.power.max_drop_mw > 0.0 {
            keys.push(Key::new(
                Swatch::VDash(DROP),
                format!("largest fall: {} MW {} (power_zoom)", fmt_sig(s.power.max_drop_mw, 3), at_time(unit, s.power.max_drop_at_hours)),
            ));
        }
        let cap = s.grid.as_ref().and_then(|g| g.cap_mw);
        if let Some(c) = cap {
            let how = if s.throttle.is_some() { "enforced by throttling busy chips" } else { "not enforced: time above it is counted" };
            keys.push(Key::new(Swatch::Dashed(MUTED), format!("grid cap {} MW, {how}", fmt_sig(c, 4))));
        }
        if self.drops.is_none() {
            keys.push(Key::new(Swatch::Band(WHITE, 0.0), "no drops.csv in this folder (an older run): falls not counted"));
        }
        let area = legend_band(&area, &keys, 112)?;
        let h = area.dim_in_pixel().1;
        // Without drops.csv the power panel takes the whole height and carries the time axis.
        let (top, bottom) = if self.drops.is_some() { area.split_vertically(h * 58 / 100) } else { area.split_vertically(h) };
        let x1 = unit.of_hours(horizon_h);
        let peak =
            bins.iter().map(|b| b.facility_max_mw.max(b.facility_mw)).fold(s.power.facility_peak_mw, f64::max).max(cap.unwrap_or(0.0));
        let ytop = headroom(peak, 1.08);
        let mut chart = ChartBuilder::on(&top)
            .margin_left(16)
            .margin_right(36)
            .margin_top(4)
            .margin_bottom(if self.drops.is_some() { 0 } else { 8 })
            .x_label_area_size(if self.drops.is_some() { 34 } else { 58 })
            .y_label_area_size(96)
            .build_cartesian_2d(0.0..x1, 0.0..ytop)?;
        let x_desc = if self.drops.is_some() { String::new() } else { format!("time since start ({})", unit.name()) };
        chart
            .configure_mesh()
            .house()
            .x_desc(x_desc)
            .y_desc("power (MW)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        // The extremes as thin lines, not a filled band: a band over the whole swing would
        // cover the chart and hide the means.
        let mid = |b: &PowerRow| unit.of_hours(0.5 * (b.start_h + b.end_h));
        chart.draw_series(LineSeries::new(bins.iter().map(|b| (mid(b), b.facility_max_mw)), FACILITY_EDGE.stroke_width(2)))?;
        chart.draw_series(LineSeries::new(bins.iter().map(|b| (mid(b), b.facility_min_mw)), FACILITY_EDGE.stroke_width(2)))?;
        chart.draw_series(LineSeries::new(bins.iter().map(|b| (mid(b), b.facility_mw)), FACILITY.stroke_width(3)))?;
        chart.draw_series(LineSeries::new(bins.iter().map(|b| (mid(b), b.it_mw)), IT.stroke_width(3)))?;
        if let Some(c) = cap {
            chart.draw_series(DashedLineSeries::new(vec![(0.0, c), (x1, c)], 10, 6, MUTED.stroke_width(2)))?;
        }
        let xd = unit.of_hours(s.power.max_drop_at_hours);
        if s.power.max_drop_mw > 0.0 {
            chart.draw_series(DashedLineSeries::new(vec![(xd, 0.0), (xd, ytop)], 6, 5, DROP.stroke_width(2)))?;
        }

        // Bottom panel: how many falls each bin, stacked by size.
        let cuts = fall_classes(s);
        let Some(drops) = self.drops else {
            return Ok(());
        };
        let nbins = bins.len();
        let mut counts = vec![vec![0u64; cuts.len() + 1]; nbins];
        let mut totals = vec![0u64; cuts.len() + 1];
        for d in drops {
            let b = (((d.time_h - bins[0].start_h) / bin_h).floor().max(0.0) as usize).min(nbins - 1);
            let c = class_of(&cuts, d.facility_drop_mw);
            counts[b][c] += 1;
            totals[c] += 1;
        }
        let fall_keys: Vec<Key> = (0..=cuts.len())
            .rev()
            .map(|c| {
                Key::new(
                    Swatch::Line(FALL_SHADES[c.min(3)], 3),
                    format!("falls {}: {} a day", class_label(&cuts, c), fmt_sig(totals[c] as f64 / days, 4)),
                )
            })
            .collect();
        let bottom = legend_band(&bottom, &fall_keys, 112)?;
        let max = counts.iter().flat_map(|c| c.iter().copied()).max().unwrap_or(0) as f64;
        let hist_top = headroom(max, 1.15).max(1.0);
        let mut hist = ChartBuilder::on(&bottom)
            .margin_left(16)
            .margin_right(36)
            .margin_bottom(8)
            .x_label_area_size(58)
            .y_label_area_size(96)
            .build_cartesian_2d(0.0..x1, 0.0..hist_top)?;
        hist.configure_mesh()
            .house()
            .y_labels(4)
            .x_desc(format!("time since start ({})", unit.name()))
            .y_desc(format!("falls per {per}"))
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        // One step line per size class (classes do not overlap, so the lines add up to all falls).
        for c in (0..=cuts.len()).filter(|&c| totals[c] > 0) {
            let steps: Vec<(f64, f64)> = counts
                .iter()
                .enumerate()
                .flat_map(|(b, n)| [(unit.of_hours(bins[b].start_h), n[c] as f64), (unit.of_hours(bins[b].end_h), n[c] as f64)])
                .collect();
            hist.draw_series(LineSeries::new(steps, FALL_SHADES[c.min(3)].stroke_width(3)))?;
        }
        if s.power.max_drop_mw > 0.0 {
            hist.draw_series(DashedLineSeries::new(vec![(xd, 0.0), (xd, hist_top)], 6, 5, DROP.stroke_width(2)))?;
        }
        if drops.is_empty() {
            centred_note(&hist.plotting_area().strip_coord_spec(), "no instantaneous fall of 1 MW or more")?;
        }
        Ok(())
    }
}

/// "day by day", "week by week", or "in 6 h bins".
fn by_phrase(per: &str) -> String {
    match per {
        "day" | "week" | "hour" => format!("{per} by {per}"),
        other => format!("in {other} bins"),
    }
}

/// A moment in the unit of the time axis: "on day 140.40", or "at 4.52 h".
fn at_time(unit: TimeUnit, h: f64) -> String {
    match unit {
        TimeUnit::Days => format!("on day {:.2}", h / 24.0),
        TimeUnit::Hours => format!("at {h:.2} h"),
    }
}

/// Energy at its scale: "645 GWh", "830 MWh".
fn fmt_energy_mwh(mwh: f64) -> String {
    if mwh >= 10_000.0 { format!("{} GWh", fmt_sig(mwh / 1000.0, 4)) } else { format!("{} MWh", fmt_sig(mwh, 4)) }
}

// ---------------------------------------------------------------- falls: how many a day exceed each size

struct DropsChart<'a> {
    s: &'a RunSummary,
    drops: Option<&'a [DropRow]>,
}

impl Chart for DropsChart<'_> {
    fn stem(&self) -> String {
        "power_drops".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let days = s.horizon_days.max(1e-9);
        let title = "Instantaneous falls of facility power: how many a day exceed each size";
        let n = self.drops.map_or(0, |d| d.len());
        let sub = format!("{} · {} falls in drops.csv (every instant IT draw fell by 1 MW or more)", subtitle_base(s), fmt_int(n as u64));
        let area = heading(root, title, &sub)?;
        let Some(drops) = self.drops else {
            return centred_note(&area, "no drops.csv in this folder");
        };
        if drops.is_empty() {
            return centred_note(&area, "no instantaneous fall of 1 MW or more in this run");
        }
        let mut sizes: Vec<f64> = drops.iter().map(|d| d.facility_drop_mw).filter(|v| v.is_finite()).collect();
        sizes.sort_by(f64::total_cmp);
        let over = |x: f64| sizes.len() - sizes.partition_point(|&v| v <= x);
        let marked: Vec<(f64, f64)> = s.power.drops.as_ref().map(|d| d.over()).unwrap_or_default();
        let keys = vec![
            Key::new(Swatch::Line(DROP, 3), "falls a day larger than x (drops.csv)"),
            Key::new(Swatch::Dot(INK), "summary.json: falls a day larger than 10, 50, 90 MW"),
            Key::new(Swatch::Dotted(MUTED), format!("one fall in the whole run ({} days)", fmt_sig(days, 4))),
        ];
        let area = legend_band(&area, &keys, 112)?;
        let (w, _) = area.dim_in_pixel();
        let (plot, side) = area.split_horizontally(w - 380);

        let max_size = sizes.last().copied().unwrap_or(1.0);
        // To just past the largest fall (and at least the first threshold): thresholds beyond
        // it, with no falls to mark, are listed beside the chart.
        let first_cut = marked.first().map_or(0.0, |m| m.0);
        let x1 = headroom(max_size.max(first_cut), 1.08);
        let top = sizes.len() as f64 / days;
        let floor = 0.5 / days;
        let (ylo, yhi) = (10f64.powf(floor.log10().floor()), 10f64.powf((top * 1.5).log10().ceil()));
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(16)
            .margin_right(20)
            .margin_top(8)
            .margin_bottom(12)
            .x_label_area_size(58)
            .y_label_area_size(96)
            .build_cartesian_2d(0.0..x1, (ylo..yhi).log_scale())?;
        chart
            .configure_mesh()
            .house()
            .x_desc("x: size of the fall in facility power (MW)")
            .y_desc("falls a day larger than x (log scale)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_rate(*v))
            .draw()?;
        // N(> x): one step down at each distinct size; the curve ends on the floor past the largest.
        let mut curve = vec![(0.0, over(0.0) as f64 / days)];
        let mut i = 0;
        while i < sizes.len() {
            let v = sizes[i];
            let before = (sizes.len() - i) as f64 / days;
            let j = sizes.partition_point(|&x| x <= v);
            let after = (sizes.len() - j) as f64 / days;
            curve.push((v, before));
            curve.push((v, if after > 0.0 { after } else { ylo }));
            i = j;
        }
        let curve = decimate(&curve, 0.0, x1, plot.dim_in_pixel().0 as usize);
        chart.draw_series(DashedLineSeries::new(vec![(0.0, 1.0 / days), (x1, 1.0 / days)], 3, 5, MUTED.stroke_width(2)))?;
        chart.draw_series(LineSeries::new(curve, DROP.stroke_width(3)))?;
        chart.draw_series(marked.iter().filter(|m| m.1 > 0.0).map(|&(t, v)| Circle::new((t, v), 7, INK.filled())))?;

        // The numbers beside the curve: the marked counts, the sizes, the worst ramps.
        let mut lines: Vec<(String, RGBColor)> = Vec::new();
        lines.push(("Falls larger than (summary.json)".into(), INK));
        for &(t, v) in &marked {
            let from_csv = over(t) as f64 / days;
            lines.push((format!("  {} MW: {} a day", fmt_sig(t, 3), fmt_sig(v, 4)), INK));
            // The two files must tell one story: say so when they do not.
            if (from_csv - v).abs() > 0.005 * v.max(1.0 / days) + 0.5 / days {
                lines.push((format!("  drops.csv says {} a day", fmt_sig(from_csv, 4)), DROP));
            }
        }
        if let Some(&(t, v)) = marked.iter().rev().find(|m| m.1 > 0.0) {
            lines.push((format!("  (over {} MW: one every {})", fmt_sig(t, 3), fmt_duration_h(24.0 / v)), MUTED));
        }
        if marked.is_empty() {
            for t in [10.0, 50.0, 90.0] {
                lines.push((format!("  {t} MW: {} a day", fmt_sig(over(t) as f64 / days, 4)), INK));
            }
        }
        if let Some(d) = &s.power.drops {
            lines.push((String::new(), INK));
            lines.push(("Size of the falls".into(), INK));
            for (name, v) in [("median", d.p50_mw), ("95th percentile", d.p95_mw), ("99th percentile", d.p99_mw), ("largest", d.max_mw)] {
                if let Some(v) = v {
                    lines.push((format!("  {name}: {} MW", fmt_sig(v, 4)), INK));
                }
            }
            if !d.worst_ramp_mw.is_empty() {
                lines.push((String::new(), INK));
                lines.push(("Worst fall within".into(), INK));
                for w in ["1s", "1min", "15min"] {
                    if let Some(v) = d.worst_ramp_mw.get(w) {
                        lines.push((format!("  {}: {} MW", ramp_window(w), fmt_sig(*v, 4)), INK));
                    }
                }
            }
        }
        if let Some(r) = &s.power.rises
            && let Some(&(t, v)) = r.over().iter().rev().find(|o| o.1 > 0.0).or(r.over().first())
        {
            lines.push((String::new(), INK));
            lines.push((format!("Rises larger than {} MW:", fmt_sig(t, 3)), MUTED));
            lines.push((format!("  {} a day, largest {} MW", fmt_sig(v, 4), r.max_mw.map_or("–".into(), |m| fmt_sig(m, 4))), MUTED));
        }
        let left = text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Center);
        let mut y = 24;
        for (text, colour) in lines {
            if !text.is_empty() {
                side.draw(&Text::new(text, (12, y), font_c(NOTE_PX, colour).pos(left)))?;
            }
            y += 30;
        }
        Ok(())
    }
}

/// A count a day for a log axis: "100", "1", "0.01".
fn fmt_rate(v: f64) -> String {
    if v >= 1.0 { fmt_tick(v.round()) } else { fmt_sig(v, 1) }
}

fn ramp_window(w: &str) -> &str {
    match w {
        "1s" => "1 s",
        "1min" => "1 min",
        "15min" => "15 min",
        other => other,
    }
}

// ---------------------------------------------------------------- power zoom

struct ZoomChart<'a> {
    s: &'a RunSummary,
    rows: &'a [ZoomRow],
}

/// The step at which facility power falls most: (index of the row after the fall, fall in MW).
fn largest_fall(rows: &[ZoomRow]) -> Option<(usize, f64)> {
    (1..rows.len()).map(|i| (i, rows[i - 1].facility_mw - rows[i].facility_mw)).filter(|&(_, d)| d > 0.0).max_by(|a, b| a.1.total_cmp(&b.1))
}

impl Chart for ZoomChart<'_> {
    fn stem(&self) -> String {
        "power_zoom".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let rows = held(self.rows, |r| r.time_h);
        let rows = &rows[..];
        // Under per-chip ramp limits the draw moves linearly between rows, and the zoom is
        // centred on the largest fall within a minute.
        let ramped = s.power.zoom.as_ref().filter(|z| z.within_s > 0.0);
        let fall = if ramped.is_some() { None } else { largest_fall(rows) };
        let t0 = match (fall, ramped) {
            (Some((i, _)), _) => rows[i].time_h,
            (None, Some(z)) => z.at_hours,
            (None, None) => s.power.max_drop_at_hours,
        };
        let drop_mw = fall.map(|f| f.1).or(ramped.map(|z| z.fall_mw)).unwrap_or(s.power.max_drop_mw);
        let window = ZOOM_WINDOW_MINUTES as f64;
        let before = rows.first().map(|r| (t0 - r.time_h) * 60.0).unwrap_or(window);
        let from =
            if before < window - 0.1 { format!("the start of the run ({before:.0} min before)") } else { format!("{window} min before") };
        let (sub, title) = if ramped.is_some() {
            (
                format!(
                    "{} · exact draw of ramp-limited chips from {from} to {window} min after the minute ending {}",
                    subtitle_base(s),
                    fmt_when(t0)
                ),
                format!("Largest power drop: {} MW within a minute", fmt_sig(drop_mw, 3)),
            )
        } else {
            (
                format!("{} · exact power steps from {from} to {window} min after the fall on {}", subtitle_base(s), fmt_when(t0)),
                format!("Largest power drop: {} MW in one instant", fmt_sig(drop_mw, 3)),
            )
        };
        let area = heading(root, &title, &sub)?;
        if rows.is_empty() {
            return centred_note(&area, "no power drop recorded (power_zoom.csv is empty)");
        }
        // The legend above the plot, as on the other charts: never over a line.
        let keys = [Key::new(Swatch::Line(FACILITY, 3), "facility"), Key::new(Swatch::Line(IT, 3), "IT")];
        let area = legend_band(&area, &keys, 112)?;
        let min = |t: f64| (t - t0) * 60.0;
        let x0 = min(rows[0].time_h).min(0.0);
        let x1 = min(rows[rows.len() - 1].time_h).max(window);
        let steps = |f: fn(&ZoomRow) -> f64| {
            let points: Vec<(f64, f64)> = rows.iter().map(|r| (min(r.time_h), f(r))).collect();
            zoom_trace(&points, x1, ramped.is_some())
        };
        let peak = rows.iter().map(|r| r.facility_mw).fold(0.0, f64::max);
        let mut chart = framed(&area, 36, 86).build_cartesian_2d(x0..x1, 0.0..headroom(peak, 1.3))?;
        chart
            .configure_mesh()
            .house()
            .x_desc(if ramped.is_some() {
                "minutes before (−) and after the end of the minute it fell in"
            } else {
                "minutes before (−) and after the drop"
            })
            .y_desc("power (MW)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        chart.draw_series(LineSeries::new(steps(|r| r.facility_mw), FACILITY.stroke_width(3)))?;
        chart.draw_series(LineSeries::new(steps(|r| r.it_mw), IT.stroke_width(3)))?;
        if let Some((i, d)) = fall {
            let (hi, lo) = (rows[i - 1].facility_mw, rows[i].facility_mw);
            // A double-headed arrow just left of the cliff.
            let top = chart.backend_coord(&(0.0, hi));
            let bot = chart.backend_coord(&(0.0, lo));
            let ax = top.0 - 12;
            root.draw(&PathElement::new(vec![(ax, top.1 + 4), (ax, bot.1 - 4)], DROP.stroke_width(2)))?;
            for (y, dir) in [(top.1 + 2, 1), (bot.1 - 2, -1)] {
                root.draw(&Polygon::new(vec![(ax, y), (ax - 7, y + dir * 13), (ax + 7, y + dir * 13)], DROP.filled()))?;
            }
            // The size of the fall, centred on the cliff: under the lowest line if there is room, else above the highest.
            let (xs, _) = chart.plotting_area().get_pixel_range();
            let cx = ax.clamp(xs.start + 190, xs.end - 190);
            let lowest = rows.iter().map(|r| r.it_mw.min(r.facility_mw)).fold(f64::INFINITY, f64::min);
            let floor = chart.backend_coord(&(0.0, lowest)).1;
            let axis = chart.backend_coord(&(0.0, 0.0)).1;
            let ceiling = chart.backend_coord(&(0.0, peak)).1;
            // How common falls this large are: the count a day over the largest threshold below it.
            let near = s.power.drops.as_ref().and_then(|sw| sw.over().into_iter().rev().find(|o| o.1 > 0.0 && o.0 < d));
            let block = if near.is_some() { 100 } else { 70 };
            let cy = if axis - floor >= block + 20 { (floor + axis) / 2 } else { ceiling - block / 2 - 12 };
            let top = cy - block / 2;
            let centre = text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center);
            root.draw(&Text::new(format!("−{} MW in one instant", fmt_sig(d, 3)), (cx, top + 18), font_c(28, DROP).pos(centre)))?;
            root.draw(&Text::new(format!("facility {hi:.1} → {lo:.1} MW"), (cx, top + 50), font_c(NOTE_PX, DROP).pos(centre)))?;
            if let Some((t, v)) = near {
                let note = format!("{} falls a day larger than {} MW (power_drops)", fmt_sig(v, 4), fmt_sig(t, 3));
                root.draw(&Text::new(note, (cx, top + 80), font_c(NOTE_PX, MUTED).pos(centre)))?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- failures per day

/// Categories in the order of the Llama 3 taxonomy.
const CATEGORIES: [&str; 6] = ["GPU", "Dependency", "Network", "Unplanned maintenance", "Host", "Unknown"];
const PERMANENT: RGBColor = RGBColor(0xb2, 0x3a, 0x30);
const TRANSIENT: RGBColor = RGBColor(0x8f, 0xb4, 0xd9);
const OTHER_OUTCOME: RGBColor = RGBColor(0xba, 0xb0, 0xac);

struct FailuresChart<'a> {
    s: &'a RunSummary,
    rows: &'a [FailureRow],
}

/// Outcome class of a failure row: 0 permanent, 1 transient, 2 not recorded.
fn outcome_of(r: &FailureRow) -> usize {
    match r.outcome.as_str() {
        "permanent" => 0,
        "transient" => 1,
        _ => 2,
    }
}

/// A bin for failure counts over `span_h`: a week for long runs, shorter for short
/// ones, so that there are at most about 30 bars.
fn failure_bin_hours(span_h: f64) -> f64 {
    [1.0, 3.0, 6.0, 12.0, 24.0, 168.0].into_iter().find(|b| span_h / b <= 30.0).unwrap_or(168.0 * (span_h / 168.0 / 30.0).ceil())
}

impl Chart for FailuresChart<'_> {
    fn stem(&self) -> String {
        "failures_per_day".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let last_h = self.rows.iter().map(|r| r.time_h).fold(0.0, f64::max);
        let span_h = (s.horizon_days * 24.0).max(last_h).max(1e-9);
        let unit = TimeUnit::for_span_hours(span_h);
        let bin_h = failure_bin_hours(span_h);
        let nbins = (span_h / bin_h).ceil().max(1.0) as usize;
        let mut counts = vec![[0u64; 3]; nbins];
        let mut totals = [0u64; 3];
        for r in self.rows {
            let b = ((r.time_h / bin_h).floor().max(0.0) as usize).min(nbins - 1);
            counts[b][outcome_of(r)] += 1;
            totals[outcome_of(r)] += 1;
        }
        let n = self.rows.len() as u64;
        let days = span_h / 24.0;
        let per_day = |k: u64| fmt_sig(k as f64 / days, 3);
        let recorded = totals[0] + totals[1] > 0 || n == 0;
        let sub = if recorded {
            format!(
                "{} · {} failures, {} a day: {} permanent ({} a day), {} transient ({} a day)",
                subtitle_base(s),
                fmt_int(n),
                per_day(n),
                fmt_int(totals[0]),
                per_day(totals[0]),
                fmt_int(totals[1]),
                per_day(totals[1])
            )
        } else {
            format!(
                "{} · {} failures, {} a day · failures.csv has no outcome column (an older run)",
                subtitle_base(s),
                fmt_int(n),
                per_day(n)
            )
        };
        let per = bin_name(bin_h);
        let area = heading(root, &format!("Failures a day, {}: permanent ones need a repair crew", by_phrase(&per)), &sub)?;
        let outcomes = [
            (PERMANENT, "permanent: a repair crew swaps or fixes the part"),
            (TRANSIENT, "transient: back after a reboot, no crew"),
            (OTHER_OUTCOME, "outcome not recorded"),
        ];
        let mut keys: Vec<Key> = (0..3)
            .filter(|&k| totals[k] > 0 || (k < 2 && recorded))
            .map(|k| Key::new(Swatch::Band(outcomes[k].0, 1.0), outcomes[k].1))
            .collect();
        if n > 0 {
            keys.push(Key::new(Swatch::Dashed(INK), format!("mean over the run: {} a day", per_day(n))));
        }
        let area = legend_band(&area, &keys, 112)?;
        let (w, _) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally(w * 62 / 100);

        // Left: failures a day in each bin (a week for long runs), permanent at the bottom.
        let rate = |b: usize, k: u64| {
            let width_h = ((b + 1) as f64 * bin_h).min(span_h) - b as f64 * bin_h;
            k as f64 / (width_h / 24.0).max(1e-9)
        };
        let max = (0..nbins).map(|b| rate(b, counts[b].iter().sum())).fold(0.0, f64::max);
        let x1 = unit.of_hours(span_h);
        let mut chart = ChartBuilder::on(&left)
            .margin_left(16)
            .margin_right(24)
            .margin_bottom(12)
            .margin_top(4)
            .x_label_area_size(58)
            .y_label_area_size(86)
            .build_cartesian_2d(0.0..x1, 0.0..headroom(max, 1.15).max(1.0))?;
        chart
            .configure_mesh()
            .house()
            .disable_x_mesh()
            .x_desc(format!("time since start ({})", unit.name()))
            .y_desc(format!("failures a day, mean of each {per}"))
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let gap = 0.08 * bin_h;
        for k in 0..3 {
            chart.draw_series(counts.iter().enumerate().filter(|(_, c)| c[k] > 0).map(|(b, c)| {
                let base = rate(b, c[..k].iter().sum());
                let top = rate(b, c[..=k].iter().sum());
                let (a, z) = (unit.of_hours(b as f64 * bin_h + gap), unit.of_hours(((b + 1) as f64 * bin_h).min(span_h) - gap));
                Rectangle::new([(a, base), (z, top)], outcomes[k].0.filled())
            }))?;
        }
        if n > 0 {
            let mean = n as f64 / days;
            chart.draw_series(DashedLineSeries::new(vec![(0.0, mean), (x1, mean)], 10, 6, INK.mix(0.7).stroke_width(2)))?;
        } else {
            centred_note(&chart.plotting_area().strip_coord_spec(), "no failures in this run")?;
        }

        // Right: the whole run by category, split the same way.
        let mut cats: Vec<String> = CATEGORIES.iter().map(|c| c.to_string()).collect();
        for r in self.rows {
            if !cats.contains(&r.category) {
                cats.push(r.category.clone());
            }
        }
        let mut by_cat = vec![[0u64; 3]; cats.len()];
        for r in self.rows {
            let c = cats.iter().position(|c| *c == r.category).unwrap_or(0);
            by_cat[c][outcome_of(r)] += 1;
        }
        let nc = cats.len() as u32;
        let cmax = by_cat.iter().map(|c| c.iter().sum::<u64>()).max().unwrap_or(0) as f64;
        right.draw(&Text::new("by category, whole run", (20, 12), font_c(NOTE_PX, MUTED)))?;
        let (_, right) = right.split_vertically(36);
        let mut bars = ChartBuilder::on(&right)
            .margin_left(8)
            .margin_right(24)
            .margin_bottom(12)
            .x_label_area_size(58)
            .y_label_area_size(238)
            .build_cartesian_2d(0.0..headroom(cmax, 1.3).max(1.0), (0..nc - 1).into_segmented())?;
        let names = cats.clone();
        let label = move |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) if *i < nc => names[(nc - 1 - i) as usize].clone(),
            _ => String::new(),
        };
        bars.configure_mesh()
            .house()
            .disable_y_mesh()
            .x_labels(4)
            .x_desc("failures in the run")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&label)
            .draw()?;
        for (ci, c) in by_cat.iter().enumerate() {
            let row = nc - 1 - ci as u32;
            let mut base = 0.0;
            for k in 0..3 {
                if c[k] == 0 {
                    continue;
                }
                let mut bar = Rectangle::new(
                    [(base, SegmentValue::Exact(row)), (base + c[k] as f64, SegmentValue::Exact(row + 1))],
                    outcomes[k].0.filled(),
                );
                bar.set_margin(8, 8, 0, 0);
                bars.draw_series(std::iter::once(bar))?;
                base += c[k] as f64;
            }
            let end = bars.backend_coord(&(base, SegmentValue::CenterOf(row)));
            let style = font(NOTE_PX).pos(text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Center));
            root.draw(&Text::new(fmt_int(c.iter().sum()), (end.0 + 8, end.1), style))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- time breakdown

struct BreakdownChart<'a> {
    s: &'a RunSummary,
}

impl Chart for BreakdownChart<'_> {
    fn stem(&self) -> String {
        "time_breakdown".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let b = &s.time_breakdown;
        let idle = match &s.idle_split {
            Some(i) => format!("no job: hot spares {} (darker), free {}", fmt_pct(i.hot_spares), fmt_pct(i.free)),
            None => "no job".to_string(),
        };
        let all: [(&str, &str, f64, RGBColor); 10] = [
            ("useful", "work kept", b.useful, RGBColor(0x4c, 0x9a, 0x4a)),
            ("checkpoint", "writing checkpoints", b.checkpoint, RGBColor(0x4e, 0x79, 0xa7)),
            ("restart", "detect, reschedule, reload", b.restart, RGBColor(0xf2, 0x8e, 0x2b)),
            ("lost", "work thrown away by failures", b.lost, RGBColor(0xd6, 0x3c, 0x3e)),
            ("throttled", "slowed down by the power cap", b.throttled, RGBColor(0xed, 0xc9, 0x48)),
            ("slowed", "slowed down by stragglers", b.slowed, RGBColor(0x9c, 0x75, 0x5f)),
            ("waiting", "allocated, waiting for nodes", b.waiting, RGBColor(0xb0, 0x7a, 0xa1)),
            ("idle", &idle, b.idle, RGBColor(0xa5, 0x9c, 0x94)),
            ("down", "failed, in repair", b.down, RGBColor(0x4a, 0x4a, 0x4a)),
            ("not installed", "racks not yet in service", b.not_installed, RGBColor(0xd0, 0xd0, 0xd0)),
        ];
        // Throttling, stragglers and a phased build-out show only where they took time.
        let buckets: Vec<_> = all.into_iter().filter(|b| !matches!(b.0, "throttled" | "slowed" | "not installed") || b.2 > 0.0).collect();
        let sub = format!(
            "{} · goodput {} · frontier ETTR {} · utilization {} · availability {}",
            subtitle_base(s),
            fmt_sig(s.goodput, 3),
            fmt_sig(s.ettr, 3),
            fmt_sig(s.utilization, 3),
            fmt_sig(s.availability, 5)
        );
        let area = heading(root, "Where the chip-time went", &sub)?;
        let n = buckets.len() as u32;
        let mut chart = framed(&area, 40, 150).build_cartesian_2d(0.0..100.0, (0..n - 1).into_segmented())?;
        let names: Vec<&str> = buckets.iter().map(|b| b.0).collect();
        let label = |v: &SegmentValue<u32>| match v {
            // Top to bottom in the order of the accounting.
            SegmentValue::CenterOf(i) if *i < n => names[(n - 1 - i) as usize].to_string(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .house()
            .disable_y_mesh()
            .label_style(font(AXIS_DESC_PX))
            .x_label_style(font(TICK_PX))
            // A site built in phases: shares of the finished site, some of it not yet there.
            .x_desc(if b.not_installed > 0.0 { "share of the finished site's chip-time (%)" } else { "share of installed chip-time (%)" })
            .x_label_formatter(&|v| format!("{}%", fmt_tick(*v)))
            .y_label_formatter(&label)
            .draw()?;
        for (k, (name, what, share, colour)) in buckets.iter().enumerate() {
            let row = n - 1 - k as u32;
            let pct = 100.0 * share.clamp(0.0, 1.0);
            // Idle splits into hot spares (darker, first) and free chips.
            let split = match (*name, &s.idle_split) {
                ("idle", Some(i)) => 100.0 * i.hot_spares.clamp(0.0, share.clamp(0.0, 1.0)),
                _ => 0.0,
            };
            for (from, to, c) in [(0.0, split, RGBColor(0x7d, 0x74, 0x6c)), (split, pct, *colour)] {
                if to > from {
                    let mut bar = Rectangle::new([(from, SegmentValue::Exact(row)), (to, SegmentValue::Exact(row + 1))], c.filled());
                    bar.set_margin(9, 9, 0, 0);
                    chart.draw_series(std::iter::once(bar))?;
                }
            }
            let end = chart.backend_coord(&(pct, SegmentValue::CenterOf(row)));
            let plot = root;
            let (px, py) = end;
            let text = format!("{}  {}", fmt_pct(*share), what);
            let inside = pct > 62.0;
            let (x, colour, hpos) =
                if inside { (px - 12, WHITE, text_anchor::HPos::Right) } else { (px + 10, INK, text_anchor::HPos::Left) };
            let style = font_c(24, colour).pos(text_anchor::Pos::new(hpos, text_anchor::VPos::Center));
            plot.draw(&Text::new(text, (x, py), style))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- frontier progress

struct FrontierChart<'a> {
    s: &'a RunSummary,
    rows: &'a [FrontierRow],
}

struct JobTrace {
    name: String,
    start_h: f64,
    end_h: f64,
    /// (time, saved work) in hours, in file order.
    saved: Vec<(f64, f64)>,
    /// (time, saved work at that time) in hours.
    interruptions: Vec<(f64, f64)>,
}

fn job_traces(rows: &[FrontierRow]) -> Vec<JobTrace> {
    let mut jobs: Vec<JobTrace> = Vec::new();
    for r in rows {
        let j = match jobs.iter().position(|j| j.name == r.job) {
            Some(j) => j,
            None => {
                jobs.push(JobTrace {
                    name: r.job.clone(),
                    start_h: r.time_h,
                    end_h: r.time_h,
                    saved: Vec::new(),
                    interruptions: Vec::new(),
                });
                jobs.len() - 1
            }
        };
        let job = &mut jobs[j];
        if r.event == "start" {
            job.start_h = job.start_h.min(r.time_h);
        }
        job.end_h = job.end_h.max(r.time_h);
        job.saved.push((r.time_h, r.work_saved_h));
        if r.event == "interruption" {
            job.interruptions.push((r.time_h, r.work_saved_h));
        }
    }
    jobs
}

/// A step curve through (time, value) points: each value holds until the next time.
fn step_curve(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(2 * points.len());
    for (i, &(t, v)) in points.iter().enumerate() {
        if i > 0 {
            out.push((t, points[i - 1].1));
        }
        out.push((t, v));
    }
    out
}

/// A bin width (hours) giving at most about 180 bins over `span_h`.
fn count_bin_hours(span_h: f64) -> f64 {
    [0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 168.0]
        .into_iter()
        .find(|b| span_h / b <= 180.0)
        .unwrap_or(168.0 * ((span_h / 168.0 / 180.0).ceil()))
}

fn bin_name(h: f64) -> String {
    match h {
        24.0 => "day".into(),
        168.0 => "week".into(),
        1.0 => "hour".into(),
        h if h < 1.0 => format!("{} min", fmt_sig(h * 60.0, 3)),
        h if h % 24.0 == 0.0 => format!("{} days", fmt_sig(h / 24.0, 3)),
        h => format!("{} h", fmt_sig(h, 3)),
    }
}

/// Where a frontier job's work ends: (hours since start, finished for real).
fn finish_of(f: &Frontier) -> Option<(f64, bool)> {
    match (f.finished_hours, f.projected_finish_days) {
        (Some(h), _) => Some((h, true)),
        (None, Some(d)) if d.is_finite() && d > 0.0 => Some((24.0 * d, false)),
        _ => None,
    }
}

impl Chart for FrontierChart<'_> {
    fn stem(&self) -> String {
        "frontier_progress".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let jobs = job_traces(self.rows);
        let horizon_h = jobs.iter().map(|j| j.end_h).fold(s.horizon_days * 24.0, f64::max);
        let info = |j: &JobTrace| s.frontier.iter().find(|f| f.name == j.name);
        // Show a projected finish when it is no further out than three times the run.
        let projected: Vec<Option<f64>> = jobs
            .iter()
            .map(|j| info(j).and_then(finish_of).filter(|&(h, done)| !done && h > horizon_h && h <= 3.0 * horizon_h).map(|p| p.0))
            .collect();
        let end_h = projected.iter().flatten().fold(horizon_h, |a, &b| a.max(b * 1.03));
        let unit = TimeUnit::for_span_hours(end_h);
        let u = |h: f64| unit.of_hours(h);
        let total_int: usize = jobs.iter().map(|j| j.interruptions.len()).sum();
        let title = format!("Frontier training progress — ETTR {}", fmt_sig(s.ettr, 3));
        let sub =
            format!("{} · saved work against wall time; shaded: time lost to checkpoints, restarts and recomputation", subtitle_base(s));
        let area = heading(root, &title, &sub)?;
        if jobs.is_empty() {
            return centred_note(&area, "no frontier job in this run");
        }
        let x1 = u(end_h);
        let targets: Vec<Option<f64>> = jobs.iter().map(|j| info(j).and_then(|f| f.work_hours).filter(|w| *w > 0.0)).collect();
        // The ideal line stops at the work target; the target itself is drawn when it is within
        // reach of the chart (finished, projected on it, or at most half again the run's span).
        let shown_target: Vec<Option<f64>> = jobs
            .iter()
            .enumerate()
            .map(|(k, j)| {
                let done = info(j).and_then(finish_of).is_some_and(|f| f.1);
                targets[k].filter(|&w| done || projected[k].is_some() || w <= 1.5 * (j.end_h - j.start_h))
            })
            .collect();
        let y_max = jobs
            .iter()
            .enumerate()
            .map(|(k, j)| {
                let saved = j.saved.iter().map(|p| p.1).fold(0.0, f64::max);
                let ideal = targets[k].map_or(j.end_h - j.start_h, |w| w.min(j.end_h - j.start_h));
                ideal.max(saved).max(shown_target[k].unwrap_or(0.0))
            })
            .fold(0.0, f64::max);

        // The legend first: it sits above the chart, where no line runs.
        let mut keys = Vec::new();
        let plot_w_guess = area.dim_in_pixel().0 as usize - 150;
        for (k, j) in jobs.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let f = info(j);
            let chips = f.map(|f| format!(" on {} chips", fmt_int(f.chips))).unwrap_or_default();
            let ettr = f.map(|f| f.ettr).unwrap_or_else(|| j.saved.last().map(|l| l.1).unwrap_or(0.0) / (j.end_h - j.start_h).max(1e-9));
            keys.push(Key::new(Swatch::Line(colour, 3), format!("{}{chips}: saved work, ETTR {}", j.name, fmt_sig(ettr, 3))));
            if k == 0 {
                keys.push(Key::new(Swatch::Band(DROP, 0.16), format!("shortfall: 1 − ETTR = {}", fmt_pct(1.0 - ettr))));
                keys.push(Key::new(Swatch::Line(MUTED, 2), "ideal: work = wall time"));
            }
            if let Some(w) = targets[k] {
                let off = if shown_target[k].is_none() { ", off the chart" } else { "" };
                let what = format!("work target: {} h at full size ({} days{off})", fmt_int(w.round() as u64), fmt_sig(w / 24.0, 4));
                keys.push(Key::new(if off.is_empty() { Swatch::Dashed(colour) } else { Swatch::Band(WHITE, 0.0) }, what));
            }
            match (f.and_then(finish_of), projected[k]) {
                (Some((h, true)), _) => keys.push(Key::new(Swatch::Dot(colour), format!("finished on day {}", fmt_sig(h / 24.0, 4)))),
                (Some(_), Some(h)) => {
                    keys.push(Key::new(Swatch::Dotted(colour), format!("at the rate kept: done on day {}", fmt_sig(h / 24.0, 4))))
                }
                (Some((h, false)), None) if h > horizon_h => keys.push(Key::new(
                    Swatch::Dotted(colour),
                    format!("at the rate kept: done on day {} (off the chart)", fmt_sig(h / 24.0, 4)),
                )),
                _ => {}
            }
            let n = j.interruptions.len();
            let mtbi = f.filter(|f| f.mtbi_hours > 0.0).map(|f| format!(", one per {}", fmt_duration_h(f.mtbi_hours))).unwrap_or_default();
            if n > 0 && n * 14 <= plot_w_guess {
                keys.push(Key::new(Swatch::Cross(DROP), format!("interruption ({}{mtbi})", fmt_int(n as u64))));
            } else if n > 0 && n * 3 <= plot_w_guess {
                keys.push(Key::new(Swatch::Tick(DROP), format!("interruptions ({}{mtbi}), ticked on the time axis", fmt_int(n as u64))));
            }
        }
        if end_h > horizon_h {
            keys.push(Key::new(Swatch::Band(GRID, 1.0), "after the run: projection only"));
        }
        let area = legend_band(&area, &keys, 112)?;
        let (top, bottom) = area.split_vertically(area.dim_in_pixel().1 * 70 / 100);
        let ytop = headroom(u(y_max), 1.06);
        let mut chart = ChartBuilder::on(&top)
            .margin_left(16)
            .margin_right(36)
            .margin_top(4)
            .x_label_area_size(36)
            .y_label_area_size(96)
            .build_cartesian_2d(0.0..x1, 0.0..ytop)?;
        if end_h > horizon_h {
            chart.draw_series(std::iter::once(Rectangle::new([(u(horizon_h), 0.0), (x1, ytop)], GRID.mix(0.6).filled())))?;
        }
        chart
            .configure_mesh()
            .house()
            .y_desc(format!("useful work ({} at full size)", unit.name()))
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let plot_w = chart.plotting_area().dim_in_pixel().0 as usize;
        for (k, j) in jobs.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let f = info(j);
            let curve: Vec<(f64, f64)> = step_curve(&j.saved).into_iter().map(|(t, w)| (u(t), u(w))).collect();
            let curve = decimate(&curve, 0.0, x1, plot_w.max(1));
            // The gap between ideal and actual over the run; the ideal stops at the work target.
            let cap = targets[k].unwrap_or(f64::INFINITY);
            let mut upper = vec![(u(j.end_h), u((j.end_h - j.start_h).min(cap)))];
            if j.start_h + cap < j.end_h {
                upper.push((u(j.start_h + cap), u(cap)));
            }
            upper.push((u(j.start_h), 0.0));
            let gap: Vec<(f64, f64)> = curve.iter().copied().chain(upper).collect();
            chart.draw_series(std::iter::once(Polygon::new(gap, DROP.mix(0.10).filled())))?;
            // The ideal line runs until it reaches the work target (or the edge of the chart).
            let ideal_end = match targets[k] {
                Some(w) => (j.start_h + w).min(end_h),
                None => j.end_h,
            };
            chart.draw_series(LineSeries::new([(u(j.start_h), 0.0), (u(ideal_end), u(ideal_end - j.start_h))], MUTED.stroke_width(2)))?;
            if let Some(w) = shown_target[k] {
                chart.draw_series(DashedLineSeries::new(vec![(0.0, u(w)), (x1, u(w))], 12, 7, colour.stroke_width(2)))?;
            }
            let last = j.saved.last().map(|l| l.1).unwrap_or(0.0);
            let done_work = f.and_then(|f| f.useful_hours).unwrap_or(last).max(last);
            match (f.and_then(finish_of), projected[k], targets[k]) {
                (Some((h, true)), _, Some(w)) => {
                    chart.draw_series(std::iter::once(Circle::new((u(h), u(w)), 7, colour.filled())))?;
                }
                (_, Some(h), Some(w)) => {
                    chart.draw_series(DashedLineSeries::new(
                        vec![(u(j.end_h), u(done_work)), (u(h), u(w))],
                        3,
                        6,
                        colour.stroke_width(3),
                    ))?;
                    chart.draw_series(std::iter::once(Circle::new((u(h), u(w)), 7, colour.filled())))?;
                }
                _ => {}
            }
            chart.draw_series(LineSeries::new(curve, colour.stroke_width(3)))?;
            // Interruptions: crosses on the curve while they stay apart, else thin rug ticks along
            // the time axis while those stay apart; the panel below counts them in any case.
            let n = j.interruptions.len();
            if n > 0 && n * 14 <= plot_w_guess {
                chart.draw_series(j.interruptions.iter().map(|&(t, w)| Cross::new((u(t), u(w)), 5, DROP.stroke_width(2))))?;
            } else if n > 0 && n * 3 <= plot_w_guess {
                let (_, ys) = chart.plotting_area().get_pixel_range();
                let lane = ys.end - 4 - (k as i32) * 22;
                let ticks: Vec<i32> = j.interruptions.iter().map(|&(t, _)| chart.backend_coord(&(u(t), 0.0)).0).collect();
                for x in ticks {
                    root.draw(&PathElement::new(vec![(x, lane - 16), (x, lane)], DROP.mix(0.75).stroke_width(1)))?;
                }
            }
        }

        // Bottom panel: interruptions per bin, stacked by job, on the same time axis.
        let bin_h = count_bin_hours(horizon_h);
        let nbins = (horizon_h / bin_h).ceil().max(1.0) as usize;
        let mut counts = vec![vec![0u64; jobs.len()]; nbins];
        for (k, j) in jobs.iter().enumerate() {
            for &(t, _) in &j.interruptions {
                counts[((t / bin_h) as usize).min(nbins - 1)][k] += 1;
            }
        }
        let max = counts.iter().map(|c| c.iter().sum::<u64>()).max().unwrap_or(0) as f64;
        let hist_top = headroom(max, 1.6).max(1.0);
        let mut hist = ChartBuilder::on(&bottom)
            .margin_left(16)
            .margin_right(36)
            .margin_top(10)
            .margin_bottom(8)
            .x_label_area_size(56)
            .y_label_area_size(96)
            .build_cartesian_2d(0.0..x1, 0.0..hist_top)?;
        if end_h > horizon_h {
            hist.draw_series(std::iter::once(Rectangle::new([(u(horizon_h), 0.0), (x1, hist_top)], GRID.mix(0.6).filled())))?;
        }
        hist.configure_mesh()
            .house()
            .disable_x_mesh()
            .y_labels(3)
            .x_desc(format!("wall time since start ({})", unit.name()))
            .y_desc(format!("per {}", bin_name(bin_h)))
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let gap = if nbins <= 60 { 0.1 } else { 0.0 };
        for k in 0..jobs.len() {
            let colour = if jobs.len() == 1 { DROP } else { PALETTE[k % PALETTE.len()] };
            hist.draw_series(counts.iter().enumerate().filter(|(_, c)| c[k] > 0).map(|(b, c)| {
                let base: u64 = c[..k].iter().sum();
                let (a, z) = (u((b as f64 + gap) * bin_h), u((b as f64 + 1.0 - gap) * bin_h).min(u(horizon_h)));
                Rectangle::new([(a, base as f64), (z, (base + c[k]) as f64)], colour.mix(0.8).filled())
            }))?;
        }
        let every = match jobs.len() {
            1 => s
                .frontier
                .iter()
                .find(|f| f.name == jobs[0].name)
                .filter(|f| f.mtbi_hours > 0.0)
                .map(|f| format!(", one every {}", fmt_duration_h(f.mtbi_hours))),
            _ => None,
        };
        let note = format!("interruptions per {}: {} in all{}", bin_name(bin_h), fmt_int(total_int as u64), every.unwrap_or_default());
        let plot = hist.plotting_area().strip_coord_spec();
        plot.draw(&Text::new(note, (12, 6), font_c(NOTE_PX, MUTED)))?;
        Ok(())
    }
}
