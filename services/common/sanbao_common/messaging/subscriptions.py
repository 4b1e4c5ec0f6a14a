"""Who consumes which event in a county: the one list deployment, consumers and publishers share.

Adding a consumer means adding its line here (and `@consume(...)` on its handler); `sanbao
topology apply` then declares its queues and bindings before anything is published to it. A
consumer whose line is missing refuses to start, so a queue can never be missing in production.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subscription:
    consumer: str  # consuming service
    handler: str  # method of the consuming service
    source: str  # publishing service
    event_type: str

    @property
    def queue(self) -> str:
        return f"{self.consumer}.{self.handler}"


REGISTRY_FROM_DISPATCH = (
    "batch_formed", "batch_updated", "batch_approved", "batch_departed", "batch_arrived",
    "batch_cancelled", "placement_started", "placement_followed_up", "placement_ended",
)  # fmt: skip

SETTLEMENT_INPUTS: dict[str, tuple[str, ...]] = {
    "dispatch": (
        "agreement_sealed", "placement_started", "placement_followed_up", "placement_ended",
    ),
    "registry": ("organisation_registered", "organisation_changed"),
    "fund": (
        "receivable_recorded", "receivable_matched", "outflow_proposed", "outflow_paid",
        "outflow_rejected", "fund_request_refused",
    ),
}  # fmt: skip

SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("dispatch", "handle_labourer_registered", "registry", "labourer_registered"),
    Subscription("dispatch", "handle_labourer_updated", "registry", "labourer_updated"),
    Subscription("dispatch", "handle_labourer_merged", "registry", "labourer_merged"),
    Subscription("dispatch", "handle_seal_confirmed", "registry", "seal_confirmed"),
    Subscription("dispatch", "handle_seal_revoked", "registry", "seal_revoked"),
    Subscription("dispatch", "handle_vocabulary_changed", "registry", "vocabulary_changed"),
    Subscription("fund", "handle_agreement_sealed", "dispatch", "agreement_sealed"),
    # What the fund did with a batch's advance (dispatch_contract.batches).
    *(
        Subscription("dispatch", f"handle_{event_type}", "fund", event_type)
        for event_type in (
            "outflow_proposed",
            "outflow_paid",
            "outflow_rejected",
            "fund_request_refused",
        )
    ),
    # Requests to the fund (fund_contract.requests).
    Subscription("fund", "handle_advance_requested", "dispatch", "advance_requested"),
    # A batch's no-shows leave claims on their advances (fund.claims).
    Subscription("fund", "handle_batch_departed", "dispatch", "batch_departed"),
    Subscription("fund", "handle_distribution_requested", "settlement", "distribution_requested"),
    Subscription("fund", "handle_receivable_requested", "settlement", "receivable_requested"),
    Subscription("fund", "handle_signing_key_enrolled", "registry", "signing_key_enrolled"),
    Subscription("fund", "handle_signing_key_revoked", "registry", "signing_key_revoked"),
    Subscription("fund", "handle_seal_confirmed", "registry", "seal_confirmed"),
    Subscription("fund", "handle_seal_revoked", "registry", "seal_revoked"),
    Subscription(
        "fund", "handle_bank_account_changed", "registry", "organisation_bank_account_changed"
    ),
    Subscription("registry", "handle_audit_checkpoint", "fund", "audit_checkpoint"),
    # Registry learns from dispatch's batches and placements who an HR company may see unmasked,
    # and what a placement makes of a person's four clears (registry.hiring).
    *(
        Subscription("registry", f"handle_{event_type}", "dispatch", event_type)
        for event_type in REGISTRY_FROM_DISPATCH
    ),
    # Settlement's inputs: the agreements' rules, the placements and who is paid
    # (settlement.inputs), and what the fund did with its receivables and distributions
    # (settlement.distributions).
    *(
        Subscription("settlement", f"handle_{event_type}", source, event_type)
        for source, event_types in SETTLEMENT_INPUTS.items()
        for event_type in event_types
    ),
    # Every service: tokens withdrawn by registry (ServiceBase's consumer).
    *(
        Subscription(service, "handle_user_tokens_revoked", "registry", "user_tokens_revoked")
        for service in ("registry", "dispatch", "fund", "settlement", "notify")
    ),
)


def subscriptions_of(consumer: str) -> tuple[Subscription, ...]:
    return tuple(s for s in SUBSCRIPTIONS if s.consumer == consumer)


def routed_event_types(source: str) -> frozenset[str]:
    """Event types of `source` that at least one consumer queue is bound for."""
    return frozenset(s.event_type for s in SUBSCRIPTIONS if s.source == source)


def find(consumer: str, handler: str) -> Subscription | None:
    for subscription in SUBSCRIPTIONS:
        if subscription.consumer == consumer and subscription.handler == handler:
            return subscription
    return None
