//! Charts drawn from the files a run or a sweep wrote (never from a live
//! simulation), so that a directory of CSVs can be redrawn at any time.
//!
//! Every chart is written twice, as `NAME.svg` and `NAME.png`, both
//! [`WIDTH`]×[`HEIGHT`] pixels. Text is drawn with DejaVu Sans, shipped in
//! `assets/fonts/` and registered with plotters as the family `"sans-serif"`:
//! no system font is needed.
//!
//! - [`run_charts`] reads `summary.json`, `power.csv`, `power_zoom.csv`,
//!   `failures.csv` and `frontier.csv` from a run directory.
//! - [`sweep_charts`] reads `sweep.json` and `points.csv` from a sweep directory.

mod run;
mod sweep;

use crate::output::write_atomic;
use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
pub(crate) use plotters::style::text_anchor;
use plotters::style::{FontStyle, register_font};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use run::run_charts;
pub use sweep::{sweep_charts, sweep_charts_marked};

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
        root.fill(&WHITE).and_then(|_| chart.draw(&root)).and_then(|_| root.present()).map_err(|e| anyhow!("drawing {stem}.png: {e}"))
    };
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &png_path).with_context(|| format!("renaming {} to {}", tmp.display(), png_path.display()))?;
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

/// The legend box every chart shares: `chart.configure_series_labels().house(position)`.
pub(crate) trait HouseLegend {
    fn house(&mut self, position: SeriesLabelPosition) -> &mut Self;
}

impl<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate> HouseLegend for plotters::chart::SeriesLabelStyle<'a, '_, DB, CT> {
    fn house(&mut self, position: SeriesLabelPosition) -> &mut Self {
        self.position(position)
            .margin(14)
            .label_font(font(LEGEND_PX))
            .background_style(WHITE.mix(0.92))
            .border_style(GRID_BOLD)
            .legend_area_size(36)
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

/// A message in the middle of an area (used when there is nothing to plot).
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
    if decimals == 0 && v.abs() >= 10_000.0 { thousands(&s) } else { s }
}

/// A tick label: enough decimals for axis key points, no float noise.
pub(crate) fn fmt_tick(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        return thousands(&format!("{v:.0}"));
    }
    let s = trim_zeros(&format!("{v:.6}"));
    if s == "-0" { "0".into() } else { s }
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
    pub fn for_span_hours(h: f64) -> Self {
        if h > 72.0 { TimeUnit::Days } else { TimeUnit::Hours }
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
