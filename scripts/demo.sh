#!/usr/bin/env bash
# The main job on bundled fixtures: a clearinghouse drop of original 837Ps and primary 835s goes through
# `edi batch` (secondary 837Ps out, validated before they are published), then the secondary payer's 835 is
# posted and one claim is followed to a zero balance.
set -euo pipefail
cd "$(dirname "$0")/.."
EDI=.venv/bin/edi
DEMO=out/demo
rm -rf "$DEMO"; mkdir -p "$DEMO/drop"
export EDI_STATE_DIR="$DEMO/state"

say() { printf '\n== %s\n' "$*"; }

say "edi inspect fixtures/examples/A_primary.835"
$EDI inspect fixtures/examples/A_primary.835

# The drop: every worked example's original claim and primary remittance (batch moves what it takes).
cp fixtures/examples/*_original.837 fixtures/examples/*_primary.835 fixtures/examples/D_medicare_crossover.835 \
   fixtures/examples/E_reversal_correction.835 "$DEMO/drop/"
say "edi batch $DEMO/drop --out $DEMO/out --report $DEMO/batch-report.json"
status=0
$EDI batch "$DEMO/drop" --out "$DEMO/out" --report "$DEMO/batch-report.json" 2>&1 || status=$?
echo "(exit status $status: 0 clean, 1 something needs a person)"

for f in "$DEMO"/out/*.837; do
  say "written: $f"
  cat "$f"
done

say "edi validate $DEMO/out/*.837"
$EDI validate "$DEMO"/out/*.837

say "edi post fixtures/examples/A_secondary_payer.835 (the secondary payer answers claim PCN1001)"
$EDI post fixtures/examples/A_secondary_payer.835
say "edi statement PCN1001 --json"
$EDI statement PCN1001 --json

# The billing office's side: the CO-50 denial of claim PCN2002 worked to its end, then the write-off report
# (one self-contained HTML page) and the patient's statement of that claim.
ITEM=$($EDI worklist --csv | awk -F, '$7 == "50" { print $1; exit }')
say "edi worklist set $ITEM appealed, then lost (the history is kept; an administrative write-off is posted)"
# Dated as the office worked it, within the denial's appeal window (the fixture's remittance is of 2024).
$EDI worklist note "$ITEM" "payer asked for the visit notes" --by demo --on 2024-06-10
$EDI worklist set "$ITEM" appealed --by demo --on 2024-06-14
$EDI worklist set "$ITEM" lost --by demo --on 2024-08-02 --text "appeal upheld the denial"
say "edi report write-offs --by reason"
$EDI report write-offs --by reason
REPORT=$($EDI report write-offs --by reason --format html --out "$DEMO/reports/write-offs.html")
STATEMENT=$($EDI statement PCN2002 --format html --out "$DEMO/statements/PCN2002.html")
say "written (owner-only files)"
echo "write-off report:  $REPORT"
echo "patient statement: $STATEMENT"
