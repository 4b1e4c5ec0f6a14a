"""Township rosters (花名册) as files: the columns, reading an uploaded CSV/XLSX, writing exports
and error reports, and generated sample rosters. Pure Python: no database, no messaging."""
