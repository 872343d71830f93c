-- ferret campaign correlation, for engines that read the `ferret export` tables (DuckDB, Spark
-- SQL, Trino...). It ranks the same candidates and leads as `ferret correlate` with its default
-- parameters (max share 0.5, window 6 h, near an alert on 2 devices); see crates/ferret-campaign/src/
-- correlate.rs for the definitions.
--
-- Expects three tables or views with the columns `ferret export` writes:
--   cases(case_id, ...)
--   observables(case_id, kind, value, first_seen_us, last_seen_us, count, modules)
--   alerts(case_id, time_us, level, level_rank, indicator)
-- e.g. in DuckDB on a Parquet export (sql/run_duckdb.py does this):
--   CREATE VIEW cases AS SELECT * FROM read_parquet('lake/cases.parquet');
--   CREATE VIEW observables AS SELECT * FROM read_parquet('lake/observables/*/*.parquet');
--   CREATE VIEW alerts AS SELECT * FROM read_parquet('lake/alerts/*/*.parquet');
-- Times are microseconds since 1970 (UTC). Portable SQL only: LN, EXP, LEAST, GREATEST, CASE.

WITH
n AS (SELECT CAST(COUNT(DISTINCT case_id) AS DOUBLE) AS n FROM cases),
df AS (
  SELECT kind, value, COUNT(DISTINCT case_id) AS df
  FROM observables GROUP BY kind, value
),
cand AS (
  SELECT df.kind, df.value, df.df FROM df CROSS JOIN n
  WHERE df.df >= 2 AND df.df / n.n <= 0.5
),
occ AS (
  SELECT o.case_id, o.kind, o.value,
         LEAST(COALESCE(o.first_seen_us, o.last_seen_us), COALESCE(o.last_seen_us, o.first_seen_us)) AS f,
         GREATEST(COALESCE(o.first_seen_us, o.last_seen_us), COALESCE(o.last_seen_us, o.first_seen_us)) AS l
  FROM observables o JOIN cand c ON c.kind = o.kind AND c.value = o.value
),
signals AS (
  SELECT case_id, time_us FROM alerts WHERE time_us IS NOT NULL AND level_rank >= 1
),
alerted AS (
  SELECT DISTINCT case_id FROM signals
),
dist AS (
  SELECT occ.case_id, occ.kind, occ.value,
         MIN(CASE WHEN s.time_us IS NULL THEN NULL
                  WHEN s.time_us < occ.f THEN occ.f - s.time_us
                  WHEN s.time_us > occ.l THEN s.time_us - occ.l
                  ELSE 0 END) / 3600000000.0 AS hours
  FROM occ JOIN alerted a ON a.case_id = occ.case_id
  LEFT JOIN signals s ON s.case_id = occ.case_id AND occ.f IS NOT NULL
  GROUP BY occ.case_id, occ.kind, occ.value
),
closeness AS (
  SELECT c.kind, c.value,
         COALESCE(SUM(CASE WHEN d.hours IS NULL THEN 0.0 ELSE EXP(-d.hours / 6.0) END) / NULLIF(COUNT(d.case_id), 0), 0.0) AS closeness,
         COUNT(CASE WHEN d.hours IS NOT NULL AND EXP(-d.hours / 6.0) >= 0.5 THEN 1 END) AS near
  FROM cand c LEFT JOIN dist d ON d.kind = c.kind AND d.value = c.value
  GROUP BY c.kind, c.value
),
known AS (
  SELECT DISTINCT LOWER(indicator) AS v FROM alerts WHERE indicator IS NOT NULL
),
scored AS (
  SELECT c.kind, c.value, c.df AS devices,
         LN(n.n / c.df) AS rarity,
         cl.closeness,
         cl.near,
         (k.v IS NOT NULL) AS known_indicator,
         LN(n.n / c.df) * LN(1 + c.df) * (0.25 + cl.closeness)
           + CASE WHEN k.v IS NOT NULL THEN 2.0 ELSE 0.0 END AS score
  FROM cand c
  JOIN closeness cl ON cl.kind = c.kind AND cl.value = c.value
  CROSS JOIN n
  LEFT JOIN known k ON k.v = LOWER(c.value)
)
SELECT kind, value, devices, rarity, closeness, near, known_indicator, score,
       (known_indicator OR near >= 2) AS lead
FROM scored
ORDER BY score DESC, kind, value;
