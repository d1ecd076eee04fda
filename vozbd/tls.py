"""HTTPS for ``vozbd ui --https`` / ``vozbd serve --https``: browsers only open the microphone in a secure context,
so a phone on the same network needs HTTPS. A self-signed certificate (EC P-256, SAN: localhost, 127.0.0.1, this
host's name and LAN address) is generated once under ``DATA_DIR/tls`` and reused while it is valid and covers the
current LAN address; or the user passes ``--cert/--key`` (e.g. from mkcert or a real CA).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from tools.errors import CodedError

VALID_DAYS = 825  # the longest validity Apple platforms accept for TLS server certificates
RENEW_BEFORE = dt.timedelta(days=7)


class TlsError(CodedError):
    code = "tls_error"


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path
    generated: bool = False


def lan_ip() -> str | None:
    """This machine's address on the local network (the route to the outside; no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else str(address)


def _names() -> tuple[list[str], list[str]]:
    dns = sorted({"localhost", socket.gethostname()})
    ips = ["127.0.0.1", "::1"] + ([ip] if (ip := lan_ip()) else [])
    return dns, ips


def _covers(cert_path: Path, dns: list[str], ips: list[str]) -> bool:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    if cert.not_valid_after_utc - RENEW_BEFORE < dt.datetime.now(dt.UTC):
        return False
    have_dns = set(san.get_values_for_type(x509.DNSName))
    have_ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return set(dns) <= have_dns and set(ips) <= have_ips


def self_signed(directory: Path) -> TlsFiles:
    """The reusable self-signed certificate in ``directory`` (generated, or regenerated when it no longer fits)."""

    cert_path, key_path = directory / "vozbd-cert.pem", directory / "vozbd-key.pem"
    dns, ips = _names()
    if cert_path.is_file() and key_path.is_file() and _covers(cert_path, dns, ips):
        return TlsFiles(cert_path, key_path)
    try:
        return _generate(cert_path, key_path, dns, ips)
    except OSError as error:  # DATA_DIR/tls not writable, a file in the way, disk full
        raise TlsError(
            f"Não consegui criar o certificado autoassinado em {directory}: {error.strerror or error}. "
            "Verifique a permissão de escrita (ou VOZBD_DATA_DIR), ou passe o seu com --cert/--key.",
            detail={"reason": str(error)},
        ) from error


def _generate(cert_path: Path, key_path: Path, dns: list[str], ips: list[str]) -> TlsFiles:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vozbd (autoassinado)")])
    now = dt.datetime.now(dt.UTC)
    san = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return TlsFiles(cert_path, key_path, generated=True)


def resolve_tls(*, https: bool, cert: Path | None, key: Path | None, data_dir: Path) -> TlsFiles | None:
    """``--cert/--key`` (both, readable) win; ``--https`` alone → the self-signed one; neither → plain HTTP."""
    if (cert is None) != (key is None):
        raise TlsError("Informe --cert e --key juntos (o certificado e a sua chave privada).")
    if cert is not None and key is not None:
        for path in (cert, key):
            if not path.is_file():
                raise TlsError(f"Arquivo não encontrado: {path}")
        _check_pair(cert, key)
        return TlsFiles(cert, key)
    return self_signed(data_dir / "tls") if https else None


def _check_pair(cert: Path, key: Path) -> None:
    """Load the pair as the server will, before it starts: a file that is not PEM, a key of another certificate or
    a key behind a passphrase (there is no option to give it; Python would prompt for it on the terminal) is a
    clear error instead of an ``ssl.SSLError`` traceback from uvicorn's start."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key, password=lambda: b"")
    except (ssl.SSLError, OSError) as error:
        raise TlsError(
            f"Não consegui usar o certificado {cert} com a chave {key}: os dois devem ser PEM, a chave deve ser a "
            "desse certificado e não pode ter senha.",
            detail={"reason": str(error)},
        ) from error


def urls(host: str, port: int, tls: TlsFiles | None) -> list[str]:
    """What to print: the local URL and, when listening on all interfaces, the LAN URL a phone can open."""
    scheme = "https" if tls else "http"
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "::1") else host
    shown = f"[{shown}]" if ":" in shown else shown  # an IPv6 literal is bracketed in a URL (RFC 3986)
    found = [f"{scheme}://{shown}:{port}"]
    if host in ("0.0.0.0", "::") and (ip := lan_ip()):
        found.append(f"{scheme}://{ip}:{port}")
    return found
