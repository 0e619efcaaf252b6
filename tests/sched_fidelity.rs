//! Litmus tests for who runs when: work on `cxl_bus_wq`, `async_synchronize_full()` in
//! `do_init_module()` and `kernel_init()`, and udev loading modules by modalias. Each test
//! quotes the kernel code it follows and fails if the model went back to the old shortcut
//! (synchronous `cxl_bus_rescan`, modprobe returning before its async probes, userspace
//! before built-in async probes, no udev).

use srfuzz::designs;
use srfuzz::kernel::kconfig::{olddefconfig, KconfigRules};
use srfuzz::kernel::modprobe::{make_task, modprobe, request_module, rmmod};
use srfuzz::kernel::module::Module;
use srfuzz::kernel::sched::{block_on, BoxFut, Executor, RunEnd, TaskBody, Wait};
use srfuzz::kernel::{KRef, Kernel};
use srfuzz::model;
use srfuzz::observe;
use srfuzz::scenario::{text, Event, Scenario};
use srfuzz_oracle::Owner;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

fn run(design: &str, s: &Scenario) -> model::Run {
    model::run(designs::by_name(design).unwrap(), s)
}

/// The timeline as `[task] event` lines.
fn timeline(r: &model::Run) -> Vec<String> {
    observe::timeline(&r.kernel)
}

/// Index of the first timeline line containing `needle`.
fn at(lines: &[String], needle: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}` in the timeline:\n{}", lines.join("\n")))
}

mod common;
use common::{scenario, ALL_MODULAR, ONE_X1_REGION};

// ---------------------------------------------------------------------------------------------
// F2: cxl_bus_rescan() is queued on cxl_bus_wq.

/// drivers/cxl/core/port.c:
///
/// ```c
/// void cxl_bus_rescan(void)
/// {
///     static DECLARE_WORK(rescan_work, cxl_bus_rescan_queue);
///
///     queue_work(cxl_bus_wq, &rescan_work);
/// }
/// ```
///
/// and `wait_for_device_probe()` only flushes `deferred_probe_work`, waits for `probe_count`
/// and calls `async_synchronize_full()`. So with cxl_pci and cxl_mem loaded before cxl_acpi
/// (mem0 failed with -ENXIO: no root yet), v5's `process_defer_work` (6/7) can run between
/// cxl_acpi queueing the rescan and the rescan: no region exists yet, so the mode becomes
/// REGISTER, HMEM takes the range, and the region that assembles afterwards gets -ENODEV
/// for its cxl_dax_region. v4's `process_defer_work` (4/9) likewise decides REGISTER. The
/// schedules below pick, after cxl_acpi's probe, dax_hmem's modprobe, its two
/// `request_module`s, the deferred-probe pass and HMEM's work, ahead of the rescan kworker.
/// v5's base (1f1cb7f0, ae201a00) does not close this window — mem0's probe still fails
/// without the root, and the retry is queued work — but there cxl_pci's modprobe loads cxl_mem
/// itself, so the tasks to pick from differ and so do the schedule bytes.
#[test]
fn cxl_bus_rescan_runs_after_hmem_deferred_work_decided() {
    let boot = |schedule: &str| {
        scenario(&format!(
            "{ONE_X1_REGION}{ALL_MODULAR}
[events]
blacklist cxl_acpi
blacklist dax_hmem
modprobe cxl_pci
modprobe cxl_mem
settle
modprobe cxl_acpi
modprobe dax_hmem
settle
[schedule]
{schedule}
"
        ))
    };
    let s = boot("01 02 02 01 03 01 01 01 01 03 01 00 01 01 03 03 03");
    let r = run("dax_cxl_mode-v5", &s);
    let tl = timeline(&r);
    let decided = at(
        &tl,
        "[kworker: dax_hmem process_defer_work] device_add hmem.",
    );
    let assembled = at(&tl, "[kworker: cxl_bus_rescan_queue] device_add region0");
    assert!(
        decided < assembled,
        "HMEM's deferred work decided before the queued rescan assembled region0:\n{}",
        tl.join("\n")
    );
    let end = r.last();
    assert!(end.regions[0].committed, "region0 still assembles");
    assert_eq!(end.soft_reserved[0].owner, Owner::Hmem);
    // The late cxl_dax_region probe rejects the match with -ENODEV under REGISTER: the device
    // stays unbound, which the driver core does not count as a failure (not in `unbound`).
    let k = &r.kernel;
    let dax_region0 =
        k.dc.registered
            .iter()
            .map(|&d| k.dev(d))
            .find(|d| d.name.to_string() == "dax_region0")
            .expect("dax_region0 is registered");
    assert!(dax_region0.driver.is_none());
    assert_eq!(
        dax_region0.probe_err,
        Some(srfuzz::kernel::errno::Errno::ENODEV)
    );
    assert!(
        !end.unbound.iter().any(|u| u.device == "dax_region0"),
        "{:?}",
        end.unbound
    );
    // v4 (4/9, 5/9) under the same schedule: `cxl_regions_fully_map` finds no region, the mode
    // becomes REGISTER and HMEM takes the range; the region assembles afterwards under HMEM's
    // "Soft Reserved" and, with `register_dax` unset (6/9), gets no dax region.
    let s = boot("00 00 00 00 00 00 00 00 00 00 02 00 02 00 02 01 01");
    let r = run("register_dax-v4", &s);
    let tl = timeline(&r);
    assert!(
        at(
            &tl,
            "[kworker: dax_hmem process_defer_work] device_add hmem."
        ) < at(&tl, "[kworker: cxl_bus_rescan_queue] device_add region0")
    );
    let end = r.last();
    assert!(end.regions[0].committed);
    assert_eq!(end.soft_reserved[0].owner, Owner::Hmem);
    assert!(end
        .iomem
        .starts_with("850000000-284fffffff : Soft Reserved\n"));
}

