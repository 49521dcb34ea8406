import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import { describeError } from '@codeyard/common/errors';
import type { KubeApi } from './kube-api.js';
import { LABELS, MANAGED_SELECTOR } from './pod-layout.js';

/** What the driver reads of a pod: its labels (the source of truth) and how far it is. */
export interface PodView {
  name: string;
  sandboxId: string;
  repl?: string;
  owner?: string;
  stack?: string;
  warm: boolean;
  phase: string;
  ip?: string;
  /** The kubelet's readiness probe passed (the agent says it is ready). */
  ready: boolean;
  /** Deleted, and ending (its agent saving within the grace period). */
  terminating: boolean;
  /** Why it cannot run (an image that cannot be pulled, a crash loop, a failed pod); undefined while it can. */
  problem?: string;
  /** Why it waits (no node has room yet: the autoscaler may add one). */
  waiting?: string;
  /** When it was made (ms since the epoch), when the API said. */
  createdAt?: number;
}

/** Container states that mean the pod will not run without someone changing something. */
const FATAL_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'CrashLoopBackOff', 'RunContainerError']);

type RawPod = {
  metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: unknown; creationTimestamp?: unknown; resourceVersion?: string };
  status?: {
    phase?: string;
    podIP?: string;
    message?: string;
    reason?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    containerStatuses?: Array<{ state?: { waiting?: { reason?: string; message?: string } } }>;
  };
};

/** Reads a pod as the list (the client's model) and the watch (the wire JSON) both give it. */
export function viewOf(pod: RawPod): PodView | undefined {
  const labels = pod.metadata?.labels ?? {};
  const name = pod.metadata?.name;
  const sandboxId = labels[LABELS.sandbox];
  if (!name || !sandboxId) return undefined;
  const status = pod.status ?? {};
  const condition = (type: string): { status?: string; reason?: string; message?: string } | undefined => status.conditions?.find((c) => c.type === type);
  const waiting = status.containerStatuses?.map((c) => c.state?.waiting).find((w) => w?.reason && FATAL_WAITING.has(w.reason));
  const unscheduled = condition('PodScheduled');
  return {
    name,
    sandboxId,
    repl: labels[LABELS.repl],
    owner: labels[LABELS.owner],
    stack: labels[LABELS.stack],
    warm: labels[LABELS.warm] === 'true',
    phase: status.phase ?? 'Pending',
    ip: status.podIP || undefined,
    ready: condition('Ready')?.status === 'True',
    terminating: !!pod.metadata?.deletionTimestamp,
    problem: waiting
      ? `${waiting.reason}: ${waiting.message ?? 'see kubectl describe pod'}`
      : status.phase === 'Failed'
        ? `the pod failed (${status.reason ?? 'no reason given'}: ${status.message ?? ''})`
        : undefined,
    waiting: unscheduled?.status === 'False' ? `waiting for a node with room (${unscheduled.message ?? unscheduled.reason ?? 'unschedulable'})` : undefined,
    // A Date from the list (the client's model), a string from the watch.
    createdAt: pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp as string | Date).getTime() || undefined : undefined,
  };
}

export interface PodWatchOptions {
  api: KubeApi;
  config: KubeConfig;
  log: { warn(obj: object, msg: string): void };
  /** Longest quiet stretch on a watch before it is opened again (the server sends bookmarks). */
  idleMs?: number;
}

/**
 * The driver's view of every repl pod in the namespace, kept by list-then-watch the way
 * Kubernetes' own informers do: a list gives the pods and a resourceVersion, a watch from that
 * version gives every change after it; a watch that ends is opened again from the last version
 * seen, and one the server no longer has history for (410 Gone) starts over with a new list,
 * whose differences are told as changes. Every portal replica keeps one, so each sees every pod.
 */
