"""The one SQLAlchemy metadata of dispatch's tables: each sub-domain declares its own tables on
it in `dispatch/adapters/<sub-domain>_tables.py`, and `dispatch.adapters.tables` gathers them
(what migrations are checked against)."""

from sqlalchemy import MetaData

metadata = MetaData()
