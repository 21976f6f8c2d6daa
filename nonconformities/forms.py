import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ims.access import AUDITOR_ROLES, HEAD_ROLES, MANAGER_ROLES, units_visible_to
from ims.clausechoice import ClauseChoiceField, ClauseMultipleChoiceField
from ims.forms import SignForm
from ims.keptuploads import KeepsUploads, KeptFileInput
from ims.models import Clause, OrgUnit, Role
from ims.pickers import PeopleScope, PersonField
from ims.unitchoice import UnitChoiceField
from ims.unitfilter import UnitFilterField, unit_condition, unit_only_field
from nonconformities.models import AGE_BUCKETS, CauseCategory, Nonconformity

RAISE_ROLES = MANAGER_ROLES | HEAD_ROLES | AUDITOR_ROLES | {Role.STAFF}
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def text_area(rows=3):
    return forms.Textarea(attrs={"rows": rows})


def clause_queryset():
    return Clause.objects.filter(criteria_set__is_active=True).select_related("criteria_set")


def people_for(nc):
    """Who may own an action or verify, found by typing, never listed. For a school's NC: the
    school's people, and the members of the units above it and of the offices (the quality
    manager, a division head), never another school's staff. For an office's NC (a division,
    the Department): anyone in the organisation, since such an NC is often corrected in the
    schools."""
    if nc.unit.kind.is_school:
        return PeopleScope.of_unit(nc.unit)
    return PeopleScope.organisation_of(nc.unit)


