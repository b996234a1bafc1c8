//! `gigasim slurm`: the bash scripts that run a sweep on a Slurm cluster as a job
//! array of shards (`gigasim sweep --shard I/N`), then merge them. Text only: the
//! command line checks the sweep and writes the files.
//!
//! - `array.sh`: task I runs shard I/N into `OUT/shards/I` (resuming from its journal).
//! - `merge.sh`: merges the shards into `OUT/result`, or names the unfinished tasks and fails.
//! - `submit.sh`: submits the array, then the merge with `afterany` on it: `afterok`
//!   would never start after a failed task, leaving no word of what to resubmit.
//! - `resubmit.sh`: submits again only the tasks whose shard has no `runs.csv`, and a merge after them.

/// The scripts, in the order [`Plan::scripts`] returns them.
pub const SCRIPTS: [&str; 4] = ["array.sh", "merge.sh", "submit.sh", "resubmit.sh"];
/// At most this many array tasks (Slurm's own `MaxArraySize` is often far lower).
pub const MAX_TASKS: u32 = 100_000;
/// At most this many CPUs per task.
pub const MAX_CPUS: u32 = 1024;
/// Slurm's default `MaxArraySize`: array indices up to one less.
pub const SLURM_DEFAULT_MAX_ARRAY_SIZE: u32 = 1001;

/// What the scripts run. Paths are absolute, as text: the jobs run in another
/// working directory, possibly on another machine with the same shared file system.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The gigasim binary the jobs run.
    pub gigasim: String,
    /// The sweep file.
    pub sweep: String,
    /// The output folder: scripts in `slurm/`, shards in `shards/`, the merge in `result/`.
    pub out: String,
    /// The sweep's name (for the job name).
    pub name: String,
    /// Array tasks, one shard each.
    pub tasks: u32,
    pub cpus_per_task: u32,
    /// Slurm time limit per job, as [`parse_time`] accepts it.
    pub time: Option<String>,
    pub partition: Option<String>,
    pub account: Option<String>,
    /// Memory per job in MB.
    pub mem_mb: Option<u64>,
    /// Options every `gigasim sweep` gets after the sweep file (`--set …`, `--horizon-days …`).
    pub sweep_args: Vec<String>,
    /// The folder `gigasim slurm` ran in: each task runs there, so that a relative path
    /// in the options (`--set failure=FILE`, a sweep file's `set`) names what it named then.
    pub workdir: String,
}

/// `s` as one bash word: bare if it holds only safe characters, else in single quotes.
pub fn quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) { s.to_string() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// A Slurm time limit `HH:MM:SS` or `D-HH:MM:SS` (hours may exceed 23), not zero.
pub fn parse_time(s: &str) -> Result<String, String> {
    let bad = || format!("`{s}` is not a time limit; allowed: HH:MM:SS or D-HH:MM:SS, e.g. 04:00:00 or 1-12:00:00, not zero");
    let digits = |t: &str| !t.is_empty() && t.len() <= 6 && t.bytes().all(|b| b.is_ascii_digit());
    let (days, hms) = match s.split_once('-') {
        Some((d, rest)) if digits(d) => (d, rest),
        Some(_) => return Err(bad()),
        None => ("0", s),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let [h, m, sec] = parts[..] else { return Err(bad()) };
    let under_60 = |t: &str| t.len() == 2 && digits(t) && t < "60";
    if !(digits(h) && under_60(m) && under_60(sec)) {
        return Err(bad());
    }
    if [days, h, m, sec].iter().all(|t| t.bytes().all(|b| b == b'0')) {
        return Err(bad());
    }
    Ok(s.to_string())
}

/// A partition or account name, which goes into an `#SBATCH` line unquoted.
pub fn parse_name(s: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "_.,-".contains(c));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a Slurm name; allowed: 1 to 64 letters, digits and _ . , - (commas separate several)"))
    }
}

