//! Model files: serde types, validation and clear errors.

mod checks;
mod cost;
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
    parse_part, parse_ron, parse_sets, path_keys, read_text, unreadable, whole_part,
};
pub use model::*;
pub use num::{AtLeastOne, Count, Finite, MAX_VALUE, NonNeg, Positive, Prob, show};
pub use replay::{ReplayedFailure, parse_failure_trace, read_failure_trace};
pub use trace::{TraceGrouping, TraceJob, TraceOptions, parse_trace, read_trace};
pub use workload::*;
