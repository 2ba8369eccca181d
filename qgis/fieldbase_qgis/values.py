"""Attribute values between the JSON QField pushes and QGIS: converting them, and comparing them as values.

QField writes a QDate as "2026-01-02", a QDateTime as "2026-01-02T10:00:00.000" (with "Z" or an offset
when it has a time zone), numbers as JSON numbers and NULL as null; what a data source gives back may be
a QDate, a string, an integer where a numeric string was pushed... Comparing the texts would report
conflicts where nothing changed.
"""

import math
import re

from qgis.core import QgsField
from qgis.PyQt.QtCore import QByteArray, QDate, QDateTime, Qt, QTime, QVariant

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}


def is_null(value) -> bool:
    if value is None:
        return True
    if isinstance(value, QVariant):
        return value.isNull()
    if isinstance(value, (QDate, QDateTime, QTime)):
        return value.isNull() or not value.isValid()
    return isinstance(value, float) and math.isnan(value)


def to_json(value):
    """A value read from QGIS as QField would write it."""
    if is_null(value):
        return None
    if isinstance(value, QDate):
        return value.toString(Qt.ISODate)
    if isinstance(value, (QDateTime, QTime)):
        return value.toString(Qt.ISODateWithMs)
    if isinstance(value, QByteArray):
        return bytes(value).hex()
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    return str(value)


def to_field_value(field: QgsField, value):
    """The pushed value as the field stores it; ValueError when it does not fit."""
    if value is None:
        return None
    kind = field.type()
    if isinstance(value, str) and kind in (QVariant.Date, QVariant.DateTime, QVariant.Time):
        parsed = parse_temporal(value)
        if parsed is None:
            raise ValueError(f'"{value}" is not an ISO date or time')
        if kind == QVariant.Date and isinstance(parsed, QDateTime):
            return parsed.date()
        if kind == QVariant.DateTime and isinstance(parsed, QDate):
            return QDateTime(parsed, QTime(0, 0), Qt.UTC)
        if isinstance(parsed, QDateTime) and parsed.timeSpec() != Qt.LocalTime:
            # Data sources keep the clock time and drop the zone (GeoPackage through QGIS): store it in UTC.
            return parsed.toUTC()
        if (kind == QVariant.Time) != isinstance(parsed, QTime):
            raise ValueError(f'"{value}" does not fit a {field.typeName()} field')
        return parsed
    if kind in (QVariant.Int, QVariant.LongLong, QVariant.UInt, QVariant.ULongLong) and isinstance(value, float) \
            and not value.is_integer():
        # QGIS would round it: the data would no longer be what was pushed.
        raise ValueError(f"{value} is not a whole number")
    return field.convertCompatible(value)


def parse_temporal(text: str):
    """A QDate, QDateTime or QTime from an ISO text, or None."""
    text = text.strip()
    if _DATE.match(text):
        date = QDate.fromString(text, Qt.ISODate)
        return date if date.isValid() else None
    if _DATETIME.match(text):
        moment = QDateTime.fromString(text.replace(" ", "T", 1), Qt.ISODateWithMs)
        return moment if moment.isValid() else None
    if _TIME.match(text):
        time = QTime.fromString(text, Qt.ISODateWithMs)
        return time if time.isValid() else None
    return None


def same_value(pushed, current) -> bool:
    """Whether the value a device saw (pushed, JSON) is the one the data holds now (current, from QGIS)."""
    if is_null(pushed) or is_null(current):
        return is_null(pushed) and is_null(current)
    if isinstance(current, (QDate, QDateTime, QTime)):
        return _same_moment(pushed, current)
    if isinstance(current, bool) or isinstance(pushed, bool):
        return _as_bool(pushed) is not None and _as_bool(pushed) == _as_bool(current)
    if isinstance(current, (int, float)) or isinstance(pushed, (int, float)):
        return _same_number(pushed, current)
    if isinstance(current, str) and isinstance(pushed, str):
        # Text columns holding dates (GeoJSON, CSV) written by another program than QField.
        return current == pushed or (parse_temporal(current) is not None and _same_moment(pushed, parse_temporal(current)))
    return to_json(current) == pushed


def _same_moment(pushed, current) -> bool:
    if not isinstance(pushed, str):
        return False
    parsed = parse_temporal(pushed)
    if parsed is None:
        return False
    if isinstance(current, QTime) or isinstance(parsed, QTime):
        return isinstance(current, QTime) and isinstance(parsed, QTime) and current == parsed
    if isinstance(current, QDate) or isinstance(parsed, QDate):
        # A date against a date and time: the day is what a date field can tell.
        return _day(current) == _day(parsed)
    return _instant(current) == _instant(parsed)


def _day(value) -> QDate:
    return value if isinstance(value, QDate) else _as_utc(value).date()


def _instant(value: QDateTime) -> int:
    return _as_utc(value).toMSecsSinceEpoch()


def _as_utc(value: QDateTime) -> QDateTime:
    # A time without zone is read as UTC on both sides, whatever zone this machine is in.
    if value.timeSpec() == Qt.LocalTime:
        return QDateTime(value.date(), value.time(), Qt.UTC)
    return value.toUTC()


def _as_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else None
    return None


def _same_number(pushed, current) -> bool:
    a, b = _as_number(pushed), _as_number(current)
    if a is None or b is None:
        return False
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def _as_number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            return None
    return None
