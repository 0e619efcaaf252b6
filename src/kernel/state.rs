//! The kernel's semantic state as a 128-bit hash, for exhaustive exploration
//! ([`crate::explore`]): two kernels with equal hashes behave alike from here on (up to a hash
//! collision) and have recorded the same things the judges read.
//!
//! What is hashed is every field of [`Kernel`] that later behaviour or a judgement can depend
//! on, by value, in order (lists are hashed as lists, never as multisets: sound, if it merges
//! less). What is left out, and why:
//!
//! - `ops`, `cfg`, `plat`, `e820_sr`, `events`, `iomem`, `soft_reserve`, `reporting`,
//!   `scheduler`: fixed for
//!   a run by the design and the scenario, so equal in every run an exploration compares.
//! - `run_facts`: a memo of a function of the configuration, platform and events (computed at
//!   the first observation); whether it is filled yet changes no result.
//! - `timeline`: written only when `reporting` is set ([`Kernel::log`]) and read only by
//!   reports; explorations run with `reporting` off, where it stays empty.
//!
//! Function pointers (a devm action's release, a work item's function) hash by address: two
//! equal addresses are the same code; one function at two addresses would only merge less.
//! The hasher is two independent multiply-rotate lanes (not cryptographic): a collision of
//! both lanes between two states of one exploration would merge them wrongly, with
//! probability about n²/2¹²⁹ for n states if the lanes behave like random functions.
//!
//! **Task names.** Tasks are numbered in spawn order, so two interleavings that spawn the same
//! tasks in another order number them differently. While an exploration hashes
//! ([`name_tasks`], [`Naming`]), every [`TaskId`] is hashed as its task's *name* instead of its
//! number, and the views of the task table list tasks in the order of their names: with
//! symmetric naming a task's name is its body and its rank among the tasks with that body, in
//! spawn order (the third `modprobe dax_hmem`), which does not depend on how the spawns of
//! other bodies interleaved; otherwise the name is the number. A name never changes once given,
//! so the order of names only grows by insertion. Two states with equal hashes are then equal
//! up to a renaming of task numbers that keeps names (why that is enough to merge them: the
//! module docs of `explore`, "Task symmetry").

use crate::kernel::footprint;
use crate::kernel::sched::{TaskBody, TaskId, TaskInfo};
use crate::kernel::Kernel;
use std::cell::RefCell;
use std::hash::{Hash, Hasher};

/// A fast 128-bit hasher for state fingerprints: two lanes with different multipliers and
/// mixing, folded with a finalizer at the end.
#[derive(Clone, Copy, Debug)]
pub struct StateHasher {
    a: u64,
    b: u64,
}

impl Default for StateHasher {
    fn default() -> StateHasher {
        StateHasher::new()
    }
}

const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xd6e8_feb8_6659_fd93;

fn fmix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl StateHasher {
    /// A fresh hasher.
    pub const fn new() -> StateHasher {
        StateHasher {
            a: 0x243f_6a88_85a3_08d3,
            b: 0x1319_8a2e_0370_7344,
        }
    }

    #[inline]
    fn word(&mut self, x: u64) {
        self.a = (self.a.rotate_left(5) ^ x).wrapping_mul(K1);
        let b = (self.b ^ x).wrapping_mul(K2);
        self.b = b ^ (b >> 29);
    }

    /// Hashes a 128-bit value.
    #[inline]
    pub fn write_u128_words(&mut self, x: u128) {
        self.word(x as u64);
        self.word((x >> 64) as u64);
    }

    /// The 128-bit hash of what was written.
    pub fn finish128(&self) -> u128 {
        let a = fmix(self.a ^ self.b.rotate_left(17));
        let b = fmix(self.b.wrapping_add(self.a.rotate_left(41)) ^ K1);
        (u128::from(a) << 64) | u128::from(b)
    }
}

