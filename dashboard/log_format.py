"""`LOG_FORMAT=json`: one JSON object per line, with the context `ContextFilter` adds."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from accounts.log_context import FIELDS


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, the context ids that are set, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)
