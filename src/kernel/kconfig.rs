//! Kconfig: which CXL / DAX components exist, and how (built-in, module, absent).
//!
//! This module is an executable model of the part of the kernel's configuration language that
//! decides whether `cxl_core.ko`, `cxl_acpi`, `cxl_pci`, `dax_hmem.ko`, `dax_cxl.ko`, … are
//! built in (`y`), built as modules (`m`) or not built at all (`n`). The rule text comes from:
//!
//! * <https://github.com/torvalds/linux/blob/master/drivers/cxl/Kconfig>
//! * <https://github.com/torvalds/linux/blob/master/drivers/dax/Kconfig>
//! * <https://github.com/torvalds/linux/blob/master/drivers/firmware/efi/Kconfig>
//!   (`EFI_SOFT_RESERVE`)
//!
//! as of ~v6.18, i.e. before the "Soft Reserved" ownership series
//! ([`KconfigRules::mainline`]). Later patches change rules; they are data that a design edits
//! ([`request_cxl_acpi_pci_deps`], [`fix_hmem_dependencies`]).
//!
//! # Semantics (scripts/kconfig/symbol.c, `sym_calc_value`)
//!
//! * Tristate logic: `n = 0`, `m = 1`, `y = 2`; `a && b = min`, `a || b = max`, `!a = 2 - a`;
//!   comparisons (`=`, `!=`, `<`, `<=`, `>`, `>=`) compare the numeric values and yield `y`
//!   or `n`.
//! * The dependency `D` of a symbol is the `&&` of its enclosing `if` blocks / menus and its
//!   `depends on` lines.
//! * A symbol with a prompt is *visible* with visibility `D` (a `bool` visible `m` is promoted to
//!   `y`: this is why `CXL_REGION=y` is possible with `CXL_BUS=m`). A requested value `r` becomes
//!   `r && visibility` (a request of `m` for a `bool` reads as `y`, as `conf_read` does).
//! * A symbol that is hidden, not requested, or requested but invisible takes its first
//!   `default` whose `if` condition (`&& D`) is not `n`: `value && (cond && D)`; no default
//!   gives `n`.
//! * `select` raises a lower bound: the final value is `value || (selector && cond)`, even past
//!   the selected symbol's own `depends on` (Kconfig would warn about the unmet dependency; this
//!   model does not).
//! * A `bool` whose value computes to `m` is `y`.
//!
//! # Fixed platform
//!
//! Symbols outside the CXL / DAX subsystems that these rules mention are [`Platform`]
//! constants, all `y` unless a design changes them with [`KconfigRules::set_platform`]:
//! `PCI`, `ACPI`, `SPARSEMEM`, `TRANSPARENT_HUGEPAGE`, `MEMORY_HOTPLUG`, `EFI`, `EFI_STUB`,
//! `ACPI_HMAT`, `NVDIMM_DAX`. `MODULES=y` is assumed throughout (so a tristate may be `m`).
//! Symbols that the modeled ones `select` outside the model (`PCI_DOE`, `FW_LOADER`,
//! `MEMREGION`, `NUMA_KEEP_MEMINFO`, `ACPI_TABLE_LIB`, …) have no bearing on which of the
//! modeled components exist and are left out.

use std::fmt;

use arbitrary::{Arbitrary, Unstructured};

/// A Kconfig tristate value, ordered `N < M < Y` (`n = 0`, `m = 1`, `y = 2`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, arbitrary::Arbitrary)]
pub enum Tristate {
    /// `n`: not built.
    N,
    /// `m`: built as a loadable module.
    M,
    /// `y`: built in.
    Y,
}

impl Tristate {
    /// All values, in order.
    pub const ALL: [Tristate; 3] = [Tristate::N, Tristate::M, Tristate::Y];

    /// The numeric value Kconfig compares: 0, 1 or 2.
    pub fn value(self) -> u8 {
        self as u8
    }

    /// The `.config` letter: `n`, `m` or `y`.
    pub fn letter(self) -> char {
        match self {
            Tristate::N => 'n',
            Tristate::M => 'm',
            Tristate::Y => 'y',
        }
    }

    /// Parses `n`, `m` or `y` (exactly; `.config` files are lower case).
    pub fn from_letter(s: &str) -> Option<Tristate> {
        match s {
            "n" => Some(Tristate::N),
            "m" => Some(Tristate::M),
            "y" => Some(Tristate::Y),
            _ => None,
        }
    }

    /// `self && other`: the minimum.
    pub fn and(self, other: Tristate) -> Tristate {
        self.min(other)
    }

    /// `self || other`: the maximum.
    pub fn or(self, other: Tristate) -> Tristate {
        self.max(other)
    }

    /// `!self`: `2 - self`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Tristate {
        match self {
            Tristate::N => Tristate::Y,
            Tristate::M => Tristate::M,
            Tristate::Y => Tristate::N,
        }
    }

    fn from_bool(b: bool) -> Tristate {
        if b {
            Tristate::Y
        } else {
            Tristate::N
        }
    }
}

impl fmt::Display for Tristate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

