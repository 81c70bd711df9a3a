"""The results as one table on the terminal and as bench/results.json."""

import json
from pathlib import Path
from typing import Any

Row = tuple[str, str, str, str, str]


def verdict(met: bool, target: str) -> str:
    return f"{'met' if met else 'MISSED'} ({target})"


def extraction_rows(x: dict[str, Any]) -> list[Row]:
    return [
        (
            f"extraction: read_table, {x['rows']:,} orders",
            f"{x['seconds']:.2f} s, {x['rows_per_second']:,} rows/s, {x['peak_rss_mb']:.0f} MB",
            f"mysql CLI {x['floor_seconds']:.2f} s, {x['floor_peak_rss_mb']:.0f} MB",
            str(x["ratio"]),
            verdict(x["ratio"] <= 1.0 and x["money_exact"], "<=1.0x, money exact"),
        )
    ]


def incremental_scale_rows(x: dict[str, Any]) -> list[Row]:
    sizes = x["sizes"]
    small, large = min(sizes, key=int), max(sizes, key=int)
    at = f"the same {x['changed_orders']:,} orders changed, {int(large):,} orders"
    return [
        (
            f"incremental refresh, {at}",
            f"{sizes[large]['seconds']:.3f} s",
            f"{int(small):,} orders {sizes[small]['seconds']:.3f} s",
            str(x["scale_ratio"]),
            verdict(x["scale_ratio"] <= 1.3, "<=1.3x"),
        ),
        (
            f"incremental: the changed-rows query alone, {at}",
            f"{sizes[large]['query_seconds']:.3f} s",
            f"{int(small):,} orders {sizes[small]['query_seconds']:.3f} s",
            str(x["query_scale_ratio"]),
            "",
        ),
        (
            f"mysql_orders_changed_sensor: one tick, {int(large):,} orders",
            f"{sizes[large]['sensor_tick_seconds']:.3f} s",
            f"{int(small):,} orders {sizes[small]['sensor_tick_seconds']:.3f} s",
            str(x["sensor_tick_scale_ratio"]),
            "",
        ),
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


def against_reference(what: str, ours: str, theirs: str, ratio: float, target: float) -> Row:
    """A row comparing ours with deploy_docker's figure, and the ratio's verdict."""
    return (what, ours, f"deploy_docker {theirs}", str(ratio), verdict(ratio <= target, f"<={target}x"))


def reference_rows(x: dict[str, Any]) -> list[Row]:
    ours, theirs = x["ours"], x["reference"]

    def launch(run):
        return (
            f"{run['seconds']:.2f} s (queue {run['queue_seconds']:.1f} + start {run['start_seconds']:.1f}"
            f" + steps {run['step_seconds']:.1f})"
        )

    return [
        against_reference(
            "launch: one asset to SUCCESS", launch(ours["launch"]), launch(theirs["launch"]), x["launch_ratio"], 1.0
        ),
        against_reference(
            "cold start: up until the code location is loaded",
            f"{ours['cold_start_seconds']:.1f} s",
            f"{theirs['cold_start_seconds']:.1f} s",
            x["cold_start_ratio"],
            0.6,
        ),
        against_reference(
            "idle memory: daemon + webserver + code server + Postgres",
            f"{ours['idle_memory_same_four_mb']:.0f} MiB",
            f"{theirs['idle_memory_same_four_mb']:.0f} MiB",
            x["idle_memory_ratio"],
            1.0,
        ),
        against_reference(
            "idle CPU, host-wide: each stack alone at rest",
            f"{x['idle_cpu']['ours_percent_of_a_core']:.1f} % of a core",
            f"{x['idle_cpu']['reference_percent_of_a_core']:.1f} % (bare machine"
            f" {x['idle_cpu']['bare_machine_percent_of_a_core']:.1f} %)",
            x["idle_cpu_ratio"],
            2.5,
        ),
        (
            "whole stack at rest: every service",
            f"{x['whole_stack_at_rest_mb']:.0f} MiB",
            "",
            "",
            verdict(x["whole_stack_at_rest_mb"] < 900, "<900 MiB"),
        ),
    ] + [(f"idle memory: {service}", f"{mib:.0f} MiB", "", "", "") for service, mib in ours["idle_memory_mb"].items()]


def locations_rows(x: dict[str, Any]) -> list[Row]:
    one, two = x["one_location"], x["two_locations"]
    return [
        (
            "a second code location: cold start, up until both are loaded",
            f"{two['cold_start_seconds']:.1f} s",
            f"the bookshop's alone {one['cold_start_seconds']:.1f} s",
            str(x["cold_start_ratio"]),
            verdict(x["cold_start_ratio"] <= 1.1, "<=1.1x"),
        ),
        (
            "a second code location: whole stack at rest, added",
            f"{x['added_memory_mb']:.0f} MiB ({two['whole_stack_at_rest_mb']:.0f} MiB in all)",
            f"its code server {two['second_code_server_mb']:.0f} MiB (the bookshop's {one['code_server_mb']:.0f})",
            str(x["added_memory_ratio"]),
            verdict(x["added_memory_ratio"] <= 1.2, "<=1.2x its code server"),
        ),
    ]


UI_TARGETS = {
    "first_visit_bytes_ratio": 0.3,
    "first_visit_seconds_ratio": 0.5,
    "repeat_visit_bytes_ratio": 0.5,
    "repeat_visit_seconds_ratio": 0.7,
}


def slowest(visit: dict[str, Any]) -> str:
    return f"{visit['slowest_answer_seconds']:.2f} s ({visit['slowest_operation']})"


def ui_rows(x: dict[str, Any]) -> list[Row]:
    table = []
    for entry in ("operator", "viewer"):
        for key, target in UI_TARGETS.items():
            visit, figure = key.removesuffix("_ratio").rsplit("_", 1)
            ours, theirs = x[entry][visit][figure], x["reference"][visit][figure]
            unit = "s" if figure == "seconds" else "bytes"
            table.append(
                against_reference(
                    f"runs page, {entry} entry, {visit.replace('_', ' ')}: {figure}",
                    f"{ours:,} {unit}",
                    f"{theirs:,} {unit}",
                    x[entry][key],
                    target,
                )
            )
    for visit in ("first_visit", "repeat_visit"):
        ours, theirs = x["operator"][visit], x["reference"][visit]
        table.append(
            (
                f"runs page, operator entry, {visit.replace('_', ' ')}: until the first GraphQL query; slowest answer",
                f"{ours['to_first_query_seconds']:.2f} s; {slowest(ours)}",
                f"deploy_docker {theirs['to_first_query_seconds']:.2f} s; {slowest(theirs)}",
                "",
                "",
            )
        )
    return table


def drop_rows(x: dict[str, Any]) -> list[Row]:
    return [
        ("a dropped file to the figures: one file", f"{x['one_file_seconds']:.1f} s", "", "", ""),
        (
            "a dropped file to the figures: one file, by stage",
            ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in x["one_file_stages"].items()),
            "",
            "",
            "",
        ),
        (
            f"a dropped file to the figures: {x['files']} at once, p50",
            f"{x['p50_seconds']:.1f} s",
            "",
            "",
            verdict(x["p50_seconds"] <= 45, "<=45 s"),
        ),
        (
            f"a dropped file to the figures: {x['files']} at once, max",
            f"{x['max_seconds']:.1f} s",
            "",
            "",
            verdict(x["max_seconds"] <= 120, "<=120 s"),
        ),
    ]


