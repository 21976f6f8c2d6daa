"""Environment readers reject bad values with a message that names the variable."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ims.env import env_bool, env_choice, env_int, env_list, env_redis_url, parse_database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["maybe", "2", "yes please"])
def test_env_bool_rejects_non_boolean(monkeypatch, value):
    monkeypatch.setenv("X_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG")


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("0", False), ("YES", True), ("off", False)]
)
def test_env_bool_accepts_common_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("X_FLAG", value)
    assert env_bool("X_FLAG") is expected


def test_env_int_rejects_text_and_out_of_range(monkeypatch):
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("X_NUM", 1)
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("X_NUM", 1, minimum=1)
    monkeypatch.setenv("X_NUM", "70000")
    with pytest.raises(ImproperlyConfigured, match="above the maximum"):
        env_int("X_NUM", 1, maximum=65535)


def test_env_int_default_when_unset(monkeypatch):
    monkeypatch.delenv("X_NUM", raising=False)
    assert env_int("X_NUM", 7) == 7


def test_env_list_and_choice(monkeypatch):
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_list("X_LIST") == ["a.example", "b.example"]
    monkeypatch.setenv("X_LEVEL", "LOUD")
    with pytest.raises(ImproperlyConfigured, match="must be one of"):
        env_choice("X_LEVEL", "INFO", ["INFO", "DEBUG"])


def test_database_url_postgres_uses_pool():
    config = parse_database_url("postgres://ims:s%40cret@db.local:5433/ims_prod")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"], config["HOST"], config["PORT"]) == (
        "ims_prod",
        "ims",
        "s@cret",
        "db.local",
        "5433",
    )
    assert config["OPTIONS"]["pool"] is True
    assert config["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize("url", ["mysql://x@y/z", "postgres://host:99999/db", "postgres://host/"])
def test_database_url_rejects_bad_values(url):
    with pytest.raises(ImproperlyConfigured):
        parse_database_url(url)


def test_sqlite_url_paths():
    assert parse_database_url("sqlite:////tmp/x.db")["NAME"] == "/tmp/x.db"
    assert parse_database_url("sqlite:///rel.db")["NAME"] == "rel.db"


def test_redis_url_must_be_redis(monkeypatch):
    monkeypatch.setenv("X_REDIS", "http://localhost:6379")
    with pytest.raises(ImproperlyConfigured, match="redis://"):
        env_redis_url("X_REDIS")


def _start(env, command=None):
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *(command or ["check"])],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bad_environment_value_stops_startup_with_clear_message():
    result = _start({"DEBUG": "sometimes"})
    assert result.returncode != 0
    assert "DEBUG='sometimes' is not a boolean" in result.stderr


def test_production_requires_secret_key_and_hosts():
    result = _start({"DEBUG": "false"})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    result = _start({"DEBUG": "false", "SECRET_KEY": "x" * 60})
    assert result.returncode != 0 and "ALLOWED_HOSTS must be set" in result.stderr


def test_debug_is_off_unless_set_and_there_is_no_fallback_key():
    result = _start({})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    shown = "from django.conf import settings as s; print(s.DEBUG, 'scale' in s.INSTALLED_APPS)"
    result = _start(
        {"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "ims.example.vn"}, ["shell", "-c", shown]
    )
    assert result.stdout.splitlines()[-1].split() == ["False", "False"], result.stderr


def test_scale_app_is_installed_only_by_the_benchmark_settings():
    shown = "from django.conf import settings as s; print('scale' in s.INSTALLED_APPS)"
    result = _start(
        {"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "scale.bench_settings"}, ["shell", "-c", shown]
    )
    assert result.stdout.splitlines()[-1].split() == ["True"], result.stderr
    result = _start({"DEBUG": "true"}, ["shell", "-c", shown])
    assert result.stdout.splitlines()[-1].split() == ["False"], result.stderr


def documented_production_environment():
    """The environment ``.env.example`` documents, with its placeholder secret key replaced by a
    real one (the README: "set SECRET_KEY"). Nothing else is added."""
    env = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    assert env["SECRET_KEY"].startswith("change-me")
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def test_check_deploy_is_clean_with_production_environment():
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
        and not k.startswith(("DATABASE", "REDIS", "SECURE_", "SESSION_", "DEBUG"))
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, **documented_production_environment()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_errors_about_urls_do_not_print_the_password():
    from django.core.exceptions import ImproperlyConfigured

    from ims.env import parse_database_url

    with pytest.raises(ImproperlyConfigured) as error:
        parse_database_url("postgres://ims:s3cret-pw@db:notaport/ims")
    assert "s3cret-pw" not in str(error.value) and ":***@" in str(error.value)


def test_postgres_jit_is_off_unless_the_url_says_otherwise():
    assert parse_database_url("postgres://db/ims")["OPTIONS"]["options"] == "-c jit=off"
    custom = parse_database_url("postgres://db/ims?options=-c%20work_mem%3D64MB")
    assert custom["OPTIONS"]["options"] == "-c work_mem=64MB"


@pytest.mark.django_db
def test_the_test_database_runs_without_jit():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
