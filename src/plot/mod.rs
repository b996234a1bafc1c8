//! Charts drawn from the files a run or a sweep wrote (never from a live
//! simulation), so that a directory of CSVs can be redrawn at any time.
//!
//! Every chart is written twice, as `NAME.svg` and `NAME.png`, both
//! [`WIDTH`]×[`HEIGHT`] pixels. Text is drawn with DejaVu Sans, shipped in
//! `assets/fonts/` and registered with plotters as the family `"sans-serif"`:
//! no system font is needed.
//!
//! - [`run_charts`] reads `summary.json`, `power.csv`, `power_zoom.csv`,
//!   `drops.csv`, `failures.csv`, `frontier.csv`, `jobs.csv`, `queue.csv` and
//!   `shares.csv`, `cost.csv` from a run directory and writes [`RUN_CHART_STEMS`] (the
//!   repair charts from `repair.csv` when the folder has it, the tenant charts only when
//!   the run had tenant jobs, the cost charts only when it had a cost model,
//!   the battery chart only when its power model had a site battery).
//! - [`sweep_charts`] reads `sweep.json` and `points.csv` from a sweep directory;
//!   [`sweep_charts_with`] adds theoretical [`Reference`]s (an expected curve, optima).
//!
//! Every chart keeps its text on the canvas and clear of other text, with legends
//! beside or above the plot (tests/charts.rs checks this on the SVGs).

mod cost;
mod grid;
pub(crate) mod labels;
mod repair;
mod run;
mod storage;
mod sweep;
mod tenants;

use crate::output::write_atomic;
use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
pub(crate) use plotters::style::text_anchor;
use plotters::style::{FontStyle, register_font};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use sweep::{Reference, sweep_charts, sweep_charts_marked, sweep_charts_with};

/// Draw every chart of the run directory `dir` into `out`; returns the files written.
///
/// The power, failure and frontier charts first, then the tenant charts
/// (`tenant_shares`, `tenant_waits`, `queue`), which are left out, without
/// error, when the run had no tenant jobs or its folder predates their files,
/// then the cost charts (`cost_breakdown`, `price_week`), left out when the run
/// had no cost model, then the battery chart (`grid_battery`), left out when the
/// power model had no site battery.
pub fn run_charts(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let mut files = run::run_charts(dir, out)?;
    files.extend(repair::repair_charts(dir, out)?);
    files.extend(tenants::tenant_charts(dir, out)?);
    files.extend(cost::cost_charts(dir, out)?);
    files.extend(grid::battery_charts(dir, out)?);
    files.extend(storage::storage_charts(dir, out)?);
    Ok(files)
}

/// Every chart [`run_charts`] can write, in order.
pub const RUN_CHART_STEMS: &[&str] = &ALL_RUN_CHARTS;
const ALL_RUN_CHARTS: [&str; 15] = concat_stems(WITH_BATTERY_CHARTS, storage::STORAGE_CHART_STEMS);
const WITH_BATTERY_CHARTS: [&str; 14] = concat_stems(WITH_COST_CHARTS, grid::BATTERY_CHART_STEMS);
const WITH_COST_CHARTS: [&str; 13] = concat_stems(BASE_RUN_CHARTS, cost::COST_CHART_STEMS);
const BASE_RUN_CHARTS: [&str; 11] = concat_stems(RUN_AND_REPAIR_CHARTS, tenants::TENANT_CHART_STEMS);
const RUN_AND_REPAIR_CHARTS: [&str; 8] = concat_stems(run::RUN_CHART_STEMS, repair::REPAIR_CHART_STEMS);
/// The charts [`run_charts`] writes for a run without a cost model or battery: [`RUN_CHART_STEMS`]
/// but [`COST_CHART_STEMS`], [`BATTERY_CHART_STEMS`] and [`STORAGE_CHART_STEMS`].
pub const BASE_RUN_CHART_STEMS: &[&str] = &BASE_RUN_CHARTS;
/// The charts drawn only when the run had a cost model (`cost` in summary.json).
pub const COST_CHART_STEMS: &[&str] = &cost::COST_CHART_STEMS;
/// The charts drawn only when the run's power model had a site battery (`battery` in summary.json).
pub const BATTERY_CHART_STEMS: &[&str] = &grid::BATTERY_CHART_STEMS;
/// The charts drawn only when the facility had a shared storage (`storage` in summary.json).
pub const STORAGE_CHART_STEMS: &[&str] = &storage::STORAGE_CHART_STEMS;

