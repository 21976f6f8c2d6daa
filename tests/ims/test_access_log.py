"""The shipped gunicorn configuration: its access log never writes a survey page's path, token,
link code or query string, nor a respondent's address; the Docker image runs with it."""

import io
import logging
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Zq3xT0kenOfAnAnsweringSession"
CODE = "K7PM2QXA9R"
ADDRESS = "203.0.113.9"
FORWARDED = "198.51.100.7"
EVERY_ATOM = (
    '%(h)s "%(r)s" %(U)s ?%(q)s "%(f)s" %({referer}i)s %({cookie}i)s %({x-forwarded-for}i)s '
    "%({raw_uri}e)s %({path_info}e)s %({query_string}e)s %({http_referer}e)s %({remote_addr}e)s "
    "%({http_cookie}e)s %(s)s"
)


def shipped_config(**overrides):
    """gunicorn's Config loaded from ``gunicorn.conf.py`` as gunicorn loads it."""
    cfg = Config()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in cfg.settings:
            cfg.set(name, value)
    for name, value in overrides.items():
        cfg.set(name, value)
    return cfg


def access_line(capsys, path, query="", referer="-", **overrides):
    logger = shipped_config(**overrides).logger_class(shipped_config(**overrides))
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": path + (f"?{query}" if query else ""),
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": ADDRESS,
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "Mozilla/5.0 (Linux; Android 14) Zalo",
        "HTTP_COOKIE": f"ims_svy_{TOKEN[:8]}=state; sessionid=secretsession",
        "HTTP_X_FORWARDED_FOR": FORWARDED,
    }
    request = SimpleNamespace(
        headers=[
            ("REFERER", referer),
            ("COOKIE", environ["HTTP_COOKIE"]),
            ("X-FORWARDED-FOR", FORWARDED),
        ]
    )
    response = SimpleNamespace(status="302 Found", sent=0, headers=[("Location", "/s/thanks/")])
    capsys.readouterr()
    logger.access(response, request, environ, timedelta(milliseconds=12))
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("path", "query", "referer"),
    [
        (f"/s/r/{TOKEN}/", "p=2&notice=resumed", f"https://ims.example.vn/s/r/{TOKEN}/?p=1"),
        (f"/s/{CODE}", "lang=vi", "-"),
        (f"/s/{CODE}/", "", f"https://zalo.me/s/{CODE}"),
    ],
)
def test_access_log_never_writes_survey_paths_codes_or_addresses(capsys, path, query, referer):
    line = access_line(capsys, path, query, referer)
    assert '"POST /s/… HTTP/1.1" 302' in line
    for secret in (TOKEN, TOKEN[:8], CODE, "p=2", "lang=vi", ADDRESS, "secretsession"):
        assert secret not in line, line


def test_no_atom_of_a_custom_format_leaks_a_survey_request(capsys):
    line = access_line(
        capsys,
        f"/s/r/{TOKEN}/",
        "p=3",
        f"https://ims.example.vn/s/r/{TOKEN}/?p=2",
        access_log_format=EVERY_ATOM,
    )
    assert "302" in line and "/s/…" in line
    for secret in (TOKEN, TOKEN[:8], "p=3", "p=2", ADDRESS, FORWARDED, "secretsession"):
        assert secret not in line, line


def test_other_pages_keep_their_path_and_address_but_no_cookies(capsys):
    line = access_line(
        capsys,
        "/documents/",
        "q=quy+trinh",
        f"https://ims.example.vn/s/r/{TOKEN}/",
        access_log_format=EVERY_ATOM,
    )
    assert '"POST /documents/?q=quy+trinh HTTP/1.1"' in line and ADDRESS in line
    assert TOKEN not in line and "secretsession" not in line


def test_error_log_redacts_the_request_it_failed_on(capsys):
    logger = shipped_config(errorlog="-").logger_class(shipped_config(errorlog="-"))
    capsys.readouterr()
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("Error handling request %s", f"/s/r/{TOKEN}/?p=1")
    err = capsys.readouterr().err
    assert "Error handling request /s/…" in err and TOKEN not in err


def test_shipped_config_logs_access_with_the_redacting_logger():
    cfg = shipped_config()
    assert cfg.accesslog == "-"
    assert cfg.logger_class.__name__ == "RedactingLogger"
    assert logging.getLogger("gunicorn.access") is not None


def test_docker_image_and_compose_run_gunicorn_with_the_shipped_config():
    command = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    )
    assert '"gunicorn"' in command and '"gunicorn.conf.py"' in command
    assert "--access-logfile" not in command and "--access-logformat" not in command
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web = compose["services"]["web"]
    # The web service runs the image's command (no override that could drop the config).
    assert "command" not in web and "command" not in compose["x-app"]


def test_application_log_names_no_survey_page(client, db):
    # django.request logs the path of a 404; the project's handler writes /s/… instead.
    import logging.config

    from django.conf import settings

    stream = io.StringIO()
    config = {**settings.LOGGING, "root": {"handlers": ["console"], "level": "INFO"}}
    config["handlers"] = {"console": {**settings.LOGGING["handlers"]["console"], "stream": stream}}
    logging.config.dictConfig(config)
    try:
        assert client.get(f"/s/r/{TOKEN}/?p=1").status_code == 404
        assert client.get("/no-such-page/").status_code == 404
    finally:
        logging.config.dictConfig(settings.LOGGING)
    written = stream.getvalue()
    assert "Not Found: /s/…" in written and "Not Found: /no-such-page/" in written
    assert TOKEN not in written
