//! Charts of the tenants of one run, drawn from the files `gigasim run` wrote:
//! `shares.csv` (what each tenant held day by day), `jobs.csv` (each tenant
//! job's wait), `queue.csv` (queue and allocation hour by hour) and `summary.json`.
//!
//! A run without tenant jobs (or a folder written before these files existed)
//! gets none of these charts, and no error.

use super::run::{RunHeader, read_csv, read_json};
use super::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// The charts [`tenant_charts`] writes, in order.
pub(crate) const TENANT_CHART_STEMS: [&str; 3] = ["tenant_shares", "tenant_waits", "queue"];

/// Draw the tenant charts of the run directory `dir` into `out`; returns the files
/// written: none when `jobs.csv` is missing or lists no job, and a chart is left
/// out when its own file is missing or empty.
pub(crate) fn tenant_charts(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let Some(jobs) = read_optional::<JobRow>(&dir.join("jobs.csv"))? else { return Ok(Vec::new()) };
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let summary: Summary = read_json(&dir.join("summary.json"))?;
    let shares = read_optional::<ShareRow>(&dir.join("shares.csv"))?.unwrap_or_default();
    let queue = read_optional::<QueueRow>(&dir.join("queue.csv"))?.unwrap_or_default();
    // One colour per tenant on every chart: the order of the scenario (shares.csv), then any other.
    let mut order: Vec<String> = Vec::new();
    for name in shares.iter().map(|r| &r.tenant).chain(jobs.iter().map(|j| &j.tenant)) {
        if !order.contains(name) {
            order.push(name.clone());
        }
    }
    let mut files = Vec::new();
    if !shares.is_empty() {
        files.extend(render(&SharesChart { s: &summary, rows: &shares, order: &order }, out)?);
    }
    files.extend(render(&WaitsChart { s: &summary, jobs: &jobs, order: &order }, out)?);
    if !queue.is_empty() {
        files.extend(render(&QueueChart { s: &summary, rows: &queue }, out)?);
    }
    Ok(files)
}

/// The rows of a CSV file, or `None` when the file is not there.
fn read_optional<T: DeserializeOwned>(path: &Path) -> Result<Option<Vec<T>>> {
    if !path.exists() {
        return Ok(None);
    }
    read_csv(path).map(Some)
}

// ---------------------------------------------------------------- inputs

/// The parts of `summary.json` these charts use; all optional but the horizon.
#[derive(Debug, Deserialize)]
struct Summary {
    #[serde(flatten)]
    head: RunHeader,
    #[serde(default)]
    tenants: BTreeMap<String, TenantInfo>,
    #[serde(default)]
    scheduler: Option<Scheduler>,
}

