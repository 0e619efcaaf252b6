//! `struct resource` trees as an arena: a deterministic model of Linux's
//! [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c) and
//! [include/linux/ioport.h](https://github.com/torvalds/linux/blob/master/include/linux/ioport.h)
//! (v6.18 era).
//!
//! Every node lives in one [`ResourceArena`]; a "root" is just a node without a parent, so several
//! trees (`iomem_resource`, `soft_reserve_resource`, `hmem_active`, a "DAX Regions" tree, ...)
//! share one arena and are addressed by the [`ResId`] of their root. The kernel's pointers
//! (`parent`, `child`, `sibling`) become `Option<ResId>`; the algorithms below follow the kernel's
//! pointer manipulations step by step, so the shapes of the trees (including the re-parenting of
//! `__insert_resource` and the "children move up" of `remove_resource`) are the kernel's.
//!
//! Model-wide simplifications (each function documents its own):
//! - No locking (`resource_lock` is a no-op: the model is single-threaded).
//! - Memory: nodes are never reused. A node the kernel would `free_resource()` (a failed or
//!   released `__request_region`) is unlinked and simply stays in the arena, detached; a
//!   `__request_region` that fails pops its never-linked node back off the arena, so failures do
//!   not grow it. `ResId`s therefore stay unique for the arena's lifetime (no ABA aliasing).
//! - Names are [`Name`] values (a prefix plus optional numbers) instead of `const char *`, so the
//!   query paths never allocate; the kernel's `r->name ? r->name : "<BAD>"` cannot happen.
//! - Traversals that the kernel starts at a parentless global (`iomem_resource`) use
//!   `next_resource()`, which climbs through parents until it finds a sibling; here they stop at
//!   the given root (the kernel's `__next_resource(.., subtree_root)`), which is identical for a
//!   parentless root and keeps a query on a non-root node inside its subtree.

use std::fmt;

use crate::kernel::errno::{Errno, KResult};

/// The kernel's source file, linked from every function's documentation.
pub const RESOURCE_C: &str = "https://github.com/torvalds/linux/blob/master/kernel/resource.c";

// ---------------------------------------------------------------------------------------------
// Flags and descriptors (include/linux/ioport.h, drivers/dax/bus.h)
// ---------------------------------------------------------------------------------------------

/// `IORESOURCE_BITS`: bus-specific bits.
pub const IORESOURCE_BITS: u64 = 0x0000_00ff;
/// `IORESOURCE_TYPE_BITS`: the resource type field (`resource_type()`).
pub const IORESOURCE_TYPE_BITS: u64 = 0x0000_1f00;
/// `IORESOURCE_IO`: PCI/ISA I/O ports.
pub const IORESOURCE_IO: u64 = 0x0000_0100;
/// `IORESOURCE_MEM`.
pub const IORESOURCE_MEM: u64 = 0x0000_0200;
/// `IORESOURCE_MUXED`: software-muxed resource (waits instead of failing in `__request_region`).
pub const IORESOURCE_MUXED: u64 = 0x0040_0000;
/// `IORESOURCE_EXT_TYPE_BITS`: extended types (`resource_ext_type()`).
pub const IORESOURCE_EXT_TYPE_BITS: u64 = 0x0100_0000;
/// `IORESOURCE_SYSRAM`: System RAM (modifier).
pub const IORESOURCE_SYSRAM: u64 = 0x0100_0000;
/// `IORESOURCE_SYSRAM_DRIVER_MANAGED`: always detected via a driver.
pub const IORESOURCE_SYSRAM_DRIVER_MANAGED: u64 = 0x0200_0000;
/// `IORESOURCE_SYSRAM_MERGEABLE`: resource can be merged.
pub const IORESOURCE_SYSRAM_MERGEABLE: u64 = 0x0400_0000;
/// `IORESOURCE_EXCLUSIVE`: userland may not map this resource.
pub const IORESOURCE_EXCLUSIVE: u64 = 0x0800_0000;
/// `IORESOURCE_DISABLED`.
pub const IORESOURCE_DISABLED: u64 = 0x1000_0000;
/// `IORESOURCE_UNSET`: no address assigned yet (checked by `resource_contains`).
pub const IORESOURCE_UNSET: u64 = 0x2000_0000;
/// `IORESOURCE_AUTO`.
pub const IORESOURCE_AUTO: u64 = 0x4000_0000;
/// `IORESOURCE_BUSY`: driver has marked this resource busy.
pub const IORESOURCE_BUSY: u64 = 0x8000_0000;
/// `IORESOURCE_SYSTEM_RAM` = `IORESOURCE_MEM | IORESOURCE_SYSRAM`.
pub const IORESOURCE_SYSTEM_RAM: u64 = IORESOURCE_MEM | IORESOURCE_SYSRAM;
/// `IORESOURCE_DAX_STATIC` = `BIT(0)`. Not in ioport.h: a dax-bus-private flag of
/// `struct dax_region.res` (drivers/dax/bus.h), aliasing the low `IORESOURCE_BITS`.
pub const IORESOURCE_DAX_STATIC: u64 = 1 << 0;
/// `IORESOURCE_DAX_KMEM` = `BIT(1)`. Not in ioport.h: defined in drivers/dax/bus.h ("dax bus
/// specific ioresource flags"), set in `dax_region->res.flags` by hmem/cxl to make
/// `dax_match_type()` pick the kmem driver. It aliases the bus-specific `IORESOURCE_BITS`.
pub const IORESOURCE_DAX_KMEM: u64 = 1 << 1;

/// `IORES_DESC_NONE`: "don't care" in searches.
pub const IORES_DESC_NONE: u32 = 0;
/// `IORES_DESC_CRASH_KERNEL`.
pub const IORES_DESC_CRASH_KERNEL: u32 = 1;
/// `IORES_DESC_ACPI_TABLES`.
pub const IORES_DESC_ACPI_TABLES: u32 = 2;
/// `IORES_DESC_ACPI_NV_STORAGE`.
pub const IORES_DESC_ACPI_NV_STORAGE: u32 = 3;
/// `IORES_DESC_PERSISTENT_MEMORY`.
pub const IORES_DESC_PERSISTENT_MEMORY: u32 = 4;
/// `IORES_DESC_PERSISTENT_MEMORY_LEGACY`.
pub const IORES_DESC_PERSISTENT_MEMORY_LEGACY: u32 = 5;
/// `IORES_DESC_DEVICE_PRIVATE_MEMORY`.
pub const IORES_DESC_DEVICE_PRIVATE_MEMORY: u32 = 6;
/// `IORES_DESC_RESERVED`.
pub const IORES_DESC_RESERVED: u32 = 7;
/// `IORES_DESC_SOFT_RESERVED`: EFI_MEMORY_SP memory ("Soft Reserved").
pub const IORES_DESC_SOFT_RESERVED: u32 = 8;
/// `IORES_DESC_CXL`: CXL root decoder windows ("CXL Window N").
pub const IORES_DESC_CXL: u32 = 9;

/// `MAX_IORES_LEVEL` of kernel/resource.c: `r_show` indents at most this many levels.
pub const MAX_IORES_LEVEL: usize = 5;

/// `-EINVAL` as the `int` the kernel's walkers return.
const NEG_EINVAL: i32 = -(Errno::EINVAL as i32);

/// Result of `region_intersects()` (`REGION_DISJOINT`, `REGION_INTERSECTS`, `REGION_MIXED`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RegionIntersects {
    /// `REGION_DISJOINT` (0): no resource of the wanted type/desc overlaps.
    Disjoint,
    /// `REGION_INTERSECTS` (1): only the wanted type/desc (and holes) overlap.
    Intersects,
    /// `REGION_MIXED` (2): the wanted type/desc and something else overlap.
    Mixed,
}

// ---------------------------------------------------------------------------------------------
// Ids and names
// ---------------------------------------------------------------------------------------------

/// Index of a resource in a ResourceArena.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ResId(pub u32);

/// A resource name without heap allocation: prefix + optional id + optional ".sub"
/// e.g. `Name::fixed("Soft Reserved")`, `Name::id("region", 3)` -> "region3",
/// `Name::id("CXL Window ", 0)` -> "CXL Window 0", `Name::id_sub("dax", 0, 0)` -> "dax0.0".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Name {
    /// Text printed first.
    pub prefix: &'static str,
    /// Decimal number printed right after the prefix.
    pub id: Option<u32>,
    /// Decimal number printed after a `.`.
    pub sub: Option<u32>,
}

