#!/bin/sh
# install.sh GODWIT ROOT: installs the binary, its man pages (packaging/man.sh) and its bash and zsh
# completion under ROOT (DESTDIR and PREFIX joined: /usr/local, /tmp/stage/usr, ...).
set -eu
godwit=$1 root=$2
here=$(dirname "$0")
install -d "$root/bin" "$root/share/man/man1" "$root/share/bash-completion/completions"
install -m 755 "$godwit" "$root/bin/godwit"
man=$(mktemp -d)
trap 'rm -rf "$man"' EXIT
sh "$here/man.sh" "$godwit" "$man"
for page in "$man"/*.1; do
    gzip -9n <"$page" >"$root/share/man/man1/$(basename "$page").gz"
    chmod 644 "$root/share/man/man1/$(basename "$page").gz"
done
install -m 644 "$here/completion/godwit.bash" "$root/share/bash-completion/completions/godwit"
# Debian's zsh looks in vendor-completions for packages (/usr), in site-functions for local installs.
case $root in
*/usr) zsh_dir=$root/share/zsh/vendor-completions ;;
*) zsh_dir=$root/share/zsh/site-functions ;;
esac
install -d "$zsh_dir"
install -m 644 "$here/completion/_godwit" "$zsh_dir/_godwit"
echo "installed godwit in $root/bin, its man pages and its bash and zsh completion"
