"""``sortext money``: outstanding by age, invoiced and paid, top clients."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option
from sortext.commands.style import paint, use_colour, visible

#: ASCII digits only, nothing around them (``\d`` took fullwidth digits, ``$`` a newline)
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


@click.command("money")
@click.option(
    "--month", metavar="YYYY-MM", help="The month (and its year) to total; default: today's."
)
@click.option("--owner", metavar="PERSON", help="Only PERSON's clients.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@today_option
@repo_option
def command(
    month: str | None, owner: str | None, as_json: bool, today: str | None, repo_dir: Path | None
) -> None:
    """Money at a glance, per currency: what is outstanding (sent or overdue
    invoices) by age since issue (0-30, 31-60, 61-90, 90+ days), what was
    invoiced and paid this month and this year, and the top clients by what
    they paid this year.  Amounts in different currencies are never added.

    --json prints {today, month, currencies: [{currency, outstanding: {bucket:
    amount}, outstanding_total, invoiced_month, invoiced_year, paid_month,
    paid_year}], top_clients: [...], open_invoices: [...]}.

    \b
    Examples:
      sortext money
      sortext money --owner theo --json
    """
    from sortext.rules.wording import money as fmt
    from sortext.views.day import money

    picked: tuple[int, int] | None = None
    if month is not None:
        from sortext.record.values import MAX_YEAR, MIN_YEAR

        m = _MONTH.fullmatch(month)
        if not m:
            raise click.BadParameter(
                f"'{month}' is not a month: write YYYY-MM", param_hint="--month"
            )
        picked = (int(m.group(1)), int(m.group(2)))
        if not MIN_YEAR <= picked[0] <= MAX_YEAR:
            raise click.BadParameter(
                f"'{month}' is outside the years {MIN_YEAR} to {MAX_YEAR} sortext works in",
                param_hint="--month",
            )
    repo = open_repo(repo_dir)
    summary = money(repo, resolve_today(today, repo.config.timezone), picked, owner)
    if as_json:
        click.echo(json.dumps(summary.to_json(), indent=2))
        return
    colour = use_colour()
    out: list[str] = []
    if not summary.currencies:
        click.echo("No invoices.")
        return
    year = summary.month[:4]
    for c in summary.currencies:
        cur = c.currency or "(no currency)"
        out.append(paint(cur, "heading", colour))
        buckets = "  ".join(f"{b}: {fmt(v, None) or '0'}" for b, v in c.outstanding.items())
        out.append(f"  outstanding {fmt(c.outstanding_total, None) or '0'}  ({buckets} days)")
        out.append(
            f"  {summary.month}  invoiced {fmt(c.invoiced_month, None) or '0'}"
            f"  paid {fmt(c.paid_month, None) or '0'}"
        )
        out.append(
            f"  {year}     invoiced {fmt(c.invoiced_year, None) or '0'}"
            f"  paid {fmt(c.paid_year, None) or '0'}"
        )
    if summary.open_invoices:
        out.append("")
        out.append(paint("Outstanding, oldest first", "heading", colour))
        names = [visible(i.name) for i in summary.open_invoices]
        ids = [visible(i.invoice) for i in summary.open_invoices]
        sums = [fmt(i.amount, i.currency) for i in summary.open_invoices]
        name_w, id_w, sum_w = (max(len(t) for t in col) for col in (names, ids, sums))
        for i, name, inv, amount in zip(summary.open_invoices, names, ids, sums, strict=True):
            style = "overdue" if i.age > 30 else "info"
            out.append(
                f"  {paint(f'{i.age:>4}d', style, colour)}  {name:<{name_w}}  "
                f"{inv:<{id_w}}  {amount:>{sum_w}}"
            )
    if summary.top_clients:
        out.append("")
        out.append(paint(f"Top clients {year} (paid)", "heading", colour))
        names = [visible(t.name) for t in summary.top_clients]
        sums = [fmt(t.paid_year, t.currency) for t in summary.top_clients]
        name_w, sum_w = (max(len(t) for t in col) for col in (names, sums))
        for name, amount in zip(names, sums, strict=True):
            out.append(f"  {name:<{name_w}}  {amount:>{sum_w}}")
    click.echo("\n".join(out))
