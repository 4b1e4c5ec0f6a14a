"""fund's business metrics, read from the books before each scrape (several replicas report
the same truth). Labelled by joint account: a county has a handful."""

from prometheus_client import Gauge

_ACCOUNT = ["account", "agreement"]

available_fen = Gauge(
    "sanbao_fund_available_fen",
    "Cash an open joint account can still spend (balance minus what proposals reserve), in fen",
    [*_ACCOUNT, "cash"],
)
advances_outstanding_fen = Gauge(
    "sanbao_fund_advances_outstanding_fen",
    "Advances paid and not yet settled by vouchers, recovered or written off, in fen",
    _ACCOUNT,
)
advance_claims_open_fen = Gauge(
    "sanbao_fund_advance_claims_open_fen",
    "What is still outstanding on the claims batches' no-shows left on advances (not yet "
    "recovered, settled or written off), in fen (sanbao fund claims ACCOUNT --open)",
    _ACCOUNT,
)
pending_outflows = Gauge(
    "sanbao_fund_pending_outflows",
    "Outflow proposals waiting for signatures and not expired",
    _ACCOUNT,
)
next_expiry_seconds = Gauge(
    "sanbao_fund_pending_outflow_expires_in_seconds",
    "Seconds until the first waiting proposal expires unsigned (absent when none waits)",
    _ACCOUNT,
)
receivables_open_fen = Gauge(
    "sanbao_fund_receivables_open_fen",
    "What counterparties still owe an open joint account, by kind of income, in fen",
    [*_ACCOUNT, "kind"],
)
payer_credits_fen = Gauge(
    "sanbao_fund_payer_credits_fen",
    "Overpayments held for their payers on an open joint account (not income), in fen",
    _ACCOUNT,
)
requests_refused = Gauge(
    "sanbao_fund_requests_refused",
    "Requests other services sent by event that the fund refused and nobody has asked for "
    "again successfully (sanbao fund requests ACCOUNT says why)",
    _ACCOUNT,
)
frozen = Gauge(
    "sanbao_fund_account_frozen",
    "1 while a party's seal changed since the terms were sealed: no outflow until both parties' "
    "current seals seal an amendment of the agreement",
    _ACCOUNT,
)
agreements_waiting = Gauge(
    "sanbao_fund_agreements_waiting_for_seals",
    "Sealed agreements naming a seal the fund has not heard of yet (tried again at each seal "
    "event); one that stays means registry's seal events do not reach the fund",
)
records_since_checkpoint = Gauge(
    "sanbao_fund_audit_records_since_checkpoint",
    "Audit records after the last signed checkpoint: rewriting them would not be detected yet",
)
checkpoint_age_seconds = Gauge(
    "sanbao_fund_checkpoint_age_seconds",
    "Seconds since the last signed checkpoint of the audit chain (absent before the first)",
)

_PER_ACCOUNT = (
    available_fen,
    receivables_open_fen,
    payer_credits_fen,
    requests_refused,
    advances_outstanding_fen,
    advance_claims_open_fen,
    pending_outflows,
    next_expiry_seconds,
    frozen,
)


def show(figures: dict) -> None:
    """Sets every gauge from `queries.gauge_figures`; accounts no longer open disappear."""
    for gauge in _PER_ACCOUNT:
        gauge.clear()
    for account in figures["accounts"]:
        labels = (account["account_id"], account["agreement_ref"])
        for cash, amount in account["available_fen"].items():
            available_fen.labels(*labels, cash).set(amount)
        advances_outstanding_fen.labels(*labels).set(account["advances_outstanding_fen"])
        advance_claims_open_fen.labels(*labels).set(account["advance_claims_open_fen"])
        for kind, amount in account["receivables_open_fen"].items():
            receivables_open_fen.labels(*labels, kind).set(amount)
        payer_credits_fen.labels(*labels).set(account["payer_credits_fen"])
        requests_refused.labels(*labels).set(account["requests_refused"])
        pending_outflows.labels(*labels).set(account["pending_outflows"])
        frozen.labels(*labels).set(1 if account["frozen_for"] else 0)
        if account["next_expiry_seconds"] is not None:
            next_expiry_seconds.labels(*labels).set(account["next_expiry_seconds"])
    records_since_checkpoint.set(figures["records_since_checkpoint"])
    agreements_waiting.set(figures["agreements_waiting_for_seals"])
    if figures["checkpoint_age_seconds"] is not None:
        checkpoint_age_seconds.set(figures["checkpoint_age_seconds"])
