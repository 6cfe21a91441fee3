"""Load generation with wrk (Debian's `wrk` package) and pre-signed request files.

wrk's LuaJIT cannot compute an HMAC, so each run first writes N distinct, freshly
signed requests to a file (signatures are valid for 300 s) and bench/wrk_signed.lua
cycles through them. N is sized above what the run can send, so every request is a
new event; the Lua script reports any wrap-around.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bench import signing
from bench.stack import EVENTS_SECRET, HUBSPOT_SECRET, ROOT, VAR, WEB_PORT

LUA = ROOT / "bench" / "wrk_signed.lua"
BASE = f"http://127.0.0.1:{WEB_PORT}"


def _line(headers: dict, body: str) -> str:
    fields = [x for name, value in headers.items() for x in (name, value)]
    return "\t".join([*fields, body]) + "\n"


def write_generic(path: Path, run: str, count: int) -> int:
    """`count` signed generic events, one per request."""
    with open(path, "w") as out:
        for n in range(count):
            body = signing.dumps(signing.generic_event(run, n))
            out.write(_line(signing.generic_headers(EVENTS_SECRET, body.encode()), body))
    return count


def write_hubspot(path: Path, run_no: int, batches: int, size: int = 100) -> int:
    """`batches` signed HubSpot batches of `size` notifications each."""
    uri = f"{BASE}/webhooks/hubspot/"
    with open(path, "w") as out:
        for b in range(batches):
            body = signing.dumps(signing.hubspot_batch(run_no, b, size))
            out.write(_line(signing.hubspot_headers(HUBSPOT_SECRET, uri, body), body))
    return batches * size


def wrk(requests_file: Path, url_path: str, *, connections: int, seconds: int,
        threads: int = 2, timeout: int = 10) -> dict:
    """Run wrk against 127.0.0.1 and return the figures its Lua `done()` printed."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
            "--timeout", f"{timeout}s", "-s", str(LUA), f"{BASE}{url_path}", "--",
            str(requests_file), str(threads), url_path]
    out = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 120,
                         check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    result = json.loads(line[len("WRKJSON "):])
    result["seconds"] = result["duration_us"] / 1e6
    result["rps"] = result["ok"] / result["seconds"]
    return result


def scratch(name: str) -> Path:
    (VAR / "load").mkdir(parents=True, exist_ok=True)
    return VAR / "load" / name
