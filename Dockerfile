# One image for web, worker, beat and realtime; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 VAR_DIR=/app/var
# Each container has its own /app/var: keys generated there would differ between web, worker
# and realtime, so the image refuses to start without SECRET_KEY and FIELD_ENCRYPTION_KEYS.
ENV GENERATED_KEYS=false
WORKDIR /app

COPY pyproject.toml README.md ./
COPY dashboard ./dashboard
COPY accounts ./accounts
COPY jobs ./jobs
COPY readings ./readings
COPY logbook ./logbook
COPY devices ./devices
COPY realtime ./realtime
COPY ewelink ./ewelink
COPY cloudsim ./cloudsim
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install . \
 && useradd --system --home /app --uid 1000 dashboard \
 && mkdir -p /app/var \
 && SECRET_KEY=build-only FIELD_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    python manage.py collectstatic --noinput -v 0 \
 && chown -R dashboard /app/var

USER dashboard
EXPOSE 8000
CMD ["python", "-m", "dashboard.serve", "-b", "0.0.0.0", "-p", "8000", "--websocket-max-message-size", "16384", \
     "dashboard.asgi:application"]
