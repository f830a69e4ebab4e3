"""Printer URI schemes → driver factories (read by ``devices.registry``).

Common query parameters: ``profile`` (58mm|80mm, default 80mm), ``qr`` (native|raster, default
from the profile), ``encoding`` (gb18030|gbk|utf-8), ``charset`` (the printer font: gb2312|gbk|
gb18030), ``cut`` (full|partial|none), ``timeout`` (seconds per write, default 5) and
``status_timeout`` (seconds per DLE EOT answer, default 0.5).

``escpos-usb://0x0416:0x5011?in_ep=0x81&out_ep=0x01``, ``escpos-serial:///dev/ttyS0?baud=9600&dsrdtr=1``,
``escpos-tcp://host:9100``, ``escpos-file:///dev/usb/lp0``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from devices.base import Device, DeviceConfigError
from devices.printer.driver import DEFAULT_STATUS_TIMEOUT_S, EscposPrinter
from devices.printer.profiles import PrinterProfile, get_profile
from devices.printer.transport import (
    DEFAULT_TIMEOUT_S,
    FilePrinterTransport,
    PrinterTransport,
    SerialPrinterTransport,
    TcpPrinterTransport,
    UsbPrinterTransport,
)
from devices.registry import DeviceUri, DriverFactory


def profile_from_uri(uri: DeviceUri) -> PrinterProfile:
    """The printer profile named by the URI, with its overrides; DeviceConfigError when malformed."""
    try:
        profile = get_profile(uri.param("profile", "80mm"))
        qr = uri.params.get("qr")
        if qr not in (None, "native", "raster"):
            raise ValueError("printer option 'qr' must be native or raster")
        return profile.with_options(
            native_qr=None if qr is None else qr == "native",
            encoding=uri.params.get("encoding"),
            font_charset=uri.params.get("charset"),
            cut=uri.params.get("cut"),
        )
    except ValueError as exc:
        raise DeviceConfigError(str(exc)) from None


def _printer(uri: DeviceUri, transport: PrinterTransport) -> Device:
    return EscposPrinter(
        transport,
        profile_from_uri(uri),
        status_timeout_s=uri.float_param("status_timeout", DEFAULT_STATUS_TIMEOUT_S, minimum=0.01),
    )


def _timeout(uri: DeviceUri) -> float:
    return uri.float_param("timeout", DEFAULT_TIMEOUT_S, minimum=0.05)


def _usb(uri: DeviceUri) -> Device:
    try:
        vendor_text, product_text = uri.netloc.split(":")
        vendor, product = int(vendor_text, 16), int(product_text, 16)
        in_ep = int(uri.param("in_ep", "0x82"), 16)
        out_ep = int(uri.param("out_ep", "0x01"), 16)
    except ValueError:
        raise DeviceConfigError("escpos-usb URIs look like escpos-usb://0x0416:0x5011") from None
    return _printer(
        uri, UsbPrinterTransport(vendor, product, in_ep=in_ep, out_ep=out_ep, timeout_s=_timeout(uri))
    )


def _serial(uri: DeviceUri) -> Device:
    if not uri.path:
        raise DeviceConfigError("escpos-serial URIs need a device path: escpos-serial:///dev/ttyS0")
    transport = SerialPrinterTransport(
        uri.path,
        baud=uri.int_param("baud", 9600, minimum=300),
        dsrdtr=uri.bool_param("dsrdtr", True),
        timeout_s=_timeout(uri),
    )
    return _printer(uri, transport)


def _tcp(uri: DeviceUri) -> Device:
    host, _, port_text = uri.netloc.rpartition(":")
    if not host:
        host, port_text = uri.netloc, "9100"
    try:
        port = int(port_text)
    except ValueError:
        raise DeviceConfigError("escpos-tcp URIs look like escpos-tcp://host:9100") from None
    if not host or not 0 < port < 65536:
        raise DeviceConfigError("escpos-tcp URIs look like escpos-tcp://host:9100")
    return _printer(uri, TcpPrinterTransport(host, port, timeout_s=_timeout(uri)))


def _file(uri: DeviceUri) -> Device:
    if not uri.path:
        raise DeviceConfigError("escpos-file URIs need a path: escpos-file:///dev/usb/lp0")
    return _printer(uri, FilePrinterTransport(uri.path, timeout_s=_timeout(uri)))


def _sim(uri: DeviceUri) -> Device:
    from devices.printer.simulated import sim_printer

    return sim_printer(uri)


DRIVERS: Final[Mapping[str, DriverFactory]] = MappingProxyType(
    {
        "escpos-usb": _usb,
        "escpos-serial": _serial,
        "escpos-tcp": _tcp,
        "escpos-file": _file,
        "sim": _sim,
    }
)
