import pytest

from relay.batching import AdaptiveBatch


def test_grows_while_claims_come_back_full_and_shrinks_when_mostly_empty():
    batch = AdaptiveBatch(50, 400)
    sizes = []
    for claimed in (50, 100, 200, 400, 400, 90, 30, 1, 0, 0):
        batch.record(claimed)
        sizes.append(batch.size)
    assert sizes == [100, 200, 400, 400, 400, 200, 100, 50, 50, 50]


def test_bounds_are_checked():
    with pytest.raises(ValueError, match="smallest"):
        AdaptiveBatch(0, 10)
    with pytest.raises(ValueError):
        AdaptiveBatch(20, 10)
