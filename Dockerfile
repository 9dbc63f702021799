# One image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PAPER_DIGEST_PRODUCTION=true HF_HUB_OFFLINE=1 \
    PAPER_DIGEST_VAR_DIR=/app/var DJANGO_STATIC_ROOT=/app/staticfiles

WORKDIR /app
COPY requirements.txt .
# torch==2.13.0 is pinned first in requirements.txt; the CPU wheel index keeps CUDA out of the image.
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt

# .dockerignore keeps .venv, .git, var/ and .env out.
COPY . .
RUN useradd --create-home app && mkdir -p /app/var && chown -R app /app/var \
    # collectstatic needs settings, so a key: a random one that lives only for this command.
    && DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
       python manage.py collectstatic --noinput -v 0
USER app

EXPOSE 8000
# Workers, timeouts and the access-log format: deploy/gunicorn.conf.py.
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]