impl Name {
    /// A constant name, e.g. "Soft Reserved".
    pub const fn fixed(prefix: &'static str) -> Name {
        Name {
            prefix,
            id: None,
            sub: None,
        }
    }
    /// `prefix` followed by `id`, e.g. "region3".
    pub const fn id(prefix: &'static str, id: u32) -> Name {
        Name {
            prefix,
            id: Some(id),
            sub: None,
        }
    }
    /// `prefix`, `id`, `.`, `sub`, e.g. "dax0.0".
    pub const fn id_sub(prefix: &'static str, id: u32, sub: u32) -> Name {
        Name {
            prefix,
            id: Some(id),
            sub: Some(sub),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix)?;
        if let Some(id) = self.id {
            write!(f, "{id}")?;
        }
        if let Some(sub) = self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// `struct resource` (include/linux/ioport.h): `[start, end]` inclusive.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Resource {
    /// `name`.
    pub name: Name,
    /// `start`.
    pub start: u64,
    /// `end`, inclusive.
    pub end: u64,
    /// `flags` (`IORESOURCE_*`).
    pub flags: u64,
    /// `desc` (`IORES_DESC_*`).
    pub desc: u32,
    /// `parent`; `None` for a root or a detached node.
    pub parent: Option<ResId>,
    /// `child`: first (lowest) child.
    pub child: Option<ResId>,
    /// `sibling`: next sibling, in ascending address order.
    pub sibling: Option<ResId>,
}

impl Resource {
    /// `resource_size()`: `end - start + 1` (wrapping, as in C).
    pub fn size(&self) -> u64 {
        self.end.wrapping_sub(self.start).wrapping_add(1)
    }
    /// `resource_type()`: `flags & IORESOURCE_TYPE_BITS`.
    pub fn res_type(&self) -> u64 {
        self.flags & IORESOURCE_TYPE_BITS
    }
    /// `resource_ext_type()`: `flags & IORESOURCE_EXT_TYPE_BITS`.
    pub fn ext_type(&self) -> u64 {
        self.flags & IORESOURCE_EXT_TYPE_BITS
    }
    /// `resource_overlaps()` against a range: true if any part of `self` overlaps `[start, end]`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && self.end >= start
    }
}

/// `is_type_match()` of kernel/resource.c: `(p->flags & flags) == flags && (desc ==
/// IORES_DESC_NONE || desc == p->desc)`.
#[inline]
fn is_type_match(p: &Resource, flags: u64, desc: u32) -> bool {
    (p.flags & flags) == flags && (desc == IORES_DESC_NONE || desc == p.desc)
}

/// A link slot: the kernel's `struct resource **p`, pointing either at `owner->child` or at
/// `owner->sibling`.
#[derive(Clone, Copy)]
enum Slot {
    Child(ResId),
    Sibling(ResId),
}

// ---------------------------------------------------------------------------------------------
// The arena
// ---------------------------------------------------------------------------------------------

/// All resources of a model instance. Deterministic: only `Vec`s.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct ResourceArena {
    nodes: Vec<Resource>,
}

impl ResourceArena {
    /// An empty arena.
    pub fn new() -> ResourceArena {
        ResourceArena::default()
    }

    /// An empty arena with room for `n` resources (a run allocates a few dozen).
    pub fn with_capacity(n: usize) -> ResourceArena {
        ResourceArena {
            nodes: Vec::with_capacity(n),
        }
    }

    /// Number of nodes ever allocated (detached and released ones included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True if nothing was ever allocated.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// A detached node, like a kzalloc'd `struct resource` filled in by the caller (or a static
    /// one such as `iomem_resource` when used as a root). Kernel: `alloc_resource()` /
    /// `DEFINE_RES_NAMED` in [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c).
    pub fn alloc(&mut self, name: Name, start: u64, end: u64, flags: u64, desc: u32) -> ResId {
        let id = ResId(u32::try_from(self.nodes.len()).expect("resource arena overflow"));
        self.nodes.push(Resource {
            name,
            start,
            end,
            flags,
            desc,
            parent: None,
            child: None,
            sibling: None,
        });
        id
    }

    /// The node `id`. Panics on an id from another arena.
    #[inline]
    pub fn get(&self, id: ResId) -> &Resource {
        &self.nodes[id.0 as usize]
    }

    /// The node `id`, mutably (callers may change `name`, `flags`, `desc` like the kernel does,
    /// e.g. kmem's temporary clearing of `IORESOURCE_BUSY`; changing links breaks the tree).
    #[inline]
    pub fn get_mut(&mut self, id: ResId) -> &mut Resource {
        &mut self.nodes[id.0 as usize]
    }

    #[inline]
    fn slot_get(&self, s: Slot) -> Option<ResId> {
        match s {
            Slot::Child(o) => self.get(o).child,
            Slot::Sibling(o) => self.get(o).sibling,
        }
    }

    #[inline]
    fn slot_set(&mut self, s: Slot, v: Option<ResId>) {
        match s {
            Slot::Child(o) => self.get_mut(o).child = v,
            Slot::Sibling(o) => self.get_mut(o).sibling = v,
        }
    }

    /// `__next_resource(p, skip_children, subtree_root)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// pre-order successor of `p`, never leaving the subtree of `subtree_root`.
    #[inline]
    fn next_resource(&self, p: ResId, skip_children: bool, subtree_root: ResId) -> Option<ResId> {
        let r = self.get(p);
        if !skip_children && r.child.is_some() {
            return r.child;
        }
        let mut p = p;
        while self.get(p).sibling.is_none() {
            match self.get(p).parent {
                None => return None,
                Some(up) => {
                    p = up;
                    if p == subtree_root {
                        return None;
                    }
                }
            }
        }
        self.get(p).sibling
    }