impl Hasher for StateHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length of the tail, so that trailing zero bytes are not lost.
            self.word(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, x: u8) {
        self.word(u64::from(x));
    }
    fn write_u16(&mut self, x: u16) {
        self.word(u64::from(x));
    }
    fn write_u32(&mut self, x: u32) {
        self.word(u64::from(x));
    }
    fn write_u64(&mut self, x: u64) {
        self.word(x);
    }
    fn write_usize(&mut self, x: usize) {
        self.word(x as u64);
    }
    fn write_i32(&mut self, x: i32) {
        self.word(x as u32 as u64);
    }
    fn finish(&self) -> u64 {
        self.finish128() as u64
    }
}

impl Kernel {
    /// The 128-bit hash of each part of the kernel's semantic state ([`footprint::PARTS`], in
    /// order; see the module docs for what is left out): what an exploration keys states with
    /// (all of them, [`Kernel::state_hash`]) and chains into a task's fingerprint (those the
    /// task's poll touched).
    pub fn part_hashes(&self) -> [u128; footprint::PARTS.len()] {
        std::array::from_fn(|i| self.part_hash(i))
    }

    /// The hash of part `i` of [`footprint::PARTS`].
    ///
    /// Every field of [`Kernel`], of [`crate::kernel::sched::Sched`] and of
    /// [`crate::kernel::driver_core::DriverCore`] is named here, so that a field added to any
    /// of them does not compile until it is hashed or its exclusion is argued.
    pub fn part_hash(&self, i: usize) -> u128 {
        let Kernel {
            ops: _,
            cfg: _,
            plat: _,
            e820_sr: _,
            events: _,
            res,
            iomem: _,
            soft_reserve: _,
            sched,
            dc,
            modules,
            memregion,
            cxl,
            dax,
            hmem,
            mem,
            timeline,
            warns,
            memory_errors,
            observations,
            teardowns,
            causes,
            user_removed,
            run_facts: _,
            reporting,
            scheduler: _,
        } = self;
        debug_assert!(*reporting || timeline.is_empty());
        let crate::kernel::sched::Sched {
            tasks,
            current,
            spawned,
            works,
            device_lock_owner,
            region_rwsem_readers,
            region_rwsem_writer,
            init_done,
            alive_count,
            ordered,
            ordered_seq,
        } = sched;
        let crate::kernel::driver_core::DriverCore {
            devices,
            drivers,
            registered_drivers,
            deferred,
            deferred_active,
            deferred_trigger_count,
            bind_counter,
            deferred_probe_enable,
            deferred_probe_work,
            async_pending,
            pending_waits,
            udev,
            registered,
            bus_names,
        } = dc;
        let tasks = tasks.untracked();
        match i {
            0 => h(res),
            1 => h(modules),
            2 => h(memregion),
            3 => h(cxl),
            4 => h(dax),
            5 => h(hmem),
            6 => h(mem),
            7 => h(warns),
            8 => h(memory_errors),
            9 => h(observations),
            10 => h(teardowns),
            11 => h(causes),
            12 => h(user_removed),
            13 => by_name(tasks, |s, id, t| {
                id.hash(s);
                t.hash(s);
            }),
            14 => h(current),
            15 => h(spawned),
            16 => h(&works.untracked().iter().map(|w| w.name).collect::<Vec<_>>()),
            17 => h(device_lock_owner),
            18 => h(region_rwsem_readers),
            19 => h(region_rwsem_writer),
            20 => h(init_done),
            21 => h(alive_count),
            22 => h(ordered),
            23 => h(ordered_seq),
            24 => h(devices),
            25 => h(drivers),
            26 => h(registered_drivers),
            27 => h(deferred),
            28 => h(deferred_active),
            29 => h(deferred_trigger_count),
            30 => h(bind_counter),
            31 => h(deferred_probe_enable),
            32 => h(deferred_probe_work),
            33 => h(async_pending),
            34 => h(pending_waits),
            35 => h(udev),
            36 => h(registered),
            37 => h(bus_names),
            38 => h(&tasks.len()),
            39 => by_name(tasks, |s, id, t| {
                id.hash(s);
                t.alive.hash(s);
            }),
            40 => by_name(tasks, |s, id, t| {
                id.hash(s);
                t.body.hash(s);
            }),
            41 => by_name(tasks, |s, id, t| {
                let alive_probe = t.alive && matches!(t.body, TaskBody::AsyncProbe(_));
                if alive_probe {
                    id.hash(s);
                }
            }),
            42 => h(works),
            _ => panic!("no part {i}"),
        }
    }

