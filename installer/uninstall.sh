#!/usr/bin/env bash
# Removes the civic kiosk that install.sh set up, using the manifest it wrote.
# Keeps the state directory (undelivered applications, keys, logs), kiosk.toml, the device key and
# the kiosk user unless --purge is given. Installed copy: /opt/civic-kiosk/share/uninstall.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

usage() {
  cat <<'EOF'
Usage: uninstall.sh [--purge] [--root DIR --dry-run]

  --purge      also delete the state directory (applications not yet delivered are lost), the
               configuration, the device key and the kiosk user
  --root DIR   with --dry-run: work on the tree under DIR instead of /
  --dry-run    touch nothing outside --root DIR; print the host commands instead
EOF
}

PURGE=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --purge) PURGE=1; shift ;;
    --root) [[ $# -ge 2 ]] || die "--root needs a directory"; set_root "$2"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
check_root_options

manifest=$(target "$MANIFEST")
[[ -f "$manifest" ]] || die "no installation found (missing $MANIFEST)"

kept() { # path: whether it survives an uninstall without --purge
  [[ $PURGE -eq 0 ]] && [[ "$1" == "$STATE_DIR" || "$1" == "$STATE_DIR/"* || "$1" == "$ETC_DIR" || "$1" == "$ETC_DIR/"* ]]
}

host_run systemctl disable --now civic-kiosk.service civic-kiosk-out-of-service.service || true

# Files and links first, then directories deepest first (only when nothing else is in them).
dirs=()
while IFS=$'\t' read -r kind _mode _owner _group path _link; do
  [[ -n "$path" ]] || continue
  kept "$path" && continue
  case $kind in
    file | link) remove_path "$path" ;;
    dir) dirs+=("$path") ;;
  esac
done <"$manifest"

# The application's own tree goes entirely (virtual environment included).
remove_path "$OPT_DIR"
if [[ $PURGE -eq 1 ]]; then
  remove_path "$STATE_DIR"
  remove_path "$ETC_DIR"
fi
while IFS= read -r dir; do
  [[ -n "$dir" ]] || continue
  real=$(target "$dir")
  if [[ -d "$real" ]] && rmdir "$real" 2>/dev/null; then
    say "removed: $dir/"
  fi
done < <(printf '%s\n' "${dirs[@]}" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)

host_run systemctl daemon-reload
host_run udevadm control --reload-rules
if [[ $PURGE -eq 1 ]]; then
  host_run userdel "$KIOSK_USER"
  say "civic-kiosk removed, with its data"
else
  say "civic-kiosk removed; kept $STATE_DIR (applications not yet delivered, logs) and $ETC_DIR"
  say "a later install.sh picks them up again; uninstall.sh --purge deletes them"
fi