    /// The children of `id`, in sibling (ascending address) order.
    pub fn children(&self, id: ResId) -> Children<'_> {
        Children {
            arena: self,
            next: self.get(id).child,
        }
    }

    /// All descendants of `root` (not `root` itself) in pre-order, which is the order of
    /// `/proc/iomem` (`for_each_resource(root, p, false)`), each with its depth (0 for a child of
    /// `root`). Unlike `r_show` the depth here is not capped at [`MAX_IORES_LEVEL`].
    pub fn iter_depth_first(&self, root: ResId) -> DepthFirst<'_> {
        DepthFirst {
            arena: self,
            root,
            next: self.get(root).child,
            depth: 0,
        }
    }

    // -----------------------------------------------------------------------------------------
    // request / release
    // -----------------------------------------------------------------------------------------

    /// `__request_resource(root, new)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// link `new` among the children of `root` if it overlaps none of them; otherwise return the
    /// first overlapping child, or `root` itself when `new` is empty or outside `root`.
    /// Like the kernel, `new`'s own `child` is not touched and `new` must be detached.
    fn request_resource_locked(&mut self, root: ResId, new: ResId) -> Option<ResId> {
        let (start, end) = (self.get(new).start, self.get(new).end);
        let r = self.get(root);
        if end < start || start < r.start || end > r.end {
            return Some(root);
        }
        let mut p = Slot::Child(root);
        loop {
            let tmp = self.slot_get(p);
            match tmp {
                Some(t) if self.get(t).start <= end => {
                    p = Slot::Sibling(t);
                    if self.get(t).end < start {
                        continue;
                    }
                    return Some(t);
                }
                _ => {
                    let n = self.get_mut(new);
                    n.sibling = tmp;
                    n.parent = Some(root);
                    self.slot_set(p, Some(new));
                    return None;
                }
            }
        }
    }

    /// `__release_resource(old, release_child)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c).
    /// Simplifications: a detached `old` returns `-EINVAL` (the kernel dereferences the NULL
    /// `old->parent`); `old->sibling` is cleared and, when the children move up
    /// (`release_child == false`), `old->child` is cleared too (the kernel leaves both stale,
    /// which only matters if the removed node is linked again).
    fn release_resource_locked(&mut self, old: ResId, release_child: bool) -> KResult {
        let parent = self.get(old).parent.ok_or(Errno::EINVAL)?;
        let mut p = Slot::Child(parent);
        while let Some(tmp) = self.slot_get(p) {
            if tmp == old {
                let (child, sibling) = (self.get(old).child, self.get(old).sibling);
                match child {
                    Some(first) if !release_child => {
                        let mut chd = first;
                        loop {
                            self.get_mut(chd).parent = Some(parent);
                            match self.get(chd).sibling {
                                Some(s) => chd = s,
                                None => break,
                            }
                        }
                        self.slot_set(p, Some(first));
                        self.get_mut(chd).sibling = sibling;
                        self.get_mut(old).child = None;
                    }
                    _ => self.slot_set(p, sibling),
                }
                let o = self.get_mut(old);
                o.parent = None;
                o.sibling = None;
                return Ok(());
            }
            p = Slot::Sibling(tmp);
        }
        Err(Errno::EINVAL)
    }

    /// `request_resource_conflict(root, new)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// `None` on success, else the conflicting resource (`root` if `new` does not fit in it).
    pub fn request_resource_conflict(&mut self, root: ResId, new: ResId) -> Option<ResId> {
        self.request_resource_locked(root, new)
    }

    /// `request_resource(root, new)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// `-EBUSY` on conflict.
    pub fn request_resource(&mut self, root: ResId, new: ResId) -> KResult {
        match self.request_resource_conflict(root, new) {
            Some(_) => Err(Errno::EBUSY),
            None => Ok(()),
        }
    }

    /// `release_resource(old)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// `__release_resource(old, true)`, unlinking `old` together with its whole subtree (its
    /// children stay its children). `-EINVAL` if `old` is not linked (see
    /// `__release_resource`'s simplifications).
    pub fn release_resource(&mut self, old: ResId) -> KResult {
        self.release_resource_locked(old, true)
    }

    /// `remove_resource(old)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// `__release_resource(old, false)`, unlinking `old` and moving its children up to where
    /// `old` was (the inverse of `insert_resource`'s re-parenting). `-EINVAL` if `old` is not
    /// linked.
    pub fn remove_resource(&mut self, old: ResId) -> KResult {
        self.release_resource_locked(old, false)
    }

    // -----------------------------------------------------------------------------------------
    // insert
    // -----------------------------------------------------------------------------------------

    /// `__insert_resource(parent, new)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c).
    /// Descends into a conflicting resource that strictly contains `new`; when the conflicting
    /// resources all fit inside `new` (including one of exactly the same range), `new` is linked
    /// in their place and becomes their parent. Returns the conflict otherwise: `parent` when
    /// `new` is outside it, a partially overlapping resource, or `new` itself on a duplicated
    /// insertion (the kernel's `WARN_ON(first == new)`, not reported here).
    fn insert_resource_locked(&mut self, parent: ResId, new: ResId) -> Option<ResId> {
        let mut parent = parent;
        let (ns, ne) = (self.get(new).start, self.get(new).end);
        let first = loop {
            let first = self.request_resource_locked(parent, new)?;
            if first == parent || first == new {
                return Some(first);
            }
            let f = self.get(first);
            if f.start > ns || f.end < ne {
                break first;
            }
            if f.start == ns && f.end == ne {
                break first;
            }
            parent = first;
        };

        let mut next = first;
        loop {
            let n = self.get(next);
            // Partial overlap? Bad, and unfixable.
            if n.start < ns || n.end > ne {
                return Some(next);
            }
            match n.sibling {
                Some(s) if self.get(s).start <= ne => next = s,
                _ => break,
            }
        }

        let after = self.get(next).sibling;
        {
            let n = self.get_mut(new);
            n.parent = Some(parent);
            n.sibling = after;
            n.child = Some(first);
        }
        self.get_mut(next).sibling = None;
        let mut c = Some(first);
        while let Some(id) = c {
            self.get_mut(id).parent = Some(new);
            c = self.get(id).sibling;
        }
        if self.get(parent).child == Some(first) {
            self.get_mut(parent).child = Some(new);
        } else {
            let mut prev = self.get(parent).child.expect("first is a child of parent");
            while self.get(prev).sibling != Some(first) {
                prev = self.get(prev).sibling.expect("first is a child of parent");
            }
            self.get_mut(prev).sibling = Some(new);
        }
        None
    }

    /// `insert_resource_conflict(parent, new)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// `__insert_resource` semantics (see the private `insert_resource_locked`): descend into a
    /// strictly containing conflict, re-parent conflicts that fit inside `new` (equal ranges
    /// included, so inserting an equal range twice nests), fail on partial overlap.
    pub fn insert_resource_conflict(&mut self, parent: ResId, new: ResId) -> Option<ResId> {
        self.insert_resource_locked(parent, new)
    }

    /// `insert_resource(parent, new)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// `-EBUSY` if `insert_resource_conflict` reports a conflict.
    pub fn insert_resource(&mut self, parent: ResId, new: ResId) -> KResult {
        match self.insert_resource_conflict(parent, new) {
            Some(_) => Err(Errno::EBUSY),
            None => Ok(()),
        }
    }

    /// `insert_resource_expand_to_fit(root, new)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// does nothing if `new` already has a parent; otherwise retries `__insert_resource`, growing
    /// `new` to cover each partially overlapping conflict, until it succeeds or the conflict is
    /// `root` (then `new` stays detached, as in the kernel, which has no return value). The
    /// kernel's `pr_info("Expanded resource ...")` is not modelled.
    pub fn insert_resource_expand_to_fit(&mut self, root: ResId, new: ResId) {
        if self.get(new).parent.is_some() {
            return;
        }
        loop {
            let conflict = match self.insert_resource_locked(root, new) {
                None => break,
                Some(c) if c == root => break,
                Some(c) => c,
            };
            let (cs, ce) = (self.get(conflict).start, self.get(conflict).end);
            let n = self.get_mut(new);
            if cs < n.start {
                n.start = cs;
            }
            if ce > n.end {
                n.end = ce;
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // regions (busy resources)
    // -----------------------------------------------------------------------------------------

    /// `__request_region(parent, start, n, name, flags)` with `__request_region_locked`
    /// semantics, [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// creates a BUSY resource `[start, start + n - 1]`. At each level its flags are
    /// `resource_type(parent) | resource_ext_type(parent) | IORESOURCE_BUSY | flags` and its desc
    /// is `parent->desc`; on a conflict that is not BUSY (and is not `parent` itself) it descends
    /// into the conflict and retries, so the result inherits type/desc from its final parent.
    /// Returns the new node, or `None` on conflict.
    /// Simplifications: a BUSY conflict with `IORESOURCE_MUXED` set in both it and `flags`
    /// makes the kernel sleep until that region is released; the model cannot block and fails
    /// (returns `None`) instead. The "Unaddressable device" warning and `revoke_iomem()` are not
    /// modelled. A failed request leaves no node behind (the kernel frees it).
    pub fn __request_region(
        &mut self,
        parent: ResId,
        start: u64,
        n: u64,
        name: Name,
        flags: u64,
    ) -> Option<ResId> {
        let res = self.alloc(
            name,
            start,
            start.wrapping_add(n).wrapping_sub(1),
            0,
            IORES_DESC_NONE,
        );
        let mut parent = parent;
        loop {
            let p = self.get(parent);
            let (ptype, pdesc) = (p.res_type() | p.ext_type(), p.desc);
            {
                let r = self.get_mut(res);
                r.flags = ptype | IORESOURCE_BUSY | flags;
                r.desc = pdesc;
            }
            let conflict = match self.request_resource_locked(parent, res) {
                None => return Some(res),
                Some(c) => c,
            };
            if conflict != parent && self.get(conflict).flags & IORESOURCE_BUSY == 0 {
                parent = conflict;
                continue;
            }
            // MUXED would wait here in the kernel; the model fails (see above).
            break;
        }
        // free_resource(res): it was never linked and is the last node, so drop it.
        debug_assert_eq!(res.0 as usize, self.nodes.len() - 1);
        self.nodes.pop();
        None
    }

    /// `request_mem_region(start, n, name)` of include/linux/ioport.h:
    /// `__request_region(&iomem_resource, start, n, name, 0)`; `iomem` is the arena's
    /// `iomem_resource` root. See [`ResourceArena::__request_region`]
    /// ([kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c)).
    pub fn request_mem_region(
        &mut self,
        iomem: ResId,
        start: u64,
        n: u64,
        name: Name,
    ) -> Option<ResId> {
        self.__request_region(iomem, start, n, name, 0)
    }

    /// `__release_region(parent, start, n)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// walks down through non-BUSY resources containing `[start, start + n - 1]` and unlinks the
    /// BUSY one with exactly that range. Returns whether one was released; `false` is the
    /// kernel's "Trying to free nonexistent resource" warning (the kernel returns void).
    /// Simplifications: the released node stays in the arena, detached (`parent`/`sibling`
    /// cleared); if it had children they keep pointing at it, an orphaned subtree, as they
    /// point at freed memory in the kernel. No `IORESOURCE_MUXED` wake-up (nothing waits).
    pub fn __release_region(&mut self, parent: ResId, start: u64, n: u64) -> bool {
        let end = start.wrapping_add(n).wrapping_sub(1);
        let mut p = Slot::Child(parent);
        while let Some(res) = self.slot_get(p) {
            let r = self.get(res);
            if r.start <= start && r.end >= end {
                if r.flags & IORESOURCE_BUSY == 0 {
                    p = Slot::Child(res);
                    continue;
                }
                if r.start != start || r.end != end {
                    break;
                }
                let sib = r.sibling;
                self.slot_set(p, sib);
                let r = self.get_mut(res);
                r.parent = None;
                r.sibling = None;
                return true;
            }
            p = Slot::Sibling(res);
        }
        false
    }

    /// `release_mem_region(start, n)` of include/linux/ioport.h:
    /// `__release_region(&iomem_resource, start, n)`
    /// ([kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c)).
    pub fn release_mem_region(&mut self, iomem: ResId, start: u64, n: u64) -> bool {
        self.__release_region(iomem, start, n)
    }

    // -----------------------------------------------------------------------------------------
    // queries
    // -----------------------------------------------------------------------------------------

    /// `resource_contains(r1, r2)` of include/linux/ioport.h: true iff `a` completely contains
    /// `b`, both have the same `resource_type()` and neither is `IORESOURCE_UNSET`. (A proposed
    /// "zero size is never contained" check is not in v6.18 and is not modelled.)
    pub fn resource_contains(&self, a: ResId, b: ResId) -> bool {
        let (r1, r2) = (self.get(a), self.get(b));
        if r1.res_type() != r2.res_type() {
            return false;
        }
        if r1.flags & IORESOURCE_UNSET != 0 || r2.flags & IORESOURCE_UNSET != 0 {
            return false;
        }
        r1.start <= r2.start && r1.end >= r2.end
    }

    /// `lookup_resource(root, start)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// the first direct child of `root` starting at `start`.
    pub fn lookup_resource(&self, root: ResId, start: u64) -> Option<ResId> {
        self.children(root).find(|&c| self.get(c).start == start)
    }

    /// `__region_intersects(parent, start, size, flags, desc)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c),
    /// the post-v6.12 rework ("resource: fix region_intersects() vs
    /// add_memory_driver_managed()" plus its follow-ups: descendant walk bounded to the subtree,
    /// `resource_intersection()`). For each top-level child `p` of `root` overlapping
    /// `[start, start + size - 1]`: if `p` matches `flags`/`desc` it counts as type; otherwise its
    /// descendants are searched in pre-order, each overlapping matching descendant counts as
    /// type, and `p` counts as other unless matching descendants cover the whole intersection of
    /// `p` with the range from its low end up without a gap. Result: no type -> Disjoint, type
    /// and no other -> Intersects (holes with no resource do not count), else Mixed.
    /// The kernel's `region_intersects()` always uses `iomem_resource` (and takes the read lock);
    /// here the root is a parameter, so `region_intersects_soft_reserve()` is the same call on
    /// the `soft_reserve_resource` root.
    pub fn region_intersects(
        &self,
        root: ResId,
        start: u64,
        size: u64,
        flags: u64,
        desc: u32,
    ) -> RegionIntersects {
        let (rs, re) = (start, start.wrapping_add(size).wrapping_sub(1));
        let (mut ty, mut other) = (0u32, 0u32);
        let mut next = self.get(root).child;
        while let Some(p) = next {
            let pr = self.get(p);
            next = pr.sibling;
            // resource_intersection(p, &res, &o)
            if !pr.overlaps(rs, re) {
                continue;
            }
            let (mut os, oe) = (rs.max(pr.start), re.min(pr.end));
            if is_type_match(pr, flags, desc) {
                ty += 1;
                continue;
            }
            let mut covered = false;
            // for_each_resource_descendant(p, dp)
            let mut d = pr.child;
            while let Some(dp) = d {
                let dr = self.get(dp);
                if dr.overlaps(rs, re) && is_type_match(dr, flags, desc) {
                    ty += 1;
                    // Range from o.start to dp->start isn't covered by a matched resource.
                    if dr.start > os {
                        break;
                    }
                    if dr.end >= oe {
                        covered = true;
                        break;
                    }
                    // Remove the covered range.
                    os = os.max(dr.end.wrapping_add(1));
                }
                d = self.next_resource(dp, false, p);
            }
            if !covered {
                other += 1;
            }
        }
        if ty == 0 {
            RegionIntersects::Disjoint
        } else if other == 0 {
            RegionIntersects::Intersects
        } else {
            RegionIntersects::Mixed
        }
    }

    /// `find_next_iomem_res()` / `find_next_res(parent, ...)` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c):
    /// the lowest resource in pre-order under `root` that matches `flags`/`desc` and overlaps
    /// `[start, end]`, with children only looked at once a top-level range overlapping the
    /// search range was reached (the reinstated "avoid unnecessary lookups" `skip_children`; for
    /// well-formed trees this never changes the answer). Returns the node and its range clipped
    /// to `[start, end]` (the kernel copies start/end/flags/desc/parent into `*res`), or `None`
    /// (`-ENODEV`, or `-EINVAL` when `start >= end`).
    fn find_next_res(
        &self,
        root: ResId,
        start: u64,
        end: u64,
        flags: u64,
        desc: u32,
    ) -> Option<(ResId, u64, u64)> {
        if start >= end {
            return None;
        }
        let mut skip_children = true;
        let mut next = self.get(root).child;
        while let Some(p) = next {
            let pr = self.get(p);
            // If we passed the resource we are looking for, stop.
            if pr.start > end {
                return None;
            }
            // Skip until we find a range that matches what we look for.
            if pr.end >= start {
                skip_children = false;
                if is_type_match(pr, flags, desc) {
                    return Some((p, start.max(pr.start), end.min(pr.end)));
                }
            }
            next = self.next_resource(p, skip_children, root);
        }
        None
    }

    /// `walk_iomem_res_desc(desc, flags, start, end, arg, func)` (`__walk_iomem_res_desc` /
    /// `walk_res_desc(parent, ...)`) of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c),
    /// with the tree's root as a parameter (so `walk_soft_reserve_res_desc` is this call on the
    /// `soft_reserve_resource` root). Visits, in address order and descending into children,
    /// every resource matching `flags` (all bits) and `desc` (`IORES_DESC_NONE` = any) that
    /// overlaps `[start, end]`; after each visit the search resumes just after the visited
    /// range's end, so a matching resource nested inside an already visited one is not visited again,
    /// but one extending past it can be (clipped). `f(arena, id, clipped_start, clipped_end)`
    /// gets the node and the kernel's clipped copy's range, `max(start, r.start)` ..
    /// `min(end, r.end)`; callers that need the kernel's `res->start`/`res->end` must use the
    /// clipped values, not `arena.get(id)`'s. A non-zero return stops the walk and is returned;
    /// if nothing is visited the result is `-EINVAL` (-22), as in the kernel.
    /// Simplification: if a visited range ends at `u64::MAX` the walk stops (the kernel's
    /// `start = res.end + 1` wraps to 0 and would revisit from the beginning forever).
    pub fn walk_res_desc<F>(
        &self,
        root: ResId,
        desc: u32,
        flags: u64,
        start: u64,
        end: u64,
        mut f: F,
    ) -> i32
    where
        F: FnMut(&ResourceArena, ResId, u64, u64) -> i32,
    {
        let mut ret = NEG_EINVAL;
        let mut start = start;
        while start < end {
            let Some((id, s, e)) = self.find_next_res(root, start, end, flags, desc) else {
                break;
            };
            ret = f(self, id, s, e);
            if ret != 0 {
                break;
            }
            if e == u64::MAX {
                break;
            }
            start = e + 1;
        }
        ret
    }

    // -----------------------------------------------------------------------------------------
    // /proc/iomem
    // -----------------------------------------------------------------------------------------

    /// `/proc/iomem` (or `/proc/ioports`) as read by root (CAP_SYS_ADMIN, real addresses):
    /// `r_start`/`r_next`/`r_show` of
    /// [kernel/resource.c](https://github.com/torvalds/linux/blob/master/kernel/resource.c).
    /// Every descendant of `root` in pre-order, one line each:
    /// `"%*s%0*llx-%0*llx : %s\n"` with `depth * 2` spaces, where depth counts the ancestors
    /// below `root` but is capped at `MAX_IORES_LEVEL` (5), and a minimum hex width of 4 if
    /// `root.end < 0x10000` else 8.
    pub fn render_proc_iomem(&self, root: ResId) -> String {
        use std::fmt::Write as _;
        let width = if self.get(root).end < 0x10000 { 4 } else { 8 };
        let mut out = String::new();
        let mut next = self.get(root).child;
        while let Some(r) = next {
            let rr = self.get(r);
            let mut depth = 0usize;
            let mut p = r;
            while depth < MAX_IORES_LEVEL {
                match self.get(p).parent {
                    Some(up) if up != root => {
                        p = up;
                        depth += 1;
                    }
                    _ => break,
                }
            }
            let _ = writeln!(
                out,
                "{:indent$}{:0width$x}-{:0width$x} : {}",
                "",
                rr.start,
                rr.end,
                rr.name,
                indent = depth * 2,
                width = width
            );
            next = self.next_resource(r, false, root);
        }
        out
    }
}

/// Iterator over a node's children, see [`ResourceArena::children`].
pub struct Children<'a> {
    arena: &'a ResourceArena,
    next: Option<ResId>,
}

impl Iterator for Children<'_> {
    type Item = ResId;
    fn next(&mut self) -> Option<ResId> {
        let id = self.next?;
        self.next = self.arena.get(id).sibling;
        Some(id)
    }
}

