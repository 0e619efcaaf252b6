//! The deterministic executor: every kernel thread of control is a task; the scenario's
//! schedule bytes decide which runnable task runs next.
//!
//! Tasks are Rust futures polled by this single-threaded executor, so kernel code that sleeps
//! reads like the kernel (`wait_for_device_probe(&k).await`). A task runs without interruption
//! between scheduling points; the scheduling points are exactly the blocking primitives
//! ([`block_on`] with a [`Wait`]) and task boundaries.
//!
//! Simplification: real kernel code can interleave at any instruction on another CPU; the model
//! interleaves only where the code sleeps or hands work to another context (work items, async
//! probes, usermode helpers). Shared state touched between two scheduling points is therefore
//! updated atomically, which matches code that holds a lock over that stretch and is the usual
//! granularity of the races reviewers discuss (who runs first, not torn updates).
//!
//! Architecture invariant: no clocks, threads, hash maps or global RNG; the only input that
//! orders tasks is the schedule. Same scenario, same run.

use crate::kernel::driver_core::DevId;
use crate::kernel::footprint::{self, Tracked};
use crate::kernel::module::Module;
use crate::kernel::{KRef, Kernel};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// A boxed task body or design-overridable async kernel function.
pub type BoxFut<T> = Pin<Box<dyn Future<Output = T>>>;

/// Index of a task in [`Sched::tasks`], in creation order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct TaskId(pub u32);

/// While an exploration hashes a state, a task hashes as its name, not its number
/// ([`crate::kernel::state`], "Task names").
impl std::hash::Hash for TaskId {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        crate::kernel::state::hash_task_id(*self, h);
    }
}

/// Index of a work item in [`Sched::works`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct WorkId(pub u32);

/// What a task is: data, so that tasks can be printed, compared and re-created.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum TaskBody {
    /// `kernel_init`: built-in initcalls, level by level in link order.
    KernelInit,
    /// The userspace task that carries out the scenario's events.
    Userspace,
    /// A `modprobe MODULE` process (udev worker or `request_module`'s usermode helper).
    Modprobe(Module),
    /// An async probe (`__device_attach_async_helper` / `__driver_attach_async_helper`).
    AsyncProbe(DevId),
    /// A kworker executing one queued instance of a work item.
    Kworker(WorkId),
}

/// What a blocked task waits for. Each is a kernel sleeping primitive.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Wait {
    /// A bare scheduling point (`cond_resched`): always satisfied.
    Yield,
    /// `wait_for_device_probe()`: deferred-probe work idle, no probe in flight, no async probe
    /// pending (`async_synchronize_full`).
    DeviceProbeIdle,
    /// `flush_work()` / the second half of `cancel_work_sync()`: the work item is neither
    /// pending nor running.
    WorkIdle(WorkId),
    /// A kworker waiting for the previous instance of the same work item to finish (workqueue
    /// non-reentrancy).
    WorkNotRunning(WorkId),
    /// `device_lock()`.
    DeviceLock(DevId),
    /// Another task finished (`request_module` waiting for its modprobe, UMH_WAIT_PROC).
    TaskDone(TaskId),
    /// A concurrent load of the same module finished (`add_unformed_module` waits for a module
    /// that is still COMING).
    ModuleNotComing(Module),
    /// `down_read(&cxl_rwsem.region)`.
    RegionRwsemRead,
    /// `down_write(&cxl_rwsem.region)`.
    RegionRwsemWrite,
    /// Userspace's `udevadm settle`: every other task has finished.
    Quiescent,
    /// An instance on the ordered workqueue waits for the ones queued before it (by queueing
    /// number) to have run.
    OrderedTurn(u64),
    /// `flush_workqueue()` of the ordered workqueue: every instance queued up to this number
    /// has run.
    OrderedFlushed(u64),
    /// The built-in initcalls are done and userspace may start (`run_init_process`).
    InitDone,
    /// `async_synchronize_full()`: no async probe is pending ([`async_synchronize_full`]).
    AsyncIdle,
}

