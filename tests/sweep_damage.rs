//! Damaged sweep folders and oversized sweeps (issue 14): every row read back is
//! checked against the sweep, and a bad one is an input error (exit 2) naming the
//! file and line, with no result file written or changed; grids, replications and
//! `--jobs` beyond their bounds are refused at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gigasim");

/// A tiny sweep: 2 points × 2 replications of half a day.
fn sweep_file(dir: &Path, values: &str, reps: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/scenarios/gigafactory-100k.ron");
    let text = format!(
        "(name: \"d\", base: \"{}\", set: [\"horizon_days=0.5\"],
          parameters: [(path: \"workload.frontier[0].checkpoint.interval_hours\", values: {values})],
          replications: {reps}, metrics: [\"ettr\", \"goodput\"])",
        base.display()
    );
    let p = dir.join("s.ron");
    std::fs::write(&p, text).unwrap();
    p
}

fn tiny(dir: &Path) -> PathBuf {
    sweep_file(dir, "List([0.1, 0.2])", "2")
}

fn gigasim(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sweep", "-q", "--no-charts", "-j", "2", "--out", s(out)];
    args.extend_from_slice(extra);
    args.push(s(file));
    gigasim(&args)
}

fn ok(o: &Output) {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), String::from_utf8_lossy(&o.stderr));
}

/// Exit 2 with every one of `says` in the message; returns the message.
fn refused(o: &Output, says: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{err}");
    for w in says {
        assert!(err.contains(w), "`{w}` not in: {err}");
    }
    err
}

/// Every file under `dir`, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(snapshot(&p));
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A finished tiny sweep in `<tmp>/full`.
fn finished(tmp: &Path) -> (PathBuf, PathBuf) {
    let file = tiny(tmp);
    let full = tmp.join("full");
    ok(&sweep(&file, &full, &[]));
    (file, full)
}

/// A sweep folder as a kill leaves it: sweep.json and the journal `journal` (no runs.csv).
fn killed(tmp: &Path, full: &Path, name: &str, journal: &str) -> PathBuf {
    let dir = tmp.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(full.join("sweep.json"), dir.join("sweep.json")).unwrap();
    std::fs::write(dir.join("runs.journal.csv"), journal).unwrap();
    dir
}

/// Lines of runs.csv with a newline each.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(|l| format!("{l}\n")).collect()
}

/// Resume `dir` with `file`: refused, naming `says`, and nothing in `dir` changed.
fn resume_refused(file: &Path, dir: &Path, says: &[&str]) -> String {
    let before = snapshot(dir);
    let err = refused(&sweep(file, dir, &[]), says);
    assert_eq!(snapshot(dir), before, "a refused resume changed {}", dir.display());
    err
}

#[test]
fn a_short_row_in_runs_csv_is_refused_on_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, full) = finished(tmp.path());
    let dir = tmp.path().join("short");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["sweep.json", "points.csv"] {
        std::fs::copy(full.join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("runs.csv"), read(&full.join("runs.csv")) + "5,3\n").unwrap();
    resume_refused(&file, &dir, &["runs.csv:6:1", "a row of 2 fields", "allowed: 7 fields", "delete line 6"]);
}

#[test]
fn a_short_row_in_the_journal_is_refused_on_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, full) = finished(tmp.path());
    let mut l = lines(&read(&full.join("runs.csv")));
    l.insert(2, "5,3\n".into());
    let dir = killed(tmp.path(), &full, "short", &l.concat());
    resume_refused(&file, &dir, &["runs.journal.csv:3:1", "a row of 2 fields", "delete line 3"]);
    assert!(!dir.join("runs.csv").exists() && !dir.join("points.csv").exists());
}

