from django.core.management.base import BaseCommand, CommandError

from surveys.models import Campaign
from surveys.services import tally_rebuild


class Command(BaseCommand):
    help = "Recompute the results counters of survey campaigns from their raw answers."

    def add_arguments(self, parser):
        parser.add_argument("campaign_ids", nargs="*", type=int, help="Campaign ids (default: all)")

    def handle(self, *args, campaign_ids=(), **options):
        campaigns = Campaign.objects.all()
        if campaign_ids:
            campaigns = campaigns.filter(pk__in=campaign_ids)
            missing = set(campaign_ids) - set(campaigns.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No campaign with id {sorted(missing)}")
        for campaign in campaigns:
            tally_rebuild(campaign)
            self.stdout.write(f"{campaign.pk}: {campaign.title}")
