from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Satisfaction surveys")
    url_prefix = "surveys/"
    # Answering pages for people without an account: short links such as /s/DEMO2026.
    extra_urls = [("s/", "surveys.public_urls")]

    def ready(self):
        from ims.registry import register_csrf_failure, register_nav, register_reference_data
        from ims.reminders import register_reminders
        from ims.reports import register_report
        from surveys.data import load_reference_data
        from surveys.reminders import survey_reminders
        from surveys.report_kinds import SurveyReport

        register_reference_data("surveys", load_reference_data)
        register_nav("surveys", _("Surveys"), "surveys:campaign_list", order=40)
        register_reminders("surveys", survey_reminders)
        register_report(SurveyReport())

        from surveys.public_views import csrf_failure

        register_csrf_failure("surveys_public", csrf_failure)

        from surveys import worklist

        worklist.register()
