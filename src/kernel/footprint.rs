//! Which parts of the kernel one poll of a task touches, for exhaustive exploration
//! ([`crate::explore`]): a task's local state after a poll is a function of its local state
//! before and of what it read, so two histories of a task that read the same things leave it
//! in the same local state even when the rest of the kernel differed.
//!
//! The kernel's changing state is split into [`PARTS`]: every field of [`Kernel`] that can
//! change during a run, with the scheduler's and the driver core's split field by field, a few
//! views of the task table of their own ([`TASK_COUNT`], [`TASK_ALIVE`], [`TASK_BODIES`],
//! [`ASYNC_PROBES`]), work items one by one ([`touch_work`]) and task-table entries one by
//! one ([`touch_task`]: a wait for one task reads that task's entry, not the whole table). Each field is a [`Tracked`]
//! part: the only way to its contents is `Deref` (recorded as a read) / `DerefMut` (a write),
//! or [`Tracked::untracked`] / [`Tracked::untracked_mut`], whose few uses each say why the
//! access needs no record (the task's own `current` and its own wait, the same at the start of
//! every poll of it; a spawn's blind writes). The executor clears the sets before a poll and
//! reads them after ([`begin`], [`end`]); what the executor does between polls is not a task's
//! doing and is not recorded ([`BETWEEN_POLLS`] names what it writes).
//!
//! A touched part may have been read or written, and a mutable access counts as a write
//! whether or not it changed anything: both over-approximate (sound, if it merges less).
//! Fingerprints use what was touched; independence, for sleep sets, what was written.
//!
//! [`Kernel`]: crate::kernel::Kernel

use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    // One cell per set, so that recording a read is one `or` (this runs on every access).
    static PARTS_TOUCHED: Cell<u64> = const { Cell::new(0) };
    static PARTS_WRITTEN: Cell<u64> = const { Cell::new(0) };
    static WORKS_TOUCHED: Cell<u64> = const { Cell::new(0) };
    static WORKS_WRITTEN: Cell<u64> = const { Cell::new(0) };
    static TASKS_READ: Cell<u128> = const { Cell::new(0) };
    static RESUME: Cell<Option<u128>> = const { Cell::new(None) };
}

/// Whether accesses are recorded at all: off until an exploration first needs them
/// ([`record`]), so that the fuzzing paths, which never read a footprint, do not pay for it.
/// It only ever goes from off to on; what it changes is what [`end`] reports, never what the
/// model does.
static RECORDING: AtomicBool = AtomicBool::new(false);

/// Turns recording on for the rest of the process (an exploration calls it before its first
/// run; [`begin`] checks it).
pub fn record() {
    RECORDING.store(true, Ordering::Relaxed);
}

#[inline]
fn or(cell: &'static std::thread::LocalKey<Cell<u64>>, bits: u64) {
    if RECORDING.load(Ordering::Relaxed) {
        cell.with(|c| c.set(c.get() | bits));
    }
}

/// What one poll touched: parts ([`PARTS`], by bit) and work items (by index, below 64), and
/// of those, what it may have written (a mutable access).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// Parts read or written, by bit of [`PARTS`].
    pub parts: u64,
    /// Work items read or written, by index.
    pub works: u64,
    /// Parts accessed mutably.
    pub written_parts: u64,
    /// Work items accessed mutably.
    pub written_works: u64,
    /// Task-table entries read (whether the task is alive, what it runs), by task id below
    /// 128 ([`touch_task`]); a poll never writes one but through the scheduler.
    pub tasks: u128,
}

impl Touched {
    /// Nothing.
    pub const NONE: Touched = Touched {
        parts: 0,
        works: 0,
        written_parts: 0,
        written_works: 0,
        tasks: 0,
    };

    /// Both.
    pub fn union(self, o: Touched) -> Touched {
        Touched {
            parts: self.parts | o.parts,
            works: self.works | o.works,
            written_parts: self.written_parts | o.written_parts,
            written_works: self.written_works | o.written_works,
            tasks: self.tasks | o.tasks,
        }
    }
}

