"""Opens a project with QGIS and prints every feature of its vector layers, as one JSON line.

    dump_features.py <project file>

What a QField-like test needs to write deltas against a package and to check the project's data
after they were applied: per layer id, its name, CRS, file (relative to the project's folder), the
custom properties QField's edit tracking reads, the key field(s) of its provider, and every feature
with its feature id, attributes (as QField writes them: dates as ISO strings, NULL as null) and geometry as WKT with at
most 8 decimals (null when it has none).
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fieldbase_qgis.app import exit_qgis, start_qgis  # noqa: E402

start_qgis()

from qgis.core import QgsMapLayerType, QgsProject, QgsProviderRegistry  # noqa: E402

from fieldbase_qgis.values import to_json  # noqa: E402

PROPERTIES = ["remoteLayerId", "QFieldSync/remoteLayerId", "QFieldSync/sourceDataPrimaryKeys", "isOfflineEditable"]


def dump(path):
    project = QgsProject.instance()
    if not project.read(path):
        raise SystemExit(f"cannot read {path}: {project.error()}")
    folder = os.path.dirname(os.path.abspath(path))
    layers = {}
    for layer in project.mapLayers().values():
        if layer.type() != QgsMapLayerType.VectorLayer:
            continue
        file = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source()).get("path") or ""
        fields = layer.fields()
        features = []
        for feature in layer.getFeatures():
            geometry = feature.geometry()
            features.append({
                "id": feature.id(),
                "attributes": {fields[i].name(): to_json(feature.attribute(i)) for i in range(fields.count())},
                "geometry": None if geometry.isNull() else geometry.asWkt(8),
            })
        layers[layer.id()] = {
            "name": layer.name(),
            "crs": layer.crs().authid(),
            "file": os.path.relpath(file, folder) if file else "",
            "is_valid": layer.isValid(),
            "properties": {key: layer.customProperty(key) for key in PROPERTIES
                           if layer.customProperty(key) is not None},
            "primary_keys": [fields[i].name() for i in layer.primaryKeyAttributes()],
            "fields": [field.name() for field in fields],
            "features": sorted(features, key=lambda f: f["id"]),
        }
    project.clear()
    return {"layers": layers}


def main():
    print(json.dumps(dump(sys.argv[1]), ensure_ascii=False))
    sys.stdout.flush()
    exit_qgis()


if __name__ == "__main__":
    main()
