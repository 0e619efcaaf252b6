//! Running a scenario on a design: normalize the Kconfig with the design's rules, boot the
//! model, play the events, and collect the observations.

use crate::designs::Design;
use crate::kernel::kconfig::{olddefconfig, Kconfig};
use crate::kernel::modprobe::make_task;
use crate::kernel::sched::{Executor, Hook, RunEnd, TaskBody};
use crate::kernel::{KRef, Kernel};
use crate::observe::{observe, task_name, wait_name};
use crate::scenario::{Event, Platform, Scenario, Scheduler};
use srfuzz_oracle::{BlockedTask, Observation, Outcome};
use std::cell::RefCell;
use std::rc::Rc;

/// The result of one run of one design.
pub struct Run {
    /// The design's name.
    pub design: &'static str,
    /// The Kconfig as this design normalized it.
    pub kconfig: Kconfig,
    /// One observation per `settle`, then the final one.
    pub observations: Vec<Observation>,
    /// Scheduling decisions taken.
    pub decisions: u32,
    /// Task steps taken.
    pub steps: u32,
    /// The final kernel, for reports (timeline, state).
    pub kernel: Kernel,
}

impl Run {
    /// The last observation.
    pub fn last(&self) -> &Observation {
        self.observations
            .last()
            .expect("a run always ends with an observation")
    }
}

/// Runs `s` on `design` with the scenario's own schedule.
pub fn run(design: &'static Design, s: &Scenario) -> Run {
    run_with(design, design.ops(), s)
}

/// `make olddefconfig` for this design's rules, remembering the last few resolutions: a check
/// runs one scenario on designs that often share their rules (v4 and v5 do), and the
/// resolution is a pure function of the rules and the request.
fn resolve(ops: &crate::designs::Ops, req: &crate::kernel::kconfig::KconfigRequest) -> Kconfig {
    use crate::kernel::kconfig::KconfigRequest;
    thread_local! {
        static RESOLVED: RefCell<Vec<(u32, KconfigRequest, Kconfig)>> =
            const { RefCell::new(Vec::new()) };
    }
    RESOLVED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(e) = cache.iter().find(|e| e.0 == ops.kconfig_id && e.1 == *req) {
            return e.2;
        }
        let cfg = olddefconfig(req, &ops.kconfig);
        if cache.len() == 4 {
            cache.remove(0);
        }
        cache.push((ops.kconfig_id, req.clone(), cfg));
        cfg
    })
}

/// The scenario on which two designs' runs of `s` are compared: `s` itself when both resolve
/// its Kconfig request alike; else `s` with a request both resolve to the same `.config` (the
/// first design's resolution, else the second's; the symbols where they part asked for
/// explicitly); `None` when there is no such request.
///
/// Why: a design's Kconfig rules may resolve the same request differently (v5's base commit
/// 1f1cb7f0 makes `CXL_PCI` select `CXL_MEM`, so `# CONFIG_CXL_MEM is not set` gives `n` on
/// v4 and `m` on v5). Runs on two different `.config`s differ because the configs do, which
/// says nothing about either design's code: a reviewer compares two kernels built from one
/// `.config`. A design whose rules force a config that misbehaves is still judged on it, by
/// the spec check and here on the resolution that wins.
pub fn comparable<'s>(
    s: &'s Scenario,
    designs: [&'static Design; 2],
) -> Option<std::borrow::Cow<'s, Scenario>> {
    let [a, b] = designs.map(|d| resolve(d.ops(), &s.kconfig));
    if a == b {
        return Some(std::borrow::Cow::Borrowed(s));
    }
    [a, b]
        .into_iter()
        .find_map(|target| request_resolving_to(target, &s.kconfig, &designs))
        .map(|kconfig| {
            std::borrow::Cow::Owned(Scenario {
                kconfig,
                ..s.clone()
            })
        })
}

/// The scenario on which `base` (mainline) is run as the baseline of `d`'s run of `s`: `s`
/// when both resolve its request alike, else `s` with a request that `base` resolves to `d`'s
/// `.config` (so that "mainline shows it too" means: on the same `.config`); `None` when
/// `base` cannot build that `.config`.
pub fn baseline_for<'s>(
    s: &'s Scenario,
    d: &'static Design,
    base: &'static Design,
) -> Option<std::borrow::Cow<'s, Scenario>> {
    let target = resolve(d.ops(), &s.kconfig);
    if resolve(base.ops(), &s.kconfig) == target {
        return Some(std::borrow::Cow::Borrowed(s));
    }
    request_resolving_to(target, &s.kconfig, &[d, base]).map(|kconfig| {
        std::borrow::Cow::Owned(Scenario {
            kconfig,
            ..s.clone()
        })
    })
}

