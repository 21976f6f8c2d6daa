"""Satisfaction surveys (ISO 9001 9.1.2, ISO 21001 9.1.2): instruments, campaigns, answers.

Storage for every response of a province, year after year:

- ``Response`` holds the raw, immutable answers (one JSON document per response). Its keys are
  random UUIDs and it carries nothing that identifies a person: no user, code, IP, user agent or
  time (the date only). Responses are read only by the raw export, which streams them.
- Results never scan raw answers. Each response is added, in the transaction that stores it
  (``surveys.services.submission``), to three small counter tables keyed by (campaign,
  unit, ..., shard): ``UnitTally`` (responses), ``QuestionTally`` (respondents per question)
  and ``ValueTally`` (answers per question and value). Each key is split into ``TALLY_SHARDS``
  rows (a submission adds to one shard, at random) so that concurrent submissions of one school
  seldom wait for each other's row locks; every reader sums over the shards. A results page
  sums the counter rows of a subtree, whatever the number of responses.
  ``tally_rebuild`` recomputes them from the raw answers when needed.
"""

import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ims.access import HEAD_ROLES, MANAGER_ROLES, has_role, units_visible_to
from ims.models import Membership, OrgUnit, Role
from ims.models.i18n import localized
from ims.models.org import LocalizedLookup
from ims.schoolyear import SchoolYear
from ims.workflow import Step, Workflow

# Roles that may read aggregated results for the units they cover.
RESULT_ROLES = frozenset(
    MANAGER_ROLES | HEAD_ROLES | {Role.VIEWER, Role.AUDITOR, Role.LEAD_AUDITOR}
)
MANAGE_ROLES = frozenset(MANAGER_ROLES | HEAD_ROLES)
# Roles that may take raw responses out of the system (the README names them): the director and
# the quality manager of the unit that runs the campaign, or of a unit above it. Not a principal
# or unit head: raw rows of a small school are where a curious insider recognises a parent.
RAW_EXPORT_ROLES = frozenset(MANAGER_ROLES)


class RespondentGroup(models.TextChoices):
    LEARNERS = "learners", _("Learners")
    PARENTS = "parents", _("Parents")
    STAFF = "staff", _("Teachers and staff")
    EMPLOYERS = "employers", _("Employers and businesses")
    COMMUNITY = "community", _("Community")


class Area(LocalizedLookup):
    """An area of the Ministry's satisfaction toolkit (access, facilities, ...): data."""

    history = HistoricalRecords()

    class Meta(LocalizedLookup.Meta):
        verbose_name = _("survey area")
        verbose_name_plural = _("survey areas")


class InstrumentQuerySet(models.QuerySet):
    def for_user(self, user):
        """Instruments owned by a unit the user sees, or by a unit above one of theirs."""
        above_mine = Membership.objects.active().filter(
            user=user, unit__path__startswith=OuterRef("owner_unit__path")
        )
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(owner_unit__in=units_visible_to(user)) | Exists(above_mine))


