"""One module per command group of `sanbao`; each lists its top-level commands in `COMMANDS`,
and `sanbao_cli.main` puts them on the root group."""
