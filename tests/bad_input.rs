//! Bad input never panics: it exits with code 2 and prints one line naming the
//! file, the line:column where there is one, the field and what is allowed.
//!
//! Each case copies the real `models/` into a fresh temporary directory, breaks
//! one thing with a string replace (checked to have changed the text, so an edit
//! of the model files cannot make a case vacuous) and runs the real binary there.
//! Expected positions are computed from the mutated text, not hard-coded.
//! Anything that could start a simulation gets `--horizon-days 0.01 --out <tmp>`,
//! and every process is killed after a time limit, so a regression cannot hang the suite.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const SCENARIO: &str = "models/scenarios/gigafactory-100k.ron";
const FACILITY: &str = "models/facility/gb200-nvl72.ron";
const FAILURE: &str = "models/failure/llama3-54d.ron";
const POWER: &str = "models/power/gb200.ron";
const WORKLOAD: &str = "models/workload/frontier-plus-tenants.ron";

const TIME_LIMIT: Duration = Duration::from_secs(120);

fn repo_models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn ron_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            found.extend(ron_files_under(&p));
        } else if p.extension().is_some_and(|x| x == "ron") {
            found.push(p);
        }
    }
    found
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// What one invocation of the binary did.
struct Run {
    what: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn exec(dir: &Path, args: &[&str]) -> Run {
    let what = format!("gigasim {}", args.join(" "));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gigasim"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let slurp = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            r.read_to_end(&mut buf).ok();
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = slurp(Box::new(child.stdout.take().unwrap()));
    let err = slurp(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + TIME_LIMIT;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    let status = status.unwrap_or_else(|| panic!("{what}: still running after {TIME_LIMIT:?}, killed\nstderr: {stderr}"));
    Run { what, code: status.code(), stdout, stderr }
}

/// A copy of the repository's models/ in a temporary directory, which is also
/// the working directory of every run (so messages name `models/...`).
struct Site {
    dir: TempDir,
}

/// A model file after one edit: its new text and the byte offset of the change.
struct Edited {
    text: String,
    at: usize,
}

impl Edited {
    /// 1-based line and column (in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
    /// Line of the edit.
    fn line(&self) -> usize {
        self.line_col(self.at).0
    }
    /// Position of the first `needle` on the edited line.
    fn on_line(&self, needle: &str) -> (usize, usize) {
        let start = self.text[..self.at].rfind('\n').map_or(0, |i| i + 1);
        let end = self.text[self.at..].find('\n').map_or(self.text.len(), |i| self.at + i);
        let i = self.text[start..end].find(needle).unwrap_or_else(|| panic!("`{needle}` not on the edited line {}", self.line()));
        self.line_col(start + i)
    }
    /// Position of the first `needle` at or after the edit.
    fn after(&self, needle: &str) -> (usize, usize) {
        let i = self.text[self.at..].find(needle).unwrap_or_else(|| panic!("`{needle}` not found after the edit"));
        self.line_col(self.at + i)
    }
}

impl Site {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo_models(), &dir.path().join("models"));
        Site { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Replace the first `from` in `rel` by `to`, asserting that it was there and that the text changed.
    fn edit(&self, rel: &str, from: &str, to: &str) -> Edited {
        let old = self.read(rel);
        let at = old.find(from).unwrap_or_else(|| panic!("{rel} no longer contains `{from}`: update this test"));
        let text = old.replacen(from, to, 1);
        assert_ne!(text, old, "replacing `{from}` by `{to}` in {rel} changed nothing");
        std::fs::write(self.path(rel), &text).unwrap();
        Edited { text, at }
    }

    fn gigasim(&self, args: &[&str]) -> Run {
        exec(self.dir.path(), args)
    }

    fn check(&self, rel: &str) -> Run {
        self.gigasim(&["check", rel])
    }

    /// `gigasim run` kept short: a tiny horizon and a temporary output directory.
    fn run(&self, rel: &str, extra: &[&str]) -> Run {
        let out = self.path("out");
        let mut args = vec!["run", rel, "--horizon-days", "0.01", "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.gigasim(&args)
    }

    /// The scenario both checked and run: a broken file must fail the same way either way.
    fn check_and_run(&self) -> [Run; 2] {
        [self.check(SCENARIO), self.run(SCENARIO, &[])]
    }
}

/// Where the message must place the error.
#[derive(Clone, Copy)]
enum At {
    /// `file:line:col: `
    Exact(usize, usize),
    /// `file:line:` (any column)
    Line(usize),
    /// `file: ` with no position (command-line values, unreadable files)
    Nowhere,
    /// `file:` with or without a position
    Anywhere,
}

/// Exit code 2, no panic, nothing on stdout, exactly one line on stderr which names
/// `file` at `at`, contains every fragment of the field path and of what is allowed.
fn expect_bad(run: &Run, file: &str, at: At, field: &[&str], allowed: &[&str]) {
    let e = &run.stderr;
    let mut problems = Vec::new();
    if run.code != Some(2) {
        problems.push(format!("exit code {:?}, expected 2", run.code));
    }
    if e.contains("panicked") {
        problems.push("it panicked".to_string());
    }
    if e.trim_end().lines().count() != 1 {
        problems.push(format!("stderr has {} lines, expected exactly one", e.trim_end().lines().count()));
    }
    if !e.starts_with("error: ") {
        problems.push("stderr does not start with `error: `".to_string());
    }
    if !run.stdout.trim().is_empty() {
        problems.push("stdout is not empty".to_string());
    }
    let place = match at {
        At::Exact(l, c) => format!("{file}:{l}:{c}: "),
        At::Line(l) => format!("{file}:{l}:"),
        At::Nowhere => format!("{file}: "),
        At::Anywhere => format!("{file}:"),
    };
    if !e.contains(&place) {
        problems.push(format!("does not name the place `{place}`"));
    }
    for f in field {
        if !e.contains(f) {
            problems.push(format!("does not name the field `{f}`"));
        }
    }
    for a in allowed {
        if !e.contains(a) {
            problems.push(format!("does not say what is allowed: `{a}`"));
        }
    }
    if !problems.is_empty() {
        panic!("{}\n  - {}\n--- stderr:\n{}--- stdout:\n{}", run.what, problems.join("\n  - "), e, run.stdout);
    }
}

fn expect_ok(run: &Run) {
    assert!(
        run.code == Some(0) && !run.stderr.contains("panicked"),
        "{}: exit code {:?}, expected 0\n--- stderr:\n{}--- stdout:\n{}",
        run.what,
        run.code,
        run.stderr,
        run.stdout
    );
}

// ---------------------------------------------------------------- valid input

#[test]
fn check_accepts_every_real_model_file() {
    let files = ron_files_under(&repo_models());
    assert!(files.len() >= 5, "expected the scenario and its four models under models/, found {files:?}");
    for f in &files {
        let run = exec(Path::new(env!("CARGO_MANIFEST_DIR")), &["check", f.to_str().unwrap()]);
        expect_ok(&run);
        assert!(run.stdout.contains(": ok ("), "{}: no `ok` line:\n{}", run.what, run.stdout);
        assert!(run.stderr.is_empty(), "{}: stderr not empty:\n{}", run.what, run.stderr);
    }
}

/// The untouched copy is valid, so every failure below comes from its one edit.
#[test]
fn untouched_copy_checks_and_runs() {
    let site = Site::new();
    expect_ok(&site.check(SCENARIO));
    for rel in [FACILITY, FAILURE, POWER, WORKLOAD] {
        expect_ok(&site.check(rel));
    }
    expect_ok(&site.run(SCENARIO, &["--quiet"]));
    assert!(site.path("out/summary.json").is_file(), "the short run wrote no summary.json");
    expect_ok(&site.run(SCENARIO, &["--quiet", "--set", "failure.repair.crews=4", "--set", "failure.classes[0].outcome.p_permanent=1"]));
}

/// `check FILE` documents that a model file outside its usual folder is
/// recognised "by trying each schema in turn".
#[test]
fn check_recognises_a_model_file_outside_its_folder() {
    let site = Site::new();
    std::fs::copy(site.path(FAILURE), site.path("my-failures.ron")).unwrap();
    let run = site.check("my-failures.ron");
    expect_ok(&run);
    assert!(run.stdout.contains("failure model"), "{}: not recognised as a failure model:\n{}", run.what, run.stdout);
}

// ---------------------------------------------------------------- malformed RON

#[test]
fn malformed_ron_missing_comma_in_scenario() {
    let site = Site::new();
    let e = site.edit(SCENARIO, "\"../facility/gb200-nvl72.ron\",", "\"../facility/gb200-nvl72.ron\"");
    // The parser notices at the next token, the `failure` field on the following line.
    let (l, c) = e.after("failure:");
    assert_eq!(l, e.line() + 1);
    for run in site.check_and_run() {
        expect_bad(&run, SCENARIO, At::Exact(l, c), &[], &["Expected comma"]);
    }
}

#[test]
fn malformed_ron_missing_comma_in_failure_model() {
    let site = Site::new();
    let e = site.edit(FAILURE, "level: Chip,", "level: Chip");
    let (l, c) = e.after("ttf:");
    for run in site.check_and_run().into_iter().chain([site.check(FAILURE)]) {
        expect_bad(&run, FAILURE, At::Exact(l, c), &[], &["Expected comma"]);
    }
}

#[test]
fn trailing_text_after_the_scenario() {
    let site = Site::new();
    let old = site.read(SCENARIO);
    let end = old.trim_end().len();
    let e = site.edit(SCENARIO, &old[..end], &format!("{} oops", &old[..end]));
    let (l, _) = e.after("oops");
    for run in site.check_and_run() {
        expect_bad(&run, SCENARIO, At::Line(l), &[], &["trailing"]);
    }
}

#[test]
fn missing_field_in_scenario() {
    let site = Site::new();
    let seed_line = site.read(SCENARIO).lines().find(|l| l.trim_start().starts_with("seed:")).expect("a seed line").to_string();
    let e = site.edit(SCENARIO, &format!("{seed_line}\n"), "");
    // Reported where the struct closes.
    let (l, c) = e.line_col(e.text.rfind(')').unwrap());
    for run in site.check_and_run() {
        expect_bad(&run, SCENARIO, At::Exact(l, c), &["`seed`"], &["missing field"]);
    }
}

// ---------------------------------------------------------------- unknown names

#[test]
fn unknown_field_in_scenario() {
    let site = Site::new();
    let e = site.edit(SCENARIO, "seed: 1,", "seed: 1, colour: 3,");
    let (l, c) = e.on_line("colour");
    for run in site.check_and_run() {
        expect_bad(&run, SCENARIO, At::Exact(l, c), &["colour"], &["expected one of", "`horizon_days`"]);
    }
}

#[test]
fn unknown_field_in_nested_failure_model() {
    let site = Site::new();
    let e = site.edit(FAILURE, "category: Gpu,", "category: Gpu, colour: 1,");
    let (l, c) = e.on_line("colour");
    for run in site.check_and_run().into_iter().chain([site.check(FAILURE)]) {
        expect_bad(&run, FAILURE, At::Exact(l, c), &["classes[0].colour"], &["expected one of", "`ttf`"]);
    }
}

#[test]
fn unknown_field_in_nested_facility_model() {
    let site = Site::new();
    let e = site.edit(FACILITY, "pods: 87,", "pods: 87, chip_count: 4,");
    let (l, c) = e.on_line("chip_count");
    for run in site.check_and_run().into_iter().chain([site.check(FACILITY)]) {
        expect_bad(&run, FACILITY, At::Exact(l, c), &["chip_count"], &["expected one of", "`chips_per_node`"]);
    }
}

#[test]
fn unknown_enum_variant() {
    let site = Site::new();
    let e = site.edit(FAILURE, "level: Chip,", "level: Chipp,");
    let (l, c) = e.on_line("Chipp");
    for run in site.check_and_run().into_iter().chain([site.check(FAILURE)]) {
        expect_bad(&run, FAILURE, At::Exact(l, c), &["classes[0].level", "Chipp"], &["expected one of", "`Node`"]);
    }
}

#[test]
fn unknown_law() {
    let site = Site::new();
    let e = site.edit(FAILURE, "ttf: ExponentialRate(per_hour: 6.970064e-06)", "ttf: Weibul(shape: 1.0, scale_hours: 2.0)");
    let (l, c) = e.on_line("Weibul");
    for run in site.check_and_run().into_iter().chain([site.check(FAILURE)]) {
        expect_bad(&run, FAILURE, At::Exact(l, c), &["classes[0].ttf", "Weibul"], &["expected one of", "`Weibull`"]);
    }
}

// ---------------------------------------------------------------- referenced files

#[test]
fn referenced_file_missing_from_the_path() {
    let site = Site::new();
    let e = site.edit(SCENARIO, "\"../power/gb200.ron\"", "\"../power/nope.ron\"");
    let (l, c) = e.on_line("power:");
    for run in site.check_and_run() {
        expect_bad(&run, SCENARIO, At::Exact(l, c), &["power"], &["models/power/nope.ron", "allowed:"]);
    }
}

#[test]
fn referenced_file_deleted() {
    let site = Site::new();
    std::fs::remove_file(site.path(WORKLOAD)).unwrap();
    let text = site.read(SCENARIO);
    let at = text.find("workload:").expect("a workload field");
    let (l, c) = Edited { text, at }.line_col(at);
    for run in site.check_and_run() {
        expect_bad(&run, SCENARIO, At::Exact(l, c), &["workload"], &[WORKLOAD, "allowed:"]);
    }
}

#[test]
fn nonexistent_scenario_path() {
    let site = Site::new();
    for run in [site.check("models/scenarios/nope.ron"), site.run("models/scenarios/nope.ron", &[])] {
        expect_bad(&run, "models/scenarios/nope.ron", At::Nowhere, &[], &["cannot read"]);
    }
}

// ---------------------------------------------------------------- values out of range

#[test]
fn negative_rate() {
    let site = Site::new();
    let e = site.edit(FAILURE, "per_hour: 6.970064e-06", "per_hour: -6.970064e-06");
    let (l, c) = e.on_line("-6.97");
    for run in site.check_and_run().into_iter().chain([site.check(FAILURE)]) {
        expect_bad(
            &run,
            FAILURE,
            At::Exact(l, c),
            &["classes[0].ttf", "per_hour"],
            &["got -0.000006970064", "allowed: a finite number >= 0"],
        );
    }
}

#[test]
fn probability_above_one() {
    let site = Site::new();
    let e = site.edit(FAILURE, "p_permanent: 0.415", "p_permanent: 1.5");
    let (l, c) = e.on_line("1.5");
    for run in site.check_and_run().into_iter().chain([site.check(FAILURE)]) {
        expect_bad(&run, FAILURE, At::Exact(l, c), &["classes[0].outcome", "p_permanent"], &["got 1.5", "from 0 to 1"]);
    }
}

#[test]
fn pue_below_one() {
    let site = Site::new();
    let e = site.edit(POWER, "pue: 1.15", "pue: 0.9");
    let (l, c) = e.on_line("0.9");
    for run in site.check_and_run().into_iter().chain([site.check(POWER)]) {
        expect_bad(&run, POWER, At::Exact(l, c), &["pue"], &["got 0.9", ">= 1"]);
    }
}

#[test]
fn zero_horizon_in_scenario() {
    let site = Site::new();
    let e = site.edit(SCENARIO, "horizon_days: 180.0", "horizon_days: 0.0");
    let (l, c) = e.on_line("0.0");
    for run in site.check_and_run() {
        expect_bad(&run, SCENARIO, At::Exact(l, c), &["horizon_days"], &["got 0", "allowed: a finite number > 0"]);
    }
}

#[test]
fn zero_count() {
    let site = Site::new();
    let e = site.edit(FACILITY, "chips_per_node: 4,", "chips_per_node: 0,");
    let (l, c) = e.on_line("0,");
    for run in site.check_and_run().into_iter().chain([site.check(FACILITY)]) {
        expect_bad(&run, FACILITY, At::Exact(l, c), &["chips_per_node"], &["got 0", "allowed: a whole number from 1"]);
    }
}

/// A negative whole number (a count of spares) must say what is allowed, as a negative rate does.
#[test]
fn negative_count() {
    let site = Site::new();
    let e = site.edit(FAILURE, "spare_nodes: 250,", "spare_nodes: -1,");
    // The column is left free: the parser points at the digits, after the minus sign.
    for run in site.check_and_run().into_iter().chain([site.check(FAILURE)]) {
        expect_bad(&run, FAILURE, At::Line(e.line()), &["repair.spare_nodes"], &["allowed"]);
    }
}

// ---------------------------------------------------------------- checks across fields and files

#[test]
fn uniform_law_with_min_above_max() {
    let site = Site::new();
    let e = site.edit(FAILURE, "ttf: ExponentialRate(per_hour: 6.970064e-06)", "ttf: Uniform(min_hours: 20.0, max_hours: 10.0)");
    for run in site.check_and_run() {
        expect_bad(
            &run,
            FAILURE,
            At::Line(e.line()),
            &["classes[0].ttf"],
            &["min_hours (20) is above max_hours (10)", "allowed: min_hours <= max_hours"],
        );
    }
}

/// `gigasim check` on the failure model alone must catch what loading the scenario catches.
#[test]
fn check_failure_file_with_uniform_min_above_max() {
    let site = Site::new();
    let e = site.edit(FAILURE, "ttf: ExponentialRate(per_hour: 6.970064e-06)", "ttf: Uniform(min_hours: 20.0, max_hours: 10.0)");
    expect_bad(&site.check(FAILURE), FAILURE, At::Line(e.line()), &["classes[0].ttf"], &["allowed: min_hours <= max_hours"]);
}

#[test]
fn frontier_job_larger_than_facility() {
    let site = Site::new();
    let e = site.edit(WORKLOAD, "chips: 92160,", "chips: 192160,");
    for run in site.check_and_run() {
        expect_bad(&run, WORKLOAD, At::Line(e.line()), &["frontier[0].chips", "192160"], &["allowed:", "fit in the facility"]);
    }
}

#[test]
fn tenant_job_larger_than_facility() {
    let site = Site::new();
    let e = site.edit(WORKLOAD, "(1024, 0.15)", "(200000, 0.15)");
    for run in site.check_and_run() {
        expect_bad(&run, WORKLOAD, At::Line(e.line()), &["tenants[2].classes[0].chips", "200000"], &["allowed: at most"]);
    }
}

/// pods × racks_per_pod × nodes_per_rack = 2^63 + 300 nodes, each of 4 chips:
/// 2^65 + 1200 chips, which wraps to 1200 in 64-bit arithmetic. The site is far
/// too large and must be refused, not taken for 1,200 chips.
#[test]
fn facility_too_large_for_64_bit_counts() {
    let site = Site::new();
    site.edit(FACILITY, "nodes_per_rack: 18,", "nodes_per_rack: 1691021,");
    site.edit(FACILITY, "racks_per_pod: 16,", "racks_per_pod: 2106764,");
    site.edit(FACILITY, "pods: 87,", "pods: 2588957,");
    let run = site.check(SCENARIO);
    expect_bad(&run, FACILITY, At::Anywhere, &[], &["allowed"]);
    assert!(
        ["pods", "racks_per_pod", "nodes_per_rack", "chips_per_node"].iter().any(|f| run.stderr.contains(&format!("field `{f}`"))),
        "{}: names no facility field:\n{}",
        run.what,
        run.stderr
    );
}

// ---------------------------------------------------------------- command line

#[test]
fn horizon_days_flag_zero() {
    let site = Site::new();
    let run = site.gigasim(&["run", SCENARIO, "--horizon-days", "0", "--out", site.path("out").to_str().unwrap()]);
    expect_bad(&run, "--horizon-days", At::Nowhere, &[], &["got 0", "allowed: a finite number > 0"]);
}

#[test]
fn horizon_days_flag_negative() {
    let site = Site::new();
    let run = site.gigasim(&["run", SCENARIO, "--horizon-days", "-1", "--out", site.path("out").to_str().unwrap()]);
    expect_bad(&run, "--horizon-days", At::Nowhere, &[], &["got -1", "allowed: a finite number > 0"]);
}

#[test]
fn horizon_days_flag_too_long() {
    let site = Site::new();
    let run = site.gigasim(&["run", SCENARIO, "--horizon-days", "1e6", "--out", site.path("out").to_str().unwrap()]);
    expect_bad(&run, "--horizon-days", At::Anywhere, &["horizon_days"], &["allowed: from", "up to 100000 days"]);
}

#[test]
fn set_unknown_field() {
    let site = Site::new();
    let run = site.run(SCENARIO, &["--set", "failure.repair.colour=3"]);
    expect_bad(&run, "--set", At::Nowhere, &["failure.repair.colour"], &["allowed:", "crews"]);
}

#[test]
fn set_value_out_of_range() {
    let site = Site::new();
    let run = site.run(SCENARIO, &["--set", "failure.classes[0].outcome.p_permanent=1.5"]);
    expect_bad(&run, "--set", At::Nowhere, &["failure.classes[0].outcome", "p_permanent"], &["got 1.5", "from 0 to 1"]);
    let run = site.run(SCENARIO, &["--set", "failure.classes[0].ttf.per_hour=-1"]);
    expect_bad(&run, "--set", At::Nowhere, &["failure.classes[0].ttf", "per_hour"], &["got -1", ">= 0"]);
    let run = site.run(SCENARIO, &["--set", "failure.repair.crews=0"]);
    expect_bad(&run, "--set", At::Nowhere, &["failure.repair.crews"], &["got 0", "allowed: a whole number from 1"]);
}

#[test]
fn set_zero_horizon() {
    let site = Site::new();
    let run = site.run(SCENARIO, &["--set", "horizon_days=0"]);
    expect_bad(&run, "--set", At::Nowhere, &["horizon_days"], &["got 0", "> 0"]);
}

#[test]
fn set_unknown_variant() {
    let site = Site::new();
    let run = site.run(SCENARIO, &["--set", "failure.classes[0].level=Chipp"]);
    expect_bad(&run, "--set", At::Nowhere, &["failure.classes[0].level", "Chipp"], &["expected one of", "`Node`"]);
}

#[test]
fn set_index_out_of_range() {
    let site = Site::new();
    let run = site.run(SCENARIO, &["--set", "failure.classes[99].level=Chip"]);
    expect_bad(&run, "--set", At::Nowhere, &["failure.classes[99]"], &["allowed: 0 to"]);
    let run = site.run(SCENARIO, &["--set", "failure.classes[x].level=Chip"]);
    expect_bad(&run, "--set", At::Nowhere, &["failure.classes[x]"], &["not an index", "allowed: 0 to"]);
}

#[test]
fn set_without_equals() {
    let site = Site::new();
    let run = site.run(SCENARIO, &["--set", "failure.repair.crews"]);
    expect_bad(&run, "--set", At::Nowhere, &["failure.repair.crews"], &["no `=`", "allowed: path=value"]);
}

#[test]
fn set_with_empty_path() {
    let site = Site::new();
    let run = site.run(SCENARIO, &["--set", "=3"]);
    expect_bad(&run, "--set", At::Nowhere, &[], &["empty path", "allowed"]);
}

/// Spares that do not fit are blamed, not the job's chips that do (issue 14).
#[test]
fn set_too_many_hot_spares_names_the_spares() {
    let site = Site::new();
    let run = site.run(SCENARIO, &["--set", "workload.frontier[0].hot_spare_nodes=1000000"]);
    expect_bad(&run, "--set", At::Nowhere, &["frontier[0].hot_spare_nodes"], &["allowed:", "fit in the facility"]);
    assert!(!run.stderr.contains("frontier[0].chips"), "{}", run.stderr);
}

#[test]
fn set_frontier_job_larger_than_facility() {
    let site = Site::new();
    let run = site.run(SCENARIO, &["--set", "workload.frontier[0].chips=1000000"]);
    expect_bad(&run, "--set", At::Nowhere, &["frontier[0].chips"], &["allowed:", "fit in the facility"]);
}

#[test]
fn set_uniform_law_with_min_above_max() {
    let site = Site::new();
    let run = site.run(SCENARIO, &["--set", r#"failure.classes[0].ttf={"Uniform":{"min_hours":5,"max_hours":1}}"#]);
    expect_bad(&run, "--set", At::Nowhere, &["classes[0].ttf"], &["allowed: min_hours <= max_hours"]);
}

/// A failure trace with a bad row, named in the failure model or with `--set`: exit 2 with
/// the trace file, the row's line and column, the field and the classes allowed.
#[test]
fn failure_trace_with_an_unknown_class() {
    let site = Site::new();
    std::fs::write(site.path("models/failure/trace.csv"), "time_h,class,unit\n1.0,Faulty GPU,5\n2.0,Faulty CPU,7\n").unwrap();
    site.edit(FAILURE, "    repair: (", "    replay: Some(\"trace.csv\"),\n    repair: (");
    for run in site.check_and_run() {
        expect_bad(
            &run,
            "models/failure/trace.csv",
            At::Exact(3, 2),
            &["class"],
            &["got `Faulty CPU`", "allowed: a class of the failure model", "Faulty GPU"],
        );
    }
    let site = Site::new();
    std::fs::write(site.path("trace.csv"), "time_h,class,unit\n1.0,Faulty GPU,5\n-2.0,Faulty GPU,7\n").unwrap();
    let run = site.run(SCENARIO, &["--set", "failure.replay=\"trace.csv\""]);
    expect_bad(&run, "trace.csv", At::Exact(3, 1), &["time_h"], &["allowed: hours from the start"]);
}

#[test]
fn checkpoint_size_without_storage() {
    let site = Site::new();
    let facility = site.read(FACILITY);
    let start = facility.find("    // Checkpoint storage").expect("the facility has a storage block");
    let end = facility[start..].find("    )),\n").expect("its end") + start + "    )),\n".len();
    site.edit(FACILITY, &facility[start..end], "");
    // The frontier job's size is the first the check meets.
    let e = site.edit(WORKLOAD, "size_gb_per_chip: Some(0.7),", "size_gb_per_chip: Some(0.70),");
    for run in site.check_and_run() {
        expect_bad(&run, WORKLOAD, At::Line(e.line()), &["frontier[0].checkpoint.size_gb_per_chip"], &["allowed:", "storage: Some("]);
    }
}

#[test]
fn memory_level_that_tolerates_its_whole_group() {
    let site = Site::new();
    let e = site.edit(
        WORKLOAD,
        "size_gb_per_chip: Some(0.7),",
        "size_gb_per_chip: Some(0.7), memory: Some((interval_hours: 0.05, write_hours: 0.001, restore_hours: 0.01, group_nodes: 2, tolerates: 2)),",
    );
    for run in site.check_and_run() {
        expect_bad(
            &run,
            WORKLOAD,
            At::Line(e.line()),
            &["frontier[0].checkpoint.memory.tolerates"],
            &["allowed: group_nodes >= 1 and tolerates < group_nodes"],
        );
    }
}
