//! Exhaustive exploration of one scenario's schedules: every order in which the scheduler can
//! run the tasks, not one order drawn by the fuzzer.
//!
//! A run's schedule is its choices at each scheduling decision (a point where more than one
//! task is runnable: byte `n` of the schedule picks among them; past the end the oldest runs,
//! or, in the walk, the oldest not asleep).
//! The executor records how many tasks were runnable at each decision
//! ([`crate::kernel::sched::Executor::arities`]), so the choices form a tree that a depth-first
//! walk covers: run a prefix, and for every decision past it push each other choice. Runs are
//! deterministic, so the walk is exact.
//!
//! **State hashing (a stateful DFS).** Two schedule prefixes often reach one state; by default
//! the walk explores each state once. The model's tasks are Rust futures: their local state is
//! opaque and cannot be cloned, so a run cannot be resumed from a saved state and every run
//! replays its prefix from boot (stateless, as shuttle and loom do); what hashing saves is
//! running a prefix's continuation when an earlier run already went on from the same state.
//! This is a hand-written walk rather than the stateright crate because stateright needs an
//! explicit, cloneable state to enumerate successors from, which futures are not.
//!
//! The exploration state at a decision is keyed by:
//!
//! - (a) the kernel's semantic state ([`Kernel::state_hash`], `kernel/state.rs`: every field of
//!   [`Kernel`] later behaviour or a judge can depend on — resource arena, scheduler with its
//!   work items and task infos (body, wait, alive), driver core, modules, memregion ida,
//!   CXL/DAX/HMEM state, memory hotplug, WARNs, memory-safety errors, the observations made
//!   at `settle` points so far, teardowns, cause frames, `user_removed` — hashed in order, no
//!   list as a multiset; left out only what is fixed for the whole exploration and the
//!   timeline, which stays empty when `reporting` is off, as here);
//! - not the polls made so far, although the step bound ends a run after a fixed number of
//!   polls, so that two otherwise equal states reached after different counts could end
//!   differently: each visited state records the most polls it was explored after, and an
//!   arrival after more polls is explored again (below, "Polls");
//! - (b) for each live task, its name (below, "Task symmetry") and a fingerprint: the hash
//!   chain, over its polls so far, of the parts of the kernel each poll touched
//!   ([`crate::kernel::footprint`]) and their hashes at the start of that poll, of the
//!   task-table entries it read (another task's `alive` and body, entry by entry, by name)
//!   and their values, and of the names of the tasks it spawned (0 for a task never polled).
//!   Its body and wait are in (a) already. Finished tasks drop out: their locals can no
//!   longer matter.
//!
//! Why equal keys have equal futures (soundness). Between scheduling points a task runs alone
//! and deterministically, reading and writing only the kernel and its own locals (the
//! platform, the events and the design's ops are the same in every run of one exploration).
//! Two polls of one task with equal locals, in kernels whose parts that the first poll
//! touched are equal, run alike: in lockstep, each access is to a touched part, whose first
//! access sees equal contents and later ones only what the poll itself wrote; so they touch
//! the same parts and leave equal locals. (Every access to the kernel's changing state goes
//! through the footprint's recording types; the few accesses that are not recorded read
//! values that are the same at the start of every poll of the task, or are blind writes, and
//! say so where they are made.) So a task's local state after its n-th poll is a function of
//! its body and, for each poll, what it touched and those parts' contents — which its
//! fingerprint determines (by induction on n; a future not yet polled is a function of its
//! body). The executor's own state (the live list, the futures) is a function of the tasks.
//! Equal keys therefore mean equal kernels and equal live tasks with equal local states:
//! every choice sequence from there produces the same kernels, the same observations and the
//! same ending, unless the step bound falls differently (below, "Polls"). The walk prunes a
//! run at the first decision past its prefix whose key an earlier run reached (under a sleep
//! set no larger, below); that earlier run pushed every other choice at that state, so the
//! continuations of the pruned run are all explored from there (by induction on the longest
//! run from a state: runs end). Since
//! the observations at `settle` points, the WARNs and memory errors so far are part of (a),
//! a pruned prefix can only reach outcomes and findings that the visited state reaches: the
//! sets of outcomes and finding titles are exactly those of the stateless walk
//! (`state_hashing_keeps_every_outcome_and_finding` checks it on scenarios both walks
//! exhaust). A pruned run is not a leaf: it is neither judged nor counted in an outcome.
//!
//! **Sleep sets** (Godefroid's partial-order reduction, with state caching). A transition is a
//! task's next poll; its footprint is what the poll touched and wrote
//! ([`crate::kernel::footprint`]), what deciding that the task may run read (its wait's
//! condition), and the scheduler's blind writes when it spawns or exits. Two transitions whose
//! footprints do not conflict (neither writes what the other touches) commute — either order
//! reaches the same kernel and the same task locals, by the lockstep argument above — and
//! neither enables or disables the other. Blind writes conflict with an access to the same
//! part, never with each other: each sets or clears its own task's entry (a spawn's new id is
//! a real access, to the task count) and counts the live tasks up or down, which commute; so
//! two tasks that each finish in a poll are independent unless something else they touch is
//! shared (counted as conflicting, they would make almost every pair of polls dependent). After a decision's first choice, each sibling run
//! starts with the transitions taken before it at that decision asleep; a transition stays
//! asleep while only transitions independent of it run (its footprint is unchanged meanwhile,
//! since nothing it reads changes), and a run never takes one that is asleep: every state and
//! ending it would lead to is reached from the sibling that took it first. A visited state
//! keeps the sleep set it was explored under; a later arrival is pruned only when that set is
//! contained in its own (else it is explored again, and only what both left asleep stays so).
//! Sleep sets save runs, not states: every reachable state is still visited once.
//!
//! **Polls.** A state's record is the sleep set it was explored under and the polls made when
//! it was reached; an arrival is pruned only when it comes after no more polls as well
//! ([`Explored::covers`]). Why that is enough, when no run of the walk reached the step bound:
//! from one key, two arrivals after `t` ≤ `s` polls make the same polls in the same order
//! (equal keys), only numbered lower by `s − t`; the explored continuations from `s` end,
//! without reaching the bound, in an ending or at a state recorded after at least as many
//! polls as the continuation had made; so the same continuation from `t` ends the same way,
//! further from the bound, or reaches that state after fewer polls than its record, where the
//! same holds (by induction on the polls left before the bound). Keying on the count instead
//! would split a state for every way its finished tasks could have spent their polls (on the
//! two-window platform, 1.8 times the states). When a run of the walk does reach the bound (a
//! livelock), the argument fails for its shifted copies, and the walk is made again with the
//! count in the key ([`Exploration::polls_keyed`]), where equal keys are equal polls.
//!
//! **Threads** ([`explore_on`] with `jobs` > 1). The threads share the visited states (64
//! shards, each behind a lock; a key's check and insertion happen under its shard's lock) and
//! one depth-first stack of nodes still to run, and the walk ends when the stack is empty and
//! no thread is running a node. The arguments above hold unchanged: a run pruned at a state
//! another thread inserted is covered by that thread's pushes, which some thread runs before
//! the walk ends; a sibling that starts before an earlier sibling recorded its transition at
//! their node simply sleeps on less (a smaller sleep set explores more, never less), and no
//! two siblings can each sleep on the other (each reads the node's taken list before it
//! records its own). What depends on timing is which of two runs reaching one state goes on,
//! so the runs, leaves and the shortest schedules kept can differ between walks; the set of
//! states visited (every reachable one), the outcomes and the findings cannot.
//!
//! Caveats, written down: keys are 128-bit hashes ([`crate::kernel::state::StateHasher`], not
//! cryptographic), so a collision between two states of one exploration would prune wrongly
//! (about n²/2¹²⁹ for n states if it behaves like a random function); a fingerprint records
//! the parts a poll touched, read or written, at the granularity of [`footprint::PARTS`] (a
//! kernel field, a scheduler or driver-core field, one work item), so two orders of tasks
//! that touch a common part still give the tasks that stay alive different fingerprints —
//! sound, but it merges less than finer footprints would. An outcome's or finding's schedule is the shortest seen, which need not be the
//! shortest that exists once runs are pruned; its `runs` counts leaves, not schedules.
//! `--no-state-hashing` ([`explore_with`] with `hashing` off) runs every schedule to the end.
//!
//! **Task symmetry.** Tasks are numbered in spawn order, so two interleavings that spawn the
//! same tasks in another order number them differently, and keys on numbers keep them apart.
//! On scheduler version 2 the key names tasks instead ([`state::Naming`]): a task's name is
//! its body and its rank among the tasks with that body, in spawn order (the second
//! `modprobe kmem`); every task number in the kernel's state (a `TaskDone` wait, a work
//! item's kworker, a lock's owner, a cause frame, a pending wait, udev's loads) hashes as its
//! name, the views of the task table list tasks in the order of names, the live tasks of (b)
//! come in that order, and a visited state's sleep set records places in that order. Why
//! equal keys may then stand for each other: equal keys mean the same names (the task table
//! is hashed whole) and states equal up to the renaming π that maps each task to the task of
//! the same name. The model is equivariant under renaming tasks: kernel code uses a task
//! number only to index the table, to compare for equality, and to store or wait for it,
//! never for its order, except scheduler version 1's oldest async probe first, so a version 1
//! exploration names tasks by number. The executor lists the runnable tasks by number, which
//! only changes which schedule byte picks which task, and the walk takes every choice.
//! Observations name tasks by body, never by number (the end's blocked tasks are listed in
//! task order, which the comparison of outcomes sorts away and the judge titles one by one),
//! so a judged outcome is the same under π.
//! A fingerprint records what each poll read by name and value, and the names of the tasks it
//! spawned (locals may keep their numbers: `request_module` waits for its modprobe), so equal
//! fingerprints mean locals equal up to π, by the same induction as above; and places in the
//! order of names correspond under π, so sleep sets compare as before. A name never changes
//! once given, and a view of the table changes only where an entry it writes changes (never
//! with the count of tasks), so spawning a task writes no part it did not write before and
//! independence is unchanged. A sleep set's bits hold places below 128, so a walk that meets
//! more than 128 tasks is made again with tasks named by number ([`Exploration::symmetric`]).
//! `state_hashing_keeps_every_outcome_and_finding` compares both namings, and
//! `threads_share_a_walk_without_changing_its_result` checks that the states do not depend on
//! which thread reached a state first (a renaming that broke independence would). On the
//! two-window platform it cuts the states 1.7–2.8 times (BENCHMARKS.md).
//!
//! **Resume points.** A fingerprint chains every poll of a task, so a task that waits long
//! (a modprobe in `do_init_module`'s `async_synchronize_full`, which lasts as long as the
//! async probes its init started) carries the contents of every part it ever touched, and two
//! interleavings that leave it in the same place keep it apart. Where a task waits at a point
//! after which its future does only what some words say ([`crate::kernel::sched::Resume`]:
//! each frame's remaining code and the locals it uses), the wait names them
//! ([`crate::kernel::sched::block_on_resuming`]), and the task's fingerprint restarts as the
//! hash of its body and those words. Sound by the argument above: two tasks of one body at
//! equal resume points have futures that run alike from the same kernel. Each resume point
//! says at its site why its words are all its continuation uses. There are two: the end of a
//! successful load in a modprobe task (the module, and for a dependency loaded on the way,
//! the loading module and the dependency's place in its list, frame by frame), and the end of
//! `kernel_init`. A `modprobe` called from elsewhere names none (its caller's continuation is
//! not known), nor does scheduler version 1's wait per probe. The tests compare walks with
//! and without them; on the two-window platform they cut the states 2.2–5.2 times more
//! (BENCHMARKS.md), and v6's walk finishes.
//!
//! No symmetry over memdevs: memdevs are interchangeable only if their attributes, host
//! bridges and windows are, addresses included, and every observation names ranges by
//! address, so swapping two memdevs of different windows changes what the judges see;
//! canonicalizing the key by sorting per-memdev state would also need the ids the kernel
//! allocated in their order (device ids, region ids, resource nodes) renamed consistently,
//! which is not done.

