"""Dossier packages between two installations (issue 24): a dossier with a scanned component, a reused
document and a signed result, exported as one signed BagIt package and imported elsewhere with the same
search hits, signature verdicts and validity; the import audited; the same package twice stores nothing
new; a flipped byte, a missing file, an altered record (manifests recomputed, resealed or not), a forged
PDF signature, a file that is no package and one too large each refused with nothing stored."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import bagit
import httpx
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient

from conftest import Pair
from people import AGENCY, CITIZEN_A, OTHER_AGENCY, Person, make_people
from sohoa.api.app import create_app
from sohoa.api.backends import Backends, make_backends
from sohoa.api.packages import installation_signer
from sohoa.api.settings import Settings
from sohoa.archive import load_document
from sohoa.archive import package_layout as layout
from sohoa.archive.dossiers import create_dossier, load_dossier, reuse_document
from sohoa.archive.package_export import export_dossier
from sohoa.archive.signing import sign_document
from sohoa.ingest import IngestMeta, ingest_file
from sohoa.ingest.executor import InlineExecutor
from sohoa.records.dossiers import Applicant, NewDossier
from sohoa.records.models import DocumentKind
from sohoa.records.signatures import SignerRole
from sohoa.samples.pki import issue, make_ca
from sohoa.samples.scangen import make_page, write_pdf
from sohoa.signatures import SigningRequest, load_pkcs12, sign_pdf
from sohoa.signatures.detached import sign_detached
from sohoa.storage.filesystem import FilesystemStore
from waiting import until

SOHOA = str(Path(sys.executable).parent / "sohoa")
PASS = "mật khẩu gói"


@dataclass
class Origin:
    """Installation A, with the dossier to hand over, and a package of it made in-process."""

    tmp: Path
    settings: Settings
    env: dict[str, str]  # what points `sohoa` at A
    anchors: list[asn1_x509.Certificate]
    rogue_p12: Path  # a key nobody here trusts
    code: str
    component: str  # scanned for the dossier, then signed by the digitizer
    reused: str  # digitized earlier, reused into the dossier
    result: str  # arrived signed by the issuing agency
    package: Path
    people: dict[str, Person]  # A's users, with tokens


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "SOHOA_DATA_DIR": str(settings.data_dir),
        "SOHOA_WORKERS": "1",
        "SOHOA_TRUST_ANCHORS": str(settings.trust_anchors),
        "SOHOA_PACKAGE_KEY": str(settings.package_key),
        "SOHOA_PACKAGE_KEY_PASSPHRASE": PASS,
        "SOHOA_PENDING_SECONDS": "0",
    }


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    tmp = tmp_path_factory.mktemp("origin")
    root, rogue = make_ca("Root CA thử nghiệm sohoa"), make_ca("CA không được tin cậy")
    pem = root.cert_pem(tmp / "anchors.pem")
    anchors = [asn1_x509.Certificate.load(root.cert.public_bytes(Encoding.DER))]
    settings = Settings(
        data_dir=tmp / "a",
        workers=1,
        trust_anchors=pem,
        package_key=issue(root, "Trung tâm PVHCC tỉnh A").pkcs12(tmp / "installation.p12", PASS),
        package_key_passphrase=PASS,
    )
    digitizer = issue(root, "Nguyễn Thị Lan").pkcs12(tmp / "lan.p12", PASS)
    issuer = issue(root, "UBND xã Thủy Vân").pkcs12(tmp / "ubnd.p12", PASS)
    backends = make_backends(settings)
    store, index = backends.store, backends.index
    try:
        people = make_people(store)

        def ingest(path: Path, **meta: object) -> str:
            outcome = ingest_file(
                path,
                store=store,
                index=index,
                meta=IngestMeta(name=path.name, agency=AGENCY, **meta),
                executor=InlineExecutor(),
                trust_anchors=anchors,
            )
            return outcome.document.id

        pages = []
        for seed in (41, 42, 43):
            pages.append(tmp / f"p{seed}.png")
            make_page(seed=seed, size="A5", lines=4).image.save(pages[-1], dpi=(300, 300))
        reused = ingest(pages[0], owner_id=CITIZEN_A, doc_type="giay-khai-sinh", by="staff")
        new = NewDossier(
            agency=AGENCY,
            procedure_code="1.001193",
            procedure_name="Cấp giấy phép xây dựng",
            applicant=Applicant(id_number=CITIZEN_A, name="Nguyễn Văn An"),
        )
        code = create_dossier(store, index, new, by="officer").code
        component = ingest(pages[1], dossier_code=code, by="staff")
        scan = tmp / "result-scan.pdf"
        write_pdf([make_page(seed=43, size="A5", lines=4).image], scan)
        signed = tmp / "result.pdf"
        sign_pdf(
            scan, signed, load_pkcs12(issuer, PASS), SigningRequest(SignerRole.AGENCY, "UBND xã Thủy Vân")
        )
        result = ingest(signed, dossier_code=code, kind=DocumentKind.RESULT, doc_type="giay-phep", by="staff")
        reuse_document(store, index, code, reused, by="officer")
        sign_document(
            store,
            index,
            component,
            load_pkcs12(digitizer, PASS),
            SigningRequest(SignerRole.DIGITIZER, "Nguyễn Thị Lan"),
            by="staff",
            trust_anchors=anchors,
        )
        package = export_dossier(
            store,
            load_dossier(store, code),
            tmp / "package.zip",
            signer=installation_signer(settings),
            anchors=anchors,
            by="test",
        ).path
    finally:
        backends.close()
    rogue_p12 = issue(rogue, "Kẻ giả mạo").pkcs12(tmp / "rogue.p12", PASS)
    return Origin(
        tmp, settings, _env(settings), anchors, rogue_p12, code, component, reused, result, package, people
    )


# -- the receiving installation in-process, on each backend pair ------------------------------------------


@dataclass
class Target:
    client: TestClient
    store_keys: Callable[[], set[str]]  # every key but the audit trail's
    staff: dict[str, str]


@pytest.fixture
def target(origin: Origin, pair: Pair, tmp_path: Path) -> Iterator[Target]:
    settings = Settings(
        data_dir=tmp_path / "b", workers=1, max_upload_bytes=origin.package.stat().st_size * 2
    )
    people = make_people(pair.store)
    backends = Backends(settings, pair.store, pair.index, InlineExecutor(), trust_anchors=origin.anchors)

    def store_keys() -> set[str]:
        return {k for k in pair.store.list("") if not k.startswith("audit/")}

    with TestClient(create_app(settings, backends=backends), base_url="https://testserver") as client:
        yield Target(client, store_keys, people["staff"].headers)


def _post(target: Target, data: bytes) -> httpx.Response:
    headers = {**target.staff, "Content-Type": layout.MEDIA_TYPE}
    return target.client.post("/api/v1/packages", content=data, headers=headers)


def test_import_keeps_ids_and_codes_and_twice_stores_nothing_new(origin: Origin, target: Target) -> None:
    before = target.store_keys()
    first = _post(target, origin.package.read_bytes())
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["dossier_code"] == origin.code and report["already_imported"] is False
    assert set(report["documents"]) == {origin.component, origin.reused, origin.result}
    stored = target.store_keys()
    assert f"documents/{origin.result}/master/" in "".join(stored) and len(stored) > len(before)
    view = target.client.get(f"/api/v1/dossiers/{origin.code}", headers=target.staff).json()
    assert {(link["doc_id"], link["kind"]) for link in view["links"]} == {
        (origin.component, "scanned"),
        (origin.reused, "reused"),
        (origin.result, "scanned"),
    }
    again = _post(target, origin.package.read_bytes())
    assert again.status_code == 200 and again.json()["already_imported"] is True
    assert again.json()["written"] == 0 and target.store_keys() == stored


# -- tampering: each refused, nothing stored ----------------------------------------------------------------


def _unpack(package: Path, into: Path) -> Path:
    with zipfile.ZipFile(package) as archive:
        archive.extractall(into)
    (bag,) = into.iterdir()
    return bag


def _repack(bag: Path, out: Path) -> bytes:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in bag.rglob("*") if p.is_file()):
            archive.write(path, f"{bag.name}/{path.relative_to(bag).as_posix()}")
    return out.read_bytes()


def _remanifest(bag: Path) -> None:
    """What a forger with the bagit library does: recompute every manifest over the changed files."""
    cwd = Path.cwd()
    try:
        bagit.Bag(str(bag)).save(manifests=True)
    finally:
        os.chdir(cwd)


def _reseal(bag: Path, p12: Path) -> None:
    tag = (bag / layout.TAG_MANIFEST).read_bytes()
    (bag / layout.SEAL).write_bytes(sign_detached(tag, load_pkcs12(p12, PASS)))


def _flip(path: Path, at: int = 2000) -> None:
    data = bytearray(path.read_bytes())
    data[min(at, len(data) - 1)] ^= 0x01
    path.write_bytes(bytes(data))


def _refused(target: Target, data: bytes, status: int, words: str) -> None:
    before = target.store_keys()
    answer = _post(target, data)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["message_vi"] and words in body["message_en"], body
    assert target.store_keys() == before  # nothing stored


def test_one_flipped_byte_is_refused(origin: Origin, target: Target, tmp_path: Path) -> None:
    bag = _unpack(origin.package, tmp_path / "u")
    doc = load_document(FilesystemStore(origin.settings.store_dir), origin.result)
    _flip(layout.file_in(bag, layout.in_bag(doc.master_key)))
    _refused(target, _repack(bag, tmp_path / "p.zip"), 422, "does not match its sha256")


def test_a_missing_file_is_refused(origin: Origin, target: Target, tmp_path: Path) -> None:
    bag = _unpack(origin.package, tmp_path / "u")
    layout.file_in(bag, f"data/documents/{origin.reused}/pages/1.json").unlink()
    _refused(target, _repack(bag, tmp_path / "p.zip"), 422, "file missing")


def _altered_record(origin: Origin, tmp_path: Path) -> Path:
    """The reused document's record says it is valid until 2099 and belongs to someone else; the forger
    recomputes the manifests so the bag's fixity holds."""
    bag = _unpack(origin.package, tmp_path / "u")
    record = layout.file_in(bag, layout.record_path(origin.reused))
    text = record.read_text(encoding="utf-8").replace('"valid_until": null', '"valid_until": "2099-12-31"')
    record.write_text(text, encoding="utf-8")
    _remanifest(bag)
    assert bagit.Bag(str(bag)).is_valid()  # fixity alone would let it through
    return bag


