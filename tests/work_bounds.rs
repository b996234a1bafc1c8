//! Work bounds: the estimate against what runs really take, the refusals of
//! inputs that would take hours or exhaust memory (issue 14), and the bound
//! that stops a run while it runs.

use gigasim::config::{self, FileSystem};
use gigasim::work::{Bounds, Work};
use std::process::Command;
use std::time::Instant;

/// Counts what this test binary holds, as the gigasim binary does.
#[global_allocator]
static ALLOCATOR: gigasim::work::Counting = gigasim::work::Counting;

/// Every shipped scenario: the estimated events and memory bound the processed
/// events and the memory held at the end of the run from above, by a small factor.
#[test]
fn every_shipped_scenario_is_estimated_from_above_and_within_a_small_factor() {
    let mut files: Vec<_> = std::fs::read_dir("models/scenarios").unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let s = config::load_scenario(&FileSystem, &path).unwrap();
        let trace = s.workload.trace.as_ref().map(|t| gigasim::sim::TraceSource::load(t, &s.workload).unwrap());
        let w = Work::of(&s, trace.as_ref());
        assert!(w.check(Bounds::DEFAULT, "--allow-large").is_ok(), "{}", path.display());
        let before = gigasim::work::held();
        let r = gigasim::Simulation::new(&s).run();
        let held = gigasim::work::held().saturating_sub(before) as f64;
        let n = r.stats.processed as f64;
        println!(
            "{:48} events {:>10.0} estimated {:>10.0} ({:.2}×); memory {:>6.1} MB estimated {:>6.1} MB ({:.2}×)",
            path.display().to_string(),
            n,
            w.events,
            w.events / n,
            held / 1048576.0,
            w.bytes / 1048576.0,
            w.bytes / held
        );
        assert!(w.events >= n && w.events <= 20.0 * n, "{}: events estimated {} against {n}", path.display(), w.events);
        assert!(w.bytes >= held && w.bytes <= 20.0 * held, "{}: memory estimated {} against {held}", path.display(), w.bytes);
        drop(r);
    }
}

/// A run that gets to its event bound stops there, with the time it reached;
/// one whose watch objects stops at once; within the bound nothing changes.
#[test]
fn a_run_stops_at_its_event_bound_and_when_its_watch_says_so() {
    let mut s = config::default_scenario();
    s.horizon_days = config::Positive::new(10.0);
    let whole = gigasim::Simulation::new(&s).run();
    let n = whole.stats.processed;
    match gigasim::Simulation::new(&s).run_watched(10, n / 2, |_| Ok(())) {
        Err(gigasim::Overrun::Events { processed, at }) => {
            assert_eq!(processed, n / 2);
            assert!(at.as_hours() > 0.0 && at.as_hours() < 240.0, "{at:?}");
        }
        other => panic!("expected an overrun, got {:?}", other.map(|r| r.stats)),
    }
    let mut calls = 0;
    let stopped = gigasim::Simulation::new(&s).run_watched(10, u64::MAX, |_| {
        calls += 1;
        if calls == 3 { Err("enough".into()) } else { Ok(()) }
    });
    assert!(matches!(stopped, Err(gigasim::Overrun::Stopped { ref why, .. }) if why == "enough"));
    let bounded = gigasim::Simulation::new(&s).run_watched(10, n, |_| Ok(())).expect("exactly at its bound");
    assert_eq!(gigasim::output::summary_json(&bounded), gigasim::output::summary_json(&whole));
}

fn gigasim(args: &[&str]) -> (i32, String, f64) {
    let out = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_gigasim"))
        .args(args)
        .args(["--out", out.path().to_str().unwrap(), "-q", "--no-charts"])
        .output()
        .unwrap();
    let secs = t0.elapsed().as_secs_f64();
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "a refused run wrote into --out: {args:?}");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned(), secs)
}