/// One task's bookkeeping (its future lives in the [`Executor`]).
#[derive(Clone, Hash, Debug)]
pub struct TaskInfo {
    /// What it runs.
    pub body: TaskBody,
    /// `Some` while blocked (or at a scheduling point); `None` when runnable.
    pub wait: Option<Wait>,
    /// False once its future has completed.
    pub alive: bool,
}

/// One work item (`struct work_struct`): its function, argument and state.
#[derive(Clone, Copy, Hash, Debug)]
pub struct Work {
    /// What it is, for the timeline (e.g. "dax_hmem_work").
    pub name: &'static str,
    /// `work->func`; `None` models a work_struct that was never `INIT_WORK`ed.
    pub func: Option<WorkFn>,
    /// The argument the function finds through `container_of`.
    pub data: u32,
    /// `WORK_STRUCT_PENDING`: queued and not yet started.
    pub pending: bool,
    /// The kworker running it, if any.
    pub running: Option<TaskId>,
    /// A queued instance that `cancel_work_sync` cancelled: its kworker exits without running.
    pub cancelled: u32,
}

/// A work function: `void (*work_func_t)(struct work_struct *)`, with the work's data word.
pub type WorkFn = fn(KRef, u32) -> BoxFut<()>;

/// The work items ([`Sched::works`], by [`WorkId`]), whose accesses are recorded item by item
/// ([`footprint::touch_work`]): indexing touches the item, numbering or finding one by name
/// touches the list of names ([`footprint::WORK_NAMES`]; a name never changes).
#[derive(Default, Hash)]
pub struct WorkTable(Vec<Work>);

impl WorkTable {
    /// How many items were declared.
    pub fn len(&self) -> usize {
        footprint::touch(footprint::WORK_NAMES);
        self.0.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Declares one more.
    pub fn push(&mut self, w: Work) {
        footprint::touch_mut(footprint::WORK_NAMES);
        self.0.push(w);
    }

    /// The first item named `name`.
    pub fn position_by_name(&self, name: &str) -> Option<usize> {
        footprint::touch(footprint::WORK_NAMES);
        self.0.iter().position(|w| w.name == name)
    }

    /// Every item, unrecorded: for the executor and the hasher.
    pub fn untracked(&self) -> &[Work] {
        &self.0
    }
}

impl std::ops::Index<usize> for WorkTable {
    type Output = Work;
    fn index(&self, i: usize) -> &Work {
        footprint::touch_work(i, false);
        &self.0[i]
    }
}

impl std::ops::IndexMut<usize> for WorkTable {
    fn index_mut(&mut self, i: usize) -> &mut Work {
        footprint::touch_work(i, true);
        &mut self.0[i]
    }
}

/// Scheduler state inside the kernel.
#[derive(Default, Hash)]
pub struct Sched {
    /// Every task ever created, by id.
    pub tasks: Tracked<Vec<TaskInfo>, 13>,
    /// The task being polled.
    pub current: Tracked<Option<TaskId>, 14>,
    /// Tasks created since the executor last looked.
    pub spawned: Tracked<Vec<TaskId>, 15>,
    /// Work items.
    pub works: WorkTable,
    /// Holder of each device lock, by device (grown on demand).
    pub device_lock_owner: Tracked<Vec<Option<TaskId>>, 17>,
    /// Readers holding `cxl_rwsem.region`.
    pub region_rwsem_readers: Tracked<u32, 18>,
    /// Writer holding `cxl_rwsem.region`.
    pub region_rwsem_writer: Tracked<Option<TaskId>, 19>,
    /// `kernel_init` has finished the initcalls.
    pub init_done: Tracked<bool, 20>,
    /// Tasks created and not yet finished.
    pub alive_count: Tracked<u32, 21>,
    /// The instances queued on the ordered workqueue (`alloc_ordered_workqueue`: one at a time,
    /// in queueing order; post-merge's `dax_hmem_wq`), oldest first, each with its queueing
    /// number; an instance leaves when it has run (or was cancelled).
    pub ordered: Tracked<Vec<(u64, WorkId)>, 22>,
    /// Instances ever queued on the ordered workqueue.
    pub ordered_seq: Tracked<u64, 23>,
}

impl Kernel {
    /// Creates a task; it becomes runnable at the next scheduling decision.
    pub fn spawn(&mut self, body: TaskBody) -> TaskId {
        // The new id is the number of tasks so far: what the spawn reads of the task table
        // (the `TASK_COUNT` part); the entry is a blind write. The live count is a blind
        // increment: its value flows nowhere but into itself (see `footprint`).
        footprint::touch_mut(footprint::TASK_COUNT);
        let id = TaskId(self.sched.tasks.untracked().len() as u32);
        self.sched.tasks.untracked_mut().push(TaskInfo {
            body,
            wait: None,
            alive: true,
        });
        *self.sched.alive_count.untracked_mut() += 1;
        self.sched.spawned.push(id);
        id
    }

