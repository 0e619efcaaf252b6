//! srfuzz: executable models of the Linux Soft Reserved ownership designs.
pub mod kernel;
