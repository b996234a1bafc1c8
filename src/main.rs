use clap::{Parser, Subcommand};
use gigasim::config::{self, Embedded, FileSystem, InputError, Positive, Scenario};
use gigasim::sweep::{self, Shard, Sweep};
use gigasim::{Report, Simulation, output};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// gigasim: discrete-event simulation of AI gigafactories — failures,
/// checkpoint/restart, power draw and job throughput, from RON model files.
///
/// With no command it runs the built-in default scenario (a ~100k-chip site for
/// 180 days) and writes its results to gigasim-out/.
#[derive(Parser)]
#[command(version, about, long_about, after_help = "Exit codes: 0 success, 1 internal error, 2 bad input.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario and write summary.json, failures.csv and power.csv.
    Run(RunArgs),
    /// Validate a scenario, sweep or model file without running it.
    Check {
        /// A scenario (models/scenarios/), a sweep (models/sweeps/), or a facility, failure, power or workload model file.
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
    /// Redraw the charts of a run or sweep output folder from its CSV files.
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
    /// Print nothing but errors (no progress bar).
    #[arg(long, short)]
    quiet: bool,
    /// Do not draw the charts into DIR/charts/.
    #[arg(long)]
    no_charts: bool,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The scenario file (models/scenarios/*.ron).
    scenario: PathBuf,
    /// Master seed (overrides the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Output directory.
    #[arg(long, default_value = "gigasim-out")]
    out: PathBuf,
    /// Simulated time in days (overrides the scenario's).
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    horizon_days: Option<f64>,
    /// Override any field, e.g. `failure.repair.crews=8` or
    /// `workload.frontier[0].checkpoint.interval_hours=0.25`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Do not draw the charts into DIR/charts/.
    #[arg(long)]
    no_charts: bool,
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
        None => run_default(),
        Some(Command::Run(args)) => run_file(&args),
        Some(Command::Check { file }) => check(&file),
        Some(Command::Sweep(args)) => run_sweep(&args),
        Some(Command::Merge { dirs, out, quiet, no_charts }) => merge(&dirs, &out, quiet, no_charts),
        Some(Command::Plot { dir, out }) => plot(&dir, out.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(e)) => {
            eprintln!("internal error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run_default() -> Result<(), Failure> {
    let scenario = config::load_scenario(&Embedded::models(), Path::new(config::DEFAULT_SCENARIO))?;
    println!("Running the built-in default scenario ({}); `gigasim --help` shows more.", config::DEFAULT_SCENARIO);
    simulate(&scenario, Path::new("gigasim-out"), false, true)
}

fn run_file(a: &RunArgs) -> Result<(), Failure> {
    let mut scenario = config::load_scenario(&FileSystem, &a.scenario)?;
    if let Some(seed) = a.seed {
        scenario.seed = seed;
    }
    if let Some(d) = a.horizon_days {
        scenario.horizon_days = Positive::try_from(d).map_err(|m| InputError::new("--horizon-days", None, m))?;
        config::check_changed(&scenario, "--horizon-days")?;
    }
    let scenario = config::apply_sets(&scenario, &a.sets)?;
    check_out(&a.out, "--out")?;
    simulate(&scenario, &a.out, a.quiet, !a.no_charts)
}

/// Runs with a progress bar once a run has lasted more than a moment (and only
/// on a terminal); the bar does not change what is simulated.
fn run_with_bar(scenario: &Scenario, quiet: bool) -> Report {
    let show = !quiet && std::io::stderr().is_terminal();
    let t0 = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let report = Simulation::new(scenario).run_with_progress(200, |done| {
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
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    report
}

fn simulate(scenario: &Scenario, out: &Path, quiet: bool, charts: bool) -> Result<(), Failure> {
    let t0 = Instant::now();
    let report = run_with_bar(scenario, quiet);
    let wall = t0.elapsed();
    let mut written = output::write_run(&report, out)?;
    if charts {
        written.push(draw(gigasim::plot::run_charts(out, &out.join("charts")), out)?);
    }
    if !quiet {
        print!("{}", output::human_summary(&report));
        println!(
            "  run        {} events in {:.2} s ({:.1} M events/s)",
            report.stats.processed,
            wall.as_secs_f64(),
            report.stats.processed as f64 / wall.as_secs_f64() / 1e6
        );
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        println!("  wrote      {}", names.join(", "));
    }
    Ok(())
}

/// Accepts a scenario, a sweep, or any single model file. The kind is told by
/// the folder it sits in, else each kind is tried and the one that parses
/// furthest names the error.
fn check(file: &Path) -> Result<(), Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| InputError::new(file.display().to_string(), None, format!("cannot read: {e}")))?;
    let name = file.display().to_string();
    let folder = file.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
    type Checker = fn(&Path, &str, &str) -> Result<String, InputError>;
    let kinds: [(&str, Checker); 6] = [
        ("scenarios", |f, _, _| {
            config::load_scenario(&FileSystem, f).map(|s| {
                format!(
                    "scenario `{}`: {} chips, {} failure classes, {} frontier jobs, {} tenant classes, {} days",
                    s.name,
                    s.facility.chips(),
                    s.failure.classes.len(),
                    s.workload.frontier.len(),
                    s.workload.tenants.len(),
                    s.horizon_days
                )
            })
        }),
        ("sweeps", |f, _, _| {
            Sweep::load(f)
                .map(|s| format!("sweep `{}`: {} points × {} replications = {} runs", s.name, s.points(), s.replications, s.runs()))
        }),
        ("facility", |_, n, t| {
            let m: config::Facility = config::parse_ron(n, t)?;
            m.check().map_err(|p| config::in_file(n, t, p))?;
            Ok(format!("facility model `{}`: {} chips", m.name, m.chips()))
        }),
        ("failure", |_, n, t| {
            let m: config::FailureModel = config::parse_ron(n, t)?;
            m.check(None).map_err(|p| config::in_file(n, t, p))?;
            Ok(format!("failure model `{}`: {} classes", m.name, m.classes.len()))
        }),
        ("power", |_, n, t| config::parse_ron::<config::PowerModel>(n, t).map(|m| format!("power model `{}`", m.name))),
        ("workload", |_, n, t| {
            let m: config::Workload = config::parse_ron(n, t)?;
            m.check().map_err(|p| config::in_file(n, t, p))?;
            Ok(format!("workload model `{}`: {} frontier jobs, {} tenant classes", m.name, m.frontier.len(), m.tenants.len()))
        }),
    ];
    let said = match kinds.iter().find(|k| k.0 == folder) {
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
                    return Err(InputError::new(name, None, "not a scenario, sweep, facility, failure, power or workload file").into());
                }
            }
        }
    };
    println!("{name}: ok ({said})");
    Ok(())
}

/// An output folder must be creatable; say so before any simulating.
fn check_out(out: &Path, flag: &str) -> Result<(), Failure> {
    if out.exists() && !out.is_dir() {
        return Err(
            InputError::new(flag, None, format!("{} is a file; allowed: a folder (it is created if missing)", out.display())).into()
        );
    }
    Ok(())
}

fn run_sweep(a: &SweepArgs) -> Result<(), Failure> {
    let sweep = Sweep::load(&a.sweep)?;
    let out = a.out.clone().unwrap_or_else(|| Path::new("gigasim-sweep").join(&sweep.name));
    check_out(&out, "--out")?;
    let opts = sweep::Options { jobs: a.jobs.unwrap_or(0), shard: a.shard, progress: !a.quiet && std::io::stderr().is_terminal() };
    let t0 = Instant::now();
    let mut outcome = sweep::run(&sweep, &out, &opts)?;
    if !a.no_charts && a.shard.is_none() {
        outcome.files.push(draw(gigasim::plot::sweep_charts(&out, &out.join("charts")), &out)?);
    }
    if !a.quiet {
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "sweep `{}`: {} points × {} replications; ran {} of this {}'s {} runs in {:.1} s ({:.2} runs/s)",
            sweep.name,
            sweep.points(),
            sweep.replications,
            outcome.runs_done_now,
            if a.shard.is_some() { "shard" } else { "sweep" },
            outcome.runs_total,
            secs,
            outcome.runs_done_now as f64 / secs
        );
        let names: Vec<String> = outcome.files.iter().map(|p| p.display().to_string()).collect();
        println!("wrote {}", names.join(", "));
    }
    Ok(())
}

/// Charts come last: if drawing fails, the data files are already written.
fn draw(result: anyhow::Result<Vec<PathBuf>>, dir: &Path) -> Result<PathBuf, Failure> {
    let files = result
        .map_err(|e| Failure::Internal(e.context(format!("drawing the charts of {} (the data files are written)", dir.display()))))?;
    Ok(files.first().and_then(|f| f.parent()).map_or_else(|| dir.join("charts"), |p| p.to_path_buf()))
}

fn plot(dir: &Path, out: Option<&Path>) -> Result<(), Failure> {
    let out = out.map_or_else(|| dir.join("charts"), Path::to_path_buf);
    let files = if dir.join("sweep.json").exists() {
        gigasim::plot::sweep_charts(dir, &out)
    } else if dir.join("summary.json").exists() {
        gigasim::plot::run_charts(dir, &out)
    } else {
        return Err(InputError::new(
            dir.display().to_string(),
            None,
            "holds neither summary.json (a run) nor sweep.json (a sweep); allowed: an output folder of gigasim run, sweep or merge",
        )
        .into());
    }?;
    println!("wrote {} charts into {}", files.len(), out.display());
    Ok(())
}

fn merge(dirs: &[PathBuf], out: &Path, quiet: bool, no_charts: bool) -> Result<(), Failure> {
    let mut files = sweep::merge(dirs, out)?;
    if !no_charts {
        files.push(draw(gigasim::plot::sweep_charts(out, &out.join("charts")), out)?);
    }
    if !quiet {
        let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        println!("merged {} shards; wrote {}", dirs.len(), names.join(", "));
    }
    Ok(())
}
