"""Sample events for the tests of the event plumbing (outbox, Kafka, traces)."""

from __future__ import annotations

from hoso_common.events import DocumentUploaded, ObjectRef


def document_uploaded(
    document_id: str, *, owner_id: str = "citizen-test", name: str = "Giấy tờ thử"
) -> DocumentUploaded:
    """An upload event whose object reference points at nothing: no consumer reads the file."""
    return DocumentUploaded(
        document_id=document_id,
        owner_id=owner_id,
        name=name,
        object=ObjectRef(
            bucket="b",
            key="k",
            version=1,
            sha256="a" * 64,
            size=1,
            content_type="application/pdf",
            filename="giay-to.pdf",
        ),
        sign_requested=False,
    )