    /// Whether task `t` has not finished (its entry of the `TASK_ALIVE` part: what a task
    /// reads of another's entry, never its wait).
    pub fn task_alive(&self, t: TaskId) -> bool {
        footprint::touch_task(t.0);
        self.sched.tasks.untracked()[t.0 as usize].alive
    }

    /// What task `t` runs (its entry of the `TASK_BODIES` part).
    pub fn task_body(&self, t: TaskId) -> Option<TaskBody> {
        footprint::touch_task(t.0);
        self.sched
            .tasks
            .untracked()
            .get(t.0 as usize)
            .map(|i| i.body)
    }

    /// The oldest async probe still running (the `ASYNC_PROBES` part: which async probes are
    /// alive), what `async_synchronize_full` waits for next.
    pub fn first_async_probe_alive(&self) -> Option<usize> {
        footprint::touch(footprint::ASYNC_PROBES);
        self.sched
            .tasks
            .untracked()
            .iter()
            .position(|t| t.alive && matches!(t.body, TaskBody::AsyncProbe(_)))
    }

    /// The task being run.
    pub fn current(&self) -> TaskId {
        // Untracked: during a poll it is the task being polled, the same at every poll of it.
        self.sched
            .current
            .untracked()
            .expect("kernel code runs inside a task")
    }

    /// Declares a work item (`INIT_WORK` when `func` is set, a zeroed work_struct otherwise).
    pub fn init_work(&mut self, name: &'static str, func: Option<WorkFn>, data: u32) -> WorkId {
        let id = WorkId(self.sched.works.len() as u32);
        self.sched.works.push(Work {
            name,
            func,
            data,
            pending: false,
            running: None,
            cancelled: 0,
        });
        id
    }

    /// `queue_work()` (kernel/workqueue.c,
    /// <https://github.com/torvalds/linux/blob/master/kernel/workqueue.c>): returns false if the
    /// work was already pending. All workqueues are modeled alike (any kworker may run any item
    /// in any order the schedule picks); ordering guarantees of ordered workqueues are added by
    /// the designs that use one.
    pub fn queue_work(&mut self, work: WorkId) -> bool {
        let w = &mut self.sched.works[work.0 as usize];
        if w.pending {
            return false;
        }
        w.pending = true;
        self.spawn(TaskBody::Kworker(work));
        true
    }

    /// `queue_work()` on the ordered workqueue ([`Sched::ordered`]): as [`Kernel::queue_work`],
    /// and the instance takes its place in the queue's order.
    pub fn queue_work_ordered(&mut self, work: WorkId) -> bool {
        if !self.queue_work(work) {
            return false;
        }
        *self.sched.ordered_seq += 1;
        let seq = *self.sched.ordered_seq;
        self.sched.ordered.push((seq, work));
        true
    }

    /// A `static DECLARE_WORK(name, func)`: one work item per name for the whole run, created on
    /// first use (the kernel's lives in the module's data; the model keeps it in
    /// [`Sched::works`] like every other item).
    pub fn declare_work(&mut self, name: &'static str, func: WorkFn) -> WorkId {
        match self.sched.works.position_by_name(name) {
            Some(i) => WorkId(i as u32),
            None => self.init_work(name, Some(func), 0),
        }
    }

