"""crosscheck: eligibility verification for government-subsidised vocational training."""

__version__ = "0.1.0"
