//! Structure-aware minimization of a [`Scenario`]: given a scenario and a property of it (a
//! predicate `keeps`, such as "the differential check between these two designs reports a
//! region difference"), find a smaller scenario that still has the property, by reductions
//! that know what a scenario is made of.
//!
//! # Candidates
//!
//! A reduction turns the current scenario into a candidate. Only candidates that are
//! well-formed ([`text::well_formed`]: every range nonempty, every index in range) and whose
//! platform passes [`Platform::validate`](crate::scenario::Platform::validate) under the
//! platform's own quirks are ever passed to `keeps`: together that is exactly what
//! [`text::parse`] accepts, so every scenario `keeps` sees, and the result, is one the CLI
//! would read back and the judges would believe (architecture invariant: every platform that
//! reaches the model passes the rules). A reduction whose candidate breaks a rule is skipped,
//! never "repaired" by inventing a quirk. Candidates `keeps` rejected are remembered (by
//! value, lookups only) and never evaluated twice, so `keeps` must be a function of the
//! scenario — every check in [`crate::checks`] is (architecture invariant: determinism).
//!
//! # Reductions
//!
//! A *pass* tries the steps below in order; each takes a candidate as soon as `keeps` holds on
//! it and goes on from there. Passes repeat until a whole pass takes nothing.
//!
//! 1. **Events**, ddmin-style: drop the whole list, then halves, quarters, … then single
//!    events. Events refer to the platform only by index, never the other way round, so
//!    dropping one never invalidates anything.
//! 2. **Schedule bytes**: the same chunk dropping (the first chunk is the whole schedule:
//!    truncation to empty), then every byte set to 0 at once, then each nonzero byte set to 0.
//!    Any byte string is a schedule; past its end the oldest runnable task runs.
//! 3. **Kconfig request**. First every request that `olddefconfig` ignores under *every*
//!    design's rules (the resolved `Kconfig` is equal with and without it, for each rule set of
//!    [`designs::all`]) is dropped without asking `keeps`: a run reads the request only
//!    through `olddefconfig` with its design's rules ([`crate::model`]), so every run of every
//!    design is the same with or without it. Then each remaining request is unset (the symbol
//!    takes its default), or else a `y` request becomes `m`, each only if `keeps` holds. If
//!    `keeps` reads the request some other way (a predicate over the raw request, or a design
//!    outside [`designs::all`]), the unevaluated drops are confirmed with one evaluation once
//!    a pass takes nothing; should that fail, they are taken back and the search goes on
//!    evaluating every Kconfig step, so the result keeps the property whatever `keeps` reads.
//! 4. **Platform items**, ddmin-style per kind (memdevs, windows, Soft Reserved ranges, HMAT
//!    targets, host bridges), with the indices that refer to them fixed up: dropping window
//!    `w` drops the `create-region window=w` events and shifts higher window indices down;
//!    dropping memdev `m` drops `hotadd mem<m>` and shifts higher memdev indices down, in
//!    `hotadd` and in the `memdevs=` bit masks (the bit of `m` cleared); dropping a host
//!    bridge shifts window targets and memdev host bridges down, and is skipped while a window
//!    or memdev that stays refers to it. An item means nothing by its position, so with the
//!    fix-ups every reference that stays names the same item as before.
//! 5. **Platform items with their dependents**, one seed at a time: the seed and everything
//!    that cannot stay without it, to a fixed point — windows targeting a dropped host bridge
//!    and memdevs below it; a dropped memdev's decoder; decoders inside a dropped window,
//!    over a dropped Soft Reserved range or in the same region as a dropped decoder (a
//!    region's members go together); Soft Reserved ranges over a dropped decoder; HMAT
//!    targets over a dropped Soft Reserved range. The rules tie a firmware description
//!    together (a committed region needs Soft Reserved over it, Soft Reserved in a window
//!    needs committed decoders under it), so a region with its memory and its bridge often
//!    goes only as a whole. Seeds: each host bridge, window, memdev, committed decoder, Soft
//!    Reserved range and HMAT target.
//! 6. **Committed decoders**: each memdev's decoder set to none; then each region's (every
//!    member's at once).
//! 7. **Interleave**: a region of more than one way kept by one of its members alone — the
//!    others dropped (with the fix-ups of step 4), its decoder 1-way at position 0 over the
//!    same range, its capacity raised to the whole range if it was smaller (the
//!    `decoder-capacity` rule); failing that, the same with the window that holds the region
//!    narrowed to that member's host bridge. The rules check what this leaves (the window's
//!    ways, the decoder's position in them).
//! 8. **Window targets**: each target of each window dropped (fewer interleave ways); the
//!    rules reject it where a decoder's interleave no longer fits.
//! 9. **Quirks**: each dropped (valid only if the platform no longer needs it);
//!    `hmem_test` (cxl_test's mock range) cleared.
//! 10. **Sizes**. The whole platform scaled toward its lowest address — every address's
//!     offset from it and every size (ranges, decoders, the hmem-test range, memdev
//!     capacities) halved at once, repeated while valid and kept. Halving is taken only when every offset and size is
//!     even, so the map `x ↦ lowest + (x − lowest)/2` is exact and keeps every relation the
//!     rules and the kernel look at (order, equality, nesting, overlap, adjacency, a decoder's
//!     share against its capacity); what it can break, alignment to 256 MiB, the rules catch.
//!     Then the whole platform translated down so its lowest range starts at [`GRID_BASE`]
//!     (a translation keeps every relation; alignment is again the rules' to check). Then,
//!     one item at a time, its size halved with its start kept, while valid and kept: each
//!     window, Soft Reserved range, HMAT target, region (every member's decoder at once) and
//!     memdev capacity. This one changes relations (a window left larger than what it holds
//!     shrinks to it), so only the rules and `keeps` vouch for it.
//! 11. **Renumbering**: host bridge UIDs set to 0, 1, … in order; HMAT nids set to 1, 2, … in
//!     order of first use (node 0 is left to what SRAT gives memory that no target describes:
//!     the model's `phys_to_target_node` answers 0 there). Each when kept.
//!
//! Every step taken removes something (an item, event, byte, request, decoder, target or
//! quirk), or removes nothing and lowers a value that no such step raises (a schedule byte, a
//! requested tristate, a size or address, the UIDs in lexicographic order), or puts the nids
//! in their one dense numbering; so the search ends.
//!
//! # 1-minimal
//!
//! The result is 1-minimal with respect to these steps: no *single* step above — dropping one
//! event, schedule byte or platform item (alone or with its dependents), clearing one decoder
//! or region, keeping a region by one member, dropping one window target or quirk, clearing
//! `hmem_test`, zeroing one schedule byte, truncating the schedule, unsetting one Kconfig
//! request or turning one `y` into `m`, one uniform halving, the translation, halving one
//! item, one renumbering — applied to the result gives a candidate that is valid and keeps the
//! property: the last pass tried each of them on the result, and each was invalid or `keeps`
//! refused it. The chunks of steps 1, 2 and 4 only get there sooner. Removing two things at
//! once may still keep the property: 1-minimal is not minimum.
//!
//! Deterministic: the steps run in a fixed order over items in index order; nothing iterates
//! a hash map and nothing is random, so the same scenario and predicate give the same result
//! and the same number of evaluations.

