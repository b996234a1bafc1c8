//! gigasim: a discrete-event simulator of AI gigafactories.
//!
//! Layers, data flowing down: [`config`] (RON model files) → [`sim`] (the
//! gigafactory model on the generic [`engine`]) → [`report`] → [`output`],
//! [`plot`] and [`sweep`]. [`theory`] holds the closed forms the charts and tests
//! compare against, [`work`] what a run will cost before it starts.
//!
//! Where to start:
//! - [`config::load_scenario`] reads a scenario and the model files it names (from
//!   disk, memory or the copy built into the binary, see [`config::Source`]);
//!   [`config::default_scenario`] is the built-in one and [`config::apply_sets`]
//!   changes any field as `--set` does.
//! - [`Simulation::new`] (or [`Simulation::builder`] for your own seed, failure
//!   classes, job sources and policies) and [`Simulation::run`] give a [`Report`];
//!   [`Report::summary`] is the [`Summary`] that `summary.json` holds.
//! - [`output::replace_run`] writes a run's files, [`plot::run_charts`] draws its charts.
//! - [`sweep::Sweep::load`] and [`sweep::run`] run a grid of scenarios × replications.
//!
//! A tour: load a scenario, shorten it, simulate it, read the summary and write the
//! files `gigasim run --no-charts` writes.
//!
//! ```
//! use gigasim::{Simulation, config, output};
//! use std::path::Path;
//!
//! // A ~25,000-chip site; paths are relative to the crate root, where doc tests run.
//! let scenario = config::load_scenario(&config::FileSystem, Path::new("models/scenarios/factory-25k.ron"))?;
//! // Two days instead of 180, as `--set horizon_days=2` would.
//! let scenario = config::apply_sets(&scenario, &["horizon_days=2".into()])?;
//! assert_eq!(scenario.horizon_days.get(), 2.0);
//!
//! let report = Simulation::new(&scenario).run();
//!
//! // Every installed chip-hour lands in exactly one bucket of the time breakdown.
//! let s = report.summary();
//! let b = &s.time_breakdown;
//! let shares = [b.useful, b.checkpoint, b.restart, b.lost, b.throttled, b.slowed, b.not_installed, b.waiting, b.idle, b.down];
//! assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
//! // Goodput is the useful share; the frontier job's ETTR is a share of its wall time.
//! assert_eq!(s.goodput, b.useful);
//! assert!(report.ettr() > 0.5 && report.ettr() < 1.0, "ETTR {}", report.ettr());
//! assert_eq!(s.chips, scenario.facility.chips());
//!
//! // The files of a run, written as one unit into a folder.
//! let dir = tempfile::tempdir()?;
//! let written = output::replace_run(&report, dir.path(), false)?;
//! assert!(written.contains(&dir.path().join("summary.json")));
//! let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json"))?)?;
//! assert!((json["goodput"].as_f64().unwrap() - s.goodput).abs() < 1e-12);
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod compare;
pub mod config;
pub mod engine;
pub mod output;
pub mod page;
pub mod plot;
pub mod provenance;
pub mod report;
pub mod sim;
pub mod slurm;
pub mod sweep;
pub mod theory;
pub mod work;

pub use report::{Overrun, Report, Summary};
pub use sim::{Detail, Simulation, SimulationBuilder};

/// The README's library example, compiled and run by `cargo test` so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