export class PodWatch extends EventEmitter<{ change: [PodView]; gone: [PodView] }> {
  readonly #o: PodWatchOptions;
  readonly #pods = new Map<string, PodView>();
  #version = '';
  #stopped = false;
  #controller?: AbortController;
  /** Lists and watches opened so far (a test can see a relist). */
  readonly counts = { lists: 0, watches: 0 };

  constructor(options: PodWatchOptions) {
    super();
    this.#o = options;
  }

  /** Lists once (so the view is whole when this resolves), then keeps watching in the background. */
  async start(): Promise<void> {
    await this.#list();
    void this.#loop();
  }

  get(name: string): PodView | undefined {
    return this.#pods.get(name);
  }

  all(): PodView[] {
    return [...this.#pods.values()];
  }

  stop(): void {
    this.#stopped = true;
    this.#controller?.abort();
  }

  async #list(): Promise<void> {
    this.counts.lists++;
    const list = await this.#o.api.listPods();
    const seen = new Set<string>();
    for (const pod of list.items) {
      const view = viewOf(pod as RawPod);
      if (!view) continue;
      seen.add(view.name);
      this.#set(view);
    }
    for (const [name, view] of this.#pods) {
      if (seen.has(name)) continue;
      this.#pods.delete(name);
      this.emit('gone', view);
    }
    this.#version = list.metadata?.resourceVersion ?? '';
  }

  #set(view: PodView): void {
    this.#pods.set(view.name, view);
    this.emit('change', view);
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      const outcome = await this.#watchOnce();
      if (this.#stopped) return;
      if (outcome === 'ok') failures = 0;
      else failures++;
      // Bounded backoff while the API does not answer; at once after a clean end.
      if (failures) await sleep(Math.min(10_000, 250 * 2 ** Math.min(failures, 6)));
      if (outcome === 'expired' || failures > 0) {
        await this.#list().catch((err: unknown) => {
          failures++;
          this.#o.log.warn({ err: describeError(err) }, 'could not list repl pods; trying again');
        });
      }
    }
  }

  /** One watch from the last version: 'ok' when it ended cleanly, 'expired' on 410, 'failed' otherwise. */
  #watchOnce(): Promise<'ok' | 'expired' | 'failed'> {
    return new Promise((resolve) => {
      let outcome: 'ok' | 'expired' | 'failed' = 'ok';
      const watch = new Watch(this.#o.config);
      // The client ends a watch quiet for 30 s; the server's bookmarks come about once a minute.
      // (A field the client declares private: https://github.com/kubernetes-client/javascript/blob/main/src/watch.ts)
      (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = this.#o.idleMs ?? 120_000;
      this.counts.watches++;
      const path = `/api/v1/namespaces/${this.#o.api.namespace}/pods`;
      const query = { labelSelector: MANAGED_SELECTOR, resourceVersion: this.#version, allowWatchBookmarks: true, timeoutSeconds: 300 };
      const onEvent = (type: string, object: RawPod & { code?: number }): void => {
        const version = object?.metadata?.resourceVersion;
        if (type === 'ERROR') {
          // The server keeps a window of history: older versions answer 410, and only a new list helps.
          outcome = object.code === 410 ? 'expired' : 'failed';
          this.#controller?.abort();
          return;
        }
        if (version) this.#version = version;
        if (type === 'BOOKMARK') return;
        const view = viewOf(object);
        if (!view) return;
        if (type === 'DELETED') {
          this.#pods.delete(view.name);
          this.emit('gone', view);
        } else this.#set(view);
      };
      const done = (err?: unknown): void => {
        const status = (err as { statusCode?: number } | undefined)?.statusCode;
        if (status === 410) outcome = 'expired';
        else if (err && outcome === 'ok' && !this.#stopped && (err as Error).name !== 'AbortError') {
          outcome = 'failed';
          this.#o.log.warn({ err: describeError(err) }, 'the watch of repl pods ended; opening it again');
        }
        resolve(outcome);
      };
      watch.watch(path, query, onEvent, done).then(
        (controller) => (this.#controller = controller),
        (err: unknown) => done(err),
      );
    });
  }
}
