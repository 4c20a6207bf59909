"""The lifecycle rule of the MinIO store's (versioned) bucket: files in transit to remote workers
(`keys.WORK_PREFIX`) go a day after a run that crashed left them, and the versions a finished run deleted go
with them. The bucket is versioned, so a delete alone would keep every page ever sent to a worker."""

from __future__ import annotations

from minio.commonconfig import ENABLED, Filter
from minio.lifecycleconfig import Expiration, LifecycleConfig, NoncurrentVersionExpiration, Rule

from sohoa.storage import keys


def work_expiry() -> LifecycleConfig:
    rule = Rule(
        ENABLED,
        rule_filter=Filter(prefix=keys.WORK_PREFIX),
        rule_id="work-expiry",
        expiration=Expiration(days=1),
        noncurrent_version_expiration=NoncurrentVersionExpiration(noncurrent_days=1),
    )
    return LifecycleConfig([rule])
