"""The partition Kafka's Java producer (and so Kafka Connect, and Debezium) picks for a key:
`toPositive(murmur2(key)) % partitions` (org.apache.kafka.common.utils.Utils), written out here so
that a test can check a record's partition without either client."""
from __future__ import annotations

_SEED, _M = 0x9747B28C, 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 as an unsigned 32-bit value (Java's int arithmetic, `>>>` for the shifts)."""
    h = (_SEED ^ len(data)) & _MASK
    whole = len(data) - len(data) % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    rest = data[whole:]
    if len(rest) == 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if rest:
        h = ((h ^ rest[0]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def java_partition(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions
