# One image for every process: the relay, each channel consumer and the admin web app.
# The product goes in as its wheel (not editable); the standalone project (config/, manage.py,
# examples/) is copied beside it, as a bakery's own project would sit beside the installed apps.

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY outbox ./outbox
COPY relay ./relay
COPY consumers ./consumers
COPY chesanto_comms ./chesanto_comms
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings
WORKDIR /app

# The dependency layer, from the lock file only: rebuilt when a pinned version changes, not when code does.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl && rm -rf /wheels
COPY config ./config
COPY examples ./examples
COPY manage.py ./
# collectstatic needs settings, not secrets: a throw-away key for this one command.
RUN SECRET_KEY=collectstatic-only DEBUG=true python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 chesanto && mkdir -p /app/var/reports && chown -R chesanto /app/var
USER chesanto

# gthread: the in-app inbox's live stream holds a thread per open page (docs/inbox.md)
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--worker-class", "gthread", "--threads", "16"]
