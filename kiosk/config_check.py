"""``python -m kiosk.config_check --config FILE``: validate a config file and print what it resolves to.

Exit status 0 when valid, 2 with one line on stderr naming the problem otherwise. Every console script
that takes ``--config`` reports errors the same way, through ``load_or_exit``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.config import ConfigError, KioskConfig, default_config_path, load_config


def load_or_exit(path: Path | None) -> KioskConfig:
    """Load the config or end the process with one clear line and exit status 2 (no traceback)."""
    try:
        return load_config(path if path is not None else default_config_path())
    except ConfigError as exc:
        print(f"kiosk: config error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk-config-check", description=__doc__)
    parser.add_argument("--config", type=Path, help="the kiosk.toml to check (default: the installed one)")
    args = parser.parse_args(argv)
    config = load_or_exit(args.config)
    print(json.dumps(config.model_dump(), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
