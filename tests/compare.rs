//! `gigasim compare`: values and differences of run and sweep folders, held to
//! hand computations of the paired and Welch intervals, and its refusals.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models/scenarios/factory-25k.ron");

fn gigasim(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gigasim")).args(args).current_dir(cwd).output().expect("gigasim starts")
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn refused(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2), "stdout {} stderr {}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// compare.csv as maps of column → cell.
fn rows(out: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(out.join("compare.csv")).unwrap();
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records().map(|rec| head.iter().cloned().zip(rec.unwrap().iter().map(String::from)).collect()).collect()
}

fn f(row: &BTreeMap<String, String>, col: &str) -> f64 {
    let c = &row[col];
    if c.is_empty() { f64::NAN } else { c.parse().unwrap_or_else(|_| panic!("{col} = `{c}`")) }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

/// A run of the 25k-chip scenario for 5 days.
fn run(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args = vec!["run", SCENARIO, "--horizon-days", "5", "--no-charts", "-q", "--out", out.to_str().unwrap()];
    args.extend(extra);
    ok(&gigasim(&args, dir));
    out
}

/// A real sweep of the 25k-chip scenario, 5 days: checkpoint interval 0.25 and 1 h × 4 replications.
fn sweep(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let file = dir.join("s.ron");
    std::fs::write(
        &file,
        format!(
            "(name: \"ck\", base: \"{SCENARIO}\", set: [\"horizon_days=5\"],
              parameters: [(path: \"workload.frontier[0].checkpoint.interval_hours\", values: List([0.25, 1.0]))],
              replications: 4, metrics: [\"ettr\", \"goodput\", \"power.facility_mean_mw\"])"
        ),
    )
    .unwrap();
    let out = dir.join(name);
    let mut args = vec!["sweep", file.to_str().unwrap(), "--no-charts", "-q", "-j", "1", "--out", out.to_str().unwrap()];
    args.extend(extra);
    ok(&gigasim(&args, dir));
    out
}

/// The checksum gigasim puts in the last cell of a runs.csv row (FNV-1a over the other cells' text).
fn fnv(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A sweep folder written by hand: one parameter `x` with `values`, `reps` replications,
/// metric `m` whose value at (point, replication) is `value(p, r)`.
fn synthetic(dir: &Path, name: &str, seed: u64, values: &[f64], reps: usize, value: impl Fn(usize, usize) -> f64) -> PathBuf {
    let out = dir.join(name);
    std::fs::create_dir_all(&out).unwrap();
    let meta = serde_json::json!({
        "name": name, "base": "b.ron", "set": [], "seed": seed, "replications": reps,
        "parameters": [{"path": "x", "values": values}], "metrics": ["m"],
    });
    std::fs::write(out.join("sweep.json"), serde_json::to_string_pretty(&meta).unwrap()).unwrap();
    let mut text = String::from("point,replication,seed,x,m,check\n");
    for (p, x) in values.iter().enumerate() {
        for r in 0..reps {
            let cells = format!("{p},{r},{},{x},{}", seed + r as u64, value(p, r));
            text += &format!("{cells},{}\n", fnv(&cells));
        }
    }
    std::fs::write(out.join("runs.csv"), text).unwrap();
    out
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (m, (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

// Student t 0.975 quantiles from a printed table, not from the code under test.
const T3: f64 = 3.182_446_305_284_263;
const T6: f64 = 2.446_911_851_144_969;

#[test]
fn help_names_compare() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(ok(&gigasim(&["--help"], tmp.path())).contains("compare"));
    let help = ok(&gigasim(&["compare", "--help"], tmp.path()));
    for word in ["--metrics", "paired", "Welch", "baseline", "compare.csv"] {
        assert!(help.contains(word), "compare --help lacks {word}: {help}");
    }
}

#[test]
fn runs_get_values_and_differences_but_no_interval() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run(tmp.path(), "base", &[]);
    let b = run(tmp.path(), "hourly", &["--seed", "2", "--set", "workload.frontier[0].checkpoint.interval_hours=1"]);
    // No --out: the default folder.
    let table = ok(&gigasim(&["compare", "base", "hourly", "--metrics", "ettr,power.facility_mean_mw"], tmp.path()));
    let out = tmp.path().join("gigasim-compare");
    assert!(table.contains("no confidence intervals"), "{table}");
    assert!(table.contains("Mean facility power (MW)") && table.contains("baseline"), "{table}");
    let summary = |d: &Path, m: &str| -> f64 {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap()).unwrap();
        gigasim::sweep::metric(&v, m).unwrap()
    };
    let got = rows(&out);
    assert_eq!(got.len(), 4);
    for r in &got {
        let m = &r["metric"];
        let (va, vb) = (summary(&a, m), summary(&b, m));
        assert_eq!(r["n"], "1");
        assert!(r["ci_lo"].is_empty() && r["ci_hi"].is_empty(), "one run has no interval: {r:?}");
        if r["folder"] == "base" {
            assert!(close(f(r, "mean"), va) && r["diff"].is_empty() && r["pairing"].is_empty(), "{r:?}");
        } else {
            assert!(close(f(r, "mean"), vb) && close(f(r, "diff"), vb - va), "{r:?}");
            assert!(close(f(r, "rel_diff"), (vb - va) / va.abs()), "{r:?}");
            assert!(r["diff_ci_lo"].is_empty() && r["pairing"] == "none", "{r:?}");
            assert_ne!(vb, va, "the two runs should differ in {m}");
        }
    }
    for m in ["ettr", "power_facility_mean_mw"] {
        for ext in ["svg", "png"] {
            assert!(out.join(format!("charts/compare_{m}.{ext}")).is_file(), "{m}.{ext}");
        }
    }
}

#[test]
fn paired_interval_matches_a_hand_computation() {
    let tmp = tempfile::tempdir().unwrap();
    // The same seed: replication r of both sides shares its random numbers.
    let base = |p: usize, r: usize| [0.90, 0.85, 0.80, 0.95][r] - 0.1 * p as f64;
    let shift = [0.02, 0.05, 0.01, 0.04];
    synthetic(tmp.path(), "a", 11, &[1.0, 2.0], 4, base);
    synthetic(tmp.path(), "b", 11, &[1.0, 2.0], 4, |p, r| base(p, r) + shift[r]);
    ok(&gigasim(&["compare", "a", "b", "--out", "o", "-q"], tmp.path()));
    let got = rows(&tmp.path().join("o"));
    assert_eq!(got.len(), 4);
    let (dm, dsd) = mean_sd(&shift);
    let half = T3 * dsd / 2.0;
    for r in got.iter().filter(|r| r["folder"] == "b") {
        assert_eq!(r["pairing"], "paired", "{r:?}");
        assert_eq!(r["baseline_point"], r["point"]);
        assert!(close(f(r, "diff"), dm), "{r:?}");
        assert!(close(f(r, "diff_ci_lo"), dm - half) && close(f(r, "diff_ci_hi"), dm + half), "{r:?} vs ±{half}");
        let p: usize = r["point"].parse().unwrap();
        let xs: Vec<f64> = (0..4).map(|k| base(p, k) + shift[k]).collect();
        let (m, sd) = mean_sd(&xs);
        assert!(close(f(r, "mean"), m) && close(f(r, "ci_lo"), m - T3 * sd / 2.0), "{r:?}");
        assert!(close(f(r, "rel_diff"), dm / mean_sd(&(0..4).map(|k| base(p, k)).collect::<Vec<_>>()).0), "{r:?}");
    }
}

#[test]
fn welch_interval_matches_a_hand_computation_when_seeds_differ() {
    let tmp = tempfile::tempdir().unwrap();
    // Equal sample variances and sizes: Welch's degrees of freedom are 2(n − 1) = 6.
    let a = [1.0, 2.0, 3.0, 4.0];
    let b = [11.0, 13.0, 12.0, 14.0];
    synthetic(tmp.path(), "a", 1, &[5.0], 4, |_, r| a[r]);
    synthetic(tmp.path(), "b", 100, &[5.0], 4, |_, r| b[r]);
    ok(&gigasim(&["compare", "a", "b", "--out", "o", "-q"], tmp.path()));
    let got = rows(&tmp.path().join("o"));
    let r = got.iter().find(|r| r["folder"] == "b").unwrap();
    assert_eq!(r["pairing"], "unpaired");
    let ((ma, sa), (mb, sb)) = (mean_sd(&a), mean_sd(&b));
    let half = T6 * (sa * sa / 4.0 + sb * sb / 4.0).sqrt();
    assert!(close(f(r, "diff"), mb - ma));
    assert!(close(f(r, "diff_ci_lo"), mb - ma - half) && close(f(r, "diff_ci_hi"), mb - ma + half), "{r:?} vs ±{half}");
}

#[test]
fn points_match_by_parameter_text_and_unmatched_ones_say_so() {
    let tmp = tempfile::tempdir().unwrap();
    synthetic(tmp.path(), "a", 1, &[0.5, 2.0], 3, |p, r| (10 * p + r) as f64);
    // Listed in another order, and one value the baseline lacks.
    synthetic(tmp.path(), "b", 1, &[2.0, 0.5, 8.0], 3, |p, r| (100 * p + r) as f64);
    let table = ok(&gigasim(&["compare", "a", "b", "--out", "o"], tmp.path()));
    assert!(table.contains("1 point with no point of the same parameter values in a"), "{table}");
    let got = rows(&tmp.path().join("o"));
    let b = |x: &str| got.iter().find(|r| r["folder"] == "b" && r["x"] == x).unwrap();
    // b's x=2 (its point 0, values 0,1,2) against a's x=2 (a's point 1, values 10,11,12).
    assert_eq!(b("2")["baseline_point"], "1");
    assert!(close(f(b("2"), "diff"), -10.0), "{:?}", b("2"));
    assert_eq!(b("0.5")["baseline_point"], "0");
    assert!(close(f(b("0.5"), "diff"), 100.0));
    assert!(b("8")["diff"].is_empty() && b("8")["baseline"].is_empty());
}

#[test]
fn one_sweep_is_compared_with_its_first_point_and_pairing_narrows_the_interval() {
    let tmp = tempfile::tempdir().unwrap();
    let s = sweep(tmp.path(), "s", &[]);
    ok(&gigasim(&["compare", "s", "--out", "o", "-q"], tmp.path()));
    let got = rows(&tmp.path().join("o"));
    let (runs_meta, runs) = gigasim::sweep::load_runs(&s).unwrap();
    for (mi, m) in runs_meta.metrics.iter().enumerate() {
        let r = got.iter().find(|r| &r["metric"] == m && r["point"] == "1").unwrap();
        assert_eq!((r["baseline_point"].as_str(), r["pairing"].as_str()), ("0", "paired"), "{r:?}");
        let at = |p: usize| runs.iter().filter(|x| x.point == p).map(|x| x.metrics[mi]).collect::<Vec<f64>>();
        let (x0, x1) = (at(0), at(1));
        let d: Vec<f64> = x0.iter().zip(&x1).map(|(a, b)| b - a).collect();
        let (dm, dsd) = mean_sd(&d);
        assert!(close(f(r, "diff_ci_hi"), dm + T3 * dsd / 2.0), "{m}: {r:?}");
        // Common random numbers correlate the two points' runs: the paired interval is
        // narrower than Welch's on the same runs.
        let (w, lo, hi) = gigasim::compare::welch_ci(&x0, &x1);
        assert!(close(w, dm));
        let paired = f(r, "diff_ci_hi") - f(r, "diff_ci_lo");
        assert!(paired < hi - lo, "{m}: paired width {paired} is not below Welch's {}", hi - lo);
    }
}

#[test]
fn sweeps_pair_when_seeds_match_and_not_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    sweep(tmp.path(), "a", &[]);
    sweep(tmp.path(), "b", &["--set", "workload.frontier[0].restart_hours=0.5"]);
    sweep(tmp.path(), "c", &["--set", "workload.frontier[0].restart_hours=0.5", "--set", "seed=7"]);
    let table = ok(&gigasim(&["compare", "a", "b", "c", "--metrics", "ettr", "--out", "o"], tmp.path()));
    assert!(table.contains("paired") && table.contains("unpaired"), "{table}");
    let got = rows(&tmp.path().join("o"));
    assert_eq!(got.len(), 6);
    for r in got.iter().filter(|r| r["folder"] != "a") {
        assert_eq!(r["pairing"], if r["folder"] == "b" { "paired" } else { "unpaired" }, "{r:?}");
        assert!(f(r, "diff_ci_lo") <= f(r, "diff") && f(r, "diff") <= f(r, "diff_ci_hi"), "{r:?}");
    }
}

#[test]
fn bad_folders_and_metrics_are_refused_naming_them() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    run(t, "r", &[]);
    synthetic(t, "s", 1, &[1.0], 2, |_, r| r as f64);
    std::fs::create_dir(t.join("empty")).unwrap();
    let e = refused(&gigasim(&["compare", "r", "empty"], t));
    assert!(e.contains("empty") && e.contains("neither summary.json"), "{e}");
    let e = refused(&gigasim(&["compare", "r", "s"], t));
    assert!(e.contains("mixes run folders (r) and sweep folders (s)"), "{e}");
    let e = refused(&gigasim(&["compare", "r", "--metrics", "ettr,nonesuch"], t));
    assert!(e.contains("`nonesuch`") && e.contains("goodput"), "{e}");
    let e = refused(&gigasim(&["compare", "r", "--metrics", "repair.nonesuch"], t));
    assert!(e.contains("repair.crews"), "lists the metrics under repair: {e}");
    // A damaged summary.json: the file and line.
    std::fs::create_dir(t.join("bad")).unwrap();
    std::fs::write(t.join("bad/summary.json"), "{\n  \"ettr\": 0.9,\n  \"goodput\": oops\n}\n").unwrap();
    let e = refused(&gigasim(&["compare", "r", "bad"], t));
    assert!(e.contains("summary.json") && e.contains(":3:"), "{e}");
    // A damaged runs.csv row: the file and line, through the sweep module's checks.
    let runs = t.join("s/runs.csv");
    let text = std::fs::read_to_string(&runs).unwrap();
    assert!(text.contains("\n0,1,2,1,1,"), "{text}");
    let text = text.replace("\n0,1,2,1,1,", "\n0,1,2,1,9,");
    std::fs::write(&runs, text).unwrap();
    let e = refused(&gigasim(&["compare", "s"], t));
    assert!(e.contains("runs.csv:3") && e.contains("checksum"), "{e}");
    // An --out that is a file.
    std::fs::write(t.join("file"), "x").unwrap();
    let e = refused(&gigasim(&["compare", "r", "--out", "file"], t));
    assert!(e.contains("--out") && e.contains("is a file"), "{e}");
}

#[test]
fn a_metric_missing_in_one_folder_is_an_empty_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    run(t, "a", &[]);
    run(t, "b", &["--seed", "5"]);
    // b's summary without `goodput` (as an older run's might be).
    let p = t.join("b/summary.json");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("goodput");
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    ok(&gigasim(&["compare", "a", "b", "--metrics", "goodput", "--out", "o", "-q"], t));
    let got = rows(&t.join("o"));
    let b = got.iter().find(|r| r["folder"] == "b").unwrap();
    assert_eq!((b["n"].as_str(), b["mean"].as_str(), b["diff"].as_str()), ("0", "", ""), "{b:?}");
    assert!(!got.iter().find(|r| r["folder"] == "a").unwrap()["mean"].is_empty());
}

#[test]
fn the_out_folder_is_replaced_as_a_unit_and_other_files_stay() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    run(t, "a", &[]);
    run(t, "b", &["--seed", "5"]);
    ok(&gigasim(&["compare", "a", "b", "--out", "o", "-q"], t));
    std::fs::write(t.join("o/notes.txt"), "mine").unwrap();
    assert!(t.join("o/charts/compare_ettr.png").is_file());
    ok(&gigasim(&["compare", "a", "b", "--metrics", "goodput", "--no-charts", "--out", "o", "-q"], t));
    assert!(!t.join("o/charts").exists(), "charts of the earlier compare stayed");
    assert_eq!(std::fs::read_to_string(t.join("o/notes.txt")).unwrap(), "mine");
    assert!(rows(&t.join("o")).iter().all(|r| r["metric"] == "goodput"));
    assert!(!t.join("o/.gigasim-compare-staging").exists());
}
