"""Request and response bodies of the eforms API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hoso_common.events import ObjectRef
from hoso_common.validation import JsonData
from hoso_eforms.domain.forms import (
    SUCCESS_MESSAGE,
    Form,
    FormSignature,
    FormStatus,
    SignProvider,
)
from hoso_eforms.domain.templates import PrintLayout, TemplateContent, TemplateVersion


class TemplateSummary(BaseModel):
    """A template's latest version, without its schema."""

    code: str
    version: int
    procedure_code: str
    title: str
    description: str | None
    published_at: datetime

    @classmethod
    def of(cls, template: TemplateVersion) -> TemplateSummary:
        return cls.model_validate(template.model_dump(include=set(cls.model_fields)))


class TemplatePublic(TemplateSummary):
    """One template version with its JSON Schema and print layout."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    form_schema: dict[str, Any] = Field(alias="schema", description="JSON Schema 2020-12.")
    layout: PrintLayout
    published_by: str
    retired_at: datetime | None = Field(
        default=None, description="Set once retired: not listed, not used for new forms."
    )

    @classmethod
    def of(cls, template: TemplateVersion) -> TemplatePublic:
        return cls.model_validate(template.model_dump(by_alias=True))


class TemplateVersionCreate(TemplateContent):
    """A new template version: procedure, title, schema and print layout."""


class ProvincePublic(BaseModel):
    code: str = Field(description="Official 2-digit code.", examples=["01"])
    name: str = Field(examples=["Thành phố Hà Nội"])
    type: str = Field(examples=["thành phố trực thuộc trung ương"])


class CommunePublic(BaseModel):
    code: str = Field(description="Official 5-digit code.", examples=["00070"])
    name: str = Field(examples=["Phường Hoàn Kiếm"])
    type: str = Field(examples=["phường"])


class FormCreate(BaseModel):
    """ "Thêm": the template to fill and the data entered."""

    model_config = ConfigDict(extra="forbid")

    template_code: str = Field(max_length=64, description="Template code, e.g. to-khai-khai-sinh.")
    data: JsonData = Field(description="Field values, validated against the template's schema.")


class FormUpdate(BaseModel):
    """ "Cập nhật": the whole data of the form, validated again."""

    model_config = ConfigDict(extra="forbid")

    data: JsonData = Field(
        description="Field values, validated against the form's template version."
    )


class SignatureInfo(FormSignature):
    """Who signed the form, as the signing service reported it."""


class FormPublic(BaseModel):
    """A filled form as its owner sees it."""

    id: str
    template_code: str
    template_version: int
    procedure_code: str
    title: str
    status: FormStatus
    revision: int
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    failure_reason: str | None = Field(default=None, description="Why the last signing failed.")
    sign_provider: str | None = None
    sign_request_id: str | None = None
    signed_pdf: ObjectRef | None = Field(default=None, description="The signed PDF, once signed.")
    signature: SignatureInfo | None = None

    @classmethod
    def of(cls, form: Form) -> FormPublic:
        request = form.sign_request
        signature = form.signature
        return cls.model_validate(
            {
                **form.model_dump(include=set(cls.model_fields)),
                "sign_provider": request.provider if request else None,
                "sign_request_id": request.request_id if request else None,
                "signed_pdf": form.signed,
                "signature": SignatureInfo(**signature.model_dump()) if signature else None,
            }
        )


class FormSaved(FormPublic):
    """The saved form and the portal's confirmation."""

    message: str = SUCCESS_MESSAGE


class SignStart(BaseModel):
    """The remote-signing provider the citizen picked."""

    model_config = ConfigDict(extra="forbid")

    provider: SignProvider = Field(
        description="Provider id from the catalogue: vnpt-smartca, viettel-mysign or fpt-esign."
    )
