//! Selvedge host library.
