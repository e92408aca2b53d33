"""Path and query parameter types shared by every route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from service.schemas_common import MAX_ID

# A database id in a path: malformed or out-of-range numbers are a 422, never a database error.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
