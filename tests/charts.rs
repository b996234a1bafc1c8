//! Charts are drawn from files only: a short run written by the library, and
//! synthetic sweep directories. Every chart must come out as a well-formed SVG
//! and a PNG of the promised size, with its title in the SVG text.

use gigasim::plot::{HEIGHT, WIDTH, run_charts, sweep_charts};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Check `stem.svg` and `stem.png` in `out`: present, non-empty, well-formed, titled, right size.
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
    let titled = svg.split("<text").skip(1).any(|t| t.split("</text>").next().is_some_and(|body| body.contains(title)));
    assert!(titled, "{stem}.svg has no <text> element containing {title:?}");
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count(), "{stem}.svg has unbalanced <text> elements");
    // Every text is anchored inside the canvas: a label placed by a broken coordinate lands off
    // it, or on its edge where plotters clamps it.
    for t in svg.split("<text").skip(1) {
        let tag = t.split('>').next().unwrap();
        let attr = |name: &str| -> f64 {
            let v = tag
                .split(&format!(" {name}=\""))
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("{stem}.svg: <text{tag}> has no {name}"));
            v.parse().unwrap()
        };
        let (x, y) = (attr("x"), attr("y"));
        let body = t.split_once('>').map(|(_, b)| b.split("</text>").next().unwrap_or("").trim()).unwrap_or("");
        let inside = (4.0..=WIDTH as f64 - 4.0).contains(&x) && (4.0..=HEIGHT as f64 - 4.0).contains(&y);
        assert!(inside, "{stem}.svg: text {body:?} at ({x}, {y}) is off the canvas");
    }

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

#[test]
fn run_charts_draw_every_chart_of_a_short_run() {
    let s = gigasim::config::apply_sets(&gigasim::config::default_scenario(), &["horizon_days=5".into()]).unwrap();
    let report = gigasim::Simulation::new(&s).run();
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    gigasim::output::write_run(&report, &run).unwrap();
    let out = tmp.path().join("charts");
    let files = run_charts(&run, &out).unwrap();
    let charts = [
        ("power", "Facility and IT power over time"),
        ("power_zoom", "Largest power drop"),
        ("failures_per_day", "Failures per day by category"),
        ("time_breakdown", "Where the chip-time went"),
        ("frontier_progress", "Frontier training progress"),
    ];
    check_returned(&files, &out, &charts.map(|c| c.0));
    for (stem, title) in charts {
        check_chart(&out, stem, title);
    }
    // What the charts say comes from the files: the ETTR in the title, the drop in MW.
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    let ettr = summary["ettr"].as_f64().unwrap();
    let progress = std::fs::read_to_string(out.join("frontier_progress.svg")).unwrap();
    assert!(progress.contains(&format!("ETTR {:.3}", ettr).trim_end_matches('0').to_string()), "ETTR {ettr} not shown");
    let drop = summary["power"]["max_drop_mw"].as_f64().unwrap();
    let zoom = std::fs::read_to_string(out.join("power_zoom.svg")).unwrap();
    assert!(drop > 1.0 && zoom.contains(&format!("{:.0}", drop.trunc())), "drop of {drop} MW not annotated");
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
        ("ettr_vs_interval_hours", "ETTR vs interval_hours"),
        ("goodput_vs_interval_hours", "Goodput vs interval_hours"),
        ("power_facility_mean_mw_vs_interval_hours", "Power facility mean vs interval_hours"),
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
        ("ettr_vs_interval_hours", "ETTR vs interval_hours"),
        ("ettr_heatmap", "ETTR over interval_hours × crews"),
        ("goodput_vs_interval_hours", "Goodput vs interval_hours"),
        ("goodput_heatmap", "Goodput over interval_hours × crews"),
        ("power_facility_mean_mw_vs_interval_hours", "Power facility mean vs interval_hours"),
        ("power_facility_mean_mw_heatmap", "Power facility mean over interval_hours × crews"),
    ];
    check_returned(&files, &out, &charts.map(|c| c.0));
    for (stem, title) in charts {
        check_chart(&out, stem, title);
    }
    // The legend names the second parameter's values; the heat map writes the means in its cells.
    let lines = std::fs::read_to_string(out.join("ettr_vs_interval_hours.svg")).unwrap();
    assert!(lines.contains("crews = 2") && lines.contains("crews = 4"), "legend does not name the crews values");
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
    check_chart(&out, "ettr_heatmap", "ETTR over interval_hours × crews");
    let heat = std::fs::read_to_string(out.join("ettr_heatmap.svg")).unwrap();
    assert!(heat.contains("initial = 0"), "the held parameter is not named");
    assert!(heat.contains("no data"), "the missing point is not marked");
}

#[test]
fn sweep_charts_with_a_second_parameter_of_one_value() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sweep");
    write_sweep(&dir, &[(P0, &[0.1, 0.2, 0.5]), (P1, &[4.0])], None);
    let out = tmp.path().join("charts");
    assert_eq!(sweep_charts(&dir, &out).unwrap().len(), 12);
    check_chart(&out, "ettr_heatmap", "ETTR over interval_hours × crews");
    check_chart(&out, "ettr_vs_interval_hours", "ETTR vs interval_hours");
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