const fn concat_stems<const A: usize, const B: usize, const N: usize>(a: [&'static str; A], b: [&'static str; B]) -> [&'static str; N] {
    assert!(A + B == N, "N must be A + B");
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < A { a[i] } else { b[i - A] };
        i += 1;
    }
    out
}

/// Width of every chart, in pixels (PNG) or user units (SVG).
pub const WIDTH: u32 = 1400;
/// Height of every chart, in pixels (PNG) or user units (SVG).
pub const HEIGHT: u32 = 800;
/// `(WIDTH, HEIGHT)`.
pub const SIZE: (u32, u32) = (WIDTH, HEIGHT);
/// The font family every text uses; it is DejaVu Sans from `assets/fonts/`.
pub const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static FONT_REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();

/// Register the bundled font under [`FONT`] (once per process).
pub fn ensure_font() -> Result<()> {
    FONT_REGISTERED
        .get_or_init(|| {
            register_font(FONT, FontStyle::Normal, FONT_BYTES).map_err(|_| "the bundled DejaVuSans.ttf is not a valid font".into())
        })
        .clone()
        .map_err(|e| anyhow!(e))
}

/// Replace every character outside `[A-Za-z0-9_-]` by `_`.
pub fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect()
}

type DResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// One chart: a file stem and a way to draw itself on any backend.
pub(crate) trait Chart {
    fn stem(&self) -> String;
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB>;
}

/// Draw `chart` into `out/STEM.svg` and `out/STEM.png`; returns both paths.
pub(crate) fn render(chart: &impl Chart, out: &Path) -> Result<Vec<PathBuf>> {
    ensure_font()?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let stem = sanitize(&chart.stem());
    let svg_path = out.join(format!("{stem}.svg"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).and_then(|_| chart.draw(&root)).and_then(|_| root.present()).map_err(|e| anyhow!("drawing {stem}.svg: {e}"))?;
    }
    write_atomic(&svg_path, svg.as_bytes())?;
    let png_path = out.join(format!("{stem}.png"));
    // The encoder picks the format from the extension: keep `.png` on the temporary name.
    let tmp = out.join(format!("{stem}.partial.png"));
    let drawn = {
        let root = BitMapBackend::new(&tmp, SIZE).into_drawing_area();
        // `present` writes the file: an error names it.
        root.fill(&WHITE)
            .and_then(|_| chart.draw(&root))
            .and_then(|_| root.present())
            .map_err(|e| anyhow!("drawing or writing {}: {e}", png_path.display()))
    };
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, &png_path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("renaming {} to {}", tmp.display(), png_path.display()));
    }
    Ok(vec![svg_path, png_path])
}

// ---------------------------------------------------------------- style

// Sizes as plotters counts them (the glyph box, about 1.2 em): the title is
// about 27 px to the em in the PNG, tick labels about 18.
pub(crate) const TITLE_PX: u32 = 32;
pub(crate) const SUBTITLE_PX: u32 = 21;
pub(crate) const AXIS_DESC_PX: u32 = 24;
pub(crate) const TICK_PX: u32 = 21;
pub(crate) const LEGEND_PX: u32 = 21;
pub(crate) const NOTE_PX: u32 = 21;

pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x5f, 0x63, 0x68);
pub(crate) const GRID: RGBColor = RGBColor(0xe3, 0xe5, 0xe8);
pub(crate) const GRID_BOLD: RGBColor = RGBColor(0xc8, 0xcc, 0xd0);

/// Tableau 10: distinct, colour-blind-friendly-ish, prints well.
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];

/// The frame most charts share: fixed left and bottom margins and x-label
/// band; the right margin and the y-label band vary with what is drawn.
pub(crate) fn framed<'a, 'b, DB: DrawingBackend>(area: &'a DrawingArea<DB, Shift>, right: u32, y_labels: u32) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.margin_left(16).margin_right(right).margin_bottom(12).x_label_area_size(58).y_label_area_size(y_labels);
    b
}

