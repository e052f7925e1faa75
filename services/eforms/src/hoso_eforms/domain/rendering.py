"""Renders a filled form as a deterministic PDF/A-2b document ("In")."""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from hoso_eforms.domain.catalogue import AddressCatalogue
from hoso_eforms.domain.schema_walk import parse_pointer, subschema, value_at
from hoso_eforms.domain.templates import PrintLayout

VIETNAM_TIME = timezone(timedelta(hours=7))
PT_PER_MM = 72 / 25.4
PAGE_HEIGHT_MM = 297.0
PRODUCER = "hoso eforms"
EMPTY_VALUE = "…………………………"
FAMILY = "DejaVu"
SIGNATURE_COLUMN_X_MM = 105.0
STAMP_HEIGHT_MM = 26.0
NAMESPACE = uuid.UUID("5b0f3c52-2c1e-4b57-9d0f-6f2f7a1e0c11")


@dataclass(frozen=True)
class FontSet:
    regular: Path
    bold: Path
    italic: Path


@dataclass(frozen=True)
class FormDocument:
    """What the renderer needs to know about a form instance."""

    form_id: str
    template_code: str
    template_version: int
    title: str
    schema: dict[str, Any]
    layout: PrintLayout
    data: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True)
class RenderedForm:
    pdf: bytes
    sha256: str
    stamp_page: int
    stamp_box: tuple[int, int, int, int]


@lru_cache(maxsize=8)
def _covered_codepoints(font_path: Path) -> frozenset[int]:
    with TTFont(str(font_path), lazy=True) as font:
        return frozenset(font.getBestCmap().keys())


def printable(text: str, font_path: Path) -> str:
    """NFC text with control characters dropped and glyphs the font lacks replaced.

    PDF/A forbids showing .notdef, so a character the embedded font cannot draw is printed
    as '?' rather than as an empty box.
    """
    covered = _covered_codepoints(font_path)
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in "\n\t":
            out.append(" " if ch == "\t" else ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch if ord(ch) in covered else "?")
    return "".join(out)


class _FormPdf(FPDF):
    def __init__(self, footer_text: str, fonts: FontSet) -> None:
        super().__init__(orientation="P", unit="mm", format="A4", enforce_compliance="PDF/A-2B")
        self._footer_text = footer_text
        self._fonts = fonts

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "I", 7.5)
        self.cell(0, 5, self._footer_text, align=Align.L)
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Trang {self.page_no()}", align=Align.R)


