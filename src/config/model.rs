//! The model-file schemas. Every struct denies unknown fields so that a typo is
//! an error naming the field, never a silently ignored setting.

use super::law::Law;
use super::num::{AtLeastOne, Count, NonNeg, Positive, Prob};
use super::workload::Workload;
use serde::{Deserialize, Serialize};

/// `models/facility/*.ron`: the physical hierarchy site → pods → racks → nodes → chips.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    pub name: String,
    /// Accelerator model, for reports only.
    pub chip: String,
    pub chips_per_node: Count,
    /// Nodes per rack; for NVL72-style sites a rack is the scale-up (NVLink) domain.
    pub nodes_per_rack: Count,
    pub racks_per_pod: Count,
    pub pods: Count,
    /// Optional: the site is built in phases. Racks come into service in id order,
    /// each phase's on its day; before, they are not installed (no power, no failures,
    /// counted as `not_installed`). A class with `ageing` starts each rack's units new
    /// (less its burn-in) on the day the rack arrives.
    #[serde(default)]
    pub commissioning: Option<Vec<CommissionPhase>>,
    /// Optional: the shared storage that checkpoints are written to and read
    /// from (jobs whose checkpoints give `size_gb_per_chip`).
    #[serde(default)]
    pub storage: Option<StorageSystem>,
}

/// Shared checkpoint storage: concurrent writes share the write bandwidth and
/// concurrent reads the read bandwidth, max-min fairly, each transfer capped by
/// its job's own links (docs/sources.md S14).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSystem {
    /// Aggregate write bandwidth, GB/s.
    pub write_gbps: Positive,
    /// Aggregate read bandwidth, GB/s.
    pub read_gbps: Positive,
    /// Optional: the most one chip's share of its node's links can move, GB/s; a
    /// job's transfer goes no faster than its chips times this.
    #[serde(default)]
    pub per_chip_gbps: Option<Positive>,
}

/// A phase of a site's build-out: `racks` more racks in service from `day`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionPhase {
    pub day: NonNeg,
    pub racks: Count,
}

impl Facility {
    /// When each rack comes into service, in hours (all 0 without commissioning).
    pub fn install_hours(&self) -> Vec<f64> {
        let racks = self.racks() as usize;
        let mut out = vec![0.0; racks];
        if let Some(phases) = &self.commissioning {
            let mut r = 0;
            for p in phases {
                for _ in 0..p.racks.get() {
                    if r < racks {
                        out[r] = p.day.get() * 24.0;
                        r += 1;
                    }
                }
            }
        }
        out
    }
    pub fn nodes(&self) -> u64 {
        self.racks() * self.nodes_per_rack.get() as u64
    }
    pub fn racks(&self) -> u64 {
        self.pods.get() as u64 * self.racks_per_pod.get() as u64
    }
    pub fn chips(&self) -> u64 {
        self.nodes() * self.chips_per_node.get() as u64
    }
}

/// Llama 3 interruption categories (Grattafiori et al. 2024, Table 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Category {
    Gpu,
    Dependency,
    Network,
    UnplannedMaintenance,
    Host,
    Unknown,
}

impl Category {
    pub const ALL: [Category; 6] =
        [Category::Gpu, Category::Dependency, Category::Network, Category::UnplannedMaintenance, Category::Host, Category::Unknown];
    /// The name printed in reports (the paper's wording).
    pub fn label(self) -> &'static str {
        match self {
            Category::Gpu => "GPU",
            Category::Dependency => "Dependency",
            Category::Network => "Network",
            Category::UnplannedMaintenance => "Unplanned maintenance",
            Category::Host => "Host",
            Category::Unknown => "Unknown",
        }
    }
}

/// What a failure strikes. A chip or node failure takes its node out of
/// service; a rack failure takes out every node of the rack (the scale-up
/// domain); a pod failure every node of the pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    Chip,
    Node,
    Rack,
    Pod,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Chip => "chip",
            Level::Node => "node",
            Level::Rack => "rack",
            Level::Pod => "pod",
        }
    }
}

