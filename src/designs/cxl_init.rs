//! Two commits of the cxl tree's for-7.0/cxl-init branch, the base v5 of the Soft Reserved
//! series was posted on (its cover letter: "The series is based on branch "for-7.0/cxl-init"
//! and base-commit is base-commit: bc62f5b308cbdedf29132fe96e9d591e526527e1"), merged into
//! cxl-for-next as 3f7938b1 ("Merge branch 'for-7.0/cxl-init' into cxl-for-next",
//! <https://lexplain.net/commit-analyses/3f7938b1aec7f06d5b23adca83e4542fcf027001>) and into
//! mainline with the cxl-for-7.0 pull, so every later version of the series sits on them too.
//! They are Dan Williams' "cxl/mem: Introduce cxl_memdev_attach" series v2
//! (<https://lore.kernel.org/all/20251216005616.3090129-1-dan.j.williams@intel.com/>), 2/6 and
//! 3/6:
//!
//! - 1f1cb7f0 "cxl/mem: Arrange for always-synchronous memdev attach" ([`ALWAYS_SYNC_MEMDEV`]):
//!   "arrange for cxl_mem_probe() to always run synchronous with the device_add() of cxl_memdev
//!   instances. I.e. cxl_mem_driver registration is always complete before the first memdev
//!   creation event. […] This synchronous attach guarantee is also needed for Soft Reserve
//!   Recovery, which is an effort that needs to assert that devices have had a chance to attach
//!   before making a go / no-go decision on proceeding with CXL subsystem initialization. By
//!   moving devm_cxl_add_memdev() to cxl_mem.ko it removes async module loading as one reason
//!   that a memdev may not be attached upon return from devm_cxl_add_memdev()."
//! - ae201a00 "cxl/port: Arrange for always synchronous endpoint attach"
//!   ([`ALWAYS_SYNC_ENDPOINT`]): "Make it so that upon return from devm_cxl_add_endpoint() that
//!   cxl_mem_probe() can assume that the endpoint has had a chance to complete
//!   cxl_port_probe(). I.e. cxl_port module loading has completed prior to device
//!   registration. Delete the MODULE_SOFTDEP() as it is not sufficient for this purpose, but a
//!   hard link-time dependency is reliable."
//!
//! What the model needs of them: who loads whom (modules.dep, `MODULE_SOFTDEP`) and the
//! Kconfig rule. Both also set `.probe_type = PROBE_FORCE_SYNCHRONOUS` on their driver; the
//! model's cxl_mem and cxl_port drivers already probe synchronously (mainline's
//! `PROBE_DEFAULT_STRATEGY` is synchronous unless the `driver_async_probe=` kernel parameter
//! or the module's `async_probe` parameter asks otherwise, and the model has neither), so that
//! line changes nothing in the ops table. The moved functions (`devm_cxl_add_memdev` into
//! mem.c over cxl_core's `__devm_cxl_add_memdev`, `devm_cxl_add_endpoint` into port.c) do what
//! they did: [`crate::drivers::cxl::mem::cxl_pci_probe`] and
//! [`crate::drivers::cxl::mem::cxl_mem_probe`] model both unchanged.
//!
//! The branch, as kernel.org's post-receive notice for cxl.git `next` listed it when the merge
//! was pushed (Message-Id 176920943496.4012430.4701147342427246703@gitolite.kernel.org,
//! 23 Jan 2026): 10016118 "cxl/mem: Fix devm_cxl_memdev_edac_release() confusion", 1f1cb7f0,
//! ae201a00, 6e1d2190 "cxl/mem: Convert devm_cxl_add_memdev() to scope-based-cleanup",
//! f2546eba "cxl/mem: Drop @host argument to devm_cxl_add_memdev()", 29317f8d "cxl/mem:
//! Introduce cxl_memdev_attach for CXL-dependent operation", bc62f5b3, then the merge 3f7938b1.
//! The others change nothing the model has: EDAC release, error-path cleanup, an argument, and
//! an optional `@attach` callback cxl_pci does not pass ("When @attach is provided a
//! cxl_mem_probe() failure leads to failure of this routine"; cxl_pci calls
//! `devm_cxl_add_memdev(cxlds, NULL)`), so they are not modeled.

