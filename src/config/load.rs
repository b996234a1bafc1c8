//! Reading model files: RON parsing with positions and field paths, scenario
//! resolution (from disk or the embedded default), `--set` overrides and the
//! checks that span several files.

use super::checks::{Part, Problem, locate_path};
use super::cost::{CostModel, Electricity};
use super::model::*;
use super::workload::Workload;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// Bad input: names the file, the position where known, the field and what is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub file: String,
    pub line_col: Option<(usize, usize)>,
    pub field: Option<String>,
    pub message: String,
}

impl std::error::Error for InputError {}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", clip(&self.file, 300))?;
        if let Some((l, c)) = self.line_col {
            write!(f, ":{l}:{c}")?;
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "field `{}`: ", clip(field, 300))?;
        }
        write!(f, "{}", clip(&self.message, 2000))
    }
}

/// `s` cut in the middle to at most about `max` characters: a message echoes what it
/// got, which may be a megabyte of one token.
fn clip(s: &str, max: usize) -> String {
    let s = clip_digits(s);
    let n = s.chars().count();
    if n <= max {
        return s;
    }
    let head: String = s.chars().take(max / 2).collect();
    let tail: String = s.chars().skip(n - max / 2).collect();
    format!("{head}…({} characters left out)…{tail}", n - 2 * (max / 2))
}

