from dispatch.adapters.tables import metadata
from sanbao_common.migrations import run_migrations

run_migrations(metadata)
