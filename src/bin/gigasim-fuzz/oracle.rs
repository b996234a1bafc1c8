//! The oracle: what a case's exit status, messages and output files must look like.
//!
//! Exit 0 with finite, consistent outputs, or exit 2 with a one-paragraph message
//! starting `error: ` that names a file, a flag or `--set`. Never a panic (101), an
//! abort or another signal, a timeout, or exit 1 (internal error).

use std::path::Path;

/// What a case's gigasim process did.
pub struct Outcome {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

/// A broken rule: its class and a key that tells findings of one class apart.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub class: &'static str,
    pub key: String,
}

fn verdict(class: &'static str, key: impl Into<String>) -> Option<Verdict> {
    Some(Verdict { class, key: key.into() })
}

/// What the case expects to find after an exit 0.
pub enum Expect<'a> {
    /// `run`: summary.json and the CSV files in the folder.
    Run(&'a Path),
    /// `sweep`: runs.csv and points.csv in the folder; with `Some(pristine)`, they must equal
    /// the pristine sweep's files (a damaged folder resumed or merged must give the same bytes).
    Sweep(&'a Path, Option<&'a Path>),
    /// `check` and the like: nothing written.
    Nothing,
}

/// Replace the workspace path and digits so that findings that differ only in a
/// temporary path, a line or a value fall into one.
pub fn normalize(line: &str, ws: &str) -> String {
    let line = if ws.is_empty() { line.to_string() } else { line.replace(ws, "$WS") };
    let mut out = String::with_capacity(line.len());
    let mut last_digit = false;
    for c in line.chars() {
        if c.is_ascii_digit() {
            if !last_digit {
                out.push('N');
            }
            last_digit = true;
        } else {
            out.push(c);
            last_digit = false;
        }
    }
    out.chars().take(200).collect()
}

/// The first line of stderr that says what happened (for panics: where).
fn first_line(stderr: &str) -> &str {
    stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
}

/// `what`: the case in a few words (the file mutated, the flag abused), which tells
/// apart findings whose stderr says nothing (timeouts, out-of-memory aborts).
pub fn judge(o: &Outcome, argv: &[String], ws: &str, what: &str, expect: Expect) -> Option<Verdict> {
    let first = first_line(&o.stderr);
    if o.timed_out {
        let sub = argv.first().map(String::as_str).unwrap_or("");
        return verdict("timeout", format!("{sub}: {}", normalize(what, ws)));
    }
    if let Some(sig) = o.signal {
        if o.stderr.contains("memory allocation of") {
            let sub = argv.first().map(String::as_str).unwrap_or("");
            return verdict("oom", format!("{sub}: {}", normalize(what, ws)));
        }
        if o.stderr.contains("has overflowed its stack") {
            return verdict("stack-overflow", normalize(first, ws));
        }
        let class = match sig {
            6 => "abort",
            25 => "file-size-limit",
            _ => "signal",
        };
        return verdict(class, format!("signal {sig}: {}", normalize(first, ws)));
    }
    match o.code {
        Some(101) => {
            // "thread 'main' panicked at src/x.rs:1:2:" then the message.
            let at = o.stderr.lines().find(|l| l.contains("panicked at")).unwrap_or(first);
            let at = at.split("panicked at").nth(1).unwrap_or(at).trim().to_string();
            let msg = o.stderr.lines().skip_while(|l| !l.contains("panicked at")).nth(1).unwrap_or("");
            verdict("panic", format!("{at} {}", normalize(msg, ws)))
        }
        Some(134) => verdict("abort", normalize(first, ws)),
        Some(1) => verdict("internal-error", normalize(first, ws)),
        Some(2) => message(&o.stderr, argv, ws),
        Some(0) => outputs(expect, ws),
        Some(c) => verdict("bad-exit-code", format!("exit {c}: {}", normalize(first, ws))),
        None => verdict("signal", "no exit code"),
    }
}

