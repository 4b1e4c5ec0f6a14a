"""PLACEHOLDER (owner fills in): `sanbao order match ORDER [--explain]`, attached to the `order`
group by `sanbao_cli.commands.orders`."""
