#!/usr/bin/env bash
# `make demo`: the reference central service on loopback with demo data, the device emulators, then the
# kiosk. With a display the kiosk window opens; without one a scripted citizen tour runs offscreen and
# writes one screenshot per screen (and receipt previews) into demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
OUT=${DEMO_OUT:-demo-output}
PORT=${DEMO_PORT:-8700}
STATE=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$STATE"
}
trap cleanup EXIT INT TERM

mkdir -p "$OUT"
CONFIG="$STATE/kiosk.toml"
cat >"$CONFIG" <<TOML
[kiosk]
id = "demo-kiosk-01"
[api]
base_url = "http://127.0.0.1:$PORT"
[storage]
state_dir = "$STATE/state"
[ui]
voice = false
TOML

if [[ -x .venv/bin/kiosk-central ]] && $PY -c "import central.cli" 2>/dev/null; then
  echo "Starting the reference central service on 127.0.0.1:$PORT (demo data)"
  .venv/bin/kiosk-central demo --host 127.0.0.1 --port "$PORT" --state-dir "$STATE/central" \
    --kiosk-config "$CONFIG" >"$STATE/central.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do
    $PY - "$PORT" <<'PYCODE' && break
import socket, sys
s = socket.socket(); s.settimeout(0.2)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PYCODE
    sleep 0.2
  done
else
  echo "note: the reference central service is not available; the kiosk runs offline"
fi

if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" && -z "${DEMO_HEADLESS:-}" ]]; then
  echo "Opening the kiosk window (close it or press Ctrl+C in this terminal to stop)"
  .venv/bin/kiosk --config "$CONFIG" --windowed
else
  echo "No display: running the headless citizen tour"
  QT_QPA_PLATFORM=offscreen .venv/bin/kiosk --config "$CONFIG" --headless-tour "$OUT/screens"
  echo "Screenshots:      $(cd "$OUT/screens" && pwd)"
  if compgen -G "$OUT/screens/*receipt*.png" >/dev/null; then
    echo "Receipt previews: $(cd "$OUT/screens" && pwd)/*receipt*.png"
  fi
fi
