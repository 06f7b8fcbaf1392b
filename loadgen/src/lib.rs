//! loadgen: drives an ordersim simulator (embedded or external) and reports.