/// What happens to the struck unit after a failure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Outcome {
    /// Back after a reboot or reset; needs no crew.
    Transient { reboot: Law },
    /// Needs a repair crew (and, for chips and nodes, a spare node if one is in stock).
    Permanent { repair: Law },
    /// Permanent with probability `p_permanent`, otherwise transient.
    Mixed { p_permanent: Prob, reboot: Law, repair: Law },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureClassSpec {
    /// The component, e.g. "Faulty GPU".
    pub name: String,
    pub category: Category,
    pub level: Level,
    /// Time to failure of one unit at `level`, counted while the unit is up.
    pub ttf: Law,
    pub outcome: Outcome,
    /// Optional: how long the fault goes unseen (health-check period, collective
    /// watchdog timeout); overrides the model's `detection` for this class.
    #[serde(default)]
    pub detection: Option<Law>,
    /// Optional: the class strikes many units at once (a fault storm, a bad
    /// firmware rollout). `ttf` is then the time between bursts over the whole site.
    #[serde(default)]
    pub burst: Option<Burst>,
    /// Planned (maintenance, upgrades): jobs get notice, write a checkpoint and lose
    /// no work; the write is paid before their restart.
    #[serde(default)]
    pub planned: bool,
    /// A unit's age runs on across reboots, and only a permanent repair (a new
    /// part) makes it new: a Weibull law then gives infant mortality or wear-out
    /// over the unit's life. Without, every outage renews the unit.
    #[serde(default)]
    pub ageing: bool,
    /// With `ageing`: every unit, and every new part, enters service having run this
    /// long in burn-in (failures in burn-in never reach the site): its age starts there.
    #[serde(default = "super::workload::zero_hours")]
    pub burn_in_hours: NonNeg,
    /// Optional: silent data corruption. The unit keeps running and the fault is
    /// found only after a draw of this law; every job that computed on it rolls back
    /// to its last checkpoint from before the fault, then the unit is repaired.
    #[serde(default)]
    pub silent: Option<Law>,
    /// Optional: fail-slow. The unit runs on, slowing every synchronous job computing
    /// on it to `speed` of its pace, until the fault is found (`detect`) and the unit
    /// goes out of service as a failure does.
    #[serde(default)]
    pub slow: Option<Slow>,
}

/// A straggler: the pace it leaves the jobs on it, and how long it takes to find.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slow {
    pub speed: Prob,
    pub detect: Law,
}

/// A burst: how many units each strikes, spread uniformly over a span.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    pub strikes: Strikes,
    pub within_hours: NonNeg,
}

/// Units a burst strikes, distinct, drawn at random.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Strikes {
    /// This many (at most all of them).
    Units(super::Count),
    /// This share of the site's units at the class's level (at least one).
    Share(Prob),
}

impl Strikes {
    /// Units struck out of `units`.
    pub fn of(self, units: u32) -> u32 {
        match self {
            Strikes::Units(n) => n.get().min(units),
            Strikes::Share(p) => ((p.get() * units as f64).round() as u32).clamp(1, units.max(1)),
        }
    }
}

/// Finite repair resources shared by all permanent failures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepairSpec {
    /// Technicians (or teams) working in parallel; further repairs queue first come first served.
    pub crews: Count,
    /// Cold spare nodes in stock. A failed chip or node is swapped for one (taking `swap`);
    /// the broken one is repaired off line (its repair law, no crew) and returns to stock.
    #[serde(deserialize_with = "super::num::whole_u32")]
    pub spare_nodes: u32,
    pub swap: Law,
    /// Optional: permanent chip and node faults go through automatic remediation,
    /// then a crew, then a vendor return, each stage able to misdiagnose.
    #[serde(default)]
    pub escalation: Option<Escalation>,
}

/// A repair pipeline with escalation. A permanent chip or node fault is first
/// remediated automatically (reboot, reimage, reset: no crew); a fault on the same
/// node within `window_hours` of its last repair goes to a crew (in place, or a swap
/// for a spare node), and the next to a vendor return (RMA). A stage that fails
/// misdiagnoses: the node comes back still faulty and fails again after `refail`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Automatic remediation: its duration, and the chance it clears the fault.
    pub auto: Law,
    pub auto_success: Prob,
    /// The chance a crew's repair or swap clears the fault.
    pub crew_success: Prob,
    /// Vendor return: the lead time of the part. A crew swaps in a spare node
    /// meanwhile if one is in stock, else the node waits for the part. Always fixes.
    pub rma_lead: Law,
    /// A fault on a node within this many hours of its last repair goes one stage further.
    pub window_hours: Positive,
    /// How long a misdiagnosed node runs before its fault strikes again.
    pub refail: Law,
}

