//! A ~25k-chip AI factory beside a ~100k-chip gigafactory, same chips, same
//! failure rates: job MTBF, ETTR, energy and delivered useful chip-hours.
//!
//! cargo run --release --example factory_vs_gigafactory

use gigasim::config::{self, FileSystem};
use gigasim::{Simulation, output};
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("AI factory vs gigafactory (180 days, GB200 NVL72, Llama 3 failure rates, seeds 1-3)");
    println!("  site                          chips  frontier  job MTBF  ETTR   goodput  facility GWh  useful chip-h/month  MW mean");
    for (label, file) in
        [("AI factory (25k)", "models/scenarios/factory-25k.ron"), ("gigafactory (100k)", "models/scenarios/gigafactory-100k.ron")]
    {
        let base = config::load_scenario(&FileSystem, &root.join(file))?;
        let mut acc = [0.0; 6];
        let seeds = [1u64, 2, 3];
        let mut last = None;
        for &seed in &seeds {
            let mut s = base.clone();
            s.seed = seed;
            let r = Simulation::new(&s).run();
            let sum = r.summary();
            let f = &sum.frontier[0];
            let months = sum.horizon_days / (365.25 / 12.0);
            let vals = [
                f.mtbi_hours * 60.0,
                f.ettr,
                sum.goodput,
                sum.energy.facility_mwh / 1e3,
                sum.goodput * sum.chips as f64 * sum.horizon_days * 24.0 / months,
                sum.power.facility_mean_mw,
            ];
            for (a, v) in acc.iter_mut().zip(vals) {
                *a += v / seeds.len() as f64;
            }
            last = Some(r);
        }
        println!(
            "  {label:<28} {:>6}  {:>8}  {:>5.1} min {:.3}  {:.3}    {:>8.1}      {:>12.3e}      {:>6.1}",
            base.facility.chips(),
            base.workload.frontier[0].chips.get(),
            acc[0],
            acc[1],
            acc[2],
            acc[3],
            acc[4],
            acc[5]
        );
        let dir = Path::new("gigasim-out/examples/factory_vs_gigafactory").join(&base.name);
        let r = last.expect("ran");
        output::replace_run(&r, &dir, true)?;
    }
    println!("  charts: gigasim-out/examples/factory_vs_gigafactory/<scenario>/charts/");
    Ok(())
}