/// Runs of more than 24 digits (no number gigasim prints has them; an echoed token
/// may) cut to their first 12 and last 4.
fn clip_digits(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(4096));
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() > 24 {
            out.push_str(&format!("{}…({} digits)…{}", &run[..12], run.len(), &run[run.len() - 4..]));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

impl InputError {
    pub fn new(file: impl Into<String>, field: Option<String>, message: impl Into<String>) -> Self {
        Self { file: file.into(), line_col: None, field, message: message.into() }
    }
}

/// Parse RON text into `T`, naming `file`, line:column and the field path on error.
pub fn parse_ron<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, InputError> {
    if let Some((at, why)) = too_deep(text, MAX_NESTING) {
        return Err(InputError { line_col: Some(at), ..InputError::new(file, None, why) });
    }
    let spanned = |e: ron::error::SpannedError, field: Option<String>| InputError {
        file: file.to_string(),
        line_col: Some((e.span.start.line, e.span.start.col)),
        field,
        message: e.code.to_string(),
    };
    let mut de = ron::Deserializer::from_str(text).map_err(|e| spanned(e, None))?;
    let mut track = serde_path_to_error::Track::new();
    let result = T::deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    match result {
        Ok(v) => {
            de.end().map_err(|e| spanned(de.span_error(e), None))?;
            Ok(v)
        }
        Err(e) => {
            // A `?` stands for a key the parser had not read yet (e.g. after a missing
            // comma): the path up to it names where the error is.
            let field = known_path(track);
            Err(spanned(de.span_error(e), field))
        }
    }
}

/// The field path serde_path_to_error tracked, up to the first key not yet read
/// (a `?`, e.g. after a missing comma), or `None` at the top level.
fn known_path(track: serde_path_to_error::Track) -> Option<String> {
    let path = track.path().to_string();
    let keys: Vec<&str> = path.split('.').take_while(|k| *k != "?" && !k.is_empty()).collect();
    (!keys.is_empty()).then(|| keys.join("."))
}

/// Deepest nesting of brackets a model file may have: the shipped ones use 6; a
/// parser led a million levels deep exhausts its stack or memory.
const MAX_NESTING: usize = 64;
/// Longest string in a model file or `--set` value: names and paths. Names are kept
/// with every record a run writes; a megabyte name would fill the memory.
pub const MAX_STRING: usize = 1024;

/// The length in characters of the longest string (or object key) in a JSON value:
/// files gigasim reads back hold none longer than [`MAX_STRING`].
pub fn longest_string(v: &serde_json::Value) -> Option<usize> {
    match v {
        serde_json::Value::String(s) => Some(s.chars().count()),
        serde_json::Value::Array(a) => a.iter().filter_map(longest_string).max(),
        serde_json::Value::Object(m) => m.iter().filter_map(|(k, x)| longest_string(x).max(Some(k.chars().count()))).max(),
        _ => None,
    }
}

/// Where RON text nests brackets deeper than `max` (outside strings and comments), or
/// holds a string longer than [`MAX_STRING`], and what is wrong.
fn too_deep(text: &str, max: usize) -> Option<((usize, usize), String)> {
    let (mut depth, mut line, mut col) = (0usize, 1usize, 0usize);
    let (mut in_str, mut escaped, mut comment, mut len) = (false, false, false, 0usize);
    let mut prev = '\0';
    for c in text.chars() {
        col += 1;
        if c == '\n' && !in_str {
            (line, col, comment) = (line + 1, 0, false);
        } else if comment {
        } else if in_str {
            in_str = escaped || c != '"';
            escaped = !escaped && c == '\\';
            len += 1;
            if len > MAX_STRING {
                return Some((
                    (line, col),
                    format!("a string longer than {MAX_STRING} characters; allowed: names and paths of at most {MAX_STRING}"),
                ));
            }
            if c == '\n' {
                (line, col) = (line + 1, 0);
            }
        } else if c == '"' {
            (in_str, len) = (true, 0);
        } else if c == '/' && prev == '/' {
            comment = true;
        } else if matches!(c, '(' | '[' | '{') {
            depth += 1;
            if depth > max {
                return Some(((line, col), format!("brackets nested deeper than {max}; allowed: at most {max} levels")));
            }
        } else if matches!(c, ')' | ']' | '}') {
            depth = depth.saturating_sub(1);
        }
        prev = c;
    }
    None
}

/// Where model files are read from: the file system, or the copy compiled into the binary.
pub trait Source {
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

pub struct FileSystem;

/// Largest model or sweep file read (the shipped ones are a few kB).
pub const MAX_MODEL_BYTES: u64 = 16 << 20;

impl Source for FileSystem {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        read_input(path, MAX_MODEL_BYTES)
    }
}

/// [`read_text`] for a file a result depends on (a model, sweep, trace or price file):
/// noted in the log of [`super::files`] for the result's provenance, and under
/// `gigasim rerun` read from its copy.
pub fn read_input(path: &Path, max: u64) -> std::io::Result<String> {
    let text = read_text(&super::files::resolve(path)?, max)?;
    super::files::note(path, text.as_bytes(), false);
    Ok(text)
}

/// Read a regular file of at most `max` bytes as UTF-8 text. The errors say what is
/// wrong and allowed: not a regular file (a device such as /dev/zero, a FIFO, a folder),
/// too large, or not UTF-8 (with the line and column of the first bad byte).
pub fn read_text(path: &Path, max: u64) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let not_file = || Error::new(ErrorKind::InvalidInput, "not a regular file; allowed: a text file");
    let too_big = || Error::new(ErrorKind::InvalidData, format!("the file is larger than {max} bytes; allowed: at most {max} bytes"));
    // Before opening, as opening a FIFO would block; and again on what was opened.
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_file());
    }
    let mut f = std::fs::File::open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(not_file());
    }
    if meta.len() > max {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    f.by_ref().take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_big()); // it grew while read
    }
    String::from_utf8(bytes).map_err(|e| {
        let ok = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line_start = ok.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = ok.iter().filter(|&&b| b == b'\n').count() + 1;
        Error::new(ErrorKind::InvalidData, NotUtf8 { line, col: ok.len() - line_start + 1 })
    })
}

/// The error [`read_text`] gives for a byte that is not UTF-8, with its position.
#[derive(Debug)]
pub struct NotUtf8 {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not UTF-8 text at line {}, column {}; allowed: a UTF-8 text file", self.line, self.col)
    }
}

impl std::error::Error for NotUtf8 {}

