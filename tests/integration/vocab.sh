# vocab.sh — `finsent vocab build` on small inline corpora: text and CSV
# inputs, special tokens first, size limit, and one-line errors.
. tests/integration/lib.sh

printf 'Stocks rally as Fed holds\nstocks fall\n$AAPL stocks up\n' >"$TMP/a.txt"
printf 'id,text\r\n1,"Stocks, bonds and ""stocks"" rally\nagain"\r\n2,rally rally\r\n' >"$TMP/b.csv"

check_rc "build from txt + csv exits 0" 0 "$FINSENT" vocab build --input "$TMP/a.txt" --input "$TMP/b.csv" \
    --size 60 --min-freq 2 --out "$TMP/vocab.txt"
check "special tokens are ids 0-4" sh -c "head -5 '$TMP/vocab.txt' | tr '\n' ' ' | grep -qx '\[PAD\] \[UNK\] \[CLS\] \[SEP\] \[MASK\] '"
check "a frequent word is learned whole" grep -qx stocks "$TMP/vocab.txt"
check "rally is learned from the CSV column" grep -qx rally "$TMP/vocab.txt"
check "no duplicate tokens" sh -c "[ \$(sort '$TMP/vocab.txt' | uniq -d | wc -l) -eq 0 ]"
check "at most --size tokens" sh -c "[ \$(wc -l <'$TMP/vocab.txt') -le 60 ]"
"$FINSENT" vocab build --input "$TMP/a.txt" --size 60 --cased --out "$TMP/cased.txt" 2>/dev/null
check "--cased keeps capitals" grep -qx S "$TMP/cased.txt"
check_err "missing input named, exit 1" 1 "nope.txt" "$FINSENT" vocab build --input "$TMP/nope.txt" --out "$TMP/v.txt"
check_err "unknown CSV column named" 1 "no column named 'body'" "$FINSENT" vocab build --input "$TMP/b.csv" --column body --out "$TMP/v.txt"
check_rc "bad --size exits 2" 2 "$FINSENT" vocab build --input "$TMP/a.txt" --size 3 --out "$TMP/v.txt"
check_rc "no --out exits 2" 2 "$FINSENT" vocab build --input "$TMP/a.txt"
check_rc "unknown action exits 2" 2 "$FINSENT" vocab learn
done_testing
