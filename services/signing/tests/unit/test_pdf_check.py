"""The up-front check: what pyHanko cannot sign is named before anyone is asked to sign."""

import pytest

from hoso_common.pdf_check import signing_problem
from hoso_testing.signing.pdfs import build_pdf, encrypt_pdf


def test_a_sound_pdf_passes() -> None:
    assert signing_problem(build_pdf(2)) is None


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (encrypt_pdf(build_pdf(1)), "encrypted_pdf", "mật khẩu"),
        (build_pdf(2)[: len(build_pdf(2)) // 2], "malformed_pdf", "bị hỏng"),
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nnot a pdf\n%%EOF", "malformed_pdf", "bị hỏng"),
        (b"PK\x03\x04 a zip, not a pdf", "not_a_pdf", "không phải là tệp PDF"),
    ],
    ids=["encrypted", "truncated", "damaged", "not-a-pdf"],
)
def test_each_problem_is_named_in_vietnamese(data: bytes, code: str, words: str) -> None:
    problem = signing_problem(data)
    assert problem is not None
    assert problem.code == code
    assert words in problem.message
