//! Property tests (proptest) of the loaders and the `--set` parser: no input makes them
//! panic; every error names its file (or `--set`); a value set is the value read back;
//! a scenario written out re-parses equal. The fuzzers (docs/fuzzing.md) search the same
//! ground at random for longer; these run in every `cargo test`.

use gigasim::config::{self, CostModel, Facility, FailureModel, InputError, PowerModel, Scenario, ScenarioFile, Workload};
use gigasim::sweep::SweepFile;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

/// The default scenario's files (what `gigasim init` writes), for an in-memory source.
const FILES: [(&str, &str); 6] = [
    ("models/scenarios/gigafactory-100k.ron", include_str!("../models/scenarios/gigafactory-100k.ron")),
    ("models/facility/gb200-nvl72.ron", include_str!("../models/facility/gb200-nvl72.ron")),
    ("models/failure/llama3-54d.ron", include_str!("../models/failure/llama3-54d.ron")),
    ("models/power/gb200.ron", include_str!("../models/power/gb200.ron")),
    ("models/workload/frontier-plus-tenants.ron", include_str!("../models/workload/frontier-plus-tenants.ron")),
    ("models/cost/gigafactory-de.ron", include_str!("../models/cost/gigafactory-de.ron")),
];

/// Other shipped model files, each parsed as its type.
const MORE: [(&str, &str); 8] = [
    ("models/facility/hgx-h100.ron", include_str!("../models/facility/hgx-h100.ron")),
    ("models/facility/gb200-nvl72-25k.ron", include_str!("../models/facility/gb200-nvl72-25k.ron")),
    ("models/failure/gb200-nvl72.ron", include_str!("../models/failure/gb200-nvl72.ron")),
    ("models/failure/rsc-1.ron", include_str!("../models/failure/rsc-1.ron")),
    ("models/power/h100.ron", include_str!("../models/power/h100.ron")),
    ("models/workload/open-site.ron", include_str!("../models/workload/open-site.ron")),
    ("models/workload/llama3-405b.ron", include_str!("../models/workload/llama3-405b.ron")),
    ("models/sweeps/checkpoint-interval.ron", include_str!("../models/sweeps/checkpoint-interval.ron")),
];

fn default() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(config::default_scenario)
}

/// Every model type parsed from `text` named `file`: Ok, or an error that names `file`.
fn parse_all(file: &str, text: &str) -> Result<(), String> {
    fn one<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<(), String> {
        match config::parse_ron::<T>(file, text) {
            Ok(_) => Ok(()),
            Err(e) => names_file(&e, file),
        }
    }
    one::<Facility>(file, text)?;
    one::<FailureModel>(file, text)?;
    one::<PowerModel>(file, text)?;
    one::<Workload>(file, text)?;
    one::<CostModel>(file, text)?;
    one::<ScenarioFile>(file, text)?;
    one::<SweepFile>(file, text)
}

fn names_file(e: &InputError, file: &str) -> Result<(), String> {
    let shown = e.to_string();
    if e.file == file && shown.starts_with(file) && !e.message.is_empty() {
        Ok(())
    } else {
        Err(format!("error does not name {file}: {shown}"))
    }
}

/// Text made of RON's pieces, which reaches further into the parsers than random characters.
fn ron_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("(".to_string()),
        Just(")".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("Some(".to_string()),
        Just("None".to_string()),
        Just("name: \"x\"".to_string()),
        Just("// c\n".to_string()),
        prop::sample::select(vec!["0", "-0", "-1", "1e-300", "1e308", "-1e308", "4294967295", "18446744073709551616", "NaN", "inf", "1.5"])
            .prop_map(str::to_string),
        "[a-z_]{1,12}",
        "[A-Z][a-zA-Z]{0,10}",
        "\"[^\"\\\\]{0,8}\"",
    ];
    prop::collection::vec(piece, 0..80).prop_map(|v| v.join(" "))
}