/// `models/failure/*.ron`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureModel {
    pub name: String,
    pub classes: Vec<FailureClassSpec>,
    pub repair: RepairSpec,
    /// Optional: "lemon" nodes, drawn once per run from the seed, whose chips and
    /// host fail more often than the rest.
    #[serde(default)]
    pub lemons: Option<Lemons>,
    /// Optional: a node with this many chip- or node-level failures within a window is
    /// retired and replaced with new hardware (a lemon is then found; a good node is
    /// retired by mistake).
    #[serde(default)]
    pub retirement: Option<Retirement>,
    /// Optional: how long a fault goes unseen before the restart begins (a health
    /// check's period, a collective's watchdog timeout). A job struck by it hangs
    /// meanwhile; that time counts as restart and is reported on its own.
    #[serde(default)]
    pub detection: Option<Law>,
    /// Optional: which nodes can fail, as analytic models and other tools assume.
    /// By default every node in service can, whatever it does (chip- and node-level classes).
    #[serde(default)]
    pub exposure: Option<Exposure>,
    /// Optional: replay failures from a CSV file (columns `time_h`, `class`, `unit`;
    /// a `failures.csv` gigasim wrote will do) instead of drawing them from the
    /// classes' laws; each replayed failure takes its class's outcome, detection and
    /// the rest. A path relative to the failure model file.
    #[serde(default)]
    pub replay: Option<String>,
}

/// Which nodes chip- and node-level classes strike.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exposure {
    /// Only nodes a job computes on (restarting, computing or writing) fail: free
    /// nodes, hot spares and the nodes of a waiting job do not (a cold standby pool).
    #[serde(default)]
    pub computing_only: bool,
    /// The nodes of a restarting job fail too, as Daly's formula assumes.
    #[serde(default = "yes")]
    pub during_restart: bool,
}

fn yes() -> bool {
    true
}

/// Retire a node after `failures` failures within `window_hours`; its replacement
/// takes `replace`, as a permanent repair.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retirement {
    pub failures: super::Count,
    pub window_hours: Positive,
    pub replace: Law,
}

/// A share of nodes on which every chip- and node-level class fails `rate_factor`
/// times as often (rack- and pod-level classes are not a node's own).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lemons {
    pub fraction_of_nodes: Prob,
    pub rate_factor: AtLeastOne,
}

/// Watts drawn by one chip in each state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipWatts {
    /// Healthy and not computing (free, hot spare, or allocated and waiting).
    pub idle: NonNeg,
    /// Computing a training step.
    pub busy: NonNeg,
    /// Stalled while a checkpoint is written.
    pub checkpoint: NonNeg,
    /// Restarting: detection, rescheduling, loading the checkpoint.
    pub restart: NonNeg,
    /// Failed, rebooting or under repair.
    pub down: NonNeg,
}

/// `models/power/*.ron`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerModel {
    pub name: String,
    pub chip_watts: ChipWatts,
    /// CPUs, NICs, fans, memory of a node that is up, beyond its chips.
    pub node_overhead_watts: NonNeg,
    /// Switches and power shelves of a rack, always on.
    pub rack_overhead_watts: NonNeg,
    /// Power usage effectiveness: facility draw = IT draw × PUE.
    pub pue: AtLeastOne,
    /// Optional: chips held by a job draw at least a share of busy power while
    /// stalled (checkpoint, restart, waiting), as GPU power smoothing does.
    #[serde(default)]
    pub floor: Option<PowerFloor>,
    /// Optional: a site battery between the facility and the grid.
    #[serde(default)]
    pub battery: Option<BatteryModel>,
    /// Optional: each chip's draw moves towards its state's watts no faster than
    /// these, as GPU power smoothing makes it; without, it steps.
    #[serde(default)]
    pub ramp: Option<ChipRamp>,
    /// Optional: how a chip's throughput falls when its power is capped below busy
    /// watts; used when the scenario's grid enforces its cap.
    #[serde(default)]
    pub throttle: Option<Throttle>,
}

