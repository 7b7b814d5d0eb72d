import { type Kysely, sql } from 'kysely'

/**
 * The two functions every later table relies on.
 *
 * `gen_uuid_v7()` is the default of every `id` (rule V1-01). It follows RFC 9562
 * section 6.2, method 3: 48 bits of Unix milliseconds, the version nibble 7, then
 * 12 bits of sub-millisecond time, then the variant and 62 random bits (taken
 * from `gen_random_uuid()`, which is core since PostgreSQL 13 and needs no
 * extension). The last 60-bit time value is kept in a session setting, and a
 * value that is not greater than it is bumped by one, so ids made by one session
 * strictly increase even within one microsecond or when the clock steps back by
 * up to a second. Any session can change that setting, and a pooler hands it on
 * to the next client: a value that is not a number, or that runs more than a
 * second ahead of the clock, is ignored, so it can neither break inserts nor
 * date ids in the future.
 * A setting is reverted when its transaction aborts; ids of an aborted
 * transaction were never stored, and the clock has moved on by then.
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
    CREATE FUNCTION gen_uuid_v7() RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    AS $$
    DECLARE
      tick bigint := (extract(epoch FROM clock_timestamp()) * 4096000)::bigint;
      last_tick text := current_setting('veza.gen_uuid_v7_last_tick', true);
    BEGIN
      -- Any session can SET the setting: only a value this function could have written counts,
      -- digits at most one second ahead of the clock.
      IF last_tick ~ '^[0-9]{1,18}$' AND last_tick::bigint BETWEEN tick AND tick + 4096000 THEN
        tick := last_tick::bigint + 1;
      END IF;
      PERFORM set_config('veza.gen_uuid_v7_last_tick', tick::text, false);
      RETURN encode(
        substring(int8send(tick >> 12) FROM 3)
          || int2send((28672 | (tick & 4095))::smallint)
          || substring(uuid_send(gen_random_uuid()) FROM 9),
        'hex')::uuid;
    END
    $$
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
