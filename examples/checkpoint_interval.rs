//! ETTR of the default site's 92k-chip frontier job against its checkpoint
//! interval, beside Young's and Daly's optima and Daly's expected ETTR.
//!
//! cargo run --release --example checkpoint_interval

use gigasim::plot::Reference;
use gigasim::sweep::{self, Options, Sweep};
use gigasim::{config, theory};
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let base = config::default_scenario();
    let job = base.workload.frontier[0].clone();
    let ck = job.checkpoint.clone().expect("the default frontier job checkpoints");
    let (delta, r) = (ck.write_hours.get(), job.restart_hours.get());
    let m = 1.0 / theory::frontier_failure_rate(&base, 0);
    let (young, daly) = (theory::young_interval(delta, m), theory::daly_interval(delta, m));
    let minutes = [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0, 45.0, 60.0];
    let sweep = Sweep {
        name: "checkpoint_interval".into(),
        base_path: config::DEFAULT_SCENARIO.into(),
        base,
        set: vec!["horizon_days=30".into()],
        params: vec![("workload.frontier[0].checkpoint.interval_hours".into(), minutes.iter().map(|m| (m / 60.0).into()).collect())],
        replications: 3,
        metrics: vec!["ettr".into(), "goodput".into(), "frontier.0.mtbi_hours".into()],
        labels: Default::default(),
        files: Default::default(),
    };
    let out = Path::new("gigasim-out/examples/checkpoint_interval");
    std::fs::remove_dir_all(out).ok();
    sweep::run(&sweep, out, &Options { progress: true, ..Options::default() })?;
    let (_, points) = sweep::load_points(out)?;

    println!("Checkpoint interval of a {}-chip job (30 days × 3 replications per interval)", job.chips.get());
    println!("  job MTBF from the failure model {:.1} min; write {:.1} min; restart {:.1} min", m * 60.0, delta * 60.0, r * 60.0);
    println!("  interval   ETTR simulated (95% CI)    ETTR Daly");
    for p in &points {
        let tau = p.params[0];
        let e = p.stats[0];
        println!(
            "  {:5.1} min  {:.3} ({:.3}–{:.3})        {:.3}",
            tau * 60.0,
            e.mean,
            e.ci_lo,
            e.ci_hi,
            theory::daly_ettr(tau, delta, r, m)
        );
    }
    let best = points.iter().max_by(|a, b| a.stats[0].mean.total_cmp(&b.stats[0].mean)).expect("points");
    println!(
        "  best simulated interval {:.1} min (ETTR {:.3}); Young's optimum {:.1} min, Daly's {:.1} min",
        best.params[0] * 60.0,
        best.stats[0].mean,
        young * 60.0,
        daly * 60.0
    );
    // Daly's expected ETTR over the swept range (log-spaced), and both optima, over the simulated points.
    let (lo, hi) = (minutes[0] / 60.0, minutes[minutes.len() - 1] / 60.0);
    let curve: Vec<(f64, f64)> =
        (0..=200).map(|i| lo * (hi / lo).powf(i as f64 / 200.0)).map(|tau| (tau, theory::daly_ettr(tau, delta, r, m))).collect();
    let refs = [
        Reference::Curve { label: "Daly (2006): expected ETTR".into(), metric: "ettr".into(), points: curve },
        Reference::Marker { label: "Young's optimum".into(), at: young },
        Reference::Marker { label: "Daly's optimum".into(), at: daly },
    ];
    let charts = gigasim::plot::sweep_charts_with(out, &out.join("charts"), &refs)?;
    println!(
        "  charts: {}",
        charts.iter().filter(|p| p.extension().is_some_and(|e| e == "png")).map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
