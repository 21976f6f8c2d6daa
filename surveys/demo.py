"""Demo surveys for ``seed_demo``: parents', learners' and staff campaigns of Sở GD&ĐT Sơn La with
about 5,000 generated anonymous responses, and the open link ``/s/DEMO2026`` for the parents of
Trường Tiểu học Phường Tô Hiệu (``principal``'s school). Idempotent: campaigns are found by title.
"""

from datetime import timedelta

from django.utils import timezone

from ims.demo import PRINCIPAL_SCHOOL, ROOT
from ims.schoolyear import SchoolYear
from surveys.answering import rules
from surveys.models import (
    Campaign,
    Instrument,
    Question,
    QuestionKind,
    Response,
    SurveyLink,
)
from surveys.services import (
    campaign_close,
    campaign_create,
    campaign_publish,
    codes_generate,
    free_text_grant,
    instrument_create_from_template,
    responses_import,
)

ORDER = 60
DEMO_CODE = "DEMO2026"
# Schools with only a handful of answers, so the demo shows small groups being hidden.
SMALL_SCHOOLS = {"SL-BY-MN": 3, "SL-PY-MN": 2, "SL-SM-PTDTBT": 4, "SL-GDTX-TINH": 3}
# Remote communes: facilities are rated lower there.
REMOTE = ("SL-SM", "SL-BY", "SL-PY", "SL-ML", "SL-TC")

COMMENTS = [
    "Nhà vệ sinh của trường cần được sửa chữa, nhất là khu của học sinh nhỏ.",
    "Mong nhà trường có thêm nước uống sạch cho các cháu.",
    "Thầy cô rất tận tình, gia đình tôi yên tâm.",
    "Đường đến điểm trường lẻ mùa mưa rất khó đi.",
    "Cần thông báo lịch họp phụ huynh sớm hơn qua Zalo.",
    "Con tôi tiến bộ nhiều về đọc và viết.",
    "Thư viện còn ít sách tiếng dân tộc.",
    "Bếp ăn bán trú sạch sẽ, các cháu ăn ngon.",
]


def _instrument(ctx, template):
    title = {
        "parents": "Khảo sát sự hài lòng của cha mẹ học sinh",
        "learners": "Khảo sát sự hài lòng của học sinh",
        "staff": "Khảo sát sự hài lòng của giáo viên và nhân viên",
    }[template]
    root = ctx.units[ROOT[0]]
    instrument = Instrument.objects.filter(owner_unit=root, title=title).first()
    if instrument is None:
        instrument = instrument_create_from_template(
            actor=ctx.users["iso"], owner_unit=root, template=template
        )
    return instrument


def _campaign(
    ctx, title, version, group, units, opens_on, closes_on, target, publish=True, **fields
):
    root = ctx.units[ROOT[0]]
    campaign = Campaign.objects.filter(owner_unit=root, title=title).first()
    if campaign is not None:
        return campaign, False
    campaign = campaign_create(
        actor=ctx.users["iso"],
        version=version,
        title=title,
        group=group,
        owner_unit=root,
        units=units,
        opens_on=opens_on,
        closes_on=closes_on,
        target_responses=target,
        **fields,
    )
    if publish:
        campaign = campaign_publish(actor=ctx.users["iso"], campaign=campaign)
    return campaign, True


def _likert(rng, mean):
    return min(5, max(1, round(rng.gauss(mean, 0.8))))


def _generate(ctx, campaign, per_unit, today, shift=0.0):
    """Bulk-create anonymous responses for ``campaign``: ``per_unit`` {unit: n}."""
    rng = ctx.rng
    questions = list(
        Question.objects.filter(version=campaign.version)
        .prefetch_related("choices")
        .select_related("area", "show_if")
        .order_by("section__order", "order")
    )
    question_rules = rules(questions)
    last_day = min(today, campaign.closes_on)
    days = max((last_day - campaign.opens_on).days, 0)
    responses = []
    for unit, count in per_unit.items():
        base = rng.uniform(3.3, 4.4) + shift
        remote = unit.code.startswith(REMOTE)
        for _ in range(count):
            response = Response(
                campaign=campaign,
                version=campaign.version,
                unit=unit,
                submitted_on=campaign.opens_on + timedelta(days=rng.randint(0, days)),
                language=rng.choices(["vi", "en", "lo"], weights=[92, 3, 5])[0],
                answers=[],
            )
            responses.append(response)
            answers, given = response.answers, {}
            for rule in question_rules:
                if not rule.is_shown(given):
                    continue
                q = rule.question
                values, text = [], ""
                if q.kind == QuestionKind.LIKERT:
                    mean = base - (0.7 if remote and q.area.code == "facilities" else 0)
                    values = [_likert(rng, mean)]
                elif q.kind == QuestionKind.NPS:
                    if rng.random() < 0.8:
                        values = [min(10, max(0, round(rng.gauss(base * 2, 1.6))))]
                elif q.kind == QuestionKind.SINGLE:
                    values = [rng.choice([c.value for c in q.choices.all()])]
                elif q.kind == QuestionKind.MULTIPLE:
                    options = [c.value for c in q.choices.all()]
                    values = sorted(rng.sample(options, rng.randint(1, len(options))))
                elif q.kind == QuestionKind.NUMBER:
                    values = [rng.randint(q.min_value, min(q.max_value, 30))]
                elif rng.random() < 0.12:
                    text = rng.choice(COMMENTS)
                answers.extend([q.pk, value, ""] for value in values)
                if text:
                    answers.append([q.pk, None, text])
                if values:
                    given[str(q.pk)] = [str(v) for v in values]
    return responses_import(campaign, responses)


