//! Charts of the repair pipeline of one run: the spare stock, the queue for
//! crews and the crews at work over time (`repair.csv`), and how failures spread
//! over the nodes (`failures.csv`), where lemon nodes stand out from the rest.
//!
//! A folder written before `repair.csv` existed gets the failures-per-node chart only.

use super::run::{RunHeader, read_csv, read_json};
use super::*;
use serde::Deserialize;

/// The charts [`repair_charts`] writes, in order.
pub(crate) const REPAIR_CHART_STEMS: [&str; 2] = ["repair_pipeline", "failures_per_node"];

const STOCK: RGBColor = RGBColor(0x2e, 0x7d, 0x32);
const WAITING: RGBColor = RGBColor(0xc6, 0x28, 0x28);
const BUSY: RGBColor = RGBColor(0x1f, 0x4e, 0x8c);
const ORDINARY: RGBColor = RGBColor(0x86, 0xa8, 0xd4);
const LEMON: RGBColor = RGBColor(0xd9, 0x8c, 0x1f);

pub(crate) fn repair_charts(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let s: Summary = read_json(&dir.join("summary.json"))?;
    let mut files = Vec::new();
    let path = dir.join("repair.csv");
    if path.exists() {
        let rows: Vec<RepairRow> = read_csv(&path)?;
        files.extend(render(&PipelineChart { s: &s, rows: &rows }, out)?);
    }
    let failures: Vec<FailureRow> = read_csv(&dir.join("failures.csv"))?;
    files.extend(render(&PerNodeChart { s: &s, rows: &failures }, out)?);
    Ok(files)
}

// ---------------------------------------------------------------- inputs

/// The parts of `summary.json` these charts use; optional where older runs lack them.
#[derive(Debug, Deserialize)]
struct Summary {
    #[serde(flatten)]
    head: RunHeader,
    #[serde(default)]
    nodes: u64,
    #[serde(default)]
    failures: Option<Failures>,
    #[serde(default)]
    repair: Option<Repair>,
}

#[derive(Debug, Deserialize)]
struct Failures {
    #[serde(default)]
    lemon_nodes: u64,
    #[serde(default)]
    retired_lemons: u64,
    #[serde(default)]
    retired_good_nodes: u64,
}

#[derive(Debug, Deserialize)]
struct Repair {
    rebooted: u64,
    auto_fixed: u64,
    crew_fixed: u64,
    rma: u64,
    misdiagnosed: u64,
    mean_wait_for_crew_h: f64,
    crew_utilization: f64,
    crews: u32,
    spares_initial: u32,
    spares_min: u32,
}

#[derive(Debug, Deserialize)]
struct RepairRow {
    time_h: f64,
    spares_in_stock: u32,
    waiting_for_crew: u32,
    crews_busy: u32,
}

#[derive(Debug, Deserialize)]
struct FailureRow {
    #[serde(default)]
    node: Option<u32>,
    #[serde(default)]
    lemon_node: Option<bool>,
}

/// Time-weighted mean and the highest value of a step series in each of `n` equal
/// bins over `[0, end_h]`, as (bin middle in days, mean, max).
fn binned(changes: &[(f64, f64)], end_h: f64, n: usize) -> Vec<(f64, f64, f64)> {
    let w = end_h / n as f64;
    let mut out = vec![(0.0, 0.0, f64::NEG_INFINITY); n];
    for (i, &(t, v)) in changes.iter().enumerate() {
        let until = changes.get(i + 1).map_or(end_h, |n| n.0).min(end_h);
        let mut a = t.max(0.0);
        while a < until {
            let b = ((a / w).floor() as usize).min(n - 1);
            let z = until.min((b + 1) as f64 * w);
            out[b].1 += v * (z - a) / w;
            out[b].2 = out[b].2.max(v);
            if z <= a {
                break;
            }
            a = z;
        }
    }
    out.iter().enumerate().map(|(b, &(_, m, x))| (((b as f64) + 0.5) * w / 24.0, m, x.max(0.0))).collect()
}

// ---------------------------------------------------------------- spare stock and crews

struct PipelineChart<'a> {
    s: &'a Summary,
    rows: &'a [RepairRow],
}

