"""Applying QField's deltas to the layers of a project (spec §11.3); see docs/deltas-applying.md.

Each layer gets one edit session for the whole job and is committed once. Inside it every delta is one
edit command: a delta that fails is undone (destroyEditCommand) before the next one, so it changes
nothing, while the deltas before and after it stay.
"""

import json
import os
import re
import traceback

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCsException,
    QgsFeature,
    QgsFeatureRequest,
    QgsFieldConstraints,
    QgsFields,
    QgsGeometry,
    QgsMapLayerType,
    QgsProject,
    QgsProviderRegistry,
    QgsVectorLayer,
    QgsWkbTypes,
)

from .job import JobError, log
from .values import is_null, to_field_value, to_json, same_value

APPLIED, CONFLICT, NOT_APPLIED, ERROR = "applied", "conflict", "not_applied", "error"
KEY_PROPERTY = "QFieldSync/sourceDataPrimaryKeys"
# QField writes the Z of a point captured without one as "nan", which QGIS cannot parse.
_NAN = re.compile(r"(?<![\w.])[-+]?nan(?![\w.])", re.IGNORECASE)


class Refused(Exception):
    """A delta that ends without changing anything: its status, message and conflicts."""

    def __init__(self, status: str, msg: str, conflicts=None):
        super().__init__(msg)
        self.status = status
        self.conflicts = conflicts or []


def feedback(delta_id, status: str, msg: str, conflicts=None, modified_pk=None) -> dict:
    return {"delta_id": delta_id, "status": status, "msg": msg, "conflicts": conflicts or [],
            "modified_pk": modified_pk}


class Target:
    """A layer the deltas edit: its edit session, its key, and the features this job created in it."""

    def __init__(self, layer: QgsVectorLayer, path: str):
        self.layer = layer
        self.path = path
        self.name = layer.name()
        self.fields: QgsFields = layer.fields()
        key = layer.customProperty(KEY_PROPERTY) or ""
        primary = layer.primaryKeyAttributes()
        if not key:
            key = self.fields.at(primary[0]).name() if len(primary) == 1 else "fid"
        self.key = key
        self.key_index = self.fields.indexFromName(key)
        provider = layer.dataProvider()
        if self.key_index >= 0:
            # A GeoPackage's fid column holds QGIS's feature ids (OGR reports it as the primary key).
            self.key_is_fid = layer.providerType() == "ogr" and self.key_index in primary
            self.generated = bool(provider.defaultValueClause(self.key_index))
        else:
            # No such column: "fid" means the feature ids OGR numbers the features with (GeoJSON, shapefile),
            # which the package keeps in a fid column.
            self.key_is_fid = key.lower() == "fid"
            self.generated = self.key_is_fid
        self.editing = False
        # field index -> {value: [feature ids that have or had it]}
        self.indexes = {}
        self.applied = 0
        # (client_id, localLayerId, localPk) -> feature id, for creates of this job; None when it failed.
        self.created = {}
        # [(feedback of a create, feature id in the edit buffer)], for modified_pk after the commit.
        self.pending_keys = []

    def start(self) -> None:
        if not self.editing:
            if not self.layer.startEditing():
                raise Refused(ERROR, f'Layer "{self.name}" cannot be edited: {_provider_errors(self.layer)}')
            self.editing = True

    def find_by_key(self, key):
        """The feature with this key as the edit session sees it, or None; several: refused."""
        if self.key_is_fid:
            try:
                fid = int(str(key).strip())
            except ValueError:
                return None
            feature = self.layer.getFeature(fid)
            return feature if feature.isValid() else None
        found = self.features_with(self.key_index, key)
        if len(found) > 1:
            raise Refused(ERROR, f'Layer "{self.name}" has several features with {self.key} = {to_json(key)!r}')
        return found[0] if found else None

    def features_with(self, index: int, value) -> list:
        """The features whose field `index` holds value now, in the edit session."""
        wanted = _index_key(value)
        found = []
        for fid in dict.fromkeys(self._index(index).get(wanted, [])):
            feature = self.layer.getFeature(fid)
            if feature.isValid() and _index_key(feature.attribute(index)) == wanted:
                found.append(feature)
        return found

    def note_values(self, fid, values: dict) -> None:
        """Feature fid now has these {field index: value}; features_with checks a noted value still holds."""
        for index, value in values.items():
            if index in self.indexes and not is_null(value):
                self.indexes[index].setdefault(_index_key(value), []).append(fid)

    def _index(self, index: int) -> dict:
        """Feature ids by the values of one field, read once: a query per delta would scan the table each time."""
        if index not in self.indexes:
            values = {}

            def note(value, fid):
                if not is_null(value):
                    values.setdefault(_index_key(value), []).append(fid)

            request = QgsFeatureRequest().setFlags(QgsFeatureRequest.NoGeometry).setSubsetOfAttributes([index])
            for feature in self.layer.dataProvider().getFeatures(request):
                note(feature.attribute(index), feature.id())
            # What the edit session holds and the data does not yet.
            for fid, feature in self.layer.editBuffer().addedFeatures().items():
                note(feature.attribute(index), fid)
            for fid, changed in self.layer.editBuffer().changedAttributeValues().items():
                if index in changed:
                    note(changed[index], fid)
            self.indexes[index] = values
        return self.indexes[index]


