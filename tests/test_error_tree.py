"""One error hierarchy: every exception sohoa lets a caller see is a SohoaError with a Vietnamese and an
English message, and each boundary to a library (MinIO, the disk, Elasticsearch, poppler and pikepdf,
pyHanko) hands out sohoa's errors, never the library's own."""

from __future__ import annotations

import http.server
import importlib
import inspect
import io
import pickle
import pkgutil
import socket
import threading
import uuid
from pathlib import Path

import img2pdf
import numpy as np
import pytest
from PIL import Image

import sohoa
from sohoa.errors import BadInput, CorruptFile, EncryptedFile, ServiceUnavailable, SohoaError
from sohoa.records.digitization import Step
from sohoa.search.base import IndexRefused
from sohoa.search.elastic import ElasticIndex
from sohoa.storage.base import StorageError
from sohoa.storage.filesystem import FilesystemStore
from sohoa.storage.minio import MinioStore

# Values for the constructors that take what the message is made from rather than the message itself.
_SAMPLE_ARGS = {
    "key": "documents/abc/manifest.json",
    "reason": "sha256 mismatch",
    "tried": "delete",
    "why": "invalid object key",
    "path": "/web/documents",
    "last": Step.COPY,
    "step": Step.SIGN,
}


def _exception_classes() -> list[type[BaseException]]:
    found = []
    for module in pkgutil.walk_packages(sohoa.__path__, "sohoa."):
        loaded = importlib.import_module(module.name)
        for name, value in vars(loaded).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.name
                and not name.startswith("_")  # a module's private signal, caught where it is raised
            ):
                found.append(value)
    return found


def _example(cls: type[BaseException]) -> BaseException:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    if [p.name for p in params] == ["vi", "en"]:
        return cls("Thông báo lỗi", "an error message")
    return cls(*(_SAMPLE_ARGS[p.name] for p in params if p.default is inspect.Parameter.empty))


def test_the_walk_finds_the_errors_of_every_layer() -> None:
    names = {cls.__name__ for cls in _exception_classes()}
    assert {"ObjectNotFound", "InvalidIdentifier", "InvalidQuery", "IllegalStep", "OcrError"} <= names


