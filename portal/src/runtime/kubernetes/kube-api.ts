import { ApiException, CoreV1Api, type KubeConfig, NetworkingV1Api, PatchStrategy, setHeaderOptions, type V1NetworkPolicy, type V1Pod, type V1PodList } from '@kubernetes/client-node';
import { AppError } from '@codeyard/common/errors';
import type { ReplObjects, WireNetworkPolicy } from './manifests.js';
import { MANAGED_SELECTOR, objectName } from './pod-layout.js';

type Resource = 'pods' | 'secrets' | 'networkpolicies';

/**
 * The driver's one door to the Kubernetes API (@kubernetes/client-node): the calls it makes on
 * pods, secrets and networkpolicies in the repl namespace, with every failure turned into an
 * AppError a person can act on (RBAC, a refused object, an API that does not answer). Creates
 * and deletes are idempotent where a retry needs them to be: an object that already exists is
 * there, one that is gone is deleted.
 */
export class KubeApi {
  readonly namespace: string;
  readonly server: string;
  readonly #core: CoreV1Api;
  readonly #net: NetworkingV1Api;

  constructor(config: KubeConfig, namespace: string) {
    this.namespace = namespace;
    this.server = config.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
    this.#core = config.makeApiClient(CoreV1Api);
    this.#net = config.makeApiClient(NetworkingV1Api);
  }

  /** Creates a pod's objects, its network first (the pod never runs without its policy); those already there are kept. */
  async createObjects(objects: ReplObjects): Promise<V1Pod> {
    const namespace = this.namespace;
    await this.#call('create', 'networkpolicies', () => this.#net.createNamespacedNetworkPolicy({ namespace, body: networkPolicyModel(objects.networkPolicy) }), { exists: true });
    await this.#call('create', 'secrets', () => this.#core.createNamespacedSecret({ namespace, body: objects.secret }), { exists: true });
    const name = objects.pod.metadata!.name!;
    return (await this.#call('create', 'pods', () => this.#core.createNamespacedPod({ namespace, body: objects.pod }), { exists: true })) ?? (await this.readPod(name))!;
  }

  async readPod(name: string): Promise<V1Pod | undefined> {
    return this.#call('read', 'pods', () => this.#core.readNamespacedPod({ name, namespace: this.namespace }), { gone: true });
  }

  /** Every pod the driver made (by its labels), with the list's resourceVersion to watch from. */
  async listPods(): Promise<V1PodList> {
    return (await this.#call('list', 'pods', () => this.#core.listNamespacedPod({ namespace: this.namespace, labelSelector: MANAGED_SELECTOR })))!;
  }

  /**
   * Names of the Secrets and NetworkPolicies the driver made (to find those left without a pod);
   * `olderThanMs`: only those made longer ago than that.
   */
  async listSideObjects(olderThanMs = 0): Promise<{ secrets: string[]; networkPolicies: string[] }> {
    const namespace = this.namespace;
    const secrets = await this.#call('list', 'secrets', () => this.#core.listNamespacedSecret({ namespace, labelSelector: MANAGED_SELECTOR }));
    const policies = await this.#call('list', 'networkpolicies', () => this.#net.listNamespacedNetworkPolicy({ namespace, labelSelector: MANAGED_SELECTOR }));
    const cutoff = Date.now() - olderThanMs;
    const old = (o: { metadata?: { creationTimestamp?: Date | string } }): boolean => !olderThanMs || new Date(o.metadata?.creationTimestamp ?? Date.now()).getTime() < cutoff;
    const names = (items: Array<{ metadata?: { name?: string; creationTimestamp?: Date | string } }> | undefined): string[] => (items ?? []).filter(old).map((o) => o.metadata?.name ?? '').filter(Boolean);
    return { secrets: names(secrets?.items), networkPolicies: names(policies?.items) };
  }

  /** Merges labels into a pod's three objects (a taken warm pod becomes a repl's), and new Secret data. */
  async relabel(sandboxId: string, labels: Record<string, string | null>, secretData?: Record<string, string>): Promise<void> {
    const name = objectName(sandboxId);
    const namespace = this.namespace;
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const body = { metadata: { labels } };
    // The pod last: the relay and the other portals go by its labels, so it changes once the rest is ready.
    await this.#call('patch', 'networkpolicies', () => this.#net.patchNamespacedNetworkPolicy({ name, namespace, body }, merge));
    await this.#call('patch', 'secrets', () => this.#core.patchNamespacedSecret({ name, namespace, body: secretData ? { ...body, data: secretData } : body }, merge));
    await this.#call('patch', 'pods', () => this.#core.patchNamespacedPod({ name, namespace, body }, merge));
  }

  /**
   * Deletes a pod (with `graceSeconds` for its agent's last save after SIGTERM), its Secret and
   * its NetworkPolicy; any of them already gone is fine. Answers whether the pod was still there.
   */
  async deleteObjects(sandboxId: string, graceSeconds?: number): Promise<boolean> {
    const name = objectName(sandboxId);
    const namespace = this.namespace;
    const pod = await this.#call('delete', 'pods', () => this.#core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: graceSeconds }), { gone: true });
    await this.deleteSideObjects(name);
    return pod !== undefined;
  }

  /** Deletes a Secret and a NetworkPolicy of one name (a pod's, or leftovers of one that is gone). */
  async deleteSideObjects(name: string, which: { secret?: boolean; networkPolicy?: boolean } = { secret: true, networkPolicy: true }): Promise<void> {
    const namespace = this.namespace;
    if (which.secret) await this.#call('delete', 'secrets', () => this.#core.deleteNamespacedSecret({ name, namespace }), { gone: true });
    if (which.networkPolicy) await this.#call('delete', 'networkpolicies', () => this.#net.deleteNamespacedNetworkPolicy({ name, namespace }), { gone: true });
  }

  /** One API call; `exists`: a 409 means it is there (undefined); `gone`: a 404 means it is not (undefined). */
  async #call<T>(verb: string, resource: Resource, call: () => Promise<T>, ok: { exists?: boolean; gone?: boolean } = {}): Promise<T | undefined> {
    try {
      return await call();
    } catch (err) {
      const code = err instanceof ApiException ? (err.code as number) : undefined;
      if ((code === 409 && ok.exists) || (code === 404 && ok.gone)) return undefined;
      throw kubeError(err, verb, resource, this);
    }
  }
}

/** The client's model of a NetworkPolicy: an ingress rule's `from` is `_from` there (see manifests.ts). */
export function networkPolicyModel(policy: WireNetworkPolicy): V1NetworkPolicy {
  const ingress = policy.spec.ingress?.map(({ from, ...rule }) => ({ ...rule, _from: from }));
  return { ...policy, spec: { ...policy.spec, ingress } };
}

/** The API server's own message, from the Status object it answers errors with. */
function statusMessage(body: unknown): string | undefined {
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: unknown } | undefined;
    return typeof status?.message === 'string' ? status.message : undefined;
  } catch {
    return typeof body === 'string' && body ? body.slice(0, 300) : undefined;
  }
}

