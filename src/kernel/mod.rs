//! The design-agnostic kernel model: resource trees, the driver core, modules and Kconfig,
//! scheduling, and the [`Kernel`] state every modeled function reads and writes.
//!
//! Drivers (CXL, DAX, HMEM, kmem) live in [`crate::drivers`]; which version of each
//! design-sensitive function runs is chosen by the design's [`Ops`] table.

pub mod cause;
pub mod driver_core;
pub mod errno;
pub mod footprint;
pub mod kconfig;
pub mod log;
pub mod modprobe;
pub mod module;
pub mod resource;
pub mod sched;
pub mod state;

use crate::designs::Ops;
use crate::drivers::cxl::CxlState;
use crate::drivers::dax::DaxState;
use crate::drivers::hmem::HmemState;
use crate::drivers::kmem::MemoryHotplug;
use crate::scenario::{Event, Platform};
use driver_core::DriverCore;
use footprint::Tracked;
use kconfig::Kconfig;
use log::{LogEvent, Warn};
use module::ModState;
use resource::{Name, ResId, ResourceArena, IORESOURCE_MEM};
use sched::{block_on, Sched, TaskId};
use std::cell::RefCell;
use std::rc::Rc;

/// The shared handle tasks hold: the model is single-threaded, so a `RefCell` borrow is
/// never contended; borrows are never held across an `.await`.
pub type KRef = Rc<RefCell<Kernel>>;

/// The ida behind `memregion_alloc()` / `memregion_free()` (lib/memregion.c,
/// <https://github.com/torvalds/linux/blob/master/lib/memregion.c>): the smallest free id.
///
/// The kernel's ida finds it in a radix tree of bitmaps; the model keeps one flag per id and
/// the lowest id that may be free, so that allocating n ids in a row costs O(n) rather than
/// O(n²) (the answer is the same: every id below `first_free` is used).
#[derive(Clone, Hash, Debug, Default)]
pub struct Ida {
    used: Vec<bool>,
    /// Every id below this one is used.
    first_free: usize,
}

impl Ida {
    /// `ida_alloc()`: the smallest free id.
    pub fn alloc(&mut self) -> u32 {
        let i = self.used[self.first_free..]
            .iter()
            .position(|u| !u)
            .map_or(self.used.len(), |k| self.first_free + k);
        if i == self.used.len() {
            self.used.push(true);
        } else {
            self.used[i] = true;
        }
        self.first_free = i + 1;
        i as u32
    }

    /// `ida_free()`.
    pub fn free(&mut self, id: u32) {
        if let Some(u) = self.used.get_mut(id as usize) {
            *u = false;
            self.first_free = self.first_free.min(id as usize);
        }
    }
}

