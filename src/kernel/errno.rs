//! Kernel error numbers as values: the model never fails, it returns what the kernel returns.
//!
//! Numbers are the Linux ones (include/uapi/asm-generic/errno-base.h, include/linux/errno.h) so
//! that printed outcomes read like dmesg (`probe failed with error -12`).

use std::fmt;

#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
/// A kernel errno, as the positive number the kernel negates (`-EBUSY` is `Errno::EBUSY`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Errno {
    /// Operation not permitted.
    EPERM = 1,
    /// No such file or directory (e.g. `request_module` of a module that is not built).
    ENOENT = 2,
    /// No such device or address (cxl_mem without a CXL root).
    ENXIO = 6,
    /// Try again.
    EAGAIN = 11,
    /// Out of memory; also `alloc_dax_region` failure as reported by its callers.
    ENOMEM = 12,
    /// Device or resource busy.
    EBUSY = 16,
    /// File exists.
    EEXIST = 17,
    /// No such device: a probe that declines the device.
    ENODEV = 19,
    /// Invalid argument.
    EINVAL = 22,
    /// No space left (no free id).
    ENOSPC = 28,
    /// Function not implemented.
    ENOSYS = 38,
    /// Driver requests probe retry (include/linux/errno.h).
    EPROBE_DEFER = 517,
}

impl Errno {
    /// The kernel's macro name without the sign, e.g. `EPROBE_DEFER`.
    pub fn name(self) -> &'static str {
        match self {
            Errno::EPERM => "EPERM",
            Errno::ENOENT => "ENOENT",
            Errno::ENXIO => "ENXIO",
            Errno::EAGAIN => "EAGAIN",
            Errno::ENOMEM => "ENOMEM",
            Errno::EBUSY => "EBUSY",
            Errno::EEXIST => "EEXIST",
            Errno::ENODEV => "ENODEV",
            Errno::EINVAL => "EINVAL",
            Errno::ENOSPC => "ENOSPC",
            Errno::ENOSYS => "ENOSYS",
            Errno::EPROBE_DEFER => "EPROBE_DEFER",
        }
    }

    /// Parses a name as printed by [`Errno::name`] (with or without a leading `-`).
    pub fn from_name(s: &str) -> Option<Errno> {
        let s = s.strip_prefix('-').unwrap_or(s);
        [
            Errno::EPERM,
            Errno::ENOENT,
            Errno::ENXIO,
            Errno::EAGAIN,
            Errno::ENOMEM,
            Errno::EBUSY,
            Errno::EEXIST,
            Errno::ENODEV,
            Errno::EINVAL,
            Errno::ENOSPC,
            Errno::ENOSYS,
            Errno::EPROBE_DEFER,
        ]
        .into_iter()
        .find(|e| e.name() == s)
    }
}

impl fmt::Display for Errno {
    /// Prints like the kernel's `%d` of the negated value plus the name: `-16 (EBUSY)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-{} ({})", *self as i32, self.name())
    }
}

/// The kernel's `int` return convention: `Ok(())` is 0, `Err(e)` is `-e`.
pub type KResult<T = ()> = Result<T, Errno>;