class RaiseForm(KeepsUploads, forms.Form):
    kept_upload_fields = ("attachment",)

    unit = UnitChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    title = forms.CharField(label=pgettext_lazy("nonconformity", "Title"), max_length=255)
    description = forms.CharField(label=_("Description"), widget=text_area(4))
    # No default: a preselected source would stay chosen for complaints and KPI breaches too.
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", "---------"), *Nonconformity.Source.choices]
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=Nonconformity.Severity.choices,
        initial=Nonconformity.Severity.MINOR,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Nonconformity.Kind.choices)
    clauses = ClauseMultipleChoiceField(label=_("Clauses"), required=False)
    due = forms.DateField(label=_("Target date"), required=False, widget=DATE)
    attachment = forms.FileField(label=_("Attachment"), required=False, widget=KeptFileInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        units = units_visible_to(user, roles=RAISE_ROLES).order_by("path")
        self.fields["unit"].queryset = units
        first_two = list(units.values_list("pk", flat=True)[:2])
        if len(first_two) == 1:
            self.fields["unit"].initial = first_two[0]
        self.fields["clauses"].queryset = clause_queryset()
        self.restore_kept()

    def clean_due(self):
        due = self.cleaned_data.get("due")
        if due and due < timezone.localdate():
            raise forms.ValidationError(_("The target date cannot be in the past."))
        return due


class ContainForm(forms.Form):
    containment = forms.CharField(
        label=_("Containment and correction: what was done, at once"), widget=text_area()
    )
    contained_on = forms.DateField(label=_("Done on"), widget=DATE, initial=timezone.localdate)


class AssignContainmentForm(forms.Form):
    assignee = PersonField(label=_("Who contains it"))
    due = forms.DateField(label=_("Contain by"), widget=DATE)

    def __init__(self, *args, user, nc, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].bind(user, people_for(nc))

    def clean_due(self):
        due = self.cleaned_data["due"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The containment due date cannot be in the past."))
        return due


class ReviseAnalysisForm(forms.Form):
    """Correct the root cause (and the extent check, once recorded) before verification."""

    root_cause = forms.CharField(label=_("Root cause (conclusion)"), widget=text_area())
    extent_check = forms.CharField(
        label=_("Could the same occur elsewhere? Where was it checked?"),
        widget=text_area(),
    )
    reason = forms.CharField(label=_("Why is it revised?"), max_length=100)

    def __init__(self, *args, nc, **kwargs):
        kwargs.setdefault("initial", {"root_cause": nc.root_cause, "extent_check": nc.extent_check})
        super().__init__(*args, **kwargs)
        if nc.status == Nonconformity.Status.ANALYSED:
            del self.fields["extent_check"]


class AnalyseForm(forms.Form):
    """A 5-whys chain and one box per fishbone category (one cause per line)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, 6):
            self.fields[f"why{i}"] = forms.CharField(
                label=_("Why %(n)s?") % {"n": i},
                required=False,
                max_length=500,
                widget=text_area(2),
            )
        self.categories = list(CauseCategory.objects.filter(is_active=True))
        for category in self.categories:
            self.fields[f"cat_{category.code}"] = forms.CharField(
                label=category.label,
                required=False,
                widget=text_area(2),
                help_text=_("One cause per line."),
            )
        self.fields["root_cause"] = forms.CharField(
            label=_("Root cause (conclusion)"), widget=text_area()
        )

    def whys(self):
        return [self.cleaned_data.get(f"why{i}", "") for i in range(1, 6)]

    def fishbone(self):
        pairs = []
        for category in self.categories:
            for line in self.cleaned_data.get(f"cat_{category.code}", "").splitlines():
                if line.strip():
                    pairs.append((category, line.strip()))
        return pairs

    def clean(self):
        cleaned = super().clean()
        if not any(w.strip() for w in self.whys()) and not self.fishbone():
            raise forms.ValidationError(_("Give at least one “why” or one fishbone cause."))
        return cleaned

    def why_fields(self):
        return [self[f"why{i}"] for i in range(1, 6)]

    def fishbone_fields(self):
        return [self[f"cat_{c.code}"] for c in self.categories]


NC_NUMBER = re.compile(r"NC-\d{4}-\d{4,}", re.IGNORECASE)


class ExtentForm(forms.Form):
    extent_check = forms.CharField(
        label=_("Could the same occur elsewhere? Where was it checked?"), widget=text_area()
    )
    related = forms.CharField(
        label=_("Related NCs (numbers)"),
        required=False,
        help_text=_("For example: NC-2026-0012, NC-2026-0031"),
    )

    def __init__(self, *args, user, nc, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.nc = user, nc

    def clean_related(self):
        text = self.cleaned_data.get("related", "")
        numbers = {n.upper() for n in NC_NUMBER.findall(text)}
        leftovers = NC_NUMBER.sub("", text).replace(",", " ").split()
        if leftovers:
            raise forms.ValidationError(
                _("Not an NC number: %(text)s") % {"text": ", ".join(leftovers[:3])}
            )
        found = list(
            Nonconformity.objects.for_user(self.user)
            .filter(number__in=numbers)
            .exclude(pk=self.nc.pk)
        )
        missing = numbers - {nc.number for nc in found} - {self.nc.number}
        if missing:
            raise forms.ValidationError(
                _("No NC you can see has the number %(numbers)s.")
                % {"numbers": ", ".join(sorted(missing))}
            )
        return found


class ActionForm(forms.Form):
    description = forms.CharField(label=_("Corrective action"), widget=text_area())
    owner = PersonField(label=pgettext_lazy("corrective action", "Owner"))
    due = forms.DateField(label=_("Due date"), widget=DATE)

    def __init__(self, *args, user, nc, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(user, people_for(nc))

    def clean_due(self):
        due = self.cleaned_data["due"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due


class CompleteForm(KeepsUploads, forms.Form):
    kept_upload_fields = ("file",)

    evidence = forms.CharField(label=_("Evidence of completion"), widget=text_area())
    file = forms.FileField(label=_("Evidence file"), required=False, widget=KeptFileInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.restore_kept()


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)


class RedateForm(forms.Form):
    due = forms.DateField(label=_("New due date"), widget=DATE)
    reason = forms.CharField(label=_("Reason for the new date"), max_length=100)

    def clean_due(self):
        due = self.cleaned_data["due"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return due


class ReassignForm(forms.Form):
    owner = PersonField(label=_("New owner"))
    reason = forms.CharField(label=_("Reason for the hand-over"), max_length=100)

    def __init__(self, *args, user, nc, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].bind(user, people_for(nc))


class PlanVerificationForm(forms.Form):
    verifier = PersonField(label=_("Verifier"))
    planned_on = forms.DateField(label=_("Check effectiveness on"), widget=DATE)

    def __init__(self, *args, user, nc, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["verifier"].bind(user, people_for(nc))


class VerifyForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"), choices=Nonconformity.Result.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(label=_("How effectiveness was checked"), widget=text_area())
    early_reason = forms.CharField(
        label=_("Why verify before the planned date?"),
        required=False,
        widget=text_area(),
        help_text=_("Required before the planned date; recorded in the history."),
    )

    def __init__(self, *args, nc=None, **kwargs):
        super().__init__(*args, **kwargs)
        if nc is None or not nc.is_verification_early():
            del self.fields["early_reason"]


class CloseForm(SignForm):
    pass


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + Nonconformity.Status.choices
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All"))] + Nonconformity.Source.choices
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("All"))] + Nonconformity.Severity.choices,
    )
    unit = UnitFilterField(label=_("Unit"), empty_label=_("All"))
    unit_only = unit_only_field()
    clause = ClauseChoiceField(
        label=_("Clause"), required=False, empty_label=_("All"), with_title=False
    )
    overdue = forms.BooleanField(label=_("Overdue actions only"), required=False)
    open = forms.BooleanField(label=_("Open only (not closed)"), required=False)
    age = forms.ChoiceField(
        label=_("Age since reported"),
        required=False,
        choices=[("", _("All")), *AGE_BUCKETS.choices],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].bind(user)
        self.fields["clause"].queryset = clause_queryset()

    def apply(self, queryset):
        from ims.search import search

        data = self.cleaned_data
        queryset = search(queryset, data.get("q", ""))
        for name in ("status", "source", "severity"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        if data.get("unit"):
            queryset = queryset.filter(
                **unit_condition("unit", data["unit"], data.get("unit_only"))
            )
        if data.get("clause"):
            queryset = queryset.filter(clauses=data["clause"])
        if data.get("overdue"):
            queryset = queryset.overdue()
        if data.get("open"):
            queryset = queryset.open()
        if data.get("age"):
            queryset = queryset.filter(AGE_BUCKETS.condition(data["age"], timezone.localdate()))
        return queryset
