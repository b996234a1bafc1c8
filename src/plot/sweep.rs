//! Charts of a parameter sweep, drawn from `sweep.json` and `points.csv`.

use super::run::read_json;
use super::*;
use serde::Deserialize;
use std::collections::HashMap;

/// Draw every chart of the sweep directory `dir` into `out`; returns the files written.
///
/// For each metric: `<metric>_vs_<param0>` (mean and 95% confidence band
/// against the first parameter, one line per value of the second) and, with
/// two parameters or more, `<metric>_heatmap` (mean over the first two).
/// Other parameters are held at their first value.
pub fn sweep_charts(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    sweep_charts_marked(dir, out, &[])
}

/// As [`sweep_charts`], with labelled vertical markers at values of the first
/// parameter on the line charts (e.g. `("Young", 0.12)` for a theoretical optimum).
pub fn sweep_charts_marked(dir: &Path, out: &Path, markers: &[(&str, f64)]) -> Result<Vec<PathBuf>> {
    let spec: SweepSpec = read_json(&dir.join("sweep.json"))?;
    let sweep = Sweep::load(spec, &dir.join("points.csv"))?;
    let mut files = Vec::new();
    for m in 0..sweep.metrics.len() {
        files.extend(render(&LinesChart { sw: &sweep, m, markers }, out)?);
        if sweep.params.len() >= 2 {
            files.extend(render(&HeatmapChart { sw: &sweep, m }, out)?);
        }
    }
    Ok(files)
}

// ---------------------------------------------------------------- inputs

#[derive(Debug, Deserialize)]
struct SweepSpec {
    #[serde(default)]
    name: String,
    #[serde(default)]
    base: String,
    #[serde(default)]
    replications: u64,
    parameters: Vec<ParamSpec>,
    metrics: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ParamSpec {
    path: String,
    values: Vec<serde_json::Value>,
}

#[derive(Clone, Debug)]
struct Value {
    label: String,
    num: Option<f64>,
}

impl Value {
    fn from_json(v: &serde_json::Value) -> Self {
        match v {
            serde_json::Value::Number(n) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                Value { label: fmt_value(x), num: Some(x) }
            }
            serde_json::Value::String(s) => Value::from_text(s),
            other => Value { label: other.to_string(), num: None },
        }
    }
    fn from_text(s: &str) -> Self {
        let s = s.trim();
        match s.parse::<f64>() {
            Ok(x) if x.is_finite() => Value { label: fmt_value(x), num: Some(x) },
            _ => Value { label: s.to_string(), num: None },
        }
    }
    fn same(&self, other: &Value) -> bool {
        match (self.num, other.num) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
            _ => self.label == other.label,
        }
    }
}

/// A parameter value as written by a person: 0.05, 2, 1e-05.
fn fmt_value(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-4 || x.abs() >= 1e7) { format!("{x:e}") } else { trim_float(x) }
}

