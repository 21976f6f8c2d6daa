from django.core.management.base import BaseCommand, CommandError

from ims.exports import csv_stream
from ims.models import OrgUnit
from surveys.models import Campaign
from surveys.raw_export import raw_export


class Command(BaseCommand):
    help = (
        "Write a campaign's raw responses as CSV, as the raw export streams them (units with "
        "fewer than SURVEY_MIN_GROUP_SIZE responses left out; free text only with --free-text). "
        "For operators, who hold the database anyway, and for the benchmark."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int)
        parser.add_argument("--unit", help="a unit's code: only its subtree (default: the owner)")
        parser.add_argument("--free-text", action="store_true", help="include text answers")
        parser.add_argument("--out", default="-", help="a file to write, or - (standard output)")

    def handle(self, *args, campaign_id, unit=None, free_text=False, out="-", **options):
        campaign = Campaign.objects.select_related("owner_unit").filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(f"No campaign with id {campaign_id}")
        scope = campaign.owner_unit
        if unit:
            scope = OrgUnit.objects.subtree_of(scope).filter(code=unit).first()
            if scope is None:
                raise CommandError(f"No unit {unit} within {campaign.owner_unit.code}")
        export = raw_export(campaign, scope, free_text=free_text)
        pieces = csv_stream(export.headers, export.rows, export.preamble)
        if out == "-":
            for piece in pieces:
                self.stdout.write(piece, ending="")
            return
        with open(out, "w", encoding="utf-8", newline="") as file:
            for piece in pieces:
                file.write(piece)
