//! Driving the load: when each send is due, carrying it to the target, and recording what
//! came back, the same way for every target.

pub mod plan;
pub mod record;