/// `make olddefconfig` of `s`'s request under `d`'s Kconfig rules: the `.config` a run of `s`
/// on `d` uses.
pub fn resolved(d: &'static Design, s: &Scenario) -> Kconfig {
    resolve(d.ops(), &s.kconfig)
}

/// `req` with every symbol where some design's resolution departs from `target` asked for as
/// `target` has it, if every design then resolves it to `target`.
fn request_resolving_to(
    target: Kconfig,
    req: &crate::kernel::kconfig::KconfigRequest,
    designs: &[&'static Design],
) -> Option<crate::kernel::kconfig::KconfigRequest> {
    use crate::kernel::kconfig::Sym;
    let mut r = req.clone();
    for d in designs {
        let c = resolve(d.ops(), req);
        for sym in Sym::ALL {
            if c.get(sym) != target.get(sym) {
                r.set(sym, Some(target.get(sym)));
            }
        }
    }
    designs
        .iter()
        .all(|d| resolve(d.ops(), &r) == target)
        .then_some(r)
}

/// Polls allowed for each event, on top of what the devices it may probe again cost
/// ([`STEPS_PER_DEVICE`] each, [`event_devices`]): the userspace task's own scheduling points
/// and the modprobe tasks an event starts. Measured: at most about 10 per event on the series'
/// test machine.
pub const STEPS_PER_EVENT: u64 = 64;

/// Polls allowed per device: for every device of the platform once (the boot probes each),
/// and for every device an event may probe again with tasks of its own, once per event (an
/// async probe task per cxl_pci device and `async_synchronize_full` waiting for it, a
/// deferred-probe pass or a design's work item after a bind, a udev modprobe). Measured: at
/// most a few polls per such device and event.
pub const STEPS_PER_DEVICE: u64 = 16;

/// The devices `platform` can have registered at once, over-estimated: ACPI0017; per memdev
/// its PCI function, `memN` and `endpointN`, and per memdev and per window a region with its
/// `dax_regionN` and dev_dax; per `hmem_platform` device (the first and the extra ones) the
/// device itself and, for each range it may register (every Soft Reserved range and HMAT
/// target), an `hmem.N` and its dev_dax.
pub fn platform_devices(platform: &Platform) -> u64 {
    let memdevs = platform.memdevs.len() as u64;
    let windows = platform.windows.len() as u64;
    let ranges = (platform.soft_reserved.len() + platform.hmat_targets.len()) as u64;
    1 + 3 * memdevs + 3 * (memdevs + windows) + hmem_platforms(platform) * (1 + 2 * ranges)
}

fn hmem_platforms(platform: &Platform) -> u64 {
    1 + u64::from(platform.hmem_test.is_some())
}

/// The devices one event may probe again in tasks of their own: a memdev (cxl_pci probes
/// asynchronously), a window (its regions' work), an `hmem_platform` device (the series'
/// deferred work). `hmem.N` devices and dev_dax are probed synchronously, inside the task
/// that registers them: they cost an event no polls of their own.
pub fn event_devices(platform: &Platform) -> u64 {
    1 + platform.memdevs.len() as u64 + platform.windows.len() as u64 + hmem_platforms(platform)
}

/// The step bound of one run ([`Executor::step_bound`]):
///
/// ```text
/// STEP_BOUND + STEPS_PER_DEVICE × platform_devices
///            + events × (STEPS_PER_EVENT + STEPS_PER_DEVICE × event_devices)
/// ```
///
/// saturating at `u32::MAX`. A run of a finite event list is finite work whose polls grow
/// with the events and, per event, with the devices an event may probe again; one bound for
/// every scenario ([`crate::kernel::sched::STEP_BOUND`] alone) read thousands of `settle`
/// lines or load/unload pairs as a livelock. A real livelock (work that requeues itself
/// forever) is still stopped at the bound: after about 24,000 polls on a generated scenario
/// (at most 16 events, a few dozen devices), after about 610,000 on the largest scenario the
/// text format allows (docs/scenario-format.md, "Limits"), under a tenth of a second, while
/// honest runs of such scenarios take under 1% of their bound.
pub fn step_bound(platform: &Platform, events: &[Event]) -> u32 {
    let boot = STEPS_PER_DEVICE.saturating_mul(platform_devices(platform));
    let per_event = STEPS_PER_EVENT + STEPS_PER_DEVICE * event_devices(platform);
    let bound = u64::from(crate::kernel::sched::STEP_BOUND)
        .saturating_add(boot)
        .saturating_add(per_event.saturating_mul(events.len() as u64));
    u32::try_from(bound).unwrap_or(u32::MAX)
}

/// A scenario's immutable parts, shared by the several runs a check makes of it (each run
/// would otherwise copy them).
pub struct Inputs {
    platform: Rc<Platform>,
    events: Rc<[Event]>,
    schedule: Rc<[u8]>,
    scheduler: Scheduler,
}

impl Inputs {
    /// The shared parts of `s`.
    pub fn of(s: &Scenario) -> Inputs {
        Inputs {
            platform: Rc::new(s.platform.clone()),
            events: s.events.clone().into(),
            schedule: s.schedule.clone().into(),
            scheduler: s.scheduler,
        }
    }

    /// The same inputs under another schedule.
    pub fn with_schedule(&self, schedule: &[u8]) -> Inputs {
        Inputs {
            platform: self.platform.clone(),
            events: self.events.clone(),
            schedule: schedule.into(),
            scheduler: self.scheduler,
        }
    }
}

/// [`run`] for a judge: the same run, but without what only reports read (the /proc/iomem
/// text and the timeline); reports rerun with [`run`].
pub fn run_for_judging(design: &'static Design, s: &Scenario) -> Run {
    run_for_judging_in(design, s, &Inputs::of(s))
}

/// [`run_for_judging`] on inputs prepared once for several runs of `s`.
pub fn run_for_judging_in(design: &'static Design, s: &Scenario, inputs: &Inputs) -> Run {
    run_inner(design, design.ops(), s, inputs, false, &mut None, None)
        .expect("a run without a hook is never pruned")
}

/// Runs `s` with a given ops table of `design` (e.g. with a patch left out).
pub fn run_with(design: &'static Design, ops: &'static crate::designs::Ops, s: &Scenario) -> Run {
    run_inner(design, ops, s, &Inputs::of(s), true, &mut None, None)
        .expect("a run without a hook is never pruned")
}

/// [`run_for_judging_in`], also returning the number of runnable tasks at each scheduling
/// decision the run took (see [`crate::explore`]).
pub fn run_recording_choices(
    design: &'static Design,
    s: &Scenario,
    inputs: &Inputs,
) -> (Run, Vec<u8>) {
    let mut arities = Some(Vec::new());
    let run = run_inner(design, design.ops(), s, inputs, false, &mut arities, None)
        .expect("a run without a hook is never pruned");
    (run, arities.unwrap_or_default())
}

/// [`run_recording_choices`] with `hook` called before every poll
/// ([`crate::kernel::sched::Hook`]): `None` in place of the run when the hook stopped it (a
/// pruned run is not a run to judge), and the arities of the decisions it took either way.
pub fn run_hooked(
    design: &'static Design,
    s: &Scenario,
    inputs: &Inputs,
    hook: &mut dyn Hook,
) -> (Option<Run>, Vec<u8>) {
    let mut arities = Some(Vec::new());
    let run = run_inner(
        design,
        design.ops(),
        s,
        inputs,
        false,
        &mut arities,
        Some(hook),
    );
    (run, arities.unwrap_or_default())
}

fn run_inner(
    design: &'static Design,
    ops: &'static crate::designs::Ops,
    s: &Scenario,
    inputs: &Inputs,
    reporting: bool,
    arities: &mut Option<Vec<u8>>,
    hook: Option<&mut dyn Hook>,
) -> Option<Run> {
    let cfg = resolve(ops, &s.kconfig);
    let k: KRef = Rc::new(RefCell::new(Kernel::new(
        ops,
        cfg,
        inputs.platform.clone(),
        inputs.events.clone(),
    )));
    {
        let mut kb = k.borrow_mut();
        kb.reporting = reporting;
        kb.scheduler = inputs.scheduler;
        kb.spawn(TaskBody::KernelInit);
        kb.spawn(TaskBody::Userspace);
    }
    let bound = step_bound(&inputs.platform, &inputs.events);
    let mut exec = Executor::with_step_bound(inputs.schedule.clone(), bound);
    exec.arities = arities.take();
    let end = exec.run_hooked(&k, &make_task, hook);
    *arities = exec.arities.take();
    let outcome = match end {
        RunEnd::Quiescent => Outcome::Quiescent,
        RunEnd::Deadlock => Outcome::Deadlock,
        RunEnd::StepBound => Outcome::Livelock,
        RunEnd::Pruned => return None,
    };
    let (decisions, steps) = (exec.decisions, exec.steps);
    drop(exec);
    let kernel = match Rc::try_unwrap(k) {
        Ok(cell) => cell.into_inner(),
        Err(_) => unreachable!("the executor dropped every task future"),
    };
    let blocked: Vec<BlockedTask> = kernel
        .sched
        .tasks
        .iter()
        .filter(|t| t.alive)
        .map(|t| BlockedTask {
            task: task_name(&kernel, t.body),
            waiting_on: t.wait.map(wait_name).unwrap_or_else(|| "runnable".into()),
        })
        .collect();
    let last = observe(&kernel, "end".into(), outcome, &blocked);
    let mut kernel = kernel;
    let mut observations = std::mem::take(kernel.observations.untracked_mut());
    observations.push(last);
    Some(Run {
        design: design.name,
        kconfig: cfg,
        observations,
        decisions,
        steps,
        kernel,
    })
}
