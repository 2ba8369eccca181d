"""Helpers shared by Fieldbase's QGIS job scripts (run with Debian's python3-qgis).

Nothing here reads the server's configuration: a job gets its inputs from its work folder only.
"""
