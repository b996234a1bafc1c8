//! `gigasim compare` charts: per metric, the values of every folder (and sweep
//! point) with their 95% intervals above, and their differences to the baseline
//! with intervals and a zero line below.

use super::labels::{self, Scale};
use super::*;
use crate::compare::{Comparison, Pairing, Row, point_label};

/// Draw one chart per metric of `c` into `out`; returns the files written.
pub fn compare_charts(c: &Comparison, out: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for m in &c.metrics {
        files.extend(render(&CompareChart { c, metric: m }, out)?);
    }
    Ok(files)
}

struct CompareChart<'a> {
    c: &'a Comparison,
    metric: &'a str,
}

/// One x position: a row, with the group (sweep point, or run folder) it is drawn in.
struct Slot<'a> {
    row: &'a Row,
    group: usize,
}

impl CompareChart<'_> {
    /// Rows in groups: by sweep point (every folder's row of that point side by side), or one group per run folder.
    fn slots(&self) -> (Vec<Slot<'_>>, Vec<String>) {
        let rows: Vec<&Row> = self.c.rows.iter().filter(|r| r.metric == self.metric).collect();
        let mut keys: Vec<Vec<(String, String)>> = Vec::new();
        let mut groups: Vec<String> = Vec::new();
        let key = |r: &Row| {
            let mut k = r.params.clone();
            k.sort();
            if r.point.is_none() || self.c.folders.len() == 1 {
                k.push((String::new(), format!("{}#{:?}", r.folder, r.point))); // each its own group
            }
            k
        };
        for r in &rows {
            let k = key(r);
            if !keys.contains(&k) {
                keys.push(k);
                groups.push(if r.point.is_some() { point_label(&r.params) } else { self.c.folders[r.folder].name.clone() });
            }
        }
        let mut slots: Vec<Slot> = Vec::new();
        for (g, k) in keys.iter().enumerate() {
            for r in rows.iter().filter(|r| &key(r) == k) {
                slots.push(Slot { row: r, group: g });
            }
        }
        (slots, groups)
    }
}

fn colour(folder: usize) -> RGBColor {
    PALETTE[folder % PALETTE.len()]
}

/// A y range around `vals` (and 0 when `zero`), padded; never empty.
/// `flat`: the half-height to show when every value is the same.
fn y_range(vals: impl Iterator<Item = f64>, zero: bool, flat: f64) -> (f64, f64) {
    let (mut lo, mut hi) = if zero { (0.0, 0.0) } else { (f64::INFINITY, f64::NEG_INFINITY) };
    for v in vals.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        0.08 * (hi - lo)
    } else if flat > 0.0 {
        flat
    } else {
        0.05 * lo.abs().max(1e-9)
    };
    (lo - pad, hi + pad)
}

/// Tick values near those plotters picks for `lo..hi` (steps of 1, 2 or 5 × 10^k), to size the label band.
fn rough_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return vec![lo];
    }
    let raw = span / 10.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|k| k * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil();
    (0..=20).map(|i| (first + i as f64) * step).take_while(|t| *t <= hi).collect()
}

/// A value beside its dot, when its slot (`room` pixels wide) has room for it
/// clear of the next slot's whiskers.
fn value_label<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, (px, py): (i32, i32), text: &str, room: i32) -> DResult<DB> {
    let style = font_c(NOTE_PX - 3, MUTED);
    if text.is_empty() || 22 + root.estimate_text_size(text, &style)?.0 as i32 > room - 20 {
        return Ok(());
    }
    root.draw(&Text::new(
        text.to_string(),
        (px + 22, py),
        style.pos(text_anchor::Pos::new(text_anchor::HPos::Left, text_anchor::VPos::Center)),
    ))
}

