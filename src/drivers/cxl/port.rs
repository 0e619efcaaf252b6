//! drivers/cxl/port.c: the cxl_port driver; for an endpoint port it enumerates the HDM
//! decoders and hands committed ones to region auto-assembly.
//! <https://github.com/torvalds/linux/blob/master/drivers/cxl/port.c>

use crate::kernel::driver_core::{DevId, DevKind, DrvKind};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::module::Module;
use crate::kernel::Kernel;

/// `cxl_port_init()`: `cxl_driver_register(&cxl_port_driver)`.
pub fn cxl_port_init(k: &mut Kernel) -> KResult {
    k.driver_register(DrvKind::CxlPort, Module::CxlPort, false);
    Ok(())
}

/// `cxl_port_exit()`.
pub fn cxl_port_exit(k: &mut Kernel) {
    k.driver_unregister(DrvKind::CxlPort);
}

/// `cxl_port_probe()` → `cxl_endpoint_port_probe()`: `devm_cxl_enumerate_decoders()` adds the
/// endpoint decoder with `cxld_unregister` on the port's devm list (`cxl_decoder_autoremove`)
/// and finds the decoder firmware committed (`init_hdm_decoder`), then `discover_region()`
/// calls `cxl_add_to_region()` for it. Failure to assemble is not a probe failure (the kernel
/// only logs it).
pub fn cxl_port_probe(k: &mut Kernel, dev: DevId) -> KResult {
    let DevKind::CxlEndpoint(i) = k.dev(dev).kind else {
        return Err(Errno::ENODEV);
    };
    k.devm_add_action(
        dev,
        "cxld_unregister",
        super::region::cxld_unregister,
        i as u64,
    );
    if k.cxl.memdevs[i as usize].decoder_committed
        && k.cxl.memdevs[i as usize].decoder_region.is_none()
        && k.cfg.is_enabled(crate::kernel::kconfig::Sym::CXL_REGION)
    {
        // discover_region() → cxl_add_to_region(); errors are logged, not returned.
        let _ = super::region::cxl_add_to_region(k, i);
    }
    Ok(())
}

/// The name of `rescan_work`, the `static DECLARE_WORK` inside `cxl_bus_rescan()`.
pub const RESCAN_WORK: &str = "cxl_bus_rescan_queue";

/// `cxl_bus_rescan()` (drivers/cxl/core/port.c,
/// <https://github.com/torvalds/linux/blob/master/drivers/cxl/core/port.c>): queues the rescan
/// on `cxl_bus_wq` and returns; the rescan runs later in a kworker.
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
/// `cxl_bus_wq` is `alloc_ordered_workqueue("cxl_port", 0)`; of what it runs the model has only
/// `rescan_work` (`schedule_cxl_memdev_detach`'s `detach_work` needs host-bridge port devices,
/// which the model does not have), so its ordering adds nothing. `wait_for_device_probe()`
/// does not wait for it. What flushes it: `cxl_bus_drain()` in `cxl_acpi_exit()` (modeled,
/// [`cxl_bus_drain`]) and the cxl bus's `flush` attribute (`flush_workqueue(cxl_bus_wq)` "for
/// user tooling to ensure port disable work has completed"), which no modeled event writes.
pub fn cxl_bus_rescan(k: &mut Kernel) {
    let w = k.declare_work(RESCAN_WORK, cxl_bus_rescan_queue);
    k.queue_work(w);
}

/// `cxl_bus_rescan_queue()`: `bus_for_each_dev(&cxl_bus_type, NULL, NULL, cxl_rescan_attach)`,
/// i.e. `device_attach()` on every device of the cxl bus (bound ones return at once).
fn cxl_bus_rescan_queue(k: crate::kernel::KRef, _data: u32) -> crate::kernel::sched::BoxFut<()> {
    Box::pin(async move {
        let _ = k
            .borrow_mut()
            .bus_rescan_devices(crate::kernel::driver_core::Bus::Cxl);
    })
}

/// `cxl_bus_drain()`: `drain_workqueue(cxl_bus_wq)`, called by `cxl_acpi_exit()` after
/// `platform_driver_unregister()`. `rescan_work` never queues itself, so waiting for it to be
/// idle drains the queue.
pub async fn cxl_bus_drain(k: &crate::kernel::KRef) {
    let w = k.borrow().declared_work(RESCAN_WORK);
    if let Some(w) = w {
        crate::kernel::sched::flush_work(k, w).await;
    }
}
