//! Litmus tests for the driver core model (src/kernel/driver_core.rs) and the executor
//! (src/kernel/sched.rs): each test pins one behaviour of drivers/base/ or the scheduling
//! contract, and fails if the model got it wrong.
//!
//! The tests drive the model directly: a mainline kernel whose ops table has test probes in
//! place of `cxl_mem_probe` / `cxl_port_probe` (so `DrvKind::CxlMem` binds
//! `DevKind::CxlMemdev(_)` with our probe), and an [`Executor`] for the work items and async
//! probes. Test-local state lives in thread-locals, reset at the start of every test.

use srfuzz::designs::{self, Ops};
use srfuzz::kernel::driver_core::{Bus, DevId, DevKind, DrvKind};
use srfuzz::kernel::errno::{Errno, KResult};
use srfuzz::kernel::kconfig::{olddefconfig, KconfigRequest, KconfigRules};
use srfuzz::kernel::log::LogEvent;
use srfuzz::kernel::modprobe::make_task;
use srfuzz::kernel::module::Module;
use srfuzz::kernel::resource::Name;
use srfuzz::kernel::sched::{block_on, BoxFut, Executor, RunEnd, TaskBody, TaskId, Wait, WorkId};
use srfuzz::kernel::{KRef, Kernel};
use srfuzz::scenario::Platform;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

thread_local! {
    /// Whether the "supplier" a deferring probe waits for is there.
    static READY: Cell<bool> = const { Cell::new(false) };
    /// Devices our probes were called for, in call order.
    static PROBES: RefCell<Vec<DevId>> = const { RefCell::new(Vec::new()) };
    /// Arguments of the devm release actions that ran, in run order.
    static RELEASED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// What the executor tests' tasks and work functions did, in order.
    static LOG: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    /// Whether the mem probe of the retrigger test already created its child.
    static CHILD_MADE: Cell<bool> = const { Cell::new(false) };
}

fn reset() {
    READY.with(|c| c.set(false));
    PROBES.with(|c| c.borrow_mut().clear());
    RELEASED.with(|c| c.borrow_mut().clear());
    LOG.with(|c| c.borrow_mut().clear());
    CHILD_MADE.with(|c| c.set(false));
}

fn probes() -> Vec<DevId> {
    PROBES.with(|c| c.borrow().clone())
}

fn released() -> Vec<u64> {
    RELEASED.with(|c| c.borrow().clone())
}

fn log() -> Vec<&'static str> {
    LOG.with(|c| c.borrow().clone())
}

fn note(s: &'static str) {
    LOG.with(|c| c.borrow_mut().push(s));
}

fn record_probe(d: DevId) {
    PROBES.with(|c| c.borrow_mut().push(d));
}

/// A devm release action: records its argument.
fn rec_release(_k: &mut Kernel, arg: u64) {
    RELEASED.with(|c| c.borrow_mut().push(arg));
}

/// A kernel before boot with `ops`.
fn kernel(ops: Ops) -> KRef {
    let ops: &'static Ops = Box::leak(Box::new(ops));
    let cfg = olddefconfig(&KconfigRequest::new(), &KconfigRules::mainline());
    Rc::new(RefCell::new(Kernel::new(
        ops,
        cfg,
        Rc::new(Platform::default()),
        Rc::from(vec![]),
    )))
}

/// The mainline kernel, unmodified ops.
fn mainline_kernel() -> KRef {
    let cfg = olddefconfig(&KconfigRequest::new(), &KconfigRules::mainline());
    Rc::new(RefCell::new(Kernel::new(
        designs::by_name("mainline").unwrap().ops(),
        cfg,
        Rc::new(Platform::default()),
        Rc::from(vec![]),
    )))
}

fn ops_with_mem_probe(probe: fn(&mut Kernel, DevId) -> KResult) -> Ops {
    let mut ops = Ops::mainline();
    ops.cxl_mem_probe = probe;
    ops
}

/// `device_initialize` + `device_add` of "memN" on the cxl bus.
fn add_memdev(k: &mut Kernel, i: u32) -> DevId {
    let d = k.device_initialize(Name::id("mem", i), DevKind::CxlMemdev(i), Bus::Cxl, None);
    k.device_add(d).unwrap();
    d
}

/// `device_initialize` only (not yet on the bus).
fn init_memdev(k: &mut Kernel, i: u32) -> DevId {
    k.device_initialize(Name::id("mem", i), DevKind::CxlMemdev(i), Bus::Cxl, None)
}

fn bound_order(k: &Kernel) -> Vec<DevId> {
    k.timeline
        .iter()
        .filter_map(|(_, e)| match e {
            LogEvent::Bound(d, _) => Some(*d),
            _ => None,
        })
        .collect()
}

fn unbound_order(k: &Kernel) -> Vec<DevId> {
    k.timeline
        .iter()
        .filter_map(|(_, e)| match e {
            LogEvent::Unbound(d, _) => Some(*d),
            _ => None,
        })
        .collect()
}

fn deferred_work_pending(k: &Kernel) -> bool {
    k.dc.deferred_probe_work.is_some_and(|w| k.work_pending(w))
}

fn run(k: &KRef, schedule: &[u8]) -> RunEnd {
    let mut exec = Executor::new(schedule.to_vec().into());
    exec.run(k, &make_task)
}

// ---------------------------------------------------------------------------------------------
// 1. Deferred probe
// ---------------------------------------------------------------------------------------------