fn trim_float(x: f64) -> String {
    let s = format!("{x:.10}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

struct Param {
    path: String,
    short: String,
    values: Vec<Value>,
}

#[derive(Clone, Copy, Debug)]
struct Stat {
    mean: f64,
    lo: f64,
    hi: f64,
}

struct Sweep {
    name: String,
    base: String,
    replications: u64,
    params: Vec<Param>,
    metrics: Vec<String>,
    /// Value indices of each parameter → (n, stats per metric).
    cells: HashMap<Vec<usize>, (f64, Vec<Stat>)>,
}

/// The last component of a parameter path: `interval_hours` for `workload.frontier[0].checkpoint.interval_hours`.
fn short_name(path: &str) -> String {
    path.rsplit('.').next().unwrap_or(path).to_string()
}

fn parse_num(s: &str) -> f64 {
    s.trim().parse().unwrap_or(f64::NAN)
}

impl Sweep {
    fn load(spec: SweepSpec, points: &Path) -> Result<Self> {
        let params: Vec<Param> = spec
            .parameters
            .iter()
            .map(|p| Param { path: p.path.clone(), short: short_name(&p.path), values: p.values.iter().map(Value::from_json).collect() })
            .collect();
        if params.is_empty() {
            anyhow::bail!("{}: sweep.json has no parameters", points.display());
        }
        if let Some(p) = params.iter().find(|p| p.values.is_empty()) {
            anyhow::bail!("{}: parameter `{}` has no values in sweep.json", points.display(), p.path);
        }
        let mut r = csv::Reader::from_path(points).with_context(|| format!("reading {}", points.display()))?;
        let headers = r.headers().with_context(|| format!("reading {}", points.display()))?.clone();
        let col = |name: &str| -> Result<usize> {
            headers.iter().position(|h| h == name).with_context(|| format!("{}: no column `{name}`", points.display()))
        };
        let pcols: Vec<usize> = params.iter().map(|p| col(&p.path)).collect::<Result<_>>()?;
        let mcols: Vec<[usize; 3]> = spec
            .metrics
            .iter()
            .map(|m| Ok([col(&format!("{m}_mean"))?, col(&format!("{m}_ci_lo"))?, col(&format!("{m}_ci_hi"))?]))
            .collect::<Result<_>>()?;
        let ncol = headers.iter().position(|h| h == "n");
        let mut cells = HashMap::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.with_context(|| format!("{}: row {}", points.display(), i + 2))?;
            let get = |c: usize| rec.get(c).unwrap_or("");
            let idx: Option<Vec<usize>> = params
                .iter()
                .zip(&pcols)
                .map(|(p, &c)| {
                    let v = Value::from_text(get(c));
                    p.values.iter().position(|x| x.same(&v))
                })
                .collect();
            let Some(idx) = idx else { continue };
            let n = ncol.map(|c| parse_num(get(c))).unwrap_or(f64::NAN);
            let stats =
                mcols.iter().map(|&[m, lo, hi]| Stat { mean: parse_num(get(m)), lo: parse_num(get(lo)), hi: parse_num(get(hi)) }).collect();
            cells.entry(idx).or_insert((n, stats));
        }
        Ok(Sweep { name: spec.name, base: spec.base, replications: spec.replications, params, metrics: spec.metrics, cells })
    }

    fn stat(&self, m: usize, i0: usize, i1: Option<usize>) -> Option<Stat> {
        let mut key = vec![0; self.params.len()];
        key[0] = i0;
        if let Some(i1) = i1 {
            key[1] = i1;
        }
        self.cells.get(&key).map(|c| c.1[m]).filter(|s| s.mean.is_finite())
    }

    /// Replications per point, from the points themselves (or sweep.json).
    fn reps(&self) -> String {
        let ns: Vec<f64> = self.cells.values().map(|c| c.0).filter(|n| n.is_finite()).collect();
        let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if ns.is_empty() {
            format!("{}", self.replications)
        } else if lo == hi {
            fmt_value(lo)
        } else {
            format!("{}–{}", fmt_value(lo), fmt_value(hi))
        }
    }

    /// "others held at: a = 1, b = 2" for parameters beyond the first `k`.
    fn held(&self, k: usize) -> String {
        let rest: Vec<String> = self.params.iter().skip(k).map(|p| format!("{} = {}", p.short, p.values[0].label)).collect();
        if rest.is_empty() { String::new() } else { format!(" · others held at {}", rest.join(", ")) }
    }

    fn heading_base(&self) -> String {
        let mut s = format!("sweep `{}`", self.name);
        if !self.base.is_empty() {
            s += &format!(" on {}", self.base);
        }
        s
    }
}

/// A metric's name for a title: `ETTR`, `Goodput`, `Power facility mean` (unit suffixes dropped).
fn metric_label(m: &str) -> String {
    if m == "ettr" {
        return "ETTR".into();
    }
    let mut s = m.to_string();
    for suffix in ["_mwh", "_mw", "_hours", "_h"] {
        if let Some(t) = s.strip_suffix(suffix) {
            s = t.to_string();
            break;
        }
    }
    let s = s.replace(['.', '_'], " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

fn metric_unit(m: &str) -> &'static str {
    let last = short_name(m);
    if last.ends_with("_mwh") {
        " (MWh)"
    } else if last.ends_with("_mw") {
        " (MW)"
    } else if last.ends_with("_hours") || last.ends_with("_h") {
        " (h)"
    } else {
        ""
    }
}

fn axis_desc(p: &Param) -> String {
    if p.short == p.path { p.path.clone() } else { format!("{}  ({})", p.short, p.path) }
}

// ---------------------------------------------------------------- mean ± CI against parameter 0

struct LinesChart<'a> {
    sw: &'a Sweep,
    m: usize,
    markers: &'a [(&'a str, f64)],
}

