"""registry's business metrics."""

from prometheus_client import Counter, Gauge

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
# What became of the rows of the roster imports this process recorded, by the outcome names of
# an import's summary (registered, updated, confirmed, refused_validating, refused_applying,
# held_conflicts); dry runs write nothing and are not counted there, but in roster_dry_runs.
roster_rows = Counter(
    "sanbao_registry_roster_rows",
    "Rows of roster imports by outcome, counted as each validation or chunk commits",
    ["outcome"],
)
roster_dry_runs = Counter(
    "sanbao_registry_roster_dry_runs",
    "Roster dry runs finished (nothing written; each also logged: actor, file hash, counts)",
)
seals = Gauge(
    "sanbao_registry_seals",
    "Organisations' seals by status (pending ones wait for the seal registrar's confirmation)",
    ["status"],
)
