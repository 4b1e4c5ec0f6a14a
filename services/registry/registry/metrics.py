"""registry's business metrics."""

from prometheus_client import Gauge

labourers_registered = Gauge(
    "sanbao_registry_labourers_registered", "Labourers registered in the county"
)
labourers_stale = Gauge(
    "sanbao_registry_labourers_stale",
    "Labourers whose four clears were not confirmed within STALE_AFTER_DAYS",
)
roster_imports = Gauge(
    "sanbao_registry_roster_imports",
    "Roster imports by status (validating and applying ones are under way or were interrupted)",
    ["status"],
)
seals = Gauge(
    "sanbao_registry_seals",
    "Organisations' seals by status (pending ones wait for the seal registrar's confirmation)",
    ["status"],
)
