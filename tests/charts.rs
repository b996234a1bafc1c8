//! Charts are drawn from files only: a short run written by the library, and
//! synthetic sweep directories. Every chart must come out as a well-formed SVG
//! and a PNG of the promised size, with its title in the SVG text.

use gigasim::plot::{HEIGHT, Reference, WIDTH, run_charts, sweep_charts};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- text layout in an SVG

/// One `<text>` element of an SVG and the box its glyphs cover (estimated), in canvas pixels.
#[derive(Debug, Clone)]
struct TextBox {
    body: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// Advance width of a character in DejaVu Sans, in em (from the font's metrics, rounded).
fn char_em(c: char) -> f64 {
    match c {
        ' ' | ',' | '.' | '·' => 0.3179,
        'i' | 'j' | 'l' => 0.278,
        'I' | 'J' => 0.295,
        ':' | ';' | '/' | '\\' | '|' => 0.337,
        'f' => 0.352,
        '-' => 0.361,
        '(' | ')' | '[' | ']' | 'r' => 0.39,
        't' => 0.392,
        '!' => 0.4,
        '\'' | '"' | '`' => 0.4,
        '_' | '*' | '–' => 0.5,
        'z' | 's' => 0.525,
        'c' | '?' => 0.55,
        'k' | 'v' | 'x' | 'y' | 'L' | 'F' => 0.59,
        'a' | 'e' | 'o' | 'T' | 'Y' | 'P' => 0.615,
        'E' | 'S' | 'b' | 'd' | 'g' | 'h' | 'n' | 'p' | 'q' | 'u' | '0'..='9' | '$' | '{' | '}' => 0.636,
        'K' | 'A' | 'B' | 'R' | 'X' | 'Z' | 'V' | 'C' => 0.69,
        'U' | 'H' | 'N' | 'D' | 'G' | 'O' | 'Q' | '&' => 0.78,
        'w' => 0.818,
        '+' | '<' | '>' | '=' | '^' | '~' | '#' | '−' | '×' | '→' | '≥' | '≤' | '±' => 0.838,
        'M' => 0.863,
        '%' | 'm' => 0.974,
        'W' | '@' | '—' => 1.0,
        _ => 0.65,
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&apos;", "'").replace("&amp;", "&")
}

/// How much larger text is in the PNG than the SVG's font-size says (1.24 / 1.164).
const PNG_OVER_SVG: f64 = 1.24 / 1.164;

/// Every non-empty `<text>` of `svg` with its estimated box: width from the characters and the
/// font size, height from the font's ascent (0.76 em) and descent (0.24 em) about the baseline,
/// placed by `text-anchor`, `dy` and a `rotate(angle, cx, cy)` transform as plotters writes them.
fn text_boxes(svg: &str) -> Vec<TextBox> {
    let mut out = Vec::new();
    for t in svg.split("<text").skip(1) {
        let (tag, rest) = t.split_once('>').unwrap_or((t, ""));
        let body = unescape(rest.split("</text>").next().unwrap_or("").trim());
        if body.is_empty() {
            continue;
        }
        let attr = |name: &str| tag.split(&format!(" {name}=\"")).nth(1).and_then(|r| r.split('"').next()).map(str::to_string);
        let num = |name: &str| attr(name).and_then(|v| v.trim_end_matches("px").parse::<f64>().ok());
        let (x, y) = (num("x").expect("text without x"), num("y").expect("text without y"));
        // plotters writes a size `px` as font-size px/1.24 in the SVG but draws the PNG at
        // px/1.164 to the em (DejaVu's ascent plus descent): measure as the larger PNG draws it.
        let fs = num("font-size").unwrap_or(16.0) * PNG_OVER_SVG;
        let dy = match attr("dy").as_deref() {
            Some(d) if d.ends_with("em") => d.trim_end_matches("em").parse::<f64>().unwrap_or(0.0) * fs,
            Some(d) if d.ends_with("ex") => d.trim_end_matches("ex").parse::<f64>().unwrap_or(0.0) * 0.55 * fs,
            Some(d) => d.parse::<f64>().unwrap_or(0.0),
            None => 0.0,
        };
        let w: f64 = body.chars().map(char_em).sum::<f64>() * fs;
        let (l, r) = match attr("text-anchor").as_deref() {
            Some("middle") => (-w / 2.0, w / 2.0),
            Some("end") => (-w, 0.0),
            _ => (0.0, w),
        };
        let (top, bottom) = (dy - 0.76 * fs, dy + 0.24 * fs);
        // Corners relative to the anchor, then the rotation about (cx, cy).
        let corners = [(x + l, y + top), (x + r, y + top), (x + l, y + bottom), (x + r, y + bottom)];
        let rot = attr("transform").and_then(|tr| {
            let inner = tr.strip_prefix("rotate(")?.strip_suffix(')')?.to_string();
            let v: Vec<f64> = inner.split(',').map(|p| p.trim().parse().unwrap_or(0.0)).collect();
            Some((v.first().copied()?, v.get(1).copied().unwrap_or(0.0), v.get(2).copied().unwrap_or(0.0)))
        });
        let pts: Vec<(f64, f64)> = match rot {
            Some((deg, cx, cy)) => {
                let (sin, cos) = deg.to_radians().sin_cos();
                corners.iter().map(|&(px, py)| (cx + (px - cx) * cos - (py - cy) * sin, cy + (px - cx) * sin + (py - cy) * cos)).collect()
            }
            None => corners.to_vec(),
        };
        let fold = |f: fn(f64, f64) -> f64, init: f64, g: fn(&(f64, f64)) -> f64| pts.iter().map(g).fold(init, f);
        out.push(TextBox {
            body,
            x0: fold(f64::min, f64::INFINITY, |p| p.0),
            x1: fold(f64::max, f64::NEG_INFINITY, |p| p.0),
            y0: fold(f64::min, f64::INFINITY, |p| p.1),
            y1: fold(f64::max, f64::NEG_INFINITY, |p| p.1),
        });
    }
    out
}

/// What is wrong with the text of `svg`: a text not wholly on the `w`×`h` canvas, or two texts
/// whose boxes overlap (by more than 1.5 px each way, the slack of the width estimate).
fn layout_problems(svg: &str, w: f64, h: f64) -> Vec<String> {
    let boxes = text_boxes(svg);
    let mut problems = Vec::new();
    for b in &boxes {
        if b.x0 < 0.0 || b.y0 < 0.0 || b.x1 > w || b.y1 > h {
            problems.push(format!("{:?} spans ({:.0}, {:.0})–({:.0}, {:.0}), off the {w}×{h} canvas", b.body, b.x0, b.y0, b.x1, b.y1));
        }
    }
    const SLACK: f64 = 1.5;
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let ox = a.x1.min(b.x1) - a.x0.max(b.x0);
            let oy = a.y1.min(b.y1) - a.y0.max(b.y0);
            if ox > SLACK && oy > SLACK {
                problems.push(format!(
                    "{:?} at ({:.0}, {:.0})–({:.0}, {:.0}) overlaps {:?} at ({:.0}, {:.0})–({:.0}, {:.0})",
                    a.body, a.x0, a.y0, a.x1, a.y1, b.body, b.x0, b.y0, b.x1, b.y1
                ));
            }
        }
    }
    problems
}

