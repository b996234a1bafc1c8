//! Sweeps: statistics, thread-count independence, shards, resume after a kill.

use gigasim::sweep::{self, Options, Shard, Sweep};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn sweep_file(dir: &Path, days: f64, intervals: &str, reps: u32) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/scenarios/gigafactory-100k.ron");
    let text = format!(
        "(name: \"t\", base: \"{}\", set: [\"horizon_days={days}\"],
          parameters: [
            (path: \"workload.frontier[0].checkpoint.interval_hours\", values: List([{intervals}])),
            (path: \"failure.repair.crews\", values: Range(from: 2, to: 4, step: 2)),
          ],
          replications: {reps}, metrics: [\"ettr\", \"goodput\", \"power.max_drop_mw\"])",
        base.display()
    );
    let p = dir.join("s.ron");
    std::fs::write(&p, text).unwrap();
    p
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn opts(jobs: usize, shard: Option<Shard>) -> Options {
    Options { jobs, shard, ..Options::default() }
}

#[test]
fn points_match_a_hand_computation_from_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Sweep::load(&sweep_file(tmp.path(), 3.0, "0.1, 0.3", 4)).unwrap_or_else(|e| panic!("{e}"));
    let out = tmp.path().join("out");
    sweep::run(&s, &out, &opts(2, None)).unwrap();
    let runs = read(&out.join("runs.csv"));
    let points = read(&out.join("points.csv"));
    let rows: Vec<Vec<String>> = runs.lines().skip(1).map(|l| l.split(',').map(String::from).collect()).collect();
    assert_eq!(rows.len(), 2 * 2 * 4);
    // Replication r has the same seed at every point (common random numbers).
    for r in &rows {
        assert_eq!(r[2].parse::<u64>().unwrap(), 1 + r[1].parse::<u64>().unwrap());
    }
    let t_975_df3 = 3.182_446_305_284_263; // Student t table, 3 degrees of freedom
    for line in points.lines().skip(1) {
        let p: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let point = p[0] as usize;
        assert_eq!(p[3], 4.0);
        for (m, col) in [(0usize, 5usize), (1, 6), (2, 7)] {
            let xs: Vec<f64> = rows.iter().filter(|r| r[0] == point.to_string()).map(|r| r[col].parse().unwrap()).collect();
            let mean = xs.iter().sum::<f64>() / 4.0;
            let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
            let half = t_975_df3 * sd / 2.0;
            let got = &p[4 + 4 * m..8 + 4 * m];
            let want = [mean, sd, mean - half, mean + half];
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() <= 1e-9 * w.abs().max(1e-12), "point {point} metric {m}: {got:?} vs {want:?}");
            }
        }
    }
}

#[test]
fn thread_count_and_sharding_do_not_change_the_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Sweep::load(&sweep_file(tmp.path(), 2.0, "0.1, 0.2, 0.5", 3)).unwrap_or_else(|e| panic!("{e}"));
    let one = tmp.path().join("one");
    let two = tmp.path().join("two");
    sweep::run(&s, &one, &opts(1, None)).unwrap();
    sweep::run(&s, &two, &opts(2, None)).unwrap();
    let shards: Vec<PathBuf> = (0..3).map(|i| tmp.path().join(format!("shard{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        sweep::run(&s, d, &opts(2, Some(Shard { index: i as u32, count: 3 }))).unwrap();
        assert!(!d.join("points.csv").exists(), "a shard alone has no point statistics");
    }
    let merged = tmp.path().join("merged");
    sweep::merge(&shards, &merged).unwrap();
    for f in ["sweep.json", "runs.csv", "points.csv"] {
        assert_eq!(read(&one.join(f)), read(&two.join(f)), "{f}: 1 vs 2 threads");
        assert_eq!(read(&one.join(f)), read(&merged.join(f)), "{f}: unsharded vs merged shards");
    }
    // Merging an incomplete set is refused.
    assert!(sweep::merge(&shards[..2], &tmp.path().join("partial")).is_err());
}

#[test]
fn a_killed_sweep_resumes_to_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), 20.0, "0.05, 0.1, 0.15, 0.2, 0.3, 0.5", 5);
    let bin = env!("CARGO_BIN_EXE_gigasim");
    let full = tmp.path().join("full");
    let st = Command::new(bin).args(["sweep", "-q", "-j", "2", "--out"]).arg(&full).arg(&file).status().unwrap();
    assert!(st.success());

    let cut = tmp.path().join("cut");
    let mut child = Command::new(bin).args(["sweep", "-q", "-j", "1", "--out"]).arg(&cut).arg(&file).spawn().unwrap();
    let journal = cut.join("runs.journal.csv");
    let t0 = Instant::now();
    while std::fs::read_to_string(&journal).map_or(0, |s| s.lines().count()) < 4 {
        assert!(t0.elapsed() < Duration::from_secs(120), "the sweep never wrote a row");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!cut.join("points.csv").exists(), "killed before it finished");
    let kept = std::fs::read_to_string(&journal).unwrap().lines().count() - 1;
    assert!((3..60).contains(&kept), "rows kept after the kill: {kept}");
    // Simulate a kill in the middle of a write: half a row at the end.
    let mut j = std::fs::read_to_string(&journal).unwrap();
    j.push_str("7,2,3,0.2");
    std::fs::write(&journal, j).unwrap();

    let out = Command::new(bin).args(["sweep", "-j", "2", "--out"]).arg(&cut).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("ran {} of this sweep's 60 runs", 60 - kept)), "{said}");
    for f in ["sweep.json", "runs.csv", "points.csv"] {
        assert_eq!(read(&full.join(f)), read(&cut.join(f)), "{f} after resume");
    }
}

#[test]
fn bad_sweep_files_are_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let good = read(&sweep_file(tmp.path(), 1.0, "0.1", 2));
    for (from, to, field) in [
        ("\"ettr\"", "\"nonsense\"", "metrics[0]"),
        ("values: List([0.1])", "values: List([-0.1])", "workload.frontier[0].checkpoint.interval_hours"),
        ("replications: 2", "replications: 0", "replications"),
        ("step: 2", "step: -2", "step"),
    ] {
        let bad = good.replace(from, to);
        assert_ne!(bad, good, "fixture edit {from}");
        let p = tmp.path().join("bad.ron");
        std::fs::write(&p, bad).unwrap();
        let err = Sweep::load(&p).expect_err(from);
        assert!(err.to_string().contains(field) && err.to_string().contains("allowed"), "{err}");
    }
}

/// Chart labels in a sweep file name its metrics or parameters; a label for
/// anything else is refused with the allowed paths, and labels are recorded.
#[test]
fn sweep_labels_name_metrics_or_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let p = sweep_file(tmp.path(), 1.0, "0.1", 1);
    let text = read(&p);
    let with = |labels: &str| {
        let q = tmp.path().join("l.ron");
        // The labels go after `metrics`, at the end of the sweep file.
        let t = text.trim_end().strip_suffix(')').unwrap().to_string() + &format!(", labels: {{{labels}}})");
        std::fs::write(&q, t).unwrap();
        Sweep::load(&q)
    };
    let s = with("\"ettr\": \"ETTR of the frontier job\"").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.meta().labels.get("ettr").map(String::as_str), Some("ETTR of the frontier job"));
    let e = with("\"etr\": \"typo\"").expect_err("a label for an unknown path is refused");
    let msg = e.to_string();
    assert!(msg.contains("labels.etr") && msg.contains("`ettr`") && msg.contains("`failure.repair.crews`"), "{msg}");
}
