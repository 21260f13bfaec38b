//! One walker per tree-sitter grammar, each in its own folder. A walker imports the shared
//! syntax kit ([`crate::syntax`]) and the row types, never another walker.

pub mod go;
pub mod js;
pub mod python;
pub mod rust;
