"""Tells the worker whether QGIS can start here: prints {"qgis_version": "..."} and exits 0.

Any failure (qgis not importable, no providers) exits non-zero with the reason on stderr.
"""

import json
import os
import sys

REQUIRED_PROVIDERS = {"ogr", "gdal", "postgres", "spatialite", "wms", "WFS", "delimitedtext"}


def main() -> int:
    try:
        from fieldbase_qgis.app import exit_qgis, qgis_version, start_qgis
    except ImportError as error:
        print(f"QGIS's Python API cannot be imported ({error}); install Debian's python3-qgis and "
              "qgis-providers and run this with /usr/bin/python3", file=sys.stderr)
        return 1
    from qgis.core import QgsProviderRegistry

    start_qgis()
    # Without qgis-providers, or with a wrong QGIS_PREFIX_PATH, QGIS starts with its built-in
    # providers only (files) and every PostGIS, WMS or SpatiaLite layer would come out invalid.
    missing = sorted(REQUIRED_PROVIDERS - set(QgsProviderRegistry.instance().providerList()))
    if missing:
        print(f"QGIS started without the data providers {', '.join(missing)}: install qgis-providers "
              f"and set QGIS_PREFIX_PATH=/usr (it is {os.environ.get('QGIS_PREFIX_PATH')})",
              file=sys.stderr)
        return 1
    print(json.dumps({"qgis_version": qgis_version()}, ensure_ascii=False))
    sys.stdout.flush()
    exit_qgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
