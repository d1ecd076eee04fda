"""Hostile PDFs for the class-4 budget tests, written byte by byte (no PDF library: the point is malformed input).

Each builder writes one file and returns its path. Sizes stay small on disk; the cost is in parsing/extracting.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _stream(data: bytes, *, compress: bool = True, extra: bytes = b"") -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _pdf(objects: list[bytes], root: int = 1) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def _pages(kids: list[int], count: int | None = None) -> bytes:
    refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    return b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids) if count is None else count)


def _page(contents: int, resources: bytes = b"<< /Font << /F1 3 0 R >> >>") -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources %s /Contents %d 0 R >>" % (
        resources,
        contents,
    )


def heavy_page(path: Path) -> Path:
    """One page whose (compressed) content shows one character two million times."""
    content = b"BT /F1 1 Tf " + b"(a) Tj " * 2_000_000 + b"ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", _pages([4]), FONT, _page(5), _stream(content)]
    path.write_bytes(_pdf(objects))
    return path


def many_heavy_pages(path: Path, pages: int = 2000) -> Path:
    """``pages`` pages sharing one content stream of 100,000 text operators (issue #11: 2,000 pages)."""
    content = b"BT /F1 1 Tf " + b"(palavra) Tj 1 0 Td " * 100_000 + b"ET"
    kids = list(range(5, 5 + pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", _pages(kids), FONT, _stream(content)]
    objects += [_page(4) for _ in kids]
    path.write_bytes(_pdf(objects))
    return path


def flate_bomb(path: Path, megabytes: int = 1024) -> Path:
    """One page whose content stream inflates to ``megabytes`` MB of spaces (about 1 MB on disk).

    After a full flush a deflate stream forgets its history, so one compressed 1 MB block can be repeated.
    """
    chunk = b" " * (1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(megabytes):
        checksum = zlib.adler32(chunk, checksum)
    data = b"\x78\xda" + block * megabytes + packer.flush() + checksum.to_bytes(4, "big")
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", _pages([4]), FONT, _page(5), stream]
    path.write_bytes(_pdf(objects))
    return path


def page_tree_loop(path: Path) -> Path:
    """The page tree contains itself: /Pages 2 lists 2 as a kid."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R 4 0 R] /Count 2 >>", FONT]
    objects += [_page(5), _stream(b"BT /F1 12 Tf (loop) Tj ET")]
    path.write_bytes(_pdf(objects))
    return path


def lying_page_count(path: Path) -> Path:
    """/Count says a billion pages; there is one."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", _pages([4], count=1_000_000_000), FONT, _page(5)]
    objects += [_stream(b"BT /F1 12 Tf (um) Tj ET")]
    path.write_bytes(_pdf(objects))
    return path


def recursive_form(path: Path) -> Path:
    """A form XObject that draws itself (``/X1 Do`` inside X1)."""
    resources = b"<< /Font << /F1 3 0 R >> /XObject << /X1 6 0 R >> >>"
    form = _stream(
        b"BT /F1 12 Tf (eco) Tj ET /X1 Do",
        compress=False,
        extra=b" /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources " + resources,
    )
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", _pages([4]), FONT, _page(5, resources)]
    objects += [_stream(b"/X1 Do"), form]
    path.write_bytes(_pdf(objects))
    return path


def deep_nesting(path: Path, depth: int = 200_000) -> Path:
    """A content stream of ``depth`` nested arrays (recursive parsers overflow)."""
    content = b"BT /F1 12 Tf " + b"[" * depth + b"(x)" + b"]" * depth + b" TJ ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", _pages([4]), FONT, _page(5), _stream(content)]
    path.write_bytes(_pdf(objects))
    return path


def many_small_pages(path: Path, pages: int = 20_000) -> Path:
    """More pages than the page budget, each with one word."""
    kids = list(range(5, 5 + pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", _pages(kids), FONT, _stream(b"BT /F1 12 Tf (pagina) Tj ET")]
    objects += [_page(4) for _ in kids]
    path.write_bytes(_pdf(objects))
    return path


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "heavy_page": heavy_page,
    "many_heavy_pages": many_heavy_pages,
    "flate_bomb": flate_bomb,
    "page_tree_loop": page_tree_loop,
    "lying_page_count": lying_page_count,
    "recursive_form": recursive_form,
    "deep_nesting": deep_nesting,
    "many_small_pages": many_small_pages,
}
