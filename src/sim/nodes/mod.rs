//! The node pool: which nodes are healthy, who owns each, and the O(1)
//! indexed sets a node can sit in (the free pool, an owner's nodes, its spares).
//! Jobs and failures change it only through the methods here.

mod packing;
mod racks;

use crate::config::Level;
use crate::sim::topology::Topology;
use packing::Packing;
use racks::Racks;

pub const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Owned by no job.
    Free,
    /// Computing (or restarting, checkpointing, waiting) for its owner.
    Active,
    /// Owned but not active: a hot spare, or a broken node awaiting repair.
    Spare,
    /// Shared by jobs smaller than a node (owned by none of them).
    Shared,
}

/// The nodes one owner (a job slot) holds.
#[derive(Clone, Debug, Default)]
pub struct Holding {
    /// Every node it owns: active, hot spares, broken ones awaiting repair.
    nodes: Vec<u32>,
    /// Healthy owned nodes that are not active.
    spares: Vec<u32>,
    active: u32,
    /// A job smaller than a node: the shared node it sits on and its chips there.
    shared: Option<(u32, u32)>,
}

/// What covering a node with one more outage did to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Struck {
    /// It was down already.
    AlreadyDown,
    Free,
    /// A healthy spare of `owner`, now a broken one.
    Spare {
        owner: u32,
    },
    /// Computing for `owner`: it is now a broken spare and `owner` has one active node fewer.
    Active {
        owner: u32,
    },
    /// Shared by sub-node jobs ([`NodePool::jobs_on`]), none of them active on it any more.
    Shared,
}

/// What lifting one outage from a node did to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Healed {
    /// Still covered by another outage.
    StillDown,
    /// Back in the free pool.
    Free,
    /// Healthy again and owned by `owner` (not yet a spare: the owner decides).
    Owned { owner: u32 },
}

pub struct NodePool {
    /// Outages currently covering the node (its own, its rack's, its pod's).
    outages: Vec<u16>,
    /// Rack- and pod-level outages covering each rack and pod.
    rack_outages: Vec<u16>,
    pod_outages: Vec<u16>,
    owner: Vec<u32>,
    role: Vec<Role>,
    /// Position inside whichever indexed set holds the node (free pool or spares).
    pos: Vec<u32>,
    /// Position in its owner's list of nodes.
    slot: Vec<u32>,
    /// Healthy nodes owned by no job.
    free: Vec<u32>,
    holdings: Vec<Holding>,
    packing: Packing,
    racks: Racks,
    topo: Topology,
}

impl NodePool {
    pub fn new(topo: Topology) -> Self {
        let nodes = topo.nodes() as usize;
        let mut s = Self {
            outages: vec![0; nodes],
            rack_outages: vec![0; topo.racks() as usize],
            pod_outages: vec![0; topo.pods as usize],
            owner: vec![NONE; nodes],
            role: vec![Role::Free; nodes],
            pos: vec![NONE; nodes],
            slot: vec![NONE; nodes],
            free: Vec::with_capacity(nodes),
            holdings: Vec::new(),
            packing: Packing::new(topo.chips_per_node),
            racks: Racks::new(topo.racks(), topo.nodes_per_rack),
            topo,
        };
        // Pushed high to low so that allocation pops node 0 first: jobs get contiguous racks.
        for n in (0..nodes as u32).rev() {
            s.free_push(n);
        }
        s
    }

    // ---- probes

