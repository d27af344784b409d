import { type Kysely, type SelectQueryBuilder, type Transaction, sql } from "kysely";
import { type AuditEvent, type AuditEventInput, AuditWriteError, eventHash } from "../../core/audit.js";
import type {
  AdminKey, AlertRule, ApiKey, Delivery, IncreaseRequest, Invite, PageRequest, PageResult, RateLimitSetting, ScimGroup, ScimToken, SpendLimit, User, Workspace, WorkspaceMember,
} from "../../core/domain.js";
import { ID_PREFIX, encodeBase62 } from "../../core/ids.js";
import type { Repos, Store } from "../../core/ports.js";
import type { WorkspaceRole } from "../../core/rbac.js";
import type { Connection } from "./connect.js";
import { migrateToLatest } from "./migrations.js";
import { ROLLUP_KEY, ROLLUP_SUMS, rollupRows } from "./rollups.js";
import type { ApiKeysTable, Database, WorkspacesTable } from "./schema.js";

type Db = Kysely<Database> | Transaction<Database>;


/**
 * Cursor pagination over a text id column in ascending order. `before_id` returns the `limit`
 * items just before that id (still ascending); `has_more` says whether more lie beyond the page in
 * the direction of travel.
 */
async function paginate<T, O>(
  qb: SelectQueryBuilder<Database, keyof Database, O>,
  column: string,
  page: PageRequest,
  map: (row: O) => T,
): Promise<PageResult<T>> {
  const ref = sql.ref(column);
  if (page.beforeId !== undefined) {
    const rows = await qb.where(sql<boolean>`${ref} < ${page.beforeId}`).orderBy(ref, "desc").limit(page.limit + 1).execute();
    const hasMore = rows.length > page.limit;
    return { data: rows.slice(0, page.limit).reverse().map(map), hasMore };
  }
  let q = qb;
  if (page.afterId !== undefined) q = q.where(sql<boolean>`${ref} > ${page.afterId}`);
  const rows = await q.orderBy(ref, "asc").limit(page.limit + 1).execute();
  return { data: rows.slice(0, page.limit).map(map), hasMore: rows.length > page.limit };
}

function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

const toWorkspace = (r: WorkspacesTable): Workspace => ({
  ...r, tags: JSON.parse(r.tags) as Record<string, string>, rotation_max_age_days: Number(r.rotation_max_age_days),
  rotation_action: r.rotation_action === "disable" ? "disable" : "notify",
});
const toAlertRule = (r: Database["alert_rules"]): AlertRule => ({
  ...r, scope_type: r.scope_type as AlertRule["scope_type"], scope_id: r.scope_id === "" ? null : r.scope_id,
  thresholds: JSON.parse(r.thresholds) as number[], projected: Number(r.projected) === 1,
  events: JSON.parse(r.events) as AlertRule["events"], channels: JSON.parse(r.channels) as AlertRule["channels"],
});
const fromAlertRule = (r: Partial<AlertRule>) => {
  const { thresholds, projected, events, channels, scope_id, ...rest } = r;
  return {
    ...rest,
    ...(scope_id !== undefined ? { scope_id: scope_id ?? "" } : {}),
    ...(thresholds !== undefined ? { thresholds: JSON.stringify(thresholds) } : {}),
    ...(projected !== undefined ? { projected: projected ? 1 : 0 } : {}),
    ...(events !== undefined ? { events: JSON.stringify(events) } : {}),
    ...(channels !== undefined ? { channels: JSON.stringify(channels) } : {}),
  };
};
const toDelivery = (r: Database["alert_deliveries"]): Delivery => ({
  ...r, channel: r.channel as Delivery["channel"], status: r.status as Delivery["status"], attempts: JSON.parse(r.attempts) as Delivery["attempts"],
});
const asScimToken = (r: Database["scim_tokens"]): ScimToken => r;
const asScimGroup = (r: Database["scim_groups"]): ScimGroup => r as ScimGroup;
const asIncreaseRequest = (r: Database["spend_limit_increase_requests"]): IncreaseRequest => r as IncreaseRequest;
const toApiKey = (r: ApiKeysTable): ApiKey => ({
  ...r,
  status: r.status as ApiKey["status"],
  created_by_type: r.created_by_type as ApiKey["created_by_type"],
  allowed_models: parseJson<string[]>(r.allowed_models),
  allowed_cidrs: parseJson<string[]>(r.allowed_cidrs),
});
const asUser = (r: Database["users"]): User => r as User;
const toSpendLimit = (r: Database["spend_limits"]): SpendLimit => ({
  ...r, scope_type: r.scope_type as SpendLimit["scope_type"], scope_id: r.scope_id === "" ? null : r.scope_id, period: r.period as SpendLimit["period"],
  amount_cents: r.amount_cents === null ? null : Number(r.amount_cents),
});
const toRateLimit = (r: Database["rate_limits"]): RateLimitSetting => ({
  ...r, scope_type: r.scope_type as RateLimitSetting["scope_type"], scope_id: r.scope_id === "" ? null : r.scope_id, value: Number(r.value),
});
const asInvite = (r: Database["invites"]): Invite => r as Invite;
const asMember = (r: Database["workspace_members"]): WorkspaceMember => r as WorkspaceMember;
const asAdminKey = (r: Database["admin_keys"]): AdminKey => r as AdminKey;