use std::collections::HashSet;
use std::ops::Range as Span;

use crate::designs;
use crate::kernel::kconfig::{olddefconfig, KconfigRequest, KconfigRules, Sym, Tristate};
use crate::scenario::rules::overlaps;
use crate::scenario::{text, Event, Platform, Scenario, GRID_BASE};

/// What a minimization did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Minimized {
    /// The smallest scenario found that keeps the property (the input, if it did not).
    pub scenario: Scenario,
    /// Calls of the predicate, the one on the input included.
    pub evaluations: usize,
    /// Reductions taken (a Kconfig request dropped without an evaluation counts as one, unless
    /// it was taken back).
    pub accepted: usize,
}

/// Reduces `s` to a 1-minimal scenario for which `keeps` still holds: no single reduction step
/// listed in the [module documentation](self) (with why each is safe), applied to the result,
/// gives a scenario that is valid and keeps the property. `keeps(s)` must be true on entry
/// (else returns s unchanged with evaluations = 1).
///
/// Only scenarios that [`text::parse`] would accept are passed to `keeps` (besides `s`
/// itself, which the caller vouches for); `keeps` must be a function of the scenario.
pub fn minimize(s: &Scenario, keeps: &mut dyn FnMut(&Scenario) -> bool) -> Minimized {
    if !keeps(s) {
        return Minimized {
            scenario: s.clone(),
            evaluations: 1,
            accepted: 0,
        };
    }
    let mut m = Search {
        best: s.clone(),
        keeps,
        evaluations: 1,
        accepted: 0,
        rejected: HashSet::new(),
        rules: distinct_rules(),
        trust_kconfig: true,
        unconfirmed: None,
    };
    loop {
        let before = m.accepted;
        m.pass();
        if m.accepted != before {
            continue;
        }
        // A whole pass accepted nothing: a fixpoint, unless it rests on unevaluated drops.
        let Some((fallback, drops)) = m.unconfirmed.take() else {
            break;
        };
        m.evaluations += 1;
        if (m.keeps)(&m.best) {
            break;
        }
        // `keeps` sees more of the Kconfig request than the designs' olddefconfig does.
        m.best = fallback;
        m.accepted -= drops;
        m.trust_kconfig = false;
    }
    Minimized {
        scenario: m.best,
        evaluations: m.evaluations,
        accepted: m.accepted,
    }
}

/// Whether `c` may be passed to the predicate: what [`text::parse`] accepts.
fn admissible(c: &Scenario) -> bool {
    text::well_formed(c)
        && c.platform.validate().is_ok()
        && crate::scenario::hmem_test_config(c).is_none()
}

/// The Kconfig rules of every design, each distinct set once.
fn distinct_rules() -> Vec<&'static KconfigRules> {
    let mut ids: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    for d in designs::all() {
        let ops = d.ops();
        if !ids.contains(&ops.kconfig_id) {
            ids.push(ops.kconfig_id);
            out.push(&ops.kconfig);
        }
    }
    out
}

struct Search<'k> {
    /// The smallest scenario accepted so far.
    best: Scenario,
    keeps: &'k mut dyn FnMut(&Scenario) -> bool,
    evaluations: usize,
    accepted: usize,
    /// Candidates `keeps` refused.
    rejected: HashSet<Scenario>,
    /// Every design's Kconfig rules, for the unevaluated drops.
    rules: Vec<&'static KconfigRules>,
    /// Whether Kconfig requests every design ignores may be dropped without asking `keeps`.
    trust_kconfig: bool,
    /// The last scenario `keeps` confirmed and how many unevaluated drops were taken since.
    unconfirmed: Option<(Scenario, usize)>,
}