/// A mutation of a text: (where, as a fraction of its length; what; a value).
#[derive(Clone, Debug)]
enum Edit {
    Delete(f64, usize),
    Insert(f64, String),
    ReplaceNumber(usize, String),
    DropLine(usize),
    DuplicateLine(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let value = prop::sample::select(vec![
        "0",
        "-0",
        "-1",
        "1e-300",
        "1e-9",
        "1e308",
        "-1e308",
        "4294967295",
        "18446744073709551616",
        "NaN",
        "inf",
        "9",
        "1e6",
        "(",
        ")",
        ",",
        "\"",
        "Some(",
        "[]",
        "x",
    ])
    .prop_map(str::to_string);
    prop_oneof![
        (0.0..1.0f64, 1..20usize).prop_map(|(a, n)| Edit::Delete(a, n)),
        (0.0..1.0f64, value.clone()).prop_map(|(a, v)| Edit::Insert(a, v)),
        (any::<usize>(), value.clone()).prop_map(|(i, v)| Edit::ReplaceNumber(i, v)),
        (any::<usize>(), value).prop_map(|(i, v)| Edit::ReplaceNumber(i, v)),
        any::<usize>().prop_map(Edit::DropLine),
        any::<usize>().prop_map(Edit::DuplicateLine),
    ]
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, e: &Edit) -> String {
    let mut s = text.to_string();
    match e {
        Edit::Delete(at, n) => {
            let a = floor_boundary(&s, (at * s.len() as f64) as usize);
            let b = floor_boundary(&s, a + n);
            s.replace_range(a..b, "");
        }
        Edit::Insert(at, v) => {
            let a = floor_boundary(&s, (at * s.len() as f64) as usize);
            s.insert_str(a, v);
        }
        Edit::ReplaceNumber(i, v) => {
            let b = s.as_bytes();
            let spans: Vec<(usize, usize)> = (0..b.len())
                .filter(|&j| {
                    b[j].is_ascii_digit() && (j == 0 || !(b[j - 1].is_ascii_alphanumeric() || b[j - 1] == b'.' || b[j - 1] == b'_'))
                })
                .map(|j| {
                    let mut k = j;
                    while k < b.len() && (b[k].is_ascii_digit() || b[k] == b'.' || b[k] == b'_' || b[k] == b'e') {
                        k += 1;
                    }
                    (j, k)
                })
                .collect();
            if !spans.is_empty() {
                let (a, z) = spans[i % spans.len()];
                s.replace_range(a..z, v);
            }
        }
        Edit::DropLine(i) | Edit::DuplicateLine(i) => {
            let mut lines: Vec<&str> = s.split_inclusive('\n').collect();
            if !lines.is_empty() {
                let k = i % lines.len();
                if matches!(e, Edit::DropLine(_)) {
                    lines.remove(k);
                } else {
                    lines.insert(k, lines[k]);
                }
            }
            s = lines.concat();
        }
    }
    s
}

/// Leaves of the default scenario that are numbers, as `--set` paths with their values.
fn numeric_leaves() -> &'static Vec<(String, serde_json::Value)> {
    static L: OnceLock<Vec<(String, serde_json::Value)>> = OnceLock::new();
    L.get_or_init(|| {
        fn walk(v: &serde_json::Value, path: String, out: &mut Vec<(String, serde_json::Value)>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, x) in m {
                        walk(x, if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, out)
                    }
                }
                serde_json::Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        walk(x, format!("{path}[{i}]"), out)
                    }
                }
                serde_json::Value::Number(_) => out.push((path, v.clone())),
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(&serde_json::to_value(default()).expect("to JSON"), String::new(), &mut out);
        out
    })
}

/// The value at a `--set` path of a scenario, as JSON.
fn read_back(s: &Scenario, path: &str) -> Option<serde_json::Value> {
    let tree = serde_json::to_value(s).ok()?;
    let pointer: String = config::path_keys(path).iter().map(|k| format!("/{k}")).collect();
    tree.pointer(&pointer).cloned()
}

