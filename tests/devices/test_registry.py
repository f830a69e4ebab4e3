"""From configured URIs to drivers."""

import pytest

from devices.base import DeviceConfigError, DeviceState
from devices.idcard.driver import SamCardReader
from devices.idcard.simulated import SimCardReader
from devices.registry import open_device, parse_device_uri


def test_sam_uri_builds_a_closed_serial_reader() -> None:
    device = open_device("idcard", "sam:///dev/ttyUSB0?baud=9600&poll=0.5")
    assert isinstance(device, SamCardReader)
    assert device.port == "/dev/ttyUSB0"
    assert device.poll_interval_s == 0.5
    assert device.state is DeviceState.CLOSED


def test_sim_uri_builds_the_simulator_with_its_settings() -> None:
    device = open_device("idcard", "sim:?card=hmt_permit&after=1.5&fail=no_device")
    assert isinstance(device, SimCardReader)
    assert device.settings.fail == "no_device"


@pytest.mark.parametrize(
    ("kind", "uri", "fragment"),
    [
        ("toaster", "sim:", "unknown device kind"),
        ("idcard", "usb://1234", "unknown idcard URI scheme"),
        ("idcard", "/dev/ttyUSB0", "has no scheme"),
        ("idcard", "sam://", "needs a serial device path"),
        ("idcard", "sam:///dev/ttyUSB0?baud=fast", "'baud' is not a number"),
        ("idcard", "sam:///dev/ttyUSB0?poll=0", "'poll' is below"),
        ("idcard", "sam:///dev/ttyUSB0?baud=1&baud=2", "given twice"),
        ("idcard", "sam:///dev/ttyUSB0?appended=maybe", "true or false"),
        ("idcard", "sim:?fail=sometimes", "'fail' must be one of"),
        ("idcard", "sim:?card=nobody", "unknown card"),
    ],
)
def test_bad_uris_are_typed_configuration_errors(kind: str, uri: str, fragment: str) -> None:
    with pytest.raises(DeviceConfigError, match=fragment):
        open_device(kind, uri)


def test_uri_parts_are_available_to_drivers() -> None:
    uri = parse_device_uri(" escpos-tcp://printer.local:9100?timeout=3 ")
    assert (uri.scheme, uri.netloc, uri.params["timeout"]) == ("escpos-tcp", "printer.local:9100", "3")
    assert parse_device_uri("camera:0").path == "0"
    assert parse_device_uri("SIM:").scheme == "sim"
