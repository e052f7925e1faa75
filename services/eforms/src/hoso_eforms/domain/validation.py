"""Validation of filled form data against a template's JSON Schema, with Vietnamese messages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import SchemaError

from hoso_eforms.domain import formats
from hoso_eforms.domain.catalogue import AddressCatalogue
from hoso_eforms.domain.schema_walk import label, pointer

DATA_POINTER = "/data"
PROVINCE_FIELD = "tinh_thanh"
COMMUNE_FIELD = "xa_phuong"

TYPE_NAMES = {
    "string": "chuỗi ký tự",
    "integer": "số nguyên",
    "number": "số",
    "boolean": "giá trị có/không",
    "object": "nhóm thông tin",
    "array": "danh sách",
    "null": "giá trị rỗng",
}

FORMAT_MESSAGES: dict[str, Callable[[str], str]] = {
    "date-vn": lambda v: f"không hợp lệ: {formats.date_problem(v) or 'ngày không hợp lệ'}.",
    "so-dinh-danh": lambda v: f"không hợp lệ: {formats.citizen_id_problem(v) or 'sai định dạng'}.",
    "so-di-dong": lambda v: "không đúng định dạng số di động Việt Nam (ví dụ 0912345678).",
    "email": lambda v: "không phải địa chỉ thư điện tử hợp lệ (ví dụ ten@example.vn).",
    "ho-ten": lambda v: "chỉ được gồm chữ cái và khoảng trắng.",
}


@dataclass(frozen=True)
class FieldError:
    """One field that failed validation: where (JSON pointer) and why (Vietnamese)."""

    pointer: str
    message: str
    code: str

    def as_problem(self) -> dict[str, str]:
        return {"pointer": self.pointer, "message": self.message, "code": self.code}


def normalize(value: Any) -> Any:
    """NFC-normalise every string (keys too) and trim text values."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    if isinstance(value, dict):
        return {unicodedata.normalize("NFC", str(k)): normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-vn")(
        lambda v: not isinstance(v, str) or formats.parse_date_vn(v) is not None
    )
    checker.checks("so-dinh-danh")(
        lambda v: not isinstance(v, str) or formats.citizen_id_problem(v) is None
    )
    checker.checks("so-di-dong")(lambda v: not isinstance(v, str) or formats.is_mobile_vn(v))
    checker.checks("email")(lambda v: not isinstance(v, str) or formats.is_email(v))
    checker.checks("ho-ten")(lambda v: not isinstance(v, str) or formats.is_person_name(v))
    return checker


def _address_keyword(catalogue: AddressCatalogue) -> Callable[..., Iterator[ValidationError]]:
    def check(
        validator: Any, enabled: Any, instance: Any, schema: dict[str, Any]
    ) -> Iterator[ValidationError]:
        if not enabled or not isinstance(instance, dict):
            return
        province = instance.get(PROVINCE_FIELD)
        commune = instance.get(COMMUNE_FIELD)
        if isinstance(province, str) and province and catalogue.province(province) is None:
            yield ValidationError(
                "unknown province", path=[PROVINCE_FIELD], validator_value="province"
            )
            return
        if not (isinstance(province, str) and isinstance(commune, str) and commune):
            return
        if catalogue.commune(province, commune) is None:
            kind = "commune_elsewhere" if catalogue.commune_anywhere(commune) else "commune"
            yield ValidationError("unknown commune", path=[COMMUNE_FIELD], validator_value=kind)

    return check


def _not_future_keyword(today: Callable[[], date]) -> Callable[..., Iterator[ValidationError]]:
    def check(
        validator: Any, enabled: Any, instance: Any, schema: dict[str, Any]
    ) -> Iterator[ValidationError]:
        if enabled and isinstance(instance, str):
            parsed = formats.parse_date_vn(instance)
            if parsed is not None and parsed > today():
                yield ValidationError("date in the future")

    return check