/// Throughput of a busy chip capped to a share p of its busy watts: p^alpha.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Throttle {
    pub alpha: Positive,
    /// The lowest share of busy watts a chip can be capped to.
    pub min_fraction_of_busy: Prob,
}

/// Per-chip ramp limits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChipRamp {
    pub up_watts_per_s: Positive,
    pub down_watts_per_s: Positive,
}

/// A site battery and the grid ramp limit its controller holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatteryModel {
    pub capacity_mwh: NonNeg,
    /// Most charge or discharge power.
    pub power_mw: NonNeg,
    /// Round-trip efficiency, split evenly between charge and discharge.
    pub round_trip_efficiency: Prob,
    /// Stored energy at the start, as a share of capacity.
    #[serde(default = "half")]
    pub initial_soc: Prob,
    /// The charge it returns to between swings, and the power it does so at (within the ramp limit).
    #[serde(default = "half")]
    pub target_soc: Prob,
    #[serde(default = "zero_mw")]
    pub restore_mw: NonNeg,
    /// The grid draw follows the facility's no faster than this.
    pub grid_ramp_mw_per_min: Positive,
    /// Optional: it also holds the grid draw within this band (peak shaving above
    /// `grid_max_mw`, valley filling below `grid_min_mw`), as far as its charge allows.
    #[serde(default)]
    pub grid_min_mw: Option<NonNeg>,
    #[serde(default)]
    pub grid_max_mw: Option<NonNeg>,
}

fn half() -> Prob {
    Prob::new(0.5)
}
fn zero_mw() -> NonNeg {
    NonNeg::new(0.0)
}

/// A power floor for the chips of running jobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerFloor {
    /// The least a held chip draws, as a share of its busy watts.
    pub fraction_of_busy: Prob,
}

/// `models/scenarios/*.ron` as written: model files named by path relative to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    pub facility: String,
    pub failure: String,
    pub power: String,
    pub workload: String,
    pub horizon_days: Positive,
    #[serde(deserialize_with = "super::num::whole_u64")]
    pub seed: u64,
    /// Resolution of power.csv, in minutes.
    #[serde(default = "five")]
    pub power_bin_minutes: Positive,
    /// Optional: what the site costs (`models/cost/*.ron`).
    #[serde(default)]
    pub cost: Option<String>,
    /// The first day of the run, `YYYY-MM-DD`: hourly prices align to it.
    #[serde(default = "new_year")]
    pub start_date: String,
    #[serde(default)]
    pub grid: Option<GridSpec>,
}

/// What the grid connection allows; a run reports where the site's draw breaks it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridSpec {
    /// The most the draw may change within any minute, MW.
    #[serde(default)]
    pub ramp_mw_per_min: Option<Positive>,
    /// The most the draw may change within any second, MW.
    #[serde(default)]
    pub ramp_mw_per_s: Option<Positive>,
    /// The most the site may draw, MW.
    #[serde(default)]
    pub cap_mw: Option<Positive>,
    /// The least the site should draw, MW.
    #[serde(default)]
    pub floor_mw: Option<NonNeg>,
    /// The site keeps its facility draw under `cap_mw` by throttling busy chips
    /// (by the power model's `throttle` curve); jobs then run slower.
    #[serde(default)]
    pub enforce_cap: bool,
}

pub fn new_year() -> String {
    "2026-01-01".into()
}

fn five() -> Positive {
    Positive::new(5.0)
}

/// A scenario with every model loaded: what a simulation runs, and what
/// `--set path=value` addresses (e.g. `workload.frontier[0].checkpoint.interval_hours`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub horizon_days: Positive,
    #[serde(deserialize_with = "super::num::whole_u64")]
    pub seed: u64,
    pub power_bin_minutes: Positive,
    pub facility: Facility,
    pub failure: FailureModel,
    pub power: PowerModel,
    pub workload: Workload,
    #[serde(default)]
    pub cost: Option<super::cost::CostModel>,
    #[serde(default = "new_year")]
    pub start_date: String,
    #[serde(default)]
    pub grid: Option<GridSpec>,
}
