"""Settings for the IMS, read from the environment (see README: "Environment variables").

With no environment at all this runs on a SQLite file with Celery tasks run eagerly, so
``runserver`` needs no services. ``DATABASE_URL`` switches to PostgreSQL (psycopg 3 with its
connection pool) and ``REDIS_URL`` switches on the Celery broker, result backend and cache.
"""

import sys
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ims.env import (
    env_bool,
    env_choice,
    env_database,
    env_int,
    env_list,
    env_redis_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or env_bool("IMS_TESTING", False)

# Off unless set: ``make run`` and the test settings (tests/settings.py) turn it on for the demo.
DEBUG = env_bool("DEBUG", False)
# Required without DEBUG; the fallback key exists only with DEBUG on.
SECRET_KEY = env_str("SECRET_KEY") or (
    "dev-only-insecure-key-never-in-production" if DEBUG else None
)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (on a developer's machine, set DEBUG=true "
        "as the Makefile's targets do)."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
ORGANISATION_NAME = env_str("ORGANISATION_NAME", "Sở Giáo dục và Đào tạo Sơn La")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "simple_history",
    "django_htmx",
    "axes",
    "csp",
    "ninja",  # Swagger UI from its own static files (/api/v1/docs), no CDN
    "ims",
    "documents",
    "audits",
    "nonconformities",
    "surveys",
    "dashboard",
]
# The ``scale`` app (seed_scale, the benchmark's baseline views) is installed only by the
# benchmark settings (scale/bench_settings.py) and the test settings, never in production.

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ims.middleware.LanguageMiddleware",
    "ims.middleware.RequestSizeLimitMiddleware",  # before anything reads the body
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "axes.middleware.AxesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ims.middleware.SessionIdleTimeoutMiddleware",
    "ims.middleware.ForcePasswordChangeMiddleware",
    "ims.middleware.PlainNotFoundMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "ims.middleware.PermissionsPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "ims.urls"
WSGI_APPLICATION = "ims.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ims.context_processors.ims",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {
    "default": env_database(
        "DATABASE_URL", BASE_DIR / "db.sqlite3", pool=env_bool("DATABASE_POOL", True)
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a real Celery worker started by a test can open the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ------------------------------------------------------------------
REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "ims.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "ims"),
            "TIMEOUT": 300,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180, minimum=1)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
# PDF rendering runs on its own queue so it cannot starve reminders.
REPORTS_QUEUE = env_str("REPORTS_QUEUE", "reports")
CELERY_TASK_ROUTES = {"ims.tasks.render_report_task": {"queue": REPORTS_QUEUE}}
# Fail fast when the broker is down: the caller keeps the work (a queued job, an unsent
# reminder) and a later pass sends it, instead of a request hanging on retries.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 0,
}
# How often a worker writes a heartbeat row (beat sends the task). /healthz answers 503 when the
# newest row is older than WORKER_HEARTBEAT_MISSED of these intervals while tasks go to a broker:
# scheduled publishing, reminders and report PDFs then wait for a worker.
WORKER_HEARTBEAT_SECONDS = 60
WORKER_HEARTBEAT_MISSED = 3
CELERY_BEAT_SCHEDULE = {
    # Every WORKER_HEARTBEAT_SECONDS a worker writes a heartbeat row (/healthz reads it).
    "worker-heartbeat": {
        "task": "ims.tasks.record_heartbeat",
        "schedule": float(WORKER_HEARTBEAT_SECONDS),
    },
    # Every night, drop heartbeat rows older than a day.
    "prune-heartbeats": {
        "task": "ims.tasks.prune_heartbeats",
        "schedule": crontab(hour=2, minute=15),
    },
    # The daily reminder pass (audits, nonconformities, documents, surveys), before work starts.
    "daily-reminders": {
        "task": "ims.tasks.send_reminders_task",
        "schedule": crontab(hour=6, minute=30),
    },
    # The daily digest email for users who chose one, at the end of the working day.
    "daily-digests": {
        "task": "ims.tasks.send_digests_task",
        "schedule": crontab(hour=17, minute=0),
    },
    # Every night, the acknowledgement coverage roll-up from scratch (documents.coverage).
    "rebuild-coverage": {
        "task": "documents.tasks.rebuild_coverage_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Every hour (first run just after midnight), revisions published with a future effective
    # date take effect on that date and supersede the previous one (documents.services
    # .publish_due; idempotent, so a missed or repeated run loses and doubles nothing).
    "documents-publish-due": {
        "task": "documents.tasks.publish_due_task",
        "schedule": crontab(minute=5),
    },
    # Every 5 minutes, re-send report jobs left queued (e.g. the broker was down).
    "requeue-stale-reports": {"task": "ims.tasks.requeue_stale_reports", "schedule": 300.0},
}

# --- Authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "ims.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: a locked (username, address) pair is refused before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "ims:tasks"
LOGOUT_REDIRECT_URL = None  # show the "signed out" page
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Failed sign-ins (django-axes, README "Sign-in lockout"): LOGIN_FAILURE_LIMIT wrong passwords
# for one username from one client address pause that pair for LOGIN_LOCKOUT_MINUTES after the
# last failure. The login page, the admin's, the password change form and signing all count.
# Other names at that address, and that name from other addresses, are not affected.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 10, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True  # a correct password clears the pair's count
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # guessing on cannot prolong the pause
AXES_CLIENT_IP_CALLABLE = "ims.proxies.client_address"
AXES_LOCKOUT_CALLABLE = "ims.lockout.lockout_response"  # the form says it, in its own page
AXES_DISABLE_ACCESS_LOG = True  # no table of every successful sign-in
AXES_SENSITIVE_PARAMETERS = ["username"]  # log lines name the client address, not typed names
# Password-reset emails one client address, and one e-mail address, may ask for per hour.
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env_int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", 20, minimum=1)
PASSWORD_RESET_PER_EMAIL_PER_HOUR = env_int("PASSWORD_RESET_PER_EMAIL_PER_HOUR", 3, minimum=1)
# Reverse proxies in front of the app that append the client's address to X-Forwarded-For
# (1 behind the production TLS proxy). The one client address of the project
# (ims.proxies.client_address) for the lockout, rate limits and logs. 0: the connection's address.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0, maximum=5)
# Sessions (shared school computers): signed out after SESSION_IDLE_MINUTES without a request;
# the session cookie ends when the browser closes unless the person ticks "keep me signed in"
# at sign-in, which keeps it for SESSION_COOKIE_AGE seconds (the idle limit still applies).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_MINUTES", 120, minimum=5) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12, minimum=300)
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = "AnonymousUser"

# --- Languages and time -----------------------------------------------------------------------
LANG_INFO["lo"] = {"bidi": False, "code": "lo", "name": "Lao", "name_local": "ລາວ"}
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English")), ("lo", _("Lao"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["ims.formats"]
LANGUAGE_COOKIE_NAME = "ims_language"
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Files ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files live outside the static root and are served only by views that check access.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# No URL serves MEDIA_ROOT; the prefix exists only because Django requires one.
MEDIA_URL = "/_private_media_not_served/"
# Static files in production: ``collectstatic`` writes hashed names plus gzip and Brotli copies,
# and WhiteNoise serves them compressed and cached for a year (README "Deploying behind a
# proxy"). ``make run`` (DEBUG) and the tests use the plain storage: no collectstatic needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
# Largest uploaded document or attachment, in bytes (25 MB by default).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
# Largest finding photo (several may be sent with one finding).
AUDIT_PHOTO_MAX_BYTES = env_int("AUDIT_PHOTO_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Largest request body (files included), refused with 413 before it is read
# (ims.middleware.RequestSizeLimitMiddleware). Set the proxy's own limit to the same value.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
if max(UPLOAD_MAX_BYTES, AUDIT_PHOTO_MAX_BYTES, IMPORT_MAX_BYTES) >= REQUEST_MAX_BYTES:
    raise ImproperlyConfigured(
        "REQUEST_MAX_BYTES must be larger than UPLOAD_MAX_BYTES, AUDIT_PHOTO_MAX_BYTES and "
        "IMPORT_MAX_BYTES (a request carries the file and the form around it)."
    )

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int(
    "EMAIL_TIMEOUT", 20, minimum=1
)  # seconds; a hung mail server must not hang a worker
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ims@localhost")

# --- Security (production) --------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy (django-csp 4 format): this site only. No inline script or style
# attribute anywhere (templates use classes and static files); htmx's own indicator styles are
# off (base.html). ``data:`` images: the empty favicon. PDFs are rendered by WeasyPrint, which
# reads no header.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page uses (the photo input opens the camera app, not getUserMedia).
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), "
    "browsing-topics=()"
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The container's healthcheck asks over plain HTTP from inside (scripts/healthcheck.py).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The preload directive only consents to the browsers' preload list; joining it is a
    # separate request made for the registered domain. Off with SECURE_HSTS_PRELOAD=false.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Survey paths (/s/<link code>, /s/r/<token>/) are written /s/… (django.request names the
    # page of a 400 or 404): README "Survey responses: counting, results, anonymity".
    "filters": {"survey_paths": {"()": "ims.access_log.RedactSurveyPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["survey_paths"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failed sign-ins and pauses, with the client address
    },
}
CSRF_FAILURE_VIEW = "ims.views.csrf_failure"

# --- Audits ----------------------------------------------------------------------------------
AUDIT_REPORT_DUE_DAYS = env_int("AUDIT_REPORT_DUE_DAYS", 10, minimum=1)  # after the last audit day

# --- Surveys ----------------------------------------------------------------------------------
SURVEY_MIN_SECONDS = env_int("SURVEY_MIN_SECONDS", 8, minimum=0)  # faster submits are bots
# Completed submissions per campaign, per client address (IPv6: per /64) and hour; sessions of
# a one-time code are never limited (surveys.ratelimit). 250 lets 200 parents behind one school
# Wi-Fi address all answer within an hour.
SURVEY_RATE_LIMIT_PER_HOUR = env_int("SURVEY_RATE_LIMIT_PER_HOUR", 250, minimum=1)
SURVEY_MIN_GROUP_SIZE = env_int("SURVEY_MIN_GROUP_SIZE", 5, minimum=2)  # smaller groups hidden
SURVEY_NC_INDEX_THRESHOLD = env_int("SURVEY_NC_INDEX_THRESHOLD", 60, minimum=0, maximum=100)
SURVEY_REMINDER_DAYS = env_int("SURVEY_REMINDER_DAYS", 3, minimum=1)
SURVEY_REMINDER_RATE = env_int("SURVEY_REMINDER_RATE_PERCENT", 50, minimum=0, maximum=100) / 100