pub mod bound;

use crate::checks;
use crate::designs::Design;
use crate::kernel::footprint;
use crate::kernel::sched::{Control, Hook, Step, TaskBody, TaskId};
use crate::kernel::state::{self, StateHasher};
use crate::kernel::Kernel;
use crate::model;
use crate::scenario::{Scenario, Scheduler};
use srfuzz_oracle::Observation;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// One distinct way a design's runs of the scenario end.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The shortest schedule seen that reaches it, the lowest of those as long (choices;
    /// trailing canonical choices dropped). With state hashing, a shorter one may exist among
    /// the pruned prefixes.
    pub schedule: Vec<u8>,
    /// Complete runs (leaves of the walk) that end so.
    pub runs: u64,
    /// The run's observations (each `settle` point, then the end).
    pub observations: Vec<Observation>,
}

/// A finding some schedule shows, with the shortest schedule that shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    /// The finding's title.
    pub title: String,
    /// The shortest schedule seen that shows it (as for [`Outcome::schedule`]).
    pub schedule: Vec<u8>,
    /// Complete runs that show it.
    pub runs: u64,
}

/// The exploration of one design.
#[derive(Clone, Debug)]
pub struct Exploration {
    /// The design.
    pub design: &'static Design,
    /// Runs made: complete ones ([`Exploration::leaves`]) and pruned ones.
    pub runs: u64,
    /// Runs that went to the end: each judged once.
    pub leaves: u64,
    /// States explored: with state hashing, the distinct states met at scheduling decisions;
    /// without, the decisions met past each run's prefix (each a distinct schedule prefix).
    pub states: u64,
    /// Whether state hashing was on.
    pub hashing: bool,
    /// Whether every schedule was covered (else the bound stopped the walk).
    pub complete: bool,
    /// Distinct outcomes (compared as the differential check compares two runs), in order of
    /// first sight; the canonical schedule's comes first.
    pub outcomes: Vec<Outcome>,
    /// Findings (invariants and spec, declared ones left out), in order of first sight: the
    /// design's own judgement of each run, not split against mainline (explore mainline too to
    /// see which it shares).
    pub findings: Vec<Shown>,
    /// Order dependence against every schedule: each way an outcome differs from the
    /// canonical schedule's, titled as the order check titles it
    /// ([`checks::order_differences`]), with the shortest schedule seen that shows it (its
    /// `runs`: complete runs that end in an outcome showing it), declared ones left out; none
    /// when a user action races with the kernel ([`checks::user_acts_on_a_quiet_system`]).
    /// Each replays as an order repro: the scenario with that `[schedule]`.
    pub order: Vec<Shown>,
    /// Most scheduling decisions in one run.
    pub deepest: usize,
    /// The polls made were part of the state key: a run of the first walk reached the step
    /// bound, and the walk was made again (module docs, "Polls"); its runs are counted alone.
    pub polls_keyed: bool,
    /// Tasks were named by body and rank in the state keys (module docs, "Task symmetry"):
    /// with state hashing on scheduler version 2, unless a run met more than 128 tasks.
    pub symmetric: bool,
    /// Wall time.
    pub seconds: f64,
}

/// Runs every schedule of `s` on `design` with state hashing, making at most `max_runs` runs.
pub fn explore(design: &'static Design, s: &Scenario, max_runs: u64) -> Exploration {
    explore_with(design, s, max_runs, true)
}

/// A state key is already a hash: the visited set uses its low bits as they are.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u128(&mut self, x: u128) {
        self.0 = x as u64;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// What the explorations of one state so far cover: arrivals with every transition outside
