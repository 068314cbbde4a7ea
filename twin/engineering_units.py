"""Engineering units as OPC UA ``EUInformation`` with UNECE Rec. 20 common codes.

OPC UA (Part 8) encodes a UNECE common code of up to three ASCII characters into
``UnitId`` by packing the characters big-endian into an Int32.

Examples
--------
>>> unece_unit_id("CEL")
4408652
>>> eu_information("°C").DisplayName.Text
'°C'
>>> eu_information("furlong/fortnight").UnitId
-1
"""

from __future__ import annotations

from asyncua import ua

UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact"

#: Printed unit -> (UNECE common code, description). Units not listed get UnitId -1.
UNECE_CODES: dict[str, tuple[str, str]] = {
    "cm": ("CMT", "centimetre"),
    "mm": ("MMT", "millimetre"),
    "m": ("MTR", "metre"),
    "l": ("LTR", "litre"),
    "m³": ("MTQ", "cubic metre"),
    "l/min": ("L2", "litre per minute"),
    "mbar": ("MBR", "millibar"),
    "bar": ("BAR", "bar"),
    "°C": ("CEL", "degree Celsius"),
    "K": ("KEL", "kelvin"),
    "%": ("P1", "percent"),
    "W": ("WTT", "watt"),
    "kW": ("KWT", "kilowatt"),
    "s": ("SEC", "second"),
    "min": ("MIN", "minute"),
    "h": ("HUR", "hour"),
    "g/l": ("GL", "gram per litre"),
    "mg/l": ("M1", "milligram per litre"),
    "kg": ("KGM", "kilogram"),
    "g": ("GRM", "gram"),
    "rpm": ("RPM", "revolutions per minute"),
    "1": ("C62", "one (dimensionless)"),
    "pH": ("C62", "pH (dimensionless)"),
    "": ("C62", "one (dimensionless)"),
}


def unece_unit_id(code: str) -> int:
    """Pack a UNECE common code into the OPC UA ``UnitId`` integer."""
    unit_id = 0
    for char in code:
        unit_id = (unit_id << 8) | ord(char)
    return unit_id


def eu_information(unit: str) -> ua.EUInformation:
    """``EUInformation`` for a printed unit such as ``"l/min"``."""
    code, description = UNECE_CODES.get(unit, ("", unit))
    return ua.EUInformation(
        NamespaceUri=UNECE_NAMESPACE,
        UnitId=unece_unit_id(code) if code else -1,
        DisplayName=ua.LocalizedText(unit),
        Description=ua.LocalizedText(description),
    )
