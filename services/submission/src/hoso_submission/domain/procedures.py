"""The procedure catalogue: procedures, their dossier components, and the seeded procedures."""

from __future__ import annotations

import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hoso_submission.domain.file_types import FileType

ComponentSource = Literal["upload", "vault", "eform"]
MB = 1024 * 1024


class Agency(BaseModel):
    """The agency that receives and processes a procedure's dossiers."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="Agency code, also the prefix of receipt codes.")
    name: str = Field(description="Agency name.")


class ProcessingTime(BaseModel):
    model_config = ConfigDict(frozen=True)

    working_days: int = Field(ge=0, description="Legal processing time in working days.")
    description: str = Field(description="Processing time as the catalogue states it.")


class Fee(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount_vnd: int = Field(ge=0, description="Fee in đồng; 0 when free.")
    description: str = Field(description="Fee and charges as the catalogue states them.")


class ComponentSpec(BaseModel):
    """One dossier component (thành phần hồ sơ) a procedure asks for."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^[A-Z0-9_]{1,20}$", description="Code within the procedure.")
    name: str = Field(description="Component name.")
    required: bool = Field(description="Whether the dossier cannot be submitted without it.")
    sources: list[ComponentSource] = Field(description="Where the file may come from.")
    eform_template: str | None = Field(
        default=None, description="E-form template code when it can be filled online."
    )
    signature_required: bool = Field(description="Whether the file must carry a valid signature.")
    file_types: list[FileType] = Field(description="Accepted file types.")
    max_size_bytes: int = Field(gt=0, description="Largest accepted file.")


class Procedure(BaseModel):
    """An administrative procedure (thủ tục hành chính) of the national catalogue."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="National procedure code, e.g. 1.001193.")
    name: str = Field(description="Procedure name.")
    field: str = Field(description="Field (lĩnh vực) the procedure belongs to.")
    agency: Agency
    processing_time: ProcessingTime
    fee: Fee
    components: list[ComponentSpec]

    def component(self, code: str) -> ComponentSpec | None:
        return next((c for c in self.components if c.code == code), None)


def search_text(*values: str) -> str:
    """Lower-case text without diacritics, so "khai sinh" finds "Đăng ký khai sinh"."""
    text = " ".join(values).lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _signed_form(code: str, name: str, *, template: str) -> ComponentSpec:
    """The declaration: an e-form (or its PDF from elsewhere) that must carry a signature."""
    return ComponentSpec(
        code=code,
        name=name,
        required=True,
        sources=["eform", "upload", "vault"],
        eform_template=template,
        signature_required=True,
        file_types=["pdf"],
        max_size_bytes=10 * MB,
    )


def _scan(code: str, name: str, *, max_mb: int = 10, required: bool = True) -> ComponentSpec:
    """A scan or photo of a paper document, uploaded or taken from the vault."""
    return ComponentSpec(
        code=code,
        name=name,
        required=required,
        sources=["upload", "vault"],
        signature_required=False,
        file_types=["pdf", "jpg", "png"],
        max_size_bytes=max_mb * MB,
    )


def _authorization() -> ComponentSpec:
    return _scan("UQ", "Văn bản ủy quyền (trường hợp nộp thay)", required=False)


SEED_PROCEDURES: tuple[Procedure, ...] = (
    Procedure(
        code="1.001193",
        name="Đăng ký khai sinh",
        field="Hộ tịch",
        agency=Agency(code="UBND-HNI", name="Ủy ban nhân dân cấp xã (Hà Nội)"),
        processing_time=ProcessingTime(
            working_days=1,
            description="Ngay trong ngày tiếp nhận; trường hợp nhận sau 15 giờ thì trả kết quả "
            "trong ngày làm việc tiếp theo.",
        ),
        fee=Fee(amount_vnd=0, description="Miễn lệ phí đăng ký khai sinh đúng hạn."),
        components=[
            _signed_form("TK", "Tờ khai đăng ký khai sinh", template="to-khai-khai-sinh"),
            _scan("GCS", "Giấy chứng sinh (hoặc giấy tờ thay Giấy chứng sinh)", max_mb=10),
            _authorization(),
        ],
    ),
    Procedure(
        code="2.000488",
        name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú "
        "tại Việt Nam",
        field="Lý lịch tư pháp",
        agency=Agency(code="STP-HNI", name="Sở Tư pháp thành phố Hà Nội"),
        processing_time=ProcessingTime(
            working_days=10, description="Không quá 10 ngày kể từ ngày nhận đủ hồ sơ hợp lệ."
        ),
        fee=Fee(
            amount_vnd=200_000,
            description="200.000 đồng/lần/người; sinh viên, người có công: 100.000 đồng.",
        ),
        components=[
            _signed_form(
                "TK",
                "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (Mẫu số 03/2013/TT-LLTP)",
                template="to-khai-ly-lich-tu-phap",
            ),
            _scan("CCCD", "Bản chụp Căn cước công dân hoặc Hộ chiếu", max_mb=5),
            _authorization(),
        ],
    ),
    Procedure(
        code="1.004194",
        name="Đăng ký thường trú",
        field="Đăng ký, quản lý cư trú",
        agency=Agency(code="CA-HNI", name="Công an cấp xã (Hà Nội)"),
        processing_time=ProcessingTime(
            working_days=7, description="07 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ."
        ),
        fee=Fee(
            amount_vnd=7_000,
            description="Nộp trực tuyến: 7.000 đồng/lần đăng ký; nộp trực tiếp: 15.000 đồng.",
        ),
        components=[
            _signed_form(
                "CT01",
                "Tờ khai thay đổi thông tin cư trú (Mẫu CT01)",
                template="ct01-thay-doi-cu-tru",
            ),
            _scan("CHO_O", "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp", max_mb=20),
            _authorization(),
        ],
    ),
)
