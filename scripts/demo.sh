#!/usr/bin/env bash
# The main job on bundled fixtures: each worked example's primary 835 + original 837P -> secondary 837P.
set -euo pipefail
cd "$(dirname "$0")/.."
EDI=.venv/bin/edi
OUT=out/demo
rm -rf "$OUT"; mkdir -p "$OUT"
export EDI_STATE_DIR="$OUT/state"

echo "== edi inspect fixtures/examples/A_primary.835"
$EDI inspect fixtures/examples/A_primary.835
for pair in A:A_primary B:B_primary C:C_primary C2:C2_primary D:D_medicare_crossover E:E_reversal_correction; do
  name=${pair%%:*}; remit=${pair#*:}
  echo
  echo "== edi convert fixtures/examples/$remit.835 --claims fixtures/examples/${name}_original.837"
  status=0
  $EDI convert "fixtures/examples/$remit.835" --claims "fixtures/examples/${name}_original.837" \
      --out "$OUT/${name}_secondary.837" --report "$OUT/${name}_report.json" || status=$?
  echo "(exit status $status)"
  if [ -f "$OUT/${name}_secondary.837" ]; then
    echo "-- $OUT/${name}_secondary.837"
    cat "$OUT/${name}_secondary.837"
  else
    echo "-- no secondary claim written"
  fi
  echo "-- $OUT/${name}_report.json (claims)"
  .venv/bin/python -c "import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps(r['claims'], indent=2))" "$OUT/${name}_report.json"
done
