//! Sweep files: the `SweepFile` parse, each parameter's values expanded, and the file's
//! `set` and each parameter's first value applied to the default scenario (what
//! `Sweep::load` and the first point do, without reading files or simulating).
#![no_main]
use gigasim::config::{self, Scenario};
use gigasim::sweep::{ParamValue, SweepFile, json_value};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DEFAULT: OnceLock<Scenario> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(file) = config::parse_ron::<SweepFile>("fuzz-sweep.ron", text) else { return };
    let base = DEFAULT.get_or_init(config::default_scenario);
    let Ok(base) = config::apply_sets(base, &file.set) else { return };
    for p in &file.parameters {
        let Ok(values) = p.values.expand() else { continue };
        // Text values name files or variants; this target reads no files.
        if let Some(ParamValue::Num(v)) = values.first() {
            let _ = config::apply_sets(&base, &[format!("{}={}", p.path, json_value(*v))]);
        }
    }
});
