# quire next: fire times, DST flags, errors that point at the field; --help of
# the scheduling commands.
. tests/lib.sh
exits 0 "next" "$QUIRE" next '0 6 1 * *' --tz Europe/Berlin --from 2024-01-15T00:00:00 -n 3
printf '2024-02-01T06:00:00+01:00\n2024-03-01T06:00:00+01:00\n2024-04-01T06:00:00+02:00\n' >"$T/want"
cmp -s "$T/out" "$T/want" && ok || bad "next printed: $(cat "$T/out")"
exits 0 "next in a DST gap" "$QUIRE" next '30 2 * * *' --tz America/New_York --from 2024-03-09T12:00:00-05:00 -n 1
contains "$T/out" "2024-03-10T03:00:00-04:00  # DST: 02:30 does not exist"
exits 1 "a bad field" "$QUIRE" next '0 6 32 * *'
contains "$T/err" 'day-of-month field "32"'
contains "$T/err" "      ^"
exits 1 "an unknown zone" "$QUIRE" next '@daily' --tz Mars/Olympus
exits 1 "a bad --from" "$QUIRE" next '@daily' --from yesterday
exits 1 "--spec without a schedule" "$QUIRE" next --spec reports/monthly_segments.yaml.none
for c in next schedule run-due history; do
    exits 0 "$c --help" "$QUIRE" $c --help
    contains "$T/out" "Usage: quire $c"
done
exits 1 "run-due without --state" "$QUIRE" run-due reports/monthly_segments.yaml
done_checks next
