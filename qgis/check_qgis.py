"""Tells the worker whether QGIS can start here: prints {"qgis_version": "..."} and exits 0.

Any failure (qgis not importable, no providers) exits non-zero with the reason on stderr.
"""

import json
import sys


def main() -> int:
    try:
        from fieldbase_qgis.app import exit_qgis, qgis_version, start_qgis
    except ImportError as error:
        print(f"QGIS's Python API cannot be imported ({error}); install Debian's python3-qgis and "
              "qgis-providers and run this with /usr/bin/python3", file=sys.stderr)
        return 1
    from qgis.core import QgsProviderRegistry

    start_qgis()
    # Without QGIS_PREFIX_PATH or qgis-providers QGIS starts but cannot open a GeoPackage.
    if "ogr" not in QgsProviderRegistry.instance().providerList():
        print("QGIS started without its OGR data provider; install qgis-providers and set "
              "QGIS_PREFIX_PATH=/usr", file=sys.stderr)
        return 1
    print(json.dumps({"qgis_version": qgis_version()}, ensure_ascii=False))
    sys.stdout.flush()
    exit_qgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
