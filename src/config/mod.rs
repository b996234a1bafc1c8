//! Model files: serde types, validation and clear errors.

mod law;
mod load;
mod model;
mod num;

pub use law::{DurationLaw, Law, exp_draw, gamma};
pub use load::{
    DEFAULT_SCENARIO, Embedded, FileSystem, InputError, ModelFiles, Source, apply_sets, default_scenario, load_scenario, parse_ron,
    validate,
};
pub use model::*;
pub use num::{AtLeastOne, Count, NonNeg, Positive, Prob};
