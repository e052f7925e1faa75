"""Form templates: a versioned JSON Schema plus a print layout, per administrative procedure."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hoso_common.validation import JsonObject
from hoso_eforms.domain.schema_walk import parse_pointer, subschema
from hoso_eforms.domain.validation import SchemaProblem, check_template_schema

TEMPLATE_CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"
PROCEDURE_CODE_PATTERN = r"^[0-9]\.[0-9]{6}(\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})?$"


class LayoutSection(BaseModel):
    """A titled block of the printed form listing fields by JSON pointer into the data."""

    model_config = ConfigDict(extra="forbid")

    heading: str | None = Field(default=None, max_length=200, description="Section heading.")
    fields: list[str] = Field(
        min_length=1, max_length=100, description="JSON pointers of the fields, in print order."
    )


class PrintLayout(BaseModel):
    """How the filled form is printed ("In")."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=200, description="Printed title, e.g. TỜ KHAI ĐĂNG KÝ KHAI SINH.")
    subtitle: str | None = Field(default=None, max_length=300)
    form_number: str | None = Field(
        default=None, max_length=100, description="Official form number shown top right (Mẫu …)."
    )
    recipient_field: str | None = Field(
        default=None, description="Pointer of the field printed after 'Kính gửi:'."
    )
    sections: list[LayoutSection] = Field(min_length=1, max_length=50)
    declaration: str | None = Field(
        default=None, max_length=1000, description="Closing commitment printed before signing."
    )
    place_field: str | None = Field(
        default=None, description="Pointer of the address whose province is the place of writing."
    )
    signer_title: str = Field(default="NGƯỜI YÊU CẦU", max_length=100)
    signer_hint: str = Field(default="(Ký, ghi rõ họ, chữ đệm, tên)", max_length=200)
    signer_name_field: str | None = Field(default=None, description="Pointer of the signer's name.")

    def pointers(self) -> list[str]:
        extra = [self.recipient_field, self.place_field, self.signer_name_field]
        return [p for s in self.sections for p in s.fields] + [p for p in extra if p]


class TemplateContent(BaseModel):
    """What a publisher supplies for one template version."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    procedure_code: str = Field(pattern=PROCEDURE_CODE_PATTERN, description="Procedure code.")
    title: str = Field(min_length=1, max_length=300, description="Template name (Vietnamese).")
    description: str | None = Field(default=None, max_length=2000)
    form_schema: JsonObject = Field(
        alias="schema", description="JSON Schema 2020-12 with Vietnamese titles and descriptions."
    )
    layout: PrintLayout


class TemplateVersion(TemplateContent):
    """One published, immutable version of a template."""

    code: str = Field(pattern=TEMPLATE_CODE_PATTERN)
    version: int = Field(ge=1)
    published_at: datetime
    published_by: str
    retired_at: datetime | None = Field(
        default=None, description="Set once retired: no longer listed nor used for new forms."
    )
    retired_by: str | None = None


def check_template(content: TemplateContent) -> None:
    """Raise SchemaProblem unless the schema is valid and every layout pointer names a field."""
    check_template_schema(content.form_schema)
    for ref in content.layout.pointers():
        try:
            path = parse_pointer(ref)
        except ValueError as error:
            raise SchemaProblem(f"Bố cục in tham chiếu sai: {ref}.") from error
        if not path or subschema(content.form_schema, path) is None:
            raise SchemaProblem(f"Bố cục in tham chiếu trường không có trong lược đồ: {ref}.")