    /// The item a `static DECLARE_WORK(name, …)` declared, if it was used yet.
    pub fn declared_work(&self, name: &'static str) -> Option<WorkId> {
        self.sched
            .works
            .position_by_name(name)
            .map(|i| WorkId(i as u32))
    }

    /// `work_pending()`.
    pub fn work_pending(&self, work: WorkId) -> bool {
        self.sched.works[work.0 as usize].pending
    }

    /// Whether `w` holds now for the current task.
    pub fn wait_satisfied(&self, w: Wait, me: TaskId) -> bool {
        match w {
            Wait::Yield => true,
            Wait::DeviceProbeIdle => self.device_probe_idle(),
            Wait::WorkIdle(id) => {
                let wk = &self.sched.works[id.0 as usize];
                !wk.pending && wk.running.is_none()
            }
            Wait::WorkNotRunning(id) => self.sched.works[id.0 as usize].running.is_none(),
            Wait::DeviceLock(d) => self
                .sched
                .device_lock_owner
                .get(d.0 as usize)
                .copied()
                .flatten()
                .is_none_or(|o| o == me),
            Wait::TaskDone(t) => !self.task_alive(t),
            Wait::ModuleNotComing(m) => {
                self.modules[m.idx()] != crate::kernel::module::ModState::Coming
            }
            Wait::RegionRwsemRead => self.sched.region_rwsem_writer.is_none(),
            Wait::RegionRwsemWrite => {
                self.sched.region_rwsem_writer.is_none() && *self.sched.region_rwsem_readers == 0
            }
            Wait::Quiescent => *self.sched.alive_count == 1 && self.task_alive(me),
            Wait::OrderedTurn(seq) => self.sched.ordered.first().is_none_or(|&(s, _)| s >= seq),
            Wait::OrderedFlushed(seq) => self.sched.ordered.first().is_none_or(|&(s, _)| s > seq),
            Wait::InitDone => *self.sched.init_done,
            Wait::AsyncIdle => *self.dc.async_pending == 0,
        }
    }

    /// Takes what a satisfied wait grants (a lock), when the task resumes.
    fn acquire(&mut self, w: Wait, me: TaskId) {
        match w {
            Wait::DeviceLock(d) => {
                let i = d.0 as usize;
                if self.sched.device_lock_owner.len() <= i {
                    self.sched.device_lock_owner.resize(i + 1, None);
                }
                self.sched.device_lock_owner[i] = Some(me);
            }
            Wait::RegionRwsemRead => *self.sched.region_rwsem_readers += 1,
            Wait::RegionRwsemWrite => *self.sched.region_rwsem_writer = Some(me),
            _ => {}
        }
    }

    /// `device_unlock()`.
    pub fn device_unlock(&mut self, d: DevId) {
        if let Some(slot) = self.sched.device_lock_owner.get_mut(d.0 as usize) {
            *slot = None;
        }
    }

    /// `up_read(&cxl_rwsem.region)`.
    pub fn region_rwsem_up_read(&mut self) {
        *self.sched.region_rwsem_readers -= 1;
    }

    /// `up_write(&cxl_rwsem.region)`.
    pub fn region_rwsem_up_write(&mut self) {
        *self.sched.region_rwsem_writer = None;
    }
}

/// A sleeping primitive: the calling task becomes a scheduling point and resumes once `wait`
/// holds (taking the lock, for lock waits). Always yields once, so that every blocking call is a
/// place where the schedule may run someone else first.
pub fn block_on(k: &KRef, wait: Wait) -> BlockOn {
    BlockOn {
        k: k.clone(),
        wait,
        yielded: false,
        resume: None,
    }
}

/// Everything a task's future does once a wait returns, as words: the code left in each of
/// its frames (a site, named by a string) and every local that code still uses, chained from
/// the outermost frame in ([`Resume::at`], then [`Resume::then`] per frame). Two tasks with
/// the same body at equal resume points behave alike from there on, whatever they did
/// before; an exploration therefore restarts a task's fingerprint at one
/// ([`block_on_resuming`]). Whoever names a resume point owes the argument that its words are
/// all the continuation uses (each site says why).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Resume(u128);

impl Resume {
    /// The outermost frame: what the task body does after the call returns.
    pub fn at(site: &'static str) -> Resume {
        Resume(0).then(site)
    }

