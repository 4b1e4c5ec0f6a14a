from sanbao_common.migrations import run_migrations
from settlement.adapters.tables import metadata

run_migrations(metadata)