/// Exit 2: a one-paragraph `error: ` message that names something.
fn message(stderr: &str, argv: &[String], ws: &str) -> Option<Verdict> {
    let first = first_line(stderr);
    let key = normalize(first, ws);
    if !stderr.starts_with("error: ") {
        // clap's usage errors start with `error: ` too; anything else is not ours.
        return verdict("message-format", key);
    }
    // clap's usage errors end with a blank line and "For more information, try '--help'.".
    let body = stderr.trim_end().trim_end_matches("For more information, try '--help'.").trim_end();
    if body.contains("\n\n") && !body.contains("Usage:") {
        return verdict("message-paragraphs", key);
    }
    if stderr.len() > 4096 {
        return verdict("message-huge", format!("{} bytes: {}", stderr.len() / 1000 * 1000, normalize(&key, ws)));
    }
    if let Some(p) = question_path(stderr) {
        return verdict("message-field-?", format!("{p}: {key}"));
    }
    if has_long_number(stderr) {
        return verdict("message-long-number", key);
    }
    // A flag or a path of the command line, named in the message.
    let flags = argv.iter().filter(|a| a.starts_with("--") || a.contains('/')).any(|f| stderr.contains(f.as_str()));
    let names = stderr.contains(ws)
        || flags
        || stderr.contains("--")
        || [".ron", ".csv", ".json", ".swf"].iter().any(|x| stderr.contains(x))
        || stderr.contains("Usage:");
    if !names {
        return verdict("message-names-nothing", key);
    }
    None
}

/// A field path with `?` in it, e.g. "field `chip_watts.?`".
fn question_path(s: &str) -> Option<String> {
    let mut rest = s;
    while let Some(i) = rest.find('`') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('`') else { break };
        let inside = &after[..j];
        if inside.contains('?') && (inside.contains(".?") || inside.contains("?.") || inside == "?" || inside.contains("[?]")) {
            return Some(format!("`{}`", normalize(inside, "")));
        }
        rest = &after[j + 1..];
    }
    None
}

/// A number printed with more than 40 digits (e.g. -1e308 written out in full).
fn has_long_number(s: &str) -> bool {
    let mut run = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            run += 1;
            if run > 40 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Summary keys that are `null` by design (an optional value), by their last path step.
const MAY_BE_NULL: &[&str] = &[
    "storage",
    "battery",
    "throttle",
    "cost",
    "cap",
    "ramp_limit_mw_per_min",
    "ramp_limit_mw_per_s",
    "cap_mw",
    "floor_mw",
    "p50_mw",
    "p95_mw",
    "p99_mw",
    "max_mw",
    "checkpoint_interval_hours",
    "finished_hours",
    "projected_finish_days",
    "chip_hours_delivered",
    "share_entitled",
    "share_delivered",
    "cost_eur",
    "co2_t",
];

/// Path of the first `null` not allowed by design (serde_json writes NaN and ±inf as null).
fn find_null(v: &serde_json::Value, path: &mut Vec<String>) -> Option<String> {
    match v {
        serde_json::Value::Null => {
            let last = path.last().map(String::as_str).unwrap_or("");
            (!MAY_BE_NULL.contains(&last)).then(|| path.join("."))
        }
        serde_json::Value::Number(n) => {
            if n.as_f64().is_some_and(|x| !x.is_finite()) {
                Some(path.join("."))
            } else {
                None
            }
        }
        serde_json::Value::Array(a) => a.iter().enumerate().find_map(|(i, x)| {
            path.push(i.to_string());
            let r = find_null(x, path);
            path.pop();
            r
        }),
        serde_json::Value::Object(m) => m.iter().find_map(|(k, x)| {
            path.push(k.clone());
            let r = find_null(x, path);
            path.pop();
            r
        }),
        _ => None,
    }
}

/// Field paths with list indices and names of user things (tenants, classes) replaced.
fn generic_path(p: &str) -> String {
    p.split('.').map(|k| if k.chars().all(|c| c.is_ascii_digit()) { "N" } else { k }).collect::<Vec<_>>().join(".")
}

fn outputs(expect: Expect, ws: &str) -> Option<Verdict> {
    match expect {
        Expect::Nothing => None,
        Expect::Run(dir) => {
            let path = dir.join("summary.json");
            let Ok(text) = std::fs::read_to_string(&path) else {
                return verdict("output-missing", "summary.json");
            };
            let v: serde_json::Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => return verdict("output-bad-json", normalize(&e.to_string(), ws)),
            };
            if let Some(p) = find_null(&v, &mut Vec::new()) {
                // Tenant and class names are user data: keep only the field's own name.
                let generic = generic_path(&p);
                let short = match generic.split('.').next() {
                    Some("tenants" | "job_classes" | "size_classes" | "failures" | "frontier") => {
                        let parts: Vec<&str> = generic.split('.').collect();
                        format!("{}.*.{}", parts[0], parts.last().unwrap_or(&""))
                    }
                    _ => generic,
                };
                return verdict("output-null", format!("summary.json {short}"));
            }
            if let Some(k) = consistency(&v) {
                return verdict("output-inconsistent", k);
            }
            csv_files(dir, ws)
        }
        Expect::Sweep(dir, pristine) => {
            if let Some(v) = csv_files(dir, ws) {
                return Some(v);
            }
            if let Some(p) = pristine {
                for f in ["runs.csv", "points.csv"] {
                    let (a, b) = (std::fs::read(dir.join(f)).ok(), std::fs::read(p.join(f)).ok());
                    if a != b {
                        return verdict("sweep-damage-accepted", format!("{f} differs from the undamaged sweep's"));
                    }
                }
            }
            None
        }
    }
}

