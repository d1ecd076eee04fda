"""Class 3 of the red-team corpus: connection URLs from untrusted inputs and driver options from operators.

``tool``/``tool-schema``: run_query / inspect_schema with the URL as ``connection`` on a ToolContext as the agent,
REST and MCP build it (untrusted inputs): must be refused (``refused-by-validator``) whatever the URL holds.
``operator``: ``ConnectionRegistry.add`` (what ``vozbd db add`` calls); the URL is refused, or accepted with the
dangerous option neutralised — then ``sql`` runs through the pinned session (validator bypassed) to prove it, and
the password must not appear in list/get/test output, logs or the registry file.
"""

from __future__ import annotations

import logging
import secrets

import pytest

from tests.tools.security.conftest import world_for
from tests.tools.security.corpus import Case, load, params
from tests.tools.security.harness import VOZBD_REFUSALS, Observation, check, execute, record
from tests.tools.security.targets import PASSWORD
from tools.db.connect import resolve_connection, test_connection

CASES = [case for case in load() if case.klass == 3]
TOOL_VIAS = ("tool", "tool-schema")


def _params() -> list[object]:
    out: list[object] = []
    for case in CASES:
        out += params([case], (str(case.via),))
    return out


def _operator(
    case: Case, dialect: str, world: object, extra: dict[str, str], caplog: pytest.LogCaptureFixture
) -> Observation:
    target, ctx = world.target, world.ctx  # type: ignore[attr-defined]  # tool results are typed as BaseModel; this one has the field
    url = target.fill(str(case.connection), extra)
    name = f"rt_op_{secrets.token_hex(3)}"
    try:
        ctx.registry.add(name, url)
    except VOZBD_REFUSALS as error:
        if PASSWORD in str(error) or PASSWORD in caplog.text:
            return Observation("leaked", f"password in the refusal: {error}")
        return Observation("refused-by-validator", f"{type(error).__name__}: {error}")
    try:
        shown = [repr(ctx.registry.list()), repr(ctx.registry.get(name))]
        shown.append(test_connection(ctx, resolve_connection(ctx, name)).model_dump_json())
        observed = execute(case, dialect, "bypass", target, ctx, extra, connection=name)
        shown += [observed.detail, caplog.text, ctx.registry.path.read_bytes().decode("latin-1")]
        for text in shown:
            if PASSWORD in text:
                return Observation(
                    "leaked", f"password shown or stored in clear: ...{text[max(0, text.find(PASSWORD) - 80) :][:160]}"
                )
        return observed
    finally:
        ctx.registry.remove(name)


@pytest.mark.parametrize(("case", "dialect", "mode"), _params())
def test_connection_input(
    case: Case, dialect: str, mode: str, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world = world_for(request, dialect)
    extra = {"ro_password": PASSWORD, "registry": str(world.ctx.registry.path), "out_path": "/nonexistent"}
    if mode in TOOL_VIAS:
        url = world.target.fill(str(case.connection), extra)
        observed = execute(case, dialect, "superuser" if mode == "tool" else mode, world.target, world.ctx, extra, url)
    else:
        observed = _operator(case, dialect, world, extra, caplog)
    side_effect = check(case.check, world.target, extra, world.ctx)
    ok = side_effect is None and observed.outcome in case.expect
    record(case, dialect, mode, observed, side_effect, ok)
    assert side_effect is None, f"{case.id}: side effect: {side_effect} ({observed.outcome})"
    assert observed.outcome in case.expect, f"{case.id}: {observed.outcome}: {observed.detail}"
