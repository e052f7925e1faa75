"""Sample events for the tests of the event plumbing (outbox, Kafka, traces, notices)."""

from __future__ import annotations

from hoso_common.events import DocumentUploaded, ObjectRef


def object_ref(filename: str = "giay-to.pdf") -> ObjectRef:
    """A reference to an object that was never stored: for events whose file nobody reads."""
    return ObjectRef(
        bucket="b",
        key="k",
        version=1,
        sha256="0" * 64,
        size=1,
        content_type="application/pdf",
        filename=filename,
    )


def document_uploaded(
    document_id: str, *, owner_id: str = "citizen-test", name: str = "Giấy tờ thử"
) -> DocumentUploaded:
    """An upload event of a file that no consumer reads."""
    return DocumentUploaded(
        document_id=document_id,
        owner_id=owner_id,
        name=name,
        object=object_ref(),
        sign_requested=False,
    )
