# Production image: the portal under gunicorn; the same image runs the Celery worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
# Production's requirements only: no test, lint, fuzzing or browser tooling in the image.
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt
COPY . .
RUN DEBUG=1 SECRET_KEY=build DATABASE_URL=postgres://build@localhost/build python manage.py collectstatic --noinput
RUN useradd --system --home /app portal && mkdir -p /app/media && chown -R portal /app/media
USER portal
EXPOSE 8000
# One gthread worker per core, 4 threads each (see docker-compose.yml and bench/bench_visits.py).
CMD ["gunicorn", "cnscd.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--worker-class", "gthread", "--threads", "4", "--timeout", "60"]