/// A read error as bad input: "cannot read: …", at the bad byte's line and column when known.
pub fn unreadable(file: &str, e: &std::io::Error) -> InputError {
    let at = e.get_ref().and_then(|i| i.downcast_ref::<NotUtf8>()).map(|n| (n.line, n.col));
    InputError { line_col: at, ..InputError::new(file, None, format!("cannot read: {e}")) }
}

/// Model files held in memory, by path (`/`-separated): for tests, fuzzers and
/// callers that make their files in code.
pub struct InMemory(pub BTreeMap<String, String>);

impl Source for InMemory {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.0
            .get(path.to_string_lossy().replace('\\', "/").as_str())
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not among the files in memory"))
    }
}

/// The default scenario and the models it names, embedded at build time so that
/// `gigasim` with no arguments runs anywhere.
pub struct Embedded(BTreeMap<&'static str, &'static str>);

pub const DEFAULT_SCENARIO: &str = "models/scenarios/gigafactory-100k.ron";

impl Embedded {
    pub fn models() -> Self {
        macro_rules! embed {
            ($($p:literal),*) => { BTreeMap::from([$(($p, include_str!(concat!("../../", $p)))),*]) };
        }
        Embedded(embed!(
            "models/scenarios/gigafactory-100k.ron",
            "models/facility/gb200-nvl72.ron",
            "models/failure/llama3-54d.ron",
            "models/power/gb200.ron",
            "models/workload/frontier-plus-tenants.ron",
            "models/cost/gigafactory-de.ron"
        ))
    }
}

impl Source for Embedded {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let key = path.to_string_lossy().replace('\\', "/");
        self.0
            .get(key.as_str())
            .inspect(|s| super::files::note(path, s.as_bytes(), true))
            .map(|s| s.to_string())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not among the embedded models"))
    }
}

/// Lexically normalise `a/b/../c` to `a/c` (the files may not exist on disk).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// The parts of a scenario that are model files of their own, by their field name.
pub const MODEL_PARTS: [&str; 5] = ["facility", "failure", "power", "workload", "cost"];

/// A scenario part read from its own model file.
pub enum PartModel {
    Facility(Facility),
    Failure(FailureModel),
    Power(PowerModel),
    Workload(Workload),
    Cost(CostModel),
}

impl PartModel {
    /// As it sits in a `Scenario` serialised to JSON (what `--set` edits).
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            PartModel::Facility(m) => serde_json::to_value(m),
            PartModel::Failure(m) => serde_json::to_value(m),
            PartModel::Power(m) => serde_json::to_value(m),
            PartModel::Workload(m) => serde_json::to_value(m),
            PartModel::Cost(m) => serde_json::to_value(m),
        };
        v.expect("a model serialises to JSON")
    }
}

/// The [`Part`] a model-part field is checked as (`cost` has no checks across parts).
fn part_of(field: &str) -> Option<Part> {
    match field {
        "facility" => Some(Part::Facility),
        "failure" => Some(Part::Failure),
        "power" => Some(Part::Power),
        "workload" => Some(Part::Workload),
        _ => None,
    }
}

