//! Charts of one run, drawn from the files `gigasim run` wrote.

use super::*;
use crate::sim::power::ZOOM_WINDOW_MINUTES;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Draw every chart of the run directory `dir` into `out`; returns the files written.
///
/// Reads `summary.json`, `power.csv`, `power_zoom.csv`, `failures.csv` and
/// `frontier.csv`; writes `power`, `power_zoom`, `failures_per_day`,
/// `time_breakdown` and `frontier_progress`, each as `.svg` and `.png`.
pub fn run_charts(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let summary: RunSummary = read_json(&dir.join("summary.json"))?;
    let power: Vec<PowerRow> = read_csv(&dir.join("power.csv"))?;
    let zoom: Vec<ZoomRow> = read_csv(&dir.join("power_zoom.csv"))?;
    let failures: Vec<FailureRow> = read_csv(&dir.join("failures.csv"))?;
    let frontier: Vec<FrontierRow> = read_csv(&dir.join("frontier.csv"))?;
    let mut files = Vec::new();
    files.extend(render(&PowerChart { s: &summary, rows: &power }, out)?);
    files.extend(render(&ZoomChart { s: &summary, rows: &zoom }, out)?);
    files.extend(render(&FailuresChart { s: &summary, rows: &failures }, out)?);
    files.extend(render(&BreakdownChart { s: &summary }, out)?);
    files.extend(render(&FrontierChart { s: &summary, rows: &frontier }, out)?);
    Ok(files)
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    for (i, row) in r.deserialize().enumerate() {
        rows.push(row.with_context(|| format!("{}: row {}", path.display(), i + 2))?);
    }
    Ok(rows)
}

// ---------------------------------------------------------------- inputs

/// The parts of `summary.json` the charts use.
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
    power: Power,
    #[serde(default)]
    frontier: Vec<Frontier>,
}

#[derive(Debug, Deserialize)]
struct Breakdown {
    useful: f64,
    checkpoint: f64,
    restart: f64,
    lost: f64,
    waiting: f64,
    idle: f64,
    down: f64,
}

#[derive(Debug, Deserialize)]
struct Power {
    facility_mean_mw: f64,
    facility_peak_mw: f64,
    max_drop_mw: f64,
    max_drop_at_hours: f64,
}

#[derive(Debug, Deserialize)]
struct Frontier {
    name: String,
    #[serde(default)]
    chips: u64,
    ettr: f64,
    #[serde(default)]
    mtbi_hours: f64,
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

#[derive(Debug, Deserialize)]
struct FailureRow {
    time_h: f64,
    category: String,
}

#[derive(Debug, Deserialize)]
struct FrontierRow {
    time_h: f64,
    job: String,
    event: String,
    work_saved_h: f64,
}

fn subtitle_base(s: &RunSummary) -> String {
    format!("{} · {} chips · {} days", s.scenario, fmt_int(s.chips), fmt_sig(s.horizon_days, 4))
}

// ---------------------------------------------------------------- power

const FACILITY: RGBColor = RGBColor(0x1f, 0x4e, 0x8c);
const FACILITY_BAND: RGBColor = RGBColor(0x9e, 0xbc, 0xe0);
const IT: RGBColor = RGBColor(0xe0, 0x7b, 0x1f);
const DROP: RGBColor = RGBColor(0xc6, 0x28, 0x28);

struct PowerChart<'a> {
    s: &'a RunSummary,
    rows: &'a [PowerRow],
}

