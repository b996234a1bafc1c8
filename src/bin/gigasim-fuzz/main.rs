//! gigasim-fuzz: a seeded mutation fuzzer of the `gigasim` command line.
//!
//! Each case takes a shipped file (a scenario, a sweep, a model file a scenario names,
//! a job trace, an electricity price series), applies a few seeded mutations, and runs
//! the real `gigasim` binary on it as a subprocess (`run`, `check`, `sweep`, `--set`,
//! `--horizon-days`, `--trace`, a damaged sweep folder resumed, merged or plotted),
//! under a wall-time and address-space limit. The oracle (see `oracle.rs` and
//! docs/fuzzing.md): exit 0 with finite, consistent outputs, or exit 2 with a message
//! naming what is wrong; never a panic, an abort, a timeout or an internal error.
//!
//! `gigasim-fuzz --cases 1000000 --seed 1 --jobs 2 --findings DIR`;
//! `gigasim-fuzz --seed 1 --case K` reruns case K and keeps its folder.

mod mutate;
mod oracle;

use clap::Parser;
use mutate::{INTERESTING, Rng, mutate};
use oracle::{Expect, Outcome, Verdict, judge};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A seeded mutation fuzzer of the gigasim command line over the shipped model files.
#[derive(Parser, Clone)]
#[command(version, about)]
struct Args {
    /// Cases to run.
    #[arg(long, default_value_t = 1000)]
    cases: u64,
    /// Seed of the whole run; case K of seed S is the same on every machine.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Rerun only case K (verbose; its work folder is kept).
    #[arg(long, value_name = "K")]
    case: Option<u64>,
    /// First case number (with --cases N: cases FROM..FROM+N).
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Worker threads, each running one gigasim process at a time.
    #[arg(long, short, default_value_t = 1)]
    jobs: usize,
    /// Folder to save findings into (one folder per distinct finding, and summary.md).
    #[arg(long, value_name = "DIR")]
    findings: Option<PathBuf>,
    /// The gigasim binary (default: beside this one).
    #[arg(long, value_name = "PATH")]
    gigasim: Option<PathBuf>,
    /// The models/ tree to mutate (default: the repository's).
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
    /// Wall-time limit of one gigasim process, seconds (its process group is killed then).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Address-space limit of one gigasim process, MB (RLIMIT_AS).
    #[arg(long, default_value_t = 512)]
    memory_mb: u64,
    /// Stop after this many seconds even if cases remain.
    #[arg(long, value_name = "S")]
    seconds: Option<f64>,
    /// Do not pass --max-events/--max-memory-mb even when gigasim has them.
    #[arg(long)]
    no_work_bounds: bool,
    /// Keep the work folders (always kept with --case).
    #[arg(long)]
    keep: bool,
    /// Print every case.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Scenario,
    Sweep,
    Model(&'static str),
    Trace,
    Energy,
}

/// A shipped file.
struct Target {
    /// Relative to the workspace, e.g. `models/scenarios/factory-25k.ron`.
    rel: String,
    kind: Kind,
    bytes: Vec<u8>,
}

/// A scenario that runs a model file: a shipped one that names it, or a shipped one
/// edited to name it (written as `models/scenarios/fuzz-host.ron`).
#[derive(Clone)]
struct Host {
    scenario: String,
    writes: Vec<(String, Vec<u8>)>,
}

/// What every worker shares: the shipped files, hosts, `--set` paths, gigasim's flags.
struct Ctx {
    args: Args,
    gigasim: PathBuf,
    models: PathBuf,
    targets: Vec<Target>,
    originals: HashMap<String, Vec<u8>>,
    hosts: HashMap<String, Vec<Host>>,
    set_paths: BTreeMap<String, Vec<String>>,
    run_bounds: bool,
    sweep_bounds: bool,
}

const SMALL_SWEEP: &str = "models/sweeps/fuzz-small.ron";
const SMALL_SWEEP_TEXT: &str = r#"// Written by gigasim-fuzz: a small sweep whose output folders it damages.
(
    name: "fuzz-small",
    base: "../scenarios/factory-25k.ron",
    set: ["horizon_days=2"],
    parameters: [
        (path: "workload.frontier[0].checkpoint.interval_hours", values: List([0.1, 0.5])),
        (path: "failure.repair.crews", values: Range(from: 2, to: 4, step: 2)),
    ],
    replications: 2,
    metrics: ["ettr", "goodput", "frontier.0.interruptions", "power.facility_mean_mw"],
)
"#;

/// What one case does.
struct Case {
    k: u64,
    what: String,
    mutations: Vec<String>,
    /// Pristine folders copied before the case: (from, to), relative to the workspace.
    copies: Vec<(String, String)>,
    /// Files removed (after the copies).
    removes: Vec<String>,
    /// Files written (after the copies), relative to the workspace.
    writes: Vec<(String, Vec<u8>)>,
    /// gigasim's arguments; `$WS` stands for the workspace.
    argv: Vec<String>,
    expect: ExpectKind,
}

enum ExpectKind {
    Run(String),
    Sweep(String, Option<String>),
    Nothing,
}

impl Case {
    fn new(k: u64, what: impl Into<String>) -> Self {
        Case {
            k,
            what: what.into(),
            mutations: Vec::new(),
            copies: Vec::new(),
            removes: Vec::new(),
            writes: Vec::new(),
            argv: Vec::new(),
            expect: ExpectKind::Nothing,
        }
    }
    fn arg(&mut self, a: impl Into<String>) -> &mut Self {
        self.argv.push(a.into());
        self
    }
}

fn ws_path(rel: &str) -> String {
    format!("$WS/{rel}")
}

// ---------------------------------------------------------------- case planning

impl Ctx {
    fn plan(&self, k: u64) -> Case {
        let mut rng = Rng::for_case(self.args.seed, k);
        let r = rng.below(100);
        match r {
            0..=51 => self.plan_mutated_run(&mut rng, k),
            52..=61 => self.plan_set_abuse(&mut rng, k),
            62..=68 => self.plan_horizon(&mut rng, k),
            69..=80 => self.plan_damaged_sweep(&mut rng, k),
            81..=91 => self.plan_check(&mut rng, k),
            _ => self.plan_cli(&mut rng, k),
        }
    }

    fn mutated(&self, rng: &mut Rng, t: &Target, case: &mut Case) {
        let mut data = t.bytes.clone();
        let n = if rng.chance(0.1) { 1 + rng.below(8) } else { 1 + rng.below(3) };
        let csv = t.rel.ends_with(".csv");
        for _ in 0..n {
            let m = mutate(rng, &mut data, csv);
            case.mutations.push(format!("{}: {m}", t.rel));
        }
        case.writes.push((t.rel.clone(), data));
    }

