//! Provenance: summary.json names the build, the seed, every `--set` and a SHA-256 of
//! every file read; the run folder keeps a copy of each in `inputs/`; and
//! `gigasim rerun DIR` gives every file back byte for byte from the folder alone.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gigasim");

fn exec(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(dir).stdin(Stdio::null()).output().unwrap()
}

fn ok(args: &[&str], dir: &Path) -> Output {
    let out = exec(args, dir);
    assert!(out.status.success(), "gigasim {args:?}: {}{}", text(&out.stdout), text(&out.stderr));
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn provenance(dir: &Path) -> serde_json::Value {
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    s["provenance"].clone()
}

/// SHA-256 by coreutils, not by the code under test.
fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().expect("sha256sum (coreutils) runs");
    text(&out.stdout).split_whitespace().next().unwrap().to_string()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A copy of models/ whose 25k scenario names the hourly-price cost model, run with a
/// job trace: scenario, four models, cost, price series and trace are all read.
fn site_with_every_kind_of_file(tmp: &Path) -> PathBuf {
    let models = tmp.join("models");
    for sub in ["scenarios", "facility", "failure", "power", "workload", "cost", "energy", "traces"] {
        copy_tree(&repo().join("models").join(sub), &models.join(sub));
    }
    let scen = models.join("scenarios/factory-25k.ron");
    let text = std::fs::read_to_string(&scen).unwrap();
    let marker = "workload:";
    let at = text.find(marker).expect("the scenario names its workload");
    let text = format!("{}cost: Some(\"../cost/gigafactory-de-hourly.ron\"),\n    {}", &text[..at], &text[at..]);
    std::fs::write(&scen, text).unwrap();
    scen
}

#[test]
fn summary_records_version_seed_sets_and_a_hash_of_every_file_read() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = site_with_every_kind_of_file(tmp.path());
    ok(
        &[
            "run",
            "models/scenarios/factory-25k.ron",
            "--horizon-days",
            "3",
            "--seed",
            "7",
            "--set",
            "failure.repair.crews=5",
            "--trace",
            "models/traces/philly-excerpt.csv",
            "--out",
            "out",
            "-q",
            "--no-charts",
        ],
        tmp.path(),
    );
    let out = tmp.path().join("out");
    let p = provenance(&out);
    assert_eq!(p["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(p["seed"], 7);
    assert_eq!(p["sets"], serde_json::json!(["failure.repair.crews=5"]));
    assert_eq!(p["horizon_days"], 3.0);
    assert_eq!(p["input"], "models/scenarios/factory-25k.ron");
    assert_eq!(p["trace"]["file"], "models/traces/philly-excerpt.csv");
    let files = p["files"].as_object().unwrap();
    let roles: Vec<&str> = files.values().map(|f| f["role"].as_str().unwrap_or("?")).collect();
    for role in ["scenario", "facility", "failure", "power", "workload", "cost", "prices", "trace"] {
        assert!(roles.contains(&role), "no file read as {role}: {roles:?}");
    }
    assert_eq!(files.len(), 8, "{:?}", files.keys().collect::<Vec<_>>());
    for (path, f) in files {
        let original = tmp.path().join(path);
        assert_eq!(f["sha256"].as_str().unwrap(), sha256sum(&original), "{path}");
        assert_eq!(f["bytes"].as_u64().unwrap(), std::fs::metadata(&original).unwrap().len(), "{path}");
        let copy = out.join(f["copy"].as_str().unwrap());
        assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&original).unwrap(), "copy of {path}");
    }
    assert!(scen.exists());
}

#[test]
fn rerun_from_the_folder_alone_gives_every_file_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    site_with_every_kind_of_file(tmp.path());
    let args = [
        "run",
        "models/scenarios/factory-25k.ron",
        "--horizon-days",
        "2",
        "--set",
        "workload.frontier[0].checkpoint.interval_hours=0.5",
        "--trace",
        "models/traces/philly-excerpt.csv",
        "--trace-time-scale",
        "0.5",
        "--out",
        "out",
        "-q",
    ];
    ok(&args, tmp.path());
    // Nothing but the folder is left: the models it read are gone.
    std::fs::remove_dir_all(tmp.path().join("models")).unwrap();
    let out = ok(&["rerun", "out", "--out", "again"], tmp.path());
    let said = text(&out.stdout);
    assert!(said.contains("files identical"), "{said}");
    let listed = std::fs::read_to_string(tmp.path().join("out/.gigasim-manifest")).unwrap();
    let mut n = 0;
    for name in listed.lines().filter(|l| !l.starts_with('#')) {
        let (a, b) = (tmp.path().join("out").join(name), tmp.path().join("again").join(name));
        if name.ends_with(".html") {
            continue; // its command and time differ by design; rerun checks the rest
        }
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{name}");
        n += 1;
    }
    assert!(n > 20, "only {n} files compared");
}