    /// The hash of work item `i`.
    pub fn work_hash(&self, i: usize) -> u128 {
        h(&self.sched.works.untracked()[i])
    }

    /// The 128-bit hash of the whole semantic state: of [`Kernel::part_hashes`].
    pub fn state_hash(&self) -> u128 {
        combine(&self.part_hashes())
    }
}

/// The hash of a view of the task table: each task's entry as `entry` writes it, in the order
/// of the tasks' names (their numbers when no naming is on), each after its name.
///
/// A view changes only where an entry it writes changes (no count of the tasks, no place in
/// the order): [`ASYNC_PROBES`](footprint::ASYNC_PROBES), which writes only the async probes
/// alive, must not change when another kind of task is spawned, since such a spawn is not a
/// write of it (`explore`'s independence).
pub fn by_name(tasks: &[TaskInfo], entry: impl Fn(&mut StateHasher, TaskId, &TaskInfo)) -> u128 {
    let mut s = StateHasher::new();
    NAMING.with(|n| {
        let n = n.borrow();
        if n.active {
            assert_eq!(n.order.len(), tasks.len(), "tasks named before hashing");
            for &i in &n.order {
                entry(&mut s, TaskId(i), &tasks[i as usize]);
            }
        } else {
            for (i, t) in tasks.iter().enumerate() {
                entry(&mut s, TaskId(i as u32), t);
            }
        }
    });
    s.finish128()
}

/// The names of the tasks while an exploration hashes (module docs, "Task names").
#[derive(Default)]
struct Names {
    /// Hashing uses names (else task numbers hash as themselves).
    active: bool,
    /// Names are body and rank (else the number).
    symmetric: bool,
    /// Each task's name, by number.
    names: Vec<u128>,
    /// The task numbers in the order of their names.
    order: Vec<u32>,
}

thread_local! {
    static NAMING: RefCell<Names> = RefCell::new(Names::default());
}

/// Task naming for the hashes one run of an exploration makes on this thread: on from
/// [`Naming::start`] until it is dropped. Hashes made meanwhile must first name the tasks
/// spawned so far ([`name_tasks`]).
pub struct Naming(());

impl Naming {
    /// Starts naming for a new run (no task named yet), symmetric or by number.
    pub fn start(symmetric: bool) -> Naming {
        NAMING.with(|n| {
            *n.borrow_mut() = Names {
                active: true,
                symmetric,
                names: Vec::new(),
                order: Vec::new(),
            }
        });
        Naming(())
    }
}

impl Drop for Naming {
    fn drop(&mut self) {
        NAMING.with(|n| *n.borrow_mut() = Names::default());
    }
}

/// Names the tasks of `tasks` not named yet (those spawned since the last call of this run).
pub fn name_tasks(tasks: &[TaskInfo]) {
    NAMING.with(|n| {
        let mut n = n.borrow_mut();
        debug_assert!(n.active, "naming is on");
        for i in n.names.len()..tasks.len() {
            let mut s = StateHasher::new();
            if n.symmetric {
                let body = tasks[i].body;
                let rank = tasks[..i].iter().filter(|t| t.body == body).count();
                s.write_u8(1);
                body.hash(&mut s);
                s.write_usize(rank);
            } else {
                s.write_u8(0);
                s.write_usize(i);
            }
            let name = s.finish128();
            n.names.push(name);
            // By number, the order is the numbers'; by name, any fixed order of names.
            let at = if n.symmetric {
                n.order.partition_point(|&j| n.names[j as usize] < name)
            } else {
                n.order.len()
            };
            n.order.insert(at, i as u32);
        }
    });
}

/// Where task `t` stands in the order of names (its number when no naming is on): what a
/// visited state's sleep set records, so that it means the same tasks in every state with the
/// same hash.
pub fn task_position(t: TaskId) -> usize {
    NAMING.with(|n| {
        let n = n.borrow();
        if n.active {
            n.order
                .iter()
                .position(|&j| j == t.0)
                .expect("tasks named before hashing")
        } else {
            t.0 as usize
        }
    })
}