    /// The run options every `run` case gets: an output folder, quiet, usually no
    /// charts and a short horizon (so that a case takes well under a second).
    fn run_opts(&self, rng: &mut Rng, case: &mut Case, horizon: bool) {
        case.arg("--out").arg(ws_path("out/run")).arg("-q");
        if !rng.chance(0.05) {
            case.arg("--no-charts");
        }
        // Mostly a short horizon: a whole shipped scenario takes 1-6 s (open-site-100k).
        if horizon && rng.chance(0.9) {
            case.arg("--horizon-days").arg(*rng.pick(&["0.25", "1", "2"]));
        }
        if self.run_bounds {
            case.arg("--max-events").arg("3000000").arg("--max-memory-mb").arg("512");
        }
        case.expect = ExpectKind::Run("out/run".into());
    }

    fn sweep_opts(&self, rng: &mut Rng, case: &mut Case, horizon: bool) {
        case.arg("--out").arg(ws_path("out/sweep")).arg("-q").arg("--no-charts").arg("--replications").arg("1");
        case.arg("--jobs").arg("1");
        if horizon && rng.chance(0.8) {
            case.arg("--horizon-days").arg(*rng.pick(&["0.1", "0.5", "1"]));
        }
        if self.sweep_bounds {
            case.arg("--max-events").arg("3000000").arg("--max-memory-mb").arg("512").arg("--max-sweep-events").arg("10000000");
        }
        case.expect = ExpectKind::Sweep("out/sweep".into(), None);
    }

    fn scenarios(&self) -> Vec<&Target> {
        self.targets.iter().filter(|t| t.kind == Kind::Scenario).collect()
    }

    /// A shipped file mutated, then run through the command that reads it.
    fn plan_mutated_run(&self, rng: &mut Rng, k: u64) -> Case {
        let t = rng.pick(&self.targets);
        let mut case = Case::new(k, format!("mutated {}", t.rel));
        match t.kind {
            Kind::Scenario => {
                self.mutated(rng, t, &mut case);
                case.arg("run").arg(ws_path(&t.rel));
                self.run_opts(rng, &mut case, true);
            }
            Kind::Sweep => {
                self.mutated(rng, t, &mut case);
                case.arg("sweep").arg(ws_path(&t.rel));
                self.sweep_opts(rng, &mut case, true);
            }
            Kind::Model(_) => {
                let Some(hosts) = self.hosts.get(&t.rel).filter(|h| !h.is_empty()) else {
                    return self.check_of(rng, t, case);
                };
                let host = rng.pick(hosts).clone();
                case.writes.extend(host.writes.clone());
                self.mutated(rng, t, &mut case);
                case.arg("run").arg(ws_path(&host.scenario));
                self.run_opts(rng, &mut case, true);
            }
            Kind::Trace => {
                self.mutated(rng, t, &mut case);
                let host = *rng.pick(&["models/scenarios/factory-25k.ron", "models/scenarios/gigafactory-100k.ron"]);
                case.arg("run").arg(ws_path(host)).arg("--trace").arg(ws_path(&t.rel));
                if rng.chance(0.2) {
                    case.arg(*rng.pick(&["--trace-time-scale", "--trace-size-scale"])).arg(*rng.pick(INTERESTING));
                }
                self.run_opts(rng, &mut case, true);
            }
            Kind::Energy => {
                let Some(host) = self.hosts.get(&t.rel).and_then(|h| h.first()).cloned() else {
                    return self.check_of(rng, t, case);
                };
                case.writes.extend(host.writes.clone());
                self.mutated(rng, t, &mut case);
                if rng.chance(0.3) {
                    case.arg("check").arg(ws_path("models/cost/fuzz-hourly.ron"));
                } else {
                    case.arg("run").arg(ws_path(&host.scenario));
                    self.run_opts(rng, &mut case, true);
                }
            }
        }
        case
    }

    fn check_of(&self, rng: &mut Rng, t: &Target, mut case: Case) -> Case {
        self.mutated(rng, t, &mut case);
        case.arg("check").arg(ws_path(&t.rel));
        case.expect = ExpectKind::Nothing;
        case
    }

    fn plan_check(&self, rng: &mut Rng, k: u64) -> Case {
        let t = rng.pick(&self.targets);
        let case = Case::new(k, format!("check of mutated {}", t.rel));
        if t.kind == Kind::Energy
            && let Some(host) = self.hosts.get(&t.rel).and_then(|h| h.first()).cloned()
        {
            let mut case = case;
            case.writes.extend(host.writes.clone());
            self.mutated(rng, t, &mut case);
            case.arg("check").arg(ws_path("models/cost/fuzz-hourly.ron"));
            return case;
        }
        self.check_of(rng, t, case)
    }

    /// A value for `--set`: interesting numbers, other JSON, odd strings.
    fn set_value(rng: &mut Rng) -> String {
        match rng.below(10) {
            0..=5 => rng.pick(INTERESTING).to_string(),
            6 => rng
                .pick(&[
                    "true",
                    "null",
                    "[]",
                    "{}",
                    "\"\"",
                    "[1e308]",
                    "{\"Weibull\":{\"shape\":100,\"scale_hours\":1}}",
                    "{\"ExponentialRate\":{\"per_hour\":9}}",
                    "{\"Nope\":1}",
                    "[0,0,0,0,0,0,0,0]",
                ])
                .to_string(),
            7 => "x".repeat(*rng.pick(&[1usize, 1000, 100_000])),
            8 => rng.pick(&["1e", "--1", "0x10", "1_000", "１", "\u{feff}1", "=", "a=b", "1.7976931348623157e309"]).to_string(),
            _ => format!("{}", rng.next_u64() as f64 / (1u64 << rng.below(64)) as f64),
        }
    }

    fn set_path(&self, rng: &mut Rng, scenario: &str) -> String {
        let paths = self.set_paths.get(scenario).filter(|p| !p.is_empty());
        match (rng.below(10), paths) {
            (0, _) | (_, None) => rng
                .pick(&[
                    "",
                    ".",
                    "a..b",
                    "failure.classes[99999999999999999999].ttf",
                    "failure.classes[-1]",
                    "workload.frontier[0",
                    "workload.frontier]0[",
                    "name.x",
                    "horizon_days.y",
                    "failure.classes[0].ttf.Weibull.shape",
                    "ümlaut",
                    "workload.frontier[0].checkpoint",
                    "failure.classes",
                    "workload",
                ])
                .to_string(),
            (_, Some(p)) => rng.pick(p).clone(),
        }
    }

