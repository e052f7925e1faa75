"""The templates the service ships: three common Vietnamese declarations (version 1 each)."""

from __future__ import annotations

from typing import Any

from hoso_eforms.domain.catalogue import load_ethnic_groups
from hoso_eforms.domain.templates import LayoutSection, PrintLayout, TemplateContent

SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DECLARATION = (
    "Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước "
    "pháp luật về cam đoan của mình."
)


def _text(title: str, max_length: int, description: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {
        "type": "string",
        "title": title,
        "minLength": 1,
        "maxLength": max_length,
    }
    if description:
        node["description"] = description
    return node


def shared_definitions() -> dict[str, Any]:
    """Field types reused by every template, under `$defs`."""
    return {
        "ho_ten": {
            "type": "string",
            "title": "Họ, chữ đệm và tên",
            "description": (
                "Ghi bằng chữ in hoa hoặc chữ thường, có dấu, đúng như giấy tờ tùy thân."
            ),
            "minLength": 1,
            "maxLength": 100,
            "format": "ho-ten",
        },
        "ngay": {
            "type": "string",
            "title": "Ngày",
            "description": "Ngày/tháng/năm, ví dụ 05/09/1990.",
            "format": "date-vn",
            "maxLength": 10,
            "x-not-future": True,
        },
        "so_dinh_danh": {
            "type": "string",
            "title": "Số định danh cá nhân",
            "description": "12 chữ số, in trên thẻ căn cước hoặc căn cước công dân.",
            "format": "so-dinh-danh",
            "maxLength": 12,
        },
        "gioi_tinh": {"type": "string", "title": "Giới tính", "enum": ["Nam", "Nữ"]},
        "dan_toc": {
            "type": "string",
            "title": "Dân tộc",
            "description": "Một trong 54 dân tộc Việt Nam.",
            "enum": load_ethnic_groups(),
        },
        "quoc_tich": {
            "type": "string",
            "title": "Quốc tịch",
            "minLength": 1,
            "maxLength": 64,
            "default": "Việt Nam",
        },
        "so_dien_thoai": {
            "type": "string",
            "title": "Số điện thoại di động",
            "description": "Ví dụ 0912345678.",
            "format": "so-di-dong",
            "maxLength": 15,
        },
        "email": {
            "type": "string",
            "title": "Thư điện tử",
            "format": "email",
            "maxLength": 254,
        },
        "dia_chi": {
            "type": "object",
            "title": "Địa chỉ",
            "description": "Theo đơn vị hành chính hai cấp (tỉnh, xã) áp dụng từ 01/07/2025.",
            "additionalProperties": False,
            "required": ["tinh_thanh", "xa_phuong", "dia_chi_chi_tiet"],
            "x-address": True,
            "properties": {
                "tinh_thanh": {
                    "type": "string",
                    "title": "Tỉnh/thành phố",
                    "description": "Mã tỉnh, thành phố trong danh mục /v1/catalogue/provinces.",
                    "maxLength": 8,
                },
                "xa_phuong": {
                    "type": "string",
                    "title": "Xã/phường/đặc khu",
                    "description": "Mã xã, phường trong danh mục của tỉnh, thành phố đã chọn.",
                    "maxLength": 8,
                },
                "dia_chi_chi_tiet": _text(
                    "Số nhà, đường phố, thôn, tổ dân phố", 200, "Ví dụ: Số 12, phố Hàng Bạc."
                ),
            },
        },
    }


def _ref(name: str, title: str | None = None, **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"$ref": f"#/$defs/{name}", **extra}
    if title:
        node["title"] = title
    return node


def _schema(
    title: str, properties: dict[str, Any], required: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "$schema": SCHEMA_2020_12,
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
        "$defs": shared_definitions(),
        **extra,
    }


def _person(
    title: str, fields: dict[str, Any], required: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "type": "object",
        "title": title,
        "additionalProperties": False,
        "required": required,
        "properties": fields,
        **extra,
    }


def birth_registration() -> TemplateContent:
    schema = _schema(
        "Tờ khai đăng ký khai sinh",
        {
            "co_quan_tiep_nhan": _text(
                "Kính gửi", 200, "Ủy ban nhân dân xã, phường nơi đăng ký khai sinh."
            ),
            "nguoi_yeu_cau": _person(
                "Người yêu cầu",
                {
                    "ho_ten": _ref("ho_ten"),
                    "so_dinh_danh": _ref("so_dinh_danh"),
                    "noi_cu_tru": _ref("dia_chi", "Nơi cư trú"),
                    "quan_he": _text(
                        "Quan hệ với người được khai sinh", 50, "Ví dụ: mẹ, cha, ông, bà."
                    ),
                    "so_dien_thoai": _ref("so_dien_thoai"),
                    "email": _ref("email"),
                },
                ["ho_ten", "so_dinh_danh", "noi_cu_tru", "quan_he", "so_dien_thoai"],
            ),
            "nguoi_duoc_khai_sinh": _person(
                "Người được khai sinh",
                {
                    "ho_ten": _ref("ho_ten"),
                    "gioi_tinh": _ref("gioi_tinh"),
                    "ngay_sinh": _ref("ngay", "Ngày, tháng, năm sinh"),
                    "noi_sinh": _text("Nơi sinh", 300, "Tên cơ sở y tế hoặc địa chỉ nơi sinh."),
                    "dan_toc": _ref("dan_toc"),
                    "quoc_tich": _ref("quoc_tich"),
                    "que_quan": _text("Quê quán", 300),
                },
                ["ho_ten", "gioi_tinh", "ngay_sinh", "noi_sinh", "dan_toc", "quoc_tich"],
            ),
            "me": _person(
                "Mẹ",
                {
                    "ho_ten": _ref("ho_ten"),
                    "ngay_sinh": _ref("ngay", "Ngày, tháng, năm sinh"),
                    "dan_toc": _ref("dan_toc"),
                    "quoc_tich": _ref("quoc_tich"),
                    "so_dinh_danh": _ref("so_dinh_danh"),
                    "noi_cu_tru": _ref("dia_chi", "Nơi cư trú"),
                },
                ["ho_ten", "ngay_sinh", "dan_toc", "quoc_tich", "so_dinh_danh", "noi_cu_tru"],
                **{"x-id-matches": {"id": "so_dinh_danh", "birth_date": "ngay_sinh"}},
            ),
            "cha": _person(
                "Cha",
                {
                    "ho_ten": _ref("ho_ten"),
                    "ngay_sinh": _ref("ngay", "Ngày, tháng, năm sinh"),
                    "dan_toc": _ref("dan_toc"),
                    "quoc_tich": _ref("quoc_tich"),
                    "so_dinh_danh": _ref("so_dinh_danh"),
                    "noi_cu_tru": _ref("dia_chi", "Nơi cư trú"),
                },
                ["ho_ten", "ngay_sinh", "dan_toc", "quoc_tich", "so_dinh_danh", "noi_cu_tru"],
                **{
                    "description": "Bỏ trống nếu chưa xác định được cha.",
                    "x-id-matches": {"id": "so_dinh_danh", "birth_date": "ngay_sinh"},
                },
            ),
        },
        ["co_quan_tiep_nhan", "nguoi_yeu_cau", "nguoi_duoc_khai_sinh", "me"],
    )
    layout = PrintLayout(
        title="TỜ KHAI ĐĂNG KÝ KHAI SINH",
        recipient_field="/co_quan_tiep_nhan",
        sections=[
            LayoutSection(
                heading="Thông tin người yêu cầu",
                fields=[
                    "/nguoi_yeu_cau/ho_ten",
                    "/nguoi_yeu_cau/so_dinh_danh",
                    "/nguoi_yeu_cau/noi_cu_tru",
                    "/nguoi_yeu_cau/quan_he",
                    "/nguoi_yeu_cau/so_dien_thoai",
                    "/nguoi_yeu_cau/email",
                ],
            ),
            LayoutSection(
                heading="Đề nghị cơ quan đăng ký khai sinh cho người dưới đây",
                fields=[
                    "/nguoi_duoc_khai_sinh/ho_ten",
                    "/nguoi_duoc_khai_sinh/ngay_sinh",
                    "/nguoi_duoc_khai_sinh/gioi_tinh",
                    "/nguoi_duoc_khai_sinh/dan_toc",
                    "/nguoi_duoc_khai_sinh/quoc_tich",
                    "/nguoi_duoc_khai_sinh/noi_sinh",
                    "/nguoi_duoc_khai_sinh/que_quan",
                ],
            ),
            LayoutSection(
                heading="Thông tin về mẹ",
                fields=[
                    "/me/ho_ten",
                    "/me/ngay_sinh",
                    "/me/dan_toc",
                    "/me/quoc_tich",
                    "/me/so_dinh_danh",
                    "/me/noi_cu_tru",
                ],
            ),
            LayoutSection(
                heading="Thông tin về cha",
                fields=[
                    "/cha/ho_ten",
                    "/cha/ngay_sinh",
                    "/cha/dan_toc",
                    "/cha/quoc_tich",
                    "/cha/so_dinh_danh",
                    "/cha/noi_cu_tru",
                ],
            ),
        ],
        declaration=DECLARATION,
        place_field="/nguoi_yeu_cau/noi_cu_tru",
        signer_name_field="/nguoi_yeu_cau/ho_ten",
    )
    return TemplateContent(
        procedure_code="1.001193",
        title="Tờ khai đăng ký khai sinh",
        description="Thủ tục đăng ký khai sinh (Thông tư 04/2020/TT-BTP và văn bản sửa đổi).",
        form_schema=schema,
        layout=layout,
    )


def judicial_record_request() -> TemplateContent:
    residence = {
        "type": "object",
        "title": "Quá trình cư trú",
        "additionalProperties": False,
        "required": ["tu_ngay", "noi_cu_tru"],
        "properties": {
            "tu_ngay": _ref("ngay", "Từ ngày"),
            "den_ngay": _ref("ngay", "Đến ngày"),
            "noi_cu_tru": _text("Nơi cư trú", 300),
            "nghe_nghiep": _text("Nghề nghiệp, nơi làm việc", 300),
        },
    }
    schema = _schema(
        "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
        {
            "co_quan_tiep_nhan": _text(
                "Kính gửi", 200, "Sở Tư pháp hoặc Trung tâm Lý lịch tư pháp quốc gia."
            ),
            "ho_ten": _ref("ho_ten"),
            "ten_goi_khac": _text("Tên gọi khác (nếu có)", 100),
            "gioi_tinh": _ref("gioi_tinh"),
            "ngay_sinh": _ref("ngay", "Ngày, tháng, năm sinh"),
            "noi_sinh": _text("Nơi sinh", 300),
            "quoc_tich": _ref("quoc_tich"),
            "dan_toc": _ref("dan_toc"),
            "so_dinh_danh": _ref("so_dinh_danh"),
            "noi_thuong_tru": _ref("dia_chi", "Nơi thường trú"),
            "noi_tam_tru": _ref("dia_chi", "Nơi tạm trú (nếu có)"),
            "so_dien_thoai": _ref("so_dien_thoai"),
            "email": _ref("email"),
            "ho_ten_cha": _ref("ho_ten", "Họ và tên cha"),
            "ho_ten_me": _ref("ho_ten", "Họ và tên mẹ"),
            "ho_ten_vo_chong": _ref("ho_ten", "Họ và tên vợ/chồng"),
            "qua_trinh_cu_tru": {
                "type": "array",
                "title": "Quá trình cư trú, nghề nghiệp, nơi làm việc",
                "description": "Tính từ khi đủ 14 tuổi.",
                "maxItems": 20,
                "items": residence,
            },
            "loai_phieu": {
                "type": "string",
                "title": "Loại phiếu yêu cầu cấp",
                "enum": ["Phiếu lý lịch tư pháp số 1", "Phiếu lý lịch tư pháp số 2"],
            },
            "muc_dich": _text("Mục đích sử dụng Phiếu lý lịch tư pháp", 300),
            "so_luong": {
                "type": "integer",
                "title": "Số lượng Phiếu lý lịch tư pháp yêu cầu cấp",
                "minimum": 1,
                "maximum": 10,
            },
        },
        [
            "co_quan_tiep_nhan",
            "ho_ten",
            "gioi_tinh",
            "ngay_sinh",
            "noi_sinh",
            "quoc_tich",
            "dan_toc",
            "so_dinh_danh",
            "noi_thuong_tru",
            "so_dien_thoai",
            "loai_phieu",
            "muc_dich",
            "so_luong",
        ],
        **{"x-id-matches": {"id": "so_dinh_danh", "birth_date": "ngay_sinh", "sex": "gioi_tinh"}},
    )
    layout = PrintLayout(
        title="TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP",
        form_number="Mẫu số 03/2013/TT-LLTP",
        recipient_field="/co_quan_tiep_nhan",
        sections=[
            LayoutSection(
                heading="Thông tin người yêu cầu",
                fields=[
                    "/ho_ten",
                    "/ten_goi_khac",
                    "/gioi_tinh",
                    "/ngay_sinh",
                    "/noi_sinh",
                    "/quoc_tich",
                    "/dan_toc",
                    "/so_dinh_danh",
                    "/noi_thuong_tru",
                    "/noi_tam_tru",
                    "/so_dien_thoai",
                    "/email",
                    "/ho_ten_cha",
                    "/ho_ten_me",
                    "/ho_ten_vo_chong",
                ],
            ),
            LayoutSection(heading=None, fields=["/qua_trinh_cu_tru"]),
            LayoutSection(
                heading="Nội dung yêu cầu",
                fields=["/loai_phieu", "/muc_dich", "/so_luong"],
            ),
        ],
        declaration=DECLARATION,
        place_field="/noi_thuong_tru",
        signer_name_field="/ho_ten",
    )
    return TemplateContent(
        procedure_code="2.000488",
        title="Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
        description=(
            "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú "
            "tại Việt Nam."
        ),
        form_schema=schema,
        layout=layout,
    )


def residence_change() -> TemplateContent:
    member = {
        "type": "object",
        "title": "Người có thay đổi",
        "additionalProperties": False,
        "required": ["ho_ten", "ngay_sinh", "gioi_tinh", "so_dinh_danh", "quan_he_chu_ho"],
        "properties": {
            "ho_ten": _ref("ho_ten"),
            "ngay_sinh": _ref("ngay", "Ngày, tháng, năm sinh"),
            "gioi_tinh": _ref("gioi_tinh"),
            "so_dinh_danh": _ref("so_dinh_danh"),
            "quan_he_chu_ho": _text("Mối quan hệ với chủ hộ", 50),
        },
        "x-id-matches": {"id": "so_dinh_danh", "birth_date": "ngay_sinh", "sex": "gioi_tinh"},
    }
    schema = _schema(
        "Tờ khai thay đổi thông tin cư trú (CT01)",
        {
            "co_quan_tiep_nhan": _text(
                "Kính gửi", 200, "Công an xã, phường, đặc khu nơi đăng ký cư trú."
            ),
            "ho_ten": _ref("ho_ten"),
            "ngay_sinh": _ref("ngay", "Ngày, tháng, năm sinh"),
            "gioi_tinh": _ref("gioi_tinh"),
            "so_dinh_danh": _ref("so_dinh_danh"),
            "so_dien_thoai": _ref("so_dien_thoai"),
            "email": _ref("email"),
            "ho_ten_chu_ho": _ref("ho_ten", "Họ, chữ đệm và tên chủ hộ"),
            "quan_he_chu_ho": _text("Mối quan hệ với chủ hộ", 50),
            "so_dinh_danh_chu_ho": _ref("so_dinh_danh", "Số định danh cá nhân của chủ hộ"),
            "noi_dung_de_nghi": _text(
                "Nội dung đề nghị", 1000, "Ví dụ: Đăng ký thường trú vào hộ gia đình …"
            ),
            "dia_chi_dang_ky": _ref("dia_chi", "Địa chỉ đăng ký thường trú"),
            "thanh_vien_thay_doi": {
                "type": "array",
                "title": "Những thành viên trong hộ gia đình cùng thay đổi",
                "maxItems": 20,
                "items": member,
            },
        },
        [
            "co_quan_tiep_nhan",
            "ho_ten",
            "ngay_sinh",
            "gioi_tinh",
            "so_dinh_danh",
            "so_dien_thoai",
            "ho_ten_chu_ho",
            "quan_he_chu_ho",
            "so_dinh_danh_chu_ho",
            "noi_dung_de_nghi",
            "dia_chi_dang_ky",
        ],
        **{"x-id-matches": {"id": "so_dinh_danh", "birth_date": "ngay_sinh", "sex": "gioi_tinh"}},
    )
    layout = PrintLayout(
        title="TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ",
        form_number="Mẫu CT01",
        recipient_field="/co_quan_tiep_nhan",
        sections=[
            LayoutSection(
                fields=[
                    "/ho_ten",
                    "/ngay_sinh",
                    "/gioi_tinh",
                    "/so_dinh_danh",
                    "/so_dien_thoai",
                    "/email",
                    "/ho_ten_chu_ho",
                    "/quan_he_chu_ho",
                    "/so_dinh_danh_chu_ho",
                    "/dia_chi_dang_ky",
                    "/noi_dung_de_nghi",
                ],
            ),
            LayoutSection(fields=["/thanh_vien_thay_doi"]),
        ],
        declaration=None,
        place_field="/dia_chi_dang_ky",
        signer_title="NGƯỜI KÊ KHAI",
        signer_name_field="/ho_ten",
    )
    return TemplateContent(
        procedure_code="1.004194",
        title="Tờ khai thay đổi thông tin cư trú (CT01)",
        description="Đăng ký thường trú (Thông tư 66/2023/TT-BCA, mẫu CT01).",
        form_schema=schema,
        layout=layout,
    )


SEED_TEMPLATES: dict[str, Any] = {
    "to-khai-khai-sinh": birth_registration,
    "to-khai-ly-lich-tu-phap": judicial_record_request,
    "ct01-thay-doi-cu-tru": residence_change,
}


def seed_templates() -> dict[str, TemplateContent]:
    """Template code → content of version 1."""
    return {code: build() for code, build in SEED_TEMPLATES.items()}
