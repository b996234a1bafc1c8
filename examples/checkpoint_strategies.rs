//! Checkpoint strategies for the 92,160-chip frontier job of the field-calibrated
//! 100k-chip site (models/scenarios/gigafactory-100k-field.ron: the default site with
//! the GB200 failure model, whose rack and pod outages defeat a memory level): three
//! mechanisms (synchronous writes, asynchronous writes, and two levels: a copy in
//! peer nodes' memory between synchronous persistent writes) × three ways to
//! choose the persistent interval (fixed at the default's 8 min, Daly's optimum
//! from the failure model's MTBF, and adaptive: Daly's optimum for the MTBF the
//! job estimates from the failures it has seen, from a prior that is deliberately
//! off) × two storage bandwidths (the Llama 3-scaled system and a tenth of it).
//!
//! Each of the 18 set-ups runs 30 days for the same seeds (common random
//! numbers). The table gives the frontier job's ETTR (useful time over wall time)
//! with its 95% interval over the replications, the chip-hours it lost to
//! recomputation per 30 days, the persistent interval its policy ended on, the
//! time it stalled for checkpoints, and where its restarts restored from. The chart
//! (SVG and PNG) goes to gigasim-out/examples/checkpoint_strategies/.
//!
//! With a memory level, Daly's and the adaptive policy size the persistent interval
//! for the failures the memory level cannot serve (here the rack and pod outages).
//!
//! Assumptions (besides the scenario's; docs/sources.md S7, S14):
//! - checkpoint state 0.7 GB per chip (64.5 TB for the job), moved through the
//!   facility's shared storage at every persistent write and every restore from it;
//! - storage: Llama 3's 7 TB/s per 16,384 GPUs scaled to the site's 100,224 chips
//!   (42,800 GB/s each way, 0.427 GB/s per chip's links), or a tenth of that;
//! - a persistent write's fixed part (serialisation, barriers) is 30 s besides the
//!   transfer; synchronous: the job stalls for both;
//! - asynchronous: the job stalls 6 s for the device-to-host snapshot (PyTorch's
//!   async DCP stalls 6.3 s), then writes in the background;
//! - two levels: a 3-s in-memory checkpoint every 1.5 min (about Young's optimum
//!   for that stall), held by buddy pairs of nodes (one loss tolerated); a restore
//!   from memory takes 1 min instead of the 5-min restart (Gemini recovers 13×
//!   faster than from storage); persistent writes as synchronous ones;
//! - adaptive: prior MTBF 1 h with the weight of one failure (the job's true MTBF
//!   is about half an hour).
//!
//! cargo run --release --example checkpoint_strategies

use anyhow::anyhow;
use gigasim::config::{self, Checkpointing, IntervalPolicy, Mechanism, MemoryLevel, NonNeg, Positive, Scenario, StorageSystem};
use gigasim::plot::{GRID, MUTED, PALETTE, font, font_c};
use gigasim::sim::{Detail, FrontierStats, RestoreLevel};
use gigasim::{Simulation, plot, sweep, theory};
use indicatif::{ProgressBar, ProgressStyle};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rayon::prelude::*;
use std::path::Path;
use std::time::Instant;

const HORIZON_DAYS: f64 = 30.0;
const REPLICATIONS: u64 = 16;
/// Checkpoint state per chip, GB.
const GB_PER_CHIP: f64 = 0.7;
/// Fixed part of a persistent write, and the asynchronous snapshot stall, minutes.
const WRITE_MIN: f64 = 0.5;
const SNAPSHOT_MIN: f64 = 0.1;
/// The memory level: interval, stall and restore, minutes.
const MEMORY_EVERY_MIN: f64 = 1.5;
const MEMORY_STALL_MIN: f64 = 0.05;
const MEMORY_RESTORE_MIN: f64 = 1.0;
/// The adaptive policy's prior MTBF (hours) and its weight (failures).
const PRIOR_MTBF_H: f64 = 1.0;
const PRIOR_FAILURES: f64 = 1.0;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Sync,
    Async,
    TwoLevel,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Sync, Kind::Async, Kind::TwoLevel];
    fn label(self) -> &'static str {
        match self {
            Kind::Sync => "sync",
            Kind::Async => "async",
            Kind::TwoLevel => "two-level",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Policy {
    Fixed,
    Daly,
    Adaptive,
}

impl Policy {
    const ALL: [Policy; 3] = [Policy::Fixed, Policy::Daly, Policy::Adaptive];
    fn label(self) -> &'static str {
        match self {
            Policy::Fixed => "fixed",
            Policy::Daly => "Daly",
            Policy::Adaptive => "adaptive",
        }
    }
}