    /// One more frame inside: its site and the locals its code after the wait uses.
    pub fn then(self, frame: impl std::hash::Hash) -> Resume {
        let mut h = crate::kernel::state::StateHasher::new();
        h.write_u128_words(self.0);
        frame.hash(&mut h);
        Resume(h.finish128())
    }
}

/// [`block_on`] at a resume point: after the wait returns, the task does only what `resume`
/// names.
pub fn block_on_resuming(k: &KRef, wait: Wait, resume: Resume) -> BlockOn {
    BlockOn {
        resume: Some(resume),
        ..block_on(k, wait)
    }
}

/// The future returned by [`block_on`].
pub struct BlockOn {
    k: KRef,
    wait: Wait,
    yielded: bool,
    /// The resume point, if the caller named one.
    resume: Option<Resume>,
}

impl Future for BlockOn {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let mut k = self.k.borrow_mut();
        let me = k.current();
        if self.yielded {
            // The executor polls a blocked task only once its wait holds, and this is the first
            // code the poll runs: the check always passes, so it is no read of the poll's
            // (untracked, see `footprint`); what the wait grants (a lock) is.
            assert!(
                footprint::untracked(|| k.wait_satisfied(self.wait, me)),
                "a task was polled before its wait held"
            );
            k.acquire(self.wait, me);
            return Poll::Ready(());
        }
        // Untracked: the task's own wait, a blind write (the executor clears it before every
        // poll of the task).
        k.sched.tasks.untracked_mut()[me.0 as usize].wait = Some(self.wait);
        drop(k);
        self.yielded = true;
        // The poll ends here: `Pending` returns through every frame at once.
        if let Some(r) = self.resume {
            footprint::resume_at(r.0);
        }
        Poll::Pending
    }
}

/// How a run of the executor ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RunEnd {
    /// Every task finished.
    Quiescent,
    /// Tasks remain, none can run.
    Deadlock,
    /// The step bound was reached with tasks still runnable.
    StepBound,
    /// A [`Hook`] stopped the run (an exploration reached a state it had seen).
    Pruned,
}

/// What a [`Hook`] tells the executor.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Control {
    /// Go on: poll the task picked.
    Continue,
    /// End the run here, as [`RunEnd::Pruned`].
    Stop,
}

/// One poll about to be made, as a [`Hook`] sees it.
#[derive(Clone, Copy, Debug)]
pub struct Step<'a> {
    /// The tasks that could run, in creation order.
    pub runnable: &'a [TaskId],
    /// The one the schedule picked.
    pub pick: TaskId,
    /// The index of this scheduling decision when more than one task could run.
    pub decision: Option<u32>,
    /// Polls made before this one.
    pub steps: u32,
}