class Instrument(models.Model):
    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner unit")
    )
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_lo = models.CharField(_("title (Lao)"), max_length=200, blank=True)
    group = models.CharField(_("respondent group"), max_length=20, choices=RespondentGroup.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InstrumentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("survey instrument")
        verbose_name_plural = _("survey instruments")

    def __str__(self):
        return self.label

    @property
    def label(self):
        return localized(self, "title")

    def latest_version(self):
        return self.versions.order_by("-number").first()

    def can_manage(self, user):
        return has_role(user, self.owner_unit, MANAGE_ROLES)


class InstrumentVersion(models.Model):
    """One version of an instrument. Frozen once any response exists: edits need a new version."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="versions", verbose_name=_("instrument")
    )
    number = models.PositiveIntegerField(_("version"))
    intro = models.TextField(_("introduction"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    intro_lo = models.TextField(_("introduction (Lao)"), blank=True)
    has_responses = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["instrument", "number"]
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "number"], name="surveys_version_unique_number"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="surveys_version_number_gte_1"),
        ]

    def __str__(self):
        return f"{self.instrument.label} · v{self.number}"

    @property
    def intro_text(self):
        return localized(self, "intro")

    @property
    def is_frozen(self):
        return self.has_responses

    def can_edit(self, user):
        return not self.is_frozen and self.instrument.can_manage(user)


class FrozenVersionGuard(models.Model):
    """A part of an instrument version (section, question, choice): refused to change once the
    version is frozen (has a response), whatever the caller. The services check this first with
    a clear message; this guard also covers the shell, scripts and future admin pages, and it is
    what lets the answering pages cache a frozen version's questions (``surveys.questions``)."""

    # A section may be added to a frozen version (it shows on no page without questions).
    guard_adding = True

    class Meta:
        abstract = True

    def frozen_version_id(self):
        return self.version_id

    def _check_not_frozen(self):
        version_id = self.frozen_version_id()
        if (
            version_id
            and InstrumentVersion.objects.filter(pk=version_id, has_responses=True).exists()
        ):
            from django.core.exceptions import ValidationError

            raise ValidationError(
                _(
                    "This version already has responses, so its questions are frozen. "
                    "Make a new version."
                )
            )

    def save(self, *args, **kwargs):
        if self.guard_adding or not self._state.adding:
            self._check_not_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_not_frozen()
        return super().delete(*args, **kwargs)


class Section(FrozenVersionGuard):
    guard_adding = False

    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.CASCADE, related_name="sections"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_lo = models.CharField(_("title (Lao)"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="surveys_section_order"),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return localized(self, "title")


class QuestionKind(models.TextChoices):
    LIKERT = "likert", _("Likert 1–5")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    NPS = "nps", _("Recommendation 0–10 (NPS)")
    NUMBER = "number", _("Number")
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")


NUMERIC_KINDS = frozenset({QuestionKind.LIKERT, QuestionKind.NPS, QuestionKind.NUMBER})
CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})
TEXT_KINDS = frozenset({QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT})

LIKERT_LABELS = {
    1: _("Very dissatisfied"),
    2: _("Dissatisfied"),
    3: _("Neutral"),
    4: _("Satisfied"),
    5: _("Very satisfied"),
}


