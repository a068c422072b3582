# heritage-ar: the same service as `scripts/serve.sh`, in a container.
#   docker build -t heritage-ar .
#   docker run -p 8000:8000 -v heritage-data:/data heritage-ar
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HERITAGE_AR_DATA_DIR=/data

# runtime libraries: headless EGL/Mesa for the preview renderer, Node for the glTF validator,
# assimp for FBX, fonts with Vietnamese glyphs
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libegl1 libgl1 libegl-mesa0 libgl1-mesa-dri libgbm1 \
      nodejs npm assimp-utils fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/*

# the service runs as `heritage`; the code is owned by root so a compromised process cannot change it.
# Job children additionally get a minimal environment and Landlock-confined writes (service/jobs/sandbox.py)
RUN useradd --create-home --uid 10001 heritage \
 && mkdir -p /app /data && chown heritage:heritage /data
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

COPY pyproject.toml README.md ./
COPY service ./service
COPY assets ./assets
COPY scripts ./scripts
RUN pip install --no-cache-dir -e . && (test ! -x scripts/vendor-assets.sh || scripts/vendor-assets.sh)

USER heritage
EXPOSE 8000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
# production by default: set HERITAGE_AR_BASE_URL (https) and HERITAGE_AR_SECRET_KEY, or the service refuses
# to start; HERITAGE_AR_SEED_DEMO=true seeds a demo (its key stays in /data/demo-api-key.txt)
ENV HERITAGE_AR_ENV=production
CMD ["scripts/docker-entrypoint.sh"]