/// Check `stem.svg` and `stem.png` in `out`: present, non-empty, well-formed, titled, right size,
/// every text on the canvas and clear of every other text.
fn check_chart(out: &Path, stem: &str, title: &str) {
    let svg_path = out.join(format!("{stem}.svg"));
    let svg = std::fs::read_to_string(&svg_path).unwrap_or_else(|e| panic!("{}: {e}", svg_path.display()));
    assert!(!svg.is_empty(), "{stem}.svg is empty");
    let head = svg.trim_start();
    assert!(
        head.starts_with("<svg") || head.starts_with("<?xml"),
        "{stem}.svg does not start like an SVG: {:?}",
        &head[..head.len().min(60)]
    );
    assert!(svg.trim_end().ends_with("</svg>"), "{stem}.svg is not closed");
    assert!(svg.contains(&format!("width=\"{WIDTH}\"")) && svg.contains(&format!("height=\"{HEIGHT}\"")), "{stem}.svg has the wrong size");
    let titled = text_boxes(&svg).iter().any(|t| t.body.contains(title));
    assert!(titled, "{stem}.svg has no <text> element containing {title:?}");
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count(), "{stem}.svg has unbalanced <text> elements");
    let problems = layout_problems(&svg, WIDTH as f64, HEIGHT as f64);
    assert!(problems.is_empty(), "{stem}.svg: text misplaced:\n  {}", problems.join("\n  "));

    let png_path = out.join(format!("{stem}.png"));
    let png = std::fs::read(&png_path).unwrap_or_else(|e| panic!("{}: {e}", png_path.display()));
    assert!(png.len() > 24, "{stem}.png is too short");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}.png lacks the PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "{stem}.png does not start with IHDR");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (WIDTH, HEIGHT), "{stem}.png has the wrong size");
    // A chart with text and lines compresses far worse than a blank page (about 10 kB).
    assert!(png.len() > 20_000, "{stem}.png is suspiciously small ({} bytes): is anything drawn?", png.len());
}

/// Every chart in `out` (by its SVG) passes [`check_chart`]; returns the stems checked.
fn check_every_chart(out: &Path) -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".svg").map(str::to_string))
        .collect();
    stems.sort();
    for stem in &stems {
        check_chart(out, stem, "");
    }
    stems
}

