"""Load test of `reportgen serve`: concurrent uploads of the example to a server on 127.0.0.1.

Usage: python bench/serve_load.py [--clients 20] [--rounds 5] [--workers 3] [--url URL]

Starts the page in this process on a free loopback port (or uses --url, for a server started with
`reportgen serve`), then sends rounds of `--clients` simultaneous uploads of inputs/'s example and
checks every answer (HTTP 200, the CLI's summary, the expected chapter). Prints the latency of each
upload as seen by its client — median, p95 and max over all rounds — and the wall time of a round.
Exits 1 if any answer is wrong.
"""

from __future__ import annotations

import argparse
import html
import os
import platform
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reportgen.web.app import ServeConfig  # noqa: E402
from reportgen.web.background import running  # noqa: E402

EXAMPLE = next((REPO / "inputs").glob("*.xlsx"))
EXPECTED = (REPO / "tests" / "fixtures" / "expected_chapter.txt").read_text(encoding="utf-8")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def one(client: httpx.Client, url: str, data: bytes) -> tuple[float, str]:
    """One upload: its latency, and '' if the answer is right, else what was wrong."""
    started = time.perf_counter()
    response = client.post(url + "/check", files=[("workbooks", (EXAMPLE.name, data, XLSX))])
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        return elapsed, f"HTTP {response.status_code}"
    page = response.text
    if "檢核完成：錯誤 0 項、警告 0 項。" not in page or "共 2 節、14 項活動、16 案訪賓（101 人）" not in page:
        return elapsed, "summary differs"
    match = re.search(r'<pre id="plain-text">(.*?)</pre>', page, re.S)
    if not match or html.unescape(match.group(1)) != EXPECTED:
        return elapsed, "chapter differs"
    return elapsed, ""


def run(url: str, clients: int, rounds: int) -> int:
    data = EXAMPLE.read_bytes()
    latencies: list[float] = []
    walls: list[float] = []
    wrong: list[str] = []
    with httpx.Client(timeout=120, limits=httpx.Limits(max_connections=clients), follow_redirects=True) as client, \
            ThreadPoolExecutor(clients) as pool:
        one(client, url, data)  # warm-up: imports and first template load are not what we measure
        for _ in range(rounds):
            started = time.perf_counter()
            answers = list(pool.map(lambda _: one(client, url, data), range(clients)))
            walls.append(time.perf_counter() - started)
            latencies += [a[0] for a in answers]
            wrong += [a[1] for a in answers if a[1]]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{rounds} rounds × {clients} concurrent uploads of {EXAMPLE.name} ({len(data):,} bytes)")
    print("| uploads | median | p95 | max | round (wall, median) | throughput |")
    print("|---|---|---|---|---|---|")
    round_wall = statistics.median(walls)
    print(f"| {len(latencies)} | {statistics.median(latencies) * 1000:.0f} ms | "
          f"{percentile(latencies, 0.95) * 1000:.0f} ms | {max(latencies) * 1000:.0f} ms | "
          f"{round_wall * 1000:.0f} ms | {clients / round_wall:.1f} uploads/s |")
    if wrong:
        print(f"{len(wrong)} wrong answers: {sorted(set(wrong))}", file=sys.stderr)
        return 1
    print("every answer checked: HTTP 200, the CLI's summary, the expected chapter")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=ServeConfig().workers,
                        help="the server's worker threads (in-process only)")
    parser.add_argument("--url", help="an already running server, e.g. http://127.0.0.1:8000")
    args = parser.parse_args()
    if args.url:
        return run(args.url.rstrip("/"), args.clients, args.rounds)
    with running(ServeConfig(workers=args.workers)) as url:
        return run(url, args.clients, args.rounds)


if __name__ == "__main__":
    sys.exit(main())
