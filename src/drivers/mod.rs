//! The drivers whose code decides who owns Soft Reserved memory, one module per kernel source
//! file (or small group of files). Functions carry their kernel names; the ones a design can
//! replace are reached through [`crate::designs::Ops`], the rest are called directly.

pub mod cxl;
pub mod dax;
pub mod dax_cxl;
pub mod e820;
pub mod hmem;
pub mod kmem;