#[test]
fn the_layout_check_catches_misplaced_and_overlapping_labels() {
    let text = |x: f64, y: f64, anchor: &str, body: &str| {
        format!(
            "<text x=\"{x}\" y=\"{y}\" dy=\"0.76em\" text-anchor=\"{anchor}\" font-family=\"sans-serif\" font-size=\"16.9\">\n{body}\n</text>\n"
        )
    };
    let svg = |texts: &[String]| format!("<svg width=\"1400\" height=\"800\">\n{}</svg>", texts.concat());
    // Apart and on the canvas: nothing to say.
    let ok = svg(&[text(100.0, 100.0, "start", "facility, mean of each day"), text(100.0, 130.0, "start", "IT, mean of each day")]);
    assert!(layout_problems(&ok, 1400.0, 800.0).is_empty(), "{:?}", layout_problems(&ok, 1400.0, 800.0));
    // A label running off the right edge (anchored inside it).
    let off = svg(&[text(1300.0, 100.0, "start", "largest fall: 95.9 MW on day 140.41")]);
    let p = layout_problems(&off, 1400.0, 800.0);
    assert!(p.len() == 1 && p[0].contains("off the"), "{p:?}");
    // A marker label written over a legend entry.
    let over = svg(&[text(100.0, 100.0, "start", "Young's optimum: 7.39 min"), text(180.0, 108.0, "start", "Daly's optimum: 6.73 min")]);
    let p = layout_problems(&over, 1400.0, 800.0);
    assert!(p.len() == 1 && p[0].contains("overlaps"), "{p:?}");
    // Rotated axis names count by their rotated box: one crossing tick labels is caught.
    let rotated = "<svg width=\"1400\" height=\"800\">\n<text x=\"60\" y=\"400\" dy=\"0.76em\" text-anchor=\"middle\" font-size=\"19.4\" transform=\"rotate(270, 60, 400)\">\nRestart time (min)\n</text>\n<text x=\"120\" y=\"400\" dy=\"0.5ex\" text-anchor=\"end\" font-size=\"16.9\">\n0.03333\n</text>\n</svg>";
    let p = layout_problems(rotated, 1400.0, 800.0);
    assert!(p.len() == 1 && p[0].contains("overlaps"), "{p:?}");
}

/// The returned paths are exactly `stem.svg` and `stem.png` for each stem.
fn check_returned(files: &[PathBuf], out: &Path, stems: &[&str]) {
    let got: BTreeSet<PathBuf> = files.iter().cloned().collect();
    let want: BTreeSet<PathBuf> = stems.iter().flat_map(|s| [out.join(format!("{s}.svg")), out.join(format!("{s}.png"))]).collect();
    assert_eq!(got, want);
    assert_eq!(files.len(), want.len(), "a chart was returned twice");
    let leftovers: Vec<_> =
        std::fs::read_dir(out).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().contains("partial")).collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
}

/// The charts of a run and their titles (the text each SVG must hold).
const RUN_CHARTS: [(&str, &str); 15] = [
    ("power", "Facility power"),
    ("power_zoom", "Largest power drop"),
    ("power_drops", "Instantaneous falls of facility power"),
    ("failures_per_day", "Failures a day"),
    ("time_breakdown", "Where the chip-time went"),
    ("frontier_progress", "Frontier training progress"),
    ("repair_pipeline", "Spare nodes and repair crews"),
    ("failures_per_node", "Failures per node"),
    ("tenant_shares", "Tenant shares"),
    ("tenant_waits", "Tenant waits"),
    ("queue", "Tenant queue"),
    ("cost_breakdown", "What a useful chip-hour cost"),
    ("price_week", "Draw from the grid and electricity price"),
    ("grid_battery", "Grid draw behind the site battery"),
    ("storage", "Checkpoint storage"),
];

/// A site battery for the default scenario (which has none), so that `grid_battery` is drawn.
const BATTERY: &str = r#"power.battery={"capacity_mwh": 20, "power_mw": 100, "round_trip_efficiency": 0.9, "initial_soc": 0.5, "target_soc": 0.5, "restore_mw": 5, "grid_ramp_mw_per_min": 10}"#;

