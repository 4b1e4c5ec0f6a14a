"""What callers of the fund may build on without the fund's code: the fields a seal and a
signatory sign. Standard library only; the CLI imports this, never `fund` itself
(docs/decisions/0011-contract-packages.md)."""
