"""The benchmarks `make bench` runs, by name. Each returns (figures, details)."""

from benchmarks.bus import bus
from benchmarks.fund import fund
from benchmarks.memory import memory

BENCHMARKS = {
    "memory": memory,
    "bus": bus,
    "fund": fund,
}