class Question(FrozenVersionGuard):
    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.CASCADE, related_name="questions"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=20)
    kind = models.CharField(_("type"), max_length=12, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    text_en = models.CharField(_("question (English)"), max_length=500, blank=True)
    text_lo = models.CharField(_("question (Lao)"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=False)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("area")
    )
    min_value = models.IntegerField(_("minimum"), null=True, blank=True)
    max_value = models.IntegerField(_("maximum"), null=True, blank=True)
    # Shown only when the answer to an earlier question (in an earlier section, so pages work
    # without JavaScript) is one of ``show_if_values``.
    show_if = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependents",
        verbose_name=_("show only if"),
    )
    show_if_values = models.JSONField(_("when the answer is"), default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["section__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="surveys_question_code"),
            models.UniqueConstraint(fields=["section", "order"], name="surveys_question_order"),
            models.CheckConstraint(
                condition=Q(kind__in=QuestionKind.values), name="surveys_question_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="surveys_question_range_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(kind=QuestionKind.LIKERT) | Q(area__isnull=False),
                name="surveys_likert_has_area",
            ),
        ]

    def __str__(self):
        return f"{self.code}. {self.text}"

    @property
    def label(self):
        return localized(self, "text")

    def value_range(self):
        if self.kind == QuestionKind.LIKERT:
            return 1, 5
        if self.kind == QuestionKind.NPS:
            return 0, 10
        return self.min_value, self.max_value


class Choice(FrozenVersionGuard):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    value = models.PositiveSmallIntegerField(_("value"))
    label = models.CharField(_("label"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    label_lo = models.CharField(_("label (Lao)"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["question", "value"]
        constraints = [
            models.UniqueConstraint(fields=["question", "value"], name="surveys_choice_value"),
        ]

    def __str__(self):
        return self.text

    def frozen_version_id(self):
        return (
            Question.objects.filter(pk=self.question_id).values_list("version", flat=True).first()
        )

    @property
    def text(self):
        return localized(self, "label")


# --- campaigns ------------------------------------------------------------------------------


def named_school_years(text):
    """The school years a text names ("2025–2026" or "2025-2026")."""
    found = (
        SchoolYear.parse(re.sub(r"\s", "", m))
        for m in re.findall(r"\b\d{4}\s*[–-]\s*\d{4}\b", text or "")
    )
    return {year for year in found if year is not None}


def title_with_year(title, opens_on):
    """A campaign's title as shown: with the school year of its dates, unless it names it."""
    year = SchoolYear.of(opens_on)
    if year in named_school_years(title):
        return title
    return f"{title} ({year.label})"


class CampaignQuerySet(models.QuerySet):
    def in_school_year(self, year):
        return self.filter(opens_on__gte=year.first_day, opens_on__lte=year.last_day)

    def for_user(self, user):
        """Campaigns owned in the user's subtree, or aimed at a unit overlapping it."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        visible = units_visible_to(user)
        above_mine = Membership.objects.active().filter(
            user=user, unit__path__startswith=OuterRef("unit__path")
        )
        targets = CampaignUnit.objects.filter(campaign=OuterRef("pk")).filter(
            Q(unit__in=visible) | Exists(above_mine)
        )
        return self.filter(Q(owner_unit__in=visible) | Exists(targets))


class Campaign(models.Model):
    # Each workflow step named for the history table (TransitionEvent.action -> label).
    STEP_NAMES = {
        "create": _("Campaign created"),
        "publish": _("Opened for answers"),
        "close": _("Campaign closed"),
        "codes": _("Access codes generated"),
        "raise_nc": _("Nonconformity raised from the results"),
        "free_text_grant": _("Free-text answers opened to a person"),
        "free_text_revoke": _("Free-text permission withdrawn"),
    }

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    # Opened for answers once, closed once. The other steps leave the state as it is: they are
    # recorded in the campaign's history. Who may take "codes" and "raise_nc" depends on the unit
    # concerned, so their services check it (``surveys.services``).
    workflow = Workflow(
        steps=(
            Step(
                "publish",
                (Status.DRAFT,),
                Status.PUBLISHED,
                may="can_publish",
                denied=_("You may not do this."),
            ),
            Step(
                "close",
                (Status.PUBLISHED,),
                Status.CLOSED,
                may="can_close",
                denied=_("You may not do this."),
            ),
            Step("codes", (Status.DRAFT, Status.PUBLISHED)),
            Step("raise_nc", (Status.PUBLISHED, Status.CLOSED)),
            Step(
                "free_text_grant",
                (Status.DRAFT, Status.PUBLISHED, Status.CLOSED),
                may="can_manage",
                denied=_("You may not do this."),
            ),
            Step(
                "free_text_revoke",
                (Status.DRAFT, Status.PUBLISHED, Status.CLOSED),
                may="can_manage",
                denied=_("You may not do this."),
            ),
        )
    )

    version = models.ForeignKey(
        InstrumentVersion,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("instrument version"),
    )
    title = models.CharField(_("title"), max_length=200)
    group = models.CharField(_("respondent group"), max_length=20, choices=RespondentGroup.choices)
    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner unit")
    )
    units = models.ManyToManyField(
        OrgUnit,
        through="CampaignUnit",
        related_name="survey_campaigns",
        verbose_name=_("units (with their subtrees)"),
    )
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    requires_code = models.BooleanField(_("requires a one-time code"), default=False)
    target_responses = models.PositiveIntegerField(_("expected responses"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opens_on", "-pk"]
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")),
                name="surveys_campaign_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "closed"]),
                name="surveys_campaign_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "closes_on"])]

    def __str__(self):
        return self.display_title

    @property
    def school_year(self):
        """The school year the campaign is filed under: that of its opening date."""
        return SchoolYear.of(self.opens_on)

    @property
    def display_title(self):
        return title_with_year(self.title, self.opens_on)

    def is_answerable(self, today=None):
        today = today or timezone.localdate()
        return self.status == self.Status.PUBLISHED and self.opens_on <= today <= self.closes_on

    def phase(self, today=None):
        """draft, upcoming, open or closed: what a respondent or manager sees."""
        today = today or timezone.localdate()
        if self.status == self.Status.DRAFT:
            return "draft"
        if self.status == self.Status.CLOSED or today > self.closes_on:
            return "closed"
        if today < self.opens_on:
            return "upcoming"
        return "open"

    def can_manage(self, user):
        return has_role(user, self.owner_unit, MANAGE_ROLES)

    def can_publish(self, user):
        return self.status == self.Status.DRAFT and self.can_manage(user)

    def can_close(self, user):
        return self.status == self.Status.PUBLISHED and self.can_manage(user)

    def result_units(self, user):
        """Units whose results ``user`` may read (a subtree-closed set)."""
        return units_visible_to(user, RESULT_ROLES)

    def can_view_results(self, user):
        return self.result_units(user).exists()

    def can_export_raw(self, user):
        """Raw responses leave the system only through the roles the README names."""
        return has_role(user, self.owner_unit, RAW_EXPORT_ROLES)

    def can_read_free_text(self, user):
        """Free-text answers (comments, the raw export's text columns) need a recorded grant."""
        return (
            getattr(user, "is_authenticated", False)
            and FreeTextGrant.objects.active().filter(campaign=self, person=user).exists()
        )

    def result_readers(self):
        """Who may be given the free-text permission: people with a result role in the owner
        unit's subtree or above it (``ims.pickers.PeopleScope``)."""
        from ims.pickers import PeopleScope

        above = tuple(p for p in self.owner_unit.ancestor_paths() if p != self.owner_unit.path)
        return PeopleScope(
            subtrees=(self.owner_unit.path,), units=above, roles=tuple(sorted(RESULT_ROLES))
        )


class CampaignUnit(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="surveys_campaign_unit"),
        ]

    def __str__(self):
        return f"{self.campaign_id} · {self.unit_id}"


class SurveyLink(models.Model):
    """The open link (and QR code) of one unit in a campaign: ``/s/<code>``."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=40, unique=True)
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="surveys_link_per_unit"),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9A-Z]{8,40}$"), name="surveys_link_code_format"
            ),
        ]

    def __str__(self):
        return self.code


class OneTimeCode(models.Model):
    """A code printed on a slip; used exactly once. Nothing links it to the response it opened."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="codes")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=40, unique=True)
    is_used = models.BooleanField(default=False)

    class Meta:
        ordering = ["unit__path", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9A-Z]{10,40}$"), name="surveys_onetime_code_format"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "unit", "is_used"])]

    def __str__(self):
        return self.code


# --- responses (anonymous, immutable) -------------------------------------------------------


class ImmutableRow(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(_("A survey response cannot be changed once stored."))
        super().save(*args, **kwargs)


class Response(ImmutableRow):
    """One anonymous submission. By design: no user, code, IP, user agent, referrer or time.

    Its answers are one JSON document, ``[[question id, value or null, text], ...]``: one item
    per value (a multiple choice gives one per chosen option), a number (scale point, choice
    value, number) or a text. A response is only ever read whole (the raw export) or summed
    through the counters, never searched by answer, so one document replaces twenty rows per
    response, with their three indexes and two key checks each. Its question ids are those of
    the response's version, whose questions cannot change once it has a response.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the (campaign, unit) index below serves lookups by campaign.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="responses", db_index=False
    )
    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="responses"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    submitted_on = models.DateField()
    language = models.CharField(max_length=8)
    answers = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["campaign", "unit"])]

    def __str__(self):
        return str(self.id)


class SubmissionClaim(models.Model):
    """That an answering session has stored its response, so a replayed or double-clicked last
    page stores nothing more.

    Inserted first in the transaction that stores the response (``surveys.services.
    response_submit``), so a response is stored exactly when its claim is. The key is a keyed
    hash of the session's token (``surveys.answering_state.claim``): the token a device keeps in
    its history cannot be matched to it without the server's secret key, and nothing here points
    to the response. It holds a date only (no time): the day after which the session can no
    longer be replayed; submissions drop the claims past it.
    """

    key = models.UUIDField(primary_key=True, editable=False)
    expires_on = models.DateField(db_index=True)

    def __str__(self):
        return str(self.key)


class AnsweringDraft(models.Model):
    """The answers of an unfinished answering session, so it can go on in another browser.

    A parent opens a survey in Zalo's in-app browser, which hands over to Chrome; or starts on
    one phone and finishes on another with the same one-time code. The state cookie stays in
    the first browser, so the session's state is also kept here, keyed by a keyed hash of the
    session's token (``key``) and, for a one-time code, of the code (``code_key``): neither can
    be matched to a token or a code without the server's secret key.

    Anonymity: a draft is not a response. It is deleted in the same transaction that stores the
    response (so no stored row ever joins a response to a code), when the session is abandoned,
    and at the latest when it expires (``expires_at``, rounded to the hour, as the session).
    """

    key = models.UUIDField(primary_key=True, editable=False)
    code_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    state = models.TextField()  # the signed, compressed state (``answering_state.encode``)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return str(self.key)

    @staticmethod
    def key_for_token(token):
        return uuid.UUID(bytes=salted_hmac("surveys.draft.token", token).digest()[:16])

    @staticmethod
    def key_for_code(one_time_code_id):
        return uuid.UUID(
            bytes=salted_hmac("surveys.draft.code", str(one_time_code_id)).digest()[:16]
        )


# Counter rows per key: a submission adds to one of them, at random; readers sum them.
TALLY_SHARDS = 8


class UnitTally(models.Model):
    """Responses per campaign and unit (the roll-up the results and response rates read)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    shard = models.PositiveSmallIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "shard"], name="surveys_unittally_key"
            ),
        ]

    def __str__(self):
        return f"{self.campaign_id} · {self.unit_id}: {self.count}"


class QuestionTally(models.Model):
    """Respondents who answered a question, per campaign and unit."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    shard = models.PositiveSmallIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "question", "shard"],
                name="surveys_questiontally_key",
            ),
        ]

    def __str__(self):
        return f"{self.campaign_id} · {self.unit_id}: {self.count}"


class ValueTally(models.Model):
    """Answers per campaign, unit, question and value (the distribution)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    value = models.IntegerField()
    shard = models.PositiveSmallIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "question", "value", "shard"],
                name="surveys_valuetally_key",
            ),
        ]

    def __str__(self):
        return f"{self.campaign_id} · {self.unit_id}: {self.count}"


