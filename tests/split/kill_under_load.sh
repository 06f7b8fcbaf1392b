#!/bin/bash
# Issue 11's reproduction, as a measurement (not run by CI): the README's five --role processes
# under loadgen at 30 orders/s for 30 s; 10 s in, one layer process (rom or activation) is
# killed with -9 and restarted on its address 4 s later. Prints loadgen's verdict, every
# process's own audit, and the cross-process checks: the network's allocations against the
# resources of TMF640's active services, the element configurations against TMF640, and
# TMF640's active services against those ROM's TMF639 has in service.
#
#   cargo build --release -p simulator -p loadgen && tests/split/kill_under_load.sh rom
set -u
VICTIM=${1:?usage: kill_under_load.sh rom|activation}
cd "$(dirname "$0")/../.."
B=target/release/simulator
WORK=$(mktemp -d)
S=$WORK/split-crash.toml
cat > "$S" <<'TOML'
name = "split-crash"
seed = 67
[chain]
element_timeout_ms = 1000
com_child_deadline_ms = 6000
som_child_deadline_ms = 3000
rom_child_deadline_ms = 2000
child_answer_ms = 1000
subscription_renew_ms = 1000
[profiles.default]
latency = { distribution = "lognormal", median_ms = 20.0, sigma = 0.5 }
[load]
model = "open"
rate = 30
duration = "30s"
drain_timeout = "60s"
[load.mix]
add_fibre = 80
add_bundle = 10
add_voip = 10
[thresholds]
checks = ["open_at_end == 0"]
TOML

start() {
  case $1 in
    network) args=(--listen 127.0.0.1:9105) ;;
    activation) args=(--listen 127.0.0.1:9104 --network 127.0.0.1:9105 --rom 127.0.0.1:9103) ;;
    rom) args=(--listen 127.0.0.1:9103 --activation 127.0.0.1:9104 --network 127.0.0.1:9105 --som 127.0.0.1:9102) ;;
    som) args=(--listen 127.0.0.1:9102 --rom 127.0.0.1:9103) ;;
    com) args=(--listen 127.0.0.1:9101 --som 127.0.0.1:9102) ;;
  esac
  "$B" --role "$1" "${args[@]}" --scenario "$S" > "$WORK/$1.log" 2>&1 &
  echo $! > "$WORK/$1.pid"
}
stop_all() { for l in network activation rom som com; do kill "$(cat "$WORK/$l.pid")" 2>/dev/null; done; }
trap stop_all EXIT

for l in network activation rom som com; do start $l; sleep 0.5; done
sleep 1
target/release/loadgen run "$S" --target http://127.0.0.1:9101 --track poll > "$WORK/loadgen.out" 2>&1 &
LOADGEN=$!
sleep 10; kill -9 "$(cat "$WORK/$VICTIM.pid")"; echo "killed $VICTIM"
sleep 4; start "$VICTIM"; echo "restarted $VICTIM"
wait $LOADGEN; echo "loadgen exit code $?"
grep -E "^(load|outcomes|latency|verdict|PASS|FAIL)" "$WORK/loadgen.out"
sleep 3
python3 - <<'PY'
import collections, json, urllib.request
def get(url):
    return json.load(urllib.request.urlopen(url))
def pages(url):
    out, offset = [], 0
    while True:
        sep = '&' if '?' in url else '?'
        page = get(f"{url}{sep}offset={offset}&limit=1000")
        out += page
        offset += 1000
        if len(page) < 1000:
            return out
for port in range(9101, 9106):
    audit = get(f"http://127.0.0.1:{port}/admin/audit")
    print(f"audit of :{port}: ok={audit['ok']}, not checked: {len(audit.get('not_checked', []))}")
    for finding in audit['findings']:
        if finding.get('count'):
            print(f"  {finding['check']}: {finding['count']} {finding.get('examples', [])[:3]}")
active = pages('http://127.0.0.1:9104/tmf-api/ServiceActivationAndConfiguration/v4/service?state=active')
active_ids = {s['id'] for s in active}
in_use = sum(len(s.get('supportingResource', [])) for s in active)
configured = {f"ACT-{c['service']}" for c in pages('http://127.0.0.1:9105/network/v1/configuration')}
allocations = pages('http://127.0.0.1:9105/network/v1/allocation')
rom = pages('http://127.0.0.1:9103/tmf-api/resourceInventory/v4/resource?resourceStatus=available')
rom_ids = {e['id'] for r in rom for e in r.get('relatedEntity', []) if e.get('role') == 'activation'}
orders = pages('http://127.0.0.1:9101/tmf-api/productOrderingManagement/v4/productOrder')
states = collections.Counter(o['state'] for o in orders)
lost = sum(1 for o in orders if o['state'] == 'failed' and 'childLost' in json.dumps(o.get('note', [])))
print(f"product orders: {len(orders)} {dict(states)}; failed with childLost: {lost}")
for o in orders:
    why = json.dumps(o.get('note', []))
    if o['state'] not in ('completed', 'failed', 'partial') or (o['state'] == 'failed' and 'childLost' not in why):
        print(f"  {o['id']} {o['state']} {why[:300]}")
print(f"network allocations {len(allocations)}, resources of active TMF640 services {in_use}")
print(f"configured on elements {len(configured)}, not active in TMF640 {len(configured - active_ids)}")
print(f"active TMF640 {len(active_ids)}, named by ROM's TMF639 in service {len(rom_ids)}, equal: {active_ids == rom_ids}")
PY
