"""The benchmarks `make bench` runs, by name. Each returns (figures, details)."""

from benchmarks.slice import register_to_pool

BENCHMARKS = {
    "slice.register_to_pool": register_to_pool,
}
