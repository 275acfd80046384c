"""What a run changes: the promotion and traffic steps, the app tier's and the database's capacity, re-protect,
the wait until the target serves."""
