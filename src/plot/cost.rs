//! Charts of what a run cost, drawn from the files `gigasim run` wrote: the
//! `cost` block and the tenants' `cost_eur` of `summary.json`, and `cost.csv`
//! (facility energy, price and carbon intensity hour by hour).
//!
//! A run without a cost model (or a folder written before these existed) gets
//! none of these charts, and no error.

use super::run::{RunHeader, read_csv, read_json};
use super::*;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The charts [`cost_charts`] writes, in order.
pub(crate) const COST_CHART_STEMS: [&str; 2] = ["cost_breakdown", "price_week"];

/// Draw the cost charts of the run directory `dir` into `out`; returns the files
/// written: none when `summary.json` has no `cost` block; `price_week` only when
/// `cost.csv` holds hours.
pub(crate) fn cost_charts(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let summary: Summary = read_json(&dir.join("summary.json"))?;
    let Some(cost) = &summary.cost else { return Ok(Vec::new()) };
    let mut files = render(&BreakdownChart { s: &summary, c: cost }, out)?;
    let path = dir.join("cost.csv");
    if path.exists() {
        let rows: Vec<HourRow> = read_csv(&path)?;
        if !rows.is_empty() {
            files.extend(render(&WeekChart { s: &summary, c: cost, rows: &rows }, out)?);
        }
    }
    Ok(files)
}

// ---------------------------------------------------------------- inputs

#[derive(Debug, Deserialize)]
struct Summary {
    #[serde(flatten)]
    head: RunHeader,
    #[serde(default)]
    tenants: BTreeMap<String, TenantCost>,
    #[serde(default)]
    cost: Option<Cost>,
}