/// `asleep` left to take, after at most `polls` polls (module docs, "Polls").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Explored {
    /// The sleep set's task ids, as a bit set.
    asleep: u128,
    /// The polls made when the state was reached.
    polls: u32,
}

impl Explored {
    /// Whether an arrival with sleep set `asleep` after `polls` polls is covered: nothing it
    /// must explore was left asleep here, and it comes no later.
    fn covers(self, asleep: u128, polls: u32) -> bool {
        self.asleep & !asleep == 0 && polls <= self.polls
    }

    /// What this and an exploration of an arrival it did not cover cover together: the one
    /// that covers the other's arrivals as well when one does (the new one: it left no more
    /// asleep and came later), else what both do (what both left asleep, the earlier count).
    fn and(self, asleep: u128, polls: u32) -> Explored {
        if asleep & !self.asleep == 0 && polls >= self.polls {
            Explored { asleep, polls }
        } else {
            Explored {
                asleep: self.asleep & asleep,
                polls: self.polls.min(polls),
            }
        }
    }
}

/// Visited states, each with what its explorations cover.
type Visited = HashMap<u128, Explored, BuildHasherDefault<PassThrough>>;

/// A task's next poll from some state, with its footprint: what the poll touched (with the
/// scheduler's blind writes of a spawn or an exit) and what deciding that the task may run
/// read (its wait). Two transitions whose footprints are disjoint commute and neither
/// disables the other ([`independent`]).
#[derive(Clone, Copy, Debug)]
struct Transition {
    task: TaskId,
    footprint: footprint::Touched,
    /// The scheduler's blind writes of a spawn or an exit: parts the poll changed without
    /// touching them ([`footprint::TASK_TABLE_WRITES`], [`footprint::ASYNC_PROBES`] for an
    /// async probe, the whole task table for a task numbered 128 or more) or none.
    blind: u64,
    /// The task-table entries written blindly: the exiting task's, the spawned ones'.
    blind_tasks: u128,
}

/// Whether two transitions of different tasks commute: neither writes what the other reads
/// or writes (a mutable access counts as a write whether or not it changed anything:
/// conservative), and neither writes blindly what the other touches (blind writes commute
/// with each other: module docs, "Sleep sets").
fn independent(a: &Transition, b: &Transition) -> bool {
    let all = 1u64 << footprint::WORKS_ALL;
    let table = (1u64 << footprint::TASK_ALIVE) | (1 << footprint::TASK_BODIES);
    let one_way = |a: &Transition, b: &Transition| {
        let (x, y) = (a.footprint, b.footprint);
        x.written_parts & y.parts == 0
            && x.written_works & y.works == 0
            && !(x.written_parts & all != 0 && y.works != 0)
            && !(x.written_works != 0 && y.parts & all != 0)
            && a.blind & y.parts == 0
            && a.blind_tasks & y.tasks == 0
            && !(a.blind_tasks != 0 && y.parts & table != 0)
            && !(a.blind & table != 0 && y.tasks != 0)
    };
    one_way(a, b) && one_way(b, a)
}

/// The sleep set as a bit set of its tasks' places in the order of names
/// ([`state::task_position`]), which mean the same tasks in every state with the same key (a
/// task numbered 128 or more is never put to sleep, and with symmetric naming a walk meeting
/// more than 128 tasks is made again without it: every place is below 128).
fn positions(sleep: &[Transition]) -> u128 {
    sleep
        .iter()
        .fold(0, |m, t| m | (1u128 << state::task_position(t.task)))
}

/// A scheduling decision some run reached at a new state: what a run going on from there
/// needs (every task's fingerprint before the poll; the kernel is the run's own, runs being
/// deterministic), the sleep set it was reached with, and the transitions taken from it so
/// far (each sibling run adds its own, in order).
struct Node {
    fingerprints: Vec<u128>,
    sleep: Vec<Transition>,
    taken: Mutex<Vec<Transition>>,
}

/// One node of the walk still to run: a schedule prefix whose last choice leaves the path of
/// the run that pushed it, and the decision there.
struct Pending {
    prefix: Vec<u8>,
    at: Option<Arc<Node>>,
}

/// A new decision a run reached: its node, the choices it took there, and the others to
/// push (the runnable tasks not asleep).
struct Reached {
    node: Arc<Node>,
    others: Vec<u8>,
}

/// The hook of one run: replays the prefix without hashing, takes over its parent's
/// fingerprints and sleep set at the prefix's last decision, then hashes every state past it,
/// stops at the first one already explored under a sleep set no larger than its own, and
/// never runs a task that is asleep (sleep sets: a transition independent of everything run
/// since a sibling run took it leads to states that sibling's subtree covers).
struct Walker<'v> {
    visited: &'v Shards,
    /// How states are keyed.
    keying: Keying,
    /// Set when a run met more than 128 tasks with symmetric naming.
    overflow: &'v AtomicBool,
    /// The decision at which this run leaves its parent's path, and the node there.
    resume: Option<(u32, Arc<Node>)>,
    /// Past the replayed part: fingerprints are kept up to date.
    hashing: bool,
    /// Each task's fingerprint, by task id: the hash chain, over its polls so far, of the parts
    /// of the kernel each poll touched and their hashes at its start (0: never polled),
    /// restarted where a poll ended at a resume point.
    fingerprints: Vec<u128>,
    /// The hash of each part of the kernel at the start of the poll being made.
    start: [u128; footprint::PARTS.len()],
    /// The hash of each work item there.
    start_works: Vec<u128>,
    /// What the last poll touched, when it was hashed and `start` was up to date before it.
    last: Option<footprint::Touched>,
    /// The sleep set: transitions not to take (each taken by an earlier sibling, independent of
    /// everything run since).
    sleep: Vec<Transition>,
    /// The poll being made, past the replayed part: its task, what its wait read, and the node
    /// it was taken from (at a decision).
    taking: Option<(TaskId, footprint::Touched, Option<Arc<Node>>)>,
    /// The number of tasks at the start of the poll being made (those numbered from it on were
    /// spawned by it).
    tasks_before: usize,
    /// The choices past the prefix, one per decision.
    choices: Vec<u8>,
    /// The new decisions this run reached, in order (the first right after the prefix).
    new: Vec<Reached>,
}

impl Walker<'_> {
    /// The task `t` was polled and touched the parts `touched` (whose hashes at the start of
    /// the poll are in `self.start`).
    /// The task-table entries it read are hashed as they are after the poll: a poll writes
    /// none but a new task's, which only its own reads decided.
    fn advance(&mut self, k: &Kernel, t: TaskId, touched: footprint::Touched) {
        let i = t.0 as usize;
        if self.fingerprints.len() <= i {
            self.fingerprints.resize(i + 1, 0);
        }
        let tasks = k.sched.tasks.untracked();
        state::name_tasks(tasks);
        let mut h = StateHasher::new();
        h.write_u128_words(self.fingerprints[i]);
        h.write_u64(touched.parts);
        h.write_u64(touched.works);
        // The entries read, each by name with what it held, in the order of names; then the
        // tasks this poll spawned, whose numbers its locals may keep (`request_module`).
        let mut read: Vec<(usize, usize)> = Vec::new();
        let mut bits = touched.tasks;
        while bits != 0 {
            let e = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let at = if e < tasks.len() {
                state::task_position(TaskId(e as u32))
            } else {
                usize::MAX
            };
            read.push((at, e));
        }
        read.sort_unstable();
        for (_, e) in read {
            match tasks.get(e) {
                Some(info) => {
                    TaskId(e as u32).hash(&mut h);
                    info.alive.hash(&mut h);
                    info.body.hash(&mut h);
                }
                None => {
                    h.write_u8(2);
                    h.write_usize(e - tasks.len());
                }
            }
        }
        h.write_usize(tasks.len() - self.tasks_before);
        for e in self.tasks_before..tasks.len() {
            TaskId(e as u32).hash(&mut h);
        }
        for (bit, part) in self.start.iter().enumerate() {
            if touched.parts & (1 << bit) != 0 {
                h.write_u128_words(*part);
            }
        }
        for (bit, item) in self.start_works.iter().enumerate().take(64) {
            if touched.works & (1 << bit) != 0 {
                h.write_u128_words(*item);
            }
        }
        let resumed = footprint::resumed().filter(|_| self.keying.resume_points);
        self.fingerprints[i] = match resumed {
            // The poll ended at a resume point: what the task does from here is its body and
            // that point, whatever it did before (module docs, "Resume points").
            Some(point) => {
                let mut h = StateHasher::new();
                h.write_u8(3);
                tasks[i].body.hash(&mut h);
                h.write_u128_words(point);
                h.finish128()
            }
            None => h.finish128(),
        };
    }

    /// Records the kernel's parts at the start of a poll; returns the whole kernel's hash.
    /// Right after a hashed poll only what it touched and what the executor writes between
    /// polls ([`footprint::BETWEEN_POLLS`]) can differ from the last start, so only those are
    /// hashed again.
    fn at_start(&mut self, k: &Kernel) -> u128 {
        state::name_tasks(k.sched.tasks.untracked());
        let n = k.sched.works.untracked().len();
        match self.last.take() {
            Some(t) => {
                // Only what the poll accessed mutably can have changed.
                let mut dirty = t.written_parts | footprint::BETWEEN_POLLS;
                if t.written_works != 0 {
                    dirty |= 1 << footprint::WORKS_ALL;
                }
                for (i, part) in self.start.iter_mut().enumerate() {
                    if dirty & (1 << i) != 0 {
                        *part = k.part_hash(i);
                    }
                }
                let all = t.written_parts & (1 << footprint::WORKS_ALL) != 0;
                let old = self.start_works.len();
                self.start_works.resize(n, 0);
                for (i, item) in self.start_works.iter_mut().enumerate() {
                    if all || i >= old || (i < 64 && t.written_works & (1 << i) != 0) {
                        *item = k.work_hash(i);
                    }
                }
            }
            None => {
                self.start = k.part_hashes();
                self.start_works = (0..n).map(|i| k.work_hash(i)).collect();
            }
        }
        // What the tests check on every state: the cache is what hashing afresh gives.
        debug_assert_eq!(self.start, k.part_hashes(), "a part changed untouched");
        debug_assert!((0..n).all(|i| self.start_works[i] == k.work_hash(i)));
        state::combine(&self.start)
    }

    /// The exploration state at a decision: the kernel's state, the fingerprint of every live
    /// task, and with `polls_keyed` the polls made.
    fn key(&self, k: &Kernel, kernel: u128, steps: u32) -> u128 {
        let mut h = StateHasher::new();
        h.write_u128_words(kernel);
        if self.keying.polls {
            h.write_u32(steps);
        }
        let live = state::by_name(k.sched.tasks.untracked(), |s, t, info| {
            if info.alive {
                t.hash(s);
                s.write_u128_words(self.fingerprints.get(t.0 as usize).copied().unwrap_or(0));
            }
        });
        h.write_u128_words(live);
        h.finish128()
    }

    /// Whether `t` is asleep.
    fn asleep(&self, t: TaskId) -> bool {
        self.sleep.iter().any(|s| s.task == t)
    }

    /// What deciding that `t` may run reads: the parts its wait's condition reads.
    fn enabling(k: &Kernel, t: TaskId) -> footprint::Touched {
        match k.sched.tasks.untracked()[t.0 as usize].wait {
            None => footprint::Touched::default(),
            Some(w) => {
                footprint::begin();
                let _ = k.wait_satisfied(w, t);
                footprint::end()
            }
        }
    }
}

impl Hook for Walker<'_> {
    fn choose(&mut self, k: &Kernel, runnable: &[TaskId], steps: u32) -> Option<usize> {
        // A new decision (past the prefix): prune at a state explored under a sleep set no
        // larger than this run's after no fewer polls; else go on with the oldest runnable
        // task not asleep.
        if self.keying.symmetric && k.sched.tasks.untracked().len() > 128 {
            // Places past 128 do not fit a sleep set's bits: the walk is made again with tasks
            // named by number ([`Exploration::symmetric`]).
            self.overflow.store(true, Ordering::Relaxed);
            return None;
        }
        let kernel = self.at_start(k);
        let key = self.key(k, kernel, steps);
        let mine = positions(&self.sleep);
        {
            let mut visited = self.visited.shard(key);
            match visited.get_mut(&key) {
                Some(z) if z.covers(mine, steps) => return None,
                // Explored before, with a task asleep that is awake now or after fewer polls:
                // explore again (the state is not counted twice).
                Some(z) => *z = z.and(mine, steps),
                None => {
                    visited.insert(
                        key,
                        Explored {
                            asleep: mine,
                            polls: steps,
                        },
                    );
                }
            }
        }
        // A schedule byte picks one of at most 256 runnable tasks; a walk that went on past
        // a wider decision would push wrapped choices and miss schedules while saying it is
        // complete.
        assert!(
            runnable.len() <= 256,
            "a decision among {} runnable tasks: a schedule byte picks one of at most 256",
            runnable.len()
        );
        let awake: Vec<u8> = (0..runnable.len())
            .filter(|&i| !self.asleep(runnable[i]))
            .map(|i| i as u8)
            .collect();
        let (&pick, others) = awake.split_first()?;
        let node = Arc::new(Node {
            fingerprints: self.fingerprints.clone(),
            sleep: self.sleep.clone(),
            taken: Mutex::new(Vec::new()),
        });
        self.new.push(Reached {
            node,
            others: others.to_vec(),
        });
        self.choices.push(pick);
        Some(pick as usize)
    }

    fn before_poll(&mut self, k: &Kernel, step: Step<'_>) -> Control {
        self.tasks_before = k.sched.tasks.untracked().len();
        match step.decision {
            Some(d) => {
                if let Some((at, node)) = &self.resume {
                    if d < *at {
                        return Control::Continue;
                    }
                    if d == *at {
                        // This run's own choice at its parent's node: asleep are the node's
                        // sleep set and the siblings taken before it.
                        let node = node.clone();
                        self.fingerprints.clone_from(&node.fingerprints);
                        self.sleep = node.sleep.clone();
                        self.sleep
                            .extend(node.taken.lock().unwrap().iter().copied());
                        self.hashing = true;
                        self.at_start(k);
                        debug_assert!(!self.asleep(step.pick));
                        self.taking = Some((step.pick, Walker::enabling(k, step.pick), Some(node)));
                        return Control::Continue;
                    }
                }
                // A new decision: `choose` hashed the state and picked.
                let node = self.new.last().map(|r| r.node.clone());
                self.taking = Some((step.pick, Walker::enabling(k, step.pick), node));
            }
            None if self.hashing => {
                // The only runnable task: if it is asleep, every way on is covered.
                if self.asleep(step.pick) {
                    return Control::Stop;
                }
                self.at_start(k);
                self.taking = Some((step.pick, Walker::enabling(k, step.pick), None));
            }
            None => {}
        }
        Control::Continue
    }

    fn after_poll(
        &mut self,
        k: &Kernel,
        task: TaskId,
        touched: footprint::Touched,
        finished: bool,
    ) {
        if !self.hashing {
            return;
        }
        self.last = Some(touched);
        self.advance(k, task, touched);
        let Some((t, enabling, node)) = self.taking.take() else {
            return;
        };
        debug_assert_eq!(t, task);
        // The scheduler's blind writes: a spawn adds tasks, an exit ends one.
        let tasks = k.sched.tasks.untracked();
        let (mut blind, mut blind_tasks) = (0, 0u128);
        let ended = finished.then_some(task.0 as usize);
        for e in (self.tasks_before..tasks.len()).chain(ended) {
            blind |= footprint::TASK_TABLE_WRITES;
            if matches!(tasks[e].body, TaskBody::AsyncProbe(_)) {
                blind |= 1 << footprint::ASYNC_PROBES;
            }
            if e < 128 {
                blind_tasks |= 1 << e;
            } else {
                blind |= (1 << footprint::TASK_ALIVE) | (1 << footprint::TASK_BODIES);
            }
        }
        let taken = Transition {
            task,
            footprint: touched.union(enabling),
            blind,
            blind_tasks,
        };
        if let (Some(node), true) = (node, task.0 < 128) {
            node.taken.lock().unwrap().push(taken);
        }
        self.sleep
            .retain(|s| s.task != task && independent(s, &taken));
    }
}

