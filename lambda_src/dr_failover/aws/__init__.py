"""AWS calls: every client call's retries, deadline and dry-run read-only guard; the run's clients."""