/// Shares of installed chip-time: each in [0, 1], the time breakdown summing to 1.
fn consistency(v: &serde_json::Value) -> Option<String> {
    let chips = v.get("chips").and_then(|c| c.as_f64()).unwrap_or(0.0);
    if chips <= 0.0 {
        return None;
    }
    let tol = 1e-6;
    if let Some(tb) = v.get("time_breakdown").and_then(|t| t.as_object()) {
        let mut sum = 0.0;
        for (k, x) in tb {
            let x = x.as_f64().unwrap_or(f64::NAN);
            if !(-tol..=1.0 + tol).contains(&x) {
                return Some(format!("time_breakdown.{k} outside [0, 1]"));
            }
            sum += x;
        }
        if (sum - 1.0).abs() > 1e-6 {
            return Some("time_breakdown does not sum to 1 (chips x horizon)".into());
        }
    }
    for k in ["goodput", "utilization", "availability", "ettr"] {
        if let Some(x) = v.get(k).and_then(|x| x.as_f64())
            && !(-tol..=1.0 + tol).contains(&x)
        {
            return Some(format!("{k} outside [0, 1]"));
        }
    }
    None
}

/// Columns of the run's CSV files that hold names and labels, not numbers.
const TEXT_COLUMNS: [&str; 11] =
    ["class", "category", "level", "outcome", "jobs_hit", "job", "tenant", "state", "size_class", "event", "name"];

/// Every CSV file in `dir`: a header, rows of its width, every numeric cell finite.
fn csv_files(dir: &Path, ws: &str) -> Option<Verdict> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return verdict("output-missing", "output folder");
    };
    let mut names: Vec<_> = entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "csv")).collect();
    names.sort();
    for path in names {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let mut r = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_path(&path).ok()?;
        let width = match r.headers() {
            Ok(h) if !(h.is_empty() || h.len() == 1 && h[0].is_empty()) => h.len(),
            Ok(_) => return verdict("output-bad-csv", format!("{name}: no header")),
            Err(e) => return verdict("output-bad-csv", format!("{name}: {}", normalize(&e.to_string(), ws))),
        };
        let headers = r.headers().ok()?.clone();
        for (i, rec) in r.records().enumerate() {
            let rec = match rec {
                Ok(r) => r,
                Err(e) => return verdict("output-bad-csv", format!("{name}: {}", normalize(&e.to_string(), ws))),
            };
            if rec.len() != width {
                return verdict("output-bad-csv", format!("{name}: a row of {} cells under a header of {width}", rec.len()));
            }
            for (c, cell) in rec.iter().enumerate() {
                // Names a user chose (a class called `NaN`) are text, not numbers.
                if headers.get(c).is_some_and(|h| TEXT_COLUMNS.contains(&h)) {
                    continue;
                }
                if let Ok(x) = cell.trim().parse::<f64>()
                    && !x.is_finite()
                {
                    let col = headers.get(c).unwrap_or("?");
                    let _ = i;
                    return verdict("output-nonfinite", format!("{name} column {}: {cell}", normalize(col, ws)));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_paths_are_found() {
        assert!(question_path("error: x.ron:1:2: field `chip_watts.?`: bad").is_some());
        assert!(question_path("error: x.ron:1:2: field `chip_watts.busy`: why?").is_none());
    }

    #[test]
    fn normalize_folds_digits_and_paths() {
        assert_eq!(normalize("/tmp/w1/a.ron:12:3: got 4.5", "/tmp/w1"), "$WS/a.ron:N:N: got N.N");
    }
}