macro_rules! symbols {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $($(#[$vm:meta])* $v:ident,)* }) => {
        $(#[$m])*
        $vis enum $name { $($(#[$vm])* $v,)* }

        impl $name {
            /// Every symbol, in declaration (and render) order.
            pub const ALL: [$name; [$($name::$v),*].len()] = [$($name::$v),*];
            /// Number of symbols.
            pub const COUNT: usize = Self::ALL.len();

            /// The Kconfig name without the `CONFIG_` prefix, e.g. `"CXL_BUS"`.
            pub fn name(self) -> &'static str {
                match self { $($name::$v => stringify!($v),)* }
            }

            /// The symbol named `name` (without the `CONFIG_` prefix), if modeled.
            pub fn from_name(name: &str) -> Option<$name> {
                match name { $(stringify!($v) => Some($name::$v),)* _ => None }
            }

            /// Position in [`Self::ALL`].
            pub fn index(self) -> usize {
                self as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

symbols! {
    /// The modeled Kconfig symbols, in `.config` render order.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, arbitrary::Arbitrary)]
    #[allow(non_camel_case_types)]
    pub enum Sym {
        /// `cxl_core.ko` (drivers/cxl/core): tristate, prompt, `depends on PCI`.
        CXL_BUS,
        /// `cxl_pci`: tristate, prompt, inside `if CXL_BUS`, `default CXL_BUS`.
        CXL_PCI,
        /// `cxl_acpi`: tristate, prompt, inside `if CXL_BUS`, `depends on ACPI`,
        /// `default CXL_BUS`.
        CXL_ACPI,
        /// `cxl_port`: hidden tristate inside `if CXL_BUS`, `default CXL_BUS`.
        CXL_PORT,
        /// `cxl_mem`: tristate, prompt, inside `if CXL_BUS`, `depends on CXL_PCI`,
        /// `default CXL_BUS`.
        CXL_MEM,
        /// Region support, part of `cxl_core`: bool, prompt, inside `if CXL_BUS`,
        /// `depends on SPARSEMEM`, `default CXL_BUS`.
        CXL_REGION,
        /// `dax.ko`: tristate, prompt (menuconfig), `default m if NVDIMM_DAX`.
        DAX,
        /// `device_dax`: tristate, prompt, inside `if DAX`, `depends on TRANSPARENT_HUGEPAGE`,
        /// no default.
        DEV_DAX,
        /// `dax_hmem.ko`: tristate, prompt, inside `if DAX`, `depends on EFI_SOFT_RESERVE`,
        /// `default DEV_DAX`.
        DEV_DAX_HMEM,
        /// drivers/dax/hmem/device.c (built in): hidden `def_bool y`, inside `if DAX`,
        /// `depends on DEV_DAX_HMEM && DAX`.
        DEV_DAX_HMEM_DEVICES,
        /// `dax_cxl.ko`: tristate, prompt, inside `if DAX`,
        /// `depends on CXL_BUS && CXL_REGION && DEV_DAX`, `default CXL_REGION && DEV_DAX`.
        DEV_DAX_CXL,
        /// `kmem.ko`: tristate, prompt, inside `if DAX`, `depends on DEV_DAX`,
        /// `depends on MEMORY_HOTPLUG`, `default DEV_DAX`.
        DEV_DAX_KMEM,
        /// Soft Reserved reservation of EFI_MEMORY_SP memory: bool, prompt, inside
        /// `menu "EFI" depends on EFI`, `depends on EFI && EFI_STUB && ACPI_HMAT`,
        /// `default ACPI_HMAT`.
        EFI_SOFT_RESERVE,
    }
}

symbols! {
    /// Platform symbols the modeled rules mention but that the model holds fixed
    /// (see [`KconfigRules::set_platform`]; all `y` by default).
    #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
    #[allow(non_camel_case_types)]
    pub enum Platform {
        /// `CXL_BUS` depends on it.
        PCI,
        /// `CXL_ACPI` depends on it.
        ACPI,
        /// `CXL_REGION` depends on it (for `MAX_PHYSMEM_BITS`).
        SPARSEMEM,
        /// `DEV_DAX` depends on it.
        TRANSPARENT_HUGEPAGE,
        /// `DEV_DAX_KMEM` depends on it (`add_memory()`).
        MEMORY_HOTPLUG,
        /// `EFI_SOFT_RESERVE` depends on it (and sits in the EFI menu).
        EFI,
        /// `EFI_SOFT_RESERVE` depends on it.
        EFI_STUB,
        /// `EFI_SOFT_RESERVE` depends on it and defaults to it.
        ACPI_HMAT,
        /// `DAX` is `default m if NVDIMM_DAX`.
        NVDIMM_DAX,
    }
}

/// `bool` or `tristate`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum SymType {
    /// Two-valued; a computed `m` becomes `y`.
    Bool,
    /// Three-valued.
    Tristate,
}

/// A Kconfig comparison operator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    fn token(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    fn apply(self, a: Tristate, b: Tristate) -> Tristate {
        Tristate::from_bool(match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        })
    }
}

/// A Kconfig expression (the right-hand side of `depends on`, `default`, `if`).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Expr {
    /// A constant `n`, `m` or `y`.
    Const(Tristate),
    /// A modeled symbol's value.
    Sym(Sym),
    /// A fixed platform symbol's value (from [`KconfigRules::platform`]).
    Platform(Platform),
    /// `!e`
    Not(Box<Expr>),
    /// `a && b`
    And(Box<Expr>, Box<Expr>),
    /// `a || b`
    Or(Box<Expr>, Box<Expr>),
    /// `a <op> b`, yields `y` or `n` (Kconfig only compares symbols and constants; any
    /// expression is accepted here).
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
}

impl From<Sym> for Expr {
    fn from(s: Sym) -> Expr {
        Expr::Sym(s)
    }
}

impl From<Platform> for Expr {
    fn from(p: Platform) -> Expr {
        Expr::Platform(p)
    }
}

impl From<Tristate> for Expr {
    fn from(t: Tristate) -> Expr {
        Expr::Const(t)
    }
}

impl Expr {
    /// The constant `y`.
    pub fn y() -> Expr {
        Expr::Const(Tristate::Y)
    }
    /// The constant `m`.
    pub fn m() -> Expr {
        Expr::Const(Tristate::M)
    }
    /// The constant `n`.
    pub fn n() -> Expr {
        Expr::Const(Tristate::N)
    }
    /// `!e`
    #[allow(clippy::should_implement_trait)]
    pub fn not(e: impl Into<Expr>) -> Expr {
        Expr::Not(Box::new(e.into()))
    }
    /// `a && b`
    pub fn and(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::And(Box::new(a.into()), Box::new(b.into()))
    }
    /// `a || b`
    pub fn or(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::Or(Box::new(a.into()), Box::new(b.into()))
    }
    /// `e1 && e2 && …` (`y` for none).
    pub fn all(es: impl IntoIterator<Item = Expr>) -> Expr {
        es.into_iter().reduce(Expr::and).unwrap_or_else(Expr::y)
    }
    /// `e || !e`: Kconfig's idiom for "if `e` is a module, I may be at most a module".
    pub fn optional(e: impl Into<Expr>) -> Expr {
        let e = e.into();
        Expr::or(e.clone(), Expr::not(e))
    }
    fn cmp(op: CmpOp, a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::Cmp(op, Box::new(a.into()), Box::new(b.into()))
    }
    /// `a = b`
    pub fn eq(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::cmp(CmpOp::Eq, a, b)
    }
    /// `a != b`
    pub fn ne(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::cmp(CmpOp::Ne, a, b)
    }
    /// `a < b`
    pub fn lt(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::cmp(CmpOp::Lt, a, b)
    }
    /// `a <= b`
    pub fn le(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::cmp(CmpOp::Le, a, b)
    }
    /// `a > b`
    pub fn gt(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::cmp(CmpOp::Gt, a, b)
    }
    /// `a >= b`
    pub fn ge(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::cmp(CmpOp::Ge, a, b)
    }

    /// Evaluates against symbol values and platform values (slow path; the resolver uses the
    /// compiled form).
    pub fn eval(
        &self,
        syms: &[Tristate; Sym::COUNT],
        platform: &[Tristate; Platform::COUNT],
    ) -> Tristate {
        match self {
            Expr::Const(t) => *t,
            Expr::Sym(s) => syms[s.index()],
            Expr::Platform(p) => platform[p.index()],
            Expr::Not(e) => e.eval(syms, platform).not(),
            Expr::And(a, b) => a.eval(syms, platform).and(b.eval(syms, platform)),
            Expr::Or(a, b) => a.eval(syms, platform).or(b.eval(syms, platform)),
            Expr::Cmp(op, a, b) => op.apply(a.eval(syms, platform), b.eval(syms, platform)),
        }
    }

    fn for_each_sym(&self, f: &mut impl FnMut(Sym)) {
        match self {
            Expr::Const(_) | Expr::Platform(_) => {}
            Expr::Sym(s) => f(*s),
            Expr::Not(e) => e.for_each_sym(f),
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Cmp(_, a, b) => {
                a.for_each_sym(f);
                b.for_each_sym(f);
            }
        }
    }

    fn prec(&self) -> u8 {
        match self {
            Expr::Or(..) => 1,
            Expr::And(..) => 2,
            Expr::Cmp(..) => 3,
            Expr::Not(..) => 4,
            _ => 5,
        }
    }

    fn fmt_prec(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        let paren = self.prec() < min;
        if paren {
            f.write_str("(")?;
        }
        match self {
            Expr::Const(t) => write!(f, "{t}")?,
            Expr::Sym(s) => write!(f, "{s}")?,
            Expr::Platform(p) => write!(f, "{p}")?,
            Expr::Not(e) => {
                f.write_str("!")?;
                e.fmt_prec(f, 5)?;
            }
            Expr::And(a, b) => {
                a.fmt_prec(f, 2)?;
                f.write_str(" && ")?;
                b.fmt_prec(f, 3)?;
            }
            Expr::Or(a, b) => {
                a.fmt_prec(f, 1)?;
                f.write_str(" || ")?;
                b.fmt_prec(f, 2)?;
            }
            Expr::Cmp(op, a, b) => {
                a.fmt_prec(f, 4)?;
                write!(f, " {} ", op.token())?;
                b.fmt_prec(f, 4)?;
            }
        }
        if paren {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Kconfig syntax, e.g. `CXL_ACPI >= DEV_DAX_HMEM`, `CXL_BUS || !CXL_BUS`.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_prec(f, 0)
    }
}

/// One `default <value> [if <cond>]` line.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DefaultRule {
    /// The value expression.
    pub value: Expr,
    /// The `if` condition, `None` for unconditional.
    pub cond: Option<Expr>,
}

/// One `select <target> [if <cond>]` line.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Select {
    /// The selected symbol.
    pub target: Sym,
    /// The `if` condition, `None` for unconditional.
    pub cond: Option<Expr>,
}

/// Everything Kconfig says about one symbol.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct SymRule {
    /// `bool` or `tristate`.
    pub ty: SymType,
    /// Has a prompt (user-visible); hidden symbols always take their default.
    pub prompt: bool,
    /// Dependencies inherited from enclosing `if` blocks / `menu ... depends on`
    /// (kept apart so that [`KconfigRules::replace_depends`] does not drop them).
    pub enclosing: Vec<Expr>,
    /// The symbol's own `depends on` lines, ANDed.
    pub depends: Vec<Expr>,
    /// `default` lines, first applicable wins (`def_bool y` is `bool` + `default y`).
    pub defaults: Vec<DefaultRule>,
    /// `select` lines of this symbol.
    pub selects: Vec<Select>,
}

impl SymRule {
    fn new(ty: SymType, prompt: bool) -> SymRule {
        SymRule {
            ty,
            prompt,
            enclosing: Vec::new(),
            depends: Vec::new(),
            defaults: Vec::new(),
            selects: Vec::new(),
        }
    }

    /// The full direct dependency: enclosing blocks `&&` own `depends on` (`y` if none).
    pub fn dependency(&self) -> Expr {
        Expr::all(self.enclosing.iter().chain(self.depends.iter()).cloned())
    }
}

// ---------------------------------------------------------------------------------------------
// Compiled (flat) form.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Const(Tristate),
    Sym(u8),
    Not,
    And,
    Or,
    Cmp(CmpOp),
}

