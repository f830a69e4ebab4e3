#!/usr/bin/env bash
# Installs the Debian packages that the Qt runtime, the receipt renderer and the tests need,
# when they are missing. As root it uses apt-get; otherwise it names what is missing and stops.
set -euo pipefail

packages=(
  fonts-noto-cjk          # Chinese text on screen and on receipt previews
  fonts-hanazono          # rare name characters (CJK Extension B and beyond) on receipts
  fontconfig
  libfontconfig1
  libfreetype6
  libegl1                 # Qt Quick's scene graph, even with the software renderer
  libgl1
  libopengl0
  libxkbcommon0
  libxkbcommon-x11-0
  libglib2.0-0
  libdbus-1-3
  libpulse0               # QtMultimedia / QtTextToSpeech link against it
  libxcb-cursor0
  libnss3                 # pulled in by parts of the PySide6 wheel at import
  postgresql              # the central service's tests run against a real server when possible
  shellcheck              # installer scripts are checked
  systemd                 # systemd-analyze verify for the installer's units
)

# Only the Debian family is handled here; elsewhere say what is needed.
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "note: not a Debian-family system; make sure these are installed: ${packages[*]}" >&2
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "error: missing Debian packages: ${missing[*]}" >&2
  echo "       install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
