"""`sanbao`, the operator's command-line interface to a running county stack (AMQP RPC)."""
