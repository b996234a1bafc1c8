use clap::{Parser, Subcommand};
use gigasim::config::{self, Embedded, FileSystem, InputError, Positive, Scenario, Source};
use gigasim::sweep::{self, Shard, Sweep};
use gigasim::work::{Bounds, Work};
use gigasim::{Report, Simulation, output};
use indicatif::{ProgressBar, ProgressStyle};
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Instant;

/// Counts the memory a run holds, so that it can stop at --max-memory-mb.
#[global_allocator]
static ALLOCATOR: gigasim::work::Counting = gigasim::work::Counting;

/// gigasim: discrete-event simulation of AI gigafactories — failures,
/// checkpoint/restart, power draw and job throughput, from RON model files.
///
/// With no command it runs the built-in default scenario (a ~100k-chip site for
/// 180 days) and writes its results to gigasim-out/; it takes the options of
/// `gigasim run`. `gigasim init DIR` writes that scenario's files out for editing.
#[derive(Parser)]
#[command(version, about, long_about, after_help = "Exit codes: 0 success, 1 internal error, 2 bad input.")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(flatten)]
    opts: RunOpts,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario and write summary.json, failures.csv, power.csv,
    /// power_zoom.csv, drops.csv, frontier.csv and charts/.
    #[command(after_help = run_files_help())]
    Run(RunArgs),
    /// Write the built-in default scenario and its model files into DIR, for editing.
    ///
    /// DIR gets scenarios/gigafactory-100k.ron, and beside it the facility/, failure/,
    /// power/ and workload/ files it names, with their comments, laid out as in the
    /// repository's models/. `gigasim run DIR/scenarios/gigafactory-100k.ron` then runs
    /// it, with the same results as bare `gigasim`. Nothing is written if any of these
    /// files exists, unless --force.
    Init {
        /// The folder to write into (created if missing).
        dir: PathBuf,
        /// Overwrite files that exist (by default nothing is written if any does).
        #[arg(long)]
        force: bool,
    },
    /// Validate a scenario, sweep or model file without running it.
    Check {
        /// A scenario (models/scenarios/), a sweep (models/sweeps/), or a facility, failure, power, workload or cost model file.
        file: PathBuf,
    },
    /// Run a parameter sweep: every grid point × replication, in parallel, with
    /// common random numbers. Writes sweep.json, runs.csv and points.csv; an
    /// interrupted sweep started again with the same --out resumes where it stopped.
    Sweep(SweepArgs),
    /// Join the output folders of finished shards (`sweep --shard I/N`) into the
    /// files one unsharded sweep writes.
    Merge {
        /// Shard output folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the merged sweep.json, runs.csv and points.csv.
        #[arg(long)]
        out: PathBuf,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Do not draw the charts into OUT/charts/.
        #[arg(long)]
        no_charts: bool,
    },
    /// Redraw the charts of a run or sweep output folder from its CSV files, and
    /// rebuild its report.html (when the charts go to DIR/charts).
    Plot {
        /// A folder written by `gigasim run` (summary.json, power.csv, …) or by `gigasim sweep` (sweep.json, points.csv).
        dir: PathBuf,
        /// Where to write the charts (default: DIR/charts).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct SweepArgs {
    /// The sweep file (models/sweeps/*.ron).
    sweep: PathBuf,
    /// Output directory (default: gigasim-sweep/<sweep name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (default: one per core). Output bytes do not depend on it.
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Run only shard I of N (runs k with k mod N = I), e.g. for a Slurm job array.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Runs per grid point (overrides the sweep file's `replications`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    replications: Option<u32>,
    /// Simulated time of every run in days (overrides the base scenario's and the sweep file's `set`).
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    horizon_days: Option<f64>,
    /// Override a field of the base scenario, as `run --set` does; it wins over the
    /// sweep file's `set`, and a field the sweep varies is refused. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Print nothing but errors (no progress bar).
    #[arg(long, short)]
    quiet: bool,
    /// Do not draw the charts into DIR/charts/.
    #[arg(long)]
    no_charts: bool,
    #[command(flatten)]
    bounds: BoundOpts,
    /// Refuse a sweep whose runs together are estimated to process more events than
    /// this (default 1e10, about an hour on two cores; --allow-large lifts it).
    #[arg(long, value_name = "N", value_parser = parse_count)]
    max_sweep_events: Option<u64>,
}

/// How much work one command may take before it is refused.
#[derive(clap::Args)]
struct BoundOpts {
    /// Refuse a run estimated to process more events than this, and stop one that
    /// gets there (default 5e8, about 3 minutes; a sweep: per run).
    #[arg(long, value_name = "N", value_parser = parse_count)]
    max_events: Option<u64>,
    /// Refuse a run estimated to hold more memory than this, and stop one that
    /// gets there (default 4096 MB; a sweep: all its runs in flight and its results together).
    #[arg(long, value_name = "MB", value_parser = parse_count)]
    max_memory_mb: Option<u64>,
    /// Lift the default bounds on events and memory (explicit --max-events and
    /// --max-memory-mb still hold): for runs known to be large.
    #[arg(long)]
    allow_large: bool,
}

impl BoundOpts {
    fn bounds(&self) -> Bounds {
        let base = if self.allow_large { Bounds::NONE } else { Bounds::DEFAULT };
        Bounds {
            events: self.max_events.unwrap_or(base.events),
            bytes: self.max_memory_mb.map_or(base.bytes, |mb| mb.saturating_mul(1 << 20)),
        }
    }
    /// What the user can do about a refusal.
    fn how_to_allow(&self) -> &'static str {
        if self.max_events.is_some() || self.max_memory_mb.is_some() {
            "a larger --max-events or --max-memory-mb"
        } else {
            "--allow-large (or a larger --max-events or --max-memory-mb)"
        }
    }
}

