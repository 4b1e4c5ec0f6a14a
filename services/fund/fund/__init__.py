"""fund: the joint accounts of the cooperation fund: a double-entry ledger under two seals.

`service.py` lists the entrypoints; `commands/` changes the books, `queries.py` reads them,
`audit_trail.py` records and verifies them, `agreements.py` opens and amends accounts from
dispatch's sealed agreements, `events.py` applies registry's events; the pure rules are in
`domain/` (the chart of accounts and its posting rules beside it), storage in `adapters/`.
"""

__version__ = "0.1.0"