/// Text for a comment line: control characters (a line break would end the comment) shown as `?`.
fn comment(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// The job name: gigasim-<sweep name> in characters every Slurm tool shows plainly.
fn job_name(name: &str) -> String {
    let clean: String = name.chars().take(40).map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' }).collect();
    format!("gigasim-{clean}")
}

/// Refuses to submit while jobs of an earlier submission (listed in jobs.txt) are queued
/// or running: two tasks of one shard would append to the same journal.
const GUARD: &str = r#"# Jobs of an earlier submission still queued or running would write the same shards.
active=()
if [[ -f jobs.txt ]]; then
    while read -r _ id; do
        if [[ -n "$(squeue -h -o %i -t pending,running,suspended,completing,configuring -j "$id" 2>/dev/null || true)" ]]; then
            active+=("$id")
        fi
    done < jobs.txt
fi
if (( ${#active[@]} > 0 )); then
    echo "gigasim slurm: jobs ${active[*]} of an earlier submission are still queued or running;" \
        "wait for them (squeue) or cancel them (scancel ${active[*]}), then run this again" >&2
    exit 1
fi
"#;

impl Plan {
    fn slurm_dir(&self) -> String {
        format!("{}/slurm", self.out.trim_end_matches('/'))
    }
    fn shards_dir(&self) -> String {
        format!("{}/shards", self.out.trim_end_matches('/'))
    }
    fn result_dir(&self) -> String {
        format!("{}/result", self.out.trim_end_matches('/'))
    }

    /// `#SBATCH` lines every job gets: name, CPUs, limits, log file (relative to
    /// `slurm/`, where the submit scripts call sbatch: no path needs quoting there).
    fn sbatch_lines(&self, name: &str, cpus: u32, log: &str) -> String {
        let mut s = format!("#SBATCH --job-name={name}\n#SBATCH --cpus-per-task={cpus}\n");
        if let Some(t) = &self.time {
            s += &format!("#SBATCH --time={t}\n");
        }
        if let Some(p) = &self.partition {
            s += &format!("#SBATCH --partition={p}\n");
        }
        if let Some(a) = &self.account {
            s += &format!("#SBATCH --account={a}\n");
        }
        if let Some(m) = self.mem_mb {
            s += &format!("#SBATCH --mem={m}M\n");
        }
        s + &format!("#SBATCH --output=logs/{log}\n")
    }

    /// The four scripts, named as in [`SCRIPTS`].
    pub fn scripts(&self) -> Vec<(&'static str, String)> {
        vec![(SCRIPTS[0], self.array_sh()), (SCRIPTS[1], self.merge_sh()), (SCRIPTS[2], self.submit_sh()), (SCRIPTS[3], self.resubmit_sh())]
    }

    fn array_sh(&self) -> String {
        let n = self.tasks;
        let mut cmd = format!(
            "exec {} sweep {} --shard \"$task/{n}\" --jobs {} --out \"$out\"",
            quote(&self.gigasim),
            quote(&self.sweep),
            self.cpus_per_task
        );
        for a in &self.sweep_args {
            cmd += &format!(" {}", quote(a));
        }
        format!(
            r#"#!/usr/bin/env bash
# One task of the Slurm job array of sweep `{name}`, written by `gigasim slurm`.
# Task I runs shard I/{n} of {sweep}
# into {shards}/I. A task killed part-way resumes from its shard's runs.journal.csv
# when it runs again (resubmit.sh): the runs it finished are not redone.
# Submit it with submit.sh, which calls sbatch in this folder (the log goes to logs/).
{sbatch}#SBATCH --array=0-{last}
set -euo pipefail
task=${{SLURM_ARRAY_TASK_ID:-}}
if [[ ! $task =~ ^[0-9]+$ ]] || (( task >= {n} )); then
    echo "gigasim slurm: SLURM_ARRAY_TASK_ID is '$task'; allowed: 0 to {last} (submit with submit.sh)" >&2
    exit 2
fi
out={shards_q}/"$task"
echo "gigasim slurm: task $task of {n} (job ${{SLURM_JOB_ID:-?}}) on $(hostname) at $(date -u +%FT%TZ)"
if [[ -f $out/runs.journal.csv ]]; then
    echo "gigasim slurm: resuming; finished runs in the journal: $(( $(wc -l < "$out/runs.journal.csv") - 1 ))"
fi
# Made here, not by gigasim: its check of --out removes the folders it made, which
# would race with the tasks starting beside it (one removing shards/ as another
# makes shards/I in it).
mkdir -p -- "$out"
# Relative paths in the options resolve as when `gigasim slurm` checked them.
cd {workdir_q}
{cmd}
"#,
            name = comment(&self.name),
            sweep = comment(&self.sweep),
            shards = comment(&self.shards_dir()),
            sbatch = self.sbatch_lines(&job_name(&self.name), self.cpus_per_task, "array-%A_%a.out"),
            last = n - 1,
            shards_q = quote(&self.shards_dir()),
            workdir_q = quote(&self.workdir),
        )
    }

    fn merge_sh(&self) -> String {
        let n = self.tasks;
        format!(
            r#"#!/usr/bin/env bash
# Merges the {n} shards of sweep `{name}` (written by `gigasim slurm`) into
# {result}, byte for byte what one unsharded sweep writes.
# If a shard has not finished (no runs.csv), it merges nothing, names the tasks to
# resubmit and fails: then run resubmit.sh.
{sbatch}set -euo pipefail
shards={shards_q}
missing=()
dirs=()
for ((i = 0; i < {n}; i++)); do
    [[ -f $shards/$i/runs.csv ]] || missing+=("$i")
    dirs+=("$shards/$i")
done
if (( ${{#missing[@]}} > 0 )); then
    ids=$(IFS=,; echo "${{missing[*]}}")
    echo "gigasim slurm: ${{#missing[@]}} of {n} shards did not finish (no runs.csv): resubmit task ids $ids; nothing was merged" >&2
    echo "gigasim slurm: run: bash {resubmit} (each task resumes from its journal)" >&2
    exit 1
fi
{gigasim} merge "${{dirs[@]}}" --out {result_q}
"#,
            name = comment(&self.name),
            result = comment(&self.result_dir()),
            sbatch = self.sbatch_lines(&format!("{}-merge", job_name(&self.name)), 1, "merge-%j.out"),
            shards_q = quote(&self.shards_dir()),
            resubmit = echo_text(&quote(&format!("{}/resubmit.sh", self.slurm_dir()))),
            gigasim = quote(&self.gigasim),
            result_q = quote(&self.result_dir()),
        )
    }

    fn submit_sh(&self) -> String {
        let n = self.tasks;
        format!(
            r#"#!/usr/bin/env bash
# Submits sweep `{name}` (written by `gigasim slurm`): the job array array.sh, {n}
# tasks of one shard each, then merge.sh with --dependency=afterany on the array.
# afterany, not afterok: afterok never starts after a failed task, which would leave
# no result and no word of what failed; merge.sh checks itself that every shard
# finished, and otherwise names the tasks for resubmit.sh. Job ids go to jobs.txt.
set -euo pipefail
cd {slurm_q}
mkdir -p logs
{guard}array=$(sbatch --parsable array.sh)
array=${{array%%;*}}
echo "array $array" >> jobs.txt
merge=$(sbatch --parsable --dependency=afterany:"$array" merge.sh)
merge=${{merge%%;*}}
echo "merge $merge" >> jobs.txt
echo "submitted job array $array (tasks 0-{last}) and merge job $merge, which runs once every task has ended"
echo "logs: {slurm_c}/logs/; the merged sweep: {result_c}"
echo "if a task fails, the merge fails naming it; then run: bash {resubmit_c}"
"#,
            name = comment(&self.name),
            slurm_q = quote(&self.slurm_dir()),
            guard = GUARD,
            last = n - 1,
            slurm_c = echo_text(&self.slurm_dir()),
            result_c = echo_text(&self.result_dir()),
            resubmit_c = echo_text(&quote(&format!("{}/resubmit.sh", self.slurm_dir()))),
        )
    }

    fn resubmit_sh(&self) -> String {
        let n = self.tasks;
        format!(
            r#"#!/usr/bin/env bash
# Resubmits the tasks of sweep `{name}` (written by `gigasim slurm`) whose shard has
# not finished (no runs.csv in {shards}/I), and only those:
# each resumes from its runs.journal.csv, so the runs it finished are not redone.
# Then a new merge.sh, with --dependency=afterany on them. Job ids go to jobs.txt.
set -euo pipefail
cd {slurm_q}
mkdir -p logs
{guard}missing=()
for ((i = 0; i < {n}; i++)); do
    [[ -f {shards_q}/$i/runs.csv ]] || missing+=("$i")
done
if (( ${{#missing[@]}} == 0 )); then
    echo "every shard has finished; submitting the merge only"
    merge=$(sbatch --parsable merge.sh)
    merge=${{merge%%;*}}
    echo "merge $merge" >> jobs.txt
    echo "submitted merge job $merge"
    exit 0
fi
ids=$(IFS=,; echo "${{missing[*]}}")
array=$(sbatch --parsable --array="$ids" array.sh)
array=${{array%%;*}}
echo "array $array" >> jobs.txt
merge=$(sbatch --parsable --dependency=afterany:"$array" merge.sh)
merge=${{merge%%;*}}
echo "merge $merge" >> jobs.txt
echo "resubmitted task ids $ids of 0-{last} as job array $array, and merge job $merge after it"
"#,
            name = comment(&self.name),
            shards = comment(&self.shards_dir()),
            slurm_q = quote(&self.slurm_dir()),
            guard = GUARD,
            shards_q = quote(&self.shards_dir()),
            last = n - 1,
        )
    }
}

/// `s` inside a double-quoted echo argument: `\`, `"`, `$` and `` ` `` escaped.
fn echo_text(s: &str) -> String {
    comment(s).chars().flat_map(|c| if "\\\"$`".contains(c) { vec!['\\', c] } else { vec![c] }).collect()
}
