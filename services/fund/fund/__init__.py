"""fund: the joint accounts of the cooperation fund: a double-entry ledger under two seals.

Skeleton only so far: health, metrics and an empty schema; its capabilities come in later issues.
"""

__version__ = "0.1.0"
