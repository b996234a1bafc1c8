//! The chart of what a site battery does to the grid's draw, drawn from the files
//! `gigasim run` wrote: the `grid` and `battery` blocks of `summary.json`, the
//! `grid_mw` and `battery_soc` columns of `power.csv`, and `power_zoom.csv`.
//!
//! A run without a battery (or a folder written before these existed) gets no
//! chart, and no error.

use super::run::{RunHeader, read_csv, read_json};
use super::*;
use serde::Deserialize;

/// The charts [`battery_charts`] writes, in order.
pub(crate) const BATTERY_CHART_STEMS: [&str; 1] = ["grid_battery"];

/// Draw the battery chart of the run directory `dir` into `out`; returns the files
/// written: none when `summary.json` has no `battery` block or `power.csv` no
/// `grid_mw` column.
pub(crate) fn battery_charts(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let summary: Summary = read_json(&dir.join("summary.json"))?;
    let Some(battery) = &summary.battery else { return Ok(Vec::new()) };
    let rows: Vec<PowerRow> = read_csv(&dir.join("power.csv"))?;
    if rows.is_empty() || rows.iter().all(|r| r.grid_mw.is_none()) {
        return Ok(Vec::new());
    }
    let zoom_path = dir.join("power_zoom.csv");
    let zoom: Vec<ZoomRow> = if zoom_path.exists() { read_csv(&zoom_path)? } else { Vec::new() };
    render(&GridChart { s: &summary, b: battery, rows: &rows, zoom: &zoom }, out)
}

// ---------------------------------------------------------------- inputs

#[derive(Debug, Deserialize)]
struct Summary {
    #[serde(flatten)]
    head: RunHeader,
    power: Power,
    #[serde(default)]
    grid: Option<Grid>,
    #[serde(default)]
    battery: Option<Battery>,
}

#[derive(Debug, Deserialize)]
struct Power {
    max_drop_mw: f64,
    max_drop_at_hours: f64,
    #[serde(default)]
    zoom: Option<super::run::ZoomEvent>,
}

