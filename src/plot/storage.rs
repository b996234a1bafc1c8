//! The chart of the shared checkpoint storage, drawn from the files `gigasim run`
//! wrote: the `storage` block of `summary.json`, `storage.csv` and the frontier's
//! checkpoints and interruptions in `frontier.csv`.
//!
//! A run without storage (or a folder written before these existed) gets no chart, and no error.

use super::run::{RunHeader, read_csv, read_json};
use super::*;
use serde::Deserialize;

/// The charts [`storage_charts`] writes, in order.
pub(crate) const STORAGE_CHART_STEMS: [&str; 1] = ["storage"];

const WRITE: RGBColor = RGBColor(0x1f, 0x4e, 0x8c);
const READ: RGBColor = RGBColor(0xe0, 0x7b, 0x1f);
const CHECKPOINT: RGBColor = RGBColor(0x2e, 0x7d, 0x32);
const INTERRUPTION: RGBColor = RGBColor(0xc6, 0x28, 0x28);

/// Hours shown in the close-up.
const WINDOW_H: f64 = 3.0;

pub(crate) fn storage_charts(dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let s: Summary = read_json(&dir.join("summary.json"))?;
    let path = dir.join("storage.csv");
    let Some(st) = &s.storage else { return Ok(Vec::new()) };
    if !path.exists() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = read_csv(&path)?;
    let frontier_path = dir.join("frontier.csv");
    let marks: Vec<Mark> = if frontier_path.exists() { read_csv(&frontier_path)? } else { Vec::new() };
    render(&StorageChart { s: &s, st, rows: &rows, marks: &marks }, out)
}

#[derive(Debug, Deserialize)]
struct Summary {
    #[serde(flatten)]
    head: RunHeader,
    #[serde(default)]
    storage: Option<Storage>,
}

#[derive(Debug, Deserialize)]
struct Storage {
    write_gbps: f64,
    written_tb: f64,
    read_tb: f64,
    busy_fraction: f64,
    contention_slowdown: f64,
}

#[derive(Clone, Copy, Debug, Deserialize)]
struct Row {
    start_h: f64,
    end_h: f64,
    write_gbps: f64,
    read_gbps: f64,
    write_peak_gbps: f64,
    read_peak_gbps: f64,
}

#[derive(Debug, Deserialize)]
struct Mark {
    time_h: f64,
    event: String,
}

fn fmt_bytes_tb(tb: f64) -> String {
    if tb >= 1000.0 { format!("{} PB", fmt_int((tb / 1000.0).round() as u64)) } else { format!("{} TB", fmt_sig(tb, 3)) }
}

struct StorageChart<'a> {
    s: &'a Summary,
    st: &'a Storage,
    rows: &'a [Row],
    marks: &'a [Mark],
}

