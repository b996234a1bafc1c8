//! Model files: serde types, validation and clear errors.
//!
//! A scenario (`models/scenarios/*.ron`) names four model files: a facility, a
//! failure model, a power model and a workload (and optionally a cost model); its
//! paths are relative to it. Start with:
//! - [`load_scenario`]: read a scenario and the files it names from a [`Source`]:
//!   [`FileSystem`], [`InMemory`] (files made in code) or [`Embedded`] (the default
//!   scenario's files, built into the binary); every value is checked, and an
//!   [`InputError`] names the file, line, column, field and what is allowed.
//! - [`default_scenario`]: the built-in scenario ([`DEFAULT_SCENARIO`]).
//! - [`apply_sets`]: change any field by path, as `gigasim run --set` does.
//! - [`Scenario`] and the types under it are plain data, also for code that builds
//!   a scenario itself; [`Scenario::check`] runs the checks a loaded file gets.
//!
//! A scenario from strings, a site of 2 pods × 4 racks × 18 nodes × 4 chips:
//!
//! ```
//! use gigasim::config::{self, InMemory};
//! use std::collections::BTreeMap;
//! use std::path::Path;
//!
//! let files = BTreeMap::from([
//!     ("site/scenario.ron", r#"(
//!         name: "small", facility: "facility.ron", failure: "failure.ron",
//!         power: "power.ron", workload: "workload.ron",
//!         horizon_days: 3.0, seed: 1, power_bin_minutes: 5.0,
//!     )"#),
//!     ("site/facility.ron", r#"(
//!         name: "small site", chip: "B200",
//!         chips_per_node: 4, nodes_per_rack: 18, racks_per_pod: 4, pods: 2,
//!     )"#),
//!     ("site/failure.ron", r#"(
//!         name: "one class",
//!         classes: [(
//!             name: "GPU", category: Gpu, level: Chip,
//!             ttf: ExponentialRate(per_hour: 1e-4),
//!             outcome: Mixed(p_permanent: 0.4, reboot: Fixed(hours: 0.25), repair: LogNormal(median_hours: 24.0, sigma: 0.5)),
//!         )],
//!         repair: (crews: 2, spare_nodes: 4, swap: Fixed(hours: 1.0)),
//!     )"#),
//!     ("site/power.ron", r#"(
//!         name: "B200",
//!         chip_watts: (idle: 150.0, busy: 1200.0, checkpoint: 300.0, restart: 300.0, down: 0.0),
//!         node_overhead_watts: 1000.0, rack_overhead_watts: 7000.0, pue: 1.15,
//!     )"#),
//!     ("site/workload.ron", r#"(
//!         name: "one job",
//!         frontier: [(
//!             name: "frontier", chips: 512, work_hours: 1000.0,
//!             checkpoint: Some((interval_hours: 0.5, write_hours: 0.02, at_end: true)),
//!             restart_hours: 0.1, hot_spare_nodes: 4,
//!         )],
//!     )"#),
//! ]);
//! let files = InMemory(files.into_iter().map(|(p, t)| (p.to_string(), t.to_string())).collect());
//! let scenario = config::load_scenario(&files, Path::new("site/scenario.ron"))?;
//! assert_eq!(scenario.facility.chips(), 2 * 4 * 18 * 4);
//!
//! // Overrides by path, as `--set` takes them; the result is checked like a file.
//! let more_crews = config::apply_sets(&scenario, &["failure.repair.crews=8".into(), "horizon_days=1".into()])?;
//! assert_eq!((more_crews.failure.repair.crews.get(), more_crews.horizon_days.get()), (8, 1.0));
//!
//! // A bad value is an error naming the field and what is allowed, never a panic.
//! let err = config::apply_sets(&scenario, &["workload.frontier[0].chips=1000000".into()]).unwrap_err();
//! assert!(err.to_string().contains("workload.frontier[0].chips"), "{err}");
//!
//! // A bad value in a file is an error naming that file (and the line and field).
//! let mut broken = files.0.clone();
//! broken.insert("site/power.ron".into(), broken["site/power.ron"].replace("pue: 1.15", "pue: -1.15"));
//! let err = config::load_scenario(&InMemory(broken), Path::new("site/scenario.ron")).unwrap_err();
//! assert_eq!(err.file, "site/power.ron");
//! # Ok::<(), config::InputError>(())
//! ```

mod checks;
mod cost;
pub mod files;
mod law;
mod load;
mod model;
mod num;
mod replay;
mod trace;
mod workload;

pub use checks::{MAX_CHIPS, MAX_POWER_BINS, MAX_RATE_PER_HOUR, Part, Problem, locate_path};
pub use cost::{Capital, CostModel, Electricity, PriceSeries, day_of_year};
pub use law::{DurationLaw, Law, exp_draw, gamma};
pub use load::{
    DEFAULT_SCENARIO, Embedded, FileSystem, InMemory, InputError, MAX_MODEL_BYTES, MAX_STRING, MODEL_PARTS, Override, PartFile, PartModel,
    Source, apply_overrides, apply_sets, check_changed, default_scenario, in_file, load_part_file, load_scenario, longest_string,
    parse_part, parse_ron, parse_sets, path_keys, read_input, read_text, unreadable, whole_part,
};
pub use model::*;
pub use num::{AtLeastOne, Count, Finite, MAX_VALUE, NonNeg, Positive, Prob, show};
pub use replay::{ReplayedFailure, parse_failure_trace, read_failure_trace};
pub use trace::{TraceGrouping, TraceJob, TraceOptions, parse_trace, read_trace};
pub use workload::*;
