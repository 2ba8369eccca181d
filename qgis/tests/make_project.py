"""Builds a real QGIS project with real layer files, for the tests and the bench.

    make_project.py <outdir> [--format qgs|qgz] [--name <stem>] [--title <t>] [--layers <kinds>]
                    [--attachment-dirs a,b] [--data-dirs a,b] [--cloud-action <action>]
                    [--no-view-extent] [--layer-actions kind=action,...] [--future-xml]

Layer kinds: points_gpkg, lines_geojson, broken (its file is deleted after saving), many:<n> (n
GeoPackages), postgres_password (a PostGIS layer whose datasource holds a user and password; nothing
listens on its port, so it is invalid), and for packaging: areas_gpkg_id (a GeoPackage whose key
column is `id`, no `fid`), areas_shp (a shapefile), table_csv (a CSV without geometry, read by OGR),
sites_csv_text (a CSV of x/y read by QGIS's delimited text provider: no key a package could keep),
dem_tif (a GeoTIFF with an .aux.xml side file), big:<n> (one GeoPackage layer of n points), and for
applying deltas: visits_gpkg_code (a GeoPackage whose features are found by a text column `code`, named by
the QFieldSync/sourceDataPrimaryKeys custom property, with date, date-time and time fields and a unique
column `tag`) and
nested_gpkg (a GeoPackage in the sub-folder data/survey/).
--layer-actions kind=action,... sets QFieldSync/cloud_action per layer; --future-xml adds elements
no QGIS knows (as a project saved by a newer QGIS), which a package must keep. Prints one JSON line:
the project file, every file written (relative to outdir) and the layer ids by kind.
"""

import argparse
import json
import os
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fieldbase_qgis.app import exit_qgis, start_qgis  # noqa: E402

start_qgis()