/// Run `sets` on the default scenario, write its files into `dir/run` and its charts into `dir/charts`.
fn run_and_draw(dir: &Path, sets: &[String]) -> (PathBuf, PathBuf, Vec<PathBuf>) {
    let s = gigasim::config::apply_sets(&gigasim::config::default_scenario(), sets).unwrap();
    let report = gigasim::Simulation::new(&s).run();
    let run = dir.join("run");
    gigasim::output::write_run(&report, &run).unwrap();
    let out = dir.join("charts");
    let files = run_charts(&run, &out).unwrap();
    (run, out, files)
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn run_charts_draw_every_chart_of_a_short_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (run, out, files) = run_and_draw(tmp.path(), &["horizon_days=5".into(), BATTERY.into()]);
    check_returned(&files, &out, &RUN_CHARTS.map(|c| c.0));
    assert_eq!(gigasim::plot::RUN_CHART_STEMS, RUN_CHARTS.map(|c| c.0));
    for (stem, title) in RUN_CHARTS {
        check_chart(&out, stem, title);
    }
    // What the charts say comes from the files: the ETTR in the title, the drop in MW.
    let summary = json(&run.join("summary.json"));
    let ettr = summary["ettr"].as_f64().unwrap();
    let progress = std::fs::read_to_string(out.join("frontier_progress.svg")).unwrap();
    assert!(progress.contains(&format!("ETTR {:.3}", ettr).trim_end_matches('0').to_string()), "ETTR {ettr} not shown");
    let drop = summary["power"]["max_drop_mw"].as_f64().unwrap();
    let zoom = std::fs::read_to_string(out.join("power_zoom.svg")).unwrap();
    assert!(drop > 1.0 && zoom.contains(&format!("{:.0}", drop.trunc())), "drop of {drop} MW not annotated");
    // Time axes of a run of days are in days.
    for stem in ["power", "failures_per_day", "frontier_progress"] {
        let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
        assert!(text_boxes(&svg).iter().any(|t| t.body.contains("(days)")), "{stem}: no axis in days");
    }
}

