"""The project's 100x100 thumbnail (spec §10.4)."""

from qgis.core import QgsMapRendererSequentialJob, QgsMapSettings, QgsProject, QgsRectangle
from qgis.PyQt.QtCore import QSize

SIZE = 100


def render_thumbnail(project: QgsProject, extent: QgsRectangle, path: str) -> None:
    settings = QgsMapSettings()
    settings.setOutputSize(QSize(SIZE, SIZE))
    settings.setDestinationCrs(project.crs())
    settings.setTransformContext(project.transformContext())
    settings.setBackgroundColor(project.backgroundColor())
    # What the project shows: the checked layers of its layer tree, top first.
    settings.setLayers([layer for layer in project.layerTreeRoot().checkedLayers() if layer.isValid()])
    if not extent.isEmpty():
        settings.setExtent(extent)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    if not job.renderedImage().save(path, "PNG"):
        raise RuntimeError(f"could not write {path}")