#[derive(Debug, Deserialize)]
struct TenantCost {
    #[serde(default)]
    cost_eur: Option<f64>,
    #[serde(default)]
    co2_t: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Cost {
    #[serde(default)]
    model: String,
    capital_eur: f64,
    operations_eur: f64,
    energy_eur: f64,
    total_eur: f64,
    co2_t: f64,
    useful_chip_hours: f64,
    eur_per_useful_chip_hour: f64,
    capital_eur_per_useful_chip_hour: f64,
    energy_eur_per_useful_chip_hour: f64,
    operations_eur_per_useful_chip_hour: f64,
    kg_co2_per_useful_chip_hour: f64,
    mean_price_eur_per_mwh: f64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
struct HourRow {
    time_h: f64,
    facility_mwh: f64,
    eur_per_mwh: f64,
    energy_eur: f64,
}

fn subtitle_base(s: &Summary) -> String {
    s.head.subtitle()
}

/// An amount of euros as a person reads it: "€475.3 M", "€8.17 M", "€12,400", "€1.806".
fn fmt_eur(v: f64) -> String {
    if v.abs() >= 1e9 {
        format!("€{} bn", fmt_sig(v / 1e9, 4))
    } else if v.abs() >= 1e6 {
        format!("€{} M", fmt_sig(v / 1e6, 4))
    } else if v.abs() >= 1e4 {
        format!("€{}", fmt_int(v.round() as u64))
    } else {
        format!("€{}", fmt_sig(v, 4))
    }
}

/// Tonnes of CO2: "245,850 t", "4,225 t", "0.5 t".
fn fmt_t(t: f64) -> String {
    if t >= 1000.0 { format!("{} t", fmt_int(t.round() as u64)) } else { format!("{} t", fmt_sig(t, 3)) }
}

const CAPITAL: RGBColor = PALETTE[0];
const ENERGY: RGBColor = PALETTE[1];
const OPERATIONS: RGBColor = PALETTE[4];

// ---------------------------------------------------------------- breakdown

struct BreakdownChart<'a> {
    s: &'a Summary,
    c: &'a Cost,
}

impl Chart for BreakdownChart<'_> {
    fn stem(&self) -> String {
        "cost_breakdown".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let (s, c) = (self.s, self.c);
        let model = if c.model.is_empty() { String::new() } else { format!(" · cost model {}", c.model) };
        let sub = format!(
            "{}{model} · total {}: capital {}, energy {}, operations {} · {} CO2",
            subtitle_base(s),
            fmt_eur(c.total_eur),
            fmt_eur(c.capital_eur),
            fmt_eur(c.energy_eur),
            fmt_eur(c.operations_eur),
            fmt_t(c.co2_t)
        );
        let title = format!(
            "What a useful chip-hour cost: {} and {} kg CO2",
            fmt_eur(c.eur_per_useful_chip_hour),
            fmt_sig(c.kg_co2_per_useful_chip_hour, 3)
        );
        let area = heading(root, &title, &sub)?;
        let tenants: Vec<(&String, f64, Option<f64>)> =
            s.tenants.iter().filter_map(|(n, t)| t.cost_eur.filter(|v| v.is_finite()).map(|v| (n, v, t.co2_t))).collect();
        // The left band holds the tenants' names; both panels share it.
        let mut left = 40;
        for (n, _, _) in &tenants {
            left = left.max(area.estimate_text_size(n, &font(TICK_PX))?.0 as i32 + 28);
        }
        let (w, h) = area.dim_in_pixel();
        let top_h = if tenants.is_empty() { h } else { (h as f64 * 0.42) as u32 };
        let (top, bottom) = area.split_vertically(top_h);

        // Panel 1: one stacked bar of € per useful chip-hour.
        let total = c.capital_eur_per_useful_chip_hour + c.energy_eur_per_useful_chip_hour + c.operations_eur_per_useful_chip_hour;
        let share = |v: f64| if total > 0.0 { fmt_pct(v / total) } else { "–".into() };
        let parts = [
            ("capital", c.capital_eur_per_useful_chip_hour, CAPITAL),
            ("energy", c.energy_eur_per_useful_chip_hour, ENERGY),
            ("operations", c.operations_eur_per_useful_chip_hour, OPERATIONS),
        ];
        let keys: Vec<Key> = parts
            .iter()
            .map(|&(name, v, col)| Key::new(Swatch::Band(col, 1.0), format!("{name} {} ({})", fmt_eur(v), share(v))))
            .chain([Key::new(
                Swatch::Band(WHITE, 0.0),
                format!(
                    "over {} useful chip-hours · mean price paid €{}/MWh",
                    fmt_sig(c.useful_chip_hours, 4),
                    fmt_sig(c.mean_price_eur_per_mwh, 4)
                ),
            )])
            .collect();
        let top = legend_band(&top, &keys, left + 16)?;
        let x1 = headroom(total, 1.04);
        let mut chart = framed(&top, 48, left as u32).margin_top(4).build_cartesian_2d(0.0..x1, 0.0..1.0)?;
        chart
            .configure_mesh()
            .house()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("€ per useful chip-hour (a chip-hour whose work was kept)")
            .x_label_formatter(&|v| format!("€{}", fmt_tick(*v)))
            .draw()?;
        let mut x = 0.0;
        for &(_, v, col) in &parts {
            if v > 0.0 {
                chart.draw_series([Rectangle::new([(x, 0.2), (x + v, 0.8)], col.filled())])?;
                chart.draw_series([Rectangle::new([(x, 0.2), (x + v, 0.8)], WHITE.stroke_width(2))])?;
            }
            x += v;
        }
        if tenants.is_empty() {
            return Ok(());
        }

        // Panel 2: what each tenant carried, in proportion to its chip-hours.
        let caption = "Each tenant's cost, in proportion to the chip-hours it held (the frontier job counts with its tenant)";
        let cap_px = fitting(&bottom, caption, NOTE_PX, w.saturating_sub(left as u32 + 40))?;
        bottom.draw(&Text::new(caption.to_string(), (left + 16, 14), font(cap_px)))?;
        let (_, body) = bottom.split_vertically(44);
        let n = tenants.len();
        let most = tenants.iter().map(|t| t.1).fold(0.0, f64::max);
        let x1 = headroom(most, 1.5) / 1e6;
        let mut chart = framed(&body, 48, left as u32).margin_top(4).build_cartesian_2d(0.0..x1, 0.0..n as f64)?;
        chart
            .configure_mesh()
            .house()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("cost carried by the tenant (million €)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let name_style = font(TICK_PX).pos(text_anchor::Pos::new(text_anchor::HPos::Right, text_anchor::VPos::Center));
        let value_style = font(NOTE_PX).pos(text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Center));
        let all: f64 = tenants.iter().map(|t| t.1).sum();
        // backend_coord is on the canvas; text on `body` is placed from its corner.
        let (ox, oy) = body.get_base_pixel();
        for (k, (name, eur, co2)) in tenants.iter().enumerate() {
            // The first tenant on top.
            let y = (n - 1 - k) as f64;
            let col = PALETTE[k % PALETTE.len()];
            if *eur > 0.0 {
                chart.draw_series([Rectangle::new([(0.0, y + 0.2), (eur / 1e6, y + 0.8)], col.filled())])?;
            }
            let (px, py) = chart.backend_coord(&(0.0, y + 0.5));
            let (px, py) = (px - ox, py - oy);
            body.draw(&Text::new(name.to_string(), (px - 12, py), name_style.clone()))?;
            let ex = chart.backend_coord(&(eur / 1e6, y + 0.5)).0 - ox;
            let label = format!(
                "{} ({}){}",
                fmt_eur(*eur),
                if all > 0.0 { fmt_pct(eur / all) } else { "–".into() },
                co2.map(|t| format!(" · {} CO2", fmt_t(t))).unwrap_or_default()
            );
            body.draw(&Text::new(label, (ex + 10, py), value_style.clone()))?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- price week

struct WeekChart<'a> {
    s: &'a Summary,
    c: &'a Cost,
    rows: &'a [HourRow],
}

const DRAW: RGBColor = PALETTE[0];
const PRICE: RGBColor = PALETTE[1];

impl Chart for WeekChart<'_> {
    fn stem(&self) -> String {
        "price_week".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let (s, c, rows) = (self.s, self.c, self.rows);
        let horizon_h = s.head.horizon_days * 24.0;
        // The week (168 whole hours from the start) whose energy cost most; the run if shorter.
        let weeks = rows.len() / 168;
        let (first, last, which) = if weeks == 0 {
            (0, rows.len(), "the whole run (shorter than a week)".to_string())
        } else {
            let cost = |k: usize| rows[k * 168..(k + 1) * 168].iter().map(|r| r.energy_eur).sum::<f64>();
            let k = (0..weeks).max_by(|&a, &b| cost(a).total_cmp(&cost(b))).unwrap_or(0);
            (k * 168, (k + 1) * 168, format!("week {} of {}, the costliest in energy", k + 1, weeks))
        };
        let week = &rows[first..last];
        let span = |r: &HourRow| {
            let d = if horizon_h > r.time_h { (horizon_h - r.time_h).min(1.0) } else { 1.0 };
            if d > 0.0 { d } else { 1.0 }
        };
        let mw: Vec<(f64, f64)> = week.iter().map(|r| (r.time_h, r.facility_mwh / span(r))).collect();
        let energy: f64 = week.iter().map(|r| r.energy_eur).sum();
        let mwh: f64 = week.iter().map(|r| r.facility_mwh).sum();
        let paid = if mwh > 0.0 { energy / mwh } else { 0.0 };
        let x0 = week[0].time_h / 24.0;
        let x1 = week.last().map_or(x0 + 1.0, |r| (r.time_h + span(r)) / 24.0);
        let (lo, hi) = week.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| (lo.min(r.eur_per_mwh), hi.max(r.eur_per_mwh)));
        let price_note = if hi - lo < 1e-9 {
            format!("price constant at €{}/MWh: the draw alone sets the cost", fmt_sig(hi, 4))
        } else {
            format!("€{}/MWh paid, run mean €{}/MWh", fmt_sig(paid, 4), fmt_sig(c.mean_price_eur_per_mwh, 4))
        };
        let sub = format!(
            "{} · {which}: days {}–{} · energy {} ({} of the run's) · {price_note}",
            subtitle_base(s),
            fmt_sig(x0, 4),
            fmt_sig(x1, 4),
            fmt_eur(energy),
            if c.energy_eur > 0.0 { fmt_pct(energy / c.energy_eur) } else { "–".into() },
        );
        let area = heading(root, "Draw from the grid and electricity price, hour by hour", &sub)?;
        let keys = [
            Key::new(Swatch::Line(DRAW, 3), "draw from the grid, hourly mean (MW)"),
            Key::new(Swatch::Line(PRICE, 3), "electricity price that hour (€/MWh)"),
            Key::new(Swatch::Dashed(MUTED), "run's energy-weighted mean price"),
        ];
        const LEFT: u32 = 110;
        let area = legend_band(&area, &keys, 16 + LEFT as i32)?;
        let (_, h) = area.dim_in_pixel();
        let (upper, lower) = area.split_vertically(h / 2 - 20);
        // Each value holds for its hour.
        let steps = |pts: &[(f64, f64)]| -> Vec<(f64, f64)> {
            let mut out = Vec::with_capacity(2 * pts.len());
            for (i, &(t, v)) in pts.iter().enumerate() {
                let end = pts.get(i + 1).map_or(x1, |p| p.0 / 24.0);
                out.push((t / 24.0, v));
                out.push((end, v));
            }
            out
        };
        let range = |vals: &[f64], extra: &[f64]| {
            let lo = vals.iter().chain(extra).copied().fold(f64::INFINITY, f64::min);
            let hi = vals.iter().chain(extra).copied().fold(f64::NEG_INFINITY, f64::max);
            if !lo.is_finite() {
                return (0.0, 1.0);
            }
            let pad = ((hi - lo) * 0.12).max(hi.abs() * 0.05).max(1.0);
            // From 0 unless the values sit far above it.
            let lo = if lo >= 0.0 && lo < 0.5 * hi { 0.0 } else { lo - pad };
            (lo, hi + pad)
        };

        let draws: Vec<f64> = mw.iter().map(|p| p.1).collect();
        let (y0, y1) = range(&draws, &[]);
        let mut top = framed(&upper, 40, LEFT).margin_top(6).x_label_area_size(0).build_cartesian_2d(x0..x1, y0..y1)?;
        top.configure_mesh()
            .house()
            .y_labels(5)
            .y_desc("grid draw (MW)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        top.draw_series(LineSeries::new(steps(&mw), DRAW.stroke_width(3)))?;

        let price: Vec<(f64, f64)> = week.iter().map(|r| (r.time_h, r.eur_per_mwh)).collect();
        let prices: Vec<f64> = price.iter().map(|p| p.1).collect();
        let (y0, y1) = range(&prices, &[c.mean_price_eur_per_mwh, 0.0]);
        let mut bottom = framed(&lower, 40, LEFT).margin_top(6).build_cartesian_2d(x0..x1, y0..y1)?;
        bottom
            .configure_mesh()
            .house()
            .y_labels(5)
            .x_desc("time since start (days)")
            .y_desc("price (€/MWh)")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        if y0 < 0.0 {
            bottom.draw_series(LineSeries::new(vec![(x0, 0.0), (x1, 0.0)], MUTED.stroke_width(1)))?;
        }
        bottom.draw_series(DashedLineSeries::new(
            vec![(x0, c.mean_price_eur_per_mwh), (x1, c.mean_price_eur_per_mwh)],
            12,
            7,
            MUTED.stroke_width(2),
        ))?;
        bottom.draw_series(LineSeries::new(steps(&price), PRICE.stroke_width(3)))?;
        Ok(())
    }
}
