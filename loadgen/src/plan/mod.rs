//! What a run will do, decided before it starts: the scenario file ([`scenario`]) and its
//! variants ([`variant`]), the intended send instants ([`schedule`]), when each send is due
//! under either clock ([`sends`]), and the seeded choice of operation and its TMF622 body
//! ([`workload`], [`order_body`]).

pub mod order_body;
pub mod scenario;
pub mod schedule;
pub mod sends;
pub mod variant;
pub mod workload;
