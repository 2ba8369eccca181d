"""delta_apply (spec §11.3): QField's deltas applied to the project's data files with QGIS.

    /usr/bin/python3 apply_deltas.py <workdir>

Reads <workdir>/job.json (the deltas, in push order, and the features earlier jobs created) and the
project under <workdir>/files/, edits the data files there in place, and writes <workdir>/result.json:
one feedback per delta in outputs.apply_deltas.delta_feedback, and the data files that changed in
changed_files; see docs/deltas-applying.md.
"""

import hashlib
import os
import sqlite3
from collections import Counter

from fieldbase_qgis.job import JobError, log, run_job

# SQLite's files beside a database it has open: never data of their own once it is closed.
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
PROJECT_SUFFIXES = (".qgs", ".qgz", ".qgd")


def apply_deltas(job) -> dict:
    deltas = job.input.get("deltas")
    if not isinstance(deltas, list):
        raise JobError("UNKNOWN", "job.json holds no list of deltas")
    job.start_qgis()
    # Imported once QGIS runs: these modules build QGIS objects at import time.
    from fieldbase_qgis.deltas import DeltaApplier
    from fieldbase_qgis.project import open_project

    project_file = job.input["project_file"]
    with job.step("project_validity_check", "Open the QGIS project file"):
        project = open_project(job.path_in_files(project_file), project_file).project
        # Edits go to each layer's edit buffer, never straight to the data in a shared transaction: a
        # failed delta is undone in the buffer.
        project.setAutoTransaction(False)

    before = {}

    def remember(path):
        for file in _family(path):
            before.setdefault(file, _sha256(file))

    applier = DeltaApplier(project, job.files_dir, bool(job.input.get("overwrite_conflicts", True)),
                           job.input.get("created_features") or [], on_open=remember)
    with job.step("apply_deltas", "Apply the deltas") as returns:
        delta_feedback = [applier.apply(entry) for entry in deltas]
        applier.commit()
        returns.update(Counter(item["status"] for item in delta_feedback))
    with job.step("close_project", "Close the project and its data files") as returns:
        edited = applier.edited_paths()
        opened = applier.opened_paths()
        project.clear()
        for path in opened:
            _settle_sqlite(path)
        changed = sorted(
            os.path.relpath(file, job.files_dir).replace(os.sep, "/")
            for path in edited for file in _family(path)
            if _sha256(file) != before.get(file))
        returns["changed_files"] = len(changed)
    log(f"{len(delta_feedback)} deltas: " + ", ".join(f"{count} {status}" for status, count in
                                                      sorted(Counter(item["status"] for item in delta_feedback).items())))
    job.outputs["apply_deltas"] = {"delta_feedback": delta_feedback}
    return {"changed_files": changed}


def _family(path: str) -> list:
    """The layer's file and those sharing its stem (a shapefile's .dbf and .shx...), side files left out."""
    folder, name = os.path.split(path)
    stem = os.path.splitext(name)[0]
    return sorted(os.path.join(folder, candidate) for candidate in os.listdir(folder)
                  if (candidate == name or candidate.startswith(stem + "."))
                  and not candidate.endswith(SIDE_SUFFIXES) and not candidate.lower().endswith(PROJECT_SUFFIXES)
                  and os.path.isfile(os.path.join(folder, candidate)))


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _settle_sqlite(path: str) -> None:
    """A GeoPackage QGIS edited: back in rollback-journal mode, its -wal and -shm gone.

    A stored GeoPackage left in WAL mode needs its -wal beside it and write access to be read.
    """
    with open(path, "rb") as file:
        header = file.read(20)
    if not header.startswith(b"SQLite format 3\0"):
        return
    if header[18:20] != b"\x01\x01" or any(os.path.exists(path + suffix) for suffix in SIDE_SUFFIXES[:2]):
        connection = sqlite3.connect(path)
        try:
            mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        finally:
            connection.close()
        if mode.lower() != "delete":
            raise JobError("UNKNOWN", f'"{os.path.basename(path)}" stays in {mode} journal mode')
    left = [suffix for suffix in SIDE_SUFFIXES if os.path.exists(path + suffix)]
    if left:
        raise JobError("UNKNOWN", f'"{os.path.basename(path)}" still has its {", ".join(left)} file(s)')


if __name__ == "__main__":
    run_job(apply_deltas, {"changed_files": []})
