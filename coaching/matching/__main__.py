"""Entry point of `python -m coaching.matching`: the engine's command line, without Django."""

from __future__ import annotations

import sys

from coaching.matching.engine.cli import main

sys.exit(main())