/// A whole number ≥ 1, also written as `5e8`.
fn parse_count(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}` is not a count; allowed: a whole number from 1 to 1e18, e.g. 500000000 or 5e8");
    let x: f64 = s.trim().parse().map_err(|_| bad())?;
    if (1.0..=1e18).contains(&x) && x.fract() == 0.0 { Ok(x as u64) } else { Err(bad()) }
}

#[derive(clap::Args)]
struct RunArgs {
    /// The scenario file (models/scenarios/*.ron).
    scenario: PathBuf,
    #[command(flatten)]
    opts: RunOpts,
}

/// The options of `gigasim run`, which bare `gigasim` takes too.
#[derive(clap::Args)]
struct RunOpts {
    /// Master seed (overrides the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory. The files an earlier run wrote there are replaced or removed;
    /// other files are left alone.
    #[arg(long, default_value = "gigasim-out")]
    out: PathBuf,
    /// Simulated time in days (overrides the scenario's).
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    horizon_days: Option<f64>,
    /// Override any field, e.g. `failure.repair.crews=8` or
    /// `workload.frontier[0].checkpoint.interval_hours=0.25`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Replay a job trace in place of the workload's tenant job classes (frontier
    /// jobs stay): CSV with a header of at least `submit_h,tenant,chips,run_h,walltime_h`
    /// (optional `ckpt_h`), or SWF (a `.swf` file). Tenants the workload does not name
    /// join its `default_tenant`.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Multiply the trace's submit times (0.5: the same jobs in half the time, twice the load).
    #[arg(long, value_name = "X", requires = "trace")]
    trace_time_scale: Option<f64>,
    /// Multiply the trace's job sizes (rounded, at least 1 chip).
    #[arg(long, value_name = "X", requires = "trace")]
    trace_size_scale: Option<f64>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Do not draw the charts into DIR/charts/.
    #[arg(long)]
    no_charts: bool,
    #[command(flatten)]
    bounds: BoundOpts,
}

/// What `run --help` says a run writes: the names `output::replace_run` knows.
fn run_files_help() -> String {
    format!(
        "A run writes into --out DIR: {}, (unless --no-charts) charts/ with {} each as .svg and .png (and {} when the scenario has a cost model, {} when the power model has a battery, {} when the facility has a shared storage), \
         and {}, which lists the files it wrote. \
         DIR must be writable: that is checked before simulating. \
         The new files replace an earlier run's as one unit: all are written into DIR/{}/ first, then the files the earlier run wrote \
         (those its {} lists, and any of the names above) are removed, the new ones moved in, and charts/ removed if that emptied it \
         (so --no-charts leaves no stale charts). A run that fails (a full disk) leaves the earlier run as it was. No other file or folder in DIR is touched.",
        output::RUN_FILES.join(", "),
        output::RUN_CHARTS.join(", "),
        output::COST_CHARTS.join(", "),
        output::BATTERY_CHARTS.join(", "),
        output::STORAGE_CHARTS.join(", "),
        output::MANIFEST,
        output::STAGING,
        output::MANIFEST,
    )
}

/// Print to stdout. A reader that has gone (`gigasim | head`) is no error: the rest
/// of the text is dropped, the command still does its work (its files are the
/// result) and exits 0, as ripgrep does. Any other write error is kept for `main`.
macro_rules! say {
    ($($arg:tt)*) => { emit(format_args!($($arg)*)) };
}

static STDOUT_ERROR: OnceLock<std::io::Error> = OnceLock::new();

fn emit(args: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = STDOUT_ERROR.set(e);
    }
}

/// "1 run", "2 runs".
fn count(n: usize, one: &str, many: &str) -> String {
    output::count(n as u64, one, many)
}

enum Failure {
    Input(InputError),
    Internal(anyhow::Error),
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Input(e)
    }
}
impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<InputError>() {
            Ok(i) => Failure::Input(i),
            Err(e) => Failure::Internal(e),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run_default(&cli.opts),
        Some(Command::Run(args)) => run_file(&args),
        Some(Command::Init { dir, force }) => init(&dir, force),
        Some(Command::Check { file }) => check(&file),
        Some(Command::Sweep(args)) => run_sweep(&args),
        Some(Command::Merge { dirs, out, quiet, no_charts }) => merge(&dirs, &out, quiet, no_charts),
        Some(Command::Plot { dir, out }) => plot(&dir, out.as_deref()),
    };
    let result = match (result, STDOUT_ERROR.get()) {
        (Ok(()), Some(e)) => Err(Failure::Internal(anyhow::anyhow!("writing to standard output: {e}"))),
        (result, _) => result,
    };
    // Written, not eprintln!: a closed stderr must not turn an error into a panic.
    let mut err = std::io::stderr();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
            let _ = writeln!(err, "error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(e)) => {
            // A failed read or write (a full disk) is the system's, not gigasim's fault.
            let kind = if e.chain().any(|c| c.is::<std::io::Error>()) { "error" } else { "internal error" };
            let _ = writeln!(err, "{kind}: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run_default(opts: &RunOpts) -> Result<(), Failure> {
    let scenario = config::load_scenario(&Embedded::models(), Path::new(config::DEFAULT_SCENARIO))?;
    if !opts.quiet {
        say!("Running the built-in default scenario ({}); `gigasim --help` shows more.\n", config::DEFAULT_SCENARIO);
    }
    run_scenario(scenario, opts, "the default scenario")
}

fn run_file(a: &RunArgs) -> Result<(), Failure> {
    run_scenario(config::load_scenario(&FileSystem, &a.scenario)?, &a.opts, &a.scenario.display().to_string())
}

/// Apply the run options to a loaded scenario (`shown` names it in errors), then simulate it.
fn run_scenario(mut scenario: Scenario, a: &RunOpts, shown: &str) -> Result<(), Failure> {
    if let Some(seed) = a.seed {
        scenario.seed = seed;
    }
    // Checked after --set too, which may change what the horizon must fit (the power bins).
    if let Some(d) = a.horizon_days {
        scenario.horizon_days = Positive::try_from(d).map_err(|m| InputError::new("--horizon-days", None, m))?;
        if a.sets.is_empty() {
            config::check_changed(&scenario, "--horizon-days")?;
        }
    }
    if let Some(file) = &a.trace {
        let mut spec = config::TraceSpec::new(file.display().to_string());
        for (flag, value, slot) in [
            ("--trace-time-scale", a.trace_time_scale, &mut spec.options.time_scale),
            ("--trace-size-scale", a.trace_size_scale, &mut spec.options.size_scale),
        ] {
            if let Some(v) = value {
                if !(v.is_finite() && v > 0.0) {
                    return Err(InputError::new(flag, None, format!("got {v}; allowed: a finite number > 0")).into());
                }
                *slot = v;
            }
        }
        scenario.workload.trace = Some(spec);
    }
    let scenario = config::apply_sets(&scenario, &a.sets)?;
    check_out(&a.out, "--out")?;
    let prices = match &scenario.cost {
        Some(c) => Some(config::PriceSeries::load(&c.electricity)?),
        None => None,
    };
    // Read the trace before simulating: a bad row is an input error, found at once.
    let trace = match &scenario.workload.trace {
        Some(spec) => Some(gigasim::sim::TraceSource::load(spec, &scenario.workload)?),
        None => None,
    };
    // The failure trace too (one named on the command line has not been read yet).
    let replay = match &scenario.failure.replay {
        Some(file) => Some(config::read_failure_trace(Path::new(file), &scenario.failure.classes, &scenario.facility)?),
        None => None,
    };
    // What it will cost, before it starts.
    let work = Work::of(&scenario, trace.as_ref());
    let bound = Bound { limits: a.bounds.bounds(), allow: a.bounds.how_to_allow(), shown: shown.to_string(), work };
    bound.work.check(bound.limits, bound.allow).map_err(|m| InputError::new(shown, None, m))?;
    simulate(&scenario, Inputs { trace, replay, prices, bound }, &a.out, a.quiet, !a.no_charts)
}

/// Runs with a progress bar once a run has lasted more than a moment (and only
/// on a terminal); the bar does not change what is simulated.
/// Input files read (and checked) before the run: a job trace, a failure trace and an electricity series.
struct Inputs {
    trace: Option<gigasim::sim::TraceSource>,
    replay: Option<Vec<config::ReplayedFailure>>,
    prices: Option<config::PriceSeries>,
    bound: Bound,
}

/// A run's bounds, its estimated work, and how to name them in a refusal.
struct Bound {
    limits: Bounds,
    allow: &'static str,
    /// The scenario, as errors name it.
    shown: String,
    work: Work,
}

impl Bound {
    /// The run stopped at a bound: bad input (exit 2), naming what drove the work.
    fn refusal(&self, e: gigasim::Overrun) -> InputError {
        InputError::new(
            &self.shown,
            None,
            format!(
                "{e}, at the bound (estimated beforehand: {} events, {} MB, mostly from {}); allowed: a scenario within the bound, or {}",
                gigasim::work::sci(self.work.events),
                gigasim::work::sci(self.work.bytes / 1048576.0),
                self.work.top(|d| d.events + d.bytes),
                self.allow
            ),
        )
    }
}

fn run_with_bar(scenario: &Scenario, inputs: Inputs, quiet: bool) -> Result<Report, Failure> {
    let show = !quiet && std::io::stderr().is_terminal();
    let t0 = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let mut b = Simulation::builder(scenario);
    if let Some(t) = inputs.trace {
        b = b.trace(t);
    }
    if let Some(r) = inputs.replay {
        b = b.replay(r);
    }
    if let Some(p) = inputs.prices {
        b = b.prices(p);
    }
    let bound = inputs.bound;
    let report = b.build().run_watched(200, bound.limits.events, |done| {
        let held = gigasim::work::held();
        if held > bound.limits.bytes {
            return Err(format!("it held {} MB of memory", held >> 20));
        }
        if show && bar.is_none() && t0.elapsed().as_secs_f64() > 0.5 {
            let b = ProgressBar::new(1000);
            b.set_style(
                ProgressStyle::with_template("simulating [{elapsed_precise}] {wide_bar} {percent}% (ETA {eta})").expect("valid template"),
            );
            bar = Some(b);
        }
        if let Some(b) = &bar {
            b.set_position((done * 1000.0) as u64);
        }
        Ok(())
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    report.map_err(|e| bound.refusal(e).into())
}

fn simulate(scenario: &Scenario, inputs: Inputs, out: &Path, quiet: bool, charts: bool) -> Result<(), Failure> {
    let t0 = Instant::now();
    let report = run_with_bar(scenario, inputs, quiet)?;
    let wall = t0.elapsed();
    // The new files replace the earlier run's as one unit: a failure (a full disk) leaves
    // the earlier run as it was, and is no input error (exit 1).
    let files = output::replace_run_with(&report, out, charts, &gigasim::page::Context::now()).map_err(Failure::from)?;
    // The charts are listed as their folder.
    let mut written: Vec<PathBuf> = Vec::new();
    for f in files {
        let f = if f.parent() == Some(out.join("charts").as_path()) { out.join("charts") } else { f };
        if !written.contains(&f) {
            written.push(f);
        }
    }
    if !quiet {
        say!("{}", output::human_summary(&report));
        say!(
            "  run        {} in {:.2} s ({:.1} M events/s)\n",
            count(report.stats.processed as usize, "event", "events"),
            wall.as_secs_f64(),
            report.stats.processed as f64 / wall.as_secs_f64() / 1e6
        );
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        say!("  wrote      {}\n", names.join(", "));
    }
    Ok(())
}

/// Accepts a scenario, a sweep, or any single model file. The kind is told by
/// the folder it sits in, else each kind is tried and the one that parses
/// furthest names the error.
fn check(file: &Path) -> Result<(), Failure> {
    let text = config::read_text(file, config::MAX_MODEL_BYTES).map_err(|e| config::unreadable(&file.display().to_string(), &e))?;
    let name = file.display().to_string();
    let folder = file.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
    type Checker = fn(&Path, &str, &str) -> Result<String, InputError>;
    let kinds: [(&str, Checker); 7] = [
        ("scenarios", |f, _, _| {
            let s = config::load_scenario(&FileSystem, f)?;
            let jobs = match &s.workload.trace {
                Some(t) => Some(gigasim::sim::TraceSource::load(t, &s.workload)?),
                None => None,
            };
            let trace = jobs.as_ref().map_or(String::new(), |t| format!(", a trace of {}", count(t.len(), "job", "jobs")));
            // As `run` would refuse it by default.
            let work = Work::of(&s, jobs.as_ref());
            work.check(Bounds::DEFAULT, "`run --allow-large`").map_err(|m| InputError::new(f.display().to_string(), None, m))?;
            let days = s.horizon_days.get();
            Ok(format!(
                "scenario `{}`: {}, {}, {}, {}{trace}, {days} {}; about {} events and {} MB to run",
                s.name,
                count(s.facility.chips() as usize, "chip", "chips"),
                count(s.failure.classes.len(), "failure class", "failure classes"),
                count(s.workload.frontier.len(), "frontier job", "frontier jobs"),
                tenants(&s.workload),
                if days == 1.0 { "day" } else { "days" },
                gigasim::work::sci(work.events),
                gigasim::work::sci(work.bytes / 1048576.0)
            ))
        }),
        ("sweeps", |f, _, _| {
            Sweep::load(f).map(|s| {
                format!(
                    "sweep `{}`: {} × {} = {}",
                    s.name,
                    count(s.points(), "point", "points"),
                    count(s.replications as usize, "replication", "replications"),
                    count(s.runs(), "run", "runs")
                )
            })
        }),
        ("facility", |_, n, t| {
            let m: config::Facility = config::parse_ron(n, t)?;
            m.check().map_err(|p| config::in_file(n, t, p))?;
            Ok(format!("facility model `{}`: {}", m.name, count(m.chips() as usize, "chip", "chips")))
        }),
        ("failure", |_, n, t| {
            let m: config::FailureModel = config::parse_ron(n, t)?;
            m.check(None).map_err(|p| config::in_file(n, t, p))?;
            Ok(format!("failure model `{}`: {}", m.name, count(m.classes.len(), "class", "classes")))
        }),
        ("power", |_, n, t| config::parse_ron::<config::PowerModel>(n, t).map(|m| format!("power model `{}`", m.name))),
        ("cost", |f, n, t| {
            let mut m: config::CostModel = config::parse_ron(n, t)?;
            if let config::Electricity::Hourly { file, .. } = &mut m.electricity {
                *file = f.parent().unwrap_or(Path::new("")).join(&*file).display().to_string();
            }
            let p = config::PriceSeries::load(&m.electricity)?;
            let prices = match &m.electricity {
                config::Electricity::Constant { .. } => format!("{} €/MWh, {} gCO2/kWh", p.eur_per_mwh[0], p.g_co2_per_kwh[0]),
                config::Electricity::Hourly { .. } => count(p.eur_per_mwh.len(), "hour of prices", "hours of prices"),
            };
            Ok(format!("cost model `{}`: {prices}", m.name))
        }),
        ("workload", |_, n, t| {
            let m: config::Workload = config::parse_ron(n, t)?;
            m.check().map_err(|p| config::in_file(n, t, p))?;
            Ok(format!("workload model `{}`: {}, {}", m.name, count(m.frontier.len(), "frontier job", "frontier jobs"), tenants(&m)))
        }),
    ];
    let kind = if kinds.iter().any(|k| k.0 == folder) { folder } else { kind_by_fields(&text).unwrap_or("") };
    let said = match kinds.iter().find(|k| k.0 == kind) {
        Some((_, checker)) => checker(file, &name, &text)?,
        None => {
            let mut best: Option<InputError> = None;
            let mut ok = None;
            for (_, checker) in &kinds {
                match checker(file, &name, &text) {
                    Ok(m) => {
                        ok = Some(m);
                        break;
                    }
                    Err(e) if e.file == name && best.as_ref().is_none_or(|b| e.line_col > b.line_col) => best = Some(e),
                    Err(_) => {}
                }
            }
            match (ok, best) {
                (Some(m), _) => m,
                (None, Some(e)) => return Err(e.into()),
                (None, None) => {
                    return Err(
                        InputError::new(name, None, "not a scenario, sweep, facility, failure, power, workload or cost file").into()
                    );
                }
            }
        }
    };
    say!("{name}: ok ({said})\n");
    Ok(())
}

/// "3 tenants with 5 job classes".
fn tenants(w: &config::Workload) -> String {
    format!("{} with {}", count(w.tenants.len(), "tenant", "tenants"), count(w.classes().count(), "job class", "job classes"))
}

/// The kind of model file whose distinctive top-level fields `text` names, for
/// a file outside `models/<kind>/`: a sweep's `base` then gets its own error,
/// not a scenario's "unknown field".
fn kind_by_fields(text: &str) -> Option<&'static str> {
    let has = |field: &str| {
        text.match_indices(field).any(|(i, _)| {
            let before = text[..i].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
            let after = text[i + field.len()..].trim_start();
            before && after.starts_with(':')
        })
    };
    [
        ("sweeps", &["base", "parameters", "metrics"][..]),
        ("scenarios", &["facility", "failure", "power", "workload", "horizon_days"]),
        ("workload", &["frontier", "tenants"]),
        ("failure", &["classes", "repair"]),
        ("power", &["chip_watts"]),
        ("cost", &["capital", "electricity"]),
        ("facility", &["chips_per_node"]),
    ]
    .into_iter()
    .find(|(_, fields)| fields.iter().all(|f| has(f)))
    .map(|(kind, _)| kind)
}

/// An output folder must exist or be creatable, and be writable; say so before any
/// simulating (exit 2, naming `flag`, the path and the system's reason). The folders
/// it creates to find out, and its probe file, are removed again: a command refused
/// later for bad input leaves nothing behind.
fn check_out(out: &Path, flag: &str) -> Result<(), Failure> {
    let refuse = |what: String| -> Failure {
        InputError::new(flag, None, format!("{}: {what}; allowed: a writable folder (it is created if missing)", out.display())).into()
    };
    if out.exists() && !out.is_dir() {
        return Err(refuse("is a file".into()));
    }
    // Charts are replaced inside charts/: through a link they would replace files elsewhere.
    let charts = out.join("charts");
    if std::fs::symlink_metadata(&charts).is_ok_and(|m| !m.is_dir()) {
        return Err(InputError::new(
            flag,
            None,
            format!("{}: is a link or a file, not a folder; allowed: a folder, or nothing there", charts.display()),
        )
        .into());
    }
    // The folders missing on the way to `out`, outermost first.
    let mut missing: Vec<&Path> = out.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.exists()).collect();
    missing.reverse();
    let mut created: Vec<&Path> = Vec::new();
    let undo = |created: &[&Path]| {
        for d in created.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    };
    for d in missing {
        match std::fs::create_dir(d) {
            Ok(()) => created.push(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => {
                undo(&created);
                let what = if d == out { String::new() } else { format!(" {}", d.display()) };
                return Err(refuse(format!("cannot create{what}: {e}")));
            }
        }
    }
    let probe = out.join(format!(".gigasim-probe-{}", std::process::id()));
    let wrote = std::fs::OpenOptions::new().write(true).create_new(true).open(&probe).and_then(|mut f| f.write_all(b"probe"));
    if wrote.is_ok() || probe.exists() {
        let _ = std::fs::remove_file(&probe);
    }
    undo(&created);
    wrote.map_err(|e| refuse(format!("cannot write there: {e}")))
}

fn run_sweep(a: &SweepArgs) -> Result<(), Failure> {
    let mut sweep = Sweep::load(&a.sweep)?;
    // As in `run`: --horizon-days first, then --set (which can override it).
    if let Some(d) = a.horizon_days {
        Positive::try_from(d).map_err(|m| InputError::new("--horizon-days", None, m))?;
        sweep = sweep.with_sets(&[format!("horizon_days={d}")], "--horizon-days")?;
    }
    if !a.sets.is_empty() {
        sweep = sweep.with_sets(&a.sets, "--set")?;
    }
    if let Some(n) = a.replications {
        sweep.set_replications(n)?;
    }
    let out = a.out.clone().unwrap_or_else(|| Path::new("gigasim-sweep").join(&sweep.name));
    check_out(&out, "--out")?;
    let opts = sweep::Options {
        jobs: a.jobs.unwrap_or(0),
        shard: a.shard,
        progress: !a.quiet && std::io::stderr().is_terminal(),
        bounds: a.bounds.bounds(),
        total_events: a.max_sweep_events.unwrap_or(if a.bounds.allow_large { u64::MAX } else { sweep::DEFAULT_TOTAL_EVENTS }),
        allow: a.bounds.how_to_allow(),
    };
    let t0 = Instant::now();
    let mut outcome = sweep::run(&sweep, &out, &opts)?;
    let drawn = !a.no_charts && a.shard.is_none();
    if drawn {
        outcome.files.push(draw(gigasim::plot::sweep_charts(&out, &out.join("charts")), &out)?);
    }
    outcome.files.push(sweep_page(&out, drawn)?);
    if !a.quiet {
        let secs = t0.elapsed().as_secs_f64();
        say!(
            "sweep `{}`: {} × {}; ran {} of this {}'s {} in {:.1} s ({:.2} runs/s)\n",
            sweep.name,
            count(sweep.points(), "point", "points"),
            count(sweep.replications as usize, "replication", "replications"),
            outcome.runs_done_now,
            if a.shard.is_some() { "shard" } else { "sweep" },
            count(outcome.runs_total, "run", "runs"),
            secs,
            outcome.runs_done_now as f64 / secs
        );
        let names: Vec<String> = outcome.files.iter().map(|p| p.display().to_string()).collect();
        say!("wrote {}\n", names.join(", "));
    }
    Ok(())
}

/// Charts come last: if drawing fails, the data files are already written.
fn draw(result: anyhow::Result<Vec<PathBuf>>, dir: &Path) -> Result<PathBuf, Failure> {
    let files = result
        .map_err(|e| Failure::Internal(e.context(format!("drawing the charts of {} (the data files are written)", dir.display()))))?;
    Ok(files.first().and_then(|f| f.parent()).map_or_else(|| dir.join("charts"), |p| p.to_path_buf()))
}

/// The sweep's report.html, after its charts (inlined from `dir/charts` when `drawn`).
fn sweep_page(dir: &Path, drawn: bool) -> Result<PathBuf, Failure> {
    let charts = dir.join("charts");
    gigasim::page::write_sweep_page(dir, drawn.then_some(charts.as_path()), &gigasim::page::Context::now())
        .map_err(|e| Failure::Internal(e.context(format!("writing the page of {} (the data files are written)", dir.display()))))
}

/// A missing or damaged file in DIR is bad input (exit 2, naming the file); a chart
/// that cannot be written is an error naming it (exit 1).
fn plot(dir: &Path, out: Option<&Path>) -> Result<(), Failure> {
    let (flag, out) = match out {
        Some(o) => ("--out", o.to_path_buf()),
        None => ("DIR", dir.join("charts")),
    };
    let is_sweep = dir.join("sweep.json").exists();
    if !is_sweep && !dir.join("summary.json").exists() {
        return Err(InputError::new(
            dir.display().to_string(),
            None,
            "holds neither summary.json (a run) nor sweep.json (a sweep); allowed: an output folder of gigasim run, sweep or merge",
        )
        .into());
    }
    check_out(&out, flag)?;
    // The charts' reading errors are `InputError`s; `?` keeps them so (exit 2).
    let files = if is_sweep { gigasim::plot::sweep_charts(dir, &out) } else { gigasim::plot::run_charts(dir, &out) }?;
    say!("wrote {} into {}\n", count(files.len(), "chart", "charts"), out.display());
    // The page inlines DIR/charts: charts drawn elsewhere (--out) leave it as it was.
    if out == dir.join("charts") {
        let ctx = gigasim::page::Context::now();
        let page = if is_sweep {
            gigasim::page::write_sweep_page(dir, Some(&out), &ctx)
        } else {
            gigasim::page::write_run_page(dir, Some(&out), &ctx)
        }?;
        say!("wrote {}\n", page.display());
    }
    Ok(())
}

fn merge(dirs: &[PathBuf], out: &Path, quiet: bool, no_charts: bool) -> Result<(), Failure> {
    check_out(out, "--out")?;
    let mut files = sweep::merge(dirs, out)?;
    if !no_charts {
        files.push(draw(gigasim::plot::sweep_charts(out, &out.join("charts")), out)?);
    }
    files.push(sweep_page(out, !no_charts)?);
    if !quiet {
        let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        say!("merged {}; wrote {}\n", count(dirs.len(), "shard", "shards"), names.join(", "));
    }
    Ok(())
}

/// A [`Source`] that remembers every file it hands out, in order.
struct Recording<S> {
    inner: S,
    read: RefCell<Vec<(PathBuf, String)>>,
}

impl<S: Source> Source for Recording<S> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let text = self.inner.read(path)?;
        self.read.borrow_mut().push((path.to_path_buf(), text.clone()));
        Ok(text)
    }
}

/// Write the embedded default scenario and the model files it names, byte for byte,
/// into `dir` in the layout of the repository's models/ (whose place `dir` takes).
/// Nothing is written if any of the files exists, unless `force`.
fn init(dir: &Path, force: bool) -> Result<(), Failure> {
    let rec = Recording { inner: Embedded::models(), read: RefCell::new(Vec::new()) };
    let scenario = Path::new(config::DEFAULT_SCENARIO);
    config::load_scenario(&rec, scenario)?;
    // The scenario sits in models/scenarios/ and names its models relative to itself.
    let root = scenario.parent().and_then(Path::parent).unwrap_or(Path::new(""));
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for (path, text) in rec.read.into_inner() {
        let rel =
            path.strip_prefix(root).map_err(|_| anyhow::anyhow!("embedded model {} lies outside {}", path.display(), root.display()))?;
        let dest = dir.join(rel);
        if !files.iter().any(|f| f.0 == dest) {
            files.push((dest, text));
        }
    }
    check_out(dir, "DIR")?;
    let existing: Vec<String> = files.iter().filter(|f| f.0.exists()).map(|f| f.0.display().to_string()).collect();
    if !existing.is_empty() && !force {
        return Err(InputError::new(
            dir.display().to_string(),
            None,
            format!(
                "already holds {}; nothing was written; allowed: a folder without these files, or --force to overwrite them",
                existing.join(", ")
            ),
        )
        .into());
    }
    for (dest, text) in &files {
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| anyhow::anyhow!("creating {}: {e}", parent.display()))?;
        }
        output::write_atomic(dest, text.as_bytes())?;
    }
    let names: Vec<String> = files.iter().map(|f| f.0.display().to_string()).collect();
    say!("wrote {}\nrun it with: gigasim run {}\n", names.join(", "), files[0].0.display());
    Ok(())
}
