"""Every Vietnamese word a citizen reads on the portal, in one place (the seed's labels exactly)."""

from __future__ import annotations

from typing import Final

APP_NAME: Final = "Cổng dịch vụ công hoso"

# Frame
LOGIN: Final = "Đăng nhập"
LOGOUT: Final = "Đăng xuất"
NAV_VAULT: Final = "Hồ sơ điện tử"
NAV_PROCEDURES: Final = "Thủ tục hành chính"
NAV_DOSSIERS: Final = "Hồ sơ đã nộp"
NAV_NOTICES: Final = "Thông báo"
SKIP_TO_CONTENT: Final = "Bỏ qua, đến nội dung chính"

# Flow 1
UPLOAD_NEW: Final = "+ Tải tài liệu mới"
DOCUMENT_NAME: Final = "Tên giấy tờ"
ATTACHMENT: Final = "File đính kèm"
PROVIDER: Final = "Đơn vị ký số"
SIGN: Final = "Ký số"
PENDING_NOTICE: Final = "Thông báo chờ xử lý"
OK: Final = "OK"
SAVE: Final = "Lưu"
DOWNLOAD: Final = "Tải tệp"
CHECK_SIGNATURES: Final = "Kiểm tra kết quả ký số"
RETRY: Final = "Thử lại"
OTP: Final = "Mã OTP"
OTP_HINT: Final = "Mã gồm 4 đến 8 chữ số, gửi tới điện thoại hoặc thư điện tử của bạn."
OTP_SUBMIT: Final = "Xác nhận ký"

# Vault list columns
COL_NAME: Final = "Tên giấy tờ"
COL_UPLOADED: Final = "Ngày tải lên"
COL_STATUS: Final = "Trạng thái"
COL_SIGNER: Final = "Người ký"
COL_SIGNED_AT: Final = "Thời gian ký"
COL_FILE: Final = "Tệp"

# The signing states a document, an e-form and a result share, under one name each.
SIGNING_STATUS: Final = {
    "signing": "Đang chờ ký số",
    "signed": "Đã ký số",
    "sign_failed": "Ký số không thành công",
}
STATUS: Final = {"draft": "Chưa ký", **SIGNING_STATUS}
SAVED: Final = "Đã lưu"
NOT_SAVED: Final = "Chưa lưu"

FAILURE_TITLES: Final = {
    "rejected": "Yêu cầu ký số đã bị từ chối",
    "expired": "Yêu cầu ký số đã hết hạn",
}
FAILURE_TITLE_DEFAULT: Final = SIGNING_STATUS["sign_failed"]
SUCCESS_TITLE: Final = "Ký số thành công"

# Errors a person reads
ERROR_SUMMARY_TITLE: Final = "Có lỗi cần sửa"
ERR_NAME_REQUIRED: Final = "Nhập tên giấy tờ."
ERR_NAME_TOO_LONG: Final = "Tên giấy tờ tối đa 255 ký tự."
ERR_FILE_REQUIRED: Final = "Chọn tệp cần tải lên."
ERR_PROVIDER_REQUIRED: Final = "Chọn đơn vị ký số."
ERR_OTP_FORMAT: Final = "Nhập mã OTP gồm 4 đến 8 chữ số."
ERR_FORGED: Final = "Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại."
ERR_SERVICE_DOWN: Final = "Dịch vụ tạm thời không khả dụng. Vui lòng thử lại sau ít phút."
ERR_NOT_FOUND: Final = "Không tìm thấy trang hoặc dữ liệu bạn yêu cầu."
ERR_FORBIDDEN: Final = "Bạn không có quyền xem trang này."
ERR_LOGIN_FAILED: Final = "Đăng nhập không thành công. Vui lòng thử lại."
ERR_GENERIC: Final = "Đã có lỗi xảy ra. Vui lòng thử lại sau."