/// Defers with -EPROBE_DEFER until READY; then binds.
fn defer_until_ready(_k: &mut Kernel, d: DevId) -> KResult {
    record_probe(d);
    if READY.with(|c| c.get()) {
        Ok(())
    } else {
        Err(Errno::EPROBE_DEFER)
    }
}

/// drivers/base/dd.c: a probe returning -EPROBE_DEFER puts the device on
/// `deferred_probe_pending_list` (`driver_deferred_probe_add`) and leaves it unbound. While
/// `driver_deferred_probe_enable` is false (before `deferred_probe_initcall`),
/// `driver_deferred_probe_trigger` returns early — even a successful bind queues nothing. Once
/// enabled, a successful bind (`driver_bound` → `driver_deferred_probe_trigger`) queues
/// `deferred_probe_work`; when the work runs (`deferred_probe_work_func`) the deferred device is
/// re-probed and binds, and leaves the deferred list. `wait_for_device_probe` is not idle while
/// the work is queued.
#[test]
fn deferred_device_binds_when_work_runs_after_a_bind_triggers() {
    reset();
    let k = kernel(ops_with_mem_probe(defer_until_ready));
    let (d0, d1, d2);
    {
        let mut kb = k.borrow_mut();
        kb.driver_register(DrvKind::CxlMem, Module::CxlMem, false);
        d0 = add_memdev(&mut kb, 0);
        assert_eq!(probes(), vec![d0], "device_add probes synchronously");
        assert_eq!(kb.dev(d0).driver, None);
        assert!(kb.dev(d0).deferred);
        assert_eq!(kb.dc.deferred, vec![d0]);
        assert_eq!(kb.dev(d0).probe_err, Some(Errno::EPROBE_DEFER));

        // Deferred probing not yet enabled: a trigger is a no-op…
        assert!(!*kb.dc.deferred_probe_enable);
        kb.driver_deferred_probe_trigger();
        assert!(!deferred_work_pending(&kb));
        assert!(
            kb.sched.tasks.is_empty(),
            "no kworker before deferred probing is enabled"
        );
        // …and so is a successful bind of another device.
        READY.with(|c| c.set(true));
        d1 = add_memdev(&mut kb, 1);
        assert!(kb.dev(d1).driver.is_some());
        assert!(!deferred_work_pending(&kb));
        assert!(kb.sched.tasks.is_empty());
        assert_eq!(
            kb.dev(d0).driver,
            None,
            "d0 is not retried without a trigger"
        );
        assert_eq!(kb.dc.deferred, vec![d0]);
        assert!(kb.device_probe_idle());

        // deferred_probe_initcall has run: the next successful bind queues the work.
        *kb.dc.deferred_probe_enable = true;
        d2 = add_memdev(&mut kb, 2);
        assert!(kb.dev(d2).driver.is_some());
        assert!(
            deferred_work_pending(&kb),
            "driver_bound triggers deferred_probe_work"
        );
        assert_eq!(
            kb.dev(d0).driver,
            None,
            "the retry happens in the work, not inline"
        );
        assert!(
            !kb.device_probe_idle(),
            "wait_for_device_probe flushes deferred_probe_work"
        );
    }
    assert_eq!(run(&k, &[]), RunEnd::Quiescent);
    let kb = k.borrow();
    assert!(
        kb.dev(d0).driver.is_some(),
        "the deferred device bound in the work"
    );
    assert!(!kb.dev(d0).deferred);
    assert!(kb.dc.deferred.is_empty());
    assert_eq!(kb.dev(d0).probe_err, None);
    assert_eq!(probes(), vec![d0, d1, d2, d0]);
    assert!(kb.device_probe_idle());
    assert_eq!(bound_order(&kb), vec![d1, d2, d0]);
}

/// drivers/base/dd.c `deferred_probe_work_func`: a device whose probe defers again goes back
/// to the pending list and stays unbound; it is retried at the next trigger, not in a loop.
#[test]
fn deferred_device_that_defers_again_stays_deferred() {
    reset();
    let k = kernel(ops_with_mem_probe(defer_until_ready));
    let d0;
    {
        let mut kb = k.borrow_mut();
        *kb.dc.deferred_probe_enable = true;
        kb.driver_register(DrvKind::CxlMem, Module::CxlMem, false);
        d0 = add_memdev(&mut kb, 0);
        kb.driver_deferred_probe_trigger();
        assert!(deferred_work_pending(&kb));
    }
    assert_eq!(run(&k, &[]), RunEnd::Quiescent);
    {
        let kb = k.borrow();
        assert_eq!(probes(), vec![d0, d0], "retried exactly once by the work");
        assert_eq!(kb.dev(d0).driver, None);
        assert!(kb.dev(d0).deferred);
        assert_eq!(kb.dc.deferred, vec![d0]);
        assert!(!deferred_work_pending(&kb));
    }
    READY.with(|c| c.set(true));
    k.borrow_mut().driver_deferred_probe_trigger();
    assert_eq!(run(&k, &[]), RunEnd::Quiescent);
    let kb = k.borrow();
    assert!(kb.dev(d0).driver.is_some());
    assert!(kb.dc.deferred.is_empty());
}

