"""process_projectfile (spec §10.4): the project's details and thumbnail, read with QGIS.

    /usr/bin/python3 process_projectfile.py <workdir>

Reads <workdir>/job.json and the project under <workdir>/files/, writes <workdir>/result.json
(and thumbnail.png); see docs/worker.md.
"""

import os

from fieldbase_qgis.job import run_job

THUMBNAIL = "thumbnail.png"


def process(job) -> dict:
    job.start_qgis()
    # Imported once QGIS runs: these modules build QGIS objects at import time.
    from fieldbase_qgis.layers import layers_by_id, ordered_layer_ids
    from fieldbase_qgis.project import extent_wkt_wgs84, open_project, view_extent
    from fieldbase_qgis.thumbnail import render_thumbnail

    project_file = job.input["project_file"]
    with job.step("project_validity_check", "Open the QGIS project file"):
        opened = open_project(job.path_in_files(project_file), project_file)
    project = opened.project
    with job.step("qgis_project_details", "Read the project's details") as returns:
        extent = view_extent(opened)
        attachment_dirs, _ = project.readListEntry("QFieldSync", "attachmentDirs", ["DCIM"])
        data_dirs, _ = project.readListEntry("QFieldSync", "dataDirs", [])
        details = {
            "project_name": project.title(),
            "crs": project.crs().authid(),
            "extent": extent_wkt_wgs84(project, extent),
            "qgis_version": project.lastSaveVersion().text(),
            "attachment_dirs": attachment_dirs,
            "data_dirs": data_dirs,
            "ordered_layer_ids": ordered_layer_ids(project),
            "layers_by_id": layers_by_id(project, job.files_dir),
        }
        returns["layer_count"] = len(details["layers_by_id"])
        job.outputs["qgis_project_details"] = details
    with job.step("generate_thumbnail_image", "Render the thumbnail"):
        render_thumbnail(project, extent, os.path.join(job.workdir, THUMBNAIL))
    project.clear()
    return {"project_details": details, "thumbnail": THUMBNAIL}


if __name__ == "__main__":
    run_job(process, {"project_details": None, "thumbnail": None})