/// Half-open range into `Compiled::ops`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
struct Code {
    start: u32,
    end: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct CompiledDefault {
    /// `cond && dependency`.
    visible: Code,
    value: Code,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct CompiledSym {
    bool_: bool,
    prompt: bool,
    dep: Code,
    /// OR of `selector && cond && selector's dependency`; empty = `n`.
    rev: Code,
    defaults_start: u32,
    defaults_end: u32,
}

const STACK: usize = 32;

#[derive(Clone, Debug)]
struct Compiled {
    order: [Sym; Sym::COUNT],
    ops: Vec<Op>,
    defaults: Vec<CompiledDefault>,
    syms: [CompiledSym; Sym::COUNT],
}

fn emit(
    ops: &mut Vec<Op>,
    e: &Expr,
    platform: &[Tristate; Platform::COUNT],
    depth: usize,
    max: &mut usize,
) {
    *max = (*max).max(depth + 1);
    match e {
        Expr::Const(t) => ops.push(Op::Const(*t)),
        Expr::Platform(p) => ops.push(Op::Const(platform[p.index()])),
        Expr::Sym(s) => ops.push(Op::Sym(s.index() as u8)),
        Expr::Not(e) => {
            emit(ops, e, platform, depth, max);
            ops.push(Op::Not);
        }
        Expr::And(a, b) | Expr::Or(a, b) | Expr::Cmp(_, a, b) => {
            emit(ops, a, platform, depth, max);
            emit(ops, b, platform, depth + 1, max);
            ops.push(match e {
                Expr::And(..) => Op::And,
                Expr::Or(..) => Op::Or,
                Expr::Cmp(op, ..) => Op::Cmp(*op),
                _ => unreachable!(),
            });
        }
    }
}

fn emit_code(
    ops: &mut Vec<Op>,
    e: &Expr,
    platform: &[Tristate; Platform::COUNT],
) -> Result<Code, String> {
    let start = ops.len() as u32;
    let mut max = 0;
    emit(ops, e, platform, 0, &mut max);
    if max > STACK {
        return Err(format!(
            "expression too deep for the resolver ({max} > {STACK}): {e}"
        ));
    }
    Ok(Code {
        start,
        end: ops.len() as u32,
    })
}

#[inline]
fn run(ops: &[Op], code: Code, vals: &[Tristate; Sym::COUNT]) -> Tristate {
    if code.start == code.end {
        return Tristate::N;
    }
    let mut stack = [Tristate::N; STACK];
    let mut sp = 0usize;
    for op in &ops[code.start as usize..code.end as usize] {
        match *op {
            Op::Const(t) => {
                stack[sp] = t;
                sp += 1;
            }
            Op::Sym(i) => {
                stack[sp] = vals[i as usize];
                sp += 1;
            }
            Op::Not => stack[sp - 1] = stack[sp - 1].not(),
            Op::And => {
                sp -= 1;
                stack[sp - 1] = stack[sp - 1].and(stack[sp]);
            }
            Op::Or => {
                sp -= 1;
                stack[sp - 1] = stack[sp - 1].or(stack[sp]);
            }
            Op::Cmp(c) => {
                sp -= 1;
                stack[sp - 1] = c.apply(stack[sp - 1], stack[sp]);
            }
        }
    }
    debug_assert_eq!(sp, 1);
    stack[0]
}

/// Topological order of the symbols: every symbol after those its value is computed from
/// (dependencies, defaults, selectors). Kconfig refuses recursive dependencies; so do we.
fn topo_order(rules: &[SymRule; Sym::COUNT]) -> Result<[Sym; Sym::COUNT], String> {
    // inputs[s] = bitmask of symbols s's value reads.
    let mut inputs = [0u64; Sym::COUNT];
    for s in Sym::ALL {
        let r = &rules[s.index()];
        let mut mask = 0u64;
        let mut add = |x: Sym| mask |= 1 << x.index();
        for e in r.enclosing.iter().chain(&r.depends) {
            e.for_each_sym(&mut add);
        }
        for d in &r.defaults {
            d.value.for_each_sym(&mut add);
            if let Some(c) = &d.cond {
                c.for_each_sym(&mut add);
            }
        }
        inputs[s.index()] |= mask;
        for sel in &r.selects {
            let mut m = 1u64 << s.index();
            for e in r.enclosing.iter().chain(&r.depends) {
                e.for_each_sym(&mut |x| m |= 1 << x.index());
            }
            if let Some(c) = &sel.cond {
                c.for_each_sym(&mut |x| m |= 1 << x.index());
            }
            inputs[sel.target.index()] |= m;
        }
    }
    let mut order = [Sym::CXL_BUS; Sym::COUNT];
    let mut done = 0u64;
    for slot in order.iter_mut() {
        // Lowest-index ready symbol: deterministic, and mainline order follows Sym::ALL.
        let next = Sym::ALL
            .iter()
            .copied()
            .find(|s| done & (1 << s.index()) == 0 && inputs[s.index()] & !done == 0);
        match next {
            Some(s) => {
                *slot = s;
                done |= 1 << s.index();
            }
            None => {
                let stuck: Vec<&str> = Sym::ALL
                    .iter()
                    .filter(|s| done & (1 << s.index()) == 0)
                    .map(|s| s.name())
                    .collect();
                return Err(format!(
                    "recursive dependency detected among {}",
                    stuck.join(", ")
                ));
            }
        }
    }
    Ok(order)
}

fn compile(
    rules: &[SymRule; Sym::COUNT],
    platform: &[Tristate; Platform::COUNT],
) -> Result<Compiled, String> {
    let order = topo_order(rules)?;
    let mut ops = Vec::new();
    let mut defaults = Vec::new();
    let mut rev_exprs: Vec<Vec<Expr>> = vec![Vec::new(); Sym::COUNT];
    for s in Sym::ALL {
        let r = &rules[s.index()];
        for sel in &r.selects {
            let mut e = Expr::and(s, r.dependency());
            if let Some(c) = &sel.cond {
                e = Expr::and(e, c.clone());
            }
            rev_exprs[sel.target.index()].push(e);
        }
    }
    let empty = CompiledSym {
        bool_: false,
        prompt: false,
        dep: Code::default(),
        rev: Code::default(),
        defaults_start: 0,
        defaults_end: 0,
    };
    let mut syms = [empty; Sym::COUNT];
    for s in Sym::ALL {
        let r = &rules[s.index()];
        let dep_expr = r.dependency();
        let dep = emit_code(&mut ops, &dep_expr, platform)?;
        let rev = match rev_exprs[s.index()].iter().cloned().reduce(Expr::or) {
            Some(e) => emit_code(&mut ops, &e, platform)?,
            None => Code::default(),
        };
        let defaults_start = defaults.len() as u32;
        for d in &r.defaults {
            let vis = match &d.cond {
                Some(c) => Expr::and(c.clone(), dep_expr.clone()),
                None => dep_expr.clone(),
            };
            let visible = emit_code(&mut ops, &vis, platform)?;
            let value = emit_code(&mut ops, &d.value, platform)?;
            defaults.push(CompiledDefault { visible, value });
        }
        syms[s.index()] = CompiledSym {
            bool_: r.ty == SymType::Bool,
            prompt: r.prompt,
            dep,
            rev,
            defaults_start,
            defaults_end: defaults.len() as u32,
        };
    }
    Ok(Compiled {
        order,
        ops,
        defaults,
        syms,
    })
}

/// The Kconfig rule set: per-symbol rules plus the fixed platform, with a precompiled flat form
/// that [`olddefconfig`] runs without allocating.
///
/// Edit with [`add_depends`](Self::add_depends), [`replace_depends`](Self::replace_depends),
/// [`set_defaults`](Self::set_defaults), [`add_select`](Self::add_select), … Each edit
/// recompiles; an edit that creates a recursive dependency panics (Kconfig rejects such a
/// tree too).
#[derive(Clone, Debug)]
pub struct KconfigRules {
    rules: [SymRule; Sym::COUNT],
    platform: [Tristate; Platform::COUNT],
    compiled: Compiled,
}

impl PartialEq for KconfigRules {
    fn eq(&self, other: &Self) -> bool {
        self.rules == other.rules && self.platform == other.platform
    }
}
impl Eq for KconfigRules {}

impl KconfigRules {
    /// The rules as of ~v6.18, before the Soft Reserved series:
    ///
    /// * <https://github.com/torvalds/linux/blob/master/drivers/cxl/Kconfig>: `CXL_BUS`
    ///   (menuconfig tristate, `depends on PCI`), then inside `if CXL_BUS`: `CXL_PCI`
    ///   (`default CXL_BUS`), `CXL_ACPI` (`depends on ACPI`, `default CXL_BUS`), `CXL_MEM`
    ///   (`depends on CXL_PCI`, `default CXL_BUS`), `CXL_PORT` (hidden tristate,
    ///   `default CXL_BUS`), `CXL_REGION` (bool, `default CXL_BUS`, `depends on SPARSEMEM`).
    /// * <https://github.com/torvalds/linux/blob/master/drivers/dax/Kconfig>: `DAX`
    ///   (menuconfig tristate, `default m if NVDIMM_DAX`), then inside `if DAX`: `DEV_DAX`
    ///   (`depends on TRANSPARENT_HUGEPAGE`, no default), `DEV_DAX_HMEM`
    ///   (`depends on EFI_SOFT_RESERVE`, `default DEV_DAX`), `DEV_DAX_CXL`
    ///   (`depends on CXL_BUS && CXL_REGION && DEV_DAX`, `default CXL_REGION && DEV_DAX`),
    ///   `DEV_DAX_HMEM_DEVICES` (`depends on DEV_DAX_HMEM && DAX`, `def_bool y`),
    ///   `DEV_DAX_KMEM` (`default DEV_DAX`, `depends on DEV_DAX`, `depends on MEMORY_HOTPLUG`).
    /// * <https://github.com/torvalds/linux/blob/master/drivers/firmware/efi/Kconfig>:
    ///   `EFI_SOFT_RESERVE` (bool in `menu "EFI ..." depends on EFI`,
    ///   `depends on EFI && EFI_STUB && ACPI_HMAT`, `default ACPI_HMAT`).
    ///
    /// All [`Platform`] symbols are `y`.
    pub fn mainline() -> KconfigRules {
        use Platform as P;
        use Sym::*;
        use SymType::{Bool, Tristate as Tri};
        let mut rules: [SymRule; Sym::COUNT] = std::array::from_fn(|_| SymRule::new(Tri, true));
        let mut set = |s: Sym,
                       ty: SymType,
                       prompt: bool,
                       enclosing: Option<Sym>,
                       depends: Vec<Expr>,
                       default: Option<Expr>| {
            let r = &mut rules[s.index()];
            r.ty = ty;
            r.prompt = prompt;
            r.enclosing = enclosing.map(Expr::from).into_iter().collect();
            r.depends = depends;
            r.defaults = default
                .map(|value| DefaultRule { value, cond: None })
                .into_iter()
                .collect();
        };
        // drivers/cxl/Kconfig
        set(CXL_BUS, Tri, true, None, vec![P::PCI.into()], None);
        set(
            CXL_PCI,
            Tri,
            true,
            Some(CXL_BUS),
            vec![],
            Some(CXL_BUS.into()),
        );
        set(
            CXL_ACPI,
            Tri,
            true,
            Some(CXL_BUS),
            vec![P::ACPI.into()],
            Some(CXL_BUS.into()),
        );
        set(
            CXL_PORT,
            Tri,
            false,
            Some(CXL_BUS),
            vec![],
            Some(CXL_BUS.into()),
        );
        set(
            CXL_MEM,
            Tri,
            true,
            Some(CXL_BUS),
            vec![CXL_PCI.into()],
            Some(CXL_BUS.into()),
        );
        set(
            CXL_REGION,
            Bool,
            true,
            Some(CXL_BUS),
            vec![P::SPARSEMEM.into()],
            Some(CXL_BUS.into()),
        );
        // drivers/dax/Kconfig
        set(DAX, Tri, true, None, vec![], None);
        set(
            DEV_DAX,
            Tri,
            true,
            Some(DAX),
            vec![P::TRANSPARENT_HUGEPAGE.into()],
            None,
        );
        set(
            DEV_DAX_HMEM,
            Tri,
            true,
            Some(DAX),
            vec![EFI_SOFT_RESERVE.into()],
            Some(DEV_DAX.into()),
        );
        set(
            DEV_DAX_CXL,
            Tri,
            true,
            Some(DAX),
            vec![Expr::and(Expr::and(CXL_BUS, CXL_REGION), DEV_DAX)],
            Some(Expr::and(CXL_REGION, DEV_DAX)),
        );
        set(
            DEV_DAX_HMEM_DEVICES,
            Bool,
            false,
            Some(DAX),
            vec![Expr::and(DEV_DAX_HMEM, DAX)],
            Some(Expr::y()),
        );
        set(
            DEV_DAX_KMEM,
            Tri,
            true,
            Some(DAX),
            vec![DEV_DAX.into(), P::MEMORY_HOTPLUG.into()],
            Some(DEV_DAX.into()),
        );
        // drivers/firmware/efi/Kconfig
        set(
            EFI_SOFT_RESERVE,
            Bool,
            true,
            None,
            vec![Expr::and(Expr::and(P::EFI, P::EFI_STUB), P::ACPI_HMAT)],
            Some(P::ACPI_HMAT.into()),
        );
        // `default m if NVDIMM_DAX`; EFI_SOFT_RESERVE sits in `menu "EFI ..." depends on EFI`.
        rules[DAX.index()].defaults = vec![DefaultRule {
            value: Expr::m(),
            cond: Some(P::NVDIMM_DAX.into()),
        }];
        rules[EFI_SOFT_RESERVE.index()].enclosing = vec![P::EFI.into()];
        let platform = [Tristate::Y; Platform::COUNT];
        let compiled = compile(&rules, &platform).expect("mainline Kconfig rules compile");
        KconfigRules {
            rules,
            platform,
            compiled,
        }
    }

    fn recompile(&mut self) {
        match compile(&self.rules, &self.platform) {
            Ok(c) => self.compiled = c,
            Err(e) => panic!("invalid Kconfig rules: {e}"),
        }
    }

    /// The rule for `sym`.
    pub fn rule(&self, sym: Sym) -> &SymRule {
        &self.rules[sym.index()]
    }

    /// The value of a fixed platform symbol.
    pub fn platform(&self, p: Platform) -> Tristate {
        self.platform[p.index()]
    }

    /// Changes a fixed platform symbol (e.g. `ACPI_HMAT=n` removes `EFI_SOFT_RESERVE`).
    pub fn set_platform(&mut self, p: Platform, value: Tristate) -> &mut Self {
        self.platform[p.index()] = value;
        self.recompile();
        self
    }

    /// Adds a `depends on <e>` line to `sym`.
    pub fn add_depends(&mut self, sym: Sym, e: Expr) -> &mut Self {
        self.rules[sym.index()].depends.push(e);
        self.recompile();
        self
    }

    /// Replaces all of `sym`'s own `depends on` lines (enclosing `if` blocks stay).
    pub fn replace_depends(&mut self, sym: Sym, es: impl IntoIterator<Item = Expr>) -> &mut Self {
        self.rules[sym.index()].depends = es.into_iter().collect();
        self.recompile();
        self
    }

    /// Replaces `sym`'s `default` lines.
    pub fn set_defaults(
        &mut self,
        sym: Sym,
        ds: impl IntoIterator<Item = DefaultRule>,
    ) -> &mut Self {
        self.rules[sym.index()].defaults = ds.into_iter().collect();
        self.recompile();
        self
    }

    /// Replaces `sym`'s defaults with one unconditional `default <e>` (or none).
    pub fn set_default(&mut self, sym: Sym, e: Option<Expr>) -> &mut Self {
        self.set_defaults(sym, e.map(|value| DefaultRule { value, cond: None }))
    }

    /// Adds `select <target> [if <cond>]` to `sym`.
    pub fn add_select(&mut self, sym: Sym, target: Sym, cond: Option<Expr>) -> &mut Self {
        self.rules[sym.index()]
            .selects
            .push(Select { target, cond });
        self.recompile();
        self
    }

    /// Gives `sym` a prompt (`true`) or makes it hidden (`false`).
    pub fn set_prompt(&mut self, sym: Sym, prompt: bool) -> &mut Self {
        self.rules[sym.index()].prompt = prompt;
        self.recompile();
        self
    }

    /// Makes `sym` a `bool` or a `tristate`.
    pub fn set_type(&mut self, sym: Sym, ty: SymType) -> &mut Self {
        self.rules[sym.index()].ty = ty;
        self.recompile();
        self
    }

    /// The symbol's entry in Kconfig syntax (for logs and docs), e.g.
    /// `config DEV_DAX_CXL\n\ttristate "..."\n\tdepends on ...`. Enclosing blocks appear as
    /// `# if <expr>` comments.
    pub fn describe(&self, sym: Sym) -> String {
        let r = self.rule(sym);
        let mut out = format!("config {sym}\n");
        for e in &r.enclosing {
            out += &format!("\t# inside: if {e}\n");
        }
        let ty = match r.ty {
            SymType::Bool => "bool",
            SymType::Tristate => "tristate",
        };
        out += &format!("\t{ty}{}\n", if r.prompt { " \"...\"" } else { "" });
        for e in &r.depends {
            out += &format!("\tdepends on {e}\n");
        }
        for d in &r.defaults {
            match &d.cond {
                Some(c) => out += &format!("\tdefault {} if {c}\n", d.value),
                None => out += &format!("\tdefault {}\n", d.value),
            }
        }
        for s in &r.selects {
            match &s.cond {
                Some(c) => out += &format!("\tselect {} if {c}\n", s.target),
                None => out += &format!("\tselect {}\n", s.target),
            }
        }
        out
    }
}

impl std::default::Default for KconfigRules {
    fn default() -> Self {
        KconfigRules::mainline()
    }
}

/// "dax/hmem: Request cxl_acpi and cxl_pci before walking Soft Reserved ranges" (v4,
/// <https://lore.kernel.org/all/20251120031925.87762-3-Smita.KoralahalliChannabasappa@amd.com/>):
/// adds to `DEV_DAX_CXL`
///
/// ```text
/// depends on CXL_ACPI >= DEV_DAX_HMEM
/// depends on CXL_PCI >= DEV_DAX_HMEM
/// ```
///
/// so `DEV_DAX_HMEM=y` with `CXL_ACPI=m` or `CXL_PCI=m` makes `DEV_DAX_CXL=n` (the comparison
/// yields `y` or `n`, never `m`).
pub fn request_cxl_acpi_pci_deps(rules: &mut KconfigRules) {
    rules.add_depends(Sym::DEV_DAX_CXL, Expr::ge(Sym::CXL_ACPI, Sym::DEV_DAX_HMEM));
    rules.add_depends(Sym::DEV_DAX_CXL, Expr::ge(Sym::CXL_PCI, Sym::DEV_DAX_HMEM));
}

/// "cxl/mem: Arrange for always-synchronous memdev attach" (1f1cb7f0,
/// <https://lore.kernel.org/all/20251216005616.3090129-3-dan.j.williams@intel.com/>), whose
/// drivers/cxl/Kconfig hunk is
///
/// ```text
///  config CXL_PCI
///      tristate "PCI manageability"
///      default CXL_BUS
/// +    select CXL_MEM
/// ...
///  config CXL_MEM
///      tristate "CXL: Memory Expansion"
/// -    depends on CXL_PCI
///      default CXL_BUS
/// ```
///
/// so `CXL_MEM` is at least `CXL_PCI` (cxl_pci now calls cxl_mem's `devm_cxl_add_memdev`, and a
/// built-in cxl_pci gets a built-in cxl_mem), and may be built without cxl_pci.
pub fn cxl_pci_selects_cxl_mem(rules: &mut KconfigRules) {
    rules.replace_depends(Sym::CXL_MEM, []);
    rules.add_select(Sym::CXL_PCI, Sym::CXL_MEM, None);
}

/// "dax/cxl: Fix HMEM dependencies"
/// (<https://github.com/torvalds/linux/commit/1eaef15b2349087d9ce583b9153970d5cf5c5329>):
/// `DEV_DAX_HMEM` gains
///
/// ```text
/// depends on CXL_ACPI || !CXL_ACPI
/// depends on CXL_PCI || !CXL_PCI
/// depends on CXL_BUS || !CXL_BUS
/// ```
///
/// and `DEV_DAX_CXL`'s own dependencies become exactly
///
/// ```text
/// depends on CXL_BUS && CXL_REGION && DEV_DAX
/// depends on DEV_DAX_HMEM || !DEV_DAX_HMEM
/// ```
///
/// (the tree at that commit no longer has the `>=` lines of [`request_cxl_acpi_pci_deps`], so
/// this replaces rather than adds). Applying it with or without the v4 rules gives the same
/// result.
pub fn fix_hmem_dependencies(rules: &mut KconfigRules) {
    use Sym::*;
    rules.add_depends(DEV_DAX_HMEM, Expr::optional(CXL_ACPI));
    rules.add_depends(DEV_DAX_HMEM, Expr::optional(CXL_PCI));
    rules.add_depends(DEV_DAX_HMEM, Expr::optional(CXL_BUS));
    rules.replace_depends(
        DEV_DAX_CXL,
        [
            Expr::and(Expr::and(CXL_BUS, CXL_REGION), DEV_DAX),
            Expr::optional(DEV_DAX_HMEM),
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Requests, resolved configs, parsing.

/// What the user asked for (a .config fragment): one `Option<Tristate>` per symbol,
/// `None` = not mentioned.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct KconfigRequest {
    values: [Option<Tristate>; Sym::COUNT],
}

impl KconfigRequest {
    /// The empty request (every symbol unmentioned).
    pub fn new() -> KconfigRequest {
        KconfigRequest::default()
    }

    /// What was asked for `sym`.
    pub fn get(&self, sym: Sym) -> Option<Tristate> {
        self.values[sym.index()]
    }

    /// Asks for `sym = value` (`None` forgets the request).
    pub fn set(&mut self, sym: Sym, value: Option<Tristate>) -> &mut Self {
        self.values[sym.index()] = value;
        self
    }

    /// Builder form of [`set`](Self::set) with a value.
    pub fn with(mut self, sym: Sym, value: Tristate) -> Self {
        self.values[sym.index()] = Some(value);
        self
    }

    /// Parses a .config fragment: `CONFIG_X=y|m|n` and `# CONFIG_X is not set` lines; blank
    /// lines and other `#` comments are skipped; a later line for the same symbol wins. A `#`
    /// line whose text starts with `CONFIG_` is a setting ([`is_not_set_attempt`]): anything
    /// but exactly `# CONFIG_X is not set` is an error, never a comment.
    /// Errors are prefixed with the 1-based line number (`line 3: ...`).
    pub fn parse_fragment(text: &str) -> Result<KconfigRequest, String> {
        let mut req = KconfigRequest::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || (t.starts_with('#') && !is_not_set_attempt(t)) {
                continue;
            }
            let (s, v) = parse_config_line(t).map_err(|e| format!("line {}: {e}", i + 1))?;
            req.set(s, Some(v));
        }
        Ok(req)
    }

    /// The request as .config lines (mentioned symbols only, in [`Sym::ALL`] order).
    pub fn render(&self) -> String {
        let mut out = String::new();
        for s in Sym::ALL {
            if let Some(v) = self.get(s) {
                push_line(&mut out, s, v);
            }
        }
        out
    }
}

impl From<&Kconfig> for KconfigRequest {
    /// Every symbol requested at its resolved value.
    fn from(c: &Kconfig) -> KconfigRequest {
        KconfigRequest {
            values: c.values.map(Some),
        }
    }
}

/// Each symbol independently `None`, `N`, `M` or `Y` (one byte each, `byte % 4`); never fails,
/// and missing bytes read as `None`.
impl<'a> Arbitrary<'a> for KconfigRequest {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut values = [None; Sym::COUNT];
        for v in values.iter_mut() {
            let b = u8::arbitrary(u)?;
            *v = match b % 4 {
                0 => None,
                1 => Some(Tristate::N),
                2 => Some(Tristate::M),
                _ => Some(Tristate::Y),
            };
        }
        Ok(KconfigRequest { values })
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (Sym::COUNT, Some(Sym::COUNT))
    }
}

/// A resolved configuration: every symbol has a value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Kconfig {
    values: [Tristate; Sym::COUNT],
}

impl Kconfig {
    /// The value of `sym`.
    pub fn get(&self, sym: Sym) -> Tristate {
        self.values[sym.index()]
    }

