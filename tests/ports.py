"""Loopback ports the suite's private service sets take, in one place so that a new test picks others.

The shared set (`deploy/services.sh up` with its defaults) has MinIO 9000/9001, Elasticsearch 9200 (transport
9300) and Redis 6390. A test that starts a set of its own (another SOHOA_RUN_DIR) passes these to the script;
two sets running side by side must share no port, transport ports included.
"""

from __future__ import annotations

SHARED = {"minio": 9000, "minio_console": 9001, "es": 9200, "es_transport": 9300, "redis": 6390}
# tests/test_services_script.py (its own literals; the ES transport is its default, HTTP + 100).
SERVICES_SCRIPT = {"minio": 9310, "minio_console": 9311, "es": 9320, "es_transport": 9420, "redis": 9330}
# tests/test_index_lag.py: Elasticsearch is SIGKILLed and started again under a running `sohoa serve`.
INDEX_LAG = {"minio": 9100, "minio_console": 9101, "es": 9210, "es_transport": 9211, "redis": 6391}
# tests/test_production_e2e.py: both servers restarted under an ingested batch.
PRODUCTION_E2E = {"minio": 9120, "minio_console": 9121, "es": 9230, "es_transport": 9231, "redis": 6393}
# The clustered set (deploy/cluster.sh, tests/test_cluster.py) keeps its defaults: HAProxy 9400, MinIO nodes
# 9401-9404 (consoles 9431-9434), Elasticsearch nodes 9601-9603 (transport 9701-9703), Redis 6392.


def services_env(ports: dict[str, int]) -> dict[str, str]:
    """The environment that makes deploy/services.sh use these ports."""
    return {
        "SOHOA_MINIO_PORT": str(ports["minio"]),
        "SOHOA_MINIO_CONSOLE_PORT": str(ports["minio_console"]),
        "SOHOA_ES_PORT": str(ports["es"]),
        "SOHOA_ES_TRANSPORT_PORT": str(ports["es_transport"]),
        "SOHOA_REDIS_PORT": str(ports["redis"]),
    }