#[test]
fn the_built_in_default_scenario_reruns_too() {
    let tmp = tempfile::tempdir().unwrap();
    ok(&["--horizon-days", "1", "--out", "d", "-q", "--no-charts"], tmp.path());
    let p = provenance(&tmp.path().join("d"));
    assert!(p["files"].as_object().unwrap().values().all(|f| f["builtin"] == true), "{p}");
    let out = ok(&["rerun", "d"], tmp.path());
    assert!(text(&out.stdout).contains("files identical"), "{}", text(&out.stdout));
}

#[test]
fn a_changed_result_or_copy_is_found() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = repo().join("models/scenarios/factory-25k.ron").display().to_string();
    ok(&["run", &scen, "--horizon-days", "2", "--out", "r", "-q", "--no-charts"], tmp.path());
    let power = tmp.path().join("r/power.csv");
    let mut bytes = std::fs::read(&power).unwrap();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'1' { b'2' } else { b'1' };
    std::fs::write(&power, &bytes).unwrap();
    let out = exec(&["rerun", "r"], tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("differs in 1 of") && text(&out.stderr).contains("power.csv"), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("power.csv") && text(&out.stdout).contains("DIFFERS"), "{}", text(&out.stdout));

    // A copy that is not what the run read: refused before anything runs.
    let p = provenance(&tmp.path().join("r"));
    let (_, f) = p["files"].as_object().unwrap().iter().find(|(_, f)| f["role"] == "failure").unwrap();
    let copy = tmp.path().join("r").join(f["copy"].as_str().unwrap());
    std::fs::write(&copy, std::fs::read_to_string(&copy).unwrap() + "\n// edited\n").unwrap();
    let out = exec(&["rerun", "r"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(copy.file_name().unwrap().to_str().unwrap()), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("SHA-256"), "{}", text(&out.stderr));
}

