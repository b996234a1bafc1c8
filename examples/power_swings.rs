//! The default site's facility power over 180 days: how deep and how often it
//! falls at one instant, and what causes the falls.
//!
//! cargo run --release --example power_swings

use gigasim::{Simulation, config, output};
use std::collections::BTreeSet;
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let s = config::default_scenario();
    let r = Simulation::new(&s).run();
    let out = Path::new("gigasim-out/examples/power_swings");
    let charts = output::replace_run(&r, out, true)?;
    let sum = r.summary();
    let days = r.horizon_hours() / 24.0;
    let interruptions: BTreeSet<u64> =
        r.frontier.iter().flat_map(|f| f.interruption_times_hours.iter().map(|h| (h * 3.6e6).round() as u64)).collect();
    let drops_mw: Vec<(bool, f64)> = r.power.drops.iter().map(|&(t, w)| (interruptions.contains(&t.as_millis()), w / 1e6)).collect();
    println!("Power swings of {} over {:.0} days", sum.scenario, days);
    println!(
        "  facility draw: mean {:.1} MW, peak {:.1} MW, lowest {:.1} MW",
        sum.power.facility_mean_mw, sum.power.facility_peak_mw, sum.power.facility_min_mw
    );
    println!("  largest instantaneous fall {:.1} MW at day {:.2}", sum.power.max_drop_mw, sum.power.max_drop_at_hours / 24.0);
    // Falls are listed where IT draw fell by 1 MW or more; a synchronous job moves all its chips at once.
    let mut sizes: Vec<f64> = drops_mw.iter().map(|d| d.1).collect();
    sizes.sort_by(f64::total_cmp);
    let crash = drops_mw.iter().filter(|d| d.0).count();
    let mut stalls: Vec<f64> = drops_mw.iter().filter(|d| !d.0).map(|d| d.1).collect();
    stalls.sort_by(f64::total_cmp);
    if !sizes.is_empty() {
        println!(
            "  {} falls where IT draw fell by ≥ 1 MW ({:.0}/day), sizes {:.1} / {:.1} / {:.1} MW of facility draw (min / median / max)",
            sizes.len(),
            sizes.len() as f64 / days,
            sizes[0],
            sizes[sizes.len() / 2],
            sizes[sizes.len() - 1]
        );
        println!(
            "  causes: {crash} ({:.0}/day) at job interruptions (compute → restart), {} ({:.0}/day) at checkpoint stalls and job completions",
            crash as f64 / days,
            sizes.len() - crash,
            (sizes.len() - crash) as f64 / days
        );
    }
    if let Some(median) = stalls.get(stalls.len() / 2) {
        println!(
            "  a frontier job of {} chips swings a median {median:.0} MW of facility power each time it stalls to checkpoint: a power floor or battery must cover that step",
            r.frontier[0].chips
        );
    }
    println!(
        "  charts: {}",
        charts.iter().filter(|p| p.extension().is_some_and(|e| e == "png")).map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