/**
 * The coarsest rollup width that sums exactly from `sinceIso`: days from a midnight, hours from a
 * full hour, minutes otherwise (rounded down to the minute).
 */
function rollupWindow(sinceIso: string): ["1m" | "1h" | "1d", string] {
  if (sinceIso.slice(11, 23) === "00:00:00.000") return ["1d", sinceIso.slice(0, 10)];
  if (sinceIso.slice(14, 23) === "00:00.000") return ["1h", sinceIso.slice(0, 13)];
  return ["1m", sinceIso.slice(0, 16)];
}

function jsonOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

function repos(db: Db, onAppend: (e: AuditEvent) => void = () => {}): Repos {
  return {
    orgs: {
      async insert(org) {
        await db.insertInto("organizations").values(org).execute();
      },
      async get(orgId) {
        return (await db.selectFrom("organizations").select(["id", "name", "created_at"]).where("id", "=", orgId).executeTakeFirst()) ?? null;
      },
      async first() {
        return (await db.selectFrom("organizations").select(["id", "name", "created_at"]).orderBy("created_at").orderBy("id").limit(1).executeTakeFirst()) ?? null;
      },
      async unpricedPolicy(orgId) {
        const r = await db.selectFrom("organizations").select("unpriced_models").where("id", "=", orgId).executeTakeFirst();
        return r?.unpriced_models === "refuse" ? "refuse" : "fallback";
      },
      async setUnpricedPolicy(orgId, policy) {
        await db.updateTable("organizations").set({ unpriced_models: policy }).where("id", "=", orgId).execute();
      },
      async offboardingPolicy(orgId) {
        const r = await db.selectFrom("organizations").select(["offboarding_api_keys", "offboarding_transfer_to"]).where("id", "=", orgId).executeTakeFirst();
        return { api_keys: r?.offboarding_api_keys === "transfer" ? "transfer" : "revoke", transfer_to_user_id: r?.offboarding_transfer_to ?? null };
      },
      async setOffboardingPolicy(orgId, policy) {
        await db.updateTable("organizations").set({ offboarding_api_keys: policy.api_keys, offboarding_transfer_to: policy.transfer_to_user_id }).where("id", "=", orgId).execute();
      },
      async listIds() {
        return (await db.selectFrom("organizations").select("id").orderBy("id").execute()).map((r) => r.id);
      },
    },
    users: {
      async insert(user) {
        await db.insertInto("users").values(user).execute();
      },
      async get(orgId, id) {
        const r = await db.selectFrom("users").selectAll().where("org_id", "=", orgId).where("id", "=", id).where("status", "<>", "deleted").executeTakeFirst();
        return r ? asUser(r) : null;
      },
      async getByEmail(orgId, email) {
        const r = await db.selectFrom("users").selectAll().where("org_id", "=", orgId).where("email", "=", email).where("status", "<>", "deleted").executeTakeFirst();
        return r ? asUser(r) : null;
      },
      list(orgId, filter, page) {
        let q = db.selectFrom("users").selectAll().where("org_id", "=", orgId).where("status", "<>", "deleted");
        if (filter.email !== undefined) q = q.where("email", "=", filter.email);
        if (filter.roles !== undefined && filter.roles.length > 0) q = q.where("role", "in", [...filter.roles]);
        return paginate(q as never, "id", page, asUser);
      },
      async update(orgId, id, patch) {
        await db.updateTable("users").set(patch).where("org_id", "=", orgId).where("id", "=", id).execute();
      },
      async scimList(orgId, filter, offset, count) {
        let q = db.selectFrom("users").where("org_id", "=", orgId).where("status", "<>", "deleted");
        if (filter !== null) {
          const v = filter.value;
          if (filter.attribute === "userName") q = q.where((eb) => eb.or([eb(sql<string>`lower(coalesce(user_name, email))`, "=", v.toLowerCase()), eb("email", "=", v.toLowerCase())]));
          else if (filter.attribute === "email") q = q.where("email", "=", v.toLowerCase());
          else if (filter.attribute === "externalId") q = q.where("external_id", "=", v);
          else q = q.where("id", "=", v);
        }
        const total = await q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
        const rows = await q.selectAll().orderBy("id").offset(offset).limit(count).execute();
        return { rows: rows.map(asUser), total: Number(total.n) };
      },
    },
    invites: {
      async insert(invite) {
        await db.insertInto("invites").values(invite).execute();
      },
      async get(orgId, id) {
        const r = await db.selectFrom("invites").selectAll().where("org_id", "=", orgId).where("id", "=", id).where("status", "<>", "deleted").executeTakeFirst();
        return r ? asInvite(r) : null;
      },
      async findPendingByEmail(orgId, email) {
        const r = await db.selectFrom("invites").selectAll().where("org_id", "=", orgId).where("email", "=", email).where("status", "=", "pending").executeTakeFirst();
        return r ? asInvite(r) : null;
      },
      async findByTokenHash(tokenHash) {
        const r = await db.selectFrom("invites").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
        return r ? asInvite(r) : null;
      },
      list(orgId, filter, page) {
        let q = db.selectFrom("invites").selectAll().where("org_id", "=", orgId).where("status", "<>", "deleted");
        if (filter.email !== undefined) q = q.where("email", "=", filter.email);
        if (filter.roles !== undefined && filter.roles.length > 0) q = q.where("role", "in", [...filter.roles]);
        if (filter.statuses !== undefined && filter.statuses.length > 0) q = q.where("status", "in", [...filter.statuses]);
        return paginate(q as never, "id", page, asInvite);
      },
      async update(orgId, id, patch) {
        await db.updateTable("invites").set(patch).where("org_id", "=", orgId).where("id", "=", id).execute();
      },
    },
    workspaces: {
      async insert(ws) {
        await db.insertInto("workspaces").values({ ...ws, tags: JSON.stringify(ws.tags) }).execute();
      },
      async get(orgId, id) {
        const r = await db.selectFrom("workspaces").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
        return r ? toWorkspace(r) : null;
      },
      async list(orgId, filter, page) {
        if (filter.visible !== "all" && filter.visible.length === 0) return { data: [], hasMore: false };
        let q = db.selectFrom("workspaces").selectAll().where("org_id", "=", orgId);
        if (!filter.includeArchived) q = q.where("archived_at", "is", null);
        if (filter.ids !== undefined && filter.ids.length > 0) q = q.where("id", "in", [...filter.ids]);
        if (filter.visible !== "all") q = q.where("id", "in", [...filter.visible]);
        return paginate(q as never, "id", page, toWorkspace);
      },
      async listAll(orgId) {
        return (await db.selectFrom("workspaces").selectAll().where("org_id", "=", orgId).orderBy("id").execute()).map(toWorkspace);
      },
      async update(orgId, id, patch) {
        const { tags, ...rest } = patch;
        await db.updateTable("workspaces").set({ ...rest, ...(tags === undefined ? {} : { tags: JSON.stringify(tags) }) })
          .where("org_id", "=", orgId).where("id", "=", id).execute();
      },
    },
    members: {
      async insert(m) {
        await db.insertInto("workspace_members").values(m).execute();
      },
      async get(orgId, workspaceId, userId) {
        const r = await db.selectFrom("workspace_members").selectAll().where("org_id", "=", orgId).where("workspace_id", "=", workspaceId).where("user_id", "=", userId).executeTakeFirst();
        return r ? asMember(r) : null;
      },
      list(orgId, workspaceId, page) {
        const q = db.selectFrom("workspace_members").selectAll().where("org_id", "=", orgId).where("workspace_id", "=", workspaceId);
        return paginate(q as never, "user_id", page, asMember);
      },
      async listForUser(orgId, userId) {
        const rows = await db.selectFrom("workspace_members").selectAll().where("org_id", "=", orgId).where("user_id", "=", userId).execute();
        return rows.map(asMember);
      },
      async update(orgId, workspaceId, userId, role: WorkspaceRole) {
        await db.updateTable("workspace_members").set({ workspace_role: role }).where("org_id", "=", orgId).where("workspace_id", "=", workspaceId).where("user_id", "=", userId).execute();
      },
      async remove(orgId, workspaceId, userId) {
        await db.deleteFrom("workspace_members").where("org_id", "=", orgId).where("workspace_id", "=", workspaceId).where("user_id", "=", userId).execute();
      },
      async removeAllForUser(orgId, userId) {
        const r = await db.deleteFrom("workspace_members").where("org_id", "=", orgId).where("user_id", "=", userId).executeTakeFirst();
        return Number(r.numDeletedRows);
      },
      async listAllInWorkspace(orgId, workspaceId) {
        return (await db.selectFrom("workspace_members").selectAll().where("org_id", "=", orgId).where("workspace_id", "=", workspaceId).orderBy("user_id").execute()).map(asMember);
      },
    },
    apiKeys: {
      async insert(key) {
        await db.insertInto("api_keys").values({ ...key, allowed_models: jsonOrNull(key.allowed_models), allowed_cidrs: jsonOrNull(key.allowed_cidrs) }).execute();
      },
      async get(orgId, id) {
        const r = await db.selectFrom("api_keys").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
        return r ? toApiKey(r) : null;
      },
      async getForAuth(id) {
        const r = await db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
        return r ? toApiKey(r) : null;
      },
      async list(orgId, filter, page) {
        if (filter.visible !== "all" && filter.visible.length === 0) return { data: [], hasMore: false };
        let q = db.selectFrom("api_keys").selectAll().where("org_id", "=", orgId);
        if (filter.workspaceId !== undefined) q = q.where("workspace_id", "=", filter.workspaceId);
        if (filter.visible !== "all") q = q.where("workspace_id", "in", [...filter.visible]);
        if (filter.createdByUserId !== undefined) q = q.where("created_by_type", "=", "user").where("created_by_id", "=", filter.createdByUserId);
        if (filter.statuses !== undefined && filter.statuses.length > 0) {
          const statuses = filter.statuses;
          const now = filter.now;
          q = q.where((eb) => {
            const ors = [];
            const notExpired = eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]);
            for (const s of statuses) {
              if (s === "expired") ors.push(eb.and([eb("status", "in", ["active", "inactive"]), eb("expires_at", "<=", now)]));
              else if (s === "archived") ors.push(eb("status", "=", "archived"));
              else ors.push(eb.and([eb("status", "=", s), notExpired]));
            }
            return eb.or(ors);
          });
        }
        return paginate(q as never, "id", page, toApiKey);
      },
      async listLiveForUser(orgId, userId) {
        const rows = await db.selectFrom("api_keys").selectAll().where("org_id", "=", orgId).where("status", "in", ["active", "inactive"])
          .where((eb) => eb.or([eb("owner_user_id", "=", userId), eb.and([eb("owner_user_id", "is", null), eb("created_by_type", "=", "user"), eb("created_by_id", "=", userId)])]))
          .orderBy("id").execute();
        return rows.map(toApiKey);
      },
      async listActive(orgId) {
        return (await db.selectFrom("api_keys").selectAll().where("org_id", "=", orgId).where("status", "=", "active").orderBy("id").execute()).map(toApiKey);
      },
      async listActiveInWorkspace(orgId, workspaceId) {
        const rows = await db.selectFrom("api_keys").selectAll().where("org_id", "=", orgId).where("workspace_id", "=", workspaceId).where("status", "in", ["active", "inactive"]).execute();
        return rows.map(toApiKey);
      },
      async update(orgId, id, patch) {
        const { allowed_models, allowed_cidrs, ...rest } = patch;
        await db.updateTable("api_keys").set({
          ...rest,
          ...(allowed_models === undefined ? {} : { allowed_models: jsonOrNull(allowed_models) }),
          ...(allowed_cidrs === undefined ? {} : { allowed_cidrs: jsonOrNull(allowed_cidrs) }),
        }).where("org_id", "=", orgId).where("id", "=", id).execute();
      },
    },
    adminKeys: {
      async insert(key) {
        await db.insertInto("admin_keys").values(key).execute();
      },
      async get(orgId, id) {
        const r = await db.selectFrom("admin_keys").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
        return r ? asAdminKey(r) : null;
      },
      async getForAuth(id) {
        const r = await db.selectFrom("admin_keys").selectAll().where("id", "=", id).executeTakeFirst();
        return r ? asAdminKey(r) : null;
      },
      list(orgId, page) {
        return paginate(db.selectFrom("admin_keys").selectAll().where("org_id", "=", orgId) as never, "id", page, asAdminKey);
      },
      async listActiveForUser(orgId, userId) {
        return (await db.selectFrom("admin_keys").selectAll().where("org_id", "=", orgId).where("user_id", "=", userId).where("status", "=", "active").orderBy("id").execute()).map(asAdminKey);
      },
      async update(orgId, id, patch) {
        await db.updateTable("admin_keys").set(patch).where("org_id", "=", orgId).where("id", "=", id).execute();
      },
    },
    upstreamCredentials: {
      async upsert(c) {
        const row = { ...c, workspace_id: c.workspace_id ?? "" };
        await db.insertInto("upstream_credentials").values(row)
          .onConflict((oc) => oc.columns(["org_id", "workspace_id"]).doUpdateSet({ ciphertext: row.ciphertext, hint: row.hint, updated_at: row.updated_at }))
          .execute();
      },
      async get(orgId, workspaceId) {
        const r = await db.selectFrom("upstream_credentials").selectAll().where("org_id", "=", orgId).where("workspace_id", "=", workspaceId ?? "").executeTakeFirst();
        return r ? { ...r, workspace_id: r.workspace_id === "" ? null : r.workspace_id } : null;
      },
      async remove(orgId, workspaceId) {
        const r = await db.deleteFrom("upstream_credentials").where("org_id", "=", orgId).where("workspace_id", "=", workspaceId ?? "").executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      },
    },
    spendLimits: {
      async upsert(l) {
        const row = { ...l, scope_id: l.scope_id ?? "" };
        await db.insertInto("spend_limits").values(row)
          .onConflict((oc) => oc.columns(["org_id", "scope_type", "scope_id", "period"]).doUpdateSet({ amount_cents: row.amount_cents, updated_at: row.updated_at }))
          .execute();
        const stored = await db.selectFrom("spend_limits").selectAll().where("org_id", "=", l.org_id).where("scope_type", "=", l.scope_type)
          .where("scope_id", "=", row.scope_id).where("period", "=", l.period).executeTakeFirstOrThrow();
        return toSpendLimit(stored);
      },
      async get(orgId, id) {
        const r = await db.selectFrom("spend_limits").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
        return r ? toSpendLimit(r) : null;
      },
      async findByScope(orgId, scopeType, scopeId, period) {
        const r = await db.selectFrom("spend_limits").selectAll().where("org_id", "=", orgId).where("scope_type", "=", scopeType)
          .where("scope_id", "=", scopeId ?? "").where("period", "=", period).executeTakeFirst();
        return r ? toSpendLimit(r) : null;
      },
      async listAll(orgId) {
        return (await db.selectFrom("spend_limits").selectAll().where("org_id", "=", orgId).orderBy("id").execute()).map(toSpendLimit);
      },
      async remove(orgId, id) {
        await db.deleteFrom("spend_limits").where("org_id", "=", orgId).where("id", "=", id).execute();
      },
    },
    rateLimits: {
      async list(orgId, scopeType, scopeId) {
        const rows = await db.selectFrom("rate_limits").selectAll().where("org_id", "=", orgId).where("scope_type", "=", scopeType).where("scope_id", "=", scopeId ?? "").orderBy("limit_type").execute();
        return rows.map(toRateLimit);
      },
      async listAll(orgId) {
        return (await db.selectFrom("rate_limits").selectAll().where("org_id", "=", orgId).execute()).map(toRateLimit);
      },
      async set(orgId, scopeType, scopeId, limitType, value, now) {
        const key = { org_id: orgId, scope_type: scopeType, scope_id: scopeId ?? "", limit_type: limitType };
        if (value === null) {
          await db.deleteFrom("rate_limits").where("org_id", "=", orgId).where("scope_type", "=", scopeType).where("scope_id", "=", key.scope_id).where("limit_type", "=", limitType).execute();
          return;
        }
        await db.insertInto("rate_limits").values({ ...key, value, updated_at: now })
          .onConflict((oc) => oc.columns(["org_id", "scope_type", "scope_id", "limit_type"]).doUpdateSet({ value, updated_at: now })).execute();
      },
    },
    usage: {
      async insertMany(records) {
        if (records.length === 0) return;
        // Chunked so that one statement stays under every driver's parameter limit.
        for (let i = 0; i < records.length; i += 500) {
          await db.insertInto("usage_records").values(records.slice(i, i + 500).map((r) => ({ ...r, stream: r.stream ? 1 : 0, price_estimated: r.price_estimated ? 1 : 0 }))).execute();
        }
        const rollups = rollupRows(records);
        for (const row of rollups) {
          await db.insertInto("usage_rollups").values(row)
            .onConflict((oc) => oc.columns([...ROLLUP_KEY])
              .doUpdateSet(Object.fromEntries(ROLLUP_SUMS.map((c) => [c, sql`${sql.ref(`usage_rollups.${c}`)} + ${sql.ref(`excluded.${c}`)}`])) as never))
            .execute();
        }
      },
      async report(orgId, q) {
        // Read the coarsest rollups that still resolve the requested buckets.
        const width = q.bucketChars === 10 ? "1d" : q.bucketChars === 13 ? "1h" : "1m";
        const bucketExpr = sql<string>`substr(bucket, 1, ${sql.lit(q.bucketChars)})`;
        let query = db.selectFrom("usage_rollups").where("org_id", "=", orgId).where("width", "=", width)
          .where("bucket", ">=", q.startBucket.slice(0, q.bucketChars)).where("bucket", "<", q.endBucket.slice(0, q.bucketChars));
        if (q.apiKeyIds && q.apiKeyIds.length > 0) query = query.where("api_key_id", "in", [...q.apiKeyIds]);
        if (q.workspaceIds && q.workspaceIds.length > 0) query = query.where("workspace_id", "in", [...q.workspaceIds]);
        if (q.models && q.models.length > 0) query = query.where("model", "in", [...q.models]);
        const sum = (c: string) => sql<number>`sum(${sql.ref(c)})`;
        const rows = await query.select([
          bucketExpr.as("b"),
          ...q.groupBy.map((d) => sql.ref(d).as(d)),
          sum("requests").as("requests"), sum("input_tokens").as("input_tokens"), sum("output_tokens").as("output_tokens"),
          sum("cache_creation_5m_input_tokens").as("cache_creation_5m_input_tokens"), sum("cache_creation_1h_input_tokens").as("cache_creation_1h_input_tokens"),
          sum("cache_read_input_tokens").as("cache_read_input_tokens"), sum("web_search_requests").as("web_search_requests"),
          sum("cost_micros").as("cost_micros"), sum("estimated_requests").as("estimated_requests"),
        ] as never).groupBy([bucketExpr, ...q.groupBy.map((d) => sql.ref(d))] as never).orderBy(bucketExpr as never).execute() as Record<string, unknown>[];
        return rows.map((r) => {
          const dim = (d: string) => (q.groupBy.includes(d as never) ? (r[d] === "" ? null : (r[d] as string)) : null);
          return {
            bucket: r.b as string, api_key_id: dim("api_key_id"), workspace_id: dim("workspace_id"), model: dim("model"), service_tier: dim("service_tier"), inference_geo: dim("inference_geo"),
            requests: Number(r.requests), input_tokens: Number(r.input_tokens), output_tokens: Number(r.output_tokens),
            cache_creation_5m_input_tokens: Number(r.cache_creation_5m_input_tokens), cache_creation_1h_input_tokens: Number(r.cache_creation_1h_input_tokens),
            cache_read_input_tokens: Number(r.cache_read_input_tokens), web_search_requests: Number(r.web_search_requests),
            cost_micros: Number(r.cost_micros), estimated_requests: Number(r.estimated_requests),
          };
        });
      },
      async countRequests(orgId, apiKeyId, sinceIso) {
        const r = await db.selectFrom("usage_rollups").select((eb) => eb.fn.coalesce(eb.fn.sum<number>("requests"), eb.val(0)).as("n"))
          .where("org_id", "=", orgId).where("width", "=", "1m").where("api_key_id", "=", apiKeyId).where("bucket", ">=", sinceIso.slice(0, 16)).executeTakeFirst();
        return Number(r?.n ?? 0);
      },
      async pruneMinuteRollups(beforeBucket) {
        const r = await db.deleteFrom("usage_rollups").where("width", "=", "1m").where("bucket", "<", beforeBucket).executeTakeFirst();
        return Number(r.numDeletedRows);
      },
      async sumCostByScope(orgId, scopeType, ids, sinceIso) {
        const out = new Map<string, number>();
        if (ids.length === 0) return out;
        const col = scopeType === "api_key" ? "api_key_id" : "workspace_id";
        const [width, since] = rollupWindow(sinceIso);
        const rows = await db.selectFrom("usage_rollups").select([sql.ref(col).as("id"), sql<number>`sum(cost_micros)`.as("total")] as never)
          .where("org_id", "=", orgId).where("width", "=", width).where(col, "in", [...ids]).where("bucket", ">=", since).groupBy(sql.ref(col) as never).execute() as unknown as { id: string; total: number }[];
        for (const r of rows) out.set(r.id, Number(r.total));
        return out;
      },
      async sumCost(orgId, scope, sinceIso) {
        // Exact from the rollups (written with the ledger): daily ones when the window starts at midnight.
        const [width, since] = rollupWindow(sinceIso);
        let q = db.selectFrom("usage_rollups").select((eb) => eb.fn.coalesce(eb.fn.sum<number>("cost_micros"), eb.val(0)).as("total"))
          .where("org_id", "=", orgId).where("width", "=", width).where("bucket", ">=", since);
        if (scope.type === "workspace") q = q.where("workspace_id", "=", scope.id ?? "");
        if (scope.type === "api_key") q = q.where("api_key_id", "=", scope.id ?? "");
        if (scope.type === "user") q = q.where("user_id", "=", scope.id ?? "");
        const r = await q.executeTakeFirst();
        return Number(r?.total ?? 0);
      },
      async list(orgId, filter, limit) {
        let q = db.selectFrom("usage_records").selectAll().where("org_id", "=", orgId);
        if (filter.apiKeyId !== undefined) q = q.where("api_key_id", "=", filter.apiKeyId);
        if (filter.from !== undefined) q = q.where("created_at", ">=", filter.from);
        if (filter.to !== undefined) q = q.where("created_at", "<", filter.to);
        const rows = await q.orderBy("created_at").orderBy("id").limit(limit).execute();
        return rows.map((r) => ({ ...r, stream: Number(r.stream) === 1, price_estimated: Number(r.price_estimated) === 1 }));
      },
    },
    alertRules: {
      async insert(rule) {
        await db.insertInto("alert_rules").values(fromAlertRule(rule) as Database["alert_rules"]).execute();
      },
      async get(orgId, id) {
        const r = await db.selectFrom("alert_rules").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
        return r ? toAlertRule(r) : null;
      },
      list(orgId, page) {
        return paginate(db.selectFrom("alert_rules").selectAll().where("org_id", "=", orgId) as never, "id", page, toAlertRule);
      },
      async listAll(orgId) {
        return (await db.selectFrom("alert_rules").selectAll().where("org_id", "=", orgId).orderBy("id").execute()).map(toAlertRule);
      },
      async update(orgId, id, patch) {
        await db.updateTable("alert_rules").set(fromAlertRule(patch)).where("org_id", "=", orgId).where("id", "=", id).execute();
      },
      async remove(orgId, id) {
        await db.deleteFrom("alert_rules").where("org_id", "=", orgId).where("id", "=", id).execute();
      },
    },
    deliveries: {
      async insert(d) {
        await db.insertInto("alert_deliveries").values({ ...d, attempts: JSON.stringify(d.attempts) }).execute();
      },
      async get(orgId, id) {
        const r = await db.selectFrom("alert_deliveries").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
        return r ? toDelivery(r) : null;
      },
      list(orgId, filter, page) {
        let q = db.selectFrom("alert_deliveries").selectAll().where("org_id", "=", orgId);
        if (filter.ruleId !== undefined) q = q.where("rule_id", "=", filter.ruleId);
        if (filter.status !== undefined) q = q.where("status", "=", filter.status);
        if (filter.eventType !== undefined) q = q.where("event_type", "=", filter.eventType);
        return paginate(q as never, "id", page, toDelivery);
      },
      async due(nowIso, limit) {
        const rows = await db.selectFrom("alert_deliveries").selectAll().where("status", "=", "pending").where("next_attempt_at", "<=", nowIso)
          .orderBy("next_attempt_at").orderBy("id").limit(limit).execute();
        return rows.map(toDelivery);
      },
      async update(id, patch) {
        await db.updateTable("alert_deliveries").set({ ...patch, attempts: JSON.stringify(patch.attempts) }).where("id", "=", id).execute();
      },
    },
    firings: {
      async claim(orgId, fireKey, nowIso) {
        const r = await db.insertInto("alert_firings").values({ org_id: orgId, fire_key: fireKey, fired_at: nowIso })
          .onConflict((oc) => oc.columns(["org_id", "fire_key"]).doNothing()).executeTakeFirst();
        return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
      },
      async has(orgId, fireKeys) {
        if (fireKeys.length === 0) return new Set();
        const rows = await db.selectFrom("alert_firings").select("fire_key").where("org_id", "=", orgId).where("fire_key", "in", [...fireKeys]).execute();
        return new Set(rows.map((r) => r.fire_key));
      },
    },
    jobs: {
      async claim(job, dueAt, instance, nowIso) {
        const r = await db.insertInto("job_runs").values({ job, due_at: dueAt, instance, status: "running", started_at: nowIso, finished_at: null, detail: null })
          .onConflict((oc) => oc.columns(["job", "due_at"]).doNothing()).executeTakeFirst();
        return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
      },
      async finish(job, dueAt, status, detail, nowIso) {
        await db.updateTable("job_runs").set({ status, detail, finished_at: nowIso }).where("job", "=", job).where("due_at", "=", dueAt).execute();
      },
      async release(job, dueAt) {
        await db.deleteFrom("job_runs").where("job", "=", job).where("due_at", "=", dueAt).execute();
      },
      async prune(beforeIso) {
        const r = await db.deleteFrom("job_runs").where("due_at", "<", beforeIso).executeTakeFirst();
        return Number(r.numDeletedRows);
      },
      async list(job, limit) {
        let q = db.selectFrom("job_runs").selectAll();
        if (job !== null) q = q.where("job", "=", job);
        return q.orderBy("due_at", "desc").orderBy("job").limit(limit).execute();
      },
    },
    leases: {
      async acquire(name, holder, nowMs, ttlMs) {
        await db.insertInto("scheduler_leases").values({ name, holder, expires_at_ms: nowMs + ttlMs })
          .onConflict((oc) => oc.column("name").doUpdateSet({ holder, expires_at_ms: nowMs + ttlMs })
            .where((eb) => eb.or([eb("scheduler_leases.holder", "=", holder), eb("scheduler_leases.expires_at_ms", "<", nowMs)])))
          .execute();
        const r = await db.selectFrom("scheduler_leases").select("holder").where("name", "=", name).executeTakeFirst();
        return r?.holder === holder;
      },
      async release(name, holder) {
        await db.deleteFrom("scheduler_leases").where("name", "=", name).where("holder", "=", holder).execute();
      },
    },
    scimTokens: {
      async insert(t) {
        await db.insertInto("scim_tokens").values(t).execute();
      },
      async get(orgId, id) {
        const r = await db.selectFrom("scim_tokens").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
        return r ? asScimToken(r) : null;
      },
      async getForAuth(id) {
        const r = await db.selectFrom("scim_tokens").selectAll().where("id", "=", id).executeTakeFirst();
        return r ? asScimToken(r) : null;
      },
      list(orgId, page) {
        return paginate(db.selectFrom("scim_tokens").selectAll().where("org_id", "=", orgId) as never, "id", page, asScimToken);
      },
      async update(orgId, id, patch) {
        await db.updateTable("scim_tokens").set(patch).where("org_id", "=", orgId).where("id", "=", id).execute();
      },
    },
    scimGroups: {
      async insert(g) {
        await db.insertInto("scim_groups").values(g).execute();
      },
      async get(orgId, id) {
        const r = await db.selectFrom("scim_groups").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
        return r ? asScimGroup(r) : null;
      },
      async list(orgId, filter, offset, count) {
        let q = db.selectFrom("scim_groups").where("org_id", "=", orgId);
        if (filter !== null) {
          if (filter.attribute === "displayName") q = q.where(sql<string>`lower(display_name)`, "=", filter.value.toLowerCase());
          else if (filter.attribute === "externalId") q = q.where("external_id", "=", filter.value);
          else q = q.where("id", "=", filter.value);
        }
        const total = await q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
        const rows = await q.selectAll().orderBy("id").offset(offset).limit(count).execute();
        return { rows: rows.map(asScimGroup), total: Number(total.n) };
      },
      async update(orgId, id, patch) {
        await db.updateTable("scim_groups").set(patch).where("org_id", "=", orgId).where("id", "=", id).execute();
      },
      async remove(orgId, id) {
        await db.deleteFrom("scim_group_members").where("org_id", "=", orgId).where("group_id", "=", id).execute();
        await db.deleteFrom("scim_groups").where("org_id", "=", orgId).where("id", "=", id).execute();
      },
      async members(orgId, groupId) {
        return (await db.selectFrom("scim_group_members").select("user_id").where("org_id", "=", orgId).where("group_id", "=", groupId).orderBy("user_id").execute()).map((r) => r.user_id);
      },
      async addMember(orgId, groupId, userId) {
        await db.insertInto("scim_group_members").values({ org_id: orgId, group_id: groupId, user_id: userId })
          .onConflict((oc) => oc.columns(["group_id", "user_id"]).doNothing()).execute();
      },
      async removeMember(orgId, groupId, userId) {
        await db.deleteFrom("scim_group_members").where("org_id", "=", orgId).where("group_id", "=", groupId).where("user_id", "=", userId).execute();
      },
      async groupsOfUser(orgId, userId) {
        const rows = await db.selectFrom("scim_groups").innerJoin("scim_group_members", "scim_group_members.group_id", "scim_groups.id")
          .selectAll("scim_groups").where("scim_groups.org_id", "=", orgId).where("scim_group_members.user_id", "=", userId).orderBy("scim_groups.id").execute();
        return rows.map(asScimGroup);
      },
    },
    increaseRequests: {
      async insert(r) {
        await db.insertInto("spend_limit_increase_requests").values(r).execute();
      },
      async get(orgId, id) {
        const r = await db.selectFrom("spend_limit_increase_requests").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
        return r ? asIncreaseRequest(r) : null;
      },
      async list(orgId, filter) {
        let q = db.selectFrom("spend_limit_increase_requests").selectAll().where("org_id", "=", orgId);
        if (filter.userIds && filter.userIds.length > 0) q = q.where("user_id", "in", [...filter.userIds]);
        if (filter.statuses && filter.statuses.length > 0) q = q.where("status", "in", [...filter.statuses]);
        return (await q.orderBy("id", "desc").execute()).map(asIncreaseRequest);
      },
      async update(orgId, id, patch) {
        await db.updateTable("spend_limit_increase_requests").set(patch).where("org_id", "=", orgId).where("id", "=", id).execute();
      },
    },
    audit: {
      async append(input: AuditEventInput, now: Date) {
        try {
          // Taking the head row with an UPDATE first serializes appenders (row lock in PostgreSQL,
          // the write lock in SQLite); the returned hash is still the previous head's.
          const head = await db.updateTable("audit_head").set((eb) => ({ seq: eb("seq", "+", 1) })).where("id", "=", 1)
            .returning(["seq", "hash"]).executeTakeFirstOrThrow();
          const base: Omit<AuditEvent, "hash"> = {
            seq: Number(head.seq),
            // Ids follow seq so that cursor order is chain order.
            id: ID_PREFIX.auditEvent + encodeBase62(Number(head.seq), 11),
            ts: now.toISOString(),
            org_id: input.orgId,
            actor_type: input.actor.type,
            actor_id: input.actor.id,
            actor_display: input.actor.display,
            action: input.action,
            target_type: input.target.type,
            target_id: input.target.id,
            workspace_id: input.workspaceId,
            outcome: input.outcome,
            reason: input.reason,
            request_id: input.requestId,
            ip: input.ip,
            user_agent: input.userAgent,
            changes: input.changes === null ? null : JSON.stringify(input.changes),
            prev_hash: head.hash,
          };
          const event: AuditEvent = { ...base, hash: eventHash(base) };
          await db.insertInto("audit_events").values(event).execute();
          await db.updateTable("audit_head").set({ hash: event.hash }).where("id", "=", 1).execute();
          onAppend(event);
          return event;
        } catch (err) {
          throw new AuditWriteError(err);
        }
      },
      list(orgId, filter, page) {
        let q = db.selectFrom("audit_events").selectAll().where("org_id", "=", orgId);
        if (filter.actorId !== undefined) q = q.where("actor_id", "=", filter.actorId);
        if (filter.action !== undefined) q = q.where("action", "=", filter.action);
        if (filter.targetId !== undefined) q = q.where("target_id", "=", filter.targetId);
        if (filter.workspaceId !== undefined) q = q.where("workspace_id", "=", filter.workspaceId);
        if (filter.from !== undefined) q = q.where("ts", ">=", filter.from);
        if (filter.to !== undefined) q = q.where("ts", "<", filter.to);
        return paginate(q as never, "id", page, (r: AuditEvent) => ({ ...r, seq: Number(r.seq) }));
      },
      async *scan(batchSize) {
        let after = 0;
        for (;;) {
          const rows = await db.selectFrom("audit_events").selectAll().where("seq", ">", after).orderBy("seq").limit(batchSize).execute();
          for (const r of rows) yield { ...r, seq: Number(r.seq) };
          if (rows.length < batchSize) return;
          after = Number((rows[rows.length - 1] as AuditEvent).seq);
        }
      },
      async head() {
        const r = await db.selectFrom("audit_head").select(["seq", "hash"]).where("id", "=", 1).executeTakeFirstOrThrow();
        return { seq: Number(r.seq), hash: r.hash };
      },
    },
  };
}

