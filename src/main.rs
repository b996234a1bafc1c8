use clap::{Parser, Subcommand};
use gigasim::config::{self, Embedded, FileSystem, InputError, Positive, Scenario, Source};
use gigasim::provenance::{Provenance, TraceArgs};
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
    /// Write Slurm scripts that run a sweep as a job array of shards and merge them:
    /// DIR/slurm/array.sh, merge.sh, submit.sh and resubmit.sh. Submit with
    /// `bash DIR/slurm/submit.sh`; if a task fails, the merge names it and
    /// `bash DIR/slurm/resubmit.sh` runs only the unfinished shards again (they resume).
    Slurm(SlurmArgs),
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
    /// Run a run or sweep folder again from its provenance (in summary.json or
    /// sweep.json) and the copies of the files it read in its inputs/, and check that
    /// every file comes out byte for byte.
    ///
    /// Reads nothing but DIR: the copies stand in for the files the run read, wherever
    /// they were. Prints the files that differ; exit 0 when none does (a page may
    /// differ in the command and time it records), 1 when any does.
    Rerun {
        /// A folder written by `gigasim run`, `sweep` or `merge`.
        dir: PathBuf,
        /// Keep the new run here (default: a temporary folder, removed afterwards).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing but errors and differences.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Compare metrics across run folders or across sweep folders: a table (printed and
    /// written to OUT/compare.csv) and charts, with the differences to the first folder
    /// (the baseline) and, for sweeps, their 95% confidence intervals: paired when both
    /// sides ran each replication with the same seed (common random numbers), else Welch's.
    #[command(after_help = compare_help())]
    Compare(CompareArgs),
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

#[derive(clap::Args)]
struct SlurmArgs {
    /// The sweep file (models/sweeps/*.ron).
    sweep: PathBuf,
    /// Output folder (on a file system the cluster's nodes share): the scripts and
    /// logs/ go to DIR/slurm/, the shards to DIR/shards/I/, the merged sweep to DIR/result/.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Array tasks, one shard each (default 16; more than the sweep's runs are cut to that).
    #[arg(long, value_name = "N", value_parser = parse_tasks)]
    tasks: Option<u32>,
    /// CPUs per task; each task's sweep runs as many threads (--jobs).
    #[arg(long, value_name = "C", default_value_t = 1, value_parser = parse_cpus)]
    cpus_per_task: u32,
    /// Slurm time limit of each task and of the merge (default: the partition's).
    #[arg(long, value_name = "HH:MM:SS", value_parser = gigasim::slurm::parse_time)]
    time: Option<String>,
    /// Slurm partition (default: the cluster's).
    #[arg(long, value_name = "P", value_parser = gigasim::slurm::parse_name)]
    partition: Option<String>,
    /// Slurm account to charge.
    #[arg(long, value_name = "A", value_parser = gigasim::slurm::parse_name)]
    account: Option<String>,
    /// Memory per task and for the merge, in MB (Slurm's --mem).
    #[arg(long, value_name = "MB", value_parser = parse_count)]
    mem: Option<u64>,
    /// Runs per grid point, passed to every task's sweep (as `sweep --replications`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    replications: Option<u32>,
    /// Simulated days of every run, passed to every task's sweep (as `sweep --horizon-days`).
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    horizon_days: Option<f64>,
    /// Override a field of the base scenario in every task's sweep (as `sweep --set`). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// The gigasim binary the jobs run (default: this one); the nodes must see it at this path.
    #[arg(long, value_name = "PATH")]
    gigasim: Option<PathBuf>,
    #[command(flatten)]
    bounds: BoundOpts,
    /// Passed to every task's sweep (as `sweep --max-sweep-events`: per shard).
    #[arg(long, value_name = "N", value_parser = parse_count)]
    max_sweep_events: Option<u64>,
}

#[derive(clap::Args)]
struct CompareArgs {
    /// Run folders (summary.json) or sweep folders (sweep.json, runs.csv); the first is the baseline.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Metrics as dotted summary.json paths, e.g. `ettr,goodput,power.facility_mean_mw`
    /// (default: ettr, goodput, availability, power.facility_mean_mw for runs; the sweeps' metrics).
    #[arg(long, value_delimiter = ',', value_name = "M1,M2,...")]
    metrics: Option<Vec<String>>,
    /// Where to write compare.csv and charts/.
    #[arg(long, default_value = "gigasim-compare")]
    out: PathBuf,
    /// Do not draw the charts into OUT/charts/.
    #[arg(long)]
    no_charts: bool,
    /// Print nothing but errors (no table).
    #[arg(long, short)]
    quiet: bool,
}

fn compare_help() -> String {
    format!(
        "Sweep points are matched by their parameter values as text; a single sweep folder is compared point by point with its first point. \
         Run and sweep folders cannot be mixed. A metric missing in a folder is an empty cell; one in no folder is refused (exit 2). \
         OUT gets {} and charts/compare_<metric>.svg and .png, written as one unit (the files an earlier compare wrote there are replaced; no other file is touched), and {}.",
        gigasim::compare::CSV,
        gigasim::compare::MANIFEST
    )
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

/// --tasks: 1 to [`gigasim::slurm::MAX_TASKS`].
fn parse_tasks(s: &str) -> Result<u32, String> {
    let max = gigasim::slurm::MAX_TASKS;
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("`{s}` is not a task count; allowed: a whole number from 1 to {max}"))
}

/// --cpus-per-task: 1 to [`gigasim::slurm::MAX_CPUS`].
fn parse_cpus(s: &str) -> Result<u32, String> {
    let max = gigasim::slurm::MAX_CPUS;
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("`{s}` is not a CPU count; allowed: a whole number from 1 to {max}"))
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
         inputs/ (a copy of every file the run read, for `gigasim rerun`), \
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
    /// Not gigasim's fault nor the input's: e.g. a rerun that came out different (exit 1).
    Other(String),
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
    // Every file read from here on is hashed for the results' provenance.
    config::files::record();
    let cli = Cli::parse();
    let result = match cli.command {
        None => run_default(&cli.opts),
        Some(Command::Run(args)) => run_file(&args),
        Some(Command::Init { dir, force }) => init(&dir, force),
        Some(Command::Check { file }) => check(&file),
        Some(Command::Sweep(args)) => run_sweep(&args),
        Some(Command::Slurm(args)) => slurm(&args),
        Some(Command::Merge { dirs, out, quiet, no_charts }) => merge(&dirs, &out, quiet, no_charts),
        Some(Command::Plot { dir, out }) => plot(&dir, out.as_deref()),
        Some(Command::Rerun { dir, out, quiet }) => rerun(&dir, out.as_deref(), quiet),
        Some(Command::Compare(args)) => compare(&args),
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
        Err(Failure::Other(m)) => {
            let _ = writeln!(err, "error: {m}");
            ExitCode::from(1)
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
    run_scenario(scenario, opts, Path::new(config::DEFAULT_SCENARIO), "the default scenario")
}

fn run_file(a: &RunArgs) -> Result<(), Failure> {
    run_scenario(config::load_scenario(&FileSystem, &a.scenario)?, &a.opts, &a.scenario, &a.scenario.display().to_string())
}

/// Apply the run options to a loaded scenario read from `input` (`shown` names it in
/// errors), then simulate it.
fn run_scenario(mut scenario: Scenario, a: &RunOpts, input: &Path, shown: &str) -> Result<(), Failure> {
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
    output::inputs_free(&a.out)?;
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
    // Every file is read by now.
    let mut provenance = Provenance::now(scenario.seed, input, &a.sets);
    provenance.horizon_days = a.horizon_days;
    provenance.trace =
        a.trace.as_ref().map(|f| TraceArgs { file: config::files::key(f), time_scale: a.trace_time_scale, size_scale: a.trace_size_scale });
    simulate(&scenario, Inputs { trace, replay, prices, bound }, &a.out, a.quiet, !a.no_charts, &provenance)
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

fn simulate(scenario: &Scenario, inputs: Inputs, out: &Path, quiet: bool, charts: bool, provenance: &Provenance) -> Result<(), Failure> {
    let t0 = Instant::now();
    let report = run_with_bar(scenario, inputs, quiet)?;
    let wall = t0.elapsed();
    // The new files replace the earlier run's as one unit: a failure (a full disk) leaves
    // the earlier run as it was, and is no input error (exit 1).
    let files = output::replace_run_with(&report, out, charts, Some(provenance), &gigasim::page::Context::now()).map_err(Failure::from)?;
    // The charts are listed as their folder.
    let mut written: Vec<PathBuf> = Vec::new();
    for f in files {
        let f = if f.parent() == Some(out.join("charts").as_path()) {
            out.join("charts")
        } else if f.starts_with(out.join(output::INPUTS)) {
            out.join(output::INPUTS)
        } else {
            f
        };
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

/// A sweep file with the command line's changes to it, checked.
fn load_sweep(file: &Path, horizon_days: Option<f64>, sets: &[String], replications: Option<u32>) -> Result<Sweep, Failure> {
    let mut sweep = Sweep::load(file)?;
    // As in `run`: --horizon-days first, then --set (which can override it).
    if let Some(d) = horizon_days {
        Positive::try_from(d).map_err(|m| InputError::new("--horizon-days", None, m))?;
        sweep = sweep.with_sets(&[format!("horizon_days={d}")], "--horizon-days")?;
    }
    if !sets.is_empty() {
        sweep = sweep.with_sets(sets, "--set")?;
    }
    if let Some(n) = replications {
        sweep.set_replications(n)?;
    }
    Ok(sweep)
}

fn run_sweep(a: &SweepArgs) -> Result<(), Failure> {
    let sweep = load_sweep(&a.sweep, a.horizon_days, &a.sets, a.replications)?;
    let out = a.out.clone().unwrap_or_else(|| Path::new("gigasim-sweep").join(&sweep.name));
    check_out(&out, "--out")?;
    let opts = sweep::Options {
        jobs: a.jobs.unwrap_or(0),
        shard: a.shard,
        progress: !a.quiet && std::io::stderr().is_terminal(),
        bounds: a.bounds.bounds(),
        total_events: a.max_sweep_events.unwrap_or(if a.bounds.allow_large { u64::MAX } else { sweep::DEFAULT_TOTAL_EVENTS }),
        allow: a.bounds.how_to_allow(),
        provenance: Some(Provenance {
            horizon_days: a.horizon_days,
            replications: a.replications,
            ..Provenance::now(sweep.base.seed, &a.sweep, &a.sets)
        }),
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

/// `path` as text for a script: UTF-8 without control characters (a line break
/// would end a comment line in the scripts), else bad input naming `flag`.
fn script_path(path: &Path, flag: &str) -> Result<String, Failure> {
    match path.to_str() {
        Some(t) if !t.chars().any(char::is_control) => Ok(t.to_string()),
        _ => Err(InputError::new(
            flag,
            None,
            format!("{}: not a path a script can name; allowed: UTF-8 without control characters (line breaks, tabs)", path.display()),
        )
        .into()),
    }
}

/// `gigasim slurm`: check the sweep as `gigasim sweep` would (bad input fails here, not
/// in every task on the cluster), then write the scripts into OUT/slurm/.
fn slurm(a: &SlurmArgs) -> Result<(), Failure> {
    use gigasim::slurm::{Plan, SLURM_DEFAULT_MAX_ARRAY_SIZE};
    let sweep = load_sweep(&a.sweep, a.horizon_days, &a.sets, a.replications)?;
    sweep.check_size()?;
    let gigasim = match &a.gigasim {
        Some(g) => std::fs::canonicalize(g).ok().filter(|p| p.is_file()).ok_or_else(|| {
            InputError::new("--gigasim", None, format!("{}: no such file; allowed: the path of a gigasim binary", g.display()))
        })?,
        None => {
            std::env::current_exe().map_err(|e| anyhow::anyhow!("finding the path of this gigasim binary (give it as --gigasim): {e}"))?
        }
    };
    let sweep_file = std::fs::canonicalize(&a.sweep).map_err(|e| anyhow::anyhow!("resolving {}: {e}", a.sweep.display()))?;
    check_out(&a.out, "--out")?;
    let logs = a.out.join("slurm").join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| anyhow::anyhow!("creating {}: {e}", logs.display()))?;
    let out = std::fs::canonicalize(&a.out).map_err(|e| anyhow::anyhow!("resolving {}: {e}", a.out.display()))?;
    // A shard left by another sweep (or other options) in this folder would fail its task on the cluster.
    let meta = sweep.meta();
    if let Ok(entries) = std::fs::read_dir(out.join("shards")) {
        for dir in entries.flatten().map(|e| e.path()).filter(|p| p.join("sweep.json").is_file()) {
            let old = sweep::read_meta(&dir)?;
            if (sweep::SweepMeta { labels: meta.labels.clone(), provenance: None, ..old }) != meta {
                return Err(InputError::new(
                    dir.join("sweep.json").display().to_string(),
                    None,
                    "a shard of another sweep, or of this one with other options; allowed: the same sweep file and options (to resume its shards), or another --out",
                )
                .into());
            }
        }
    }
    let runs = sweep.runs();
    let asked = a.tasks.unwrap_or(16);
    let tasks = asked.min(u32::try_from(runs).unwrap_or(u32::MAX));
    let mut err = std::io::stderr();
    if tasks < asked && a.tasks.is_some() {
        let _ = writeln!(err, "warning: --tasks {asked} is more than the sweep's {}: writing {tasks} tasks", count(runs, "run", "runs"));
    }
    if tasks > SLURM_DEFAULT_MAX_ARRAY_SIZE {
        let _ = writeln!(
            err,
            "warning: {tasks} array tasks: Slurm's default MaxArraySize ({SLURM_DEFAULT_MAX_ARRAY_SIZE}) allows indices up to {}; see `scontrol show config | grep MaxArraySize`",
            SLURM_DEFAULT_MAX_ARRAY_SIZE - 1
        );
    }
    let mut sweep_args = Vec::new();
    if let Some(n) = a.replications {
        sweep_args.push(format!("--replications={n}"));
    }
    if let Some(d) = a.horizon_days {
        sweep_args.push(format!("--horizon-days={d}"));
    }
    sweep_args.extend(a.sets.iter().map(|s| format!("--set={s}")));
    if let Some(n) = a.bounds.max_events {
        sweep_args.push(format!("--max-events={n}"));
    }
    if let Some(n) = a.bounds.max_memory_mb {
        sweep_args.push(format!("--max-memory-mb={n}"));
    }
    if a.bounds.allow_large {
        sweep_args.push("--allow-large".into());
    }
    if let Some(n) = a.max_sweep_events {
        sweep_args.push(format!("--max-sweep-events={n}"));
    }
    let plan = Plan {
        gigasim: script_path(&gigasim, "--gigasim")?,
        sweep: script_path(&sweep_file, "SWEEP")?,
        out: script_path(&out, "--out")?,
        name: sweep.name.clone(),
        tasks,
        cpus_per_task: a.cpus_per_task,
        time: a.time.clone(),
        partition: a.partition.clone(),
        account: a.account.clone(),
        mem_mb: a.mem,
        sweep_args,
        workdir: script_path(&std::env::current_dir().map_err(|e| anyhow::anyhow!("the current folder: {e}"))?, "the current folder")?,
    };
    let dir = out.join("slurm");
    for (name, text) in plan.scripts() {
        let path = dir.join(name);
        output::write_atomic(&path, text.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| anyhow::anyhow!("making {} executable: {e}", path.display()))?;
        }
    }
    let (per, rest) = (runs / tasks as usize, runs % tasks as usize);
    let each = if rest == 0 { count(per, "run", "runs") } else { format!("{per} to {} runs", per + 1) };
    say!(
        "sweep `{}`: {} × {} = {}, as a Slurm job array of {} of {each} on {} each\n",
        sweep.name,
        count(sweep.points(), "point", "points"),
        count(sweep.replications as usize, "replication", "replications"),
        count(runs, "run", "runs"),
        count(tasks as usize, "task", "tasks"),
        count(a.cpus_per_task as usize, "CPU", "CPUs"),
    );
    say!("wrote {} into {}/ (the jobs' logs go to logs/ there)\n", gigasim::slurm::SCRIPTS.join(", "), dir.display());
    say!("submit with: bash {}\n", gigasim::slurm::quote(&dir.join("submit.sh").display().to_string()));
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

fn compare(a: &CompareArgs) -> Result<(), Failure> {
    use gigasim::compare;
    let folders = a.dirs.iter().map(|d| compare::load(d)).collect::<anyhow::Result<Vec<_>>>()?;
    let metrics: Option<Vec<String>> = a.metrics.as_ref().map(|ms| ms.iter().map(|m| m.trim().to_string()).collect());
    let c = compare::compare(folders, metrics.as_deref())?;
    check_out(&a.out, "--out")?;
    let files = compare::write(&c, &a.out, !a.no_charts)?;
    if !a.quiet {
        say!("{}", compare::table(&c));
        let charts = files.iter().filter(|f| f.extension().is_some_and(|e| e == "png")).count();
        let drawn = if charts > 0 {
            format!(" and {} in {}", count(charts, "chart", "charts"), a.out.join("charts").display())
        } else {
            String::new()
        };
        say!("wrote {}{drawn}\n", a.out.join(compare::CSV).display());
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

/// `gigasim rerun`: the run again from the folder alone, then a file-by-file comparison.
fn rerun(dir: &Path, out: Option<&Path>, quiet: bool) -> Result<(), Failure> {
    let sweep = dir.join("sweep.json").exists();
    let prov = gigasim::provenance::read(dir)?;
    if prov.version != env!("CARGO_PKG_VERSION") || prov.commit != gigasim::provenance::commit() {
        eprintln!(
            "warning: {} was written by gigasim {} ({}), this is {} ({}): provenance will differ, and results may",
            dir.display(),
            prov.version,
            prov.commit.as_deref().unwrap_or("commit unknown"),
            env!("CARGO_PKG_VERSION"),
            gigasim::provenance::commit().as_deref().unwrap_or("commit unknown")
        );
    }
    if sweep && !dir.join("points.csv").exists() {
        return Err(InputError::new(
            dir.display().to_string(),
            None,
            "holds no points.csv: a shard, or a sweep that has not finished; allowed: a finished sweep folder, or the folder `gigasim merge` made of its shards",
        )
        .into());
    }
    // From here on every file is read from its copy, and nothing else can be.
    config::files::redirect(prov.copies_in(dir)?);
    let temp = match out {
        Some(o) => {
            // The same folder or one inside it: the new files would be compared with themselves.
            let full =
                |p: &Path| std::fs::canonicalize(p).or_else(|_| std::path::absolute(p)).map(|p| PathBuf::from(config::files::key(&p)));
            if let (Ok(o_full), Ok(d_full)) = (full(o), full(dir))
                && o_full.starts_with(&d_full)
            {
                return Err(InputError::new(
                    "--out",
                    None,
                    format!("is {}, inside the folder being rerun ({}); allowed: a folder outside it", o.display(), dir.display()),
                )
                .into());
            }
            None
        }
        // A fresh folder of its own (not a name another user could make first), removed when done.
        None => Some(
            tempfile::Builder::new()
                .prefix("gigasim-rerun-")
                .tempdir()
                .map_err(|e| anyhow::anyhow!("making a temporary folder in {}: {e}", std::env::temp_dir().display()))?,
        ),
    };
    let target = out.map_or_else(|| temp.as_ref().map(|t| t.path().to_path_buf()).unwrap_or_default(), Path::to_path_buf);
    // With charts if the folder has them (drawn by the run, or later by `gigasim plot`).
    let charts = dir.join("charts").is_dir();
    let input = PathBuf::from(&prov.input);
    let bounds = || BoundOpts { max_events: None, max_memory_mb: None, allow_large: true };
    let ran = if sweep {
        let args = SweepArgs {
            sweep: input.clone(),
            out: Some(target.clone()),
            jobs: None,
            shard: None,
            replications: prov.replications,
            horizon_days: prov.horizon_days,
            sets: prov.sets.clone(),
            quiet: true,
            no_charts: !charts,
            bounds: bounds(),
            max_sweep_events: None,
        };
        run_sweep(&args)
    } else {
        rerun_run(&prov, &input, &target, charts, bounds())
    };
    let ran = ran.and_then(|()| gigasim::provenance::compare_folders(dir, &target).map_err(Failure::from));
    drop(temp);
    report_rerun(dir, out, quiet, ran?)
}

/// Run a run folder's scenario again into `target`, as its provenance says it ran.
fn rerun_run(prov: &Provenance, input: &Path, target: &Path, charts: bool, bounds: BoundOpts) -> Result<(), Failure> {
    let opts = RunOpts {
        seed: Some(prov.seed),
        out: target.to_path_buf(),
        horizon_days: prov.horizon_days,
        sets: prov.sets.clone(),
        trace: prov.trace.as_ref().map(|t| PathBuf::from(&t.file)),
        trace_time_scale: prov.trace.as_ref().and_then(|t| t.time_scale),
        trace_size_scale: prov.trace.as_ref().and_then(|t| t.size_scale),
        quiet: true,
        no_charts: !charts,
        // It ran once within its bounds; the defaults are not to refuse it now.
        bounds,
    };
    run_scenario(config::load_scenario(&FileSystem, input)?, &opts, input, &prov.input)
}

/// Print how a rerun compares, file by file; an error when any file differs.
fn report_rerun(dir: &Path, out: Option<&Path>, quiet: bool, table: Vec<(String, gigasim::provenance::Same)>) -> Result<(), Failure> {
    use gigasim::provenance::Same;
    // Another build's provenance is said, not counted against the results.
    let differ: Vec<&String> =
        table.iter().filter(|(_, s)| !matches!(s, Same::Identical | Same::ButContext | Same::ButProvenance)).map(|(n, _)| n).collect();
    for (name, same) in &table {
        let verdict = match same {
            Same::Identical | Same::ButContext => continue,
            Same::ButProvenance => "identical but for its provenance (another build of gigasim)",
            Same::Differs => "DIFFERS",
            Same::OnlyFirst => "MISSING from the rerun",
            Same::OnlySecond => "MISSING from the folder, or unreadable (the rerun has it)",
        };
        say!("  {name}: {verdict}\n");
    }
    if !quiet {
        // The identical ones by kind, rather than one line each.
        for (kind, of) in [("data files", ""), ("copies of inputs", "inputs/"), ("charts", "charts/")] {
            let mine = |n: &String| if of.is_empty() { !n.starts_with("inputs/") && !n.starts_with("charts/") } else { n.starts_with(of) };
            let all = table.iter().filter(|(n, _)| mine(n)).count();
            let same = table.iter().filter(|(n, s)| mine(n) && matches!(s, Same::Identical | Same::ButContext)).count();
            let page = table.iter().any(|(n, s)| mine(n) && *s == Same::ButContext);
            if all > 0 {
                let but = if page { " (report.html but for the command and time it records)" } else { "" };
                say!("  {kind:<17} {same} of {all} identical{but}\n");
            }
        }
    }
    if !differ.is_empty() {
        return Err(Failure::Other(format!(
            "the rerun of {} differs in {} of {} files: {}",
            dir.display(),
            differ.len(),
            table.len(),
            differ.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    if !quiet {
        say!(
            "rerun of {}: all {} files identical{}\n",
            dir.display(),
            table.len(),
            out.map_or(String::new(), |o| format!("; the new run is in {}", o.display()))
        );
    }
    Ok(())
}