def year_of(day):
    """The school year a campaign opening on ``day`` is filed under, as its title shows it."""
    return SchoolYear.of(day).label


def seed(ctx):
    rng = ctx.rng
    today = timezone.localdate()
    schools = sorted(ctx.schools(), key=lambda u: u.code)
    root = ctx.units[ROOT[0]]
    divisions = [u for u in ctx.units.values() if u.kind.code == "division"]
    parents = _instrument(ctx, "parents").latest_version()
    learners = _instrument(ctx, "learners").latest_version()
    staff = _instrument(ctx, "staff").latest_version()

    def spread(units, low, high):
        return {u: SMALL_SCHOOLS.get(u.code, rng.randint(low, high)) for u in units}

    total = 0
    earlier, created = _campaign(
        ctx,
        f"Khảo sát cha mẹ học sinh năm học {year_of(today - timedelta(days=380))}",
        parents,
        "parents",
        [root],
        today - timedelta(days=380),
        today - timedelta(days=350),
        1500,
    )
    if created:
        campaign_close_quietly(earlier)
        total += _generate(ctx, earlier, spread(schools, 10, 20), today, shift=-0.25)
        # The director reads last year's comments for the management review: a recorded grant.
        free_text_grant(
            actor=ctx.users["iso"],
            campaign=earlier,
            person=ctx.users["director"],
            reason="Tổng hợp ý kiến của cha mẹ cho cuộc họp xem xét của lãnh đạo",
        )

    current, created = _campaign(
        ctx,
        f"Khảo sát cha mẹ học sinh năm học {year_of(today - timedelta(days=20))}",
        parents,
        "parents",
        [root],
        today - timedelta(days=20),
        today + timedelta(days=25),
        3000,
    )
    if created:
        per_unit = spread([s for s in schools if s.code != PRINCIPAL_SCHOOL], 45, 85)
        per_unit[ctx.units[PRINCIPAL_SCHOOL]] = 42
        total += _generate(ctx, current, per_unit, today)
    link = SurveyLink.objects.get(campaign=current, unit=ctx.units[PRINCIPAL_SCHOOL])
    if link.code != DEMO_CODE:
        SurveyLink.objects.filter(code=DEMO_CODE).exclude(pk=link.pk).delete()
        link.code = DEMO_CODE
        link.save(update_fields=["code"])

    pupils, created = _campaign(
        ctx,
        f"Khảo sát học sinh năm học {year_of(today - timedelta(days=27))}",
        learners,
        "learners",
        [root],
        today - timedelta(days=27),
        today + timedelta(days=3),  # closes in 3 days below the expected rate: iso is reminded
        4000,
    )
    if created:
        total += _generate(ctx, pupils, spread(schools, 35, 60), today)

    # Slips with one-time codes for the parents of one school's first graders: its codes are
    # made before it is published (a unit without codes would be refused).
    first_graders, created = _campaign(
        ctx,
        f"Khảo sát cha mẹ học sinh lớp 1 (phiếu có mã) năm học {year_of(today - timedelta(days=5))}",
        parents,
        "parents",
        [ctx.units[PRINCIPAL_SCHOOL]],
        today - timedelta(days=5),
        today + timedelta(days=20),
        40,
        publish=False,
        requires_code=True,
    )
    if created:
        codes_generate(
            actor=ctx.users["iso"],
            campaign=first_graders,
            unit=ctx.units[PRINCIPAL_SCHOOL],
            count=40,
        )
        campaign_publish(actor=ctx.users["iso"], campaign=first_graders)

    teachers, created = _campaign(
        ctx,
        f"Khảo sát giáo viên, nhân viên năm học {year_of(today - timedelta(days=40))}",
        staff,
        "staff",
        divisions + [s for s in schools if s.code.startswith("SL-THPT")],
        today - timedelta(days=40),
        today - timedelta(days=5),
        600,
    )
    if created:
        units = {u: rng.randint(6, 14) for u in divisions}
        units.update(spread([s for s in schools if s.code.startswith("SL-THPT")], 25, 45))
        total += _generate(ctx, teachers, units, today)

    _campaign(
        ctx,
        f"Khảo sát cha mẹ học sinh đợt 2 năm học {year_of(today + timedelta(days=60))}",
        parents,
        "parents",
        [root],
        today + timedelta(days=60),
        today + timedelta(days=90),
        3000,
        publish=False,
    )
    ctx.log(
        f"  surveys: {Campaign.objects.count()} campaigns, "
        f"{Response.objects.count()} responses ({total} new), demo link /s/{DEMO_CODE}"
    )


def campaign_close_quietly(campaign):
    """Last year's wave is over: closed by the quality manager."""
    campaign_close(campaign, actor=campaign.created_by, reason="Hết thời gian khảo sát")