impl Chart for CompareChart<'_> {
    fn stem(&self) -> String {
        format!("compare_{}", self.metric)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let c = self.c;
        let (slots, groups) = self.slots();
        let q = c.quantity(self.metric);
        let max = slots.iter().map(|s| s.row.stats.mean.abs()).filter(|v| v.is_finite()).fold(0.0, f64::max);
        let scale: Scale = q.scale(max);
        let sweeps = slots.iter().any(|s| s.row.point.is_some());
        let base = &c.folders[0].name;
        let title = format!("{}: comparison", q.name);
        let how = if sweeps {
            let paired = slots.iter().any(|s| s.row.diff.is_some_and(|d| d.pairing == Pairing::Paired));
            let unpaired = slots.iter().any(|s| s.row.diff.is_some_and(|d| d.pairing == Pairing::Unpaired));
            let kind = match (paired, unpaired) {
                (true, false) => "paired (common random numbers)",
                (false, true) => "Welch (unpaired)",
                (true, true) => "paired where runs share seeds, else Welch",
                (false, false) => "none",
            };
            format!("dots: means, whiskers: 95% CI; difference CI: {kind}")
        } else {
            "one run a folder: no confidence intervals".into()
        };
        let against = if c.folders.len() == 1 && sweeps { "baseline: the first point".to_string() } else { format!("baseline: {base}") };
        let area = heading(root, &title, &format!("{against} · {how}"))?;

        let mut keys: Vec<Key> = Vec::new();
        if sweeps && c.folders.len() > 1 {
            // Each folder with how its differences were computed, when that is one way throughout.
            let how = |i: usize| {
                let ps: Vec<Pairing> = slots.iter().filter(|s| s.row.folder == i).filter_map(|s| s.row.diff.map(|d| d.pairing)).collect();
                match ps.first() {
                    Some(Pairing::Paired) if ps.iter().all(|p| *p == Pairing::Paired) => " (paired)",
                    Some(Pairing::Unpaired) if ps.iter().all(|p| *p == Pairing::Unpaired) => " (Welch)",
                    _ if i == 0 => " (baseline)",
                    _ => "",
                }
            };
            keys = c.folders.iter().enumerate().map(|(i, f)| Key::new(Swatch::Dot(colour(i)), format!("{}{}", f.name, how(i)))).collect();
        }
        let area = legend_band(&area, &keys, 28)?;

        // Labels under the slots: a point's parameters one a line, or a run folder's name.
        let lines_of = |g: &String| -> Vec<String> { if sweeps { g.split(", ").map(String::from).collect() } else { vec![g.clone()] } };
        let n_lines = groups.iter().map(|g| lines_of(g).len()).max().unwrap_or(1) as u32;
        let label_band = 16 + 26 * n_lines;
        let h_all = area.dim_in_pixel().1;
        let top_h = (h_all.saturating_sub(label_band)) * 11 / 20;
        let (top, bottom) = area.split_vertically(top_h);

        let n = slots.len().max(1);
        let x_range = -0.6..(n as f64 - 0.4);
        let val = |v: f64| scale.apply(v);
        let (vlo, vhi) = y_range(slots.iter().flat_map(|s| [s.row.stats.mean, s.row.stats.ci_lo, s.row.stats.ci_hi]).map(val), false, 0.0);
        let (dlo, dhi) =
            y_range(slots.iter().filter_map(|s| s.row.diff).flat_map(|d| [d.diff, d.lo, d.hi]).map(val), true, 0.25 * (vhi - vlo));
        let dunit = match scale.suffix.as_str() {
            "%" => "pp".to_string(),
            s => s.to_string(),
        };
        let value_desc = q.axis(&scale);
        let to = if c.folders.len() == 1 && sweeps { "Difference to first point".to_string() } else { format!("Difference to {base}") };
        let diff_desc = if dunit.is_empty() { to } else { format!("{to} ({dunit})") };
        // Room for the widest tick label of either panel, and the axis title beside it.
        let mut widest = 0;
        for (lo, hi) in [(vlo, vhi), (dlo, dhi)] {
            for t in rough_ticks(lo, hi) {
                widest = widest.max(root.estimate_text_size(&fmt_tick(t), &font(TICK_PX))?.0);
            }
        }
        let y_labels = (widest + 60).max(90);

        let means = crate::compare::shown(&slots.iter().map(|s| s.row.stats.mean).collect::<Vec<_>>(), &scale);
        let diffs: Vec<String> = slots
            .iter()
            .map(|s| match s.row.diff {
                Some(d) if d.diff.is_finite() => format!("{}{}", if d.diff > 0.0 { "+" } else { "" }, labels::fmt_num(val(d.diff), 3)),
                _ => String::new(),
            })
            .collect();
        // The last slot's labels reach past the plot: a right margin to hold them.
        let mut widest_label = 0;
        for t in means.iter().chain(&diffs) {
            widest_label = widest_label.max(root.estimate_text_size(t, &font_c(NOTE_PX - 3, MUTED))?.0);
        }
        let right = (widest_label + 30).clamp(40, 200);
        let mut upper = framed(&top, right, y_labels);
        upper.x_label_area_size(6);
        let mut up = upper.build_cartesian_2d(x_range.clone(), vlo..vhi)?;
        up.configure_mesh().house().disable_x_mesh().x_labels(0).y_desc(value_desc).y_label_formatter(&|v| fmt_tick(*v)).draw()?;
        let mut lower = framed(&bottom, right, y_labels);
        lower.x_label_area_size(label_band);
        let mut low = lower.build_cartesian_2d(x_range, dlo..dhi)?;
        low.configure_mesh().house().disable_x_mesh().x_labels(0).y_desc(diff_desc).y_label_formatter(&|v| fmt_tick(*v)).draw()?;
        low.draw_series(std::iter::once(PathElement::new(vec![(-0.6, 0.0), (n as f64 - 0.4, 0.0)], INK.stroke_width(2))))?;

        // Light separators between groups of several slots.
        for i in 1..slots.len() {
            if slots[i].group != slots[i - 1].group && slots.iter().filter(|s| s.group == slots[i].group).count() > 1 {
                let x = i as f64 - 0.5;
                up.draw_series(std::iter::once(PathElement::new(vec![(x, vlo), (x, vhi)], GRID_BOLD.stroke_width(1))))?;
                low.draw_series(std::iter::once(PathElement::new(vec![(x, dlo), (x, dhi)], GRID_BOLD.stroke_width(1))))?;
            }
        }
        let px_per_slot = low.backend_coord(&(1.0, 0.0)).0 - low.backend_coord(&(0.0, 0.0)).0;
        // Caps of a fixed width in pixels, whatever the number of slots.
        let w = (14.0 / px_per_slot.max(1) as f64).min(0.2);
        let whisker = |x: f64, lo: f64, hi: f64, col: RGBColor| -> Vec<PathElement<(f64, f64)>> {
            vec![
                PathElement::new(vec![(x, lo), (x, hi)], col.stroke_width(3)),
                PathElement::new(vec![(x - w, lo), (x + w, lo)], col.stroke_width(3)),
                PathElement::new(vec![(x - w, hi), (x + w, hi)], col.stroke_width(3)),
            ]
        };
        for (i, s) in slots.iter().enumerate() {
            let (x, col, st) = (i as f64, colour(s.row.folder), s.row.stats);
            if st.ci_lo.is_finite() && st.ci_hi.is_finite() {
                up.draw_series(whisker(x, val(st.ci_lo), val(st.ci_hi), col))?;
            }
            if st.mean.is_finite() {
                up.draw_series(std::iter::once(Circle::new((x, val(st.mean)), 7, col.filled())))?;
                value_label(root, up.backend_coord(&(x, val(st.mean))), &means[i], px_per_slot)?;
            }
            match s.row.diff {
                Some(d) if d.diff.is_finite() => {
                    if d.lo.is_finite() && d.hi.is_finite() {
                        low.draw_series(whisker(x, val(d.lo), val(d.hi), col))?;
                    } else {
                        // No interval: a stem from zero, so the size reads at a glance.
                        low.draw_series(std::iter::once(PathElement::new(vec![(x, 0.0), (x, val(d.diff))], col.stroke_width(3))))?;
                    }
                    low.draw_series(std::iter::once(Circle::new((x, val(d.diff)), 7, col.filled())))?;
                    value_label(root, low.backend_coord(&(x, val(d.diff))), &diffs[i], px_per_slot)?;
                }
                None if s.row.base.is_none() => {
                    let (px, py) = low.backend_coord(&(x, 0.0));
                    let style = font_c(NOTE_PX - 3, MUTED).pos(text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Bottom));
                    root.draw(&Text::new("baseline".to_string(), (px, py - 6), style))?;
                }
                _ => {}
            }
        }

        // Group labels, centred under their slots, all at the one size that fits every group.
        let (_, y_axis_bottom) = low.backend_coord(&(0.0, dlo));
        let members = |g: usize| -> Vec<usize> { (0..slots.len()).filter(|&i| slots[i].group == g).collect() };
        let room = |g: usize| (px_per_slot * members(g).len() as i32 - 10).max(40) as u32;
        let mut px = TICK_PX;
        'size: while px > 13 {
            for (g, label) in groups.iter().enumerate() {
                for l in lines_of(label) {
                    if root.estimate_text_size(&l, &font(px))?.0 > room(g) {
                        px -= 1;
                        continue 'size;
                    }
                }
            }
            break;
        }
        for (g, label) in groups.iter().enumerate() {
            let m = members(g);
            let (Some(&first), Some(&last)) = (m.first(), m.last()) else { continue };
            let (cx, _) = low.backend_coord(&((first + last) as f64 / 2.0, 0.0));
            for (k, l) in lines_of(label).iter().enumerate() {
                let mut text = l.clone();
                while text.chars().count() > 4 && root.estimate_text_size(&text, &font(px))?.0 > room(g) {
                    text = format!("{}…", text.chars().take(text.chars().count() - 2).collect::<String>());
                }
                let style = font(px).pos(text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Top));
                root.draw(&Text::new(text, (cx, y_axis_bottom + 10 + 26 * k as i32), style))?;
            }
        }
        Ok(())
    }
}
