"""Shared kit of the sanbao services: config, database, messages, metrics, logs, money, codes."""

__version__ = "0.1.0"
