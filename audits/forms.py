import uuid

from django import forms
from django.db.models import Exists, Min, OuterRef, Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audits.citations import AmbiguousRevision, resolve_revision
from audits.models import (
    MAX_PHOTOS_PER_FINDING,
    Audit,
    AuditProgramme,
    AuditTeamMember,
    ChecklistItem,
    ChecklistTemplate,
    Finding,
    FindingEvidence,
    FindingGrade,
    Process,
)
from audits.photos import check_photo
from audits.programme_stats import DONE_STATES, FINDING_AGES
from audits.services import split_rule_code
from ims.access import AUDITOR_ROLES, MANAGER_ROLES, units_visible_to
from ims.clausechoice import ClauseMultipleChoiceField
from ims.keptuploads import KeepsUploads, KeptFileInput
from ims.models import Clause, OrgUnit
from ims.multichoice import MultiChoice
from ims.pickers import PeopleField, PeopleScope, PersonField
from ims.schoolyear import SchoolYear, recent_years
from ims.search import search
from ims.unitchoice import UnitChoiceField, UnitMultipleChoiceField
from ims.unitfilter import unit_condition, unit_only_field

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PhotoInput(KeptFileInput):
    """Several photos from the gallery (or the files), plus a "Take a photo" button that opens
    the camera. Both inputs carry the field's name, so the photos of both arrive together; a
    ``capture`` attribute on the first would force the camera and hide photos taken earlier."""

    allow_multiple_selected = True
    camera_label = _("Take a photo")

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/*", **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        camera_id = f"{(attrs or {}).get('id') or 'id_' + name}_camera"
        return format_html(
            '<div class="photo-inputs">{}<label class="camera" for="{}">'
            '📷 {}<input type="file" name="{}" id="{}" accept="image/*" capture="environment" '
            'data-testid="camera-input"></label></div>',
            html,
            camera_id,
            self.camera_label,
            name,
            camera_id,
        )


class PhotosField(forms.FileField):
    widget = PhotoInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            files = [single(d, initial) for d in data if d]
        else:
            files = [single(data, initial)] if data else []
        if len(files) > MAX_PHOTOS_PER_FINDING:
            raise forms.ValidationError(
                _("At most %(n)s photos per finding."), params={"n": MAX_PHOTOS_PER_FINDING}
            )
        for photo in files:
            check_photo(photo)  # a bad photo is refused here, so it is never kept
        return files


class RevisionPicker(forms.Widget):
    """A search box that lists matching revisions as radio buttons (htmx, ``/audits/revisions/``),
    never the whole register. Without JavaScript the typed text is resolved on submit."""

    template_name = "audits/widgets/revision_picker.html"

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = []  # revisions to offer as radio buttons (the chosen one, candidates)
        self.selected = None

    def value_from_datadict(self, data, files, name):
        return {"id": data.get(name, ""), "q": data.get(f"{name}_q", "")}

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_q" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        value = value if isinstance(value, dict) else {"id": value or "", "q": ""}
        context["widget"].update(
            {
                "query": value.get("q", ""),
                "selected": str(self.selected or value.get("id", "")),
                "choices": self.choices,
            }
        )
        return context


class RevisionField(forms.Field):
    """A document revision the user may cite: resolved against the user's visible revisions by
    the form (``cite_revision``), so this field only carries the id and the typed text."""

    widget = RevisionPicker

    def clean(self, value):
        value = value if isinstance(value, dict) else {"id": "", "q": ""}
        return {"id": str(value.get("id") or "").strip(), "q": str(value.get("q") or "").strip()}


def cite_revision(form, user, name="revision"):
    """Resolve ``form``'s revision field for ``user``; an error lands on the field."""
    value = form.cleaned_data.get(name) or {}
    try:
        revision = resolve_revision(user, revision_id=value.get("id"), query=value.get("q"))
    except AmbiguousRevision as error:
        form.fields[name].widget.choices = error.candidates
        form.add_error(name, error)
        return None
    except forms.ValidationError as error:
        form.add_error(name, error)
        return None
    if revision is not None:
        form.fields[name].widget.choices = [revision]
        form.fields[name].widget.selected = revision.pk
    form.cleaned_data[name] = revision
    return revision


REVISION_HELP = _(
    "Type a document code (QT-07, or QT-07 rev 3) or words of its title, then choose the "
    "revision. Only effective or superseded revisions you may see are offered."
)
EXTERNAL_HELP = _("A law, a ministry circular, a provincial decision: its number and date.")


class ProgrammeForm(forms.ModelForm):
    unit = UnitChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    start_year = forms.TypedChoiceField(label=_("School year"), coerce=int)

    class Meta:
        model = AuditProgramme
        fields = ["unit", "start_year", "title", "objectives"]
        widgets = {"objectives": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_visible_to(user, roles=MANAGER_ROLES).order_by("path")
        years = recent_years(3, until=SchoolYear(SchoolYear.current().start_year + 1))
        self.fields["start_year"].choices = [(y.start_year, y.label) for y in years]


class AuditForm(forms.ModelForm):
    programme = forms.ModelChoiceField(
        label=_("Audit programme"), queryset=AuditProgramme.objects.none()
    )
    scope_units = UnitMultipleChoiceField(
        label=_("Audited units"),
        queryset=OrgUnit.objects.none(),
        help_text=_("Each unit is audited with the units below it."),
    )
    clauses = ClauseMultipleChoiceField(label=_("Criteria (clauses)"))
    auditees = PeopleField(label=_("Auditees"), required=False)

    class Meta:
        model = Audit
        fields = [
            "programme",
            "code",
            "kind",
            "external_body",
            "external_lead_auditor",
            "title",
            "objectives",
            "scope_units",
            "processes",
            "clauses",
            "planned_start",
            "planned_end",
            "places",
            "auditees",
        ]
        widgets = {
            "objectives": forms.Textarea(attrs={"rows": 3}),
            "places": forms.Textarea(attrs={"rows": 2}),
            "planned_start": DATE,
            "planned_end": DATE,
            "processes": MultiChoice,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = AuditProgramme.objects.filter(
            unit__in=units_visible_to(user, roles=MANAGER_ROLES)
        )
        self.fields["scope_units"].queryset = OrgUnit.objects.for_user(user).order_by("path")
        self.fields["processes"].queryset = Process.objects.for_user(user).filter(is_active=True)
        self.fields["processes"].required = False
        self.fields["clauses"].queryset = Clause.objects.filter(
            criteria_set__is_active=True
        ).select_related("criteria_set")
        # The people the planner sees (their units and below), found by typing.
        self.fields["auditees"].bind(user, PeopleScope.within(user))

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The last day cannot be before the first day."))
        if (
            data.get("kind")
            and data["kind"] != Audit.Kind.INTERNAL
            and not data.get("external_body", "").strip()
        ):
            self.add_error("external_body", _("Name the certification body of an external audit."))
        if data.get("kind") == Audit.Kind.INTERNAL:
            data["external_body"], data["external_lead_auditor"] = "", ""
        return data

    def plan_changes(self):
        """The plan's fields and its many-to-many sets, as ``audit_update_plan`` takes them."""
        data = self.cleaned_data
        values = {f: data[f] for f in self.Meta.fields if f not in PLAN_SETS}
        return values, {f: data[f] for f in PLAN_SETS}


PLAN_SETS = ("scope_units", "processes", "clauses", "auditees")


class ExternalReportForm(forms.Form):
    file = forms.FileField(
        label=_("Certification body's report"),
        help_text=_("The third party's report as they sent it: PDF, Word, Excel, ODT or a scan."),
    )


class TeamMemberForm(forms.Form):
    user = PersonField(label=_("Person"))
    role = forms.ChoiceField(label=_("Role"), choices=AuditTeamMember.Role.choices)
    override_reason = forms.CharField(
        label=_("Reason for an override (only if the person is not independent)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Auditors in the units the manager sees, found by typing.
        self.fields["user"].bind(user, PeopleScope.within(user, roles=tuple(sorted(AUDITOR_ROLES))))


class ChecklistGenerateForm(forms.Form):
    templates = forms.ModelMultipleChoiceField(
        label=_("Add questions from templates"),
        queryset=ChecklistTemplate.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["templates"].queryset = ChecklistTemplate.objects.for_user(user).filter(
            is_active=True
        )


class ChecklistItemForm(forms.ModelForm):
    # The item's version the page showed; a stale page changes nothing (see the service).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version

    class Meta:
        model = ChecklistItem
        fields = ["result", "note", "evidence"]
        widgets = {
            "result": forms.RadioSelect,
            "note": forms.Textarea(attrs={"rows": 2}),
            "evidence": forms.Textarea(attrs={"rows": 2}),
        }


class FindingForm(KeepsUploads, forms.Form):
    kept_upload_fields = ("photos",)

    finding_id = forms.UUIDField(widget=forms.HiddenInput)
    grade = forms.ModelChoiceField(
        label=pgettext_lazy("audit finding", "Grade"),
        queryset=FindingGrade.objects.all(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    statement = forms.CharField(
        label=_("Statement"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    photos = PhotosField(label=_("Photos"), required=False)
    note = forms.CharField(
        label=_("Evidence note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you saw, heard or read: an interview, an observation, a sampled record."),
    )
    revision = RevisionField(label=_("Document revision"), required=False, help_text=REVISION_HELP)
    reference = forms.CharField(
        label=_("External document"), required=False, max_length=200, help_text=EXTERNAL_HELP
    )
    clauses = ClauseMultipleChoiceField(label=_("Clauses"))
    unit = UnitChoiceField(
        label=_("Audited unit"),
        queryset=OrgUnit.objects.none(),
        empty_label=_("Choose the unit where you are auditing"),
    )

    def __init__(self, *args, audit, user, **kwargs):
        self.user = user
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("finding_id", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.fields["clauses"].queryset = audit.clauses.select_related("criteria_set")
        scope = list(audit.scope_units.all())
        condition = Q()
        for unit in scope:
            condition |= Q(path__startswith=unit.path)
        self.fields["unit"].queryset = (
            OrgUnit.objects.filter(condition).order_by("path") if scope else OrgUnit.objects.none()
        )
        self.restore_kept()

    def clean(self):
        data = super().clean()
        revision = cite_revision(self, self.user)
        if self.has_error("revision"):
            return data
        if not (
            data.get("note", "").strip()
            or data.get("reference", "").strip()
            or revision
            or data.get("photos")
        ) and not self.has_error("photos"):
            _rule, reason = split_rule_code(
                _("AUD-R3: add at least one evidence item: a photo, a note or a document.")
            )
            raise forms.ValidationError(reason)
        return data


class EvidenceForm(KeepsUploads, forms.Form):
    kept_upload_fields = ("photos",)

    # Made when the form is shown: the evidence's id, so a form sent twice (a retry on a weak
    # network, a reload) stores its evidence once. (Without it, a page from before: a new id.)
    evidence_id = forms.UUIDField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=FindingEvidence.Kind.choices)
    text = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    revision = RevisionField(label=_("Document revision"), required=False, help_text=REVISION_HELP)
    reference = forms.CharField(
        label=_("External document"), required=False, max_length=200, help_text=EXTERNAL_HELP
    )
    photos = PhotosField(label=_("Photos"), required=False)

    def __init__(self, *args, user, **kwargs):
        self.user = user
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("evidence_id", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.restore_kept()

    def clean(self):
        data = super().clean()
        cite_revision(self, self.user)
        return data


class ReportForm(forms.ModelForm):
    class Meta:
        model = Audit
        fields = [
            "participants",
            "conclusions",
            "degree_of_conformity",
            "diverging_opinions",
            "sampling_statement",
        ]
        widgets = {f: forms.Textarea(attrs={"rows": 3}) for f in fields}


UNIT_CHOICES_LIMIT = 200


def in_units_subtree(unit):
    """Audits of ``unit``'s subtree: a scope unit in it, or the programme's unit in it (the
    dashboard's condition, so its numbers and this filter agree)."""
    scoped = Audit.scope_units.through.objects.filter(
        audit=OuterRef("pk"), orgunit__path__startswith=unit.path
    )
    return Exists(scoped) | Q(programme__unit__path__startswith=unit.path)


def offer_units(field, user, selected=None):
    """Limit ``field`` (a unit filter) to the units ``user`` sees; at province scale only the
    upper levels are listed (about 200 options at most, down to communes), but any visible unit
    is accepted, and the one chosen (a link from the dashboard) is always shown."""
    units = units_visible_to(user).order_by("path")
    field.queryset = units
    listed = units
    if units.count() > UNIT_CHOICES_LIMIT:
        depth = units.aggregate(top=Min("depth"))["top"] or 0
        while depth < 20 and units.filter(depth__lte=depth + 1).count() <= UNIT_CHOICES_LIMIT:
            depth += 1
        listed = units.filter(depth__lte=depth)
    rows = list(listed)
    if selected is not None and selected.pk not in {u.pk for u in rows}:
        rows = sorted([*rows, selected], key=lambda u: u.path)
    top = min((u.depth for u in rows), default=0)
    field.widget.choices = [("", field.empty_label)] + [
        (u.pk, "\u00a0\u00a0" * (u.depth - top) + u.label) for u in rows
    ]


DONE = "done"


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All statuses")),
            (DONE, _("Done (report issued or closed)")),
            *Audit.Status.choices,
        ],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Audit.Kind.choices]
    )
    year = forms.TypedChoiceField(
        label=_("School year"), required=False, coerce=int, empty_value=None
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        required=False,
        queryset=OrgUnit.objects.none(),
        empty_label=_("All units"),
        help_text=_("Audits of the unit or of units below it."),
    )
    overdue = forms.BooleanField(label=_("Report overdue"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All years"))] + [
            (y.start_year, y.label) for y in recent_years(5)
        ]
        offer_units(self.fields["unit"], user, _selected_unit(self, user))

    def apply(self, audits, today):
        data = self.cleaned_data
        audits = search(audits, data["q"])
        if data["status"] == DONE:
            audits = audits.filter(status__in=DONE_STATES)
        elif data["status"]:
            audits = audits.filter(status=data["status"])
        if data["kind"]:
            audits = audits.filter(kind=data["kind"])
        if data["year"]:
            audits = audits.filter(programme__start_year=data["year"])
        if data["unit"]:
            audits = audits.filter(in_units_subtree(data["unit"]))
        if data["overdue"]:
            audits = audits.report_overdue(today)
        return audits


def _selected_unit(form, user, name="unit"):
    value = form.data.get(form.add_prefix(name), "")
    if not str(value).isdecimal():
        return None
    return units_visible_to(user).filter(pk=value).first()


class FindingFilterForm(forms.Form):
    """The findings register's filters. ``audit_unit`` and ``programme`` come from links (the
    dashboard, a programme's page); the form keeps them as hidden fields."""

    q = forms.CharField(label=_("Search"), required=False)
    year = forms.TypedChoiceField(
        label=_("School year"), required=False, coerce=int, empty_value=None
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        required=False,
        queryset=OrgUnit.objects.none(),
        empty_label=_("All units"),
        help_text=_("Findings about the unit or units below it."),
    )
    unit_only = unit_only_field()
    grade = forms.ModelChoiceField(
        label=pgettext_lazy("audit finding", "Grade"),
        required=False,
        queryset=FindingGrade.objects.all(),
        to_field_name="code",
        empty_label=_("All grades"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *Finding.Status.choices],
    )
    age = forms.ChoiceField(
        label=_("Open for"), required=False, choices=[("", _("Any age")), *FINDING_AGES.choices]
    )
    audit_unit = forms.ModelChoiceField(
        required=False, queryset=OrgUnit.objects.none(), widget=forms.HiddenInput
    )
    programme = forms.ModelChoiceField(
        required=False, queryset=AuditProgramme.objects.none(), widget=forms.HiddenInput
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        years = recent_years(5)
        asked = str(self.data.get("year", ""))
        if asked.isdecimal() and 2000 <= int(asked) <= 2100:
            years = sorted({*years, SchoolYear(int(asked))}, key=lambda y: -y.start_year)
        self.fields["year"].choices = [("", _("All years"))] + [
            (y.start_year, y.label) for y in years
        ]
        offer_units(self.fields["unit"], user, _selected_unit(self, user))
        self.fields["audit_unit"].queryset = units_visible_to(user)
        self.fields["programme"].queryset = AuditProgramme.objects.for_user(user)

    def apply(self, findings, now):
        data = self.cleaned_data
        words = data["q"]
        if words:
            findings = search(findings, words)
        if data["year"]:
            findings = findings.filter(audit__programme__start_year=data["year"])
        if data["unit"]:
            findings = findings.filter(**unit_condition("unit", data["unit"], data["unit_only"]))
        if data["audit_unit"]:
            audits = Audit.objects.filter(in_units_subtree(data["audit_unit"]))
            findings = findings.filter(audit__in=audits)
        if data["programme"]:
            findings = findings.filter(audit__programme=data["programme"])
        if data["grade"]:
            findings = findings.filter(grade=data["grade"])
        if data["status"]:
            findings = findings.filter(status=data["status"])
        if data["age"]:
            findings = findings.filter(status=Finding.Status.OPEN).filter(
                FINDING_AGES.condition(data["age"], now)
            )
        return findings
