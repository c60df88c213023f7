# Email over STARTTLS and implicit TLS (smtps) with SMTP authentication, and
# HTTPS webhooks with a bearer token, against servers started here on
# 127.0.0.1 with a certificate made here: scheduled runs deliver, wrong
# credentials and untrusted certificates are recorded failures, and no
# secret appears in any output, log, ledger, message or PDF.
. tests/lib.sh
PY=tests/fixtures
pids=""
stop_servers() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap stop_servers EXIT
# Only 127.0.0.1 is ever contacted: no proxy from the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
export NO_PROXY no_proxy
TO="timeout 120"

command -v openssl >/dev/null 2>&1 || { bad "openssl is missing"; done_checks deliver_tls; exit 1; }

# The secrets; none of them may show up anywhere.
QT_SMTP_USER=reports
QT_SMTP_PASSWORD='pw-Hq27v-5ecr3t'
QT_WRONG_PASSWORD='pw-Wr0ng-9xRt'
QT_HOOK_TOKEN='tok-Zk4m8-5ecr3t'
QT_WRONG_TOKEN='tok-Wr0ng-3Xy1'
export QT_SMTP_USER QT_SMTP_PASSWORD QT_WRONG_PASSWORD QT_HOOK_TOKEN QT_WRONG_TOKEN
SECRETS="$QT_SMTP_PASSWORD $QT_WRONG_PASSWORD $QT_HOOK_TOKEN $QT_WRONG_TOKEN"

# cert NAME: a self-signed certificate for 127.0.0.1 (its own CA).
cert() {
    $TO openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -days 1 \
        -keyout "$T/$1.key" -out "$T/$1.pem" >/dev/null 2>&1
}
cert ca && cert other || { bad "openssl could not make a certificate"; done_checks deliver_tls; exit 1; }

$TO "$QUIRE" sample --out "$T/data" --customers 200 --orders 1500 --months 12 --from 2023-06 \
    >/dev/null 2>&1 || { bad "quire sample failed"; done_checks deliver_tls; exit 1; }

# start_server NAME SCRIPT ARGS...: sets PORT
start_server() {
    name=$1 script=$2; shift 2
    python3 "$PY/$script" "$T/$name" "$T/$name.port" "$@" 2>"$T/$name.log" &
    pids="$pids $!"
    i=0
    while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    PORT=$(cat "$T/$name.port" 2>/dev/null)
}
AUTH="$QT_SMTP_USER:$QT_SMTP_PASSWORD"
start_server starttls smtp_server.py --starttls "$T/ca.pem" "$T/ca.key" --auth "$AUTH"
STARTTLS=$PORT
start_server smtps smtp_server.py --smtps "$T/ca.pem" "$T/ca.key" --auth "$AUTH" --auth-methods LOGIN
SMTPS=$PORT
start_server untrusted smtp_server.py --starttls "$T/other.pem" "$T/other.key" --auth "$AUTH"
UNTRUSTED=$PORT
start_server cleartext smtp_server.py --auth "$AUTH"
CLEAR=$PORT
start_server hook webhook_server.py --tls "$T/ca.pem" "$T/ca.key" --token "$QT_HOOK_TOKEN"
HOOK=$PORT
[ -n "$STARTTLS" ] && [ -n "$SMTPS" ] && [ -n "$UNTRUSTED" ] && [ -n "$CLEAR" ] && [ -n "$HOOK" ] &&
    ok || { bad "test servers did not start"; done_checks deliver_tls; exit 1; }

# make_spec FILE SCHEDULE-YAML: the stock report with paths made absolute.
make_spec() {
    sed -e "s#\.\./scripts/#$PWD/scripts/#" reports/monthly_segments.yaml |
        awk '/^schedule:/{skip=1; next} skip && /^[^ #]/{skip=0} !skip' >"$1"
    printf '%s\n' "$2" >>"$1"
}
sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print('|'.join(map(str,r))) for r in c.execute(sys.argv[2])]" "$@"; }
count() { ls "$1" 2>/dev/null | grep -c "$2"; }
# keep NAME: save the last command's stdout and stderr for the final search.
mkdir -p "$T/logs"
keep() { cp "$T/out" "$T/logs/$1.out"; cp "$T/err" "$T/logs/$1.err"; }
# attachment EML PDF: the message's one PDF attachment, decoded.
attachment() {
    python3 - "$1" "$2" <<'PYEOF'
import email, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"))
parts = [p for p in msg.walk() if p.get_content_type() == "application/pdf"]
assert len(parts) == 1
open(sys.argv[2], "wb").write(parts[0].get_payload(decode=True))
PYEOF
}
AUTHOPTS="username_env: QT_SMTP_USER, password_env: QT_SMTP_PASSWORD"

