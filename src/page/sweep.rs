//! The page of a sweep, from sweep.json, points.csv (runs.csv for a shard) and the
//! folder's charts and model copies.

use super::html::{Table, esc, num, text};
use super::{Context, Section};
use crate::plot::labels::{self, Quantity, fmt_num};
use anyhow::Result;
use std::fmt::Write;
use std::path::Path;

/// Points shown in the page's table at most; points.csv holds them all.
const MAX_ROWS: usize = 2_000;

pub(super) fn page(dir: &Path, charts: Option<&Path>, ctx: &Context) -> Result<String> {
    let doc = super::read_json(&dir.join("sweep.json"))?;
    let meta = crate::sweep::read_meta(dir)?;
    let named = |q: Quantity, path: &str| match meta.labels.get(path) {
        Some(l) => q.renamed(l),
        None => q,
    };
    let params: Vec<Quantity> = meta.parameters.iter().map(|p| named(labels::parameter(&p.path), &p.path)).collect();
    let metrics: Vec<Quantity> = meta.metrics.iter().map(|m| named(labels::metric(m), m)).collect();
    let points = if dir.join("points.csv").exists() { Some(crate::sweep::load_points(dir)?.1) } else { None };

    let mut sections = Vec::new();
    // What was swept.
    let mut t = Table::new(&[("", false), ("", false)]);
    t.row(vec![text("Base scenario"), super::html::raw(format!("<code>{}</code>", esc(&meta.base)))]);
    t.row(vec![text("Base seed"), num(meta.seed.to_string())]);
    t.row(vec![text("Replications per point"), num(meta.replications.to_string())]);
    let sets: Vec<String> = meta.set.iter().map(|s| format!("<code>{}</code>", esc(s))).collect();
    t.row(vec![text("Fixed overrides"), super::html::raw(if sets.is_empty() { "none".into() } else { sets.join(" ") })]);
    let mut p = Table::new(&[("Parameter", false), ("Path", false), ("Values", false)]);
    for (q, pm) in params.iter().zip(&meta.parameters) {
        let nums: Vec<f64> = pm.values.iter().filter_map(crate::sweep::ParamValue::num).collect();
        let scale = q.scale(nums.iter().fold(0.0, |m: f64, v| m.max(v.abs())));
        // Text values (model files, variants) as written; numbers in the display unit.
        let mut shown: Vec<String> = if nums.len() == pm.values.len() {
            labels::value_labels(&nums, &scale).into_iter().take(50).collect()
        } else {
            pm.values.iter().take(50).map(|v| v.to_string()).collect()
        };
        if pm.values.len() > 50 {
            shown.push(format!("… ({} values)", pm.values.len()));
        }
        p.row(vec![text(&q.axis(&scale)), super::html::raw(format!("<code>{}</code>", esc(&pm.path))), text(&shown.join(", "))]);
    }
    let mut m = Table::new(&[("Metric", false), ("Path in summary.json", false)]);
    for (q, path) in metrics.iter().zip(&meta.metrics) {
        m.row(vec![text(&q.name), super::html::raw(format!("<code>{}</code>", esc(path)))]);
    }
    let points_n: usize = meta.parameters.iter().map(|p| p.values.len()).product();
    sections.push(Section { id: "sweep", title: "The sweep".into(), body: t.html() + &p.html() + &m.html() });

    // The points table, or what a shard has.
    let body = match &points {
        Some(points) => points_table(&meta, &params, &metrics, points),
        None => {
            let runs = std::fs::read_to_string(dir.join("runs.csv")).map_or(0, |t| t.lines().count().saturating_sub(1));
            format!(
                "<p class=\"note\">No <code>points.csv</code> here: this folder is a shard or an unfinished sweep, with {} in <code>runs.csv</code>. \
                 <code>gigasim merge</code> joins the shards into the sweep's points.</p>\n",
                esc(&crate::output::count(runs as u64, "run", "runs"))
            )
        }
    };
    sections.push(Section { id: "points", title: "Results by point".into(), body });
    let not_drawn = if points.is_some() {
        "Charts were not drawn for this sweep (<code>--no-charts</code>); <code>gigasim plot DIR</code> draws them and rebuilds this page."
    } else {
        "Charts are drawn once the sweep is whole (after <code>gigasim merge</code> for shards)."
    };
    // As the sweep draws them: each metric's line charts, then its heatmap.
    let rank = |name: &str| {
        let m = (meta.metrics.iter().enumerate())
            .filter(|(_, m)| name.starts_with(&format!("{}_", crate::plot::sanitize(m))))
            .max_by_key(|(_, m)| m.len())
            .map_or(meta.metrics.len(), |(i, _)| i);
        2 * m + usize::from(name.ends_with("_heatmap.svg"))
    };
    sections.push(super::charts_section(charts, &rank, &|_| None, not_drawn)?);
    sections.push(super::inputs_section(dir, &doc, "sweep's sweep.json"));
    let present: Vec<&str> = ["sweep.json", "points.csv", "runs.csv"].into_iter().filter(|f| dir.join(f).exists()).collect();
    sections.push(super::about(ctx, &present));
    let subtitle = format!(
        "A gigasim sweep: {} × {} = {}",
        crate::output::count(points_n as u64, "point", "points"),
        crate::output::count(meta.replications as u64, "replication", "replications"),
        crate::output::count(points_n as u64 * meta.replications as u64, "run", "runs")
    );
    Ok(super::document(&format!("Sweep {}", meta.name), &subtitle, &sections))
}