struct Series {
    label: String,
    colour: RGBColor,
    points: Vec<(f64, Stat)>,
}

/// How parameter values sit on the x axis.
#[derive(Clone, Copy, PartialEq)]
enum XScale {
    /// Not all numbers: evenly spaced, in the order of sweep.json.
    Categories,
    Linear,
    /// Positive values spanning 20× or more: log10 of the value.
    Log,
}

impl Chart for LinesChart<'_> {
    fn stem(&self) -> String {
        format!("{}_vs_{}", self.sw.metrics[self.m], self.sw.params[0].short)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let sw = self.sw;
        let metric = &sw.metrics[self.m];
        let p0 = &sw.params[0];
        let nums: Vec<f64> = p0.values.iter().filter_map(|v| v.num).collect();
        let (vmin, vmax) = (nums.iter().copied().fold(f64::INFINITY, f64::min), nums.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        let scale = if nums.len() < p0.values.len() {
            XScale::Categories
        } else if vmin > 0.0 && vmax / vmin >= 20.0 {
            XScale::Log
        } else {
            XScale::Linear
        };
        let xpos = |i: usize| match scale {
            XScale::Categories => i as f64,
            XScale::Linear => p0.values[i].num.unwrap_or(f64::NAN),
            XScale::Log => p0.values[i].num.unwrap_or(f64::NAN).log10(),
        };
        let lines: Vec<Option<usize>> = match sw.params.get(1) {
            Some(p1) => (0..p1.values.len()).map(Some).collect(),
            None => vec![None],
        };
        let series: Vec<Series> = lines
            .iter()
            .enumerate()
            .map(|(k, &i1)| {
                let mut points: Vec<(f64, Stat)> =
                    (0..p0.values.len()).filter_map(|i0| sw.stat(self.m, i0, i1).map(|s| (xpos(i0), s))).collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                let label = match i1 {
                    Some(i) => format!("{} = {}", sw.params[1].short, sw.params[1].values[i].label),
                    None => metric_label(metric),
                };
                // Few lines: distinct colours; many: an ordered scale, so no colour repeats.
                let colour = if lines.len() <= 6 { PALETTE[k] } else { viridis(0.92 * k as f64 / (lines.len() - 1) as f64) };
                Series { label, colour, points }
            })
            .collect();
        // Overlapping bands turn to mud: fainter with more lines, whiskers only past six.
        let band_alpha = match series.len() {
            0..=3 => Some(0.18),
            4..=6 => Some(0.10),
            _ => None,
        };
        let title = format!("{} vs {}", metric_label(metric), p0.short);
        let sub = format!(
            "{} · mean of {} replications per point, {} = 95% confidence interval{}{}",
            sw.heading_base(),
            sw.reps(),
            if band_alpha.is_some() { "band" } else { "whiskers" },
            if scale == XScale::Log { " · log x axis" } else { "" },
            sw.held(if sw.params.len() >= 2 { 2 } else { 1 })
        );
        let area = heading(root, &title, &sub)?;
        let with_legend = series.len() > 1;
        let (plot_area, legend_area) = if with_legend {
            let (a, b) = area.split_horizontally(area.dim_in_pixel().0 - 260);
            (a, Some(b))
        } else {
            (area.clone(), None)
        };
        let all: Vec<f64> =
            series.iter().flat_map(|s| s.points.iter().flat_map(|(_, st)| [st.mean, st.lo, st.hi])).filter(|v| v.is_finite()).collect();
        if all.is_empty() {
            return centred_note(&area, "points.csv has no finite values for this metric");
        }
        let (ymin, ymax) = (all.iter().copied().fold(f64::INFINITY, f64::min), all.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        let pad = if ymax > ymin { 0.08 * (ymax - ymin) } else { 0.05 * ymax.abs().max(1e-9) };
        let xs: Vec<f64> = (0..p0.values.len()).map(xpos).filter(|x| x.is_finite()).collect();
        let (xmin, xmax) = (xs.iter().copied().fold(f64::INFINITY, f64::min), xs.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        let xr = match scale {
            XScale::Categories => -0.5..(p0.values.len() as f64 - 0.5),
            _ if xmax > xmin => (xmin - 0.05 * (xmax - xmin))..(xmax + 0.05 * (xmax - xmin)),
            _ => (xmin - 0.5 * xmin.abs().max(1.0))..(xmax + 0.5 * xmax.abs().max(1.0)),
        };
        // Ticks at the swept values (the values a person chose), unless there are too many for that.
        let own_ticks = scale != XScale::Linear || p0.values.len() <= 15;
        let mut chart = framed(&plot_area, 30, 100).build_cartesian_2d(xr, (ymin - pad)..(ymax + pad))?;
        chart
            .configure_mesh()
            .house()
            .x_desc(axis_desc(p0))
            .y_desc(format!("{}{}", metric, metric_unit(metric)))
            .x_labels(if own_ticks { 0 } else { 10 })
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_sig(*v, 4))
            .draw()?;
        if own_ticks {
            let (_, ys) = chart.plotting_area().get_pixel_range();
            let mut last_right = i32::MIN;
            for i in 0..p0.values.len() {
                let x = xpos(i);
                if !x.is_finite() {
                    continue;
                }
                let px = chart.backend_coord(&(x, ymin)).0;
                root.draw(&PathElement::new(vec![(px, ys.start), (px, ys.end)], GRID_BOLD.stroke_width(1)))?;
                root.draw(&PathElement::new(vec![(px, ys.end), (px, ys.end + 6)], MUTED.stroke_width(1)))?;
                let label = &p0.values[i].label;
                let half = (label.chars().count() as i32 * TICK_PX as i32 * 6 / 10) / 2 + 4;
                if px - half > last_right {
                    let top = text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Top);
                    root.draw(&Text::new(label.clone(), (px, ys.end + 10), font(TICK_PX).pos(top)))?;
                    last_right = px + half;
                }
            }
        }
        for s in &series {
            let ok = |p: &&(f64, Stat)| p.1.lo.is_finite() && p.1.hi.is_finite();
            let upper: Vec<(f64, f64)> = s.points.iter().filter(ok).map(|p| (p.0, p.1.hi)).collect();
            if let (Some(alpha), true) = (band_alpha, upper.len() >= 2) {
                let band: Vec<(f64, f64)> = upper.iter().copied().chain(s.points.iter().rev().filter(ok).map(|p| (p.0, p.1.lo))).collect();
                chart.draw_series(std::iter::once(Polygon::new(band, s.colour.mix(alpha).filled())))?;
            }
            // Whiskers show the interval at each point, which a lone point or a thin band would hide.
            chart.draw_series(
                s.points.iter().filter(ok).map(|p| PathElement::new(vec![(p.0, p.1.lo), (p.0, p.1.hi)], s.colour.mix(0.6).stroke_width(2))),
            )?;
            chart.draw_series(LineSeries::new(s.points.iter().map(|p| (p.0, p.1.mean)), s.colour.stroke_width(3)))?;
            chart.draw_series(s.points.iter().map(|p| Circle::new((p.0, p.1.mean), 5, s.colour.filled())))?;
        }
        // Reference values (e.g. theoretical optima) as dashed verticals labelled at the top.
        for (k, &(label, value)) in self.markers.iter().enumerate() {
            let x = match scale {
                XScale::Categories => continue,
                XScale::Linear => value,
                XScale::Log => value.log10(),
            };
            let (_, ys) = chart.plotting_area().get_pixel_range();
            let px = chart.backend_coord(&(x, ymin)).0;
            let colour = MARKER_COLOURS[k % MARKER_COLOURS.len()];
            let mut y = ys.start;
            while y < ys.end {
                root.draw(&PathElement::new(vec![(px, y), (px, (y + 10).min(ys.end))], colour.stroke_width(2)))?;
                y += 16;
            }
            let pos = text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Top);
            root.draw(&Text::new(
                format!("{label}: {}", fmt_sig(value, 3)),
                (px + 6, ys.start + 6 + 26 * k as i32),
                font(LEGEND_PX).color(&colour).pos(pos),
            ))?;
        }
        if let Some(la) = legend_area {
            let mut y = 20;
            la.draw(&Text::new(sw.params[1].short.clone(), (8, y), font(LEGEND_PX + 1)))?;
            y += 36;
            let step = ((la.dim_in_pixel().1 as i32 - y - 10) / series.len().max(1) as i32).clamp(14, 32);
            for s in &series {
                if band_alpha.is_some() {
                    la.draw(&Rectangle::new([(8, y - 9), (40, y + 9)], s.colour.mix(0.22).filled()))?;
                }
                la.draw(&PathElement::new(vec![(8, y), (40, y)], s.colour.stroke_width(3)))?;
                la.draw(&Circle::new((24, y), 4, s.colour.filled()))?;
                let style = font(LEGEND_PX).pos(text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Center));
                la.draw(&Text::new(s.label.clone(), (50, y), style))?;
                y += step;
            }
        }
        Ok(())
    }
}