# 0. The options are checked.
make_spec "$T/nouser.yaml" "schedule:
  cron: \"0 6 1 * *\"
  tz: Europe/Berlin
  deliver:
    - { email: a@example.com, smtp_url: \"smtp://127.0.0.1:$STARTTLS\", from: q@example.com, password_env: QT_SMTP_PASSWORD }"
exits 1 "a password without username_env" $TO "$QUIRE" validate "$T/nouser.yaml" --param data="$T/data"
keep nouser
contains "$T/err" "needs username_env"
make_spec "$T/badca.yaml" "schedule:
  cron: \"0 6 1 * *\"
  tz: Europe/Berlin
  deliver:
    - { webhook: \"https://127.0.0.1:$HOOK/x\", ca_file: [a, b] }"
exits 1 "ca_file must be a path" $TO "$QUIRE" validate "$T/badca.yaml" --param data="$T/data"
keep badca
contains "$T/err" "ca_file must be a non-empty text"

# 1. Everything right: STARTTLS + AUTH PLAIN to two recipients (tls left to
#    its default), smtps with AUTH LOGIN, an HTTPS webhook with a bearer
#    token; the test's CA is trusted through ca_file (relative to the spec).
make_spec "$T/good.yaml" "schedule:
  name: good
  cron: \"0 6 1 * *\"
  tz: Europe/Berlin
  retries: 1
  deliver:
    - email: [a@example.com, b@example.com]
      smtp_url: \"smtp://127.0.0.1:$STARTTLS\"
      from: quire@example.com
      $(echo "$AUTHOPTS" | sed 's/, /\n      /')
      ca_file: ca.pem
    - { email: c@example.com, smtp_url: \"smtps://127.0.0.1:$SMTPS\", from: quire@example.com, $AUTHOPTS, ca_file: $T/ca.pem }
    - { webhook: \"https://127.0.0.1:$HOOK/hook\", format: pdf, token_env: QT_HOOK_TOKEN, ca_file: ca.pem }"
exits 0 "validate the TLS options" $TO "$QUIRE" validate "$T/good.yaml" --param data="$T/data"
keep validate
S=$T/good.db
exits 0 "run-due delivers over TLS with authentication" $TO "$QUIRE" run-due "$T/good.yaml" \
    --state "$S" --now 2024-05-01T04:00:30Z --param data="$T/data" -v
keep good
[ "$(count "$T/starttls" eml)" -eq 2 ] && ok || bad "STARTTLS server got $(count "$T/starttls" eml) messages, wanted 2"
for r in a@example.com b@example.com; do
    f=$(grep -l "X-Envelope-To: $r" "$T"/starttls/*.eml 2>/dev/null | head -n 1)
    if [ -z "$f" ]; then bad "$r got no message"; continue; fi
    ok
    contains "$f" "X-Test-TLS: yes"
    contains "$f" "X-Test-Auth: PLAIN reports"
    if attachment "$f" "$T/att-$r.pdf"; then
        check "$r: the attached PDF passes qpdf --check" qpdf --check "$T/att-$r.pdf"
    else
        bad "$r: no PDF attachment"
    fi
done
grep -q "auth PLAIN reports ok tls=yes" "$T/starttls.log" && ok || bad "no login over TLS on the STARTTLS server"
[ "$(count "$T/smtps" eml)" -eq 1 ] && ok || bad "smtps server got $(count "$T/smtps" eml) messages, wanted 1"
contains "$T/smtps/0001.eml" "X-Envelope-To: c@example.com"
contains "$T/smtps/0001.eml" "X-Test-TLS: yes"
contains "$T/smtps/0001.eml" "X-Test-Auth: LOGIN reports"
attachment "$T/smtps/0001.eml" "$T/att-smtps.pdf" && ok || bad "smtps: no PDF attachment"
check "smtps: the attached PDF passes qpdf --check" qpdf --check "$T/att-smtps.pdf"
[ "$(count "$T/hook" body)" -eq 1 ] && ok || bad "webhook got $(count "$T/hook" body) posts, wanted 1"
contains "$T/hook/0001.headers" "X-Test-TLS: yes"
contains "$T/hook/0001.headers" "Authorization: Bearer (checked)"
check "webhook: the posted PDF passes qpdf --check" qpdf --check "$T/hook/0001.body"
[ "$(sql "$S" "select count(*) from deliveries where status='sent'")" = 4 ] && ok ||
    bad "good: deliveries: $(sql "$S" "select recipient, status, error from deliveries")"
[ "$(sql "$S" "select status from runs")" = done ] && ok || bad "good: run not done: $(sql "$S" "select status, error from runs")"

# 2. Everything wrong, each recorded on its own recipient (one attempt):
#    a wrong password, a certificate nobody trusts (no ca_file: the system's
#    CAs), a server that offers no STARTTLS to a delivery with a password, a
#    wrong bearer token, and no token at all. on_failure is told, over TLS.
make_spec "$T/bad.yaml" "schedule:
  name: bad
  cron: \"0 6 1 * *\"
  tz: Europe/Berlin
  retries: 1
  deliver:
    - { email: wrongpw@example.com, smtp_url: \"smtp://127.0.0.1:$STARTTLS\", from: quire@example.com, username_env: QT_SMTP_USER, password_env: QT_WRONG_PASSWORD, tls: required, ca_file: ca.pem }
    - { email: untrusted@example.com, smtp_url: \"smtp://127.0.0.1:$UNTRUSTED\", from: quire@example.com, $AUTHOPTS }
    - { email: untrusted-smtps@example.com, smtp_url: \"smtps://127.0.0.1:$SMTPS\", from: quire@example.com, $AUTHOPTS, ca_file: other.pem }
    - { email: urlcreds@example.com, smtp_url: \"smtp://reports:pw-in-url-Q7@127.0.0.1:$STARTTLS\", from: quire@example.com, tls: required, ca_file: ca.pem }
    - { email: clear@example.com, smtp_url: \"smtp://127.0.0.1:$CLEAR\", from: quire@example.com, $AUTHOPTS }
    - { webhook: \"https://127.0.0.1:$HOOK/wrong\", format: json, token_env: QT_WRONG_TOKEN, ca_file: ca.pem }
    - { webhook: \"https://127.0.0.1:$HOOK/none\", format: json, ca_file: ca.pem }
    - { webhook: \"https://127.0.0.1:$HOOK/untrusted\", format: json, token_env: QT_HOOK_TOKEN }
  on_failure: { email: ops@example.com, smtp_url: \"smtp://127.0.0.1:$STARTTLS\", $AUTHOPTS, ca_file: ca.pem }"
B=$T/bad.db
exits 3 "run-due with bad credentials and certificates" $TO "$QUIRE" run-due "$T/bad.yaml" \
    --state "$B" --now 2024-05-01T04:00:30Z --param data="$T/data" -v
keep bad
derr() { sql "$B" "select status||': '||error from deliveries where recipient='$1'"; }
e=$(derr wrongpw@example.com)
case $e in failed:*) ok ;; *) bad "wrong password: not a recorded failure: $e" ;; esac
case $e in *"smtp://127.0.0.1:$STARTTLS"*) ok ;; *) bad "wrong password: the error does not name the server: $e" ;; esac
case $e in *authentication*"SMTP 535"*) ok ;; *) bad "wrong password: the error does not say authentication (SMTP 535): $e" ;; esac
grep -q "auth PLAIN reports refused tls=yes" "$T/starttls.log" && ok || bad "the wrong password was not tried over TLS"
contains "$T/err" "smtp://127.0.0.1:$STARTTLS"
e=$(derr urlcreds@example.com)
case $e in failed:*"smtp://***@127.0.0.1:$STARTTLS"*authentication*) ok ;; *) bad "credentials in smtp_url: $e" ;; esac
e=$(derr untrusted@example.com)
case $e in failed:*"smtp://127.0.0.1:$UNTRUSTED"*"certificate is not trusted"*ca_file*) ok ;;
    *) bad "untrusted certificate: $e" ;; esac
e=$(derr untrusted-smtps@example.com)
case $e in failed:*"smtps://127.0.0.1:$SMTPS"*"certificate is not trusted"*"ca_file does not hold"*) ok ;;
    *) bad "smtps, certificate not from ca_file: $e" ;; esac
[ "$(count "$T/untrusted" eml)" -eq 0 ] && ok || bad "a message went to the untrusted server"
[ "$(count "$T/smtps" eml)" -eq 1 ] && ok || bad "a message went to the smtps server past a wrong ca_file"
e=$(derr clear@example.com)
case $e in failed:*"smtp://127.0.0.1:$CLEAR"*STARTTLS*) ok ;; *) bad "no STARTTLS, with a password: $e" ;; esac
[ "$(count "$T/cleartext" eml)" -eq 0 ] && ok || bad "a message went without TLS"
grep -q auth "$T/cleartext.log" && bad "a login was tried without TLS" || ok
e=$(sql "$B" "select status||': '||error from deliveries where recipient like '%/wrong'")
case $e in failed:*"https://127.0.0.1:$HOOK/wrong"*"401"*"QT_WRONG_TOKEN"*refused*) ok ;; *) bad "wrong token: $e" ;; esac
e=$(sql "$B" "select status||': '||error from deliveries where recipient like '%/none'")
case $e in failed:*401*token*) ok ;; *) bad "no token: $e" ;; esac
e=$(sql "$B" "select status||': '||error from deliveries where recipient like '%/untrusted'")
case $e in failed:*"certificate is not trusted"*) ok ;; *) bad "webhook, untrusted certificate: $e" ;; esac
[ "$(count "$T/hook" body)" -eq 1 ] && ok || bad "the webhook accepted a bad request"
[ "$(sql "$B" "select status from runs")" = undelivered ] && ok || bad "bad: run: $(sql "$B" "select status from runs")"
n=$(grep -l "X-Envelope-To: ops@example.com" "$T"/starttls/*.eml 2>/dev/null | head -n 1)
if [ -n "$n" ]; then
    ok
    contains "$n" "X-Test-TLS: yes"
    # the text as a mail reader shows it (base64 when a line is over 998)
    python3 -c 'import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
sys.stdout.write(m.get_payload(decode=True).decode())' "$n" >"$T/notice.txt"
    contains "$T/notice.txt" "authentication"
else
    bad "on_failure was not told"
fi

# 3. The default is to verify: a ca_file that is not readable is an error
#    too, not a reason to skip verification.
make_spec "$T/noca.yaml" "schedule:
  name: noca
  cron: \"0 6 1 * *\"
  tz: Europe/Berlin
  retries: 1
  deliver:
    - { webhook: \"https://127.0.0.1:$HOOK/noca\", format: json, token_env: QT_HOOK_TOKEN, ca_file: missing.pem }"
exits 3 "a missing ca_file" $TO "$QUIRE" run-due "$T/noca.yaml" --state "$T/noca.db" \
    --now 2024-05-01T04:00:30Z --param data="$T/data"
keep noca
contains "$T/err" "cannot read ca_file $T/missing.pem"
[ "$(count "$T/hook" body)" -eq 1 ] && ok || bad "the webhook was posted to without verification"

# 4. Not one secret anywhere: outputs, server logs, ledgers (dumped and
#    raw), history, delivered messages and files, PDFs and their text.
for db in "$S" "$B" "$T/noca.db"; do
    python3 -c "import sqlite3,sys; [print(l) for l in sqlite3.connect(sys.argv[1]).iterdump()]" "$db" \
        >"$db.dump" 2>&1
    $TO "$QUIRE" history --state "$db" --deliveries -n 100 >"$db.history" 2>&1
done
[ -s "$B.dump" ] && contains "$B.dump" "authentication" || bad "ledger dump is empty"
contains "$B.history" "wrongpw@example.com"
for f in $(find "$T" -name '*.pdf') "$T"/hook/*.body; do
    pdftotext "$f" "$f.txt" 2>/dev/null
done
nfiles=$(find "$T" -type f | wc -l)
[ "$nfiles" -gt 40 ] && ok || bad "too few files to search: $nfiles"
for s in $SECRETS; do
    hits=$(grep -rlaF -- "$s" "$T" 2>/dev/null)
    [ -z "$hits" ] && ok || bad "secret $(echo "$s" | cut -c1-3)... found in: $hits"
done
# The password written into a smtp_url is in that spec only.
hits=$(grep -rlaF -- "pw-in-url-Q7" "$T" 2>/dev/null | grep -vx "$T/bad.yaml")
[ -z "$hits" ] && ok || bad "the password in smtp_url found in: $hits"

done_checks deliver_tls
