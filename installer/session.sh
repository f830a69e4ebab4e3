#!/bin/sh
# civic-kiosk-session: what cage runs on its Wayland display, i.e. the citizen application.
# Started by civic-kiosk.service; arguments are passed on to the kiosk command.
set -eu

# Qt on cage's Wayland display, with no window decorations around the fullscreen window.
QT_QPA_PLATFORM=wayland
QT_WAYLAND_DISABLE_WINDOWDECORATION=1
export QT_QPA_PLATFORM QT_WAYLAND_DISABLE_WINDOWDECORATION

# systemd addressed the watchdog to cage's PID; the kiosk replaces this shell (exec keeps the PID)
# and is the process that sends the pings, so the watchdog is re-addressed to it.
if [ -n "${WATCHDOG_USEC:-}" ]; then
    WATCHDOG_PID=$$
    export WATCHDOG_PID
fi

exec /opt/civic-kiosk/venv/bin/kiosk "$@"
