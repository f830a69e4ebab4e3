"""Fictional cards of every type, for the simulator, the emulator, the demo and the tests.

Every person, number and address here is invented. The numbers carry correct GB 11643 check
characters so that the samples read as valid cards; ``check_id_number`` proves it in the tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from devices.idcard.card import LONG_TERM, IdCard

__all__ = ["SAMPLE_CARDS", "sample_card"]

_RESIDENT: Final = IdCard(
    card_type="resident",
    name="王小明",
    name_en=None,
    sex="male",
    nation="汉",
    nation_code="01",
    birth_date=dt.date(1990, 1, 1),
    address="北京市东城区示例路1号",
    appended_address=None,
    id_number="110101199001010015",
    issuer="北京市公安局东城分局",
    valid_from=dt.date(2020, 5, 1),
    valid_to=dt.date(2040, 5, 1),
    pass_number=None,
    issue_count=None,
    nationality=None,
    id_number_valid=True,
)

# An elder's card: long-term validity, a name with a character beyond the BMP (U+20BB7),
# and an appended address (the citizen moved after the card was issued).
_RESIDENT_ELDER: Final = IdCard(
    card_type="resident",
    name="李𠮷",
    name_en=None,
    sex="male",
    nation="满",
    nation_code="11",
    birth_date=dt.date(1960, 2, 29),
    address="广东省深圳市福田区样例街道二号",
    appended_address="广东省深圳市南山区测试大道九号",
    id_number="440304196002290031",
    issuer="深圳市公安局福田分局",
    valid_from=dt.date(2015, 3, 1),
    valid_to=LONG_TERM,
    pass_number=None,
    issue_count=None,
    nationality=None,
    id_number_valid=True,
)

_HMT_PERMIT: Final = IdCard(
    card_type="hmt_permit",
    name="陈美玲",
    name_en=None,
    sex="female",
    nation=None,
    nation_code=None,
    birth_date=dt.date(1995, 5, 5),
    address="北京市朝阳区示范路8号",
    appended_address=None,
    id_number="810000199505050022",
    issuer="北京市公安局朝阳分局",
    valid_from=dt.date(2022, 1, 1),
    valid_to=dt.date(2027, 1, 1),
    pass_number="H12345678",  # noqa: S106 - a fictional permit number, not a password
    issue_count=1,
    nationality=None,
    id_number_valid=True,
)

_FOREIGN_2017: Final = IdCard(
    card_type="foreign_2017",
    name="史密斯",
    name_en="SMITH, JOHN SAMPLE",
    sex="male",
    nation=None,
    nation_code=None,
    birth_date=dt.date(1980, 1, 1),
    address=None,
    appended_address=None,
    id_number="USA110080010100",
    issuer="1500",
    valid_from=dt.date(2018, 6, 1),
    valid_to=dt.date(2028, 6, 1),
    pass_number=None,
    issue_count=None,
    nationality="USA",
    id_number_valid=True,
)

_FOREIGN_2023: Final = IdCard(
    card_type="foreign_2023",
    name="玛丽",
    name_en="EXAMPLE, MARY ANNE",
    sex="female",
    nation=None,
    nation_code=None,
    birth_date=dt.date(1985, 6, 7),
    address=None,
    appended_address=None,
    id_number="933110198506070029",
    issuer="国家移民管理局",
    valid_from=dt.date(2023, 12, 1),
    valid_to=dt.date(2033, 12, 1),
    pass_number=None,
    issue_count=0,
    nationality="GBR",
    id_number_valid=True,
)

SAMPLE_CARDS: Final[Mapping[str, IdCard]] = MappingProxyType(
    {
        "resident": _RESIDENT,
        "resident_elder": _RESIDENT_ELDER,
        "hmt_permit": _HMT_PERMIT,
        "foreign_2017": _FOREIGN_2017,
        "foreign_2023": _FOREIGN_2023,
    }
)


def sample_card(name: str = "resident") -> IdCard:
    """A sample by name; ``KeyError`` lists the known names."""
    try:
        return SAMPLE_CARDS[name]
    except KeyError:
        raise KeyError(f"unknown sample card {name!r} (known: {', '.join(SAMPLE_CARDS)})") from None
