import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeProblems } from './kube-schemas.js';

/** A stored object, as the API spells it. */
export type KubeObject = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string; uid?: string; creationTimestamp?: string; deletionTimestamp?: string; deletionGracePeriodSeconds?: number }; [key: string]: unknown };

type Resource = 'pods' | 'secrets' | 'networkpolicies';
const KINDS: Record<Resource, { kind: string; apiVersion: string }> = {
  pods: { kind: 'Pod', apiVersion: 'v1' },
  secrets: { kind: 'Secret', apiVersion: 'v1' },
  networkpolicies: { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1' },
};

interface WatchStream {
  resource: Resource;
  namespace: string;
  selector: string;
  res: http.ServerResponse;
}

interface Injected {
  method: string;
  resource: Resource;
  status: number;
  message: string;
}

/** Does `labels` match a label selector (`a=b,c!=d,e,!f`)? */
export function matchesSelector(labels: Record<string, string> = {}, selector = ''): boolean {
  return selector.split(',').filter(Boolean).every((term) => {
    const neq = /^([^!=]+)!=(.*)$/.exec(term);
    if (neq) return labels[neq[1]!] !== neq[2];
    const eq = /^([^!=]+)==?(.*)$/.exec(term);
    if (eq) return labels[eq[1]!] === eq[2];
    if (term.startsWith('!')) return !(term.slice(1) in labels);
    return term in labels;
  });
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * A test double of the Kubernetes API server, for the resources the kubernetes runtime uses
 * (pods, secrets, networkpolicies in namespaces): the REST calls (list with label selectors, get,
 * create, merge-patch, delete) and the watch protocol (newline-delimited events from a
 * resourceVersion, BOOKMARKs not needed, an ERROR event with a 410 Status once history before that
 * version is compacted away), answering errors with Status objects as the real server does (404
 * NotFound, 409 AlreadyExists, 422 Invalid — every created object is checked against the
 * Kubernetes schemas —, 415). Nothing runs here: a pod stays Pending until a test (or `autoRun`)
 * marks it Running, and a deleted pod ends when `onPodDelete` (a test's stand-in for the kubelet
 * sending SIGTERM) returns. Tests can end every watch, compact history, inject failures, or stop
 * the server to make the API unreachable.
 */
export class KubeApiDouble {
  readonly objects = new Map<string, KubeObject>();
  /** Every request as `METHOD path` (query left out), in order. */
  readonly requests: string[] = [];
  /** Called after a pod is made: answer an IP to mark it Running and Ready at once. */
  autoRun?: (pod: KubeObject) => string | undefined;
  /** The kubelet's part of a graceful delete (SIGTERM, the agent's last save); the pod goes when it returns. */
  onPodDelete?: (pod: KubeObject, graceSeconds: number) => Promise<void> | void;
  #server?: http.Server;
  #port = 0;
  #rv = 100;
  #compactedBefore = 0;
  readonly #history: Array<{ rv: number; resource: Resource; type: string; object: KubeObject }> = [];
  readonly #watches = new Set<WatchStream>();
  readonly #inject: Injected[] = [];

  async start(port = this.#port): Promise<void> {
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /** Stops answering (the API is unreachable until start() again, on the same port). */
  async stop(): Promise<void> {
    this.dropWatches();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections of the client would hold close() open.
    server.closeAllConnections();
    await closed;
  }

  /** A kubeconfig for this server (what the runtime gets instead of the cluster's). */
  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'double', server: `http://127.0.0.1:${this.#port}`, skipTLSVerify: true }],
      users: [{ name: 'double' }],
      contexts: [{ name: 'double', cluster: 'double', user: 'double' }],
      currentContext: 'double',
    });
    return config;
  }

  /** Ends every open watch, as a server restart or a proxy timeout does. */
  dropWatches(): void {
    for (const watch of this.#watches) watch.res.end();
    this.#watches.clear();
  }

  /** Forgets the history so far: a watch from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.#compactedBefore = this.#rv + 1;
    this.#history.length = 0;
  }

  /** The next `method` on `resource` answers `status` with `message`. */
  failNext(method: string, resource: Resource, status: number, message: string): void {
    this.#inject.push({ method, resource, status, message });
  }

  get(resource: Resource, namespace: string, name: string): KubeObject | undefined {
    return this.objects.get(`${resource}/${namespace}/${name}`);
  }

  list(resource: Resource, namespace?: string): KubeObject[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${resource}/${namespace ?? ''}`)).map(([, o]) => o);
  }

  /** Sets a pod's status (what the kubelet reports) and tells the watches. */
  setPodStatus(namespace: string, name: string, status: Record<string, unknown>): void {
    const pod = this.get('pods', namespace, name);
    if (!pod) throw new Error(`the double has no pod ${name}`);
    this.#store('pods', 'MODIFIED', { ...pod, status });
  }

  /** Marks a pod Running at `ip`, Ready or not (the readiness probe's answer). */
  markRunning(namespace: string, name: string, ip: string, ready = true): void {
    const conditions = [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: ready ? 'True' : 'False' }];
    this.setPodStatus(namespace, name, { phase: 'Running', podIP: ip, conditions });
  }

  #store(resource: Resource, type: string, object: KubeObject): void {
    const key = `${resource}/${object.metadata.namespace}/${object.metadata.name}`;
    object.metadata.resourceVersion = String(++this.#rv);
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, object);
    const event = { rv: this.#rv, resource, type, object };
    this.#history.push(event);
    for (const watch of this.#watches) this.#send(watch, event);
  }

  #send(watch: WatchStream, event: { resource: Resource; type: string; object: KubeObject }): void {
    if (event.resource !== watch.resource || event.object.metadata.namespace !== watch.namespace || !matchesSelector(event.object.metadata.labels, watch.selector)) return;
    watch.res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    this.requests.push(`${req.method} ${url.pathname}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeObject) : undefined;
    const route = /^\/(?:api\/v1|apis\/networking\.k8s\.io\/v1)\/namespaces\/([^/]+)\/(pods|secrets|networkpolicies)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!route) return this.#status(res, 404, 'NotFound', `the double serves no ${url.pathname}`);
    const [, namespace, resource, name] = route as unknown as [string, string, Resource, string | undefined];
    const injected = this.#inject.findIndex((i) => i.method === req.method && i.resource === resource);
    if (injected !== -1) {
      const { status, message } = this.#inject.splice(injected, 1)[0]!;
      return this.#status(res, status, status === 403 ? 'Forbidden' : status === 422 ? 'Invalid' : 'Failure', message);
    }
    const key = (n: string): string => `${resource}/${namespace}/${n}`;
    const { kind, apiVersion } = KINDS[resource];
    if (req.method === 'GET' && !name && url.searchParams.get('watch') === 'true') return this.#watch(res, resource, namespace, url.searchParams);
    if (req.method === 'GET' && !name) {
      const items = this.list(resource, namespace).filter((o) => o.metadata.namespace === namespace && matchesSelector(o.metadata.labels, url.searchParams.get('labelSelector') ?? ''));
      return this.#json(res, 200, { kind: `${kind}List`, apiVersion, metadata: { resourceVersion: String(this.#rv) }, items });
    }
    const existing = name ? this.objects.get(key(name)) : undefined;
    if (req.method === 'GET') return existing ? this.#json(res, 200, existing) : this.#status(res, 404, 'NotFound', `${resource} "${name}" not found`);
    if (req.method === 'POST' && body) {
      const objectName = body.metadata?.name;
      if (!objectName) return this.#status(res, 422, 'Invalid', `${kind} is invalid: metadata.name: Required value`);
      if (this.objects.has(key(objectName))) return this.#status(res, 409, 'AlreadyExists', `${resource} "${objectName}" already exists`);
      const problems = kubeProblems(body);
      if (problems.length) return this.#status(res, 422, 'Invalid', `${kind} "${objectName}" is invalid: ${problems.join('; ')}`);
      if (body.metadata.namespace && body.metadata.namespace !== namespace) return this.#status(res, 400, 'BadRequest', 'the namespace of the object does not match the namespace of the request');
      const made: KubeObject = { ...body, metadata: { ...body.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString() } };
      if (resource === 'pods') made.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] };
      this.#store(resource, 'ADDED', made);
      if (resource === 'pods' && this.autoRun) {
        const ip = this.autoRun(made);
        if (ip) setImmediate(() => this.get('pods', namespace, objectName) && this.markRunning(namespace, objectName, ip));
      }
      return this.#json(res, 201, made);
    }
    if (!existing) return this.#status(res, 404, 'NotFound', `${resource} "${name}" not found`);
    if (req.method === 'PATCH') {
      if (req.headers['content-type'] !== 'application/merge-patch+json') return this.#status(res, 415, 'UnsupportedMediaType', `the double takes merge patches only, not ${req.headers['content-type']}`);
      const patched = mergePatch(existing, body) as KubeObject;
      this.#store(resource, 'MODIFIED', patched);
      return this.#json(res, 200, patched);
    }
    if (req.method === 'DELETE') {
      const grace = Number(url.searchParams.get('gracePeriodSeconds') ?? (resource === 'pods' ? 30 : 0));
      if (resource !== 'pods' || grace === 0) {
        this.#store(resource, 'DELETED', existing);
        return this.#json(res, 200, existing);
      }
      if (existing.metadata.deletionTimestamp) return this.#json(res, 200, existing);
      const ending = { ...existing, metadata: { ...existing.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: grace } };
      this.#store(resource, 'MODIFIED', ending);
      this.#json(res, 200, ending);
      await this.onPodDelete?.(ending, grace);
      if (this.objects.get(key(name!))) this.#store(resource, 'DELETED', this.objects.get(key(name!))!);
      return;
    }
    return this.#status(res, 405, 'MethodNotAllowed', `the double does not take ${req.method} on ${resource}`);
  }

  #watch(res: http.ServerResponse, resource: Resource, namespace: string, query: URLSearchParams): void {
    const from = Number(query.get('resourceVersion') || 0);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const watch: WatchStream = { resource, namespace, selector: query.get('labelSelector') ?? '', res };
    if (from && from < this.#compactedBefore) {
      // As the real server: a 200, then one ERROR event whose object is a 410 Status.
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `too old resource version: ${from} (${this.#compactedBefore})`, reason: 'Expired', code: 410 } })}\n`);
      return;
    }
    if (from) for (const event of this.#history.filter((e) => e.rv > from)) this.#send(watch, event);
    else for (const object of this.list(resource, namespace)) this.#send(watch, { resource, type: 'ADDED', object });
    res.flushHeaders();
    this.#watches.add(watch);
    res.on('close', () => this.#watches.delete(watch));
  }

  #json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  #status(res: http.ServerResponse, code: number, reason: string, message: string): void {
    this.#json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
