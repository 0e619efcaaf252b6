//! Mainline before the series (~v6.18): the base every design patches.
//!
//! What it does: Soft Reserved is published in iomem at boot; cxl_acpi's
//! windows swallow equal Soft Reserved ranges; with CONFIG_CXL_REGION, HMEM leaves every range
//! that intersects a CXL window to CXL, with no fallback if region assembly fails; every
//! committed RAM region gets a cxl_dax_region at probe; `alloc_dax_region` claims nothing, so
//! nothing arbitrates between HMEM and CXL. dax_hmem soft-depends on cxl_acpi (when CXL_REGION
//! and cxl_acpi is modular).
//!
//! Links: drivers/dax/hmem/hmem.c at
//! <https://github.com/torvalds/linux/blob/908ae7e0/drivers/dax/hmem/hmem.c> and the v4
//! series' diff context
//! <https://lore.kernel.org/all/20251120031925.87762-1-Smita.KoralahalliChannabasappa@amd.com/>.
//!
//! Fidelity: see each function's doc in [`crate::drivers`]; the ops table is in
//! [`super::Ops::mainline`].

use super::Declared;
use crate::kernel::kconfig::{Kconfig, Sym};
use crate::kernel::module::Module;

const V4_COVER: &str =
    "https://lore.kernel.org/all/20251120031925.87762-1-Smita.KoralahalliChannabasappa@amd.com/";

/// What mainline knowingly does: Soft Reserved in a CXL window that no region claims stays
/// unowned — the limitation the series was written to remove.
pub const DECLARED: [Declared; 2] = [
    Declared {
        title: "stranded capacity: Soft Reserved * a CXL window left * [mainline*",
        reason: "no fallback to HMEM when CXL does not claim a window's Soft Reserved",
        link: V4_COVER,
        applies: super::always,
    },
    Declared {
        title: "spec deviation: Soft Reserved in a CXL window, not in committed regions owned by nobody, spec says hmem [mainline*",
        reason: "no fallback to HMEM when CXL does not claim a window's Soft Reserved",
        link: V4_COVER,
        applies: super::always,
    },
];

/// Symbol dependencies (what depmod writes into modules.dep): a module's init needs these
/// loaded first. Mainline: every cxl_* module uses cxl_core; kmem, dax_hmem and dax_cxl use
/// dax.ko; dax_cxl also uses cxl_core (`to_cxl_dax_region`).
pub fn symbol_deps(_cfg: &Kconfig, m: Module) -> &'static [Module] {
    match m {
        Module::CxlAcpi | Module::CxlPort | Module::CxlMem | Module::CxlPci => &[Module::CxlCore],
        Module::Kmem | Module::DaxHmem => &[Module::Dax],
        Module::DaxCxl => &[Module::Dax, Module::CxlCore],
        Module::CxlCore | Module::Dax => &[],
    }
}

/// `MODULE_SOFTDEP("pre: …")`: cxl_acpi and cxl_mem want cxl_port first; dax_hmem wants
/// cxl_acpi first when CONFIG_CXL_REGION is set and cxl_acpi is modular
/// (`#if IS_ENABLED(CONFIG_CXL_REGION) #if IS_MODULE(CONFIG_CXL_ACPI)` in hmem.c).
pub fn softdeps(cfg: &Kconfig, m: Module) -> &'static [Module] {
    match m {
        Module::CxlAcpi | Module::CxlMem => &[Module::CxlPort],
        Module::DaxHmem if cfg.is_enabled(Sym::CXL_REGION) && cfg.is_module(Sym::CXL_ACPI) => {
            &[Module::CxlAcpi]
        }
        _ => &[],
    }
}