    fn plan_set_abuse(&self, rng: &mut Rng, k: u64) -> Case {
        let sweep = rng.chance(0.2);
        let scen = if sweep { "models/scenarios/gigafactory-100k.ron".to_string() } else { rng.pick(&self.scenarios()).rel.clone() };
        let mut case = Case::new(k, format!("--set abuse on {}", if sweep { "models/sweeps/checkpoint-interval.ron" } else { &scen }));
        if sweep {
            case.arg("sweep").arg(ws_path("models/sweeps/checkpoint-interval.ron"));
        } else {
            case.arg("run").arg(ws_path(&scen));
        }
        for _ in 0..1 + rng.below(3) {
            let s = if rng.chance(0.03) {
                rng.pick(&["noequals", "=1", " = ", "a=b=c"]).to_string()
            } else {
                format!("{}={}", self.set_path(rng, &scen), Self::set_value(rng))
            };
            case.mutations.push(format!("--set {}", shorten(&s)));
            case.arg("--set").arg(s);
        }
        if sweep {
            self.sweep_opts(rng, &mut case, true);
        } else {
            self.run_opts(rng, &mut case, true);
        }
        case
    }

    fn plan_horizon(&self, rng: &mut Rng, k: u64) -> Case {
        let values = [INTERESTING, &["1e5", "36500", "1e-4", "0.0001", "3.5"]].concat();
        let v = rng.pick(&values).to_string();
        let sweep = rng.chance(0.25);
        let mut case = Case::new(k, format!("--horizon-days {v}"));
        if sweep {
            case.arg("sweep").arg(ws_path("models/sweeps/checkpoint-interval.ron"));
        } else {
            let s = rng.pick(&self.scenarios()).rel.clone();
            case.what = format!("--horizon-days {v} on {s}");
            case.arg("run").arg(ws_path(&s));
        }
        case.arg("--horizon-days").arg(v);
        if rng.chance(0.2) {
            let s = format!("power_bin_minutes={}", rng.pick(&["15", "1440", "0.026", "1e-9"]));
            case.mutations.push(format!("--set {s}"));
            case.arg("--set").arg(s);
        }
        if sweep {
            self.sweep_opts(rng, &mut case, false);
        } else {
            self.run_opts(rng, &mut case, false);
        }
        case
    }

    fn plan_cli(&self, rng: &mut Rng, k: u64) -> Case {
        let mut case = Case::new(k, "command-line abuse");
        let small = ws_path(SMALL_SWEEP);
        match rng.below(7) {
            0 => {
                let j = rng.pick(&["0", "100000", "4294967295", "18446744073709551616", "-1"]).to_string();
                case.what = format!("sweep --jobs {j}");
                case.arg("sweep").arg(&small).arg("--out").arg(ws_path("out/sweep")).arg("-q").arg("--no-charts").arg("--jobs").arg(j);
                case.expect = ExpectKind::Sweep("out/sweep".into(), None);
            }
            1 => {
                let s = rng.pick(&["5/3", "0/0", "0/4294967295", "4294967295/4294967296", "1/2/3", "-1/2", "a/b", "0/1"]).to_string();
                case.what = format!("sweep --shard {s}");
                case.arg("sweep")
                    .arg(&small)
                    .arg("--out")
                    .arg(ws_path("out/sweep"))
                    .arg("-q")
                    .arg("--no-charts")
                    .arg("--jobs")
                    .arg("1")
                    .arg("--shard")
                    .arg(s);
                case.expect = ExpectKind::Nothing;
            }
            2 => {
                let n = rng.pick(&["0", "4294967295", "50000001", "100000", "3"]).to_string();
                case.what = format!("sweep --replications {n}");
                case.arg("sweep")
                    .arg(&small)
                    .arg("--out")
                    .arg(ws_path("out/sweep"))
                    .arg("-q")
                    .arg("--no-charts")
                    .arg("--jobs")
                    .arg("1")
                    .arg("--replications")
                    .arg(n);
                if self.sweep_bounds {
                    case.arg("--max-events").arg("3000000").arg("--max-memory-mb").arg("512").arg("--max-sweep-events").arg("10000000");
                }
                case.expect = ExpectKind::Sweep("out/sweep".into(), None);
            }
            3 => {
                let s = rng.pick(&["18446744073709551615", "-1", "0", "18446744073709551616"]).to_string();
                case.what = format!("run --seed {s}");
                case.arg("run").arg(ws_path("models/scenarios/factory-25k.ron")).arg("--seed").arg(s);
                self.run_opts(rng, &mut case, true);
            }
            4 => {
                case.what = "run --trace with odd scales".into();
                case.arg("run")
                    .arg(ws_path("models/scenarios/factory-25k.ron"))
                    .arg("--trace")
                    .arg(ws_path("models/traces/philly-excerpt.csv"));
                for flag in ["--trace-time-scale", "--trace-size-scale"] {
                    if rng.chance(0.7) {
                        case.arg(flag).arg(*rng.pick(INTERESTING));
                    }
                }
                self.run_opts(rng, &mut case, true);
            }
            5 => {
                let what = rng.pick(&["models/scenarios/factory-25k.ron", "models", "/dev/null", "models/traces/README.md"]).to_string();
                case.what = format!("run --out {what}");
                let out = if what.starts_with('/') { what.clone() } else { ws_path(&what) };
                case.arg("run")
                    .arg(ws_path("models/scenarios/factory-25k.ron"))
                    .arg("--out")
                    .arg(out)
                    .arg("-q")
                    .arg("--no-charts")
                    .arg("--horizon-days")
                    .arg("1");
                case.expect = ExpectKind::Nothing;
            }
            _ => {
                let path = rng.pick(&["/dev/null", "/dev/zero", "$WS/models", "$WS/nothing.ron", "/proc/self/status"]).to_string();
                let sub = *rng.pick(&["check", "run", "sweep"]);
                case.what = format!("{sub} {path}");
                case.arg(sub).arg(path);
                match sub {
                    "run" => self.run_opts(rng, &mut case, false),
                    "sweep" => self.sweep_opts(rng, &mut case, false),
                    _ => {}
                }
                case.expect = ExpectKind::Nothing;
            }
        }
        case
    }

