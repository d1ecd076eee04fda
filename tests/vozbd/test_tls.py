"""HTTPS for phones: the self-signed certificate is made once and reused; `vozbd serve --https` really serves TLS."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from typer.testing import CliRunner

from tests.netutil import free_port
from vozbd.tls import TlsError, lan_ip, resolve_tls, self_signed, urls


def test_self_signed_certificate_is_made_once_and_reused(tmp_path: Path) -> None:
    first = self_signed(tmp_path / "tls")
    assert first.generated and first.cert.is_file() and first.key.is_file()
    assert (first.key.stat().st_mode & 0o777) == 0o600  # the private key is private
    cert_bytes = first.cert.read_bytes()
    again = self_signed(tmp_path / "tls")
    assert not again.generated and again.cert.read_bytes() == cert_bytes  # phones accept it once
    cert = x509.load_pem_x509_certificate(cert_bytes)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    assert "127.0.0.1" in ips and (lan_ip() is None or lan_ip() in ips)


def test_a_broken_certificate_is_replaced(tmp_path: Path) -> None:
    made = self_signed(tmp_path)
    made.cert.write_text("not a certificate")
    assert self_signed(tmp_path).generated


def test_cert_and_key_go_together_and_must_exist(tmp_path: Path) -> None:
    with pytest.raises(TlsError, match="juntos"):
        resolve_tls(https=False, cert=tmp_path / "c.pem", key=None, data_dir=tmp_path)
    with pytest.raises(TlsError, match="não encontrado"):
        resolve_tls(https=False, cert=tmp_path / "c.pem", key=tmp_path / "k.pem", data_dir=tmp_path)
    assert resolve_tls(https=False, cert=None, key=None, data_dir=tmp_path) is None


def test_a_given_pair_that_cannot_serve_tls_is_refused_before_start(tmp_path: Path) -> None:
    other = self_signed(tmp_path / "outro")
    mine = self_signed(tmp_path / "meu")
    assert resolve_tls(https=False, cert=mine.cert, key=mine.key, data_dir=tmp_path) is not None  # a good pair
    not_pem = tmp_path / "senha.txt"
    not_pem.write_text("root:x:0:0:root:/root:/bin/bash\n")
    for cert, key in ((not_pem, not_pem), (mine.cert, other.key), (mine.key, mine.cert)):
        with pytest.raises(TlsError, match="devem ser PEM"):  # was an ssl.SSLError traceback from uvicorn
            resolve_tls(https=False, cert=cert, key=key, data_dir=tmp_path)


def test_cli_refuses_a_pair_that_is_not_pem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vozbd.cli.app import app

    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path))
    junk = tmp_path / "x.pem"
    junk.write_text("nada")
    result = CliRunner().invoke(app, ["serve", "--cert", str(junk), "--key", str(junk), "--no-ui"])
    assert result.exit_code == 2 and "devem ser PEM" in " ".join(result.output.split())


def test_urls_show_the_lan_address_when_listening_on_all_interfaces(tmp_path: Path) -> None:
    tls = self_signed(tmp_path)
    assert urls("127.0.0.1", 8443, tls) == ["https://localhost:8443"]
    listed = urls("0.0.0.0", 8443, tls)
    assert listed[0] == "https://localhost:8443"
    assert (lan_ip() is None and len(listed) == 1) or listed[1] == f"https://{lan_ip()}:8443"


def test_cli_refuses_a_lone_cert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vozbd.cli.app import app

    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["serve", "--cert", str(tmp_path / "x.pem")])
    assert result.exit_code == 2 and "--cert e --key" in result.output


@pytest.mark.slow
def test_serve_https_answers_over_tls_with_the_generated_certificate(tmp_path: Path) -> None:
    port = free_port(range(8800, 8900))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOZBD_")} | {"VOZBD_DATA_DIR": str(tmp_path)}
    vozbd = str(Path(sys.executable).with_name("vozbd"))
    process = subprocess.Popen(
        [vozbd, "serve", "--https", "--port", str(port), "--no-ui", "--no-mcp"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        cert = tmp_path / "tls" / "vozbd-cert.pem"
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                response = httpx.get(f"https://localhost:{port}/health", verify=str(cert), timeout=2)
                break
            except (httpx.HTTPError, OSError):
                assert time.monotonic() < deadline, "vozbd serve --https did not answer"
                time.sleep(0.5)
        assert response.status_code == 200
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://localhost:{port}/health", timeout=5)  # plain HTTP is not served
    finally:
        process.terminate()
        output = process.communicate(timeout=15)[0]
    assert f"https://localhost:{port}/" in output and "Certificado autoassinado criado" in output


def test_urls_bracket_an_ipv6_host(tmp_path: Path) -> None:
    tls = self_signed(tmp_path)
    assert urls("::1", 8443, tls) == ["https://localhost:8443"]
    assert urls("fe80::1", 8443, None) == ["http://[fe80::1]:8443"]
    assert httpx.URL(urls("2001:db8::5", 8443, tls)[0]).host == "2001:db8::5"  # a URL a client can parse


def test_a_certificate_folder_that_cannot_be_written_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tls").write_text("a file where DATA_DIR/tls should be")
    with pytest.raises(TlsError, match="Não consegui criar o certificado"):
        resolve_tls(https=True, cert=None, key=None, data_dir=tmp_path)
    from vozbd.cli.app import app

    monkeypatch.setenv("VOZBD_DATA_DIR", str(tmp_path))
    for command in (["serve", "--no-ui", "--no-mcp"], ["ui", "--no-browser"]):
        result = CliRunner().invoke(app, [*command, "--https", "--port", str(free_port(range(8900, 9000)))])
        assert result.exit_code == 2, result.output
        assert "Não consegui criar o certificado" in " ".join(result.output.split())


def test_the_start_line_lists_only_the_parts_served() -> None:
    """`vozbd serve --no-ui --no-mcp` announced "MCP: /mcp" (a 404) next to its URL."""
    from vozbd.cli.serve import banner

    addresses = ["https://localhost:8443", "https://192.168.0.12:8443"]
    full = banner(addresses, ui=True, mcp=True)
    assert full.startswith("vozbd: https://localhost:8443/  https://192.168.0.12:8443/  (chat: /, MCP: /mcp,")
    api_only = banner(addresses[:1], ui=False, mcp=False)
    assert "MCP" not in api_only and "chat" not in api_only and "API: /api/v1" in api_only
