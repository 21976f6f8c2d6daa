from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ims.access import units_visible_to
from ims.clausechoice import ClauseChoiceField, ClauseMultipleChoiceField
from ims.files import check_upload
from ims.forms import SignForm
from ims.keptuploads import KeepsUploads, KeptFileInput
from ims.models import Clause, Membership, OrgUnit
from ims.models.org import PATH_SEGMENT_WIDTH
from ims.pickers import PeopleField, PeopleScope, PersonField
from ims.unitchoice import UnitChoiceField, UnitMultipleChoiceField
from ims.unitfilter import UnitFilterField, unit_only_field

from .models import (
    AUTHOR_ROLES,
    IDENTITY_FIELDS,
    LOCKED_STATES,
    Document,
    DocumentType,
    ExternalStatus,
    RevisionStatus,
)


def _roots(user):
    return {
        path[: PATH_SEGMENT_WIDTH + 1]
        for path in Membership.objects.active()
        .filter(user=user)
        .values_list("unit__path", flat=True)
    }


def _units_in_tree(user):
    """Units a distribution may name: the whole organisation tree the user works in."""
    if user.is_superuser:
        return OrgUnit.objects.filter(is_active=True)
    condition = Q(pk__in=[])
    for root in _roots(user):
        condition |= Q(path__startswith=root)
    return OrgUnit.objects.filter(is_active=True).filter(condition).order_by("path")


def _people(user):
    """Who can be named owner, reviewer, approver, recipient or reader: the people ``user``
    works with (their units and below, and the members of the units above: a school's staff
    name a division head or the director), found by typing, never listed."""
    return PeopleScope.around(user)


# Shown only for an external-origin document (a law, a circular): hidden by JavaScript for other
# types, marked as such without it, and cleared on the server whatever was typed into them.
EXTERNAL_FIELDS = ("issuer", "external_number", "issued_on", "external_status", "replaced_by")


