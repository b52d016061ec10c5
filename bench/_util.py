"""Small helpers shared by the benchmarks: percentiles and a plain-text table."""

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) by the nearest-rank method."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(values: Sequence[float]) -> dict[str, float]:
    """Return p50, p99 and max of values."""
    return {"p50": percentile(values, 50), "p99": percentile(values, 99), "max": max(values, default=math.nan)}


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render rows under headers as an aligned plain-text table."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
