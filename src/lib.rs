//! srfuzz: executable, deterministic models of the Linux designs that decide whether HMEM or
//! CXL owns "Soft Reserved" memory, and the machinery to fuzz them against each other.
//!
//! Layers, bottom up: [`kernel`] (resource trees, driver core, modules, Kconfig, scheduler),
//! [`drivers`] (CXL, DAX, HMEM, kmem as mainline has them), [`designs`] (patch stacks over
//! mainline), [`scenario`] (inputs and their text form), [`model`] (one run of one design),
//! [`observe`] (what a run looks like to a judge); [`minimize`] shrinks a scenario while a
//! check still reports what it reported.

// Kernel functions keep their kernel names (`__request_region`, `e820__reserve_resources_late`)
// so that a grep finds the C function they model.
#![allow(non_snake_case)]
#![warn(missing_docs)]

pub mod archive;
pub mod bench;
pub mod bisect;
pub mod campaign;
pub mod census;
pub mod checks;
pub mod designs;
pub mod drivers;
pub mod explore;
pub mod kernel;
pub mod matrix;
pub mod minimize;
pub mod model;
pub mod observe;
pub mod report;
pub mod scenario;
pub mod triage;
