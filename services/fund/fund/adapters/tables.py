"""fund's own tables: none yet. Its capabilities, and their tables, come in later issues."""

from sqlalchemy import MetaData

metadata = MetaData()
