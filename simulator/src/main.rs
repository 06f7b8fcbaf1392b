//! `simulator`: serves the TMF order chain over HTTP.

fn main() {}
