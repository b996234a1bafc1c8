//! Where a result came from: the gigasim version and commit, the seed, every
//! `--set`, and a hash of every file read ([`config::files`]). Written as the
//! `provenance` block of summary.json and sweep.json; the output folder keeps a copy
//! of each file under `inputs/`, so that `gigasim rerun DIR` can run it again from
//! the folder alone.

use crate::config::{self, files::FileRecord};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `provenance` block of summary.json (a run) or sweep.json (a sweep).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The crate version of the gigasim that wrote the result.
    pub version: String,
    /// Its git commit (12 hex digits, `-modified` when built from changed sources),
    /// where the build knew it.
    pub commit: Option<String>,
    /// The master seed the run used (a sweep: its base seed; replication r uses seed + r).
    pub seed: u64,
    /// The file the command was given, as a key of `files`: the scenario (the
    /// built-in default's path when none was given) or the sweep file.
    pub input: String,
    /// Every `--set`, in order.
    pub sets: Vec<String>,
    /// `--horizon-days`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon_days: Option<f64>,
    /// `--trace` and its scales, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceArgs>,
    /// `--replications` of a sweep, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replications: Option<u32>,
    /// Every file read, by its path as the loaders asked for it (relative to the
    /// directory gigasim ran in, or absolute).
    pub files: BTreeMap<String, FileRecord>,
}

/// A job trace given on the command line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceArgs {
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_scale: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_scale: Option<f64>,
}

/// The commit this binary was built from, where known (see build.rs).
pub fn commit() -> Option<String> {
    option_env!("GIGASIM_COMMIT").filter(|c| !c.is_empty()).map(str::to_string)
}

impl Provenance {
    /// A record of this binary, with the files [`config::files`] recorded so far.
    pub fn now(seed: u64, input: &Path, sets: &[String]) -> Self {
        Provenance {
            version: env!("CARGO_PKG_VERSION").to_string(),
            commit: commit(),
            seed,
            input: config::files::key(input),
            sets: sets.to_vec(),
            horizon_days: None,
            trace: None,
            replications: None,
            files: config::files::recorded(),
        }
    }

    /// Write a copy of every recorded file into `dir` (at each record's `copy`),
    /// checking that it still has the bytes that were read.
    pub fn write_copies(&self, dir: &Path) -> Result<Vec<String>> {
        let embedded = config::Embedded::models();
        let mut written = Vec::new();
        for (path, rec) in &self.files {
            let bytes = if rec.builtin {
                use config::Source;
                embedded.read(Path::new(path)).with_context(|| format!("reading the built-in {path}"))?.into_bytes()
            } else {
                let real = config::files::resolve(Path::new(path)).with_context(|| format!("reading {path}"))?;
                std::fs::read(&real).with_context(|| format!("reading {} to keep a copy", real.display()))?
            };
            if config::files::sha256_hex(&bytes) != rec.sha256 {
                anyhow::bail!(config::InputError::new(
                    path.clone(),
                    None,
                    "changed on disk while gigasim ran (its hash differs from what was read); allowed: files left as they are until the run ends"
                ));
            }
            let to = dir.join(&rec.copy);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&to, &bytes).with_context(|| format!("writing {}", to.display()))?;
            written.push(rec.copy.clone());
        }
        Ok(written)
    }

    /// Check the copies in `dir` against the record and map every recorded path to
    /// its copy, for [`config::files::redirect`]. A missing or changed copy is bad
    /// input naming it.
    pub fn copies_in(&self, dir: &Path) -> Result<BTreeMap<String, (PathBuf, bool)>, config::InputError> {
        let mut map = BTreeMap::new();
        for (path, rec) in &self.files {
            if !safe_copy(&rec.copy) {
                return Err(config::InputError::new(
                    dir.display().to_string(),
                    Some(format!("provenance.files.{path}.copy")),
                    format!("`{}` is not a path inside inputs/; allowed: inputs/… as gigasim writes it", rec.copy),
                ));
            }
            let copy = dir.join(&rec.copy);
            let shown = copy.display().to_string();
            let bytes = std::fs::read(&copy).map_err(|e| {
                config::InputError::new(
                    &shown,
                    None,
                    format!("cannot read the copy of {path}: {e}; allowed: the folder as gigasim wrote it"),
                )
            })?;
            if config::files::sha256_hex(&bytes) != rec.sha256 {
                return Err(config::InputError::new(
                    &shown,
                    None,
                    format!(
                        "differs from the {path} the run read (its SHA-256 is not the one recorded); allowed: the copy as the run left it"
                    ),
                ));
            }
            map.insert(path.clone(), (copy, rec.builtin));
        }
        Ok(map)
    }
}

/// The provenance block of a run folder's summary.json or a sweep folder's
/// sweep.json. Missing or damaged is bad input naming the file.
pub fn read(dir: &Path) -> Result<Provenance, config::InputError> {
    let file = if dir.join("sweep.json").exists() { dir.join("sweep.json") } else { dir.join("summary.json") };
    let shown = file.display().to_string();
    // Not through config::read_text: the result is not one of the run's inputs.
    let text = std::fs::read_to_string(&file).map_err(|e| {
        config::InputError::new(&shown, None, format!("cannot read it: {e}; allowed: an output folder of gigasim run, sweep or merge"))
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        config::InputError::new(&shown, None, format!("line {}: not JSON ({e}); allowed: the file as gigasim wrote it", e.line()))
    })?;
    let block = value.get("provenance").ok_or_else(|| {
        config::InputError::new(
            &shown,
            Some("provenance".into()),
            "missing: the folder was written by a gigasim that did not record where its results came from; allowed: a folder written by gigasim 0.1.0 or later with provenance (run it again)",
        )
    })?;
    Provenance::deserialize(block)
        .map_err(|e| config::InputError::new(&shown, Some("provenance".into()), format!("{e}; allowed: the block as gigasim writes it")))
}