/// The parts, by bit: Kernel's fields, then Sched's.
pub const PARTS: [&str; 43] = [
    "res",
    "modules",
    "memregion",
    "cxl",
    "dax",
    "hmem",
    "mem",
    "warns",
    "memory_errors",
    "observations",
    "teardowns",
    "causes",
    "user_removed",
    "sched.tasks",
    "sched.current",
    "sched.spawned",
    "sched.works: names",
    "sched.device_lock_owner",
    "sched.region_rwsem_readers",
    "sched.region_rwsem_writer",
    "sched.init_done",
    "sched.alive_count",
    "sched.ordered",
    "sched.ordered_seq",
    "dc.devices",
    "dc.drivers",
    "dc.registered_drivers",
    "dc.deferred",
    "dc.deferred_active",
    "dc.deferred_trigger_count",
    "dc.bind_counter",
    "dc.deferred_probe_enable",
    "dc.deferred_probe_work",
    "dc.async_pending",
    "dc.pending_waits",
    "dc.udev",
    "dc.registered",
    "dc.bus_names",
    "sched.tasks: how many",
    "sched.tasks: which are alive",
    "sched.tasks: bodies",
    "sched.tasks: the async probes alive",
    "sched.works: every item",
];

/// The number of tasks (what `spawn` reads to number a new one): a part of its own, so that a
/// spawn does not read every task's wait.
pub const TASK_COUNT: u8 = 38;
/// Which tasks have finished (what `TaskDone` waits and udev read): touched whole only for a
/// task numbered 128 or more, entry by entry below ([`touch_task`]).
pub const TASK_ALIVE: u8 = 39;
/// What each task runs (what an observation names a task by): like [`TASK_ALIVE`].
pub const TASK_BODIES: u8 = 40;
/// Which async probes are alive (what `async_synchronize_full` waits for).
pub const ASYNC_PROBES: u8 = 41;
/// The names of the work items, in order (what numbering a new one or finding one by name
/// reads).
pub const WORK_NAMES: u8 = 16;
/// Every work item: touched for an item past the 64 tracked one by one.
pub const WORKS_ALL: u8 = 42;

/// What a spawn or an exit writes of the task table without touching it (a blind write): the
/// live count, and the table as a whole (`sched.tasks`, which no poll reads whole today; a
/// poll that did would conflict with every spawn and exit, and with every poll that blocks,
/// since a blocking poll writes its own wait there unrecorded). The entries it writes are its
/// own ([`Touched::tasks`]), and it writes [`ASYNC_PROBES`] only for an async probe.
pub const TASK_TABLE_WRITES: u64 = (1 << 13) | (1 << 21);

/// The parts the executor writes between polls (a task's wait, whether it is alive, the live
/// count, the current task, the spawned list) and those a poll writes blindly without touching
/// them (a spawn's new entry and live count): the parts whose hash can change without the
/// last poll having touched them.
pub const BETWEEN_POLLS: u64 = (1 << 13)
    | (1 << 14)
    | (1 << 15)
    | (1 << 21)
    | (1 << TASK_COUNT)
    | (1 << TASK_ALIVE)
    | (1 << TASK_BODIES)
    | (1 << ASYNC_PROBES);

/// A part of the kernel's state whose accesses are recorded; `BIT` is its index in [`PARTS`].
#[derive(Default, Debug)]
pub struct Tracked<T, const BIT: u8>(T);

impl<T, const BIT: u8> Tracked<T, BIT> {
    /// Wraps a part's initial value.
    pub const fn new(x: T) -> Self {
        Tracked(x)
    }

    /// The contents, unrecorded: for the executor, the hasher, and accesses whose result is the
    /// same at the start of every poll of a task (each use says why).
    pub fn untracked(&self) -> &T {
        &self.0
    }

    /// [`Tracked::untracked`], mutably.
    pub fn untracked_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// Records that the running poll read part `bit` (for parts that are a view of a field rather
/// than a field: [`TASK_COUNT`], [`TASK_ALIVE`], …).
#[inline]
pub fn touch(bit: u8) {
    or(&PARTS_TOUCHED, 1 << bit);
}

/// Records that the running poll wrote part `bit`.
#[inline]
pub fn touch_mut(bit: u8) {
    or(&PARTS_TOUCHED, 1 << bit);
    or(&PARTS_WRITTEN, 1 << bit);
}

impl<T, const BIT: u8> Deref for Tracked<T, BIT> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        touch(BIT);
        &self.0
    }
}

impl<T, const BIT: u8> DerefMut for Tracked<T, BIT> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        touch_mut(BIT);
        &mut self.0
    }
}

impl<T: Hash, const BIT: u8> Hash for Tracked<T, BIT> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.hash(h);
    }
}

