#!/bin/sh
# meson install script: install_if_absent.sh SRC DIR copies SRC into $DESTDIR/DIR unless a file of
# that name is there. The operator's conf (/etc/l7tap/l7tap.yaml) survives a reinstall; the
# reference copy with every default goes to datadir and is replaced each time.
set -eu
dest="${DESTDIR:-}$2/$(basename "$1")"
if [ -e "$dest" ]; then
  echo "Keeping $dest (exists; the defaults are in the reference copy under datadir)"
else
  install -D -m 0644 "$1" "$dest"
  echo "Installing $1 to $dest"
fi
