"""A project's XML, edited in place and written under a new name (spec §12).

QgsProject.write() of QGIS 3.22 drops what it does not know (a project saved by a newer QGIS loses
settings), so a package's project file is the original document with only the package's changes:
datasources, providers, custom properties, read-only flags and removed layers. Everything else, even
elements no QGIS here understands, passes through unchanged.
"""

import os
import zipfile

from qgis.PyQt.QtCore import QByteArray
from qgis.PyQt.QtXml import QDomDocument, QDomElement

from .job import JobError


class ProjectXml:
    def __init__(self, document: QDomDocument, extra_members: dict):
        self.document = document
        # Other members of a .qgz (the .qgd auxiliary storage), by extension.
        self.extra_members = extra_members

    @classmethod
    def read(cls, path: str, shown_name: str) -> "ProjectXml":
        extra = {}
        if path.lower().endswith(".qgz"):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                qgs = [name for name in names if name.lower().endswith(".qgs")]
                if len(qgs) != 1:
                    raise JobError("INVALID_PROJECT_FILE", f'"{shown_name}" does not hold exactly one .qgs file')
                data = archive.read(qgs[0])
                for name in names:
                    if name != qgs[0]:
                        extra[os.path.splitext(name)[1].lower()] = archive.read(name)
        else:
            with open(path, "rb") as file:
                data = file.read()
        document = QDomDocument()
        parsed = document.setContent(QByteArray(data))
        if not parsed[0] or document.documentElement().tagName() != "qgis":
            raise JobError("INVALID_PROJECT_FILE", f'"{shown_name}" is not a QGIS project')
        return cls(document, extra)

    def write(self, path: str) -> None:
        """Writes a .qgs, or a .qgz holding `<stem>.qgs` (and `<stem>.qgd`) when path ends in .qgz."""
        data = bytes(self.document.toByteArray(2))
        if not path.lower().endswith(".qgz"):
            with open(path, "wb") as file:
                file.write(data)
            return
        stem = os.path.splitext(os.path.basename(path))[0]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(stem + ".qgs", data)
            for extension, member in self.extra_members.items():
                archive.writestr(stem + extension, member)

    def layer(self, layer_id: str) -> QDomElement:
        for element in self._elements("maplayer"):
            if _text(element, "id") == layer_id:
                return element
        return QDomElement()

    def set_source(self, layer_id: str, datasource: str, provider: str) -> None:
        element = self.layer(layer_id)
        _set_text(element, "datasource", datasource)
        _set_text(element, "provider", provider)
        element.firstChildElement("provider").setAttribute("encoding", "UTF-8")
        # The layer tree repeats both; QGIS reads the layer's, QField and old QGIS may read these.
        for node in self._elements("layer-tree-layer"):
            if node.attribute("id") == layer_id:
                node.setAttribute("source", datasource)
                node.setAttribute("providerKey", provider)

    def set_read_only(self, layer_id: str) -> None:
        self.layer(layer_id).setAttribute("readOnly", "1")

    def set_custom_properties(self, layer_id: str, properties: dict) -> None:
        element = self.layer(layer_id)
        container = element.firstChildElement("customproperties")
        if container.isNull():
            container = element.appendChild(self.document.createElement("customproperties")).toElement()
        legacy = not container.firstChildElement("property").isNull()
        if legacy:
            # Projects of QGIS < 3.20 keep <property key value/> elements.
            for key, value in properties.items():
                self._remove_children(container, "property", lambda child: child.attribute("key") == key)
                prop = self.document.createElement("property")
                prop.setAttribute("key", key)
                prop.setAttribute("value", _option_value(value))
                container.appendChild(prop)
            return
        options = container.firstChildElement("Option")
        if options.isNull():
            options = container.appendChild(self.document.createElement("Option")).toElement()
        options.setAttribute("type", "Map")
        for key, value in properties.items():
            self._remove_children(options, "Option", lambda child: child.attribute("name") == key)
            option = self.document.createElement("Option")
            option.setAttribute("name", key)
            option.setAttribute("type", "bool" if isinstance(value, bool) else "QString")
            option.setAttribute("value", _option_value(value))
            options.appendChild(option)

    def remove_layer(self, layer_id: str) -> None:
        """Removes the layer and every reference to it by id: layer tree, layer order, snapping, map themes,
        the tree's custom order and id lists among the project's properties."""
        layer = self.layer(layer_id)
        if not layer.isNull():
            layer.parentNode().removeChild(layer)
        for tag in ("layer-tree-layer", "layer", "layer-setting", "legendlayer"):
            for element in self._elements(tag):
                if element.attribute("id") == layer_id:
                    element.parentNode().removeChild(element)
        for tag in ("item", "value"):
            for element in self._elements(tag):
                if element.firstChildElement().isNull() and element.text() == layer_id:
                    element.parentNode().removeChild(element)

    def _elements(self, tag: str) -> list:
        nodes = self.document.elementsByTagName(tag)
        return [nodes.at(i).toElement() for i in range(nodes.count())]

    @staticmethod
    def _remove_children(parent: QDomElement, tag: str, matches) -> None:
        child = parent.firstChildElement(tag)
        while not child.isNull():
            following = child.nextSiblingElement(tag)
            if matches(child):
                parent.removeChild(child)
            child = following


def _text(element: QDomElement, tag: str) -> str:
    return element.firstChildElement(tag).text()


def _set_text(element: QDomElement, tag: str, text: str) -> None:
    child = element.firstChildElement(tag)
    if child.isNull():
        child = element.appendChild(element.ownerDocument().createElement(tag)).toElement()
    while child.hasChildNodes():
        child.removeChild(child.firstChild())
    child.appendChild(element.ownerDocument().createTextNode(text))


def _option_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
