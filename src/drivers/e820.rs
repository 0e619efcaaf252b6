//! arch/x86/kernel/e820.c: how firmware's Soft Reserved entries reach the resource trees.
//! <https://github.com/torvalds/linux/blob/master/arch/x86/kernel/e820.c>

use crate::kernel::resource::{Name, IORESOURCE_MEM, IORES_DESC_SOFT_RESERVED};
use crate::kernel::Kernel;

/// `e820__reserve_resources_late()` as mainline has it before the series: every
/// `E820_TYPE_SOFT_RESERVED` entry of the sanitized table ([`crate::scenario::Platform::e820_soft_reserved`]) (not marked busy by `do_mark_busy`, so not inserted by
/// `e820__reserve_resources`) is inserted into `iomem_resource` with
/// `insert_resource_expand_to_fit`, named "Soft Reserved", desc `IORES_DESC_SOFT_RESERVED`.
///
/// Called from `pcibios_resource_survey` at subsys_initcall time, before any driver in
/// drivers/ (arch/ links first). Other e820 types (System RAM, Reserved) are not modeled: the
/// scenario's ranges are above the low memory they describe.
pub fn e820__reserve_resources_late(k: &mut Kernel) {
    for (start, end) in k.e820_sr.clone() {
        let res = k.res.alloc(
            Name::fixed("Soft Reserved"),
            start,
            end,
            IORESOURCE_MEM,
            IORES_DESC_SOFT_RESERVED,
        );
        let root = (k.ops.soft_reserve_root)(k);
        k.res.insert_resource_expand_to_fit(root, res);
    }
}

/// The tree Soft Reserved goes into: `iomem_resource` in mainline.
pub fn soft_reserve_root_iomem(k: &mut Kernel) -> crate::kernel::resource::ResId {
    k.iomem
}
