import type { BucketCheck, SpendCheck } from "./limits.js";
import type { AuditEvent, AuditEventInput } from "./audit.js";
import type {
  AdminKey, AlertRule, ApiKey, Delivery, IncreaseRequest, Invite, OffboardingPolicy, Organization, ScimGroup, ScimToken, PageRequest, PageResult, RateLimitSetting, SpendLimit, UnpricedModelPolicy, UpstreamCredential,
  UsageRecord, User, Workspace, WorkspaceMember,
} from "./domain.js";
import type { OrgRole, WorkspaceRole } from "./rbac.js";

/** Filters of the audit event list. */
export interface AuditFilter {
  actorId?: string | undefined;
  action?: string | undefined;
  targetId?: string | undefined;
  workspaceId?: string | undefined;
  /** Inclusive lower bound, RFC 3339. */
  from?: string | undefined;
  /** Exclusive upper bound, RFC 3339. */
  to?: string | undefined;
}

/** A workspace set visible to a caller: every workspace, or these ids. */
export type WorkspaceSet = "all" | readonly string[];

/**
 * The repositories of the control plane. Every method takes the tenant scope (org id, and the
 * workspace id where it applies) as a required argument; an object outside the scope is `null`.
 */
export interface Repos {
  orgs: {
    insert(org: Organization): Promise<void>;
    get(orgId: string): Promise<Organization | null>;
    first(): Promise<Organization | null>;
    unpricedPolicy(orgId: string): Promise<UnpricedModelPolicy>;
    setUnpricedPolicy(orgId: string, policy: UnpricedModelPolicy): Promise<void>;
    offboardingPolicy(orgId: string): Promise<OffboardingPolicy>;
    setOffboardingPolicy(orgId: string, policy: OffboardingPolicy): Promise<void>;
    listIds(): Promise<string[]>;
  };
  users: {
    insert(user: User): Promise<void>;
    get(orgId: string, id: string): Promise<User | null>;
    getByEmail(orgId: string, email: string): Promise<User | null>;
    list(orgId: string, filter: { email?: string | undefined; roles?: readonly OrgRole[] | undefined }, page: PageRequest): Promise<PageResult<User>>;
    update(orgId: string, id: string, patch: Partial<Pick<User, "role" | "name" | "status" | "email" | "external_id" | "user_name" | "given_name" | "family_name">>): Promise<void>;
    /** SCIM listing: every user including deactivated ones, optionally filtered by one attribute, by offset. */
    scimList(orgId: string, filter: { attribute: "userName" | "externalId" | "email" | "id"; value: string } | null, offset: number, count: number): Promise<{ rows: User[]; total: number }>;
  };
  invites: {
    insert(invite: Invite): Promise<void>;
    get(orgId: string, id: string): Promise<Invite | null>;
    findPendingByEmail(orgId: string, email: string): Promise<Invite | null>;
    /** Looks an invite up by the hash of its acceptance token, across organizations. */
    findByTokenHash(tokenHash: string): Promise<Invite | null>;
    list(orgId: string, filter: { email?: string | undefined; roles?: readonly OrgRole[] | undefined; statuses?: readonly string[] | undefined }, page: PageRequest): Promise<PageResult<Invite>>;
    update(orgId: string, id: string, patch: Partial<Pick<Invite, "status" | "accepted_at">>): Promise<void>;
  };
  workspaces: {
    insert(ws: Workspace): Promise<void>;
    get(orgId: string, id: string): Promise<Workspace | null>;
    list(orgId: string, filter: { includeArchived: boolean; ids?: readonly string[] | undefined; visible: WorkspaceSet }, page: PageRequest): Promise<PageResult<Workspace>>;
    update(orgId: string, id: string, patch: Partial<Pick<Workspace, "name" | "display_color" | "tags" | "archived_at" | "environment" | "rotation_max_age_days" | "rotation_action">>): Promise<void>;
    listAll(orgId: string): Promise<Workspace[]>;
  };
  members: {
    insert(m: WorkspaceMember): Promise<void>;
    get(orgId: string, workspaceId: string, userId: string): Promise<WorkspaceMember | null>;
    list(orgId: string, workspaceId: string, page: PageRequest): Promise<PageResult<WorkspaceMember>>;
    listForUser(orgId: string, userId: string): Promise<WorkspaceMember[]>;
    update(orgId: string, workspaceId: string, userId: string, role: WorkspaceRole): Promise<void>;
    remove(orgId: string, workspaceId: string, userId: string): Promise<void>;
    removeAllForUser(orgId: string, userId: string): Promise<number>;
    listAllInWorkspace(orgId: string, workspaceId: string): Promise<WorkspaceMember[]>;
  };
  apiKeys: {
    insert(key: ApiKey): Promise<void>;
    get(orgId: string, id: string): Promise<ApiKey | null>;
    /** Lookup by id alone, for authentication (the org is not known yet). */
    getForAuth(id: string): Promise<ApiKey | null>;
    list(orgId: string, filter: {
      statuses?: readonly string[] | undefined;
      workspaceId?: string | undefined;
      createdByUserId?: string | undefined;
      visible: WorkspaceSet;
      now: string;
    }, page: PageRequest): Promise<PageResult<ApiKey>>;
    listActiveInWorkspace(orgId: string, workspaceId: string): Promise<ApiKey[]>;
    /** Live (active or inactive) keys the user owns, or created without naming an owner. */
    listLiveForUser(orgId: string, userId: string): Promise<ApiKey[]>;
    /** Every active key of the organization (scheduled rotation and expiry checks). */
    listActive(orgId: string): Promise<ApiKey[]>;
    update(orgId: string, id: string, patch: Partial<Pick<ApiKey, "name" | "status" | "owner_user_id" | "expires_at" | "allowed_models" | "allowed_cidrs" | "tier" | "rotated_to" | "rotated_at" | "last_used_at">>): Promise<void>;
  };
  adminKeys: {
    insert(key: AdminKey): Promise<void>;
    get(orgId: string, id: string): Promise<AdminKey | null>;
    getForAuth(id: string): Promise<AdminKey | null>;
    list(orgId: string, page: PageRequest): Promise<PageResult<AdminKey>>;
    listActiveForUser(orgId: string, userId: string): Promise<AdminKey[]>;
    update(orgId: string, id: string, patch: Partial<Pick<AdminKey, "status" | "revoked_at" | "last_used_at">>): Promise<void>;
  };
  upstreamCredentials: {
    /** Creates or replaces the credential of a workspace (or the org default with `workspaceId` null). */
    upsert(credential: UpstreamCredential): Promise<void>;
    get(orgId: string, workspaceId: string | null): Promise<UpstreamCredential | null>;
    remove(orgId: string, workspaceId: string | null): Promise<boolean>;
  };
  spendLimits: {
    /** Upsert on (scope, period). */
    upsert(limit: SpendLimit): Promise<SpendLimit>;
    get(orgId: string, id: string): Promise<SpendLimit | null>;
    findByScope(orgId: string, scopeType: SpendLimit["scope_type"], scopeId: string | null, period: SpendLimit["period"]): Promise<SpendLimit | null>;
    listAll(orgId: string): Promise<SpendLimit[]>;
    remove(orgId: string, id: string): Promise<void>;
  };
  rateLimits: {
    list(orgId: string, scopeType: RateLimitSetting["scope_type"], scopeId: string | null): Promise<RateLimitSetting[]>;
    listAll(orgId: string): Promise<RateLimitSetting[]>;
    /** Sets (value) or clears (null) one limit type of a scope. */
    set(orgId: string, scopeType: RateLimitSetting["scope_type"], scopeId: string | null, limitType: string, value: number | null, now: string): Promise<void>;
  };
  usage: {
    insertMany(records: readonly UsageRecord[]): Promise<void>;
    /** Sum of `cost_micros` for a scope from `sinceIso` (inclusive, minute precision; exact for the midnight-aligned spend windows). */
    sumCost(orgId: string, scope: { type: "organization" | "workspace" | "user" | "api_key"; id: string | null }, sinceIso: string): Promise<number>;
    list(orgId: string, filter: { apiKeyId?: string | undefined; from?: string | undefined; to?: string | undefined }, limit: number): Promise<UsageRecord[]>;
    /** Aggregates of the per-minute rollups for reports. */
    report(orgId: string, query: UsageReportQuery): Promise<UsageReportRow[]>;
    /** Requests of one key since `sinceIso` (minute rollups, minute precision). */
    countRequests(orgId: string, apiKeyId: string, sinceIso: string): Promise<number>;
    /** Deletes minute rollups before `beforeBucket` (`YYYY-MM-DDTHH:MM`); returns how many went. */
    pruneMinuteRollups(beforeBucket: string): Promise<number>;
    /** Spend since `sinceIso` for many scopes at once (rollups; minute precision). */
    sumCostByScope(orgId: string, scopeType: "api_key" | "workspace", ids: readonly string[], sinceIso: string): Promise<Map<string, number>>;
  };
  alertRules: {
    insert(rule: AlertRule): Promise<void>;
    get(orgId: string, id: string): Promise<AlertRule | null>;
    list(orgId: string, page: PageRequest): Promise<PageResult<AlertRule>>;
    listAll(orgId: string): Promise<AlertRule[]>;
    update(orgId: string, id: string, patch: Partial<Omit<AlertRule, "id" | "org_id" | "created_at">>): Promise<void>;
    remove(orgId: string, id: string): Promise<void>;
  };
  deliveries: {
    insert(d: Delivery): Promise<void>;
    get(orgId: string, id: string): Promise<Delivery | null>;
    list(orgId: string, filter: { ruleId?: string | undefined; status?: string | undefined; eventType?: string | undefined }, page: PageRequest): Promise<PageResult<Delivery>>;
    /** Pending deliveries whose next attempt is due, oldest first, across organizations. */
    due(nowIso: string, limit: number): Promise<Delivery[]>;
    update(id: string, patch: Pick<Delivery, "status" | "attempts" | "next_attempt_at" | "updated_at">): Promise<void>;
  };
  /** Alerts that fired, by a deterministic name: `claim` is true only for the first caller. */
  firings: {
    claim(orgId: string, fireKey: string, nowIso: string): Promise<boolean>;
    has(orgId: string, fireKeys: readonly string[]): Promise<Set<string>>;
  };
  jobs: {
    /** Claims the run of `job` at `dueAt`; false when any instance already claimed it. */
    claim(job: string, dueAt: string, instance: string, nowIso: string): Promise<boolean>;
    finish(job: string, dueAt: string, status: "succeeded" | "failed", detail: string | null, nowIso: string): Promise<void>;
    /** Forgets a failed run so the next tick retries it. */
    release(job: string, dueAt: string): Promise<void>;
    /** Deletes run records due before `beforeIso`. */
    prune(beforeIso: string): Promise<number>;
    list(job: string | null, limit: number): Promise<{ job: string; due_at: string; instance: string; status: string; started_at: string; finished_at: string | null; detail: string | null }[]>;
  };
  leases: {
    /** Takes or renews the named lease for `holder` until `nowMs + ttlMs`; true when `holder` holds it. */
    acquire(name: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean>;
    release(name: string, holder: string): Promise<void>;
  };
  scimTokens: {
    insert(t: ScimToken): Promise<void>;
    get(orgId: string, id: string): Promise<ScimToken | null>;
    getForAuth(id: string): Promise<ScimToken | null>;
    list(orgId: string, page: PageRequest): Promise<PageResult<ScimToken>>;
    update(orgId: string, id: string, patch: Partial<Pick<ScimToken, "last_used_at" | "revoked_at">>): Promise<void>;
  };
  scimGroups: {
    insert(g: ScimGroup): Promise<void>;
    get(orgId: string, id: string): Promise<ScimGroup | null>;
    list(orgId: string, filter: { attribute: "displayName" | "externalId" | "id"; value: string } | null, offset: number, count: number): Promise<{ rows: ScimGroup[]; total: number }>;
    update(orgId: string, id: string, patch: Partial<Pick<ScimGroup, "display_name" | "external_id" | "workspace_id" | "workspace_role" | "updated_at">>): Promise<void>;
    remove(orgId: string, id: string): Promise<void>;
    members(orgId: string, groupId: string): Promise<string[]>;
    addMember(orgId: string, groupId: string, userId: string): Promise<void>;
    removeMember(orgId: string, groupId: string, userId: string): Promise<void>;
    groupsOfUser(orgId: string, userId: string): Promise<ScimGroup[]>;
  };
  increaseRequests: {
    insert(r: IncreaseRequest): Promise<void>;
    get(orgId: string, id: string): Promise<IncreaseRequest | null>;
    list(orgId: string, filter: { userIds?: readonly string[] | undefined; statuses?: readonly string[] | undefined }): Promise<IncreaseRequest[]>;
    update(orgId: string, id: string, patch: Partial<Pick<IncreaseRequest, "status" | "resolved_at" | "resolved_by_type" | "resolved_by_id" | "spend_limit_id">>): Promise<void>;
  };
  audit: {
    /** Appends one event to the hash chain; must run inside the caller's transaction. */
    append(event: AuditEventInput, now: Date): Promise<AuditEvent>;
    list(orgId: string, filter: AuditFilter, page: PageRequest): Promise<PageResult<AuditEvent>>;
    /** Every event in ascending seq order, in batches (for verify and export). */
    scan(batchSize: number): AsyncIterable<AuditEvent>;
    head(): Promise<{ seq: number; hash: string }>;
  };
}

/** Storage: repositories plus transactions. `transaction` commits only if `fn` resolves. */
export interface Store extends Repos {
  readonly dialect: "sqlite" | "postgres";
  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T>;
  /** Called after each commit with the organizations it changed (this process). */
  onCommitted(listener: (orgIds: string[]) => void): () => void;
  /** Organizations changed after audit seq `afterSeq`, by any process. */
  changedSince(afterSeq: number): Promise<{ orgIds: string[]; seq: number }>;
  close(): Promise<void>;
}

/** Time source; tests pass a fake clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** One admission: rate buckets to take from and spend counters to reserve against. */
export interface AdmissionPlan {
  nowMs: number;
  buckets: BucketCheck[];
  spend: readonly { check: SpendCheck; windowStart: string }[];
  reserveMicros: number;
}

export type AdmissionResult =
  | { kind: "admitted"; ticket: AdmissionTicket }
  | { kind: "rate_limited"; check: BucketCheck; retryAfterMs: number; remaining: number }
  | { kind: "spend_limited"; check: SpendCheck; availableMicros: number };

/** What an admitted request holds until it settles. */
export interface AdmissionTicket {
  plan: AdmissionPlan;
}

/** The actual outcome of an admitted request. */
export interface Settlement {
  costMicros: number;
  inputTokens: number;
  outputTokens: number;
}

/**
 * Rate and spend counters. `admit` is atomic across every bucket and counter of the plan: either
 * all are taken/reserved or none is. `settle` releases the reservation, adds the actual cost to
 * spend, and returns unused reserved tokens to the buckets. Memory (one process) and Redis
 * (several) implement it; both pass the same conformance suite.
 */
export interface CounterStore {
  /** Reads the period-to-date spend of a scope from the ledger when a counter is first needed. */
  admit(plan: AdmissionPlan, loadSpent: (check: SpendCheck, windowStart: string) => Promise<number>): Promise<AdmissionResult>;
  settle(ticket: AdmissionTicket, actual: Settlement, nowMs: number): Promise<void>;
  /** Spent and reserved micro-USD of a counter, for tests and reports. */
  peek(spendCheckId: string): Promise<{ spentMicros: number; reservedMicros: number } | null>;
  close(): Promise<void>;
}

export const REPORT_DIMENSIONS = ["api_key_id", "workspace_id", "model", "service_tier", "inference_geo"] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

export interface UsageReportQuery {
  /** Inclusive, minute precision: `YYYY-MM-DDTHH:MM`. */
  startBucket: string;
  /** Exclusive, minute precision. */
  endBucket: string;
  /** Length of the bucket key: 16 (minute), 13 (hour) or 10 (day). */
  bucketChars: 16 | 13 | 10;
  groupBy: readonly ReportDimension[];
  apiKeyIds?: readonly string[] | undefined;
  workspaceIds?: readonly string[] | undefined;
  models?: readonly string[] | undefined;
}

export interface UsageReportRow {
  bucket: string;
  api_key_id: string | null;
  workspace_id: string | null;
  model: string | null;
  service_tier: string | null;
  inference_geo: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_5m_input_tokens: number;
  cache_creation_1h_input_tokens: number;
  cache_read_input_tokens: number;
  web_search_requests: number;
  cost_micros: number;
  estimated_requests: number;
}
