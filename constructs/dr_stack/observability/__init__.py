"""What people see: alarm topics, the dashboard, run-report buckets and the stack's outputs."""