/// A storage system: its name, aggregate bandwidth each way (GB/s) and per-chip link share (GB/s).
struct Storage {
    name: &'static str,
    legend: &'static str,
    gbps: f64,
    per_chip_gbps: f64,
}

const STORAGES: [Storage; 2] = [
    Storage { name: "Llama 3-scaled", legend: "Llama 3-scaled storage", gbps: 42_800.0, per_chip_gbps: 0.427 },
    Storage { name: "a tenth", legend: "a tenth of that", gbps: 4_280.0, per_chip_gbps: 0.0427 },
];

/// One set-up: indices into `Kind::ALL`, `Policy::ALL` and `STORAGES`.
type Setup = (usize, usize, usize);

fn scenario(base: &Scenario, (k, p, b): Setup, seed: u64) -> Scenario {
    let mut s = base.clone();
    s.seed = seed;
    s.horizon_days = Positive::new(HORIZON_DAYS);
    // No cost model: nothing here is priced, and it would read an electricity series per run.
    s.cost = None;
    let st = &STORAGES[b];
    s.facility.storage = Some(StorageSystem {
        write_gbps: Positive::new(st.gbps),
        read_gbps: Positive::new(st.gbps),
        per_chip_gbps: Some(Positive::new(st.per_chip_gbps)),
    });
    let job = &mut s.workload.frontier[0];
    let fixed_interval = job.checkpoint.as_ref().expect("the default frontier job checkpoints").interval_hours;
    let kind = Kind::ALL[k];
    job.checkpoint = Some(Checkpointing {
        interval_hours: fixed_interval,
        write_hours: NonNeg::new(WRITE_MIN / 60.0),
        at_end: true,
        policy: match Policy::ALL[p] {
            Policy::Fixed => IntervalPolicy::Fixed,
            Policy::Daly => IntervalPolicy::Daly,
            Policy::Adaptive => {
                IntervalPolicy::Adaptive { prior_mtbf_hours: Positive::new(PRIOR_MTBF_H), prior_failures: Positive::new(PRIOR_FAILURES) }
            }
        },
        mechanism: match kind {
            Kind::Async => Mechanism::Async { snapshot_hours: NonNeg::new(SNAPSHOT_MIN / 60.0) },
            Kind::Sync | Kind::TwoLevel => Mechanism::Sync,
        },
        size_gb_per_chip: Some(Positive::new(GB_PER_CHIP)),
        memory: (kind == Kind::TwoLevel).then(|| MemoryLevel {
            interval_hours: Positive::new(MEMORY_EVERY_MIN / 60.0),
            write_hours: NonNeg::new(MEMORY_STALL_MIN / 60.0),
            restore_hours: NonNeg::new(MEMORY_RESTORE_MIN / 60.0),
            group_nodes: 2,
            tolerates: 1,
        }),
    });
    s
}

/// What one run gives the table.
#[derive(Clone, Copy)]
struct Run {
    ettr: f64,
    lost_per_month: f64,
    interval_min: f64,
    stall_h: f64,
    from_memory: f64,
    from_storage: f64,
    ckpt_lost: f64,
}

fn measure(f: &FrontierStats, horizon_days: f64) -> Run {
    Run {
        ettr: f.ettr(),
        lost_per_month: f.lost_chip_hours * 30.0 / horizon_days,
        interval_min: f.checkpoint_interval_hours.unwrap_or(f64::NAN) * 60.0,
        stall_h: f.stall_hours,
        from_memory: f.restarts_from[RestoreLevel::Memory as usize] as f64,
        from_storage: f.restarts_from[RestoreLevel::Storage as usize] as f64,
        ckpt_lost: f.checkpoints_lost as f64,
    }
}

/// A set-up's statistics over its replications.
struct Row {
    setup: Setup,
    ettr: sweep::PointStats,
    lost: sweep::PointStats,
    mean: Run,
}

fn rows(setups: &[Setup], runs: &[(Setup, Run)]) -> Vec<Row> {
    setups
        .iter()
        .map(|&setup| {
            let mine: Vec<Run> = runs.iter().filter(|r| r.0 == setup).map(|r| r.1).collect();
            let of = |f: fn(&Run) -> f64| mine.iter().map(f).collect::<Vec<f64>>();
            let mean = |f: fn(&Run) -> f64| sweep::point_stats(&of(f)).mean;
            Row {
                setup,
                ettr: sweep::point_stats(&of(|r| r.ettr)),
                lost: sweep::point_stats(&of(|r| r.lost_per_month)),
                mean: Run {
                    ettr: mean(|r| r.ettr),
                    lost_per_month: mean(|r| r.lost_per_month),
                    interval_min: mean(|r| r.interval_min),
                    stall_h: mean(|r| r.stall_h),
                    from_memory: mean(|r| r.from_memory),
                    from_storage: mean(|r| r.from_storage),
                    ckpt_lost: mean(|r| r.ckpt_lost),
                },
            }
        })
        .collect()
}