/// Called by [`Executor::run_hooked`] before every poll, with the kernel as the task picked
/// will find it (no task current, every spawned task adopted): what an exhaustive
/// exploration hashes states with ([`crate::explore`]).
pub trait Hook {
    /// Whether to make this poll or end the run.
    fn before_poll(&mut self, k: &Kernel, step: Step<'_>) -> Control;

    /// At a scheduling decision past the schedule's end: the index in `runnable` to run
    /// (the oldest, 0, unless overridden), or `None` to end the run as [`RunEnd::Pruned`].
    fn choose(&mut self, _k: &Kernel, _runnable: &[TaskId], _steps: u32) -> Option<usize> {
        Some(0)
    }

    /// Called after the poll of `task`, with what of the kernel it touched and whether the
    /// task finished.
    fn after_poll(
        &mut self,
        _k: &Kernel,
        _task: TaskId,
        _touched: footprint::Touched,
        _finished: bool,
    ) {
    }
}

/// Drives the tasks of one kernel to the end, choosing with the schedule bytes.
pub struct Executor {
    futures: Vec<Option<BoxFut<()>>>,
    /// Tasks not yet finished, in creation order (the order runnable tasks are offered in).
    live: Vec<TaskId>,
    schedule: Rc<[u8]>,
    cursor: usize,
    /// Scheduling decisions taken (points where more than one task could run).
    pub decisions: u32,
    /// Polls made.
    pub steps: u32,
    /// When set, the number of runnable tasks at each scheduling decision, in order (at most
    /// 255): what an exhaustive exploration of the schedules branches on.
    pub arities: Option<Vec<u8>>,
    /// The most polls this run may make: reaching it with a task still runnable ends the run
    /// as [`RunEnd::StepBound`] (a livelock). [`STEP_BOUND`] unless set with
    /// [`Executor::with_step_bound`].
    pub step_bound: u32,
}

/// The base of every run's step bound (the most polls before a run counts as a livelock).
/// A scenario run by the model gets this plus an allowance per event and per device ([`crate::model::step_bound`]), so that a long
/// but finite event list never reads as a livelock; tests that drive an executor by hand get
/// this bound alone ([`Executor::new`]). A generated scenario needs at most a few dozen polls,
/// so a real livelock on one stops after 20,000 to 24,000.
pub const STEP_BOUND: u32 = 20_000;

impl Executor {
    /// An executor that will pick with `schedule`, with the base step bound [`STEP_BOUND`].
    pub fn new(schedule: Rc<[u8]>) -> Executor {
        Executor::with_step_bound(schedule, STEP_BOUND)
    }

    /// An executor that will pick with `schedule` and stop after `step_bound` polls.
    pub fn with_step_bound(schedule: Rc<[u8]>, step_bound: u32) -> Executor {
        Executor {
            futures: Vec::new(),
            live: Vec::new(),
            schedule,
            cursor: 0,
            decisions: 0,
            steps: 0,
            arities: None,
            step_bound,
        }
    }

    fn adopt_spawned(&mut self, k: &KRef, make: &dyn Fn(&KRef, TaskBody) -> BoxFut<()>) {
        loop {
            let spawned = std::mem::take(&mut k.borrow_mut().sched.spawned);
            if spawned.is_empty() {
                return;
            }
            for id in spawned.iter().copied() {
                let body = k.borrow().sched.tasks[id.0 as usize].body;
                let fut = make(k, body);
                self.live.push(id);
                let i = id.0 as usize;
                if self.futures.len() <= i {
                    self.futures.resize_with(i + 1, || None);
                }
                self.futures[i] = Some(fut);
            }
        }
    }

    /// Runs until every task is done, nothing can run, or [`Executor::step_bound`] polls.
    pub fn run(&mut self, k: &KRef, make: &dyn Fn(&KRef, TaskBody) -> BoxFut<()>) -> RunEnd {
        self.run_hooked(k, make, None)
    }