impl Search<'_> {
    /// Evaluates `c` if it is a new, admissible candidate; takes it if `keeps` holds.
    fn try_accept(&mut self, c: Scenario) -> bool {
        if c == self.best || !admissible(&c) || self.rejected.contains(&c) {
            return false;
        }
        self.evaluations += 1;
        if (self.keeps)(&c) {
            self.best = c;
            self.accepted += 1;
            // `keeps` holds on a scenario with every unevaluated drop in it.
            self.unconfirmed = None;
            true
        } else {
            self.rejected.insert(c);
            false
        }
    }

    fn try_some(&mut self, c: Option<Scenario>) -> bool {
        c.is_some_and(|c| self.try_accept(c))
    }

    fn pass(&mut self) {
        self.ddmin(
            |s| s.events.len(),
            |s, span| drop_span(s, Kind::Event, span),
        );
        self.schedule();
        self.kconfig();
        for kind in PLATFORM_KINDS {
            self.ddmin(|s| kind.count(s), |s, span| drop_span(s, kind, span));
        }
        for kind in DEPENDENT_KINDS {
            let mut i = 0;
            while i < kind.count(&self.best) {
                let c = with_dependents(&self.best, kind, i);
                if !self.try_some(c) {
                    i += 1;
                }
            }
        }
        for i in 0..self.best.platform.memdevs.len() {
            let c = clear_decoder(&self.best, i);
            self.try_some(c);
            let c = clear_region(&self.best, i);
            self.try_some(c);
        }
        let mut i = 0;
        while i < self.best.platform.memdevs.len() {
            let c = deinterleave(&self.best, i, false);
            if !self.try_some(c) {
                let c = deinterleave(&self.best, i, true);
                self.try_some(c);
            }
            i += 1;
        }
        for w in 0..self.best.platform.windows.len() {
            let mut k = 0;
            while k < self.best.platform.windows[w].targets.len() {
                let c = drop_target(&self.best, w, k);
                if !self.try_some(c) {
                    k += 1;
                }
            }
        }
        let quirks: Vec<_> = self.best.platform.quirks.iter().collect();
        for q in quirks {
            let c = drop_quirk(&self.best, q);
            self.try_some(c);
        }
        let c = no_hmem_test(&self.best);
        self.try_some(c);
        while self.try_some(halve(&self.best)) {}
        let c = translate_to_grid_base(&self.best);
        self.try_some(c);
        for kind in SIZED_KINDS {
            for i in 0..kind.count(&self.best) {
                while self.try_some(halve_item(&self.best, kind, i)) {}
            }
        }
        let c = renumber_uids(&self.best);
        self.try_some(c);
        let c = renumber_nids(&self.best);
        self.try_some(c);
    }

    /// Drops chunks of a list: the whole list, then halves, quarters, … then single items.
    fn ddmin(
        &mut self,
        len: impl Fn(&Scenario) -> usize,
        drop: impl Fn(&Scenario, Span<usize>) -> Option<Scenario>,
    ) {
        let mut size = len(&self.best);
        while size > 0 {
            let mut i = 0;
            while i < len(&self.best) {
                let hi = (i + size).min(len(&self.best));
                if !self.try_some(drop(&self.best, i..hi)) {
                    i += size;
                }
            }
            if size == 1 {
                break;
            }
            size = size.div_ceil(2);
        }
    }

    fn schedule(&mut self) {
        self.ddmin(|s| s.schedule.len(), drop_schedule);
        let c = zero_schedule(&self.best);
        self.try_some(c);
        for i in 0..self.best.schedule.len() {
            let c = zero_byte(&self.best, i);
            self.try_some(c);
        }
    }

    fn kconfig(&mut self) {
        if self.trust_kconfig {
            for sym in Sym::ALL {
                let Some(c) = unset(&self.best, sym) else {
                    continue;
                };
                if self.same_everywhere(&self.best.kconfig, &c.kconfig) && admissible(&c) {
                    let (_, drops) = self
                        .unconfirmed
                        .get_or_insert_with(|| (self.best.clone(), 0));
                    *drops += 1;
                    self.best = c;
                    self.accepted += 1;
                }
            }
        }
        for sym in Sym::ALL {
            let c = unset(&self.best, sym);
            if !self.try_some(c) {
                let c = y_to_m(&self.best, sym);
                self.try_some(c);
            }
        }
    }

    /// Whether `a` and `b` resolve to the same Kconfig under every design's rules.
    fn same_everywhere(&self, a: &KconfigRequest, b: &KconfigRequest) -> bool {
        self.rules
            .iter()
            .all(|r| olddefconfig(a, r) == olddefconfig(b, r))
    }
}

// ---------------------------------------------------------------------------------------------
// Removing items, with index fix-ups.

/// The kinds of item a scenario lists.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Event,
    SoftReserved,
    Hmat,
    HostBridge,
    Window,
    Memdev,
    /// A memdev's committed decoder, by memdev index (removing it sets `decoder` to none).
    Decoder,
}

/// The kinds whose chunks step 4 drops, in order.
const PLATFORM_KINDS: [Kind; 5] = [
    Kind::Memdev,
    Kind::Window,
    Kind::SoftReserved,
    Kind::Hmat,
    Kind::HostBridge,
];

/// The kinds whose items step 5 drops with their dependents, in order.
const DEPENDENT_KINDS: [Kind; 6] = [
    Kind::HostBridge,
    Kind::Window,
    Kind::Memdev,
    Kind::Decoder,
    Kind::SoftReserved,
    Kind::Hmat,
];

impl Kind {
    fn count(self, s: &Scenario) -> usize {
        let p = &s.platform;
        match self {
            Kind::Event => s.events.len(),
            Kind::SoftReserved => p.soft_reserved.len(),
            Kind::Hmat => p.hmat_targets.len(),
            Kind::HostBridge => p.host_bridges.len(),
            Kind::Window => p.windows.len(),
            Kind::Memdev | Kind::Decoder => p.memdevs.len(),
        }
    }
}

/// Items to remove, one flag per item of each kind.
struct Removal {
    marks: [Vec<bool>; 7],
}

impl Removal {
    fn none(s: &Scenario) -> Removal {
        let kinds = [
            Kind::Event,
            Kind::SoftReserved,
            Kind::Hmat,
            Kind::HostBridge,
            Kind::Window,
            Kind::Memdev,
            Kind::Decoder,
        ];
        Removal {
            marks: kinds.map(|k| vec![false; k.count(s)]),
        }
    }

    fn has(&self, kind: Kind, i: usize) -> bool {
        self.marks[kind as usize].get(i).copied().unwrap_or(false)
    }

    /// Marks item `i`; true if it was not marked.
    fn mark(&mut self, kind: Kind, i: usize) -> bool {
        match self.marks[kind as usize].get_mut(i) {
            Some(m) if !*m => {
                *m = true;
                true
            }
            _ => false,
        }
    }
}

/// New indices of the items of a kind that stay (`None`: removed).
fn renumbering(r: &Removal, kind: Kind, n: usize) -> Vec<Option<u8>> {
    let mut next = 0u8;
    (0..n)
        .map(|i| {
            if r.has(kind, i) {
                None
            } else {
                let k = next;
                next = next.wrapping_add(1);
                Some(k)
            }
        })
        .collect()
}