/// The name task `t` hashes as (its number when no naming is on, or for a number no task has:
/// the `u32::MAX` of "no task").
pub fn hash_task_id<H: Hasher>(t: TaskId, h: &mut H) {
    NAMING.with(|n| {
        let n = n.borrow();
        match n.names.get(t.0 as usize) {
            Some(&name) if n.active => {
                h.write_u8(1);
                h.write_u128(name);
            }
            _ => {
                h.write_u8(0);
                h.write_u32(t.0);
            }
        }
    })
}

fn h<T: Hash>(x: &T) -> u128 {
    let mut s = StateHasher::new();
    x.hash(&mut s);
    s.finish128()
}

/// The hash of a kernel whose parts hash to `parts`.
pub fn combine(parts: &[u128]) -> u128 {
    let mut h = StateHasher::new();
    for &p in parts {
        h.write_u128_words(p);
    }
    h.finish128()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hasher_tells_apart_what_it_should() {
        let h = |f: &dyn Fn(&mut StateHasher)| {
            let mut s = StateHasher::new();
            f(&mut s);
            s.finish128()
        };
        assert_ne!(h(&|s| s.write(b"ab")), h(&|s| s.write(b"ab\0")));
        assert_ne!(h(&|s| 1u32.hash(s)), h(&|s| 2u32.hash(s)));
        assert_ne!(h(&|s| (1u32, 2u32).hash(s)), h(&|s| (2u32, 1u32).hash(s)));
        assert_ne!(h(&|s| 0u64.hash(s)), h(&|_| {}));
        assert_eq!(h(&|s| "x".hash(s)), h(&|s| "x".hash(s)));
    }

    /// Two tables that spawned the same tasks in another order name them alike: a task hashes
    /// as its body and rank, the views of the table hash alike, and places in the order of
    /// names match. Named by number, or with no naming on, they differ.
    #[test]
    fn tasks_are_named_by_body_and_rank() {
        use crate::kernel::module::Module;
        use crate::kernel::sched::{TaskId, TaskInfo};
        let info = |body| TaskInfo {
            body,
            wait: None,
            alive: true,
        };
        let (kmem, hmem) = (
            TaskBody::Modprobe(Module::Kmem),
            TaskBody::Modprobe(Module::DaxHmem),
        );
        let a = [
            info(TaskBody::KernelInit),
            info(kmem),
            info(hmem),
            info(kmem),
        ];
        let b = [
            info(TaskBody::KernelInit),
            info(hmem),
            info(kmem),
            info(kmem),
        ];
        let id = |tasks: &[TaskInfo], symmetric: bool, t: u32| {
            let _naming = Naming::start(symmetric);
            name_tasks(tasks);
            let mut s = StateHasher::new();
            TaskId(t).hash(&mut s);
            (s.finish128(), task_position(TaskId(t)))
        };
        let view = |tasks: &[TaskInfo]| {
            let _naming = Naming::start(true);
            name_tasks(tasks);
            by_name(tasks, |s, id, t| {
                id.hash(s);
                t.hash(s);
            })
        };
        // a's dax_hmem is b's task 1; a's first kmem is b's task 2, the second task 3 in both.
        for (x, y) in [(2, 1), (1, 2), (3, 3), (0, 0)] {
            assert_eq!(id(&a, true, x), id(&b, true, y), "{x} {y}");
        }
        assert_ne!(id(&a, true, 1), id(&a, true, 3));
        assert_eq!(view(&a), view(&b));
        assert_ne!(id(&a, false, 2).0, id(&b, false, 1).0);
        assert_eq!(id(&a, false, 2).1, 2);
        let mut s = StateHasher::new();
        TaskId(2).hash(&mut s);
        assert_ne!(s.finish128(), id(&a, true, 2).0, "no naming: the number");
        // A name never changes, and places only shift by insertion.
        let _naming = Naming::start(true);
        name_tasks(&a[..2]);
        let mut first = StateHasher::new();
        TaskId(1).hash(&mut first);
        name_tasks(&a);
        let mut later = StateHasher::new();
        TaskId(1).hash(&mut later);
        assert_eq!(first.finish128(), later.finish128());
    }
}
