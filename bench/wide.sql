-- bench/wide.sql: the wide table of bench/fetch.sh, with many types.  psql -v rows=N.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic');
CREATE TABLE wide (
    id       int8 PRIMARY KEY,
    amount   numeric(18, 4),
    ratio    float8,
    label    text,
    body     text,
    blob     bytea,
    flag     bool,
    day      date,
    at       timestamptz,
    span     interval,
    uid      uuid,
    doc      jsonb,
    addr     inet,
    nums     int[],
    feeling  mood
);
INSERT INTO wide
SELECT i,
       (i::int8 * 7919 % 1000000007) / 100.0,
       CASE WHEN i % 1000 = 0 THEN 'NaN'::float8 ELSE sqrt(i) * 1.5 END,
       'label ' || i,
       -- text of varying length: 0 to ~1.3 kB, a few with escapes
       CASE WHEN i % 97 = 0 THEN E'tab\there\nnewline \\ backslash ' || i
            ELSE repeat(md5(i::text), i % 41) END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE decode(md5(i::text) || '00ff', 'hex') END,
       i % 3 = 0,
       DATE '2000-01-01' + (i % 9000),
       TIMESTAMPTZ '2020-01-01 00:00:00+00' + i * INTERVAL '1.234567 second',
       make_interval(days => i % 400, secs => (i % 86400) / 7.0),
       md5('u' || i)::uuid,
       jsonb_build_object('id', i, 'tags', jsonb_build_array('a', 'b', i % 5), 'nested', jsonb_build_object('x', i * 0.5, 'ok', i % 2 = 0)),
       ('10.' || (i >> 16) % 256 || '.' || (i >> 8) % 256 || '.' || i % 256)::inet,
       ARRAY[i, i + 1, NULLIF(i % 7, 0), i * 2],
       (ARRAY['sad', 'ok', 'happy', 'ecstatic'])[1 + i % 4]::mood
FROM generate_series(1, :rows) AS i;
CREATE INDEX wide_day ON wide (day);
CREATE INDEX wide_uid ON wide (uid);