/// Parameters, n, and each metric's mean and 95% interval, one row per point, in
/// each quantity's display unit (named in the header).
fn points_table(meta: &crate::sweep::SweepMeta, params: &[Quantity], metrics: &[Quantity], points: &[crate::sweep::PointRecord]) -> String {
    let max_abs = |xs: &mut dyn Iterator<Item = f64>| xs.filter(|x| x.is_finite()).fold(0.0, |m: f64, x| m.max(x.abs()));
    let pscales: Vec<_> =
        params.iter().zip(&meta.parameters).map(|(q, p)| q.scale(max_abs(&mut p.values.iter().filter_map(|v| v.num())))).collect();
    let mscales: Vec<_> = metrics.iter().enumerate().map(|(i, q)| q.scale(max_abs(&mut points.iter().map(|p| p.stats[i].mean)))).collect();
    let mut head: Vec<(String, bool)> = vec![("Point".into(), true)];
    head.extend(params.iter().zip(&pscales).map(|(q, s)| (esc(&q.axis(s)), true)));
    head.push(("n".into(), true));
    for (q, s) in metrics.iter().zip(&mscales) {
        head.push((format!("{}<br><span class=\"note\">mean</span>", esc(&q.axis(s))), true));
        head.push(("<br><span class=\"note\">± 95%</span>".into(), true));
    }
    let mut t = Table::new_html(head);
    for p in points.iter().take(MAX_ROWS) {
        let mut cells = vec![num(p.point.to_string())];
        cells.extend(p.values.iter().zip(&pscales).map(|(v, s)| match v {
            crate::sweep::ParamValue::Num(x) => num(fmt_num(s.apply(*x), 4)),
            crate::sweep::ParamValue::Text(t) => text(t),
        }));
        cells.push(num(p.stats.first().map_or(0, |s| s.n).to_string()));
        for (st, s) in p.stats.iter().zip(&mscales) {
            cells.push(num(fmt_num(s.apply(st.mean), 4)));
            // Student-t intervals are symmetric: the half-width says it in one short cell.
            cells.push(num(if st.ci_lo.is_finite() && st.ci_hi.is_finite() {
                format!("± {}", fmt_num(s.apply(st.ci_hi - st.mean).abs(), 2))
            } else {
                "—".into()
            }));
        }
        t.row(cells);
    }
    let mut out = String::from(
        "<p class=\"note\">Each point's mean over its replications, ± the half-width of the 95% Student-t interval of that mean (— where undefined: one replication); <code>points.csv</code> has the bounds. Replication r uses the same seed at every point.</p>\n",
    );
    out += &t.html();
    if points.len() > MAX_ROWS {
        let _ =
            writeln!(out, "<p class=\"note\">The first {MAX_ROWS} of {} points; <code>points.csv</code> holds them all.</p>", points.len());
    }
    out
}
