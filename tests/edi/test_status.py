"""`edi status` and `edi store migrate`, on both engines, after a real batch."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from edi.cli import cli
from edi.store import is_store_url
from edi.store.migrations import MIGRATIONS
from tests.support import EXAMPLES


def edi(location: str, *args) -> tuple[int, str]:
    where = ["--store" if is_store_url(location) else "--state", location]
    result = CliRunner().invoke(cli, [str(a) for a in args] + where)
    return result.exit_code, result.output


def test_status_shows_workers_files_claims_and_the_outbox(tmp_path, store_location):
    code, out = edi(store_location, "store", "migrate")
    assert code == 0 and f"schema at version {len(MIGRATIONS)}" in out
    drop, inbox = tmp_path / "drop", tmp_path / "inbox"
    drop.mkdir()
    inbox.mkdir()
    for name in ("A_original.837", "A_primary.835", "B_original.837"):
        shutil.copy(EXAMPLES / name, drop / name)
    shutil.copy(EXAMPLES / "B_primary.835", inbox / "B_primary.835")  # waiting for a worker
    (inbox / ".upload.part").write_text("not yet")
    code, _ = edi(store_location, "batch", drop, "--out", tmp_path / "out", "--gate-workers", "0", "--quiet")
    assert code == 0
    code, out = edi(store_location, "status", "--json", "--inbox", inbox)
    assert code == 0
    doc = json.loads(out)
    assert doc["schema_version"] == len(MIGRATIONS)
    (worker,) = doc["workers"]
    assert worker["command"] == "batch" and not worker["alive"] and worker["leases"] == 0
    assert doc["files"] == {"by_outcome": {"processed": 3}, "not_settled": 0, "waiting": 1, "in_flight": 0}
    assert doc["claims"] == {"converted": 1} and doc["outbox"]["published"]["claims"] == 1
    code, out = edi(store_location, "status")
    assert code == 0 and "workers: 0 alive, 1 stopped or dead" in out and "835 claims: converted 1" in out
    assert "1 published (1 claims)" in out
