//! gigasim: a discrete-event simulator of AI gigafactories.
//!
//! Layers, data flowing down: [`config`] (RON model files) → [`sim`] (the
//! gigafactory model on the generic [`engine`]) → [`report`] → [`output`].
//!
//! ```no_run
//! let scenario = gigasim::config::default_scenario();
//! let report = gigasim::Simulation::new(&scenario).run();
//! println!("goodput {:.3}", report.goodput());
//! ```

pub mod config;
pub mod engine;
pub mod output;
pub mod page;
pub mod plot;
pub mod report;
pub mod sim;
pub mod sweep;
pub mod theory;
pub mod work;

pub use report::{Overrun, Report, Summary};
pub use sim::{Detail, Simulation, SimulationBuilder};

/// The README's library example, compiled and run by `cargo test` so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