@pytest.mark.parametrize("cls", _exception_classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_exception_a_caller_can_see_is_a_sohoa_error_with_both_messages(cls: type) -> None:
    assert issubclass(cls, SohoaError)
    exc = _example(cls)
    assert isinstance(exc.vi, str) and exc.vi.strip()
    assert isinstance(exc.en, str) and exc.en.strip()
    assert str(exc) == f"{exc.vi} / {exc.en}"
    # Raised in a worker process and re-raised in the caller: the messages survive the trip.
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is cls and (again.vi, again.en) == (exc.vi, exc.en)
    assert 400 <= cls.http_status < 600 and int(cls.exit_code) > 0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


def test_minio_that_cannot_be_reached_is_service_unavailable() -> None:
    endpoint = f"127.0.0.1:{_closed_port()}"
    with pytest.raises(ServiceUnavailable) as caught:
        MinioStore(endpoint, "sohoa", "not-a-secret", bucket=f"t-{uuid.uuid4().hex[:12]}", retries=0)
    assert isinstance(caught.value, StorageError)
    assert endpoint in caught.value.vi and endpoint in caught.value.en
    assert caught.value.http_status == 503


def test_a_balancer_page_in_place_of_minio_says_its_status_and_words() -> None:
    # What HAProxy answers when it has no MinIO node to send a request to.
    page = b"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n"

    class Balancer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(503)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_PUT(self) -> None:
            self.do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Balancer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"127.0.0.1:{server.server_address[1]}"
        with pytest.raises(ServiceUnavailable) as caught:
            MinioStore(endpoint, "sohoa", "not-a-secret", bucket=f"t-{uuid.uuid4().hex[:12]}", retries=0)
    finally:
        server.shutdown()
    assert "503: 503 Service Unavailable No server is available to handle this request" in caught.value.en


def test_minio_refusing_a_request_is_a_storage_error(services: dict[str, str]) -> None:
    # A server that answers, but refuses these credentials: the client's S3Error comes out as sohoa's.
    with pytest.raises(StorageError) as caught:
        MinioStore(
            services["SOHOA_MINIO_ENDPOINT"],
            "nobody",
            "wrong-secret-key",
            bucket=f"t-{uuid.uuid4().hex[:12]}",
            retries=0,
        )
    assert "InvalidAccessKeyId" in caught.value.en and caught.value.vi


def test_elasticsearch_that_cannot_be_reached_is_service_unavailable() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(ServiceUnavailable) as caught:
        ElasticIndex(url, index=f"sohoa-test-{uuid.uuid4().hex[:12]}", timeout=2)
    assert url in caught.value.vi and url in caught.value.en
    assert caught.value.http_status == 503


def test_elasticsearch_refusing_a_request_is_a_sohoa_error(services: dict[str, str]) -> None:
    # Index names must be lowercase: the server answers 400, which comes out as sohoa's, not the client's.
    with pytest.raises(IndexRefused) as caught:
        ElasticIndex(services["SOHOA_ES_URL"], index=f"Sohoa-Test-{uuid.uuid4().hex[:12]}")
    assert caught.value.vi and "400" in caught.value.en


def test_a_disk_that_fails_under_the_filesystem_store_is_service_unavailable(tmp_path: Path) -> None:
    store = FilesystemStore(tmp_path)
    # A file where the store needs a directory: every write under it fails in the OS (root ignores modes).
    (tmp_path / "keys" / "documents").write_text("in the way")
    with pytest.raises(ServiceUnavailable) as caught:
        store.put_bytes("documents/abc/manifest.json", b"{}")
    assert isinstance(caught.value, StorageError)
    assert str(tmp_path) not in caught.value.vi + caught.value.en  # no server path in a message
    assert not store.exists("documents/abc/manifest.json")


def _one_page_pdf(path: Path) -> Path:
    buf = io.BytesIO()
    Image.fromarray(np.full((200, 150), 255, np.uint8)).save(buf, format="PNG", dpi=(100, 100))
    path.write_bytes(img2pdf.convert(buf.getvalue()))
    return path


def test_a_broken_pdf_given_to_poppler_is_corrupt_file(tmp_path: Path) -> None:
    from sohoa.ocr.rasterize import page_pixels, render_pdf_page

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nthis is not a pdf at all\n")
    with pytest.raises(CorruptFile) as caught:
        render_pdf_page(broken, 1, 100, timeout=30)
    assert caught.value.vi and caught.value.en
    with pytest.raises(CorruptFile):
        page_pixels(broken, "application/pdf", 1, 100, timeout=30)
    # The same module reads a sound one.
    pixels, dpi = page_pixels(_one_page_pdf(tmp_path / "ok.pdf"), "application/pdf", 1, 100, timeout=30)
    assert dpi == 100 and pixels.shape[:2] == (200, 150)


def test_pikepdf_and_pillow_errors_are_translated_where_files_are_opened(tmp_path: Path) -> None:
    import pikepdf

    from sohoa.ocr.rasterize import load_image, open_pdf

    locked = tmp_path / "locked.pdf"
    with pikepdf.open(_one_page_pdf(tmp_path / "ok.pdf")) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="mat-khau", owner="chu"))
    with pytest.raises(EncryptedFile), open_pdf(locked):
        pass
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20)
    with pytest.raises(CorruptFile):
        load_image(garbage)


def test_a_broken_pdf_given_to_pyhanko_is_corrupt_file(tmp_path: Path) -> None:
    from sohoa.signatures.verify import verify_pdf

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
    with pytest.raises(BadInput) as caught:
        verify_pdf(broken, [])
    assert isinstance(caught.value, CorruptFile) and caught.value.en