impl Chart for PipelineChart<'_> {
    fn stem(&self) -> String {
        "repair_pipeline".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        let end_h = s.head.horizon_days * 24.0;
        let sub = match &s.repair {
            Some(r) => {
                // The stages a run without escalation never uses are left out.
                let stages: Vec<String> =
                    [("rebooted", r.rebooted, true), ("auto-fixed", r.auto_fixed, false), ("crew-fixed", r.crew_fixed, true)]
                        .into_iter()
                        .chain([("vendor returns", r.rma, false), ("misdiagnosed", r.misdiagnosed, false)])
                        .filter(|&(_, n, always)| always || n > 0)
                        .map(|(name, n, _)| format!("{name} {}", fmt_int(n)))
                        .collect();
                format!("{} · {} · mean wait for a crew {}", s.head.subtitle(), stages.join(", "), fmt_duration_h(r.mean_wait_for_crew_h))
            }
            None => s.head.subtitle(),
        };
        let title = match &s.repair {
            Some(r) => format!(
                "Spare nodes and repair crews: the stock fell to {} of {}; crews were busy {} of the time",
                fmt_int(r.spares_min as u64),
                fmt_int(r.spares_initial as u64),
                fmt_pct(r.crew_utilization)
            ),
            None => "Spare nodes and repair crews over time".into(),
        };
        let area = heading(root, &title, &sub)?;
        let crews = s.repair.as_ref().map(|r| r.crews).unwrap_or_else(|| self.rows.iter().map(|r| r.crews_busy).max().unwrap_or(0));
        let keys = vec![
            Key::new(Swatch::Band(STOCK, 0.35), "cold spare nodes in stock"),
            Key::new(Swatch::Band(WAITING, 0.5), "outages waiting for a crew (peak)"),
            Key::new(Swatch::Line(BUSY, 2), "crews at work (mean)"),
            Key::new(Swatch::Dashed(MUTED), format!("crews on shift ({crews})")),
        ];
        let area = legend_band(&area, &keys, 112)?;
        let (_, h) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(h * 48 / 100);
        let x1 = s.head.horizon_days.max(1e-9);
        let width = top.dim_in_pixel().0 as usize;

        // Each row holds to the next: the stock as a step trace, in days.
        let changes: Vec<(f64, f64)> = self.rows.iter().map(|r| (r.time_h / 24.0, r.spares_in_stock as f64)).collect();
        let stock = zoom_trace(&changes, end_h / 24.0, false);
        let smax = stock.iter().map(|p| p.1).fold(0.0, f64::max);
        let mut c = framed(&top, 28, 96).margin_top(4).x_label_area_size(30).build_cartesian_2d(0.0..x1, 0.0..headroom(smax, 1.15))?;
        c.configure_mesh()
            .house()
            .disable_x_mesh()
            .y_desc("spare nodes in stock")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let stock = decimate(&stock, 0.0, x1, width);
        c.draw_series(AreaSeries::new(stock.iter().copied(), 0.0, STOCK.mix(0.35)).border_style(STOCK.stroke_width(2)))?;
        if stock.is_empty() {
            centred_note(&c.plotting_area().strip_coord_spec(), "no repair data in this run")?;
        }

        // Crews at work as a mean over each bin, the queue as its peak in each bin: a
        // short queue stays visible; the crews' line reads as a level, not a blur.
        let n = 240;
        let waiting: Vec<(f64, f64)> = self.rows.iter().map(|r| (r.time_h, r.waiting_for_crew as f64)).collect();
        let busy: Vec<(f64, f64)> = self.rows.iter().map(|r| (r.time_h, r.crews_busy as f64)).collect();
        let (waiting, busy) = (binned(&waiting, end_h, n), binned(&busy, end_h, n));
        let qmax = waiting.iter().map(|p| p.2).chain(busy.iter().map(|p| p.1)).fold(crews as f64, f64::max);
        let mut c = framed(&bottom, 28, 96).margin_top(8).build_cartesian_2d(0.0..x1, 0.0..headroom(qmax, 1.15))?;
        c.configure_mesh()
            .house()
            .disable_x_mesh()
            .x_desc(format!("time since start (days); the queue's peak and the crews' mean in each {}", fmt_duration_h(end_h / n as f64)))
            .y_desc("outages, crews")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        let half = x1 / n as f64 / 2.0;
        c.draw_series(
            waiting
                .iter()
                .filter(|p| p.2 > 0.0)
                .map(|&(x, _, peak)| Rectangle::new([(x - half, 0.0), (x + half, peak)], WAITING.mix(0.5).filled())),
        )?;
        c.draw_series(LineSeries::new(busy.iter().map(|p| (p.0, p.1)), BUSY.stroke_width(2)))?;
        c.draw_series(DashedLineSeries::new(vec![(0.0, crews as f64), (x1, crews as f64)], 10, 6, MUTED.stroke_width(2)))?;
        Ok(())
    }
}

// ---------------------------------------------------------------- failures per node

struct PerNodeChart<'a> {
    s: &'a Summary,
    rows: &'a [FailureRow],
}

/// P(X = k) for X ~ Poisson(m).
fn poisson(m: f64, k: u64) -> f64 {
    let mut p = (-m).exp();
    for i in 1..=k {
        p *= m / i as f64;
    }
    p
}