    /// A finished sweep folder damaged, then resumed, merged or plotted.
    fn plan_damaged_sweep(&self, rng: &mut Rng, k: u64) -> Case {
        let mut case = Case::new(k, "damaged sweep folder");
        let mode = rng.below(10);
        if mode < 5 {
            // Resume into a damaged folder.
            case.copies.push(("pristine/full".into(), "out/sweep".into()));
            let file = *rng.pick(&["runs.csv", "runs.csv", "points.csv", "sweep.json", "journal"]);
            if file == "journal" {
                // A killed sweep: no runs.csv nor points.csv, part of the runs in the journal.
                case.removes.push("out/sweep/runs.csv".into());
                case.removes.push("out/sweep/points.csv".into());
                case.writes.push(("out/sweep/runs.journal.csv".into(), Vec::new())); // filled in at run time
                case.mutations.push(format!("journal from runs.csv, keep-seed {}", rng.next_u64() % 1000));
            }
            let target = if file == "journal" { "runs.journal.csv" } else { file };
            let kind = rng.below(1000);
            case.mutations.push(format!("damage out/sweep/{target} #{kind}"));
            case.what = format!("resume a sweep whose {target} is damaged");
            case.arg("sweep")
                .arg(ws_path(SMALL_SWEEP))
                .arg("--out")
                .arg(ws_path("out/sweep"))
                .arg("-q")
                .arg("--no-charts")
                .arg("--jobs")
                .arg("1");
            if self.sweep_bounds {
                case.arg("--max-events").arg("3000000").arg("--max-memory-mb").arg("512").arg("--max-sweep-events").arg("10000000");
            }
            case.expect = ExpectKind::Sweep("out/sweep".into(), Some("pristine/full".into()));
        } else if mode < 9 {
            case.copies.push(("pristine/s0".into(), "out/d0".into()));
            case.copies.push(("pristine/s1".into(), "out/d1".into()));
            let d = *rng.pick(&["d0", "d1"]);
            let file = *rng.pick(&["runs.csv", "runs.csv", "runs.csv", "sweep.json", "points.csv", "journal"]);
            if file == "journal" {
                case.removes.push(format!("out/{d}/runs.csv"));
                case.writes.push((format!("out/{d}/runs.journal.csv"), Vec::new()));
                case.mutations.push(format!("journal from runs.csv, keep-seed {}", rng.next_u64() % 1000));
            }
            let target = if file == "journal" { "runs.journal.csv" } else { file };
            let kind = rng.below(1000);
            case.mutations.push(format!("damage out/{d}/{target} #{kind}"));
            case.what = format!("merge shards, {d}/{target} damaged");
            case.arg("merge");
            let dirs: &[&str] = match rng.below(8) {
                0 => &["d0"],
                1 => &["d0", "d0"],
                2 => &["d0", "d1", "d1"],
                3 => &["d1", "d0"],
                _ => &["d0", "d1"],
            };
            for dd in dirs {
                case.arg(ws_path(&format!("out/{dd}")));
            }
            case.arg("--out").arg(ws_path("out/merged")).arg("--no-charts").arg("-q");
            case.expect = ExpectKind::Sweep("out/merged".into(), Some("pristine/full".into()));
        } else {
            case.copies.push(("pristine/full".into(), "out/sweep".into()));
            let file = *rng.pick(&["points.csv", "sweep.json"]);
            let kind = rng.below(1000);
            case.mutations.push(format!("damage out/sweep/{file} #{kind}"));
            case.what = format!("plot a sweep whose {file} is damaged");
            case.arg("plot").arg(ws_path("out/sweep"));
            case.expect = ExpectKind::Nothing;
        }
        case
    }
}

fn shorten(s: &str) -> String {
    if s.len() > 120 {
        let mut end = 100;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…({} bytes)", &s[..end], s.len())
    } else {
        s.to_string()
    }
}

/// Damage a sweep output file (runs.csv, points.csv, a journal, sweep.json) in a way
/// that a reader must notice or that must not change the result.
fn damage(rng: &mut Rng, data: &mut Vec<u8>, file: &str) -> String {
    if file.ends_with(".json") {
        return mutate(rng, data, false);
    }
    let text = String::from_utf8_lossy(data).to_string();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let ends_nl = text.ends_with('\n');
    if lines.len() < 2 {
        return mutate(rng, data, true);
    }
    let row = 1 + rng.below(lines.len() - 1);
    let cells: Vec<String> = lines[row].split(',').map(str::to_string).collect();
    let what = match rng.below(12) {
        0 => {
            let s = rng.pick(&["5,3", "0,1", "0", "99,0,1", ""]).to_string();
            lines.push(s.clone());
            format!("append short row {s:?}")
        }
        1 => {
            let n = 1 + rng.below(40);
            let mut t = text.clone().into_bytes();
            if ends_nl {
                t.pop();
            }
            t.truncate(t.len().saturating_sub(n));
            if rng.chance(0.5) {
                t.push(b'\n');
            }
            *data = t;
            return format!("cut {n} bytes off the end");
        }
        2 => {
            lines.insert(row, lines[row].clone());
            format!("duplicate row {row}")
        }
        3 => {
            let mut c = cells.clone();
            let last = c.len() - 1;
            c[last] = format!("{}1", c[last]);
            lines.insert(row + 1, c.join(","));
            format!("duplicate key of row {row} with another value")
        }
        4 => {
            let mut c = cells.clone();
            c[0] = rng.pick(&["99", "4294967296", "-1", "18446744073709551616"]).to_string();
            lines.push(c.join(","));
            format!("fake row for point {}", c[0])
        }
        5 if cells.len() > 2 => {
            let mut c = cells.clone();
            c[2] = "12345".into();
            lines[row] = c.join(",");
            format!("wrong seed in row {row}")
        }
        6 if cells.len() > 3 => {
            let mut c = cells.clone();
            c[3] = "0.3".into();
            lines[row] = c.join(",");
            format!("wrong parameter value in row {row}")
        }
        7 => {
            let mut c = cells.clone();
            let i = 3 + rng.below(c.len().saturating_sub(3).max(1));
            let i = i.min(c.len() - 1);
            c[i] = rng.pick(&["NaN", "inf", "", "x", "1e999"]).to_string();
            lines[row] = c.join(",");
            format!("cell {i} of row {row} -> {}", c[i])
        }
        8 => {
            let h = &lines[0];
            let cut = rng.below(h.len().max(1));
            lines[0] = h[..cut].to_string();
            format!("header cut to {cut} bytes")
        }
        9 => {
            lines.remove(row);
            format!("row {row} removed")
        }
        10 => {
            let mut c = cells.clone();
            c.pop();
            lines[row] = c.join(",");
            format!("row {row} one cell short")
        }
        _ => {
            let mut c = cells.clone();
            c.push("1".into());
            lines[row] = c.join(",");
            format!("row {row} one cell long")
        }
    };
    let mut out = lines.join("\n");
    if ends_nl {
        out.push('\n');
    }
    *data = out.into_bytes();
    what
}

// ---------------------------------------------------------------- running

struct Worker<'a> {
    ctx: &'a Ctx,
    ws: PathBuf,
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let dest = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_tree(&e.path(), &dest)?;
        } else {
            std::fs::copy(e.path(), dest)?;
        }
    }
    Ok(())
}

