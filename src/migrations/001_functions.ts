import { type Kysely, sql } from 'kysely'

/**
 * The two functions every later table relies on.
 *
 * `gen_uuid_v7()` is the default of every `id` (rule V1-01). It follows RFC 9562
 * section 6.2, method 3: 48 bits of Unix milliseconds, the version nibble 7, then
 * 12 bits of sub-millisecond time, then the variant and 62 random bits, and the ids
 * one session makes strictly increase. Which body it gets is decided here, at
 * creation, by a feature and not a version number, so that this migration's SQL (and
 * its checksum) is the same on every server:
 *
 * - Where the server has `pg_catalog.uuidv7()` (PostgreSQL 18+), a `LANGUAGE sql`
 *   function of that one call, which the planner inlines: the native generator
 *   itself. It keeps its last time in the backend, so its ids increase even within
 *   one microsecond and whatever the clock does. It stays `PARALLEL UNSAFE` (the
 *   default), so that a query calling it runs in that one backend.
 * - Elsewhere, PL/pgSQL with the same layout: the random bits are taken from
 *   `gen_random_uuid()` (core since PostgreSQL 13, no extension). The last 60-bit
 *   time value is kept in a session setting, and a value that is not greater than
 *   it is bumped by one, so ids made by one session strictly increase even within
 *   one microsecond or when the clock steps back by up to a second. Any session can
 *   change that setting, and a pooler hands it on to the next client: a value that
 *   is not a number, or that runs more than a second ahead of the clock, is
 *   ignored, so it can neither break inserts nor date ids in the future. A setting
 *   is reverted when its transaction aborts; ids of an aborted transaction were
 *   never stored, and the clock has moved on by then. The body is the cheapest of
 *   the variants measured (docs/schema-rules.md): `date_part` rather than the
 *   numeric `extract`, an assignment rather than `PERFORM`, and no bounded
 *   repetition in the regular expression.
 *
 * A database made on PostgreSQL 17 or older keeps the PL/pgSQL body through
 * `pg_upgrade`; docs/schema-rules.md says how to switch it to the native one.
 *
 * `set_updated_at()` is the one `BEFORE UPDATE` trigger function that keeps
 * `updated_at` current (rule V1-02). Tables attach it with
 * `WHEN (OLD IS DISTINCT FROM NEW)`, so an update that changes nothing leaves
 * `updated_at` alone. Every change moves `updated_at` forward, by a millisecond
 * past the old value when the transaction's time is not later (two updates in
 * one millisecond, or in one transaction): an update guarded by the
 * `updated_at` a client read never matches after another change.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    DO $do$
    BEGIN
      IF to_regprocedure('pg_catalog.uuidv7()') IS NOT NULL THEN
        CREATE FUNCTION gen_uuid_v7() RETURNS uuid
        LANGUAGE sql VOLATILE
        AS 'SELECT pg_catalog.uuidv7()';
      ELSE
        CREATE FUNCTION gen_uuid_v7() RETURNS uuid
        LANGUAGE plpgsql VOLATILE
        AS $$
        DECLARE
          tick bigint := (date_part('epoch', clock_timestamp()) * 4096000)::bigint;
          last_tick text := current_setting('veza.gen_uuid_v7_last_tick', true);
        BEGIN
          -- Any session can SET the setting: only a value this function could have written counts,
          -- digits at most one second ahead of the clock.
          IF last_tick ~ '^[0-9]+$' AND length(last_tick) < 19 AND last_tick::bigint BETWEEN tick AND tick + 4096000 THEN
            tick := last_tick::bigint + 1;
          END IF;
          last_tick := set_config('veza.gen_uuid_v7_last_tick', tick::text, false);
          RETURN encode(int8send((tick >> 12 << 16) | 28672 | (tick & 4095)) || substring(uuid_send(gen_random_uuid()) FROM 9), 'hex')::uuid;
        END
        $$;
      END IF;
    END
    $do$
  `.execute(db)
  await sql`
    COMMENT ON FUNCTION gen_uuid_v7() IS
      'Time-ordered UUIDv7 (RFC 9562, 12-bit sub-millisecond precision), strictly increasing within a session'
  `.execute(db)

  await sql`
    CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      NEW.updated_at := greatest(CURRENT_TIMESTAMP, OLD.updated_at + interval '1 millisecond');
      RETURN NEW;
    END
    $$
  `.execute(db)
  await sql`
    COMMENT ON FUNCTION set_updated_at() IS
      'BEFORE UPDATE trigger function: sets updated_at to the transaction time, or 1 ms past its old value when that is not earlier'
  `.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION set_updated_at()`.execute(db)
  await sql`DROP FUNCTION gen_uuid_v7()`.execute(db)
}
