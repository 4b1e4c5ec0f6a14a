"""What callers of registry may build on without registry's code: the roster's columns and the
words of its vocabularies. Standard library only; the CLI and other services import this, never
`registry` itself (docs/decisions/0011-contract-packages.md)."""
