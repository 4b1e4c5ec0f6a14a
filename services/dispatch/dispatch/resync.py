"""What dispatch republishes to one consumer on `resync_events` (sanbao_common.messaging.resync):
the current state of its records, as the ordinary events carry it, one source per event type.
Each sub-domain writes its own sources; this table names them."""

from __future__ import annotations

from dispatch.agreements.resync import sealed_versions
from dispatch.batches import events as batches
from dispatch.orders import events as orders
from dispatch.placements import events as placements
from sanbao_common.messaging.resync import Sources

RESYNC_SOURCES: Sources = {
    "agreement_sealed": sealed_versions,
    "job_order_opened": orders.open_orders,
    "job_order_closed": orders.ended_orders,
    "batch_formed": batches.formed_batches,
    "batch_updated": batches.updated_batches,
    "batch_approved": batches.approved_batches,
    "batch_departed": batches.departed_batches,
    "batch_arrived": batches.arrived_batches,
    "batch_cancelled": batches.cancelled_batches,
    "placement_started": placements.active_placements,
    "placement_ended": placements.ended_placements,
}
