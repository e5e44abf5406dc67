#!/usr/bin/env bash
# Lighthouse's mobile audit of the public petition page: the four scores, CLS and the
# whole page's transfer size (docs/benchmarks.md, "The public petition page: weight and
# Lighthouse").
#
#   bench/lighthouse.sh                 start the laptop demo (scripts/run.sh) on a free
#                                       port, audit its petition page, stop it again
#   bench/lighthouse.sh URL             audit a page that is already served
#
# Lighthouse 12.2.3 is installed into .tmp/lighthouse on first use (13.x needs Node 22).
# Chromium is Debian's (/usr/bin/chromium, or CHROME_PATH). The report is kept in
# .tmp/lighthouse/report.json.
set -euo pipefail
cd "$(dirname "$0")/.."

version=12.2.3
dir=.tmp/lighthouse
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
say() { echo "lighthouse: $*" >&2; }

mkdir -p "$dir"
if [ "$("$dir/node_modules/.bin/lighthouse" --version 2>/dev/null)" != "$version" ]; then
    say "installing lighthouse@$version into $dir"
    (cd "$dir" && npm i -E "lighthouse@$version" --no-audit --no-fund --silent)
fi

url=${1:-}
demo_pid=
stop_demo() {
    if [ -n "$demo_pid" ]; then
        kill -TERM "$demo_pid" 2>/dev/null || true
        wait "$demo_pid" 2>/dev/null || true
    fi
}
trap stop_demo EXIT

if [ -z "$url" ]; then
    port=${PORT:-$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    say "starting the demo on port $port (log: $dir/demo.log)"
    PORT=$port scripts/run.sh >"$dir/demo.log" 2>&1 &
    demo_pid=$!
    url=http://127.0.0.1:$port/p/stop-face-scraping/
    for _ in $(seq 1 120); do
        if curl -fsS -o /dev/null "$url" 2>/dev/null; then break; fi
        if ! kill -0 "$demo_pid" 2>/dev/null; then say "the demo stopped:"; cat "$dir/demo.log" >&2; exit 1; fi
        sleep 1
    done
    # One visit first, as a visitor after the first would find it: the page kept whole.
    curl -fsS -o /dev/null "$url"
fi

say "auditing $url"
"$dir/node_modules/.bin/lighthouse" "$url" --quiet --output=json --output-path="$dir/report.json" \
    --form-factor=mobile --only-categories=performance,accessibility,best-practices,seo \
    --chrome-flags="--headless --no-sandbox --disable-gpu --disable-background-networking"

.venv/bin/python - "$dir/report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
categories, audits = report["categories"], report["audits"]
for key in ("performance", "accessibility", "best-practices", "seo"):
    print(f"{categories[key]['title']:<16} {round(categories[key]['score'] * 100):>4}")
print(f"{'CLS':<16} {audits['cumulative-layout-shift']['numericValue']:>7.3f}")
print(f"{'LCP (simulated)':<16} {audits['largest-contentful-paint']['numericValue'] / 1000:>6.1f} s")
items = audits["network-requests"]["details"]["items"]
total = sum(item.get("transferSize", 0) for item in items)
print(f"{'transfer':<16} {total / 1024:>6.1f} KiB in {len(items)} requests")
for item in sorted(items, key=lambda i: -i.get("transferSize", 0)):
    print(f"  {item.get('transferSize', 0) / 1024:>6.1f} KiB  {item['url'].split('/', 3)[-1][:70]}")
for category in categories.values():
    for ref in category["auditRefs"]:
        audit = audits[ref["id"]]
        if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
            print(f"  below full marks: {category['title']}: {audit['title']} ({audit['score']})")
PY
