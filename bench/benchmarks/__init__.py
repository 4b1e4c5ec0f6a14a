"""The benchmarks `make bench` runs, by name. Each returns (figures, details)."""

from benchmarks.bus import bus
from benchmarks.dispatch import dispatch
from benchmarks.fund import fund
from benchmarks.memory import memory
from benchmarks.registry import registry
from benchmarks.rosters import roster_reading
from benchmarks.settlement import settlement
from benchmarks.signin import signin

BENCHMARKS = {
    "memory": memory,
    "bus": bus,
    "fund": fund,
    "registry": registry,
    "signin": signin,
    "roster_reading": roster_reading,
    "dispatch": dispatch,
    "settlement": settlement,
}
