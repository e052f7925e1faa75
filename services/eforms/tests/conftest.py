"""Sample filled forms shared by the unit and integration tests of the eforms service."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

HANOI_WARD = {"tinh_thanh": "01", "xa_phuong": "00070", "dia_chi_chi_tiet": "Số 12, phố Hàng Bạc"}
HCM_WARD = {"tinh_thanh": "79", "xa_phuong": "26740", "dia_chi_chi_tiet": "Số 5, đường Lê Lợi"}

SAMPLES: dict[str, dict[str, Any]] = {
    "to-khai-khai-sinh": {
        "co_quan_tiep_nhan": "Ủy ban nhân dân phường Hoàn Kiếm",
        "nguoi_yeu_cau": {
            "ho_ten": "Nguyễn Thị Hồng Nhung",
            "so_dinh_danh": "001190012345",
            "noi_cu_tru": HANOI_WARD,
            "quan_he": "mẹ",
            "so_dien_thoai": "0912345678",
            "email": "nhung@example.vn",
        },
        "nguoi_duoc_khai_sinh": {
            "ho_ten": "Trần Minh Khôi",
            "gioi_tinh": "Nam",
            "ngay_sinh": "15/03/2025",
            "noi_sinh": "Bệnh viện Phụ sản Hà Nội",
            "dan_toc": "Kinh",
            "quoc_tich": "Việt Nam",
            "que_quan": "Xã Ba Vì, Thành phố Hà Nội",
        },
        "me": {
            "ho_ten": "Nguyễn Thị Hồng Nhung",
            "ngay_sinh": "20/10/1990",
            "dan_toc": "Kinh",
            "quoc_tich": "Việt Nam",
            "so_dinh_danh": "001190012345",
            "noi_cu_tru": HANOI_WARD,
        },
        "cha": {
            "ho_ten": "Trần Đức Thắng",
            "ngay_sinh": "02/01/1988",
            "dan_toc": "Tày",
            "quoc_tich": "Việt Nam",
            "so_dinh_danh": "079088001234",
            "noi_cu_tru": HCM_WARD,
        },
    },
    "to-khai-ly-lich-tu-phap": {
        "co_quan_tiep_nhan": "Sở Tư pháp Thành phố Hà Nội",
        "ho_ten": "Lê Văn Quyết",
        "gioi_tinh": "Nam",
        "ngay_sinh": "29/02/2000",
        "noi_sinh": "Thành phố Huế",
        "quoc_tich": "Việt Nam",
        "dan_toc": "Kinh",
        "so_dinh_danh": "046200004567",
        "noi_thuong_tru": HANOI_WARD,
        "so_dien_thoai": "0987654321",
        "ho_ten_cha": "Lê Văn Hùng",
        "ho_ten_me": "Phạm Thị Lựu",
        "qua_trinh_cu_tru": [
            {
                "tu_ngay": "01/03/2014",
                "den_ngay": "01/09/2018",
                "noi_cu_tru": "Phường Thuận Hóa, Thành phố Huế",
                "nghe_nghiep": "Học sinh",
            },
            {
                "tu_ngay": "01/09/2018",
                "noi_cu_tru": "Phường Cửa Nam, Thành phố Hà Nội",
                "nghe_nghiep": "Kỹ sư phần mềm",
            },
        ],
        "loai_phieu": "Phiếu lý lịch tư pháp số 1",
        "muc_dich": "Bổ sung hồ sơ xin việc",
        "so_luong": 2,
    },
    "ct01-thay-doi-cu-tru": {
        "co_quan_tiep_nhan": "Công an phường Sài Gòn",
        "ho_ten": "Phạm Thị Ánh Tuyết",
        "ngay_sinh": "12/12/1995",
        "gioi_tinh": "Nữ",
        "so_dinh_danh": "079195001122",
        "so_dien_thoai": "0358123456",
        "email": "tuyet.pham@example.vn",
        "ho_ten_chu_ho": "Phạm Văn Được",
        "quan_he_chu_ho": "Con",
        "so_dinh_danh_chu_ho": "079065000111",
        "noi_dung_de_nghi": "Đăng ký thường trú vào hộ gia đình ông Phạm Văn Được",
        "dia_chi_dang_ky": HCM_WARD,
        "thanh_vien_thay_doi": [
            {
                "ho_ten": "Nguyễn Gia Hưng",
                "ngay_sinh": "03/06/2021",
                "gioi_tinh": "Nam",
                "so_dinh_danh": "079221009876",
                "quan_he_chu_ho": "Cháu",
            }
        ],
    },
}


@pytest.fixture
def sample_form() -> Callable[[str], dict[str, Any]]:
    """A fresh, valid data dict for a seeded template code."""

    def make(template_code: str) -> dict[str, Any]:
        # A JSON round trip, so that no two fields share one address dict.
        return dict(json.loads(json.dumps(SAMPLES[template_code])))

    return make
