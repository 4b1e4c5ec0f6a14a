"""What dispatch republishes to one consumer on `resync_events` (sanbao_common.messaging.resync):
the current state of its records, as the ordinary events carry it, one source per event type.
Each sub-domain writes its own sources; this table names them."""

from __future__ import annotations

from dispatch.agreements.resync import sealed_versions
from dispatch.orders import events as orders
from sanbao_common.messaging.resync import Sources

RESYNC_SOURCES: Sources = {
    "agreement_sealed": sealed_versions,
    "job_order_opened": orders.open_orders,
    "job_order_closed": orders.ended_orders,
}
