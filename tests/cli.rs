//! The command line end to end: charts by default, --no-charts, `gigasim plot`,
//! bare `gigasim` with the run options, `init`, the sweep overrides, stale outputs,
//! help texts, counts in messages, and a reader that goes away.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Run the binary in `dir`; whatever it did.
fn exec(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gigasim")).args(args).current_dir(dir).stdin(Stdio::null()).output().unwrap()
}

/// Run the binary in `dir`; it must succeed.
fn gigasim(args: &[&str], dir: &Path) -> std::process::Output {
    let out = exec(args, dir);
    assert!(out.status.success(), "gigasim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn summary(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A column of a sweep's runs.csv.
fn column(runs_csv: &Path, name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(runs_csv).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = head.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name} in {head:?}"));
    lines.map(|l| l.split(',').nth(i).unwrap().to_string()).collect()
}

/// A small sweep over factory-25k: 2 points × 2 replications of 2 days, collecting
/// `horizon_days` (to see overrides arrive) and `ettr`.
fn small_sweep(dir: &Path, replications: u32) -> &'static str {
    let sweep = format!(
        "(name: \"small\", base: \"{}\", set: [\"horizon_days=2\"], replications: {replications}, metrics: [\"horizon_days\", \"ettr\"],
          parameters: [(path: \"failure.repair.crews\", values: List([2, 4]))])",
        repo("models/scenarios/factory-25k.ron").display()
    );
    std::fs::write(dir.join("small.ron"), sweep).unwrap();
    "small.ron"
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
    assert!(String::from_utf8_lossy(&said.stdout).contains(&format!("wrote {} charts", 2 * gigasim::output::RUN_CHARTS.len())));
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

/// `gigasim … | head`: the reader goes away before the output comes. Unix tools
/// then stop quietly; gigasim finishes its work (its files are the result) and
/// exits 0, without a panic or a backtrace.
#[test]
fn a_reader_that_goes_away_is_no_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo("models/scenarios/factory-25k.ron");
    let runs: [&[&str]; 3] = [
        &["run", scenario.to_str().unwrap(), "--horizon-days", "1", "--no-charts", "--out", "o"],
        &["check", scenario.to_str().unwrap()],
        &["--help"],
    ];
    for args in runs {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gigasim"))
            .args(args)
            .current_dir(tmp.path())
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end at once, as `| head -0` would: every write after this one fails.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert!(!err.contains("panicked") && !err.contains("Broken pipe") && !err.contains("backtrace"), "gigasim {args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "gigasim {args:?}: {err}");
    }
    assert!(tmp.path().join("o/summary.json").exists(), "the run still wrote its files");
}

#[test]
fn bare_gigasim_takes_the_run_options() {
    let tmp = tempfile::tempdir().unwrap();
    let out = gigasim(&["--seed", "5", "--horizon-days", "0.25", "--set", "name=tiny", "--out", "d", "--no-charts", "-q"], tmp.path());
    assert_eq!(stdout(&out), "", "-q prints nothing");
    let s = summary(&tmp.path().join("d/summary.json"));
    assert_eq!(s["seed"], 5);
    assert_eq!(s["horizon_days"], 0.25);
    assert_eq!(s["scenario"], "tiny");
    assert!(!tmp.path().join("d/charts").exists(), "--no-charts");
    assert!(!tmp.path().join("gigasim-out").exists(), "--out");
    // Run options before a command are refused, not silently dropped.
    let mixed = exec(&["--seed", "5", "check", repo("models/scenarios/factory-25k.ron").to_str().unwrap()], tmp.path());
    assert_eq!(mixed.status.code(), Some(2), "{}", stderr(&mixed));
}

#[test]
fn init_writes_the_default_scenario_which_runs_as_bare_gigasim_does() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let said = stdout(&gigasim(&["init", "m"], t));
    assert!(said.contains("gigasim run m/scenarios/gigafactory-100k.ron"), "{said}");
    let files = [
        "scenarios/gigafactory-100k.ron",
        "facility/gb200-nvl72.ron",
        "failure/llama3-54d.ron",
        "power/gb200.ron",
        "workload/frontier-plus-tenants.ron",
        "cost/gigafactory-de.ron",
    ];
    for f in files {
        assert_eq!(std::fs::read(t.join("m").join(f)).unwrap(), std::fs::read(repo("models").join(f)).unwrap(), "{f}, comments and all");
    }
    assert_eq!(files_in(&t.join("m")), ["cost", "facility", "failure", "power", "scenarios", "workload"]);

    let run = ["--seed", "11", "--horizon-days", "0.5", "--no-charts", "-q", "--out"];
    gigasim(&[&["run", "m/scenarios/gigafactory-100k.ron"][..], &run, &["from-init"]].concat(), t);
    gigasim(&[&run[..], &["built-in"]].concat(), t);
    // Byte for byte; summary.json but for its provenance (other paths, built in or not).
    let results = |d: &str, f: &str| {
        let s = std::fs::read_to_string(t.join(d).join(f)).unwrap();
        s.find(",\n  \"provenance\"").map_or(s.clone(), |i| s[..i].to_string())
    };
    for f in ["summary.json", "failures.csv", "power.csv", "frontier.csv"] {
        assert_eq!(results("from-init", f), results("built-in", f), "{f}");
    }

    // Never overwrite an edit, unless told to.
    std::fs::write(t.join("m/power/gb200.ron"), "edited").unwrap();
    let again = exec(&["init", "m"], t);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force") && stderr(&again).contains("power/gb200.ron"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(t.join("m/power/gb200.ron")).unwrap(), "edited");
    gigasim(&["init", "m", "--force"], t);
    assert_eq!(std::fs::read(t.join("m/power/gb200.ron")).unwrap(), std::fs::read(repo("models/power/gb200.ron")).unwrap());
}

#[test]
fn sweep_replications_overrides_the_sweep_files() {
    let tmp = tempfile::tempdir().unwrap();
    let s = small_sweep(tmp.path(), 2);
    let said = stdout(&gigasim(&["sweep", s, "--replications", "3", "--out", "sw", "--no-charts"], tmp.path()));
    assert!(said.contains("2 points × 3 replications"), "{said}");
    assert_eq!(column(&tmp.path().join("sw/runs.csv"), "replication"), ["0", "1", "2", "0", "1", "2"]);
    assert_eq!(summary(&tmp.path().join("sw/sweep.json"))["replications"], 3);
    let zero = exec(&["sweep", s, "--replications", "0", "--out", "sw0"], tmp.path());
    assert_eq!(zero.status.code(), Some(2), "{}", stderr(&zero));
}

#[test]
fn sweep_horizon_days_overrides_the_base_and_the_sweep_files_set() {
    let tmp = tempfile::tempdir().unwrap();
    let s = small_sweep(tmp.path(), 1);
    gigasim(&["sweep", s, "--horizon-days", "1", "--out", "sw", "--no-charts", "-q"], tmp.path());
    assert_eq!(column(&tmp.path().join("sw/runs.csv"), "horizon_days"), ["1", "1"]);
    let bad = exec(&["sweep", s, "--horizon-days", "-1", "--out", "bad"], tmp.path());
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("--horizon-days"), "{}", stderr(&bad));
}

#[test]
fn sweep_set_applies_to_the_base_scenario_and_is_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let s = small_sweep(tmp.path(), 2);
    gigasim(&["sweep", s, "--set", "seed=40", "--set", "horizon_days=1.5", "--out", "sw", "--no-charts", "-q"], tmp.path());
    let runs = tmp.path().join("sw/runs.csv");
    assert_eq!(column(&runs, "seed"), ["40", "41", "40", "41"]);
    assert_eq!(column(&runs, "horizon_days"), ["1.5", "1.5", "1.5", "1.5"]);
    let meta = summary(&tmp.path().join("sw/sweep.json"));
    assert_eq!(meta["set"], serde_json::json!(["horizon_days=2", "seed=40", "horizon_days=1.5"]));
    // The same folder with other overrides is another sweep: refused, not mixed.
    let other = exec(&["sweep", s, "--set", "seed=7", "--out", "sw", "-q"], tmp.path());
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    // A field the sweep varies would be overridden at every point.
    let varied = exec(&["sweep", s, "--set", "failure.repair.crews=3", "--out", "v"], tmp.path());
    assert_eq!(varied.status.code(), Some(2), "{}", stderr(&varied));
    assert!(stderr(&varied).contains("varied by the sweep"), "{}", stderr(&varied));
    let unknown = exec(&["sweep", s, "--set", "failure.no_such_field=3", "--out", "u"], tmp.path());
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
}