#[test]
fn a_cut_last_line_of_the_journal_is_dropped_but_a_cut_runs_csv_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, full) = finished(tmp.path());
    let runs = read(&full.join("runs.csv"));
    // In the journal, a last line without its newline is a kill's cut: dropped, the run redone.
    let dir = killed(tmp.path(), &full, "cut", &runs[..runs.len() - 5]);
    ok(&sweep(&file, &dir, &[]));
    for f in ["sweep.json", "runs.csv", "points.csv"] {
        assert_eq!(read(&full.join(f)), read(&dir.join(f)), "{f} after a cut journal");
    }
    // runs.csv is written whole: cut short, it was truncated.
    std::fs::write(dir.join("runs.csv"), &runs[..runs.len() - 5]).unwrap();
    resume_refused(&file, &dir, &["runs.csv:5:1", "cut short", "delete line 5"]);
}

#[test]
fn a_short_row_in_a_shard_is_refused_by_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tiny(tmp.path());
    let shards: Vec<PathBuf> = (0..2).map(|i| tmp.path().join(format!("s{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        ok(&sweep(&file, d, &["--shard", &format!("{i}/2")]));
    }
    let merged = tmp.path().join("merged");
    let merge = |out: &Path| gigasim(&["merge", "-q", "--no-charts", s(&shards[0]), s(&shards[1]), "--out", s(out)]);
    ok(&merge(&merged));
    let runs = shards[1].join("runs.csv");
    let good = read(&runs);
    let shown = runs.display().to_string();
    let bad_merge = |text: &str, says: &[&str]| {
        std::fs::write(&runs, text).unwrap();
        let out = tmp.path().join("bad");
        let mut all = vec![shown.as_str()];
        all.extend_from_slice(says);
        refused(&merge(&out), &all);
        assert!(!out.exists(), "a refused merge wrote {}", out.display());
    };
    // Shard 1 holds runs 1 and 3: a header and two rows.
    bad_merge(&(good.clone() + "5,3\n"), &["runs.csv:4:1", "a row of 2 fields"]);
    bad_merge(&good[..good.len() - 30], &["runs.csv:3:1", "cut short"]);
    bad_merge(&good[..good.len() - 5], &["runs.csv:3:1", "cut short"]);
    let cut_header = format!("point,replication,seed,workload.frontier[0].checkpoi{}", &good[good.find('\n').unwrap()..]);
    let err = refused(
        &{
            std::fs::write(&runs, &cut_header).unwrap();
            merge(&tmp.path().join("bad"))
        },
        &[&shown, "runs.csv:1:", "header is cut short"],
    );
    assert!(!err.contains("another sweep"), "{err}");
    // A shard without runs.csv has not finished.
    std::fs::remove_file(&runs).unwrap();
    refused(&merge(&tmp.path().join("bad")), &[&shown, "has not finished"]);
    assert!(!tmp.path().join("bad").exists());
    std::fs::write(&runs, &good).unwrap();
    // A damaged sweep.json is named with its line and column.
    let json = shards[1].join("sweep.json");
    let meta = read(&json);
    std::fs::write(&json, meta.replacen(',', "", 1)).unwrap();
    refused(&merge(&tmp.path().join("bad")), &[&format!("{}:", json.display()), "allowed: sweep.json as gigasim writes it"]);
    std::fs::write(&json, meta.replacen("\"replications\": 2", "\"replications\": 4294967295", 1)).unwrap();
    refused(&merge(&tmp.path().join("bad")), &[&json.display().to_string(), "field `replications`", "allowed: 1 to 100,000"]);
    std::fs::write(&json, &meta).unwrap();
    // Mended, the merge is the one it was.
    let again = tmp.path().join("again");
    ok(&merge(&again));
    for f in ["sweep.json", "runs.csv", "points.csv"] {
        assert_eq!(read(&merged.join(f)), read(&again.join(f)), "{f}");
    }
}

#[test]
fn a_row_for_a_point_that_does_not_exist_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, full) = finished(tmp.path());
    let l = lines(&read(&full.join("runs.csv")));
    // Row 2 is point 0, replication 0: made into point 7 of a 2-point grid.
    let fake = l[1].replacen("0,", "7,", 1);
    let dir = killed(tmp.path(), &full, "fake", &[l[0].clone(), fake].concat());
    resume_refused(&file, &dir, &["runs.journal.csv:2:1", "field `point`", "`7` is not a point", "from 0 to 1"]);
    // A point that exists, with another point's value.
    let other = l[1].replacen(",0.1,", ",0.2,", 1);
    assert_ne!(other, l[1]);
    let dir = killed(tmp.path(), &full, "other", &[l[0].clone(), other].concat());
    resume_refused(&file, &dir, &["runs.journal.csv:2:7", "field `workload.frontier[0].checkpoint.interval_hours`", "allowed: 0.1"]);
    // A replication, a seed or a metric that is not one.
    let set = |i: usize, v: &str| {
        let mut f: Vec<&str> = l[1].trim_end().split(',').collect();
        f[i] = v;
        f.join(",") + "\n"
    };
    for (i, v, says) in [
        (1, "2", "field `replication`"),
        (2, "9", "field `seed`"),
        (2, "01", "field `seed`"),
        (3, "0.10", "field `workload.frontier[0].checkpoint.interval_hours`"),
        (4, "x", "field `ettr`"),
        (4, "inf", "field `ettr`"),
        (5, "0.5.1", "field `goodput`"),
    ] {
        let dir = killed(tmp.path(), &full, "bad", &[l[0].clone(), set(i, v)].concat());
        resume_refused(&file, &dir, &["runs.journal.csv:2:", says, &format!("`{v}`")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    // NaN is no number a run writes; a metric cut to another well-formed number (the
    // issue's "cut 5 bytes short") is found by the row's checksum.
    let dir = killed(tmp.path(), &full, "nan", &[l[0].clone(), set(5, "NaN")].concat());
    resume_refused(&file, &dir, &["runs.journal.csv:2:", "field `goodput`", "`NaN`"]);
    std::fs::remove_dir_all(&dir).unwrap();
    let f: Vec<&str> = l[1].trim_end().split(',').collect();
    let cut = &f[4][..f[4].len() - 1];
    assert!(cut.len() < f[4].len() && cut.parse::<f64>().is_ok(), "{} cut to {cut}", f[4]);
    let dir = killed(tmp.path(), &full, "cut", &[l[0].clone(), set(4, cut)].concat());
    resume_refused(&file, &dir, &["runs.journal.csv:2:", "field `check`", "not the checksum"]);
}

/// `row` (a line of runs.csv) with its last cell, the checksum, made right again: a row
/// gigasim could have written (FNV-1a of the other cells, as src/sweep/mod.rs computes it).
fn with_check(row: &str) -> String {
    let body = row.trim_end().rsplit_once(',').unwrap().0;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{body},{h:016x}\n")
}

#[test]
fn a_duplicated_run_is_harmless_if_identical_and_refused_if_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, full) = finished(tmp.path());
    let runs = read(&full.join("runs.csv"));
    let l = lines(&runs);
    // Killed while runs.csv was written: runs.csv and the journal hold the same rows.
    let both = killed(tmp.path(), &full, "both", &[runs.clone(), l[2].clone()].concat());
    std::fs::write(both.join("runs.csv"), &runs).unwrap();
    ok(&sweep(&file, &both, &[]));
    for f in ["sweep.json", "runs.csv", "points.csv"] {
        assert_eq!(read(&full.join(f)), read(&both.join(f)), "{f}");
    }
    // The same run with another value: which one is right cannot be told.
    let ettr = l[2].split(',').nth(4).unwrap();
    let changed = with_check(&l[2].replacen(&format!(",{ettr},"), ",0.5,", 1));
    assert_ne!(changed, l[2]);
    let dir = killed(tmp.path(), &full, "dup", &[runs.clone(), changed].concat());
    let journal = dir.join("runs.journal.csv").display().to_string();
    resume_refused(&file, &dir, &[&format!("{journal}:6:1"), &format!("also at {journal}:3"), "point 0, replication 1"]);
}

