import json

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ims.access import units_visible_to
from ims.models import OrgUnit
from ims.pickers import PersonField
from ims.schoolyear import SchoolYear, recent_years
from ims.unitchoice import UnitChoiceField, UnitMultipleChoiceField
from surveys.data import TEMPLATES
from surveys.models import (
    MANAGE_ROLES,
    Area,
    Campaign,
    InstrumentVersion,
    Question,
    QuestionKind,
    RespondentGroup,
    named_school_years,
)
from surveys.services import MAX_CODES_PER_BATCH


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def managed_units(user):
    return units_visible_to(user, MANAGE_ROLES).select_related("kind").order_by("path")


def _campaign_years():
    """Next school year (campaigns planned ahead), this one and the four before it."""
    return [("", _("All"))] + [
        (year.slug, year.label)
        for year in recent_years(6, SchoolYear(SchoolYear.current().start_year + 1))
    ]


class CampaignFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + Campaign.Status.choices
    )
    group = forms.ChoiceField(
        label=_("Respondent group"),
        required=False,
        choices=[("", _("All"))] + RespondentGroup.choices,
    )
    year = forms.ChoiceField(label=_("School year"), required=False, choices=_campaign_years)

    def apply(self, campaigns):
        """The campaigns matching the valid filters; a campaign is filed under the school year
        of its opening date."""
        data = self.cleaned_data
        if data.get("status"):
            campaigns = campaigns.filter(status=data["status"])
        if data.get("group"):
            campaigns = campaigns.filter(group=data["group"])
        if data.get("year"):
            campaigns = campaigns.in_school_year(SchoolYear.parse(data["year"]))
        return campaigns


