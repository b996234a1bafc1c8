//! `config::load_scenario` through an in-memory `Source`: the default scenario's files,
//! one of them (picked by the first byte) replaced by the input. Checks across files run
//! too; nothing is simulated.
#![no_main]
use gigasim::config;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::path::Path;

const FILES: [(&str, &str); 6] = [
    ("models/scenarios/gigafactory-100k.ron", include_str!("../../models/scenarios/gigafactory-100k.ron")),
    ("models/facility/gb200-nvl72.ron", include_str!("../../models/facility/gb200-nvl72.ron")),
    ("models/failure/llama3-54d.ron", include_str!("../../models/failure/llama3-54d.ron")),
    ("models/power/gb200.ron", include_str!("../../models/power/gb200.ron")),
    ("models/workload/frontier-plus-tenants.ron", include_str!("../../models/workload/frontier-plus-tenants.ron")),
    ("models/cost/gigafactory-de.ron", include_str!("../../models/cost/gigafactory-de.ron")),
];


fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut files: BTreeMap<String, String> = FILES.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
    files.insert(FILES[which as usize % FILES.len()].0.to_string(), text.to_string());
    match config::load_scenario(&config::InMemory(files), Path::new(FILES[0].0)) {
        Ok(s) => {
            // What `--set` does first: the scenario as JSON, and back.
            let _ = config::apply_sets(&s, &["seed=2".to_string()]);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
