//! The correctness oracle.
