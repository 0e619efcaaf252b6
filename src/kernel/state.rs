//! The kernel's semantic state as a 128-bit hash, for exhaustive exploration
//! ([`crate::explore`]): two kernels with equal hashes behave alike from here on (up to a hash
//! collision) and have recorded the same things the judges read.
//!
//! What is hashed is every field of [`Kernel`] that later behaviour or a judgement can depend
//! on, by value, in order (lists are hashed as lists, never as multisets: sound, if it merges
//! less). What is left out, and why:
//!
//! - `ops`, `cfg`, `plat`, `e820_sr`, `events`, `iomem`, `soft_reserve`, `reporting`,
//!   `scheduler`: fixed for
//!   a run by the design and the scenario, so equal in every run an exploration compares.
//! - `run_facts`: a memo of a function of the configuration, platform and events (computed at
//!   the first observation); whether it is filled yet changes no result.
//! - `timeline`: written only when `reporting` is set ([`Kernel::log`]) and read only by
//!   reports; explorations run with `reporting` off, where it stays empty.
//!
//! Function pointers (a devm action's release, a work item's function) hash by address: two
//! equal addresses are the same code; one function at two addresses would only merge less.
//! The hasher is two independent multiply-rotate lanes (not cryptographic): a collision of
//! both lanes between two states of one exploration would merge them wrongly, with
//! probability about n²/2¹²⁹ for n states if the lanes behave like random functions.

use crate::kernel::footprint;
use crate::kernel::sched::TaskBody;
use crate::kernel::Kernel;
use std::hash::{Hash, Hasher};

/// A fast 128-bit hasher for state fingerprints: two lanes with different multipliers and
/// mixing, folded with a finalizer at the end.
#[derive(Clone, Copy, Debug)]
pub struct StateHasher {
    a: u64,
    b: u64,
}

impl Default for StateHasher {
    fn default() -> StateHasher {
        StateHasher::new()
    }
}

const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xd6e8_feb8_6659_fd93;

fn fmix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl StateHasher {
    /// A fresh hasher.
    pub const fn new() -> StateHasher {
        StateHasher {
            a: 0x243f_6a88_85a3_08d3,
            b: 0x1319_8a2e_0370_7344,
        }
    }

    #[inline]
    fn word(&mut self, x: u64) {
        self.a = (self.a.rotate_left(5) ^ x).wrapping_mul(K1);
        let b = (self.b ^ x).wrapping_mul(K2);
        self.b = b ^ (b >> 29);
    }

    /// Hashes a 128-bit value.
    #[inline]
    pub fn write_u128_words(&mut self, x: u128) {
        self.word(x as u64);
        self.word((x >> 64) as u64);
    }

    /// The 128-bit hash of what was written.
    pub fn finish128(&self) -> u128 {
        let a = fmix(self.a ^ self.b.rotate_left(17));
        let b = fmix(self.b.wrapping_add(self.a.rotate_left(41)) ^ K1);
        (u128::from(a) << 64) | u128::from(b)
    }
}

impl Hasher for StateHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length of the tail, so that trailing zero bytes are not lost.
            self.word(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, x: u8) {
        self.word(u64::from(x));
    }
    fn write_u16(&mut self, x: u16) {
        self.word(u64::from(x));
    }
    fn write_u32(&mut self, x: u32) {
        self.word(u64::from(x));
    }
    fn write_u64(&mut self, x: u64) {
        self.word(x);
    }
    fn write_usize(&mut self, x: usize) {
        self.word(x as u64);
    }
    fn write_i32(&mut self, x: i32) {
        self.word(x as u32 as u64);
    }
    fn finish(&self) -> u64 {
        self.finish128() as u64
    }
}

impl Kernel {
    /// The 128-bit hash of each part of the kernel's semantic state ([`footprint::PARTS`], in
    /// order; see the module docs for what is left out): what an exploration keys states with
    /// (all of them, [`Kernel::state_hash`]) and chains into a task's fingerprint (those the
    /// task's poll touched).
    pub fn part_hashes(&self) -> [u128; footprint::PARTS.len()] {
        std::array::from_fn(|i| self.part_hash(i))
    }

