"""The product's top floor: the pipeline, the command line, logging, configuration."""

import structlog

from .log import configure

if not structlog.is_configured():
    configure()
