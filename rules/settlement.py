"""Each dollar of the charge counted once, whatever convention a later payer uses (RFIs 626, 2143, 2535).

The payers' answers are settled in payer order. The earlier payer's answer is the base: its payment and its
CO/PI/OA amounts are final; its PR is carried to the next payer. A later payer explains only what the
earlier ones left open (the carried PR). Whatever else it reports is **restatement** of dollars an earlier
payer already settled, netted out and recorded as such, never booked as a write-off, a patient balance or a
credit:

* the usual OA-23 "impact of prior payer(s)" (or CO-23 / PI-23);
* a restated copy of the earlier payer's own adjustments (its CO-45 again, next to an OA-23 that holds only
  the earlier payment);
* an adjustment of the whole rest of the charge with no OA-23 at all (CO-45 = charge - its payment, RFI
  2194; a whole-charge denial CO-27, PR-96, OA-xx on a claim the earlier payer paid).

How much is restatement is known exactly: the charge minus what was left open, `R`. The later payer's
adjustments absorb `R` in a fixed order: CARC 23 first, then the earlier payers' own (group, CARC) pairs,
then any other CO/PI/OA, then PR; within a tier line by line first where both payers answered per line
(lines matched by their key; a line's items absorb at most what was settled on that line), then at claim
level, in the order reported. What is left of its
adjustments is its own answer: counted by category (its PR is the patient's, its CO/PI/OA write-offs or open
denials). When its CARC 23 covers more than `R` (OA-23 for everything it did not pay, with no PR), the excess
is the carried PR that it did not pay: it stays the patient's, under the earlier payer's reasons. When its
adjustments cannot absorb `R` it paid more than was left open: a credit, to review for a refund.

Pure functions of plain values; Decimal money.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

ZERO = Decimal(0)
CLAIM_LEVEL = ""  # the bucket of claim-level amounts; line buckets are keyed by the line key

# Where a dollar of an answer goes. Counted: each dollar of the charge is in exactly one of these (with the
# payments). Not counted: RESTATED and CARRIED (an earlier payer's PR, handed to the next payer).
CONTRACTUAL, ADMINISTRATIVE, BAD_DEBT, CHARITY = "contractual", "administrative", "bad-debt", "charity"
PATIENT, OTHER, CREDIT = "patient", "other", "credit"
RESTATED, CARRIED = "restated", "carried"
WRITE_OFFS = (CONTRACTUAL, ADMINISTRATIVE, BAD_DEBT, CHARITY)
COUNTED = (*WRITE_OFFS, PATIENT, OTHER, CREDIT)
NOT_COUNTED = (RESTATED, CARRIED)


@dataclass(frozen=True, slots=True)
class Item:
    """One adjustment as a payer reported it (an 835 CAS triplet), at claim or line level."""

    group: str
    reason: str
    amount: Decimal
    line: str = CLAIM_LEVEL  # the line key, or CLAIM_LEVEL


@dataclass(frozen=True, slots=True)
class PayerAnswer:
    """Everything one payer answered on the claim (its active 835 claims, netted): what a settlement needs."""

    payer: str
    sequence: str
    paid: Decimal
    line_charges: tuple[tuple[str, Decimal], ...]  # (line key, SVC02) of the lines it answered per line
    items: tuple[Item, ...]
    remarks: tuple[str, ...] = ()
    line_paid: tuple[tuple[str, Decimal], ...] = ()  # (line key, SVC03)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an amount of one payer's answer went. `group`/`reason` are the payer's CAS (empty for a credit)."""

    payer: str
    sequence: str
    group: str
    reason: str
    amount: Decimal
    category: str
    line: str = CLAIM_LEVEL
    action: str = ""
    note: str = ""

    def to_dict(self) -> dict:
        """The JSON shape of a statement's adjustment: amounts as exact decimal strings."""
        d = {
            "payer": self.payer,
            "group": self.group,
            "reason": self.reason,
            "amount": str(self.amount),
            "category": self.category,
        }
        if self.line:
            d["line"] = self.line
        if self.action:
            d["action"] = self.action
        if self.note:
            d["note"] = self.note
        return d


