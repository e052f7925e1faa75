"""Files are recognised by their bytes, not by their names."""

from hoso_submission.domain.file_types import sniff, type_of_media, type_of_name
from hoso_submission.domain.procedures import SEED_PROCEDURES, search_text


def test_sniff_recognises_pdf_png_jpeg() -> None:
    assert sniff(b"%PDF-1.7\n%\xe2\xe3") == "pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n\x00\x00") == "png"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "jpg"
    assert sniff(b"MZ\x90\x00 executable") is None
    assert sniff(b"") is None


def test_names_and_media_types_map_to_types() -> None:
    assert type_of_name("Giấy khai sinh.PDF") == "pdf"
    assert type_of_name("anh.jpeg") == "jpg"
    assert type_of_name("khong-co-duoi") is None
    assert type_of_media("application/pdf") == "pdf"
    assert type_of_media("image/png; charset=binary") == "png"
    assert type_of_media("application/zip") is None


def test_search_text_drops_diacritics() -> None:
    assert search_text("Đăng ký khai sinh") == "dang ky khai sinh"
    assert search_text("Lý lịch TƯ PHÁP") == "ly lich tu phap"


def test_seeded_catalogue_is_consistent() -> None:
    codes = {p.code for p in SEED_PROCEDURES}
    assert codes == {"1.001193", "2.000488", "1.004194"}
    for procedure in SEED_PROCEDURES:
        component_codes = [c.code for c in procedure.components]
        assert len(component_codes) == len(set(component_codes))
        assert any(c.required for c in procedure.components)
        for component in procedure.components:
            assert component.sources
            assert (component.eform_template is not None) == ("eform" in component.sources)