/// `s` without the items `r` marks, every index fixed up; `None` if an item that stays refers
/// to a host bridge that goes.
fn apply(s: &Scenario, r: &Removal) -> Option<Scenario> {
    let p = &s.platform;
    let hb = renumbering(r, Kind::HostBridge, p.host_bridges.len());
    let win = renumbering(r, Kind::Window, p.windows.len());
    let mem = renumbering(r, Kind::Memdev, p.memdevs.len());
    let keep = |kind: Kind, i: usize| !r.has(kind, i);
    let mut windows = Vec::with_capacity(p.windows.len());
    for (i, w) in p.windows.iter().enumerate() {
        if !keep(Kind::Window, i) {
            continue;
        }
        let mut w = w.clone();
        for t in &mut w.targets {
            // An out-of-range target stays out of range (the candidate is refused).
            if let Some(&new) = hb.get(*t as usize) {
                *t = new?;
            }
        }
        windows.push(w);
    }
    let mut memdevs = Vec::with_capacity(p.memdevs.len());
    for (i, m) in p.memdevs.iter().enumerate() {
        if !keep(Kind::Memdev, i) {
            continue;
        }
        let mut m = m.clone();
        if let Some(&new) = hb.get(m.host_bridge as usize) {
            m.host_bridge = new?;
        }
        if !keep(Kind::Decoder, i) {
            m.decoder = None;
        }
        memdevs.push(m);
    }
    let events = s
        .events
        .iter()
        .enumerate()
        .filter(|&(i, _)| keep(Kind::Event, i))
        .filter_map(|(_, &e)| match e {
            Event::HotAddMemdev(m) => match mem.get(m as usize) {
                Some(&new) => new.map(Event::HotAddMemdev),
                None => Some(e),
            },
            Event::CreateRamRegion { window, memdevs } => {
                let window = match win.get(window as usize) {
                    Some(&new) => new?,
                    None => window,
                };
                let mut mask = 0u8;
                for b in (0..8).filter(|b| memdevs & (1 << b) != 0) {
                    match mem.get(b) {
                        Some(Some(new)) => mask |= 1 << new,
                        Some(None) => {}
                        None => mask |= 1 << b,
                    }
                }
                Some(Event::CreateRamRegion {
                    window,
                    memdevs: mask,
                })
            }
            e => Some(e),
        })
        .collect();
    let kept = |kind: Kind, n: usize| (0..n).filter(move |&i| keep(kind, i));
    Some(Scenario {
        platform: Platform {
            soft_reserved: kept(Kind::SoftReserved, p.soft_reserved.len())
                .map(|i| p.soft_reserved[i])
                .collect(),
            hmat_targets: kept(Kind::Hmat, p.hmat_targets.len())
                .map(|i| p.hmat_targets[i])
                .collect(),
            host_bridges: kept(Kind::HostBridge, p.host_bridges.len())
                .map(|i| p.host_bridges[i])
                .collect(),
            windows,
            memdevs,
            hmem_test: p.hmem_test,
            quirks: p.quirks,
        },
        kconfig: s.kconfig.clone(),
        events,
        schedule: s.schedule.clone(),
        scheduler: s.scheduler,
    })
}

/// `s` without the items `span` of `kind` (alone: a host bridge something still refers to
/// stays, and the candidate is `None`).
fn drop_span(s: &Scenario, kind: Kind, span: Span<usize>) -> Option<Scenario> {
    let mut r = Removal::none(s);
    for i in span {
        r.mark(kind, i);
    }
    if kind == Kind::Memdev {
        for i in 0..s.platform.memdevs.len() {
            if r.has(Kind::Memdev, i) {
                r.mark(Kind::Decoder, i);
            }
        }
    }
    apply(s, &r)
}

/// `s` without item `i` of `kind` and everything that cannot stay without it (step 5).
fn with_dependents(s: &Scenario, kind: Kind, i: usize) -> Option<Scenario> {
    let p = &s.platform;
    if kind == Kind::Decoder && p.memdevs.get(i)?.decoder.is_none() {
        return None;
    }
    let mut r = Removal::none(s);
    r.mark(kind, i);
    let mut changed = true;
    while changed {
        changed = false;
        for (w, win) in p.windows.iter().enumerate() {
            if win
                .targets
                .iter()
                .any(|&t| r.has(Kind::HostBridge, t as usize))
            {
                changed |= r.mark(Kind::Window, w);
            }
        }
        for (m, md) in p.memdevs.iter().enumerate() {
            if r.has(Kind::HostBridge, md.host_bridge as usize) {
                changed |= r.mark(Kind::Memdev, m);
            }
            if r.has(Kind::Memdev, m) {
                changed |= r.mark(Kind::Decoder, m);
            }
            let Some(d) = md.decoder else { continue };
            let needed = p
                .windows
                .iter()
                .enumerate()
                .any(|(w, win)| r.has(Kind::Window, w) && overlaps(&win.range, &d.hpa))
                || p.soft_reserved
                    .iter()
                    .enumerate()
                    .any(|(j, sr)| r.has(Kind::SoftReserved, j) && overlaps(sr, &d.hpa))
                || p.memdevs.iter().enumerate().any(|(o, od)| {
                    r.has(Kind::Decoder, o) && od.decoder.is_some_and(|e| e.hpa == d.hpa)
                });
            if needed {
                changed |= r.mark(Kind::Decoder, m);
            }
        }
        for (j, sr) in p.soft_reserved.iter().enumerate() {
            let over_dropped = p.memdevs.iter().enumerate().any(|(m, md)| {
                r.has(Kind::Decoder, m) && md.decoder.is_some_and(|d| overlaps(&d.hpa, sr))
            });
            if over_dropped {
                changed |= r.mark(Kind::SoftReserved, j);
            }
        }
        for (t, h) in p.hmat_targets.iter().enumerate() {
            let over_dropped = p
                .soft_reserved
                .iter()
                .enumerate()
                .any(|(j, sr)| r.has(Kind::SoftReserved, j) && overlaps(sr, &h.range));
            if over_dropped {
                changed |= r.mark(Kind::Hmat, t);
            }
        }
    }
    apply(s, &r)
}

/// Memdev `i`'s decoder set to none.
fn clear_decoder(s: &Scenario, i: usize) -> Option<Scenario> {
    s.platform.memdevs.get(i)?.decoder?;
    let mut c = s.clone();
    c.platform.memdevs[i].decoder = None;
    Some(c)
}