/// Parse `text`, the model file at `path`, as the scenario part `field` (one of
/// [`MODEL_PARTS`]), with the files named in it (a workload's trace, a failure replay,
/// a cost model's hourly prices) made relative to it. The one way a part is loaded:
/// by [`load_scenario`] and by `--set PART=FILE`.
pub fn parse_part(field: &str, path: &Path, text: &str) -> Result<PartModel, InputError> {
    super::files::label(path, field);
    let shown = path.display().to_string();
    let beside = |f: &str| normalize(&path.parent().unwrap_or(Path::new("")).join(f)).display().to_string();
    Ok(match field {
        "facility" => PartModel::Facility(parse_ron(&shown, text)?),
        "power" => PartModel::Power(parse_ron(&shown, text)?),
        "workload" => {
            let mut w: Workload = parse_ron(&shown, text)?;
            if let Some(t) = w.trace.as_mut()
                && Path::new(&t.file).is_relative()
            {
                t.file = beside(&t.file);
            }
            PartModel::Workload(w)
        }
        "failure" => {
            let mut f: FailureModel = parse_ron(&shown, text)?;
            if let Some(r) = f.replay.as_mut()
                && Path::new(r.as_str()).is_relative()
            {
                *r = beside(r);
            }
            PartModel::Failure(f)
        }
        "cost" => {
            let mut c: CostModel = parse_ron(&shown, text)?;
            if let Electricity::Hourly { file: f, .. } = &mut c.electricity
                && Path::new(f.as_str()).is_relative()
            {
                *f = beside(f);
                // Read it once now: a bad row is an input error before anything runs.
                super::cost::PriceSeries::load(&c.electricity)?;
            }
            PartModel::Cost(c)
        }
        other => {
            return Err(InputError::new(&shown, None, format!("`{other}` is not a model part; allowed: {}", MODEL_PARTS.join(", "))));
        }
    })
}

/// A model file a part was loaded from: its name as shown in errors and its text, so
/// that a check on the loaded scenario names the file and line.
#[derive(Clone, Debug, PartialEq)]
pub struct PartFile {
    pub field: String,
    pub file: String,
    pub text: String,
}

/// Read and parse the model file at `path` as the part `field` (see [`parse_part`]).
/// A file that cannot be read is an error naming `label` (e.g. `--set`), the field and
/// the path; one that does not parse names the file and line.
pub fn load_part_file(src: &dyn Source, label: &str, field: &str, path: &Path) -> Result<(serde_json::Value, PartFile), InputError> {
    let path = normalize(path);
    let text = src.read(&path).map_err(|e| {
        InputError::new(
            label,
            Some(field.to_string()),
            format!("cannot read {}: {e}; allowed: a {field} model file, or a JSON object for the whole part", path.display()),
        )
    })?;
    let model = parse_part(field, &path, &text)?;
    Ok((model.to_json(), PartFile { field: field.to_string(), file: path.display().to_string(), text }))
}

/// Load a scenario and every model it names. Paths in it are relative to it.
/// See [the module's example](crate::config) for a scenario held in memory and
/// the crate's for one read from disk.
pub fn load_scenario(src: &dyn Source, path: &Path) -> Result<Scenario, InputError> {
    let shown = path.display().to_string();
    let text = src.read(path).map_err(|e| unreadable(&shown, &e))?;
    super::files::label(path, "scenario");
    let file: ScenarioFile = parse_ron(&shown, &text)?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut texts = vec![(Part::Scenario, shown.clone(), text.clone())];
    let read = |field: &str, rel: &str| -> Result<(PathBuf, String), InputError> {
        let p = normalize(&dir.join(rel));
        let t = src.read(&p).map_err(|e| InputError {
            file: shown.clone(),
            line_col: locate_path(&text, field),
            field: Some(field.to_string()),
            message: format!("cannot read referenced file {}: {e}; allowed: a path relative to the scenario file", p.display()),
        })?;
        Ok((p, t))
    };
    let files = [
        ("facility", read("facility", &file.facility)?),
        ("failure", read("failure", &file.failure)?),
        ("power", read("power", &file.power)?),
        ("workload", read("workload", &file.workload)?),
    ];
    let cost = match &file.cost {
        Some(rel) => {
            let (p, t) = read("cost", rel)?;
            let PartModel::Cost(c) = parse_part("cost", &p, &t)? else { unreachable!("parse_part gives the part it is asked for") };
            Some(c)
        }
        None => None,
    };
    for (field, (p, t)) in &files {
        texts.push((part_of(field).expect("a part with checks"), p.display().to_string(), t.clone()));
    }
    let parsed = |i: usize| parse_part(files[i].0, &files[i].1.0, &files[i].1.1);
    let (PartModel::Facility(facility), PartModel::Failure(failure), PartModel::Power(power), PartModel::Workload(workload)) =
        (parsed(0)?, parsed(1)?, parsed(2)?, parsed(3)?)
    else {
        unreachable!("parse_part gives the part it is asked for")
    };
    let scenario = Scenario {
        name: file.name.clone(),
        horizon_days: file.horizon_days,
        seed: file.seed,
        power_bin_minutes: file.power_bin_minutes,
        facility,
        failure,
        power,
        workload,
        cost,
        start_date: file.start_date.clone(),
        grid: file.grid.clone(),
    };
    scenario.check().map_err(|p| {
        let (_, file, text) = texts.iter().find(|t| t.0 == p.part).expect("every part was read");
        in_file(file, text, p)
    })?;
    read_replay(&scenario)?;
    Ok(scenario)
}