#[test]
fn a_run_removes_what_an_earlier_run_wrote_there_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo("models/scenarios/factory-25k.ron");
    let run = |extra: &[&str]| {
        gigasim(&[&["run", scenario.to_str().unwrap(), "--horizon-days", "2", "--out", "o", "-q"][..], extra].concat(), tmp.path())
    };
    run(&[]);
    assert_eq!(files_in(&tmp.path().join("o/charts")).len(), 2 * gigasim::output::RUN_CHARTS.len());
    std::fs::write(tmp.path().join("o/notes.txt"), "mine").unwrap();
    std::fs::write(tmp.path().join("o/charts/mine.svg"), "mine").unwrap();
    run(&["--no-charts"]);
    assert_eq!(files_in(&tmp.path().join("o/charts")), ["mine.svg"], "stale charts removed, other files kept");
    assert!(tmp.path().join("o/notes.txt").exists());
    assert!(tmp.path().join("o/summary.json").exists());
    std::fs::remove_file(tmp.path().join("o/charts/mine.svg")).unwrap();
    run(&[]);
    run(&["--no-charts"]);
    assert!(!tmp.path().join("o/charts").exists(), "charts/ emptied by the cleanup goes too");
}

#[test]
fn run_help_names_every_file_a_run_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo("models/scenarios/factory-25k.ron");
    gigasim(&["run", scenario.to_str().unwrap(), "--horizon-days", "2", "--out", "o", "-q"], tmp.path());
    let help = stdout(&gigasim(&["run", "--help"], tmp.path()));
    let mut data = files_in(&tmp.path().join("o"));
    assert!(data.contains(&"charts".to_string()) && help.contains("charts/"), "{help}");
    data.retain(|f| f != "charts");
    // The manifest of what the run wrote, named by the help too.
    assert!(data.contains(&gigasim::output::MANIFEST.to_string()) && help.contains(gigasim::output::MANIFEST), "{help}");
    data.retain(|f| f != gigasim::output::MANIFEST);
    for f in &data {
        assert!(help.contains(f.as_str()), "`run --help` does not name {f}:\n{help}");
    }
    let charts = files_in(&tmp.path().join("o/charts"));
    for c in &charts {
        let (stem, ext) = c.rsplit_once('.').unwrap();
        assert!(help.contains(stem) && help.contains(&format!(".{ext}")), "`run --help` does not name {c}:\n{help}");
    }
    // What the cleanup of stale outputs knows is what a run really writes (the inputs/
    // folder it replaces as one, by its manifest).
    let mut known: Vec<String> =
        gigasim::output::RUN_FILES.iter().map(|f| f.to_string()).chain([gigasim::output::INPUTS.to_string()]).collect();
    known.sort();
    assert_eq!(data, known);
    let mut known: Vec<String> = gigasim::output::RUN_CHARTS.iter().flat_map(|s| [format!("{s}.png"), format!("{s}.svg")]).collect();
    known.sort();
    assert_eq!(charts, known);
}