/// Every decoder of memdev `i`'s region (the decoders with its range) set to none; `None`
/// for a region of one member ([`clear_decoder`] does that).
fn clear_region(s: &Scenario, i: usize) -> Option<Scenario> {
    let hpa = s.platform.memdevs.get(i)?.decoder?.hpa;
    let mut c = s.clone();
    let mut n = 0;
    for m in &mut c.platform.memdevs {
        if m.decoder.is_some_and(|d| d.hpa == hpa) {
            m.decoder = None;
            n += 1;
        }
    }
    (n > 1).then_some(c)
}

/// Memdev `i` alone in its region: the other members dropped, its decoder 1-way at position 0
/// over the same range, its capacity raised to the whole range if it was smaller; with
/// `narrow`, the window holding the region also interleaves only over `i`'s host bridge.
/// `None` unless `i` decodes a region of more than one way.
fn deinterleave(s: &Scenario, i: usize, narrow: bool) -> Option<Scenario> {
    let d = s.platform.memdevs.get(i)?.decoder?;
    if d.ways < 2 {
        return None;
    }
    let mut r = Removal::none(s);
    for (o, m) in s.platform.memdevs.iter().enumerate() {
        if o != i && m.decoder.is_some_and(|e| e.hpa == d.hpa) {
            r.mark(Kind::Memdev, o);
            r.mark(Kind::Decoder, o);
        }
    }
    let mut c = apply(s, &r)?;
    let at = (0..i).filter(|&o| !r.has(Kind::Memdev, o)).count();
    let m = &mut c.platform.memdevs[at];
    m.decoder = Some(crate::scenario::CommittedDecoder {
        hpa: d.hpa,
        ways: 1,
        position: 0,
    });
    m.capacity = m.capacity.max(d.hpa.size);
    if narrow {
        let hb = m.host_bridge;
        let w = c
            .platform
            .windows
            .iter_mut()
            .find(|w| w.range.start <= d.hpa.start && d.hpa.end() <= w.range.end())?;
        if w.targets == [hb] {
            return None;
        }
        w.targets = vec![hb];
    }
    Some(c)
}

/// Window `w` without its `k`-th target.
fn drop_target(s: &Scenario, w: usize, k: usize) -> Option<Scenario> {
    if k >= s.platform.windows.get(w)?.targets.len() {
        return None;
    }
    let mut c = s.clone();
    c.platform.windows[w].targets.remove(k);
    Some(c)
}

/// The platform without quirk `q`.
fn drop_quirk(s: &Scenario, q: crate::scenario::Quirk) -> Option<Scenario> {
    if !s.platform.quirks.contains(q) {
        return None;
    }
    let mut c = s.clone();
    c.platform.quirks = s.platform.quirks.iter().filter(|&x| x != q).collect();
    Some(c)
}

fn no_hmem_test(s: &Scenario) -> Option<Scenario> {
    s.platform.hmem_test?;
    let mut c = s.clone();
    c.platform.hmem_test = None;
    Some(c)
}

// ---------------------------------------------------------------------------------------------
// Schedule and Kconfig.

fn drop_schedule(s: &Scenario, span: Span<usize>) -> Option<Scenario> {
    let mut c = s.clone();
    c.schedule.drain(span);
    Some(c)
}

fn zero_schedule(s: &Scenario) -> Option<Scenario> {
    let mut c = s.clone();
    c.schedule.iter_mut().for_each(|b| *b = 0);
    Some(c)
}

fn zero_byte(s: &Scenario, i: usize) -> Option<Scenario> {
    let mut c = s.clone();
    *c.schedule.get_mut(i)? = 0;
    Some(c)
}

/// The request without `sym` (`None` if it is not requested).
fn unset(s: &Scenario, sym: Sym) -> Option<Scenario> {
    s.kconfig.get(sym)?;
    let mut c = s.clone();
    c.kconfig.set(sym, None);
    Some(c)
}

/// A `y` request for `sym` made `m`.
fn y_to_m(s: &Scenario, sym: Sym) -> Option<Scenario> {
    if s.kconfig.get(sym) != Some(Tristate::Y) {
        return None;
    }
    let mut c = s.clone();
    c.kconfig.set(sym, Some(Tristate::M));
    Some(c)
}

// ---------------------------------------------------------------------------------------------
// Sizes and numbers.

/// The lowest start of any range of the platform.
fn lowest_address(p: &Platform) -> Option<u64> {
    let starts = p
        .soft_reserved
        .iter()
        .copied()
        .chain(p.hmat_targets.iter().map(|t| t.range))
        .chain(p.windows.iter().map(|w| w.range))
        .chain(p.memdevs.iter().filter_map(|m| m.decoder.map(|d| d.hpa)))
        .chain(p.hmem_test)
        .map(|r| r.start);
    starts.min()
}

/// Applies `addr` to every address and `size` to every size and capacity of the platform;
/// `None` if one of them does.
fn map_platform(
    s: &Scenario,
    addr: impl Fn(u64) -> Option<u64>,
    size: impl Fn(u64) -> Option<u64>,
) -> Option<Scenario> {
    let mut c = s.clone();
    let p = &mut c.platform;
    let range = |r: &mut crate::scenario::Range| -> Option<()> {
        r.start = addr(r.start)?;
        r.size = size(r.size)?;
        Some(())
    };
    for r in &mut p.soft_reserved {
        range(r)?;
    }
    for t in &mut p.hmat_targets {
        range(&mut t.range)?;
    }
    for w in &mut p.windows {
        range(&mut w.range)?;
    }
    for m in &mut p.memdevs {
        if let Some(d) = &mut m.decoder {
            range(&mut d.hpa)?;
        }
        m.capacity = size(m.capacity)?;
    }
    if let Some(r) = &mut p.hmem_test {
        range(r)?;
    }
    Some(c)
}

/// The platform scaled by one half toward its lowest address: every address's offset from it
/// and every size halved (`None` unless each of them is even, so that the map is exact, or if
/// the platform has no range).
fn halve(s: &Scenario) -> Option<Scenario> {
    let lo = lowest_address(&s.platform)?;
    let even = |x: u64| x.is_multiple_of(2).then_some(x / 2);
    map_platform(s, |a| even(a - lo).map(|o| lo + o), even)
}

/// The platform translated down so that its lowest range starts at [`GRID_BASE`].
fn translate_to_grid_base(s: &Scenario) -> Option<Scenario> {
    let lo = lowest_address(&s.platform)?;
    if lo <= GRID_BASE {
        return None;
    }
    let delta = lo - GRID_BASE;
    map_platform(s, |a| Some(a - delta), Some)
}

