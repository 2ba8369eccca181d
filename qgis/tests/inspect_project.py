"""Opens a project with QGIS as QField would and prints what the package tests check, as one JSON line.

    inspect_project.py <project file>

Per layer: name, provider, datasource as stored in the project (relative), the file it resolves to
(relative to the project's folder), validity, feature count, read-only flag and custom properties.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fieldbase_qgis.app import exit_qgis, start_qgis  # noqa: E402

start_qgis()

from qgis.core import (  # noqa: E402
    QgsMapLayerType,
    QgsProject,
    QgsProviderRegistry,
    QgsReadWriteContext,
)

PROPERTIES = ["remoteLayerId", "QFieldSync/remoteLayerId", "QFieldSync/sourceDataPrimaryKeys", "isOfflineEditable",
              "QFieldSync/cloud_action"]


def inspect(path):
    project = QgsProject.instance()
    if not project.read(path):
        raise SystemExit(f"cannot read {path}: {project.error()}")
    folder = os.path.dirname(os.path.abspath(path))
    context = QgsReadWriteContext()
    context.setPathResolver(project.pathResolver())
    layers = {}
    for layer in project.mapLayers().values():
        is_vector = layer.type() == QgsMapLayerType.VectorLayer
        file = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source()).get("path") or ""
        layers[layer.id()] = {
            "name": layer.name(),
            "provider": layer.providerType(),
            "datasource": layer.encodedSource(layer.source(), context),
            "file": os.path.relpath(file, folder) if file else "",
            "is_valid": layer.isValid(),
            "feature_count": layer.featureCount() if is_vector else None,
            "read_only": layer.readOnly() if is_vector else None,
            "fields": [field.name() for field in layer.fields()] if is_vector else None,
            "properties": {key: layer.customProperty(key) for key in PROPERTIES
                           if layer.customProperty(key) is not None},
        }
    result = {"title": project.title(), "layers": layers,
              "layer_tree": project.layerTreeRoot().findLayerIds()}
    project.clear()
    return result


def main():
    print(json.dumps(inspect(sys.argv[1]), ensure_ascii=False))
    sys.stdout.flush()
    exit_qgis()


if __name__ == "__main__":
    main()