/** The SQL store over one Kysely connection (SQLite or PostgreSQL). */
export class SqlStore implements Store {
  readonly dialect: Store["dialect"];
  private readonly r: Repos;
  constructor(readonly connection: Connection) {
    this.dialect = connection.dialect;
    this.r = repos(connection.db);
  }
  get orgs() { return this.r.orgs; }
  get users() { return this.r.users; }
  get invites() { return this.r.invites; }
  get workspaces() { return this.r.workspaces; }
  get members() { return this.r.members; }
  get apiKeys() { return this.r.apiKeys; }
  get adminKeys() { return this.r.adminKeys; }
  get audit() { return this.r.audit; }
  get upstreamCredentials() { return this.r.upstreamCredentials; }
  get spendLimits() { return this.r.spendLimits; }
  get rateLimits() { return this.r.rateLimits; }
  get usage() { return this.r.usage; }
  get alertRules() { return this.r.alertRules; }
  get deliveries() { return this.r.deliveries; }
  get firings() { return this.r.firings; }
  get jobs() { return this.r.jobs; }
  get leases() { return this.r.leases; }
  get scimTokens() { return this.r.scimTokens; }
  get scimGroups() { return this.r.scimGroups; }
  get increaseRequests() { return this.r.increaseRequests; }

  migrate(): Promise<string[]> {
    return migrateToLatest(this.connection.db, this.dialect);
  }

