"""Builds a real QGIS project with real layer files, for the tests and the bench.

    make_project.py <outdir> [--format qgs|qgz] [--name <stem>] [--title <t>] [--layers <kinds>]
                    [--attachment-dirs a,b] [--data-dirs a,b] [--cloud-action <action>]
                    [--no-view-extent]

Layer kinds: points_gpkg, lines_geojson, broken (its file is deleted after saving), many:<n> (n
GeoPackages), postgres_password (a PostGIS layer whose datasource holds a user and password; nothing
listens on its port, so it is invalid). Prints one JSON line: the project file, every file written
(relative to outdir) and the layer ids by kind.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fieldbase_qgis.app import exit_qgis, start_qgis  # noqa: E402

start_qgis()

from qgis.core import (  # noqa: E402
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsField,
    QgsGeometry,
    QgsProject,
    QgsReferencedRectangle,
    QgsVectorFileWriter,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDate, QVariant  # noqa: E402

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")


def write_layer(outdir, filename, driver, geometry, fields, rows):
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


def lines_geojson(outdir):
    fields = [QgsField("kind", QVariant.String)]
    rows = [("LINESTRING(7.0 46.0, 7.05 46.05)", ["path"]), ("LINESTRING(7.02 46.0, 7.02 46.03)", ["road"])]
    path = write_layer(outdir, "lines.geojson", "GeoJSON", "LineString", fields, rows)
    return QgsVectorLayer(path, "lines", "ogr")


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
    for kind in args.layers.split(","):
        if kind == "points_gpkg":
            layers = [("points_gpkg", points_gpkg(args.outdir))]
        elif kind == "lines_geojson":
            layers = [("lines_geojson", lines_geojson(args.outdir))]
        elif kind == "broken":
            layers = [("broken", points_gpkg(args.outdir, "broken.gpkg"))]
            deleted.append("broken.gpkg")
        elif kind == "postgres_password":
            layers = [("postgres_password", postgres_password(args.outdir))]
        elif kind.startswith("many:"):
            count = int(kind.split(":", 1)[1])
            layers = [(f"many_{i:02d}", points_gpkg(args.outdir, f"many_{i:02d}.gpkg", i * 0.1))
                      for i in range(1, count + 1)]
        else:
            raise SystemExit(f"unknown layer kind {kind!r}")
        for key, layer in layers:
            if args.cloud_action:
                layer.setCustomProperty("QFieldSync/cloud_action", args.cloud_action)
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
    for name in deleted:
        os.remove(os.path.join(args.outdir, name))
    files = sorted(
        os.path.relpath(os.path.join(root, name), args.outdir)
        for root, _, names in os.walk(args.outdir) for name in names
        # GeoPackage side files while open; gone after clear(), kept out in any case.
        if not name.endswith(("-wal", "-shm")))
    return {"project_file": project_file, "files": files, "layer_ids": layer_ids}


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
    parser.add_argument("--no-view-extent", action="store_true",
                        help="save no canvas extent, as a project written by a script")
    args = parser.parse_args()
    print(json.dumps(build(args), ensure_ascii=False))
    sys.stdout.flush()
    exit_qgis()


if __name__ == "__main__":
    main()
