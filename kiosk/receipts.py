"""Receipts: a flow's result turned into a ``ReceiptDocument`` in the citizen's language.

The receipt shows the name and ID number masked (the one masking function), the item, the outcome and
a QR code carrying ``cityapp:track:v1:<application_id>``, which this kiosk (and the city app) scan to
track the application later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from devices.printer.document import ReceiptDocument
from kiosk.catalog import Catalog, ServiceItem
from kiosk.flows.steps import FlowState
from kiosk.forms import answer_rows
from kiosk.i18n import Language, Strings

TRACKING_PREFIX = "cityapp:track:v1:"


@dataclass(frozen=True)
class ReceiptContext:
    language: Language
    kiosk_id: str
    now: datetime


def tracking_code(application_id: str) -> str:
    """What a receipt's QR code carries."""
    return TRACKING_PREFIX + application_id


def receipt_for(
    state: FlowState, item: ServiceItem | None, context: ReceiptContext, catalog: Catalog | None = None
) -> ReceiptDocument:
    """The receipt for the flow's current result (application, balance, ticket or tracking)."""
    s = Strings(context.language)
    lang = context.language
    rows: list[tuple[str, str]] = []
    lines: list[str] = []
    qr: str | None = None
    footer: tuple[str, ...]
    if item is not None:
        rows.append((s.text("receipt.item"), item.name(lang)))
    if state.identity is not None:
        rows.append((s.text("receipt.applicant"), state.identity.masked_name))
        rows.append((s.text("receipt.id_number"), state.identity.masked_id))
    if state.ticket is not None:
        title = s.text("receipt.title.ticket")
        t = state.ticket
        rows += [
            (s.text("receipt.ticket_number"), t.number),
            (s.text("receipt.zone"), t.zone.label(lang)),
            (s.text("receipt.day"), t.day.label(lang)),
            (s.text("receipt.slot"), t.slot.label(lang)),
        ]
        footer = (s.text("receipt.footer.ticket"),)
    elif state.query_result is not None:
        title = state.query_result.title(lang)
        rows += [(r.label(lang), r.value_in(lang)) for r in state.query_result.rows]
        footer = (s.text("receipt.footer.private"),)
    elif state.outcome is not None:
        o = state.outcome
        title = s.text("receipt.title.application")
        rows.append((s.text("receipt.outcome"), s.text(f"outcome.{o.kind}.title")))
        if o.certificate_ref:
            rows.append((s.text("receipt.certificate"), o.certificate_ref))
        if o.partner_city:
            city = catalog.city(o.partner_city) if catalog is not None else None
            rows.append((s.text("receipt.partner"), city.name(lang) if city else o.partner_city))
        if item is not None:
            rows += answer_rows(item.form, state.identity, dict(state.answers), lang)
        rows.append((s.text("receipt.reference"), o.application_id))
        lines = [r.text(lang) for r in o.reasons]
        qr = tracking_code(o.application_id)
        footer = (s.text(f"outcome.{o.kind}.receipt"), s.text("receipt.footer.track"))
    else:
        title = s.text("receipt.title.application")
        footer = ()
    rows.append((s.text("receipt.time"), context.now.strftime("%Y-%m-%d %H:%M")))
    rows.append((s.text("receipt.kiosk"), context.kiosk_id))
    return ReceiptDocument(title=title, lines=tuple(lines), rows=tuple(rows), qr=qr, footer=footer)
