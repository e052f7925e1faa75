"""Errors of the submission service, each with a stable code and a Vietnamese detail."""

from hoso_common.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
)
from hoso_submission.domain.procedures import ComponentSpec


class ProcedureNotFound(NotFound):
    code = "procedure_not_found"
    detail = "Không tìm thấy thủ tục hành chính."


class DossierNotFound(NotFound):
    code = "dossier_not_found"
    detail = "Không tìm thấy hồ sơ."


class ComponentNotFound(NotFound):
    code = "component_not_found"
    detail = "Thủ tục không có thành phần hồ sơ này."


class SourceDocumentNotFound(NotFound):
    code = "source_not_found"
    detail = "Không tìm thấy tài liệu hoặc biểu mẫu được chọn."


class SourceNotAccepted(Unprocessable):
    code = "source_not_accepted"
    detail = "Thành phần hồ sơ này không nhận tệp từ nguồn đã chọn."


class FormNotSigned(Unprocessable):
    code = "eform_not_signed"
    detail = "Biểu mẫu điện tử chưa được ký số. Vui lòng ký số trước khi đính kèm."


class FormTemplateMismatch(Unprocessable):
    code = "eform_template_mismatch"
    detail = "Biểu mẫu điện tử không đúng mẫu của thành phần hồ sơ này."


class DossierIncomplete(Unprocessable):
    code = "dossier_incomplete"
    detail = "Hồ sơ chưa đủ điều kiện để nộp. Vui lòng kiểm tra các thành phần hồ sơ được liệt kê."


class NoteRequired(Unprocessable):
    code = "note_required"
    detail = "Vui lòng nhập lý do."


class DocumentVersionMismatch(Conflict):
    code = "document_version_mismatch"
    detail = "Phiên bản tài liệu đã chọn không khớp mã băm SHA-256. Vui lòng chọn lại tài liệu."


class DossierNotEditable(Conflict):
    code = "dossier_not_editable"
    detail = "Hồ sơ đã nộp nên không thể thay đổi thành phần hồ sơ."


class IllegalTransition(Conflict):
    code = "illegal_transition"
    detail = "Không thể thực hiện thao tác này ở trạng thái hiện tại của hồ sơ."


class StaleDossier(Conflict):
    code = "dossier_changed"
    detail = "Hồ sơ vừa được thay đổi. Vui lòng tải lại và thử lại."


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"
    detail = "Thiếu tiêu đề Idempotency-Key."


class ComponentFileTooLarge(PayloadTooLarge):
    code = "component_file_too_large"


class ComponentFileType(UnsupportedMediaType):
    code = "component_file_type"


class EmptyFile(BadRequest):
    code = "empty_file"
    detail = "Tệp đính kèm rỗng."


class MalformedUpload(BadRequest):
    code = "malformed_upload"
    detail = "Yêu cầu tải tệp không hợp lệ: cần multipart/form-data với trường «file»."


def file_too_large(spec: ComponentSpec) -> ComponentFileTooLarge:
    limit_mb = spec.max_size_bytes / (1024 * 1024)
    return ComponentFileTooLarge(
        f"Tệp của thành phần «{spec.name}» vượt quá dung lượng cho phép ({limit_mb:g} MB).",
        extra={"component": spec.code, "max_size_bytes": spec.max_size_bytes},
    )


def file_type_refused(spec: ComponentSpec, reason: str) -> ComponentFileType:
    accepted = ", ".join(t.upper() for t in spec.file_types)
    return ComponentFileType(
        f"Thành phần «{spec.name}» chỉ nhận tệp {accepted}. {reason}",
        extra={"component": spec.code, "accepted": spec.file_types},
    )


class ResultNotEditable(Conflict):
    code = "result_not_editable"
    detail = (
        "Chỉ tải lên hoặc ký số kết quả giải quyết được khi hồ sơ đang ở trạng thái «Đang xử lý»."
    )


class ResultSigning(Conflict):
    code = "result_signing"
    detail = "Kết quả giải quyết đang chờ ký số. Vui lòng chờ kết quả ký trước khi thay đổi."


class ResultAlreadySigned(Conflict):
    code = "result_already_signed"
    detail = "Kết quả giải quyết đã được ký số. Tải lên tệp mới nếu cần ký lại."


class ResultNotFound(NotFound):
    code = "result_not_found"
    detail = "Hồ sơ chưa có kết quả giải quyết."


class ResultMissing(Conflict):
    code = "result_missing"
    detail = "Hồ sơ chưa có kết quả giải quyết."


class ResultNotSigned(Conflict):
    code = "result_not_signed"
    detail = "Kết quả giải quyết chưa được ký số."


class ResultSignatureInvalid(Unprocessable):
    code = "result_signature_invalid"
    detail = "Chữ ký số trên kết quả giải quyết không hợp lệ."


class ResultFileType(UnsupportedMediaType):
    code = "result_file_type"
    detail = (
        "Kết quả giải quyết phải là tệp PDF. Nội dung hoặc phần mở rộng của tệp không phải PDF."
    )


class ResultFileTooLarge(PayloadTooLarge):
    code = "result_file_too_large"


class ResultUnsignable(Unprocessable):
    """A PDF that pyHanko cannot sign (encrypted, damaged): refused when uploaded."""

    code = "result_unsignable"
    detail = "Tệp PDF không ký số được."


class SignerIdMissing(Unprocessable):
    code = "signer_id_missing"
    detail = (
        "Tài khoản cán bộ chưa có số định danh cá nhân nên chưa có chứng thư ký số. "
        "Vui lòng liên hệ quản trị hệ thống."
    )


def result_too_large(max_bytes: int) -> ResultFileTooLarge:
    return ResultFileTooLarge(
        f"Tệp kết quả giải quyết vượt quá dung lượng cho phép ({max_bytes / (1024 * 1024):g} MB).",
        extra={"max_size_bytes": max_bytes},
    )
