"""dispatch: job orders, matching, batches and placements. So far: the pool of candidates it
learns about from registry's events."""

__version__ = "0.1.0"