/// How one file of a folder compares with the same file of another.
#[derive(Clone, Debug, PartialEq)]
pub enum Same {
    /// Byte for byte.
    Identical,
    /// Only in what a page records of the command that made it and when.
    ButContext,
    /// Only in its `provenance` block (another build of gigasim ran it).
    ButProvenance,
    Differs,
    /// In the first folder only, or the second only.
    OnlyFirst,
    OnlySecond,
}

/// Compare the files two run or sweep folders' manifests list (a sweep folder
/// without one: its sweep.json, runs.csv, points.csv and charts), in the first's order.
pub fn compare_folders(a: &Path, b: &Path) -> Result<Vec<(String, Same)>> {
    let (la, lb) = (listed(a)?, listed(b)?);
    let mut out = Vec::new();
    for n in &la {
        if !lb.contains(n) {
            out.push((n.clone(), Same::OnlyFirst));
            continue;
        }
        // A file the first folder lists but no longer holds is a difference, not an error.
        let (Ok(x), Ok(y)) = (std::fs::read(a.join(n)), std::fs::read(b.join(n))) else {
            out.push((n.clone(), Same::OnlySecond));
            continue;
        };
        let same = if x == y {
            Same::Identical
        } else if n.ends_with(".html") && without_context(&x) == without_context(&y) {
            Same::ButContext
        } else if (n == "summary.json" || n == "sweep.json") && without_provenance(&x) == without_provenance(&y) {
            Same::ButProvenance
        } else {
            Same::Differs
        };
        out.push((n.clone(), same));
    }
    out.extend(lb.iter().filter(|n| !la.contains(n)).map(|n| (n.clone(), Same::OnlySecond)));
    Ok(out)
}

/// The files a folder's manifest lists (not the manifest itself, which lists them);
/// a folder without one (a sweep's): the files a sweep writes that it holds, its
/// charts (not those `gigasim compare` may have put beside them) and its copies.
fn listed(dir: &Path) -> Result<Vec<String>> {
    let m = dir.join(crate::output::MANIFEST);
    if !m.exists() {
        let mut all: Vec<String> = ["sweep.json", "runs.csv", "points.csv", crate::page::PAGE]
            .iter()
            .map(|s| s.to_string())
            .filter(|f| dir.join(f).exists())
            .collect();
        let mut more = Vec::new();
        for sub in ["charts", crate::output::INPUTS] {
            if dir.join(sub).is_dir() {
                walk(&dir.join(sub), &format!("{sub}/"), &mut more)?;
            }
        }
        more.retain(|f| !f.starts_with("charts/compare_"));
        more.sort();
        all.extend(more);
        return Ok(all);
    }
    let text = std::fs::read_to_string(&m).with_context(|| format!("reading {}", m.display()))?;
    let mut all: Vec<String> =
        text.lines().filter(|l| !l.starts_with('#') && !l.is_empty() && *l != crate::output::MANIFEST).map(str::to_string).collect();
    // Charts `gigasim plot` drew after the run are in the folder, not in its manifest.
    if dir.join("charts").is_dir() {
        let mut charts = Vec::new();
        walk(&dir.join("charts"), "charts/", &mut charts)?;
        charts.sort();
        charts.retain(|c| !c.starts_with("charts/compare_") && !all.contains(c));
        all.extend(charts);
    }
    Ok(all)
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) -> Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for e in entries {
        let e = e.with_context(|| format!("reading {}", dir.display()))?;
        let name = format!("{rel}{}", e.file_name().to_string_lossy());
        if e.file_type().with_context(|| format!("reading {}", e.path().display()))?.is_dir() {
            walk(&e.path(), &format!("{name}/"), out)?;
        } else {
            out.push(name);
        }
    }
    Ok(())
}

/// Where a page records its command and time: between these two comments.
pub const CONTEXT_START: &str = "<!-- gigasim:context -->";
pub const CONTEXT_END: &str = "<!-- /gigasim:context -->";

/// summary.json's or sweep.json's text without its `provenance` block (its last key).
fn without_provenance(json: &[u8]) -> Option<serde_json::Value> {
    let mut v: serde_json::Value = serde_json::from_slice(json).ok()?;
    v.as_object_mut()?.remove("provenance");
    Some(v)
}

/// A page's bytes with what lies between [`CONTEXT_START`] and [`CONTEXT_END`] left out.
fn without_context(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let mut out = String::new();
    let mut rest: &str = &text;
    while let Some(i) = rest.find(CONTEXT_START) {
        out += &rest[..i];
        rest = match rest[i..].find(CONTEXT_END) {
            Some(j) => &rest[i + j + CONTEXT_END.len()..],
            None => "",
        };
    }
    out += rest;
    out.into_bytes()
}

/// A copy's path as [`config::files::copy_path`] makes them: under `inputs/`, no
/// `..`, nothing absolute, so a damaged record cannot point outside the folder.
fn safe_copy(rel: &str) -> bool {
    let mut parts = rel.split('/');
    parts.next() == Some("inputs")
        && rel.split('/').skip(1).all(|p| !p.is_empty() && p != "." && p != ".." && !p.contains(['\\', '\0', ':']))
        && rel.split('/').count() > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_inside_inputs_are_copies() {
        assert!(safe_copy("inputs/models/a.ron"));
        assert!(safe_copy("inputs/_root/t.csv"));
        for bad in ["inputs", "inputs/../x", "/etc/passwd", "models/a.ron", "inputs//a", "inputs/a/./b"] {
            assert!(!safe_copy(bad), "{bad}");
        }
    }
}
