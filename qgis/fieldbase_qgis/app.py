"""Starting and stopping QGIS once per process."""

import os

# Qt aborts without a display unless told to draw offscreen; the worker sets both, operators running a
# script by hand may not.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QGIS_PREFIX_PATH", "/usr")

from qgis.core import Qgis, QgsApplication  # noqa: E402

_app = None


def start_qgis() -> QgsApplication:
    global _app
    if _app is None:
        _app = QgsApplication([], False)
        _app.initQgis()
    return _app


def exit_qgis() -> None:
    global _app
    if _app is not None:
        _app.exitQgis()
        _app = None


def qgis_version() -> str:
    return Qgis.QGIS_VERSION
