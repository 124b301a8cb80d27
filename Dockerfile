# One image for every process: the relay, each channel consumer and the admin web app.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings
WORKDIR /app

COPY pyproject.toml ./
COPY config ./config
COPY outbox ./outbox
COPY relay ./relay
COPY consumers ./consumers
COPY embedded ./embedded
COPY demo ./demo
COPY examples ./examples
COPY templates ./templates
COPY manage.py ./
RUN pip install --no-cache-dir '.[server]' && python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 chesanto && mkdir -p /app/var/reports && chown -R chesanto /app/var
USER chesanto

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2"]