    /// `IS_ENABLED(CONFIG_X)`: `y` or `m`.
    pub fn is_enabled(&self, sym: Sym) -> bool {
        self.get(sym) != Tristate::N
    }

    /// `IS_BUILTIN(CONFIG_X)`: `y`.
    pub fn is_builtin(&self, sym: Sym) -> bool {
        self.get(sym) == Tristate::Y
    }

    /// `IS_MODULE(CONFIG_X)`: `m`.
    pub fn is_module(&self, sym: Sym) -> bool {
        self.get(sym) == Tristate::M
    }

    /// All values, indexed by [`Sym::index`].
    pub fn values(&self) -> &[Tristate; Sym::COUNT] {
        &self.values
    }

    /// The normalized config as .config lines, in [`Sym::ALL`] order:
    /// `CONFIG_CXL_BUS=m`, `# CONFIG_DEV_DAX_CXL is not set`, each ending in `\n`.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(Sym::COUNT * 32);
        for s in Sym::ALL {
            push_line(&mut out, s, self.get(s));
        }
        out
    }
}

fn push_line(out: &mut String, s: Sym, v: Tristate) {
    match v {
        Tristate::N => {
            out.push_str("# CONFIG_");
            out.push_str(s.name());
            out.push_str(" is not set\n");
        }
        _ => {
            out.push_str("CONFIG_");
            out.push_str(s.name());
            out.push('=');
            out.push(v.letter());
            out.push('\n');
        }
    }
}