/// The default scenario as `gigasim` runs it (180 days): every chart keeps its text on the canvas
/// and apart, and the numbers drawn agree with the files they come from.
#[test]
fn default_run_charts_are_readable_and_agree_with_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (run, out, files) = run_and_draw(tmp.path(), &[]);
    let summary = json(&run.join("summary.json"));
    // The default power model has no battery: every chart but the battery's, which the short run checks.
    assert!(summary["battery"].is_null());
    let drawn: Vec<(&str, &str)> = RUN_CHARTS.into_iter().filter(|c| !gigasim::plot::BATTERY_CHART_STEMS.contains(&c.0)).collect();
    check_returned(&files, &out, &drawn.iter().map(|c| c.0).collect::<Vec<_>>());
    for (stem, title) in drawn {
        check_chart(&out, stem, title);
    }
    let days = summary["horizon_days"].as_f64().unwrap();

    // power_drops: the exceedance curve is drawn from drops.csv; the 10/50/90 MW counts of
    // summary.json it marks must agree with that file.
    let drops: Vec<f64> = std::fs::read_to_string(run.join("drops.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    let svg = std::fs::read_to_string(out.join("power_drops.svg")).unwrap();
    let texts: Vec<String> = text_boxes(&svg).into_iter().map(|t| t.body).collect();
    for (key, per_day) in summary["power"]["drops"]["per_day_over_mw"].as_object().unwrap() {
        let t: f64 = key.parse().unwrap();
        let per_day = per_day.as_f64().unwrap();
        let from_csv = drops.iter().filter(|&&d| d > t).count() as f64 / days;
        assert!((from_csv - per_day).abs() <= 1.0 / days, "over {t} MW: drops.csv {from_csv} a day, summary.json {per_day}");
        let shown = format!("{t} MW: {} a day", fmt4(per_day));
        assert!(texts.iter().any(|b| b.contains(&shown)), "power_drops does not show {shown:?}: {texts:?}");
    }
    assert!(!texts.iter().any(|b| b.contains("drops.csv says")), "power_drops reports a disagreement: {texts:?}");

    // storage: the busy share in its title is summary.json's.
    let busy = summary["storage"]["busy_fraction"].as_f64().unwrap();
    let svg = std::fs::read_to_string(out.join("storage.svg")).unwrap();
    let title = text_boxes(&svg).into_iter().map(|t| t.body).find(|b| b.contains("busy ")).expect("a busy share in the title");
    let text = title.split("busy ").nth(1).and_then(|t| t.split('%').next()).expect("busy N%");
    let pct: f64 = text.parse().unwrap();
    // Rounded to the last digit shown.
    let decimals = text.split('.').nth(1).map_or(0, str::len) as i32;
    assert!((pct - 100.0 * busy).abs() <= 0.5 * 10f64.powi(-decimals) + 1e-12, "storage shows busy {pct}%, summary.json {busy}");

    // frontier_progress: the work target and, the job unfinished, its projected finish day.
    let f = &summary["frontier"][0];
    let svg = std::fs::read_to_string(out.join("frontier_progress.svg")).unwrap();
    let work = f["work_hours"].as_f64().unwrap();
    assert!(svg.contains(&format!("work target: {} h", thousands(work))), "work target {work} h not shown");
    assert!(f["finished_hours"].is_null());
    let day = f["projected_finish_days"].as_f64().unwrap();
    assert!(svg.contains(&format!("done on day {}", fmt4(day))), "projected finish day {day} not shown");

    // failures_per_day: permanent and transient add up to failures.csv, as summary.json says.
    let svg = std::fs::read_to_string(out.join("failures_per_day.svg")).unwrap();
    let permanent = summary["failures"]["permanent"].as_u64().unwrap();
    let total = summary["failures"]["total"].as_u64().unwrap();
    assert!(svg.contains(&format!("{} permanent", thousands(permanent as f64))), "permanent count not shown");
    assert!(svg.contains(&format!("{} transient", thousands((total - permanent) as f64))), "transient count not shown");

    // power: the time of the largest fall in days, never in hours.
    let svg = std::fs::read_to_string(out.join("power.svg")).unwrap();
    let at = summary["power"]["max_drop_at_hours"].as_f64().unwrap();
    assert!(svg.contains(&format!("day {:.2}", at / 24.0)), "largest fall not dated in days");
    // The zoom dates it in days too, but within the first two days, where a reader counts hours.
    let zoom = std::fs::read_to_string(out.join("power_zoom.svg")).unwrap();
    assert_eq!(zoom.contains(&format!("{at:.2} h")), at < 48.0, "power_zoom dates the drop at {at} h in the wrong unit");
}

/// Four significant digits, as the charts print counts a day and days.
fn fmt4(v: f64) -> String {
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn run_charts_name_the_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    let err = run_charts(tmp.path(), &tmp.path().join("charts")).unwrap_err();
    assert!(format!("{err:#}").contains("summary.json"), "{err:#}");
}

const METRICS: &str = r#"["ettr", "goodput", "power.facility_mean_mw"]"#;

/// A synthetic sweep directory: a smooth response with a confidence band.
fn write_sweep(dir: &Path, params: &[(&str, &[f64])], skip_point: Option<usize>) {
    std::fs::create_dir_all(dir).unwrap();
    let ps: Vec<String> = params
        .iter()
        .map(|(p, v)| format!("{{\"path\": \"{p}\", \"values\": [{}]}}", v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ")))
        .collect();
    let json = format!(
        "{{\"name\": \"synthetic\", \"base\": \"models/scenarios/gigafactory-100k.ron\", \"replications\": 5, \"parameters\": [{}], \"metrics\": {METRICS}}}",
        ps.join(", ")
    );
    std::fs::write(dir.join("sweep.json"), json).unwrap();
    let mut csv = String::from("point");
    for (p, _) in params {
        csv += &format!(",{p}");
    }
    csv += ",n";
    for m in ["ettr", "goodput", "power.facility_mean_mw"] {
        csv += &format!(",{m}_mean,{m}_sd,{m}_ci_lo,{m}_ci_hi");
    }
    csv += "\n";
    // Row-major over the grid, first parameter fastest.
    let total: usize = params.iter().map(|p| p.1.len()).product();
    for point in 0..total {
        let mut rest = point;
        let vals: Vec<f64> = params
            .iter()
            .map(|(_, v)| {
                let x = v[rest % v.len()];
                rest /= v.len();
                x
            })
            .collect();
        if Some(point) == skip_point {
            continue;
        }
        let x = vals[0];
        let c = vals.get(1).copied().unwrap_or(4.0);
        let ettr = 0.9 - 0.3 * x - 0.02 / x.max(0.01) - 0.01 / c;
        let metrics = [(ettr, 0.004), (ettr * 0.97, 0.004), (150.0 - 10.0 * x + c, 0.6)];
        csv += &format!("{point}");
        for v in &vals {
            csv += &format!(",{v}");
        }
        csv += ",5";
        for (mean, sd) in metrics {
            let half = 2.776 * sd / 5f64.sqrt();
            csv += &format!(",{mean},{sd},{},{}", mean - half, mean + half);
        }
        csv += "\n";
    }
    std::fs::write(dir.join("points.csv"), csv).unwrap();
}

const P0: &str = "workload.frontier[0].checkpoint.interval_hours";
const P1: &str = "failure.repair.crews";

#[test]
fn sweep_charts_with_one_parameter() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    write_sweep(&dir, &[(P0, &[0.05, 0.1, 0.2, 0.4, 0.8])], None);
    let out = tmp.path().join("charts");
    let files = sweep_charts(&dir, &out).unwrap();
    let charts = [
        ("ettr_vs_interval_hours", "ETTR vs checkpoint interval"),
        ("goodput_vs_interval_hours", "Goodput vs checkpoint interval"),
        ("power_facility_mean_mw_vs_interval_hours", "Mean facility power vs checkpoint interval"),
    ];
    check_returned(&files, &out, &charts.map(|c| c.0));
    for (stem, title) in charts {
        check_chart(&out, stem, title);
    }
}

#[test]
fn sweep_charts_with_two_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    write_sweep(&dir, &[(P0, &[0.05, 0.1, 0.2]), (P1, &[2.0, 4.0])], None);
    let out = tmp.path().join("charts");
    let files = sweep_charts(&dir, &out).unwrap();
    let charts = [
        ("ettr_vs_interval_hours", "ETTR vs checkpoint interval"),
        ("ettr_heatmap", "ETTR over checkpoint interval × repair crews"),
        ("goodput_vs_interval_hours", "Goodput vs checkpoint interval"),
        ("goodput_heatmap", "Goodput over checkpoint interval × repair crews"),
        ("power_facility_mean_mw_vs_interval_hours", "Mean facility power vs checkpoint interval"),
        ("power_facility_mean_mw_heatmap", "Mean facility power over checkpoint interval × repair crews"),
    ];
    check_returned(&files, &out, &charts.map(|c| c.0));
    for (stem, title) in charts {
        check_chart(&out, stem, title);
    }
    // The legend names the second parameter's values; the heat map writes the means in its cells.
    let lines = std::fs::read_to_string(out.join("ettr_vs_interval_hours.svg")).unwrap();
    let legend: Vec<String> = text_boxes(&lines).into_iter().map(|t| t.body).collect();
    assert!(legend.iter().any(|t| t == "Repair crews"), "legend does not name the second parameter: {legend:?}");
    assert!(legend.iter().any(|t| t == "2") && legend.iter().any(|t| t == "4"), "legend does not name the crews values: {legend:?}");
    // Ticks of a parameter in hours below two hours are in minutes: 3, 6, 12, not 0.05, 0.1, 0.2.
    assert!(legend.iter().any(|t| t == "Checkpoint interval (min)"), "x axis not in minutes: {legend:?}");
    for tick in ["3", "6", "12"] {
        assert!(legend.iter().any(|t| t == tick), "tick {tick} missing: {legend:?}");
    }
    let heat = std::fs::read_to_string(out.join("ettr_heatmap.svg")).unwrap();
    let ettr = 0.9 - 0.3 * 0.1 - 0.02 / 0.1 - 0.01 / 4.0;
    assert!(heat.contains(&format!("{ettr:.3}")), "cell value {ettr:.3} not written");
}

#[test]
fn sweep_charts_hold_extra_parameters_and_survive_a_missing_point() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    write_sweep(&dir, &[(P0, &[0.1, 1.0, 10.0]), (P1, &[1.0, 2.0, 4.0]), ("failure.spares.initial", &[0.0, 100.0])], Some(4));
    let out = tmp.path().join("charts");
    let files = sweep_charts(&dir, &out).unwrap();
    assert_eq!(files.len(), 12);
    check_chart(&out, "ettr_heatmap", "ETTR over checkpoint interval × repair crews");
    check_every_chart(&out);
    let heat = std::fs::read_to_string(out.join("ettr_heatmap.svg")).unwrap();
    assert!(heat.contains("others held at: initial 0"), "the held parameter is not named");
    assert!(heat.contains("no data"), "the missing point is not marked");
}

