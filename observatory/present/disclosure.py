"""What pages publish is disclosure-controlled by ``observatory.profiles.disclosure`` (one home: the
performance layer needs it too); this module keeps the names the page models import."""

from __future__ import annotations

from observatory.profiles.disclosure import COUNTED, DEFAULT_THRESHOLD, publishable

SUPPRESSION_THRESHOLD = DEFAULT_THRESHOLD
"""The default threshold (counts 1–5); a catalogue record may set its own."""

__all__ = ["COUNTED", "SUPPRESSION_THRESHOLD", "publishable"]
