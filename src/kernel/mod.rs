pub mod errno;
pub mod resource;
pub mod kconfig;
