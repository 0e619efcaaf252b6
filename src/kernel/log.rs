//! The run's timeline and its WARNs: cheap, `Copy` records pushed as the model runs, printed
//! only when a report needs them.

use crate::kernel::driver_core::{DevId, DrvKind};
use crate::kernel::errno::Errno;
use crate::kernel::module::Module;
use crate::kernel::sched::TaskId;
use crate::kernel::Kernel;

/// One line of the timeline.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LogEvent {
    /// `device_add`.
    DeviceAdd(DevId),
    /// `device_del`.
    DeviceDel(DevId),
    /// A probe succeeded.
    Bound(DevId, DrvKind),
    /// A probe failed.
    ProbeFailed(DevId, DrvKind, Errno),
    /// A driver was unbound from the device.
    Unbound(DevId, DrvKind),
    /// A module finished loading (its init returned 0) or is built in and initialized.
    ModuleLive(Module),
    /// A module's init failed.
    ModuleInitFailed(Module, Errno),
    /// A module was removed.
    ModuleGone(Module),
    /// modprobe found the module not built (`FATAL: Module … not found`).
    ModuleNotFound(Module),
    /// A free-form debug message of a modeled function (`dev_dbg`/`pr_debug` text).
    Dbg(&'static str, &'static str),
    /// A userspace action was refused with this error.
    UserError(&'static str, Errno),
}

/// A recorded kernel WARN: the function it fires in and its message.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Warn {
    /// The kernel function containing the WARN_ON.
    pub site: &'static str,
    /// What it complains about.
    pub msg: &'static str,
}

impl Kernel {
    /// Appends to the timeline, stamped with the running task.
    pub fn log(&mut self, ev: LogEvent) {
        if !self.reporting {
            return;
        }
        // Untracked: the polled task, the same at every poll of it (and only when reporting).
        let t = self.sched.current.untracked().unwrap_or(TaskId(u32::MAX));
        self.timeline.push((t, ev));
    }

    /// Records a WARN (`WARN_ON`, `dev_WARN_ONCE`) at `site`.
    pub fn warn(&mut self, site: &'static str, msg: &'static str) {
        self.warns.push(Warn { site, msg });
    }

    /// Records a memory-safety error KASAN would report (`invalid-free`, `use-after-free`) in
    /// `site`. What the kernel does after such an error is not modeled: the caller goes on as
    /// if it had not happened, and the judges report it.
    pub fn kasan(&mut self, site: &'static str, what: &'static str) {
        self.memory_errors.push(Warn { site, msg: what });
    }

    /// `dev_dbg`/`pr_debug` of a modeled function.
    pub fn dbg(&mut self, site: &'static str, msg: &'static str) {
        self.log(LogEvent::Dbg(site, msg));
    }
}