/// The same boot under the oldest-first schedule: the rescan kworker, queued before dax_hmem's
/// work exists, runs first, so the region is there when HMEM decides, and CXL owns it. (The
/// interleaving above is one the schedule picks, not the default.)
#[test]
fn cxl_bus_rescan_first_under_the_default_schedule() {
    let s = scenario(&format!(
        "{ONE_X1_REGION}{ALL_MODULAR}
[events]
blacklist cxl_acpi
blacklist dax_hmem
modprobe cxl_pci
modprobe cxl_mem
settle
modprobe cxl_acpi
modprobe dax_hmem
settle
"
    ));
    let r = run("dax_cxl_mode-v5", &s);
    assert_eq!(r.last().soft_reserved[0].owner, Owner::Cxl);
}

thread_local! {
    /// Whether the rescan work was still pending when `rmmod cxl_acpi` returned.
    static RESCAN_PENDING_AT_RMMOD_RETURN: Cell<Option<bool>> = const { Cell::new(None) };
}

/// drivers/cxl/acpi.c:
///
/// ```c
/// static void __exit cxl_acpi_exit(void)
/// {
///     platform_driver_unregister(&cxl_acpi_driver);
///     cxl_bus_drain();
/// }
/// ```
///
/// (`cxl_bus_drain()` is `drain_workqueue(cxl_bus_wq)`): `rmmod cxl_acpi` right after the
/// load whose probe queued the rescan returns only once the rescan has run. The test's
/// userspace loads and removes cxl_acpi back to back, without a scheduling point between.
#[test]
fn rmmod_cxl_acpi_drains_the_rescan() {
    RESCAN_PENDING_AT_RMMOD_RETURN.with(|c| c.set(None));
    let s = scenario(&format!("{ONE_X1_REGION}{ALL_MODULAR}"));
    let k = kernel_for(&s);
    fn make(k: &KRef, body: TaskBody) -> BoxFut<()> {
        match body {
            TaskBody::Userspace => {
                let k = k.clone();
                Box::pin(async move {
                    block_on(&k, Wait::InitDone).await;
                    assert_eq!(modprobe(k.clone(), Module::CxlAcpi).await, Ok(()));
                    assert_eq!(rmmod(&k, Module::CxlAcpi).await, Ok(()));
                    let kb = k.borrow();
                    let w = kb
                        .declared_work(srfuzz::drivers::cxl::port::RESCAN_WORK)
                        .expect("cxl_acpi's probe queued the rescan");
                    let pending = kb.work_pending(w);
                    RESCAN_PENDING_AT_RMMOD_RETURN.with(|c| c.set(Some(pending)));
                })
            }
            other => make_task(k, other),
        }
    }
    boot(&k, &make);
    assert_eq!(
        RESCAN_PENDING_AT_RMMOD_RETURN.with(|c| c.get()),
        Some(false)
    );
}

