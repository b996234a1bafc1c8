//! Per-node state in flat vectors: outages, owner, role, and the O(1)
//! indexed sets (free pool, a job's healthy spares) a node can sit in.

pub const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Owned by no job.
    Free,
    /// Computing (or restarting, checkpointing, waiting) for its owner.
    Active,
    /// Owned but not active: a hot spare, or a broken node awaiting repair.
    Spare,
}

pub struct Nodes {
    /// Outages currently covering the node (its own, its rack's, its pod's).
    pub outages: Vec<u16>,
    /// Rack- and pod-level outages covering each rack.
    pub rack_outages: Vec<u16>,
    pub pod_outages: Vec<u16>,
    pub owner: Vec<u32>,
    pub role: Vec<Role>,
    /// Position inside whichever indexed set holds the node (free pool or spares).
    pub pos: Vec<u32>,
    /// Position in its owner's list of nodes (`Job::nodes`, an indexed set too).
    pub slot: Vec<u32>,
    /// Healthy nodes owned by no job.
    pub free: Vec<u32>,
}

impl Nodes {
    pub fn new(nodes: u32, racks: u32, pods: u32) -> Self {
        let mut s = Self {
            outages: vec![0; nodes as usize],
            rack_outages: vec![0; racks as usize],
            pod_outages: vec![0; pods as usize],
            owner: vec![NONE; nodes as usize],
            role: vec![Role::Free; nodes as usize],
            pos: vec![NONE; nodes as usize],
            slot: vec![NONE; nodes as usize],
            free: Vec::with_capacity(nodes as usize),
        };
        // Pushed high to low so that allocation pops node 0 first: jobs get contiguous racks.
        for n in (0..nodes).rev() {
            set_push(&mut s.free, &mut s.pos, n);
        }
        s
    }
    #[inline]
    pub fn healthy(&self, n: u32) -> bool {
        self.outages[n as usize] == 0
    }
}

/// Add `n` to an indexed set.
#[inline]
pub fn set_push(set: &mut Vec<u32>, pos: &mut [u32], n: u32) {
    pos[n as usize] = set.len() as u32;
    set.push(n);
}

/// Remove `n` from an indexed set in O(1) (swap-remove).
#[inline]
pub fn set_remove(set: &mut Vec<u32>, pos: &mut [u32], n: u32) {
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
pub fn set_pop(set: &mut Vec<u32>, pos: &mut [u32]) -> Option<u32> {
    let n = set.pop()?;
    pos[n as usize] = NONE;
    Some(n)
}
