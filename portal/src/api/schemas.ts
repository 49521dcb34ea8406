/**
 * JSON schemas of the API: fastify validates requests with them, serializes replies with them,
 * and the OpenAPI document at /api/openapi.json is made from them.
 */
import { REPL_ID_PATTERN } from '@codeyard/common/repl-id';

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
} as const;

export const appStateSchema = {
  $id: 'AppState',
  type: 'object',
  required: ['running'],
  properties: {
    running: { type: 'boolean' },
    pid: { type: 'integer' },
    command: { type: 'string' },
    startedAt: { type: 'string', format: 'date-time' },
    exitedAt: { type: 'string', format: 'date-time' },
    exitCode: { type: ['integer', 'null'] },
    signal: { type: ['string', 'null'] },
    stopped: { type: 'boolean' },
  },
} as const;

export const syncStatusSchema = {
  $id: 'SyncStatus',
  type: 'object',
  required: ['state', 'pending'],
  description: 'How the workspace stands against the object store',
  properties: {
    state: {
      type: 'string',
      enum: ['starting', 'restoring', 'synced', 'pending', 'syncing', 'degraded', 'stored'],
      description: 'stored: the repl is stopped and the store has its files; degraded: saving fails and is retried (see reason)',
    },
    pending: { type: 'integer', description: 'changed paths not yet in the store' },
    reason: { type: 'string' },
    lastSyncAt: { type: 'string', format: 'date-time' },
    version: { type: 'integer', description: 'the stored workspace version' },
    restore: { type: 'object', properties: { done: { type: 'integer' }, total: { type: 'integer' } } },
    skipped: { type: 'array', items: { type: 'string' }, description: 'paths never saved (names the store cannot hold)' },
  },
} as const;

export const replSchema = {
  $id: 'Repl',
  type: 'object',
  required: ['id', 'name', 'stack', 'status', 'app', 'sync', 'ideUrl', 'previewUrl', 'port', 'ports', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    stack: { type: 'string' },
    status: { type: 'string', enum: ['stopped', 'starting', 'running', 'stopping', 'error'] },
    step: { type: 'string', description: 'what a starting or stopping repl is doing now' },
    error: { type: 'string', description: 'why the repl is in the error state, and what to do' },
    app: { $ref: 'AppState#' },
    sync: { $ref: 'SyncStatus#' },
    ideUrl: { type: 'string', description: 'the IDE host; open it through POST /ide-link' },
    previewUrl: { type: 'string' },
    port: { type: 'integer' },
    ports: {
      type: 'array',
      items: {
        type: 'object',
        required: ['port', 'visibility', 'url'],
        properties: { port: { type: 'integer' }, visibility: { type: 'string', enum: ['public', 'private'] }, url: { type: 'string' } },
      },
    },
    createdAt: { type: 'string', format: 'date-time' },
    forkOf: { type: 'string', description: 'the repl this one was forked from' },
  },
} as const;

export const stackSchema = {
  $id: 'Stack',
  type: 'object',
  required: ['id', 'name', 'description', 'available'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    icon: { type: 'string', description: 'URL of the stack icon (SVG)' },
    port: { type: 'integer' },
    available: { type: 'boolean' },
    reason: { type: 'string' },
    version: { type: 'string' },
  },
} as const;

export const fileEntrySchema = {
  $id: 'FileEntry',
  type: 'object',
  required: ['name', 'type', 'size', 'modifiedAt'],
  properties: {
    name: { type: 'string' },
    type: { type: 'string', enum: ['file', 'directory', 'symlink', 'other'] },
    size: { type: 'integer' },
    modifiedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const execResultSchema = {
  $id: 'ExecResult',
  type: 'object',
  required: ['exitCode', 'signal', 'stdout', 'stderr', 'timedOut', 'truncated', 'durationMs'],
  properties: {
    exitCode: { type: ['integer', 'null'] },
    signal: { type: ['string', 'null'] },
    stdout: { type: 'string' },
    stderr: { type: 'string' },
    timedOut: { type: 'boolean' },
    truncated: { type: 'boolean' },
    durationMs: { type: 'integer' },
  },
} as const;

const limitSchema = {
  type: 'object',
  required: ['enforced'],
  properties: { enforced: { type: 'boolean' }, value: { type: 'integer' }, mechanism: { type: 'string' }, reason: { type: 'string' } },
} as const;

export const runtimeSchema = {
  $id: 'Runtime',
  type: 'object',
  required: ['driver', 'sandbox', 'network', 'uidPerRepl', 'limits'],
  properties: {
    driver: { type: 'string' },
    sandbox: { type: 'string' },
    network: { type: 'string' },
    uidPerRepl: { type: 'boolean' },
    limits: {
      type: 'object',
      required: ['processes', 'openFiles', 'memory', 'cpu', 'disk'],
      properties: { processes: limitSchema, openFiles: limitSchema, memory: limitSchema, cpu: limitSchema, disk: limitSchema },
    },
  },
} as const;

export const sharedSchemas = [runtimeSchema, errorSchema, appStateSchema, syncStatusSchema, replSchema, stackSchema, fileEntrySchema, execResultSchema];

export const replIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: REPL_ID_PATTERN.source, description: 'repl id' } },
} as const;

/** The error answers every authenticated route can give. */
export const commonErrors = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
} as const;
