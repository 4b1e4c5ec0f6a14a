"""registry's business metrics."""

from prometheus_client import Gauge

labourers_registered = Gauge(
    "sanbao_registry_labourers_registered", "Labourers registered in the county"
)
