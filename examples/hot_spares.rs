//! Goodput and frontier ETTR of the default site against the size of the
//! frontier job's hot-spare pool and the number of repair crews.
//!
//! cargo run --release --example hot_spares

use gigasim::config;
use gigasim::sweep::{self, Options, Sweep};
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let spares = [0.0, 9.0, 18.0, 36.0, 72.0, 144.0, 460.0];
    let crews = [1.0, 2.0, 4.0, 8.0];
    let sweep = Sweep {
        name: "hot_spares".into(),
        base_path: config::DEFAULT_SCENARIO.into(),
        base: config::default_scenario(),
        // Without borrowing, a job short of healthy nodes waits for its own repairs.
        set: vec!["horizon_days=30".into(), "workload.frontier[0].recovery=WaitForRepair".into()],
        params: vec![
            ("workload.frontier[0].hot_spare_nodes".into(), spares.map(Into::into).to_vec()),
            ("failure.repair.crews".into(), crews.map(Into::into).to_vec()),
        ],
        replications: 2,
        metrics: vec!["goodput".into(), "ettr".into(), "time_breakdown.waiting".into()],
        labels: Default::default(),
        files: Default::default(),
    };
    let out = Path::new("gigasim-out/examples/hot_spares");
    std::fs::remove_dir_all(out).ok();
    sweep::run(&sweep, out, &Options { progress: true, ..Options::default() })?;
    let (_, points) = sweep::load_points(out)?;

    println!("Hot spares × repair crews on the default 100k-chip site (30 days, 2 replications, no borrowing)");
    print!("  frontier ETTR   ");
    for c in crews {
        print!("{c:>4} crews ");
    }
    println!();
    for s in spares {
        print!("  {s:>4} spare nodes");
        for c in crews {
            let p = points.iter().find(|p| p.params == [s, c]).expect("grid point");
            print!("  {:.3}    ", p.stats[1].mean);
        }
        println!();
    }
    let get = |s: f64, c: f64| points.iter().find(|p| p.params == [s, c]).expect("grid point").stats[0].mean;
    println!(
        "  goodput: no spares, 1 crew {:.3}; no spares, 8 crews {:.3}; 460 spares, 8 crews {:.3}",
        get(0.0, 1.0),
        get(0.0, 8.0),
        get(460.0, 8.0)
    );
    let charts = gigasim::plot::sweep_charts(out, &out.join("charts"))?;
    println!(
        "  charts: {}",
        charts.iter().filter(|p| p.extension().is_some_and(|e| e == "png")).map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
