"""dispatch's business metrics."""

from prometheus_client import Gauge

candidates_in_pool = Gauge("sanbao_dispatch_candidates", "Labourers in dispatch's candidate pool")