def test_an_altered_record_is_refused_even_with_manifests_recomputed(
    origin: Origin, target: Target, tmp_path: Path
) -> None:
    bag = _altered_record(origin, tmp_path)
    _refused(target, _repack(bag, tmp_path / "p.zip"), 422, "do not match its signature")


def test_an_altered_record_resealed_by_an_untrusted_key_is_refused(
    origin: Origin, target: Target, tmp_path: Path
) -> None:
    bag = _altered_record(origin, tmp_path)
    _reseal(bag, origin.rogue_p12)
    _refused(target, _repack(bag, tmp_path / "p.zip"), 422, "does not chain to a trust anchor")


def test_a_forged_pdf_signature_is_refused_even_in_a_sealed_package(
    origin: Origin, target: Target, tmp_path: Path
) -> None:
    """The signed copy changed inside its signed bytes, the manifests recomputed and the package sealed by
    the trusted exporter itself: the PDF's own signature still gives it away."""
    bag = _unpack(origin.package, tmp_path / "u")
    signed = layout.file_in(bag, f"data/documents/{origin.component}/signed-1.pdf")
    data = bytearray(signed.read_bytes())
    data[data.index(b"stream", data.index(b"/DCTDecode")) + 3000] ^= 0x01  # inside the page image
    signed.write_bytes(bytes(data))
    _remanifest(bag)
    _reseal(bag, origin.settings.installation_key)
    _refused(target, _repack(bag, tmp_path / "p.zip"), 422, "does not verify here")


