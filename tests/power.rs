//! Power mitigations held to closed forms.
mod common;

use common::{OneJob, Site};
use gigasim::Simulation;
use gigasim::config::apply_sets;

/// One job on every chip, no failures, checkpoints of 0.1 h after each hour of
/// work: for 110 h it checkpoints exactly 100 times, stalling 10 h in all.
fn duty_cycle() -> gigasim::config::Scenario {
    OneJob {
        site: Site { chips_per_node: 4, nodes_per_rack: 4, racks_per_pod: 2, pods: 1 },
        classes: String::new(),
        work_hours: 1e6,
        interval_hours: 1.0,
        write_hours: 0.1,
        restart_hours: 0.0,
        horizon_days: 110.0 / 24.0,
        seed: 1,
    }
    .scenario()
}

#[test]
fn a_power_floor_adds_exactly_the_closed_form_energy() {
    let base = duty_cycle();
    let floored = apply_sets(&base, &[r#"power.floor={"fraction_of_busy": 0.9}"#.to_string()]).unwrap();
    let (a, b) = (Simulation::new(&base).run().summary(), Simulation::new(&floored).run().summary());
    // (floor × busy − checkpoint watts) × chips × stalled hours: (0.9 × 700 − 200) W × 32 × 10 h.
    let want_mwh = (0.9 * 700.0 - 200.0) * 32.0 * 10.0 / 1e6;
    assert_eq!(a.energy.floor_energy_mwh, 0.0);
    assert!((b.energy.floor_energy_mwh - want_mwh).abs() < 1e-12, "{} vs {want_mwh}", b.energy.floor_energy_mwh);
    assert!((b.energy.it_mwh - a.energy.it_mwh - want_mwh).abs() < 1e-9, "the IT energy grows by exactly the floor's");
    // A floor below the stall draw changes nothing.
    let low = apply_sets(&base, &[r#"power.floor={"fraction_of_busy": 0.2}"#.to_string()]).unwrap();
    assert_eq!(Simulation::new(&low).run().summary().energy.floor_energy_mwh, 0.0);
    // The drop at each checkpoint shrinks from (700 − 200) W to (700 − 630) W a chip.
    let drop = |s: &gigasim::Summary| s.power.max_drop_mw * 1e6 / 1.25 / 32.0;
    assert!((drop(&a) - 500.0).abs() < 1e-6 && (drop(&b) - 70.0).abs() < 1e-6, "{} / {}", drop(&a), drop(&b));
}
