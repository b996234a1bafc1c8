//! The command line end to end: charts by default, --no-charts, and `gigasim plot`.

use std::path::Path;
use std::process::Command;

fn gigasim(args: &[&str], dir: &Path) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_gigasim")).args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "gigasim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).map_or(vec![], |d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect());
    v.sort();
    v
}

#[test]
fn run_draws_charts_unless_told_not_to_and_plot_redraws_them() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/scenarios/factory-25k.ron");
    let s = scenario.to_str().unwrap();
    gigasim(&["run", s, "--horizon-days", "3", "--out", "with", "-q"], tmp.path());
    let charts = files_in(&tmp.path().join("with/charts"));
    for stem in ["power", "power_zoom", "failures_per_day", "time_breakdown", "frontier_progress"] {
        for ext in ["svg", "png"] {
            assert!(charts.contains(&format!("{stem}.{ext}")), "{stem}.{ext} missing from {charts:?}");
        }
    }
    gigasim(&["run", s, "--horizon-days", "3", "--out", "without", "--no-charts", "-q"], tmp.path());
    assert!(!tmp.path().join("without/charts").exists());
    assert!(tmp.path().join("without/summary.json").exists());
    let said = gigasim(&["plot", "without"], tmp.path());
    assert!(String::from_utf8_lossy(&said.stdout).contains("wrote 10 charts"));
    assert_eq!(files_in(&tmp.path().join("without/charts")), charts, "plot redraws the same set of charts");
    // Same seed, same bytes, charts or not.
    assert_eq!(
        std::fs::read(tmp.path().join("with/summary.json")).unwrap(),
        std::fs::read(tmp.path().join("without/summary.json")).unwrap()
    );
}

#[test]
fn sweep_writes_its_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/scenarios/factory-25k.ron");
    let sweep = format!(
        "(name: \"c\", base: \"{}\", set: [\"horizon_days=2\"], replications: 2, metrics: [\"ettr\"],
          parameters: [(path: \"workload.frontier[0].restart_hours\", values: List([0.05, 0.1])), (path: \"failure.repair.crews\", values: List([2, 4]))])",
        base.display()
    );
    std::fs::write(tmp.path().join("s.ron"), sweep).unwrap();
    gigasim(&["sweep", "s.ron", "--out", "sw", "-q"], tmp.path());
    let charts = files_in(&tmp.path().join("sw/charts"));
    assert_eq!(charts, ["ettr_heatmap.png", "ettr_heatmap.svg", "ettr_vs_restart_hours.png", "ettr_vs_restart_hours.svg"]);
}
