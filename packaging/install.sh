#!/bin/sh
# Installs the bundle from `make package` for the current user: the app in ~/.local/opt/reelgraph,
# the `reelgraph` command in ~/.local/bin, a menu entry and icons.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/dist/reelgraph"
[ -x "$src/reelgraph" ] || { echo "build it first: make package" >&2; exit 1; }
prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
dest="$HOME/.local/opt/reelgraph"
mkdir -p "$HOME/.local/opt" "$HOME/.local/bin" "$prefix/applications"
rm -rf "$dest"
cp -a "$src" "$dest"
ln -sf "$dest/reelgraph" "$HOME/.local/bin/reelgraph"
for size in 16 32 48 64 128 256 512; do
  mkdir -p "$prefix/icons/hicolor/${size}x${size}/apps"
  cp "$here/resources/icons/reelgraph_${size}.png" "$prefix/icons/hicolor/${size}x${size}/apps/reelgraph.png"
done
sed "s|^Exec=reelgraph|Exec=$dest/reelgraph|" "$here/packaging/reelgraph.desktop" > "$prefix/applications/reelgraph.desktop"
echo "installed: $dest (command: ~/.local/bin/reelgraph, menu: Reelgraph)"
