"""Configuration from the environment (`SOHOA_*`), read once through pydantic-settings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sohoa.api.scratch import own_scratch
from sohoa.archive.deliveries import DeliveryPolicy
from sohoa.search.elastic_hosts import es_urls


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="where the embedded backends keep their files")
    storage: Literal["fs", "minio"] = "fs"
    search: Literal["sqlite", "elasticsearch"] = "sqlite"
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="OCR worker processes"
    )
    ocr_lang: str = "vie"
    ocr_dpi: int = Field(
        default=200,
        description="finest resolution Tesseract reads a page at, 150-600 (0: the page's own); the page kept "
        "stays at its scan resolution",
    )
    # mã hồ sơ: agency code + receipt date + daily sequence (records.codes)
    dossier_code_pattern: str = "{agency}-{date:%y%m%d}-{seq:04d}"
    dpi: int = Field(default=300, ge=150, le=600, description="rasterization resolution for PDF pages")
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    max_pixels: int = Field(default=80_000_000, ge=1_000_000, description="largest page accepted, in pixels")
    max_pages: int = Field(default=2000, ge=1)
    parse_seconds: float = Field(default=20.0, gt=0, le=600, description="time allowed to open one file")

    minio_endpoint: str = Field(default="127.0.0.1:9000", description="host:port of MinIO")
    minio_access_key: str = ""
    minio_secret_key: SecretStr = SecretStr("")
    minio_secure: bool = False
    minio_bucket: str = Field(default="sohoa", pattern=r"^[a-z0-9][a-z0-9.-]{1,50}[a-z0-9]$")
    minio_retention_days: int = Field(default=3650, ge=1, description="locked bucket retention")
    secret_key: SecretStr | None = Field(
        default=None, description="signs download links and CSRF tokens; default: data_dir/secret.key"
    )
    cookie_secure: bool = Field(default=True, description="session cookie only over HTTPS (and localhost)")
    session_hours: float = Field(default=8, gt=0, le=24)
    login_attempts: int = Field(
        default=5, ge=1, description="failed logins per 5 minutes, per user and address"
    )
    trusted_proxies: str = Field(
        default="",
        description="addresses or networks (comma-separated) of the reverse proxies in front of sohoa, whose "
        "X-Forwarded-For names the client; none by default, so a client cannot choose the address the login "
        "throttle and the audit trail see",
    )
    download_link_seconds: int = Field(
        default=300,
        ge=10,
        le=3600,
        description="lifetime of sohoa's own signed download links; revoking the session or token that "
        "made one (or its expiry) ends it sooner",
    )
    minio_public_endpoint: str | None = Field(
        default=None,
        description="where browsers reach MinIO (https://files.example.org, or host:port): when set, "
        "download links of the MinIO store are MinIO presigned URLs for that address, which MinIO checks "
        "and sohoa cannot end early; unset, downloads go through sohoa's own signed links",
    )
    presigned_url_seconds: int = Field(
        default=60, ge=10, le=3600, description="lifetime of MinIO presigned URLs (minio_public_endpoint)"
    )
    dossier_access_days: int = Field(
        default=30,
        ge=0,
        le=3650,
        description="days an officer may still read the applicant's papers from other agencies after the "
        "dossier is done or returned (while it is open, always)",
    )
    flag_applicants_per_hour: int = Field(
        default=20, ge=1, description="dossiers for more different applicants in an hour flag the officer"
    )
    trust_anchors: Path | None = Field(
        default=None,
        description="root CA certificates signatures must chain to (PEM/DER file or folder): the national "
        "root CAs in production; unset, every signature checks as an unknown signer",
    )
    signing_keys_dir: Path | None = Field(
        default=None, description="PKCS#12 signing keys of the users, <username>.p12; default data_dir/keys"
    )
    package_key: Path | None = Field(
        default=None,
        description="this installation's PKCS#12 key that signs the dossier packages it exports (their tag "
        "manifest); default data_dir/keys/installation.p12. Its certificate must chain to the importing "
        "installation's trust anchors",
    )
    package_key_passphrase: SecretStr = Field(default=SecretStr(""), description="of package_key")
    tsa_url: str | None = Field(default=None, description="RFC 3161 timestamp server: PAdES B-T signatures")
    hot_folder: Path | None = Field(
        default=None, description="the folder this station's scanners save into: the scan page reads it"
    )
    hot_folder_settle: float = Field(default=2.0, ge=0, le=600, description="seconds a file must rest")
    executor: Literal["local", "celery"] = Field(
        default="local",
        description="who reads the pages: this machine's process pool, or Celery workers on any machine "
        "(`sohoa worker`) reached through the broker",
    )
    broker_url: SecretStr | None = Field(
        default=None, description="the Celery broker and result store, redis://:password@host:port/db"
    )
    queue_prefix: str = Field(
        default="sohoa",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$",
        description="names the queues ({prefix}.ocr for pages, {prefix}.default for the rest)",
    )
    task_visibility_seconds: int = Field(
        default=600,
        ge=5,
        le=86400,
        description="how long a task a worker took may stay unacknowledged before the broker gives it to "
        "another worker (a worker that died); longer than the slowest page",
    )
    tasks_in_flight: int = Field(default=64, ge=1, le=10000, description="pages one run sends ahead")
    es_url: str = Field(
        default="http://127.0.0.1:9200",
        description="the Elasticsearch nodes, one URL or several comma-separated: the client fails over "
        "between them",
    )
    es_replicas: int = Field(
        default=0,
        ge=0,
        le=10,
        description="copies of each index shard on other nodes: 0 on a single node, 1 or more in a cluster "
        "(applied to existing indices when sohoa opens them)",
    )
    es_shards: int = Field(
        default=1,
        ge=1,
        le=64,
        description="parts the pages index is split into, searched side by side (one per core of a node, or "
        "spread over a cluster's nodes); set when the index is made, so a change takes effect at the next "
        "`sohoa reindex`",
    )
    es_index: str = Field(default="sohoa-pages", pattern=r"^[a-z0-9][a-z0-9_-]{0,100}$")
    pending_seconds: float = Field(
        default=30,
        ge=0,
        le=86400,
        description="how often `sohoa serve` (and the worker) index the changes stored while the index "
        "refused them (a round at start, then every so many seconds); 0 turns it off",
    )
    job_heartbeat_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="seconds between two heartbeats of a running job; three missed, and another process "
        "takes the job over (ingest.resume)",
    )

    fixity_hours: float = Field(
        default=24,
        ge=0,
        le=24 * 366,
        description="how often a Celery worker started with --beat checks every stored object against its "
        "sha256 (`sohoa fixity`, resumed where the last run stopped); 0 turns it off",
    )

    webhooks_allow_private: bool = Field(
        default=False,
        description="let subscriptions post events to loopback, private, link-local or this machine's own "
        "addresses (a receiver on the same network); off, such URLs are refused at registration and at "
        "each delivery",
    )
    delivery_seconds: float = Field(
        default=5,
        ge=0,
        le=3600,
        description="how often `sohoa serve` (and `sohoa worker --take-jobs`) post the events due; 0 turns "
        "it off (`sohoa deliver` runs one round)",
    )
    webhook_timeout_seconds: float = Field(
        default=10, gt=0, le=120, description="a receiver's time to answer"
    )
    webhook_retry_seconds: float = Field(
        default=10, gt=0, le=86400, description="the delay after a failed delivery; doubled after each next"
    )
    webhook_retry_cap_seconds: float = Field(
        default=3600, gt=0, le=7 * 86400, description="the longest delay between two delivery attempts"
    )
    webhook_max_attempts: int = Field(
        default=50, ge=1, le=10_000, description="attempts per event and subscription before giving up"
    )

    @field_validator("ocr_dpi")
    @classmethod
    def _useful_reading_dpi(cls, value: int) -> int:
        """Under 150 dpi the marks of Vietnamese are a pixel or two: such a setting would lose words."""
        if value != 0 and not 150 <= value <= 600:
            raise ValueError("SOHOA_OCR_DPI must be 0 (the page's own resolution) or 150-600")
        return value

    @field_validator("secret_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`SOHOA_SECRET_KEY=` left empty (an env file copied and not filled in) means the kept key, never an
        empty signing key for links and CSRF tokens."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if raw in (None, "") else value

    @field_validator("broker_url", mode="before")
    @classmethod
    def _redis_or_nothing(cls, value: object) -> object:
        """Empty is unset; anything else must name a Redis server (the broker sohoa is built and tested on:
        Celery would otherwise take an empty or mistyped URL for RabbitMQ on localhost and wait forever)."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if raw in (None, ""):
            return None
        if not str(raw).startswith(("redis://", "rediss://")):
            raise ValueError("SOHOA_BROKER_URL must be redis://[:password@]host:port/db (or rediss://)")
        return value

    @field_validator("es_url")
    @classmethod
    def _es_nodes(cls, value: str) -> str:
        """Each node's URL checked now (search.elastic_hosts), so a mistyped list stops sohoa at start."""
        return ",".join(es_urls(value))

    @property
    def es_hosts(self) -> list[str]:
        return self.es_url.split(",")

    @property
    def delivery_policy(self) -> DeliveryPolicy:
        return DeliveryPolicy(
            timeout=self.webhook_timeout_seconds,
            retry_base=self.webhook_retry_seconds,
            retry_cap=self.webhook_retry_cap_seconds,
            max_attempts=self.webhook_max_attempts,
            allow_private=self.webhooks_allow_private,
        )

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def index_path(self) -> Path:
        return self.data_dir / "index.sqlite3"

    @property
    def keys_dir(self) -> Path:
        return self.signing_keys_dir or self.data_dir / "keys"

    @property
    def installation_key(self) -> Path:
        return self.package_key or self.keys_dir / "installation.p12"

    @property
    def scratch_root(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def scratch_dir(self) -> Path:
        """This process's scratch folder under `scratch_root`, locked while it lives (`api.scratch`)."""
        return own_scratch(self.scratch_root)
