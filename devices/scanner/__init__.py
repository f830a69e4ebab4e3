"""QR scanners: serial (CDC/RS-232), USB keyboard-wedge (evdev) and camera, plus their emulators.

Every payload goes through :func:`devices.scanner.payload.parse_payload` before it reaches the core.
"""
