"""`make bench`: run the benchmarks and write bench/results.json.

Each benchmark is a function returning {figure name: value} plus the details a reader needs to
trust the figure (sizes, concurrency, backend). The file also records the machine and the commit,
so two results can be compared knowing what produced them. Speed is measured here only, never
asserted in tests.
"""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchmarks import BENCHMARKS  # noqa: E402
from benchmarks.common import POSTGRES_ADMIN_URL, RABBIT_API_URI  # noqa: E402


def machine_facts() -> dict:
    facts = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
    }
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        facts["memory_gib"] = round(kib / 1024 / 1024, 1)
    try:
        overview = requests.get(f"{RABBIT_API_URI}/api/overview", timeout=5).json()
        facts["rabbitmq"] = overview.get("rabbitmq_version")
    except (requests.RequestException, ValueError):
        facts["rabbitmq"] = None
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as connection:
            facts["postgresql"] = connection.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
    except Exception:
        facts["postgresql"] = None
    return facts


def git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of the benchmarks to run (default: all)")
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    args = parser.parse_args()

    results = {
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_facts(),
        "figures": {},
        "details": {},
    }
    for name, benchmark in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"[bench] {name} ...", flush=True)
        figures, details = benchmark()
        for key, value in figures.items():
            print(f"[bench]   {key} = {value}", flush=True)
        results["figures"].update(figures)
        results["details"][name] = details
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"[bench] written to {args.output}")


if __name__ == "__main__":
    main()
