# partner-nhi: the scheduled job. Small, non-root, the CLI as entrypoint.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scanner ./scanner
COPY connectors ./connectors
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[aws,azure,gcp,postgres]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/partner-nhi --create-home partner-nhi
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001
WORKDIR /var/lib/partner-nhi
ENV PARTNER_NHI_DATABASE=sqlite:////var/lib/partner-nhi/partner-nhi.db \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["partner-nhi"]
CMD ["scan", "--config", "/etc/partner-nhi/partner-nhi.yaml", "--format", "json", "--output", "/var/lib/partner-nhi/last-run.json"]
