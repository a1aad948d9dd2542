#!/bin/sh
# man.sh GODWIT DIR: godwit's man pages, written by help2man from the very text of --help and
# --version (so the two never drift): DIR/godwit.1, and DIR/godwit-COMMAND.1 for each command.
set -eu
godwit=$1 dir=$2
command -v help2man >/dev/null || { echo "man.sh: help2man is missing (make deps)" >&2; exit 2; }
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
help2man --no-info --section=1 --name="live database migration" --output="$dir/godwit.1" "$godwit"
"$godwit" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/' | while read -r cmd summary; do
    # help2man runs the program it is given: one named godwit-COMMAND runs `godwit COMMAND`.
    printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$godwit" "$cmd" >"$tmp/godwit-$cmd"
    chmod +x "$tmp/godwit-$cmd"
    help2man --no-info --section=1 --name="$summary" --output="$dir/godwit-$cmd.1" "$tmp/godwit-$cmd"
done