/// The kinds of item step 10 halves one at a time, in order (a decoder: its region's range).
const SIZED_KINDS: [Kind; 5] = [
    Kind::Window,
    Kind::SoftReserved,
    Kind::Hmat,
    Kind::Decoder,
    Kind::Memdev,
];

/// Item `i` of `kind` with its size halved, its start kept: a window, Soft Reserved range or
/// HMAT target; for [`Kind::Decoder`], the range of memdev `i`'s region (every member's
/// decoder); for [`Kind::Memdev`], its capacity. `None` if the size is odd.
fn halve_item(s: &Scenario, kind: Kind, i: usize) -> Option<Scenario> {
    let half = |x: &mut u64| -> Option<()> {
        if !x.is_multiple_of(2) {
            return None;
        }
        *x /= 2;
        Some(())
    };
    let mut c = s.clone();
    let p = &mut c.platform;
    match kind {
        Kind::Window => half(&mut p.windows.get_mut(i)?.range.size)?,
        Kind::SoftReserved => half(&mut p.soft_reserved.get_mut(i)?.size)?,
        Kind::Hmat => half(&mut p.hmat_targets.get_mut(i)?.range.size)?,
        Kind::Memdev => half(&mut p.memdevs.get_mut(i)?.capacity)?,
        Kind::Decoder => {
            let hpa = p.memdevs.get(i)?.decoder?.hpa;
            for m in &mut p.memdevs {
                if let Some(d) = m.decoder.as_mut().filter(|d| d.hpa == hpa) {
                    half(&mut d.hpa.size)?;
                }
            }
        }
        Kind::Event | Kind::HostBridge => return None,
    }
    Some(c)
}

/// Host bridge UIDs 0, 1, … in order.
fn renumber_uids(s: &Scenario) -> Option<Scenario> {
    let mut c = s.clone();
    for (i, uid) in c.platform.host_bridges.iter_mut().enumerate() {
        *uid = u8::try_from(i).ok()?;
    }
    (c != *s).then_some(c)
}

