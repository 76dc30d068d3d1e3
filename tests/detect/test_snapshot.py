"""Every labelled item's outcome matches the checked-in snapshot: a flip shows in review."""
from __future__ import annotations

import json

import pytest

from detect import snapshot


def test_no_item_flipped_against_the_snapshot(detector) -> None:
    recorded = json.loads(snapshot.SNAPSHOT.read_text(encoding="utf-8"))
    items = snapshot.labelled()
    # Items of the shared corpus are scored only where ../shared is beside the repository.
    recorded = {k: v for k, v in recorded.items() if k in items}
    assert recorded, "the snapshot names no item that is here"
    now = snapshot.outcomes({k: items[k] for k in recorded}, detector)
    assert snapshot.flips(recorded, now, detector.threshold) == []


FLIPS = [
    ("same-outcome", {"relevant": True, "stance": "refuses", "agency": "A", "score": 0.9, "right": True},
     {"relevant": True, "stance": "refuses", "agency": "A", "score": 0.8, "right": True}, []),
    ("stance-broken", {"relevant": True, "stance": "refuses", "agency": "A", "score": 0.9, "right": True},
     {"relevant": True, "stance": "mixed", "agency": "A", "score": 0.9, "right": False},
     ["x: broken: stance 'refuses' -> 'mixed'"]),
    ("near-threshold-wobble", {"relevant": True, "stance": "refuses", "agency": "A", "score": 0.504,
                               "right": True},
     {"relevant": False, "stance": None, "agency": None, "score": 0.497, "right": False}, []),
]


@pytest.mark.parametrize("before,after,lines", [f[1:] for f in FLIPS], ids=[f[0] for f in FLIPS])
def test_flips_name_each_change(before: dict, after: dict, lines: list[str]) -> None:
    assert snapshot.flips({"x": before}, {"x": after}, 0.5) == lines
