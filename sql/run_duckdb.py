#!/usr/bin/env python3
"""Runs sql/correlate.sql with DuckDB on a `ferret export` folder and prints the ranking as JSON.

Usage: python3 sql/run_duckdb.py LAKE [jsonl|csv|parquet]
Needs the duckdb Python package (pip install duckdb).
"""
import json
import pathlib
import sys

import duckdb

lake = pathlib.Path(sys.argv[1])
fmt = sys.argv[2] if len(sys.argv) > 2 else "jsonl"
# CSV cells carry no types: give the ones the SQL computes with
TYPES = {
    "observables": "{'case_id': 'VARCHAR', 'kind': 'VARCHAR', 'value': 'VARCHAR', 'first_seen_us': 'BIGINT', 'last_seen_us': 'BIGINT'}",
    "alerts": "{'case_id': 'VARCHAR', 'time_us': 'BIGINT', 'level_rank': 'INTEGER', 'indicator': 'VARCHAR'}",
    "cases": "{'case_id': 'VARCHAR'}",
}


def reader(path, table):
    if fmt == "jsonl":
        return f"read_json_auto('{path}', format='newline_delimited')"
    if fmt == "csv":
        return f"read_csv('{path}', header=true, auto_detect=true, types={TYPES[table]})"
    return f"read_parquet('{path}')"


con = duckdb.connect()
con.execute("CREATE VIEW cases AS SELECT * FROM " + reader(lake / f"cases.{fmt}", "cases"))
for table in ("observables", "alerts"):
    files = sorted(str(p) for p in (lake / table).glob(f"*/part-0.{fmt}"))
    # an empty part has no rows to infer columns from: keep only parts with rows
    parts = [f for f in files if pathlib.Path(f).stat().st_size > 0]
    if fmt == "csv":
        parts = [f for f in parts if sum(1 for _ in open(f, encoding="utf-8")) > 1]
    if parts:
        sql = " UNION ALL BY NAME ".join("SELECT * FROM " + reader(f, table) for f in parts)
    elif table == "alerts":
        sql = "SELECT NULL::VARCHAR AS case_id, NULL::BIGINT AS time_us, NULL::VARCHAR AS level, NULL::INTEGER AS level_rank, NULL::VARCHAR AS indicator WHERE false"
    else:
        sql = "SELECT NULL::VARCHAR AS case_id, NULL::VARCHAR AS kind, NULL::VARCHAR AS value, NULL::BIGINT AS first_seen_us, NULL::BIGINT AS last_seen_us WHERE false"
    con.execute(f"CREATE VIEW {table} AS {sql}")
query = (pathlib.Path(__file__).parent / "correlate.sql").read_text(encoding="utf-8")
rows = con.execute(query).fetchall()
cols = [d[0] for d in con.description]
json.dump([dict(zip(cols, r)) for r in rows], sys.stdout)
