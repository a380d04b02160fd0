"""Baseline chat servers for the fan-out benchmark: tutorial, tutorial+db (Channels) and bare (websockets)."""