/** What a failed call means, for a person: the code from the HTTP status, the message from the API. */
export function kubeError(err: unknown, verb: string, resource: string, where: { namespace: string; server: string }): AppError {
  if (err instanceof ApiException) {
    const said = statusMessage(err.body) ?? err.message;
    const what = `${verb} ${resource} in namespace ${where.namespace}`;
    switch (err.code) {
      case 401:
        return new AppError('UNAVAILABLE', `the Kubernetes API at ${where.server} did not accept the portal's credentials (401) to ${what}: check the kubeconfig or the service account token`);
      case 403:
        return new AppError('UNAVAILABLE', `the portal may not ${what} (403 Forbidden: its service account needs a Role allowing it, see the Helm chart's RBAC): ${said}`);
      case 404:
        return new AppError('NOT_FOUND', `Kubernetes has no such object to ${what} (404): ${said}`);
      case 409:
        return new AppError('CONFLICT', `could not ${what}: it conflicts with one already there (409): ${said}`);
      case 410:
        return new AppError('CONFLICT', `the Kubernetes API has moved on (410 Gone) while the portal tried to ${what}: ${said}`);
      case 422:
        return new AppError('INTERNAL', `the Kubernetes API refused the object to ${what} as invalid (422): ${said}`);
      case 429:
        return new AppError('RATE_LIMITED', `the Kubernetes API is busy (429) and refused to ${what} for now; try again`);
      default:
        return new AppError('UPSTREAM', `the Kubernetes API answered ${err.code} to ${what}: ${said}`);
    }
  }
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
  return new AppError('UNAVAILABLE', `the Kubernetes API at ${where.server} does not answer (${why}) to ${verb} ${resource}; check that the cluster is up and reachable from the portal`);
}
