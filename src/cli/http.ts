/** A small admin-API client for CLI commands that act through a running gateway (audited as the admin key). */
export interface AdminTarget {
  url: string;
  adminKey: string;
}

export class AdminApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "AdminApiError";
  }
}

export function adminTarget(opts: { url?: string | undefined; adminKey?: string | undefined }, env: NodeJS.ProcessEnv): AdminTarget {
  const url = opts.url ?? env.GATEHOUSE_URL ?? `http://127.0.0.1:${env.GATEHOUSE_PORT || "8787"}`;
  const adminKey = opts.adminKey ?? env.GATEHOUSE_ADMIN_KEY;
  if (!adminKey) throw new AdminApiError(0, "an admin key is required: --admin-key or GATEHOUSE_ADMIN_KEY");
  return { url: url.replace(/\/+$/, ""), adminKey };
}

export async function adminCall<T>(target: AdminTarget, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, {
      method, headers: { "x-api-key": target.adminKey, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new AdminApiError(0, `cannot reach ${target.url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const json = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!res.ok) throw new AdminApiError(res.status, `${method} ${path}: ${res.status} ${json?.error?.message ?? ""}`.trim());
  return json as T;
}