#[test]
fn rerun_refuses_its_own_folder_and_folders_without_provenance() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = repo().join("models/scenarios/factory-25k.ron").display().to_string();
    ok(&["run", &scen, "--horizon-days", "1", "--out", "r", "-q", "--no-charts"], tmp.path());
    let out = exec(&["rerun", "r", "--out", "r"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--out"), "{}", text(&out.stderr));

    let summary = tmp.path().join("r/summary.json");
    let s = std::fs::read_to_string(&summary).unwrap();
    let cut = s.find(",\n  \"provenance\"").unwrap();
    std::fs::write(&summary, format!("{}\n}}\n", &s[..cut])).unwrap();
    let out = exec(&["rerun", "r"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("provenance"), "{}", text(&out.stderr));
}

#[test]
fn inputs_of_an_earlier_run_are_replaced_and_a_users_own_are_never_touched() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = repo().join("models/scenarios/factory-25k.ron").display().to_string();
    ok(&["run", &scen, "--horizon-days", "1", "--out", "r", "-q", "--no-charts"], tmp.path());
    let before: Vec<PathBuf> = walk(&tmp.path().join("r/inputs"));
    assert!(before.len() >= 5, "{before:?}");
    // The default scenario reads other files: only they are in inputs/ afterwards.
    ok(&["--horizon-days", "1", "--out", "r", "-q", "--no-charts"], tmp.path());
    let p = provenance(&tmp.path().join("r"));
    let copies: Vec<PathBuf> =
        p["files"].as_object().unwrap().values().map(|f| tmp.path().join("r").join(f["copy"].as_str().unwrap())).collect();
    let mut after = walk(&tmp.path().join("r/inputs"));
    after.sort();
    let mut want = copies.clone();
    want.sort();
    assert_eq!(after, want);

    // A folder of the user's called inputs/ is refused, and left as it was.
    let mine = tmp.path().join("mine");
    std::fs::create_dir_all(mine.join("inputs")).unwrap();
    std::fs::write(mine.join("inputs/notes.txt"), "mine").unwrap();
    let out = exec(&["run", &scen, "--horizon-days", "1", "--out", "mine", "-q", "--no-charts"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("inputs"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(mine.join("inputs/notes.txt")).unwrap(), "mine");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// A two-point, two-replication sweep of the 25k site over one day, in `dir`.
fn tiny_sweep(dir: &Path) -> PathBuf {
    let base = repo().join("models/scenarios/factory-25k.ron");
    let file = dir.join("tiny.ron");
    std::fs::write(
        &file,
        format!(
            "(name: \"tiny\", base: {:?}, set: [\"horizon_days=1\"],\n parameters: [(path: \"failure.repair.crews\", values: List([2, 8]))],\n replications: 2, metrics: [\"goodput\", \"ettr\"])\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    file
}

#[test]
fn a_sweep_records_its_files_and_reruns_as_do_its_merged_shards() {
    let tmp = tempfile::tempdir().unwrap();
    tiny_sweep(tmp.path());
    ok(&["sweep", "tiny.ron", "--out", "whole", "-q", "--no-charts", "--jobs", "1"], tmp.path());
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tmp.path().join("whole/sweep.json")).unwrap()).unwrap();
    let p = &meta["provenance"];
    assert_eq!(p["input"], "tiny.ron");
    let files = p["files"].as_object().unwrap();
    assert_eq!(files["tiny.ron"]["role"], "sweep");
    assert_eq!(files["tiny.ron"]["sha256"].as_str().unwrap(), sha256sum(&tmp.path().join("tiny.ron")));
    assert!(files.values().any(|f| f["role"] == "failure"), "{p}");
    for f in files.values() {
        assert!(tmp.path().join("whole").join(f["copy"].as_str().unwrap()).is_file(), "{f}");
    }
    for shard in ["0/2", "1/2"] {
        let out = format!("s{}", &shard[..1]);
        ok(&["sweep", "tiny.ron", "--shard", shard, "--out", &out, "-q", "--no-charts"], tmp.path());
    }
    ok(&["merge", "s0", "s1", "--out", "merged", "-q", "--no-charts"], tmp.path());
    for name in ["sweep.json", "runs.csv", "points.csv", "inputs/tiny.ron"] {
        assert_eq!(
            std::fs::read(tmp.path().join("whole").join(name)).unwrap(),
            std::fs::read(tmp.path().join("merged").join(name)).unwrap(),
            "{name}"
        );
    }
    // The sweep file is gone: the folders alone are run again.
    std::fs::remove_file(tmp.path().join("tiny.ron")).unwrap();
    for dir in ["whole", "merged"] {
        let out = ok(&["rerun", dir], tmp.path());
        assert!(text(&out.stdout).contains("files identical"), "{dir}: {}", text(&out.stdout));
    }
}

#[test]
fn rerun_tells_a_missing_file_charts_drawn_later_and_another_builds_provenance_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = repo().join("models/scenarios/factory-25k.ron").display().to_string();
    ok(&["run", &scen, "--horizon-days", "1", "--out", "r", "-q", "--no-charts"], tmp.path());
    // Charts drawn later by `gigasim plot` are not the run's: the rerun draws none either.
    ok(&["plot", "r"], tmp.path());
    ok(&["rerun", "r", "-q"], tmp.path());

    // Another build: only provenance differs, which is said and not counted against it.
    let summary = tmp.path().join("r/summary.json");
    let s = std::fs::read_to_string(&summary).unwrap();
    let commit = serde_json::to_string(&provenance(&tmp.path().join("r"))["commit"]).unwrap();
    std::fs::write(&summary, s.replacen(&format!("\"commit\": {commit}"), "\"commit\": \"0123456789ab\"", 1)).unwrap();
    let out = ok(&["rerun", "r"], tmp.path());
    assert!(text(&out.stdout).contains("but for its provenance"), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("warning"), "{}", text(&out.stderr));

    // A file the folder no longer holds is named in the table, not an I/O error.
    std::fs::remove_file(tmp.path().join("r/failures.csv")).unwrap();
    let out = exec(&["rerun", "r"], tmp.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("failures.csv: MISSING from the folder"), "{}", text(&out.stdout));
}

#[test]
fn a_shard_is_not_rerun_and_no_rerun_lands_inside_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    tiny_sweep(tmp.path());
    ok(&["sweep", "tiny.ron", "--shard", "0/2", "--out", "s0", "-q", "--no-charts"], tmp.path());
    let out = exec(&["rerun", "s0"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("shard"), "{}", text(&out.stderr));

    ok(&["sweep", "tiny.ron", "--out", "w", "-q", "--no-charts"], tmp.path());
    let out = exec(&["rerun", "w", "--out", "w/again"], tmp.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!tmp.path().join("w/again").exists());
    // A file of the user's beside the sweep's is no difference.
    std::fs::write(tmp.path().join("w/notes.txt"), "mine").unwrap();
    ok(&["rerun", "w", "-q"], tmp.path());
}
