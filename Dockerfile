# One image, three roles (twin, bridge, dashboard): the command picks the role.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# The pinned versions first (make lock): this layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
# The packages, bottom layer first (ARCHITECTURE.md): models ← config_schema ← audit ← access ←
# pki ← historian ← {twin, plc_bridge, analytics} ← dashboard ← gmp_twin.
COPY models ./models
COPY config_schema ./config_schema
COPY audit ./audit
COPY access ./access
COPY pki ./pki
COPY historian ./historian
COPY twin ./twin
COPY plc_bridge ./plc_bridge
COPY analytics ./analytics
COPY dashboard ./dashboard
COPY gmp_twin ./gmp_twin
# The volumes mounted at /data, /people and /pki start with these owners (the role runs as gmp).
RUN pip install --no-deps . && useradd --create-home --uid 10001 gmp && mkdir -p /data /people /pki \
    && chown gmp /data /people /pki
COPY config ./config
USER gmp
# Roles: `gmp-twin twin` (OPC UA 4840), `gmp-twin bridge`, `gmp-twin dashboard` (HTTP 8050).
CMD ["gmp-twin", "--help"]
