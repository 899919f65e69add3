"""R16 and §4.7: negative corrections and clawbacks offset against the debtor's own credit, the rest invoiced."""
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from core.formatting import chf

from .index import ZERO, Index
from .inputs import InvoiceDraft, Line

INVOICE_DUE_DAYS = 30  # R16, §4.7: 30 days after the invoice


def invoice_due(invoice_date: date) -> date:
    return invoice_date + timedelta(days=INVOICE_DUE_DAYS)


def offsets(index: Index, lines: list[Line]) -> list[InvoiceDraft]:
    """R16, §4.7: a negative correction or an open clawback is offset against the debtor's own credit in this run.

    The debtor's credit is what the run pays for the debtor itself (for a lead-paid group: the member's
    share only, never the lead's own fees); an abolished debtor's is its successor's (R26). What exceeds
    it is invoiced to the debtor (or its successor), 30 days after the invoice date, and not offset again.
    """
    inp = index.inp
    credit: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))  # debtor -> payee -> CHF
    for line in lines:
        if line.status == "payable" and line.amount > 0:
            debtor = index.successor(index.municipalities[line.municipality_id])
            credit[debtor.id][line.payee_id] += line.amount

    def take(debtor_id: int, wanted: Decimal, prefer: int | None = None) -> list[tuple[int, Decimal]]:
        taken = []
        for payee_id in sorted(credit[debtor_id], key=lambda payee: (payee != prefer, payee)):
            part = min(wanted, credit[debtor_id][payee_id])
            if part > 0:
                credit[debtor_id][payee_id] -= part
                wanted -= part
                taken.append((payee_id, part))
        return taken

    invoices: list[InvoiceDraft] = []
    for position, line in enumerate(list(lines)):
        if line.status == "payable" and line.amount < 0:
            debtor = index.successor(index.municipalities[line.municipality_id])
            owed = -line.amount
            parts = take(debtor.id, owed, prefer=line.payee_id)
            offset = sum((part for _payee, part in parts), ZERO)
            own = sum((part for payee_id, part in parts if payee_id == line.payee_id), ZERO)
            rest = owed - offset
            if own != owed:  # offset where the debtor's credit is paid out (R13), the rest invoiced (R16)
                note = f"; davon CHF {chf(offset)} verrechnet"
                if rest:
                    note += (f", CHF {chf(rest)} an {debtor.name} in Rechnung gestellt, fällig 30 Tage nach "
                             "Rechnungsdatum")
                lines[position] = replace(line, amount=-own, rule="R15, R16",
                                          explanation=line.explanation[:-1] + note + " (R16).")
                for payee_id, part in parts:
                    if payee_id == line.payee_id:
                        continue
                    payee = index.municipalities[payee_id]
                    lines.append(Line(
                        line.municipality_id, payee_id, "correction", f"{line.period}:{payee_id}", None, None, -part,
                        "payable", "R15, R16, R13", f"Negative Korrektur {line.period} von {debtor.name}: CHF "
                        f"{chf(part)} mit dem eigenen Guthaben von {debtor.name} verrechnet, das in diesem Lauf an "
                        f"{payee.name} ausbezahlt wird (R15, R16, R13).", line.report_id))
                if rest:
                    invoices.append(InvoiceDraft(debtor.id, None, rest, f"Negative Korrektur {line.period} (R15/R16)"))
    for clawback in sorted(inp.clawbacks, key=lambda c: (c.decided_on, c.id)):
        muni = index.municipalities[clawback.municipality_id]
        if clawback.decided_on > inp.payout_date or clawback.open_amount <= 0:
            continue
        debtor = index.successor(muni)
        # §4.7: what exceeds the debtor's credit in this run is invoiced, also when that credit is 0, as for a
        # negative correction (R16: "a negative correction is a clawback")
        parts = take(debtor.id, clawback.open_amount)
        offset = sum((part for _payee, part in parts), ZERO)
        rest = clawback.open_amount - offset
        via = "" if debtor.id == muni.id else f" (Rechtsnachfolgerin {debtor.name}, R26)"
        text = (f"Rückforderung vom {clawback.decided_on:%d.%m.%Y} ({clawback.reason}), offen CHF "
                f"{chf(clawback.open_amount)}: mit dem eigenen Guthaben von {debtor.name} in diesem Lauf verrechnet "
                f"CHF {chf(offset)}{via}")
        if rest:
            text += (f"; Rest CHF {chf(rest)} wird {debtor.name} in Rechnung gestellt, fällig 30 Tage nach "
                     "Rechnungsdatum, und nicht erneut verrechnet")
            invoices.append(InvoiceDraft(debtor.id, clawback.id, rest, clawback.reason))
        for payee_id, part in parts:
            period = f"RF-{clawback.id}" if len(parts) == 1 else f"RF-{clawback.id}-{payee_id}"
            lines.append(Line(muni.id, payee_id, "clawback_offset", period, None, None, -part, "payable",
                              "R16", text + (" (R16, §4.7)." if muni.id == payee_id else " (R16, §4.7, R13/R26)."),
                              clawback_id=clawback.id))
    return invoices
