"""Whether a MinIO set can take writes now, asked of MinIO itself before a write.

An erasure set that has lost its write quorum (two of four nodes down) answers a plain write at once with
`SlowDownWrite`, but holds a write that needs the object's lock (a create-if-absent, a locked object) until
its lock times out, minutes later: a person's read, whose audit event is such a write, would hang that long.
MinIO's cluster probe (`GET /minio/health/cluster`: 200 with write quorum, 503 without) says it in a
millisecond on the same connection pool; it is asked before every write (an answer kept even a second would
let the writes of that second hang), and a store that cannot take writes refuses the write at once with the
same error the server would give.
"""

from __future__ import annotations

import urllib3


def has_write_quorum(http: urllib3.PoolManager, base_url: str) -> bool:
    """False only when the server said it has no write quorum; True when it did not answer at all (the write
    itself then fails with the connection's error, as before)."""
    try:
        return http.request("GET", f"{base_url}/minio/health/cluster", retries=False, timeout=2).status != 503
    except urllib3.exceptions.HTTPError:
        return True