/// Runs every schedule of `s` on `design`, making at most `max_runs` runs; with `hashing`, a
/// run stops at the first state (kernel and live tasks) an earlier run already reached, and
/// only runs that reach the end are judged (see the module docs for why that loses nothing).
pub fn explore_with(
    design: &'static Design,
    s: &Scenario,
    max_runs: u64,
    hashing: bool,
) -> Exploration {
    explore_on(design, s, max_runs, hashing, 1)
}

/// The visited states, split by key into shards each behind its own lock, so that the
/// threads of one walk rarely wait for each other.
struct Shards(Vec<Mutex<Visited>>);

impl Shards {
    const COUNT: usize = 64;

    fn new() -> Shards {
        Shards((0..Shards::COUNT).map(|_| Mutex::default()).collect())
    }

    /// The shard that holds `key` (its top bits: the low ones index within the shard).
    fn shard(&self, key: u128) -> std::sync::MutexGuard<'_, Visited> {
        self.0[(key >> 122) as usize % Shards::COUNT]
            .lock()
            .expect("no thread panics holding a shard")
    }

    fn len(&self) -> u64 {
        self.0.iter().map(|m| m.lock().unwrap().len() as u64).sum()
    }
}

/// The nodes still to run, shared by the threads of one walk: a stack (depth first, so that a
/// sibling runs after the siblings before it, whose transitions it sleeps on), and how many
/// threads are running a node (the walk ends when none is and the stack is empty).
struct Frontier {
    stack: Vec<Pending>,
    busy: usize,
}

/// What the threads of one walk share.
struct Search<'a> {
    design: &'static Design,
    scenario: &'a Scenario,
    hashing: bool,
    keying: Keying,
    max_runs: u64,
    visited: Shards,
    frontier: Mutex<Frontier>,
    changed: Condvar,
    /// Runs started.
    runs: AtomicU64,
    /// The run bound was reached: the walk is incomplete.
    bounded: AtomicBool,
    /// A run met more than 128 tasks with symmetric naming: the walk is to be made again
    /// without it.
    overflow: AtomicBool,
}

/// What one thread of a walk saw: its runs, and the outcomes and findings of those that went
/// to the end (each with the shortest schedule it saw).
#[derive(Default)]
struct Tally {
    leaves: u64,
    /// Leaves that reached the step bound.
    livelocks: u64,
    /// Without hashing: the decisions met past each run's prefix.
    fresh: u64,
    deepest: usize,
    outcomes: Vec<Outcome>,
    findings: Vec<Shown>,
    /// The canonical schedule's outcome, if this thread made that run (the first).
    canonical: Option<Vec<Observation>>,
}

impl Tally {
    /// Counts `runs` runs ending in `observations` with `schedule` (the shortest kept; of
    /// equal length, the lowest, so that merging tallies does not depend on their order).
    fn outcome(&mut self, schedule: &[u8], runs: u64, observations: &[Observation]) {
        match self
            .outcomes
            .iter_mut()
            .find(|o| srfuzz_oracle::differences(&o.observations, observations).is_empty())
        {
            Some(o) => {
                o.runs += runs;
                if shorter(schedule, &o.schedule) {
                    o.schedule = schedule.to_vec();
                }
            }
            None => self.outcomes.push(Outcome {
                schedule: schedule.to_vec(),
                runs,
                observations: observations.to_vec(),
            }),
        }
    }

    /// Counts `runs` runs showing the finding `title` with `schedule`.
    fn finding(&mut self, title: &str, schedule: &[u8], runs: u64) {
        match self.findings.iter_mut().find(|x| x.title == title) {
            Some(x) => {
                x.runs += runs;
                if shorter(schedule, &x.schedule) {
                    x.schedule = schedule.to_vec();
                }
            }
            None => self.findings.push(Shown {
                title: title.to_string(),
                schedule: schedule.to_vec(),
                runs,
            }),
        }
    }

    /// Adds what another thread saw.
    fn merge(&mut self, o: Tally) {
        self.leaves += o.leaves;
        self.livelocks += o.livelocks;
        self.fresh += o.fresh;
        self.deepest = self.deepest.max(o.deepest);
        for x in &o.outcomes {
            self.outcome(&x.schedule, x.runs, &x.observations);
        }
        for x in &o.findings {
            self.finding(&x.title, &x.schedule, x.runs);
        }
        if self.canonical.is_none() {
            self.canonical = o.canonical;
        }
    }
}

/// Whether schedule `a` is to be kept over `b`: shorter, or as long and lower.
fn shorter(a: &[u8], b: &[u8]) -> bool {
    (a.len(), a) < (b.len(), b)
}

impl Search<'_> {
    /// The next node to run, or `None` when the walk is over (every node run, or the run bound
    /// reached).
    fn next(&self) -> Option<Pending> {
        let mut f = self.frontier.lock().unwrap();
        loop {
            if self.bounded.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(p) = f.stack.pop() {
                if self.runs.fetch_add(1, Ordering::Relaxed) >= self.max_runs {
                    self.runs.fetch_sub(1, Ordering::Relaxed);
                    self.bounded.store(true, Ordering::Relaxed);
                    self.changed.notify_all();
                    return None;
                }
                f.busy += 1;
                return Some(p);
            }
            if f.busy == 0 {
                self.changed.notify_all();
                return None;
            }
            f = self.changed.wait(f).unwrap();
        }
    }

    /// Hands the children of a node just run to the walk.
    fn done(&self, children: Vec<Pending>) {
        let mut f = self.frontier.lock().unwrap();
        f.stack.extend(children);
        f.busy -= 1;
        self.changed.notify_all();
    }

    /// One thread's share of the walk: runs nodes until none is left.
    fn work(&self) -> Tally {
        /// A thread that panics stops the others, which would otherwise wait for its node.
        struct StopOnPanic<'s, 'a>(&'s Search<'a>);
        impl Drop for StopOnPanic<'_, '_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.bounded.store(true, Ordering::Relaxed);
                    self.0.changed.notify_all();
                }
            }
        }
        let _stop = StopOnPanic(self);
        footprint::record();
        let inputs = model::Inputs::of(self.scenario);
        let (design, s) = (self.design, self.scenario);
        let mut tally = Tally::default();
        while let Some(Pending { prefix, at }) = self.next() {
            let canonical = prefix.is_empty();
            let mut children = Vec::new();
            let (run, schedule) = if self.hashing {
                let _naming = state::Naming::start(self.keying.symmetric);
                let mut w = Walker {
                    visited: &self.visited,
                    keying: self.keying,
                    overflow: &self.overflow,
                    resume: at.map(|a| (prefix.len() as u32 - 1, a)),
                    hashing: prefix.is_empty(),
                    fingerprints: Vec::new(),
                    start: [0; footprint::PARTS.len()],
                    start_works: Vec::new(),
                    last: None,
                    sleep: Vec::new(),
                    taking: None,
                    tasks_before: 0,
                    choices: Vec::new(),
                    new: Vec::new(),
                };
                let (run, arities) =
                    model::run_hooked(design, s, &inputs.with_schedule(&prefix), &mut w);
                tally.deepest = tally.deepest.max(arities.len());
                // Every other choice not asleep at each new decision, lowest first off the
                // stack (so that a sibling runs after those before it, whose transitions it
                // sleeps on).
                for (j, r) in w.new.iter().enumerate().rev() {
                    for &c in r.others.iter().rev() {
                        let mut child = prefix.clone();
                        child.extend_from_slice(&w.choices[..j]);
                        child.push(c);
                        children.push(Pending {
                            prefix: child,
                            at: Some(r.node.clone()),
                        });
                    }
                }
                let mut schedule = prefix;
                schedule.extend_from_slice(&w.choices);
                (run, schedule)
            } else {
                let (run, arities) =
                    model::run_recording_choices(design, s, &inputs.with_schedule(&prefix));
                tally.deepest = tally.deepest.max(arities.len());
                tally.fresh += arities.len().saturating_sub(prefix.len()) as u64;
                // Every decision past the prefix is a distinct schedule prefix: push every
                // other choice at each, lowest first off the stack.
                for i in (prefix.len()..arities.len()).rev() {
                    for c in (1..arities[i]).rev() {
                        let mut child = prefix.clone();
                        child.resize(i, 0);
                        child.push(c);
                        children.push(Pending {
                            prefix: child,
                            at: None,
                        });
                    }
                }
                (Some(run), prefix)
            };
            self.done(children);
            let Some(run) = run else { continue };
            tally.leaves += 1;
            if run.last().outcome == srfuzz_oracle::Outcome::Livelock {
                tally.livelocks += 1;
            }
            let mut schedule = schedule;
            while schedule.last() == Some(&0) {
                schedule.pop();
            }
            tally.outcome(&schedule, 1, &run.observations);
            if canonical {
                tally.canonical = Some(run.observations.clone());
            }
            for f in checks::judge_run(design, &run.observations).findings {
                tally.finding(&f.title, &schedule, 1);
            }
        }
        tally
    }
}

