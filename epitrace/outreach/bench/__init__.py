"""``epitrace bench fanout``: see run.py."""