    /// [`Executor::run`], calling `hook` (when given) before every poll; a hook that says
    /// [`Control::Stop`] ends the run as [`RunEnd::Pruned`].
    pub fn run_hooked(
        &mut self,
        k: &KRef,
        make: &dyn Fn(&KRef, TaskBody) -> BoxFut<()>,
        mut hook: Option<&mut dyn Hook>,
    ) -> RunEnd {
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut runnable: Vec<TaskId> = Vec::with_capacity(16);
        loop {
            self.adopt_spawned(k, make);
            runnable.clear();
            {
                let kb = k.borrow();
                for &id in &self.live {
                    let t = &kb.sched.tasks[id.0 as usize];
                    if t.wait.is_none_or(|w| kb.wait_satisfied(w, id)) {
                        runnable.push(id);
                    }
                }
            }
            if runnable.is_empty() {
                return if !self.live.is_empty() {
                    RunEnd::Deadlock
                } else {
                    RunEnd::Quiescent
                };
            }
            if self.steps >= self.step_bound {
                return RunEnd::StepBound;
            }
            let (pick, decision) = if runnable.len() > 1 {
                self.decisions += 1;
                if let Some(a) = self.arities.as_mut() {
                    a.push(runnable.len().min(255) as u8);
                }
                let b = match self.schedule.get(self.cursor) {
                    Some(&b) => b as usize % runnable.len(),
                    None => match hook.as_deref_mut() {
                        Some(h) => match h.choose(&k.borrow(), &runnable, self.steps) {
                            Some(i) => i,
                            None => return RunEnd::Pruned,
                        },
                        None => 0,
                    },
                };
                self.cursor += 1;
                (runnable[b], Some(self.decisions - 1))
            } else {
                (runnable[0], None)
            };
            if let Some(h) = hook.as_deref_mut() {
                let step = Step {
                    runnable: &runnable,
                    pick,
                    decision,
                    steps: self.steps,
                };
                if h.before_poll(&k.borrow(), step) == Control::Stop {
                    return RunEnd::Pruned;
                }
            }
            self.steps += 1;
            {
                let mut kb = k.borrow_mut();
                *kb.sched.current = Some(pick);
                kb.sched.tasks[pick.0 as usize].wait = None;
            }
            let fut = self.futures[pick.0 as usize]
                .as_mut()
                .expect("a live task has a future");
            let hooked = hook.is_some();
            if hooked {
                footprint::begin();
            }
            let done = fut.as_mut().poll(&mut cx).is_ready();
            let touched = if hooked {
                footprint::end()
            } else {
                footprint::Touched::default()
            };
            if let Some(h) = hook.as_deref_mut() {
                h.after_poll(&k.borrow(), pick, touched, done);
            }
            let mut kb = k.borrow_mut();
            *kb.sched.current = None;
            if done {
                kb.sched.tasks[pick.0 as usize].alive = false;
                *kb.sched.alive_count -= 1;
                drop(kb);
                let at = self
                    .live
                    .iter()
                    .position(|&t| t == pick)
                    .expect("a finished task was live");
                self.live.remove(at);
                self.futures[pick.0 as usize] = None;
            }
        }
    }
}

fn noop_waker() -> Waker {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(|_| RAW, |_| {}, |_| {}, |_| {});
    const RAW: RawWaker = RawWaker::new(std::ptr::null(), &VTABLE);
    // SAFETY: every vtable function ignores the data pointer; nothing is ever woken.
    unsafe { Waker::from_raw(RAW) }
}

/// `wait_for_device_probe()` (drivers/base/dd.c): sleeps until the deferred-probe work is
/// idle, no probe is in flight and every async probe has finished.
/// <https://github.com/torvalds/linux/blob/master/drivers/base/dd.c>
///
/// ```c
///     /* wait for the deferred probe workqueue to finish */
///     flush_work(&deferred_probe_work);
///     /* wait for the known devices to complete their probing */
///     wait_event(probe_waitqueue, atomic_read(&probe_count) == 0);
///     async_synchronize_full();
/// ```
///
/// Simplification (stronger than the kernel): the model waits for one moment at which all
/// three hold at once. The kernel checks them one after the other, so a deferred-probe pass
/// queued after its `flush_work` returned, or a probe started after `probe_count` reached 0,
/// can still be running when it returns; and its `flush_work` only waits for the instance
/// queued when it was called. It never waits for other workqueues: work on `cxl_bus_wq`
/// (`cxl_bus_rescan`, [`crate::drivers::cxl::port::cxl_bus_rescan`]) is not covered, in the
/// model as in the kernel.
pub async fn wait_for_device_probe(k: &KRef) {
    block_on(k, Wait::DeviceProbeIdle).await;
}

/// `async_synchronize_full()` (kernel/async.c,
/// <https://github.com/torvalds/linux/blob/master/kernel/async.c>): sleeps until every entry
/// of the default async domain has run, including entries scheduled while it sleeps
/// (`async_synchronize_cookie_domain(ASYNC_COOKIE_MAX, …)`). The model's async entries are the
/// async probes ([`TaskBody::AsyncProbe`]). Returns without a scheduling point when none is
/// pending, as the kernel does (`lowest_in_progress` is already past the cookie).
///
/// ```c
///     wait_event(async_done, lowest_in_progress(domain) >= cookie);
/// ```
///
/// and each entry ends `async_run_entry_fn` with `wake_up(&async_done)`: the waiter wakes at
/// every finished entry, re-checks, and sleeps again until the last. Scheduler version 2
/// ([`Scheduler::AsyncIdle`], the current one) makes that one wait ([`Wait::AsyncIdle`]): a
/// wake whose re-check fails changes nothing but the waiter's own place in the queue.
/// Version 1 ([`Scheduler::PerProbe`], kept so that schedules saved under it replay) waits
/// for each pending async probe task in turn ([`Wait::TaskDone`], which reports name
/// "request_module" for a blocked task), a scheduling point per finished probe.
///
/// [`Scheduler::AsyncIdle`]: crate::scenario::Scheduler::AsyncIdle
/// [`Scheduler::PerProbe`]: crate::scenario::Scheduler::PerProbe
pub async fn async_synchronize_full(k: &KRef) {
    async_synchronize_full_then(k, None).await;
}

/// [`async_synchronize_full`] whose caller names what it does after the call returns: under
/// scheduler version 2 its one wait is then a resume point ([`block_on_resuming`]; the loop
/// returns right after that wait and uses nothing but `k`).
pub async fn async_synchronize_full_then(k: &KRef, then: Option<Resume>) {
    loop {
        let next = {
            let kb = k.borrow();
            if *kb.dc.async_pending == 0 {
                return;
            }
            match kb.scheduler {
                crate::scenario::Scheduler::AsyncIdle => None,
                crate::scenario::Scheduler::PerProbe => match kb.first_async_probe_alive() {
                    Some(i) => Some(TaskId(i as u32)),
                    None => return,
                },
            }
        };
        match next {
            Some(t) => block_on(k, Wait::TaskDone(t)).await,
            None => {
                let resume = then.map(|r| r.then("async_synchronize_full: AsyncIdle"));
                return match resume {
                    Some(r) => block_on_resuming(k, Wait::AsyncIdle, r).await,
                    None => block_on(k, Wait::AsyncIdle).await,
                };
            }
        }
    }
}

/// `flush_work()` (kernel/workqueue.c): WARNs and returns false for a work item whose
/// function was never set (`WARN_ON(!work->func)`); returns false at once if the work is idle;
/// otherwise sleeps until the queued or running instance has finished and returns true.
///
/// Simplification (stronger than the kernel): the model sleeps until the item is neither
/// pending nor running, so an instance queued again while it sleeps is waited for too; the
/// kernel's `__flush_work` inserts a barrier behind the instance queued (or running) at call
/// time and returns once that one finished.
pub async fn flush_work(k: &KRef, w: WorkId) -> bool {
    {
        let mut kb = k.borrow_mut();
        let wk = kb.sched.works[w.0 as usize];
        if wk.func.is_none() {
            kb.warn("__flush_work", "WARN_ON(!work->func)");
            return false;
        }
        if !wk.pending && wk.running.is_none() {
            return false;
        }
    }
    block_on(k, Wait::WorkIdle(w)).await;
    true
}

/// `flush_workqueue()` of the ordered workqueue: sleeps until every instance queued before the
/// call has run (those queued meanwhile are not waited for).
pub async fn flush_ordered_workqueue(k: &KRef) {
    let last = *k.borrow().sched.ordered_seq;
    if k.borrow()
        .sched
        .ordered
        .first()
        .is_some_and(|&(s, _)| s <= last)
    {
        block_on(k, Wait::OrderedFlushed(last)).await;
    }
}

/// `cancel_work_sync()`: a pending instance is cancelled (its kworker exits without running
/// the function), then sleeps until a running instance has finished. Returns whether a
/// pending instance was cancelled.
pub async fn cancel_work_sync(k: &KRef, w: WorkId) -> bool {
    let was_pending = {
        let mut kb = k.borrow_mut();
        let wk = &mut kb.sched.works[w.0 as usize];
        let p = wk.pending;
        if p {
            wk.pending = false;
            wk.cancelled += 1;
        }
        p
    };
    if k.borrow().sched.works[w.0 as usize].running.is_some() {
        block_on(k, Wait::WorkNotRunning(w)).await;
    }
    was_pending
}
