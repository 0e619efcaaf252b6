//! Why things happen: every teardown the judges weigh, and every failed probe a report shows,
//! records whether a user action or kernel code (mainline's, or a design patch's) did it.
//!
//! Causes are frames on a per-task stack: the userspace task pushes the event it is carrying
//! out (`rmmod cxl_acpi`, `destroy-region 0`, `create-region …`) for as long as it runs, and a
//! design function that tears things down on its own pushes itself with its patch. Frames are
//! keyed by task, so that work another task does while the userspace task sleeps in the middle
//! of an `rmmod` is never blamed on the user. Without a frame, the cause is the kernel function
//! that recorded it. Frames are plain `Copy` data; the text of a [`Cause`] is made only when
//! something is recorded (rarely, off the hot path).

use crate::kernel::sched::TaskId;
use crate::kernel::Kernel;
use crate::scenario::Event;
pub use srfuzz_oracle::Cause;

/// One cause frame: what the task is doing on someone's behalf.
#[derive(Clone, Copy, Hash, Debug)]
pub enum Frame {
    /// The userspace task carrying out this event.
    User(Event),
    /// A design's function, and the subject of the patch that adds it.
    Patch(&'static str, &'static str),
}

impl Frame {
    /// The frame as an observation's cause.
    pub fn cause(self) -> Cause {
        match self {
            Frame::User(ev) => Cause::User(crate::scenario::text::format_event(&ev)),
            Frame::Patch(function, patch) => Cause::Kernel {
                function: function.to_string(),
                patch: Some(patch.to_string()),
            },
        }
    }
}

impl Kernel {
    fn me(&self) -> TaskId {
        // Untracked: the polled task, the same at every poll of it.
        self.sched.current.untracked().unwrap_or(TaskId(u32::MAX))
    }

    /// Pushes a cause frame for the current task; pair with [`Kernel::pop_cause`].
    pub fn push_cause(&mut self, frame: Frame) {
        let me = self.me();
        self.causes.push((me, frame));
    }

    /// Pops the current task's innermost frame.
    pub fn pop_cause(&mut self) {
        let me = self.me();
        if let Some(i) = self.causes.iter().rposition(|(t, _)| *t == me) {
            self.causes.remove(i);
        }
    }

    /// The current task's innermost frame, if any.
    pub fn frame(&self) -> Option<Frame> {
        let me = self.me();
        self.causes
            .iter()
            .rev()
            .find(|(t, _)| *t == me)
            .map(|&(_, f)| f)
    }

    /// Why the current task is doing what `function` (a kernel function) records: its
    /// innermost frame, else `function` itself.
    pub fn cause(&self, function: &'static str) -> Cause {
        match self.frame() {
            Some(f) => f.cause(),
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
        self.push_cause(Frame::Patch(function, patch));
        let r = f(self);
        self.pop_cause();
        r
    }
}