const MARKER_COLOURS: [RGBColor; 3] = [RGBColor(180, 30, 30), RGBColor(30, 120, 60), RGBColor(110, 60, 160)];

// ---------------------------------------------------------------- heat map over parameters 0 × 1

struct HeatmapChart<'a> {
    sw: &'a Sweep,
    m: usize,
}

/// Viridis, sampled at nine points and interpolated linearly.
fn viridis(t: f64) -> RGBColor {
    const V: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.5 };
    let x = t * (V.len() - 1) as f64;
    let i = (x.floor() as usize).min(V.len() - 2);
    let f = x - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    RGBColor(lerp(V[i].0, V[i + 1].0), lerp(V[i].1, V[i + 1].1), lerp(V[i].2, V[i + 1].2))
}

/// Decimals that show every cell with three significant digits and tell neighbours apart.
fn cell_decimals(lo: f64, hi: f64) -> usize {
    let mag = lo.abs().max(hi.abs());
    let sig3 = if mag > 0.0 { 2 - mag.log10().floor() as i32 } else { 0 };
    let spread = if hi > lo { (-(hi - lo).log10()).ceil() as i32 + 1 } else { 0 };
    sig3.max(spread).clamp(0, 6) as usize
}

impl Chart for HeatmapChart<'_> {
    fn stem(&self) -> String {
        format!("{}_heatmap", self.sw.metrics[self.m])
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let sw = self.sw;
        let metric = &sw.metrics[self.m];
        let (p0, p1) = (&sw.params[0], &sw.params[1]);
        let (nx, ny) = (p0.values.len() as u32, p1.values.len() as u32);
        let grid: Vec<Vec<Option<f64>>> =
            (0..nx as usize).map(|i| (0..ny as usize).map(|j| sw.stat(self.m, i, Some(j)).map(|s| s.mean)).collect()).collect();
        let vals: Vec<f64> = grid.iter().flatten().flatten().copied().collect();
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let norm = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
        let title = format!("{} over {} × {}", metric_label(metric), p0.short, p1.short);
        let sub = format!("{} · mean of {} replications per cell{}", sw.heading_base(), sw.reps(), sw.held(2));
        let area = heading(root, &title, &sub)?;
        if vals.is_empty() {
            return centred_note(&area, "points.csv has no finite values for this metric");
        }
        let (main, bar) = area.split_horizontally(area.dim_in_pixel().0 - 190);
        // Cell (i, j) spans [i, i+1] × [j, j+1]; labels sit at the centres.
        let mut chart = framed(&main, 10, 100).build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(MUTED)
            .axis_desc_style(font(AXIS_DESC_PX))
            .x_desc(axis_desc(p0))
            .y_desc(axis_desc(p1))
            .x_labels(0)
            .y_labels(0)
            .draw()?;
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let mut last_right = i32::MIN;
        for (i, v) in p0.values.iter().enumerate() {
            let px = chart.backend_coord(&(i as f64 + 0.5, 0.0)).0;
            let half = (v.label.chars().count() as i32 * TICK_PX as i32 * 6 / 10) / 2 + 4;
            root.draw(&PathElement::new(vec![(px, ys.end), (px, ys.end + 6)], MUTED.stroke_width(1)))?;
            if px - half > last_right {
                let top = text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Top);
                root.draw(&Text::new(v.label.clone(), (px, ys.end + 10), font(TICK_PX).pos(top)))?;
                last_right = px + half;
            }
        }
        let mut last_top = i32::MAX;
        for (j, v) in p1.values.iter().enumerate() {
            let py = chart.backend_coord(&(0.0, j as f64 + 0.5)).1;
            root.draw(&PathElement::new(vec![(xs.start - 6, py), (xs.start, py)], MUTED.stroke_width(1)))?;
            if py + (TICK_PX as i32) < last_top {
                let right = text_anchor::Pos::new(text_anchor::HPos::Right, text_anchor::VPos::Center);
                root.draw(&Text::new(v.label.clone(), (xs.start - 10, py), font(TICK_PX).pos(right)))?;
                last_top = py;
            }
        }
        let write = nx <= 12 && ny <= 12;
        let decimals = cell_decimals(lo, hi);
        for (i, col) in grid.iter().enumerate() {
            for (j, v) in col.iter().enumerate() {
                let (x, y) = (i as f64, j as f64);
                let fill = match v {
                    Some(v) => viridis(norm(*v)).filled(),
                    None => RGBColor(0xee, 0xee, 0xee).filled(),
                };
                let mut cell = Rectangle::new([(x, y), (x + 1.0, y + 1.0)], fill);
                cell.set_margin(1, 1, 1, 1);
                chart.draw_series(std::iter::once(cell))?;
                if write || v.is_none() {
                    let (text, colour) = match v {
                        Some(v) => (thousands(&format!("{v:.decimals$}")), if norm(*v) < 0.6 { WHITE } else { INK }),
                        None => ("no data".to_string(), MUTED),
                    };
                    let c = chart.backend_coord(&(x + 0.5, y + 0.5));
                    let px = if nx <= 6 && ny <= 6 { 26 } else { 21 };
                    let style = font_c(px, colour).pos(text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center));
                    root.draw(&Text::new(text, c, style))?;
                }
            }
        }
        // Colour scale.
        let (blo, bhi) = if hi > lo { (lo, hi) } else { (lo - 0.5 * lo.abs().max(1e-9), hi + 0.5 * hi.abs().max(1e-9)) };
        let mut scale = ChartBuilder::on(&bar)
            .margin_top(10)
            .margin_bottom(70)
            .margin_left(10)
            .margin_right(4)
            .y_label_area_size(0)
            .right_y_label_area_size(120)
            .build_cartesian_2d(0.0..1.0, blo..bhi)?;
        scale
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .axis_style(MUTED)
            .label_style(font(TICK_PX))
            .y_labels(8)
            .y_label_formatter(&|v| fmt_sig(*v, 4))
            .draw()?;
        let steps = 120;
        scale.draw_series((0..steps).map(|k| {
            let a = blo + (bhi - blo) * k as f64 / steps as f64;
            let b = blo + (bhi - blo) * (k + 1) as f64 / steps as f64;
            Rectangle::new([(0.0, a), (1.0, b)], viridis(norm(0.5 * (a + b))).filled())
        }))?;
        // The scale's name, upright along its right edge.
        let (bw, bh) = bar.dim_in_pixel();
        let style = font_c(NOTE_PX, MUTED)
            .transform(FontTransform::Rotate90)
            .pos(text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center));
        bar.draw(&Text::new(format!("{}{}", metric_label(metric), metric_unit(metric)), (bw as i32 - 24, (bh as i32 - 60) / 2), style))?;
        Ok(())
    }
}