/// Read at most `max` bytes of a file, lossily.
fn read_head(path: &Path, max: usize) -> String {
    let mut buf = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(max as u64).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).to_string()
}

impl<'a> Worker<'a> {
    fn new(ctx: &'a Ctx, ws: PathBuf) -> std::io::Result<Self> {
        let _ = std::fs::remove_dir_all(&ws);
        copy_tree(&ctx.models, &ws.join("models"))?;
        std::fs::write(ws.join(SMALL_SWEEP), SMALL_SWEEP_TEXT)?;
        let w = Worker { ctx, ws };
        w.prepare_sweeps()?;
        Ok(w)
    }

    fn wss(&self) -> String {
        self.ws.display().to_string()
    }

    fn subst(&self, a: &str) -> String {
        a.replace("$WS", &self.wss())
    }

    /// The undamaged sweep folders damaged cases start from: the whole small sweep, and its two shards.
    fn prepare_sweeps(&self) -> std::io::Result<()> {
        let sweep = self.ws.join(SMALL_SWEEP).display().to_string();
        for (out, shard) in [("full", None), ("s0", Some("0/2")), ("s1", Some("1/2"))] {
            let mut c = Command::new(&self.ctx.gigasim);
            c.arg("sweep")
                .arg(&sweep)
                .arg("--out")
                .arg(self.ws.join("pristine").join(out))
                .arg("-q")
                .arg("--no-charts")
                .arg("--jobs")
                .arg("1");
            if let Some(s) = shard {
                c.arg("--shard").arg(s);
            }
            let o = c.output()?;
            if !o.status.success() {
                return Err(std::io::Error::other(format!(
                    "preparing the sweep folders: gigasim sweep {sweep} exited {}: {}",
                    o.status,
                    String::from_utf8_lossy(&o.stderr)
                )));
            }
        }
        Ok(())
    }

    /// Lay out the case in the workspace.
    fn stage(&self, case: &Case, rng: &mut Rng) -> std::io::Result<Vec<String>> {
        let mut notes = Vec::new();
        let _ = std::fs::remove_dir_all(self.ws.join("out"));
        std::fs::create_dir_all(self.ws.join("out"))?;
        for (from, to) in &case.copies {
            copy_tree(&self.ws.join(from), &self.ws.join(to))?;
        }
        // A journal is made from the runs.csv beside it before that is removed.
        for (rel, data) in &case.writes {
            if rel.ends_with("runs.journal.csv") && data.is_empty() {
                let dir = Path::new(rel).parent().unwrap_or(Path::new(""));
                let runs = std::fs::read_to_string(self.ws.join(dir).join("runs.csv"))?;
                let mut lines = runs.lines();
                let mut j = lines.next().unwrap_or("").to_string() + "\n";
                for l in lines {
                    if rng.chance(0.6) {
                        j += l;
                        j.push('\n');
                    }
                }
                std::fs::write(self.ws.join(rel), j)?;
            }
        }
        for rel in &case.removes {
            let _ = std::fs::remove_file(self.ws.join(rel));
        }
        for (rel, data) in &case.writes {
            if rel.ends_with("runs.journal.csv") && data.is_empty() {
                continue;
            }
            let p = self.ws.join(rel);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d)?;
            }
            std::fs::write(p, data)?;
        }
        // Damage named by a mutation note `damage out/X/FILE #n`.
        for m in &case.mutations {
            if let Some(rest) = m.strip_prefix("damage ") {
                let rel = rest.split(" #").next().unwrap_or(rest);
                let p = self.ws.join(rel);
                let mut data = std::fs::read(&p).unwrap_or_default();
                let what = damage(rng, &mut data, rel);
                std::fs::write(&p, &data)?;
                notes.push(format!("{rel}: {what}"));
            }
        }
        Ok(notes)
    }

    /// Put back what the case changed in models/.
    fn unstage(&self, case: &Case) {
        for (rel, _) in &case.writes {
            if !rel.starts_with("models/") {
                continue;
            }
            match self.ctx.originals.get(rel) {
                Some(orig) => {
                    let _ = std::fs::write(self.ws.join(rel), orig);
                }
                None => {
                    let _ = std::fs::remove_file(self.ws.join(rel));
                }
            }
        }
        let _ = std::fs::remove_dir_all(self.ws.join("out"));
        let _ = std::fs::remove_dir_all(self.ws.join("gigasim-out"));
        let _ = std::fs::remove_dir_all(self.ws.join("gigasim-sweep"));
    }

    fn spawn(&self, argv: &[String]) -> Outcome {
        let out = std::fs::File::create(self.ws.join("stdout.txt")).expect("stdout file");
        let err = std::fs::File::create(self.ws.join("stderr.txt")).expect("stderr file");
        let mut c = Command::new(&self.ctx.gigasim);
        c.args(argv).current_dir(&self.ws).stdin(Stdio::null()).stdout(out).stderr(err);
        c.env_remove("RUST_BACKTRACE");
        c.process_group(0);
        let mem = self.ctx.args.memory_mb * 1024 * 1024;
        // SAFETY: only async-signal-safe calls (setrlimit) between fork and exec.
        unsafe {
            c.pre_exec(move || {
                let set = |res, v: u64| {
                    let l = libc::rlimit { rlim_cur: v as libc::rlim_t, rlim_max: v as libc::rlim_t };
                    libc::setrlimit(res, &l);
                };
                set(libc::RLIMIT_AS, mem);
                set(libc::RLIMIT_CORE, 0);
                set(libc::RLIMIT_FSIZE, 1 << 30);
                Ok(())
            });
        }
        let t0 = Instant::now();
        let limit = Duration::from_secs_f64(self.ctx.args.timeout);
        let mut child = match c.spawn() {
            Ok(c) => c,
            Err(e) => {
                return Outcome {
                    code: Some(-1),
                    signal: None,
                    timed_out: false,
                    stdout: String::new(),
                    stderr: format!("spawn failed: {e}"),
                };
            }
        };
        let pid = child.id() as i32;
        let mut timed_out = false;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) => {}
                Err(_) => break child.wait().expect("wait"),
            }
            if t0.elapsed() > limit {
                timed_out = true;
                // SAFETY: plain syscall; the group is the child's own (process_group(0)).
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
                break child.wait().expect("wait");
            }
            let e = t0.elapsed();
            std::thread::sleep(if e < Duration::from_millis(50) { Duration::from_millis(2) } else { Duration::from_millis(10) });
        };
        // Anything the process left in its group goes too.
        // SAFETY: as above.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        Outcome {
            code: status.code(),
            signal: status.signal(),
            timed_out,
            stdout: read_head(&self.ws.join("stdout.txt"), 64 * 1024),
            stderr: read_head(&self.ws.join("stderr.txt"), 256 * 1024),
        }
    }

    fn run_case(&self, case: &Case) -> (Outcome, Option<Verdict>, Vec<String>) {
        let mut rng = Rng::for_case(self.ctx.args.seed ^ 0xda3e_39cb_94b9_5bdb, case.k);
        let notes = match self.stage(case, &mut rng) {
            Ok(n) => n,
            Err(e) => {
                let o = Outcome {
                    code: Some(-1),
                    signal: None,
                    timed_out: false,
                    stdout: String::new(),
                    stderr: format!("staging failed: {e}"),
                };
                return (o, None, vec![format!("staging failed: {e}")]);
            }
        };
        let argv: Vec<String> = case.argv.iter().map(|a| self.subst(a)).collect();
        let o = self.spawn(&argv);
        let wss = self.wss();
        let (a, b);
        let expect = match &case.expect {
            ExpectKind::Run(d) => {
                a = self.ws.join(d);
                Expect::Run(&a)
            }
            ExpectKind::Sweep(d, p) => {
                a = self.ws.join(d);
                b = p.as_ref().map(|p| self.ws.join(p));
                Expect::Sweep(&a, b.as_deref())
            }
            ExpectKind::Nothing => Expect::Nothing,
        };
        let mut v = if o.code == Some(-1) { None } else { judge(&o, &argv, &wss, &case.what, expect) };
        // A damaged folder accepted: which damage, in words.
        if let Some(v) = v.as_mut()
            && v.class == "sweep-damage-accepted"
        {
            let how: Vec<String> = notes.iter().map(|n| oracle::normalize(n, "")).collect();
            v.key = format!("{} [after: {}]", v.key, how.join("; "));
        }
        (o, v, notes)
    }
}

