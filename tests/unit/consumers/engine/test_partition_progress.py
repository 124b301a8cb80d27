"""Which offset of a partition may be stored while its records finish out of order (consumers/offsets.py)."""
from __future__ import annotations

from consumers.offsets import PartitionProgress


def started(*offsets: int) -> PartitionProgress:
    progress = PartitionProgress()
    for offset in offsets:
        progress.started(offset)
    return progress


def test_records_finishing_in_order_move_the_position_one_past_each():
    progress = started(0, 1, 2)
    assert [progress.finished(0), progress.finished(1), progress.finished(2)] == [1, 2, 3]
    assert progress.in_flight == 0


def test_a_later_record_done_before_an_earlier_one_does_not_move_the_position():
    progress = started(5, 6, 7)
    assert progress.finished(7) is None
    assert progress.finished(6) is None
    assert progress.in_flight == 3
    assert progress.finished(5) == 8  # the earliest one done: past everything already done behind it
    assert progress.in_flight == 0


def test_the_position_stops_at_the_first_record_not_done():
    progress = started(10, 11, 12, 13)
    assert progress.finished(11) is None
    assert progress.finished(10) == 12  # 12 is still in flight: 13 (not done) and 12 hold it
    assert progress.finished(13) is None
    assert progress.in_flight == 2
    assert progress.finished(12) == 14


def test_offsets_with_gaps_follow_the_order_read_not_arithmetic():
    """Compacted topics and transaction markers leave gaps: the next position is one past the last done."""
    progress = started(3, 9, 40)
    assert progress.finished(9) is None
    assert progress.finished(3) == 10
    assert progress.finished(40) == 41


def test_a_record_read_again_after_a_rewind_is_tracked_again():
    """A retry partition is rewound (seek) and its record read again: the same offset handed out twice."""
    progress = started(4)
    assert progress.finished(4) == 5
    progress.started(4)
    assert progress.in_flight == 1
    assert progress.finished(4) == 5
    assert progress.in_flight == 0


def test_finishing_an_offset_never_started_does_not_move_the_position_past_one_in_flight():
    progress = started(1, 2)
    assert progress.finished(7) is None
    assert progress.finished(2) is None
    assert progress.finished(1) == 3
