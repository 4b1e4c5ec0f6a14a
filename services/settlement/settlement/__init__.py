"""settlement: each period's revenue and subsidies in, shares out to cooperatives and agents.

Skeleton only so far: health, metrics and an empty schema; its capabilities come in later issues.
"""

__version__ = "0.1.0"
