"""The kiosk end to end: the real screens, the reference central service over HTTP on 127.0.0.1, the ID
card reader driver talking to its emulator on a pseudo-terminal, the simulated scanner, and the ESC/POS
printer driver writing into the printer emulator (which renders a preview of every receipt)."""

from __future__ import annotations

import pytest

from devices.emulators.idcard import SamReaderEmulator
from kiosk.config import KioskConfig
from tests.support.central import running_central
from tests.ui.helpers import pump

pytestmark = pytest.mark.ui


def test_citizen_flows_against_the_central_service_and_device_emulators(qapp, qt_warnings, tmp_path) -> None:
    from kiosk.app import build_kiosk
    from ui.adapters.post import QtPost
    from ui.app import build_ui
    from ui.run import session_settings
    from ui.tour import Tour
    from ui.tour_scripts import apply_instant, apply_rejected, apply_text_answer, query_balance, track

    receipts = tmp_path / "receipts"
    receipts.mkdir()
    with running_central(kiosk_id="e2e-kiosk-01") as server, SamReaderEmulator(paced=False) as reader:
        (tmp_path / "credential").write_bytes(server.secret)
        config = KioskConfig.model_validate(
            {
                "kiosk": {"id": server.kiosk_id},
                "api": {"base_url": server.base_url, "credential_path": str(tmp_path / "credential")},
                "devices": {
                    "idcard": f"sam://{reader.path}",
                    "scanner": "sim:",
                    "printer": f"sim:?out={receipts}",
                },
                "storage": {"state_dir": str(tmp_path / "state")},
            }
        )
        post = QtPost()
        kiosk = build_kiosk(config, post=post, configure_logs=False)
        work = kiosk.work
        ui = build_ui(
            catalog=kiosk.catalog,
            applications=kiosk.applications,
            services=kiosk.services,
            printer=kiosk.printer,
            runner=work,
            clock=kiosk.clock,
            settings=session_settings(config),
            kiosk_id=config.kiosk.id,
            fullscreen=False,
            headless=True,
            catalog_source=kiosk.catalog_source,
            devices=kiosk.devices,
        )
        try:
            tour = Tour(ui, tmp_path / "shots", None)
            (tmp_path / "shots").mkdir()
            tour.extras["devices"] = kiosk.device_objects
            tour.extras["place_card"] = reader.place_card
            tour.extras["remove_card"] = reader.remove_card
            tour.run(
                (("zh_CN", False),), [apply_instant, apply_rejected, apply_text_answer, query_balance, track]
            )
            assert tour.failures == []
            assert ui.journey.catalog.version != "builtin-1"  # the central catalogue was fetched
            names = [p.stem.split("-", 3)[-1] for p in tour.shots]
            assert "result-review-requested" in names  # the worker's withdrawal was rejected, review asked
            assert "query_result" in names and "track_result" in names, " ".join(names)
            assert reader.reads_served >= 1  # the card went through the real driver on the pty
            assert len(list(receipts.glob("*.png"))) >= 3  # approved, rejected, balance slip
            assert ui.warnings == []
        finally:
            ui.close()
            pump(0.1)
            kiosk.close()