def soak_rows(x: dict[str, Any]) -> list[Row]:
    worst = max(x["memory_drift"], key=x["memory_drift"].get)
    runs = ", ".join(f"{count} {status}" for status, count in sorted(x["runs"].items()))
    return [
        (
            f"compressed month, {x['minutes']:g} min: memory drift, worst service",
            f"{worst} {x['memory_drift_ratio']}",
            "",
            str(x["memory_drift_ratio"]),
            verdict(x["memory_drift_ratio"] <= 1.1, "<=1.1x"),
        ),
        (
            f"compressed month: {worst}'s drift in the second half alone",
            str(x["memory_drift_second_half"][worst]),
            "",
            "",
            "",
        ),
        ("compressed month: runs", runs, "", "", ""),
        (
            "compressed month: Postgres growth per 1,000 runs",
            f"{x['postgres_growth_mb_per_1000_runs']} MB",
            "",
            "",
            "",
        ),
        (
            "compressed month: run containers left behind",
            str(x["leftover_run_containers"]),
            "",
            "",
            verdict(x["leftover_run_containers"] == 0, "none"),
        ),
    ]


def render(results: dict[str, Any]) -> str:
    header = ("figure", "median", "floor / reference", "ratio", "target")
    table = [header]
    sections = {
        "extraction": extraction_rows,
        "scale": scale_rows,
        "burst": burst_rows,
        "reference": reference_rows,
        "ui": ui_rows,
        "locations": locations_rows,
        "drop_to_figures": drop_rows,
        "soak": soak_rows,
    }
    if "scale_ratio" in results.get("incremental", {}):
        table += incremental_scale_rows(results["incremental"]["scale"])
    for key, rows in sections.items():
        if key in results:
            table += rows(results[key])
    widths = [max(len(row[column]) for row in table) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
