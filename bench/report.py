"""The results as one table on the terminal and as bench/results.json."""

import json
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str, str]


def ratio(value: float, floor: float) -> float:
    return round(value / floor, 2) if floor else float("nan")


def verdict(met: bool, target: str) -> str:
    return f"{'met' if met else 'MISSED'} ({target})"


def extraction_rows(x: dict[str, Any]) -> list[Row]:
    floor = f"mysql CLI {x['floor_seconds']:.2f} s"
    return [
        (
            f"extraction: read_table, {x['rows']:,} orders",
            f"{x['seconds']:.2f} s, {x['rows_per_second']:,} rows/s, {x['peak_rss_mb']:.0f} MB",
            f"{floor}, {x['floor_peak_rss_mb']:.0f} MB",
            str(x["ratio"]),
            verdict(x["ratio"] <= 1.0 and x["money_exact"], "<=1.0x, money exact"),
        ),
        (
            "extraction: mysql_orders materialised (full)",
            f"{x['materialization_seconds']:.2f} s, {x['materialization_peak_rss_mb']:.0f} MB",
            floor,
            str(ratio(x["materialization_seconds"], x["floor_seconds"])),
            "",
        ),
    ]


def incremental_rows(x: dict[str, Any]) -> list[Row]:
    table = [
        (
            f"incremental refresh, {x['changed_fraction']:.0%} changed (steps)",
            f"{x['seconds']:.3f} s, {x['peak_rss_mb']:.0f} MB",
            f"full refresh {x['full_seconds']:.3f} s",
            str(ratio(x["seconds"], x["full_seconds"])),
            "",
        ),
        (
            "incremental: whole in-process run",
            f"{x['run_seconds']:.2f} s",
            f"full refresh {x['full_run_seconds']:.2f} s",
            str(ratio(x["run_seconds"], x["full_run_seconds"])),
            "",
        ),
        ("orders loaded whole by downstream", f"{x['read_table_seconds']:.2f} s", "", "", ""),
    ]
    return table


def incremental_scale_rows(x: dict[str, Any]) -> list[Row]:
    sizes = x["sizes"]
    small, large = min(sizes, key=int), max(sizes, key=int)
    return [
        (
            f"incremental refresh, the same {x['changed_orders']:,} orders changed, {int(large):,} orders",
            f"{sizes[large]['seconds']:.3f} s",
            f"{int(small):,} orders {sizes[small]['seconds']:.3f} s",
            str(x["scale_ratio"]),
            verdict(x["scale_ratio"] <= 1.3, "<=1.3x"),
        )
    ]


def scale_rows(x: dict[str, Any]) -> list[Row]:
    sizes = x["sizes"]
    small, large = min(sizes, key=int), max(sizes, key=int)
    limit = x["memory_limit_mb"]
    table = [
        (
            f"daily_refresh in its run container, {int(rows):,} orders",
            f"{figures['seconds']:.1f} s ({x['seconds_per_million'][rows]:.1f} s per million), "
            f"peak {figures['peak_mb']:.0f} MiB",
            f"limit {limit} MiB" if limit else "no memory limit",
            "",
            verdict(figures["peak_mb"] < 2048 and (not limit or figures["peak_mb"] < limit), "<2048 MiB, in limit")
            if rows == large
            else "",
        )
        for rows, figures in sizes.items()
    ]
    table.append(
        (
            "daily_refresh: seconds per million orders",
            f"{x['seconds_per_million'][large]:.1f} s at {int(large):,}",
            f"{x['seconds_per_million'][small]:.1f} s at {int(small):,}",
            str(x["per_million_ratio"]),
            verdict(x["per_million_ratio"] <= 1.2, "<=1.2x"),
        )
    )
    return table


def burst_rows(x: dict[str, Any]) -> list[Row]:
    one, batched = x["one_per_file"], x["batched"]

    def figures(mode):
        return f"{mode['seconds']:.1f} s, {mode['files_per_second']:.2f} files/s, {mode['runs']} runs"

    files = f"{x['files']} files of {x['orders_per_file']} orders + {x['bad_files']} bad"
    return [
        (
            f"burst: {files}, batched",
            figures(batched),
            f"one run per file: {figures(one)}",
            str(x["ratio"]),
            verdict(x["ratio"] <= 0.2, "<=0.2x"),
        )
    ]


def reference_rows(x: dict[str, Any]) -> list[Row]:
    ours, theirs = x["ours"], x["reference"]

    def split(run):
        return f"queue {run['queue_seconds']:.1f} + start {run['start_seconds']:.1f} + steps {run['step_seconds']:.1f}"

    return [
        (
            "launch: one asset to SUCCESS",
            f"{ours['launch']['seconds']:.2f} s ({split(ours['launch'])})",
            f"deploy_docker {theirs['launch']['seconds']:.2f} s ({split(theirs['launch'])})",
            str(x["launch_ratio"]),
            verdict(x["launch_ratio"] <= 0.5, "<=0.5x"),
        ),
        (
            "cold start: up until the code location is loaded",
            f"{ours['cold_start_seconds']:.1f} s",
            f"deploy_docker {theirs['cold_start_seconds']:.1f} s",
            str(x["cold_start_ratio"]),
            verdict(x["cold_start_ratio"] <= 0.6, "<=0.6x"),
        ),
        (
            "idle memory: daemon + webserver + code server + Postgres",
            f"{ours['idle_memory_same_four_mb']:.0f} MiB (all but MySQL {ours['idle_memory_whole_stack_mb']:.0f})",
            f"deploy_docker {theirs['idle_memory_same_four_mb']:.0f} MiB",
            str(x["idle_memory_ratio"]),
            verdict(x["idle_memory_ratio"] <= 0.9, "<=0.9x"),
        ),
    ] + [(f"idle memory: {service}", f"{mib:.0f} MiB", "", "", "") for service, mib in ours["idle_memory_mb"].items()]


def stack_rows(results: dict[str, Any]) -> list[Row]:
    table = []
    if "first_start_seconds" in results:
        table.append(("first start: empty volumes, code loaded", f"{results['first_start_seconds']:.1f} s", "", "", ""))
    if daily := results.get("daily_refresh"):
        table.append(
            (
                "daily_refresh to SUCCESS, seed data",
                f"{daily['seconds']:.2f} s (queue {daily['queue_seconds']:.1f} + start {daily['start_seconds']:.1f})",
                f"its steps {daily['step_seconds']:.2f} s",
                str(ratio(daily["seconds"], daily["step_seconds"])),
                "",
            )
        )
    leftovers = results.get("image_build_leftovers", {})
    for image, megabytes in results.get("image_mb", {}).items():
        met = "" if image not in leftovers else verdict(not leftovers[image], "no build tools or caches")
        table.append((f"image: {image}", f"{megabytes} MB", "", "", met))
    return table


def render(results: dict[str, Any]) -> str:
    header = ("figure", "median", "floor / reference", "ratio", "target")
    table = [header]
    if "extraction" in results:
        table += extraction_rows(results["extraction"]) + incremental_rows(results["incremental"])
    if "scale_ratio" in results.get("incremental", {}):
        table += incremental_scale_rows(results["incremental"]["scale"])
    if "scale" in results:
        table += scale_rows(results["scale"])
    if "burst" in results:
        table += burst_rows(results["burst"])
    if "reference" in results:
        table += reference_rows(results["reference"])
    table += stack_rows(results)
    widths = [max(len(row[column]) for row in table) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
