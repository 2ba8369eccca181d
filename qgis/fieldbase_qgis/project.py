"""Opening a QGIS project read-only, and where its map canvas looks."""

import os

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
)

from .job import JobError

# Layouts are never needed; trusting the stored layer metadata spares a pass over every layer's data.
READ_FLAGS = (QgsProject.ReadFlags() | QgsProject.FlagDontLoadLayouts
              | QgsProject.FlagTrustLayerMetadata | QgsProject.FlagDontStoreOriginalStyles)

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


class OpenedProject:
    def __init__(self, project: QgsProject, canvas: QgsMapSettings):
        self.project = project
        # The extent and CRS of the main map canvas as saved in the file (None if there is none).
        self.canvas = canvas


def open_project(path: str, shown_name: str) -> OpenedProject:
    """Reads the project; never writes it. shown_name replaces the work folder's path in messages."""
    if not os.path.isfile(path):
        raise JobError("FILE_NOT_FOUND", f'The QGIS project file "{shown_name}" does not exist')
    if os.path.splitext(path)[1].lower() not in (".qgs", ".qgz"):
        raise JobError("INVALID_PROJECT_FILE", f'"{shown_name}" is not a .qgs or .qgz file')
    project = QgsProject()
    seen = {}

    def on_read(document):
        root = document.documentElement()
        seen["root"] = root.tagName()
        seen["canvas"] = _saved_canvas(document)

    project.readProject.connect(on_read)
    if not project.read(path, READ_FLAGS):
        message = project.error().replace(path, shown_name) or "unreadable"
        raise JobError("INVALID_PROJECT_FILE", f"Not a QGIS project: {message}")
    # QGIS happily "reads" any XML document; a project's root element is <qgis>.
    if seen.get("root") != "qgis":
        raise JobError("INVALID_PROJECT_FILE",
                       f'Not a QGIS project: the root element of "{shown_name}" is not <qgis>')
    return OpenedProject(project, seen.get("canvas"))


def _saved_canvas(document):
    for node in _elements(document, "mapcanvas"):
        if node.toElement().attribute("name") == "theMapCanvas":
            settings = QgsMapSettings()
            settings.readXml(node)
            return settings
    return None


def _elements(document, tag):
    nodes = document.elementsByTagName(tag)
    return [nodes.at(i) for i in range(nodes.count())]


def view_extent(opened: OpenedProject) -> QgsRectangle:
    """The saved canvas extent in the project's CRS; else the default view; else every layer's."""
    project = opened.project
    crs = project.crs()
    saved = []
    if opened.canvas is not None:
        saved.append((opened.canvas.extent(), opened.canvas.destinationCrs()))
    default_view = project.viewSettings().defaultViewExtent()
    saved.append((default_view, default_view.crs()))
    for rectangle, rectangle_crs in saved:
        if rectangle.isEmpty():
            continue
        try:
            return _transformed(rectangle, rectangle_crs, crs, project)
        except QgsCsException:
            continue  # saved in a CRS that cannot reach the project's: try the next
    settings = QgsMapSettings()
    settings.setDestinationCrs(crs)
    settings.setTransformContext(project.transformContext())
    settings.setLayers([layer for layer in project.mapLayers().values() if layer.isValid()])
    return settings.fullExtent()


def extent_wkt_wgs84(project: QgsProject, extent: QgsRectangle) -> str:
    if extent.isEmpty() or not project.crs().isValid():
        return ""
    try:
        return _transformed(extent, project.crs(), WGS84, project).asWktPolygon()
    except QgsCsException:
        return ""


def _transformed(rectangle, source_crs, target_crs, project):
    if not source_crs.isValid() or not target_crs.isValid() or source_crs == target_crs:
        return QgsRectangle(rectangle)
    transform = QgsCoordinateTransform(source_crs, target_crs, project.transformContext())
    return transform.transformBoundingBox(rectangle)
