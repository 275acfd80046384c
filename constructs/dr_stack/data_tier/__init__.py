"""The data tier: the Aurora global database, its logs, credentials and backups, the global tables."""
