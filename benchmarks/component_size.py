"""Size of the browser component: webphone.js raw and gzipped (-9); fails over the 12 KB budget.

Run: .venv/bin/python benchmarks/component_size.py   (exit status 1 when over budget)
The budget keeps the phone a small download next to a SIP library in the page (JsSIP is
~55 KB gzipped): the whole file, styles included, as served, with no build step.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

COMPONENT = Path(__file__).resolve().parent.parent / "src" / "webphone" / "static" / "webphone.js"
BUDGET_GZIP = 12 * 1024


def sizes(path: Path = COMPONENT) -> tuple[int, int]:
    """Raw bytes and gzip -9 bytes of `path`."""
    data = path.read_bytes()
    return len(data), len(gzip.compress(data, compresslevel=9, mtime=0))


def main() -> int:
    raw, packed = sizes()
    verdict = "ok" if packed <= BUDGET_GZIP else "OVER BUDGET"
    print(
        f"{COMPONENT.name}: {raw:,} bytes raw, {packed:,} bytes gzip -9 "
        f"(budget {BUDGET_GZIP:,}, {BUDGET_GZIP - packed:+,} left): {verdict}"
    )
    return 0 if packed <= BUDGET_GZIP else 1


if __name__ == "__main__":
    sys.exit(main())
