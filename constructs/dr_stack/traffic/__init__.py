"""Traffic: Route53 health checks, the traffic switch and failover records; the web ACLs."""
