"""The printed form ("In"): deterministic PDF/A-2b with Vietnamese text that extracts back."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from hoso_eforms.config import Settings
from hoso_eforms.domain.catalogue import AddressCatalogue
from hoso_eforms.domain.rendering import FontSet, FormDocument, FormRenderer, printable
from hoso_eforms.domain.seed_templates import seed_templates

Sample = Callable[[str], dict[str, Any]]
TEMPLATES = seed_templates()
SETTINGS = Settings()
FONTS = FontSet(SETTINGS.font_regular, SETTINGS.font_bold, SETTINGS.font_italic)
RENDERER = FormRenderer(FONTS, AddressCatalogue.load())
WHEN = datetime(2025, 7, 3, 8, 30, 15, tzinfo=UTC)


def document(code: str, data: dict[str, Any], form_id: str = "f" * 32) -> FormDocument:
    template = TEMPLATES[code]
    return FormDocument(
        form_id=form_id,
        template_code=code,
        template_version=1,
        title=template.title,
        schema=template.form_schema,
        layout=template.layout,
        data=data,
        updated_at=WHEN,
    )


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_same_data_renders_the_same_bytes(code: str, sample_form: Sample) -> None:
    first = RENDERER.render(document(code, sample_form(code)))
    second = RENDERER.render(document(code, sample_form(code)))
    assert first.pdf == second.pdf
    assert first.pdf.startswith(b"%PDF-1.7")
    changed = RENDERER.render(
        replace(document(code, sample_form(code)), updated_at=datetime.now(UTC))
    )
    assert changed.pdf != first.pdf


def test_text_extracts_back_with_diacritics(sample_form: Sample) -> None:
    data = sample_form("to-khai-khai-sinh")
    text = text_of(RENDERER.render(document("to-khai-khai-sinh", data)).pdf)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "TỜ KHAI ĐĂNG KÝ KHAI SINH",
        "Kính gửi: Ủy ban nhân dân phường Hoàn Kiếm",
        "Họ, chữ đệm và tên: Trần Minh Khôi",
        "Ngày, tháng, năm sinh: 15/03/2025",
        "Dân tộc: Tày",
        "Nơi cư trú: Số 12, phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội",
        "Hà Nội, ngày 03 tháng 07 năm 2025",
        "NGƯỜI YÊU CẦU",
    ):
        assert expected in text


def test_markup_in_fields_prints_as_literal_text(sample_form: Sample) -> None:
    data = sample_form("to-khai-khai-sinh")
    data["nguoi_duoc_khai_sinh"]["noi_sinh"] = "<script>alert(1)</script> **đậm** {nb} <b>x</b>"
    text = text_of(RENDERER.render(document("to-khai-khai-sinh", data)).pdf)
    assert "Nơi sinh: <script>alert(1)</script> **đậm** {nb} <b>x</b>" in text


def test_lists_are_printed_item_by_item(sample_form: Sample) -> None:
    text = text_of(
        RENDERER.render(document("ct01-thay-doi-cu-tru", sample_form("ct01-thay-doi-cu-tru"))).pdf
    )
    assert "Những thành viên trong hộ gia đình cùng thay đổi:" in text
    assert "Họ, chữ đệm và tên: Nguyễn Gia Hưng" in text
    assert "Phường Sài Gòn, Thành phố Hồ Chí Minh" in text


def test_pdfa_markers_fonts_and_ids(sample_form: Sample) -> None:
    pdf = RENDERER.render(
        document("to-khai-ly-lich-tu-phap", sample_form("to-khai-ly-lich-tu-phap"))
    ).pdf
    reader = PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert (
        "<pdfaid:part>2</pdfaid:part>" in xmp
        and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    )
    assert "xmpMM:DocumentID" in xmp and "2025-07-03T08:30:15+00:00" in xmp
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/DestOutputProfile"].get_object().get_data()[36:40] == b"acsp"
    assert len(reader.trailer["/ID"]) == 2
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"]
    assert not re.search(rb"/SMask|/CA 0\.|/ca 0\.", pdf)


def test_stamp_box_lies_on_a_page_inside_a4(sample_form: Sample) -> None:
    rendered = RENDERER.render(document("to-khai-khai-sinh", sample_form("to-khai-khai-sinh")))
    pages = len(PdfReader(io.BytesIO(rendered.pdf)).pages)
    assert 0 <= rendered.stamp_page < pages
    x1, y1, x2, y2 = rendered.stamp_box
    assert 0 < x1 < x2 <= 595 and 0 < y1 < y2 <= 842


def test_characters_the_font_lacks_become_question_marks() -> None:
    assert printable("Nguyễn\u0000\u200b 中", FONTS.regular) == "Nguyễn ?"
    assert printable("Nguye\u0302\u0303n", Path(FONTS.regular)) == "Nguyễn"
