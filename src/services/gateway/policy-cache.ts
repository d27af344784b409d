import { applicableSpendLimits } from "../../core/admission.js";
import { open } from "../../core/crypto.js";
import type { ApiKey, SpendLimit, UnpricedModelPolicy, Workspace } from "../../core/domain.js";
import { RATE_LIMIT_TYPES, type RateLimitType, type RateLimits, TIER_LIMITS } from "../../core/limits.js";
import type { Store } from "../../core/ports.js";
import { credentialContext } from "../upstream-credentials.js";

/** Everything the data plane needs to decide on a request with one key, loaded once and cached. */
export interface KeyPolicy {
  key: ApiKey;
  workspace: Workspace;
  orgId: string;
  /** Decrypted upstream credential (workspace's, else the organization's, else the server default). */
  upstreamKey: string | null;
  unpriced: UnpricedModelPolicy;
  rate: { api_key: Required<RateLimits>; workspace: RateLimits; organization: RateLimits };
  /** Spend limits with an amount that apply to this key: its own, its owner's, its workspace's, the org's. */
  spendLimits: SpendLimit[];
}

const NEGATIVE_TTL_MS = 30_000;
const MAX_ENTRIES = 200_000;

function typed(rows: { limit_type: string; value: number }[]): RateLimits {
  const out: RateLimits = {};
  for (const r of rows) if ((RATE_LIMIT_TYPES as readonly string[]).includes(r.limit_type)) out[r.limit_type as RateLimitType] = r.value;
  return out;
}

/**
 * Key → policy cache of the data plane: no database read per request in steady state. Entries of
 * an organization are dropped when a change to it commits on this process (at once) or on any
 * other process (seen by a poll of the change feed, every `pollMs`).
 */
export class PolicyCache {
  private readonly entries = new Map<string, Promise<KeyPolicy | null>>();
  private readonly byOrg = new Map<string, Set<string>>();
  private readonly negative = new Map<string, number>();
  private lastSeq = 0;
  /** Bumped by every invalidation; a load that started before one is not kept. */
  private generation = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: () => void;

  constructor(private readonly store: Store, private readonly encryptionKey: Buffer, private readonly defaultUpstreamKey: string | null, private readonly now: () => number = Date.now) {
    this.unsubscribe = store.onCommitted((orgIds) => this.invalidate(orgIds));
  }

  /** Starts following other processes' changes. */
  async start(pollMs = 500): Promise<void> {
    this.lastSeq = (await this.store.audit.head()).seq;
    const tick = async () => {
      try {
        const { orgIds, seq } = await this.store.changedSince(this.lastSeq);
        this.lastSeq = seq;
        if (orgIds.length > 0) this.invalidate(orgIds);
      } catch {
        // Storage hiccup: keep serving from cache; the next tick retries.
      }
    };
    this.timer = setInterval(() => void tick(), pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe();
  }

  invalidate(orgIds: readonly string[]): void {
    this.generation++;
    for (const orgId of orgIds) {
      for (const id of this.byOrg.get(orgId) ?? []) this.entries.delete(id);
      this.byOrg.delete(orgId);
    }
    this.negative.clear();
  }

  get(apiKeyId: string): Promise<KeyPolicy | null> {
    const neg = this.negative.get(apiKeyId);
    if (neg !== undefined && neg > this.now()) return Promise.resolve(null);
    let p = this.entries.get(apiKeyId);
    if (!p) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      const generation = this.generation;
      const loading = this.load(apiKeyId);
      p = loading;
      this.entries.set(apiKeyId, loading);
      loading.then((policy) => {
        if (generation !== this.generation) {
          if (this.entries.get(apiKeyId) === loading) this.entries.delete(apiKeyId);
          return;
        }
        if (policy === null) {
          this.entries.delete(apiKeyId);
          if (this.negative.size >= MAX_ENTRIES) this.negative.clear();
          this.negative.set(apiKeyId, this.now() + NEGATIVE_TTL_MS);
        } else {
          let set = this.byOrg.get(policy.orgId);
          if (!set) this.byOrg.set(policy.orgId, (set = new Set()));
          set.add(apiKeyId);
        }
      }, () => this.entries.delete(apiKeyId));
    }
    return p;
  }

  private async load(apiKeyId: string): Promise<KeyPolicy | null> {
    const key = await this.store.apiKeys.getForAuth(apiKeyId);
    if (!key) return null;
    const orgId = key.org_id;
    const [workspace, wsCred, orgCred, unpriced, keyRates, wsRates, orgRates, limits] = await Promise.all([
      this.store.workspaces.get(orgId, key.workspace_id),
      this.store.upstreamCredentials.get(orgId, key.workspace_id),
      this.store.upstreamCredentials.get(orgId, null),
      this.store.orgs.unpricedPolicy(orgId),
      this.store.rateLimits.list(orgId, "api_key", key.id),
      this.store.rateLimits.list(orgId, "workspace", key.workspace_id),
      this.store.rateLimits.list(orgId, "organization", null),
      this.store.spendLimits.listAll(orgId),
    ]);
    if (!workspace) return null;
    const cred = wsCred ?? orgCred;
    const upstreamKey = cred ? open(this.encryptionKey, cred.ciphertext, credentialContext(orgId, cred.workspace_id)) : this.defaultUpstreamKey;
    const tier = TIER_LIMITS[key.tier] ?? (TIER_LIMITS[1] as Required<RateLimits>);
    return {
      key, workspace, orgId, upstreamKey, unpriced,
      rate: { api_key: { ...tier, ...typed(keyRates) }, workspace: typed(wsRates), organization: typed(orgRates) },
      spendLimits: applicableSpendLimits(limits, key),
    };
  }
}
