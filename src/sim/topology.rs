use crate::config::{Facility, Level};
use std::ops::Range;

/// Where a failed unit sits in the hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub chip: Option<u32>,
    pub node: Option<u32>,
    pub rack: Option<u32>,
    pub pod: u32,
}

/// Index arithmetic of the site → pod → rack → node → chip hierarchy. Ids are
/// dense and nested: node n holds chips n·c .. (n+1)·c, and so on up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Topology {
    pub chips_per_node: u32,
    pub nodes_per_rack: u32,
    pub racks_per_pod: u32,
    pub pods: u32,
}

impl Topology {
    pub fn of(f: &Facility) -> Self {
        Self {
            chips_per_node: f.chips_per_node.get(),
            nodes_per_rack: f.nodes_per_rack.get(),
            racks_per_pod: f.racks_per_pod.get(),
            pods: f.pods.get(),
        }
    }
    pub fn racks(&self) -> u32 {
        self.pods * self.racks_per_pod
    }
    pub fn nodes(&self) -> u32 {
        self.racks() * self.nodes_per_rack
    }
    pub fn chips(&self) -> u32 {
        self.nodes() * self.chips_per_node
    }
    /// How many units a failure class at `level` draws its victim from.
    pub fn units(&self, level: Level) -> u32 {
        match level {
            Level::Chip => self.chips(),
            Level::Node => self.nodes(),
            Level::Rack => self.racks(),
            Level::Pod => self.pods,
        }
    }
    /// The nodes taken out of service when unit `id` at `level` fails.
    pub fn nodes_of(&self, level: Level, id: u32) -> Range<u32> {
        let (first, n) = match level {
            Level::Chip => (id / self.chips_per_node, 1),
            Level::Node => (id, 1),
            Level::Rack => (id * self.nodes_per_rack, self.nodes_per_rack),
            Level::Pod => (id * self.racks_per_pod * self.nodes_per_rack, self.racks_per_pod * self.nodes_per_rack),
        };
        first..first + n
    }
    /// Where unit `id` at `level` sits: its chip and node (for chip and node
    /// failures), its rack (for all but pods) and its pod.
    pub fn place(&self, level: Level, id: u32) -> Place {
        let node = self.nodes_of(level, id).start;
        let rack = self.rack_of_node(node);
        Place {
            chip: (level == Level::Chip).then_some(id),
            node: matches!(level, Level::Chip | Level::Node).then_some(node),
            rack: (level != Level::Pod).then_some(rack),
            pod: self.pod_of_rack(rack),
        }
    }
    pub fn rack_of_node(&self, node: u32) -> u32 {
        node / self.nodes_per_rack
    }
    pub fn pod_of_rack(&self, rack: u32) -> u32 {
        rack / self.racks_per_pod
    }
}