from qgis.core import (  # noqa: E402
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsProject,
    QgsRasterLayer,
    QgsReferencedRectangle,
    QgsVectorFileWriter,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDate, QDateTime, Qt, QTime, QUrl, QVariant  # noqa: E402

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


def write_layer(outdir, filename, driver, geometry, fields, rows, layer_options=None):
    """Writes rows [(wkt, [values])] to a new file through a memory layer; returns the file's path."""
    memory = QgsVectorLayer(f"{geometry}?crs=EPSG:4326", "memory", "memory")
    memory.dataProvider().addAttributes(fields)
    memory.updateFields()
    features = []
    for wkt, values in rows:
        feature = QgsFeature(memory.fields())
        feature.setGeometry(QgsGeometry.fromWkt(wkt))
        feature.setAttributes(values)
        features.append(feature)
    memory.dataProvider().addFeatures(features)
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = driver
    options.layerName = os.path.splitext(filename)[0]
    if layer_options:
        options.layerOptions = layer_options
    path = os.path.join(outdir, filename)
    error, message, _, _ = QgsVectorFileWriter.writeAsVectorFormatV3(
        memory, path, QgsProject.instance().transformContext(), options)
    if error != QgsVectorFileWriter.NoError:
        raise RuntimeError(f"writing {filename}: {message}")
    return path


def points_gpkg(outdir, filename="points.gpkg", offset=0.0):
    fields = [QgsField("name", QVariant.String), QgsField("count", QVariant.Int),
              QgsField("height", QVariant.Double), QgsField("observed", QVariant.Date)]
    rows = [(f"POINT({7.0 + offset + i * 0.01} {46.0 + i * 0.01})",
             [f"point {i + 1}", i + 1, 1.5 * (i + 1), QDate(2026, 1, i + 1)]) for i in range(3)]
    path = write_layer(outdir, filename, "GPKG", "Point", fields, rows)
    return QgsVectorLayer(f"{path}|layername={os.path.splitext(filename)[0]}",
                          os.path.splitext(filename)[0], "ogr")


def big_gpkg(outdir, count):
    """One GeoPackage layer of `count` points with a few attributes (the packaging bench)."""
    fields = [QgsField("name", QVariant.String), QgsField("count", QVariant.Int), QgsField("height", QVariant.Double)]
    rows = [(f"POINT({7.0 + (i % 1000) * 0.0001} {46.0 + (i // 1000) * 0.0001})", [f"point {i + 1}", i, i * 0.5])
            for i in range(count)]
    path = write_layer(outdir, "big.gpkg", "GPKG", "Point", fields, rows)
    return QgsVectorLayer(f"{path}|layername=big", "big", "ogr")


def lines_geojson(outdir):
    fields = [QgsField("kind", QVariant.String)]
    rows = [("LINESTRING(7.0 46.0, 7.05 46.05)", ["path"]), ("LINESTRING(7.02 46.0, 7.02 46.03)", ["road"])]
    path = write_layer(outdir, "lines.geojson", "GeoJSON", "LineString", fields, rows)
    return QgsVectorLayer(path, "lines", "ogr")


def areas_gpkg_id(outdir):
    fields = [QgsField("label", QVariant.String)]
    rows = [(f"POLYGON(({7 + i} 46, {7.1 + i} 46, {7.1 + i} 46.1, {7 + i} 46))", [f"area {i + 1}"]) for i in range(4)]
    path = write_layer(outdir, "areas.gpkg", "GPKG", "Polygon", fields, rows, ["FID=id"])
    return QgsVectorLayer(f"{path}|layername=areas", "areas", "ogr")


def areas_shp(outdir):
    fields = [QgsField("label", QVariant.String), QgsField("size", QVariant.Int)]
    rows = [(f"POLYGON(({8 + i} 46, {8.1 + i} 46, {8.1 + i} 46.1, {8 + i} 46))", [f"parcel {i + 1}", i * 10])
            for i in range(5)]
    path = write_layer(outdir, "parcels.shp", "ESRI Shapefile", "Polygon", fields, rows)
    return QgsVectorLayer(path, "parcels", "ogr")


def table_csv(outdir):
    path = os.path.join(outdir, "visits.csv")
    with open(path, "w", encoding="utf-8") as file:
        file.write("site,visited,notes\nA,2026-01-02,first\nB,2026-01-03,second\nC,2026-01-04,third\n"
                   "D,2026-01-05,fourth\n")
    return QgsVectorLayer(path, "visits", "ogr")


def sites_csv_text(outdir):
    path = os.path.join(outdir, "sites.csv")
    with open(path, "w", encoding="utf-8") as file:
        file.write("name,x,y\nnorth,7.01,46.05\nsouth,7.02,45.95\n")
    uri = f"{QUrl.fromLocalFile(path).toString()}?delimiter=,&xField=x&yField=y&crs=EPSG:4326"
    return QgsVectorLayer(uri, "sites", "delimitedtext")


def dem_tif(outdir):
    from osgeo import gdal
    path = os.path.join(outdir, "dem.tif")
    raster = gdal.GetDriverByName("GTiff").Create(path, 20, 20, 1, gdal.GDT_Byte)
    raster.SetGeoTransform([7.0, 0.005, 0, 46.1, 0, -0.005])
    raster.SetProjection(WGS84.toWkt())
    raster.GetRasterBand(1).Fill(7)
    raster = None
    # A side file as GDAL keeps them (statistics, metadata), which must travel with the raster.
    with open(path + ".aux.xml", "w", encoding="utf-8") as file:
        file.write('<PAMDataset><Metadata><MDI key="SOURCE">fieldbase test</MDI></Metadata></PAMDataset>\n')
    return QgsRasterLayer(path, "dem", "gdal")


def visits_gpkg_code(outdir):
    fields = [QgsField("code", QVariant.String), QgsField("visited", QVariant.DateTime),
              QgsField("day", QVariant.Date), QgsField("starts", QVariant.Time), QgsField("count", QVariant.Int),
              QgsField("tag", QVariant.String)]
    rows = [(f"POINT({7.2 + i * 0.01} 46.2)",
             [f"V-{i + 1}", QDateTime(QDate(2026, 1, i + 2), QTime(10, 0), Qt.UTC), QDate(2026, 1, i + 2),
              QTime(8 + i, 30), i * 10, "abc"[i]]) for i in range(3)]
    path = write_layer(outdir, "visits.gpkg", "GPKG", "Point", fields, rows)
    from osgeo import ogr
    # A unique index: GDAL and QGIS report the column as unique, and SQLite refuses a second equal value.
    ogr.Open(path, 1).ExecuteSQL("CREATE UNIQUE INDEX visits_tag ON visits (tag)")
    layer = QgsVectorLayer(f"{path}|layername=visits", "visits", "ogr")
    # As QFieldSync marks a layer whose features are named by a column of their own.
    layer.setCustomProperty("QFieldSync/sourceDataPrimaryKeys", "code")
    return layer


def nested_gpkg(outdir):
    folder = os.path.join(outdir, "data", "survey")
    os.makedirs(folder, exist_ok=True)
    fields = [QgsField("label", QVariant.String)]
    rows = [(f"POINT({7.3 + i * 0.01} 46.3)", [f"nested {i + 1}"]) for i in range(2)]
    path = write_layer(folder, "nested.gpkg", "GPKG", "Point", fields, rows)
    return QgsVectorLayer(f"{path}|layername=nested", "nested", "ogr")


def postgres_password(_outdir):
    # Port 1: refused at once, so loading the project does not wait for a timeout.
    uri = ("dbname='field' host=127.0.0.1 port=1 user='surveyor' password='s3cret-pw' "
           "sslmode=disable key='id' srid=4326 type=Point table=\"public\".\"sites\" (geom)")
    return QgsVectorLayer(uri, "sites", "postgres")


def build(args):
    os.makedirs(args.outdir, exist_ok=True)
    project = QgsProject.instance()
    project.setCrs(WGS84)
    project.setTitle(args.title if args.title is not None else args.name)
    layer_ids, deleted = {}, []
    layer_actions = dict(item.split("=", 1) for item in split_list(args.layer_actions or ""))
    for kind in args.layers.split(","):
        if kind == "points_gpkg":
            layers = [("points_gpkg", points_gpkg(args.outdir))]
        elif kind == "lines_geojson":
            layers = [("lines_geojson", lines_geojson(args.outdir))]
        elif kind == "broken":
            layers = [("broken", points_gpkg(args.outdir, "broken.gpkg"))]
            deleted.append("broken.gpkg")
        elif kind in SIMPLE_KINDS:
            layers = [(kind, SIMPLE_KINDS[kind](args.outdir))]
        elif kind.startswith("big:"):
            layers = [("big", big_gpkg(args.outdir, int(kind.split(":", 1)[1])))]
        elif kind.startswith("many:"):
            count = int(kind.split(":", 1)[1])
            layers = [(f"many_{i:02d}", points_gpkg(args.outdir, f"many_{i:02d}.gpkg", i * 0.1))
                      for i in range(1, count + 1)]
        else:
            raise SystemExit(f"unknown layer kind {kind!r}")
        for key, layer in layers:
            action = layer_actions.get(key, args.cloud_action)
            if action:
                layer.setCustomProperty("QFieldSync/cloud_action", action)
            # The postgres layer is invalid on purpose; addMapLayer keeps invalid layers too.
            project.addMapLayer(layer)
            layer_ids[key] = layer.id()
    if args.attachment_dirs is not None:
        project.writeEntry("QFieldSync", "attachmentDirs", split_list(args.attachment_dirs))
    if args.data_dirs is not None:
        project.writeEntry("QFieldSync", "dataDirs", split_list(args.data_dirs))
    # What QGIS Desktop saves as the canvas extent when a person saves the project.
    valid = [layer for layer in project.mapLayers().values() if layer.isValid()]
    if valid and not args.no_view_extent:
        extent = valid[0].extent()
        for layer in valid[1:]:
            extent.combineExtentWith(layer.extent())
        extent.grow(0.01)
        project.viewSettings().setDefaultViewExtent(QgsReferencedRectangle(extent, WGS84))
    project_file = f"{args.name}.{args.format}"
    if not project.write(os.path.join(args.outdir, project_file)):
        raise SystemExit(f"writing the project failed: {project.error()}")
    project.clear()
    if args.future_xml:
        add_future_xml(os.path.join(args.outdir, project_file))
    for name in deleted:
        os.remove(os.path.join(args.outdir, name))
    files = sorted(
        os.path.relpath(os.path.join(root, name), args.outdir)
        for root, _, names in os.walk(args.outdir) for name in names
        # GeoPackage side files while open; gone after clear(), kept out in any case.
        if not name.endswith(("-wal", "-shm")))
    return {"project_file": project_file, "files": files, "layer_ids": layer_ids}


SIMPLE_KINDS = {"postgres_password": postgres_password, "areas_gpkg_id": areas_gpkg_id, "areas_shp": areas_shp,
                "table_csv": table_csv, "sites_csv_text": sites_csv_text, "dem_tif": dem_tif,
                "visits_gpkg_code": visits_gpkg_code, "nested_gpkg": nested_gpkg}
FUTURE_PROJECT_XML = '<fieldbaseFutureSettings version="9"><setting name="keep">kept by packages</setting></fieldbaseFutureSettings>'
FUTURE_LAYER_XML = '<fieldbaseFutureLayerThing mode="future"/>'


def add_future_xml(path):
    """What a newer QGIS might write: an element under <qgis> and one in every <maplayer>."""
    def edit(text):
        text = text.replace("</qgis>", FUTURE_PROJECT_XML + "</qgis>")
        return text.replace("</maplayer>", FUTURE_LAYER_XML + "</maplayer>")

    if path.endswith(".qgs"):
        with open(path, encoding="utf-8") as file:
            text = file.read()
        with open(path, "w", encoding="utf-8") as file:
            file.write(edit(text))
        return
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, edit(data.decode("utf-8")).encode("utf-8") if name.endswith(".qgs") else data)


def split_list(value):
    return [item for item in value.split(",") if item]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir")
    parser.add_argument("--format", choices=["qgs", "qgz"], default="qgs")
    parser.add_argument("--name", default="project")
    parser.add_argument("--title")
    parser.add_argument("--layers", default="points_gpkg,lines_geojson")
    parser.add_argument("--attachment-dirs")
    parser.add_argument("--data-dirs")
    parser.add_argument("--cloud-action")
    parser.add_argument("--layer-actions", help="kind=action,... QFieldSync/cloud_action per layer kind")
    parser.add_argument("--future-xml", action="store_true", help="add XML elements no QGIS knows")
    parser.add_argument("--no-view-extent", action="store_true",
                        help="save no canvas extent, as a project written by a script")
    args = parser.parse_args()
    print(json.dumps(build(args), ensure_ascii=False))
    sys.stdout.flush()
    exit_qgis()


if __name__ == "__main__":
    main()
