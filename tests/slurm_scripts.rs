//! `gigasim slurm`: the scripts' text, bad input, and the scripts run end to end
//! against a stand-in `sbatch`/`squeue` (scripts/slurm-test.sh runs them on a real Slurm).

use gigasim::slurm::{Plan, parse_name, parse_time, quote};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_gigasim");

fn plan() -> Plan {
    Plan {
        gigasim: "/opt/gigasim/bin/gigasim".into(),
        sweep: "/home/a b/it's/sweep.ron".into(),
        out: "/scratch/out dir's".into(),
        name: "ckpt".into(),
        tasks: 4,
        cpus_per_task: 2,
        time: Some("01:30:00".into()),
        partition: Some("gpu".into()),
        account: Some("proj-1".into()),
        mem_mb: Some(2048),
        sweep_args: vec!["--horizon-days=3".into(), "--set=name=a b".into()],
        workdir: "/home/a b".into(),
    }
}

fn script(p: &Plan, name: &str) -> String {
    p.scripts().into_iter().find(|s| s.0 == name).unwrap_or_else(|| panic!("no {name}")).1
}

fn bash_n(text: &str) -> Output {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("s.sh");
    std::fs::write(&f, text).unwrap();
    Command::new("bash").arg("-n").arg(&f).output().unwrap()
}

#[test]
fn bash_accepts_every_script() {
    let mut bare = plan();
    (bare.time, bare.partition, bare.account, bare.mem_mb, bare.sweep_args) = (None, None, None, None, vec![]);
    for p in [plan(), bare] {
        let scripts = p.scripts();
        assert_eq!(scripts.iter().map(|s| s.0).collect::<Vec<_>>(), gigasim::slurm::SCRIPTS);
        for (name, text) in scripts {
            let out = bash_n(&text);
            assert!(out.status.success(), "{name}: {}\n{text}", String::from_utf8_lossy(&out.stderr));
            assert!(text.starts_with("#!/usr/bin/env bash\n# "), "{name} starts with a header comment");
            assert!(text.contains("set -euo pipefail\n"), "{name}");
        }
    }
}

#[test]
fn the_array_has_one_task_per_shard_and_passes_the_options_on() {
    let p = plan();
    let a = script(&p, "array.sh");
    assert!(a.contains("#SBATCH --array=0-3\n"), "{a}");
    assert!(a.contains("--shard \"$task/4\" --jobs 2 "), "{a}");
    assert!(a.contains("#SBATCH --cpus-per-task=2\n"));
    assert!(a.contains("#SBATCH --time=01:30:00\n#SBATCH --partition=gpu\n#SBATCH --account=proj-1\n#SBATCH --mem=2048M\n"), "{a}");
    assert!(a.contains("#SBATCH --output=logs/array-%A_%a.out\n"));
    // Paths and values with spaces and quotes are single-quoted.
    assert!(a.contains("exec /opt/gigasim/bin/gigasim sweep '/home/a b/it'\\''s/sweep.ron' "), "{a}");
    assert!(a.contains("out='/scratch/out dir'\\''s/shards'/\"$task\"\n"), "{a}");
    assert!(a.trim_end().ends_with("--horizon-days=3 '--set=name=a b'"), "{a}");
    // Without the options, no #SBATCH line for them.
    let mut bare = plan();
    (bare.time, bare.partition, bare.account, bare.mem_mb) = (None, None, None, None);
    let b = script(&bare, "array.sh");
    for opt in ["--time", "--partition", "--account", "--mem"] {
        assert!(!b.contains(&format!("#SBATCH {opt}")), "{opt}: {b}");
    }
}

#[test]
fn the_merge_waits_with_afterany_and_checks_every_shard() {
    let p = plan();
    let submit = script(&p, "submit.sh");
    assert!(submit.contains("merge=$(sbatch --parsable --dependency=afterany:\"$array\" merge.sh)"), "{submit}");
    assert!(submit.contains("cd '/scratch/out dir'\\''s/slurm'\n"), "{submit}");
    let merge = script(&p, "merge.sh");
    assert!(merge.contains("for ((i = 0; i < 4; i++)); do"), "{merge}");
    assert!(merge.contains("--out '/scratch/out dir'\\''s/result'"), "{merge}");
    let resubmit = script(&p, "resubmit.sh");
    assert!(resubmit.contains("array=$(sbatch --parsable --array=\"$ids\" array.sh)"), "{resubmit}");
    assert!(resubmit.contains("--dependency=afterany:\"$array\" merge.sh"), "{resubmit}");
    for (name, text) in p.scripts() {
        assert!(!text.contains("--dependency=afterok"), "{name} must not wait with afterok: a failed task would stop the merge for good");
    }
}

