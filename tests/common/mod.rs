//! Scenario pieces several test files use: one committed x1 region over a whole Soft Reserved
//! window, everything modular, and the udev-style boot. Each piece starts and ends with a
//! newline, so they concatenate into scenario text: `format!("{ONE_X1_REGION}{ALL_MODULAR}
//! [events]{BOOT}…")`.
#![allow(dead_code)]

use srfuzz::designs::{Design, Ops, Patch};
use srfuzz::kernel::sched::{BoxFut, WorkId};
use srfuzz::kernel::KRef;
use srfuzz::scenario::{text, Scenario};

/// A design whose dax_hmem init queues a work item that requeues itself forever: a real
/// livelock, for the step bound's tests (tests/judges.rs, tests/step_bound.rs).
pub static LIVELOCK: Design = Design::new(
    "broken-livelock",
    "a self-requeueing work item",
    &[Patch {
        label: "test",
        subject: "dax_hmem_init queues a work that requeues itself",
        link: "tests/common/mod.rs",
        apply: |ops: &mut Ops| {
            ops.dax_hmem_init = |k| {
                Box::pin(async move {
                    let mut kb = k.borrow_mut();
                    let next = kb.sched.works.len() as u32;
                    let w = kb.init_work("requeue", Some(requeue), next);
                    kb.queue_work(w);
                    Ok(())
                })
            }
        },
        in_base: false,
    }],
);

fn requeue(k: KRef, w: u32) -> BoxFut<()> {
    Box::pin(async move {
        k.borrow_mut().queue_work(WorkId(w));
    })
}

/// One x1 region that firmware committed over the whole Soft Reserved range, in one 128G
/// window at 0x850000000: the series' test machine (cover letters [1] and [2]).
pub const ONE_X1_REGION: &str = "
[platform]
soft-reserved 0x850000000 size=128G
host-bridge 0
window 0x850000000 size=128G targets=0
memdev host-bridge=0 capacity=128G presence=boot decoder=0x850000000,size=128G,ways=1,pos=0
";

/// Every component modular, as the series' tests run and udev loads them.
pub const ALL_MODULAR: &str = "
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_PCI=m
CONFIG_CXL_ACPI=m
CONFIG_CXL_MEM=m
CONFIG_CXL_REGION=y
CONFIG_DAX=m
CONFIG_DEV_DAX=m
CONFIG_DEV_DAX_HMEM=m
CONFIG_DEV_DAX_CXL=m
CONFIG_DEV_DAX_KMEM=m
";

/// Explicit modprobes of the whole stack, then a settle.
pub const BOOT: &str = "
modprobe cxl_acpi
modprobe cxl_pci
modprobe cxl_mem
modprobe dax_cxl
modprobe kmem
modprobe dax_hmem
settle
";

/// Parses scenario text, panicking with the error and the text.
pub fn scenario(t: &str) -> Scenario {
    text::parse(t).unwrap_or_else(|e| panic!("{e}\n{t}"))
}