def test_not_a_zip_and_not_a_bag_are_refused(origin: Origin, target: Target, tmp_path: Path) -> None:
    _refused(target, b"%PDF-1.7 not a package", 415, "not a dossier package")
    plain = tmp_path / "plain"
    (plain / "folder").mkdir(parents=True)
    (plain / "folder" / "note.txt").write_text("xin chào")
    _refused(target, _repack(plain / "folder", tmp_path / "p.zip"), 415, "no BagIt bag")


def test_too_large_is_refused(origin: Origin, target: Target) -> None:
    oversize = origin.package.read_bytes() * 3  # over the limit of this installation (twice the package)
    _refused(target, oversize, 413, "exceeds")


# -- the CLI ------------------------------------------------------------------------------------------------


def test_cli_export_then_import_elsewhere_and_a_refusal(origin: Origin, tmp_path: Path) -> None:
    def sohoa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SOHOA, *args], env=env, capture_output=True, text=True, timeout=300, check=False
        )

    out = tmp_path / "hs.zip"
    done = sohoa(origin.env, "export", origin.code, "--out", str(out))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        files_bytes = sum(i.file_size for i in archive.infolist())
    # The size note (docs/package.md): the package against the sum of its files.
    print(
        f"\npackage {out.stat().st_size} bytes, its {len(names)} files {files_bytes} bytes", file=sys.stderr
    )
    assert any(n.endswith(layout.SEAL) for n in names) and str(files_bytes) in done.stdout

    other = {**origin.env, "SOHOA_DATA_DIR": str(tmp_path / "b")}
    tampered = tmp_path / "bad.zip"
    bag = _unpack(out, tmp_path / "u")
    _flip(layout.file_in(bag, layout.record_path(origin.result)), at=40)
    _repack(bag, tampered)
    bad = sohoa(other, "import", str(tampered), "--agency", OTHER_AGENCY)
    assert bad.returncode == 2 and "Lỗi:" in bad.stderr and "package refused" in bad.stderr
    assert not [k for k in FilesystemStore(tmp_path / "b" / "store").list("") if not k.startswith("audit/")]
    good = sohoa(other, "import", str(out), "--agency", OTHER_AGENCY)
    assert good.returncode == 0 and f"imported dossier {origin.code}" in good.stdout, good.stderr
    twice = sohoa(other, "import", str(out), "--agency", OTHER_AGENCY)
    assert twice.returncode == 0 and "nothing new stored" in twice.stdout


