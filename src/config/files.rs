//! The files a command read, for the provenance of its results, and where
//! `gigasim rerun` reads them from instead.
//!
//! Every model, sweep, trace and price file goes through [`super::read_input`] (the
//! built-in models through [`super::Embedded`]), which reports here. Recording is off
//! unless [`record`] turned it on: the `gigasim` binary does, once, before it reads
//! anything; a library user who wants a log calls it too. The log is process-wide
//! because the loaders are called from deep inside (a sweep's worker threads load
//! file-valued points), and a command is one process.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// One file read: by the path the loader asked for (lexically normalised, `/`-separated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    /// What the file was read as: `scenario`, `facility`, `failure`, `power`,
    /// `workload`, `cost`, `sweep`, `trace`, `failure trace`, `prices`; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
    pub bytes: u64,
    /// Compiled into the binary (the built-in default scenario), not read from disk.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub builtin: bool,
    /// Where the output folder keeps a copy, relative to it (`inputs/…`).
    pub copy: String,
}

static LOG: Mutex<Option<BTreeMap<String, FileRecord>>> = Mutex::new(None);
static REDIRECT: OnceLock<BTreeMap<String, (PathBuf, bool)>> = OnceLock::new();

/// Start recording the files read (a second call keeps what was recorded).
pub fn record() {
    let mut log = LOG.lock().unwrap_or_else(|p| p.into_inner());
    log.get_or_insert_with(BTreeMap::new);
}

/// The files read since [`record`], by path; empty when not recording.
pub fn recorded() -> BTreeMap<String, FileRecord> {
    LOG.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_default()
}

/// Read every file from a copy instead: `map` takes a recorded path to the copy and
/// whether it was built in. A path not in `map` cannot be read at all, so a rerun
/// uses nothing but the copies. Set once per process (`gigasim rerun`); later calls
/// are ignored and return false.
pub fn redirect(map: BTreeMap<String, (PathBuf, bool)>) -> bool {
    REDIRECT.set(map).is_ok()
}

/// The file to open for `path`: itself, or its copy under [`redirect`].
pub(crate) fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    match REDIRECT.get() {
        None => Ok(path.to_path_buf()),
        Some(map) => map.get(&key(path)).map(|(p, _)| p.clone()).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not among the files the run recorded (rerun reads only the copies in the folder's inputs/)",
            )
        }),
    }
}

/// Note that `path` was read and gave `bytes`.
pub(crate) fn note(path: &Path, bytes: &[u8], builtin: bool) {
    let mut log = LOG.lock().unwrap_or_else(|p| p.into_inner());
    let Some(log) = log.as_mut() else { return };
    let k = key(path);
    // Under a redirect the copy stands for the file recorded, built in or not.
    let builtin = builtin || REDIRECT.get().and_then(|m| m.get(&k)).is_some_and(|(_, b)| *b);
    let sha256 = sha256_hex(bytes);
    let copy = copy_path(&k);
    log.entry(k).or_insert(FileRecord { role: None, sha256, bytes: bytes.len() as u64, builtin, copy });
}

/// Say what a file read was read as (the first role given stays).
pub fn label(path: &Path, role: &str) {
    let mut log = LOG.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = log.as_mut().and_then(|l| l.get_mut(&key(path)))
        && r.role.is_none()
    {
        r.role = Some(role.to_string());
    }
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A path as the log keys it: `a/./b/../c` → `a/c`, `/`-separated.
pub fn key(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let absolute = path.has_root();
    for c in path.components() {
        match c {
            Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            Component::ParentDir => parts.push("..".into()),
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    let joined = parts.join("/");
    if absolute { format!("/{joined}") } else { joined }
}

/// Where an output folder keeps its copy of the file at `key`, relative to the
/// folder: `inputs/` and the path, with `..` as `_up` and an absolute path under
/// `_root/`, so that no copy lands outside `inputs/` and the layout of the files
/// beside each other is kept. A name of the path's own that starts with `_` gets one
/// more, so two paths never share a copy (`up/x`, `../x` and `_up/x` stay apart).
pub fn copy_path(key: &str) -> String {
    let (prefix, rest) = match key.strip_prefix('/') {
        Some(r) => ("inputs/_root/", r),
        None => ("inputs/", key),
    };
    let parts: Vec<String> = rest
        .split('/')
        .map(|p| match p {
            ".." => "_up".to_string(),
            p if p.starts_with('_') => format!("_{p}"),
            p => p.to_string(),
        })
        .collect();
    format!("{prefix}{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_normalised_and_copies_stay_inside_inputs() {
        assert_eq!(key(Path::new("models/sweeps/../scenarios/./a.ron")), "models/scenarios/a.ron");
        assert_eq!(key(Path::new("../../x/y.ron")), "../../x/y.ron");
        assert_eq!(key(Path::new("/data/../t.csv")), "/t.csv");
        assert_eq!(copy_path("models/scenarios/a.ron"), "inputs/models/scenarios/a.ron");
        assert_eq!(copy_path("../../x/y.ron"), "inputs/_up/_up/x/y.ron");
        assert_eq!(copy_path("/t.csv"), "inputs/_root/t.csv");
        // No two paths share a copy.
        let paths = ["../x", "up/x", "_up/x", "__up/x", "/x", "root/x", "_root/x", "x"];
        let copies: std::collections::BTreeSet<String> = paths.iter().map(|p| copy_path(p)).collect();
        assert_eq!(copies.len(), paths.len(), "{copies:?}");
    }

    #[test]
    fn sha256_matches_the_standard_vector() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
