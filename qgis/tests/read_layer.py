"""Reads layers' features with QGIS and prints them as one JSON line, for the tests of apply_deltas.

    read_layer.py <project file> <layer id> [<layer id>...]

Prints {"<layer id>": {"features": [{"id": <QGIS feature id>, "attributes": {...}, "geometry": WKT|null}],
"file": <the layer's file relative to the project's folder>}}; dates as ISO texts, features by id.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fieldbase_qgis.app import exit_qgis, start_qgis  # noqa: E402

start_qgis()

from qgis.core import QgsProject, QgsProviderRegistry  # noqa: E402

from fieldbase_qgis.values import to_json  # noqa: E402


def read(path, layer_ids):
    project = QgsProject.instance()
    if not project.read(path):
        raise SystemExit(f"cannot read {path}: {project.error()}")
    folder = os.path.dirname(os.path.abspath(path))
    layers = {}
    for layer_id in layer_ids:
        layer = project.mapLayer(layer_id)
        if layer is None:
            raise SystemExit(f"no layer {layer_id} in {path}")
        file = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source()).get("path") or ""
        names = [field.name() for field in layer.fields()]
        features = [{"id": feature.id(),
                     "attributes": {name: to_json(feature.attribute(name)) for name in names},
                     "geometry": None if feature.geometry().isNull() else feature.geometry().asWkt(8)}
                    for feature in layer.getFeatures()]
        layers[layer_id] = {"file": os.path.relpath(file, folder) if file else "",
                            "features": sorted(features, key=lambda feature: feature["id"])}
    project.clear()
    return layers


def main():
    print(json.dumps(read(sys.argv[1], sys.argv[2:]), ensure_ascii=False))
    sys.stdout.flush()
    exit_qgis()


if __name__ == "__main__":
    main()
