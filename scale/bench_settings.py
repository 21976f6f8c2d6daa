"""Settings for the benchmark server (``bench/run.py``): production settings plus the baseline.

- the ``scale`` app is installed here only (``seed_scale`` refuses to run under other settings);
- ``BENCH_BASELINES`` mounts the bare view under ``/_bench/``;
- the per-address survey rate limit is lifted: every simulated respondent comes from 127.0.0.1;
- the simulated respondents answer at once, so the minimum answering time is off.
"""

from ims.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "scale"]  # noqa: F405
SCALE_SEED_ALLOWED = True
BENCH_BASELINES = True
SURVEY_RATE_LIMIT_PER_HOUR = 10**9
SURVEY_MIN_SECONDS = 0

# The connection's ``options`` override the PGOPTIONS environment variable: a page whose SQL runs
# away fails after 2 minutes here instead of hanging the benchmark (not 30 s: the raw export of
# a million responses sorts them in one statement).
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off -c statement_timeout=120000"  # noqa: F405
