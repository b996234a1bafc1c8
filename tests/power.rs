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

/// Per-chip ramp limits of 100 W/s up and 50 W/s down on the duty cycle, cut at 109.5 h
/// so that its 99 checkpoints each ramp down and back up in full.
#[test]
fn ramp_limits_turn_every_step_into_a_ramp_and_add_exactly_the_triangles() {
    let sets = |ramp: &str| vec!["horizon_days=4.5625".to_string(), format!("power.ramp={ramp}")];
    let base = apply_sets(&duty_cycle(), &sets("null")).unwrap();
    let ramped = apply_sets(&duty_cycle(), &sets(r#"{"up_watts_per_s": 100, "down_watts_per_s": 50}"#)).unwrap();
    let (a, b) = (Simulation::new(&base).run().summary(), Simulation::new(&ramped).run().summary());
    // Each chip falls 500 W in 10 s (a triangle of 500²/(2 × 50) J above the checkpoint's
    // draw) and climbs back in 5 s (500²/(2 × 100) J below busy), 99 times, 32 chips.
    let want_mwh = 99.0 * 32.0 * (500.0f64.powi(2) / 100.0 - 500.0f64.powi(2) / 200.0) / 3.6e9;
    assert!((b.energy.ramp_energy_mwh - want_mwh).abs() < 1e-9 * want_mwh, "{} vs {want_mwh}", b.energy.ramp_energy_mwh);
    assert!((b.energy.it_mwh - a.energy.it_mwh - want_mwh).abs() < 1e-9, "the IT energy grows by exactly the ramps'");
    assert_eq!(a.energy.ramp_energy_mwh, 0.0);
    // No step at all: within a second the site moves by 32 chips × the rate × PUE 1.25.
    assert_eq!(b.power.max_drop_mw, 0.0);
    let (fall, rise) = (b.power.drops.worst_ramp_mw["1s"] * 1e6, b.power.rises.worst_ramp_mw["1s"] * 1e6);
    assert!((fall - 32.0 * 50.0 * 1.25).abs() < 1e-6 && (rise - 32.0 * 100.0 * 1.25).abs() < 1e-6, "{fall} W, {rise} W");
    assert!((a.power.drops.worst_ramp_mw["1s"] * 1e6 - 32.0 * 500.0 * 1.25).abs() < 1e-6, "without: the whole step");
    // Over a minute, the whole swing either way.
    assert!((b.power.drops.worst_ramp_mw["1min"] * 1e6 - 32.0 * 500.0 * 1.25).abs() < 1e-6);
}

/// The duty cycle under an enforced 45 kW facility cap that binds only while the job
/// computes: busy chips get the share p of their 700 W that the cap leaves, and the
/// job computes at p^alpha of its speed.
#[test]
fn an_enforced_cap_throttles_busy_chips_to_the_closed_form_share_and_slows_the_job() {
    // While computing: IT 40,400 W (32 × 700 + 18,000 of nodes and racks) × PUE 1.25.
    // The cap leaves 45,000 / 1.25 − 18,000 = 18,000 W for 22,400 W of busy chips.
    let p: f64 = 18_000.0 / 22_400.0;
    let speed = p.sqrt();
    // 99 cycles of a slowed hour of work and a 0.1 h checkpoint, then half an hour into the 100th.
    let cycle = 1.0 / speed + 0.1;
    let horizon_h = 99.0 * cycle + 0.5;
    let sets = [
        format!("horizon_days={}", horizon_h / 24.0),
        r#"grid={"cap_mw": 0.045, "enforce_cap": true}"#.to_string(),
        r#"power.throttle={"alpha": 0.5, "min_fraction_of_busy": 0.5}"#.to_string(),
    ];
    let s = Simulation::new(&apply_sets(&duty_cycle(), &sets).unwrap()).run().summary();
    let t = s.throttle.as_ref().expect("a throttle block");
    let f = &s.frontier[0];
    // Each segment's end is rounded up to the next ms: at most 99 ms late in all.
    let slack_h = 99.0 / 3.6e6;
    assert_eq!(f.checkpoints, 99);
    assert!((f.useful_hours - (99.0 + 0.5 * speed)).abs() <= slack_h, "{} vs {}", f.useful_hours, 99.0 + 0.5 * speed);
    let busy_h = 99.0 / speed + 0.5;
    assert!((t.hours_throttled - busy_h).abs() <= slack_h, "{} vs {busy_h}", t.hours_throttled);
    assert!((t.lowest_power_share - p).abs() < 1e-12);
    let lost = 32.0 * (1.0 - speed) * busy_h;
    assert!((t.throughput_lost_chip_hours - lost).abs() <= 32.0 * slack_h, "{} vs {lost}", t.throughput_lost_chip_hours);
    let shed = 32.0 * 700.0 * (1.0 - p) * busy_h * 1.25 / 1e6;
    assert!((t.energy_shed_mwh - shed).abs() <= 32.0 * 700.0 * 1.25 * slack_h / 1e6, "{} vs {shed}", t.energy_shed_mwh);
    // The facility never passes the cap, and sits at it while computing.
    assert!((s.power.facility_peak_mw - 0.045).abs() < 1e-12, "{}", s.power.facility_peak_mw);
    assert_eq!(s.grid.hours_above_cap, 0.0);
    // The chip-time the slowdown took is its own bucket; the rest of busy time is work kept.
    assert!((s.time_breakdown.throttled * 32.0 * horizon_h - lost).abs() <= 32.0 * slack_h + 1e-9);
}

#[test]
fn a_cap_that_never_binds_changes_nothing_but_the_rounding_of_energy() {
    let sets = |enforce: bool| {
        vec![
            format!(r#"grid={{"cap_mw": 250, "enforce_cap": {enforce}}}"#),
            r#"power.throttle={"alpha": 0.5, "min_fraction_of_busy": 0.5}"#.to_string(),
        ]
    };
    let (a, b) = (default_with(20.0, &sets(true)), default_with(20.0, &sets(false)));
    let (sa, sb) = (a.summary(), b.summary());
    assert_eq!(sa.throttle.as_ref().map(|t| t.hours_throttled), Some(0.0));
    assert!(sb.throttle.is_none());
    // The work clock runs at full speed: every segment ends at the same ms.
    assert_eq!(format!("{:?}", sa.time_breakdown), format!("{:?}", sb.time_breakdown));
    assert_eq!(format!("{:?}", sa.frontier), format!("{:?}", sb.frontier));
    assert_eq!((sa.jobs.completed, sa.failures.total), (sb.jobs.completed, sb.failures.total));
    // Its wake-ups only split the integration into more pieces.
    assert!((sa.energy.facility_mwh - sb.energy.facility_mwh).abs() < 1e-12 * sb.energy.facility_mwh);
}

/// The default site for `days`, with the given `--set`s.
fn default_with(days: f64, sets: &[String]) -> gigasim::Report {
    let mut all = vec![format!("horizon_days={days}")];
    all.extend_from_slice(sets);
    Simulation::new(&apply_sets(&gigasim::config::default_scenario(), &all).unwrap()).run()
}

#[test]
fn the_cost_per_useful_chip_hour_is_the_hand_computation_from_the_summarys_own_figures() {
    let r = default_with(30.0, &[]);
    let s = r.summary();
    let c = s.cost.as_ref().expect("the default scenario names a cost model");
    let years = 30.0 / 365.25;
    // models/cost/gigafactory-de.ron: €33,250 a chip over 5 years, €6.2M a design MW over 15, €120M a year, 79.6 €/MWh, 381 g/kWh.
    let capital = s.chips as f64 * 33_250.0 * years / 5.0 + c.design_mw * 6.2e6 * years / 15.0;
    let operations = 120e6 * years;
    let energy = s.energy.facility_mwh * 79.6;
    let useful = s.time_breakdown.useful * s.chips as f64 * 30.0 * 24.0;
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    assert!(rel(c.capital_eur, capital) < 1e-12 && rel(c.operations_eur, operations) < 1e-12, "{c:?}");
    assert!(rel(c.energy_eur, energy) < 1e-9, "{} vs {energy}", c.energy_eur);
    assert!(rel(c.co2_t, s.energy.facility_mwh * 381.0 / 1e3) < 1e-9);
    assert!(rel(c.useful_chip_hours, useful) < 1e-9);
    assert!(rel(c.eur_per_useful_chip_hour, (capital + operations + energy) / useful) < 1e-9);
    assert!(rel(c.kg_co2_per_useful_chip_hour, s.energy.facility_mwh * 381.0 / useful) < 1e-9);
    // Design power: 100,224 chips × 1,200 W + 25,056 nodes × 1,000 W + 1,392 racks × 7,000 W, × PUE 1.15.
    assert!(rel(c.design_mw, (100_224.0 * 1200.0 + 25_056.0 * 1000.0 + 1392.0 * 7000.0) * 1.15 / 1e6) < 1e-12);
    // Each tenant carries the cost of its chip-hours; together, all of it.
    let carried: f64 = s.tenants.values().filter_map(|t| t.cost_eur).sum();
    assert!(rel(carried, c.total_eur) < 1e-9, "{carried} vs {}", c.total_eur);
}

#[test]
fn hourly_prices_apply_to_each_hours_energy_from_the_start_date_on() {
    // A series that prices 1 January at 100 €/MWh (and 10 g/kWh) and every other hour at 0.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.csv");
    let ts = chrono_like(2018);
    let mut text = String::from("# test\ntimestamp,eur_per_mwh,g_co2_per_kwh\n");
    for h in 0..8760u32 {
        let first_day = h < 24;
        text += &format!("{},{},{}\n", ts(h), if first_day { 100 } else { 0 }, if first_day { 10 } else { 0 });
    }
    std::fs::write(&file, &text).unwrap();
    let hourly = format!(r#"cost.electricity={{"Hourly": {{"file": "{}", "mean_eur_per_mwh": null}}}}"#, file.display());
    for (start, priced) in [("2026-01-01", true), ("2026-01-02", false)] {
        let r = default_with(2.0, &[hourly.clone(), format!("start_date={start}")]);
        let c = r.summary().cost.unwrap();
        // The first day's facility energy from the exact 5-minute bins (mean MW × 1/12 h).
        let day1: f64 = r.power.bins_mw.iter().take(288).map(|b| b.0 / 12.0).sum();
        let want = if priced { day1 * 100.0 } else { 0.0 };
        assert!((c.energy_eur - want).abs() <= 1e-9 * want.max(1.0), "{start}: {} vs {want}", c.energy_eur);
        assert!((c.co2_t - want / 10.0 / 1e3).abs() <= 1e-9 * want.max(1.0), "{start}: {} t", c.co2_t);
    }
}

/// `h` → the timestamp of hour h of year `y` (not a leap year).
fn chrono_like(y: u32) -> impl Fn(u32) -> String {
    move |h| {
        let (mut day, hour) = (h / 24, h % 24);
        let len = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let mut m = 0;
        while day >= len[m] {
            day -= len[m];
            m += 1;
        }
        format!("{y}-{:02}-{:02}T{hour:02}:00:00Z", m + 1, day + 1)
    }
}

#[test]
fn time_and_energy_beyond_the_grid_cap_and_floor_are_the_duty_cycles() {
    // Facility draw: busy (32 × 700 + 8 nodes × 2,000 + 2 racks × 1,000) × 1.25 = 50,500 W for
    // 100 h; checkpointing (32 × 200 + 18,000) × 1.25 = 30,500 W for 10 h.
    let s = apply_sets(&duty_cycle(), &[r#"grid={"cap_mw": 0.04, "floor_mw": 0.035}"#.to_string()]).unwrap();
    let g = Simulation::new(&s).run().summary().grid;
    assert!((g.hours_above_cap - 100.0).abs() < 1e-9 && (g.hours_below_floor - 10.0).abs() < 1e-9, "{g:?}");
    assert!((g.energy_above_cap_mwh - 100.0 * 10_500.0 / 1e6).abs() < 1e-9, "{}", g.energy_above_cap_mwh);
    assert!((g.energy_below_floor_mwh - 10.0 * 4_500.0 / 1e6).abs() < 1e-9, "{}", g.energy_below_floor_mwh);
    assert!((g.peak_mw - 0.0505).abs() < 1e-12 && (g.min_mw - 0.0305).abs() < 1e-12);
}

#[test]
fn ramp_violations_are_the_steps_larger_than_the_limit() {
    let r = default_with(10.0, &[r#"grid={"ramp_mw_per_min": 90, "ramp_mw_per_s": 200}"#.to_string()]);
    let s = r.summary();
    // Every checkpoint drops the site by ~95 MW and its end lifts it as much.
    let over_90 = (s.power.drops.per_day_over_mw["90"] + s.power.rises.per_day_over_mw["90"]) * 10.0;
    assert_eq!(s.grid.ramp_violations as f64, over_90.round());
    assert!(s.grid.ramp_violations > 1000, "{}", s.grid.ramp_violations);
    assert_eq!(s.grid.ramp_violations_per_s, 0, "no step reaches 200 MW");
    assert!(s.grid.worst_ramp_mw_per_min >= s.grid.max_drop_mw && s.grid.worst_ramp_mw_per_15min >= s.grid.worst_ramp_mw_per_min);
    let none = default_with(10.0, &[]).summary().grid;
    assert_eq!((none.ramp_violations, none.ramp_limit_mw_per_min, none.hours_above_cap), (0, None, 0.0));
}

/// The smoothed scenario (power floor, site battery, grid ramp limit) for `days`, with `sets`.
fn smoothed(days: f64, sets: &[&str]) -> gigasim::Summary {
    let s = gigasim::config::load_scenario(
        &gigasim::config::FileSystem,
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models/scenarios/gigafactory-100k-smoothed.ron")),
    )
    .unwrap();
    let mut all = vec![format!("horizon_days={days}")];
    all.extend(sets.iter().map(|x| x.to_string()));
    Simulation::new(&apply_sets(&s, &all).unwrap()).run().summary()
}

#[test]
fn grid_energy_is_facility_energy_plus_storage_losses_plus_the_change_in_store() {
    // Every mitigation on (floor, ramp limits, battery), then a small battery, no floor, and a
    // cap the site enforces by throttling on top of them all.
    // (Ramp-limited chips cannot be throttled yet: the cap runs without them.)
    let capped = r#"grid={"ramp_mw_per_min": 10, "cap_mw": 165, "enforce_cap": true}"#;
    let all = [
        &[][..],
        &["power.battery.capacity_mwh=2", "power.battery.restore_mw=0"][..],
        &["power.floor=null"][..],
        &["power.ramp=null", capped][..],
    ];
    for sets in all {
        let s = smoothed(20.0, sets);
        let b = s.battery.as_ref().expect("a battery");
        let rhs = s.energy.facility_mwh + b.losses_mwh + (b.stored_end_mwh - b.stored_start_mwh);
        let err = (s.grid.energy_mwh - rhs).abs() / s.grid.energy_mwh;
        println!(
            "{sets:?}: grid {} MWh, facility {} MWh, losses {} MWh, relative error {err:.2e}",
            s.grid.energy_mwh, s.energy.facility_mwh, b.losses_mwh
        );
        assert!(err < 1e-9, "{sets:?}: {} vs {rhs}", s.grid.energy_mwh);
        assert!(b.stored_end_mwh >= 0.0 && b.stored_end_mwh <= b.capacity_mwh, "{b:?}");
        assert_eq!(s.throttle.is_some(), sets.contains(&capped));
    }
}

#[test]
fn a_large_battery_leaves_no_ramp_violation_and_an_empty_one_all_of_the_facilitys() {
    let big = smoothed(
        20.0,
        &["power.floor=null", "power.battery.capacity_mwh=200", "power.battery.power_mw=200", "power.battery.restore_mw=20"],
    );
    assert_eq!(big.grid.ramp_violations, 0, "{:?}", big.grid);
    assert!(big.grid.worst_ramp_mw_per_min <= 10.0 + 1e-6, "{}", big.grid.worst_ramp_mw_per_min);
    let none = smoothed(20.0, &["power.floor=null", "power.battery.capacity_mwh=0", "power.battery.power_mw=0"]);
    let bare = smoothed(20.0, &["power.floor=null", "power.battery=null"]);
    assert!(bare.battery.is_none());
    assert_eq!(none.grid.ramp_violations, bare.grid.ramp_violations, "an empty battery passes every step on");
    assert!(bare.grid.ramp_violations > 1000);
    assert!((none.grid.worst_ramp_mw_per_min - bare.grid.worst_ramp_mw_per_min).abs() < 1e-6);
    assert!((none.grid.energy_mwh - bare.grid.energy_mwh).abs() < 1e-6 * bare.grid.energy_mwh);
}

#[test]
fn behind_a_battery_the_site_pays_for_the_grids_energy_losses_included() {
    let s = smoothed(10.0, &[]);
    let c = s.cost.as_ref().unwrap();
    // A constant price: the energy bill is the grid's energy at that price.
    assert!((c.energy_eur - s.grid.energy_mwh * 79.6).abs() < 1e-9 * c.energy_eur, "{} vs {}", c.energy_eur, s.grid.energy_mwh * 79.6);
    assert!(s.grid.energy_mwh > s.energy.facility_mwh);
}

#[test]
fn behind_a_battery_the_cap_is_counted_on_the_grids_draw() {
    let cap = r#"grid={"ramp_mw_per_min": 10, "cap_mw": 172, "floor_mw": 160}"#;
    // An empty battery passes the facility's draw on: the same time and energy beyond as without one.
    let none = smoothed(10.0, &["power.floor=null", "power.battery.capacity_mwh=0", "power.battery.power_mw=0", cap]);
    let bare = smoothed(10.0, &["power.floor=null", "power.battery=null", cap]);
    for (a, b) in [
        (none.grid.hours_above_cap, bare.grid.hours_above_cap),
        (none.grid.energy_above_cap_mwh, bare.grid.energy_above_cap_mwh),
        (none.grid.hours_below_floor, bare.grid.hours_below_floor),
        (none.grid.energy_below_floor_mwh, bare.grid.energy_below_floor_mwh),
    ] {
        assert!((a - b).abs() <= 1e-9 * b.max(1.0) + 1e-6, "{a} vs {b}");
    }
    assert!(bare.grid.hours_above_cap > 1.0 && bare.grid.hours_below_floor > 1.0);
}

#[test]
fn bad_dates_batteries_and_caps_are_input_errors() {
    let base = gigasim::config::default_scenario();
    let e = apply_sets(&base, &["start_date=2026-02-30".to_string()]).unwrap_err();
    assert!(e.to_string().contains("start_date") && e.to_string().contains("YYYY-MM-DD"), "{e}");
    let battery = r#"power.battery={"capacity_mwh": 1, "power_mw": 1, "round_trip_efficiency": 0, "grid_ramp_mw_per_min": 1}"#;
    let e = apply_sets(&base, &[battery.to_string()]).unwrap_err();
    assert!(e.to_string().contains("round_trip_efficiency") && e.to_string().contains("above 0"), "{e}");
    let band = r#"power.battery={"capacity_mwh": 1, "power_mw": 1, "round_trip_efficiency": 0.9, "grid_ramp_mw_per_min": 1, "grid_min_mw": 150, "grid_max_mw": 140}"#;
    let e = apply_sets(&base, &[band.to_string()]).unwrap_err();
    assert!(e.to_string().contains("grid_min_mw") && e.to_string().contains("at most grid_max_mw"), "{e}");
    let e = apply_sets(&base, &[r#"grid={"enforce_cap": true}"#.to_string()]).unwrap_err();
    assert!(e.to_string().contains("enforce_cap") && e.to_string().contains("cap_mw"), "{e}");
    let cap = r#"grid={"cap_mw": 140, "enforce_cap": true}"#.to_string();
    let e = apply_sets(&base, &[cap.clone(), r#"power.ramp={"up_watts_per_s": 100, "down_watts_per_s": 20}"#.to_string()]).unwrap_err();
    assert!(e.to_string().contains("power.ramp") && e.to_string().contains("not modelled"), "{e}");
    let e = apply_sets(&base, &[cap, "power.throttle.min_fraction_of_busy=0".to_string()]).unwrap_err();
    assert!(e.to_string().contains("min_fraction_of_busy") && e.to_string().contains("above 0"), "{e}");
}

#[test]
fn a_banded_battery_shaves_the_peaks_it_has_the_energy_for() {
    // The smoothed site's battery, bigger, also holding the grid under 174 MW: the facility
    // peaks at 176.1 MW only briefly, after checkpoints and restarts.
    let sets = ["power.battery.capacity_mwh=50", "power.battery.grid_max_mw=174"];
    let (band, free) = (smoothed(10.0, &sets), smoothed(10.0, &sets[..1]));
    assert!(free.grid.peak_mw > 174.5, "{}", free.grid.peak_mw);
    assert!(band.grid.peak_mw <= 174.0 + 1e-6, "{}", band.grid.peak_mw);
    let b = band.battery.as_ref().unwrap();
    let err = (band.grid.energy_mwh - (band.energy.facility_mwh + b.losses_mwh + b.stored_end_mwh - b.stored_start_mwh)).abs();
    assert!(err < 1e-9 * band.grid.energy_mwh, "{err}");
}