#[test]
fn sweep_charts_with_a_second_parameter_of_one_value() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    write_sweep(&dir, &[(P0, &[0.1, 0.2, 0.5]), (P1, &[4.0])], None);
    let out = tmp.path().join("charts");
    assert_eq!(sweep_charts(&dir, &out).unwrap().len(), 12);
    check_chart(&out, "ettr_heatmap", "ETTR over checkpoint interval × repair crews");
    check_chart(&out, "ettr_vs_interval_hours", "ETTR vs checkpoint interval");
    let heat = std::fs::read_to_string(out.join("ettr_heatmap.svg")).unwrap();
    let ettr = 0.9 - 0.3 * 0.2 - 0.02 / 0.2 - 0.01 / 4.0;
    assert!(heat.contains(&format!("{ettr:.3}")), "cell value {ettr:.3} not written");
}

#[test]
fn sweep_charts_reject_a_points_file_without_a_metric() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    write_sweep(&dir, &[(P0, &[0.1, 0.2])], None);
    let csv = std::fs::read_to_string(dir.join("points.csv")).unwrap();
    std::fs::write(dir.join("points.csv"), csv.replace("goodput_mean", "goodput_average")).unwrap();
    let err = sweep_charts(&dir, &tmp.path().join("charts")).unwrap_err();
    assert!(format!("{err:#}").contains("goodput_mean"), "{err:#}");
}