def _id_matches_keyword(
    validator: Any, fields: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """The personal id's century/sex digit and year digits agree with the declared birth."""
    if not isinstance(instance, dict) or not isinstance(fields, dict):
        return
    id_field = fields.get("id", "so_dinh_danh")
    number = instance.get(id_field)
    encoded = formats.citizen_id_birth(number) if isinstance(number, str) else None
    if encoded is None:
        return
    year, sex = encoded
    birth = instance.get(fields.get("birth_date", "ngay_sinh"))
    parsed = formats.parse_date_vn(birth) if isinstance(birth, str) else None
    declared_sex = instance.get(fields.get("sex", "gioi_tinh"))
    if (parsed is not None and parsed.year != year) or (
        declared_sex in ("Nam", "Nữ") and declared_sex != sex
    ):
        yield ValidationError("id does not match birth", path=[id_field])


FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class SchemaProblem(ValueError):
    """A template schema that cannot be published."""


def check_template_schema(schema: Any) -> None:
    """Raise SchemaProblem unless `schema` is a usable 2020-12 form schema."""
    if not isinstance(schema, dict):
        raise SchemaProblem("Lược đồ biểu mẫu phải là một đối tượng JSON.")
    declared = schema.get("$schema")
    if declared is not None and declared != "https://json-schema.org/draft/2020-12/schema":
        raise SchemaProblem("Lược đồ biểu mẫu phải theo JSON Schema 2020-12.")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise SchemaProblem(f"Lược đồ biểu mẫu không hợp lệ: {error.message}") from error
    if schema.get("type") != "object" or schema.get("additionalProperties") is not False:
        raise SchemaProblem('Lược đồ biểu mẫu phải có type "object" và additionalProperties false.')
    for name in _property_names(schema):
        # Field names become document keys: no "$" or "." and nothing a person cannot read.
        if not FIELD_NAME.match(name):
            raise SchemaProblem(
                f'Tên trường "{name}" chỉ được gồm chữ thường không dấu, chữ số và dấu gạch dưới.'
            )


def _property_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            yield from (str(k) for k in properties)
        for value in node.values():
            yield from _property_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _property_names(value)


class FormValidator:
    """Checks form data against one template schema and explains each error in Vietnamese."""

    def __init__(
        self,
        schema: dict[str, Any],
        catalogue: AddressCatalogue,
        *,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.schema = schema
        validator_class = validators.extend(
            Draft202012Validator,
            {
                "x-address": _address_keyword(catalogue),
                "x-not-future": _not_future_keyword(today),
                "x-id-matches": _id_matches_keyword,
            },
        )
        self._validator = validator_class(schema, format_checker=format_checker())

    def errors(self, data: Any) -> list[FieldError]:
        """One error per field (the most basic one first), in document order."""
        found: dict[str, FieldError] = {}
        raw = sorted(self._validator.iter_errors(data), key=_priority)
        for error in raw:
            for field_error in self._explain(error):
                found.setdefault(field_error.pointer, field_error)
        return list(found.values())

    def _explain(self, error: ValidationError) -> Iterator[FieldError]:
        path = list(error.absolute_path)
        keyword = str(error.validator)
        if keyword == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    field_path = [*path, name]
                    yield self._error(
                        field_path, "required", f"Vui lòng nhập {self._label(field_path)}."
                    )
            return
        if keyword == "additionalProperties":
            declared = (
                set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
            )
            for name in error.instance if isinstance(error.instance, dict) else ():
                if name not in declared:
                    yield self._error(
                        [*path, name],
                        "unknown_field",
                        f'Trường "{name}" không có trong biểu mẫu.',
                    )
            return
        name = self._label(path)
        yield self._error(path, keyword, self._message(keyword, name, error))

    def _message(self, keyword: str, name: str, error: ValidationError) -> str:
        value = error.validator_value
        instance = error.instance
        if keyword == "type":
            expected = value if isinstance(value, str) else (value[0] if value else "")
            return f"{name} phải là {TYPE_NAMES.get(expected, expected)}."
        if keyword == "maxLength":
            return f"{name} không được dài quá {value} ký tự."
        if keyword == "minLength":
            return (
                f"Vui lòng nhập {name}." if value == 1 else f"{name} phải có ít nhất {value} ký tự."
            )
        if keyword == "format" and isinstance(instance, str):
            explain = FORMAT_MESSAGES.get(str(value))
            return f"{name} {explain(instance)}" if explain else f"{name} không đúng định dạng."
        if keyword in ("enum", "const"):
            return f"{name} không nằm trong danh sách cho phép."
        if keyword == "pattern":
            return f"{name} không đúng định dạng."
        if keyword == "minimum":
            return f"{name} phải lớn hơn hoặc bằng {value}."
        if keyword == "maximum":
            return f"{name} phải nhỏ hơn hoặc bằng {value}."
        if keyword == "maxItems":
            return f"{name} có nhiều nhất {value} dòng."
        if keyword == "minItems":
            return f"{name} cần ít nhất {value} dòng."
        if keyword == "x-address":
            if value == "province":
                return f"{name} không có trong danh mục tỉnh, thành phố."
            if value == "commune_elsewhere":
                return f"{name} không thuộc tỉnh, thành phố đã chọn."
            return f"{name} không có trong danh mục xã, phường."
        if keyword == "x-not-future":
            return f"{name} không được sau ngày hôm nay."
        if keyword == "x-id-matches":
            return f"{name} không khớp với năm sinh hoặc giới tính đã khai."
        return f"{name} không hợp lệ."

    def _label(self, path: list[str | int]) -> str:
        return label(self.schema, path)

    @staticmethod
    def _error(path: list[str | int], code: str, message: str) -> FieldError:
        return FieldError(pointer=pointer(path, DATA_POINTER), message=message, code=code)


_ORDER = {"type": 0, "required": 1, "additionalProperties": 2, "minLength": 3, "maxLength": 4}


def _priority(error: ValidationError) -> tuple[int, int]:
    # A value of the wrong type explains itself better than what follows from it.
    return (len(error.absolute_path), _ORDER.get(str(error.validator), 10))
