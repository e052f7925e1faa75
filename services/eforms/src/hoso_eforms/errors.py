"""Errors the eforms API reports, each with a stable code and a Vietnamese detail."""

from __future__ import annotations

from hoso_common.errors import Conflict, Forbidden, NotFound, Unprocessable
from hoso_eforms.domain.validation import FieldError


class TemplateNotFound(NotFound):
    code = "template_not_found"
    detail = "Không tìm thấy biểu mẫu."


class FormNotFound(NotFound):
    code = "form_not_found"
    detail = "Không tìm thấy tờ khai."


class ProvinceNotFound(NotFound):
    code = "province_not_found"
    detail = "Không tìm thấy tỉnh, thành phố."


class FormLocked(Conflict):
    code = "form_locked"
    detail = "Tờ khai đã được ký số hoặc đang chờ ký số nên không thể thay đổi."


class FormNotSigned(Conflict):
    code = "form_not_signed"
    detail = "Tờ khai chưa được ký số."


class TemplateNotYours(Forbidden):
    code = "template_not_yours"
    detail = (
        "Biểu mẫu thuộc cơ quan thực hiện thủ tục; chỉ cán bộ của cơ quan đó hoặc quản trị "
        "viên mới được công bố hay thu hồi."
    )


class ProcedureUnknown(Unprocessable):
    code = "procedure_unknown"
    detail = "Không tìm thấy thủ tục hành chính của biểu mẫu."


class TemplateVersionTaken(Conflict):
    code = "template_version_taken"
    detail = "Phiên bản biểu mẫu vừa được người khác công bố. Vui lòng thử lại."


class SignerIdMissing(Forbidden):
    code = "signer_id_missing"
    detail = "Tài khoản chưa có số định danh cá nhân nên không thể ký số."


class FormInvalid(Unprocessable):
    """Form data that fails its template; one Vietnamese message per field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(extra={"errors": [e.as_problem() for e in errors]})
        self.errors = errors


class FormUnsignable(Unprocessable):
    """The printed PDF is one pyHanko cannot sign; `reason` says why."""

    code = "form_unsignable"
    detail = "Bản in của tờ khai không ký số được."


class TemplateInvalid(Unprocessable):
    code = "template_invalid"
    detail = "Biểu mẫu không hợp lệ."