/// A kernel for `s` on mainline, before boot.
fn kernel_for(s: &Scenario) -> KRef {
    kernel_on("mainline", s)
}

/// A kernel for `s` on `design` (its ops; the Kconfig resolved by mainline's rules), before
/// boot.
fn kernel_on(design: &str, s: &Scenario) -> KRef {
    let cfg = olddefconfig(&s.kconfig, &KconfigRules::mainline());
    Rc::new(RefCell::new(Kernel::new(
        designs::by_name(design).unwrap().ops(),
        cfg,
        Rc::new(s.platform.clone()),
        Rc::from(s.events.clone()),
    )))
}

/// Boots `k` with the test's task bodies under the oldest-first schedule.
fn boot(k: &KRef, make: &dyn Fn(&KRef, TaskBody) -> BoxFut<()>) {
    {
        let mut kb = k.borrow_mut();
        kb.spawn(TaskBody::KernelInit);
        kb.spawn(TaskBody::Userspace);
    }
    let mut exec = Executor::new(Rc::from(vec![]));
    assert_eq!(exec.run(k, make), RunEnd::Quiescent);
}

// ---------------------------------------------------------------------------------------------
// F4: async_synchronize_full() in kernel_init() and do_init_module().

/// init/main.c `kernel_init()`:
///
/// ```c
///     kernel_init_freeable();
///     /* need to finish all async __init code before freeing the memory */
///     async_synchronize_full();
/// ```
///
/// Userspace never runs before the built-in cxl_pci's async probe: with CXL all `=y` and a
/// memdev without a committed decoder, `cxl create-region` finds endpoint0 and the region is
/// created (without the wait, schedule `01 02 00 02` runs userspace first and the tool fails with -EBUSY).
#[test]
fn userspace_starts_after_builtin_async_probes() {
    let s = scenario(
        "\
[platform]
host-bridge 0
window 0x850000000 size=128G targets=0
memdev host-bridge=0 capacity=128G presence=boot decoder=none
[kconfig]
CONFIG_CXL_BUS=y
CONFIG_CXL_PCI=y
CONFIG_CXL_ACPI=y
CONFIG_CXL_MEM=y
CONFIG_CXL_PORT=y
CONFIG_CXL_REGION=y
[events]
create-region window=0 memdevs=0
settle
[schedule]
01 02 00 02
",
    );
    let r = run("mainline", &s);
    let tl = timeline(&r);
    assert!(
        !tl.iter().any(|l| l.contains("create-region failed")),
        "create-region must not fail:\n{}",
        tl.join("\n")
    );
    let probed = at(&tl, "[async probe 0000:0d:00.0] device_add mem0");
    let region = at(&tl, "[userspace] device_add region");
    assert!(probed < region);
    assert!(r.last().regions[0].alive);
}

thread_local! {
    /// Whether mem0 existed when `request_module("cxl_pci")` returned.
    static MEM0_AT_RETURN: Cell<Option<bool>> = const { Cell::new(None) };
}