impl Chart for StorageChart<'_> {
    fn stem(&self) -> String {
        "storage".into()
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult<DB> {
        let (s, st) = (self.s, self.st);
        let peak_w = self.rows.iter().map(|r| r.write_peak_gbps).fold(0.0, f64::max);
        let title = format!(
            "Checkpoint storage: busy {} of the time; writes peak at {} of its {} GB/s",
            fmt_pct(st.busy_fraction),
            fmt_pct(if st.write_gbps > 0.0 { peak_w / st.write_gbps } else { 0.0 }),
            fmt_int(st.write_gbps.round() as u64)
        );
        let sub = format!(
            "{} · {} written, {} read · contention slowed transfers {}",
            s.head.subtitle(),
            fmt_bytes_tb(st.written_tb),
            fmt_bytes_tb(st.read_tb),
            fmt_pct((st.contention_slowdown - 1.0).max(0.0))
        );
        let area = heading(root, &title, &sub)?;
        let keys = vec![
            Key::new(Swatch::Line(WRITE, 3), "written (daily mean)"),
            Key::new(Swatch::Line(READ, 3), "read back at restarts (daily mean)"),
            Key::new(Swatch::Band(WRITE, 0.8), "write peak in a bin"),
            Key::new(Swatch::Band(READ, 0.8), "read peak in a bin"),
            Key::new(Swatch::Tick(CHECKPOINT), "frontier checkpoint"),
            Key::new(Swatch::Tick(INTERRUPTION), "frontier interruption"),
        ];
        let area = legend_band(&area, &keys, 112)?;
        let (_, h) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(h * 42 / 100);
        let x1 = s.head.horizon_days.max(1e-9);

        // The whole run: bandwidth used on each day's average (GB moved over the day).
        let days = x1.ceil().max(1.0) as usize;
        let mut daily = vec![(0.0, 0.0, 0.0); days];
        for r in self.rows {
            let d = ((r.start_h / 24.0) as usize).min(days - 1);
            let secs = (r.end_h - r.start_h) * 3600.0;
            daily[d].0 += r.write_gbps * secs;
            daily[d].1 += r.read_gbps * secs;
            daily[d].2 += secs;
        }
        let daily: Vec<(f64, f64, f64)> =
            daily.iter().enumerate().filter(|d| d.1.2 > 0.0).map(|(i, &(w, r, secs))| (i as f64 + 0.5, w / secs, r / secs)).collect();
        let top_max = headroom(daily.iter().map(|d| d.1.max(d.2)).fold(1e-9, f64::max), 1.2);
        let mut c = framed(&top, 28, 110).margin_top(4).x_label_area_size(50).build_cartesian_2d(0.0..x1, 0.0..top_max)?;
        c.configure_mesh()
            .house()
            .disable_x_mesh()
            .x_desc("time since start (days)")
            .y_desc("mean GB/s")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        c.draw_series(LineSeries::new(daily.iter().map(|d| (d.0, d.1)), WRITE.stroke_width(3)))?;
        c.draw_series(LineSeries::new(daily.iter().map(|d| (d.0, d.2)), READ.stroke_width(3)))?;
        if self.rows.iter().all(|r| r.write_peak_gbps == 0.0 && r.read_peak_gbps == 0.0) {
            centred_note(&c.plotting_area().strip_coord_spec(), "no checkpoint went through the storage in this run")?;
        }
        let ymax = headroom(self.rows.iter().map(|r| r.write_peak_gbps.max(r.read_peak_gbps)).fold(1e-9, f64::max), 1.25);

        // A close-up of three hours around the busiest read (a restart reading its
        // checkpoint back), else the busiest write, with the frontier's milestones.
        let busiest = self
            .rows
            .iter()
            .max_by(|a, b| a.read_peak_gbps.total_cmp(&b.read_peak_gbps).then(a.write_peak_gbps.total_cmp(&b.write_peak_gbps)))
            .copied();
        let end_h = s.head.horizon_days * 24.0;
        let from = busiest.map_or(0.0, |r| (r.start_h - WINDOW_H / 2.0).clamp(0.0, (end_h - WINDOW_H).max(0.0)));
        let to = (from + WINDOW_H).min(end_h.max(from + 1e-9));
        let mut c = framed(&bottom, 28, 110).margin_top(10).build_cartesian_2d(from..to, 0.0..ymax)?;
        c.configure_mesh()
            .house()
            .disable_x_mesh()
            .x_desc(format!(
                "time since start (hours): a close-up of {} around the busiest read; each bar is one bin's peak",
                fmt_duration_h(WINDOW_H)
            ))
            .y_desc("peak GB/s")
            .x_label_formatter(&|v| fmt_tick(*v))
            .y_label_formatter(&|v| fmt_tick(*v))
            .draw()?;
        for r in self.rows.iter().filter(|r| r.end_h > from && r.start_h < to) {
            let (a, b) = (r.start_h.max(from), r.end_h.min(to));
            let mid = (a + b) / 2.0;
            if r.write_peak_gbps > 0.0 {
                c.draw_series([Rectangle::new([(a, 0.0), (mid, r.write_peak_gbps)], WRITE.mix(0.8).filled())])?;
            }
            if r.read_peak_gbps > 0.0 {
                c.draw_series([Rectangle::new([(mid, 0.0), (b, r.read_peak_gbps)], READ.mix(0.8).filled())])?;
            }
        }
        for m in self.marks.iter().filter(|m| m.time_h >= from && m.time_h <= to) {
            let colour = match m.event.as_str() {
                "checkpoint" => CHECKPOINT,
                "interruption" => INTERRUPTION,
                _ => continue,
            };
            c.draw_series([PathElement::new(vec![(m.time_h, ymax * 0.9), (m.time_h, ymax)], colour.stroke_width(2))])?;
        }
        Ok(())
    }
}
