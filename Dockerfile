# nhi-scan: the scheduled job. Small, non-root, the CLI as entrypoint.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scanner ./scanner
COPY connectors ./connectors
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[aws,azure,gcp,postgres]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/nhi-scan --create-home nhi-scan
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001
WORKDIR /var/lib/nhi-scan
ENV NHI_SCAN_DATABASE=sqlite:////var/lib/nhi-scan/nhi-scan.db \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["nhi-scan"]
CMD ["scan", "--config", "/etc/nhi-scan/nhi-scan.yaml", "--format", "json", "--output", "/var/lib/nhi-scan/last-run.json"]