#[test]
fn a_damaged_header_is_not_another_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, full) = finished(tmp.path());
    let runs = read(&full.join("runs.csv"));
    let l = lines(&runs);
    let with_header = |name: &str, head: &str| {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(full.join("sweep.json"), dir.join("sweep.json")).unwrap();
        std::fs::write(dir.join("runs.csv"), [head.to_string()].into_iter().chain(l[1..].iter().cloned()).collect::<String>()).unwrap();
        dir
    };
    let dir = with_header("cut", "point,replication,seed,workload.fron\n");
    let err = resume_refused(&file, &dir, &["runs.csv:1:1", "header is cut short", "ends at `workload.fron`"]);
    assert!(!err.contains("another sweep"), "{err}");
    let dir = with_header("typo", &l[0].replace("goodput", "goodptu"));
    let err = resume_refused(&file, &dir, &["runs.csv:1:", "header is damaged", "column 6 is `goodptu`", "`goodput`"]);
    assert!(!err.contains("another sweep"), "{err}");
    let dir = with_header("other", "point,replication,seed,failure.repair.crews,ettr\n");
    resume_refused(&file, &dir, &["runs.csv:1:", "another sweep", "use another --out"]);
    // A damaged sweep.json is not another sweep either.
    let dir = with_header("json", &l[0]);
    let json = dir.join("sweep.json");
    std::fs::write(&json, read(&json).replacen(',', "", 1)).unwrap();
    let err = resume_refused(&file, &dir, &[&format!("{}:", json.display()), "damaged", "restore it, or use another --out"]);
    assert!(!err.contains("different sweep"), "{err}");
    // A journal whose only line is a header cut by a kill is empty: the sweep runs.
    let dir = killed(tmp.path(), &full, "kill", "point,replication,se");
    ok(&sweep(&file, &dir, &[]));
    assert_eq!(read(&full.join("points.csv")), read(&dir.join("points.csv")));
}

