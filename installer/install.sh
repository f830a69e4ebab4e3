#!/usr/bin/env bash
# Installs the civic kiosk on a bare Debian 12/13 or Ubuntu 24.04 machine: a fullscreen kiosk on
# tty1 under cage, restarted by systemd, with its devices and a locked-down session.
# Safe to run again: it only changes what differs, and never overwrites an edited kiosk.toml.
# Run with --help for the options; docs/install.md walks through a whole installation.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

usage() {
  cat <<'EOF'
Usage: install.sh [options]

  --from PATH          the application: a civic_kiosk-*.whl wheel or a source tree
                       (default: the source tree this installer belongs to)
  --wheelhouse DIR     install Python packages only from DIR (no package index needed)
  --kiosk-id ID        this terminal's id at the central service (first install; default kiosk-01)
  --api-url URL        the central approval service (first install; default http://127.0.0.1:8700)
  --idcard VID:PID     USB id of the ID card reader's serial adapter (/dev/kiosk-idcard)
  --scanner VID:PID    USB id of the QR scanner (/dev/kiosk-scanner)
  --scanner-mode MODE  serial (default; serial/CDC mode) or hid (keyboard mode)
  --printer VID:PID    USB id of the ESC/POS receipt printer (default 0416:5011)
  --credential FILE    this kiosk's API secret, copied into the state directory (mode 0600)
  --no-voice           no speech packages; spoken guidance off in a new kiosk.toml
  --voice              undo an earlier --no-voice
  --start              (re)start the kiosk when done (default: it starts at the next boot)
  --root DIR           with --dry-run: lay everything out under DIR instead of /
  --dry-run            touch nothing outside --root DIR; print the host commands instead
  -h, --help           this text
EOF
}

SOURCE=""
WHEELHOUSE=""
KIOSK_ID=""
API_URL=""
IDCARD=""
SCANNER=""
SCANNER_MODE=""
PRINTER=""
CREDENTIAL=""
VOICE=""
START=0

need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --from) need_value "$@"; SOURCE=$2; shift 2 ;;
    --wheelhouse) need_value "$@"; WHEELHOUSE=$2; shift 2 ;;
    --kiosk-id) need_value "$@"; KIOSK_ID=$2; shift 2 ;;
    --api-url) need_value "$@"; API_URL=$2; shift 2 ;;
    --idcard) need_value "$@"; IDCARD=$2; shift 2 ;;
    --scanner) need_value "$@"; SCANNER=$2; shift 2 ;;
    --scanner-mode) need_value "$@"; SCANNER_MODE=$2; shift 2 ;;
    --printer) need_value "$@"; PRINTER=$2; shift 2 ;;
    --credential) need_value "$@"; CREDENTIAL=$2; shift 2 ;;
    --no-voice) VOICE=0; shift ;;
    --voice) VOICE=1; shift ;;
    --start) START=1; shift ;;
    --root) need_value "$@"; set_root "$2"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
check_root_options

# ---- inputs -------------------------------------------------------------------------------------

# Choices of an earlier run stand unless given again: a re-run must not forget the devices.
CHOICES=$ETC_DIR/install-choices
previous_choice() { # name
  local file
  file=$(target "$CHOICES")
  [[ -f "$file" ]] || return 0
  sed -n "s/^$1=\([A-Za-z0-9:]*\)\$/\1/p" "$file" | tail -n1
}
IDCARD=${IDCARD:-$(previous_choice IDCARD)}
SCANNER=${SCANNER:-$(previous_choice SCANNER)}
SCANNER_MODE=${SCANNER_MODE:-$(previous_choice SCANNER_MODE)}
SCANNER_MODE=${SCANNER_MODE:-serial}
PRINTER=${PRINTER:-$(previous_choice PRINTER)}
PRINTER=${PRINTER:-0416:5011}
VOICE=${VOICE:-$(previous_choice VOICE)}
VOICE=${VOICE:-1}