// ---------------------------------------------------------------- findings

struct Finding {
    class: &'static str,
    key: String,
    count: u64,
    first_case: u64,
    dir: Option<PathBuf>,
    first_stderr: String,
    command: String,
}

#[derive(Default)]
struct Tally {
    cases: u64,
    exits: BTreeMap<String, u64>,
    findings: BTreeMap<(String, String), Finding>,
}

fn hash(s: &str) -> u64 {
    // FNV-1a: stable across runs and platforms.
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

fn shell_quote(a: &str) -> String {
    if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:$[]{}@%+,".contains(c)) && !a.contains("$(") {
        if a.contains('$') && !a.starts_with("$WS") {
            return format!("'{a}'");
        }
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

fn command_line(argv: &[String]) -> String {
    let mut s = String::from("gigasim");
    for a in argv {
        s.push(' ');
        s.push_str(&shell_quote(&shorten(a)));
    }
    s
}

fn exit_label(o: &Outcome) -> String {
    if o.timed_out {
        "timeout".into()
    } else if let Some(s) = o.signal {
        format!("signal {s}")
    } else {
        format!("exit {}", o.code.unwrap_or(-1))
    }
}

#[allow(clippy::too_many_arguments)]
fn save_finding(dir: &Path, ctx: &Ctx, case: &Case, v: &Verdict, o: &Outcome, notes: &[String], ws: &Path) -> std::io::Result<PathBuf> {
    let fdir = dir.join(format!("{}-{:08x}", v.class, hash(&format!("{}{}", v.class, v.key)) as u32));
    std::fs::create_dir_all(fdir.join("files"))?;
    let mut t = String::new();
    t += &format!("class: {}\nkey: {}\nexit: {}\n", v.class, v.key, exit_label(o));
    t += &format!("case: {} (seed {})\nwhat: {}\n", case.k, ctx.args.seed, case.what);
    t += &format!("reproduce: gigasim-fuzz --seed {} --case {}\n", ctx.args.seed, case.k);
    t += &format!("command (WS = a copy of models/ with files/ laid over it): {}\n", command_line(&case.argv));
    t += "mutations:\n";
    for m in case.mutations.iter().chain(notes) {
        t += &format!("  {}\n", shorten(m));
    }
    std::fs::write(fdir.join("case.txt"), t)?;
    std::fs::write(fdir.join("stderr.txt"), &o.stderr)?;
    std::fs::write(fdir.join("stdout.txt"), &o.stdout)?;
    for (rel, data) in &case.writes {
        let p = fdir.join("files").join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        let data = if data.is_empty() { std::fs::read(ws.join(rel)).unwrap_or_default() } else { data.clone() };
        std::fs::write(p, data)?;
    }
    // Damaged folders: the files as the case damaged them are gone (gigasim changed
    // them); the mutation notes say what was done, `--case` redoes it.
    Ok(fdir)
}

fn record(ctx: &Ctx, tally: &Mutex<Tally>, case: &Case, o: &Outcome, v: Option<Verdict>, notes: &[String], ws: &Path) {
    let mut t = tally.lock().expect("tally");
    t.cases += 1;
    *t.exits.entry(exit_label(o)).or_default() += 1;
    let Some(v) = v else { return };
    let key = (v.class.to_string(), v.key.clone());
    if let Some(f) = t.findings.get_mut(&key) {
        f.count += 1;
        return;
    }
    let dir = ctx.args.findings.as_ref().and_then(|d| save_finding(d, ctx, case, &v, o, notes, ws).ok());
    let first_stderr = o.stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("").to_string();
    eprintln!("finding [{}] case {}: {} | {}", v.class, case.k, shorten(&v.key), shorten(&first_stderr));
    t.findings.insert(
        key,
        Finding { class: v.class, key: v.key, count: 1, first_case: case.k, dir, first_stderr, command: command_line(&case.argv) },
    );
}

// ---------------------------------------------------------------- set-up

fn find_gigasim(args: &Args) -> Result<PathBuf, String> {
    if let Some(p) = &args.gigasim {
        return Ok(p.clone());
    }
    let me = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let dir = me.parent().ok_or("no folder")?;
    // Tests run from target/<profile>/deps; the binaries sit one up.
    for d in [dir, dir.parent().unwrap_or(dir)] {
        let p = d.join("gigasim");
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(format!("no gigasim binary beside {}; build it (cargo build --release --bin gigasim) or pass --gigasim PATH", me.display()))
}

fn has_flag(gigasim: &Path, sub: &str, flag: &str) -> bool {
    Command::new(gigasim).args([sub, "--help"]).output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(flag))
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<Target>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, root, out)?;
            continue;
        }
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let folder = p.parent().and_then(|d| d.file_name()).map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let kind = match (folder.as_str(), name.rsplit('.').next().unwrap_or("")) {
            ("scenarios", "ron") => Kind::Scenario,
            ("sweeps", "ron") => Kind::Sweep,
            ("facility", "ron") => Kind::Model("facility"),
            ("failure", "ron") => Kind::Model("failure"),
            ("power", "ron") => Kind::Model("power"),
            ("workload", "ron") => Kind::Model("workload"),
            ("cost", "ron") => Kind::Model("cost"),
            ("traces", "csv" | "swf") => Kind::Trace,
            ("energy", "csv") => Kind::Energy,
            _ => continue,
        };
        let rel = format!("models/{}", p.strip_prefix(root).unwrap_or(&p).display());
        out.push(Target { rel, kind, bytes: std::fs::read(&p)? });
    }
    Ok(())
}

