"""`kepu serve` shows the service's own INFO lines (e.g. the development log sender's texts)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import logging, logging.config
from service.cli.serve import log_config
logging.config.dictConfig(log_config())
logging.getLogger("kepu.notifications").info("texted: 验证码 123456")
logging.getLogger("kepu.notifications").debug("not at debug")
"""


def test_the_service_loggers_write_info_to_stderr_under_serve():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "texted: 验证码 123456" in result.stderr
    assert "not at debug" not in result.stderr
