//! Every RON model type through `config::parse_ron`, then the model's own checks.
//! The first byte picks the type (see scripts/fuzz.sh, which seeds the corpus so).
#![no_main]
use gigasim::config::{self, CostModel, Facility, FailureModel, PowerModel, ScenarioFile, Workload};
use libfuzzer_sys::fuzz_target;

const FILE: &str = "fuzz.ron";

fn named<T>(r: Result<T, config::InputError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            // An input error names the file it is about.
            assert!(e.to_string().starts_with(FILE), "error does not name the file: {e}");
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    match which % 7 {
        0 => {
            if let Some(m) = named(config::parse_ron::<Facility>(FILE, text)) {
                let _ = m.check();
            }
        }
        1 => {
            if let Some(m) = named(config::parse_ron::<FailureModel>(FILE, text)) {
                let _ = m.check(None);
            }
        }
        2 => {
            let _ = named(config::parse_ron::<PowerModel>(FILE, text));
        }
        3 => {
            if let Some(m) = named(config::parse_ron::<Workload>(FILE, text)) {
                let _ = m.check();
            }
        }
        4 => {
            let _ = named(config::parse_ron::<CostModel>(FILE, text));
        }
        5 => {
            let _ = named(config::parse_ron::<ScenarioFile>(FILE, text));
        }
        _ => {
            let _ = named(config::parse_ron::<gigasim::sweep::SweepFile>(FILE, text));
        }
    }
});
