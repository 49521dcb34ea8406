import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WebSocket } from 'ws';
import type { LogEnd, LogFrame } from '@codeyard/common/api/models';
import { AppLogsQuery, ReplIdParams } from '@codeyard/common/api/requests';
import { AgentClient } from '@codeyard/common/agent/client';
import { connectTarget } from '@codeyard/common/agent/connect';
import type { Target } from '@codeyard/common/agent/protocol';
import { AppError } from '@codeyard/common/errors';
import { accountOf } from '../auth.js';
import type { ApiContext } from '../context.js';

/** Followed logs one account may hold open at once (each is a socket here and one to the agent). */
const MAX_FOLLOWERS = 8;
/** A follower that lets this much pile up unread is cut off rather than held in memory. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * GET /api/repls/:id/app/logs, the app's output, three ways from the one agent log stream:
 * a WebSocket (the dashboard and VS Code), plain text of what the agent still holds (`curl`,
 * `codeyard repl logs`), or with `?follow=true` server-sent events, backlog first, then live
 * until the caller hangs up or the repl stops (`codeyard repl logs -f`: HTTP clients without a
 * WebSocket library). Every way is answered like any route (auth hook, schema, errors as HTTP
 * answers) before anything is streamed: 401 without a session, 403 for a cookie WebSocket from
 * another origin, 404 for a repl that is not the caller's, 409 when it is not running.
 */
export const appLogRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { repls, activity }) => {
  const agentSockets = new WeakMap<FastifyRequest, Target>();
  const followers = new Map<string, number>();
  app.route({
    method: 'GET',
    url: '/api/repls/:id/app/logs',
    schema: {
      summary: "The app's output: text (what the repl still holds, up to 512 KiB), with ?follow=true server-sent events, or a WebSocket of the same frames",
      tags: ['run'],
      params: ReplIdParams,
      querystring: AppLogsQuery,
      produces: ['text/plain', 'text/event-stream'],
    },
    preHandler: async (request) => {
      if (request.ws) agentSockets.set(request, await repls.apps.logsTarget(accountOf(request).id, request.params.id));
    },
    wsHandler: (client, request) => {
      relayToSocket(client, openAgentLogs(agentSockets.get(request)!));
      // Someone watching the app's output is using the repl for as long as they watch.
      const release = activity?.hold(request.params.id);
      if (release) client.once('close', release);
    },
    handler: async (request, reply) => {
      const owner = accountOf(request).id;
      const target = await repls.apps.logsTarget(owner, request.params.id);
      if (!request.query.follow) {
        const text = await new AgentClient(target).call('appLogs', undefined);
        return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').send(text);
      }
      const open = followers.get(owner) ?? 0;
      if (open >= MAX_FOLLOWERS) throw new AppError('RATE_LIMITED', `this account already follows ${open} app logs; stop one first`);
      followers.set(owner, open + 1);
      const release = activity?.hold(request.params.id);
      relayToEvents(request, reply, openAgentLogs(target), () => {
        release?.();
        const left = (followers.get(owner) ?? 1) - 1;
        if (left > 0) followers.set(owner, left);
        else followers.delete(owner);
      });
    },
  });
};

/** The agent's log socket: its control socket, or a pod's gate (whose first line goes out before the handshake). */
function openAgentLogs(agent: Target): WebSocket {
  return agent.kind === 'unix' ? new WebSocket(`ws+unix://${agent.socketPath}:/app/logs`) : new WebSocket('ws://agent/app/logs', { createConnection: () => connectTarget(agent) });
}

/** Pipes the agent's log frames to a browser (or API) WebSocket client until either side closes. */
function relayToSocket(client: WebSocket, upstream: WebSocket): void {
  upstream.on('message', (data) => {
    if (client.readyState === WebSocket.OPEN) client.send(data.toString());
  });
  const closeBoth = (): void => {
    client.close();
    upstream.terminate();
  };
  upstream.on('close', closeBoth);
  upstream.on('error', closeBoth);
  client.on('close', () => upstream.terminate());
  client.on('error', () => upstream.terminate());
}

/**
 * The agent's frames as server-sent events (`output`, `state`; `end` last). The agent runs as
 * the repl's user, so each frame is parsed and written again: only the two known shapes go
 * out, each on one `data:` line (JSON has no raw newline), so nothing it sends can forge an
 * event. `end` says why the stream stopped when the portal stops it.
 */
function relayToEvents(request: FastifyRequest, reply: FastifyReply, upstream: WebSocket, done: () => void): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', 'x-content-type-options': 'nosniff' });
  res.write(': following\n\n');
  let finished = false;
  const finish = (reason?: string): void => {
    if (finished) return;
    finished = true;
    clearInterval(ping);
    upstream.terminate();
    if (reason !== undefined && !res.destroyed) res.end(event('end', { reason } satisfies LogEnd));
    else res.destroy();
    done();
  };
  upstream.on('message', (data) => {
    const frame = logFrame(data.toString());
    if (!frame || finished) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) return finish(`the reader fell ${MAX_BUFFERED_BYTES >> 20} MiB behind the app's output; follow again to go on`);
    res.write(event(frame.type, frame));
  });
  upstream.on('close', () => finish('the app log closed: the repl stopped'));
  upstream.on('error', () => finish('the repl agent stopped answering'));
  // Comments keep idle proxies from closing the stream.
  const ping = setInterval(() => res.write(': ping\n\n'), 25_000);
  request.raw.socket.once('close', () => finish());
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A frame from the agent in one of the two known shapes, with nothing else; undefined otherwise. */
export function logFrame(text: string): LogFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const frame = value as Record<string, unknown>;
  if (frame.type === 'output') {
    const { stream, data, at } = frame;
    if ((stream === 'stdout' || stream === 'stderr' || stream === 'system') && typeof data === 'string' && typeof at === 'string') return { type: 'output', stream, data, at };
    return undefined;
  }
  if (frame.type === 'state' && typeof frame.app === 'object' && frame.app !== null) return { type: 'state', app: frame.app as Extract<LogFrame, { type: 'state' }>['app'] };
  return undefined;
}