/// kernel/module/main.c `do_init_module()`:
///
/// ```c
///     /*
///      * We need to finish all async code before the module init sequence
///      * is done. …
///      */
///     if (!mod->async_probe_requested)
///         async_synchronize_full();
/// ```
///
/// So `request_module("cxl_pci")` (v4 2/9, v5 1/7 in `dax_hmem_init`) returns only after
/// cxl_pci's `PROBE_PREFER_ASYNCHRONOUS` probe of the memdev has run: mem0 exists by then.
/// The oldest-first schedule would otherwise run the waiting task (older than the async
/// probe) as soon as modprobe's init returned.
#[test]
fn request_module_returns_after_the_async_probes_it_started() {
    MEM0_AT_RETURN.with(|c| c.set(None));
    let s = scenario(&format!("{ONE_X1_REGION}{ALL_MODULAR}"));
    let k = kernel_for(&s);
    fn make(k: &KRef, body: TaskBody) -> BoxFut<()> {
        match body {
            TaskBody::Userspace => {
                let k = k.clone();
                Box::pin(async move {
                    block_on(&k, Wait::InitDone).await;
                    let _ = request_module(&k, Module::CxlPci).await;
                    let mem0 = k.borrow().cxl.memdevs[0].memdev.is_some();
                    MEM0_AT_RETURN.with(|c| c.set(Some(mem0)));
                })
            }
            other => make_task(k, other),
        }
    }
    boot(&k, &make);
    assert_eq!(MEM0_AT_RETURN.with(|c| c.get()), Some(true));
}

// ---------------------------------------------------------------------------------------------
// udev: modules loaded by modalias.

/// An all-modular boot with no `modprobe` at all: udev's coldplug (`udevadm trigger`) loads
/// cxl_acpi for ACPI0017 (`MODULE_DEVICE_TABLE(acpi, cxl_acpi_ids)`), cxl_pci for the memdev's
/// PCI function, dax_hmem for hmem_platform.0 (`MODULE_ALIAS("platform:hmem_platform*")`);
/// the uevents of later `device_add`s load cxl_mem for mem0
/// (`MODULE_ALIAS_CXL(CXL_DEVICE_MEMORY_EXPANDER)`), dax_cxl once dax_region0 appears
/// (`MODULE_ALIAS_CXL(CXL_DEVICE_DAX_REGION)`) and kmem for dax0.0
/// (`MODULE_ALIAS_DAX_DEVICE(0)`). Mainline ends with CXL owning the region's memory.
#[test]
fn udev_loads_the_stack_by_modalias() {
    let s = scenario(&format!("{ONE_X1_REGION}{ALL_MODULAR}[events]\nsettle\n"));
    assert!(!s.events.iter().any(|e| matches!(e, Event::Modprobe(_))));
    let r = run("mainline", &s);
    let tl = timeline(&r);
    let dax_region = at(&tl, "device_add dax_region0");
    let dax_cxl = at(&tl, "[modprobe dax_cxl] module dax_cxl live");
    assert!(
        dax_region < dax_cxl,
        "dax_cxl loads for dax_region0's uevent"
    );
    let end = r.last();
    for m in [
        "cxl_acpi", "cxl_pci", "cxl_mem", "cxl_port", "dax_cxl", "dax_hmem", "kmem",
    ] {
        assert!(
            end.context.live.contains(&m),
            "{m} loaded: {:?}",
            end.context.live
        );
    }
    assert_eq!(end.soft_reserved[0].owner, Owner::Cxl);
    assert_eq!(end.soft_reserved[0].online_bytes, 128 << 30);
}

/// `blacklist dax_cxl` (/etc/modprobe.d): kmod's alias lookup skips it, so dax_region0's
/// uevent loads nothing and the region's memory stays without a CXL dax region.
#[test]
fn udev_skips_a_blacklisted_module() {
    let s = scenario(&format!(
        "{ONE_X1_REGION}{ALL_MODULAR}[events]\nblacklist dax_cxl\nsettle\n"
    ));
    let r = run("mainline", &s);
    let end = r.last();
    assert!(!end.context.live.contains(&"dax_cxl"));
    assert!(end.context.live.contains(&"cxl_mem"));
    assert_ne!(end.soft_reserved[0].owner, Owner::Cxl);
}

/// An explicit `modprobe` still loads a blacklisted module, as modprobe does (the blacklist only
/// applies to alias lookups).
#[test]
fn explicit_modprobe_loads_a_blacklisted_module() {
    let s = scenario(&format!(
        "{ONE_X1_REGION}{ALL_MODULAR}[events]\nblacklist dax_cxl\nmodprobe dax_cxl\nsettle\n"
    ));
    let end = run("mainline", &s).last().clone();
    assert!(end.context.live.contains(&"dax_cxl"));
    assert_eq!(end.soft_reserved[0].owner, Owner::Cxl);
}