use super::Patch;
use crate::kernel::kconfig::{cxl_pci_selects_cxl_mem, Kconfig};
use crate::kernel::module::Module;

/// 1f1cb7f0: "cxl/mem: Arrange for always-synchronous memdev attach".
pub const ALWAYS_SYNC_MEMDEV: Patch = Patch::new(
    "1f1cb7f0 (v5's base)",
    "cxl/mem: Arrange for always-synchronous memdev attach",
    "https://lore.kernel.org/all/20251216005616.3090129-3-dan.j.williams@intel.com/",
    |ops| {
        ops.symbol_deps.replace(Module::CxlPci, cxl_pci_symbol_deps);
        cxl_pci_selects_cxl_mem(&mut ops.kconfig);
    },
)
.of_the_base();

/// bc62f5b3, the branch's head: v4 1/9 as merged ("Defer Soft Reserved insertion until hmem is
/// ready"). A series patch, not marked [`Patch::in_base`], so that v4 1/9 and it are one
/// culprit.
pub const DEFER_SOFT_RESERVED_INSERTION: Patch = Patch::new(
    "bc62f5b3 (v5's base)",
    "dax/hmem, e820, resource: Defer Soft Reserved insertion until hmem is ready",
    "https://github.com/torvalds/linux/commit/bc62f5b308cbdedf29132fe96e9d591e526527e1",
    super::series::defer_soft_reserved_insertion,
);

/// ae201a00: "cxl/port: Arrange for always synchronous endpoint attach".
pub const ALWAYS_SYNC_ENDPOINT: Patch = Patch::new(
    "ae201a00 (v5's base)",
    "cxl/port: Arrange for always synchronous endpoint attach",
    "https://lore.kernel.org/all/20251216005616.3090129-4-dan.j.williams@intel.com/",
    |ops| {
        ops.symbol_deps.replace(Module::CxlMem, cxl_mem_symbol_deps);
        ops.softdeps.replace(Module::CxlMem, cxl_mem_softdeps);
    },
)
.of_the_base();

/// cxl_pci's line of modules.dep from 1f1cb7f0 on: cxl_core, and cxl_mem, which now defines
/// what `cxl_pci_probe()` calls:
///
/// ```c
/// /* drivers/cxl/mem.c */
/// struct cxl_memdev *devm_cxl_add_memdev(struct device *host,
///                                        struct cxl_dev_state *cxlds)
/// {
///         return __devm_cxl_add_memdev(host, cxlds);
/// }
/// EXPORT_SYMBOL_NS_GPL(devm_cxl_add_memdev, "CXL");
/// ```
///
/// (and in drivers/cxl/core/memdev.c: `-EXPORT_SYMBOL_NS_GPL(devm_cxl_add_memdev, "CXL");
/// +EXPORT_SYMBOL_FOR_MODULES(__devm_cxl_add_memdev, "cxl_mem");`, so cxl_mem's own line,
/// cxl_core, is unchanged). modprobe cxl_pci therefore loads cxl_mem first, and
/// `cxl_mem_driver` is registered before cxl_pci's first `device_add()` of a memdev.
pub fn cxl_pci_symbol_deps(_cfg: &Kconfig) -> &'static [Module] {
    &[Module::CxlCore, Module::CxlMem]
}

/// cxl_mem's line of modules.dep from ae201a00 on: cxl_core, and cxl_port, which now defines
/// what `cxl_mem_probe()` calls:
///
/// ```c
/// /* drivers/cxl/port.c */
/// int devm_cxl_add_endpoint(struct device *host, struct cxl_memdev *cxlmd,
///                           struct cxl_dport *parent_dport)
/// …
/// EXPORT_SYMBOL_FOR_MODULES(devm_cxl_add_endpoint, "cxl_mem");
/// ```
pub fn cxl_mem_symbol_deps(_cfg: &Kconfig) -> &'static [Module] {
    &[Module::CxlCore, Module::CxlPort]
}

/// cxl_mem's soft dependencies from ae201a00 on: none, the patch deletes
///
/// ```c
/// /*
///  * create_endpoint() wants to validate port driver attach immediately after
///  * endpoint registration.
///  */
/// MODULE_SOFTDEP("pre: cxl_port");
/// ```
pub fn cxl_mem_softdeps(_cfg: &Kconfig) -> &'static [Module] {
    &[]
}