class ResultAction(models.Model):
    """A low result someone turned into a nonconformity or improvement opportunity: the source
    object the nonconformity points back to (one per campaign, unit and area)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="actions")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, null=True, blank=True)
    index = models.DecimalField(max_digits=5, decimal_places=1)
    n = models.PositiveIntegerField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "area"],
                condition=Q(area__isnull=False),
                name="surveys_resultaction_area_key",
            ),
            models.UniqueConstraint(
                fields=["campaign", "unit"],
                condition=Q(area__isnull=True),
                name="surveys_resultaction_overall_key",
            ),
        ]

    def __str__(self):
        return f"{self.campaign} · {self.unit}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("surveys:results", args=[self.campaign_id]) + f"?unit={self.unit_id}"

    def can_view(self, user):
        """Whoever may see the campaign's results for this unit (the NC links back here)."""
        return (
            Campaign.objects.for_user(user).filter(pk=self.campaign_id).exists()
            and units_visible_to(user).filter(pk=self.unit_id).exists()
        )


class FreeTextGrantQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class FreeTextGrant(models.Model):
    """A recorded permission for one person to read one campaign's free-text answers (the
    results page's comments, the raw export's text columns). Given with a reason by someone who
    manages the campaign, never to themselves; revoked, never deleted (``history``)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="free_text_grants"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = FreeTextGrantQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-granted_at", "-pk"]
        verbose_name = _("free-text permission")
        verbose_name_plural = _("free-text permissions")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "person"],
                condition=Q(revoked_at__isnull=True),
                name="surveys_free_text_grant_one_active",
            ),
            models.CheckConstraint(
                condition=~Q(person=models.F("granted_by")),
                name="surveys_free_text_grant_not_self",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="surveys_free_text_grant_revoked_by_whom",
            ),
        ]

    def __str__(self):
        return f"{self.campaign_id} · {self.person_id}"


class SubmissionCount(models.Model):
    """Completed submissions of one client address group to one campaign in one hour, counted
    here only while the shared cache is down or absent (``surveys.ratelimit``).

    A row holds a keyed hash of the address group and campaign, never the address; it is
    written in its own transaction, never in the one that stores a response; rows of earlier
    hours are deleted when a new hour's row is written.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    hour = models.PositiveIntegerField(db_index=True)  # hours since 1970-01-01 UTC
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "digest", "hour"], name="surveys_submissioncount_key"
            ),
        ]

    def __str__(self):
        return f"{self.campaign_id} · {self.hour}: {self.count}"


class ReleasedResult(models.Model):
    """The figures of one unit in a campaign as last released (``surveys.results``): below the
    Department, results show these, refreshed only in steps of ``SURVEY_MIN_GROUP_SIZE`` (5)
    responses or once the campaign is closed, so that figures read before and after one
    response never differ by that response alone.

    ``n`` is the unit's responses (its own, not its subtree's); ``counts`` holds its counters
    at that moment: ``{"q": [[question id, respondents]], "v": [[question id, value, answers]],
    "l": [[value, answers]]}`` (``l``: every Likert answer, pooled).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    n = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit"], name="surveys_released_key"),
        ]

    def __str__(self):
        return f"{self.campaign_id} · {self.unit_id}: {self.n}"