/// The shipped checkpoint-interval sweep, shortened (3 days, 2 replications): every chart a
/// real sweep writes keeps its text on the canvas and apart.
#[test]
fn a_real_sweep_draws_readable_charts() {
    let sweep = gigasim::sweep::Sweep::load(Path::new("models/sweeps/checkpoint-interval.ron")).unwrap();
    let mut sweep = sweep.with_sets(&["horizon_days=3".into()], "--set").unwrap();
    sweep.replications = 2;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    gigasim::sweep::run(&sweep, &dir, &gigasim::sweep::Options::default()).unwrap();
    let out = tmp.path().join("charts");
    let files = sweep_charts(&dir, &out).unwrap();
    let stems = check_every_chart(&out);
    assert_eq!(files.len(), 2 * stems.len());
    // Two parameters: a line chart and a heat map per metric.
    assert_eq!(stems.len(), 2 * sweep.metrics.len(), "{stems:?}");
}

/// Theory over a sweep (as the checkpoint_interval example draws it): the expected curve and
/// the optima are named in the legend, in the axis unit, clear of each other.
#[test]
fn sweep_references_are_named_in_the_legend() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    let minutes = [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0, 45.0, 60.0];
    let hours: Vec<f64> = minutes.iter().map(|m| m / 60.0).collect();
    write_sweep(&dir, &[(P0, &hours)], None);
    let out = tmp.path().join("charts");
    let curve: Vec<(f64, f64)> = (0..=100).map(|i| 0.02 + 0.01 * i as f64).map(|x| (x, 0.9 - 0.3 * x - 0.02 / x - 0.0025)).collect();
    let refs = [
        Reference::Curve { label: "Daly (2006): expected ETTR".into(), metric: "ettr".into(), points: curve },
        Reference::Marker { label: "Young's optimum".into(), at: 0.1232 },
        Reference::Marker { label: "Daly's optimum".into(), at: 0.1122 },
    ];
    gigasim::plot::sweep_charts_with(&dir, &out, &refs).unwrap();
    check_every_chart(&out);
    let texts: Vec<String> =
        text_boxes(&std::fs::read_to_string(out.join("ettr_vs_interval_hours.svg")).unwrap()).into_iter().map(|t| t.body).collect();
    for want in ["Daly (2006): expected ETTR", "Young's optimum: 7.39 min", "Daly's optimum: 6.73 min", "Checkpoint interval (min)"] {
        assert!(texts.iter().any(|t| t == want), "{want:?} not in {texts:?}");
    }
    // Every swept interval has its tick label, in minutes.
    for m in minutes {
        assert!(texts.iter().any(|t| *t == format!("{m}")), "tick {m} missing: {texts:?}");
    }
    // The curve is for ETTR only; the optima mark every line chart.
    let goodput: Vec<String> =
        text_boxes(&std::fs::read_to_string(out.join("goodput_vs_interval_hours.svg")).unwrap()).into_iter().map(|t| t.body).collect();
    assert!(
        !goodput.iter().any(|t| t.contains("expected ETTR")) && goodput.iter().any(|t| t.starts_with("Young's optimum")),
        "{goodput:?}"
    );
}

/// Labels in sweep.json name parameters and metrics; a unit in parentheses sets the axis unit.
#[test]
fn sweep_json_labels_override_the_built_in_names() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    write_sweep(&dir, &[(P0, &[0.05, 0.1, 0.2]), (P1, &[2.0, 4.0])], None);
    let spec = std::fs::read_to_string(dir.join("sweep.json")).unwrap();
    let labels = format!(r#", "labels": {{"{P0}": "Time between checkpoints (s)", "goodput": "Site goodput"}}}}"#);
    std::fs::write(dir.join("sweep.json"), spec.trim_end().strip_suffix('}').unwrap().to_string() + &labels).unwrap();
    let out = tmp.path().join("charts");
    sweep_charts(&dir, &out).unwrap();
    check_every_chart(&out);
    let texts: Vec<String> =
        text_boxes(&std::fs::read_to_string(out.join("goodput_vs_interval_hours.svg")).unwrap()).into_iter().map(|t| t.body).collect();
    for want in ["Site goodput vs time between checkpoints", "Time between checkpoints (s)", "Site goodput", "180", "360", "720"] {
        assert!(texts.iter().any(|t| t == want), "{want:?} not in {texts:?}");
    }
}

