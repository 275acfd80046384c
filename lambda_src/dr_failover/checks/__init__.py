"""Read-only checks of live state: the preflight before a run, the scheduled failover readiness."""
