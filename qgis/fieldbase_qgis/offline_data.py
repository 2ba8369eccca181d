"""The package's data.gpkg: one table per source, each keeping the source's key (spec §12).

Sources GDAL reads (GeoPackage, GeoJSON, shapefile, CSV…) are copied with GDAL keeping their feature
ids: a GeoPackage table's key column keeps its name and values; a file without a key column gets its
feature ids in a `fid` column. Either way QField's deltas name features by values the source knows.
Other file sources (delimited text read by QGIS) are copied through QGIS and have no usable key.
"""

import os
import re

from osgeo import gdal
from qgis.core import QgsProject, QgsVectorFileWriter, QgsVectorLayer

from .job import JobError

gdal.UseExceptions()


class OfflineTable:
    def __init__(self, table: str, key: str):
        self.table = table
        # The column holding the source's key; "" when the source has none QField could send back.
        self.key = key


class OfflineData:
    def __init__(self, path: str):
        self.path = path
        self._copied = {}
        self._names = set()

    def copy_ogr(self, path: str, layer_name: str, layer_index: int) -> OfflineTable:
        source = gdal.OpenEx(path, gdal.OF_VECTOR)
        source_layer = source.GetLayerByName(layer_name) if layer_name else source.GetLayer(layer_index or 0)
        if source_layer is None:
            raise JobError("UNKNOWN", f'"{os.path.basename(path)}" has no layer "{layer_name or layer_index}"')
        name = source_layer.GetName()
        seen = (os.path.realpath(path), name)
        if seen in self._copied:
            return self._copied[seen]
        fields = {source_layer.GetLayerDefn().GetFieldDefn(i).GetName().lower()
                  for i in range(source_layer.GetLayerDefn().GetFieldCount())}
        key = source_layer.GetFIDColumn() or _free_name("fid", fields)
        table = self._table_name(os.path.splitext(os.path.basename(path))[0] if name == "" else name)
        copied = gdal.VectorTranslate(
            self.path, source, format="GPKG", accessMode="update" if os.path.exists(self.path) else None,
            layerName=table, layers=[name], options=["-preserve_fid", "-lco", f"FID={key}"])
        if copied is None:
            raise JobError("UNKNOWN", f'Copying "{os.path.basename(path)}" into the package failed')
        copied = None  # closes data.gpkg
        source = None
        self._copied[seen] = OfflineTable(table, key)
        return self._copied[seen]

    def copy_layer(self, layer: QgsVectorLayer) -> OfflineTable:
        seen = (layer.providerType(), layer.source())
        if seen in self._copied:
            return self._copied[seen]
        table = self._table_name(layer.name())
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        options.layerName = table
        options.actionOnExistingFile = (QgsVectorFileWriter.CreateOrOverwriteLayer if os.path.exists(self.path)
                                        else QgsVectorFileWriter.CreateOrOverwriteFile)
        error, message, _, _ = QgsVectorFileWriter.writeAsVectorFormatV3(
            layer, self.path, QgsProject.instance().transformContext(), options)
        if error != QgsVectorFileWriter.NoError:
            raise JobError("UNKNOWN", f'Copying layer "{layer.name()}" into the package failed: {message}')
        self._copied[seen] = OfflineTable(table, "")
        return self._copied[seen]

    def _table_name(self, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]+", "_", wanted).strip("_") or "layer"
        name = _free_name(base, self._names)
        # GeoPackage table names compare case-insensitively.
        self._names.add(name.lower())
        return name


def _free_name(base: str, taken: set) -> str:
    name, number = base, 1
    while name.lower() in taken:
        number += 1
        name = f"{base}_{number}"
    return name
