#!/usr/bin/env bash
# `make demo`: the reference central service on loopback with demo data, emulated devices, then the
# kiosk. With a display the kiosk window opens; without one a scripted citizen tour runs offscreen and
# writes one screenshot per screen, and the simulated printer writes a preview of every receipt.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${DEMO_OUT:-demo-output}
PORT=${DEMO_PORT:-8700}
KIOSK_ID=demo-kiosk-01
STATE=$(mktemp -d)
central_pid=""
cleanup() {
  if [[ -n "$central_pid" ]]; then kill "$central_pid" 2>/dev/null || true; wait "$central_pid" 2>/dev/null || true; fi
  rm -rf "$STATE"
}
trap cleanup EXIT INT TERM

mkdir -p "$OUT/screens" "$OUT/receipts" "$STATE/state"
OUT_ABS=$(cd "$OUT" && pwd)
rm -f "$OUT_ABS"/screens/*.png "$OUT_ABS"/receipts/*
DB="sqlite:///$STATE/central.db"

echo "Starting the reference central service on 127.0.0.1:$PORT (demo data)"
.venv/bin/kiosk-central --db "$DB" migrate >/dev/null
.venv/bin/kiosk-central --db "$DB" seed-demo >/dev/null
.venv/bin/kiosk-central --db "$DB" provision-kiosk "$KIOSK_ID" --credential-file "$STATE/state/credential" >/dev/null
.venv/bin/kiosk-central --db "$DB" serve --host 127.0.0.1 --port "$PORT" >"$STATE/central.log" 2>&1 &
central_pid=$!
for _ in $(seq 1 100); do
  if .venv/bin/python -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1', $PORT)))"; then
    break
  fi
  sleep 0.2
done

CONFIG="$STATE/kiosk.toml"
cat >"$CONFIG" <<TOML
[kiosk]
id = "$KIOSK_ID"
[api]
base_url = "http://127.0.0.1:$PORT"
credential_path = "$STATE/state/credential"
[devices]
idcard = "sim:"
scanner = "sim:"
printer = "sim:?out=$OUT_ABS/receipts"
[storage]
state_dir = "$STATE/state"
[ui]
voice = false
TOML

if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" && -z "${DEMO_HEADLESS:-}" ]]; then
  echo "Opening the kiosk window (Ctrl+C in this terminal stops the demo)"
  .venv/bin/kiosk --config "$CONFIG" --windowed
else
  echo "No display: running the scripted citizen tour offscreen"
  status=0
  # The ID card reader and the receipt printer are the real drivers, talking to emulators on
  # pseudo-terminals; the QR scanner is the simulated one (the tour shows it codes).
  QT_QPA_PLATFORM=offscreen .venv/bin/kiosk --config "$CONFIG" --headless-tour "$OUT_ABS/screens" \
    --emulated-devices --receipts "$OUT_ABS/receipts" ${DEMO_QUICK:+--quick} || status=$?
  echo "Screenshots:      $OUT_ABS/screens"
  echo "Receipt previews: $OUT_ABS/receipts"
  exit "$status"
fi
