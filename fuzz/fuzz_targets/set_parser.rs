//! `config::apply_sets` (the `--set` parser) on the default scenario: each input line is
//! one `path=value`.
#![no_main]
use gigasim::config::{self, Scenario};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DEFAULT: OnceLock<Scenario> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let sets: Vec<String> = text.lines().take(8).map(str::to_string).collect();
    let s = DEFAULT.get_or_init(config::default_scenario);
    match config::apply_sets(s, &sets) {
        Ok(out) => {
            // The result is a whole scenario: it goes through --set again unchanged.
            let again = config::apply_sets(&out, &["seed=1".to_string()]).expect("a scenario accepted once is accepted again");
            assert_eq!(again.horizon_days, out.horizon_days);
        }
        Err(e) => assert!(e.to_string().starts_with("--set"), "error does not name --set: {e}"),
    }
});