/// Pre-order iterator over a subtree with depths, see [`ResourceArena::iter_depth_first`].
pub struct DepthFirst<'a> {
    arena: &'a ResourceArena,
    root: ResId,
    next: Option<ResId>,
    depth: usize,
}

impl Iterator for DepthFirst<'_> {
    type Item = (ResId, usize);
    fn next(&mut self) -> Option<(ResId, usize)> {
        let id = self.next?;
        let depth = self.depth;
        let r = self.arena.get(id);
        if r.child.is_some() {
            self.next = r.child;
            self.depth += 1;
            return Some((id, depth));
        }
        let mut p = id;
        loop {
            if let Some(s) = self.arena.get(p).sibling {
                self.next = Some(s);
                break;
            }
            match self.arena.get(p).parent {
                Some(up) if up != self.root && self.depth > 0 => {
                    p = up;
                    self.depth -= 1;
                }
                _ => {
                    self.next = None;
                    break;
                }
            }
        }
        Some((id, depth))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: Name = Name::fixed("Soft Reserved");
    const RAM: Name = Name::fixed("System RAM");

    fn iomem(a: &mut ResourceArena) -> ResId {
        a.alloc(
            Name::fixed("PCI mem"),
            0,
            u64::MAX,
            IORESOURCE_MEM,
            IORES_DESC_NONE,
        )
    }

    fn mem(a: &mut ResourceArena, name: Name, start: u64, end: u64, desc: u32) -> ResId {
        a.alloc(name, start, end, IORESOURCE_MEM, desc)
    }

    fn kids(a: &ResourceArena, id: ResId) -> Vec<ResId> {
        a.children(id).collect()
    }

    /// Checks the structural invariants of the subtree: parent links, order, containment.
    fn check_tree(a: &ResourceArena, root: ResId) {
        for (id, _) in a.iter_depth_first(root) {
            let r = a.get(id);
            let p = a.get(r.parent.unwrap());
            assert!(
                p.start <= r.start && r.end <= p.end,
                "{} outside its parent",
                r.name
            );
            if let Some(s) = r.sibling {
                assert_eq!(a.get(s).parent, r.parent);
                assert!(a.get(s).start > r.end, "siblings overlap or out of order");
            }
        }
    }

    #[test]
    fn names_display() {
        assert_eq!(Name::fixed("Soft Reserved").to_string(), "Soft Reserved");
        assert_eq!(Name::id("region", 3).to_string(), "region3");
        assert_eq!(Name::id("CXL Window ", 0).to_string(), "CXL Window 0");
        assert_eq!(Name::id_sub("dax", 0, 0).to_string(), "dax0.0");
    }

    #[test]
    fn flag_values_are_the_kernels() {
        assert_eq!(IORESOURCE_MEM, 0x200);
        assert_eq!(IORESOURCE_BUSY, 0x8000_0000);
        assert_eq!(IORESOURCE_SYSTEM_RAM, 0x0100_0200);
        assert_eq!(IORESOURCE_SYSRAM_DRIVER_MANAGED, 0x0200_0000);
        assert_eq!(IORESOURCE_EXCLUSIVE, 0x0800_0000);
        assert_eq!(IORESOURCE_DAX_KMEM, 2);
        assert_eq!(
            (IORES_DESC_NONE, IORES_DESC_SOFT_RESERVED, IORES_DESC_CXL),
            (0, 8, 9)
        );
    }

    #[test]
    fn request_resource_orders_and_conflicts() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let hi = mem(&mut a, RAM, 0x3000, 0x3fff, 0);
        let lo = mem(&mut a, RAM, 0x1000, 0x1fff, 0);
        assert_eq!(a.request_resource(root, hi), Ok(()));
        assert_eq!(a.request_resource(root, lo), Ok(()));
        assert_eq!(kids(&a, root), vec![lo, hi]);
        let over = mem(&mut a, RAM, 0x1800, 0x27ff, 0);
        assert_eq!(a.request_resource_conflict(root, over), Some(lo));
        assert_eq!(a.request_resource(root, over), Err(Errno::EBUSY));
        assert_eq!(a.get(over).parent, None);
        // Outside the root or empty: the root is the conflict.
        let small_root = mem(&mut a, Name::fixed("small"), 0x1000, 0x1fff, 0);
        let out = mem(&mut a, RAM, 0x2000, 0x2fff, 0);
        assert_eq!(
            a.request_resource_conflict(small_root, out),
            Some(small_root)
        );
        let empty = mem(&mut a, RAM, 0x5000, 0x4fff, 0);
        assert_eq!(a.request_resource_conflict(root, empty), Some(root));
        check_tree(&a, root);
    }

    #[test]
    fn insert_sr_over_equal_cxl_window_becomes_parent() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let win = mem(
            &mut a,
            Name::id("CXL Window ", 0),
            0x8_5000_0000,
            0x28_4fff_ffff,
            IORES_DESC_CXL,
        );
        assert_eq!(a.insert_resource(root, win), Ok(()));
        let sr = mem(
            &mut a,
            SR,
            0x8_5000_0000,
            0x28_4fff_ffff,
            IORES_DESC_SOFT_RESERVED,
        );
        assert_eq!(a.insert_resource_conflict(root, sr), None);
        assert_eq!(kids(&a, root), vec![sr]);
        assert_eq!(kids(&a, sr), vec![win]);
        assert_eq!(a.get(win).parent, Some(sr));
        // Inserting another equal range nests again, on top.
        let sr2 = mem(
            &mut a,
            SR,
            0x8_5000_0000,
            0x28_4fff_ffff,
            IORES_DESC_SOFT_RESERVED,
        );
        assert_eq!(a.insert_resource(root, sr2), Ok(()));
        assert_eq!(kids(&a, root), vec![sr2]);
        assert_eq!(kids(&a, sr2), vec![sr]);
        // Duplicated insertion of a linked node reports itself.
        assert_eq!(a.insert_resource_conflict(root, sr2), Some(sr2));
        check_tree(&a, root);
    }

    #[test]
    fn insert_descends_into_strictly_containing_and_swallows_several() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let win = mem(
            &mut a,
            Name::id("CXL Window ", 0),
            0x10000,
            0x1ffff,
            IORES_DESC_CXL,
        );
        a.insert_resource(root, win).unwrap();
        let c1 = mem(&mut a, Name::id("region", 0), 0x10000, 0x10fff, 0);
        let c2 = mem(&mut a, Name::id("region", 1), 0x12000, 0x12fff, 0);
        let c3 = mem(&mut a, Name::id("region", 2), 0x18000, 0x18fff, 0);
        for c in [c1, c2, c3] {
            a.insert_resource(root, c).unwrap();
            assert_eq!(a.get(c).parent, Some(win));
        }
        // Covers c1 and c2 but not c3: becomes their parent, between win and c3.
        let sr = mem(&mut a, SR, 0x10000, 0x13fff, IORES_DESC_SOFT_RESERVED);
        assert_eq!(a.insert_resource(root, sr), Ok(()));
        assert_eq!(kids(&a, win), vec![sr, c3]);
        assert_eq!(kids(&a, sr), vec![c1, c2]);
        // Swallowing a non-first child fixes the predecessor's sibling link.
        let sr3 = mem(&mut a, SR, 0x17000, 0x19fff, IORES_DESC_SOFT_RESERVED);
        assert_eq!(a.insert_resource(win, sr3), Ok(()));
        assert_eq!(kids(&a, win), vec![sr, sr3]);
        assert_eq!(kids(&a, sr3), vec![c3]);
        check_tree(&a, root);
    }

    #[test]
    fn partial_overlap_insert_fails_with_conflict() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let r1 = mem(&mut a, RAM, 0x1000, 0x1fff, 0);
        let r2 = mem(&mut a, RAM, 0x3000, 0x3fff, 0);
        a.insert_resource(root, r1).unwrap();
        a.insert_resource(root, r2).unwrap();
        let bad = mem(&mut a, SR, 0x1800, 0x27ff, IORES_DESC_SOFT_RESERVED);
        assert_eq!(a.insert_resource_conflict(root, bad), Some(r1));
        // Contains r1 but only partly r2: the conflict is r2.
        let bad2 = mem(&mut a, SR, 0x0800, 0x37ff, IORES_DESC_SOFT_RESERVED);
        assert_eq!(a.insert_resource_conflict(root, bad2), Some(r2));
        assert_eq!(a.insert_resource(root, bad2), Err(Errno::EBUSY));
        assert_eq!(kids(&a, root), vec![r1, r2]);
        assert_eq!(a.get(bad2).parent, None);
        check_tree(&a, root);
    }

    #[test]
    fn expand_to_fit_window_over_equal_sr_becomes_parent() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let sr = mem(
            &mut a,
            SR,
            0x8_5000_0000,
            0x28_4fff_ffff,
            IORES_DESC_SOFT_RESERVED,
        );
        a.insert_resource(root, sr).unwrap();
        let win = mem(
            &mut a,
            Name::id("CXL Window ", 0),
            0x8_5000_0000,
            0x28_4fff_ffff,
            IORES_DESC_CXL,
        );
        a.insert_resource_expand_to_fit(root, win);
        assert_eq!(kids(&a, root), vec![win]);
        assert_eq!(kids(&a, win), vec![sr]);
        assert_eq!(
            (a.get(win).start, a.get(win).end),
            (0x8_5000_0000, 0x28_4fff_ffff)
        );
        check_tree(&a, root);
    }

    #[test]
    fn expand_to_fit_grows_over_partial_conflicts() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let r1 = mem(&mut a, SR, 0x1000, 0x1fff, IORES_DESC_SOFT_RESERVED);
        let r2 = mem(&mut a, SR, 0x3000, 0x3fff, IORES_DESC_SOFT_RESERVED);
        a.insert_resource(root, r1).unwrap();
        a.insert_resource(root, r2).unwrap();
        let new = mem(&mut a, Name::fixed("new"), 0x1800, 0x37ff, 0);
        a.insert_resource_expand_to_fit(root, new);
        assert_eq!((a.get(new).start, a.get(new).end), (0x1000, 0x3fff));
        assert_eq!(kids(&a, root), vec![new]);
        assert_eq!(kids(&a, new), vec![r1, r2]);
        // Already linked: no-op.
        a.insert_resource_expand_to_fit(root, new);
        assert_eq!(kids(&a, root), vec![new]);
        check_tree(&a, root);
    }

    #[test]
    fn request_region_descends_non_busy_and_fails_on_busy() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let win = mem(
            &mut a,
            Name::id("CXL Window ", 0),
            0x10000,
            0x1ffff,
            IORES_DESC_CXL,
        );
        a.insert_resource(root, win).unwrap();
        let region = mem(&mut a, Name::id("region", 0), 0x10000, 0x1ffff, 0);
        a.insert_resource(win, region).unwrap();
        let sr = mem(&mut a, SR, 0x10000, 0x1ffff, IORES_DESC_SOFT_RESERVED);
        a.insert_resource(region, sr).unwrap();
        let before = a.len();
        let dax = a
            .request_mem_region(root, 0x10000, 0x8000, Name::id_sub("dax", 0, 0))
            .unwrap();
        assert_eq!(a.get(dax).parent, Some(sr));
        assert_eq!(a.get(dax).flags, IORESOURCE_MEM | IORESOURCE_BUSY);
        assert_eq!(
            a.get(dax).desc,
            IORES_DESC_SOFT_RESERVED,
            "desc is inherited from the parent"
        );
        // Overlapping a BUSY resource fails, and leaves no node behind.
        assert_eq!(
            a.request_mem_region(root, 0x17000, 0x2000, Name::fixed("x")),
            None
        );
        assert_eq!(a.len(), before + 1);
        // Outside the last non-busy parent (straddles the window end): fails.
        assert_eq!(
            a.request_mem_region(root, 0x1f000, 0x2000, Name::fixed("x")),
            None
        );
        // Next to it: fine, same parent.
        let other = a
            .request_mem_region(root, 0x18000, 0x1000, Name::fixed("y"))
            .unwrap();
        assert_eq!(kids(&a, sr), vec![dax, other]);
        // Release: exact match only, through non-busy levels.
        assert!(!a.release_mem_region(root, 0x10000, 0x1000));
        assert!(a.release_mem_region(root, 0x10000, 0x8000));
        assert_eq!(kids(&a, sr), vec![other]);
        assert_eq!(a.get(dax).parent, None);
        assert!(!a.release_mem_region(root, 0x10000, 0x8000));
        check_tree(&a, root);
    }

    #[test]
    fn request_region_inherits_ext_type_and_adds_flags() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let ram = a.alloc(RAM, 0x1000, 0x1fff, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE);
        a.insert_resource(root, ram).unwrap();
        let r = a
            .__request_region(root, 0x1000, 0x100, Name::fixed("k"), IORESOURCE_EXCLUSIVE)
            .unwrap();
        assert_eq!(a.get(r).parent, Some(ram));
        assert_eq!(
            a.get(r).flags,
            IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY | IORESOURCE_EXCLUSIVE
        );
    }

    #[test]
    fn remove_resource_moves_children_up() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let before = mem(&mut a, RAM, 0x0, 0xfff, 0);
        let after = mem(&mut a, RAM, 0x9000, 0x9fff, 0);
        let c1 = mem(&mut a, Name::id("region", 0), 0x1000, 0x1fff, 0);
        let c2 = mem(&mut a, Name::id("region", 1), 0x3000, 0x3fff, 0);
        for r in [before, after, c1, c2] {
            a.insert_resource(root, r).unwrap();
        }
        let sr = mem(&mut a, SR, 0x1000, 0x3fff, IORES_DESC_SOFT_RESERVED);
        a.insert_resource(root, sr).unwrap();
        assert_eq!(kids(&a, root), vec![before, sr, after]);
        assert_eq!(a.remove_resource(sr), Ok(()));
        assert_eq!(kids(&a, root), vec![before, c1, c2, after]);
        assert_eq!(a.get(c1).parent, Some(root));
        assert_eq!(a.get(sr).parent, None);
        assert_eq!(a.get(sr).child, None);
        assert_eq!(a.remove_resource(sr), Err(Errno::EINVAL));
        check_tree(&a, root);
        // Childless remove and release_resource take the subtree along.
        let sr = mem(&mut a, SR, 0x1000, 0x3fff, IORES_DESC_SOFT_RESERVED);
        a.insert_resource(root, sr).unwrap();
        assert_eq!(a.release_resource(sr), Ok(()));
        assert_eq!(kids(&a, root), vec![before, after]);
        assert_eq!(kids(&a, sr), vec![c1, c2]);
        assert_eq!(a.get(c1).parent, Some(sr));
        assert_eq!(a.remove_resource(after), Ok(()));
        assert_eq!(kids(&a, root), vec![before]);
    }

    fn ri_tree() -> (ResourceArena, ResId) {
        // 0x0000-0x0fff System RAM (top level, match)
        // 0x1000-0x1fff Reserved (top level, no match)
        // 0x10000-0x1ffff CXL Window 0 (no match)
        //   0x10000-0x17fff System RAM (kmem)
        // 0x20000-0x2ffff CXL Window 1 (no match)
        //   0x20000-0x2ffff region1
        //     0x20000-0x2ffff System RAM (kmem)   (grandchild covers all)
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let ram = a.alloc(RAM, 0x0, 0xfff, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0);
        let rsv = a.alloc(
            Name::fixed("Reserved"),
            0x1000,
            0x1fff,
            IORESOURCE_MEM | IORESOURCE_BUSY,
            0,
        );
        let w0 = mem(
            &mut a,
            Name::id("CXL Window ", 0),
            0x10000,
            0x1ffff,
            IORES_DESC_CXL,
        );
        let w1 = mem(
            &mut a,
            Name::id("CXL Window ", 1),
            0x20000,
            0x2ffff,
            IORES_DESC_CXL,
        );
        for r in [ram, rsv, w0, w1] {
            a.insert_resource(root, r).unwrap();
        }
        let kmem0 = a.alloc(
            Name::fixed("System RAM (kmem)"),
            0x10000,
            0x17fff,
            IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
            0,
        );
        a.insert_resource(root, kmem0).unwrap();
        let reg1 = mem(&mut a, Name::id("region", 1), 0x20000, 0x2ffff, 0);
        a.insert_resource(w1, reg1).unwrap();
        let kmem1 = a.alloc(
            Name::fixed("System RAM (kmem)"),
            0x20000,
            0x2ffff,
            IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
            0,
        );
        a.insert_resource(reg1, kmem1).unwrap();
        check_tree(&a, root);
        (a, root)
    }

    #[test]
    fn region_intersects_cases() {
        use RegionIntersects::*;
        let (a, root) = ri_tree();
        let f = IORESOURCE_SYSTEM_RAM;
        let n = IORES_DESC_NONE;
        // Disjoint: nothing there; and only non-matching resources there.
        assert_eq!(a.region_intersects(root, 0x5000, 0x1000, f, n), Disjoint);
        assert_eq!(a.region_intersects(root, 0x1000, 0x1000, f, n), Disjoint);
        // Intersects via a top-level match (hole next to it does not count).
        assert_eq!(a.region_intersects(root, 0x0, 0x1000, f, n), Intersects);
        assert_eq!(a.region_intersects(root, 0x800, 0x800, f, n), Intersects);
        // Intersects via a descendant covering the range inside a non-matching window.
        assert_eq!(a.region_intersects(root, 0x10000, 0x8000, f, n), Intersects);
        assert_eq!(a.region_intersects(root, 0x12000, 0x1000, f, n), Intersects);
        assert_eq!(
            a.region_intersects(root, 0x20000, 0x10000, f, n),
            Intersects,
            "grandchild"
        );
        // Mixed via a descendant covering only part of the window's intersection.
        assert_eq!(a.region_intersects(root, 0x10000, 0x10000, f, n), Mixed);
        assert_eq!(a.region_intersects(root, 0x17000, 0x2000, f, n), Mixed);
        // Mixed across two top-level resources, one matching.
        assert_eq!(a.region_intersects(root, 0x0, 0x2000, f, n), Mixed);
        // desc filtering: CXL windows match IORESOURCE_MEM + IORES_DESC_CXL.
        assert_eq!(
            a.region_intersects(root, 0x10000, 0x20000, IORESOURCE_MEM, IORES_DESC_CXL),
            Intersects
        );
        assert_eq!(
            a.region_intersects(root, 0x1000, 0x10000, IORESOURCE_MEM, IORES_DESC_CXL),
            Mixed
        );
        // flags 0 + NONE matches everything (get_free_mem_region's use): any overlap intersects.
        assert_eq!(a.region_intersects(root, 0x5000, 0x1000, 0, n), Disjoint);
        assert_eq!(a.region_intersects(root, 0x1800, 0x1000, 0, n), Intersects);
    }

    #[test]
    fn region_intersects_gap_between_matching_descendants_is_mixed() {
        use RegionIntersects::*;
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let w = mem(
            &mut a,
            Name::id("CXL Window ", 0),
            0x10000,
            0x1ffff,
            IORES_DESC_CXL,
        );
        a.insert_resource(root, w).unwrap();
        let k1 = a.alloc(RAM, 0x10000, 0x13fff, IORESOURCE_SYSTEM_RAM, 0);
        let k2 = a.alloc(RAM, 0x14000, 0x1ffff, IORESOURCE_SYSTEM_RAM, 0);
        a.insert_resource(w, k1).unwrap();
        a.insert_resource(w, k2).unwrap();
        // Adjacent matching children cover the window together.
        assert_eq!(
            a.region_intersects(root, 0x10000, 0x10000, IORESOURCE_SYSTEM_RAM, 0),
            Intersects
        );
        a.release_resource(k1).unwrap();
        let k1 = a.alloc(RAM, 0x10000, 0x12fff, IORESOURCE_SYSTEM_RAM, 0);
        a.insert_resource(w, k1).unwrap();
        assert_eq!(
            a.region_intersects(root, 0x10000, 0x10000, IORESOURCE_SYSTEM_RAM, 0),
            Mixed
        );
        // Starting inside the second child only: covered.
        assert_eq!(
            a.region_intersects(root, 0x15000, 0x1000, IORESOURCE_SYSTEM_RAM, 0),
            Intersects
        );
    }

    #[test]
    fn walk_res_desc_visits_descendants_clipped_in_order() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let sr_top = mem(&mut a, SR, 0x1000, 0x1fff, IORES_DESC_SOFT_RESERVED);
        let w = mem(
            &mut a,
            Name::id("CXL Window ", 0),
            0x10000,
            0x1ffff,
            IORES_DESC_CXL,
        );
        let sr_in = mem(&mut a, SR, 0x10000, 0x1ffff, IORES_DESC_SOFT_RESERVED);
        a.insert_resource(root, sr_top).unwrap();
        a.insert_resource(root, w).unwrap();
        a.insert_resource(w, sr_in).unwrap();
        // A nested SR inside sr_in: already covered by the visit of sr_in, not visited.
        let sr_nested = mem(&mut a, SR, 0x11000, 0x11fff, IORES_DESC_SOFT_RESERVED);
        a.insert_resource(sr_in, sr_nested).unwrap();
        let mut seen = Vec::new();
        let ret = a.walk_res_desc(
            root,
            IORES_DESC_SOFT_RESERVED,
            IORESOURCE_MEM,
            0x1800,
            0x18000,
            |_, id, s, e| {
                seen.push((id, s, e));
                0
            },
        );
        assert_eq!(ret, 0);
        assert_eq!(
            seen,
            vec![(sr_top, 0x1800, 0x1fff), (sr_in, 0x10000, 0x18000)]
        );
        // Full range, stop on non-zero.
        let mut n = 0;
        let ret = a.walk_res_desc(
            root,
            IORES_DESC_SOFT_RESERVED,
            IORESOURCE_MEM,
            0,
            u64::MAX,
            |_, _, _, _| {
                n += 1;
                7
            },
        );
        assert_eq!((ret, n), (7, 1));
        // Nothing found: -EINVAL.
        let ret = a.walk_res_desc(
            root,
            IORES_DESC_PERSISTENT_MEMORY,
            IORESOURCE_MEM,
            0,
            u64::MAX,
            |_, _, _, _| 0,
        );
        assert_eq!(ret, -22);
        // start >= end: -EINVAL without visiting.
        let ret = a.walk_res_desc(root, IORES_DESC_NONE, 0, 0x1000, 0x1000, |_, _, _, _| 1);
        assert_eq!(ret, -22);
        // flags must all be present: BUSY is not.
        let ret = a.walk_res_desc(
            root,
            IORES_DESC_NONE,
            IORESOURCE_MEM | IORESOURCE_BUSY,
            0,
            u64::MAX,
            |_, _, _, _| 1,
        );
        assert_eq!(ret, -22);
        // IORES_DESC_NONE matches the first overlapping resource in pre-order: the window.
        let mut seen = Vec::new();
        a.walk_res_desc(
            root,
            IORES_DESC_NONE,
            IORESOURCE_MEM,
            0x10000,
            0x10fff,
            |_, id, _, _| {
                seen.push(id);
                0
            },
        );
        assert_eq!(seen, vec![w]);
    }

    /// The target tree built the way the kernel builds it: CXL window, region (inserted under
    /// the window), Soft Reserved inserted under the region, dax0.0 by request_mem_region (kmem)
    /// descending through non-busy levels, then kmem's busy-clear + add_memory_driver_managed.
    #[test]
    fn render_proc_iomem_exact() {
        let mut a = ResourceArena::new();
        let root = iomem(&mut a);
        let (s, e) = (0x8_5000_0000u64, 0x28_4fff_ffffu64);
        let win = mem(&mut a, Name::id("CXL Window ", 0), s, e, IORES_DESC_CXL);
        a.insert_resource(root, win).unwrap();
        let region = mem(&mut a, Name::id("region", 0), s, e, IORES_DESC_NONE);
        a.insert_resource(win, region).unwrap();
        let sr = mem(&mut a, SR, s, e, IORES_DESC_SOFT_RESERVED);
        a.insert_resource(region, sr).unwrap();
        let dax = a
            .request_mem_region(root, s, e - s + 1, Name::id_sub("dax", 0, 0))
            .unwrap();
        assert_eq!(a.get(dax).parent, Some(sr));
        a.get_mut(dax).flags &= !IORESOURCE_BUSY;
        let flags = IORESOURCE_SYSTEM_RAM | IORESOURCE_SYSRAM_DRIVER_MANAGED;
        let kmem = a
            .__request_region(root, s, e - s + 1, Name::fixed("System RAM (kmem)"), flags)
            .unwrap();
        a.get_mut(dax).flags |= IORESOURCE_BUSY;
        assert_eq!(a.get(kmem).parent, Some(dax));
        assert_eq!(
            a.get(kmem).flags,
            IORESOURCE_SYSTEM_RAM | IORESOURCE_SYSRAM_DRIVER_MANAGED | IORESOURCE_BUSY
        );
        let want = "\
850000000-284fffffff : CXL Window 0
  850000000-284fffffff : region0
    850000000-284fffffff : Soft Reserved
      850000000-284fffffff : dax0.0
        850000000-284fffffff : System RAM (kmem)
";
        assert_eq!(a.render_proc_iomem(root), want);
        let depths: Vec<usize> = a.iter_depth_first(root).map(|(_, d)| d).collect();
        assert_eq!(depths, vec![0, 1, 2, 3, 4]);
        assert_eq!(
            a.iter_depth_first(root)
                .map(|(id, _)| id)
                .collect::<Vec<_>>(),
            vec![win, region, sr, dax, kmem]
        );
    }

    #[test]
    fn render_proc_iomem_small_width_and_padding() {
        let mut a = ResourceArena::new();
        let io = a.alloc(Name::fixed("PCI IO"), 0, 0xffff, IORESOURCE_IO, 0);
        let dma = a.alloc(Name::fixed("dma1"), 0, 0x1f, IORESOURCE_IO, 0);
        let kbd = a.alloc(Name::fixed("keyboard"), 0x60, 0x60, IORESOURCE_IO, 0);
        let pci = a.alloc(
            Name::fixed("PCI Bus 0000:00"),
            0x0d00,
            0xffff,
            IORESOURCE_IO,
            0,
        );
        let dev = a.alloc(
            Name::fixed("0000:00:1f.0"),
            0xe000,
            0xe01f,
            IORESOURCE_IO,
            0,
        );
        for r in [dma, kbd, pci] {
            a.request_resource(io, r).unwrap();
        }
        a.request_resource(pci, dev).unwrap();
        assert_eq!(
            a.render_proc_iomem(io),
            "0000-001f : dma1\n0060-0060 : keyboard\n0d00-ffff : PCI Bus 0000:00\n  e000-e01f : 0000:00:1f.0\n"
        );
        // Root end >= 0x10000: width 8, small values zero-padded to 8 digits.
        let mut b = ResourceArena::new();
        let root = iomem(&mut b);
        let ram = b.alloc(
            Name::fixed("System RAM"),
            0x1000,
            0x9fbff,
            IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
            0,
        );
        b.request_resource(root, ram).unwrap();
        assert_eq!(
            b.render_proc_iomem(root),
            "00001000-0009fbff : System RAM\n"
        );
        // Empty tree renders nothing.
        let empty = b.alloc(Name::fixed("empty"), 0, 0xffff, IORESOURCE_IO, 0);
        assert_eq!(b.render_proc_iomem(empty), "");
    }

    #[test]
    fn render_proc_iomem_caps_depth_at_max_iores_level() {
        let mut a = ResourceArena::new();
        let root = a.alloc(Name::fixed("PCI IO"), 0, 0xffff, IORESOURCE_IO, 0);
        let mut parent = root;
        for i in 0..8u32 {
            let r = a.alloc(
                Name::id("l", i),
                0x100 + i as u64,
                0x1ff - i as u64,
                IORESOURCE_IO,
                0,
            );
            a.request_resource(parent, r).unwrap();
            parent = r;
        }
        let text = a.render_proc_iomem(root);
        let indents: Vec<usize> = text
            .lines()
            .map(|l| l.len() - l.trim_start().len())
            .collect();
        assert_eq!(indents, vec![0, 2, 4, 6, 8, 10, 10, 10]);
        let depths: Vec<usize> = a.iter_depth_first(root).map(|(_, d)| d).collect();
        assert_eq!(depths, vec![0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn iter_depth_first_climbs_back_and_stays_in_subtree() {
        let (a, root) = ri_tree();
        let got: Vec<(String, usize)> = a
            .iter_depth_first(root)
            .map(|(id, d)| (a.get(id).name.to_string(), d))
            .collect();
        let want = [
            ("System RAM", 0),
            ("Reserved", 0),
            ("CXL Window 0", 0),
            ("System RAM (kmem)", 1),
            ("CXL Window 1", 0),
            ("region1", 1),
            ("System RAM (kmem)", 2),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(n, d)| (n.to_string(), *d))
                .collect::<Vec<_>>()
        );
        // A subtree iteration does not escape into the root's later children.
        let w0 = a.lookup_resource(root, 0x10000).unwrap();
        assert_eq!(a.iter_depth_first(w0).count(), 1);
        assert_eq!(a.render_proc_iomem(w0).lines().count(), 1);
    }

    #[test]
    fn resource_contains_checks_type_and_unset() {
        let mut a = ResourceArena::new();
        let big = mem(&mut a, SR, 0x1000, 0x4fff, 0);
        let small = mem(&mut a, SR, 0x2000, 0x2fff, 0);
        let io = a.alloc(Name::fixed("io"), 0x2000, 0x2fff, IORESOURCE_IO, 0);
        let ram = a.alloc(
            RAM,
            0x2000,
            0x2fff,
            IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
            0,
        );
        assert!(a.resource_contains(big, small));
        assert!(!a.resource_contains(small, big));
        assert!(a.resource_contains(big, big));
        assert!(!a.resource_contains(big, io), "different type");
        assert!(
            a.resource_contains(big, ram),
            "ext type and other bits do not matter"
        );
        a.get_mut(small).flags |= IORESOURCE_UNSET;
        assert!(!a.resource_contains(big, small));
    }
}
