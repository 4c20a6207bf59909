"""The dossier tallies behind the Decision 766 indicators, on SQLite: one query joins the dossiers received
over a period with the documents scanned for them and the documents reused for them (search.records
DossierTally; ElasticIndex answers the same from its own indices)."""

from __future__ import annotations

import sqlite3
from datetime import date

from sohoa.search.records import DossierTally

# Per dossier: its scanned components and results (documents whose dossier_code names it) and the distinct
# documents reused for it; a document reused for the dossier it was also scanned for counts once, as reused.
_TALLIES = """
WITH received AS (
    SELECT code, agency, received_on, coalesce(status, 'received') AS status FROM dossiers
    WHERE received_on BETWEEN :a AND :b AND (:agency IS NULL OR agency = :agency)
), reused AS (
    SELECT DISTINCT dossier_code, doc_id FROM reuses WHERE dossier_code IN (SELECT code FROM received)
)
SELECT d.code, d.agency, d.received_on, d.status,
    (SELECT count(*) FROM documents x WHERE x.dossier_code = d.code AND x.kind = 'component'
        AND NOT EXISTS (SELECT 1 FROM reused r WHERE r.dossier_code = d.code AND r.doc_id = x.doc_id)
    ) AS components,
    (SELECT count(*) FROM documents x WHERE x.dossier_code = d.code AND x.kind = 'result') AS results,
    (SELECT count(*) FROM reused r WHERE r.dossier_code = d.code) AS reused
FROM received d ORDER BY d.code
"""


def dossier_tallies(
    conn: sqlite3.Connection, date_from: date, date_to: date, agency: str | None
) -> list[DossierTally]:
    params = {"a": date_from.isoformat(), "b": date_to.isoformat(), "agency": agency}
    return [
        DossierTally.model_validate(dict(zip(row.keys(), row, strict=True)))
        for row in conn.execute(_TALLIES, params)
    ]
