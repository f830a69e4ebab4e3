"""Who the citizen is, for the length of one session.

An ``Identity`` comes from the ID card (``from_card``) or from the city app's identity code once the
central service resolved it (``from_resolved``). It pre-fills every form and is wiped with the session.
Its ``repr`` never shows the name or the full ID number, so it cannot leak into logs by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from devices.idcard.idnumber import mask_id_number

IdentitySource = Literal["card", "code"]


@dataclass(frozen=True, repr=False)
class Identity:
    name: str
    id_number: str
    source: IdentitySource
    sex: str = ""
    birth_date: date | None = None
    address: str = ""
    phone: str = ""

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        """Surname kept, the rest hidden: 张** (how the screens greet the citizen)."""
        return self.name[:1] + "*" * max(len(self.name) - 1, 1) if self.name else ""

    def __repr__(self) -> str:
        return f"Identity(source={self.source!r}, id={self.masked_id!r})"

    def applicant(self, phone: str = "") -> dict[str, str]:
        """The applicant block sent with an application (the data the government already holds)."""
        block = {
            "name": self.name,
            "id_number": self.id_number,
            "source": "idcard" if self.source == "card" else "identity_code",
        }
        if phone or self.phone:
            block["phone"] = phone or self.phone
        return block

    @classmethod
    def from_card(cls, card: Any) -> Identity:
        """From ``devices.idcard.card.IdCard`` (duck-typed so the core does not depend on the driver)."""
        parts = (getattr(card, "address", None), getattr(card, "appended_address", None))
        address = " ".join(str(p) for p in parts if p)
        return cls(
            name=str(card.name),
            id_number=str(card.id_number),
            source="card",
            sex=str(getattr(card, "sex", "")),
            birth_date=getattr(card, "birth_date", None),
            address=address.strip(),
        )

    @classmethod
    def from_resolved(cls, resolved: Any) -> Identity:
        """From the central service's answer to an identity code (an object or a dict)."""

        def get(key: str) -> Any:
            return resolved.get(key, "") if isinstance(resolved, dict) else getattr(resolved, key, "")

        birth = get("birth_date")
        if isinstance(birth, str) and birth:
            try:
                birth = date.fromisoformat(birth)
            except ValueError:
                birth = None
        return cls(
            name=str(get("name")),
            id_number=str(get("id_number")),
            source="code",
            sex=str(get("sex") or ""),
            birth_date=birth if isinstance(birth, date) else None,
            address=str(get("address") or ""),
            phone=str(get("phone") or ""),
        )
