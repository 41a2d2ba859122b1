# crawlscope: API server and worker image (docker-compose.yml; docs/deployment.md).
# Stage 1 builds the dashboard; stage 2 builds the wheel with it and installs it.
FROM node:20-bookworm-slim AS dashboard
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
WORKDIR /src
COPY . .
COPY --from=dashboard /src/src/crawlscope/api/static/ src/crawlscope/api/static/
RUN pip install --no-cache-dir build \
 && python -m build --wheel --outdir /wheels \
 && pip install --no-cache-dir "$(ls /wheels/*.whl)[postgres,redis]" \
 && rm -rf /src /wheels
RUN useradd --create-home crawlscope
USER crawlscope
WORKDIR /project
ENTRYPOINT ["crawlscope"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