impl<T: PartialEq, const BIT: u8> PartialEq<T> for Tracked<T, BIT> {
    fn eq(&self, other: &T) -> bool {
        **self == *other
    }
}

impl<T: Clone, const BIT: u8> Clone for Tracked<T, BIT> {
    fn clone(&self) -> Self {
        Tracked(self.0.clone())
    }
}

/// Records that the running poll read task `t`'s entry (whether it is alive, what it runs):
/// one entry for a task numbered below 128, else the whole of both parts.
#[inline]
pub fn touch_task(t: u32) {
    if t >= 128 {
        touch(TASK_ALIVE);
        touch(TASK_BODIES);
        return;
    }
    if RECORDING.load(Ordering::Relaxed) {
        TASKS_READ.with(|c| c.set(c.get() | 1 << t));
    }
}

/// Records that the running poll read (or, with `write`, wrote) work item `i`.
#[inline]
pub fn touch_work(i: usize, write: bool) {
    if i >= 64 {
        if write {
            touch_mut(WORKS_ALL);
        } else {
            touch(WORKS_ALL);
        }
        return;
    }
    or(&WORKS_TOUCHED, 1 << i);
    if write {
        or(&WORKS_WRITTEN, 1 << i);
    }
}

/// Runs `f` without recording what it touches (the touched sets are as before it).
pub fn untracked<R>(f: impl FnOnce() -> R) -> R {
    if !RECORDING.load(Ordering::Relaxed) {
        return f();
    }
    let saved = end();
    let r = f();
    set(saved);
    r
}

fn set(t: Touched) {
    PARTS_TOUCHED.with(|c| c.set(t.parts));
    PARTS_WRITTEN.with(|c| c.set(t.written_parts));
    WORKS_TOUCHED.with(|c| c.set(t.works));
    WORKS_WRITTEN.with(|c| c.set(t.written_works));
    TASKS_READ.with(|c| c.set(t.tasks));
}

/// Starts recording a poll's accesses on this thread.
pub fn begin() {
    assert!(
        RECORDING.load(Ordering::Relaxed),
        "footprints are read only after `footprint::record()`"
    );
    set(Touched::NONE);
    RESUME.with(|c| c.set(None));
}

/// Records that the running poll ends at a resume point
/// ([`crate::kernel::sched::block_on_resuming`]): a wait after which the task's future does
/// only what `point` names.
pub fn resume_at(point: u128) {
    if RECORDING.load(Ordering::Relaxed) {
        RESUME.with(|c| c.set(Some(point)));
    }
}

/// The resume point the poll since [`begin`] ended at, if it ended at one.
pub fn resumed() -> Option<u128> {
    RESUME.with(Cell::get)
}

/// What was touched since [`begin`].
pub fn end() -> Touched {
    Touched {
        parts: PARTS_TOUCHED.with(Cell::get),
        works: WORKS_TOUCHED.with(Cell::get),
        written_parts: PARTS_WRITTEN.with(Cell::get),
        written_works: WORKS_WRITTEN.with(Cell::get),
        tasks: TASKS_READ.with(Cell::get),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_unrecorded_accesses_are_told_apart() {
        record();
        let mut a: Tracked<Vec<u32>, 3> = Tracked::new(vec![1]);
        let b: Tracked<u32, 5> = Tracked::new(7);
        begin();
        assert_eq!(a.len(), 1);
        assert_eq!(*b, 7);
        let t = end();
        assert_eq!(t.parts, (1 << 3) | (1 << 5));
        assert_eq!(t.written_parts, 0);
        begin();
        a.push(2);
        let t = end();
        assert_eq!((t.parts, t.written_parts), (1 << 3, 1 << 3));
        begin();
        a.untracked_mut().push(3);
        let n = untracked(|| b.wrapping_add(1));
        assert_eq!((n, a.untracked().len()), (8, 3));
        assert_eq!(end(), Touched::NONE);
        begin();
        touch_work(2, false);
        touch_work(4, true);
        touch_work(70, false);
        let t = end();
        assert_eq!((t.works, t.written_works), (0b10100, 0b10000));
        assert_eq!(t.parts, 1 << WORKS_ALL);
        begin();
        touch_task(3);
        touch_task(200);
        let t = end();
        assert_eq!(t.tasks, 0b1000);
        assert_eq!(t.parts, (1 << TASK_ALIVE) | (1 << TASK_BODIES));
    }
}
