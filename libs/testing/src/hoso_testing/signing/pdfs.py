"""Builds sample PDFs from scratch: N text pages, optional incompressible padding, encryption."""

from __future__ import annotations

import os
from io import BytesIO


def build_pdf(pages: int = 1, *, pad_to: int = 0, title: str = "Ho so mau") -> bytes:
    """A valid PDF 1.7 with `pages` pages of text, padded by an image to about `pad_to` bytes."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled once the page tree number is known
    page_tree = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    image_ref = None
    if pad_to > 0:
        side = max(int(pad_to**0.5), 1)
        pixels = os.urandom(side * side)
        image_ref = add(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Length %d >>\nstream\n"
            % (side, side, len(pixels))
            + pixels
            + b"\nendstream"
        )
    kids = []
    for index in range(pages):
        text = f"{title} - trang {index + 1}/{pages}".encode("latin-1", "replace")
        content = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET\n"
        content += b"BT /F1 10 Tf 72 740 Td (Noi dung kiem thu ky so PAdES.) Tj ET\n"
        if image_ref is not None and index == 0:
            content += b"q 200 0 0 200 72 400 cm /Im0 Do Q\n"
        stream = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream")
        xobjects = b" /XObject << /Im0 %d 0 R >>" % image_ref if image_ref and index == 0 else b""
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 %d 0 R >>%s >> /Contents %d 0 R >>"
                % (page_tree, font, xobjects, stream)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % page_tree
    objects[page_tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
        % (
            len(objects) + 1,
            catalog,
            os.urandom(16).hex().encode(),
            os.urandom(16).hex().encode(),
            xref,
        )
    )
    return out.getvalue()


def encrypt_pdf(pdf: bytes, password: str = "mat-khau") -> bytes:  # noqa: S107
    """The same document protected with a user password (RC4/AES via pyHanko's writer)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(BytesIO(pdf)))
    writer.encrypt(password, password)  # type: ignore[no-untyped-call]
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()
