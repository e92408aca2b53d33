"""``kepu demo``: the 芝罘区 demo data set and large synthetic data sets for benchmarks."""

from __future__ import annotations

import asyncio

import typer

from service.settings import get_settings

app = typer.Typer(help="演示数据 / demo and synthetic data.", no_args_is_help=True)


@app.command()
def load(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing if data already exists."),
) -> None:
    """Load the deterministic 烟台市芝罘区 demo data set."""
    from service.demo.loader import load_demo_into

    settings = get_settings()
    counts = asyncio.run(load_demo_into(settings, if_empty=if_empty))
    if counts is None:
        typer.echo("database already has data; demo not loaded (use without --if-empty to force)")
        return
    typer.echo("demo loaded: " + ", ".join(f"{name} {n}" for name, n in counts.items()))


@app.command()
def synth(
    volunteers: int = typer.Option(100_000, min=1, help="How many volunteers to generate."),
    orders: int = typer.Option(10_000, min=0, help="How many orders to generate."),
    seed: int = typer.Option(7, help="Random seed (same seed, same data)."),
    history_orders: int = typer.Option(
        0, min=0, help="Orders of the past year and next month, with offers, hours, ratings."
    ),
    offers_per_order: float = typer.Option(10.1, min=1, help="Mean offers per history order."),
) -> None:
    """Generate a large synthetic data set (COPY on PostgreSQL) for benchmarks."""
    from service.demo.synthetic import load_synthetic

    settings = get_settings()
    report = asyncio.run(
        load_synthetic(
            settings,
            volunteers=volunteers,
            orders=orders,
            seed=seed,
            history_orders=history_orders,
            offers_per_order=offers_per_order,
        )
    )
    typer.echo(report)