/// Scenario text with the model path of `field` replaced by `path` (added when missing, for `cost`).
fn with_model(text: &str, field: &str, path: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for line in text.lines() {
        let t = line.trim_start();
        if !done && t.starts_with(&format!("{field}:")) {
            let v = if field == "cost" { format!("Some(\"{path}\")") } else { format!("\"{path}\"") };
            out += &format!("    {field}: {v},\n");
            done = true;
        } else if !done && field == "cost" && t.starts_with("horizon_days:") {
            out += &format!("    cost: Some(\"{path}\"),\n{line}\n");
            done = true;
        } else {
            out += line;
            out.push('\n');
        }
    }
    out
}

/// Every path `--set` can name in the scenario: leaves and whole sub-trees, with enum
/// variant names kept and left out.
fn set_paths(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                out.push(p.clone());
                set_paths(x, &p, out);
                if k.starts_with(char::is_uppercase) && m.len() == 1 {
                    // The variant name may be left out.
                    set_paths(x, prefix, out);
                }
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{prefix}[{i}]");
                out.push(p.clone());
                set_paths(x, &p, out);
            }
        }
        _ => {}
    }
}

fn setup(args: Args, tmp: &Path) -> Result<Ctx, String> {
    let gigasim = find_gigasim(&args)?;
    let models = args.models.clone().unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    if !models.is_dir() {
        return Err(format!("{} is not a folder; pass --models DIR", models.display()));
    }
    let mut targets = Vec::new();
    collect(&models, &models, &mut targets).map_err(|e| format!("reading {}: {e}", models.display()))?;
    let originals: HashMap<String, Vec<u8>> = targets.iter().map(|t| (t.rel.clone(), t.bytes.clone())).collect();
    // A scratch copy to try host scenarios in.
    let scratch = tmp.join("setup");
    copy_tree(&models, &scratch.join("models")).map_err(|e| format!("copying models/: {e}"))?;
    let load = |rel: &str| gigasim::config::load_scenario(&gigasim::config::FileSystem, &scratch.join(rel));
    let scenarios: Vec<&Target> = targets.iter().filter(|t| t.kind == Kind::Scenario).collect();
    let mut hosts: HashMap<String, Vec<Host>> = HashMap::new();
    let mut set_paths_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in &scenarios {
        if let Ok(sc) = load(&s.rel) {
            let mut p = Vec::new();
            set_paths(&serde_json::to_value(&sc).unwrap_or_default(), "", &mut p);
            p.sort();
            p.dedup();
            set_paths_by.insert(s.rel.clone(), p);
        }
    }
    let host_rel = "models/scenarios/fuzz-host.ron";
    for t in &targets {
        let Kind::Model(field) = t.kind else { continue };
        let file = t.rel.trim_start_matches("models/");
        let named = format!("\"../{file}\"");
        let mut hs: Vec<Host> = scenarios
            .iter()
            .filter(|s| String::from_utf8_lossy(&s.bytes).contains(&named))
            .map(|s| Host { scenario: s.rel.clone(), writes: vec![] })
            .collect();
        if hs.is_empty() {
            for s in &scenarios {
                let text = with_model(&String::from_utf8_lossy(&s.bytes), field, &format!("../{file}"));
                let _ = std::fs::write(scratch.join(host_rel), &text);
                if load(host_rel).is_ok() {
                    hs.push(Host { scenario: host_rel.into(), writes: vec![(host_rel.into(), text.into_bytes())] });
                    break;
                }
            }
        }
        hosts.insert(t.rel.clone(), hs);
    }
    // Energy price series: a copy of the hourly cost model naming the file, in a scenario.
    let hourly =
        targets.iter().find(|t| t.rel == "models/cost/gigafactory-de-hourly.ron").map(|t| String::from_utf8_lossy(&t.bytes).to_string());
    if let Some(hourly) = hourly {
        let base = scenarios.iter().find(|s| s.rel.ends_with("factory-25k.ron")).or(scenarios.first());
        for t in targets.iter().filter(|t| t.kind == Kind::Energy) {
            let name = t.rel.rsplit('/').next().unwrap_or("");
            let cost = hourly.replace("prices-2018-de.csv", name);
            let Some(base) = base else { continue };
            let scen = with_model(&String::from_utf8_lossy(&base.bytes), "cost", "../cost/fuzz-hourly.ron");
            hosts.insert(
                t.rel.clone(),
                vec![Host {
                    scenario: host_rel.into(),
                    writes: vec![("models/cost/fuzz-hourly.ron".into(), cost.into_bytes()), (host_rel.into(), scen.into_bytes())],
                }],
            );
        }
    }
    let bounds = !args.no_work_bounds;
    let run_bounds = bounds && has_flag(&gigasim, "run", "--max-events") && has_flag(&gigasim, "run", "--max-memory-mb");
    let sweep_bounds = bounds && has_flag(&gigasim, "sweep", "--max-events") && has_flag(&gigasim, "sweep", "--max-memory-mb");
    Ok(Ctx { args, gigasim, models, targets, originals, hosts, set_paths: set_paths_by, run_bounds, sweep_bounds })
}

