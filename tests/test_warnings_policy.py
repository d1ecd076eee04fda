"""The warnings policy in pyproject.toml (``[tool.pytest.ini_options] filterwarnings``) is live in every test:
a deprecation attributed to our code fails, one raised and attributed inside a dependency does not.

Python attributes a warning to the module its ``stacklevel`` points at, so a library that deprecates an API
(``warnings.warn(..., DeprecationWarning, stacklevel=2)``) blames its caller: when the caller is ours the test
fails, which is how SDK drift shows up the day a lock bump brings it."""

from __future__ import annotations

import warnings

import pytest
from pydantic import BaseModel

OUR_PACKAGES = ("agent", "tools", "ui", "vozbd", "vozbd_core", "mcp_server", "evals", "bench", "tests")


def _warn_from(module: str, category: type[Warning] = DeprecationWarning) -> None:
    warnings.warn_explicit("old API", category, filename=f"{module.replace('.', '/')}.py", lineno=1, module=module)


@pytest.mark.parametrize("package", OUR_PACKAGES)
@pytest.mark.parametrize("category", [DeprecationWarning, PendingDeprecationWarning])
def test_a_deprecation_attributed_to_our_code_fails(package: str, category: type[Warning]) -> None:
    with pytest.raises(category):
        _warn_from(f"{package}.some_module", category)
    with pytest.raises(category):
        _warn_from(package, category)


@pytest.mark.parametrize("module", ["sqlalchemy.orm.session", "langchain_core.tools", "toolsmith", "uikit.x"])
def test_a_deprecation_inside_a_dependency_is_ignored(module: str) -> None:
    _warn_from(module)  # must not raise: a dependency calling its own deprecated code is not our drift
    _warn_from(module, PendingDeprecationWarning)


def test_calling_a_deprecated_dependency_api_from_our_code_fails() -> None:
    class Row(BaseModel):
        name: str

    # pydantic 2 deprecates .dict() with stacklevel=2, so the warning lands on this test module
    with pytest.raises(DeprecationWarning, match="model_dump"):
        Row(name="x").dict()


def test_other_warnings_still_fail() -> None:
    with pytest.raises(UserWarning):
        warnings.warn("anything", UserWarning, stacklevel=1)
