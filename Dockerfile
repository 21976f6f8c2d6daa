FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext libpango-1.0-0 \
    libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-lao fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . \
    && python manage.py compilemessages --ignore=.venv -v0 \
    && DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
       python manage.py collectstatic --noinput -v0
RUN useradd --system --home /app ims && mkdir -p /app/media && chown ims /app/media
USER ims
EXPOSE 8000
# gunicorn.conf.py: gthread workers, and an access log that never names a survey page or respondent.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "ims.wsgi:application"]
