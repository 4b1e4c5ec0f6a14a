"""Reliable messaging between the services of one county.

- `topology`: every exchange, queue, binding, user and permission of a county, declared at
  deployment by an operator, never lazily by a consumer.
- `outbox`: events written in the same transaction as the change they describe, and the relay
  that publishes them with confirms, in windows, with `mandatory`.
- `consumer`: the batch-consuming entrypoint: inbox (each event applied once), retries with
  backoff, dead letters with a reason.
- `idempotency`: a command retried with the same key returns its first outcome.
- `deadletters`: what an operator does with parked messages.
"""