impl Chart for PerNodeChart<'_> {
    fn stem(&self) -> String {
        "failures_per_node".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let s = self.s;
        // Failures of each node's chips and host (rack and pod outages name no node).
        let mut per_node: std::collections::HashMap<u32, (u64, bool)> = std::collections::HashMap::new();
        for r in self.rows {
            if let Some(n) = r.node {
                let e = per_node.entry(n).or_insert((0, false));
                e.0 += 1;
                e.1 |= r.lemon_node.unwrap_or(false);
            }
        }
        // An older summary.json has no node count: the nodes that failed stand in.
        let nodes = if s.nodes > 0 { s.nodes } else { per_node.len() as u64 }.max(1);
        let lemons_total = s.failures.as_ref().map_or(0, |f| f.lemon_nodes);
        let lemons_seen = per_node.values().filter(|v| v.1).count() as u64;
        let kmax = per_node.values().map(|v| v.0).max().unwrap_or(0);
        // One bar per count up to 40, else bins of equal width.
        let width = kmax.div_ceil(40).max(1);
        let nbins = (kmax / width + 1) as usize;
        let mut bars = vec![[0u64; 2]; nbins];
        for &(k, lemon) in per_node.values() {
            bars[(k / width) as usize][lemon as usize] += 1;
        }
        bars[0][0] += nodes.saturating_sub(per_node.len() as u64).saturating_sub(lemons_total.saturating_sub(lemons_seen));
        bars[0][1] += lemons_total.saturating_sub(lemons_seen);
        let on_nodes: u64 = per_node.values().map(|v| v.0).sum();
        let on_lemons: u64 = per_node.values().filter(|v| v.1).map(|v| v.0).sum();
        let ordinary = nodes.saturating_sub(lemons_total);
        let mean = if ordinary > 0 { (on_nodes - on_lemons) as f64 / ordinary as f64 } else { 0.0 };
        let title = if lemons_total > 0 {
            format!(
                "Failures per node: {} lemon nodes ({} of nodes) took {} of node failures",
                fmt_int(lemons_total),
                fmt_pct(lemons_total as f64 / nodes as f64),
                fmt_pct(on_lemons as f64 / on_nodes.max(1) as f64)
            )
        } else {
            format!("Failures per node: {} a node on average over {} nodes", fmt_sig(mean, 3), fmt_int(nodes))
        };
        let retired = s.failures.as_ref().map_or(String::new(), |f| {
            if f.retired_lemons + f.retired_good_nodes > 0 {
                format!(" · retired {} lemons and {} good nodes", fmt_int(f.retired_lemons), fmt_int(f.retired_good_nodes))
            } else {
                String::new()
            }
        });
        let sub = format!(
            "{} · {} chip and host failures on {} nodes (rack and pod outages not counted){retired}",
            s.head.subtitle(),
            fmt_int(on_nodes),
            fmt_int(nodes)
        );
        let area = heading(root, &title, &sub)?;
        let mut keys = vec![Key::new(Swatch::Band(ORDINARY, 1.0), "ordinary nodes")];
        if lemons_total > 0 {
            keys.push(Key::new(Swatch::Band(LEMON, 1.0), "lemon nodes"));
        }
        keys.push(Key::new(Swatch::Dashed(INK), format!("Poisson with the ordinary nodes' mean, {} a node", fmt_sig(mean, 3))));
        let area = legend_band(&area, &keys, 112)?;
        let top = bars.iter().map(|b| (b[0] + b[1]) as f64).fold(1.0, f64::max);
        let (ylo, yhi) = (0.5, 10f64.powf((top * 2.0).log10().ceil()));
        let last = nbins as u32 - 1;
        let mut c = framed(&area, 28, 96).margin_top(4).build_cartesian_2d((0..last).into_segmented(), (ylo..yhi).log_scale())?;
        let label = move |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(b) if width == 1 => b.to_string(),
            SegmentValue::CenterOf(b) => format!("{}–{}", *b as u64 * width, (*b as u64 + 1) * width - 1),
            _ => String::new(),
        };
        c.configure_mesh()
            .house()
            .disable_x_mesh()
            .x_labels(nbins.min(21))
            .x_desc("failures of a node's chips and host in the run")
            .y_desc("nodes (log scale)")
            .x_label_formatter(&label)
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        for (b, counts) in bars.iter().enumerate() {
            let b = b as u32;
            let mut base = ylo;
            for (k, colour) in [(0, ORDINARY), (1, LEMON)] {
                if counts[k] == 0 {
                    continue;
                }
                // Stacked on a log axis: the lemon part sits on top of the ordinary count.
                let top = if base == ylo { counts[k] as f64 } else { base + counts[k] as f64 };
                let mut bar = Rectangle::new([(SegmentValue::Exact(b), base), (SegmentValue::Exact(b + 1), top)], colour.filled());
                bar.set_margin(0, 0, 4, 4);
                c.draw_series(std::iter::once(bar))?;
                base = top;
            }
        }
        // The Poisson expectation for ordinary nodes, summed over each bar's counts.
        let expect: Vec<(SegmentValue<u32>, f64)> = (0..nbins)
            .map(|b| {
                let e: f64 = (b as u64 * width..(b as u64 + 1) * width).map(|k| poisson(mean, k)).sum::<f64>() * ordinary as f64;
                (SegmentValue::CenterOf(b as u32), e)
            })
            .filter(|p| p.1 >= ylo)
            .collect();
        c.draw_series(DashedLineSeries::new(expect.iter().cloned(), 8, 6, INK.stroke_width(2)))?;
        c.draw_series(expect.iter().map(|p| Circle::new(p.clone(), 4, INK.filled())))?;
        Ok(())
    }
}