/// Read a failure replay once (the facility checked), so that a bad row is an input
/// error before anything runs.
fn read_replay(scenario: &Scenario) -> Result<(), InputError> {
    if let Some(r) = &scenario.failure.replay {
        super::read_failure_trace(Path::new(r.as_str()), &scenario.failure.classes, &scenario.facility)?;
    }
    Ok(())
}

/// A [`Problem`] as an error naming `file` and the line of the field in `text`.
pub fn in_file(file: &str, text: &str, p: Problem) -> InputError {
    InputError { file: file.to_string(), line_col: locate_path(text, &p.field), field: Some(p.field), message: p.message }
}

/// Check a scenario changed on the command line; errors name `label` (e.g. `--set`)
/// and the field's full path.
pub fn check_changed(s: &Scenario, label: &str) -> Result<(), InputError> {
    s.check().map_err(|p| InputError::new(label, Some(p.path()), p.message))
}

/// The built-in default scenario.
pub fn default_scenario() -> Scenario {
    load_scenario(&Embedded::models(), Path::new(DEFAULT_SCENARIO)).expect("the embedded default scenario is valid")
}

/// Apply `path=value` overrides (as given to `--set`) to a loaded scenario.
/// Paths follow the scenario's structure, e.g. `failure.repair.crews=8` or
/// `workload.frontier[0].checkpoint.interval_hours=0.25`; the variant name of an
/// enum may be left out (`failure.classes[0].ttf.mean_hours=5e5`). Values are
/// JSON (numbers, true/false, strings, objects for whole enums), else a bare string.
/// The result is checked as a loaded file is; an error names `--set` and the field
/// (see [the module's example](crate::config)).
/// A string for a whole part (`failure=models/failure/rsc-1.ron`) is the model file at
/// that path, relative to the current directory.
pub fn apply_sets(s: &Scenario, sets: &[String]) -> Result<Scenario, InputError> {
    if sets.is_empty() {
        return Ok(s.clone());
    }
    apply_overrides(s, &parse_sets(sets)?)
}

/// One override: a field path and its JSON value, and the model file it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: serde_json::Value,
    pub from: Option<PartFile>,
}

/// `path=value` texts as `--set` takes them, with model files for whole parts read.
pub fn parse_sets(sets: &[String]) -> Result<Vec<Override>, InputError> {
    let mut out = Vec::new();
    for set in sets {
        let bad = |field: Option<String>, msg: String| InputError::new("--set", field, msg);
        let (path, value) = set
            .split_once('=')
            .ok_or_else(|| bad(None, format!("`{set}` has no `=`; allowed: path=value, e.g. failure.repair.crews=8")))?;
        if value.len() > MAX_STRING {
            return Err(bad(Some(path.trim().to_string()), format!("a value of {} bytes; allowed: at most {MAX_STRING}", value.len())));
        }
        let value: serde_json::Value = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
        let path = path.trim();
        if path.is_empty() {
            return Err(bad(None, format!("`{set}` has an empty path; allowed: path=value, e.g. failure.repair.crews=8")));
        }
        out.push(match (&value, whole_part(path)) {
            (serde_json::Value::String(file), Some(field)) => {
                let (value, from) = load_part_file(&FileSystem, "--set", field, Path::new(file))?;
                Override { path: path.to_string(), value, from: Some(from) }
            }
            _ => Override { path: path.to_string(), value, from: None },
        });
    }
    Ok(out)
}

