//! What the grid sees of the default site under each mitigation: none, a 90%
//! power floor, per-chip ramp limits, site batteries of a few sizes holding the
//! grid to 10 MW/min, their combinations, and a 140 MW cap the site enforces by
//! throttling. A table of the worst instantaneous drop, the worst change within
//! a minute, ramp violations of a 10 MW/min grid limit, the extra energy, the
//! busy time lost to throttling and € per useful chip-hour; each run's files
//! and charts go to gigasim-out/examples/grid_mitigation/<set-up>/.
//!
//! cargo run --release --example grid_mitigation

use gigasim::config::{self, BatteryModel, ChipRamp, GridSpec, NonNeg, Positive, PowerFloor, Prob, Scenario, Throttle};
use gigasim::{Simulation, output};
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
        grid_min_mw: None,
        grid_max_mw: None,
    }
}

fn main() -> anyhow::Result<()> {
    let mut base = config::default_scenario();
    base.horizon_days = Positive::new(30.0);
    base.grid = Some(GridSpec { ramp_mw_per_min: Some(Positive::new(10.0)), ..GridSpec::default() });
    let floor = |s: &mut Scenario| s.power.floor = Some(PowerFloor { fraction_of_busy: Prob::new(0.9) });
    // As models/power/gb200-smoothed.ron: a chip falls 20 W/s and climbs 100 W/s.
    let ramps =
        |s: &mut Scenario| s.power.ramp = Some(ChipRamp { up_watts_per_s: Positive::new(100.0), down_watts_per_s: Positive::new(20.0) });
    let store = |mwh: f64| move |s: &mut Scenario| s.power.battery = Some(battery(mwh));
    type Setup = Box<dyn Fn(&mut Scenario) + Sync>;
    let setups: Vec<(&str, Vec<Setup>)> = vec![
        ("none", vec![]),
        ("floor 90%", vec![Box::new(floor)]),
        ("ramps 100/20 W/s", vec![Box::new(ramps)]),
        ("floor 90% + ramps", vec![Box::new(floor), Box::new(ramps)]),
        ("battery 5 MWh", vec![Box::new(store(5.0))]),
        ("battery 20 MWh", vec![Box::new(store(20.0))]),
        ("battery 50 MWh", vec![Box::new(store(50.0))]),
        ("floor 90% + battery 20 MWh", vec![Box::new(floor), Box::new(store(20.0))]),
        ("floor + ramps + battery 20 MWh", vec![Box::new(floor), Box::new(ramps), Box::new(store(20.0))]),
        (
            "cap 140 MW, throttled",
            vec![Box::new(|s: &mut Scenario| {
                // As models/scenarios/gigafactory-100k-capped.ron.
                s.power.throttle = Some(Throttle { alpha: Positive::new(0.5), min_fraction_of_busy: Prob::new(0.5) });
                let g = s.grid.get_or_insert_with(GridSpec::default);
                g.cap_mw = Some(Positive::new(140.0));
                g.enforce_cap = true;
            })],
        ),
    ];
    let root = Path::new("gigasim-out/examples/grid_mitigation");
    let rows: Vec<_> = setups
        .par_iter()
        .map(|(name, changes)| -> anyhow::Result<_> {
            let mut s = base.clone();
            for change in changes {
                change(&mut s);
            }
            let r = Simulation::try_new(&s)?.run();
            // "floor 90% + battery 20 MWh" → "floor-90-battery-20-mwh"
            let slug: Vec<String> = name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
            let dir = root.join(slug.join("-"));
            output::replace_run(&r, &dir, true)?;
            Ok((*name, r.summary()))
        })
        .collect::<anyhow::Result<_>>()?;
    let none_grid = rows[0].1.grid.energy_mwh;
    println!("Grid mitigations on the default 100k-chip site, {} days, seed {}, grid limit 10 MW/min", base.horizon_days, base.seed);
    println!(
        "  {:<31} {:>11} {:>12} {:>11} {:>13} {:>9} {:>10} {:>9}",
        "set-up", "worst drop", "worst 1 min", "violations", "extra energy", "losses", "throttled", "€/chip-h"
    );
    for (name, s) in &rows {
        let losses = s.battery.as_ref().map_or(0.0, |b| b.losses_mwh);
        println!(
            "  {:<31} {:>8.1} MW {:>9.1} MW {:>11} {:>9.0} MWh {:>5.0} MWh {:>9.1}% {:>9.4}",
            name,
            s.grid.max_drop_mw,
            s.grid.worst_ramp_mw_per_min,
            s.grid.ramp_violations,
            s.grid.energy_mwh - none_grid,
            losses,
            100.0 * s.throttle.as_ref().map_or(0.0, |t| t.throughput_lost_fraction),
            s.cost.as_ref().map_or(f64::NAN, |c| c.eur_per_useful_chip_hour)
        );
    }
    println!("  (extra energy: grid energy over the unmitigated run's; a battery's losses are part of it;");
    println!("   throttled: busy chip-time the enforced cap took; violations: times the change of grid");
    println!("   draw over the last minute passed 10 MW)");
    println!("  files and charts: {}/<set-up>/", root.display());
    Ok(())
}
