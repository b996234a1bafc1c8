//! Replays the Llama 3 405B run: 16,384 H100 GPUs for 54 days with the failure
//! model calibrated to its Table 5, beside the published counts and shares.
//!
//! cargo run --release --example llama3_replay

use gigasim::config::{self, Category, FileSystem};
use gigasim::sweep::{self, Options, Sweep};
use std::path::Path;

/// Grattafiori et al. 2024, Table 5: unexpected interruptions by category (419 in all).
const PUBLISHED: [(Category, f64); 6] = [
    (Category::Gpu, 268.0),
    (Category::Dependency, 56.0),
    (Category::Network, 35.0),
    (Category::UnplannedMaintenance, 32.0),
    (Category::Host, 21.0),
    (Category::Unknown, 7.0),
];

fn main() -> anyhow::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/scenarios/llama3-replay-16k.ron");
    let base = config::load_scenario(&FileSystem, &path)?;
    let reps = 20;
    let mut metrics = vec!["failures.total".to_string(), "frontier.0.interruptions".into(), "ettr".into()];
    metrics.extend(PUBLISHED.iter().map(|(c, _)| format!("failures.by_category.{}", c.label())));
    let sweep = Sweep {
        name: "llama3_replay".into(),
        base_path: path.display().to_string(),
        base,
        set: vec![],
        params: vec![],
        replications: reps,
        metrics,
        labels: Default::default(),
        files: Default::default(),
    };
    let out = Path::new("gigasim-out/examples/llama3_replay");
    std::fs::remove_dir_all(out).ok();
    sweep::run(&sweep, out, &Options { progress: true, ..Options::default() })?;
    let (_, points) = sweep::load_points(out)?;
    let st = &points[0].stats;
    println!("Llama 3 405B replay: 16,384 H100, 54 days, {reps} replications (published: 419 unexpected interruptions, ETTR > 90%)");
    println!(
        "  failures {:.1} ± {:.1} (95% CI {:.1}–{:.1}); job interruptions {:.1}; ETTR {:.3}",
        st[0].mean, st[0].sd, st[0].ci_lo, st[0].ci_hi, st[1].mean, st[2].mean
    );
    println!("  category                simulated share   published share (count)");
    let total = st[0].mean;
    for (i, (c, n)) in PUBLISHED.iter().enumerate() {
        println!("  {:<22}  {:>5.1}%            {:>5.1}% ({n:.0})", c.label(), 100.0 * st[3 + i].mean / total, 100.0 * n / 419.0);
    }
    // One replication's own charts (power, failures per day, progress).
    let r = gigasim::Simulation::new(&sweep.base).run();
    let run_dir = out.join("run");
    let charts = gigasim::output::replace_run(&r, &run_dir, true)?;
    println!(
        "  charts: {}",
        charts.iter().filter(|p| p.extension().is_some_and(|e| e == "png")).map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
