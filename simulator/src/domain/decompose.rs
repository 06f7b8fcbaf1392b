//! Catalog-driven decomposition: product offering → CFS → RFS → resources.
