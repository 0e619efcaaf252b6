//! Why things happen: every teardown the judges weigh records whether a user action or kernel
//! code (mainline's, or a design patch's) did it.
//!
//! Causes are frames on a per-task stack: the userspace task pushes the event it is carrying
//! out (`rmmod cxl_acpi`, `destroy-region 0`, `offline-memory 1`) for as long as it runs, and a
//! design function that tears things down on its own pushes itself with its patch. Frames are
//! keyed by task, so that work another task does while the userspace task sleeps in the middle
//! of an `rmmod` is never blamed on the user. Without a frame, the cause is the mainline kernel
//! function that recorded it.

use crate::kernel::sched::TaskId;
use crate::kernel::Kernel;
pub use srfuzz_oracle::Cause;

impl Kernel {
    /// Pushes a cause for the current task; pair with [`Kernel::pop_cause`].
    pub fn push_cause(&mut self, cause: Cause) {
        let me = self.sched.current.unwrap_or(TaskId(u32::MAX));
        self.causes.push((me, cause));
    }

    /// Pops the current task's innermost cause.
    pub fn pop_cause(&mut self) {
        let me = self.sched.current.unwrap_or(TaskId(u32::MAX));
        if let Some(i) = self.causes.iter().rposition(|(t, _)| *t == me) {
            self.causes.remove(i);
        }
    }

    /// Why the current task is doing what `function` (a mainline kernel function) records:
    /// its innermost frame, else `function` itself as mainline code.
    pub fn cause(&self, function: &'static str) -> Cause {
        let me = self.sched.current.unwrap_or(TaskId(u32::MAX));
        match self.causes.iter().rev().find(|(t, _)| *t == me) {
            Some((_, c)) => c.clone(),
            None => Cause::Kernel {
                function: function.to_string(),
                patch: None,
            },
        }
    }

    /// Runs `f` with a design patch's function as the cause of what it tears down.
    pub fn with_patch_cause<R>(
        &mut self,
        function: &'static str,
        patch: &'static str,
        f: impl FnOnce(&mut Kernel) -> R,
    ) -> R {
        self.push_cause(Cause::Kernel {
            function: function.to_string(),
            patch: Some(patch.to_string()),
        });
        let r = f(self);
        self.pop_cause();
        r
    }
}