/// cxl_mem probe for the retrigger test: adds a child endpoint (which binds synchronously to
/// cxl_port and so triggers deferred probing) and then, the first time, defers.
fn mem_probe_adds_child_then_defers(k: &mut Kernel, d: DevId) -> KResult {
    record_probe(d);
    if !CHILD_MADE.with(|c| c.replace(true)) {
        let child = k.device_initialize(
            Name::id("endpoint", 0),
            DevKind::CxlEndpoint(0),
            Bus::Cxl,
            Some(d),
        );
        k.device_add(child).unwrap();
        assert!(
            k.dev(child).driver.is_some(),
            "child binds inside the parent's probe"
        );
        return Err(Errno::EPROBE_DEFER);
    }
    Ok(())
}

fn port_probe_ok(_k: &mut Kernel, _d: DevId) -> KResult {
    Ok(())
}

/// drivers/base/dd.c `driver_probe_device`: it samples `deferred_trigger_count` before the
/// probe, and if a trigger happened while the probe ran and the probe returned -EPROBE_DEFER,
/// it calls `driver_deferred_probe_trigger()` again after `driver_deferred_probe_add()`
/// ("Did a trigger occur while probing? Need to re-trigger if yes", commit 58b116bce136
/// "drivercore: deferral race condition fix"). Otherwise a device whose dependency appeared
/// during its own probe would sit on the pending list forever. Here the dependency that
/// appears is a child bound inside the probe; `driver_deferred_probe_trigger` in the kernel
/// also does not skip the work when the pending list is empty.
#[test]
fn trigger_during_a_deferring_probe_retriggers() {
    reset();
    let mut ops = ops_with_mem_probe(mem_probe_adds_child_then_defers);
    ops.cxl_port_probe = port_probe_ok;
    let k = kernel(ops);
    let d0;
    {
        let mut kb = k.borrow_mut();
        *kb.dc.deferred_probe_enable = true;
        kb.driver_register(DrvKind::CxlPort, Module::CxlPort, false);
        kb.driver_register(DrvKind::CxlMem, Module::CxlMem, false);
        d0 = add_memdev(&mut kb, 0);
        assert_eq!(kb.dev(d0).driver, None);
        // The re-trigger moved it from the pending to the active list.
        assert!(kb.dev(d0).deferred);
        assert!(kb.dc.deferred.is_empty());
        assert_eq!(kb.dc.deferred_active, vec![d0]);
        assert!(
            deferred_work_pending(&kb),
            "a trigger during the probe must re-trigger after the device is put on the \
             deferred list"
        );
    }
    assert_eq!(run(&k, &[]), RunEnd::Quiescent);
    let kb = k.borrow();
    assert!(
        kb.dev(d0).driver.is_some(),
        "the deferred device is retried and binds"
    );
    assert!(kb.dc.deferred.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 2. devres
// ---------------------------------------------------------------------------------------------

/// Adds devm actions 1, 2, 3 and succeeds.
fn probe_three_actions_ok(k: &mut Kernel, d: DevId) -> KResult {
    record_probe(d);
    k.devm_add_action(d, "a", rec_release, 1);
    k.devm_add_action(d, "b", rec_release, 2);
    k.devm_add_action(d, "c", rec_release, 3);
    Ok(())
}

/// Adds devm actions 1, 2 and fails with -ENOMEM.
fn probe_two_actions_fail(k: &mut Kernel, d: DevId) -> KResult {
    record_probe(d);
    k.devm_add_action(d, "a", rec_release, 1);
    k.devm_add_action(d, "b", rec_release, 2);
    Err(Errno::ENOMEM)
}

/// Adds devm actions 1, 2 and defers.
fn probe_two_actions_defer(k: &mut Kernel, d: DevId) -> KResult {
    record_probe(d);
    k.devm_add_action(d, "a", rec_release, 1);
    k.devm_add_action(d, "b", rec_release, 2);
    Err(Errno::EPROBE_DEFER)
}

/// drivers/base/dd.c `__device_release_driver` → `device_unbind_cleanup` →
/// `devres_release_all` (drivers/base/devres.c `release_nodes`): devm actions added during the
/// probe run newest first when the driver is unbound, and the device is left without a
/// driver and without devres.
#[test]
fn devm_actions_run_newest_first_on_unbind() {
    reset();
    let k = kernel(ops_with_mem_probe(probe_three_actions_ok));
    let mut kb = k.borrow_mut();
    kb.driver_register(DrvKind::CxlMem, Module::CxlMem, false);
    let d = add_memdev(&mut kb, 0);
    assert!(kb.dev(d).driver.is_some());
    assert!(released().is_empty(), "nothing released while bound");
    assert_eq!(kb.dev(d).devres.len(), 3);
    kb.device_release_driver(d);
    assert_eq!(released(), vec![3, 2, 1]);
    assert_eq!(kb.dev(d).driver, None);
    assert!(kb.dev(d).devres.is_empty());
    assert_eq!(unbound_order(&kb), vec![d]);
    // A second release of an unbound device does nothing.
    kb.device_release_driver(d);
    assert_eq!(released(), vec![3, 2, 1]);
    assert_eq!(unbound_order(&kb), vec![d]);
}

/// drivers/base/dd.c `really_probe`, `probe_failed:` → `device_unbind_cleanup` →
/// `devres_release_all`: when the probe fails, what it acquired with devm is released newest
/// first, `dev->driver` is cleared, and a plain error does not defer the device.
#[test]
fn devm_actions_run_newest_first_on_probe_failure() {
    reset();
    let k = kernel(ops_with_mem_probe(probe_two_actions_fail));
    let mut kb = k.borrow_mut();
    *kb.dc.deferred_probe_enable = true;
    kb.driver_register(DrvKind::CxlMem, Module::CxlMem, false);
    let d = add_memdev(&mut kb, 0);
    assert_eq!(probes(), vec![d]);
    assert_eq!(released(), vec![2, 1]);
    assert_eq!(kb.dev(d).driver, None);
    assert!(kb.dev(d).devres.is_empty());
    assert_eq!(kb.dev(d).probe_err, Some(Errno::ENOMEM));
    assert!(!kb.dev(d).deferred, "-ENOMEM is not a deferral");
    assert!(kb.dc.deferred.is_empty());
    assert!(
        !deferred_work_pending(&kb),
        "a failed probe does not trigger"
    );
    assert!(bound_order(&kb).is_empty());
}

/// Same as above for -EPROBE_DEFER: devres is released before the device goes on the
/// deferred list (a deferred probe must not keep what it acquired).
#[test]
fn devm_actions_run_newest_first_on_probe_deferral() {
    reset();
    let k = kernel(ops_with_mem_probe(probe_two_actions_defer));
    let mut kb = k.borrow_mut();
    kb.driver_register(DrvKind::CxlMem, Module::CxlMem, false);
    let d = add_memdev(&mut kb, 0);
    assert_eq!(released(), vec![2, 1]);
    assert!(kb.dev(d).devres.is_empty());
    assert!(kb.dev(d).deferred);
}

/// drivers/base/devres.c `devm_release_action`: `WARN_ON(devres_release(dev,
/// devm_action_release, devm_action_match, &devres))` — it removes and runs only the action
/// that matches both function and data (the newest such, `find_dr` walks the list in
/// reverse), leaves the others for unbind, and WARNs when none matches.
#[test]
fn devm_release_action_runs_only_the_match_and_warns_on_none() {
    reset();
    let k = kernel(ops_with_mem_probe(probe_three_actions_ok));
    let mut kb = k.borrow_mut();
    kb.driver_register(DrvKind::CxlMem, Module::CxlMem, false);
    let d = add_memdev(&mut kb, 0);
    assert!(kb.warns.is_empty());

    kb.devm_release_action(d, "b", 2);
    assert_eq!(released(), vec![2], "only the matching action runs");
    assert_eq!(kb.dev(d).devres.len(), 2);
    assert!(kb.warns.is_empty());

    // Released already: nothing matches → WARN, nothing runs.
    kb.devm_release_action(d, "b", 2);
    assert_eq!(released(), vec![2]);
    assert_eq!(kb.warns.len(), 1);
    assert_eq!(kb.warns[0].site, "devm_release_action");

    // Right name, wrong data: no match either.
    kb.devm_release_action(d, "a", 3);
    assert_eq!(released(), vec![2]);
    assert_eq!(kb.warns.len(), 2);

    // Unbind runs what is left, newest first.
    kb.device_release_driver(d);
    assert_eq!(released(), vec![2, 3, 1]);
}

fn release_first(_k: &mut Kernel, _arg: u64) {
    note("first");
}

fn release_second(_k: &mut Kernel, _arg: u64) {
    note("second");
}

/// drivers/base/devres.c `find_dr` walks `dev->devres_head` with
/// `list_for_each_entry_reverse`: with two equal matches, `devm_release_action` takes the
/// newest.
#[test]
fn devm_release_action_takes_the_newest_match() {
    reset();
    let k = mainline_kernel();
    let mut kb = k.borrow_mut();
    let d = init_memdev(&mut kb, 0);
    kb.devm_add_action(d, "x", release_first, 7);
    kb.devm_add_action(d, "x", release_second, 7);
    kb.devm_release_action(d, "x", 7);
    assert_eq!(log(), vec!["second"]);
    kb.devres_release_all(d);
    assert_eq!(log(), vec!["second", "first"]);
    assert!(kb.warns.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 3. Async probing and bus_rescan_devices
// ---------------------------------------------------------------------------------------------

fn probe_ok(_k: &mut Kernel, d: DevId) -> KResult {
    record_probe(d);
    Ok(())
}

/// drivers/base/dd.c `__device_attach(dev, allow_async = true)` (from `device_add` →
/// `bus_probe_device` → `device_initial_probe`): a matching `PROBE_PREFER_ASYNCHRONOUS`
/// driver is not probed inline; `async_schedule_dev(__device_attach_async_helper)` is
/// scheduled instead. `wait_for_device_probe` (`async_synchronize_full`) is not idle until
/// the async probe ran; after it ran the device is bound.
#[test]
fn device_add_with_async_driver_schedules_async_probe() {
    reset();
    let k = kernel(ops_with_mem_probe(probe_ok));
    let d;
    {
        let mut kb = k.borrow_mut();
        kb.driver_register(DrvKind::CxlMem, Module::CxlMem, true);
        assert!(kb.device_probe_idle());
        d = add_memdev(&mut kb, 0);
        assert!(probes().is_empty(), "no inline probe for an async driver");
        assert_eq!(kb.dev(d).driver, None);
        assert!(kb.dev(d).async_pending);
        assert_eq!(kb.dc.async_pending, 1);
        let async_tasks: Vec<TaskBody> = kb.sched.tasks.iter().map(|t| t.body).collect();
        assert_eq!(async_tasks, vec![TaskBody::AsyncProbe(d)]);
        assert!(!kb.device_probe_idle(), "async probe pending");
        // A second attach attempt while one is pending schedules nothing more.
        kb.bus_probe_device(d);
        assert_eq!(kb.sched.tasks.len(), 1);
        assert_eq!(kb.dc.async_pending, 1);
    }
    assert_eq!(run(&k, &[]), RunEnd::Quiescent);
    let kb = k.borrow();
    assert_eq!(probes(), vec![d]);
    assert!(kb.dev(d).driver.is_some());
    assert!(!kb.dev(d).async_pending);
    assert_eq!(kb.dc.async_pending, 0);
    assert!(kb.device_probe_idle());
}

/// drivers/base/bus.c `bus_rescan_devices` → `bus_rescan_devices_helper` → `device_attach`
/// → `__device_attach(dev, false)`: every unbound device is probed synchronously, even with a
/// driver that prefers async probing. Here the device is on the bus before the driver
/// registers; `driver_register` schedules an async attach, but a rescan before it runs binds
/// the device inline; the async helper then finds the device bound and does not probe again.
#[test]
fn bus_rescan_probes_synchronously_even_for_async_driver() {
    reset();
    let k = kernel(ops_with_mem_probe(probe_ok));
    let (d, other);
    {
        let mut kb = k.borrow_mut();
        d = add_memdev(&mut kb, 0);
        // An unbound device of another bus, left alone by a cxl rescan.
        other = kb.device_initialize(Name::id("hmem.", 0), DevKind::Hmem(0), Bus::Platform, None);
        kb.device_add(other).unwrap();
        assert!(probes().is_empty(), "no driver yet");
        kb.driver_register(DrvKind::CxlMem, Module::CxlMem, true);
        assert!(
            probes().is_empty(),
            "driver_attach of an async driver schedules, no probe"
        );
        assert_eq!(kb.dc.async_pending, 1);
        let ntasks = kb.sched.tasks.len();

        kb.bus_rescan_devices(Bus::Cxl).unwrap();
        assert_eq!(probes(), vec![d], "probed inline by the rescan");
        assert!(kb.dev(d).driver.is_some());
        assert_eq!(
            kb.sched.tasks.len(),
            ntasks,
            "the rescan scheduled no async probe"
        );
        assert_eq!(kb.dev(other).driver, None);
    }
    assert_eq!(run(&k, &[]), RunEnd::Quiescent);
    let kb = k.borrow();
    assert_eq!(
        probes(),
        vec![d],
        "the async helper does not re-probe a bound device"
    );
    assert_eq!(kb.dc.async_pending, 0);
    assert!(kb.device_probe_idle());
}

/// Probes fail with -ENODEV until READY.
fn probe_nodev_until_ready(_k: &mut Kernel, d: DevId) -> KResult {
    record_probe(d);
    if READY.with(|c| c.get()) {
        Ok(())
    } else {
        Err(Errno::ENODEV)
    }
}

/// drivers/base/bus.c `bus_rescan_devices`: a device whose async probe failed stays
/// unbound; a later rescan retries it synchronously (no new async attach), and skips bound
/// devices.
#[test]
fn bus_rescan_retries_failed_async_probe_synchronously() {
    reset();
    let k = kernel(ops_with_mem_probe(probe_nodev_until_ready));
    let d;
    {
        let mut kb = k.borrow_mut();
        kb.driver_register(DrvKind::CxlMem, Module::CxlMem, true);
        d = add_memdev(&mut kb, 0);
        assert!(!kb.device_probe_idle());
    }
    assert_eq!(run(&k, &[]), RunEnd::Quiescent);
    let mut kb = k.borrow_mut();
    assert_eq!(probes(), vec![d]);
    assert_eq!(kb.dev(d).driver, None);
    assert_eq!(kb.dev(d).probe_err, Some(Errno::ENODEV));
    assert!(kb.device_probe_idle());
    let ntasks = kb.sched.tasks.len();
    READY.with(|c| c.set(true));
    kb.bus_rescan_devices(Bus::Cxl).unwrap();
    assert_eq!(probes(), vec![d, d]);
    assert!(kb.dev(d).driver.is_some());
    assert_eq!(kb.sched.tasks.len(), ntasks);
    assert!(kb.device_probe_idle());
    kb.bus_rescan_devices(Bus::Cxl).unwrap();
    assert_eq!(probes(), vec![d, d], "bound devices are skipped");
}

// ---------------------------------------------------------------------------------------------
// 4. driver_register / driver_unregister
// ---------------------------------------------------------------------------------------------

/// Probe that records one devm action carrying the device id.
fn probe_devm_devid(k: &mut Kernel, d: DevId) -> KResult {
    record_probe(d);
    k.devm_add_action(d, "devid", rec_release, d.0 as u64);
    Ok(())
}

/// drivers/base/bus.c `bus_add_driver` → dd.c `driver_attach` (`bus_for_each_dev`): a driver
/// registered on a bus with matching unbound devices binds them all, in the bus's device
/// order, and leaves non-matching devices alone; `driver_unregister` → `bus_remove_driver` →
/// `driver_detach` unbinds every device, taking `list_last_entry` of
/// `drv->p->klist_devices` each time — newest first — running each device's devres.
#[test]
fn driver_register_binds_existing_and_unregister_unbinds_newest_first() {
    reset();
    let k = kernel(ops_with_mem_probe(probe_devm_devid));
    let mut kb = k.borrow_mut();
    let d0 = add_memdev(&mut kb, 0);
    let d1 = add_memdev(&mut kb, 1);
    let ep = kb.device_initialize(
        Name::id("endpoint", 0),
        DevKind::CxlEndpoint(0),
        Bus::Cxl,
        None,
    );
    kb.device_add(ep).unwrap();
    let d2 = add_memdev(&mut kb, 2);
    // Initialized but never added: not on the bus, not probed.
    let d3 = init_memdev(&mut kb, 3);
    assert!(probes().is_empty());

    kb.driver_register(DrvKind::CxlMem, Module::CxlMem, false);
    assert_eq!(probes(), vec![d0, d1, d2]);
    assert_eq!(bound_order(&kb), vec![d0, d1, d2]);
    for d in [d0, d1, d2] {
        assert!(kb.dev(d).driver.is_some());
    }
    assert_eq!(
        kb.dev(ep).driver,
        None,
        "cxl_mem does not match an endpoint"
    );
    assert_eq!(kb.dev(d3).driver, None, "not registered");
    assert!(kb.driver_registered(DrvKind::CxlMem));

    kb.driver_unregister(DrvKind::CxlMem);
    assert_eq!(unbound_order(&kb), vec![d2, d1, d0]);
    assert_eq!(released(), vec![d2.0 as u64, d1.0 as u64, d0.0 as u64]);
    for d in [d0, d1, d2] {
        assert_eq!(kb.dev(d).driver, None);
    }
    assert!(!kb.driver_registered(DrvKind::CxlMem));

    // A device added after unregister is not probed.
    let d4 = add_memdev(&mut kb, 4);
    assert_eq!(kb.dev(d4).driver, None);
    assert_eq!(probes(), vec![d0, d1, d2]);
}

/// drivers/base/dd.c `driver_bound` appends the device to `drv->p->klist_devices`
/// (`klist_add_tail`) when it binds, and `driver_detach` unbinds `list_last_entry` first: the
/// order is the reverse of *bind* order, not of device creation. A device created first that
/// deferred and bound last is unbound first.
#[test]
fn driver_unregister_unbinds_in_reverse_bind_order() {
    reset();
    let k = kernel(ops_with_mem_probe(defer_until_ready));
    let (d0, d1);
    {
        let mut kb = k.borrow_mut();
        *kb.dc.deferred_probe_enable = true;
        kb.driver_register(DrvKind::CxlMem, Module::CxlMem, false);
        d0 = add_memdev(&mut kb, 0); // defers
        READY.with(|c| c.set(true));
        d1 = add_memdev(&mut kb, 1); // binds, triggers the retry of d0
    }
    assert_eq!(run(&k, &[]), RunEnd::Quiescent);
    let mut kb = k.borrow_mut();
    assert_eq!(bound_order(&kb), vec![d1, d0]);
    kb.driver_unregister(DrvKind::CxlMem);
    assert_eq!(
        unbound_order(&kb),
        vec![d0, d1],
        "driver_detach unbinds the most recently bound device first"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. The executor
// ---------------------------------------------------------------------------------------------

/// A work function that sleeps once in the middle.
fn work_with_sleep(k: KRef, _data: u32) -> BoxFut<()> {
    Box::pin(async move {
        note("work-start");
        block_on(&k, Wait::Yield).await;
        note("work-end");
    })
}

/// A work function that flushes the work item whose id is its data.
fn work_flush_other(k: KRef, data: u32) -> BoxFut<()> {
    Box::pin(async move {
        note("flush-other");
        block_on(&k, Wait::WorkIdle(WorkId(data))).await;
        note("flushed-other");
    })
}

/// Every schedule of `len` bytes, each byte in `0..radix`.
fn schedules(len: usize, radix: u8) -> Vec<Vec<u8>> {
    let mut out = vec![vec![]];
    for _ in 0..len {
        out = out
            .into_iter()
            .flat_map(|s| {
                (0..radix).map(move |b| {
                    let mut s = s.clone();
                    s.push(b);
                    s
                })
            })
            .collect();
    }
    out
}

/// kernel/workqueue.c `flush_work`: a task that queued a work item and flushes it sleeps until
/// the item has run to completion — not just started — whatever the schedule; the kworker's
/// own sleep inside the function does not release the flusher.
#[test]
fn flush_work_resumes_only_after_the_work_ran() {
    let mut orders = Vec::new();
    for sched in schedules(5, 3) {
        reset();
        let k = mainline_kernel();
        let w = k
            .borrow_mut()
            .init_work("test_work", Some(work_with_sleep), 0);
        // The work is queued before the flusher starts: kworker and flusher are both
        // runnable at the first decision.
        assert!(k.borrow_mut().queue_work(w));
        k.borrow_mut().spawn(TaskBody::Modprobe(Module::CxlCore));
        let make = move |k: &KRef, body: TaskBody| -> BoxFut<()> {
            match body {
                TaskBody::Modprobe(Module::CxlCore) => {
                    let k = k.clone();
                    Box::pin(async move {
                        note("flush");
                        block_on(&k, Wait::WorkIdle(w)).await;
                        note("flushed");
                    })
                }
                other => make_task(k, other),
            }
        };
        let mut exec = Executor::new(sched.clone().into());
        assert_eq!(exec.run(&k, &make), RunEnd::Quiescent, "schedule {sched:?}");
        let l = log();
        let pos = |s: &str| l.iter().position(|x| *x == s).unwrap();
        assert!(
            pos("work-end") < pos("flushed"),
            "schedule {sched:?}: {l:?}"
        );
        assert_eq!(l.len(), 4);
        orders.push(l);
    }
    // The schedules do interleave the flusher and the kworker in more than one way.
    orders.sort();
    orders.dedup();
    assert!(orders.len() >= 2, "{orders:?}");
}

/// A flush that starts after the work already ran completes (after its one scheduling point)
/// without waiting further; a flush of a never-queued work item returns too.
#[test]
fn flush_work_of_idle_work_returns() {
    reset();
    let k = mainline_kernel();
    let w = k
        .borrow_mut()
        .init_work("idle_work", Some(work_with_sleep), 0);
    k.borrow_mut().spawn(TaskBody::Modprobe(Module::CxlCore));
    let make = move |k: &KRef, body: TaskBody| -> BoxFut<()> {
        let k = k.clone();
        assert_eq!(body, TaskBody::Modprobe(Module::CxlCore));
        Box::pin(async move {
            block_on(&k, Wait::WorkIdle(w)).await;
            note("flushed");
        })
    };
    let mut exec = Executor::new(Rc::from(vec![]));
    assert_eq!(exec.run(&k, &make), RunEnd::Quiescent);
    assert_eq!(log(), vec!["flushed"]);
}

/// Two work items whose functions each `flush_work` the other: the classic flush deadlock
/// (kernel/workqueue.c; lockdep reports it as a (work_completion) cycle). The executor must
/// end in `RunEnd::Deadlock` under every schedule, both kworkers alive and blocked on
/// `WorkIdle` of the other.
#[test]
fn work_items_flushing_each_other_deadlock() {
    for sched in schedules(3, 2) {
        reset();
        let k = mainline_kernel();
        let (w1, w2) = {
            let mut kb = k.borrow_mut();
            let w1 = kb.init_work("w1", Some(work_flush_other), 1);
            let w2 = kb.init_work("w2", Some(work_flush_other), 0);
            assert_eq!((w1, w2), (WorkId(0), WorkId(1)));
            kb.queue_work(w1);
            kb.queue_work(w2);
            (w1, w2)
        };
        let mut exec = Executor::new(sched.clone().into());
        assert_eq!(
            exec.run(&k, &make_task),
            RunEnd::Deadlock,
            "schedule {sched:?}"
        );
        let kb = k.borrow();
        let waits: Vec<_> = kb
            .sched
            .tasks
            .iter()
            .filter(|t| t.alive)
            .map(|t| (t.body, t.wait))
            .collect();
        assert_eq!(
            waits,
            vec![
                (TaskBody::Kworker(w1), Some(Wait::WorkIdle(w2))),
                (TaskBody::Kworker(w2), Some(Wait::WorkIdle(w1))),
            ],
            "schedule {sched:?}"
        );
        assert_eq!(log(), vec!["flush-other", "flush-other"]);
    }
}

/// Two tasks each waiting for the other to finish (`Wait::TaskDone`, e.g. `request_module`
/// with UMH_WAIT_PROC both ways) deadlock; one-way waiting completes, the waiter resuming
/// after the waited-for task ended.
#[test]
fn tasks_waiting_for_each_other_deadlock() {
    reset();
    let k = mainline_kernel();
    {
        let mut kb = k.borrow_mut();
        assert_eq!(kb.spawn(TaskBody::Modprobe(Module::CxlCore)), TaskId(0));
        assert_eq!(kb.spawn(TaskBody::Modprobe(Module::CxlMem)), TaskId(1));
    }
    let make = |k: &KRef, body: TaskBody| -> BoxFut<()> {
        let k = k.clone();
        let other = match body {
            TaskBody::Modprobe(Module::CxlCore) => TaskId(1),
            _ => TaskId(0),
        };
        Box::pin(async move {
            block_on(&k, Wait::TaskDone(other)).await;
        })
    };
    let mut exec = Executor::new(Rc::from(vec![]));
    assert_eq!(exec.run(&k, &make), RunEnd::Deadlock);

    for sched in schedules(3, 2) {
        reset();
        let k = mainline_kernel();
        {
            let mut kb = k.borrow_mut();
            kb.spawn(TaskBody::Modprobe(Module::CxlCore));
            kb.spawn(TaskBody::Modprobe(Module::CxlMem));
        }
        let make = |k: &KRef, body: TaskBody| -> BoxFut<()> {
            let k = k.clone();
            match body {
                TaskBody::Modprobe(Module::CxlCore) => Box::pin(async move {
                    block_on(&k, Wait::TaskDone(TaskId(1))).await;
                    note("waiter");
                }),
                _ => Box::pin(async move {
                    block_on(&k, Wait::Yield).await;
                    note("waited");
                }),
            }
        };
        let mut exec = Executor::new(sched.clone().into());
        assert_eq!(exec.run(&k, &make), RunEnd::Quiescent, "schedule {sched:?}");
        assert_eq!(log(), vec!["waited", "waiter"], "schedule {sched:?}");
    }
}

/// Runs three runnable tasks that each note their name; returns the order and the number of
/// scheduling decisions.
fn three_task_order(sched: &[u8]) -> (Vec<&'static str>, u32) {
    reset();
    let k = mainline_kernel();
    {
        let mut kb = k.borrow_mut();
        kb.spawn(TaskBody::Modprobe(Module::CxlCore));
        kb.spawn(TaskBody::Modprobe(Module::CxlMem));
        kb.spawn(TaskBody::Modprobe(Module::CxlPort));
    }
    let make = |_k: &KRef, body: TaskBody| -> BoxFut<()> {
        let name = match body {
            TaskBody::Modprobe(Module::CxlCore) => "t0",
            TaskBody::Modprobe(Module::CxlMem) => "t1",
            _ => "t2",
        };
        Box::pin(async move { note(name) })
    };
    let mut exec = Executor::new(sched.to_vec().into());
    assert_eq!(exec.run(&k, &make), RunEnd::Quiescent);
    (log(), exec.decisions)
}

/// src/kernel/sched.rs: the schedule bytes alone decide which runnable task runs next
/// (`runnable[byte % runnable.len()]`, byte 0 once the schedule runs out); different bytes
/// give different orders, the same bytes the same order.
#[test]
fn schedule_bytes_choose_the_order_deterministically() {
    let (a, da) = three_task_order(&[]);
    assert_eq!(a, vec!["t0", "t1", "t2"]);
    assert_eq!(da, 2);
    let (b, db) = three_task_order(&[2, 1]);
    assert_eq!(b, vec!["t2", "t1", "t0"]);
    assert_eq!(db, 2);
    let (c, _) = three_task_order(&[1]);
    assert_eq!(c, vec!["t1", "t0", "t2"]);
    assert_ne!(a, b);
    for s in schedules(2, 4) {
        assert_eq!(three_task_order(&s), three_task_order(&s), "schedule {s:?}");
    }
    // Every permutation is reachable.
    let mut all: Vec<_> = schedules(2, 3)
        .iter()
        .map(|s| three_task_order(s).0)
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 6);
}

/// kernel/workqueue.c `__flush_work`: `WARN_ON(!work->func)` for a work_struct that was never
/// `INIT_WORK`ed (the v7 static `dax_hmem_work` before its first probe); the WARN is recorded
/// and the flush returns false without sleeping. A flush of an idle, initialized work returns
/// false silently.
#[test]
fn flush_work_without_function_warns() {
    use srfuzz::kernel::sched::{flush_work, TaskBody};
    use std::cell::Cell;
    let k = kernel(Ops::mainline());
    let (zeroed, idle) = {
        let mut kb = k.borrow_mut();
        (
            kb.init_work("never_initialized", None, 0),
            kb.deferred_probe_work(),
        )
    };
    let results: Rc<Cell<(bool, bool)>> = Rc::new(Cell::new((true, true)));
    let r = results.clone();
    let kk = k.clone();
    k.borrow_mut().spawn(TaskBody::Userspace);
    let mut exec = Executor::new(Rc::from(vec![]));
    let fut_slot = std::cell::RefCell::new(Some(Box::pin(async move {
        let a = flush_work(&kk, zeroed).await;
        let b = flush_work(&kk, idle).await;
        r.set((a, b));
    }) as srfuzz::kernel::sched::BoxFut<()>));
    let end = exec.run(&k, &|_, _| fut_slot.borrow_mut().take().expect("one task"));
    assert_eq!(end, RunEnd::Quiescent);
    assert_eq!(results.get(), (false, false));
    let kb = k.borrow();
    assert_eq!(kb.warns.len(), 1);
    assert_eq!(kb.warns[0].site, "__flush_work");
}

// ---------------------------------------------------------------------------------------------
// device_add name collisions, cancel_work_sync from a devm action
// ---------------------------------------------------------------------------------------------

/// sysfs refuses a second registered device of the same name on a bus (-EEXIST); the name is
/// free again once the first is unregistered.
#[test]
fn device_add_of_a_registered_name_fails_with_eexist() {
    reset();
    let k = mainline_kernel();
    let mut kb = k.borrow_mut();
    let first = add_memdev(&mut kb, 0);
    let second = init_memdev(&mut kb, 0);
    assert_eq!(kb.device_add(second), Err(Errno::EEXIST));
    assert!(!kb.dev(second).registered);
    kb.device_unregister(first);
    assert_eq!(kb.device_add(second), Ok(()));
    assert!(kb.dev(second).registered);
}

fn work_noop(_k: KRef, _data: u32) -> BoxFut<()> {
    Box::pin(async {})
}

/// `cancel_work_sync()` in a devm action: a pending instance is cancelled at once (its kworker
/// exits without running); a running one leaves a wait for the task doing the teardown.
#[test]
fn cancel_work_sync_from_devres_cancels_pending_and_waits_for_running() {
    reset();
    let k = mainline_kernel();
    let mut kb = k.borrow_mut();
    let w = kb.init_work("pending", Some(work_noop), 0);
    assert!(kb.queue_work(w));
    kb.cancel_work_sync_from_devres(w);
    assert!(!kb.work_pending(w));
    assert_eq!(kb.sched.works[w.0 as usize].cancelled, 1);
    assert!(kb.dc.pending_waits.is_empty());

    let r = kb.init_work("running", Some(work_noop), 0);
    kb.sched.works[r.0 as usize].running = Some(TaskId(0));
    kb.cancel_work_sync_from_devres(r);
    let waits: Vec<Wait> = kb.dc.pending_waits.iter().map(|p| p.wait).collect();
    assert_eq!(waits, vec![Wait::WorkNotRunning(r)]);
}
