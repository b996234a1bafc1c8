//! Sweeps over text values: model files for a whole part (relative to the sweep file)
//! and enum variants; `--set PART=FILE`.

use gigasim::sweep::{self, ParamValue};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_gigasim");

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn gigasim(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), String::from_utf8_lossy(&o.stderr));
}

/// Exit 2 with every one of `says` in the message.
fn refused(o: &Output, says: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{err}");
    for w in says {
        assert!(err.contains(w), "`{w}` not in: {err}");
    }
    err
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `<tmp>/sw/s.ron` sweeping the failure model over two files in `<tmp>/f/` (one with a
/// comma in its name, which the CSV files must quote), named relative to the sweep file.
fn file_sweep(tmp: &Path) -> PathBuf {
    std::fs::create_dir_all(tmp.join("f")).unwrap();
    std::fs::create_dir_all(tmp.join("sw")).unwrap();
    std::fs::copy(repo("models/failure/llama3-54d.ron"), tmp.join("f/llama3-54d.ron")).unwrap();
    std::fs::copy(repo("models/failure/rsc-1.ron"), tmp.join("f/rsc,1.ron")).unwrap();
    let text = format!(
        "(name: \"files\", base: \"{}\", set: [\"horizon_days=1\"],
          parameters: [(path: \"failure\", values: Files([\"../f/llama3-54d.ron\", \"./../f/rsc,1.ron\"]))],
          replications: 3, metrics: [\"ettr\", \"frontier.0.interruptions\"])",
        repo("models/scenarios/factory-25k.ron").display()
    );
    let p = tmp.join("sw/s.ron");
    std::fs::write(&p, text).unwrap();
    p
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sweep", "-q", "--no-charts", "-j", "2", "--out", s(out)];
    args.extend_from_slice(extra);
    args.push(s(file));
    gigasim(&args)
}

#[test]
fn a_file_valued_sweep_runs_and_its_points_differ_as_the_models_do() {
    let tmp = tempfile::tempdir().unwrap();
    let file = file_sweep(tmp.path());
    let out = tmp.path().join("out");
    ok(&sweep(&file, &out, &[]));
    // The values as written, relative to the sweep file (`./` taken out).
    let want = [ParamValue::Text("../f/llama3-54d.ron".into()), ParamValue::Text("../f/rsc,1.ron".into())];
    let (meta, points) = sweep::load_points(&out).unwrap();
    assert_eq!(meta.parameters[0].values, want);
    assert_eq!(meta.parameters[0].file_checksums.len(), 2);
    assert_eq!(points.len(), 2);
    assert_eq!(points[0].values[0], want[0]);
    assert_eq!(points[1].values[0], want[1]);
    // RSC-1's node failures interrupt the frontier job far more often than Llama 3's rates.
    let (llama, rsc) = (&points[0].stats, &points[1].stats);
    assert!(rsc[1].ci_lo > llama[1].ci_hi, "interruptions: llama3 {:?} vs rsc-1 {:?}", llama[1], rsc[1]);
    assert!(rsc[0].ci_hi < llama[0].ci_lo, "ettr: llama3 {:?} vs rsc-1 {:?}", llama[0], rsc[0]);
    // A CSV reader sees plain strings: the comma in a name is quoted, not a new column.
    let mut rdr = csv::Reader::from_path(out.join("runs.csv")).unwrap();
    let col = rdr.headers().unwrap().iter().position(|h| h == "failure").unwrap();
    let cells: Vec<String> = rdr.records().map(|r| r.unwrap()[col].to_string()).collect();
    assert_eq!(cells, ["../f/llama3-54d.ron"; 3].into_iter().chain(["../f/rsc,1.ron"; 3]).collect::<Vec<_>>());
    assert!(read(&out.join("points.csv")).contains("\n1,\"../f/rsc,1.ron\",3,"));
    let o = gigasim(&["check", s(&file)]);
    ok(&o);
}

#[test]
fn resume_and_shards_with_text_values_are_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let file = file_sweep(tmp.path());
    let full = tmp.path().join("full");
    ok(&sweep(&file, &full, &[]));
    let shards: Vec<PathBuf> = (0..2).map(|i| tmp.path().join(format!("shard{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        ok(&sweep(&file, d, &["--shard", &format!("{i}/2")]));
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge", "-q", "--no-charts", "--out", s(&merged)];
    args.extend(shards.iter().map(|d| s(d)));
    ok(&gigasim(&args));
    // A kill after three runs (one of them the quoted name): the journal holds them.
    let killed = tmp.path().join("killed");
    std::fs::create_dir_all(&killed).unwrap();
    std::fs::copy(full.join("sweep.json"), killed.join("sweep.json")).unwrap();
    let runs = read(&full.join("runs.csv"));
    let journal: Vec<&str> = runs.lines().take(1).chain(runs.lines().skip(3).take(3)).collect();
    std::fs::write(killed.join("runs.journal.csv"), journal.join("\n") + "\n").unwrap();
    ok(&sweep(&file, &killed, &[]));
    for f in ["sweep.json", "runs.csv", "points.csv"] {
        assert_eq!(read(&merged.join(f)), read(&full.join(f)), "merged {f}");
        assert_eq!(read(&killed.join(f)), read(&full.join(f)), "resumed {f}");
    }
}

#[test]
fn a_damaged_text_cell_is_refused_like_a_damaged_number() {
    let tmp = tempfile::tempdir().unwrap();
    let file = file_sweep(tmp.path());
    let full = tmp.path().join("full");
    ok(&sweep(&file, &full, &[]));
    let runs = read(&full.join("runs.csv"));
    // Another well-formed value of the grid, and a cut one, in place of point 0's.
    for (bad, says) in [("../f/rsc,1.ron", "\"../f/rsc,1.ron\""), ("../f/llama3", "../f/llama3")] {
        let dir = tmp.path().join("damaged");
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(full.join("sweep.json"), dir.join("sweep.json")).unwrap();
        let row = runs.lines().nth(1).unwrap();
        let damaged = row.replacen("../f/llama3-54d.ron", says, 1);
        assert_ne!(damaged, row, "{bad}");
        std::fs::write(dir.join("runs.csv"), runs.replacen(row, &damaged, 1)).unwrap();
        let before = read(&dir.join("runs.csv"));
        refused(&sweep(&file, &dir, &[]), &["runs.csv:2:", "field `failure`", "is not point 0's value", "allowed: ../f/llama3-54d.ron"]);
        assert_eq!(read(&dir.join("runs.csv")), before, "a refused resume changed runs.csv");
    }
    // The checksum covers text cells too: a changed row with its value intact is found.
    let dir = tmp.path().join("checksum");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(full.join("sweep.json"), dir.join("sweep.json")).unwrap();
    let row = runs.lines().nth(4).unwrap();
    let cells: Vec<&str> = row.rsplitn(2, ',').collect();
    let damaged = format!("{},0000000000000000", cells[1]);
    std::fs::write(dir.join("runs.csv"), runs.replacen(row, &damaged, 1)).unwrap();
    refused(&sweep(&file, &dir, &[]), &["runs.csv:5:", "field `check`", "checksum"]);
}

#[test]
fn a_changed_model_file_makes_another_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let file = file_sweep(tmp.path());
    let full = tmp.path().join("full");
    ok(&sweep(&file, &full, &["--shard", "0/2"]));
    // Same names, other content: its results are not mixed with the earlier ones.
    let f = tmp.path().join("f/llama3-54d.ron");
    std::fs::write(&f, read(&f) + "// edited\n").unwrap();
    refused(&sweep(&file, &full, &["--shard", "0/2"]), &["sweep.json", "different sweep"]);
}

#[test]
fn set_part_file_equals_a_scenario_naming_that_file() {
    let tmp = tempfile::tempdir().unwrap();
    let base = read(&repo("models/scenarios/factory-25k.ron"));
    // The same scenario in another folder, naming the models by absolute path, with the
    // failure and cost models that `--set` gives the first run.
    let abs = |rel: &str| repo(&format!("models/{rel}")).display().to_string();
    let named = base
        .replace("\"../facility/", &format!("\"{}/", abs("facility")))
        .replace("\"../power/", &format!("\"{}/", abs("power")))
        .replace("\"../workload/", &format!("\"{}/", abs("workload")))
        .replace(
            "\"../failure/llama3-54d.ron\"",
            &format!("\"{}\", cost: Some(\"{}\")", abs("failure/rsc-1.ron"), abs("cost/gigafactory-de-hourly.ron")),
        );
    let scen = tmp.path().join("named.ron");
    std::fs::write(&scen, named).unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let o = Command::new(BIN)
        .current_dir(repo(""))
        .args(["run", "models/scenarios/factory-25k.ron", "--horizon-days", "2", "--no-charts", "-q", "--out", s(&a)])
        .args(["--set", "failure=models/failure/rsc-1.ron", "--set", "cost=models/cost/gigafactory-de-hourly.ron"])
        .output()
        .unwrap();
    ok(&o);
    ok(&gigasim(&["run", s(&scen), "--horizon-days", "2", "--no-charts", "-q", "--out", s(&b)]));
    // Byte for byte but for the provenance block (its last), which names other files.
    let results = |p: &Path| {
        let s = read(p);
        s[..s.find(",\n  \"provenance\"").expect("a provenance block")].to_string()
    };
    let summary = results(&a.join("summary.json"));
    assert!(summary.contains("\"Node failure\""), "the failure model was not replaced (RSC-1 names its class so)");
    assert!(summary.contains("\"cost\""), "no cost model");
    assert_eq!(summary, results(&b.join("summary.json")));
}

#[test]
fn a_bad_model_file_is_exit_2_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let scen = repo("models/scenarios/factory-25k.ron");
    let missing = tmp.path().join("nope.ron");
    let o = gigasim(&["run", s(&scen), "--out", s(&tmp.path().join("o")), "--set", &format!("failure={}", missing.display())]);
    refused(&o, &["--set", "field `failure`", "cannot read", s(&missing)]);
    // A file that is not a failure model: named with its line.
    let o = gigasim(&[
        "run",
        s(&scen),
        "--out",
        s(&tmp.path().join("o")),
        "--set",
        &format!("failure={}", repo("models/power/gb200.ron").display()),
    ]);
    refused(&o, &["models/power/gb200.ron:", "field `"]);
    // In a sweep: the sweep file and the value's place.
    let file = file_sweep(tmp.path());
    std::fs::remove_file(tmp.path().join("f/rsc,1.ron")).unwrap();
    refused(&gigasim(&["check", s(&file)]), &["s.ron", "parameters[0].values[1]", "f/rsc,1.ron", "relative to the sweep file"]);
}

#[test]
fn enum_variants_sweep_and_bad_lists_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |values: &str| {
        let text = format!(
            "(name: \"v\", base: \"{}\", set: [\"horizon_days=0.5\"],
              parameters: [(path: \"workload.frontier[0].recovery\", values: {values})],
              replications: 1, metrics: [\"ettr\"])",
            repo("models/scenarios/factory-25k.ron").display()
        );
        let p = tmp.path().join("v.ron");
        std::fs::write(&p, text).unwrap();
        p
    };
    let out = tmp.path().join("out");
    ok(&sweep(&write("List([\"WaitForRepair\", \"PreemptTenants\"])"), &out, &[]));
    assert!(read(&out.join("points.csv")).contains("\n1,PreemptTenants,1,"));
    refused(&gigasim(&["check", s(&write("List([\"WaitForRepair\", \"Sometimes\"])"))]), &["point 1", "Sometimes", "WaitForRepair"]);
    refused(&gigasim(&["check", s(&write("List([\"BorrowFree\", 2])"))]), &["parameters[0].values", "mixes numbers", "allowed"]);
    refused(&gigasim(&["check", s(&write("Files([\"a.ron\"])"))]), &["parameters[0].values", "Files(", "failure"]);
}
