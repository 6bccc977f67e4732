# partner-nhi: the scheduled job. Small, non-root, read-only-root friendly, the CLI as entrypoint.
#   docker build -t partner-nhi .                                  # every cloud, PostgreSQL driver
#   docker build --build-arg EXTRAS=demo,postgres -t partner-nhi:demo .   # plus the simulated estate
# Where no registry can be reached, build a base from Debian's packages and pass it as BASE_IMAGE
# (docs/container.md says how).
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS build
ARG EXTRAS=aws,azure,gcp,postgres
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.py README.md LICENSE ./
COPY scanner ./scanner
COPY connectors ./connectors
RUN python3 -m venv /opt/partner-nhi \
    && /opt/partner-nhi/bin/pip install --upgrade "pip>=24" \
    && /opt/partner-nhi/bin/pip install ".[${EXTRAS}]" \
    && /opt/partner-nhi/bin/pip uninstall --yes pip

FROM ${BASE_IMAGE}
COPY --from=build /opt/partner-nhi /opt/partner-nhi
RUN mkdir -p /var/lib/partner-nhi && chown 10001:10001 /var/lib/partner-nhi
USER 10001:10001
WORKDIR /var/lib/partner-nhi
# No .pyc written at run time (the root filesystem may be read-only); logs unbuffered, as JSON lines.
ENV PATH=/opt/partner-nhi/bin:$PATH \
    HOME=/var/lib/partner-nhi \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PARTNER_NHI_DATABASE=sqlite:////var/lib/partner-nhi/partner-nhi.db
ENTRYPOINT ["partner-nhi"]
CMD ["scan", "--config", "/etc/partner-nhi/partner-nhi.yaml", "--format", "json", "--output", "/var/lib/partner-nhi/last-run.json"]