#[test]
fn counts_of_one_are_singular() {
    let tmp = tempfile::tempdir().unwrap();
    let said = stdout(&gigasim(&["check", repo("models/scenarios/gigafactory-100k.ron").to_str().unwrap()], tmp.path()));
    assert!(said.contains(" 1 frontier job,") && !said.contains("1 frontier jobs"), "{said}");
    let said = stdout(&gigasim(&["check", repo("models/workload/llama3-405b.ron").to_str().unwrap()], tmp.path()));
    assert!(said.contains(": 1 frontier job, 0 tenants with 0 job classes)"), "{said}");
    let s = small_sweep(tmp.path(), 1);
    let said = stdout(&gigasim(&["check", s], tmp.path()));
    assert!(said.contains("2 points × 1 replication = 2 runs"), "{said}");
    gigasim(&["sweep", s, "--horizon-days", "0.5", "--shard", "0/1", "--out", "sh", "-q"], tmp.path());
    let said = stdout(&gigasim(&["merge", "sh", "--out", "merged", "--no-charts"], tmp.path()));
    assert!(said.starts_with("merged 1 shard;"), "{said}");
}

/// `--trace`: the shipped excerpt replays; a bad row or a tenant the workload cannot
/// place is an input error (exit 2) naming the file, line and field, with nothing written.
#[test]
fn a_trace_replays_and_its_bad_rows_are_input_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = repo("models/scenarios/gigafactory-100k.ron");
    let trace = repo("models/traces/philly-excerpt.csv");
    let sc = scenario.to_str().unwrap();
    gigasim(&["run", sc, "--trace", trace.to_str().unwrap(), "--horizon-days", "3", "--out", "o", "-q", "--no-charts"], tmp.path());
    let s = summary(&tmp.path().join("o/summary.json"));
    assert_eq!(s["job_classes"]["trace"]["jobs_submitted"], 1164);
    assert!(s["tenants"]["academia"]["jobs_killed"].as_u64().unwrap() > 0, "{}", s["tenants"]);

    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "submit_h,tenant,chips,run_h,walltime_h\n0,academia,4,1,2\n0.5,academia,-3,1,2\n").unwrap();
    let out = exec(&["run", sc, "--trace", bad.to_str().unwrap(), "--out", "b", "-q"], tmp.path());
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("bad.csv:3:3") && e.contains("chips") && e.contains("-3") && e.contains("allowed"), "{e}");
    assert!(!tmp.path().join("b").exists(), "nothing written");

    // A workload with no default tenant: an unknown tenant is named with its line.
    std::fs::write(&bad, "submit_h,tenant,chips,run_h,walltime_h\n0,academia,4,1,2\n0.5,nasa,4,1,2\n").unwrap();
    let llama = repo("models/scenarios/llama3-replay-16k.ron");
    let out = exec(&["run", llama.to_str().unwrap(), "--trace", bad.to_str().unwrap(), "--out", "b", "-q"], tmp.path());
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("bad.csv:2") && e.contains("`academia`") && e.contains("default_tenant"), "{e}");
}
