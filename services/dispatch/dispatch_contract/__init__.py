"""What callers of dispatch may build on without dispatch's code: the fields of a cooperation
agreement both seals sign (`agreements`), and dispatch's vocabularies (`vocabularies`).
Standard library only; the CLI, the fund and settlement import this, never `dispatch` itself
(docs/decisions/0011-contract-packages.md)."""
