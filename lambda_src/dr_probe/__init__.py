"""Probe of the primary region's endpoint, run from the secondary region (automatic failover signal)."""