@dataclass(frozen=True, slots=True)
class Settlement:
    placements: tuple[Placement, ...]
    unexplained: tuple[tuple[str, Decimal], ...] = ()  # (payer, amount) its answer does not account for

    def total(self, category: str) -> Decimal:
        return sum((p.amount for p in self.placements if p.category == category), ZERO)


# `classify(payer, group, reason, amount, remarks) -> (category, action, note)` for an own non-PR adjustment
Classifier = Callable[[str, str, str, Decimal, tuple[str, ...]], tuple[str, str, str]]


def settle(charge: Decimal, answers: Iterable[PayerAnswer], classify: Classifier) -> Settlement:
    """Place every dollar of every answer (payer order) as counted or restated; see the module doc."""
    placements: list[Placement] = []
    unexplained: list[tuple[str, Decimal]] = []
    open_items: list[Placement] = []  # the previous payer's patient placements: what is left open
    settled_keys: set[tuple[str, str]] = set()  # (group, CARC) of earlier payers' own adjustments
    earlier_lines: set[str] = set()  # the lines earlier payers answered per line
    first = True
    for answer in answers:
        gap = charge - answer.paid - sum((i.amount for i in answer.items), ZERO)
        if gap:
            unexplained.append((answer.payer, gap))
        if first:
            own, leftover, shortfall = list(answer.items), [], ZERO
        else:
            own, leftover, shortfall, restated = _net(charge, answer, open_items, settled_keys, earlier_lines)
            placements += restated
            placements += [replace(p, category=CARRIED, note="carried to the next payer") for p in open_items]
        new_open = _carried_remainder(open_items, leftover, own, answer)
        mine = [_place(answer, item, classify, first) for item in own]
        placements += [p for p in mine if p.category != PATIENT]
        new_open += [p for p in mine if p.category == PATIENT]
        if shortfall and not gap:
            placements.append(
                Placement(
                    answer.payer,
                    answer.sequence,
                    "",
                    "",
                    -shortfall,
                    CREDIT,
                    note="paid more than was left open: review for a refund",
                )
            )
        settled_keys |= {(i.group, i.reason) for i in own if i.group != "PR"}
        earlier_lines |= {line for line, _ in answer.line_charges}
        open_items = new_open
        first = False
    return Settlement(tuple(placements + open_items), tuple(unexplained))


def _net(
    charge: Decimal,
    answer: PayerAnswer,
    open_items: list[Placement],
    settled_keys: set[tuple[str, str]],
    earlier_lines: set[str],
) -> tuple[list[Item], list[Item], Decimal, list[Placement]]:
    """Split a later payer's items into restatement (placements), its own items, and the CARC 23 it reported
    beyond the restatement (`leftover`); the Decimal is restatement its items could not absorb (`shortfall`).

    The restatement `R` (the charge less what was left open) is absorbed tier by tier (`_tier`), each tier
    across every line the earlier payers also answered per line (an item there absorbs at most what that
    line settled), then at claim level; within a tier in the order reported."""
    open_by_line: dict[str, Decimal] = {}
    for p in open_items:
        open_by_line[p.line] = open_by_line.get(p.line, ZERO) + p.amount
    capacity = max(charge - sum(open_by_line.values(), ZERO), ZERO)  # R: what earlier payers settled
    line_charges = dict(answer.line_charges)
    line_caps = {
        line: max(line_charges.get(line, ZERO) - open_by_line.get(line, ZERO), ZERO)
        for line in earlier_lines
        if line != CLAIM_LEVEL
    }

    def order(indexed: tuple[int, Item]) -> tuple[int, int, int]:
        index, item = indexed
        return _tier(item, settled_keys), 0 if item.line in line_caps else 1, index

    restated: list[Placement] = []
    own: list[Item] = []
    leftover: list[Item] = []
    for _, item in sorted(enumerate(answer.items), key=order):
        room = min(capacity, line_caps[item.line]) if item.line in line_caps else capacity
        amount = min(room, item.amount) if item.amount > 0 else ZERO
        if amount:
            restated.append(_restated(answer, item, amount))
            capacity -= amount
            if item.line in line_caps:
                line_caps[item.line] -= amount
        rest = item.amount - amount
        if rest:
            (leftover if item.reason == "23" else own).append(replace(item, amount=rest))
    return own, leftover, capacity, restated


