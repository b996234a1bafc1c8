//! Four InvestAI gigafactories: the default 100k-chip GB200 site placed in four
//! candidate countries, each with its 2018 hourly day-ahead prices (SMARD, CC BY 4.0)
//! rescaled to its 2024 mean, its 2023 grid carbon intensity, and a PUE for its
//! climate. Useful chip-hours per month, € and kg CO2 per useful chip-hour, side by side;
//! each run's files go to gigasim-out/examples/four_sites/<country>/.
//!
//! cargo run --release --example four_sites

use gigasim::config::{self, AtLeastOne, Electricity, Positive};
use gigasim::{Simulation, output};
use rayon::prelude::*;
use std::path::Path;

/// (country, price file, 2024 mean €/MWh, PUE). Prices: sources S12 (FfE from
/// ENTSO-E; RTE; OMIE). PUE: assumptions by climate within the 1.1-1.2 of liquid-cooled
/// AI halls (docs/sources.md S5): free cooling most of the year in the north, more in the south.
const SITES: [(&str, &str, f64, f64); 4] = [
    ("Germany", "models/energy/prices-2018-de.csv", 79.6, 1.15),
    ("France", "models/energy/prices-2018-fr.csv", 58.0, 1.15),
    ("Sweden (SE4)", "models/energy/prices-2018-se4.csv", 36.0, 1.08),
    ("Italy (North)", "models/energy/prices-2018-it-north.csv", 107.0, 1.22),
];

fn main() -> anyhow::Result<()> {
    let base = config::load_scenario(&config::FileSystem, Path::new(config::DEFAULT_SCENARIO))?;
    let root = Path::new("gigasim-out/examples/four_sites");
    let rows: Vec<_> = SITES
        .par_iter()
        .map(|&(country, file, mean, pue)| -> anyhow::Result<_> {
            let mut s = base.clone();
            s.power.pue = AtLeastOne::new(pue);
            let cost = s.cost.as_mut().expect("the default scenario names a cost model");
            cost.name = format!("GB200 gigafactory, {country}");
            cost.electricity = Electricity::Hourly { file: file.into(), mean_eur_per_mwh: Some(Positive::new(mean)) };
            let r = Simulation::try_new(&s)?.run();
            let dir = root.join(country.split(' ').next().unwrap_or(country).to_lowercase());
            output::write_run(&r, &dir)?;
            Ok((country, pue, r.summary()))
        })
        .collect::<anyhow::Result<_>>()?;
    println!("Four candidate sites: the default 100k-chip GB200 gigafactory, {} days, seed {}", base.horizon_days, base.seed);
    println!(
        "  {:<14} {:>5} {:>12} {:>9} {:>16} {:>10} {:>10} {:>10} {:>8}",
        "site", "PUE", "price paid", "gCO2/kWh", "useful chip-h", "€/chip-h", "energy", "capital", "kg CO2"
    );
    for (country, pue, s) in &rows {
        let c = s.cost.as_ref().expect("cost block");
        let months = s.horizon_days / (365.25 / 12.0);
        println!(
            "  {:<14} {:>5.2} {:>7.1} €/MWh {:>9.0} {:>10.1} M/mo {:>10.3} {:>10.3} {:>10.3} {:>8.3}",
            country,
            pue,
            c.mean_price_eur_per_mwh,
            c.co2_t * 1e3 / s.energy.facility_mwh,
            c.useful_chip_hours / months / 1e6,
            c.eur_per_useful_chip_hour,
            c.energy_eur_per_useful_chip_hour,
            c.capital_eur_per_useful_chip_hour,
            c.kg_co2_per_useful_chip_hour
        );
    }
    println!(
        "  (same failures and work at every site: only power, price and carbon differ; capital and operations as models/cost/gigafactory-de.ron)"
    );
    println!("  files: {}/<site>/", root.display());
    Ok(())
}