# -- two installations, two `sohoa serve` processes ------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve() -> Iterator[Callable[[dict[str, str], Path], str]]:
    running: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str], log: Path) -> str:
        port = _free_port()
        with log.open("w") as out:
            server = subprocess.Popen([SOHOA, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                      stdout=out, stderr=out)  # fmt: skip
        running.append(server)
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert server.poll() is None, log.read_text()[-3000:]
            try:
                return httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        assert until(up, 60), log.read_text()[-3000:]
        return url

    yield start
    for server in running:
        server.terminate()
        server.wait(timeout=30)


def test_round_trip_between_two_served_installations(
    origin: Origin, serve: Callable[[dict[str, str], Path], str], tmp_path: Path
) -> None:
    b_data = tmp_path / "b"
    people_a = origin.people
    people_b = make_people(FilesystemStore(b_data / "store"))
    a = serve(origin.env, tmp_path / "a.log")
    b = serve({**origin.env, "SOHOA_DATA_DIR": str(b_data)}, tmp_path / "b.log")
    # B is another agency (the district deciding the commune's dossier): its officer reads what it imports.
    officer_a, officer_b = people_a["officer"].headers, people_b["officer2"].headers

    package = httpx.get(f"{a}/api/v1/dossiers/{origin.code}/package", headers=officer_a, timeout=120)
    assert package.status_code == 200, package.text
    assert package.headers["content-type"] == layout.MEDIA_TYPE
    admin_b = people_b["admin"].headers
    into_b = {**admin_b, "Content-Type": layout.MEDIA_TYPE}
    imported = httpx.post(
        f"{b}/api/v1/packages?agency={OTHER_AGENCY}", content=package.content, headers=into_b, timeout=120
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["already_imported"] is False

    def same(path: str, pick: Callable[[dict], object]) -> None:
        there = [pick(httpx.get(f"{site}{path}", headers=h, timeout=30).json()) for site, h in
                 ((a, officer_a), (b, officer_b))]  # fmt: skip
        assert there[0] == there[1], (path, there)

    word = next(w for w in load_document(FilesystemStore(origin.settings.store_dir), origin.component)
                .text.split() if len(w) >= 5 and w.isalpha())  # fmt: skip
    same(f"/api/v1/search?q={word}", lambda r: sorted((h["doc_id"], h["page"]) for h in r["hits"]))
    hits = httpx.get(f"{b}/api/v1/search?q={word}", headers=officer_b).json()["hits"]
    assert origin.component in {h["doc_id"] for h in hits}
    for doc_id in (origin.component, origin.reused, origin.result):
        same(f"/api/v1/documents/{doc_id}", lambda r: (r["validity"], r["result_code"], r["master_sha256"]))
        same(
            f"/api/v1/documents/{doc_id}/signatures",
            lambda r: [[c["verdict"], c["signer"]] for part in ("source", "signed_copy") for c in r[part]],
        )
    checks = httpx.get(f"{b}/api/v1/documents/{origin.result}/signatures", headers=officer_b).json()
    assert [c["verdict"] for c in checks["source"]] == ["valid"]
    copy = httpx.get(f"{b}/api/v1/documents/{origin.component}/signatures", headers=officer_b).json()
    assert [c["verdict"] for c in copy["signed_copy"]] == ["valid"]
    same(f"/api/v1/dossiers/{origin.code}", lambda r: sorted((x["doc_id"], x["kind"]) for x in r["links"]))

    trail = httpx.get(f"{b}/api/v1/audit?action=import", headers=admin_b).json()
    events = trail["events"] if isinstance(trail, dict) else trail
    assert [(e["record"], e["actor"], e["status"]) for e in events] == [(origin.code, "admin", 200)]
    assert events[0]["detail"]["agency"] == OTHER_AGENCY

    stored = {k for k in FilesystemStore(b_data / "store").list("") if not k.startswith("audit/")}
    again = httpx.post(
        f"{b}/api/v1/packages?agency={OTHER_AGENCY}", content=package.content, headers=into_b, timeout=120
    )
    assert again.status_code == 200 and again.json()["already_imported"] is True
    time.sleep(0.2)
    assert {k for k in FilesystemStore(b_data / "store").list("") if not k.startswith("audit/")} == stored
    shutil.rmtree(tmp_path / "unused", ignore_errors=True)


# -- the web page -------------------------------------------------------------------------------------------


def test_the_dossier_page_links_its_package_for_those_who_may_read_it(origin: Origin, tmp_path: Path) -> None:
    from sohoa.archive import accounts

    settings = origin.settings.model_copy(update={"data_dir": origin.settings.data_dir})
    backends = make_backends(settings)
    accounts.set_password(backends.store, "officer", "mat-khau-thu-nghiem-2026")
    app = create_app(settings, backends=backends)
    try:
        with TestClient(app, base_url="https://testserver") as c:
            login = {"username": "officer", "password": "mat-khau-thu-nghiem-2026"}
            assert c.post("/api/v1/auth/login", json=login).status_code == 200
            page = c.get(f"/dossiers/{origin.code}")
            assert page.status_code == 200 and "Tải gói hồ sơ" in page.text
            href = f"/api/v1/dossiers/{origin.code}/package"
            assert f'href="{href}"' in page.text
            package = c.get(href)  # with the page's session cookie
            assert package.status_code == 200 and package.headers["content-type"] == layout.MEDIA_TYPE
            (tmp_path / "p.zip").write_bytes(package.content)
            assert zipfile.ZipFile(tmp_path / "p.zip").testzip() is None
            c.cookies.clear()
            stranger = origin.people["citizen-b"].headers  # not the applicant: as if there were no dossier
            assert c.get(href, headers=stranger).status_code == 404
    finally:
        backends.close()


# -- a crash between two writes ---------------------------------------------------------------------------


class CrashAfter:
    """A real store that dies (a crash point) once it has made `writes` writes."""

    WRITES = frozenset({"put_bytes", "create_bytes", "put_file", "replace_bytes", "copy"})

    def __init__(self, store: FilesystemStore, writes: int) -> None:
        self._store, self.left = store, writes

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._store, name)
        if name not in self.WRITES:
            return attr

        def write(*args: object, **kwargs: object) -> object:
            if self.left <= 0:
                raise SystemExit("crash point")
            self.left -= 1
            return attr(*args, **kwargs)

        return write


def test_an_import_cut_off_shows_no_dossier_and_the_next_one_completes_it(
    origin: Origin, tmp_path: Path
) -> None:
    from sohoa.archive.package_import import import_package
    from sohoa.errors import NotFound
    from sohoa.search.sqlite import SqliteIndex

    def run(store: object, index: SqliteIndex) -> object:
        return import_package(
            store,
            index,
            origin.package,
            anchors=origin.anchors,
            by="staff",
            agency=OTHER_AGENCY,
            max_bytes=10**9,  # type: ignore[arg-type]
        )

    clean_store, clean_index = FilesystemStore(tmp_path / "clean"), SqliteIndex(tmp_path / "clean.sqlite3")
    run(clean_store, clean_index)
    clean = set(clean_store.list(""))
    for crash_at in (5, len(clean) - 3):  # among the files; among the records, before the dossier's
        store = FilesystemStore(tmp_path / f"b{crash_at}")
        index = SqliteIndex(tmp_path / f"b{crash_at}.sqlite3")
        with pytest.raises(SystemExit):
            run(CrashAfter(store, crash_at), index)
        with pytest.raises(NotFound):
            load_dossier(store, origin.code)  # the dossier is not visible half-imported
        report = run(store, index)
        assert report.already_imported is False and set(store.list("")) == clean  # type: ignore[attr-defined]
        assert len(load_dossier(store, origin.code).links) == 3
        assert run(store, index).already_imported is True  # type: ignore[attr-defined]
