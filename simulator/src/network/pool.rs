//! Allocators for ONU slots, VLAN pairs, IPv4 addresses and number ranges.
