"""What the function keeps in its state table: the lease lock, step journal and run records (``lock``); the
traffic-switch item and the metric that mirrors it (``switch``)."""
