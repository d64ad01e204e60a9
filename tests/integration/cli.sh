# cli.sh — the command line: help, version, unknown and unbuilt commands.
. tests/integration/lib.sh

check_rc "--help exits 0" 0 "$FINSENT" --help
check_out "--help lists commands" "mock-broker" "$FINSENT" --help
check_out "--version prints version" "finsent $(cat VERSION)" "$FINSENT" --version
check_rc "no command exits 2" 2 "$FINSENT"
check_err "unknown command named, exit 2" 2 "unknown command 'frobnicate'" "$FINSENT" frobnicate
check_rc "bad --log-level exits 2" 2 "$FINSENT" --log-level loud --help
for cmd in $("$FINSENT" --help | awk '/^commands:/{on=1;next} /^$/{on=0} on{print $1}'); do
    check_rc "$cmd --help exits 0" 0 "$FINSENT" "$cmd" --help
    if "$FINSENT" --help | grep -E "^  $cmd " | grep -q "not built yet"; then
        check_err "$cmd says it is not built, exit 2" 2 "'$cmd' is not built yet (see README, Limits)" "$FINSENT" "$cmd"
    fi
done
done_testing