class DocumentForm(forms.ModelForm):
    owner = PersonField(label=capfirst(Document._meta.get_field("owner").verbose_name))
    restricted_to = PeopleField(
        label=capfirst(Document._meta.get_field("restricted_to").verbose_name), required=False
    )

    class Meta:
        model = Document
        fields = [
            "code",
            "title",
            "doc_type",
            "owner_unit",
            "owner",
            "process",
            "clauses",
            "confidentiality",
            "restricted_to",
            "retention_years",
            "review_interval_months",
            "issuer",
            "external_number",
            "issued_on",
            "external_status",
            "replaced_by",
        ]
        widgets = {"issued_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        field_classes = {
            "clauses": ClauseMultipleChoiceField,
            "owner_unit": UnitChoiceField,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["owner_unit"].queryset = units_visible_to(user, AUTHOR_ROLES).order_by("path")
        self.fields["owner"].bind(user, _people(user))
        self.fields["restricted_to"].bind(user, _people(user))
        self.fields["clauses"].queryset = Clause.objects.select_related("criteria_set")
        self.fields["clauses"].required = False
        self.fields["replaced_by"].queryset = Document.objects.for_user(user).filter(
            doc_type=DocumentType.EXTERNAL
        )
        self.fields["review_interval_months"].min_value = 1
        self.fields["review_interval_months"].max_value = 120
        self.fields["review_interval_months"].widget.attrs.update(min=1, max=120)
        for name in EXTERNAL_FIELDS:
            field = self.fields[name]
            field.widget.attrs.update(
                {"data-show-if-name": "doc_type", "data-show-if-value": DocumentType.EXTERNAL}
            )
            field.help_text = _("Only for an external-origin document; ignored for other types.")
        if not self.instance.pk:
            self.fields["owner"].initial = user.pk
        else:
            # The code and title are part of what every signature binds to: fixed once any
            # revision is signed (the model and the service refuse the change as well). The
            # type and owner unit are fixed once a revision has been published.
            frozen = {}
            if self.instance.identity_frozen():
                frozen.update(dict.fromkeys(IDENTITY_FIELDS, _("Fixed once a revision is signed.")))
            if self.instance.revisions.filter(status__in=LOCKED_STATES).exists():
                published = _("Fixed once a revision has been published.")
                frozen.update(dict.fromkeys(("doc_type", "owner_unit"), published))
            for name, help_text in frozen.items():
                self.fields[name].disabled = True
                self.fields[name].help_text = help_text

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code:
            raise ValidationError(_("Enter a code."))
        return code

    def clean_review_interval_months(self):
        value = self.cleaned_data["review_interval_months"]
        if value is None or not 1 <= value <= 120:
            raise ValidationError(_("The review interval is between 1 and 120 months."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("doc_type") == DocumentType.EXTERNAL:
            for field in ("issuer", "external_number", "issued_on", "external_status"):
                if not data.get(field):
                    self.add_error(field, _("Required for an external-origin document."))
        elif "doc_type" in data:
            # Not an external document: whatever the hidden (or, without JavaScript, visible)
            # external-origin fields hold is dropped, not refused.
            for field in EXTERNAL_FIELDS:
                data[field] = None if field in ("issued_on", "replaced_by") else ""
                self.errors.pop(field, None)
        if data.get("external_status") == ExternalStatus.REPLACED and not data.get("replaced_by"):
            self.add_error("replaced_by", _("Say which document replaces it."))
        if (
            data.get("replaced_by")
            and self.instance.pk
            and data["replaced_by"].pk == self.instance.pk
        ):
            self.add_error("replaced_by", _("A document cannot replace itself."))
        if (
            data.get("confidentiality") == "restricted"
            and not data.get("restricted_to")
            and "restricted_to" in self.fields
        ):
            self.add_error("restricted_to", _("List the people who may read it."))
        return data


class RevisionForm(KeepsUploads, forms.Form):
    kept_upload_fields = ("file",)

    file = forms.FileField(
        label=_("File"),
        widget=KeptFileInput,
        help_text=_("PDF, DOCX, XLSX or ODT. The type is checked from the content."),
        error_messages={"empty": _("The file is empty (0 bytes).")},
    )
    change_summary = forms.CharField(
        label=_("Change summary"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for every revision: what changed and why."),
    )
    reviewers = PeopleField(label=_("Reviewers"))
    approver = PersonField(label=_("Approver"))

    def __init__(self, *args, user, author=None, document=None, file_required=True, **kwargs):
        from .authority import approver_scope, approving_roles_scope

        super().__init__(*args, **kwargs)
        self.user = user
        self.author = author or user
        self.document = document
        # Separation of duties: the author is never offered as reviewer or approver, and the
        # approver picker offers only those the approval authority matrix lets approve this
        # document (for a new document, whose type and unit are not chosen yet, those holding
        # an approving role; the service checks the exact rule on save).
        self.fields["reviewers"].bind(user, _people(user).excluding(self.author))
        approvers = (
            approver_scope(user, document, self.author)
            if document is not None
            else approving_roles_scope(user, self.author)
        )
        self.fields["approver"].bind(user, approvers)
        self.fields["approver"].help_text = _(
            "Only people with an approving role for the document (director, quality manager, "
            "or the head of its unit, as the approval authority matrix says)."
        )
        self.fields["file"].required = file_required
        self.restore_kept()

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        try:
            check_upload(upload)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        return upload

    def clean_change_summary(self):
        value = self.cleaned_data["change_summary"].strip()
        if not value:
            raise ValidationError(_("Describe what changed in this revision."))
        return value

    def clean_reviewers(self):
        reviewers = self.cleaned_data["reviewers"]
        if any(r.pk == self.author.pk for r in reviewers):
            raise ValidationError(_("The author cannot review their own revision."))
        return reviewers

    def clean_approver(self):
        approver = self.cleaned_data["approver"]
        if approver and approver.pk == self.author.pk:
            raise ValidationError(_("The approver cannot be the author."))
        return approver


class PublishForm(SignForm):
    """Publishing signs the issue and names the day the revision takes effect."""

    effective_date = forms.DateField(
        label=_("Effective date (today or later)"),
        required=False,  # empty: today
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].initial = timezone.localdate()

    def clean_effective_date(self):
        value = self.cleaned_data["effective_date"] or timezone.localdate()
        if value < timezone.localdate():
            raise ValidationError(
                _("The effective date cannot be in the past: choose today or later.")
            )
        return value


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Conclusion of the periodic review"), widget=forms.Textarea(attrs={"rows": 2})
    )


class DistributionForm(forms.Form):
    units = UnitMultipleChoiceField(
        label=_("Units (each with the units below it)"),
        queryset=OrgUnit.objects.none(),
        required=False,
    )
    users = PeopleField(label=_("People"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = _units_in_tree(user)
        self.fields["users"].bind(user, _people(user))

    def clean(self):
        data = super().clean()
        if not data.get("units") and not data.get("users"):
            raise ValidationError(_("Choose at least one unit or person."))
        return data


REVIEW_CHOICES = [("", _("Any")), ("due", _("Due within 30 days")), ("overdue", _("Overdue"))]


class RegisterFilterForm(forms.Form):
    """The register's filters; also validates the filters passed to the register PDF."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *DocumentType.choices]
    )
    unit = UnitFilterField(label=_("Owner unit"), empty_label=_("All units"))
    unit_only = unit_only_field()
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *RevisionStatus.choices],
    )
    clause = ClauseChoiceField(label=_("Clause"), required=False, empty_label=_("All clauses"))
    review = forms.ChoiceField(label=_("Due for review"), required=False, choices=REVIEW_CHOICES)

    FIELDS = ("q", "type", "unit", "unit_only", "status", "clause", "review")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].bind(user)
        self.fields["clause"].queryset = Clause.objects.select_related("criteria_set")

    def applied(self):
        """(label, value) pairs of the filters in use, for the PDF and the page."""
        pairs = []
        for name in self.FIELDS:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            field = self[name]
            if hasattr(field.field, "choices") and not hasattr(value, "pk"):
                value = dict(field.field.choices).get(value, value)
            if hasattr(value, "criteria_set_id"):
                value = f"{value.number} {value.label}"
            pairs.append((field.label, str(value)))
        return pairs


class CoverageForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = OrgUnit.objects.for_user(user).order_by("path")
