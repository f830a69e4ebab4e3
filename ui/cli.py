"""The ``kiosk`` command: run the kiosk fullscreen, or tour it headless, or manage the outbox queue.

kiosk [--config FILE] [--windowed]        run the kiosk
kiosk [--config FILE] --headless-tour DIR drive every flow offscreen, one PNG per screen in DIR
kiosk queue ...                           outbox queue commands (see ``kiosk queue --help``)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Self-service government kiosk (citizen screens). "
        "'kiosk queue --help' lists the outbox queue commands.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="kiosk.toml (default: $KIOSK_CONFIG, then /etc/civic-kiosk/kiosk.toml, else built-in defaults)",
    )
    parser.add_argument(
        "--headless-tour",
        type=Path,
        metavar="DIR",
        default=None,
        help="run offscreen through every flow and write one PNG per screen into DIR",
    )
    parser.add_argument(
        "--windowed", action="store_true", help="a normal window instead of fullscreen (development)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="with --headless-tour: standard theme in Chinese only"
    )
    parser.add_argument(
        "--emulated-devices",
        action="store_true",
        help="with --headless-tour: real ID card and printer drivers against emulators on pseudo-terminals",
    )
    parser.add_argument(
        "--receipts", type=Path, metavar="DIR", help="with --emulated-devices: where receipt previews go"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if "queue" in args_in[:3]:  # ``kiosk queue ...`` or ``kiosk --config FILE queue ...``
        from kiosk import queue_cli

        at = args_in.index("queue")
        result = queue_cli.main(args_in[:at] + args_in[at + 1 :])
        return int(result or 0)
    args = _parser().parse_args(args_in)

    from kiosk.config_file import default_config_path

    config_path = args.config if args.config is not None else default_config_path()
    if args.headless_tour is None:
        from ui.run import run_kiosk

        # The window comes first; the config is validated right after its first frame.
        return run_kiosk(config_path, fullscreen=not args.windowed)

    from kiosk.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from ui.tour import run_tour_command

    return run_tour_command(
        config,
        args.headless_tour,
        quick=args.quick,
        emulated_devices=args.emulated_devices,
        receipts=args.receipts,
    )


if __name__ == "__main__":
    raise SystemExit(main())