#[derive(Debug, Deserialize)]
struct TenantInfo {
    #[serde(default)]
    wait_p95_h: Option<f64>,
    #[serde(default)]
    wait_p99_h: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Scheduler {
    #[serde(default)]
    policy: String,
    #[serde(default)]
    queue_length_mean: Option<f64>,
    #[serde(default)]
    allocated: Option<f64>,
    #[serde(default)]
    fragmented: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct JobRow {
    tenant: String,
    #[serde(default)]
    wait_h: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct ShareRow {
    day: u64,
    tenant: String,
    chip_hours: f64,
    share_delivered: Option<f64>,
    share_entitled: f64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
struct QueueRow {
    time_h: f64,
    queued_jobs: f64,
    allocated_share: f64,
    fragmented_chips: f64,
}

fn subtitle_base(s: &Summary) -> String {
    s.head.subtitle()
}

fn policy(s: &Summary) -> String {
    s.scheduler.as_ref().filter(|p| !p.policy.is_empty()).map(|p| format!(" · policy {}", p.policy)).unwrap_or_default()
}

fn colour_of(order: &[String], name: &str) -> RGBColor {
    PALETTE[order.iter().position(|n| n == name).unwrap_or(0) % PALETTE.len()]
}

/// A percentage for a tick: "4%", "0.5%", "97.5%".
fn pct_tick(v: f64) -> String {
    format!("{}%", fmt_sig(v, 3))
}

/// An axis title turned to read upwards, centred on `(x, y)`.
fn vertical_title<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str, x: i32, y: i32) -> DResult<DB> {
    let style = font(AXIS_DESC_PX)
        .transform(FontTransform::Rotate270)
        .pos(text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center));
    area.draw(&Text::new(text.to_string(), (x, y), style))
}

/// Left edge of the plots: the margin and the y-label band every panel uses.
const PLOT_LEFT: i32 = 16 + 96;

// ---------------------------------------------------------------- shares

struct SharesChart<'a> {
    s: &'a Summary,
    rows: &'a [ShareRow],
    order: &'a [String],
}

/// One tenant's days: (day, delivered share if any tenant held chips that day).
struct TenantDays {
    name: String,
    entitled: f64,
    chip_hours: f64,
    days: Vec<(u64, Option<f64>)>,
}

impl Chart for SharesChart<'_> {
    fn stem(&self) -> String {
        "tenant_shares".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let mut tenants: Vec<TenantDays> = Vec::new();
        for r in self.rows {
            let t = match tenants.iter().position(|t| t.name == r.tenant) {
                Some(t) => t,
                None => {
                    tenants.push(TenantDays { name: r.tenant.clone(), entitled: r.share_entitled, chip_hours: 0.0, days: Vec::new() });
                    tenants.len() - 1
                }
            };
            tenants[t].chip_hours += r.chip_hours;
            tenants[t].days.push((r.day, r.share_delivered));
        }
        let total: f64 = tenants.iter().map(|t| t.chip_hours).sum();
        // A tenant entitled to nothing that held nothing has nothing to show.
        let (shown, idle): (Vec<&TenantDays>, Vec<&TenantDays>) = tenants.iter().partition(|t| t.entitled > 0.0 || t.chip_hours > 0.0);
        let last_day = self.rows.iter().map(|r| r.day + 1).max().unwrap_or(1) as f64;
        let x1 = if s.head.horizon_days > 0.0 { s.head.horizon_days } else { last_day };
        let idle_note = match idle.len() {
            0 => String::new(),
            _ => format!(
                " · not drawn, entitled to nothing and held nothing: {}",
                idle.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
        let sub = format!("{}{} · each day's share of the chip-time all tenants held{idle_note}", subtitle_base(s), policy(s));
        let area = heading(root, "Tenant shares day by day: delivered against entitled", &sub)?;
        if shown.is_empty() || total <= 0.0 {
            return centred_note(&area, "no tenant held any chips in this run (shares.csv)");
        }
        let mut keys: Vec<Key> = shown.iter().map(|t| Key::new(Swatch::Line(colour_of(self.order, &t.name), 3), t.name.clone())).collect();
        keys.push(Key::new(Swatch::Line(MUTED, 3), "solid: share delivered that day"));
        keys.push(Key::new(Swatch::Dashed(MUTED), "dashed: share entitled"));
        let area = legend_band(&area, &keys, PLOT_LEFT)?;

        // One panel a tenant, each on its own scale: a 4% tenant next to a 92% one would be a flat line.
        let n = shown.len();
        let cols = if n <= 4 { 1 } else { 2 };
        let rows = n.div_ceil(cols);
        let (w, h) = area.dim_in_pixel();
        const AXIS: u32 = 58;
        const CAPTION: u32 = 30;
        let panel_h = (h.saturating_sub(AXIS + 8)) / rows as u32;
        let col_w = w / cols as u32;
        for (k, t) in shown.iter().enumerate() {
            let (row, col) = (k / cols, k % cols);
            let bottom = row + 1 == rows || k + cols >= n;
            let y0 = row as u32 * panel_h;
            let height = if bottom { h - 8 - y0 } else { panel_h };
            let panel = area.clone().shrink((col as u32 * col_w, y0), (col_w, height));
            let colour = colour_of(self.order, &t.name);
            let delivered = t.chip_hours / total;
            let caption =
                format!("{}: {} of tenants' chip-time over the run, entitled to {}", t.name, fmt_pct(delivered), fmt_pct(t.entitled));
            let cap_px = fitting(&panel, &caption, NOTE_PX, col_w.saturating_sub(PLOT_LEFT as u32 + 40))?;
            panel.draw(&Text::new(caption, (PLOT_LEFT, 6), font(cap_px)))?;
            let (_, body) = panel.split_vertically(CAPTION);
            let top = t.days.iter().filter_map(|d| d.1).fold(t.entitled, f64::max) * 100.0;
            // A tenant that holds most of the site: from a round 10% below its lowest day, so that
            // its days and its entitlement stay apart; the others from 0.
            let low = t.days.iter().filter_map(|d| d.1).fold(t.entitled, f64::min) * 100.0;
            let (y0, y1) = if low >= 50.0 {
                (((low - 2.0) / 10.0).floor() * 10.0, (top + 0.12 * (top - low).max(2.0)).min(100.0))
            } else {
                (0.0, headroom(top, 1.12).max(0.1))
            };
            let mut chart = ChartBuilder::on(&body)
                .margin_left(16)
                .margin_right(36)
                .margin_top(2)
                .margin_bottom(if bottom { 8 } else { 14 })
                .x_label_area_size(if bottom { AXIS - 8 } else { 0 })
                .y_label_area_size(96)
                .build_cartesian_2d(0.0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .house()
                .y_labels(4)
                .x_desc(if bottom { "time since start (days)" } else { "" })
                .x_label_formatter(&|v| fmt_tick(*v))
                .y_label_formatter(&|v| pct_tick(*v))
                .draw()?;
            chart.draw_series(DashedLineSeries::new(
                vec![(0.0, 100.0 * t.entitled), (x1, 100.0 * t.entitled)],
                12,
                7,
                colour.stroke_width(2),
            ))?;
            // A step a day; a day no tenant held chips breaks the line.
            let mut run: Vec<(f64, f64)> = Vec::new();
            for &(d, v) in &t.days {
                match v {
                    Some(v) => {
                        run.push((d as f64, 100.0 * v));
                        run.push((((d + 1) as f64).min(x1), 100.0 * v));
                    }
                    None => {
                        chart.draw_series(LineSeries::new(std::mem::take(&mut run), colour.stroke_width(3)))?;
                    }
                }
            }
            chart.draw_series(LineSeries::new(run, colour.stroke_width(3)))?;
        }
        if cols == 1 {
            vertical_title(&area, "share of tenants' chip-time", 24, ((h - AXIS) / 2) as i32)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- waits

struct WaitsChart<'a> {
    s: &'a Summary,
    jobs: &'a [JobRow],
    order: &'a [String],
}

/// Left edge of the waits plot: room for labels such as "99.999%".
const WAITS_LEFT: i32 = 16 + 124;

/// Waits at or under this (1 s, in hours) are drawn at it: a log axis has no zero.
const WAIT_FLOOR_H: f64 = 1.0 / 3600.0;

/// A wait as a person says it: "0 s", "42 s", "7.5 min", "1.19 h", "2.3 days".
fn fmt_wait(h: f64) -> String {
    let s = h * 3600.0;
    if s < 0.5 {
        "0 s".into()
    } else if s < 90.0 {
        format!("{} s", fmt_sig(s, 2))
    } else {
        fmt_duration_h(h)
    }
}

/// Nearest-rank percentile of sorted values, as summary.json takes it.
fn rank(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let r = ((p / 100.0 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[r - 1]
}

/// The height of cumulative share `f` on the stretched axis: 90%, 99%, 99.9% … equally spaced.
fn stretch(f: f64) -> f64 {
    -(1.0 - f).max(1e-12).log10()
}

/// Tick marks of a log axis of waits in hours: round durations with their names.
const WAIT_TICKS: [(f64, &str); 10] = [
    (1.0 / 3600.0, "1 s"),
    (10.0 / 3600.0, "10 s"),
    (1.0 / 60.0, "1 min"),
    (10.0 / 60.0, "10 min"),
    (1.0, "1 h"),
    (6.0, "6 h"),
    (24.0, "1 day"),
    (168.0, "1 week"),
    (720.0, "30 days"),
    (8760.0, "1 year"),
];

impl Chart for WaitsChart<'_> {
    fn stem(&self) -> String {
        "tenant_waits".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let mut by: Vec<(String, Vec<f64>)> = Vec::new();
        for j in self.jobs {
            let Some(w) = j.wait_h.filter(|w| w.is_finite()) else { continue };
            match by.iter_mut().find(|b| b.0 == j.tenant) {
                Some(b) => b.1.push(w.max(0.0)),
                None => by.push((j.tenant.clone(), vec![w.max(0.0)])),
            }
        }
        by.sort_by_key(|b| self.order.iter().position(|n| *n == b.0).unwrap_or(usize::MAX));
        for b in &mut by {
            b.1.sort_by(f64::total_cmp);
        }
        let started: usize = by.iter().map(|b| b.1.len()).sum();
        let sub = format!(
            "{}{} · wait from submission to first start of the {} started tenant jobs in jobs.csv; waits under 1 s drawn at 1 s",
            subtitle_base(s),
            policy(s),
            fmt_int(started as u64)
        );
        let area = heading(root, "Tenant waits: how long jobs queued before they started", &sub)?;
        if started == 0 {
            return centred_note(&area, "no tenant job started in this run (jobs.csv)");
        }
        let mut keys = Vec::new();
        let mut disagree = Vec::new();
        for (name, w) in &by {
            let at_once = w.iter().filter(|&&x| x == 0.0).count() as f64 / w.len() as f64;
            let (p95, p99) = (rank(w, 95.0), rank(w, 99.0));
            keys.push(Key::new(
                Swatch::Line(colour_of(self.order, name), 3),
                format!(
                    "{name}: {} jobs, {} started at once · p95 {} · p99 {} · longest {}",
                    fmt_int(w.len() as u64),
                    fmt_pct(at_once),
                    fmt_wait(p95),
                    fmt_wait(p99),
                    fmt_wait(w.last().copied().unwrap_or(0.0))
                ),
            ));
            // jobs.csv and summary.json must tell one story (waits are rounded to 3.6 ms in the file).
            if let Some(t) = s.tenants.get(name) {
                for (p, mine, theirs) in [(95, p95, t.wait_p95_h), (99, p99, t.wait_p99_h)] {
                    if let Some(theirs) = theirs.filter(|v| (v - mine).abs() > 2e-6 + 1e-6 * v.abs()) {
                        disagree.push(format!("{name} p{p}: summary.json {}, jobs.csv {}", fmt_wait(theirs), fmt_wait(mine)));
                    }
                }
            }
        }
        keys.push(Key::new(Swatch::Dot(MUTED), "the longest wait: 100% started"));
        keys.push(Key::new(Swatch::Band(WHITE, 0.0), "y: 90%, 99%, 99.9% … equally spaced, to show the slowest jobs"));
        let area = legend_band(&area, &keys, WAITS_LEFT)?;

        let longest = by.iter().filter_map(|b| b.1.last().copied()).fold(0.0, f64::max);
        let x0 = WAIT_FLOOR_H / 1.6;
        let x1 = (longest * 1.8).max(WAIT_FLOOR_H * 100.0);
        let most = by.iter().map(|b| b.1.len()).max().unwrap_or(1);
        // The stretched axis ends where one job in the largest tenant is left; 100% (every job
        // started) is a line above it, where each curve ends at its longest wait.
        let top = stretch((most as f64 - 1.0) / most as f64).max(1.0);
        let y_all = top + 0.3;
        let y1 = y_all + 0.12;
        let xticks: Vec<f64> = WAIT_TICKS.iter().map(|t| t.0).filter(|&t| t >= x0 && t <= x1).collect();
        let levels: Vec<f64> =
            [0.0, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.99999, 0.999999].into_iter().filter(|&f| stretch(f) <= top + 0.01).collect();
        let mut chart = framed(&area, 40, WAITS_LEFT as u32 - 16)
            .margin_top(6)
            .build_cartesian_2d((x0..x1).log_scale().with_key_points(xticks), 0.0..y1)?;
        let xname = |v: &f64| WAIT_TICKS.iter().find(|t| (t.0 / v - 1.0).abs() < 1e-6).map_or_else(|| fmt_wait(*v), |t| t.1.to_string());
        // The stretched axis has its own grid and labels: 0%, 50%, 90%, 95%, 99%, 99.9% …
        chart
            .configure_mesh()
            .house()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("wait from submission to first start (log scale)")
            .y_desc("share of jobs started within that wait")
            .x_label_formatter(&xname)
            .draw()?;
        let right = chart.backend_coord(&(x1, 0.0)).0;
        let left = chart.backend_coord(&(x0, 0.0)).0;
        let label = font(TICK_PX).pos(text_anchor::Pos::new(text_anchor::HPos::Right, text_anchor::VPos::Center));
        for &f in levels.iter().chain([1.0].iter()) {
            let y = chart.backend_coord(&(x0, if f < 1.0 { stretch(f) } else { y_all })).1;
            root.draw(&PathElement::new(vec![(left, y), (right, y)], GRID_BOLD.stroke_width(1)))?;
            root.draw(&PathElement::new(vec![(left - 6, y), (left, y)], MUTED.stroke_width(1)))?;
            let text = if f == 0.0 { "0%".to_string() } else { format!("{}%", trim(100.0 * f)) };
            root.draw(&Text::new(text, (left - 10, y), label.clone()))?;
        }
        // Waits of 1 s or less stand on the floor.
        chart.draw_series(DashedLineSeries::new(vec![(WAIT_FLOOR_H, 0.0), (WAIT_FLOOR_H, y1)], 4, 6, MUTED.stroke_width(1)))?;
        let plot_w = chart.plotting_area().dim_in_pixel().0 as usize;
        for (name, w) in &by {
            let colour = colour_of(self.order, name);
            let n = w.len() as f64;
            // The cumulative share after each distinct wait, thinned to a few points a pixel.
            let mut steps: Vec<(f64, f64)> = Vec::new();
            let mut i = 0;
            while i < w.len() {
                let v = w[i].max(WAIT_FLOOR_H);
                let mut j = i;
                while j < w.len() && w[j].max(WAIT_FLOOR_H) == v {
                    j += 1;
                }
                steps.push((v, j as f64 / n));
                i = j;
            }
            let lx = |v: f64| (v.ln() - x0.ln()) / (x1.ln() - x0.ln());
            let mut thin: Vec<(f64, f64)> = Vec::new();
            for p in steps {
                match thin.last_mut() {
                    Some(last) if ((lx(p.0) - lx(last.0)) * 4.0 * plot_w as f64) < 1.0 => last.1 = p.1,
                    _ => thin.push(p),
                }
            }
            // The curve: up the floor, then a step at each wait, the last one up to 100% at the dot.
            let mut curve = vec![(WAIT_FLOOR_H, 0.0)];
            let mut level = 0.0;
            let end = thin.last().copied().unwrap_or((WAIT_FLOOR_H, 1.0));
            for &(v, f) in &thin {
                let f = f.min((n - 1.0) / n);
                curve.push((v, stretch(level)));
                curve.push((v, stretch(f)));
                level = f;
            }
            curve.push((end.0, stretch(level)));
            curve.push((end.0, y_all));
            chart.draw_series(LineSeries::new(curve, colour.stroke_width(3)))?;
            chart.draw_series(std::iter::once(Circle::new((end.0, y_all), 6, colour.filled())))?;
        }
        if !disagree.is_empty() {
            let plot = chart.plotting_area().strip_coord_spec();
            let (pw, ph) = plot.dim_in_pixel();
            let style =
                font_c(NOTE_PX, RGBColor(0xc6, 0x28, 0x28)).pos(text_anchor::Pos::new(text_anchor::HPos::Right, text_anchor::VPos::Bottom));
            for (k, d) in disagree.iter().rev().enumerate() {
                plot.draw(&Text::new(d.clone(), (pw as i32 - 12, ph as i32 - 10 - 28 * k as i32), style.clone()))?;
            }
        }
        Ok(())
    }
}

/// A percentage without float noise: 99.9 → "99.9", 50 → "50".
fn trim(p: f64) -> String {
    let s = format!("{p:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

// ---------------------------------------------------------------- queue and allocation

struct QueueChart<'a> {
    s: &'a Summary,
    rows: &'a [QueueRow],
}

const QUEUE: RGBColor = RGBColor(0x4e, 0x79, 0xa7);
const ALLOCATED: RGBColor = RGBColor(0x59, 0xa1, 0x4f);
const FRAGMENTED: RGBColor = RGBColor(0xb0, 0x7a, 0xa1);

/// One panel of the queue chart: what it plots, and how.
struct Panel {
    caption: String,
    colour: RGBColor,
    value: fn(&QueueRow) -> f64,
    /// The mean over the run, drawn dashed.
    mean: f64,
    /// The y range.
    range: (f64, f64),
}

/// Means of consecutive groups of `k` rows: (start, end, mean) in hours.
fn group_means(rows: &[QueueRow], k: usize, f: fn(&QueueRow) -> f64, end_h: f64) -> Vec<(f64, f64, f64)> {
    rows.chunks(k.max(1))
        .enumerate()
        .map(|(i, c)| {
            let next = rows.get((i + 1) * k).map_or(end_h, |r| r.time_h);
            (c[0].time_h, next, c.iter().map(f).sum::<f64>() / c.len() as f64)
        })
        .collect()
}

impl Chart for QueueChart<'_> {
    fn stem(&self) -> String {
        "queue".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let rows = self.rows;
        let bin_h = match rows {
            [a, b, ..] => b.time_h - a.time_h,
            _ => 1.0,
        };
        let end_h =
            rows.last().map_or(0.0, |r| r.time_h + bin_h).min(s.head.horizon_days * 24.0).max(rows.last().map_or(0.0, |r| r.time_h));
        let end_h = end_h.max(1e-9);
        let unit = TimeUnit::for_span_hours(end_h);
        let u = |h: f64| unit.of_hours(h);
        let n = rows.len() as f64;
        let mean = |f: fn(&QueueRow) -> f64| rows.iter().map(f).sum::<f64>() / n;
        let sched = s.scheduler.as_ref();
        let q_mean = sched.and_then(|p| p.queue_length_mean).unwrap_or_else(|| mean(|r| r.queued_jobs));
        let a_mean = sched.and_then(|p| p.allocated).unwrap_or_else(|| mean(|r| r.allocated_share));
        let f_mean = sched.and_then(|p| p.fragmented).map(|f| f * s.head.chips as f64).unwrap_or_else(|| mean(|r| r.fragmented_chips));
        let q_max = rows.iter().map(|r| r.queued_jobs).fold(0.0, f64::max);
        let f_max = rows.iter().map(|r| r.fragmented_chips).fold(0.0, f64::max);
        // Fragmentation gets a panel when some hour held at least one fragmented chip on average.
        let with_frag = f_max >= 1.0;
        let sub = format!(
            "{}{} · on average {} jobs queued, {} of the chips allocated, {} chips fragmented{}",
            subtitle_base(s),
            policy(s),
            fmt_sig(q_mean, 3),
            fmt_pct(a_mean),
            fmt_sig(f_mean, 2),
            if with_frag { "" } else { " (under 1 in every hour: not drawn)" }
        );
        let per = if bin_h == 1.0 { "hour".to_string() } else { format!("{} h", fmt_sig(bin_h, 3)) };
        let area = heading(root, &format!("Tenant queue and chips allocated, {per} by {per}"), &sub)?;
        let width = area.dim_in_pixel().0 as usize - PLOT_LEFT as usize - 36;
        // Many hours to a pixel: the hourly means pale, a daily mean over them.
        let dense = rows.len() > width / 3 && end_h >= 96.0;
        let day_k = (24.0 / bin_h).round().max(1.0) as usize;
        let mut keys = vec![Key::new(Swatch::Line(MUTED, if dense { 1 } else { 3 }), format!("mean of each {per}"))];
        if dense {
            keys.push(Key::new(Swatch::Line(INK, 3), "mean of each day"));
        }
        keys.push(Key::new(Swatch::Dashed(MUTED), "mean over the run"));
        let area = legend_band(&area, &keys, PLOT_LEFT)?;
        let (w, h) = area.dim_in_pixel();
        const AXIS: u32 = 58;
        const CAPTION: u32 = 30;
        // A queue that stayed empty needs little room.
        let shares: &[u32] = match (with_frag, q_max > 0.0) {
            (true, true) => &[40, 34, 26],
            (true, false) => &[22, 46, 32],
            (false, true) => &[54, 46],
            (false, false) => &[28, 72],
        };
        let usable = h - AXIS - 8;
        let mut y0 = 0;
        let x1 = u(end_h);
        let a_lo = rows.iter().map(|r| r.allocated_share).fold(1.0, f64::min) * 100.0;
        // From a round 5% below the lowest hour, so that the dips show.
        let a_floor = ((a_lo - 1.0) / 5.0).floor().clamp(0.0, 19.0) * 5.0;
        let panels: Vec<Panel> = {
            let mut p = vec![
                Panel {
                    caption: if q_max > 0.0 {
                        format!("Queued tenant jobs: mean {}, highest mean of one {per} {}", fmt_sig(q_mean, 3), fmt_sig(q_max, 3))
                    } else {
                        "Queued tenant jobs: none, every job started as it arrived".to_string()
                    },
                    colour: QUEUE,
                    value: |r| r.queued_jobs,
                    mean: q_mean,
                    range: (0.0, headroom(q_max, 1.12).max(1.0)),
                },
                Panel {
                    caption: format!(
                        "Chips allocated to tenant and frontier jobs, % of the site's {} (the rest: hot spares, down or free)",
                        fmt_int(s.head.chips)
                    ),
                    colour: ALLOCATED,
                    value: |r| 100.0 * r.allocated_share,
                    mean: 100.0 * a_mean,
                    range: (a_floor, 100.0),
                },
            ];
            if with_frag {
                p.push(Panel {
                    caption: format!(
                        "Fragmented chips (healthy and free, but too scattered for any waiting job): mean {} chips",
                        fmt_sig(f_mean, 3)
                    ),
                    colour: FRAGMENTED,
                    value: |r| r.fragmented_chips,
                    mean: f_mean,
                    range: (0.0, headroom(f_max, 1.12)),
                });
            }
            p
        };
        for (k, Panel { caption, colour, value: f, mean: run_mean, range: (lo, hi) }) in panels.iter().enumerate() {
            let last = k + 1 == panels.len();
            let height = if last { h - y0 } else { usable * shares[k] / 100 };
            let panel = area.clone().shrink((0, y0), (w, height));
            y0 += height;
            let cap_px = fitting(&panel, caption, NOTE_PX, w.saturating_sub(PLOT_LEFT as u32 + 40))?;
            panel.draw(&Text::new(caption.clone(), (PLOT_LEFT, 6), font(cap_px)))?;
            let (_, body) = panel.split_vertically(CAPTION);
            let mut chart = ChartBuilder::on(&body)
                .margin_left(16)
                .margin_right(36)
                .margin_top(2)
                .margin_bottom(if last { 8 } else { 14 })
                .x_label_area_size(if last { AXIS - 8 } else { 0 })
                .y_label_area_size(96)
                .build_cartesian_2d(0.0..x1, *lo..*hi)?;
            let pct = k == 1;
            chart
                .configure_mesh()
                .house()
                .y_labels(4)
                .x_desc(if last { format!("time since start ({})", unit.name()) } else { String::new() })
                .x_label_formatter(&|v| fmt_tick(*v))
                .y_label_formatter(&|v| if pct { pct_tick(*v) } else { fmt_tick(*v) })
                .draw()?;
            let hourly: Vec<(f64, f64)> = rows
                .iter()
                .enumerate()
                .flat_map(|(i, r)| {
                    let next = rows.get(i + 1).map_or(end_h, |n| n.time_h);
                    [(u(r.time_h), f(r)), (u(next), f(r))]
                })
                .collect();
            let plot_w = chart.plotting_area().dim_in_pixel().0 as usize;
            let hourly = decimate(&hourly, 0.0, x1, plot_w.max(1));
            if dense {
                chart.draw_series(LineSeries::new(hourly, colour.mix(0.45).stroke_width(1)))?;
                let daily: Vec<(f64, f64)> =
                    group_means(rows, day_k, *f, end_h).into_iter().flat_map(|(a, b, m)| [(u(a), m), (u(b), m)]).collect();
                chart.draw_series(LineSeries::new(daily, colour.stroke_width(3)))?;
            } else {
                chart.draw_series(LineSeries::new(hourly, colour.stroke_width(3)))?;
            }
            chart.draw_series(DashedLineSeries::new(vec![(0.0, *run_mean), (x1, *run_mean)], 12, 7, INK.mix(0.7).stroke_width(2)))?;
        }
        Ok(())
    }
}