fn known_symbols() -> String {
    Sym::ALL
        .iter()
        .map(|s| format!("CONFIG_{s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_sym(name: &str) -> Result<Sym, String> {
    let bare = name
        .strip_prefix("CONFIG_")
        .ok_or_else(|| format!("expected a symbol name starting with CONFIG_, found '{name}'"))?;
    Sym::from_name(bare).ok_or_else(|| {
        format!(
            "unknown symbol '{name}': expected one of {}",
            known_symbols()
        )
    })
}

/// Parses one .config line: `CONFIG_X=y`, `CONFIG_X=m`, `CONFIG_X=n` or
/// `# CONFIG_X is not set` (surrounding whitespace ignored). `X` must be a modeled [`Sym`].
/// A bool given `m` is returned as `M`; [`olddefconfig`] reads it as `y`, like Kconfig.
/// The error names what was expected; callers add the file and line.
pub fn parse_config_line(line: &str) -> Result<(Sym, Tristate), String> {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix('#') {
        let words: Vec<&str> = rest.split_whitespace().collect();
        return match words[..] {
            [name, "is", "not", "set"] => Ok((parse_sym(name)?, Tristate::N)),
            [word, ..] if word.starts_with("CONFIG_") => {
                let name = word
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or(word);
                Err(format!(
                    "expected '# {name} is not set' (a '#' line starting with CONFIG_ is a \
                     setting, not a comment; nothing may follow 'is not set'), found '{t}'"
                ))
            }
            _ => Err(format!(
                "expected '# CONFIG_<SYMBOL> is not set' or 'CONFIG_<SYMBOL>=y|m|n', found '{t}'"
            )),
        };
    }
    let (name, value) = t.split_once('=').ok_or_else(|| {
        format!("expected 'CONFIG_<SYMBOL>=y|m|n' or '# CONFIG_<SYMBOL> is not set', found '{t}'")
    })?;
    let sym = parse_sym(name.trim())?;
    let value = value.trim();
    let v = Tristate::from_letter(value)
        .ok_or_else(|| format!("invalid value '{value}' for CONFIG_{sym}: expected y, m or n"))?;
    Ok((sym, v))
}

/// Whether a `#` line is an attempt at `# CONFIG_<SYMBOL> is not set` rather than a comment:
/// the text after `#` and white space starts with `CONFIG_`. Such a line must be exactly that
/// setting ([`parse_config_line`] says what is wrong otherwise); reading a typo such as
/// `# CONFIG_DEV_DAX_HMEM is not` as a comment would leave the symbol at its default, the
/// opposite of what was meant.
///
/// Stricter than scripts/kconfig/confdata.c `conf_read_simple()`, which skips any `#` line it
/// cannot read as `# CONFIG_X is not set` (and ignores what follows "is not set"): a fragment
/// here is written by hand, and a silent comment is the worst answer to a typo.
pub fn is_not_set_attempt(line: &str) -> bool {
    line.trim()
        .strip_prefix('#')
        .is_some_and(|r| r.trim_start().starts_with("CONFIG_"))
}

/// Resolves a request as `make olddefconfig` would (see the module docs for the rules):
/// unmentioned visible symbols take their default; requested values are clamped to what the
/// dependencies allow (`y` where only `m` is allowed becomes `m`; `m` for a bool becomes `y`
/// if allowed); hidden symbols take their default; `select` raises lower bounds.
/// Deterministic and allocation-free.
pub fn olddefconfig(req: &KconfigRequest, rules: &KconfigRules) -> Kconfig {
    let c = &rules.compiled;
    let mut vals = [Tristate::N; Sym::COUNT];
    for s in c.order {
        let i = s.index();
        let cs = &c.syms[i];
        let mut dep = run(&c.ops, cs.dep, &vals);
        if cs.bool_ && dep == Tristate::M {
            dep = Tristate::Y;
        }
        let visible = if cs.prompt { dep } else { Tristate::N };
        let requested = match req.values[i] {
            Some(v) if visible != Tristate::N => {
                let v = if cs.bool_ && v == Tristate::M {
                    Tristate::Y
                } else {
                    v
                };
                Some(v.and(visible))
            }
            _ => None,
        };
        let mut v = match requested {
            Some(v) => v,
            None => {
                let mut v = Tristate::N;
                for d in &c.defaults[cs.defaults_start as usize..cs.defaults_end as usize] {
                    let vis = run(&c.ops, d.visible, &vals);
                    if vis != Tristate::N {
                        v = run(&c.ops, d.value, &vals).and(vis);
                        break;
                    }
                }
                v
            }
        };
        let mut rev = run(&c.ops, cs.rev, &vals);
        if cs.bool_ && rev == Tristate::M {
            rev = Tristate::Y;
        }
        v = v.or(rev);
        if cs.bool_ && v == Tristate::M {
            v = Tristate::Y;
        }
        vals[i] = v;
    }
    Kconfig { values: vals }
}

#[cfg(test)]
mod tests {
    use super::Tristate::{M, N, Y};
    use super::*;
    use Sym::*;

    fn resolve(pairs: &[(Sym, Tristate)], rules: &KconfigRules) -> Kconfig {
        let mut req = KconfigRequest::new();
        for &(s, v) in pairs {
            req.set(s, Some(v));
        }
        olddefconfig(&req, rules)
    }

    fn v4() -> KconfigRules {
        let mut r = KconfigRules::mainline();
        request_cxl_acpi_pci_deps(&mut r);
        r
    }

    fn post_merge() -> KconfigRules {
        let mut r = v4();
        fix_hmem_dependencies(&mut r);
        r
    }

    /// Everything on as built-in except the given overrides.
    fn all_y_but(over: &[(Sym, Tristate)]) -> Vec<(Sym, Tristate)> {
        let mut v: Vec<(Sym, Tristate)> = Sym::ALL.iter().map(|&s| (s, Y)).collect();
        for &(s, t) in over {
            v.iter_mut().find(|(x, _)| *x == s).unwrap().1 = t;
        }
        v
    }

    #[test]
    fn tristate_logic() {
        assert_eq!(M.and(Y), M);
        assert_eq!(M.or(N), M);
        assert_eq!(M.not(), M);
        assert_eq!(Y.not(), N);
        let syms = [N; Sym::COUNT];
        let plat = [Y; Platform::COUNT];
        assert_eq!(Expr::ge(Expr::m(), Expr::y()).eval(&syms, &plat), N);
        assert_eq!(Expr::ge(Expr::m(), Expr::m()).eval(&syms, &plat), Y);
        assert_eq!(Expr::optional(Expr::m()).eval(&syms, &plat), M);
        assert_eq!(Expr::optional(Expr::n()).eval(&syms, &plat), Y);
        assert_eq!(Expr::ne(Expr::m(), Expr::n()).eval(&syms, &plat), Y);
        assert_eq!(Expr::lt(Expr::n(), Expr::m()).eval(&syms, &plat), Y);
    }

    #[test]
    fn names_round_trip() {
        for s in Sym::ALL {
            assert_eq!(Sym::from_name(s.name()), Some(s));
        }
        assert_eq!(Sym::from_name("CONFIG_CXL_BUS"), None);
        assert_eq!(Sym::COUNT, 13);
    }

    #[test]
    fn tristate_clamped_to_module_dependency() {
        let r = KconfigRules::mainline();
        let c = resolve(
            &[(CXL_BUS, M), (CXL_PCI, Y), (CXL_ACPI, Y), (CXL_MEM, Y)],
            &r,
        );
        assert_eq!(c.get(CXL_BUS), M);
        assert_eq!(c.get(CXL_PCI), M);
        assert_eq!(c.get(CXL_ACPI), M);
        assert_eq!(c.get(CXL_MEM), M);
        assert!(c.is_module(CXL_PCI) && c.is_enabled(CXL_PCI) && !c.is_builtin(CXL_PCI));
        // Hidden CXL_PORT follows CXL_BUS.
        assert_eq!(c.get(CXL_PORT), M);
    }

    #[test]
    fn bool_depending_on_module_can_be_y() {
        let r = KconfigRules::mainline();
        let c = resolve(&[(CXL_BUS, M), (CXL_REGION, Y)], &r);
        assert_eq!(c.get(CXL_REGION), Y);
        // Also by default (default CXL_BUS = m, promoted), and a bool request of m reads as y.
        assert_eq!(resolve(&[(CXL_BUS, M)], &r).get(CXL_REGION), Y);
        assert_eq!(
            resolve(&[(CXL_BUS, M), (CXL_REGION, M)], &r).get(CXL_REGION),
            Y
        );
        // But not without CXL_BUS.
        assert_eq!(
            resolve(&[(CXL_BUS, N), (CXL_REGION, Y)], &r).get(CXL_REGION),
            N
        );
    }

    #[test]
    fn no_region_no_dax_cxl() {
        let r = KconfigRules::mainline();
        let c = resolve(&all_y_but(&[(CXL_REGION, N)]), &r);
        assert_eq!(c.get(CXL_REGION), N);
        assert_eq!(c.get(DEV_DAX_CXL), N);
        // And by default too.
        let c = resolve(&[(CXL_BUS, Y), (CXL_REGION, N), (DAX, Y), (DEV_DAX, Y)], &r);
        assert_eq!(c.get(DEV_DAX_CXL), N);
        let c = resolve(&[(CXL_BUS, Y), (DAX, Y), (DEV_DAX, Y)], &r);
        assert_eq!(c.get(DEV_DAX_CXL), Y);
    }

    #[test]
    fn dax_cxl_capped_by_cxl_bus_module() {
        // Arnd's 2023 fix: DEV_DAX_CXL depends on CXL_BUS, so it cannot be y with cxl_core=m.
        let r = KconfigRules::mainline();
        let c = resolve(&all_y_but(&[(CXL_BUS, M)]), &r);
        assert_eq!(c.get(CXL_REGION), Y);
        assert_eq!(c.get(DEV_DAX_CXL), M);
    }

    #[test]
    fn hmem_y_acpi_m_mainline_vs_v4() {
        let req = all_y_but(&[(CXL_BUS, M), (CXL_ACPI, M), (CXL_PCI, M)]);
        let main = resolve(&req, &KconfigRules::mainline());
        assert_eq!(main.get(DEV_DAX_HMEM), Y);
        assert_eq!(main.get(CXL_ACPI), M);
        // Mainline: allowed, clamped to m by CXL_BUS=m.
        assert_eq!(main.get(DEV_DAX_CXL), M);
        let v4c = resolve(&req, &v4());
        assert_eq!(v4c.get(DEV_DAX_HMEM), Y);
        assert_eq!(v4c.get(DEV_DAX_CXL), N);

        // Only CXL_ACPI=m (CXL_BUS=y, CXL_PCI=y): mainline gives y, v4 gives n.
        let req = all_y_but(&[(CXL_ACPI, M)]);
        assert_eq!(resolve(&req, &KconfigRules::mainline()).get(DEV_DAX_CXL), Y);
        assert_eq!(resolve(&req, &v4()).get(DEV_DAX_CXL), N);
        // v4 with DEV_DAX_HMEM=m: m >= m holds, DEV_DAX_CXL=y allowed.
        let req = all_y_but(&[(CXL_ACPI, M), (DEV_DAX_HMEM, M)]);
        assert_eq!(resolve(&req, &v4()).get(DEV_DAX_CXL), Y);
        // v4 with DEV_DAX_HMEM=n: allowed.
        let req = all_y_but(&[(CXL_ACPI, M), (CXL_PCI, M), (DEV_DAX_HMEM, N)]);
        assert_eq!(resolve(&req, &v4()).get(DEV_DAX_CXL), Y);
    }

    #[test]
    fn post_merge_rules() {
        let r = post_merge();
        // DEV_DAX_HMEM=y with CXL_ACPI=m is clamped to m.
        let c = resolve(&all_y_but(&[(CXL_ACPI, M)]), &r);
        assert_eq!(c.get(CXL_ACPI), M);
        assert_eq!(c.get(DEV_DAX_HMEM), M);
        // ...and the `>=` lines are gone: DEV_DAX_CXL follows DEV_DAX_HMEM || !DEV_DAX_HMEM = m.
        assert_eq!(c.get(DEV_DAX_CXL), M);
        // DEV_DAX_CXL=y with DEV_DAX_HMEM=m is clamped to m.
        let c = resolve(&all_y_but(&[(DEV_DAX_HMEM, M)]), &r);
        assert_eq!(c.get(DEV_DAX_HMEM), M);
        assert_eq!(c.get(DEV_DAX_CXL), M);
        // CXL_BUS=m caps DEV_DAX_HMEM too.
        let c = resolve(&all_y_but(&[(CXL_BUS, M)]), &r);
        assert_eq!(c.get(DEV_DAX_HMEM), M);
        // Without CXL at all, HMEM may be built in.
        let c = resolve(&all_y_but(&[(CXL_BUS, N)]), &r);
        assert_eq!(c.get(DEV_DAX_HMEM), Y);
        assert_eq!(c.get(DEV_DAX_CXL), N);
        // Everything y stays y.
        let c = resolve(&all_y_but(&[]), &r);
        assert_eq!(c.get(DEV_DAX_HMEM), Y);
        assert_eq!(c.get(DEV_DAX_CXL), Y);
        // The fix is the same whether or not v4 was applied first.
        let mut direct = KconfigRules::mainline();
        fix_hmem_dependencies(&mut direct);
        assert_eq!(direct, r);
        assert_eq!(
            r.rule(DEV_DAX_CXL)
                .depends
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>(),
            [
                "CXL_BUS && CXL_REGION && DEV_DAX",
                "DEV_DAX_HMEM || !DEV_DAX_HMEM"
            ]
        );
        assert_eq!(
            v4().rule(DEV_DAX_CXL)
                .depends
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>(),
            [
                "CXL_BUS && CXL_REGION && DEV_DAX",
                "CXL_ACPI >= DEV_DAX_HMEM",
                "CXL_PCI >= DEV_DAX_HMEM"
            ]
        );
    }

    #[test]
    fn hidden_symbol_defaults() {
        let r = KconfigRules::mainline();
        // DEV_DAX_HMEM_DEVICES follows DEV_DAX_HMEM && DAX, promoted to y (bool) even for m,
        // and ignores requests.
        for (hmem, want) in [(Y, Y), (M, Y), (N, N)] {
            let c = resolve(
                &[
                    (DAX, Y),
                    (DEV_DAX, Y),
                    (DEV_DAX_HMEM, hmem),
                    (DEV_DAX_HMEM_DEVICES, N),
                ],
                &r,
            );
            assert_eq!(c.get(DEV_DAX_HMEM), hmem);
            assert_eq!(c.get(DEV_DAX_HMEM_DEVICES), want, "hmem={hmem}");
        }
        let c = resolve(&[(DAX, M), (DEV_DAX, M), (DEV_DAX_HMEM, Y)], &r);
        assert_eq!(c.get(DEV_DAX_HMEM), M);
        assert_eq!(c.get(DEV_DAX_HMEM_DEVICES), Y);
        let c = resolve(
            &[(DAX, N), (DEV_DAX_HMEM, Y), (DEV_DAX_HMEM_DEVICES, Y)],
            &r,
        );
        assert_eq!(c.get(DEV_DAX_HMEM_DEVICES), N);
        // CXL_PORT ignores a request and follows CXL_BUS.
        let c = resolve(&[(CXL_BUS, Y), (CXL_PORT, N)], &r);
        assert_eq!(c.get(CXL_PORT), Y);
        let c = resolve(&[(CXL_BUS, N), (CXL_PORT, Y)], &r);
        assert_eq!(c.get(CXL_PORT), N);
    }

    #[test]
    fn empty_request_defaults() {
        let c = olddefconfig(&KconfigRequest::new(), &KconfigRules::mainline());
        assert_eq!(c.get(CXL_BUS), N);
        assert_eq!(c.get(DAX), M); // default m if NVDIMM_DAX (platform y)
        assert_eq!(c.get(DEV_DAX), N);
        assert_eq!(c.get(DEV_DAX_HMEM), N);
        assert_eq!(c.get(EFI_SOFT_RESERVE), Y); // default ACPI_HMAT
                                                // Visible defaults follow their inputs.
        let c = olddefconfig(
            &KconfigRequest::new().with(CXL_BUS, M).with(DEV_DAX, Y),
            &KconfigRules::mainline(),
        );
        for s in [CXL_PCI, CXL_ACPI, CXL_PORT, CXL_MEM] {
            assert_eq!(c.get(s), M, "{s}");
        }
        assert_eq!(c.get(DEV_DAX), M); // clamped by DAX=m
        assert_eq!(c.get(DEV_DAX_HMEM), M);
        assert_eq!(c.get(DEV_DAX_KMEM), M);
        assert_eq!(c.get(DEV_DAX_CXL), M);
    }

    #[test]
    fn platform_and_select() {
        let mut r = KconfigRules::mainline();
        r.set_platform(Platform::ACPI_HMAT, N);
        let c = resolve(&all_y_but(&[]), &r);
        assert_eq!(c.get(EFI_SOFT_RESERVE), N);
        assert_eq!(c.get(DEV_DAX_HMEM), N);
        assert_eq!(c.get(DEV_DAX_HMEM_DEVICES), N);
        // select forces a lower bound past depends.
        let mut r = KconfigRules::mainline();
        r.add_select(CXL_BUS, DEV_DAX, None);
        let c = resolve(&[(CXL_BUS, M), (DAX, N), (DEV_DAX, N)], &r);
        assert_eq!(c.get(DEV_DAX), M);
        let c = resolve(&[(CXL_BUS, Y), (DAX, M), (DEV_DAX, N)], &r);
        assert_eq!(c.get(DEV_DAX), Y);
        // Conditional select.
        let mut r = KconfigRules::mainline();
        r.add_select(CXL_BUS, CXL_REGION, Some(Expr::eq(DAX, Expr::y())));
        assert_eq!(
            resolve(&[(CXL_BUS, Y), (CXL_REGION, N), (DAX, Y)], &r).get(CXL_REGION),
            Y
        );
        assert_eq!(
            resolve(&[(CXL_BUS, Y), (CXL_REGION, N), (DAX, M)], &r).get(CXL_REGION),
            N
        );
    }

    #[test]
    #[should_panic(expected = "recursive dependency")]
    fn cycles_rejected() {
        let mut r = KconfigRules::mainline();
        r.add_depends(CXL_BUS, Expr::from(DEV_DAX_CXL));
    }

    #[test]
    fn describe_mentions_rules() {
        let r = post_merge();
        let d = r.describe(DEV_DAX_HMEM);
        assert!(d.contains("depends on CXL_ACPI || !CXL_ACPI"), "{d}");
        assert!(d.contains("default DEV_DAX"), "{d}");
        assert!(r.describe(DAX).contains("default m if NVDIMM_DAX"));
    }

    #[test]
    fn parse_lines() {
        assert_eq!(parse_config_line("CONFIG_CXL_BUS=m"), Ok((CXL_BUS, M)));
        assert_eq!(parse_config_line("  CONFIG_DAX=y\r"), Ok((DAX, Y)));
        assert_eq!(parse_config_line("CONFIG_DAX=n"), Ok((DAX, N)));
        assert_eq!(
            parse_config_line("# CONFIG_DEV_DAX_CXL is not set"),
            Ok((DEV_DAX_CXL, N))
        );
        let e = parse_config_line("CONFIG_DAX=x").unwrap_err();
        assert!(
            e.contains("expected y, m or n") && e.contains("CONFIG_DAX"),
            "{e}"
        );
        let e = parse_config_line("CONFIG_FOO=y").unwrap_err();
        assert!(
            e.contains("unknown symbol 'CONFIG_FOO'") && e.contains("CONFIG_CXL_BUS"),
            "{e}"
        );
        let e = parse_config_line("DAX=y").unwrap_err();
        assert!(e.contains("CONFIG_"), "{e}");
        let e = parse_config_line("hello").unwrap_err();
        assert!(e.contains("expected 'CONFIG_<SYMBOL>=y|m|n'"), "{e}");
        let e = parse_config_line("# CONFIG_DAX is set").unwrap_err();
        assert!(e.contains("is not set"), "{e}");
        for typo in [
            "# CONFIG_DEV_DAX_HMEM is not",
            "# CONFIG_DEV_DAX_HMEM is not set # off",
            "# CONFIG_DEV_DAX_HMEM=y",
            "#CONFIG_DEV_DAX_HMEM",
        ] {
            assert!(is_not_set_attempt(typo), "{typo}");
            let e = parse_config_line(typo).unwrap_err();
            assert!(
                e.contains("expected '# CONFIG_DEV_DAX_HMEM is not set'"),
                "{e}"
            );
        }
        assert_eq!(
            parse_config_line("#CONFIG_DAX   is not set  "),
            Ok((DAX, N))
        );
        assert!(!is_not_set_attempt("# a comment about CONFIG_DAX"));
        assert!(!is_not_set_attempt("CONFIG_DAX=y"));
        let e = KconfigRequest::parse_fragment("# comment\n# CONFIG_DAX is not\n").unwrap_err();
        assert!(e.starts_with("line 2: "), "{e}");
        let req = KconfigRequest::parse_fragment(
            "# comment\n\nCONFIG_CXL_BUS=y\n# CONFIG_DAX is not set\n",
        )
        .unwrap();
        assert_eq!(req, KconfigRequest::new().with(CXL_BUS, Y).with(DAX, N));
        let e = KconfigRequest::parse_fragment("CONFIG_CXL_BUS=y\nCONFIG_X=y\n").unwrap_err();
        assert!(e.starts_with("line 2: "), "{e}");
    }

    #[test]
    fn render_parse_round_trip() {
        let c = resolve(
            &all_y_but(&[(CXL_BUS, M), (DEV_DAX_CXL, N)]),
            &KconfigRules::mainline(),
        );
        let text = c.render();
        assert!(text.starts_with("CONFIG_CXL_BUS=m\n"), "{text}");
        assert!(text.contains("# CONFIG_DEV_DAX_CXL is not set\n"), "{text}");
        assert_eq!(text.lines().count(), Sym::COUNT);
        let req = KconfigRequest::parse_fragment(&text).unwrap();
        assert_eq!(req, KconfigRequest::from(&c));
        for s in Sym::ALL {
            assert_eq!(req.get(s), Some(c.get(s)));
        }
        assert_eq!(KconfigRequest::parse_fragment(&req.render()).unwrap(), req);
    }

    fn rule_sets() -> [(&'static str, KconfigRules); 3] {
        [
            ("mainline", KconfigRules::mainline()),
            ("v4", v4()),
            ("post-merge", post_merge()),
        ]
    }

    /// Checks every resolved config against the rules directly (independent of the compiled
    /// form): each value within [select lower bound, dependency upper bound], bools never m.
    fn check_consistent(c: &Kconfig, rules: &KconfigRules) {
        let plat = rules.platform;
        for s in Sym::ALL {
            let r = rules.rule(s);
            let v = c.get(s);
            if r.ty == SymType::Bool {
                assert_ne!(v, M, "{s} is bool");
            }
            let mut dep = r.dependency().eval(&c.values, &plat);
            if r.ty == SymType::Bool && dep == M {
                dep = Y;
            }
            assert!(
                v <= dep,
                "{s}={v} exceeds its dependency {dep}\n{}",
                c.render()
            );
        }
    }

    #[test]
    fn olddefconfig_idempotent_over_generated_requests() {
        let mut rng = crate::scenario::gen::ByteStream::new(0x9e37_79b9_7f4a_7c15);
        let mut seen = std::collections::HashSet::new();
        for (name, rules) in rule_sets() {
            for i in 0..4000 {
                // Vary the length so that running out of bytes is exercised too.
                let len = (rng.next_u64() % (Sym::COUNT as u64 + 4)) as usize;
                let bytes = rng.bytes(len);
                let mut u = Unstructured::new(&bytes);
                let req = KconfigRequest::arbitrary(&mut u).expect("generation never fails");
                let c = olddefconfig(&req, &rules);
                let again = olddefconfig(&KconfigRequest::from(&c), &rules);
                assert_eq!(
                    again,
                    c,
                    "{name} #{i}: not idempotent for request\n{}",
                    req.render()
                );
                // Render/parse round trip as well.
                let parsed = KconfigRequest::parse_fragment(&c.render()).unwrap();
                assert_eq!(olddefconfig(&parsed, &rules), c);
                check_consistent(&c, &rules);
                // Deterministic.
                assert_eq!(olddefconfig(&req, &rules), c);
                seen.insert(c);
            }
        }
        // The generator explores: many distinct configs.
        assert!(seen.len() > 200, "only {} distinct configs", seen.len());
    }

    #[test]
    fn arbitrary_request_from_empty_bytes() {
        let mut u = Unstructured::new(&[]);
        assert_eq!(
            KconfigRequest::arbitrary(&mut u).unwrap(),
            KconfigRequest::new()
        );
        let bytes = [1u8, 2, 3, 0];
        let mut u = Unstructured::new(&bytes);
        let req = KconfigRequest::arbitrary(&mut u).unwrap();
        assert_eq!(req.get(CXL_BUS), Some(N));
        assert_eq!(req.get(CXL_PCI), Some(M));
        assert_eq!(req.get(CXL_ACPI), Some(Y));
        assert_eq!(req.get(CXL_PORT), None);
        assert_eq!(req.get(CXL_MEM), None);
    }

    #[test]
    fn exhaustive_small_space_agrees_with_slow_evaluator() {
        // Over every request of the CXL_* / DAX tristates that matter for DEV_DAX_CXL, compare the
        // compiled resolver with a direct tree-walking implementation of the same rules.
        let syms = [
            CXL_BUS,
            CXL_ACPI,
            CXL_PCI,
            DAX,
            DEV_DAX,
            DEV_DAX_HMEM,
            DEV_DAX_CXL,
        ];
        for (name, rules) in rule_sets() {
            for code in 0..4usize.pow(syms.len() as u32) {
                let mut req = KconfigRequest::new();
                let mut k = code;
                for s in syms {
                    req.set(s, [None, Some(N), Some(M), Some(Y)][k % 4]);
                    k /= 4;
                }
                let fast = olddefconfig(&req, &rules);
                let slow = slow_olddefconfig(&req, &rules);
                assert_eq!(fast, slow, "{name}: {}", req.render());
            }
        }
    }

    /// Straightforward re-implementation over `Expr` trees, iterating to a fixed point instead of
    /// using the topological order.
    fn slow_olddefconfig(req: &KconfigRequest, rules: &KconfigRules) -> Kconfig {
        let plat = rules.platform;
        let mut vals = [N; Sym::COUNT];
        for _ in 0..=Sym::COUNT {
            let mut next = vals;
            for s in Sym::ALL {
                let r = rules.rule(s);
                let is_bool = r.ty == SymType::Bool;
                let promote = |t: Tristate| if is_bool && t == M { Y } else { t };
                let dep_e = r.dependency();
                let dep = promote(dep_e.eval(&vals, &plat));
                let vis = if r.prompt { dep } else { N };
                let mut v = match req.get(s) {
                    Some(u) if vis != N => promote(u).and(vis),
                    _ => r
                        .defaults
                        .iter()
                        .find_map(|d| {
                            let dv = match &d.cond {
                                Some(c) => c.eval(&vals, &plat).and(dep_e.eval(&vals, &plat)),
                                None => dep_e.eval(&vals, &plat),
                            };
                            (dv != N).then(|| d.value.eval(&vals, &plat).and(dv))
                        })
                        .unwrap_or(N),
                };
                for t in Sym::ALL {
                    let tr = rules.rule(t);
                    for sel in tr.selects.iter().filter(|x| x.target == s) {
                        let mut x = vals[t.index()].and(tr.dependency().eval(&vals, &plat));
                        if let Some(c) = &sel.cond {
                            x = x.and(c.eval(&vals, &plat));
                        }
                        v = v.or(promote(x));
                    }
                }
                next[s.index()] = promote(v);
            }
            if next == vals {
                break;
            }
            vals = next;
        }
        Kconfig { values: vals }
    }
}