/// The grid, axis and tick style every chart shares: `chart.configure_mesh().house()`.
pub(crate) trait HouseMesh {
    fn house(&mut self) -> &mut Self;
}

impl<X, Y, XT, YT, DB> HouseMesh for plotters::chart::MeshStyle<'_, '_, X, Y, DB>
where
    X: Ranged<ValueType = XT> + plotters::coord::ranged1d::ValueFormatter<XT>,
    Y: Ranged<ValueType = YT> + plotters::coord::ranged1d::ValueFormatter<YT>,
    DB: DrawingBackend,
{
    fn house(&mut self) -> &mut Self {
        self.light_line_style(GRID)
            .max_light_lines(1)
            .bold_line_style(GRID_BOLD)
            .axis_style(MUTED)
            .label_style(font(TICK_PX))
            .axis_desc_style(font(AXIS_DESC_PX))
    }
}

pub(crate) fn font(px: u32) -> TextStyle<'static> {
    font_c(px, INK)
}

pub(crate) fn font_c(px: u32, c: RGBColor) -> TextStyle<'static> {
    let mut t = TextStyle::from((FONT, px).into_font());
    t.color = c.to_backend_color();
    t
}

/// Height of the heading drawn by [`heading`].
pub(crate) const HEADING_PX: u32 = 92;

/// The largest size from `px` down to 14 at which `text` fits in `width` pixels.
pub(crate) fn fitting<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    px: u32,
    width: u32,
) -> Result<u32, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut px = px;
    while px > 14 && area.estimate_text_size(text, &font(px))?.0 > width {
        px -= 1;
    }
    Ok(px)
}

/// Draw a left-aligned title and a muted subtitle; returns the area below them.
pub(crate) fn heading<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let room = root.dim_in_pixel().0.saturating_sub(56);
    root.draw(&Text::new(title.to_string(), (28, 14), font(fitting(root, title, TITLE_PX, room)?)))?;
    root.draw(&Text::new(subtitle.to_string(), (29, 56), font_c(fitting(root, subtitle, SUBTITLE_PX, room)?, MUTED)))?;
    let (_, below) = root.split_vertically(HEADING_PX);
    Ok(below)
}

// ---------------------------------------------------------------- legends

/// How a legend entry is drawn before its label.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    /// A solid line of this width.
    Line(RGBColor, u32),
    /// A dashed line.
    Dashed(RGBColor),
    /// A dotted line.
    Dotted(RGBColor),
    /// A filled box at this opacity.
    Band(RGBColor, f64),
    /// A line with a dot over a light band: a mean with its confidence band.
    MeanBand(RGBColor, bool),
    /// A dashed vertical line (a marker at one value).
    VDash(RGBColor),
    /// A short vertical tick.
    Tick(RGBColor),
    /// A cross.
    Cross(RGBColor),
    /// A filled dot.
    Dot(RGBColor),
}

/// One legend entry.
#[derive(Clone, Debug)]
pub(crate) struct Key {
    pub swatch: Swatch,
    pub label: String,
}

impl Key {
    pub fn new(swatch: Swatch, label: impl Into<String>) -> Self {
        Key { swatch, label: label.into() }
    }
}

const SWATCH_W: i32 = 30;
const SWATCH_GAP: i32 = 8;
const KEY_GAP: i32 = 30;
/// Height of one legend row.
pub(crate) const LEGEND_ROW: i32 = 30;

