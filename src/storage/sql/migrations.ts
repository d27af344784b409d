import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import { GENESIS_HASH } from "../../core/audit.js";
import type { Database } from "./schema.js";

export type Dialect = "sqlite" | "postgres";

/**
 * Migrations, in order. Ids are compared byte-wise in PostgreSQL (`collate "C"`) so that cursor
 * pagination orders them exactly as SQLite does.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  const id = dialect === "postgres" ? sql`text collate "C"` : sql`text`;
  const bigint = dialect === "postgres" ? sql`bigint` : sql`integer`;
  return {
    "0001_control_plane": {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable("organizations")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .execute();
        await db.schema.createTable("users")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("email", "text", (c) => c.notNull())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("role", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("added_at", "text", (c) => c.notNull())
          .execute();
        await sql`create unique index users_org_email on users (org_id, email) where status <> 'deleted'`.execute(db);
        await db.schema.createTable("invites")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("email", "text", (c) => c.notNull())
          .addColumn("role", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("invited_at", "text", (c) => c.notNull())
          .addColumn("expires_at", "text", (c) => c.notNull())
          .addColumn("accepted_at", "text")
          .addColumn("token_hash", "text", (c) => c.notNull().unique())
          .execute();
        await db.schema.createIndex("invites_org").on("invites").columns(["org_id", "id"]).execute();
        await db.schema.createTable("workspaces")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("environment", "text", (c) => c.notNull())
          .addColumn("display_color", "text", (c) => c.notNull())
          .addColumn("tags", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("archived_at", "text")
          .execute();
        await db.schema.createIndex("workspaces_org").on("workspaces").columns(["org_id", "id"]).execute();
        await db.schema.createTable("workspace_members")
          .addColumn("org_id", id, (c) => c.notNull())
          .addColumn("workspace_id", id, (c) => c.notNull().references("workspaces.id"))
          .addColumn("user_id", id, (c) => c.notNull().references("users.id"))
          .addColumn("workspace_role", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("workspace_members_pk", ["workspace_id", "user_id"])
          .execute();
        await db.schema.createIndex("workspace_members_user").on("workspace_members").columns(["org_id", "user_id"]).execute();
        await db.schema.createTable("api_keys")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("workspace_id", id, (c) => c.notNull().references("workspaces.id"))
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("key_hash", "text", (c) => c.notNull())
          .addColumn("hint", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("created_by_type", "text", (c) => c.notNull())
          .addColumn("created_by_id", "text")
          .addColumn("owner_user_id", id)
          .addColumn("expires_at", "text")
          .addColumn("tier", "integer", (c) => c.notNull())
          .addColumn("allowed_models", "text")
          .addColumn("allowed_cidrs", "text")
          .addColumn("last_used_at", "text")
          .addColumn("rotated_from", id)
          .addColumn("rotated_to", id)
          .execute();
        await db.schema.createIndex("api_keys_org").on("api_keys").columns(["org_id", "id"]).execute();
        await db.schema.createIndex("api_keys_workspace").on("api_keys").columns(["workspace_id", "status"]).execute();
        await db.schema.createTable("admin_keys")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("role", "text", (c) => c.notNull())
          .addColumn("user_id", id)
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("key_hash", "text", (c) => c.notNull())
          .addColumn("hint", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("created_by_id", "text")
          .addColumn("last_used_at", "text")
          .addColumn("revoked_at", "text")
          .execute();
        await db.schema.createTable("audit_events")
          .addColumn("seq", bigint, (c) => c.primaryKey())
          .addColumn("id", id, (c) => c.notNull().unique())
          .addColumn("ts", "text", (c) => c.notNull())
          .addColumn("org_id", id)
          .addColumn("actor_type", "text", (c) => c.notNull())
          .addColumn("actor_id", "text")
          .addColumn("actor_display", "text")
          .addColumn("action", "text", (c) => c.notNull())
          .addColumn("target_type", "text", (c) => c.notNull())
          .addColumn("target_id", "text")
          .addColumn("workspace_id", "text")
          .addColumn("outcome", "text", (c) => c.notNull())
          .addColumn("reason", "text")
          .addColumn("request_id", "text")
          .addColumn("ip", "text")
          .addColumn("user_agent", "text")
          .addColumn("changes", "text")
          .addColumn("prev_hash", "text", (c) => c.notNull())
          .addColumn("hash", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("audit_events_org").on("audit_events").columns(["org_id", "seq"]).execute();
        await db.schema.createTable("audit_head")
          .addColumn("id", "integer", (c) => c.primaryKey())
          .addColumn("seq", bigint, (c) => c.notNull())
          .addColumn("hash", "text", (c) => c.notNull())
          .execute();
        await sql`insert into audit_head (id, seq, hash) values (1, 0, ${GENESIS_HASH})`.execute(db);
      },
    },
    "0002_data_plane": {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable("organizations").addColumn("unpriced_models", "text", (c) => c.notNull().defaultTo("fallback")).execute();
        await db.schema.createTable("upstream_credentials")
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          // '' is the organization's default credential; otherwise a workspace id.
          .addColumn("workspace_id", id, (c) => c.notNull())
          .addColumn("ciphertext", "text", (c) => c.notNull())
          .addColumn("hint", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("upstream_credentials_pk", ["org_id", "workspace_id"])
          .execute();
        await db.schema.createTable("spend_limits")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("scope_type", "text", (c) => c.notNull())
          .addColumn("scope_id", id, (c) => c.notNull())
          .addColumn("period", "text", (c) => c.notNull())
          .addColumn("amount_cents", bigint)
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addUniqueConstraint("spend_limits_scope_period", ["org_id", "scope_type", "scope_id", "period"])
          .execute();
        await db.schema.createTable("rate_limits")
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("scope_type", "text", (c) => c.notNull())
          .addColumn("scope_id", id, (c) => c.notNull())
          .addColumn("limit_type", "text", (c) => c.notNull())
          .addColumn("value", bigint, (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("rate_limits_pk", ["org_id", "scope_type", "scope_id", "limit_type"])
          .execute();
        await db.schema.createTable("usage_records")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull())
          .addColumn("workspace_id", id, (c) => c.notNull())
          .addColumn("api_key_id", id, (c) => c.notNull())
          .addColumn("user_id", id)
          .addColumn("model", "text", (c) => c.notNull())
          .addColumn("request_id", "text", (c) => c.notNull())
          .addColumn("upstream_request_id", "text")
          .addColumn("status", "integer", (c) => c.notNull())
          .addColumn("stream", "integer", (c) => c.notNull())
          .addColumn("input_tokens", bigint, (c) => c.notNull())
          .addColumn("output_tokens", bigint, (c) => c.notNull())
          .addColumn("cache_creation_input_tokens", bigint, (c) => c.notNull())
          .addColumn("cache_creation_5m_input_tokens", bigint, (c) => c.notNull())
          .addColumn("cache_creation_1h_input_tokens", bigint, (c) => c.notNull())
          .addColumn("cache_read_input_tokens", bigint, (c) => c.notNull())
          .addColumn("web_search_requests", bigint, (c) => c.notNull())
          .addColumn("service_tier", "text")
          .addColumn("speed", "text")
          .addColumn("inference_geo", "text")
          .addColumn("cost_micros", bigint, (c) => c.notNull())
          .addColumn("price_estimated", "integer", (c) => c.notNull())
          .addColumn("uncharged_reason", "text")
          .addColumn("latency_ms", "integer", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("usage_org_time").on("usage_records").columns(["org_id", "created_at"]).execute();
        // Sums and reports read the rollups; the raw records keep only the indexes their listings use.
        await db.schema.createIndex("usage_key_time").on("usage_records").columns(["api_key_id", "created_at"]).execute();
      },
    },
    "0003_usage_rollups": {
      async up(db: Kysely<unknown>) {
        // Aggregates of the ledger at three widths (1m, 1h, 1d), written in the ledger's
        // transaction: reports and period-to-date sums read these, never the raw records.
        await db.schema.createTable("usage_rollups")
          .addColumn("org_id", id, (c) => c.notNull())
          .addColumn("width", "text", (c) => c.notNull())
          .addColumn("bucket", "text", (c) => c.notNull())
          .addColumn("workspace_id", id, (c) => c.notNull())
          .addColumn("api_key_id", id, (c) => c.notNull())
          .addColumn("user_id", id, (c) => c.notNull())
          .addColumn("model", "text", (c) => c.notNull())
          .addColumn("service_tier", "text", (c) => c.notNull())
          .addColumn("inference_geo", "text", (c) => c.notNull())
          .addColumn("requests", bigint, (c) => c.notNull())
          .addColumn("input_tokens", bigint, (c) => c.notNull())
          .addColumn("output_tokens", bigint, (c) => c.notNull())
          .addColumn("cache_creation_5m_input_tokens", bigint, (c) => c.notNull())
          .addColumn("cache_creation_1h_input_tokens", bigint, (c) => c.notNull())
          .addColumn("cache_read_input_tokens", bigint, (c) => c.notNull())
          .addColumn("web_search_requests", bigint, (c) => c.notNull())
          .addColumn("cost_micros", bigint, (c) => c.notNull())
          .addColumn("estimated_requests", bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint("usage_rollups_pk", ["org_id", "width", "bucket", "workspace_id", "api_key_id", "user_id", "model", "service_tier", "inference_geo"])
          .execute();
        // No secondary indexes: every read is a range of (org_id, width, bucket), the key's prefix,
        // and each index would add a b-tree write to every ledger batch.
      },
    },
    "0004_lifecycle": {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable("users").addColumn("external_id", "text").execute();
        await db.schema.alterTable("users").addColumn("user_name", "text").execute();
        await db.schema.alterTable("users").addColumn("given_name", "text").execute();
        await db.schema.alterTable("users").addColumn("family_name", "text").execute();
        await db.schema.alterTable("workspaces").addColumn("rotation_max_age_days", "integer", (c) => c.notNull().defaultTo(90)).execute();
        await db.schema.alterTable("workspaces").addColumn("rotation_action", "text", (c) => c.notNull().defaultTo("notify")).execute();
        await db.schema.alterTable("api_keys").addColumn("rotated_at", "text").execute();
        await db.schema.alterTable("organizations").addColumn("offboarding_api_keys", "text", (c) => c.notNull().defaultTo("revoke")).execute();
        await db.schema.alterTable("organizations").addColumn("offboarding_transfer_to", id).execute();
        await db.schema.createTable("alert_rules")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("scope_type", "text", (c) => c.notNull())
          .addColumn("scope_id", id, (c) => c.notNull())
          .addColumn("thresholds", "text", (c) => c.notNull())
          .addColumn("projected", "integer", (c) => c.notNull())
          .addColumn("events", "text", (c) => c.notNull())
          .addColumn("channels", "text", (c) => c.notNull())
          .addColumn("webhook_secret_ciphertext", "text")
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("alert_rules_org").on("alert_rules").columns(["org_id", "id"]).execute();
        await db.schema.createTable("alert_deliveries")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull())
          .addColumn("rule_id", id)
          .addColumn("event_type", "text", (c) => c.notNull())
          .addColumn("notification_id", "text", (c) => c.notNull())
          .addColumn("channel", "text", (c) => c.notNull())
          .addColumn("target", "text", (c) => c.notNull())
          .addColumn("payload", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("attempts", "text", (c) => c.notNull())
          .addColumn("next_attempt_at", "text")
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("alert_deliveries_org").on("alert_deliveries").columns(["org_id", "id"]).execute();
        await db.schema.createIndex("alert_deliveries_due").on("alert_deliveries").columns(["status", "next_attempt_at"]).execute();
        // One row per alert that fired: the primary key makes "once per period per scope" hold across instances.
        await db.schema.createTable("alert_firings")
          .addColumn("org_id", id, (c) => c.notNull())
          .addColumn("fire_key", "text", (c) => c.notNull())
          .addColumn("fired_at", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("alert_firings_pk", ["org_id", "fire_key"])
          .execute();
        await db.schema.createTable("job_runs")
          .addColumn("job", "text", (c) => c.notNull())
          .addColumn("due_at", "text", (c) => c.notNull())
          .addColumn("instance", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("started_at", "text", (c) => c.notNull())
          .addColumn("finished_at", "text")
          .addColumn("detail", "text")
          .addPrimaryKeyConstraint("job_runs_pk", ["job", "due_at"])
          .execute();
        await db.schema.createTable("scheduler_leases")
          .addColumn("name", "text", (c) => c.primaryKey())
          .addColumn("holder", "text", (c) => c.notNull())
          .addColumn("expires_at_ms", bigint, (c) => c.notNull())
          .execute();
        await db.schema.createTable("scim_tokens")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("token_hash", "text", (c) => c.notNull())
          .addColumn("hint", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("created_by_id", "text")
          .addColumn("last_used_at", "text")
          .addColumn("revoked_at", "text")
          .execute();
        await db.schema.createTable("scim_groups")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("display_name", "text", (c) => c.notNull())
          .addColumn("external_id", "text")
          .addColumn("workspace_id", id)
          .addColumn("workspace_role", "text")
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        await db.schema.createTable("scim_group_members")
          .addColumn("org_id", id, (c) => c.notNull())
          .addColumn("group_id", id, (c) => c.notNull().references("scim_groups.id").onDelete("cascade"))
          .addColumn("user_id", id, (c) => c.notNull())
          .addPrimaryKeyConstraint("scim_group_members_pk", ["group_id", "user_id"])
          .execute();
        await db.schema.createTable("spend_limit_increase_requests")
          .addColumn("id", id, (c) => c.primaryKey())
          .addColumn("org_id", id, (c) => c.notNull().references("organizations.id"))
          .addColumn("user_id", id, (c) => c.notNull())
          .addColumn("api_key_id", id)
          .addColumn("scope_type", "text", (c) => c.notNull())
          .addColumn("scope_id", id)
          .addColumn("period", "text", (c) => c.notNull())
          .addColumn("reason", "text")
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("resolved_at", "text")
          .addColumn("resolved_by_type", "text")
          .addColumn("resolved_by_id", "text")
          .addColumn("spend_limit_id", id)
          .execute();
      },
    },
  };
}

export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations(dialect)) };
  const migrator = new Migrator({ db, provider, migrationTableName: "gatehouse_migrations", migrationLockTableName: "gatehouse_migration_lock" });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