/// Merge consecutive bins so that at most `max` remain, preferring a round
/// group length (30 min, 1 h, 8 h, …): energy-weighted means, exact extremes.
fn coarsen(rows: &[PowerRow], max: usize) -> Vec<PowerRow> {
    let min_k = rows.len().div_ceil(max.max(1)).max(1);
    let bin_h = rows.first().map(|r| r.end_h - r.start_h).unwrap_or(0.0);
    let nice = [0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 24.0, 48.0, 168.0];
    let k = nice
        .iter()
        .filter(|_| bin_h > 0.0)
        .map(|d| d / bin_h)
        .find(|k| *k >= min_k as f64 - 1e-3 && (k - k.round()).abs() < 1e-3)
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

fn fmt_duration_h(h: f64) -> String {
    let m = h * 60.0;
    if m < 90.0 { format!("{} min", fmt_sig(m, 3)) } else { format!("{} h", fmt_sig(h, 3)) }
}

impl Chart for PowerChart<'_> {
    fn stem(&self) -> String {
        "power".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let horizon_h = self.rows.last().map(|r| r.end_h).unwrap_or(s.horizon_days * 24.0).max(s.horizon_days * 24.0);
        let unit = TimeUnit::for_span_hours(horizon_h);
        let bins = coarsen(self.rows, 600);
        let bin_h = bins.first().map(|b| b.end_h - b.start_h).unwrap_or(0.0);
        let sub = format!(
            "{} · mean {} MW, peak {} MW · lines: {} means; band: exact min–max within each",
            subtitle_base(s),
            fmt_sig(s.power.facility_mean_mw, 4),
            fmt_sig(s.power.facility_peak_mw, 4),
            fmt_duration_h(bin_h)
        );
        let area = heading(root, "Facility and IT power over time", &sub)?;
        if bins.is_empty() {
            return centred_note(&area, "power.csv has no rows");
        }
        let peak = bins.iter().map(|b| b.facility_max_mw.max(b.facility_mw)).fold(s.power.facility_peak_mw, f64::max);
        let x1 = unit.of_hours(horizon_h);
        let mut chart = framed(&area, 36, 86).build_cartesian_2d(0.0..x1, 0.0..headroom(peak, 1.12))?;
        chart
            .configure_mesh()
            .house()
            .x_desc(format!("time since start ({})", unit.name()))
            .y_desc("power (MW)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let mid = |b: &PowerRow| unit.of_hours(0.5 * (b.start_h + b.end_h));
        let band: Vec<(f64, f64)> =
            bins.iter().map(|b| (mid(b), b.facility_max_mw)).chain(bins.iter().rev().map(|b| (mid(b), b.facility_min_mw))).collect();
        chart
            .draw_series(std::iter::once(Polygon::new(band, FACILITY_BAND.mix(0.55).filled())))?
            .label("facility, min–max")
            .legend(|(x, y)| Rectangle::new([(x, y - 8), (x + 28, y + 8)], FACILITY_BAND.mix(0.55).filled()));
        chart
            .draw_series(LineSeries::new(bins.iter().map(|b| (mid(b), b.facility_mw)), FACILITY.stroke_width(2)))?
            .label("facility (mean)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], FACILITY.stroke_width(3)));
        chart
            .draw_series(LineSeries::new(bins.iter().map(|b| (mid(b), b.it_mw)), IT.stroke_width(2)))?
            .label("IT (mean)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], IT.stroke_width(3)));
        if s.power.max_drop_mw > 0.0 {
            let xd = unit.of_hours(s.power.max_drop_at_hours);
            let top = headroom(peak, 1.12);
            chart
                .draw_series(DashedLineSeries::new(vec![(xd, 0.0), (xd, top)], 6, 5, DROP.stroke_width(2)))?
                .label(format!(
                    "largest drop: {} MW at {:.1} h (see power_zoom)",
                    fmt_sig(s.power.max_drop_mw, 3),
                    s.power.max_drop_at_hours
                ))
                .legend(|(x, y)| PathElement::new(vec![(x + 14, y - 9), (x + 14, y + 9)], DROP.stroke_width(2)));
        }
        chart.configure_series_labels().house(SeriesLabelPosition::LowerRight).draw()?;
        Ok(())
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
        // A value that holds for no time (two rows at one instant) was never drawn from the grid.
        let rows: Vec<ZoomRow> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(i, r)| self.rows.get(i + 1).is_none_or(|n| n.time_h > r.time_h))
            .map(|(_, r)| *r)
            .collect();
        let rows = &rows[..];
        let fall = largest_fall(rows);
        let t0 = match fall {
            Some((i, _)) => rows[i].time_h,
            None => s.power.max_drop_at_hours,
        };
        let drop_mw = fall.map(|f| f.1).unwrap_or(s.power.max_drop_mw);
        let when = if t0 >= 24.0 { format!("{t0:.2} h (day {:.1})", t0 / 24.0) } else { format!("{t0:.2} h") };
        let window = ZOOM_WINDOW_MINUTES as f64;
        let before = rows.first().map(|r| (t0 - r.time_h) * 60.0).unwrap_or(window);
        let from =
            if before < window - 0.1 { format!("the start of the run ({before:.0} min before)") } else { format!("{window} min before") };
        let sub = format!("{} · exact power steps from {from} to {window} min after the drop at {when}", subtitle_base(s));
        let area = heading(root, &format!("Largest power drop: {} MW in one instant", fmt_sig(drop_mw, 3)), &sub)?;
        if rows.is_empty() {
            return centred_note(&area, "no power drop recorded (power_zoom.csv is empty)");
        }
        let min = |t: f64| (t - t0) * 60.0;
        let x0 = min(rows[0].time_h).min(0.0);
        let x1 = min(rows[rows.len() - 1].time_h).max(window);
        let steps = |f: fn(&ZoomRow) -> f64| -> Vec<(f64, f64)> {
            let mut p = Vec::with_capacity(2 * rows.len());
            for (i, r) in rows.iter().enumerate() {
                let next = rows.get(i + 1).map(|n| min(n.time_h)).unwrap_or(x1);
                p.push((min(r.time_h), f(r)));
                p.push((next, f(r)));
            }
            p
        };
        let peak = rows.iter().map(|r| r.facility_mw).fold(0.0, f64::max);
        let mut chart = framed(&area, 36, 86).build_cartesian_2d(x0..x1, 0.0..headroom(peak, 1.3))?;
        chart
            .configure_mesh()
            .house()
            .x_desc("minutes relative to the drop")
            .y_desc("power (MW)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        chart
            .draw_series(LineSeries::new(steps(|r| r.facility_mw), FACILITY.stroke_width(3)))?
            .label("facility")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], FACILITY.stroke_width(3)));
        chart
            .draw_series(LineSeries::new(steps(|r| r.it_mw), IT.stroke_width(3)))?
            .label("IT")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], IT.stroke_width(3)));
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
            let cy = if axis - floor >= 90 { (floor + axis) / 2 } else { ceiling - 42 };
            let centre = text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center);
            root.draw(&Text::new(format!("−{} MW in one instant", fmt_sig(d, 3)), (cx, cy - 15), font_c(28, DROP).pos(centre)))?;
            root.draw(&Text::new(format!("facility {hi:.1} → {lo:.1} MW"), (cx, cy + 17), font_c(NOTE_PX, DROP).pos(centre)))?;
        }
        chart.configure_series_labels().house(SeriesLabelPosition::LowerRight).draw()?;
        Ok(())
    }
}