/// `n` rounded, with thousands separated by commas.
fn thousands(n: f64) -> String {
    plot::thousands(&format!("{n:.0}"))
}

fn main() -> anyhow::Result<()> {
    let clock = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = config::load_scenario(&config::FileSystem, &root.join("models/scenarios/gigafactory-100k-field.ron"))?;
    let job = &base.workload.frontier[0];
    let chips = job.chips.get() as f64;
    let mtbf_h = 1.0 / theory::frontier_failure_rate(&base, 0);
    // What the memory level cannot serve: the failures Daly's policy sizes its persistent interval for.
    let deep_mtbf_h = 1.0 / theory::frontier_memory_loss_rate(&scenario(&base, (2, 1, 0), 1), 0);
    let setups: Vec<Setup> =
        (0..Kind::ALL.len()).flat_map(|k| (0..Policy::ALL.len()).flat_map(move |p| (0..STORAGES.len()).map(move |b| (k, p, b)))).collect();
    let jobs: Vec<(Setup, u64)> = setups.iter().flat_map(|&s| (1..=REPLICATIONS).map(move |seed| (s, seed))).collect();

    let bar = ProgressBar::new(jobs.len() as u64).with_message("checkpoint strategies");
    bar.set_style(
        ProgressStyle::with_template("{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} runs (ETA {eta})").expect("valid template"),
    );
    let runs: Vec<(Setup, Run)> = jobs
        .par_iter()
        .map(|&(setup, seed)| -> anyhow::Result<_> {
            let s = scenario(&base, setup, seed);
            let r = Simulation::builder(&s).detail(Detail::Summary).try_build()?.run();
            bar.inc(1);
            Ok((setup, measure(&r.frontier[0], HORIZON_DAYS)))
        })
        .collect::<anyhow::Result<_>>()?;
    bar.finish_and_clear();
    let table = rows(&setups, &runs);

    // The header: what the set-ups assume, and what the transfers and intervals come to.
    let gb = GB_PER_CHIP * chips;
    println!(
        "Checkpoint strategies for the {}-chip frontier job on the field-calibrated {}-chip site: {HORIZON_DAYS} days × {REPLICATIONS} replications (the same seeds for every set-up)",
        thousands(chips),
        thousands(base.facility.chips() as f64)
    );
    println!(
        "  job MTBF from the failure model {:.1} min (rack and pod outages, which defeat buddy pairs: {:.1} h); restart {:.0} min; state {GB_PER_CHIP} GB per chip ({:.1} TB)",
        mtbf_h * 60.0,
        deep_mtbf_h,
        job.restart_hours.get() * 60.0,
        gb / 1e3
    );
    for st in &STORAGES {
        let secs = gb / st.gbps.min(st.per_chip_gbps * chips);
        let delta_h = WRITE_MIN / 60.0 + secs / 3600.0;
        println!(
            "  storage {:<15} {:>6} GB/s each way, {} GB/s per chip: a write or read of the job's state {:.1} s; Daly's interval sync {:.1} min, async {:.1} min, two-level {:.1} min",
            st.name,
            thousands(st.gbps),
            st.per_chip_gbps,
            secs,
            theory::daly_interval(delta_h, mtbf_h) * 60.0,
            theory::daly_interval(SNAPSHOT_MIN / 60.0, mtbf_h) * 60.0,
            theory::daly_interval(delta_h, deep_mtbf_h) * 60.0
        );
    }
    println!(
        "  sync: stall for a {:.0}-s fixed part + the transfer; async: stall {:.0} s for the snapshot, write in the background; two-level: sync persistent writes + a {:.0}-s in-memory checkpoint every {MEMORY_EVERY_MIN} min (buddy pairs), restored in {MEMORY_RESTORE_MIN:.0} min",
        WRITE_MIN * 60.0,
        SNAPSHOT_MIN * 60.0,
        MEMORY_STALL_MIN * 60.0
    );
    println!(
        "  fixed: every {:.0} min; Daly: from the failure model's MTBF (two-level: of the failures memory cannot serve); adaptive: Daly for the MTBF seen, prior {PRIOR_MTBF_H} h × {PRIOR_FAILURES} failure",
        base.workload.frontier[0].checkpoint.as_ref().map_or(f64::NAN, |c| c.interval_hours.get() * 60.0)
    );
    println!();
    println!(
        "  {:<9} {:<8} {:<14}  {:^23}  {:^21}  {:>9}  {:>7}  {:>9}  {:>15}",
        "mechanism", "policy", "storage", "ETTR (95% CI)", "lost chip-h / month", "τ at end", "stall h", "ckpt lost", "memory/storage"
    );
    for row in &table {
        let (k, p, b) = row.setup;
        let m = &row.mean;
        let ettr = format!("{:.4} ({:.4}–{:.4})", row.ettr.mean, row.ettr.ci_lo, row.ettr.ci_hi);
        let lost = format!("{} ± {}", thousands(row.lost.mean), thousands((row.lost.ci_hi - row.lost.ci_lo) / 2.0));
        let restores = format!("{:.0} / {:.0}", m.from_memory, m.from_storage);
        println!(
            "  {:<9} {:<8} {:<14}  {ettr:>23}  {lost:>21}  {:>5.2} min  {:>7.1}  {:>9.1}  {restores:>15}",
            Kind::ALL[k].label(),
            Policy::ALL[p].label(),
            STORAGES[b].name,
            m.interval_min,
            m.stall_h,
            m.ckpt_lost,
        );
    }
    println!(
        "  means over the replications; lost chip-h: the job's computed work thrown away by failures, per 30 days (± its 95% interval);"
    );
    println!(
        "  τ at end: the persistent interval the policy ended on; stall h: wall hours stalled for checkpoints (snapshots, memory and persistent writes);"
    );
    println!(
        "  ckpt lost: persistent checkpoints cut by a failure or not yet persisted when one struck; memory/storage: restarts that restored from each"
    );
    let out = Path::new("gigasim-out/examples/checkpoint_strategies");
    let files = chart(&table, &base, out)?;
    println!("  chart: {}", files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    println!("  {} runs in {:.1} s", jobs.len(), clock.elapsed().as_secs_f64());
    Ok(())
}

// ---------------------------------------------------------------- the chart

/// Draw the ETTR chart as SVG and PNG into `out`; returns the files.
fn chart(table: &[Row], base: &Scenario, out: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    plot::ensure_font()?;
    std::fs::create_dir_all(out)?;
    let stem = "ettr_by_strategy";
    let svg = out.join(format!("{stem}.svg"));
    let png = out.join(format!("{stem}.png"));
    {
        let root = SVGBackend::new(&svg, plot::SIZE).into_drawing_area();
        draw(&root, table, base).map_err(|e| anyhow!("drawing {}: {e}", svg.display()))?;
    }
    {
        let root = BitMapBackend::new(&png, plot::SIZE).into_drawing_area();
        draw(&root, table, base).map_err(|e| anyhow!("drawing {}: {e}", png.display()))?;
    }
    Ok(vec![svg, png])
}

/// A set-up's place on the x axis: mechanism groups of three policies, the two storages side by side.
fn x_of(k: usize, p: usize, b: usize) -> f64 {
    (k * Policy::ALL.len() + p) as f64 + 0.5 + (b as f64 - 0.5) * 0.3
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    table: &[Row],
    base: &Scenario,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let find = |k: usize, p: usize, b: usize| table.iter().find(|r| r.setup == (k, p, b)).expect("every set-up ran");
    // The best policy of each mechanism at the Llama 3-scaled storage, and what a tenth of it costs.
    let best = |k: usize| (0..Policy::ALL.len()).map(|p| find(k, p, 0).ettr.mean).fold(f64::MIN, f64::max);
    let cost: Vec<f64> = table.iter().filter(|r| r.setup.2 == 0).map(|r| r.ettr.mean - find(r.setup.0, r.setup.1, 1).ettr.mean).collect();
    let (cost_lo, cost_hi) = (cost.iter().copied().fold(f64::MAX, f64::min), cost.iter().copied().fold(f64::MIN, f64::max));
    let title = format!(
        "A memory level lifts the 92k-chip job's ETTR to {:.3}, against {:.3} with async and {:.3} with sync checkpoints",
        best(2),
        best(1),
        best(0)
    );
    let subtitle = format!(
        "Best interval policy of each mechanism at Llama 3-scaled storage; field-calibrated {}-chip site, {}-chip frontier job, {HORIZON_DAYS:.0} days × {REPLICATIONS} replications per set-up (same seeds)",
        thousands(base.facility.chips() as f64),
        thousands(base.workload.frontier[0].chips.get() as f64)
    );
    plot::heading(root, &title, &subtitle)?;

    // The legend, one row under the heading.
    let left = Pos::new(HPos::Left, VPos::Center);
    let mut x = 112;
    let y = 110;
    for (b, st) in STORAGES.iter().enumerate() {
        root.draw(&PathElement::new(vec![(x + 15, y - 11), (x + 15, y + 11)], PALETTE[b].stroke_width(2)))?;
        root.draw(&Circle::new((x + 15, y), 6, PALETTE[b].filled()))?;
        let label = format!("{} ({} GB/s)", st.legend, thousands(st.gbps));
        let w = root.estimate_text_size(&label, &font(20))?.0 as i32;
        root.draw(&Text::new(label, (x + 38, y), font(20).pos(left)))?;
        x += 38 + w + 44;
    }
    root.draw(&Text::new("dot: mean; whiskers: 95% interval", (x, y), font_c(20, MUTED).pos(left)))?;

    let (_, area) = root.split_vertically(134);
    let lo = table.iter().map(|r| r.ettr.ci_lo).fold(f64::MAX, f64::min);
    let hi = table.iter().map(|r| r.ettr.ci_hi).fold(f64::MIN, f64::max);
    let pad = (hi - lo).max(0.002) * 0.08;
    let (y_lo, y_hi) = (lo - pad, hi + pad);
    let groups = (Kind::ALL.len() * Policy::ALL.len()) as f64;
    let mut chart = ChartBuilder::on(&area)
        .margin_left(16)
        .margin_right(30)
        .margin_bottom(12)
        .x_label_area_size(84)
        .y_label_area_size(96)
        .build_cartesian_2d(0.0..groups, y_lo..y_hi)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_x_axis()
        .x_labels(0)
        .y_labels(8)
        .max_light_lines(1)
        .y_label_formatter(&|v| format!("{v:.2}"))
        .light_line_style(RGBColor(0xf1, 0xf2, 0xf4))
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .label_style(font(20))
        .axis_desc_style(font(22))
        .y_desc("ETTR (useful time ÷ wall time)")
        .draw()?;

    // Separators between the mechanisms, and the category labels below the plot.
    for k in 1..Kind::ALL.len() {
        let x = (k * Policy::ALL.len()) as f64;
        chart.draw_series(std::iter::once(PathElement::new(vec![(x, y_lo), (x, y_hi)], MUTED.stroke_width(1))))?;
    }
    let base_px = chart.backend_coord(&(0.0, y_lo)).1;
    let top = Pos::new(HPos::Center, VPos::Top);
    for (k, kind) in Kind::ALL.iter().enumerate() {
        for (p, policy) in Policy::ALL.iter().enumerate() {
            let px = chart.backend_coord(&((k * Policy::ALL.len() + p) as f64 + 0.5, y_lo)).0;
            root.draw(&Text::new(policy.label(), (px, base_px + 10), font(20).pos(top)))?;
        }
        let px = chart.backend_coord(&((k * Policy::ALL.len()) as f64 + 1.5, y_lo)).0;
        let name = match kind {
            Kind::Sync => "synchronous",
            Kind::Async => "asynchronous",
            Kind::TwoLevel => "two-level (memory + synchronous)",
        };
        root.draw(&Text::new(name, (px, base_px + 42), font(23).pos(top)))?;
    }

    // Notes in the empty corners of the first and last groups.
    let note = |lines: &[String], x: f64, y: f64| -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let (px, py) = chart.backend_coord(&(x, y));
        for (i, line) in lines.iter().enumerate() {
            root.draw(&Text::new(line.clone(), (px, py + 26 * i as i32), font_c(19, MUTED)))?;
        }
        Ok(())
    };
    note(
        &[
            "a tenth of the bandwidth costs".into(),
            format!("{cost_lo:.3} to {cost_hi:.3} ETTR: slower writes"),
            "and restores, longer intervals".into(),
        ],
        0.12,
        y_hi - 0.06 * (y_hi - y_lo),
    )?;
    for row in table {
        let (k, p, b) = row.setup;
        let x = x_of(k, p, b);
        let c = PALETTE[b];
        chart.draw_series(std::iter::once(PathElement::new(vec![(x, row.ettr.ci_lo), (x, row.ettr.ci_hi)], c.stroke_width(2))))?;
        for y in [row.ettr.ci_lo, row.ettr.ci_hi] {
            chart.draw_series(std::iter::once(PathElement::new(vec![(x - 0.05, y), (x + 0.05, y)], c.stroke_width(2))))?;
        }
        chart.draw_series(std::iter::once(Circle::new((x, row.ettr.mean), 6, c.filled())))?;
    }
    root.present()
}
