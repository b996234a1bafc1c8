//! Output folders: a run checks its folder is writable before simulating, replaces
//! exactly the files of the run before it (kept in a manifest) and nothing else, and a
//! failure part-way (a full disk, a file in the way) leaves the earlier run as it was,
//! with no `.partial` or staging folder behind. Every I/O error names its path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use gigasim::output::{MANIFEST, STAGING};

const BIN: &str = env!("CARGO_BIN_EXE_gigasim");

fn exec(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(dir).stdin(Stdio::null()).output().unwrap()
}

fn ok(args: &[&str], dir: &Path) -> Output {
    let out = exec(args, dir);
    assert!(out.status.success(), "gigasim {args:?}: {}", stderr(&out));
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scenario() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/scenarios/factory-25k.ron").display().to_string()
}

/// `gigasim run factory-25k` for `days` at `seed` into `out`, with `extra` options.
fn run_args(out: &str, seed: u64, days: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["run", &scenario(), "--horizon-days", days, "--seed", &seed.to_string(), "--out", out, "-q"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `tree` with what report.html says of the command and the time (between its
/// context comments) dropped: the rest of the page is a function of the folder.
fn without_context(mut t: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    use gigasim::provenance::{CONTEXT_END, CONTEXT_START};
    if let Some(page) = t.get_mut("report.html") {
        let text = String::from_utf8_lossy(page).into_owned();
        let (a, b) = (text.find(CONTEXT_START).expect("the page marks its context"), text.find(CONTEXT_END).expect("and its end"));
        assert!(text[a..b].contains("Command") && text[a..b].contains("Written at"), "the command and time are inside the marks");
        *page = format!("{}{}", &text[..a], &text[b..]).into_bytes();
    }
    t
}

/// Every file under `dir` (relative path → bytes), and every folder (`path/` → empty).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            if p.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(root, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

fn names(t: &BTreeMap<String, Vec<u8>>) -> Vec<&str> {
    t.keys().map(String::as_str).collect()
}

/// The files the manifest in `dir` lists, sorted.
fn manifest(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
    let mut v: Vec<String> = text.lines().filter(|l| !l.starts_with('#')).map(str::to_string).collect();
    v.sort();
    v
}

/// The files under `dir` (no folders), sorted, but those in `skip` folders.
fn files_under(dir: &Path, skip: &[&str]) -> Vec<String> {
    tree(dir).into_keys().filter(|k| !k.ends_with('/') && !skip.iter().any(|s| k.starts_with(s))).collect()
}

fn no_leftovers(dir: &Path) {
    for k in tree(dir).keys() {
        assert!(!k.contains(".partial") && !k.contains(STAGING) && !k.contains(".gigasim-probe"), "{k} left in {}", dir.display());
    }
}

#[test]
fn an_unwritable_out_is_refused_before_simulating() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    std::fs::write(t.join("file"), "a file, not a folder").unwrap();
    // Root writes through permission bits, so the folder is made unwritable otherwise:
    // it would have to be created inside a file.
    let default_run = ["--no-charts", "-q", "--out"];
    let started = Instant::now();
    let refused = exec(&[&default_run[..], &["file/sub"]].concat(), t);
    let refused_in = started.elapsed();
    let e = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{e}");
    assert!(e.contains("--out") && e.contains("file/sub") && e.contains("cannot create") && e.contains("allowed"), "{e}");
    assert!(e.contains("os error"), "the system's reason: {e}");
    // The same run into a writable folder simulates 180 days of a 100k-chip site.
    let started = Instant::now();
    ok(&[&default_run[..], &["fine"]].concat(), t);
    let ran_in = started.elapsed();
    assert!(refused_in * 4 < ran_in, "refused in {refused_in:?}, a whole run takes {ran_in:?}: refused before simulating");

    // A file where the folder should be.
    let o = exec(&strs(&run_args("file", 1, "1", &[])), t);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--out: file: is a file"), "{}", stderr(&o));

    // Every command that writes into a folder checks it first.
    let sweep = format!(
        "(name: \"s\", base: \"{}\", set: [\"horizon_days=0.5\"], replications: 1, metrics: [\"ettr\"],
          parameters: [(path: \"failure.repair.crews\", values: List([2, 4]))])",
        scenario()
    );
    std::fs::write(t.join("s.ron"), sweep).unwrap();
    ok(&["sweep", "s.ron", "--shard", "0/1", "--out", "shard", "-q"], t);
    for (args, flag) in [
        (vec!["sweep", "s.ron", "--out", "file/sweep"], "--out"),
        (vec!["merge", "shard", "--out", "file/merged"], "--out"),
        (vec!["plot", "fine", "--out", "file/charts"], "--out"),
        (vec!["init", "file/models"], "DIR"),
    ] {
        let o = exec(&args, t);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.contains(&format!("{flag}: ")) && e.contains("file/") && e.contains("Not a directory"), "{args:?}: {e}");
    }
    // The check leaves nothing behind: a run refused later for bad input creates no folder.
    let bad = exec(&strs(&run_args("new/deep/out", 1, "1", &["--set", "failure.repair.crews=-1"])), t);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(!t.join("new").exists(), "the folders made to check --out are removed again");
    assert!(files_under(&t.join("fine"), &[]).iter().all(|f| !f.contains("probe")));
}

/// Whether this process may mount a tmpfs in a mount namespace of its own (root, or
/// CAP_SYS_ADMIN, and `unshare` from util-linux). The namespace dies with the command,
/// so nothing stays mounted even if a test fails.
fn can_mount(dir: &Path) -> Result<(), String> {
    let probe = dir.join("mount-probe");
    std::fs::create_dir_all(&probe).unwrap();
    let o = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs \"$0\"", probe.to_str().unwrap()])
        .stdin(Stdio::null())
        .output();
    match o {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!("`unshare -m mount -t tmpfs` failed: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => Err(format!("`unshare` could not be started: {e}")),
    }
}

/// Run `script` (sh) in a mount namespace of its own; `$1`… are `args`.
fn in_namespace(script: &str, args: &[&str]) -> Output {
    let o = Command::new("unshare").args(["-m", "sh", "-c", script, "sh"]).args(args).stdin(Stdio::null()).output().unwrap();
    assert!(o.status.success(), "namespace script failed: {}\n{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
    o
}

/// A run into a full disk: the staged writes fail part-way (in the data files or in
/// the charts, by how much room is left); the earlier run in the folder must stay byte
/// for byte, with no `.partial` or staging folder left, the error must name the file,
/// and the exit code is 1 (a full disk is no bad input). With room enough, the same
/// run replaces the earlier one entirely.
///
/// It mounts a small tmpfs in a private mount namespace (`unshare -m`), so it needs
/// root or CAP_SYS_ADMIN; where mounting is not permitted it says so and skips.
#[test]
fn a_full_disk_leaves_the_earlier_run_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    if let Err(why) = can_mount(t) {
        eprintln!("SKIPPED a_full_disk_leaves_the_earlier_run_intact: mounting a tmpfs is not permitted here ({why})");
        return;
    }
    // The earlier run, and (to size the disk) the new run as it comes out with room enough.
    ok(&strs(&run_args("old", 7, "1", &[])), t);
    ok(&strs(&run_args("new", 8, "1", &[])), t);
    let (old, new) = (tree(&t.join("old")), tree(&t.join("new")));
    assert_ne!(old.get("summary.json"), new.get("summary.json"), "two different runs");
    let pages = |tr: &BTreeMap<String, Vec<u8>>| tr.values().map(|b| b.len().div_ceil(4096) * 4096).sum::<usize>();
    let (old_bytes, new_bytes) = (pages(&old), pages(&new));
    let data_bytes: usize = gigasim::output::RUN_FILES.iter().map(|f| new[*f].len().div_ceil(4096) * 4096).sum();
    // Room left for the run: within the data files, within the charts, nearly enough; then enough.
    let rooms = [data_bytes / 3, data_bytes + 8192, new_bytes / 3, new_bytes * 2 / 3, new_bytes - 16384, new_bytes + 65536];
    let mnt = t.join("disk");
    std::fs::create_dir_all(&mnt).unwrap();
    let size = old_bytes + new_bytes + 2 * 65536 + (1 << 20);
    let script = r#"
        bin=$1 mnt=$2 work=$3 size=$4 scenario=$5; shift 5
        mount -t tmpfs -o size=$size tmpfs "$mnt" || exit 9
        i=0
        for room in "$@"; do
            rm -rf "$mnt"/* "$mnt"/.[!.]*
            cp -a "$work/old" "$mnt/o"
            mkdir -p "$mnt/o/examples/x" && echo kept > "$mnt/o/examples/x/keep.txt" && echo mine > "$mnt/o/notes.txt"
            avail=$(df -B1 --output=avail "$mnt" | tail -n 1)
            head -c $((avail - room)) /dev/zero > "$mnt/filler" 2>/dev/null
            "$bin" run "$scenario" --horizon-days 1 --seed 8 --out "$mnt/o" -q > "$work/out.$i" 2> "$work/err.$i"
            echo $? > "$work/rc.$i"
            rm -f "$mnt/filler"
            cp -a "$mnt/o" "$work/after.$i"
            i=$((i + 1))
        done
    "#;
    let rooms_s: Vec<String> = rooms.iter().map(|r| r.to_string()).collect();
    let mut args = vec![BIN.to_string(), mnt.display().to_string(), t.display().to_string(), size.to_string(), scenario()];
    args.extend(rooms_s);
    in_namespace(script, &strs(&args));

    let mut failed_in = Vec::new();
    for (i, room) in rooms.iter().enumerate() {
        let rc: i32 = std::fs::read_to_string(t.join(format!("rc.{i}"))).unwrap().trim().parse().unwrap();
        let err = std::fs::read_to_string(t.join(format!("err.{i}"))).unwrap();
        eprintln!("room {room} B of {new_bytes} B: exit {rc}: {}", err.trim());
        let after = t.join(format!("after.{i}"));
        no_leftovers(&after);
        let mut got = tree(&after);
        assert_eq!(got.remove("notes.txt").as_deref(), Some(&b"mine\n"[..]), "room {room}");
        assert_eq!(got.remove("examples/x/keep.txt").as_deref(), Some(&b"kept\n"[..]), "room {room}");
        got.remove("examples/");
        got.remove("examples/x/");
        if i + 1 < rooms.len() {
            assert_eq!(rc, 1, "room {room} B of the {new_bytes} B the run needs: {err}");
            assert!(err.contains("No space left on device"), "room {room}: {err}");
            // The message names the file being written (under the folder, staged).
            let named = err.split_whitespace().any(|w| {
                w.starts_with(&mnt.join("o").display().to_string())
                    && [".csv", ".json", ".svg", ".png", ".html", ".ron"].iter().any(|x| w.contains(x))
            });
            assert!(named, "room {room}: no file named in: {err}");
            assert!(err.contains("nothing there was changed"), "room {room}: {err}");
            assert!(names(&got) == names(&old) && got == old, "room {room}: the earlier run changed: {err}");
            failed_in.push(if err.contains("charts") { "charts" } else { "data" });
        } else {
            assert_eq!(rc, 0, "room enough: {err}");
            let (got, new) = (without_context(got), without_context(new.clone()));
            assert!(names(&got) == names(&new) && got == new, "the new run, complete, and nothing of the old");
        }
    }
    assert!(failed_in.contains(&"data") && failed_in.contains(&"charts"), "writes failed in both stages: {failed_in:?}");
}

/// A read-only folder (a read-only bind mount: root writes through permission bits)
/// is refused before simulating, with the system's reason. Needs mounting; skips without.
#[test]
fn a_read_only_out_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    if let Err(why) = can_mount(t) {
        eprintln!("SKIPPED a_read_only_out_is_refused: mounting is not permitted here ({why})");
        return;
    }
    let ro = t.join("ro");
    std::fs::create_dir_all(&ro).unwrap();
    let script = r#"
        bin=$1 ro=$2 work=$3 scenario=$4
        mount --bind "$ro" "$ro" && mount -o remount,bind,ro "$ro" || exit 9
        "$bin" run "$scenario" --horizon-days 1 --out "$ro" -q 2> "$work/err.ro"; echo $? > "$work/rc.ro"
        "$bin" run "$scenario" --horizon-days 1 --out "$ro/sub" -q 2> "$work/err.sub"; echo $? > "$work/rc.sub"
    "#;
    in_namespace(script, &[BIN, ro.to_str().unwrap(), t.to_str().unwrap(), &scenario()]);
    for (case, what) in [("ro", "cannot write there"), ("sub", "cannot create")] {
        let err = std::fs::read_to_string(t.join(format!("err.{case}"))).unwrap();
        assert_eq!(std::fs::read_to_string(t.join(format!("rc.{case}"))).unwrap().trim(), "2", "{err}");
        assert!(err.contains("--out") && err.contains(ro.to_str().unwrap()) && err.contains(what), "{err}");
        assert!(err.contains("Read-only file system"), "{err}");
    }
}

#[test]
fn a_run_touches_no_other_file_or_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let o = t.join("o");
    // The default run's folder with the examples' folders beside its files.
    std::fs::create_dir_all(o.join("examples/four_sites/sweden/charts")).unwrap();
    ok(&strs(&run_args("o/examples/four_sites/sweden", 3, "0.5", &[])), t);
    std::fs::write(o.join("notes.txt"), "mine").unwrap();
    std::fs::write(o.join("power.csv.bak"), "mine").unwrap();
    std::fs::create_dir_all(o.join("charts")).unwrap();
    std::fs::write(o.join("charts/mine.svg"), "mine").unwrap();
    let others = |tr: BTreeMap<String, Vec<u8>>| -> BTreeMap<String, Vec<u8>> {
        tr.into_iter()
            .filter(|(k, _)| k.starts_with("examples/") || k == "notes.txt" || k == "power.csv.bak" || k == "charts/mine.svg")
            .collect()
    };
    let before = others(tree(&o));
    assert!(before.len() > 20, "{:?}", names(&before));
    for extra in [&[][..], &["--no-charts"], &[]] {
        ok(&strs(&run_args("o", 1, "0.5", extra)), t);
        assert_eq!(others(tree(&o)), before, "{extra:?}");
        no_leftovers(&o);
    }
    // The nested run is still whole: its manifest lists what is there.
    let nested = t.join("o/examples/four_sites/sweden");
    assert_eq!(manifest(&nested), files_under(&nested, &[]));
}

#[test]
fn the_manifest_lists_exactly_the_files_of_the_run_and_no_chart_goes_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let o = t.join("o");
    ok(&strs(&run_args("o", 1, "0.5", &[])), t);
    let files = files_under(&o, &[]);
    assert!(files.iter().any(|f| f.starts_with("charts/")), "{files:?}");
    assert_eq!(manifest(&o), files, "the manifest lists the run's files, itself included");
    assert!(files.contains(&MANIFEST.to_string()));

    // --no-charts after a run with charts: no chart of the older run stays.
    ok(&strs(&run_args("o", 2, "0.5", &["--no-charts"])), t);
    assert!(!o.join("charts").exists(), "stale charts removed, and charts/ with them");
    let files = files_under(&o, &[]);
    assert_eq!(manifest(&o), files);
    // The copies of the run's inputs are listed too, each under inputs/.
    let (copies, files): (Vec<String>, Vec<String>) = files.into_iter().partition(|f| f.starts_with("inputs/"));
    assert!(copies.len() >= 5 && copies.iter().any(|c| c.ends_with("factory-25k.ron")), "{copies:?}");
    let mut expected: Vec<String> = gigasim::output::RUN_FILES.iter().map(|f| f.to_string()).chain([MANIFEST.to_string()]).collect();
    expected.sort();
    assert_eq!(files, expected);

    // Charts `gigasim plot` drew afterwards are not listed, but go too at the next run.
    ok(&["plot", "o"], t);
    assert!(o.join("charts/power.png").exists());
    ok(&strs(&run_args("o", 2, "0.5", &["--no-charts"])), t);
    assert!(!o.join("charts").exists(), "charts drawn by plot go at the next --no-charts run");

    // The printed list of what was written names every file, the charts as their folder.
    let loud: Vec<String> = run_args("o", 2, "0.5", &[]).into_iter().filter(|a| a != "-q").collect();
    let said = String::from_utf8_lossy(&ok(&strs(&loud), t).stdout).into_owned();
    let wrote = said.lines().find_map(|l| l.trim_start().strip_prefix("wrote")).unwrap().trim().to_string();
    let mut listed: Vec<String> = wrote.split(", ").map(|p| p.strip_prefix("o/").unwrap().to_string()).collect();
    listed.sort();
    let mut present: Vec<String> = files_under(&o, &["charts/", "inputs/"]);
    present.extend(["charts".into(), "inputs".into()]);
    present.sort();
    assert_eq!(listed, present);
}

#[test]
fn a_folder_from_before_manifests_a_damaged_manifest_and_a_leftover_staging_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let o = t.join("o");
    ok(&strs(&run_args("o", 1, "0.5", &[])), t);
    // As an older gigasim left it: no manifest, stray temporary files of a killed run,
    // and a staging folder of a run killed now.
    std::fs::remove_file(o.join(MANIFEST)).unwrap();
    std::fs::remove_dir_all(o.join("inputs")).unwrap();
    std::fs::write(o.join("jobs.csv.partial"), "half").unwrap();
    std::fs::write(o.join("charts/power.partial.png"), "half").unwrap();
    std::fs::create_dir_all(o.join(STAGING).join("new/charts")).unwrap();
    std::fs::write(o.join(STAGING).join("new/summary.json"), "half").unwrap();
    ok(&strs(&run_args("o", 2, "0.5", &["--no-charts"])), t);
    no_leftovers(&o);
    assert!(!o.join("charts").exists());
    assert_eq!(manifest(&o), files_under(&o, &[]));

    // A damaged manifest cannot make a run remove anything outside its own files.
    std::fs::write(t.join("outside.txt"), "keep").unwrap();
    std::fs::create_dir_all(o.join("examples")).unwrap();
    std::fs::write(o.join("examples/keep.txt"), "keep").unwrap();
    std::fs::write(o.join("mine.txt"), "keep").unwrap();
    let abs = t.join("outside.txt").display().to_string();
    let listed =
        ["../outside.txt", &abs, "examples/keep.txt", "examples", "./mine.txt", "charts/../mine.txt", "", "summary.json"].join("\n");
    std::fs::write(o.join(MANIFEST), listed).unwrap();
    ok(&strs(&run_args("o", 3, "0.5", &["--no-charts"])), t);
    for f in [t.join("outside.txt"), o.join("examples/keep.txt"), o.join("mine.txt")] {
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "keep", "{}", f.display());
    }
    // A name the manifest lists that is no longer written is removed: it was the run's.
    std::fs::write(o.join("old_format.csv"), "1").unwrap();
    let mut text = std::fs::read_to_string(o.join(MANIFEST)).unwrap();
    text += "old_format.csv\n";
    std::fs::write(o.join(MANIFEST), text).unwrap();
    ok(&strs(&run_args("o", 3, "0.5", &["--no-charts"])), t);
    assert!(!o.join("old_format.csv").exists());
    assert!(o.join("mine.txt").exists());
}

/// A file that cannot be put in place (a folder in its way): the new files are dropped
/// and the earlier run's are put back, byte for byte, and the error names the path.
#[test]
fn a_failure_while_swapping_puts_the_earlier_run_back() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let o = t.join("o");
    ok(&strs(&run_args("o", 1, "0.5", &[])), t);
    std::fs::remove_file(o.join("storage.csv")).unwrap();
    std::fs::create_dir_all(o.join("storage.csv/in-the-way")).unwrap();
    let before = tree(&o);
    let failed = exec(&strs(&run_args("o", 2, "0.5", &[])), t);
    let e = stderr(&failed);
    assert_eq!(failed.status.code(), Some(1), "{e}");
    assert!(e.contains("o/storage.csv"), "{e}");
    assert!(tree(&o) == before, "the earlier run is back as it was: {e}");
    no_leftovers(&o);
}

#[test]
fn plot_names_a_missing_or_damaged_file_as_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    ok(&strs(&run_args("o", 1, "0.5", &["--no-charts"])), t);
    std::fs::remove_file(t.join("o/power.csv")).unwrap();
    let o = exec(&["plot", "o"], t);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("o/power.csv") && e.contains("No such file"), "{e}");
    std::fs::write(
        t.join("o/power.csv"),
        "start_h,end_h,it_mw,facility_mw,facility_min_mw,facility_max_mw,grid_mw,battery_soc\n0,1,x,2,3,4,5,\n",
    )
    .unwrap();
    let o = exec(&["plot", "o"], t);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("o/power.csv") && e.contains("row 2"), "{e}");
    std::fs::write(t.join("o/summary.json"), "{\"horizon_days\": ").unwrap();
    let o = exec(&["plot", "o"], t);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("o/summary.json") && e.contains("cannot parse"), "{e}");
    // A sweep folder whose points.csv is missing.
    let sweep = format!(
        "(name: \"s\", base: \"{}\", set: [\"horizon_days=0.5\"], replications: 1, metrics: [\"ettr\"],
          parameters: [(path: \"failure.repair.crews\", values: List([2, 4]))])",
        scenario()
    );
    std::fs::write(t.join("s.ron"), sweep).unwrap();
    ok(&["sweep", "s.ron", "--out", "sw", "--no-charts", "-q"], t);
    std::fs::remove_file(t.join("sw/points.csv")).unwrap();
    let o = exec(&["plot", "sw"], t);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("sw/points.csv"), "{e}");
}

/// The library's `write_run` (which the examples use) replaces a run the same way.
#[test]
fn write_run_replaces_the_run_in_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("r");
    let mut s = gigasim::config::load_scenario(&gigasim::config::FileSystem, Path::new(&scenario())).unwrap();
    s.horizon_days = gigasim::config::Positive::try_from(0.25).unwrap();
    let r = gigasim::Simulation::new(&s).run();
    std::fs::create_dir_all(dir.join("charts")).unwrap();
    std::fs::write(dir.join("charts/power.svg"), "stale").unwrap();
    let written = gigasim::output::write_run(&r, &dir).unwrap();
    assert_eq!(written.len(), gigasim::output::RUN_FILES.len() + 1);
    assert!(!dir.join("charts").exists(), "a stale chart of a known name is removed");
    assert_eq!(manifest(&dir), files_under(&dir, &[]));
}

/// A `charts` link in the output folder is refused before simulating: through it a run
/// would replace files elsewhere (review of issue 14).
#[cfg(unix)]
#[test]
fn a_charts_link_is_refused_and_what_it_points_to_is_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, outside) = (tmp.path().join("r"), tmp.path().join("outside"));
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("power.svg"), "precious").unwrap();
    std::os::unix::fs::symlink(&outside, out.join("charts")).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gigasim"))
        .args(["run", "models/scenarios/factory-25k.ron", "--horizon-days", "2", "-q", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("charts") && err.contains("link"), "{err}");
    assert_eq!(std::fs::read_to_string(outside.join("power.svg")).unwrap(), "precious");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
}