/// A metric the second parameter does not move draws one line, named for all its values,
/// not three bands stacked into a solid block.
#[test]
fn identical_lines_are_drawn_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    write_sweep(&dir, &[(P0, &[0.05, 0.1, 0.2]), ("workload.frontier[0].restart_hours", &[0.03333, 0.0833, 0.1667])], None);
    // Make power independent of the restart time: the same value at each interval.
    let csv = std::fs::read_to_string(dir.join("points.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let cols: Vec<usize> = header.iter().enumerate().filter(|(_, h)| h.starts_with("power.")).map(|(i, _)| i).collect();
    for line in lines.iter_mut().skip(1) {
        let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
        let x: f64 = f[1].parse().unwrap();
        for (k, &c) in cols.iter().enumerate() {
            f[c] = format!("{}", [150.0 - 10.0 * x, 0.6, 149.0 - 10.0 * x, 151.0 - 10.0 * x][k]);
        }
        *line = f.join(",");
    }
    std::fs::write(dir.join("points.csv"), lines.join("\n") + "\n").unwrap();
    let out = tmp.path().join("charts");
    sweep_charts(&dir, &out).unwrap();
    check_every_chart(&out);
    let svg = std::fs::read_to_string(out.join("power_facility_mean_mw_vs_interval_hours.svg")).unwrap();
    let texts: Vec<String> = text_boxes(&svg).into_iter().map(|t| t.body).collect();
    assert!(texts.iter().any(|t| t == "2, 5, 10 min: identical"), "{texts:?}");
    assert_eq!(svg.matches("<polygon").count(), 1, "one band, not three");
}

/// Redraw real directories for a look:
/// `GIGASIM_RUN_DIR=/tmp/run1 GIGASIM_SWEEP_DIR=… GIGASIM_CHARTS_OUT=/tmp/charts cargo test --release --test charts -- --ignored`
#[test]
#[ignore]
fn redraw_directories_named_in_the_environment() {
    let out = PathBuf::from(std::env::var("GIGASIM_CHARTS_OUT").unwrap_or_else(|_| "charts".into()));
    let mut drawn = 0;
    if let Ok(run) = std::env::var("GIGASIM_RUN_DIR") {
        for f in run_charts(Path::new(&run), &out.join("run")).unwrap() {
            println!("{}", f.display());
            drawn += 1;
        }
    }
    if let Ok(sweep) = std::env::var("GIGASIM_SWEEP_DIR") {
        for f in sweep_charts(Path::new(&sweep), &out.join("sweep")).unwrap() {
            println!("{}", f.display());
            drawn += 1;
        }
    }
    assert!(drawn > 0, "set GIGASIM_RUN_DIR and/or GIGASIM_SWEEP_DIR");
}

/// Check the text layout of charts already drawn (of any version):
/// `GIGASIM_CHECK_SVG_DIR=gigasim-out/charts cargo test --release --test charts -- --ignored check_the_svgs`
#[test]
#[ignore]
fn check_the_svgs_of_a_directory_named_in_the_environment() {
    let dir = std::env::var("GIGASIM_CHECK_SVG_DIR").expect("set GIGASIM_CHECK_SVG_DIR");
    let mut problems = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "svg") {
            let svg = std::fs::read_to_string(&p).unwrap();
            problems.extend(layout_problems(&svg, WIDTH as f64, HEIGHT as f64).into_iter().map(|m| format!("{}: {m}", p.display())));
        }
    }
    assert!(problems.is_empty(), "text misplaced:\n  {}", problems.join("\n  "));
}

/// `gigasim compare` of run folders and of sweep folders (paired and not) draws charts
/// whose text stays on the canvas and clear of other text.
#[test]
fn compare_charts_are_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/scenarios/factory-25k.ron");
    let sc = scenario.to_str().unwrap();
    let gigasim = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_gigasim")).args(args).current_dir(t).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    for (name, seed) in [("base", "1"), ("other-seed", "2")] {
        gigasim(&["run", sc, "--horizon-days", "5", "--seed", seed, "--no-charts", "-q", "--out", name]);
    }
    gigasim(&["compare", "base", "other-seed", "--metrics", "ettr,availability,power.facility_mean_mw", "--out", "runs", "-q"]);
    assert_eq!(check_every_chart(&t.join("runs/charts")).len(), 3);
    std::fs::write(
        t.join("s.ron"),
        format!(
            "(name: \"s\", base: \"{sc}\", set: [\"horizon_days=5\"],
              parameters: [(path: \"workload.frontier[0].checkpoint.interval_hours\", values: List([0.25, 1.0]))],
              replications: 3, metrics: [\"ettr\", \"goodput\"])"
        ),
    )
    .unwrap();
    gigasim(&["sweep", "s.ron", "--no-charts", "-q", "-j", "1", "--out", "sa"]);
    gigasim(&["sweep", "s.ron", "--no-charts", "-q", "-j", "1", "--out", "sb", "--set", "workload.frontier[0].restart_hours=0.5"]);
    gigasim(&["sweep", "s.ron", "--no-charts", "-q", "-j", "1", "--out", "sc", "--set", "seed=9"]);
    gigasim(&["compare", "sa", "sb", "sc", "--out", "sweeps", "-q"]);
    assert_eq!(check_every_chart(&t.join("sweeps/charts")), ["compare_ettr", "compare_goodput"]);
    gigasim(&["compare", "sa", "--out", "one", "-q"]);
    assert_eq!(check_every_chart(&t.join("one/charts")).len(), 2);
}