/// Everything the modeled kernel knows. One per run.
pub struct Kernel {
    /// The design's functions.
    pub ops: &'static Ops,
    /// The normalized configuration.
    pub cfg: Kconfig,
    /// Firmware's tables.
    pub plat: Rc<Platform>,
    /// The Soft Reserved entries of the sanitized e820 table
    /// ([`Platform::e820_soft_reserved`]), computed once per run.
    pub e820_sr: Vec<(u64, u64)>,
    /// Userspace's actions.
    pub events: Rc<[Event]>,
    /// Every `struct resource`.
    pub res: Tracked<ResourceArena, 0>,
    /// `iomem_resource` ("PCI mem", the root of /proc/iomem).
    pub iomem: ResId,
    /// `soft_reserve_resource`: the private staging tree that later designs add; created in
    /// every kernel so that designs only differ in who uses it.
    pub soft_reserve: ResId,
    /// Tasks and work items.
    pub sched: Sched,
    /// Buses, devices, drivers.
    pub dc: DriverCore,
    /// Load state per [`module::Module`].
    pub modules: Tracked<[ModState; 9], 1>,
    /// `memregion_ida`: ids for CXL regions and hmem devices.
    pub memregion: Tracked<Ida, 2>,
    /// CXL core, ports, regions.
    pub cxl: Tracked<CxlState, 3>,
    /// DAX core: dax regions and dev_dax.
    pub dax: Tracked<DaxState, 4>,
    /// HMEM: device.c and hmem.c state.
    pub hmem: Tracked<HmemState, 5>,
    /// Memory hotplug: what kmem added.
    pub mem: Tracked<MemoryHotplug, 6>,
    /// The timeline.
    pub timeline: Vec<(TaskId, LogEvent)>,
    /// WARNs.
    pub warns: Tracked<Vec<Warn>, 7>,
    /// Memory-safety errors KASAN would report, as (function, `invalid-free` /
    /// `use-after-free`).
    pub memory_errors: Tracked<Vec<Warn>, 8>,
    /// Observations recorded at `settle` points.
    pub observations: Tracked<Vec<srfuzz_oracle::Observation>, 9>,
    /// Regions unregistered, with what was online in their range and why, in order.
    pub teardowns: Tracked<Vec<srfuzz_oracle::TeardownObs>, 10>,
    /// Cause frames per task ([`cause`]).
    pub causes: Tracked<Vec<(TaskId, cause::Frame)>, 11>,
    /// Modules the user unloaded with `rmmod` (a later load clears it): the judges do not count
    /// on a driver the user took away.
    pub user_removed: Tracked<[bool; 9], 12>,
    /// What the observations' context takes from the configuration, platform and events
    /// alone, computed at the first observation.
    pub run_facts: std::cell::OnceCell<crate::observe::RunFacts>,
    /// Whether the run keeps what only reports read: the timeline and the /proc/iomem text of
    /// observations (judges read neither, and both are a measurable share of a fuzzing run).
    pub reporting: bool,
    /// Which scheduling points the model makes (the scenario's [`Scheduler`] version).
    pub scheduler: crate::scenario::Scheduler,
}

impl Kernel {
    /// A kernel before boot: empty trees, nothing loaded.
    pub fn new(ops: &'static Ops, cfg: Kconfig, plat: Rc<Platform>, events: Rc<[Event]>) -> Kernel {
        let mut res = ResourceArena::with_capacity(64);
        let iomem = res.alloc(Name::fixed("PCI mem"), 0, u64::MAX, IORESOURCE_MEM, 0);
        let soft_reserve = res.alloc(
            Name::fixed("Soft Reserved"),
            0,
            u64::MAX,
            IORESOURCE_MEM,
            resource::IORES_DESC_SOFT_RESERVED,
        );
        let hmem = HmemState::new(&mut res);
        let dax = DaxState::new(&mut res);
        Kernel {
            ops,
            cfg,
            e820_sr: plat.e820_soft_reserved(),
            plat,
            events,
            res: Tracked::new(res),
            iomem,
            soft_reserve,
            sched: Sched::default(),
            dc: DriverCore {
                // Room for what most runs register, so that neither list grows while they do.
                registered: Tracked::new(Vec::with_capacity(16)),
                registered_drivers: Tracked::new(Vec::with_capacity(16)),
                ..DriverCore::default()
            },
            modules: Tracked::new([ModState::Unloaded; 9]),
            memregion: Tracked::default(),
            cxl: Tracked::default(),
            dax: Tracked::new(dax),
            hmem: Tracked::new(hmem),
            mem: Tracked::default(),
            timeline: Vec::new(),
            warns: Tracked::default(),
            memory_errors: Tracked::default(),
            observations: Tracked::default(),
            reporting: true,
            scheduler: crate::scenario::Scheduler::CURRENT,
            teardowns: Tracked::default(),
            causes: Tracked::default(),
            user_removed: Tracked::new([false; 9]),
            run_facts: std::cell::OnceCell::new(),
        }
    }
}

/// Sleeps on the waits that devm release actions recorded during a teardown this task just
/// did (see [`driver_core`]).
pub async fn honor_pending_waits(k: &KRef) {
    loop {
        let w = {
            let mut kb = k.borrow_mut();
            let me = kb.current();
            let mine = kb.dc.pending_waits.iter().rposition(|p| p.task == Some(me));
            mine.map(|i| kb.dc.pending_waits.remove(i))
        };
        match w {
            Some(w) => {
                block_on(k, w.wait).await;
                if let Some(then) = w.then {
                    (then.release)(&mut k.borrow_mut(), then.arg);
                }
            }
            None => return,
        }
    }
}