#[test]
fn quoted_words_come_back_unchanged_through_bash() {
    for s in ["plain/path.ron", "a b", "it's", "'", "\"$HOME\" `x` \\ ;|&", "", "*?[a]", "--set=x=[1, 2]", "é ü"] {
        let out = Command::new("bash").arg("-c").arg(format!("printf %s {}", quote(s))).output().unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), s, "quote({s:?}) = {}", quote(s));
    }
}

#[test]
fn a_line_break_in_the_name_cannot_end_a_comment() {
    let mut p = plan();
    p.name = "x\ntouch /tmp/owned".into();
    for (name, text) in p.scripts() {
        assert!(!text.lines().any(|l| l.starts_with("touch")), "{name}: {text}");
    }
}

#[test]
fn time_limits_and_names() {
    for ok in ["04:00:00", "00:00:01", "1-12:00:00", "48:30:59", "0-00:01:00"] {
        assert_eq!(parse_time(ok).as_deref(), Ok(ok));
    }
    for bad in ["", "4", "4:00", "04:60:00", "04:00:60", "00:00:00", "0-00:00:00", "1-", "-1:00:00", "a:00:00", "04:0:00", "1 -04:00:00"] {
        let e = parse_time(bad).unwrap_err();
        assert!(e.contains("allowed: HH:MM:SS or D-HH:MM:SS"), "{bad}: {e}");
    }
    assert!(parse_name("gpu,cpu").is_ok());
    for bad in ["", "a b", "a\nb", "x;y", "$(id)", &"p".repeat(65)] {
        assert!(parse_name(bad).is_err(), "{bad:?}");
    }
}