class DeltaApplier:
    def __init__(self, project: QgsProject, files_dir: str, overwrite_conflicts: bool, created_features: list,
                 on_open=None):
        self.project = project
        # Called with a layer's file before its first edit (the job notes what the file was).
        self.on_open = on_open
        self.files_dir = os.path.realpath(files_dir)
        self.overwrite_conflicts = overwrite_conflicts
        # Features earlier jobs created: (client_id, localLayerId, localPk) -> the key the source gave them.
        self.remembered = {(item.get("client_id"), item.get("layer_id"), str(item.get("local_pk"))):
                           str(item.get("modified_pk")) for item in created_features or []
                           if item.get("modified_pk") not in (None, "")}
        self.targets = {}

    # ---- one delta ----

    def apply(self, entry: dict) -> dict:
        delta_id = entry.get("id") if isinstance(entry, dict) else None
        try:
            delta = entry.get("content")
            if not isinstance(delta, dict):
                raise Refused(ERROR, "The delta is not a JSON object")
            method = delta.get("method")
            if method not in ("create", "patch", "delete"):
                raise Refused(ERROR, f"Unknown delta method {method!r}")
            target = self._target(delta)
            target.start()
            ref = (entry.get("client_id"), delta.get("localLayerId"), str(delta.get("localPk")))
            layer = target.layer
            layer.beginEditCommand(f"delta {delta_id}")
            try:
                result = getattr(self, "_" + method)(target, delta, ref)
            except BaseException:
                layer.destroyEditCommand()
                raise
            layer.endEditCommand()
            target.applied += 1
            outcome = feedback(delta_id, APPLIED, result["msg"], result.get("conflicts"))
            if method == "create":
                target.pending_keys.append((outcome, result["fid"]))
            return outcome
        except Refused as refused:
            self._forget_create(entry)
            return feedback(delta_id, refused.status, str(refused), refused.conflicts)
        except Exception as error:  # noqa: BLE001
            # A delta this code did not foresee fails alone, rather than failing (and retrying) all of the job's.
            log("delta " + str(delta_id) + " failed:\n" + traceback.format_exc())
            self._forget_create(entry)
            return feedback(delta_id, ERROR, f"Unexpected failure: {type(error).__name__}: {error}")

    def _create(self, target: Target, delta: dict, ref) -> dict:
        new = _part(delta, "new")
        layer, fields = target.layer, target.fields
        geometry = self._geometry(target, delta, new.get("geometry"))
        values = self._values(target, new.get("attributes"))
        if target.key_index >= 0 and not target.generated and is_null(values.get(target.key_index)):
            raise Refused(ERROR, f'The new feature has no value for the key "{target.key}"')
        self._check_unique(target, values, None)
        feature = QgsFeature(fields)
        for index in range(fields.count()):
            if index in values:
                feature.setAttribute(index, values[index])
            elif index != target.key_index or not target.generated:
                feature.setAttribute(index, _default(layer, index))
        self._check_not_null(target, feature)
        feature.setGeometry(geometry if geometry is not None else QgsGeometry())
        if not layer.addFeature(feature):
            raise Refused(ERROR, f'Layer "{target.name}" refused the new feature: {_provider_errors(layer)}')
        target.created[ref] = feature.id()
        target.note_values(feature.id(), dict(enumerate(feature.attributes())))
        return {"msg": f'Created a feature in layer "{target.name}"', "fid": feature.id()}

    def _patch(self, target: Target, delta: dict, ref) -> dict:
        new, old = _part(delta, "new"), _part(delta, "old", required=False)
        feature = self._find(target, delta, ref)
        conflicts = self._conflicts(target, feature, old, new)
        layer = target.layer
        if "geometry" in new:
            geometry = self._geometry(target, delta, new["geometry"])
            if not layer.changeGeometry(feature.id(), geometry if geometry is not None else QgsGeometry(), True):
                raise Refused(ERROR, f'Layer "{target.name}" refused the geometry: {_provider_errors(layer)}')
        values = self._values(target, new.get("attributes"))
        if values:
            checked = QgsFeature(feature)
            for index, value in values.items():
                checked.setAttribute(index, value)
            self._check_not_null(target, checked)
            self._check_unique(target, values, feature.id())
            olds = {index: feature.attribute(index) for index in values}
            if not layer.changeAttributeValues(feature.id(), values, olds, True):
                raise Refused(ERROR, f'Layer "{target.name}" refused the values: {_provider_errors(layer)}')
            target.note_values(feature.id(), values)
        return {"msg": _applied_msg(f"Changed {self._describe(target, feature)}", conflicts), "conflicts": conflicts}

    def _delete(self, target: Target, delta: dict, ref) -> dict:
        old = _part(delta, "old", required=False)
        feature = self._find(target, delta, ref)
        conflicts = self._conflicts(target, feature, old, {})
        described = self._describe(target, feature)
        if not target.layer.deleteFeature(feature.id()):
            raise Refused(ERROR, f'Layer "{target.name}" refused to delete the feature: {_provider_errors(target.layer)}')
        return {"msg": _applied_msg(f"Deleted {described}", conflicts), "conflicts": conflicts}

    # ---- layers, features, values ----

    def _target(self, delta: dict) -> Target:
        layer_id = delta.get("sourceLayerId") or delta.get("localLayerId")
        if not isinstance(layer_id, str) or not layer_id:
            raise Refused(ERROR, "The delta names no layer (sourceLayerId and localLayerId are empty)")
        if layer_id in self.targets:
            target = self.targets[layer_id]
            if isinstance(target, Refused):
                raise target
            return target
        try:
            target = self._open_target(layer_id)
        except Refused as refused:
            self.targets[layer_id] = refused
            raise
        self.targets[layer_id] = target
        return target

    def _open_target(self, layer_id: str) -> Target:
        layer = self.project.mapLayer(layer_id)
        if layer is None:
            raise Refused(ERROR, f'The project has no layer with id "{layer_id}"')
        if layer.type() != QgsMapLayerType.VectorLayer:
            raise Refused(ERROR, f'Layer "{layer.name()}" is not a vector layer')
        if not layer.isValid():
            raise Refused(ERROR, f'Layer "{layer.name()}" cannot be opened: its data is missing or unreadable')
        path = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source()).get("path") or ""
        real = os.path.realpath(path) if path else ""
        if not real or os.path.commonpath([real, self.files_dir]) != self.files_dir or not os.path.isfile(real):
            # Databases and files elsewhere on this machine are not the project's to change.
            raise Refused(ERROR, f'Layer "{layer.name()}" is not stored in a file of the project')
        if layer.readOnly():
            raise Refused(ERROR, f'Layer "{layer.name()}" is read-only in the project')
        if self.on_open:
            self.on_open(real)
        return Target(layer, real)

    def _find(self, target: Target, delta: dict, ref) -> QgsFeature:
        if ref in target.created:
            fid = target.created[ref]
            if fid is None:
                raise Refused(NOT_APPLIED, "The feature was not created: its create delta failed")
            feature = target.layer.getFeature(fid)
            if not feature.isValid():
                raise Refused(NOT_APPLIED, f'The feature created by this device no longer exists in layer "{target.name}"')
            return feature
        key = self.remembered.get(ref)
        if key is None:
            key = delta.get("sourcePk")
        if key is None or key == "":
            raise Refused(NOT_APPLIED, "The delta names no feature (sourcePk is empty)")
        if target.key_index < 0 and not target.key_is_fid:
            raise Refused(ERROR, f'Layer "{target.name}" has no field "{target.key}" to find features by')
        if target.key_index >= 0 and not target.key_is_fid:
            try:
                key = to_field_value(target.fields.at(target.key_index), key)
            except ValueError:
                key = None
        feature = target.find_by_key(key) if key is not None else None
        if feature is None:
            raise Refused(NOT_APPLIED, f'Layer "{target.name}" has no feature with {target.key} = {str(delta.get("sourcePk"))!r}'
                          if ref not in self.remembered else
                          f'Layer "{target.name}" no longer has the feature this device created '
                          f'({target.key} = {self.remembered[ref]})')
        return feature

    def _describe(self, target: Target, feature: QgsFeature) -> str:
        if feature.id() < 0:
            # Still in the edit buffer: the source gives it its key at the commit.
            return "the feature created earlier in this job"
        if target.key_is_fid or target.key_index < 0:
            return f"the feature {target.key} = {feature.id()}"
        return f"the feature {target.key} = {to_json(feature.attribute(target.key_index))!r}"

    def _values(self, target: Target, attributes) -> dict:
        """{field index: value} of pushed attributes; the source's own generated key is left to it."""
        if attributes is None:
            return {}
        if not isinstance(attributes, dict):
            raise Refused(ERROR, "The delta's attributes are not a JSON object")
        values = {}
        for name, value in attributes.items():
            if name == target.key and target.generated:
                # The device's own key for the feature; the source numbers its features itself.
                continue
            index = target.fields.indexFromName(name)
            if index < 0:
                raise Refused(ERROR, f'Layer "{target.name}" has no field "{name}"')
            if target.fields.fieldOrigin(index) != QgsFields.OriginProvider:
                raise Refused(ERROR, f'Field "{name}" of layer "{target.name}" is not stored in its data')
            field = target.fields.at(index)
            try:
                values[index] = to_field_value(field, value)
            except ValueError as error:
                raise Refused(ERROR, f'Value {value!r} does not fit field "{name}" ({field.typeName()}): {error}')
        return values

    def _check_not_null(self, target: Target, feature: QgsFeature) -> None:
        # Checked here: the data source would only refuse at the commit, failing the whole layer.
        for index in range(target.fields.count()):
            field = target.fields.at(index)
            constraints = field.constraints()
            if (constraints.constraints() & QgsFieldConstraints.ConstraintNotNull
                    and constraints.constraintOrigin(QgsFieldConstraints.ConstraintNotNull)
                    == QgsFieldConstraints.ConstraintOriginProvider
                    and not (index == target.key_index and target.generated)
                    and is_null(feature.attribute(index))):
                raise Refused(ERROR, f'Field "{field.name()}" of layer "{target.name}" must have a value')

    def _check_unique(self, target: Target, values: dict, fid) -> None:
        """The key, and the fields the data source keeps unique, get no value another feature has."""
        for index, value in values.items():
            if is_null(value) or (index == target.key_index and (target.generated or target.key_is_fid)):
                continue
            constraints = target.fields.at(index).constraints()
            if index != target.key_index and not (
                    constraints.constraints() & QgsFieldConstraints.ConstraintUnique
                    and constraints.constraintOrigin(QgsFieldConstraints.ConstraintUnique)
                    == QgsFieldConstraints.ConstraintOriginProvider):
                continue
            if any(other.id() != fid for other in target.features_with(index, value)):
                raise Refused(ERROR, f'Layer "{target.name}" already has a feature with '
                              f'{target.fields.at(index).name()} = {to_json(value)!r}')

    def _conflicts(self, target: Target, feature: QgsFeature, old: dict, new: dict) -> list:
        olds = old.get("attributes") or {}
        if not isinstance(olds, dict):
            raise Refused(ERROR, "The delta's old attributes are not a JSON object")
        news = new.get("attributes") or {}
        conflicts = []
        for name, expected in olds.items():
            index = target.fields.indexFromName(name)
            # The key: the device's own numbering for created features, and the feature was found by it.
            if index < 0 or name == target.key:
                continue
            current = feature.attribute(index)
            if not same_value(expected, current):
                conflicts.append({"field": name, "old": expected, "current": to_json(current),
                                  "new": news.get(name) if isinstance(news, dict) else None})
        if conflicts and not self.overwrite_conflicts:
            raise Refused(CONFLICT, "The feature changed on the server since the device read it: "
                          + ", ".join(_conflict_text(conflict) for conflict in conflicts), conflicts)
        return conflicts

    def _geometry(self, target: Target, delta: dict, wkt):
        """The pushed geometry in the layer's CRS and type; None for "no geometry"."""
        if wkt is None or (isinstance(wkt, str) and wkt.strip() == ""):
            return None
        if not isinstance(wkt, str):
            raise Refused(ERROR, "The geometry is not a WKT text")
        layer = target.layer
        if not layer.isSpatial():
            raise Refused(ERROR, f'Layer "{target.name}" has no geometry')
        geometry = QgsGeometry.fromWkt(_NAN.sub("0", wkt))
        if geometry.isNull():
            raise Refused(ERROR, f"The geometry is not valid WKT: {wkt[:200]!r}")
        if QgsWkbTypes.geometryType(geometry.wkbType()) != layer.geometryType():
            raise Refused(ERROR, f'A {QgsWkbTypes.displayString(geometry.wkbType())} does not fit layer '
                          f'"{target.name}" ({QgsWkbTypes.displayString(layer.wkbType())})')
        crs_text = delta.get("localLayerCrs")
        if isinstance(crs_text, str) and crs_text:
            crs = QgsCoordinateReferenceSystem(crs_text)
            if crs.isValid() and crs != layer.crs():
                try:
                    geometry.transform(QgsCoordinateTransform(crs, layer.crs(), self.project.transformContext()))
                except QgsCsException as error:
                    raise Refused(ERROR, f"The geometry cannot be moved to the layer's CRS: {error}")
        if geometry.wkbType() != layer.wkbType():
            # Single part into multi, 2D into 3D...: what the layer can store of it.
            coerced = geometry.coerceToType(layer.wkbType())
            if len(coerced) != 1:
                raise Refused(ERROR, f'The geometry does not fit layer "{target.name}" '
                              f'({QgsWkbTypes.displayString(layer.wkbType())})')
            geometry = coerced[0]
        return geometry

    def _forget_create(self, entry) -> None:
        """A failed create: later deltas of its feature must not land on another feature with the device's key."""
        delta = entry.get("content") if isinstance(entry, dict) else None
        if not isinstance(delta, dict) or delta.get("method") != "create":
            return
        target = self.targets.get(delta.get("sourceLayerId") or delta.get("localLayerId"))
        if isinstance(target, Target):
            target.created[(entry.get("client_id"), delta.get("localLayerId"), str(delta.get("localPk")))] = None

    # ---- the end of the job ----

    def commit(self) -> None:
        """Writes each edited layer once; fills modified_pk of the created features."""
        for target in self.targets.values():
            if not isinstance(target, Target) or not target.editing:
                continue
            layer = target.layer
            if target.applied == 0:
                layer.rollBack()
                continue
            # The edit buffer numbers new features -1, -2...; the commit adds them in that order.
            buffered = sorted(layer.editBuffer().addedFeatures().keys(), reverse=True)
            added = []
            layer.committedFeaturesAdded.connect(lambda _layer_id, features: added.extend(features))
            if not layer.commitChanges():
                errors = "; ".join(layer.commitErrors())
                layer.rollBack()
                # Part of the changes may be written: only a job failure keeps them from being stored.
                raise JobError("UNKNOWN", f'Saving the changes to layer "{target.name}" failed: {errors}')
            if len(added) != len(buffered):
                raise JobError("UNKNOWN", f'Layer "{target.name}" reported {len(added)} new features, '
                               f"{len(buffered)} were added")
            final_ids = {temporary: feature.id() for temporary, feature in zip(buffered, added)}
            for outcome, temporary in target.pending_keys:
                fid = final_ids.get(temporary)
                outcome["modified_pk"] = None if fid is None else self._key_of(target, fid)

    def _key_of(self, target: Target, fid):
        if target.key_is_fid or target.key_index < 0:
            return str(fid)
        value = to_json(target.layer.getFeature(fid).attribute(target.key_index))
        return None if value is None else str(value)

    def edited_paths(self) -> set:
        return {target.path for target in self.targets.values() if isinstance(target, Target) and target.applied}

    def opened_paths(self) -> set:
        return {target.path for target in self.targets.values() if isinstance(target, Target) and target.editing}


def _index_key(value) -> str:
    # Values of one field as text: QDate and dictionaries cannot be dictionary keys, 1 and "1" must differ.
    return json.dumps(to_json(value), sort_keys=True)


def _part(delta: dict, name: str, required: bool = True) -> dict:
    part = delta.get(name)
    if part is None and not required:
        return {}
    if not isinstance(part, dict):
        raise Refused(ERROR, f'The delta\'s "{name}" is missing or not a JSON object')
    return part


def _default(layer: QgsVectorLayer, index: int):
    if layer.defaultValueDefinition(index).isValid():
        return layer.defaultValue(index)
    value = layer.dataProvider().defaultValue(index)
    return None if is_null(value) else value


def _applied_msg(done: str, conflicts: list) -> str:
    if not conflicts:
        return done
    return f"{done}, overwriting changes made on the server to " + ", ".join(f'"{c["field"]}"' for c in conflicts)


def _conflict_text(conflict: dict) -> str:
    return f'"{conflict["field"]}" is {conflict["current"]!r}, the device had {conflict["old"]!r}'


def _provider_errors(layer: QgsVectorLayer) -> str:
    provider = layer.dataProvider()
    errors = provider.errors() if provider is not None else []
    return "; ".join(errors[-3:]) or "no reason given"