/// [`explore_with`] on `jobs` threads sharing one walk (its visited states and the nodes
/// still to run). The outcomes, the finding titles, the states and whether the walk is
/// complete do not depend on `jobs` (every reachable state is visited once either way), nor
/// do the schedules kept when the walk is complete without hashing; with hashing and more
/// than one thread, which runs are pruned depends on which thread reaches a state first, so
/// the runs, the leaves and the shortest schedules seen can differ from one walk to the next
/// (each kept schedule still replays to its outcome). Outcomes after the canonical one, and
/// findings, come in order of schedule when `jobs` is more than one; in order of first sight
/// on one thread.
pub fn explore_on(
    design: &'static Design,
    s: &Scenario,
    max_runs: u64,
    hashing: bool,
    jobs: usize,
) -> Exploration {
    let start = std::time::Instant::now();
    // Scheduler version 1 waits for the oldest async probe first: behaviour that depends on
    // task numbers, so tasks are named by number there (module docs, "Task symmetry").
    let mut keying = Keying {
        polls: false,
        symmetric: hashing && s.scheduler == Scheduler::AsyncIdle,
        resume_points: true,
    };
    let mut out = loop {
        let w = walk(design, s, max_runs, hashing, jobs, keying);
        if w.overflow {
            // More than 128 tasks: name them by number.
            keying.symmetric = false;
        } else if w.livelocks > 0 && hashing && !keying.polls {
            // A run reached the step bound: key on the polls made (module docs, "Polls").
            keying.polls = true;
        } else {
            break w.exploration;
        }
    };
    out.order = order_dependence(design, s, &out.outcomes);
    out.seconds = start.elapsed().as_secs_f64();
    out
}

/// One walk's result, how many of its leaves reached the step bound, and whether a run met
/// more tasks than symmetric naming allows.
struct Walked {
    exploration: Exploration,
    livelocks: u64,
    overflow: bool,
}

/// How a walk keys its states (with state hashing): what [`explore_on`] makes a walk again
/// with or without, and what the tests turn off to compare.
#[derive(Clone, Copy, Debug)]
struct Keying {
    /// The polls made are part of the key (module docs, "Polls").
    polls: bool,
    /// Tasks are named by body and rank (module docs, "Task symmetry").
    symmetric: bool,
    /// A fingerprint restarts at a resume point (module docs, "Resume points").
    resume_points: bool,
}

/// The walk of [`explore_on`], keyed as `keying` says.
fn walk(
    design: &'static Design,
    s: &Scenario,
    max_runs: u64,
    hashing: bool,
    jobs: usize,
    keying: Keying,
) -> Walked {
    let search = Search {
        design,
        scenario: s,
        hashing,
        keying,
        overflow: AtomicBool::new(false),
        max_runs,
        visited: Shards::new(),
        frontier: Mutex::new(Frontier {
            stack: vec![Pending {
                prefix: Vec::new(),
                at: None,
            }],
            busy: 0,
        }),
        changed: Condvar::new(),
        runs: AtomicU64::new(0),
        bounded: AtomicBool::new(false),
    };
    let jobs = jobs.max(1);
    let tally = if jobs == 1 {
        search.work()
    } else {
        let tallies: Vec<Tally> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..jobs).map(|_| scope.spawn(|| search.work())).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("an exploration thread panicked"))
                .collect()
        });
        let mut all = Tally::default();
        for t in tallies {
            all.merge(t);
        }
        // The canonical outcome first, then the others (and the findings) by schedule.
        all.outcomes
            .sort_by(|a, b| (a.schedule.len(), &a.schedule).cmp(&(b.schedule.len(), &b.schedule)));
        all.findings
            .sort_by(|a, b| (a.schedule.len(), &a.schedule).cmp(&(b.schedule.len(), &b.schedule)));
        if let Some(c) = &all.canonical {
            if let Some(i) = all
                .outcomes
                .iter()
                .position(|o| srfuzz_oracle::differences(&o.observations, c).is_empty())
            {
                let o = all.outcomes.remove(i);
                all.outcomes.insert(0, o);
            }
        }
        all
    };
    let runs = search.runs.load(Ordering::Relaxed);
    let complete = !search.bounded.load(Ordering::Relaxed);
    let states = if hashing {
        search.visited.len()
    } else {
        tally.fresh
    };
    let out = Exploration {
        design,
        runs,
        leaves: tally.leaves,
        states,
        hashing,
        complete,
        outcomes: tally.outcomes,
        findings: tally.findings,
        order: Vec::new(),
        deepest: tally.deepest,
        polls_keyed: keying.polls,
        symmetric: keying.symmetric,
        seconds: 0.0,
    };
    Walked {
        exploration: out,
        livelocks: tally.livelocks,
        overflow: search.overflow.load(Ordering::Relaxed),
    }
}