/// A sweep of 2 points × 2 replications on the 25k-chip site, three days each (fast).
fn sweep_file(dir: &Path) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/scenarios/factory-25k.ron");
    let p = dir.join("sweep.ron");
    std::fs::write(
        &p,
        format!(
            "(name: \"s\", base: {:?}, set: [\"horizon_days=3\"],
              parameters: [(path: \"workload.frontier[0].checkpoint.interval_hours\", values: List([0.25, 0.5]))],
              replications: 2, metrics: [\"ettr\"])",
            base.display().to_string()
        ),
    )
    .unwrap();
    p
}

fn gigasim(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn bad_input_is_exit_2_naming_the_flag_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = sweep_file(tmp.path());
    let s = sweep.to_str().unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--tasks", "0"], "--tasks"),
        (&["--tasks", "many"], "--tasks"),
        (&["--cpus-per-task", "0"], "--cpus-per-task"),
        (&["--time", "1:00"], "--time"),
        (&["--partition", "a b"], "--partition"),
        (&["--account", "x;y"], "--account"),
        (&["--mem", "0"], "--mem"),
        (&["--horizon-days", "-1"], "--horizon-days"),
        (&["--set", "no.such.field=1"], "--set"),
        (&["--set", "workload.frontier[0].checkpoint.interval_hours=1"], "--set"),
        (&["--gigasim", "/no/such/gigasim"], "--gigasim"),
    ];
    for (extra, flag) in cases {
        let mut args = vec!["slurm", s, "--out", o];
        args.extend_from_slice(extra);
        let r = gigasim(&args);
        assert_eq!(r.status.code(), Some(2), "{extra:?}: {}", text(&r.stderr));
        assert!(text(&r.stderr).contains(flag), "{extra:?} names {flag}: {}", text(&r.stderr));
        assert!(!out.exists(), "{extra:?} wrote {}", out.display());
    }
    let r = gigasim(&["slurm", "/no/such/sweep.ron", "--out", o]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("/no/such/sweep.ron"), "{}", text(&r.stderr));
    assert!(!out.exists());
}

#[test]
fn more_tasks_than_runs_are_cut_to_the_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = sweep_file(tmp.path());
    let out = tmp.path().join("out");
    let r = gigasim(&["slurm", sweep.to_str().unwrap(), "--out", out.to_str().unwrap(), "--tasks", "9"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("warning: --tasks 9 is more than the sweep's 4 runs"), "{}", text(&r.stderr));
    let array = std::fs::read_to_string(out.join("slurm/array.sh")).unwrap();
    assert!(array.contains("#SBATCH --array=0-3\n") && array.contains("--shard \"$task/4\""), "{array}");
    assert!(text(&r.stdout).contains("submit with: bash "), "{}", text(&r.stdout));
}

#[test]
fn a_shard_of_another_sweep_in_out_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = sweep_file(tmp.path());
    let out = tmp.path().join("out");
    let (s, o) = (sweep.to_str().unwrap(), out.to_str().unwrap());
    let shard = out.join("shards/0");
    let r = gigasim(&["sweep", s, "--shard", "0/2", "--out", shard.to_str().unwrap(), "-q"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    // The same sweep: its shards resume.
    assert_eq!(gigasim(&["slurm", s, "--out", o, "--tasks", "2"]).status.code(), Some(0));
    let r = gigasim(&["slurm", s, "--out", o, "--tasks", "2", "--set", "seed=9"]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("shards/0/sweep.json") && text(&r.stderr).contains("another --out"), "{}", text(&r.stderr));
}

/// Runs a script with stand-ins for sbatch (logs its arguments, prints a job id as
/// `sbatch --parsable` does) and squeue (prints `$FAKE_ACTIVE`: jobs still queued).
fn run(script: &Path, fake: &Path, env: &[(&str, &str)]) -> Output {
    let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap_or_default());
    let mut c = Command::new("bash");
    c.arg(script).env("PATH", path).env("FAKE_LOG", fake.join("sbatch.log"));
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn fakes(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("sbatch"),
        "#!/usr/bin/env bash\necho \"$*\" >> \"$FAKE_LOG\"\necho \"$(( $(wc -l < \"$FAKE_LOG\") + 100 ));cluster\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("squeue"), "#!/usr/bin/env bash\necho -n \"${FAKE_ACTIVE:-}\"\n").unwrap();
    for f in ["sbatch", "squeue"] {
        Command::new("chmod").arg("+x").arg(dir.join(f)).status().unwrap();
    }
}

#[test]
fn a_failed_task_is_named_by_the_merge_resubmitted_alone_and_merged() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = sweep_file(tmp.path());
    let out = tmp.path().join("out dir's");
    let fake = tmp.path().join("fake");
    fakes(&fake);
    let r = gigasim(&["slurm", sweep.to_str().unwrap(), "--out", out.to_str().unwrap(), "--tasks", "2", "--gigasim", BIN]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let dir = out.join("slurm");
    let log = || std::fs::read_to_string(fake.join("sbatch.log")).unwrap_or_default();

    let r = run(&dir.join("submit.sh"), &fake, &[]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert_eq!(log(), "--parsable array.sh\n--parsable --dependency=afterany:101 merge.sh\n");
    assert_eq!(std::fs::read_to_string(dir.join("jobs.txt")).unwrap(), "array 101\nmerge 102\n");

    // Task 0 finishes, task 1 never runs: the merge names task 1 and merges nothing.
    let r = run(&dir.join("array.sh"), &fake, &[("SLURM_ARRAY_TASK_ID", "0")]);
    assert!(r.status.success(), "{}{}", text(&r.stdout), text(&r.stderr));
    let r = run(&dir.join("merge.sh"), &fake, &[]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stderr));
    assert!(text(&r.stderr).contains("resubmit task ids 1;"), "{}", text(&r.stderr));
    assert!(!out.join("result/runs.csv").exists());

    // While a job of the submission is queued, resubmit.sh refuses and submits nothing.
    let r = run(&dir.join("resubmit.sh"), &fake, &[("FAKE_ACTIVE", "101")]);
    assert_eq!(r.status.code(), Some(1));
    assert!(text(&r.stderr).contains("still queued or running"), "{}", text(&r.stderr));
    assert_eq!(log().lines().count(), 2);

    let r = run(&dir.join("resubmit.sh"), &fake, &[]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(log().ends_with("--parsable --array=1 array.sh\n--parsable --dependency=afterany:103 merge.sh\n"), "{}", log());
    assert!(text(&r.stdout).contains("resubmitted task ids 1 of 0-1"), "{}", text(&r.stdout));

    let r = run(&dir.join("array.sh"), &fake, &[("SLURM_ARRAY_TASK_ID", "1")]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let r = run(&dir.join("merge.sh"), &fake, &[]);
    assert!(r.status.success(), "{}", text(&r.stderr));

    // Byte for byte what one unsharded sweep writes.
    let local = tmp.path().join("local");
    let r = gigasim(&["sweep", sweep.to_str().unwrap(), "--out", local.to_str().unwrap(), "-q", "--no-charts"]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    for f in ["runs.csv", "points.csv", "sweep.json"] {
        assert_eq!(std::fs::read(out.join("result").join(f)).unwrap(), std::fs::read(local.join(f)).unwrap(), "{f}");
    }

    // Nothing left to run: resubmit.sh submits the merge alone.
    let r = run(&dir.join("resubmit.sh"), &fake, &[]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(log().ends_with("--parsable merge.sh\n"), "{}", log());

    // A task id outside the array is refused before anything runs.
    let r = run(&dir.join("array.sh"), &fake, &[("SLURM_ARRAY_TASK_ID", "2")]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r.stderr));
}
