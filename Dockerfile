# Two stages: the first compiles what needs compiling (mysqlclient, against the MySQL client
# headers) into a virtualenv; the second gets that virtualenv, the runtime library it links to
# and the code, and nothing to build or test with (requirements-dev.txt is not installed).

FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc pkg-config default-libmysqlclient-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements.txt .
RUN /opt/venv/bin/pip install --no-cache-dir -r requirements.txt


FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH
# libmariadb3: the client library mysqlclient was linked against in the builder.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-log-init --uid 10001 --user-group --home-dir /app app
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# The code and the collected static files belong to root: the app may read them, not change them.
COPY . .
# The settings refuse to load without a real SECRET_KEY; this one lives for this command only.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --noinput --verbosity 0

# Numeric, so that an orchestrator can tell it is not root (Kubernetes' runAsNonRoot).
USER 10001:10001
EXPOSE 8000
CMD ["gunicorn", "bookstore_site.wsgi:application", "--bind", "0.0.0.0:8000"]
