"""Test doubles and the local drill engine (simulated clock, simulated AWS, scripted RDS): never deployed.

They live here, not in lambda_src, so the Lambda package holds only what runs in Lambda (STYLE.md: test
doubles live under __tests__/). ``make drill`` runs ``scripts/drill.py``, which puts this folder on the path.
"""
