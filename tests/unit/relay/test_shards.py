from relay.shards import _ranges, fair_share


def test_fair_shares_add_up_and_differ_by_at_most_one():
    for relays in range(1, 40):
        pids = list(range(1000, 1000 + relays))
        shares = [fair_share(32, pids, pid) for pid in pids]
        assert sum(shares) == 32 and max(shares) - min(shares) <= 1


def test_a_relay_not_yet_counted_among_the_members_counts_itself():
    assert fair_share(32, [10, 20], 15) == 11 and fair_share(32, [], 15) == 32


def test_ranges_read_like_a_person_would_write_them():
    assert _ranges([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8" and _ranges([]) == "none" and _ranges([3]) == "3"