class CampaignForm(forms.Form):
    version = forms.ModelChoiceField(
        label=_("Instrument version"), queryset=InstrumentVersion.objects.none()
    )
    title = forms.CharField(label=pgettext_lazy("survey campaign", "Title"), max_length=200)
    group = forms.ChoiceField(
        label=_("Respondent group"),
        required=False,
        choices=[("", _("The instrument's group")), *RespondentGroup.choices],
        help_text=_("Who answers. Left as it is, the group the instrument was written for."),
    )
    owner_unit = UnitChoiceField(label=_("Owner unit"), queryset=OrgUnit.objects.none())
    units = UnitMultipleChoiceField(
        label=_("Units (with their subtrees)"), queryset=OrgUnit.objects.none()
    )
    opens_on = forms.DateField(label=_("Opens on"), widget=DateInput())
    closes_on = forms.DateField(label=_("Closes on"), widget=DateInput())
    requires_code = forms.BooleanField(label=_("Requires a one-time code"), required=False)
    target_responses = forms.IntegerField(
        label=_("Expected responses"),
        required=False,
        min_value=1,
        help_text=_("Used for the response rate and the reminder before closing."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from surveys.models import Instrument

        units = managed_units(user)
        self.fields["owner_unit"].queryset = units
        self.fields["units"].queryset = units
        instruments = Instrument.objects.for_user(user)
        versions = InstrumentVersion.objects.filter(instrument__in=instruments).select_related(
            "instrument"
        )
        self.fields["version"].queryset = versions
        # With JavaScript, choosing an instrument shows its group in the group field.
        self.fields["version"].widget.attrs["data-sets-group"] = json.dumps(
            {str(pk): group for pk, group in versions.values_list("pk", "instrument__group")}
        )

    def clean(self):
        data = super().clean()
        if data.get("opens_on") and data.get("closes_on") and data["closes_on"] < data["opens_on"]:
            self.add_error("closes_on", _("The closing date is before the opening date."))
        if not data.get("group") and data.get("version"):
            # A parents' instrument makes a parents' campaign unless another group is chosen.
            data["group"] = data["version"].instrument.group
        owner = data.get("owner_unit")
        if owner and data.get("units"):
            outside = [u for u in data["units"] if not u.is_within(owner)]
            if outside:
                self.add_error("units", _("Every unit must be within the owner unit."))
        title, opens_on = data.get("title"), data.get("opens_on")
        if title and opens_on:
            named, year = named_school_years(title), SchoolYear.of(opens_on)
            if named and year not in named:
                self.add_error(
                    "title",
                    _(
                        "The title names the school year %(named)s, but a campaign opening on "
                        "%(date)s belongs to %(year)s. Correct the title or the dates."
                    )
                    % {
                        "named": ", ".join(sorted(y.label for y in named)),
                        "date": opens_on.strftime("%d/%m/%Y"),
                        "year": year.label,
                    },
                )
        return data


class CodesForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    count = forms.IntegerField(
        label=_("Number of codes"), min_value=1, max_value=MAX_CODES_PER_BATCH, initial=30
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class InstrumentForm(forms.Form):
    template = forms.ChoiceField(
        label=_("Template"),
        choices=[(key, spec["title"][0]) for key, spec in TEMPLATES.items()],
    )
    owner_unit = UnitChoiceField(label=_("Owner unit"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = managed_units(user)


class SectionForm(forms.Form):
    title = forms.CharField(label=_("Title (Vietnamese)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    title_lo = forms.CharField(label=_("Title (Lao)"), max_length=200, required=False)


class QuestionForm(forms.Form):
    section = forms.ModelChoiceField(label=_("Section"), queryset=None)
    code = forms.SlugField(label=_("Code"), max_length=20)
    kind = forms.ChoiceField(label=_("Type"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question (Vietnamese)"), max_length=500)
    text_en = forms.CharField(label=_("Question (English)"), max_length=500, required=False)
    text_lo = forms.CharField(label=_("Question (Lao)"), max_length=500, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.all(), required=False)
    min_value = forms.IntegerField(label=_("Minimum (number)"), required=False)
    max_value = forms.IntegerField(label=_("Maximum (number)"), required=False)
    choices = forms.CharField(
        label=_("Options (choice questions)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: Vietnamese | English | Lao (English and Lao optional)."),
    )
    show_if = forms.ModelChoiceField(
        label=_("Show only if this earlier question…"), queryset=None, required=False
    )
    show_if_values = forms.CharField(
        label=_("…has one of these answers"),
        required=False,
        help_text=_("Values separated by commas, e.g. 1,2"),
    )

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = version.sections.all()
        self.fields["show_if"].queryset = Question.objects.filter(
            version=version, kind__in=["likert", "single", "multiple", "nps", "number"]
        )

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == QuestionKind.LIKERT and not data.get("area"):
            self.add_error("area", _("A Likert question needs an area."))
        if kind == QuestionKind.NUMBER:
            low, high = data.get("min_value"), data.get("max_value")
            if low is None or high is None:
                self.add_error("max_value", _("A number question needs a minimum and a maximum."))
            elif low > high:
                self.add_error("max_value", _("The maximum is below the minimum."))
        lines = [line for line in (data.get("choices") or "").splitlines() if line.strip()]
        parsed = []
        for value, line in enumerate(lines, start=1):
            parts = [p.strip() for p in line.split("|")] + ["", ""]
            parsed.append((value, parts[0][:200], parts[1][:200], parts[2][:200]))
        if kind in ("single", "multiple") and len(parsed) < 2:
            self.add_error("choices", _("Give at least two options, one per line."))
        data["parsed_choices"] = parsed if kind in ("single", "multiple") else []
        raw = (data.get("show_if_values") or "").replace(" ", "")
        try:
            data["show_if_values"] = [int(v) for v in raw.split(",") if v]
        except ValueError:
            self.add_error("show_if_values", _("Give whole numbers separated by commas."))
        if data.get("show_if") and not data.get("show_if_values"):
            self.add_error("show_if_values", _("Give the answers that show this question."))
        return data


class RaiseForm(forms.Form):
    KIND_CHOICES = [
        ("nonconformity", _("Nonconformity")),
        ("improvement", _("Opportunity for improvement")),
    ]
    kind = forms.ChoiceField(label=_("Raise as"), choices=KIND_CHOICES)
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.all(), required=False, empty_label=_("Overall")
    )
    unit = forms.IntegerField(widget=forms.HiddenInput)


class QuestionEditForm(forms.Form):
    text = forms.CharField(label=_("Question (Vietnamese)"), max_length=500)
    text_en = forms.CharField(label=_("Question (English)"), max_length=500, required=False)
    text_lo = forms.CharField(label=_("Question (Lao)"), max_length=500, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)


class FreeTextGrantForm(forms.Form):
    person = PersonField(label=_("Person"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why this person needs to read what respondents wrote in their own words."),
    )

    def __init__(self, *args, campaign, user, **kwargs):
        super().__init__(*args, **kwargs)
        # People who may read the campaign's results, found by typing; never oneself.
        self.fields["person"].bind(user, campaign.result_readers().excluding(user))
