"""Content-Disposition of downloads."""

from urllib.parse import unquote

from hoso_common.downloads import ascii_fallback, content_disposition


def test_ascii_fallback_spells_vietnamese_in_ascii() -> None:
    assert ascii_fallback('Đơn "đề nghị" cấp hộ chiếu.pdf') == "Don _de nghi_ cap ho chieu.pdf"


def test_content_disposition_keeps_the_vietnamese_name() -> None:
    name = "Giấy khai sinh Đỗ 100%.pdf"
    header = content_disposition(name)
    assert header.startswith('attachment; filename="Giay khai sinh Do 100%.pdf"; ')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert " " not in encoded and '"' not in encoded and ";" not in encoded
    assert unquote(encoded) == name
    assert header.isascii()
