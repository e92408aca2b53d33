"""Keep phone numbers, coordinates and secrets out of the logs, whoever logs them.

A log-record factory (not a handler filter) so that every logger and every handler — uvicorn's
access log included — sees the masked text.
"""

from __future__ import annotations

import logging
import re

PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
# A latitude/longitude pair with at least 3 decimals, e.g. "37.54012, 121.40033".
COORDINATE_PAIR = re.compile(r"-?\d{1,3}\.\d{3,}\s*[,，/ ]\s*-?\d{1,3}\.\d{3,}")
# Secrets that must never reach a log, even inside a traceback: password hashes (a failed
# registration once logged its argon2id hash in the database error), API tokens (kp_…), and
# the value of anything named like a password, token, secret or code in "name=value" text.
PASSWORD_HASH = re.compile(r"\$argon2(?:id|i|d)\$[\w$=,+/.-]*")
API_TOKEN = re.compile(r"\bkp_[A-Za-z0-9_\-]{8,}")
NAMED_SECRET = re.compile(
    r"((?:password|passwd|token|secret|csrf|code)[\w-]*['\"]?\s*[:=]\s*['\"]?)[^\s'\",)}\]]+",
    re.IGNORECASE,
)
_installed = False


def redact(text: str) -> str:
    """Mask mobile numbers (138****5678), hide coordinate pairs, hashes and secrets."""
    text = PASSWORD_HASH.sub("[密码哈希已隐藏]", text)
    text = API_TOKEN.sub("kp_[已隐藏]", text)
    text = NAMED_SECRET.sub(r"\1[已隐藏]", text)
    text = PHONE.sub(r"\1****\3", text)
    return COORDINATE_PAIR.sub("[位置已隐藏]", text)


def _redact_arg(value):
    return redact(value) if isinstance(value, str) else value


def install_log_redaction() -> None:
    """Wrap the log-record factory once per process."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_arg(value) for key, value in record.args.items()}
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text: pre-format the traceback once, masked.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        try:
            message = record.getMessage()
        except Exception:
            return record  # a malformed call: leave it to logging's own error report
        if redact(message) != message:  # personal data hid inside a non-string argument
            record.msg, record.args = redact(message), ()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