pub(crate) fn draw_swatch<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, swatch: Swatch, x: i32, y: i32) -> DResult<DB> {
    let w = SWATCH_W;
    match swatch {
        Swatch::Line(c, width) => area.draw(&PathElement::new(vec![(x, y), (x + w, y)], c.stroke_width(width))),
        Swatch::Dashed(c) => {
            area.draw(&PathElement::new(vec![(x, y), (x + 11, y)], c.stroke_width(3)))?;
            area.draw(&PathElement::new(vec![(x + 18, y), (x + w, y)], c.stroke_width(3)))
        }
        Swatch::Dotted(c) => {
            for k in 0..5 {
                area.draw(&Circle::new((x + 3 + 6 * k, y), 2, c.filled()))?;
            }
            Ok(())
        }
        Swatch::Band(c, alpha) => area.draw(&Rectangle::new([(x, y - 8), (x + w, y + 8)], c.mix(alpha).filled())),
        Swatch::MeanBand(c, band) => {
            if band {
                area.draw(&Rectangle::new([(x, y - 9), (x + w, y + 9)], c.mix(0.2).filled()))?;
            }
            area.draw(&PathElement::new(vec![(x, y), (x + w, y)], c.stroke_width(3)))?;
            area.draw(&Circle::new((x + w / 2, y), 4, c.filled()))
        }
        Swatch::VDash(c) => {
            area.draw(&PathElement::new(vec![(x + w / 2, y - 11), (x + w / 2, y - 3)], c.stroke_width(2)))?;
            area.draw(&PathElement::new(vec![(x + w / 2, y + 3), (x + w / 2, y + 11)], c.stroke_width(2)))
        }
        Swatch::Tick(c) => area.draw(&PathElement::new(vec![(x + w / 2, y - 9), (x + w / 2, y + 9)], c.stroke_width(1))),
        Swatch::Cross(c) => area.draw(&Cross::new((x + w / 2, y), 5, c.stroke_width(2))),
        Swatch::Dot(c) => area.draw(&Circle::new((x + w / 2, y), 5, c.filled())),
    }
}

/// Where each key goes when laid out left to right in rows no wider than `width`.
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
    width: i32,
    px: u32,
) -> Result<Vec<(i32, i32)>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut out = Vec::with_capacity(keys.len());
    let (mut x, mut row) = (0, 0);
    for k in keys {
        let w = SWATCH_W + SWATCH_GAP + area.estimate_text_size(&k.label, &font(px))?.0 as i32;
        if x > 0 && x + w > width {
            x = 0;
            row += 1;
        }
        out.push((x, row * LEGEND_ROW));
        x += w + KEY_GAP;
    }
    Ok(out)
}

/// The font size and height (pixels) of a legend of `keys` laid out in rows no wider than `width`.
pub(crate) fn legend_rows_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
    width: i32,
) -> Result<(u32, i32), DrawingAreaErrorKind<DB::ErrorType>> {
    if keys.is_empty() {
        return Ok((LEGEND_PX, 0));
    }
    // Shrink the text a little rather than spill onto a third row; if that is not enough,
    // keep the full size and take the rows needed.
    let rows = |px| legend_layout(area, keys, width, px).map(|l| l.last().map_or(0, |p| p.1 / LEGEND_ROW + 1));
    for px in (18..=LEGEND_PX).rev() {
        if rows(px)? <= 2 {
            return Ok((px, rows(px)? * LEGEND_ROW));
        }
    }
    Ok((LEGEND_PX, rows(LEGEND_PX)? * LEGEND_ROW))
}

/// Draw `keys` in rows across `width` pixels from `(x0, y0)` (the centre line of the first row).
pub(crate) fn legend_rows<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, keys: &[Key], x0: i32, y0: i32, width: i32) -> DResult<DB> {
    let (px, _) = legend_rows_size(area, keys, width)?;
    let style = font(px).pos(text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Center));
    for (k, (x, y)) in keys.iter().zip(legend_layout(area, keys, width, px)?) {
        draw_swatch(area, k.swatch, x0 + x, y0 + y)?;
        area.draw(&Text::new(k.label.clone(), (x0 + x + SWATCH_W + SWATCH_GAP, y0 + y), style.clone()))?;
    }
    Ok(())
}

/// Split a legend band of rows off the top of `area`, draw `keys` in it and return the area below.
pub(crate) fn legend_band<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
    left: i32,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let width = area.dim_in_pixel().0 as i32 - left - 24;
    let (_, h) = legend_rows_size(area, keys, width)?;
    if h == 0 {
        return Ok(area.clone());
    }
    legend_rows(area, keys, left, LEGEND_ROW / 2 + 2, width)?;
    let (_, below) = area.split_vertically(h as u32 + 8);
    Ok(below)
}

