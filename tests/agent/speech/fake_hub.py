"""A local HTTP server imitating the model hub's API and file layout, for ``vozbd models install --stt`` tests.

It serves the endpoints ``huggingface_hub.snapshot_download`` calls (checked against huggingface_hub's source):

- ``GET /api/models/{repo}/revision/{rev}``: repo info, whose ``sha`` is the commit the download pins;
- ``GET /api/models/{repo}/tree/{rev}?recursive=true``: the file listing (size, and ``lfs.oid`` = sha256 for
  large files, as the hub stores model weights);
- ``HEAD``/``GET /{repo}/resolve/{rev}/{path}``: file metadata (``X-Repo-Commit``, ``ETag``/``X-Linked-Etag``,
  ``Content-Length``/``X-Linked-Size``) and the bytes.

Unknown repos answer 404 with ``X-Error-Code: RepoNotFound`` like the hub. ``corrupt`` makes the listing announce
a wrong sha256 for ``model.bin`` (a checksum mismatch), ``truncate`` drops the connection halfway through its bytes
(an interrupted download); ``served`` counts the file downloads.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS_MIN = 1_000_000  # files at least this big are "LFS" files (listed with their sha256)


@dataclass
class FakeHub:
    repos: dict[str, Path]  # repo id → folder whose files it serves
    corrupt: bool = False
    truncate: bool = False  # the connection drops halfway through model.bin (an interrupted download)
    served: list[str] = field(default_factory=list)
    url: str = ""

    def files(self, repo: str) -> dict[str, Path]:
        root = self.repos[repo]
        return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


@functools.cache
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def _json(self, payload: object) -> None:
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _not_found(self, code: str = "RepoNotFound") -> None:
            body = json.dumps({"error": "Repository not found"}).encode()
            self.send_response(404)
            self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", "Repository not found")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _repo(self, path: str) -> tuple[str, str] | None:
            """'owner/name/rest' → (repo id, rest) when the repo is served."""
            parts = path.split("/", 2)
            if len(parts) < 3 or f"{parts[0]}/{parts[1]}" not in hub.repos:
                return None
            return f"{parts[0]}/{parts[1]}", parts[2]

        def do_GET(self) -> None:
            self._serve(send_body=True)

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def _serve(self, send_body: bool) -> None:
            path = unquote(urlparse(self.path).path).lstrip("/")
            if path.startswith("api/models/"):
                found = self._repo(path.removeprefix("api/models/"))
                if found is None:
                    return self._not_found()
                repo, rest = found
                if rest.startswith("revision/"):
                    files = hub.files(repo)
                    return self._json({"id": repo, "sha": COMMIT, "siblings": [{"rfilename": f} for f in files]})
                if rest.startswith("tree/"):
                    return self._json(self._tree(repo))
                return self._not_found("EntryNotFound")
            found = self._repo(path)
            if found is None or not found[1].startswith("resolve/"):
                return self._not_found()
            repo, rest = found
            filename = rest.split("/", 2)[2] if rest.count("/") >= 2 else ""
            source = hub.files(repo).get(filename)
            if source is None:
                return self._not_found("EntryNotFound")
            size = source.stat().st_size
            self.send_response(200)
            self.send_header("X-Repo-Commit", COMMIT)
            etag = _sha256(source) if size >= LFS_MIN else hashlib.sha1(source.read_bytes()).hexdigest()
            self.send_header("ETag", f'"{etag}"')
            if size >= LFS_MIN:
                self.send_header("X-Linked-Etag", f'"{etag}"')
                self.send_header("X-Linked-Size", str(size))
            self.send_header("Content-Length", str(size))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            if send_body:
                hub.served.append(filename)
                if hub.truncate and filename == "model.bin":
                    self.wfile.write(source.read_bytes()[: size // 2])
                    self.close_connection = True
                    return
                with source.open("rb") as handle:
                    while block := handle.read(1 << 20):
                        self.wfile.write(block)

        def _tree(self, repo: str) -> list[dict[str, object]]:
            entries: list[dict[str, object]] = []
            for name, path in hub.files(repo).items():
                size = path.stat().st_size
                entry: dict[str, object] = {"type": "file", "path": name, "size": size, "oid": "0" * 40}
                if size >= LFS_MIN:
                    sha = "f" * 64 if hub.corrupt and name == "model.bin" else _sha256(path)
                    entry["lfs"] = {"oid": sha, "size": size, "pointerSize": 134}
                entries.append(entry)
            return entries

    return Handler


@contextmanager
def serve_hub(hub: FakeHub) -> Iterator[FakeHub]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