# Notices ("Thông báo")
UNREAD: Final = "Chưa đọc"
MARK_READ: Final = "Đánh dấu đã đọc"
MARK_ALL_READ: Final = "Đánh dấu tất cả đã đọc"
NOTICE_OPEN: Final = "Xem chi tiết"
NO_NOTICES: Final = "Bạn chưa có thông báo nào."
# Flow 2
SUBMIT_DOSSIER: Final = "Nộp hồ sơ"
RESUBMIT: Final = "Nộp bổ sung"
COMPONENTS: Final = "Thành phần hồ sơ"
EFORM_ONLINE: Final = "Nhập thông tin trực tuyến (E-Form)"
FROM_COMPUTER: Final = "Từ máy tính"
FROM_VAULT: Final = "Từ Hồ sơ điện tử"
SIGNED_EFORM: Final = "Biểu mẫu điện tử đã ký số"
ADD: Final = "Thêm"
UPDATE: Final = "Cập nhật"
PRINT: Final = "In"
CLOSE: Final = "Đóng"
DONE: Final = "Thực hiện thành công"
WITHDRAW: Final = "Rút hồ sơ"
RECEIPT_CODE: Final = "Mã hồ sơ"
ADD_ROW: Final = "Thêm dòng"
REMOVE_ROW: Final = "Xóa dòng"
SEARCH: Final = "Tìm kiếm"
SOURCES: Final = {"upload": FROM_COMPUTER, "vault": FROM_VAULT, "eform": SIGNED_EFORM}
FORM_STATUS: Final = {"saved": "Đã lưu, chưa ký số", **SIGNING_STATUS}
ERR_PICK_DOCUMENT: Final = "Chọn một giấy tờ trong Hồ sơ điện tử."
ERR_PICK_FORM: Final = "Chọn một biểu mẫu đã ký số."

# The dossier's result (kết quả giải quyết)
RESULT: Final = "Kết quả giải quyết"
RESULT_FILE: Final = "Tệp kết quả giải quyết (PDF)"
RESULT_UPLOAD: Final = "Tải lên kết quả"
RESULT_REPLACE: Final = "Thay tệp kết quả"
RESULT_SIGN: Final = "Ký số kết quả"
RESULT_HINT: Final = "Tệp PDF, không đặt mật khẩu. Dung lượng tối đa 20 MB."
RESULT_STATUS: Final = {"uploaded": "Chưa ký số", **SIGNING_STATUS}
RESULT_NONE: Final = "Hồ sơ chưa có kết quả giải quyết."
RESULT_RETURNED_NOTE: Final = (
    "Cơ quan đã trả kết quả giải quyết có chữ ký số. Một bản sao đã được lưu trong "
    "Hồ sơ điện tử của bạn."
)
RESULT_DOWNLOAD: Final = "Tải kết quả đã ký số"
COMPLETE: Final = "Hoàn thành"
RETURN_RESULT: Final = "Trả kết quả"
# Officers' console ("Hồ sơ cần xử lý")
NAV_CONSOLE: Final = "Hồ sơ cần xử lý"
NAV_STATISTICS: Final = "Thống kê"
ACTIONS: Final = {
    "accept": "Tiếp nhận",
    "refuse": "Từ chối",
    "request_supplement": "Yêu cầu bổ sung",
    "start_processing": "Chuyển xử lý",
    "request_payment": "Yêu cầu nghĩa vụ tài chính",
    "confirm_payment": "Xác nhận đã nộp phí",
    "stop": "Dừng xử lý",
    "complete": "Hoàn thành",
    "return_result": "Trả kết quả",
}
ACTION_NOTE_LABEL: Final = "Lý do / nội dung gửi công dân"
ACTION_DONE: Final = "Đã thực hiện: {label}. Trạng thái hiện tại: {status}."
DEADLINE: Final = {
    "overdue": "Quá hạn",
    "due_today": "Đến hạn hôm nay",
    "on_time": "Trong hạn",
}
DUE_DATE: Final = "Hạn xử lý"
ERR_NOTE_REQUIRED: Final = "Nhập lý do để «{label}»: công dân cần biết vì sao."
ERR_ACTION_STALE: Final = (
    "Hồ sơ vừa thay đổi (do cán bộ khác hoặc công dân) nên thao tác «{label}» không được "
    "thực hiện. "
    "Trạng thái hiện tại: {status}. Vui lòng xem lại rồi chọn thao tác."
)
ERR_ACTION_FAILED: Final = "Không thực hiện được «{label}»: {detail}"
SIGNATURE_UNCHECKED: Final = "Chưa kiểm tra được chữ ký số của tệp này. Vui lòng tải lại trang sau."