    #[inline]
    pub fn healthy(&self, n: u32) -> bool {
        self.outages[n as usize] == 0
    }
    /// Healthy nodes owned by no job.
    #[inline]
    pub fn free_count(&self) -> u32 {
        self.free.len() as u32
    }
    pub fn role(&self, n: u32) -> Role {
        self.role[n as usize]
    }
    pub fn owner(&self, n: u32) -> Option<u32> {
        Some(self.owner[n as usize]).filter(|&o| o != NONE)
    }
    /// Nodes `owner` (added with [`add_owner`](Self::add_owner)) computes on.
    #[inline]
    pub fn active(&self, owner: u32) -> u32 {
        self.holdings[owner as usize].active
    }
    /// Healthy nodes `owner` holds beyond those it computes on.
    pub fn spares(&self, owner: u32) -> u32 {
        self.holdings.get(owner as usize).map_or(0, |h| h.spares.len() as u32)
    }
    /// The shared node a job smaller than a node sits on.
    pub fn shared_node(&self, owner: u32) -> Option<u32> {
        self.holdings.get(owner as usize).and_then(|h| h.shared).map(|s| s.0)
    }
    /// Sub-node jobs on node `n`.
    pub fn jobs_on(&self, n: u32) -> &[u32] {
        self.packing.jobs_on(n)
    }
    /// The jobs node `n` works for: its owner while active, or the jobs sharing it.
    pub fn users(&self, n: u32) -> impl Iterator<Item = u32> + '_ {
        let owner = self.owner(n).filter(|_| self.role(n) == Role::Active);
        let shared: &[u32] = if self.role(n) == Role::Shared { self.jobs_on(n) } else { &[] };
        owner.into_iter().chain(shared.iter().copied())
    }
    /// Healthy shared nodes with exactly `k` free chips.
    pub fn shared_with_free(&self, k: u32) -> u32 {
        self.packing.with_free(k)
    }
    /// Whether the unit `unit` at `level` is up (a chip is up when its node is).
    pub fn unit_up(&self, level: Level, unit: u32) -> bool {
        match level {
            Level::Chip => self.healthy(unit / self.topo.chips_per_node),
            Level::Node => self.healthy(unit),
            Level::Rack => self.rack_outages[unit as usize] == 0,
            Level::Pod => self.pod_outages[unit as usize] == 0,
        }
    }

    // ---- allocation

    /// Make room for owner `owner` (a new job slot) to hold nodes.
    pub fn add_owner(&mut self, owner: u32) {
        let i = owner as usize;
        if self.holdings.len() <= i {
            self.holdings.resize_with(i + 1, Holding::default);
        }
    }

    /// Take a healthy free node (the lowest-numbered of those never used, then the most recently freed).
    #[inline]
    pub fn take_free(&mut self) -> Option<u32> {
        let n = set_pop(&mut self.free, &mut self.pos)?;
        self.racks.dec(self.topo.rack_of_node(n));
        Some(n)
    }

    /// Take `k` healthy free nodes inside one rack, the fullest rack they fit in;
    /// `None` (and nothing taken) if no rack has `k` free.
    pub fn take_in_rack(&mut self, k: u32, out: &mut Vec<u32>) -> Option<()> {
        let r = self.racks.best_fit(k)?;
        out.clear();
        for n in self.topo.nodes_of(Level::Rack, r) {
            if out.len() as u32 == k {
                break;
            }
            if self.role[n as usize] == Role::Free && self.pos[n as usize] != NONE && self.healthy(n) {
                out.push(n);
            }
        }
        debug_assert_eq!(out.len() as u32, k);
        for &n in out.iter() {
            self.free_remove(n);
        }
        Some(())
    }

    /// Racks with exactly `c` healthy free nodes.
    pub fn racks_with_free(&self, c: u32) -> u32 {
        self.racks.with_free(c)
    }

    #[inline]
    fn free_push(&mut self, n: u32) {
        set_push(&mut self.free, &mut self.pos, n);
        self.racks.inc(self.topo.rack_of_node(n));
    }

    #[inline]
    fn free_remove(&mut self, n: u32) {
        set_remove(&mut self.free, &mut self.pos, n);
        self.racks.dec(self.topo.rack_of_node(n));
    }

    /// `owner`, a job of `chips` chips (fewer than a node has), takes them on
    /// the fullest shared node they fit on, else on a free node; `None` if neither exists.
    pub fn take_chips(&mut self, owner: u32, chips: u32) -> Option<u32> {
        let n = match self.packing.best_fit(chips) {
            Some(n) => n,
            None => {
                let n = self.take_free()?;
                self.role[n as usize] = Role::Shared;
                n
            }
        };
        self.packing.place(n, owner, chips, self.outages.len());
        let h = &mut self.holdings[owner as usize];
        h.shared = Some((n, chips));
        h.active = 1;
        Some(n)
    }

    /// `owner` takes node `n` (just taken from the free pool) and computes on it.
    #[inline]
    pub fn hold_active(&mut self, owner: u32, n: u32) {
        self.own(owner, n, Role::Active);
        self.holdings[owner as usize].active += 1;
    }

    /// `owner` takes node `n` (just taken from the free pool) as a hot spare.
    pub fn hold_spare(&mut self, owner: u32, n: u32) {
        self.own(owner, n, Role::Spare);
        self.add_spare(owner, n);
    }

    #[inline]
    fn own(&mut self, owner: u32, n: u32, role: Role) {
        self.owner[n as usize] = owner;
        self.role[n as usize] = role;
        set_push(&mut self.holdings[owner as usize].nodes, &mut self.slot, n);
    }

    /// A healthy node `owner` holds (a repaired one) becomes one of its spares.
    pub fn add_spare(&mut self, owner: u32, n: u32) {
        let h = &mut self.holdings[owner as usize];
        set_push(&mut h.spares, &mut self.pos, n);
    }

    /// Put one of `owner`'s spares to work; `None` when it has none.
    #[inline]
    pub fn activate_spare(&mut self, owner: u32) -> Option<u32> {
        let h = &mut self.holdings[owner as usize];
        let n = set_pop(&mut h.spares, &mut self.pos)?;
        h.active += 1;
        self.role[n as usize] = Role::Active;
        Some(n)
    }

    /// A healthy node `owner` holds but does not use (a repaired one) computes again.
    pub fn activate_held(&mut self, owner: u32, n: u32) {
        self.holdings[owner as usize].active += 1;
        self.role[n as usize] = Role::Active;
    }

    /// `owner` gives back node `n` it holds (a repaired node beyond its spare pool).
    pub fn hand_back(&mut self, owner: u32, n: u32) {
        set_remove(&mut self.holdings[owner as usize].nodes, &mut self.slot, n);
        self.free_node(n);
    }

    /// `owner` gives back every node; returns how many it was computing on and
    /// how many healthy spares it held.
    pub fn release_all(&mut self, owner: u32) -> (u32, u32) {
        let Some(h) = self.holdings.get_mut(owner as usize) else { return (0, 0) };
        let mut nodes = std::mem::take(&mut h.nodes);
        let held = (h.active, h.spares.len() as u32);
        h.active = 0;
        h.spares.clear();
        if let Some((n, chips)) = h.shared.take() {
            let healthy = self.healthy(n);
            if self.packing.leave(n, owner, chips, healthy) == 0 {
                self.free_node(n);
            }
        }
        for &n in &nodes {
            self.free_node(n);
        }
        nodes.clear();
        self.holdings[owner as usize].nodes = nodes;
        held
    }

    #[inline]
    fn free_node(&mut self, n: u32) {
        self.role[n as usize] = Role::Free;
        self.owner[n as usize] = NONE;
        self.pos[n as usize] = NONE;
        if self.healthy(n) {
            self.free_push(n);
        }
    }

    // ---- outages

    /// Count an outage of a rack or pod (`down`) or its end on the racks and pods it covers.
    pub fn cover_domain(&mut self, level: Level, unit: u32, down: bool) {
        let racks = match level {
            Level::Rack => unit..unit + 1,
            Level::Pod => {
                let p = &mut self.pod_outages[unit as usize];
                *p = if down { *p + 1 } else { *p - 1 };
                unit * self.topo.racks_per_pod..(unit + 1) * self.topo.racks_per_pod
            }
            _ => return,
        };
        for r in racks {
            let o = &mut self.rack_outages[r as usize];
            *o = if down { *o + 1 } else { *o - 1 };
        }
    }

    /// Node `n` is covered by one more outage; the first takes it out of service.
    #[inline]
    pub fn strike(&mut self, n: u32) -> Struck {
        let i = n as usize;
        self.outages[i] += 1;
        if self.outages[i] > 1 {
            return Struck::AlreadyDown;
        }
        let owner = self.owner[i];
        match self.role[i] {
            Role::Free => {
                self.free_remove(n);
                Struck::Free
            }
            Role::Spare => {
                set_remove(&mut self.holdings[owner as usize].spares, &mut self.pos, n);
                Struck::Spare { owner }
            }
            Role::Active => {
                self.holdings[owner as usize].active -= 1;
                self.role[i] = Role::Spare;
                Struck::Active { owner }
            }
            Role::Shared => {
                self.packing.unlist(n);
                for &j in self.packing.jobs_on(n) {
                    self.holdings[j as usize].active = 0;
                }
                Struck::Shared
            }
        }
    }

    /// Node `n` is covered by one outage fewer; at none it is back in service.
    #[inline]
    pub fn heal(&mut self, n: u32) -> Healed {
        let i = n as usize;
        self.outages[i] -= 1;
        if self.outages[i] > 0 {
            return Healed::StillDown;
        }
        match self.role[i] {
            Role::Free => {
                self.free_push(n);
                Healed::Free
            }
            Role::Spare => Healed::Owned { owner: self.owner[i] },
            Role::Active | Role::Shared => unreachable!("an active or shared node is healthy: its jobs left it when it went down"),
        }
    }
}