/// Each input the issue found exhausting memory or time is refused before it
/// starts, with exit 2, naming the field that drives the work and the way to allow it.
#[test]
fn inputs_that_would_exhaust_time_or_memory_are_refused_at_once_naming_the_field() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--set", "workload.frontier[0].checkpoint.interval_hours=1e-6", "--set", "workload.frontier[0].checkpoint.write_hours=0"],
            "workload.frontier[0].checkpoint.interval_hours",
        ),
        (&["--set", "workload.tenants[1].classes[0].arrivals_per_hour=1e6"], "workload.tenants[1].classes[0].arrivals_per_hour"),
        (&["--set", r#"failure.classes[0].ttf={"ExponentialRate":{"per_hour":9}}"#], "failure.classes[0].ttf"),
        (&["--set", r#"failure.classes[0].ttf={"Weibull":{"shape":100,"scale_hours":1}}"#], "failure.classes[0].ttf"),
        (&["--set", "power_bin_minutes=0.026", "--max-memory-mb", "512"], "power_bin_minutes"),
        (&["--horizon-days", "100000", "--set", "power_bin_minutes=15"], "`horizon_days`"),
        // A wear-out law whose age runs on across reboots fails ever faster (review of issue 14).
        (
            &[
                "--horizon-days",
                "60",
                "--set",
                r#"failure.classes[2].ttf={"Weibull":{"shape":8,"scale_hours":500}}"#,
                "--set",
                "failure.classes[2].ageing=true",
            ],
            "failure.classes[2].ttf",
        ),
    ];
    for (args, field) in cases {
        let (code, err, secs) = gigasim(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(field), "{args:?} should name {field}: {err}");
        assert!(err.contains("--allow-large") || err.contains("--max-memory-mb"), "{args:?}: {err}");
        assert!(secs < 10.0, "{args:?} took {secs} s to refuse");
    }
}

/// A traced job's own checkpoints count (a trace's `ckpt_h` of 36 ms over 4,000 hours).
#[test]
fn a_trace_whose_jobs_checkpoint_every_few_milliseconds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.csv");
    std::fs::write(&t, "submit_h,tenant,chips,run_h,walltime_h,ckpt_h\n0,a,8,4000,,0.00001\n").unwrap();
    let (code, err, secs) = gigasim(&["run", "models/scenarios/factory-25k.ron", "--trace", t.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`workload.trace`") && err.contains("checkpoints of traced jobs"), "{err}");
    assert!(secs < 10.0);
}

/// A sweep of a billion one-minute runs: each is cheap, but their set-up and the rows
/// kept until the end are not.
#[test]
fn a_sweep_of_a_billion_tiny_runs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.ron");
    let base = std::fs::canonicalize("models/scenarios/gigafactory-100k.ron").unwrap();
    std::fs::write(
        &f,
        format!(
            r#"(name: "many-tiny", base: "{}", set: ["horizon_days=0.0007"],
               parameters: [(path: "workload.frontier[0].restart_hours", values: Linspace(from: 0.01, to: 1.0, n: 100000))],
               replications: 10000, metrics: ["ettr"])"#,
            base.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_gigasim"))
        .args(["sweep", f.to_str().unwrap(), "-q", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("result rows") || err.contains("events in all"), "{err}");
    assert!(!out.join("runs.journal.csv").exists(), "a refused sweep ran");
}

/// `--horizon-days` is checked with `--set` applied: a horizon that fits only with
/// coarser bins set on the same line is not refused for its bins.
#[test]
fn the_horizon_flag_is_checked_after_set() {
    let (code, err, _) = gigasim(&["--horizon-days", "100000", "--set", "power_bin_minutes=15", "--max-events", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("events") && !err.contains("bins"), "{err}");
    let (code, err, _) = gigasim(&["--horizon-days", "100000", "--max-events", "1"]);
    assert_eq!(code, 2);
    assert!(err.contains("power_bin_minutes") && err.contains("bins"), "without coarser bins the bins are too many: {err}");
}

/// Inputs whose outputs would not be finite numbers are refused, and a bad count
/// for a bound flag too.
#[test]
fn inputs_that_would_give_infinite_or_undefined_outputs_are_refused() {
    for (args, says) in [
        (&["--horizon-days", "1e-9"][..], "one minute"),
        (&["--set", "power.pue=1e308"], "at most 1e15"),
        (&["--set", "power.chip_watts.busy=1e300"], "to 1e15"),
        (&["--set", "power.node_overhead_watts=1e308"], "to 1e15"),
        // A ramp of 1e-300 MW/min made the battery's numbers infinite (fuzz case 7119, seed 3).
        (&["--set", "workload.frontier[0].checkpoint.interval_hours=1e-300"], "from 1e-12"),
        (&["--set", "power.rack_overhead_watts=1e-300"], "from 1e-12"),
        (&["--set", "power_bin_minutes=1e-5"], "one second"),
        (&["--max-events", "0"], "allowed: a whole number"),
        (&["--max-memory-mb", "1.5"], "allowed: a whole number"),
    ] {
        let (code, err, _) = gigasim(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("000000000000000000000"), "a number printed in full: {err}");
    }
}

/// A file that is not a regular file (a device that never ends) is refused, not read.
#[test]
fn a_device_as_model_file_is_refused_without_reading_it() {
    for args in [&["run", "/dev/zero"][..], &["check", "/dev/zero"]] {
        let o = Command::new(env!("CARGO_BIN_EXE_gigasim")).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("/dev/zero") && err.contains("not a regular file"), "{err}");
    }
}