def _tier(item: Item, settled_keys: set[tuple[str, str]]) -> int:
    """The order in which a later payer's items absorb the restatement: CARC 23 (impact of prior payers),
    then the earlier payers' own (group, CARC) restated, then any other CO/PI/OA, then PR."""
    if item.reason == "23":
        return 0
    if (item.group, item.reason) in settled_keys:
        return 1
    return 2 if item.group != "PR" else 3


def _restated(answer: PayerAnswer, item: Item, amount: Decimal) -> Placement:
    return Placement(
        answer.payer,
        answer.sequence,
        item.group,
        item.reason,
        amount,
        RESTATED,
        item.line,
        note="restates what an earlier payer settled",
    )


def _carried_remainder(
    open_items: list[Placement], leftover: list[Item], own: list[Item], answer: PayerAnswer
) -> list[Placement]:
    """The earlier payer's PR that the later one reported as CARC 23 beyond the restatement: it stays the
    patient's, under the earlier reasons. A line-level excess is taken from its own line; a claim-level one from
    the lines the later payer left open (neither paid nor explained there), then from any; within a line from
    the last reason first (payments cover the first first)."""
    left = [p.amount for p in open_items]  # what is still available of each open item
    taken = [ZERO] * len(open_items)

    def take(indexes: list[int], amount: Decimal) -> Decimal:
        for k in indexes:
            part = min(amount, left[k])
            if part > 0:
                left[k] -= part
                taken[k] += part
                amount -= part
        return amount

    def on(line: str) -> list[int]:
        return [k for k in reversed(range(len(open_items))) if open_items[k].line == line]

    everywhere = list(reversed(range(len(open_items))))
    extra = ZERO
    for item in (i for i in leftover if i.line != CLAIM_LEVEL):
        extra += take(on(item.line) + everywhere, item.amount)
    unexplained = _unexplained_by_line(open_items, own, answer)
    for item in (i for i in leftover if i.line == CLAIM_LEVEL):
        remaining = item.amount
        for line, amount in unexplained.items():
            part = min(remaining, amount)
            remaining -= part - take(on(line), part)
        extra += take(everywhere, remaining)
    out = [
        replace(p, amount=amount, note=f"carried: not paid by {answer.payer}")
        for p, amount in zip(open_items, taken, strict=True)
        if amount
    ]
    if extra:  # more CARC 23 than anything open: no earlier reason to keep it under
        note = "impact of a prior payer not on this account: review"
        out.append(Placement(answer.payer, answer.sequence, "OA", "23", extra, OTHER, note=note))
    return out


def _unexplained_by_line(open_items: list[Placement], own: list[Item], answer: PayerAnswer) -> dict[str, Decimal]:
    """Per line, what was left open there and the later payer neither paid nor explained there."""
    out: dict[str, Decimal] = {}
    for p in open_items:
        if p.line != CLAIM_LEVEL:
            out[p.line] = out.get(p.line, ZERO) + p.amount
    for line, paid in answer.line_paid:
        if line in out:
            out[line] -= paid
    for item in own:
        if item.line in out:
            out[item.line] -= item.amount
    return {line: amount for line, amount in out.items() if amount > 0}


def _place(answer: PayerAnswer, item: Item, classify: Classifier, first: bool) -> Placement:
    if item.group == "PR":
        return Placement(answer.payer, answer.sequence, item.group, item.reason, item.amount, PATIENT, item.line)
    if item.reason == "23":
        return Placement(
            answer.payer,
            answer.sequence,
            item.group,
            item.reason,
            item.amount,
            OTHER,
            item.line,
            note="impact of a prior payer not on this account: review",
        )
    category, action, note = classify(answer.payer, item.group, item.reason, item.amount, answer.remarks)
    return Placement(
        answer.payer, answer.sequence, item.group, item.reason, item.amount, category, item.line, action, note
    )