#[test]
fn huge_grids_are_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    for (values, says) in [
        ("Linspace(from: 0.1, to: 1, n: 4294967295)", &["field `parameters[0].values`", "4,294,967,295 values", "at most 100,000"][..]),
        ("Logspace(from: 0.1, to: 1, n: 100001)", &["field `parameters[0].values`", "100,001 values"][..]),
        ("Range(from: 0.001, to: 1000, step: 0.001)", &["field `parameters[0].values`", "1,000,000 values", "at most 100,000"][..]),
        ("Range(from: -1e308, to: 1e308, step: 1e-12)", &["field `parameters[0].values`", "too many values"][..]),
    ] {
        let file = sweep_file(tmp.path(), values, "2");
        let t0 = Instant::now();
        refused(&gigasim(&["check", s(&file)]), says);
        assert!(t0.elapsed() < Duration::from_secs(10), "{values}: {:?}", t0.elapsed());
        let out = tmp.path().join("out");
        refused(&sweep(&file, &out, &[]), says);
        assert!(!out.exists());
    }
}

#[test]
fn two_big_ranges_are_refused_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/scenarios/gigafactory-100k.ron");
    let file = tmp.path().join("two.ron");
    std::fs::write(
        &file,
        format!(
            "(name: \"two\", base: \"{}\", parameters: [
               (path: \"workload.frontier[0].checkpoint.interval_hours\", values: Range(from: 0.01, to: 1000, step: 0.01)),
               (path: \"failure.repair.crews\", values: Range(from: 1, to: 100000, step: 1)),
             ], replications: 2, metrics: [\"ettr\"])",
            base.display()
        ),
    )
    .unwrap();
    let t0 = Instant::now();
    refused(&gigasim(&["check", s(&file)]), &["two.ron", "field `parameters`", "100,000 × 100,000", "at most 100,000 points"]);
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
}

/// The largest grid allowed is checked fast: a sample of its points, not all of them.
#[test]
fn the_largest_grid_checks_fast_and_a_bad_value_in_it_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), "Range(from: 0.01, to: 1000, step: 0.01)", "100000");
    let t0 = Instant::now();
    let o = gigasim(&["check", s(&file)]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).contains("100,000 points × 100,000 replications"));
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    // A bad value in the middle of a large grid is still found (the smallest, here).
    let file = sweep_file(tmp.path(), "Range(from: -99.99, to: 900, step: 0.01)", "2");
    refused(&gigasim(&["check", s(&file)]), &["s.ron", "point 0", "workload.frontier[0].checkpoint.interval_hours"]);
}

