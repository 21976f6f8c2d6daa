"""Documents and revisions for tests: built through the services where the lifecycle matters."""

import itertools

from django.utils import timezone

from documents import services
from documents.models import Distribution, Document, DocumentType, Revision, RevisionStatus
from documents.sample_pdf import sample_pdf
from ims.files import in_memory

_codes = itertools.count(1)


def pdf_upload(name="quy-trinh.pdf", title="QT Kiểm soát tài liệu"):
    return in_memory(sample_pdf(title, ["Sở GD&ĐT"]), name)


def make_document(
    world,
    *,
    unit=None,
    owner=None,
    code=None,
    title="Quy trình kiểm soát tài liệu",
    doc_type=DocumentType.PROCEDURE,
    author=None,
    reviewers=None,
    approver=None,
    **fields,
):
    """A document with one draft revision (author, reviewers and approver named)."""
    unit = unit or world.quality
    owner = owner or world.iso
    author = author or owner
    document = services.document_create(
        actor=author,
        data={
            "code": code or f"QT-{next(_codes):02d}",
            "title": title,
            "doc_type": doc_type,
            "owner_unit": unit,
            "owner": owner,
            **fields,
        },
        upload=pdf_upload(),
        revision_data={
            "change_summary": "Ban hành lần đầu.",
            "reviewers": reviewers if reviewers is not None else [world.head],
            "approver": approver if approver is not None else world.director,
        },
    )
    return document


def draft_of(document):
    return document.revisions.get(status__in=["draft", "in_review", "approved"])


def publish(revision, *, reviewers=None, approver=None, effective_date=None):
    """Take a draft through submit, review, approval and publishing (password "demo")."""
    revision = Revision.objects.get(pk=revision.pk)
    if revision.status == RevisionStatus.DRAFT:
        services.revision_submit(revision, actor=revision.author)
    for reviewer in reviewers or revision.reviewers.all():
        services.revision_review(revision, actor=reviewer, password="demo")
    approver = approver or revision.approver
    services.revision_approve(revision, actor=approver, password="demo")
    services.revision_publish(
        revision,
        actor=approver,
        password="demo",
        effective_date=effective_date,
        allow_past=True,  # tests set up revisions that took effect long ago
    )
    revision.refresh_from_db()
    return revision


def effective_document(world, *, distribute_to=(), users=(), effective_date=None, **kwargs):
    document = make_document(world, **kwargs)
    revision = draft_of(document)
    for unit in distribute_to:
        Distribution.objects.create(revision=revision, unit=unit, created_by=world.iso)
    for user in users:
        Distribution.objects.create(revision=revision, user=user, created_by=world.iso)
    publish(revision, effective_date=effective_date or timezone.localdate())
    document.refresh_from_db()
    return document


def bulk_documents(world, count, unit=None, prefix="BULK"):
    """``count`` effective documents created directly (fast), for query-count tests."""
    from ims.files import sha256_of

    unit = unit or world.quality
    data = sample_pdf("QT")
    created = []
    for i in range(count):
        document = Document.objects.create(
            code=f"{prefix}-{i:04d}",
            title=f"Quy trình số {i}",
            doc_type=DocumentType.PROCEDURE,
            owner_unit=unit,
            owner=world.iso,
        )
        upload = in_memory(data, "bulk.pdf")
        revision = Revision(
            document=document,
            number=1,
            status=RevisionStatus.EFFECTIVE,
            change_summary="Ban hành lần đầu.",
            author=world.iso,
            approver=world.director,
            file_name="bulk.pdf",
            file_kind="pdf",
            file_size=len(data),
            sha256=sha256_of(upload),
            effective_date=timezone.localdate(),
        )
        revision.file.save("bulk.pdf", upload, save=False)
        revision.save()
        Document.objects.filter(pk=document.pk).update(
            status=RevisionStatus.EFFECTIVE,
            effective_revision=revision,
            effective_date=revision.effective_date,
        )
        document.effective_revision = revision
        created.append(document)
    return created


def docx_bytes(paragraphs):
    """A minimal DOCX (one paragraph per item) that ``ims.files.check_upload`` accepts."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            f'wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>',
        )
    return buffer.getvalue()
