"""The failover control plane: orchestrators, probe, keeper, readiness, recovery grants and IAM."""