// ---------------------------------------------------------------- main

fn main() -> ExitCode {
    let args = Args::parse();
    let tmp = std::env::temp_dir().join(format!("gigasim-fuzz-{}", std::process::id()));
    let ctx = match setup(args.clone(), &tmp) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(d) = &args.findings
        && let Err(e) = std::fs::create_dir_all(d)
    {
        eprintln!("error: --findings {}: {e}", d.display());
        return ExitCode::from(2);
    }
    if let Some(k) = args.case {
        return one_case(&ctx, k, &tmp);
    }
    let t0 = Instant::now();
    let tally = Mutex::new(Tally::default());
    let next = AtomicU64::new(args.from);
    let end = args.from + args.cases;
    let stop = AtomicBool::new(false);
    let jobs = args.jobs.max(1);
    eprintln!(
        "gigasim-fuzz: {} on {} shipped files, cases {}..{end}, seed {}, {jobs} jobs, limits {} s / {} MB, work bounds {}",
        ctx.gigasim.display(),
        ctx.targets.len(),
        args.from,
        args.seed,
        args.timeout,
        args.memory_mb,
        if ctx.run_bounds { "--max-events 3000000 --max-memory-mb 512" } else { "not in this gigasim" }
    );
    let failed = Arc::new(Mutex::new(None::<String>));
    std::thread::scope(|s| {
        for w in 0..jobs {
            let (ctx, tally, next, stop, tmp, failed) = (&ctx, &tally, &next, &stop, &tmp, failed.clone());
            s.spawn(move || {
                let worker = match Worker::new(ctx, tmp.join(format!("w{w}"))) {
                    Ok(w) => w,
                    Err(e) => {
                        *failed.lock().expect("lock") = Some(e.to_string());
                        stop.store(true, Ordering::Relaxed);
                        return;
                    }
                };
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= end {
                        break;
                    }
                    if ctx.args.seconds.is_some_and(|lim| t0.elapsed().as_secs_f64() > lim) {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                    let case = ctx.plan(k);
                    let (o, v, notes) = worker.run_case(&case);
                    if ctx.args.verbose {
                        eprintln!(
                            "case {k}: {} -> {} {}",
                            case.what,
                            exit_label(&o),
                            v.as_ref().map_or(String::new(), |v| format!("[{}]", v.class))
                        );
                    }
                    record(ctx, tally, &case, &o, v, &notes, &worker.ws);
                    worker.unstage(&case);
                    if w == 0 && k % 500 == 0 && k > args.from {
                        let t = tally.lock().expect("tally");
                        eprintln!(
                            "  {} cases in {:.0} s ({:.1}/s), {} distinct findings",
                            t.cases,
                            t0.elapsed().as_secs_f64(),
                            t.cases as f64 / t0.elapsed().as_secs_f64(),
                            t.findings.len()
                        );
                    }
                }
            });
        }
    });
    if let Some(e) = failed.lock().expect("lock").as_ref() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if !args.keep {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let t = tally.into_inner().expect("tally");
    let secs = t0.elapsed().as_secs_f64();
    let report = summary(&ctx, &t, secs);
    print!("{report}");
    if let Some(d) = &args.findings {
        let _ = std::fs::write(d.join("summary.md"), &report);
    }
    if t.findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn summary(ctx: &Ctx, t: &Tally, secs: f64) -> String {
    let mut s = String::new();
    let total: u64 = t.findings.values().map(|f| f.count).sum();
    s += &format!(
        "gigasim-fuzz summary: seed {}, {} cases in {:.1} s ({:.1} cases/s), {} jobs, limits {} s / {} MB\n",
        ctx.args.seed,
        t.cases,
        secs,
        t.cases as f64 / secs.max(1e-9),
        ctx.args.jobs,
        ctx.args.timeout,
        ctx.args.memory_mb
    );
    s += &format!("exits: {}\n", t.exits.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", "));
    let mut by_class: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for f in t.findings.values() {
        let e = by_class.entry(f.class).or_default();
        e.0 += 1;
        e.1 += f.count;
    }
    s += &format!("findings: {} distinct in {} cases\n", t.findings.len(), total);
    for (c, (n, k)) in &by_class {
        s += &format!("  {c:<24} {n:>4} distinct {k:>6} cases\n");
    }
    if !t.findings.is_empty() {
        s += "\ndistinct findings (class | key | cases | first case | first stderr line | command):\n";
    }
    let mut fs: Vec<&Finding> = t.findings.values().collect();
    fs.sort_by(|a, b| a.class.cmp(b.class).then(b.count.cmp(&a.count)));
    for f in fs {
        s += &format!(
            "- [{}] {}\n    {} cases; reproduce: gigasim-fuzz --seed {} --case {}{}\n    stderr: {}\n    command: {}\n",
            f.class,
            f.key,
            f.count,
            ctx.args.seed,
            f.first_case,
            f.dir.as_ref().map_or(String::new(), |d| format!(" (saved in {})", d.display())),
            shorten(&f.first_stderr),
            shorten(&f.command)
        );
    }
    s += &format!("RESULT: {} distinct findings\n", t.findings.len());
    s
}

/// `--case K`: run one case verbosely and keep its work folder.
fn one_case(ctx: &Ctx, k: u64, tmp: &Path) -> ExitCode {
    let worker = match Worker::new(ctx, tmp.join("case")) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let case = ctx.plan(k);
    let (o, v, notes) = worker.run_case(&case);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "case {k} (seed {}): {}", ctx.args.seed, case.what);
    for m in case.mutations.iter().chain(&notes) {
        let _ = writeln!(out, "  mutation: {}", shorten(m));
    }
    let argv: Vec<String> = case.argv.iter().map(|a| worker.subst(a)).collect();
    let _ = writeln!(out, "command: {}", command_line(&argv));
    let _ = writeln!(out, "result: {}", exit_label(&o));
    let _ = writeln!(out, "stderr:\n{}", shorten_lines(&o.stderr));
    match &v {
        Some(v) => {
            let _ = writeln!(out, "FINDING [{}] {}", v.class, v.key);
        }
        None => {
            let _ = writeln!(out, "ok: the oracle is satisfied");
        }
    }
    let _ = writeln!(out, "work folder kept: {} (the mutated files are in place; outputs under out/)", worker.ws.display());
    if v.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn shorten_lines(s: &str) -> String {
    s.lines().take(20).map(shorten).collect::<Vec<_>>().join("\n")
}