/// The width a column legend of `keys` (and an optional title) needs at `px`.
pub(crate) fn legend_column_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: Option<&str>,
    keys: &[Key],
    px: u32,
) -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut w = title.map_or(Ok(0), |t| area.estimate_text_size(t, &font(px + 1)).map(|s| s.0 as i32))?;
    for k in keys {
        w = w.max(SWATCH_W + SWATCH_GAP + area.estimate_text_size(&k.label, &font(px))?.0 as i32);
    }
    Ok(w)
}

/// Draw a column legend from `(x0, y0)` (top left); returns the y below it.
pub(crate) fn legend_column<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: Option<&str>,
    keys: &[Key],
    x0: i32,
    y0: i32,
    px: u32,
) -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut y = y0;
    let left = text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Center);
    if let Some(t) = title {
        area.draw(&Text::new(t.to_string(), (x0, y + LEGEND_ROW / 2), font(px + 1).pos(left)))?;
        y += LEGEND_ROW + 4;
    }
    for k in keys {
        let cy = y + LEGEND_ROW / 2;
        draw_swatch(area, k.swatch, x0, cy)?;
        area.draw(&Text::new(k.label.clone(), (x0 + SWATCH_W + SWATCH_GAP, cy), font(px).pos(left)))?;
        y += LEGEND_ROW;
    }
    Ok(y)
}

/// A message in the middle of an area (used when there is nothing to plot).
/// The zoom rows whose value held for a positive time: one replaced at the same
/// instant (two rows at one time) was never drawn.
pub(crate) fn held<T: Copy>(rows: &[T], time_h: impl Fn(&T) -> f64) -> Vec<T> {
    rows.iter().enumerate().filter(|(i, r)| rows.get(i + 1).is_none_or(|n| time_h(n) > time_h(r))).map(|(_, r)| *r).collect()
}

/// The exact trace through a zoom's points (x, value): a stepping draw holds each value
/// to the next point, a ramp-limited one runs linearly to it; the last holds to `x_end`.
pub(crate) fn zoom_trace(points: &[(f64, f64)], x_end: f64, ramped: bool) -> Vec<(f64, f64)> {
    let mut p = Vec::with_capacity(2 * points.len());
    for (i, &(x, v)) in points.iter().enumerate() {
        p.push((x, v));
        if !ramped || i + 1 == points.len() {
            p.push((points.get(i + 1).map_or(x_end, |n| n.0), v));
        }
    }
    p
}

pub(crate) fn centred_note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, msg: &str) -> DResult<DB> {
    let (w, h) = area.dim_in_pixel();
    let style = font_c(24, MUTED).pos(text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center));
    area.draw(&Text::new(msg.to_string(), (w as i32 / 2, h as i32 / 2), style))
}

// ---------------------------------------------------------------- numbers

/// `v` with at most `sig` significant digits, without trailing zeros.
pub(crate) fn fmt_sig(v: f64, sig: usize) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    let decimals = (sig as i32 - 1 - mag).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    let s = trim_zeros(&s);
    if v.abs() >= 1000.0 { thousands(&s) } else { s }
}

/// A tick label: enough decimals for axis key points, no float noise.
pub(crate) fn fmt_tick(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        return thousands(&format!("{v:.0}"));
    }
    let s = trim_zeros(&format!("{v:.6}"));
    if s == "-0" {
        "0".into()
    } else if v.abs() >= 1000.0 {
        thousands(&s)
    } else {
        s
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s.to_string() }
}

/// Insert thousands separators into the integer part of a plain decimal.
pub(crate) fn thousands(s: &str) -> String {
    let (sign, rest) = if let Some(r) = s.strip_prefix('-') { ("-", r) } else { ("", s) };
    let (int, frac) = match rest.find('.') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}{frac}")
}

pub(crate) fn fmt_int(n: u64) -> String {
    thousands(&n.to_string())
}