usb_id_ok() { [[ $1 =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$ ]]; }
for pair in "idcard:$IDCARD" "scanner:$SCANNER" "printer:$PRINTER"; do
  value=${pair#*:}
  [[ -z "$value" ]] || usb_id_ok "$value" || die "--${pair%%:*} wants a USB id like 1a86:7523, got '$value'"
done
[[ $SCANNER_MODE == serial || $SCANNER_MODE == hid ]] || die "--scanner-mode is serial or hid"
if [[ -n "$KIOSK_ID" && ! $KIOSK_ID =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then
  die "--kiosk-id: letters, digits, '.', '_' and '-' only, up to 64"
fi
if [[ -n "$API_URL" && ! $API_URL =~ ^https?://[A-Za-z0-9.:@%_~+-]+(/[A-Za-z0-9./:@%_~+-]*)?$ ]]; then
  die "--api-url wants an http(s) URL such as https://approvals.example.gov.cn/kiosk"
fi
[[ -z "$CREDENTIAL" || -f "$CREDENTIAL" ]] || die "--credential: no such file: $CREDENTIAL"
[[ -z "$WHEELHOUSE" || -d "$WHEELHOUSE" ]] || die "--wheelhouse: no such directory: $WHEELHOUSE"

# The application source: a wheel, or a source tree (by default the one holding this installer).
[[ -n "$SOURCE" ]] || SOURCE=$(cd "$HERE/.." && pwd)
if [[ -f "$SOURCE" && "$SOURCE" == *.whl ]]; then
  SOURCE_KIND=wheel
elif [[ -d "$SOURCE" && -f "$SOURCE/pyproject.toml" ]]; then
  SOURCE_KIND=tree
else
  die "--from: neither a .whl wheel nor a source tree with pyproject.toml: $SOURCE"
fi

if [[ -r /etc/os-release ]]; then
  # shellcheck disable=SC1091
  os_id=$(. /etc/os-release && printf '%s %s' "${ID:-}" "${ID_LIKE:-}")
  [[ " $os_id " == *" debian "* || " $os_id " == *" ubuntu "* ]] ||
    warn "this installer is made for Debian 12/13 and Ubuntu 24.04; continuing on: $os_id"
fi

# ---- Debian packages ----------------------------------------------------------------------------

PACKAGES=(
  python3 python3-venv
  cage                                    # the Wayland kiosk compositor
  fonts-noto-cjk                          # Chinese text
  fonts-hanazono                          # rare name characters (CJK Extension B and beyond) on receipts
  libegl1 libgl1 libopengl0 libgles2 libgl1-mesa-dri   # Qt Quick rendering
  libwayland-client0 libwayland-cursor0 libwayland-egl1 libxkbcommon0
  libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3 libpulse0
  libusb-1.0-0                            # USB receipt printers (python-escpos through libusb)
)
[[ $VOICE -eq 1 ]] && PACKAGES+=(speech-dispatcher speech-dispatcher-espeak-ng espeak-ng)
# A scanner in keyboard mode is read with python-evdev, which is built against the kernel headers.
EXTRAS=""
if [[ $SCANNER_MODE == hid ]]; then
  PACKAGES+=(gcc libc6-dev linux-libc-dev python3-dev)
  EXTRAS="[evdev]"
fi

install_packages() {
  local missing=() p status
  if [[ $DRY_RUN -eq 1 ]]; then
    say "would run: apt-get install -y --no-install-recommends ${PACKAGES[*]}"
    return
  fi
  for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  CHANGES=$((CHANGES + 1))
}

# ---- the kiosk user -----------------------------------------------------------------------------

ensure_user() {
  if [[ $DRY_RUN -eq 1 ]]; then
    say "would run: useradd --system --user-group --no-log-init --home-dir $STATE_DIR --no-create-home --shell /usr/sbin/nologin $KIOSK_USER"
    say "would run: usermod -a -G video,render $KIOSK_USER (the groups that exist)"
    return
  fi
  if ! getent passwd "$KIOSK_USER" >/dev/null; then
    useradd --system --user-group --no-log-init --home-dir "$STATE_DIR" --no-create-home \
      --shell /usr/sbin/nologin --comment "Civic kiosk" "$KIOSK_USER"
    changed "created user $KIOSK_USER"
  fi
  # The GPU's render node belongs to these groups on Debian and Ubuntu.
  local g
  for g in video render; do
    if getent group "$g" >/dev/null && ! id -nG "$KIOSK_USER" | tr ' ' '\n' | grep -qx "$g"; then
      usermod -a -G "$g" "$KIOSK_USER"
      changed "added $KIOSK_USER to group $g"
    fi
  done
}

# ---- the application ----------------------------------------------------------------------------

source_fingerprint() {
  if [[ $SOURCE_KIND == wheel ]]; then
    sha256sum <"$SOURCE" | cut -d' ' -f1
  elif git -C "$SOURCE" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$SOURCE" && git ls-files -z --cached --others --exclude-standard | LC_ALL=C sort -z |
      xargs -0 sha256sum 2>/dev/null | sha256sum | cut -d' ' -f1)
  else
    (cd "$SOURCE" && find . -path ./.venv -prune -o -path ./.git -prune -o -type f -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  fi
}

install_application() {
  local venv=$OPT_DIR/venv stamp=$OPT_DIR/venv/.civic-kiosk-source fingerprint pip_args=()
  fingerprint=$(source_fingerprint)
  if [[ -n "$WHEELHOUSE" ]]; then
    pip_args+=(--no-index --find-links "$WHEELHOUSE")
  fi
  if [[ $DRY_RUN -eq 1 ]]; then
    say "would run: python3 -m venv $venv"
    say "would run: $venv/bin/pip install ${pip_args[*]} $SOURCE$EXTRAS  ($SOURCE_KIND $fingerprint)"
    return
  fi
  if [[ ! -x "$venv/bin/python3" ]]; then
    python3 -m venv "$venv"
    changed "created virtual environment $venv"
  fi
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$fingerprint" ]]; then
    return
  fi
  say "installing the application from $SOURCE"
  local pip=("$venv/bin/pip" install --quiet --disable-pip-version-check "${pip_args[@]}")
  # First the dependencies, then the application itself again even when its version number did
  # not change (a rebuilt wheel or an edited tree).
  "${pip[@]}" --upgrade "$SOURCE$EXTRAS"
  "${pip[@]}" --force-reinstall --no-deps "$SOURCE"
  printf '%s\n' "$fingerprint" >"$stamp"
  changed "installed the application ($SOURCE_KIND $fingerprint)"
}

# ---- files --------------------------------------------------------------------------------------

install_tree() {
  ensure_dir "$OPT_DIR" 0755 root root
  ensure_dir "$OPT_DIR/bin" 0755 root root
  ensure_dir "$OPT_DIR/libexec" 0755 root root
  ensure_dir "$OPT_DIR/share" 0755 root root
  ensure_dir "$OPT_DIR/share/doc" 0755 root root
  ensure_file "$HERE/session.sh" "$OPT_DIR/bin/civic-kiosk-session" 0755 root root
  ensure_file "$HERE/out_of_service.py" "$OPT_DIR/libexec/out_of_service.py" 0644 root root
  ensure_file "$HERE/config/kiosk.toml.in" "$OPT_DIR/share/kiosk.toml.in" 0644 root root
  ensure_file "$HERE/uninstall.sh" "$OPT_DIR/share/uninstall.sh" 0755 root root
  ensure_file "$HERE/lib.sh" "$OPT_DIR/share/lib.sh" 0644 root root
  if [[ -f "$HERE/../docs/install.md" ]]; then
    ensure_file "$HERE/../docs/install.md" "$OPT_DIR/share/doc/install.md" 0644 root root
  fi

  ensure_dir "$ETC_DIR" 0750 root "$KIOSK_USER"
  ensure_dir "$ETC_DIR/credstore" 0700 root root
  ensure_dir "$STATE_DIR" 0700 "$KIOSK_USER" "$KIOSK_USER"
  ensure_dir "$STATE_DIR/logs" 0700 "$KIOSK_USER" "$KIOSK_USER"
}

install_device_key() {
  # 32 random bytes sealing the stored applications; root-only on disk, handed to the service
  # by systemd (LoadCredential=). Never replaced: a new key would make the outbox unreadable.
  local key=$ETC_DIR/credstore/device-key
  if [[ ! -s "$(target "$key")" ]]; then
    (umask 077 && head -c 32 /dev/urandom >"$(target "$key").$APP-new")
    mv -f "$(target "$key").$APP-new" "$(target "$key")"
    changed "created the device key $key"
  fi
  apply_attrs "$key" 0600 root root
  record file 0600 root root "$key"
}

install_choices() {
  ensure_content "$CHOICES" 0644 root root <<EOF
# The device and voice choices install.sh was last run with; options given again replace them.
IDCARD=$IDCARD
SCANNER=$SCANNER
SCANNER_MODE=$SCANNER_MODE
PRINTER=$PRINTER
VOICE=$VOICE
EOF
}

install_credential() {
  [[ -n "$CREDENTIAL" ]] || return 0
  ensure_file "$CREDENTIAL" "$STATE_DIR/credential" 0600 "$KIOSK_USER" "$KIOSK_USER"
}

# One value of the current kiosk.toml (""): keeps a re-run from undoing what the first run set.
current_setting() { # section key
  local file
  file=$(target "$ETC_DIR/kiosk.toml")
  [[ -f "$file" ]] || return 0
  awk -v section="[$1]" -v key="$2" '
    /^[[:space:]]*\[/ { in_section = ($1 == section) }
    in_section && $1 == key && $2 == "=" { value = $3; gsub(/"/, "", value); print value; exit }
  ' "$file"
}

render_config() {
  local kiosk_id=${KIOSK_ID:-$(current_setting kiosk id)}
  local api_url=${API_URL:-$(current_setting api base_url)}
  local idcard scanner printer voice=true
  kiosk_id=${kiosk_id:-kiosk-01}
  api_url=${api_url:-http://127.0.0.1:8700}
  idcard="sam:///dev/kiosk-idcard?baud=115200"
  if [[ $SCANNER_MODE == hid ]]; then
    scanner="hid:///dev/kiosk-scanner"
  else
    scanner="serial:///dev/kiosk-scanner?profile=passive"
  fi
  local printer_id=$PRINTER
  printer="escpos-usb://0x${printer_id%%:*}:0x${printer_id##*:}"
  [[ $VOICE -eq 1 ]] || voice=false
  local text
  text=$(<"$HERE/config/kiosk.toml.in")
  text=${text//@KIOSK_ID@/"$kiosk_id"}
  text=${text//@API_URL@/"$api_url"}
  text=${text//@IDCARD_URI@/"$idcard"}
  text=${text//@SCANNER_URI@/"$scanner"}
  text=${text//@PRINTER_URI@/"$printer"}
  text=${text//@VOICE@/"$voice"}
  printf '%s\n' "$text"
}

install_config() {
  # kiosk.toml is written from the template while it is as the installer left it (its checksum
  # matches the record); once edited it is kept, and the new rendering goes to kiosk.toml.dist.
  local conf=$ETC_DIR/kiosk.toml stamp=$ETC_DIR/.kiosk.toml.installed rendered sum
  rendered=$(mktemp)
  render_config >"$rendered"
  local real_conf real_stamp
  real_conf=$(target "$conf")
  real_stamp=$(target "$stamp")
  if [[ -f "$real_conf" ]] && ! { [[ -f "$real_stamp" ]] &&
    [[ "$(sha256sum <"$real_conf" | cut -d' ' -f1)" == "$(cat "$real_stamp")" ]]; }; then
    if ! cmp -s "$rendered" "$real_conf"; then
      say "kept the edited $conf; the current template is in $conf.dist"
      ensure_file "$rendered" "$conf.dist" 0640 root "$KIOSK_USER"
    fi
    apply_attrs "$conf" 0640 root "$KIOSK_USER"
    record file 0640 root "$KIOSK_USER" "$conf"
  else
    ensure_file "$rendered" "$conf" 0640 root "$KIOSK_USER"
    sum=$(sha256sum <"$rendered" | cut -d' ' -f1)
    printf '%s\n' "$sum" | ensure_content "$stamp" 0600 root root
  fi
  rm -f "$rendered"
}

udev_rules() {
  local vid pid
  cat <<EOF
# Civic kiosk devices: access for the kiosk user and stable names used by kiosk.toml.
# Written by install.sh (--idcard, --scanner, --printer); re-run it to change the devices, or put
# local rules in another file such as 71-civic-kiosk-local.rules. Find a device's USB id with
# \`lsusb\`, or \`udevadm info --attribute-walk --name=/dev/ttyUSB0 | grep -m2 -E 'idVendor|idProduct'\`.
EOF
  printf '\n# ID card reader (serial): /dev/kiosk-idcard\n'
  if [[ -n "$IDCARD" ]]; then
    vid=${IDCARD%%:*} pid=${IDCARD##*:}
    printf 'SUBSYSTEM=="tty", ATTRS{idVendor}=="%s", ATTRS{idProduct}=="%s", SYMLINK+="kiosk-idcard", GROUP="%s", MODE="0660"\n' \
      "${vid,,}" "${pid,,}" "$KIOSK_USER"
  else
    printf '# not configured: install.sh --idcard VID:PID\n'
  fi
  printf '\n# QR scanner: /dev/kiosk-scanner\n'
  if [[ -n "$SCANNER" ]]; then
    vid=${SCANNER%%:*} pid=${SCANNER##*:}
    if [[ $SCANNER_MODE == hid ]]; then
      printf '# Keyboard mode: the kiosk reads the device itself, so the compositor must ignore it.\n'
      printf 'SUBSYSTEM=="input", KERNEL=="event*", ATTRS{idVendor}=="%s", ATTRS{idProduct}=="%s", SYMLINK+="kiosk-scanner", GROUP="%s", MODE="0660", ENV{LIBINPUT_IGNORE_DEVICE}="1"\n' \
        "${vid,,}" "${pid,,}" "$KIOSK_USER"
    else
      printf 'SUBSYSTEM=="tty", ATTRS{idVendor}=="%s", ATTRS{idProduct}=="%s", SYMLINK+="kiosk-scanner", GROUP="%s", MODE="0660"\n' \
        "${vid,,}" "${pid,,}" "$KIOSK_USER"
    fi
  else
    printf '# not configured: install.sh --scanner VID:PID [--scanner-mode hid]\n'
  fi
  local printer_id=$PRINTER
  vid=${printer_id%%:*} pid=${printer_id##*:}
  printf '\n# USB receipt printer (ESC/POS through libusb): /dev/kiosk-printer\n'
  printf 'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="%s", ATTR{idProduct}=="%s", SYMLINK+="kiosk-printer", GROUP="%s", MODE="0660"\n' \
    "${vid,,}" "${pid,,}" "$KIOSK_USER"
  printf '# Keep the kernel printer driver (usblp) off it, or libusb reports "Resource busy".\n'
  printf 'ACTION=="add|bind", SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_interface", DRIVER=="usblp", ATTRS{idVendor}=="%s", ATTRS{idProduct}=="%s", RUN+="/bin/sh -c '"'"'echo -n %%k > /sys/bus/usb/drivers/usblp/unbind'"'"'"\n' \
    "${vid,,}" "${pid,,}"
}

install_system_integration() {
  local before=$CHANGES
  ensure_dir "$UNIT_DIR" 0755 root root
  ensure_file "$HERE/systemd/civic-kiosk.service" "$UNIT_DIR/civic-kiosk.service" 0644 root root
  ensure_file "$HERE/systemd/civic-kiosk-out-of-service.service" \
    "$UNIT_DIR/civic-kiosk-out-of-service.service" 0644 root root
  # What `systemctl enable` and `systemctl set-default graphical.target` would do.
  ensure_dir "$UNIT_DIR/graphical.target.wants" 0755 root root
  ensure_symlink "$UNIT_DIR/graphical.target.wants/civic-kiosk.service" ../civic-kiosk.service
  ensure_symlink "$UNIT_DIR/default.target" /usr/lib/systemd/system/graphical.target
  # Masked: no suspend or hibernation, and Ctrl+Alt+Del on a keyboard does nothing.
  local unit
  for unit in sleep.target suspend.target hibernate.target hybrid-sleep.target \
    suspend-then-hibernate.target ctrl-alt-del.target; do
    ensure_symlink "$UNIT_DIR/$unit" /dev/null
  done
  ensure_dir /etc/systemd/system.conf.d 0755 root root
  ensure_file "$HERE/config/system.conf" /etc/systemd/system.conf.d/60-civic-kiosk.conf 0644 root root
  UNITS_CHANGED=$((CHANGES - before))

  before=$CHANGES
  ensure_dir /etc/systemd/journald.conf.d 0755 root root
  ensure_file "$HERE/config/journald.conf" /etc/systemd/journald.conf.d/60-civic-kiosk.conf 0644 root root
  JOURNALD_CHANGED=$((CHANGES - before))

  ensure_dir /etc/systemd/logind.conf.d 0755 root root
  ensure_file "$HERE/config/logind.conf" /etc/systemd/logind.conf.d/60-civic-kiosk.conf 0644 root root

  before=$CHANGES
  ensure_dir /etc/sysctl.d 0755 root root
  ensure_file "$HERE/config/sysctl.conf" /etc/sysctl.d/60-civic-kiosk.conf 0644 root root
  SYSCTL_CHANGED=$((CHANGES - before))

  ensure_dir /etc/pam.d 0755 root root
  ensure_file "$HERE/config/pam-civic-kiosk" /etc/pam.d/civic-kiosk 0644 root root

  before=$CHANGES
  ensure_dir /etc/udev/rules.d 0755 root root
  ensure_content /etc/udev/rules.d/70-civic-kiosk.rules 0644 root root < <(udev_rules)
  UDEV_CHANGED=$((CHANGES - before))
}

apply_to_host() {
  [[ $UNITS_CHANGED -eq 0 ]] || host_run systemctl daemon-reload
  [[ $JOURNALD_CHANGED -eq 0 ]] || host_run systemctl restart systemd-journald.service
  [[ $SYSCTL_CHANGED -eq 0 ]] || host_run sysctl --quiet --load=/etc/sysctl.d/60-civic-kiosk.conf
  if [[ $UDEV_CHANGED -ne 0 ]]; then
    host_run udevadm control --reload-rules
    host_run udevadm trigger --action=change --subsystem-match=tty --subsystem-match=input --subsystem-match=usb
  fi
  if [[ -e "$(target /usr/lib/systemd/system/display-manager.service)" ||
    -e "$(target /etc/systemd/system/display-manager.service)" ]]; then
    warn "a desktop display manager is installed; disable it (systemctl disable display-manager) so it does not take tty1"
  fi
  if [[ $START -eq 1 ]]; then
    host_run systemctl reset-failed civic-kiosk.service
    host_run systemctl restart civic-kiosk.service
  fi
}

main() {
  # Bash 5.2 would treat "&" in a ${var//pattern/replacement} replacement as the match.
  shopt -u patsub_replacement 2>/dev/null || true
  umask 022
  install_packages
  ensure_user
  install_tree
  install_application
  install_device_key
  install_credential
  install_choices
  install_config
  install_system_integration
  write_manifest
  apply_to_host
  if [[ $CHANGES -eq 0 ]]; then
    say "civic-kiosk is up to date (nothing changed)"
  else
    say "civic-kiosk installed ($CHANGES changes)${ROOT:+ under $ROOT}"
  fi
  [[ $START -eq 1 || $DRY_RUN -eq 1 ]] || say "the kiosk starts at the next boot, or now with: systemctl start civic-kiosk.service"
}

main
