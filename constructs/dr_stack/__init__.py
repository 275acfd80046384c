"""Two-region warm-standby DR stack: constructs, settings and stacks."""