/// A share (0..1) as a percentage with sensible precision.
pub(crate) fn fmt_pct(share: f64) -> String {
    let p = 100.0 * share;
    if p == 0.0 {
        "0%".into()
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else if p >= 0.1 {
        format!("{p:.2}%")
    } else {
        format!("{}%", fmt_sig(p, 2))
    }
}

/// The upper end of an axis that starts at 0: a little room above `max`.
pub(crate) fn headroom(max: f64, factor: f64) -> f64 {
    if max.is_finite() && max > 0.0 { max * factor } else { 1.0 }
}

/// Time axis unit: hours for short spans, days for long ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum TimeUnit {
    Hours,
    Days,
}

impl TimeUnit {
    /// Days from two days on; hours for shorter spans.
    pub fn for_span_hours(h: f64) -> Self {
        if h >= 48.0 { TimeUnit::Days } else { TimeUnit::Hours }
    }
    pub fn of_hours(self, h: f64) -> f64 {
        match self {
            TimeUnit::Hours => h,
            TimeUnit::Days => h / 24.0,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Hours => "hours",
            TimeUnit::Days => "days",
        }
    }
}

/// A time in hours as a reader of a days axis wants it: "day 140.40 (140 d 09:43 after the start)",
/// or "5.50 h (5 h 30 min after the start)" within the first two days.
pub(crate) fn fmt_when(h: f64) -> String {
    let total_min = (h * 60.0).round().max(0.0) as u64;
    let (d, hh, mm) = (total_min / 1440, (total_min / 60) % 24, total_min % 60);
    if h >= 48.0 {
        format!("day {:.2} ({d} d {hh:02}:{mm:02} after the start)", h / 24.0)
    } else {
        format!("{h:.2} h ({} h {mm} min after the start)", total_min / 60)
    }
}

/// A duration in hours in the unit a person would say: "27 min", "5.2 h", "12.3 days".
pub(crate) fn fmt_duration_h(h: f64) -> String {
    let m = h * 60.0;
    if m < 90.0 {
        format!("{} min", fmt_sig(m, 3))
    } else if h < 72.0 {
        format!("{} h", fmt_sig(h, 3))
    } else {
        format!("{} days", fmt_sig(h / 24.0, 4))
    }
}

/// Thin a polyline to at most about four points per x bucket (first, min, max,
/// last in their order) without changing what it looks like at that resolution.
pub(crate) fn decimate(points: &[(f64, f64)], x0: f64, x1: f64, buckets: usize) -> Vec<(f64, f64)> {
    if points.len() <= 4 * buckets || x1 <= x0 {
        return points.to_vec();
    }
    let width = (x1 - x0) / buckets as f64;
    let key = |x: f64| ((x - x0) / width).floor() as i64;
    let mut out = Vec::with_capacity(4 * buckets);
    let mut i = 0;
    while i < points.len() {
        let k = key(points[i].0);
        let mut j = i;
        let (mut lo, mut hi) = (i, i);
        while j < points.len() && key(points[j].0) == k {
            if points[j].1 < points[lo].1 {
                lo = j;
            }
            if points[j].1 > points[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let mut idx = [i, lo, hi, j - 1];
        idx.sort_unstable();
        let mut last = usize::MAX;
        for ix in idx {
            if ix != last {
                out.push(points[ix]);
                last = ix;
            }
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_sig(0.62234, 3), "0.622");
        assert_eq!(fmt_sig(149.369, 4), "149.4");
        assert_eq!(fmt_sig(100224.0, 3), "100,224");
        assert_eq!(fmt_tick(0.15000000000000002), "0.15");
        assert_eq!(fmt_tick(-0.0), "0");
        assert_eq!(fmt_int(1234567), "1,234,567");
        assert_eq!(fmt_pct(0.6079), "60.8%");
        assert_eq!(fmt_pct(0.000056), "0.0056%");
        assert_eq!(sanitize("power.facility_mean_mw_vs_x[0]"), "power_facility_mean_mw_vs_x_0_");
    }

    #[test]
    fn decimation_keeps_extremes() {
        let pts: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, ((i * 7919) % 101) as f64)).collect();
        let d = decimate(&pts, 0.0, 10_000.0, 100);
        assert!(d.len() <= 400);
        assert_eq!(d.first(), pts.first());
        assert_eq!(d.last(), pts.last());
        assert!(d.iter().any(|p| p.1 == 100.0) && d.iter().any(|p| p.1 == 0.0));
    }
}