/// HMAT nids 1, 2, … in order of first use.
fn renumber_nids(s: &Scenario) -> Option<Scenario> {
    let mut seen: Vec<u8> = Vec::new();
    let mut c = s.clone();
    for t in &mut c.platform.hmat_targets {
        let k = match seen.iter().position(|&n| n == t.nid) {
            Some(k) => k,
            None => {
                seen.push(t.nid);
                seen.len() - 1
            }
        };
        t.nid = u8::try_from(k + 1).ok()?;
    }
    (c != *s).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks;
    use crate::kernel::kconfig::Tristate::{M, N, Y};
    use crate::scenario::gen::{self, ByteStream};
    use crate::scenario::rules::SZ_256M;
    use crate::scenario::{Quirk, Range};
    use srfuzz_oracle::DiffKind;

    /// Every single reduction of `s` the module documentation lists, no-ops left out.
    fn singles(s: &Scenario) -> Vec<Scenario> {
        let p = &s.platform;
        let mut out: Vec<Option<Scenario>> = Vec::new();
        for kind in [Kind::Event]
            .into_iter()
            .chain(PLATFORM_KINDS)
            .chain([Kind::Memdev])
        {
            for i in 0..kind.count(s) {
                out.push(drop_span(s, kind, i..i + 1));
            }
        }
        for kind in DEPENDENT_KINDS {
            for i in 0..kind.count(s) {
                out.push(with_dependents(s, kind, i));
            }
        }
        for i in 0..p.memdevs.len() {
            out.push(clear_decoder(s, i));
            out.push(clear_region(s, i));
        }
        for i in 0..p.memdevs.len() {
            out.push(deinterleave(s, i, false));
            out.push(deinterleave(s, i, true));
        }
        for (w, win) in p.windows.iter().enumerate() {
            for k in 0..win.targets.len() {
                out.push(drop_target(s, w, k));
            }
        }
        for q in Quirk::ALL {
            out.push(drop_quirk(s, q));
        }
        out.push(no_hmem_test(s));
        out.push(drop_schedule(s, 0..s.schedule.len()));
        for i in 0..s.schedule.len() {
            out.push(drop_schedule(s, i..i + 1));
            out.push(zero_byte(s, i));
        }
        out.push(zero_schedule(s));
        for sym in Sym::ALL {
            out.push(unset(s, sym));
            out.push(y_to_m(s, sym));
        }
        out.push(halve(s));
        out.push(translate_to_grid_base(s));
        for kind in SIZED_KINDS {
            for i in 0..kind.count(s) {
                out.push(halve_item(s, kind, i));
            }
        }
        out.push(renumber_uids(s));
        out.push(renumber_nids(s));
        out.into_iter().flatten().filter(|c| c != s).collect()
    }

    /// [`minimize`], asserting on the way that `keeps` only ever sees scenarios the parser
    /// accepts (checked by printing and parsing, independently of `admissible`), that
    /// `evaluations` counts its calls, that the result keeps the property and is 1-minimal, and
    /// that a second minimization gives the same answer.
    fn minimize_checked(s: &Scenario, keeps: impl Fn(&Scenario) -> bool) -> Minimized {
        let mut calls = 0;
        let m = minimize(s, &mut |c| {
            let parsed = text::parse(&text::print(c));
            assert_eq!(
                parsed.as_ref(),
                Ok(c),
                "an invalid candidate:\n{}",
                text::print(c)
            );
            calls += 1;
            keeps(c)
        });
        assert_eq!(calls, m.evaluations);
        assert!(keeps(&m.scenario), "{}", text::print(&m.scenario));
        for c in singles(&m.scenario) {
            assert!(
                !(admissible(&c) && keeps(&c)),
                "not 1-minimal:\n{}\nreduces to\n{}",
                text::print(&m.scenario),
                text::print(&c)
            );
        }
        assert_eq!(minimize(s, &mut |c| keeps(c)), m, "not deterministic");
        m
    }

    fn window_holds_sr(s: &Scenario) -> bool {
        let p = &s.platform;
        p.windows.iter().any(|w| {
            p.soft_reserved
                .iter()
                .any(|r| w.range.start <= r.start && r.end() <= w.range.end())
        })
    }

    /// Generated scenarios with at least `windows` windows and `events` events for which
    /// `keeps` holds.
    fn generated(
        n: usize,
        windows: usize,
        events: usize,
        keeps: impl Fn(&Scenario) -> bool,
    ) -> Vec<Scenario> {
        let mut rng = ByteStream::new(0x51ce_d0e5);
        let mut out = Vec::new();
        for _ in 0..200_000 {
            let s = gen::scenario_from_bytes(&rng.bytes(400));
            if s.platform.windows.len() >= windows && s.events.len() >= events && keeps(&s) {
                out.push(s);
                if out.len() == n {
                    return out;
                }
            }
        }
        panic!("only {} generated scenarios fit", out.len());
    }

    /// Lines of the text form that say something (settings, not comments or blank lines).
    fn scenario_lines(s: &Scenario) -> usize {
        text::print(s)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && (!l.starts_with('#') || l.ends_with(" is not set")))
            .count()
    }

    #[test]
    fn a_window_holding_soft_reserved_minimizes_to_one_of_each() {
        for s in generated(12, 2, 6, window_holds_sr) {
            let m = minimize_checked(&s, window_holds_sr);
            let (r, p) = (&m.scenario, &m.scenario.platform);
            let shown = text::print(r);
            assert_eq!(p.host_bridges, [0], "{shown}");
            assert_eq!(p.windows.len(), 1, "{shown}");
            assert_eq!(p.soft_reserved.len(), 1, "{shown}");
            // Soft Reserved in a window needs a committed decoder under it (sr-uncommitted).
            assert_eq!(p.memdevs.len(), 1, "{shown}");
            assert!(p.hmat_targets.is_empty() && p.quirks.is_empty(), "{shown}");
            assert_eq!(p.hmem_test, None, "{shown}");
            assert!(r.events.is_empty() && r.schedule.is_empty(), "{shown}");
            assert_eq!(r.kconfig, KconfigRequest::new(), "{shown}");
            // Scaled down to the rules' 256M granule, at the grid's base.
            let w = p.windows[0].range;
            assert_eq!(
                w,
                Range {
                    start: GRID_BASE,
                    size: SZ_256M
                },
                "{shown}"
            );
            assert_eq!(p.soft_reserved[0], w, "{shown}");
            assert_eq!(p.memdevs[0].capacity, SZ_256M, "{shown}");
            assert!(m.accepted > 0 && m.evaluations > 1, "{m:?}");
        }
    }

    #[test]
    fn events_and_schedule_reduce_to_what_the_predicate_reads() {
        let keeps =
            |s: &Scenario| s.events.contains(&Event::Settle) && s.schedule.iter().any(|&b| b >= 3);
        for mut s in generated(8, 1, 4, |s| !s.schedule.is_empty()) {
            s.events.push(Event::Settle);
            s.schedule.extend([0, 7, 1, 9, 3]);
            let m = minimize_checked(&s, keeps);
            let r = &m.scenario;
            assert_eq!(r.events, [Event::Settle]);
            assert_eq!(r.schedule.len(), 1);
            assert!(r.schedule[0] >= 3);
            assert_eq!(r.platform, Platform::default(), "{}", text::print(r));
            assert_eq!(r.kconfig, KconfigRequest::new());
        }
    }

    #[test]
    fn kconfig_reduces_to_the_requests_the_resolution_needs() {
        let keeps = |s: &Scenario| {
            olddefconfig(&s.kconfig, &KconfigRules::mainline()).get(Sym::DEV_DAX_CXL) == M
        };
        let mut full = Scenario::default();
        for sym in Sym::ALL {
            full.kconfig.set(sym, Some(Y));
        }
        full.kconfig.set(Sym::DAX, Some(M));
        let mut inputs = generated(6, 0, 0, keeps);
        inputs.push(full);
        for s in inputs {
            let m = minimize_checked(&s, keeps);
            let want = KconfigRequest::new()
                .with(Sym::CXL_BUS, M)
                .with(Sym::DEV_DAX, M);
            assert_eq!(m.scenario.kconfig, want, "{}", text::print(&m.scenario));
        }
    }

    #[test]
    fn requests_dropped_unevaluated_are_taken_back_if_the_predicate_reads_them() {
        // CXL_PORT is hidden: every design ignores a request for it, but this predicate reads
        // the raw request.
        let keeps = |s: &Scenario| s.kconfig.get(Sym::CXL_PORT) == Some(N) && window_holds_sr(s);
        for mut s in generated(3, 2, 2, window_holds_sr) {
            s.kconfig.set(Sym::CXL_PORT, Some(N));
            let m = minimize_checked(&s, keeps);
            assert_eq!(
                m.scenario.kconfig,
                KconfigRequest::new().with(Sym::CXL_PORT, N)
            );
            assert_eq!(m.scenario.platform.windows.len(), 1);
        }
        // Through the designs' rules, the same request goes without an evaluation.
        let mut s = generated(1, 2, 2, window_holds_sr).remove(0);
        s.kconfig.set(Sym::CXL_PORT, None);
        let mut with_port = s.clone();
        with_port.kconfig.set(Sym::CXL_PORT, Some(N));
        let a = minimize(&s, &mut window_holds_sr);
        let b = minimize(&with_port, &mut window_holds_sr);
        assert_eq!(a.scenario, b.scenario);
        assert_eq!(a.evaluations, b.evaluations);
        assert_eq!(a.accepted + 1, b.accepted);
    }

    #[test]
    fn a_scenario_that_does_not_keep_the_property_comes_back_unchanged() {
        let s = generated(1, 1, 1, |_| true).remove(0);
        let mut calls = 0;
        let m = minimize(&s, &mut |_| {
            calls += 1;
            false
        });
        assert_eq!(calls, 1);
        assert_eq!(
            m,
            Minimized {
                scenario: s,
                evaluations: 1,
                accepted: 0
            }
        );
    }

    #[test]
    fn removals_fix_up_the_indices_that_refer_to_what_goes() {
        let s = text::parse(
            "[platform]
             host-bridge 5
             host-bridge 7
             window 0x850000000 size=16G targets=0
             window 0x1850000000 size=16G targets=1
             memdev host-bridge=0 capacity=16G
             memdev host-bridge=1 capacity=16G presence=hotadd
             memdev host-bridge=1 capacity=16G presence=hotadd
             [events]
             create-region window=1 memdevs=0,2
             create-region window=0 memdevs=1
             hotadd mem2
             hotadd mem1
             settle",
        )
        .unwrap();
        let events = |c: Option<Scenario>| -> Vec<String> {
            c.unwrap().events.iter().map(text::format_event).collect()
        };
        assert_eq!(
            events(drop_span(&s, Kind::Window, 0..1)),
            [
                "create-region window=0 memdevs=0,2",
                "hotadd mem2",
                "hotadd mem1",
                "settle"
            ]
        );
        assert_eq!(
            events(drop_span(&s, Kind::Memdev, 1..2)),
            [
                "create-region window=1 memdevs=0,1",
                "create-region window=0 memdevs=none",
                "hotadd mem1",
                "settle"
            ]
        );
        // A host bridge something refers to stays…
        assert_eq!(drop_span(&s, Kind::HostBridge, 0..1), None);
        let mut only_windows = s.clone();
        only_windows.platform.memdevs.clear();
        only_windows.events.clear();
        assert_eq!(drop_span(&only_windows, Kind::HostBridge, 1..2), None);
        only_windows.platform.windows.remove(1);
        let c = drop_span(&only_windows, Kind::HostBridge, 1..2).unwrap();
        assert_eq!(c.platform.host_bridges, [5]);
        // …unless it goes with its dependents: window 0 and mem0 (and so the create-region in
        // window 0); the other references shift down.
        let c = with_dependents(&s, Kind::HostBridge, 0).unwrap();
        assert_eq!(c.platform.host_bridges, [7]);
        assert_eq!(c.platform.windows.len(), 1);
        assert_eq!(c.platform.windows[0].targets, [0]);
        assert!(c.platform.memdevs.iter().all(|m| m.host_bridge == 0));
        assert_eq!(
            events(Some(c)),
            [
                "create-region window=0 memdevs=1",
                "hotadd mem1",
                "hotadd mem0",
                "settle"
            ]
        );
    }

    #[test]
    fn a_region_goes_with_its_members_and_its_soft_reserved() {
        let s = text::parse(
            "[platform]
             soft-reserved 0x850000000 size=32G
             hmat-target 0x850000000 size=32G nid=3
             soft-reserved 0x1850000000 size=16G
             host-bridge 0
             host-bridge 1
             window 0x850000000 size=32G targets=0,1
             window 0x1850000000 size=16G targets=0
             memdev host-bridge=0 capacity=16G decoder=0x850000000,size=32G,ways=2,pos=0
             memdev host-bridge=1 capacity=16G decoder=0x850000000,size=32G,ways=2,pos=1
             memdev host-bridge=0 capacity=16G decoder=0x1850000000,size=16G,ways=1,pos=0",
        )
        .unwrap();
        // Alone, neither member's decoder nor the Soft Reserved over them can go.
        for c in [
            clear_decoder(&s, 0),
            drop_span(&s, Kind::SoftReserved, 0..1),
            clear_region(&s, 0),
        ] {
            assert!(!admissible(&c.unwrap()));
        }
        // Together they can: the region's decoders, its Soft Reserved and the HMAT target.
        let c = with_dependents(&s, Kind::Decoder, 1).unwrap();
        assert!(admissible(&c), "{}", text::print(&c));
        let p = &c.platform;
        assert_eq!(p.soft_reserved.len(), 1);
        assert!(p.hmat_targets.is_empty());
        assert_eq!(p.memdevs.len(), 3);
        assert_eq!(p.memdevs.iter().filter(|m| m.decoder.is_some()).count(), 1);
        // Halving maps every address to its offset from the lowest halved, every size halved.
        let h = halve(&s).unwrap();
        assert!(admissible(&h), "{}", text::print(&h));
        let second = h.platform.windows[1].range;
        assert_eq!(second.start, GRID_BASE + (0x1850000000 - GRID_BASE) / 2);
        assert_eq!(second.size, 8 << 30);
        assert_eq!(h.platform.soft_reserved[1], second);
        assert_eq!(h.platform.memdevs[2].capacity, 8 << 30);
        // Down to the 2-way window's granule (2 × 256M) and no further.
        let mut k = s.clone();
        let mut halvings = 0;
        while let Some(h) = halve(&k).filter(admissible) {
            k = h;
            halvings += 1;
        }
        assert_eq!(halvings, 6, "{}", text::print(&k));
        assert_eq!(k.platform.windows[0].range.size, 2 * SZ_256M);
    }

    /// The register_dax-v4 repro: v4 with DEV_DAX_HMEM off leaves an auto-assembled region
    /// without DAX, which mainline onlines.
    #[test]
    fn the_register_dax_v4_repro_minimizes_and_keeps_hmem_off() {
        // The raw input it was found from (the scenario.scn beside it is already minimal).
        let raw = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/register_dax-v4-no-hmem-auto-region-no-dax/input.raw"
        );
        let s = crate::scenario::file::load(raw.as_ref(), Default::default())
            .unwrap()
            .scenario;
        let v4 = designs::by_name("register_dax-v4").unwrap();
        let mainline = designs::by_name("mainline").unwrap();
        let keeps = |s: &Scenario| {
            checks::differential(s, v4, mainline).is_some_and(|d| d.kind == DiffKind::Region)
        };
        let started = std::time::Instant::now();
        let m = minimize_checked(&s, keeps);
        let shown = text::print(&m.scenario);
        eprintln!(
            "register_dax-v4 repro: {} evaluations, {} accepted, {:?} (with the checks)\n{shown}",
            m.evaluations,
            m.accepted,
            started.elapsed()
        );
        assert_eq!(m.scenario.kconfig.get(Sym::DEV_DAX_HMEM), Some(N));
        assert!(
            shown.contains("\n# CONFIG_DEV_DAX_HMEM is not set\n"),
            "{shown}"
        );
        assert!(scenario_lines(&m.scenario) <= 12, "{shown}");
        assert!(scenario_lines(&m.scenario) < scenario_lines(&s));
    }
}
