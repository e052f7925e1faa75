"""Problem codes of the documents service, each with a Vietnamese message."""

from hoso_common.errors import (
    AppError,
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    Unprocessable,
    UnsupportedMediaType,
)


class DocumentNotFound(NotFound):
    code = "document_not_found"
    detail = "Không tìm thấy tài liệu."


class VersionNotFound(NotFound):
    code = "version_not_found"
    detail = "Không tìm thấy phiên bản tài liệu yêu cầu."


class MalformedUpload(BadRequest):
    code = "malformed_upload"
    detail = "Dữ liệu tải lên không đúng định dạng multipart/form-data."


class MissingFile(BadRequest):
    code = "file_missing"
    detail = "Vui lòng đính kèm tệp (File đính kèm)."


class EmptyFile(BadRequest):
    code = "file_empty"
    detail = "Tệp đính kèm không có nội dung."


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"
    detail = "Tệp vượt quá dung lượng cho phép."


class UnsupportedFileType(UnsupportedMediaType):
    code = "unsupported_type"
    detail = "Định dạng tệp không được hỗ trợ. Chỉ chấp nhận PDF, DOCX, XLSX, JPG, PNG hoặc XML."


class FileTypeMismatch(UnsupportedMediaType):
    code = "type_mismatch"
    detail = "Nội dung tệp không khớp với phần mở rộng hoặc loại tệp đã khai báo."


class DocumentUnsignable(Unprocessable):
    """A PDF pyHanko cannot sign; `code` says why (encrypted, damaged, not a PDF)."""

    code = "document_unsignable"
    detail = "Tệp PDF không ký số được."


class SigningInProgress(Conflict):
    code = "signing_in_progress"
    detail = "Tài liệu đang được ký số. Vui lòng chờ kết quả trước khi thao tác tiếp."


class DocumentBusy(Conflict):
    code = "document_busy"
    detail = "Tài liệu đang được xử lý. Vui lòng thử lại sau."


class SigningUnavailable(ServiceUnavailable):
    code = "signing_unavailable"
    detail = "Không kết nối được dịch vụ ký số để kiểm tra kết quả ký. Vui lòng thử lại sau."


class SignaturesNotCheckable(Unprocessable):
    code = "signatures_not_checkable"
    detail = "Không kiểm tra được chữ ký số: tệp không đọc được."


class SigningValidationFailed(AppError):
    status, code, title = 502, "signing_validation_failed", "Bad gateway"
    detail = "Dịch vụ ký số không kiểm tra được chữ ký của tài liệu."
