"""The automatic decision: whether an automatic failover may go on."""