class FormRenderer:
    """Lays a form's data out on A4 pages following its template's print layout."""

    def __init__(self, fonts: FontSet, catalogue: AddressCatalogue) -> None:
        self.fonts = fonts
        self.catalogue = catalogue

    def render(self, form: FormDocument) -> RenderedForm:
        footer = printable(
            f"Biểu mẫu {form.template_code} phiên bản {form.template_version}"
            f" · Mã tờ khai {form.form_id}",
            self.fonts.italic,
        )
        pdf = _FormPdf(footer, self.fonts)
        pdf.alias_nb_pages(None)  # type: ignore[arg-type]  # user text must never be substituted
        pdf.add_font(FAMILY, "", str(self.fonts.regular))
        pdf.add_font(FAMILY, "B", str(self.fonts.bold))
        pdf.add_font(FAMILY, "I", str(self.fonts.italic))
        created = form.updated_at.astimezone(UTC).replace(microsecond=0)
        title = printable(form.title, self.fonts.regular)
        pdf.set_title(title)
        pdf.set_creator(PRODUCER)
        pdf.set_producer(PRODUCER)
        pdf.set_lang("vi")
        pdf.set_creation_date(created)
        pdf.set_xmp_metadata(_xmp(title, created, _document_uuid(form)))
        pdf.set_margins(20, 15, 20)
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.add_page()
        layout = form.layout
        self._national_header(pdf, layout)
        if layout.recipient_field:
            self._recipient(pdf, form, layout.recipient_field)
        for section in layout.sections:
            if section.heading:
                pdf.ln(2)
                self._line(pdf, section.heading, style="B", size=11)
            for ref in section.fields:
                self._field(pdf, form, parse_pointer(ref))
        if layout.declaration:
            pdf.ln(3)
            self._line(pdf, layout.declaration, style="I", size=10.5)
        stamp_page, stamp_box = self._signature(pdf, form)
        data = bytes(pdf.output())
        return RenderedForm(
            pdf=data,
            sha256=hashlib.sha256(data).hexdigest(),
            stamp_page=stamp_page,
            stamp_box=stamp_box,
        )

    def _national_header(self, pdf: FPDF, layout: PrintLayout) -> None:
        if layout.form_number:
            pdf.set_font(FAMILY, "I", 9)
            pdf.cell(
                0,
                5,
                printable(layout.form_number, self.fonts.italic),
                align=Align.R,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        pdf.set_font(FAMILY, "B", 12)
        pdf.cell(
            0,
            6,
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            align=Align.C,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_font(FAMILY, "B", 11.5)
        pdf.cell(
            0, 6, "Độc lập - Tự do - Hạnh phúc", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        y = pdf.get_y() + 0.5
        pdf.set_line_width(0.3)
        pdf.line(105 - 28, y, 105 + 28, y)
        pdf.ln(7)
        pdf.set_font(FAMILY, "B", 14)
        pdf.multi_cell(
            0,
            7,
            printable(layout.title, self.fonts.bold),
            align=Align.C,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        if layout.subtitle:
            pdf.set_font(FAMILY, "I", 10)
            pdf.multi_cell(
                0,
                5,
                printable(layout.subtitle, self.fonts.italic),
                align=Align.C,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        pdf.ln(3)

    def _recipient(self, pdf: FPDF, form: FormDocument, ref: str) -> None:
        value = value_at(form.data, parse_pointer(ref))
        pdf.set_font(FAMILY, "", 11)
        text = printable(f"Kính gửi: {value if value else EMPTY_VALUE}", self.fonts.regular)
        pdf.multi_cell(0, 6, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    def _line(self, pdf: FPDF, text: str, *, style: str = "", size: float = 11) -> None:
        pdf.set_font(FAMILY, style, size)
        font = {"": self.fonts.regular, "B": self.fonts.bold, "I": self.fonts.italic}[style]
        pdf.multi_cell(0, 6, printable(text, font), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _labelled(self, pdf: FPDF, label: str, value: str, indent: float = 0) -> None:
        pdf.set_x(pdf.l_margin + indent)
        pdf.set_font(FAMILY, "B", 10.5)
        pdf.write(6, printable(f"{label}: ", self.fonts.bold))
        pdf.set_font(FAMILY, "", 10.5)
        pdf.write(6, printable(value or EMPTY_VALUE, self.fonts.regular))
        pdf.ln(6)

    def _field(self, pdf: FPDF, form: FormDocument, path: list[str]) -> None:
        schema = subschema(form.schema, path) or {}
        label = str(schema.get("title") or path[-1])
        value = value_at(form.data, path)
        if schema.get("type") == "array":
            self._labelled(pdf, label, "" if value else "Không có")
            items_schema = subschema(form.schema, [*path, "0"]) or {}
            for index, item in enumerate(value or [], start=1):
                pdf.set_x(pdf.l_margin + 4)
                pdf.set_font(FAMILY, "B", 10.5)
                pdf.write(6, f"{index}.")
                pdf.ln(6)
                if isinstance(item, dict):
                    for name, prop in (items_schema.get("properties") or {}).items():
                        sub = subschema(form.schema, [*path, str(index - 1), name]) or prop
                        self._labelled(
                            pdf,
                            str(sub.get("title") or name),
                            self._display(sub, item.get(name)),
                            8,
                        )
                else:
                    self._labelled(pdf, label, self._display(items_schema, item), 8)
            return
        self._labelled(pdf, label, self._display(schema, value))

    def _display(self, schema: dict[str, Any], value: Any) -> str:
        if value is None or value == "":
            return ""
        if schema.get("x-address") and isinstance(value, dict):
            return self.address_text(value)
        if isinstance(value, bool):
            return "Có" if value else "Không"
        if isinstance(value, dict):
            return "; ".join(f"{k}: {v}" for k, v in value.items())
        if isinstance(value, list):
            return "; ".join(str(v) for v in value)
        return str(value)

    def address_text(self, address: dict[str, Any]) -> str:
        province_code = str(address.get("tinh_thanh", ""))
        commune_code = str(address.get("xa_phuong", ""))
        province = self.catalogue.province(province_code)
        commune = self.catalogue.commune(province_code, commune_code)
        parts = [
            str(address.get("dia_chi_chi_tiet") or ""),
            commune.name if commune else commune_code,
            province.name if province else province_code,
        ]
        return ", ".join(p for p in parts if p)

    def _place(self, form: FormDocument) -> str:
        ref = form.layout.place_field
        value = value_at(form.data, parse_pointer(ref)) if ref else None
        if isinstance(value, dict):
            province = self.catalogue.province(str(value.get("tinh_thanh", "")))
            if province:
                return province.name.removeprefix("Thành phố ").removeprefix("Tỉnh ")
        return "……………"

    def _signature(self, pdf: FPDF, form: FormDocument) -> tuple[int, tuple[int, int, int, int]]:
        needed = 8 + 6 + 5 + STAMP_HEIGHT_MM + 8
        if pdf.get_y() + needed > PAGE_HEIGHT_MM - 18:
            pdf.add_page()
        pdf.ln(4)
        when = form.updated_at.astimezone(VIETNAM_TIME)
        width = 190 - SIGNATURE_COLUMN_X_MM
        pdf.set_x(SIGNATURE_COLUMN_X_MM)
        pdf.set_font(FAMILY, "I", 10.5)
        place = f"{self._place(form)}, ngày {when.day:02d} tháng {when.month:02d} năm {when.year}"
        pdf.multi_cell(
            width,
            6,
            printable(place, self.fonts.italic),
            align=Align.C,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_x(SIGNATURE_COLUMN_X_MM)
        pdf.set_font(FAMILY, "B", 11)
        pdf.multi_cell(
            width,
            6,
            printable(form.layout.signer_title, self.fonts.bold),
            align=Align.C,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_x(SIGNATURE_COLUMN_X_MM)
        pdf.set_font(FAMILY, "I", 9)
        pdf.multi_cell(
            width,
            5,
            printable(form.layout.signer_hint, self.fonts.italic),
            align=Align.C,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        top = pdf.get_y() + 1
        page = pdf.page_no()
        pdf.set_y(top + STAMP_HEIGHT_MM)
        ref = form.layout.signer_name_field
        name = value_at(form.data, parse_pointer(ref)) if ref else None
        pdf.set_x(SIGNATURE_COLUMN_X_MM)
        pdf.set_font(FAMILY, "B", 11)
        pdf.multi_cell(
            width,
            6,
            printable(str(name or ""), self.fonts.bold),
            align=Align.C,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        box = (
            round(SIGNATURE_COLUMN_X_MM * PT_PER_MM),
            round((PAGE_HEIGHT_MM - top - STAMP_HEIGHT_MM) * PT_PER_MM),
            round((SIGNATURE_COLUMN_X_MM + width) * PT_PER_MM),
            round((PAGE_HEIGHT_MM - top) * PT_PER_MM),
        )
        return page - 1, box


def _document_uuid(form: FormDocument) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{form.form_id}/{form.updated_at.isoformat()}")


def _xmp(title: str, created: datetime, document_id: uuid.UUID) -> str:
    """XMP packet body matching the Info dictionary, with fixed dates so output is stable."""
    stamp = created.isoformat(timespec="seconds")
    return "\n".join(
        [
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
            ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
            '  <rdf:Description rdf:about=""',
            '    xmlns:dc="http://purl.org/dc/elements/1.1/"',
            '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
            '    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"',
            '    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"',
            '    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">',
            "   <pdfaid:part>2</pdfaid:part>",
            "   <pdfaid:conformance>B</pdfaid:conformance>",
            f"   <xmp:CreatorTool>{escape(PRODUCER)}</xmp:CreatorTool>",
            f"   <xmp:CreateDate>{stamp}</xmp:CreateDate>",
            f"   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>",
            f"   <xmp:MetadataDate>{stamp}</xmp:MetadataDate>",
            f"   <pdf:Producer>{escape(PRODUCER)}</pdf:Producer>",
            f"   <xmpMM:DocumentID>uuid:{document_id}</xmpMM:DocumentID>",
            f"   <xmpMM:InstanceID>uuid:{document_id}</xmpMM:InstanceID>",
            "   <dc:format>application/pdf</dc:format>",
            '   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escape(title)}</rdf:li></rdf:Alt></dc:title>",
            "  </rdf:Description>",
            " </rdf:RDF>",
            "</x:xmpmeta>",
        ]
    )