// ---------------------------------------------------------------- failures per day

/// Categories in the order of the Llama 3 taxonomy, each with its colour.
const CATEGORIES: [(&str, RGBColor); 6] = [
    ("GPU", RGBColor(0xe1, 0x57, 0x59)),
    ("Dependency", RGBColor(0xb0, 0x7a, 0xa1)),
    ("Network", RGBColor(0x4e, 0x79, 0xa7)),
    ("Unplanned maintenance", RGBColor(0xed, 0xc9, 0x48)),
    ("Host", RGBColor(0x76, 0xb7, 0xb2)),
    ("Unknown", RGBColor(0xba, 0xb0, 0xac)),
];

struct FailuresChart<'a> {
    s: &'a RunSummary,
    rows: &'a [FailureRow],
}

impl Chart for FailuresChart<'_> {
    fn stem(&self) -> String {
        "failures_per_day".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let last_h = self.rows.iter().map(|r| r.time_h).fold(0.0, f64::max);
        let days = ((s.horizon_days.max(last_h / 24.0)).ceil() as usize).max(1);
        // Known categories first, in taxonomy order; any other after them.
        let mut cats: Vec<(String, RGBColor)> = CATEGORIES.iter().map(|(n, c)| (n.to_string(), *c)).collect();
        for r in self.rows {
            if !cats.iter().any(|(n, _)| *n == r.category) {
                let c = PALETTE[(cats.len() + 2) % PALETTE.len()];
                cats.push((r.category.clone(), c));
            }
        }
        let mut counts = vec![vec![0u64; cats.len()]; days];
        let mut totals = vec![0u64; cats.len()];
        for r in self.rows {
            let d = ((r.time_h / 24.0).floor().max(0.0) as usize).min(days - 1);
            let c = cats.iter().position(|(n, _)| *n == r.category).unwrap_or(0);
            counts[d][c] += 1;
            totals[c] += 1;
        }
        let n = self.rows.len() as u64;
        let per_day = n as f64 / s.horizon_days.max(1e-9);
        let sub =
            format!("{} · {} failures, {} per day on average, stacked by category", subtitle_base(s), fmt_int(n), fmt_sig(per_day, 3));
        let area = heading(root, "Failures per day by category", &sub)?;
        let max_day = counts.iter().map(|d| d.iter().sum::<u64>()).max().unwrap_or(0) as f64;
        let mut chart = framed(&area, 36, 80).build_cartesian_2d(0.0..days as f64, 0.0..headroom(max_day, 1.45).max(5.0))?;
        chart
            .configure_mesh()
            .house()
            .disable_x_mesh()
            .x_desc("day of the run")
            .y_desc("failures per day")
            .x_labels((days + 1).min(12))
            .x_label_formatter(&|v| if (v - v.round()).abs() < 1e-9 { fmt_tick(*v) } else { String::new() })
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let gap = if days <= 60 { 0.12 } else { 0.0 };
        for (ci, (name, colour)) in cats.iter().enumerate() {
            if totals[ci] == 0 {
                continue;
            }
            let bars = counts.iter().enumerate().filter(|(_, d)| d[ci] > 0).map(|(day, d)| {
                let base: u64 = d[..ci].iter().sum();
                let x = day as f64;
                Rectangle::new([(x + gap, base as f64), (x + 1.0 - gap, (base + d[ci]) as f64)], colour.filled())
            });
            let c = *colour;
            chart
                .draw_series(bars)?
                .label(format!("{name} ({})", fmt_int(totals[ci])))
                .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 22, y + 8)], c.filled()));
        }
        if n > 0 {
            chart
                .draw_series(DashedLineSeries::new(vec![(0.0, per_day), (days as f64, per_day)], 10, 6, INK.mix(0.7).stroke_width(2)))?
                .label(format!("mean {} per day", fmt_sig(per_day, 3)))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], INK.mix(0.7).stroke_width(2)));
        } else {
            centred_note(&chart.plotting_area().strip_coord_spec(), "no failures in this run")?;
        }
        chart.configure_series_labels().house(SeriesLabelPosition::UpperRight).draw()?;
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
        let buckets: [(&str, &str, f64, RGBColor); 7] = [
            ("useful", "work kept", b.useful, RGBColor(0x4c, 0x9a, 0x4a)),
            ("checkpoint", "writing checkpoints", b.checkpoint, RGBColor(0x4e, 0x79, 0xa7)),
            ("restart", "detect, reschedule, reload", b.restart, RGBColor(0xf2, 0x8e, 0x2b)),
            ("lost", "work thrown away by failures", b.lost, RGBColor(0xd6, 0x3c, 0x3e)),
            ("waiting", "allocated, waiting for nodes", b.waiting, RGBColor(0xb0, 0x7a, 0xa1)),
            ("idle", "no job", b.idle, RGBColor(0xa5, 0x9c, 0x94)),
            ("down", "failed, in repair", b.down, RGBColor(0x4a, 0x4a, 0x4a)),
        ];
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
            .x_desc("share of installed chip-time (%)")
            .x_label_formatter(&|v| format!("{}%", fmt_tick(*v)))
            .y_label_formatter(&label)
            .draw()?;
        for (k, (_, what, share, colour)) in buckets.iter().enumerate() {
            let row = n - 1 - k as u32;
            let pct = 100.0 * share.clamp(0.0, 1.0);
            let mut bar = Rectangle::new([(0.0, SegmentValue::Exact(row)), (pct, SegmentValue::Exact(row + 1))], colour.filled());
            bar.set_margin(9, 9, 0, 0);
            chart.draw_series(std::iter::once(bar))?;
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

impl Chart for FrontierChart<'_> {
    fn stem(&self) -> String {
        "frontier_progress".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let jobs = job_traces(self.rows);
        let horizon_h = jobs.iter().map(|j| j.end_h).fold(s.horizon_days * 24.0, f64::max);
        let unit = TimeUnit::for_span_hours(horizon_h);
        let u = |h: f64| unit.of_hours(h);
        let total_int: usize = jobs.iter().map(|j| j.interruptions.len()).sum();
        let title = format!("Frontier training progress — ETTR {}", fmt_sig(s.ettr, 3));
        let sub = format!("{} · saved work vs wall time; shaded: time lost to checkpoints, restarts and recomputation", subtitle_base(s));
        let area = heading(root, &title, &sub)?;
        if jobs.is_empty() {
            return centred_note(&area, "no frontier job in this run");
        }
        let (top, bottom) = area.split_vertically(area.dim_in_pixel().1 * 70 / 100);
        let x1 = u(horizon_h);
        let ideal_max = jobs.iter().map(|j| j.end_h - j.start_h).fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(&top)
            .margin_left(16)
            .margin_right(36)
            .margin_top(4)
            .x_label_area_size(36)
            .y_label_area_size(96)
            .build_cartesian_2d(0.0..x1, 0.0..headroom(u(ideal_max), 1.06))?;
        chart
            .configure_mesh()
            .house()
            .y_desc(format!("useful work ({})", unit.name()))
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let plot_w = chart.plotting_area().dim_in_pixel().0 as usize;
        for (k, j) in jobs.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let info = s.frontier.iter().find(|f| f.name == j.name);
            let curve: Vec<(f64, f64)> = step_curve(&j.saved).into_iter().map(|(t, w)| (u(t), u(w))).collect();
            let curve = decimate(&curve, 0.0, x1, plot_w.max(1));
            let ideal = [(u(j.start_h), 0.0), (u(j.end_h), u(j.end_h - j.start_h))];
            // The gap between ideal and actual.
            let gap: Vec<(f64, f64)> = curve.iter().copied().chain([ideal[1], ideal[0]]).collect();
            let ettr = info.map(|f| f.ettr).unwrap_or_else(|| j.saved.last().map(|l| l.1).unwrap_or(0.0) / (j.end_h - j.start_h).max(1e-9));
            chart
                .draw_series(std::iter::once(Polygon::new(gap, DROP.mix(0.10).filled())))?
                .label(format!("shortfall: 1 − ETTR = {}", fmt_pct(1.0 - ettr)))
                .legend(|(x, y)| Rectangle::new([(x, y - 8), (x + 28, y + 8)], DROP.mix(0.16).filled()));
            chart
                .draw_series(LineSeries::new(ideal, MUTED.stroke_width(2)))?
                .label("ideal: work = wall time")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], MUTED.stroke_width(2)));
            let chips = info.map(|f| format!(" on {} chips", fmt_int(f.chips))).unwrap_or_default();
            chart
                .draw_series(LineSeries::new(curve, colour.stroke_width(3)))?
                .label(format!("{}{chips}: saved work, ETTR {}", j.name, fmt_sig(ettr, 3)))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 28, y)], colour.stroke_width(3)));
            // Interruptions: crosses on the curve while they stay apart, else thin rug ticks along
            // the time axis while those stay apart; the panel below counts them in any case.
            let n = j.interruptions.len();
            let mtbi = info.map(|f| format!(", one per {}", fmt_duration_h(f.mtbi_hours))).unwrap_or_default();
            let label = format!("interruption ({}{mtbi})", fmt_int(n as u64));
            if n > 0 && n * 14 <= plot_w {
                chart
                    .draw_series(j.interruptions.iter().map(|&(t, w)| Cross::new((u(t), u(w)), 5, DROP.stroke_width(2))))?
                    .label(label)
                    .legend(|(x, y)| Cross::new((x + 14, y), 5, DROP.stroke_width(2)));
            } else if n > 0 && n * 3 <= plot_w {
                let (_, ys) = chart.plotting_area().get_pixel_range();
                let lane = ys.end - 4 - (k as i32) * 22;
                let ticks: Vec<i32> = j.interruptions.iter().map(|&(t, _)| chart.backend_coord(&(u(t), 0.0)).0).collect();
                for x in ticks {
                    root.draw(&PathElement::new(vec![(x, lane - 16), (x, lane)], DROP.mix(0.75).stroke_width(1)))?;
                }
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                    .label(format!("{label}: ticks on the time axis"))
                    .legend(|(x, y)| PathElement::new(vec![(x + 14, y - 8), (x + 14, y + 8)], DROP.stroke_width(1)));
            }
        }
        chart.configure_series_labels().house(SeriesLabelPosition::UpperLeft).draw()?;

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
        let mut hist = ChartBuilder::on(&bottom)
            .margin_left(16)
            .margin_right(36)
            .margin_top(10)
            .margin_bottom(8)
            .x_label_area_size(56)
            .y_label_area_size(96)
            .build_cartesian_2d(0.0..x1, 0.0..headroom(max, 1.6).max(1.0))?;
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
                let (a, z) = (u((b as f64 + gap) * bin_h), u((b as f64 + 1.0 - gap) * bin_h).min(x1));
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