impl Power {
    /// The zoom's centre (hours), the fall (MW) and whether it is within a minute (ramp-limited chips).
    fn zoom(&self) -> (f64, f64, bool) {
        match &self.zoom {
            Some(z) => (z.at_hours, z.fall_mw, z.within_s > 0.0),
            None => (self.max_drop_at_hours, self.max_drop_mw, false),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Grid {
    #[serde(default)]
    energy_mwh: Option<f64>,
    #[serde(default)]
    worst_ramp_mw_per_min: Option<f64>,
    #[serde(default)]
    ramp_limit_mw_per_min: Option<f64>,
    #[serde(default)]
    ramp_violations: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Battery {
    capacity_mwh: f64,
    #[serde(default)]
    losses_mwh: f64,
    #[serde(default)]
    cycles: f64,
    #[serde(default)]
    grid_steps: u64,
    #[serde(default)]
    largest_grid_step_mw: f64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
struct PowerRow {
    start_h: f64,
    end_h: f64,
    facility_mw: f64,
    facility_min_mw: f64,
    facility_max_mw: f64,
    #[serde(default)]
    grid_mw: Option<f64>,
    #[serde(default)]
    battery_soc: Option<f64>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
struct ZoomRow {
    time_h: f64,
    facility_mw: f64,
}

/// Consecutive bins merged: time span, facility range, grid mean, state of charge range.
#[derive(Clone, Copy, Debug)]
struct Group {
    start_h: f64,
    end_h: f64,
    fac_lo: f64,
    fac_hi: f64,
    grid_mean: f64,
    soc_lo: f64,
    soc_hi: f64,
}

/// Merge bins into groups of a round length (1 h, 2 h, … a day) so that at most `max` remain.
fn group(rows: &[PowerRow], max: usize) -> (Vec<Group>, f64) {
    let bin_h = match (rows.first(), rows.last()) {
        (Some(a), Some(z)) if rows.len() > 1 => (z.start_h - a.start_h) / (rows.len() - 1) as f64,
        (Some(a), _) => a.end_h - a.start_h,
        _ => 1.0,
    };
    let min_k = rows.len().div_ceil(max.max(1)).max(1);
    let nice = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 24.0, 48.0, 168.0];
    let k = nice
        .iter()
        .filter(|_| bin_h > 0.0)
        .map(|d| d / bin_h)
        .find(|k| *k >= min_k as f64 - 1e-3 && (k - k.round()).abs() < 1e-3 * k.max(1.0))
        .map(|k| k.round() as usize)
        .unwrap_or(min_k);
    let groups = rows
        .chunks(k)
        .map(|c| {
            let dur: f64 = c.iter().map(|r| r.end_h - r.start_h).sum();
            let mean = |f: &dyn Fn(&PowerRow) -> f64| {
                if dur > 0.0 { c.iter().map(|r| f(r) * (r.end_h - r.start_h)).sum::<f64>() / dur } else { f(&c[0]) }
            };
            let grid = |r: &PowerRow| r.grid_mw.unwrap_or(r.facility_mw);
            let socs = c.iter().filter_map(|r| r.battery_soc);
            Group {
                start_h: c[0].start_h,
                end_h: c[c.len() - 1].end_h,
                fac_lo: c.iter().map(|r| r.facility_min_mw).fold(f64::INFINITY, f64::min),
                fac_hi: c.iter().map(|r| r.facility_max_mw).fold(f64::NEG_INFINITY, f64::max),
                grid_mean: mean(&grid),
                soc_lo: socs.clone().fold(f64::INFINITY, f64::min),
                soc_hi: socs.fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect();
    (groups, k as f64 * bin_h)
}

/// "hour", "4 h", "day".
fn per_name(h: f64) -> String {
    if (h - 1.0).abs() < 1e-6 {
        "hour".into()
    } else if (h - 24.0).abs() < 1e-6 {
        "day".into()
    } else if h < 1.0 {
        format!("{} min", fmt_sig(h * 60.0, 3))
    } else {
        format!("{} h", fmt_sig(h, 3))
    }
}

/// "105.5 MW" or "10 MW".
fn mw(v: f64) -> String {
    format!("{} MW", fmt_sig(v, 4))
}

const FAC_BAND: RGBColor = RGBColor(0x9e, 0xbc, 0xe0);
const FACILITY: RGBColor = RGBColor(0x1f, 0x4e, 0x8c);
const GRID_C: RGBColor = RGBColor(0xd9, 0x5f, 0x02);
const SOC: RGBColor = RGBColor(0x2e, 0x8b, 0x57);
const DROP: RGBColor = RGBColor(0xc6, 0x28, 0x28);

// ---------------------------------------------------------------- chart

struct GridChart<'a> {
    s: &'a Summary,
    b: &'a Battery,
    rows: &'a [PowerRow],
    zoom: &'a [ZoomRow],
}

/// Left band for the y labels of every panel (they share it so the plots line up).
const LEFT: u32 = 104;

impl Chart for GridChart<'_> {
    fn stem(&self) -> String {
        "grid_battery".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let (s, b, rows) = (self.s, self.b, self.rows);
        let horizon_h = s.head.horizon_days * 24.0;
        let unit = TimeUnit::for_span_hours(horizon_h);
        let (groups, per_h) = group(rows, 1200);
        let per = per_name(per_h);

        // Title and subtitle: the battery, then the grid's figures.
        let losses = match s.grid.as_ref().and_then(|g| g.energy_mwh) {
            Some(e) if e > 0.0 => format!(" ({} of the grid's energy)", fmt_pct(b.losses_mwh / e)),
            _ => String::new(),
        };
        let steps = if b.grid_steps == 0 {
            "no grid steps".to_string()
        } else {
            format!("{} grid steps (largest {})", fmt_int(b.grid_steps), mw(b.largest_grid_step_mw))
        };
        let sub = format!(
            "{} · battery {} MWh: losses {} MWh{losses}, {} cycles, {steps}",
            s.head.subtitle(),
            fmt_sig(b.capacity_mwh, 4),
            fmt_sig(b.losses_mwh, 4),
            fmt_sig(b.cycles, 4),
        );
        let grid_note = match s.grid.as_ref() {
            Some(g) => {
                let worst = g.worst_ramp_mw_per_min.map(|w| format!("worst grid change within a minute {}", mw(w)));
                let limit = g.ramp_limit_mw_per_min.map(|l| {
                    let v = g.ramp_violations.unwrap_or(0);
                    format!("limit {}/min, broken {} {}", mw(l), fmt_int(v), if v == 1 { "time" } else { "times" })
                });
                [worst, limit].into_iter().flatten().collect::<Vec<_>>().join(", ")
            }
            None => String::new(),
        };
        let title = "Grid draw behind the site battery: facility swings and what the grid sees";
        let area = heading(root, title, &sub)?;

        // How full the battery ran: the share of 5-min bins that ended it full or empty.
        let socs: Vec<f64> = rows.iter().filter_map(|r| r.battery_soc).collect();
        let share =
            |f: &dyn Fn(f64) -> bool| if socs.is_empty() { 0.0 } else { socs.iter().filter(|&&v| f(v)).count() as f64 / socs.len() as f64 };
        let (full, empty) = (share(&|v| v >= 0.995), share(&|v| v <= 0.005));
        let (soc_lo, soc_hi) = socs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
        let soc_note = if socs.is_empty() {
            String::new()
        } else if full + empty > 0.0 {
            format!(": ended {} of 5-min bins full, {} empty", fmt_pct(full), fmt_pct(empty))
        } else {
            format!(": between {} and {}", fmt_pct(soc_lo), fmt_pct(soc_hi))
        };
        let mut keys = vec![
            Key::new(Swatch::Band(FAC_BAND, 0.7), format!("facility: lowest to highest draw each {per}")),
            Key::new(Swatch::Line(FACILITY, 2), "facility, exact (zoom)"),
            Key::new(Swatch::Line(GRID_C, 3), format!("grid, mean of each {per} (top) and 5 min (zoom)")),
            Key::new(Swatch::Band(SOC, 0.55), format!("battery charge, lowest to highest each {per}{soc_note}")),
        ];
        if !grid_note.is_empty() {
            keys.push(Key::new(Swatch::Band(WHITE, 0.0), grid_note));
        }
        let area = legend_band(&area, &keys, 16 + LEFT as i32)?;
        let (_, h) = area.dim_in_pixel();
        let (top, rest) = area.split_vertically(h * 39 / 100);
        let (middle, bottom) = rest.split_vertically(h * 36 / 100);

        let x1 = unit.of_hours(horizon_h.max(groups.last().map_or(0.0, |g| g.end_h)));
        let xd = |h: f64| unit.of_hours(h);
        let axis_name = format!("time since start ({})", unit.name());

        // Panel 1: the whole run, facility band and the grid's narrow band and mean.
        let lo = groups.iter().map(|g| g.fac_lo.min(g.grid_mean)).fold(f64::INFINITY, f64::min);
        let hi = groups.iter().map(|g| g.fac_hi.max(g.grid_mean)).fold(f64::NEG_INFINITY, f64::max);
        let (y0, y1) = y_range(lo, hi);
        let mut chart = ChartBuilder::on(&top)
            .margin_left(16)
            .margin_right(36)
            .margin_top(4)
            .margin_bottom(4)
            .x_label_area_size(52)
            .y_label_area_size(LEFT)
            .build_cartesian_2d(0.0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .house()
            .y_labels(5)
            .x_desc(format!("{axis_name}: the whole run, by {per}"))
            .y_desc("power (MW)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let band = |lo: fn(&Group) -> f64, hi: fn(&Group) -> f64| -> Vec<(f64, f64)> {
            let mut p: Vec<(f64, f64)> = Vec::with_capacity(4 * groups.len());
            for g in &groups {
                p.push((xd(g.start_h), hi(g)));
                p.push((xd(g.end_h), hi(g)));
            }
            for g in groups.iter().rev() {
                p.push((xd(g.end_h), lo(g)));
                p.push((xd(g.start_h), lo(g)));
            }
            p
        };
        let mid = |g: &Group| xd(0.5 * (g.start_h + g.end_h));
        chart.draw_series([Polygon::new(band(|g| g.fac_lo, |g| g.fac_hi), FAC_BAND.mix(0.7).filled())])?;
        chart.draw_series(LineSeries::new(groups.iter().map(|g| (mid(g), g.grid_mean)), GRID_C.stroke_width(2)))?;
        if s.power.zoom().1 > 0.0 {
            let x = xd(s.power.zoom().0);
            chart.draw_series(DashedLineSeries::new(vec![(x, y0), (x, y1)], 6, 5, DROP.stroke_width(2)))?;
        }

        // Panel 2: a few hours around the largest fall.
        self.draw_zoom(&middle)?;

        // Panel 3: the battery's state of charge.
        let mut soc = ChartBuilder::on(&bottom)
            .margin_left(16)
            .margin_right(36)
            .margin_top(8)
            .margin_bottom(8)
            .x_label_area_size(52)
            .y_label_area_size(LEFT)
            .build_cartesian_2d(0.0..x1, 0.0..100.0)?;
        soc.configure_mesh()
            .house()
            .y_labels(3)
            .x_desc(axis_name.clone())
            .y_desc("charge (%)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let with_soc: Vec<&Group> = groups.iter().filter(|g| g.soc_lo.is_finite()).collect();
        if with_soc.is_empty() {
            centred_note(&soc.plotting_area().strip_coord_spec(), "power.csv has no battery_soc")?;
        } else {
            let mut p: Vec<(f64, f64)> = Vec::with_capacity(4 * with_soc.len());
            for g in &with_soc {
                p.push((xd(g.start_h), 100.0 * g.soc_hi));
                p.push((xd(g.end_h), 100.0 * g.soc_hi));
            }
            for g in with_soc.iter().rev() {
                p.push((xd(g.end_h), 100.0 * g.soc_lo));
                p.push((xd(g.start_h), 100.0 * g.soc_lo));
            }
            soc.draw_series([Polygon::new(p, SOC.mix(0.55).filled())])?;
        }
        Ok(())
    }
}

/// A y range around `[lo, hi]` with some room, from 0 when the values come near it.
fn y_range(lo: f64, hi: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.1).max(1.0);
    let lo = if lo < 0.4 * hi { 0.0 } else { (lo - pad).max(0.0) };
    (lo, hi + pad)
}

impl GridChart<'_> {
    /// The hours around the largest fall: the facility's exact steps (power_zoom.csv) and
    /// 5-min ranges (power.csv), and the grid's 5-min means.
    fn draw_zoom<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let zoom = held(self.zoom, |r| r.time_h);
        let (t0, fall, ramped) = s.power.zoom();
        let m = |t: f64| (t - t0) * 60.0;
        // The span of the exact steps (an hour around the fall), else half an hour either side.
        let (from, to) = match (zoom.first(), zoom.last()) {
            (Some(a), Some(z)) if z.time_h > a.time_h => (a.time_h, z.time_h.max(t0 + 1.0 / 60.0)),
            _ => (t0 - 0.5, t0 + 0.5),
        };
        let bins: Vec<&PowerRow> = self.rows.iter().filter(|r| r.end_h > from && r.start_h < to).collect();
        let (x0, x1) = (m(from), m(to));
        let grid_of = |r: &PowerRow| r.grid_mw.unwrap_or(r.facility_mw);
        let lo = bins.iter().map(|r| grid_of(r)).chain(zoom.iter().map(|z| z.facility_mw)).fold(f64::INFINITY, f64::min);
        let hi = bins.iter().map(|r| grid_of(r)).chain(zoom.iter().map(|z| z.facility_mw)).fold(f64::NEG_INFINITY, f64::max);
        let (y0, y1) = y_range(lo, hi);
        let mut chart = ChartBuilder::on(area)
            .margin_left(16)
            .margin_right(36)
            .margin_top(8)
            .margin_bottom(4)
            .x_label_area_size(52)
            .y_label_area_size(LEFT)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .house()
            .y_labels(4)
            .x_desc(format!(
                "minutes before (−) and after the largest fall, −{} {} {}",
                mw(fall),
                if ramped { "within the minute ending" } else { "in one instant on" },
                fmt_when(t0)
            ))
            .y_desc("power (MW)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        if zoom.is_empty() {
            centred_note(&chart.plotting_area().strip_coord_spec(), "no power_zoom.csv: the facility's exact steps are not drawn")?;
        } else {
            let points: Vec<(f64, f64)> = zoom.iter().map(|z| (m(z.time_h), z.facility_mw)).collect();
            chart.draw_series(LineSeries::new(zoom_trace(&points, x1, ramped), FACILITY.stroke_width(2)))?;
        }
        // Each grid mean holds for its bin: power.csv has no finer record of the grid.
        let mut grid = Vec::with_capacity(2 * bins.len());
        for r in &bins {
            grid.push((m(r.start_h).max(x0), grid_of(r)));
            grid.push((m(r.end_h).min(x1), grid_of(r)));
        }
        chart.draw_series(LineSeries::new(grid, GRID_C.stroke_width(4)))?;
        chart.draw_series(DashedLineSeries::new(vec![(0.0, y0), (0.0, y1)], 6, 5, DROP.stroke_width(2)))?;
        Ok(())
    }
}