/// The order check against every schedule: each outcome after the first (the canonical
/// schedule's, [`Exploration::outcomes`]) compared with the first.
fn order_dependence(design: &'static Design, s: &Scenario, outcomes: &[Outcome]) -> Vec<Shown> {
    let mut out: Vec<Shown> = Vec::new();
    let Some((canonical, others)) = outcomes.split_first() else {
        return out;
    };
    if !checks::user_acts_on_a_quiet_system(s) {
        return out;
    }
    for o in others {
        for f in checks::order_differences(design, &o.observations, &canonical.observations) {
            if design.declaration(&f.title, None).is_some() {
                continue;
            }
            match out.iter_mut().find(|x| x.title == f.title) {
                Some(x) => {
                    x.runs += o.runs;
                    if o.schedule.len() < x.schedule.len() {
                        x.schedule = o.schedule.clone();
                    }
                }
                None => out.push(Shown {
                    title: f.title,
                    schedule: o.schedule.clone(),
                    runs: o.runs,
                }),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two transitions conflict when one writes what the other touches; readers share, and
    /// so do two blind writers.
    #[test]
    fn independence_is_about_writes() {
        let tb = |parts: u64, written_parts: u64, works: u64, written_works: u64, blind: u64| {
            Transition {
                task: TaskId(0),
                footprint: footprint::Touched {
                    parts,
                    works,
                    written_parts,
                    written_works,
                    tasks: 0,
                },
                blind,
                blind_tasks: 0,
            }
        };
        let t = |parts, written_parts, works, written_works| {
            tb(parts, written_parts, works, written_works, 0)
        };
        // Reads task `r`'s entry (a `TaskDone` wait) / ends task `e`.
        let reads = |r: u32| Transition {
            footprint: footprint::Touched {
                tasks: 1 << r,
                ..footprint::Touched::NONE
            },
            ..t(0, 0, 0, 0)
        };
        let ends = |e: u32| Transition {
            blind: footprint::TASK_TABLE_WRITES,
            blind_tasks: 1 << e,
            ..t(0, 0, 0, 0)
        };
        let i = |a: Transition, b: Transition| independent(&a, &b);
        assert!(i(t(0b1, 0, 0, 0), t(0b1, 0, 0, 0)), "two readers");
        assert!(!i(t(0b1, 0b1, 0, 0), t(0b1, 0, 0, 0)), "writer and reader");
        assert!(!i(t(0b1, 0, 0, 0), t(0b1, 0b1, 0, 0)), "reader and writer");
        assert!(
            i(t(0b1, 0b1, 0, 0), t(0b10, 0b10, 0, 0)),
            "disjoint writers"
        );
        assert!(
            !i(t(0, 0, 0b100, 0b100), t(0, 0, 0b100, 0)),
            "one work item"
        );
        assert!(
            i(t(0, 0, 0b100, 0b100), t(0, 0, 0b1000, 0b1000)),
            "two items"
        );
        let all = 1 << footprint::WORKS_ALL;
        assert!(
            !i(t(0, 0, 0b100, 0b100), t(all, 0, 0, 0)),
            "an item and every item"
        );
        assert!(
            !i(t(all, all, 0, 0), t(0, 0, 0b1, 0)),
            "every item and an item"
        );
        assert!(i(ends(3), ends(4)), "two exits");
        assert!(!i(ends(3), reads(3)), "an exit and a wait for it");
        assert!(!i(reads(3), ends(3)), "a wait and the exit it waits for");
        assert!(i(ends(3), reads(4)), "an exit and a wait for another task");
        let live = 1 << 21; // sched.alive_count
        assert!(
            !i(ends(3), t(live, 0, 0, 0)),
            "an exit and a reader of the live count"
        );
        let table = 1 << footprint::TASK_ALIVE;
        assert!(
            !i(ends(3), t(table, 0, 0, 0)),
            "an exit and a reader of the whole table"
        );
        let count = 1 << footprint::TASK_COUNT;
        assert!(
            !i(t(count, count, 0, 0), t(count, count, 0, 0)),
            "two spawns: the new ids depend on the order"
        );
    }

    const ONE_REGION_BUILTIN: &str = "[platform]
soft-reserved 0x850000000 size=256M
host-bridge 0
window 0x850000000 size=256M targets=0
memdev host-bridge=0 capacity=256M presence=boot decoder=0x850000000,size=256M,ways=1,pos=0
[kconfig]
CONFIG_CXL_BUS=y
CONFIG_CXL_ACPI=y
CONFIG_CXL_PCI=y
CONFIG_CXL_MEM=y
CONFIG_CXL_PORT=y
CONFIG_DAX=y
CONFIG_DEV_DAX=y
CONFIG_DEV_DAX_HMEM=y
CONFIG_DEV_DAX_CXL=y
CONFIG_DEV_DAX_KMEM=y
";

    /// The walk is complete: on a scenario whose runs end in two ways (v5, the user's
    /// destroy-region and create-region after boot, reports/v4-order-dependence-region-differs),
    /// every schedule drawn at random ends in an outcome the walk found, and every run the
    /// walk ran to the end is counted in exactly one outcome.
    #[test]
    fn every_random_schedule_ends_in_an_explored_outcome() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/v4-order-dependence-region-differs/scenario.scn"
        );
        let s = crate::scenario::file::load(std::path::Path::new(path), Default::default())
            .unwrap()
            .scenario;
        let d = crate::designs::by_name("dax_cxl_mode-v5").unwrap();
        let e = explore(d, &s, 100_000);
        assert!(e.complete);
        assert_eq!(e.outcomes.len(), 2);
        assert_eq!(e.outcomes.iter().map(|o| o.runs).sum::<u64>(), e.leaves);
        let mut bytes = crate::scenario::gen::ByteStream::new(7);
        let mut seen = [false; 2];
        for _ in 0..400 {
            let schedule = bytes.bytes(e.deepest);
            let run = model::run(
                d,
                &Scenario {
                    schedule,
                    ..s.clone()
                },
            );
            let i = e
                .outcomes
                .iter()
                .position(|o| {
                    srfuzz_oracle::differences(&o.observations, &run.observations).is_empty()
                })
                .expect("a random schedule ends in an outcome the walk found");
            seen[i] = true;
        }
        assert_eq!(seen, [true, true], "random schedules reach both outcomes");
        // With everything built in, a one-region platform ends one way on every design.
        let s = crate::scenario::text::parse(ONE_REGION_BUILTIN).unwrap();
        for d in crate::designs::all() {
            let e = explore(d, &s, 400_000);
            assert!(e.complete && e.outcomes.len() == 1, "{}", d.name);
        }
    }

    /// A record covers an arrival that leaves no more awake and comes no later; two
    /// explorations together cover what the one covering more covers, else what both cover.
    #[test]
    fn a_state_record_covers_fewer_awake_and_earlier_arrivals() {
        let r = Explored {
            asleep: 0b0110,
            polls: 40,
        };
        assert!(r.covers(0b0110, 40) && r.covers(0b1110, 12));
        assert!(!r.covers(0b0100, 40), "task 1 was asleep here, awake there");
        assert!(!r.covers(0b0110, 41), "one poll later");
        // The new exploration left no more asleep and came later: it covers both.
        let later = r.and(0b0010, 50);
        assert_eq!(
            later,
            Explored {
                asleep: 0b0010,
                polls: 50
            }
        );
        assert!(later.covers(0b0110, 40) && later.covers(0b0010, 50));
        // Neither covers the other: what both cover.
        let both = r.and(0b0011, 60);
        assert_eq!(
            both,
            Explored {
                asleep: 0b0010,
                polls: 40
            }
        );
        assert!(!both.covers(0b0011, 60) && both.covers(0b0010, 40));
    }

    /// State hashing loses nothing: on scenarios the stateless walk exhausts, every design
    /// ends in the same outcomes (each one matched by the differential judge both ways) and
    /// shows the same finding titles with hashing as without, in fewer runs.
    #[test]
    fn state_hashing_keeps_every_outcome_and_finding() {
        let load = |name: &str| {
            let path = format!("{}/reports/{name}/scenario.scn", env!("CARGO_MANIFEST_DIR"));
            crate::scenario::file::load(std::path::Path::new(&path), Default::default())
                .unwrap()
                .scenario
        };
        let every = crate::designs::all().iter().collect::<Vec<_>>();
        let v5 = vec![crate::designs::by_name("dax_cxl_mode-v5").unwrap()];
        // (scenario, designs): the last one ends in two ways on v5.
        let scenarios = [
            (load("v5-leak-user-created-region-outside-soft"), &every),
            (load("v5-leak-auto-assembled-region-never-gets"), &every),
            (load("v4-kasan-invalid-free-in-kill-defer-work"), &every),
            (
                crate::scenario::text::parse(ONE_REGION_BUILTIN).unwrap(),
                &every,
            ),
            (load("v4-order-dependence-region-differs"), &v5),
        ];
        let covered = |a: &[Outcome], b: &[Outcome]| {
            a.iter().all(|x| {
                b.iter().any(|y| {
                    srfuzz_oracle::differences(&x.observations, &y.observations).is_empty()
                })
            })
        };
        let titles = |e: &Exploration| {
            let mut t: Vec<String> = e.findings.iter().map(|f| f.title.clone()).collect();
            t.sort();
            t
        };
        // The stateless walk does not finish every design's schedules of every scenario
        // within its bound (v6 on add work items); the comparison is made wherever it does,
        // and must be made on every design at least once.
        let mut compared = vec![0u32; crate::designs::all().len()];
        // Walks where names and resume points each merged something (they must somewhere).
        let (mut merged_by_names, mut merged_by_resume) = (0, 0);
        for (i, (s, designs)) in scenarios.iter().enumerate() {
            for &d in designs.iter() {
                let full = explore_with(d, s, 200_000, false);
                if !full.complete {
                    continue;
                }
                let hashed = explore_with(d, s, 200_000, true);
                let what = format!("scenario {i} on {}", d.name);
                assert!(hashed.complete, "{what}");
                let at = crate::designs::all().iter().position(|x| x == d).unwrap();
                compared[at] += 1;
                assert_eq!(full.outcomes.len(), hashed.outcomes.len(), "{what}");
                assert!(covered(&full.outcomes, &hashed.outcomes), "{what}");
                assert!(covered(&hashed.outcomes, &full.outcomes), "{what}");
                assert_eq!(titles(&full), titles(&hashed), "{what}");
                assert!(hashed.runs <= full.runs, "{what}");
                assert_eq!(
                    hashed.outcomes.iter().map(|o| o.runs).sum::<u64>(),
                    hashed.leaves,
                    "{what}"
                );
                // The key without the polls made (the default) against the key with them.
                let default = Keying {
                    polls: false,
                    symmetric: s.scheduler == Scheduler::AsyncIdle,
                    resume_points: true,
                };
                let keyed = Keying {
                    polls: true,
                    ..default
                };
                let keyed = walk(d, s, 200_000, true, 1, keyed).exploration;
                assert!(
                    keyed.complete && keyed.polls_keyed && !hashed.polls_keyed,
                    "{what}"
                );
                assert!(covered(&keyed.outcomes, &hashed.outcomes), "{what}");
                assert!(covered(&hashed.outcomes, &keyed.outcomes), "{what}");
                assert_eq!(titles(&keyed), titles(&hashed), "{what}");
                assert!(hashed.states <= keyed.states, "{what}");
                // Tasks named by body and rank (the default) against named by number.
                let numbered = Keying {
                    symmetric: false,
                    ..default
                };
                let numbered = walk(d, s, 200_000, true, 1, numbered).exploration;
                assert!(numbered.complete && !numbered.symmetric, "{what}");
                assert_eq!(
                    hashed.symmetric,
                    s.scheduler == Scheduler::AsyncIdle,
                    "{what}"
                );
                assert!(covered(&numbered.outcomes, &hashed.outcomes), "{what}");
                assert!(covered(&hashed.outcomes, &numbered.outcomes), "{what}");
                assert_eq!(titles(&numbered), titles(&hashed), "{what}");
                assert!(hashed.states <= numbered.states, "{what}");
                merged_by_names += u32::from(hashed.states < numbered.states);
                // Fingerprints restarting at resume points (the default) against never.
                let chained = Keying {
                    resume_points: false,
                    ..default
                };
                let chained = walk(d, s, 200_000, true, 1, chained).exploration;
                assert!(chained.complete, "{what}");
                assert!(covered(&chained.outcomes, &hashed.outcomes), "{what}");
                assert!(covered(&hashed.outcomes, &chained.outcomes), "{what}");
                assert_eq!(titles(&chained), titles(&hashed), "{what}");
                assert!(hashed.states <= chained.states, "{what}");
                merged_by_resume += u32::from(hashed.states < chained.states);
            }
        }
        assert!(
            compared.iter().all(|&n| n > 0),
            "compared per design: {compared:?}"
        );
        assert!(merged_by_names > 0 && merged_by_resume > 0);
    }

    /// A walk shared by threads visits the same states and ends in the same outcomes and
    /// findings as one thread's, and each schedule it keeps replays to its outcome.
    #[test]
    fn threads_share_a_walk_without_changing_its_result() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/v4-order-dependence-region-differs-4/scenario.scn"
        );
        let l =
            crate::scenario::file::load(std::path::Path::new(path), Default::default()).unwrap();
        let s = Scenario {
            schedule: Vec::new(),
            ..l.scenario
        };
        // Under scheduler version 1 (this repro's), tasks are named by number; under version
        // 2 by body and rank.
        let v2 = Scenario {
            scheduler: Scheduler::AsyncIdle,
            ..s.clone()
        };
        for (name, s) in [("register_dax-v4", &s), ("v7", &s), ("v7", &v2)] {
            let d = crate::designs::by_name(name).unwrap();
            let one = explore_on(d, s, 400_000, true, 1);
            let three = explore_on(d, s, 400_000, true, 3);
            assert!(one.complete && three.complete, "{name}");
            assert_eq!(one.symmetric, s.scheduler == Scheduler::AsyncIdle, "{name}");
            assert_eq!(one.states, three.states, "{name}");
            assert_eq!(one.outcomes.len(), three.outcomes.len(), "{name}");
            assert!(
                srfuzz_oracle::differences(
                    &one.outcomes[0].observations,
                    &three.outcomes[0].observations
                )
                .is_empty(),
                "{name}: the canonical outcome comes first"
            );
            let mut a: Vec<_> = one.findings.iter().map(|f| f.title.clone()).collect();
            let mut b: Vec<_> = three.findings.iter().map(|f| f.title.clone()).collect();
            a.sort();
            b.sort();
            assert_eq!(a, b, "{name}");
            assert_eq!(
                three.outcomes.iter().map(|o| o.runs).sum::<u64>(),
                three.leaves
            );
            for o in &three.outcomes {
                let replay = model::run(
                    d,
                    &Scenario {
                        schedule: o.schedule.clone(),
                        ..s.clone()
                    },
                );
                assert!(
                    srfuzz_oracle::differences(&o.observations, &replay.observations).is_empty(),
                    "{name}: an outcome's schedule replays to it"
                );
            }
        }
        // The run bound stops every thread.
        let d = crate::designs::by_name("v7").unwrap();
        let cut = explore_on(d, &s, 50, true, 2);
        assert!(!cut.complete);
        assert_eq!(cut.runs, 50);
    }

    /// v4's order dependence (reports/v4-order-dependence-region-differs-4): some schedules
    /// leave the region to HMEM, and the walk finds them with a schedule that replays so.
    #[test]
    fn the_walk_finds_v4_handing_the_region_to_hmem() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/v4-order-dependence-region-differs-4/scenario.scn"
        );
        let l =
            crate::scenario::file::load(std::path::Path::new(path), Default::default()).unwrap();
        let v4 = crate::designs::by_name("register_dax-v4").unwrap();
        let e = explore(v4, &l.scenario, 50_000);
        assert!(e.outcomes.len() >= 2, "{} outcome(s)", e.outcomes.len());
        let hmem = |obs: &[Observation]| {
            obs.last()
                .is_some_and(|o| o.soft_reserved[0].owner == srfuzz_oracle::Owner::Hmem)
        };
        let o = e
            .outcomes
            .iter()
            .find(|o| hmem(&o.observations))
            .expect("an outcome where HMEM owns the range");
        let replay = model::run(
            v4,
            &Scenario {
                schedule: o.schedule.clone(),
                ..l.scenario.clone()
            },
        );
        assert!(hmem(&replay.observations));
    }
}
