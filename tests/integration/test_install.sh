#!/usr/bin/env bash
# Installing godwit as an operator does (and the reference pages in docs/ are the binary's --help): `make install` into a DESTDIR (the binary runs from there, the
# man pages open with man and say every option its --help says, bash and zsh complete its commands and
# each command's options); `make deb` builds a package whose dependencies are the libraries the binary
# links, and on a machine where the test runs as root it installs with apt, runs from /usr/bin, has its
# man pages where man finds them, and purges cleanly.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEST=$GW_OUT/dest
make -s -C "$GW_ROOT" install DESTDIR="$DEST" PREFIX=/usr/local GODWIT_BIN="$GODWIT" >"$GW_OUT/install.log" 2>&1 ||
    abort_test "make install: $(_gw_first_lines "$GW_OUT/install.log")"
BIN=$DEST/usr/local/bin/godwit
assert_eq "$("$GODWIT" --version)" "$("$BIN" --version)" "the installed binary's version"
assert_exit 0 "$BIN" help fetch
assert_contains "$OUT" "usage: godwit fetch"

# Every command has its page, and each page names every option of the command's --help.
commands=$("$BIN" help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ "$(wc -w <<<"$commands")" -ge 9 ] || fail "godwit help lists the commands: '$commands'"
MAN=$DEST/usr/local/share/man/man1
for cmd in $commands; do
    page=$MAN/godwit-$cmd.1.gz
    [ -s "$page" ] || { fail "no man page $page"; continue; }
    man -l "$page" >"$GW_OUT/man-$cmd.txt" 2>/dev/null || fail "man -l $page failed"
    for opt in $("$BIN" help "$cmd" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$opt" "$GW_OUT/man-$cmd.txt" || fail "man page of $cmd lacks $opt"
    done
done
man -l "$MAN/godwit.1.gz" 2>/dev/null | grep -q "preflight" || fail "godwit(1) does not list the commands"

# docs/reference is what the binary's --help says, page for page.
sh "$GW_ROOT/packaging/reference.sh" "$BIN" "$GW_OUT/reference" || fail "reference.sh failed"
diff -ru "$GW_ROOT/docs/reference" "$GW_OUT/reference" >"$GW_OUT/reference.diff" ||
    fail "docs/reference differs from the commands' --help (run make reference): $(head -c 300 "$GW_OUT/reference.diff")"

# bash completion, as bash-completion calls it.
complete_bash() {   # WORDS...: the words typed so far, the last being completed
    PATH="$DEST/usr/local/bin:$PATH" bash -c '
        . "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _godwit
        printf "%s\n" "${COMPREPLY[@]}"' _ "$DEST/usr/local/share/bash-completion/completions/godwit" "$@"
}
assert_eq "failback fetch finish" "$(complete_bash godwit f | sort | paste -sd ' ')" "bash completes the commands"
assert_contains_re <(complete_bash godwit fetch --sha) "^--shard-size$"
assert_contains_re <(complete_bash godwit preflight --pro) "^--probe$"
assert_contains_re <(complete_bash godwit help ver) "^verify$"

# zsh completion: its functions stubbed to print what they would offer.
ZSH_FN=$DEST/usr/local/share/zsh/site-functions/_godwit
zsh -n "$ZSH_FN" || fail "zsh completion does not parse"
complete_zsh() {   # CURRENT WORDS...
    PATH="$DEST/usr/local/bin:$PATH" zsh -f -c '
        _describe() { print -rl -- ${(P)4}; }
        compadd() { print -rl -- ${(P)2}; }
        _files() { print "<files>"; }
        fn=$1; CURRENT=$2; shift 2; words=("$@"); PREFIX=$words[CURRENT]
        source $fn' _ "$ZSH_FN" "$@"
}
assert_contains_re <(complete_zsh 2 godwit "") "^replicate:"
assert_contains_re <(complete_zsh 3 godwit replicate --stop) "^--stop-when-caught-up$"

# The Debian package.
make -s -C "$GW_ROOT" deb GODWIT_BIN="$GODWIT" DEB_DIR="$GW_OUT" >"$GW_OUT/deb.log" 2>&1 ||
    abort_test "make deb: $(_gw_first_lines "$GW_OUT/deb.log")"
DEB=$(ls "$GW_OUT"/godwit_*.deb)
depends=$(dpkg-deb -f "$DEB" Depends)
for lib in libpq5 libmariadb3 libjansson4 libmicrohttpd12 libgnutls30; do
    assert_contains_re <(tr ',' '\n' <<<"$depends") "^ *$lib( |$)"
done
dpkg-deb -c "$DEB" >"$GW_OUT/deb.contents"
assert_contains "$GW_OUT/deb.contents" "./usr/bin/godwit"
assert_contains "$GW_OUT/deb.contents" "./usr/share/man/man1/godwit-fetch.1.gz"
assert_contains "$GW_OUT/deb.contents" "./usr/share/bash-completion/completions/godwit"
if [ "$(id -u)" = 0 ] && ! dpkg-query -W godwit >/dev/null 2>&1 && [ ! -e /usr/bin/godwit ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$DEB" >"$GW_OUT/apt.log" 2>&1 ||
        fail "apt install of the package failed: $(_gw_first_lines "$GW_OUT/apt.log")"
    assert_eq "$("$GODWIT" --version)" "$(/usr/bin/godwit --version)" "the packaged binary's version"
    if grep -rqs 'path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d; then
        note "dpkg here leaves man pages out (path-exclude): not looked for"
    else
        assert_eq "/usr/share/man/man1/godwit-verify.1.gz" "$(man -w godwit-verify 2>/dev/null)" "man finds the packaged page"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q godwit >>"$GW_OUT/apt.log" 2>&1 || fail "apt purge failed"
    [ ! -e /usr/bin/godwit ] || fail "/usr/bin/godwit left after the purge"
else
    note "not root, or a godwit already installed here: the package is built and checked, not installed"
fi
finish
