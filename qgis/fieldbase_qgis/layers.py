"""What process_projectfile reports for each layer (spec §10.4 layers_by_id)."""

import os

from qgis.core import (
    QgsDataSourceUri,
    QgsFieldConstraints,
    QgsMapLayer,
    QgsMapLayerType,
    QgsProject,
    QgsProviderRegistry,
    QgsReadWriteContext,
    QgsWkbTypes,
)

from .datasource import without_credentials

LAYER_TYPE_NAMES = {value: name for name, value in vars(QgsMapLayerType).items()
                    if isinstance(value, QgsMapLayerType)}
# QGIS 3.22 names them PointGeometry, LineGeometry…; clients know Point, Line, Polygon, Unknown, Null.
GEOMETRY_TYPE_NAMES = {value: name[:-len("Geometry")] for name, value in vars(QgsWkbTypes).items()
                       if isinstance(value, QgsWkbTypes.GeometryType)}
LOCALIZED_PREFIX = "localized:"


def ordered_layer_ids(project: QgsProject) -> list:
    in_tree = project.layerTreeRoot().findLayerIds()
    return in_tree + [layer_id for layer_id in project.mapLayers() if layer_id not in in_tree]


def layers_by_id(project: QgsProject, files_dir: str) -> dict:
    context = QgsReadWriteContext()
    context.setPathResolver(project.pathResolver())
    return {layer.id(): layer_details(layer, context, files_dir) for layer in project.mapLayers().values()}


def layer_details(layer: QgsMapLayer, context: QgsReadWriteContext, files_dir: str) -> dict:
    provider = layer.dataProvider()
    is_vector = layer.type() == QgsMapLayerType.VectorLayer
    wkb_type = layer.wkbType() if is_vector else None
    # As written in the project file: relative to it, no work folder path in it.
    stored_source = layer.encodedSource(layer.source(), context)
    path = _path(layer.providerType(), layer.source())
    details = {
        "id": layer.id(),
        "name": layer.name(),
        "type_name": LAYER_TYPE_NAMES.get(layer.type(), ""),
        "crs": layer.crs().authid() if layer.crs().isValid() else None,
        "wkb_type_name": QgsWkbTypes.displayString(wkb_type) if wkb_type is not None else "",
        "geom_type_name": GEOMETRY_TYPE_NAMES.get(QgsWkbTypes.geometryType(wkb_type), "")
        if wkb_type is not None else "",
        "provider_name": layer.providerType(),
        "datasource": without_credentials(stored_source),
        "filename": _filename(path, _path(layer.providerType(), stored_source), files_dir),
        "is_valid": layer.isValid(),
        "is_localized": stored_source.startswith(LOCALIZED_PREFIX),
        "error_code": "no_error",
        "error_summary": without_credentials(_summary(layer.error())),
        "provider_error_summary": "",
        "qfs_cloud_action": layer.customProperty("QFieldSync/cloud_action"),
        "fields": [_field(field) for field in layer.fields()] if is_vector else None,
    }
    if not layer.isValid():
        details.update(_why_invalid(layer, provider, details, path))
    return details


def _why_invalid(layer, provider, details, path) -> dict:
    if provider is None:
        return {"error_code": "missing_dataprovider",
                "error_summary": details["error_summary"]
                or f'The data provider "{layer.providerType()}" is not available'}
    found = {"provider_error_summary": without_credentials(_summary(provider.error()))}
    if provider.isValid():
        found["error_code"] = "invalid_layer"
    elif details["is_localized"]:
        found["error_code"] = "localized_dataprovider"
    else:
        found["error_code"] = "invalid_dataprovider"
    # QGIS 3.22 mostly leaves these empty: say the likely reason in words.
    if path and not path.startswith(LOCALIZED_PREFIX) and not os.path.exists(path):
        found["error_summary"] = details["error_summary"] or f'File "{details["filename"]}" missing.'
    host = QgsDataSourceUri(layer.source()).host()
    if host and not found["provider_error_summary"]:
        found["provider_error_summary"] = f'Unable to connect to host "{host}".'
    return found


def _summary(error) -> str:
    # QgsError.summary() crashes QGIS 3.22 when the error holds no message.
    return error.summary() if error.messageList() else ""


def _path(provider_name: str, source: str) -> str:
    return QgsProviderRegistry.instance().decodeUri(provider_name, source).get("path") or ""


def _filename(path: str, stored_path: str, files_dir: str) -> str:
    """The layer's file as a path among the project's files; else as the project file names it."""
    if not path:
        return ""
    relative = os.path.relpath(os.path.abspath(path), files_dir)
    if not relative.startswith(".."):
        return relative
    return stored_path


def _field(field) -> dict:
    constraints = field.constraints().constraints()
    return {
        "name": field.name(),
        "alias": field.alias(),
        "type": field.typeName(),
        "length": field.length(),
        "precision": field.precision(),
        "comment": field.comment(),
        "is_not_null": bool(constraints & QgsFieldConstraints.ConstraintNotNull),
        "is_unique": bool(constraints & QgsFieldConstraints.ConstraintUnique),
        "default_value": field.defaultValueDefinition().expression(),
    }
