//! The network layer's state machine: element operations against pools, with profiles.

/// The network layer.
#[derive(Debug, Default)]
pub struct NetworkLayer {}