/// udev also acts on uevents after coldplug: a memdev hot-added after boot (no PCI memdev at
/// coldplug, so nothing loaded cxl_pci) loads cxl_pci when its PCI function is added.
#[test]
fn udev_loads_for_a_hot_added_device() {
    let s = scenario(&format!(
        "\
[platform]
host-bridge 0
window 0x850000000 size=128G targets=0
memdev host-bridge=0 capacity=128G presence=hotadd decoder=none
{ALL_MODULAR}[events]
settle
hotadd mem0
settle
"
    ));
    let r = run("mainline", &s);
    assert!(!r.observations[0].context.live.contains(&"cxl_pci"));
    assert!(r.last().context.live.contains(&"cxl_pci"));
    let tl = timeline(&r);
    assert!(at(&tl, "[userspace] device_add 0000:0d:00.0") < at(&tl, "module cxl_pci live"));
}

/// The blacklist line round-trips through the text form.
#[test]
fn blacklist_line_round_trips() {
    let s = scenario("[events]\nblacklist dax-cxl\nsettle\n");
    assert_eq!(
        s.events,
        vec![Event::Blacklist(Module::DaxCxl), Event::Settle]
    );
    assert_eq!(text::parse(&text::print(&s)), Ok(s));
}

// ---------------------------------------------------------------------------------------------
// The ordered workqueue (post-merge's dax_hmem_wq).

thread_local! {
    /// Which work functions ran, in order, and whether B was still pending while A ran.
    static ORDERED_LOG: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    /// The work A queues while the flush sleeps.
    static ORDERED_C: Cell<Option<srfuzz::kernel::sched::WorkId>> = const { Cell::new(None) };
}

fn ordered_a(k: KRef, b: u32) -> BoxFut<()> {
    Box::pin(async move {
        let b_pending = k.borrow().work_pending(srfuzz::kernel::sched::WorkId(b));
        ORDERED_LOG.with(|l| {
            l.borrow_mut()
                .push(if b_pending { "a (b pending)" } else { "a" })
        });
        let c = ORDERED_C.with(|c| c.get()).unwrap();
        k.borrow_mut().queue_work_ordered(c);
        block_on(&k, Wait::Yield).await;
    })
}

fn ordered_b(_k: KRef, _: u32) -> BoxFut<()> {
    Box::pin(async {
        ORDERED_LOG.with(|l| l.borrow_mut().push("b"));
    })
}

fn ordered_c(_k: KRef, _: u32) -> BoxFut<()> {
    Box::pin(async {
        ORDERED_LOG.with(|l| l.borrow_mut().push("c"));
    })
}

/// kernel/workqueue.c `alloc_ordered_workqueue()`: "executes at most one work item at any
/// given time in the queued order", and an item stays PENDING until it starts; so on every
/// schedule A runs before B, with B still pending (a probe's `work_pending()` is true, a second
/// `queue_work()` returns false). `flush_workqueue()` waits for what was queued before it
/// (A, B), not for C, which A queues while the flush sleeps.
#[test]
fn the_ordered_workqueue_runs_in_order_and_flushes_what_came_before() {
    let s = scenario("[platform]\n");
    let mut bytes = srfuzz::scenario::gen::ByteStream::new(3);
    let mut flushed_before_c = 0;
    for _ in 0..200 {
        ORDERED_LOG.with(|l| l.borrow_mut().clear());
        let k = kernel_for(&s);
        let (a, b) = {
            let mut kb = k.borrow_mut();
            let b = kb.init_work("b", Some(ordered_b), 0);
            let a = kb.init_work("a", Some(ordered_a), b.0);
            let c = kb.init_work("c", Some(ordered_c), 0);
            ORDERED_C.with(|x| x.set(Some(c)));
            kb.spawn(TaskBody::KernelInit);
            (a, b)
        };
        let driver = move |k: KRef| -> BoxFut<()> {
            Box::pin(async move {
                {
                    let mut kb = k.borrow_mut();
                    assert!(kb.queue_work_ordered(a));
                    assert!(kb.queue_work_ordered(b));
                    assert!(!kb.queue_work_ordered(b), "b is pending");
                }
                srfuzz::kernel::sched::flush_ordered_workqueue(&k).await;
                ORDERED_LOG.with(|l| l.borrow_mut().push("flushed"));
            })
        };
        let make = |k: &KRef, body: TaskBody| -> BoxFut<()> {
            match body {
                TaskBody::KernelInit => driver(k.clone()),
                _ => make_task(k, body),
            }
        };
        let mut exec = Executor::new(Rc::from(bytes.bytes(16)));
        assert_eq!(exec.run(&k, &make), RunEnd::Quiescent);
        let log = ORDERED_LOG.with(|l| l.borrow().clone());
        let pos = |x: &str| log.iter().position(|l| *l == x);
        assert_eq!(log[0], "a (b pending)", "{log:?}");
        assert!(pos("b") < pos("flushed"), "{log:?}");
        assert!(pos("b") < pos("c"), "{log:?}");
        flushed_before_c += usize::from(pos("flushed") < pos("c"));
    }
    assert!(
        flushed_before_c > 0,
        "the flush waited for C on every schedule"
    );
}

