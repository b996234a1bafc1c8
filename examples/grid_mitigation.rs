//! What the grid sees of the default site under each mitigation: none, a 90%
//! power floor, site batteries of a few sizes holding the grid to 10 MW/min,
//! and the floor with a battery. A table of the worst instantaneous drop, the
//! worst change within a minute, ramp violations of a 10 MW/min grid limit,
//! the extra energy and € per useful chip-hour; each run's files and charts go
//! to gigasim-out/examples/grid_mitigation/<set-up>/.
//!
//! cargo run --release --example grid_mitigation

use gigasim::config::{self, BatteryModel, GridSpec, NonNeg, Positive, PowerFloor, Prob};
use gigasim::{Simulation, output, plot};
use rayon::prelude::*;
use std::path::Path;

fn battery(mwh: f64) -> BatteryModel {
    // As models/power/gb200-smoothed.ron, at another capacity, shedding at 15 MW: each unsmoothed
    // checkpoint leaves ~1.4 MWh more in store than the rise after it takes out, 7 min later.
    BatteryModel {
        capacity_mwh: NonNeg::new(mwh),
        power_mw: NonNeg::new(100.0),
        round_trip_efficiency: Prob::new(0.9),
        initial_soc: Prob::new(0.5),
        target_soc: Prob::new(0.5),
        restore_mw: NonNeg::new(15.0),
        grid_ramp_mw_per_min: Positive::new(10.0),
    }
}

fn main() -> anyhow::Result<()> {
    let mut base = config::default_scenario();
    base.horizon_days = Positive::new(30.0);
    base.grid = Some(GridSpec { ramp_mw_per_min: Some(Positive::new(10.0)), ..GridSpec::default() });
    let floor = Some(PowerFloor { fraction_of_busy: Prob::new(0.9) });
    let setups: Vec<(&str, Option<PowerFloor>, Option<BatteryModel>)> = vec![
        ("none", None, None),
        ("floor 90%", floor.clone(), None),
        ("battery 5 MWh", None, Some(battery(5.0))),
        ("battery 20 MWh", None, Some(battery(20.0))),
        ("battery 50 MWh", None, Some(battery(50.0))),
        ("floor 90% + battery 20 MWh", floor, Some(battery(20.0))),
    ];
    let root = Path::new("gigasim-out/examples/grid_mitigation");
    let rows: Vec<_> = setups
        .par_iter()
        .map(|(name, floor, battery)| -> anyhow::Result<_> {
            let mut s = base.clone();
            s.power.floor = floor.clone();
            s.power.battery = battery.clone();
            let r = Simulation::try_new(&s)?.run();
            // "floor 90% + battery 20 MWh" → "floor-90-battery-20-mwh"
            let slug: Vec<String> = name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
            let dir = root.join(slug.join("-"));
            output::remove_run_outputs(&dir)?;
            output::write_run(&r, &dir)?;
            plot::run_charts(&dir, &dir.join("charts"))?;
            Ok((*name, r.summary()))
        })
        .collect::<anyhow::Result<_>>()?;
    let none_grid = rows[0].1.grid.energy_mwh;
    println!("Grid mitigations on the default 100k-chip site, {} days, seed {}, grid limit 10 MW/min", base.horizon_days, base.seed);
    println!(
        "  {:<28} {:>12} {:>14} {:>12} {:>14} {:>10} {:>12}",
        "set-up", "worst drop", "worst 1 min", "violations", "extra energy", "losses", "€/chip-h"
    );
    for (name, s) in &rows {
        let losses = s.battery.as_ref().map_or(0.0, |b| b.losses_mwh);
        println!(
            "  {:<28} {:>9.1} MW {:>11.1} MW {:>12} {:>8.0} MWh {:>6.0} MWh {:>12.4}",
            name,
            s.grid.max_drop_mw,
            s.grid.worst_ramp_mw_per_min,
            s.grid.ramp_violations,
            s.grid.energy_mwh - none_grid,
            losses,
            s.cost.as_ref().map_or(f64::NAN, |c| c.eur_per_useful_chip_hour)
        );
    }
    println!("  (extra energy: grid energy over the unmitigated run's; a battery's losses are part of it)");
    println!("  files and charts: {}/<set-up>/", root.display());
    Ok(())
}
