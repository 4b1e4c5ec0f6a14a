"""What callers of the fund may build on without the fund's code: the fields a signatory signs
(`signing`), and the kinds of inflows, outflows and vouchers (`vocabularies`). Standard library
only; the CLI imports this, never `fund` itself (docs/decisions/0011-contract-packages.md)."""
