"""notify: notifications to the people who must act, and circulars to acknowledge.

Skeleton only so far: health, metrics and an empty schema; its capabilities come in later issues.
"""

__version__ = "0.1.0"