/// Add `n` to an indexed set.
#[inline]
pub(super) fn set_push(set: &mut Vec<u32>, pos: &mut [u32], n: u32) {
    pos[n as usize] = set.len() as u32;
    set.push(n);
}

/// Remove `n` from an indexed set in O(1) (swap-remove).
#[inline]
pub(super) fn set_remove(set: &mut Vec<u32>, pos: &mut [u32], n: u32) {
    let i = pos[n as usize] as usize;
    debug_assert_eq!(set[i], n);
    let last = set.pop().expect("non-empty set");
    if last != n {
        set[i] = last;
        pos[last as usize] = i as u32;
    }
    pos[n as usize] = NONE;
}

/// Take the most recently added node out of an indexed set.
#[inline]
pub(super) fn set_pop(set: &mut Vec<u32>, pos: &mut [u32]) -> Option<u32> {
    let n = set.pop()?;
    pos[n as usize] = NONE;
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2 pods × 2 racks × 2 nodes: 8 nodes.
    fn pool() -> NodePool {
        NodePool::new(Topology { chips_per_node: 4, nodes_per_rack: 2, racks_per_pod: 2, pods: 2 })
    }

    #[test]
    fn a_job_takes_computes_and_gives_back_its_nodes() {
        let mut p = pool();
        p.add_owner(7);
        assert_eq!(p.free_count(), 8);
        let (a, b, c) = (p.take_free().unwrap(), p.take_free().unwrap(), p.take_free().unwrap());
        assert_eq!((a, b, c), (0, 1, 2), "allocation starts at node 0: contiguous racks");
        p.hold_active(7, a);
        p.hold_active(7, b);
        p.hold_spare(7, c);
        assert_eq!((p.active(7), p.spares(7), p.free_count()), (2, 1, 5));
        assert_eq!((p.role(a), p.owner(a)), (Role::Active, Some(7)));
        assert_eq!((p.role(c), p.owner(c)), (Role::Spare, Some(7)));
        assert_eq!(p.release_all(7), (2, 1));
        assert_eq!((p.active(7), p.spares(7), p.free_count()), (0, 0, 8));
        assert_eq!((p.role(a), p.owner(a)), (Role::Free, None));
    }

    #[test]
    fn a_struck_active_node_becomes_a_broken_spare_and_comes_back_to_its_owner() {
        let mut p = pool();
        p.add_owner(0);
        let (a, s) = (p.take_free().unwrap(), p.take_free().unwrap());
        p.hold_active(0, a);
        p.hold_spare(0, s);
        assert_eq!(p.strike(a), Struck::Active { owner: 0 });
        assert_eq!((p.active(0), p.spares(0), p.role(a)), (0, 1, Role::Spare));
        assert!(!p.healthy(a));
        assert_eq!(p.strike(a), Struck::AlreadyDown, "a second outage covers it too");
        assert_eq!(p.activate_spare(0), Some(s));
        assert_eq!((p.active(0), p.spares(0)), (1, 0));
        assert_eq!(p.heal(a), Healed::StillDown);
        assert_eq!(p.heal(a), Healed::Owned { owner: 0 });
        p.add_spare(0, a);
        assert_eq!(p.spares(0), 1);
        p.hand_back(0, a);
        assert_eq!((p.spares(0), p.free_count(), p.role(a)), (1, 7, Role::Free));
    }

    /// A job slot is reused after its job is done: the new owner starts empty
    /// and nothing of the old one (a broken node it held) stays attached.
    #[test]
    fn a_reused_slot_starts_with_nothing() {
        let mut p = pool();
        p.add_owner(0);
        let (a, b) = (p.take_free().unwrap(), p.take_free().unwrap());
        p.hold_active(0, a);
        p.hold_active(0, b);
        assert_eq!(p.strike(b), Struck::Active { owner: 0 });
        assert_eq!(p.release_all(0), (1, 0));
        p.add_owner(0);
        assert_eq!((p.active(0), p.spares(0)), (0, 0));
        let c = p.take_free().unwrap();
        p.hold_active(0, c);
        assert_eq!(p.heal(b), Healed::Free, "the broken node went back to the pool, not to the slot's new job");
        assert_eq!((p.active(0), p.owner(b), p.free_count()), (1, None, 7));
        assert_eq!(p.release_all(0), (1, 0));
        assert_eq!(p.free_count(), 8);
    }

    #[test]
    fn free_and_spare_nodes_leave_their_sets_while_down() {
        let mut p = pool();
        p.add_owner(3);
        let s = p.take_free().unwrap();
        p.hold_spare(3, s);
        assert_eq!(p.strike(5), Struck::Free);
        assert_eq!(p.free_count(), 6);
        assert_eq!(p.strike(s), Struck::Spare { owner: 3 });
        assert_eq!(p.spares(3), 0);
        assert_eq!(p.activate_spare(3), None);
        // A broken node handed back with its owner's release stays out of the free pool until healed.
        p.release_all(3);
        assert_eq!(p.free_count(), 6);
        assert_eq!(p.heal(s), Healed::Free);
        assert_eq!(p.heal(5), Healed::Free);
        assert_eq!(p.free_count(), 8);
    }

    #[test]
    fn rack_and_pod_outages_count_on_the_units_they_cover() {
        let mut p = pool();
        p.cover_domain(Level::Pod, 1, true);
        assert!(!p.unit_up(Level::Pod, 1) && !p.unit_up(Level::Rack, 2) && !p.unit_up(Level::Rack, 3));
        assert!(p.unit_up(Level::Rack, 1) && p.unit_up(Level::Pod, 0));
        p.cover_domain(Level::Rack, 3, true);
        p.cover_domain(Level::Pod, 1, false);
        assert!(p.unit_up(Level::Rack, 2) && !p.unit_up(Level::Rack, 3) && p.unit_up(Level::Pod, 1));
        // Chips and nodes are up when their node is healthy.
        p.strike(1);
        assert!(!p.unit_up(Level::Node, 1) && !p.unit_up(Level::Chip, 4 + 3) && p.unit_up(Level::Chip, 8));
    }
}
