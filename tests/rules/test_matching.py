"""Matching an 835 claim's lines to its original's (rules.matching), on broken originals (issue 13)."""

from __future__ import annotations

import pytest

from parsers.read835 import read_835
from parsers.read837 import read_837
from rules.matching import match_lines
from rules.outcome import NEEDS_REVIEW, Refusal
from tests.support import EXAMPLES


def test_a_line_without_sv1_is_a_refusal_not_an_index_error():
    text = (EXAMPLES / "A_original.837").read_text()
    text = text.replace("SV1*HC:93000*100*UN*1***1~\n", "").replace("REF*6R*PCN1001-2~\n", "")
    [claim], _ = read_837(text.encode())
    rems, _ = read_835(EXAMPLES / "A_primary.835")
    payment = rems[0].claims[0]
    with pytest.raises(Refusal) as info:
        match_lines(claim, payment)
    assert info.value.disposition == NEEDS_REVIEW and "no SV1/SV2/SV3" in info.value.reason