thread_local! {
    /// What the test's userspace saw: the deferred work pending as rmmod started, the
    /// registration after rmmod, and after the reload.
    static KILL_DEFER_SEEN: Cell<Option<(bool, bool, bool)>> = const { Cell::new(None) };
}

/// v6's `kill_defer_work` (8/9) sleeps in the middle of a devm release action:
///
/// ```c
/// static void kill_defer_work(void *data)
/// {
///     struct platform_device *pdev = data;
///
///     dax_hmem_flush_work();
///     dax_hmem_unregister_work(process_defer_work, pdev);
/// }
/// ```
///
/// The model records the flush as a pending wait and runs the rest once it is over
/// ([`srfuzz::kernel::honor_pending_waits`], at the end of `rmmod`). The test's userspace
/// loads dax_hmem and removes it at once, before the kworker of the work its probe queued
/// has run (oldest first: userspace is older). So the flush has to wait. rmmod returns with
/// the registration gone, and the reload registers again. If the rest of the action were
/// dropped, the registration would outlive the device and the reload's probe would fail with
/// -EINVAL. The event language cannot reach this: its `modprobe` does not wait, so an rmmod
/// right after it finds no module.
#[test]
fn kill_defer_work_unregisters_after_its_flush() {
    KILL_DEFER_SEEN.with(|c| c.set(None));
    let s = scenario(&format!("{ONE_X1_REGION}{ALL_MODULAR}"));
    let k = kernel_on("v6", &s);
    fn make(k: &KRef, body: TaskBody) -> BoxFut<()> {
        match body {
            TaskBody::Userspace => {
                let k = k.clone();
                Box::pin(async move {
                    block_on(&k, Wait::InitDone).await;
                    for m in [
                        Module::CxlAcpi,
                        Module::CxlPci,
                        Module::CxlMem,
                        Module::DaxHmem,
                    ] {
                        assert_eq!(modprobe(k.clone(), m).await, Ok(()), "{m:?}");
                    }
                    let pending = {
                        let kb = k.borrow();
                        let w = kb
                            .declared_work("dax_hmem_work (bus.c)")
                            .expect("hmem_platform's probe declared the work");
                        kb.work_pending(w)
                    };
                    assert_eq!(rmmod(&k, Module::DaxHmem).await, Ok(()));
                    let after_rmmod = k.borrow().dax.hmem_deferred_data.is_some();
                    assert_eq!(modprobe(k.clone(), Module::DaxHmem).await, Ok(()));
                    let after_reload = k.borrow().dax.hmem_deferred_data.is_some();
                    KILL_DEFER_SEEN.with(|c| c.set(Some((pending, after_rmmod, after_reload))));
                })
            }
            other => make_task(k, other),
        }
    }
    boot(&k, &make);
    assert_eq!(
        KILL_DEFER_SEEN.with(|c| c.get()),
        Some((true, false, true)),
        "(work pending at rmmod, registered after rmmod, registered after the reload)"
    );
}
