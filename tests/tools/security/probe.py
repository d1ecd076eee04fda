"""Run resource-attack cases in forked children and measure each one's wall time and peak RSS.

    echo '<json>' | python -m tests.tools.security.probe

stdin: ``{"target": {...Target fields...}, "timeout_s": 2.0, "max_rows": 50, "jobs": [{"case": {...}, "mode": ...}]}``.
stdout: one JSON line per job: ``{"id", "mode", "outcome", "detail", "elapsed_s", "max_rss_mb"}``.

The parent imports everything once, then forks one child per job, so the child's peak RSS is the cost of that
query plus the interpreter (~80 MB), not of the test session. A child gets an address-space limit so a hole cannot
take the machine down, and is killed after ``timeout_s + HARD_KILL_S``: a hung child reports ``killed``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from tests.tools.security.corpus import _case
from tests.tools.security.harness import Observation, execute, register
from tests.tools.security.pdf_bombs import BUILDERS
from tests.tools.security.targets import Target
from tools.context import PdfLimits, QueryLimits, ToolContext
from tools.db.registry import ConnectionRegistry
from tools.errors import PdfReadError, ToolError
from tools.pdf_read import ReadPdfInput, read_pdf

ADDRESS_SPACE_LIMIT = 3 * 1024**3
HARD_KILL_S = 8.0


def _read_pdf(job: dict[str, Any], limits: QueryLimits, directory: str) -> Observation:
    """read_pdf on the bomb ``job['pdf_path']`` with a ``limits.timeout_s`` budget when PdfLimits has one."""
    path = Path(job["pdf_path"])
    pdf_limits = PdfLimits(allowed_dirs=(path.parent,))
    names = {f.name for f in dataclasses.fields(PdfLimits)}
    budget = {name: limits.timeout_s for name in ("timeout_s", "time_budget_s", "max_seconds") if name in names}
    pdf_limits = dataclasses.replace(pdf_limits, **budget)
    registry = ConnectionRegistry(Path(directory) / "r.sqlite3", secret_key=Fernet.generate_key().decode())
    ctx = ToolContext(registry=registry, pdf_limits=pdf_limits)
    raw = job["case"]
    params = ReadPdfInput(path=path.name, pages=raw.get("pages"), search=raw.get("search"))
    try:
        result = read_pdf(params, ctx)
    except PdfReadError as error:
        code = error.detail.get("code") or getattr(error, "code", "")
        bounded = any(word in str(code) for word in ("too_large", "budget", "timeout", "too_many", "limit"))
        return Observation("limited" if bounded else "refused-by-validator", f"{code}: {error}")
    except ToolError as error:
        return Observation("refused-by-validator", f"{type(error).__name__}: {error}")
    return Observation("limited" if result.truncated else "allowed-harmless", result.model_dump_json()[:200])


def _child(job: dict[str, Any], target: Target, limits: QueryLimits, out_fd: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    if job["mode"] == "read_pdf":
        with tempfile.TemporaryDirectory() as directory:
            start = time.monotonic()
            try:
                observed = _read_pdf(job, limits, directory)
                outcome, detail = observed.outcome, observed.detail
            except MemoryError:
                outcome, detail = "error:MemoryError", "address space limit reached"
            elapsed = time.monotonic() - start
        os.write(out_fd, json.dumps({"outcome": outcome, "detail": detail[:300], "elapsed_s": elapsed}).encode())
        return
    case = _case(job["case"], "probe", {})
    with tempfile.TemporaryDirectory() as directory:
        registry = ConnectionRegistry(Path(directory) / "r.sqlite3", secret_key=Fernet.generate_key().decode())
        ctx = ToolContext(registry=registry, query_limits=limits)
        register(ctx, target)
        start = time.monotonic()
        try:
            observed = execute(case, target.dialect, job["mode"], target, ctx, {"out_path": "/nonexistent"})
            outcome, detail = observed.outcome, observed.detail
        except MemoryError:
            outcome, detail = "error:MemoryError", "address space limit reached"
        elapsed = time.monotonic() - start
    os.write(out_fd, json.dumps({"outcome": outcome, "detail": detail[:300], "elapsed_s": elapsed}).encode())


def run_job(job: dict[str, Any], target: Target, limits: QueryLimits) -> dict[str, Any]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        code = 0
        try:
            _child(job, target, limits, write_fd)
        except BaseException as error:  # report anything, never return into the parent's code
            os.write(
                write_fd, json.dumps({"outcome": f"error:{type(error).__name__}", "detail": str(error)[:300]}).encode()
            )
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    deadline = time.monotonic() + limits.timeout_s + HARD_KILL_S
    killed = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline and not killed:
            os.kill(pid, signal.SIGKILL)
            killed = True
        time.sleep(0.02)
    with os.fdopen(read_fd, "rb") as pipe:
        raw = pipe.read()
    result: dict[str, Any] = json.loads(raw) if raw else {"outcome": "error:no-result", "detail": f"status {status}"}
    if killed:
        result = {"outcome": "killed", "detail": f"still running after {limits.timeout_s + HARD_KILL_S:g} s"}
        result["elapsed_s"] = limits.timeout_s + HARD_KILL_S
    result |= {"id": job["case"]["id"], "mode": job["mode"], "max_rss_mb": round(usage.ru_maxrss / 1024, 1)}
    return result


def main() -> None:
    request = json.load(sys.stdin)
    t = request["target"]
    target = Target(t["dialect"], t["admin_url"], t["readonly_url"], t["values"], tuple(t["secrets"]))
    limits = QueryLimits(max_rows=request["max_rows"], timeout_s=request["timeout_s"])
    with tempfile.TemporaryDirectory() as directory:
        built: dict[str, str] = {}
        for job in request["jobs"]:
            name = job["case"].get("pdf")
            if name:  # PDF bombs are built here, before the fork, so building is not measured
                if name not in built:
                    built[name] = str(BUILDERS[name](Path(directory) / f"{name}.pdf"))
                job["pdf_path"] = built[name]
            print(json.dumps(run_job(job, target, limits), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
