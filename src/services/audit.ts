import { type AuditEvent, type ChainVerdict, verifyChain } from "../core/audit.js";
import type { PageRequest, PageResult } from "../core/domain.js";
import type { AuditFilter, Store } from "../core/ports.js";
import { requireOrgPermission } from "./access.js";
import type { Ctx, ServiceDeps } from "./context.js";

export async function listAuditEvents(deps: ServiceDeps, ctx: Ctx, filter: AuditFilter, page: PageRequest): Promise<PageResult<AuditEvent>> {
  requireOrgPermission(ctx, "audit:read");
  return deps.store.audit.list(ctx.principal.orgId, filter, page);
}

/** Walks the whole chain in seq order and checks every link and the head (A4). */
export async function verifyAuditChain(store: Store): Promise<ChainVerdict> {
  const head = await store.audit.head();
  const events: AuditEvent[] = [];
  // The verifier is streaming in spirit; collecting keeps verifyChain a pure function over a list.
  for await (const e of store.audit.scan(5000)) events.push(e);
  return verifyChain(events, head);
}

/** Every event as one JSON object per line, ascending seq. */
export async function* exportAuditJsonl(store: Store): AsyncIterable<string> {
  for await (const e of store.audit.scan(5000)) yield JSON.stringify(e) + "\n";
}
