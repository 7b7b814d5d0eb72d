import { type Kysely, sql } from 'kysely'

/**
 * Least privilege: the backend connects as a member of an application role that reads and writes rows
 * and can do nothing else, so a bug or an injection in it cannot change the schema, rewrite the audit
 * log or the migration history. The role that runs the migrations owns every object and keeps the rest.
 *
 * Two group roles (NOLOGIN), named by the settings `veza.app_role` and `veza.readonly_role` when the
 * run sets them (the runner does, from `MigrateOptions.roles` or `VEZA_DB_APP_ROLE` and
 * `VEZA_DB_READONLY_ROLE`), else `veza_app` and `veza_readonly`; `veza_app_role()` and
 * `veza_readonly_role()` keep the names for later migrations and the audit. The two must differ, and
 * neither may be the migrating user, a member of it or a superuser: least privilege would be a pretence.
 * A role is created when it
 * does not exist (roles belong to the server, not to one database: a second database of the server,
 * or a copy of this one, finds it there), which needs CREATEROLE; otherwise an administrator creates it
 * once, and the migration only grants.
 *
 * The application role may SELECT, INSERT, UPDATE and DELETE the rows of every table but the audit log,
 * where it may only SELECT and INSERT, and the migration tables, where it may do nothing. It owns
 * nothing, may not create in the schema, TRUNCATE, reference or trigger, and may EXECUTE only
 * `gen_uuid_v7()`, which the defaults of its inserts call. The read-only role may SELECT every table
 * except the columns holding password and token hashes. Tables that later migrations create get the
 * same grants (default privileges of the migrating role in this schema), and their functions are not
 * executable by PUBLIC unless a migration grants them. Partitions get nothing: the roles reach their rows
 * through the partitioned table, and `veza-db partitions` revokes the default grants from each partition it
 * creates, so that no one bypasses the audit log's rules by naming one. (Kysely's own Migrator, if it ever runs here
 * after 010, creates `kysely_migration_lock` with those default grants: the audit reports it.)
 *
 * Erasing a user rewrites its audit entries (009), which the application role may not: the trigger
 * function runs as its owner (SECURITY DEFINER, with a fixed search_path). The foreign keys' own
 * actions (`ON DELETE SET NULL`) always run as the table's owner.
 *
 * `down` revokes what `up` granted in this database and leaves the roles, which other databases of the
 * server may use; an operator drops them (`DROP ROLE`) once no database does.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    DO $$
    DECLARE
      app name := coalesce(nullif(current_setting('veza.app_role', true), ''), 'veza_app');
      readonly name := coalesce(nullif(current_setting('veza.readonly_role', true), ''), 'veza_readonly');
      role_name name;
    BEGIN
      IF app = readonly THEN
        RAISE EXCEPTION 'the application and the read-only roles need two names, not "%" for both', app;
      END IF;
      FOREACH role_name IN ARRAY ARRAY[app, readonly] LOOP
        IF role_name = current_user OR EXISTS (
          SELECT FROM pg_roles WHERE rolname = role_name AND (rolsuper OR pg_has_role(oid, current_user, 'USAGE'))
        ) THEN
          RAISE EXCEPTION 'role "%" cannot be given least privilege: it is user "%", which runs the migrations and owns everything, a member of it, or a superuser; name another role',
            role_name, current_user;
        END IF;
        CONTINUE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = role_name);
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
          RAISE EXCEPTION 'role "%" does not exist and user "%" may not create roles: have an administrator run CREATE ROLE % NOLOGIN once on this server, or grant CREATEROLE to %',
            role_name, current_user, quote_ident(role_name), quote_ident(current_user)
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        BEGIN
          EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL; -- the migration of another database of this server created it meanwhile
        END;
      END LOOP;
      EXECUTE format('CREATE FUNCTION veza_app_role() RETURNS name LANGUAGE sql IMMUTABLE AS %L', format('SELECT %L::name', app));
      EXECUTE format('CREATE FUNCTION veza_readonly_role() RETURNS name LANGUAGE sql IMMUTABLE AS %L', format('SELECT %L::name', readonly));
    END
    $$
  `.execute(db)
  await sql`
    COMMENT ON FUNCTION veza_app_role() IS
      'The group role of the backend: reads and writes rows, appends to the audit log, owns nothing'
  `.execute(db)
  await sql`
    COMMENT ON FUNCTION veza_readonly_role() IS
      'The group role of support and analytics: reads every table but the password and token hashes'
  `.execute(db)

  await sql`
    DO $$
    DECLARE
      app name := veza_app_role();
      readonly name := veza_readonly_role();
      schema_name name := current_schema();
      table_name name;
      readable text;
      has_hash boolean;
    BEGIN
      EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', schema_name);
      EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I, %I', schema_name, app, readonly);
      FOR table_name IN
        SELECT relname FROM pg_class
        WHERE relnamespace = schema_name::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition
          AND relname NOT IN ('kysely_migration', 'kysely_migration_lock')
      LOOP
        EXECUTE format('GRANT SELECT, INSERT%s ON %I TO %I',
          CASE WHEN table_name = 'audit_logs' THEN '' ELSE ', UPDATE, DELETE' END, table_name, app);
        -- Column by column only where a table holds a hash: a column added there later needs its own grant.
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FILTER (WHERE attname NOT IN ('password_hash', 'token_hash')),
               count(*) FILTER (WHERE attname IN ('password_hash', 'token_hash')) > 0
        INTO readable, has_hash FROM pg_attribute
        WHERE attrelid = format('%I.%I', schema_name, table_name)::regclass AND attnum > 0 AND NOT attisdropped;
        EXECUTE format('GRANT SELECT %s ON %I TO %I', CASE WHEN has_hash THEN format('(%s)', readable) ELSE '' END, table_name, readonly);
      END LOOP;
      EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', schema_name, app);
      EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO %I', schema_name, readonly);

      EXECUTE format('REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA %I FROM PUBLIC', schema_name);
      ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
      EXECUTE format('GRANT EXECUTE ON FUNCTION gen_uuid_v7() TO %I', app);
      EXECUTE format('ALTER FUNCTION users_erase_personal_data() SECURITY DEFINER SET search_path = %I, pg_temp', schema_name);
    END
    $$
  `.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DO $$
    DECLARE
      app name := veza_app_role();
      readonly name := veza_readonly_role();
      schema_name name := current_schema();
    BEGIN
      ALTER FUNCTION users_erase_personal_data() SECURITY INVOKER RESET search_path;
      EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA %I TO PUBLIC', schema_name);
      ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
      EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM %I, %I', schema_name, app, readonly);
      EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I, %I', schema_name, app, readonly);
      EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM %I, %I', schema_name, app, readonly);
      EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM %I, %I', schema_name, app, readonly);
    END
    $$
  `.execute(db)
  await sql`DROP FUNCTION veza_readonly_role()`.execute(db)
  await sql`DROP FUNCTION veza_app_role()`.execute(db)
}
