"""Settings: declaration, validation, the rules and the recovery budget."""
