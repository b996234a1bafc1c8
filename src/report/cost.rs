//! What the run cost: capital amortised over the horizon, operations, and the
//! electricity of each hour at that hour's price and carbon intensity; per
//! useful chip-hour, and carried by each tenant in proportion to its chip-hours.

use super::Report;
use serde::Serialize;

/// The `cost` block of `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct CostSummary {
    /// The cost model's name.
    pub model: String,
    /// Capital amortised over the horizon: chips over their years, the facility's design power over its years.
    pub capital_eur: f64,
    /// Operations (staff, maintenance, spares) over the horizon.
    pub operations_eur: f64,
    /// Facility energy of each hour at that hour's price.
    pub energy_eur: f64,
    pub total_eur: f64,
    /// Facility energy of each hour at that hour's carbon intensity, tonnes.
    pub co2_t: f64,
    /// Chip-hours whose work was kept (`time_breakdown.useful` × installed chip-hours).
    pub useful_chip_hours: f64,
    pub eur_per_useful_chip_hour: f64,
    pub capital_eur_per_useful_chip_hour: f64,
    pub energy_eur_per_useful_chip_hour: f64,
    pub operations_eur_per_useful_chip_hour: f64,
    pub kg_co2_per_useful_chip_hour: f64,
    /// Energy-weighted mean price paid, €/MWh.
    pub mean_price_eur_per_mwh: f64,
    /// Design power the facility capital is per MW of: every chip busy, every node and rack up, × PUE.
    pub design_mw: f64,
}

impl Report {
    /// The cost block, when the scenario names a cost model.
    pub(super) fn cost_summary(&self) -> Option<CostSummary> {
        let (model, prices, day) = self.cost.as_ref()?;
        let years = self.horizon_hours() / (365.25 * 24.0);
        let c = &model.capital;
        let capital = self.chips as f64 * c.per_chip_eur.get() * years / c.chip_amortisation_years.get()
            + self.design_w / 1e6 * c.per_facility_mw_eur.get() * years / c.facility_amortisation_years.get();
        let operations = model.operations_eur_per_year.get() * years;
        let (mut energy, mut co2_kg, mut mwh) = (0.0, 0.0, 0.0);
        for (h, &wh) in self.facility_hourly_wh.iter().enumerate() {
            let (price, g) = prices.at(*day, h);
            let e = wh / 1e6;
            energy += e * price;
            // 1 MWh at 1 g/kWh is 1 kg.
            co2_kg += e * g;
            mwh += e;
        }
        let useful = self.time.useful as f64 / 3.6e6;
        let per = |x: f64| if useful > 0.0 { x / useful } else { 0.0 };
        let total = capital + operations + energy;
        Some(CostSummary {
            model: model.name.clone(),
            capital_eur: capital,
            operations_eur: operations,
            energy_eur: energy,
            total_eur: total,
            co2_t: co2_kg / 1e3,
            useful_chip_hours: useful,
            eur_per_useful_chip_hour: per(total),
            capital_eur_per_useful_chip_hour: per(capital),
            energy_eur_per_useful_chip_hour: per(energy),
            operations_eur_per_useful_chip_hour: per(operations),
            kg_co2_per_useful_chip_hour: per(co2_kg),
            mean_price_eur_per_mwh: if mwh > 0.0 { energy / mwh } else { 0.0 },
            design_mw: self.design_w / 1e6,
        })
    }
}