/// The model part a field path names whole (`failure`, ` cost `), if it does.
pub fn whole_part(path: &str) -> Option<&'static str> {
    match path_keys(path).as_slice() {
        [k] => MODEL_PARTS.iter().copied().find(|p| p == k),
        _ => None,
    }
}

/// Apply overrides in order; errors name `--set`, or the model file a part came from.
pub fn apply_overrides(s: &Scenario, overrides: &[Override]) -> Result<Scenario, InputError> {
    let mut tree = serde_json::to_value(s).map_err(|e| InputError::new("--set", None, e.to_string()))?;
    for o in overrides {
        let slot = locate(&mut tree, &o.path).map_err(|m| InputError::new("--set", Some(o.path.clone()), m))?;
        *slot = o.value.clone();
    }
    let mut track = serde_path_to_error::Track::new();
    let out = Scenario::deserialize_tracked(&tree, &mut track).map_err(|e| InputError::new("--set", known_path(track), e.to_string()))?;
    // A part's problem names the file it was read from (the last one wins, as its value did).
    let from = |part: Part| overrides.iter().rev().find(|o| whole_part(&o.path).and_then(part_of) == Some(part));
    out.check().map_err(|p| match from(p.part).and_then(|o| o.from.as_ref()) {
        Some(f) => in_file(&f.file, &f.text, p),
        None => InputError::new("--set", Some(p.path()), p.message),
    })?;
    if from(Part::Failure).is_some_and(|o| o.from.is_some()) {
        read_replay(&out)?;
    }
    Ok(out)
}

impl Scenario {
    fn deserialize_tracked(v: &serde_json::Value, track: &mut serde_path_to_error::Track) -> Result<Self, serde_json::Error> {
        use serde::Deserialize;
        Scenario::deserialize(serde_path_to_error::Deserializer::new(v, track))
    }
}

/// The keys of a field path: `a.b[2].c` (or `a.b.2.c`) gives `a`, `b`, `2`, `c`.
pub fn path_keys(path: &str) -> Vec<String> {
    path.replace('[', ".").replace(']', "").split('.').filter(|k| !k.is_empty()).map(str::to_string).collect()
}

fn locate<'a>(mut node: &'a mut serde_json::Value, path: &str) -> Result<&'a mut serde_json::Value, String> {
    let keys = path_keys(path);
    if keys.is_empty() {
        return Err("empty path".into());
    }
    for key in &keys {
        // Step through an externally tagged enum (`{"Weibull": {...}}`) when the key is not a variant.
        let through_enum = matches!(&*node, serde_json::Value::Object(m)
            if !m.contains_key(key) && m.len() == 1 && m.keys().next().is_some_and(|k| k.starts_with(char::is_uppercase)));
        if through_enum {
            node = node.as_object_mut().and_then(|m| m.values_mut().next()).expect("one entry");
        }
        node = match node {
            serde_json::Value::Object(m) => {
                let known: Vec<String> = m.keys().cloned().collect();
                m.get_mut(key).ok_or_else(|| format!("no field `{key}` here; allowed: {}", known.join(", ")))?
            }
            serde_json::Value::Array(v) => {
                let n = v.len();
                let i: usize = key.parse().map_err(|_| format!("`{key}` is not an index; allowed: 0 to {}", n.saturating_sub(1)))?;
                v.get_mut(i).ok_or_else(|| format!("index {i} is out of range; allowed: 0 to {}", n.saturating_sub(1)))?
            }
            _ => return Err(format!("`{key}` goes below a plain value")),
        };
    }
    Ok(node)
}