/// Every model of a scenario written as RON re-parses equal.
fn ron_round_trip(s: &Scenario) -> Result<(), String> {
    fn one<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(what: &str, m: &T) -> Result<(), String> {
        let text = ron::to_string(m).map_err(|e| format!("{what}: writing RON: {e}"))?;
        let back: T = config::parse_ron(what, &text).map_err(|e| format!("{what}: re-parsing its RON: {e}\n{text}"))?;
        if &back == m { Ok(()) } else { Err(format!("{what}: re-parsed differently:\n{m:?}\n{back:?}")) }
    }
    one("facility", &s.facility)?;
    one("failure", &s.failure)?;
    one("power", &s.power)?;
    one("workload", &s.workload)?;
    if let Some(c) = &s.cost {
        one("cost", c)?;
    }
    let json = serde_json::to_value(s).map_err(|e| e.to_string())?;
    let back: Scenario = serde_json::from_value(json).map_err(|e| format!("scenario: re-parsing its JSON: {e}"))?;
    if &back == s { Ok(()) } else { Err("scenario: its JSON re-parsed differently".into()) }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_arbitrary_text(text in "\\PC{0,300}") {
        parse_all("any.ron", &text).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn parsers_never_panic_on_ron_like_text(text in ron_soup()) {
        parse_all("soup.ron", &text).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn a_mutated_shipped_model_parses_or_names_its_file(which in 0..MORE.len() + FILES.len(), edits in prop::collection::vec(edit(), 1..4)) {
        let (file, text) = if which < FILES.len() { FILES[which] } else { MORE[which - FILES.len()] };
        let text = edits.iter().fold(text.to_string(), |t, e| apply(&t, e));
        parse_all(file, &text).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn a_scenario_with_a_mutated_file_loads_or_names_a_file(which in 0..FILES.len(), edits in prop::collection::vec(edit(), 1..4)) {
        let mut files: BTreeMap<String, String> = FILES.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
        let text = edits.iter().fold(FILES[which].1.to_string(), |t, e| apply(&t, e));
        files.insert(FILES[which].0.to_string(), text);
        match config::load_scenario(&config::InMemory(files), Path::new(FILES[0].0)) {
            Ok(s) => prop_assert!(s.check().is_ok()),
            Err(e) => {
                let shown = e.to_string();
                prop_assert!(FILES.iter().any(|(p, _)| e.file == *p) && shown.starts_with(&e.file), "names no file of the scenario: {}", shown);
                prop_assert!(!e.message.is_empty());
            }
        }
    }

    #[test]
    fn the_set_parser_never_panics_and_errors_name_set(sets in prop::collection::vec("\\PC{0,60}", 1..4)) {
        if let Err(e) = config::apply_sets(default(), &sets) {
            prop_assert!(e.to_string().starts_with("--set"), "error does not name --set: {}", e);
        }
    }

    #[test]
    fn the_set_parser_never_panics_on_real_paths_with_odd_values(
        leaf in any::<prop::sample::Index>(),
        value in prop::sample::select(vec![
            "0", "-0", "-1", "1e-300", "1e308", "-1e308", "4294967295", "18446744073709551616", "NaN", "inf", "true", "null", "[]", "{}", "\"x\"", "1e", ""
        ]),
    ) {
        let (path, _) = leaf.get(numeric_leaves());
        if let Err(e) = config::apply_sets(default(), &[format!("{path}={value}")]) {
            prop_assert!(e.to_string().starts_with("--set"), "error does not name --set: {}", e);
        }
    }

    #[test]
    fn a_value_set_is_the_value_read_back(leaf in any::<prop::sample::Index>(), factor in 0.5..2.0f64) {
        let (path, old) = leaf.get(numeric_leaves());
        let set = if let Some(n) = old.as_u64() {
            format!("{path}={}", ((n as f64 * factor).round() as u64).max(1))
        } else {
            format!("{path}={}", old.as_f64().unwrap() * factor)
        };
        let want: serde_json::Value = serde_json::from_str(set.split_once('=').unwrap().1).unwrap();
        match config::apply_sets(default(), std::slice::from_ref(&set)) {
            Ok(s) => {
                let got = read_back(&s, path).expect("the path is still there");
                match (got.as_f64(), want.as_f64()) {
                    // serde_json's float parse may differ from Rust's shortest printing by an ulp.
                    (Some(g), Some(w)) => prop_assert!((g - w).abs() <= w.abs() * 1e-15, "{} read back as {}", set, got),
                    _ => prop_assert_eq!(got, want),
                }
                ron_round_trip(&s).map_err(TestCaseError::fail)?;
            }
            Err(e) => prop_assert!(e.to_string().starts_with("--set"), "error does not name --set: {}", e),
        }
    }
}

#[test]
fn every_shipped_scenario_written_out_re_parses_equal() {
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/scenarios")).expect("models/scenarios") {
        let path = entry.expect("entry").path();
        let s = config::load_scenario(&config::FileSystem, &path).unwrap_or_else(|e| panic!("{e}"));
        ron_round_trip(&s).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
