//! Job traces (CSV and SWF, `config::parse_trace`) and failure traces
//! (`config::parse_failure_trace` against the default scenario's classes and site).
//! First byte: bit 0 SWF, bit 1 failure trace, bits 2-4 the time and size scales.
#![no_main]
use gigasim::config::{self, Scenario, TraceGrouping, TraceOptions};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DEFAULT: OnceLock<Scenario> = OnceLock::new();
const SCALES: [f64; 8] = [1.0, 0.5, 1e-300, 1e300, 2.0, 1e-9, 1e9, 0.001];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    if flags & 2 != 0 {
        let s = DEFAULT.get_or_init(config::default_scenario);
        let _ = config::parse_failure_trace("fuzz.csv", text, &s.failure.classes, &s.facility);
        return;
    }
    let opts = TraceOptions {
        time_scale: SCALES[(flags >> 2) as usize % 8],
        size_scale: SCALES[(flags >> 5) as usize % 8],
        swf_tenant: [TraceGrouping::User, TraceGrouping::Group, TraceGrouping::Queue][(flags >> 3) as usize % 3],
    };
    if let Ok(jobs) = config::parse_trace("fuzz.csv", text, flags & 1 != 0, &opts) {
        for j in &jobs {
            assert!(j.submit_h.is_finite() && j.submit_h >= 0.0, "submit_h {} at line {}", j.submit_h, j.line);
            assert!(j.run_h.is_finite() && j.run_h > 0.0, "run_h {} at line {}", j.run_h, j.line);
            assert!(j.chips >= 1, "chips 0 at line {}", j.line);
        }
    }
});