#[test]
fn too_many_replications_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = sweep_file(tmp.path(), "List([0.1])", "50000001");
    refused(&gigasim(&["check", s(&file)]), &["s.ron", "field `replications`", "50,000,001", "allowed: 1 to 100,000"]);
    let file = tiny(tmp.path());
    let out = tmp.path().join("out");
    refused(&sweep(&file, &out, &["--replications", "100001"]), &["--replications", "100,001", "allowed: 1 to 100,000"]);
    assert!(!out.exists());
}

#[test]
fn too_many_jobs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tiny(tmp.path());
    let out = tmp.path().join("out");
    let o = Command::new(BIN).args(["sweep", "-q", "--no-charts", "--jobs", "100000", "--out", s(&out), s(&file)]).output().unwrap();
    refused(&o, &["--jobs", "100000", "allowed: 0 (one thread per core) to"]);
    assert!(!out.exists());
}

#[test]
fn a_damaged_points_csv_is_named_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, full) = finished(tmp.path());
    let (_, points) = gigasim::sweep::load_points(&full).unwrap();
    assert_eq!(points.len(), 2);
    let p = full.join("points.csv");
    let good = read(&p);
    for (bad, says) in [
        (good.clone() + "1,2\n", "points.csv:4:1"),
        (good.replacen("\n1,", "\nx,", 1), "points.csv:3:1"),
        (good.replacen("point,", "pint,", 1), "points.csv:1:1"),
    ] {
        std::fs::write(&p, bad).unwrap();
        let e = gigasim::sweep::load_points(&full).expect_err(says);
        let input = e.downcast_ref::<gigasim::config::InputError>().unwrap_or_else(|| panic!("not an input error: {e:#}"));
        assert!(input.to_string().contains(says), "{input}");
    }
    std::fs::remove_file(full.join("sweep.json")).unwrap();
    let e = gigasim::sweep::load_points(&full).expect_err("no sweep.json");
    assert!(e.downcast_ref::<gigasim::config::InputError>().is_some_and(|i| i.to_string().contains("sweep.json")), "{e:#}");
}

/// A sweep.json whose name grew to a megabyte (fuzz case 3399, seed 3) took 16 s to
/// plot, its name drawn on every chart: refused at once, naming the file.
#[test]
fn a_sweep_json_with_a_huge_string_is_refused_by_plot_and_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, full) = finished(tmp.path());
    let json = full.join("sweep.json");
    let text = read(&json).replacen("\"name\": \"", &format!("\"name\": \"{}", "[".repeat(1_000_000)), 1);
    std::fs::write(&json, text).unwrap();
    let t0 = std::time::Instant::now();
    for args in
        [vec!["plot", full.to_str().unwrap()], vec!["merge", full.to_str().unwrap(), "--out", tmp.path().join("m").to_str().unwrap()]]
    {
        let o = gigasim(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("sweep.json") && err.contains("1000"), "{args:?}: {err}");
        assert!(err.len() < 3000, "the message echoes the string: {} bytes", err.len());
    }
    assert!(t0.elapsed().as_secs_f64() < 10.0);
}
