"""Training scripts (one per task family) on one shared engine (train/engine.py)."""