  private readonly listeners = new Set<(orgIds: string[]) => void>();

  /**
   * Tells `listener` which organizations a committed transaction changed (those with an audit
   * event other than a failed authentication), right after the commit, on this process.
   */
  onCommitted(listener: (orgIds: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    const touched = new Set<string>();
    const result = await this.connection.db.transaction().execute((trx) => fn(repos(trx, (e) => {
      if (e.org_id !== null && e.action !== "auth.failed") touched.add(e.org_id);
    })));
    if (touched.size > 0) for (const l of this.listeners) l([...touched]);
    return result;
  }

  /** Organizations changed by events after `afterSeq` (for other processes' caches), and the new head seq. */
  async changedSince(afterSeq: number): Promise<{ orgIds: string[]; seq: number }> {
    const rows = await this.connection.db.selectFrom("audit_events").select(["seq", "org_id", "action"]).where("seq", ">", afterSeq).orderBy("seq").limit(10_000).execute();
    const orgIds = new Set<string>();
    let seq = afterSeq;
    for (const r of rows) {
      seq = Math.max(seq, Number(r.seq));
      if (r.org_id !== null && r.action !== "auth.failed") orgIds.add(r.org_id);
    }
    return { orgIds: [...orgIds], seq };
  }

  async close(): Promise<void> {
    await this.connection.db.destroy();
  }
}

