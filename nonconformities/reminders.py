"""NC reminders for the core's daily pass.

| who                  | when                                                            |
|----------------------|-----------------------------------------------------------------|
| action owner         | the action is due in 3 days (once)                              |
| action owner         | the action is overdue (once in each week it stays overdue)      |
| unit head            | the action is 7 or more days overdue (once in each week)        |
| director             | the action is 30 or more days overdue (once)                    |
| planned verifier     | the effectiveness check is due and the NC awaits it (weekly)    |

Each is a ``once`` reminder whose item key names its stage (the action, the week overdue, the
verification round): the core sends a stage once, on the first pass on or after its day, so a
missed day never loses an escalation and a pass run twice (or on two workers) sends it once.
"""

from collections.abc import Iterator
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from ims.models import Role, User
from ims.reminders import Reminder, lazy_format
from nonconformities.models import CorrectiveAction, Nonconformity, people_with_role, unit_heads

DUE_SOON_DAYS = 3
ESCALATE_TO_HEAD_DAYS = 7
ESCALATE_TO_DIRECTOR_DAYS = 30
KINDS = (
    "nc_action_due",
    "nc_action_overdue",
    "nc_action_escalated",
    "nc_action_director",
    "nc_verification_due",
)


def _fmt(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def nc_reminders(today: date) -> Iterator[Reminder]:
    open_actions = CorrectiveAction.objects.filter(
        status=CorrectiveAction.Status.OPEN,
        nonconformity__status=Nonconformity.Status.IN_ACTION,
        due__lte=today + timedelta(days=DUE_SOON_DAYS),
    ).select_related("owner", "nonconformity", "nonconformity__unit")
    heads_cache: dict[int, list[User]] = {}
    directors_cache: dict[int, list[User]] = {}
    for action in open_actions:
        nc = action.nonconformity
        url = nc.get_absolute_url()
        if action.due > today:
            yield Reminder(
                action.owner,
                "nc_action_due",
                f"action-{action.pk}",
                title=lazy_format(
                    _("Corrective action for %(number)s is due on %(due)s"),
                    number=nc.number,
                    due=_fmt(action.due),
                ),
                body=action.description,
                url=url,
                once=True,
            )
            continue
        if action.due == today:
            continue
        days = (today - action.due).days
        week = (days - 1) // 7
        yield Reminder(
            action.owner,
            "nc_action_overdue",
            f"action-{action.pk}-w{week}",
            title=lazy_format(
                _("Corrective action for %(number)s is %(days)s days overdue"),
                number=nc.number,
                days=days,
            ),
            body=action.description,
            url=url,
            once=True,
        )
        if days >= ESCALATE_TO_HEAD_DAYS:
            stage = (days - ESCALATE_TO_HEAD_DAYS) // 7
            if nc.unit_id not in heads_cache:
                heads_cache[nc.unit_id] = unit_heads(nc.unit)
            for head in heads_cache[nc.unit_id]:
                if head.pk == action.owner_id:
                    continue
                yield Reminder(
                    head,
                    "nc_action_escalated",
                    f"action-{action.pk}-w{stage}",
                    title=lazy_format(
                        _(
                            "Escalation: an action of %(number)s (%(owner)s) is %(days)s days "
                            "overdue"
                        ),
                        number=nc.number,
                        owner=action.owner.display_name,
                        days=days,
                    ),
                    body=action.description,
                    url=url,
                    once=True,
                )
        if days >= ESCALATE_TO_DIRECTOR_DAYS:
            if nc.unit_id not in directors_cache:
                directors_cache[nc.unit_id] = people_with_role(nc.unit, {Role.DIRECTOR})
            for director in directors_cache[nc.unit_id]:
                yield Reminder(
                    director,
                    "nc_action_director",
                    f"action-{action.pk}",
                    title=lazy_format(
                        _(
                            "Escalation to the director: an action of %(number)s at %(unit)s is "
                            "%(days)s days overdue"
                        ),
                        number=nc.number,
                        unit=nc.unit.name,
                        days=days,
                    ),
                    body=action.description,
                    url=url,
                    once=True,
                )

    awaiting = Nonconformity.objects.filter(
        status=Nonconformity.Status.AWAITING_VERIFICATION,
        planned_verifier__isnull=False,
        verification_due__lte=today,
    ).select_related("planned_verifier")
    for nc in awaiting:
        week = (today - nc.verification_due).days // 7
        yield Reminder(
            nc.planned_verifier,
            "nc_verification_due",
            f"nc-{nc.pk}-r{nc.round}-w{week}",
            title=lazy_format(
                _("Effectiveness check of %(number)s is due (planned %(date)s)"),
                number=nc.number,
                date=_fmt(nc.verification_due),
            ),
            body=nc.title,
            url=nc.get_absolute_url(),
            once=True,
        )
