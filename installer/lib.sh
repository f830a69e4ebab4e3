# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this file
# Shared by install.sh and uninstall.sh: paths, logging, dry-run and idempotent file operations.
#
# Every operation compares before it writes, so a second run with the same inputs changes nothing
# (not even a timestamp). Host-changing commands (useradd, apt-get, systemctl, udevadm, pip) go
# through `host_run`, which only prints them under --dry-run. File operations write below $ROOT.
# Owners are applied with chown on a real install; under --dry-run they are only recorded in the
# manifest, because the kiosk user does not exist on the machine doing the dry run.

APP=civic-kiosk
KIOSK_USER=kiosk
OPT_DIR=/opt/civic-kiosk
ETC_DIR=/etc/civic-kiosk
STATE_DIR=/var/lib/civic-kiosk
UNIT_DIR=/etc/systemd/system
MANIFEST=$OPT_DIR/install-manifest.tsv

ROOT=""
DRY_RUN=0
CHANGES=0
MANIFEST_LINES=()

say() { printf '%s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 2
}

# The path on the machine being written: $ROOT prefixed.
target() { printf '%s%s' "$ROOT" "$1"; }

changed() {
  CHANGES=$((CHANGES + 1))
  say "changed: $*"
}

# Run a command that changes the host, or only show it under --dry-run.
host_run() {
  if [[ $DRY_RUN -eq 1 ]]; then
    say "would run: $*"
  else
    "$@"
  fi
}

record() { # type mode owner group path [link-target]
  local line
  line=$(printf '%s\t%s\t%s\t%s\t%s' "$1" "$2" "$3" "$4" "$5")
  [[ $# -ge 6 ]] && line+=$(printf '\t%s' "$6")
  MANIFEST_LINES+=("$line")
}

# Bring an existing path to mode/owner/group, touching only what differs.
apply_attrs() { # path mode owner group
  local path=$1 mode=$2 owner=$3 group=$4 real current
  real=$(target "$path")
  current=$(stat -c '%a' "$real")
  if [[ "$current" != "${mode#0}" ]]; then
    chmod "$mode" "$real"
    changed "mode $mode $path"
  fi
  if [[ $DRY_RUN -eq 0 ]]; then
    current=$(stat -c '%U:%G' "$real")
    if [[ "$current" != "$owner:$group" ]]; then
      chown "$owner:$group" "$real"
      changed "owner $owner:$group $path"
    fi
  fi
}

ensure_dir() { # path mode owner group
  local path=$1
  if [[ ! -d $(target "$path") ]]; then
    mkdir -p "$(target "$path")"
    changed "created $path/"
  fi
  apply_attrs "$@"
  record dir "$2" "$3" "$4" "$path"
}

# Install the content of file $1 at $2 unless it is already there byte for byte.
ensure_file() { # source path mode owner group
  local source=$1 path=$2 real
  real=$(target "$path")
  if [[ ! -f "$real" ]] || ! cmp -s "$source" "$real"; then
    local tmp="$real.$APP-new"
    cp "$source" "$tmp"
    chmod "$3" "$tmp"
    mv -f "$tmp" "$real"
    changed "wrote $path"
  fi
  apply_attrs "$path" "$3" "$4" "$5"
  record file "$3" "$4" "$5" "$path"
}

# Like ensure_file, with the content on standard input.
ensure_content() { # path mode owner group
  local tmp
  tmp=$(mktemp)
  cat >"$tmp"
  ensure_file "$tmp" "$@"
  rm -f "$tmp"
}

ensure_symlink() { # link-path link-target
  local path=$1 dest=$2 real
  real=$(target "$path")
  if [[ ! -L "$real" || "$(readlink "$real")" != "$dest" ]]; then
    mkdir -p "$(dirname "$real")"
    ln -sfn "$dest" "$real"
    changed "linked $path -> $dest"
  fi
  record link 777 root root "$path" "$dest"
}

remove_path() { # path
  local real
  real=$(target "$1")
  if [[ -e "$real" || -L "$real" ]]; then
    rm -rf -- "$real"
    say "removed: $1"
    CHANGES=$((CHANGES + 1))
  fi
}

write_manifest() {
  ensure_content "$MANIFEST" 0644 root root < <(printf '%s\n' "${MANIFEST_LINES[@]}" | LC_ALL=C sort -u -k5,5 -t $'\t')
}

# Shared option handling for --root/--dry-run.
set_root() { # dir
  [[ -n "$1" ]] || die "--root needs a directory"
  mkdir -p "$1" || die "cannot create $1"
  ROOT=$(cd "$1" && pwd)
  [[ "$ROOT" != "/" ]] || ROOT=""
}

check_root_options() {
  if [[ $DRY_RUN -eq 1 && -z "$ROOT" ]]; then
    die "--dry-run lays the files out under a directory: give --root DIR as well"
  fi
  if [[ $DRY_RUN -eq 0 && -n "$ROOT" ]]; then
    die "--root is for review and tests and needs --dry-run; to build an image, run the installer inside it"
  fi
  if [[ $DRY_RUN -eq 0 && $(id -u) -ne 0 ]]; then
    die "run as root (or use --root DIR --dry-run to see what would be installed)"
  fi
}
