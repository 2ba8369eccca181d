"""package (spec §12): the offline copy of a project that QField downloads.

    /usr/bin/python3 package.py <workdir>

Reads <workdir>/job.json and the project under <workdir>/files/, writes the package into
<workdir>/package/ and <workdir>/result.json (its files in `package_files`); see docs/packages.md.
"""

import os
import shutil

from fieldbase_qgis.job import log, run_job

DATA_GPKG = "data.gpkg"
ONLINE, OFFLINE, COPY, REMOVE = "online", "offline", "copy", "remove"


def package(job) -> dict:
    job.start_qgis()
    # Imported once QGIS runs: these modules build QGIS objects at import time.
    from qgis.core import QgsMapLayerType, QgsProviderRegistry

    from fieldbase_qgis.layers import layers_by_id
    from fieldbase_qgis.offline_data import OfflineData
    from fieldbase_qgis.project import open_project
    from fieldbase_qgis.project_xml import ProjectXml

    project_file = job.input["project_file"]
    source_file = job.path_in_files(project_file)
    with job.step("project_validity_check", "Open the QGIS project file"):
        project = open_project(source_file, project_file).project
        xml = ProjectXml.read(source_file, project_file)
    project_dir = os.path.dirname(source_file)
    package_dir = os.path.join(job.workdir, "package")
    os.makedirs(package_dir, exist_ok=True)
    stem, extension = os.path.splitext(os.path.basename(project_file))
    package_file = f"{stem}_qfield{extension}"

    with job.step("package_project", "Copy the layers and their data into the package") as returns:
        data = OfflineData(os.path.join(package_dir, DATA_GPKG))
        counts = {ONLINE: 0, OFFLINE: 0, COPY: 0, REMOVE: 0, "read_only": 0}
        for layer in project.mapLayers().values():
            decoded = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source())
            path = decoded.get("path") or ""
            action = _action(layer, path, job.files_dir, layer.type() == QgsMapLayerType.VectorLayer)
            counts[action] += 1
            if action == REMOVE:
                xml.remove_layer(layer.id())
            elif action == COPY:
                _copy_with_side_files(path, project_dir, package_dir)
            elif action == OFFLINE:
                if layer.providerType() == "ogr":
                    table = data.copy_ogr(path, decoded.get("layerName") or "", decoded.get("layerId"))
                else:
                    table = data.copy_layer(layer)
                source = f"./{DATA_GPKG}|layername={table.table}"
                if decoded.get("subset"):
                    source += f"|subset={decoded['subset']}"
                xml.set_source(layer.id(), source, "ogr")
                xml.set_custom_properties(layer.id(), {
                    "remoteLayerId": layer.id(),
                    "QFieldSync/remoteLayerId": layer.id(),
                    "QFieldSync/sourceDataPrimaryKeys": table.key,
                    "isOfflineEditable": bool(table.key),
                })
                if not table.key:
                    # QField's edits could not be matched to the source's features: look, don't touch.
                    xml.set_read_only(layer.id())
                    counts["read_only"] += 1
        returns.update(counts)
        data_dirs, _ = project.readListEntry("QFieldSync", "dataDirs", [])
        project.clear()
        for folder in data_dirs:
            source = os.path.normpath(os.path.join(project_dir, folder))
            if os.path.isdir(source) and _inside(source, project_dir):
                shutil.copytree(source, os.path.join(package_dir, os.path.relpath(source, project_dir)),
                                dirs_exist_ok=True)
        # The auxiliary storage (labels moved by hand…) beside a .qgs; a .qgz carries its own.
        auxiliary = os.path.join(project_dir, stem + ".qgd")
        if extension.lower() == ".qgs" and os.path.isfile(auxiliary):
            shutil.copyfile(auxiliary, os.path.join(package_dir, f"{stem}_qfield.qgd"))
        xml.write(os.path.join(package_dir, package_file))

    with job.step("qgis_layers_data", "Open the package and read its layers"):
        packaged = open_project(os.path.join(package_dir, package_file), package_file).project
        job.outputs["qgis_layers_data"] = {"layers_by_id": layers_by_id(packaged, package_dir)}
        packaged.clear()

    return {"package_files": _package_files(package_dir)}


def _action(layer, path: str, files_dir: str, is_vector: bool) -> str:
    action = layer.customProperty("QFieldSync/cloud_action") or OFFLINE
    if action == REMOVE:
        return REMOVE
    if not path or not _inside(os.path.abspath(path), files_dir) or not os.path.exists(path):
        # Online sources (PostGIS, WFS…), and files the project does not hold: as they are.
        return ONLINE
    if is_vector and action == OFFLINE and layer.isValid():
        return OFFLINE
    # copy, no_action, and what only a vector layer can be taken offline as (rasters…).
    return COPY


def _copy_with_side_files(path: str, project_dir: str, package_dir: str) -> None:
    """The layer's file and those sharing its stem (.shx/.dbf/.prj, .aux.xml, .ovr…), at the same relative place."""
    path = os.path.abspath(path)
    if not _inside(path, project_dir):
        log(f"{path} is outside the project's folder: not in the package")
        return
    target_dir = os.path.join(package_dir, os.path.relpath(os.path.dirname(path), project_dir))
    os.makedirs(target_dir, exist_ok=True)
    if os.path.isdir(path):
        shutil.copytree(path, os.path.join(target_dir, os.path.basename(path)), dirs_exist_ok=True)
        return
    folder, name = os.path.split(path)
    stem = os.path.splitext(name)[0]
    for candidate in os.listdir(folder):
        if (candidate == name or candidate.startswith(stem + ".")) and os.path.isfile(os.path.join(folder, candidate)):
            shutil.copyfile(os.path.join(folder, candidate), os.path.join(target_dir, candidate))


def _package_files(package_dir: str) -> list:
    files = []
    for root, _, names in os.walk(package_dir):
        for name in names:
            file = os.path.join(root, name)
            if name.endswith(("-wal", "-shm", "-journal")):
                # SQLite's side files of a GeoPackage QGIS had open; the package is complete without them.
                os.remove(file)
                continue
            files.append(os.path.relpath(file, package_dir).replace(os.sep, "/"))
    return sorted(files)


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([os.path.abspath(path), os.path.abspath(folder)]) == os.path.abspath(folder)


if __name__ == "__main__":
    run_job(package, {"package_files": []})