    /// The hash of part `i` of [`footprint::PARTS`].
    ///
    /// Every field of [`Kernel`], of [`crate::kernel::sched::Sched`] and of
    /// [`crate::kernel::driver_core::DriverCore`] is named here, so that a field added to any
    /// of them does not compile until it is hashed or its exclusion is argued.
    pub fn part_hash(&self, i: usize) -> u128 {
        let Kernel {
            ops: _,
            cfg: _,
            plat: _,
            e820_sr: _,
            events: _,
            res,
            iomem: _,
            soft_reserve: _,
            sched,
            dc,
            modules,
            memregion,
            cxl,
            dax,
            hmem,
            mem,
            timeline,
            warns,
            memory_errors,
            observations,
            teardowns,
            causes,
            user_removed,
            run_facts: _,
            reporting,
            scheduler: _,
        } = self;
        debug_assert!(*reporting || timeline.is_empty());
        let crate::kernel::sched::Sched {
            tasks,
            current,
            spawned,
            works,
            device_lock_owner,
            region_rwsem_readers,
            region_rwsem_writer,
            init_done,
            alive_count,
            ordered,
            ordered_seq,
        } = sched;
        let crate::kernel::driver_core::DriverCore {
            devices,
            drivers,
            registered_drivers,
            deferred,
            deferred_active,
            deferred_trigger_count,
            bind_counter,
            deferred_probe_enable,
            deferred_probe_work,
            async_pending,
            pending_waits,
            udev,
            registered,
            bus_names,
        } = dc;
        let tasks = tasks.untracked();
        match i {
            0 => h(res),
            1 => h(modules),
            2 => h(memregion),
            3 => h(cxl),
            4 => h(dax),
            5 => h(hmem),
            6 => h(mem),
            7 => h(warns),
            8 => h(memory_errors),
            9 => h(observations),
            10 => h(teardowns),
            11 => h(causes),
            12 => h(user_removed),
            13 => h(tasks),
            14 => h(current),
            15 => h(spawned),
            16 => h(&works.untracked().iter().map(|w| w.name).collect::<Vec<_>>()),
            17 => h(device_lock_owner),
            18 => h(region_rwsem_readers),
            19 => h(region_rwsem_writer),
            20 => h(init_done),
            21 => h(alive_count),
            22 => h(ordered),
            23 => h(ordered_seq),
            24 => h(devices),
            25 => h(drivers),
            26 => h(registered_drivers),
            27 => h(deferred),
            28 => h(deferred_active),
            29 => h(deferred_trigger_count),
            30 => h(bind_counter),
            31 => h(deferred_probe_enable),
            32 => h(deferred_probe_work),
            33 => h(async_pending),
            34 => h(pending_waits),
            35 => h(udev),
            36 => h(registered),
            37 => h(bus_names),
            38 => h(&tasks.len()),
            39 => h(&tasks.iter().map(|t| t.alive).collect::<Vec<_>>()),
            40 => h(&tasks.iter().map(|t| t.body).collect::<Vec<_>>()),
            41 => h(&tasks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.alive && matches!(t.body, TaskBody::AsyncProbe(_)))
                .map(|(i, _)| i)
                .collect::<Vec<_>>()),
            42 => h(works),
            _ => panic!("no part {i}"),
        }
    }

    /// The hash of work item `i`.
    pub fn work_hash(&self, i: usize) -> u128 {
        h(&self.sched.works.untracked()[i])
    }

    /// The 128-bit hash of the whole semantic state: of [`Kernel::part_hashes`].
    pub fn state_hash(&self) -> u128 {
        combine(&self.part_hashes())
    }
}

fn h<T: Hash>(x: &T) -> u128 {
    let mut s = StateHasher::new();
    x.hash(&mut s);
    s.finish128()
}

/// The hash of a kernel whose parts hash to `parts`.
pub fn combine(parts: &[u128]) -> u128 {
    let mut h = StateHasher::new();
    for &p in parts {
        h.write_u128_words(p);
    }
    h.finish128()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hasher_tells_apart_what_it_should() {
        let h = |f: &dyn Fn(&mut StateHasher)| {
            let mut s = StateHasher::new();
            f(&mut s);
            s.finish128()
        };
        assert_ne!(h(&|s| s.write(b"ab")), h(&|s| s.write(b"ab\0")));
        assert_ne!(h(&|s| 1u32.hash(s)), h(&|s| 2u32.hash(s)));
        assert_ne!(h(&|s| (1u32, 2u32).hash(s)), h(&|s| (2u32, 1u32).hash(s)));
        assert_ne!(h(&|s| 0u64.hash(s)), h(&|_| {}));
        assert_eq!(h(&|s| "x".hash(s)), h(&|s| "x".hash(s)));
    }
}
