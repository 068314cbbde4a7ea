# One image, three roles (twin, bridge, dashboard): the command picks the role.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
# The packages, bottom layer first (ARCHITECTURE.md): models ← config_schema ← historian ←
# {twin, plc_bridge, analytics} ← dashboard ← gmp_twin.
COPY models ./models
COPY config_schema ./config_schema
COPY historian ./historian
COPY twin ./twin
COPY plc_bridge ./plc_bridge
COPY analytics ./analytics
COPY dashboard ./dashboard
COPY gmp_twin ./gmp_twin
RUN pip install . && useradd --create-home --uid 10001 gmp && mkdir -p /data && chown gmp /data
COPY config ./config
USER gmp
# Roles: `gmp-twin twin` (OPC UA 4840), `gmp-twin bridge`, `gmp-twin dashboard` (HTTP 8050).
CMD ["gmp-twin", "--help"]
