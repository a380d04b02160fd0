"""Template comments never reach a page: Django's `{# … #}` ends on its own line, or its text is shown."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_no_template_comment_spans_lines() -> None:
    # `{# … #}` over two lines is not a comment to Django: the page shows it as text (it did, on commitments).
    spanning = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\{#(?!.*#\})", line)
    ]
    assert spanning == [], "use {% comment %} for comments over several lines"
