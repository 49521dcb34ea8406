/**
 * A stack's `repl.json`: what it is, how to run it, what it needs from the machine.
 * {@link parseManifest} names the file and the field of anything wrong, so a broken template
 * stops the portal at start with a message that says where to look.
 */
export interface StackManifest {
  /** Same as the template folder's name: lowercase letters, digits, dashes. */
  id: string;
  name: string;
  description: string;
  /** SVG file in the template folder, shown on the stack card. */
  icon: string;
  /** Workspace-relative file opened in the editor on first start. */
  main: string;
  /** Shell command the Run button starts. */
  run: string;
  /** Port the app listens on (on 0.0.0.0). */
  port: number;
  /** Shell command that installs dependencies before the first Run. */
  install?: string;
  /** Workspace-relative path whose absence means `install` must run. */
  installCreates?: string;
  /** Per-stack overrides of the runtime's default limits (a compiler may need more memory). */
  limits?: StackLimits;
  /**
   * The languages its IDE brings language tooling for (servers, debuggers: see
   * runtime/process/ide-extensions.ts); absent, all that code-server has. Each costs memory in
   * every repl of the stack once a file of it is open.
   */
  languages?: StackLanguage[];
  /**
   * What the stack needs on this machine; absent for one that needs only what Codeyard brings
   * (the static stack's server is the agent's own, run by the agent's Node.js).
   */
  toolchain?: {
    /** The program, as a person would name it (`node`, `go`). */
    name: string;
    /** Command that prints the version; its exit code says whether the toolchain is there. */
    check: string;
    /** Lowest acceptable version, compared with the first x.y[.z] the check prints. */
    minVersion?: string;
    /** What to do when it is missing. */
    installHint: string;
  };
}

export interface StackLimits {
  memoryMb?: number;
  cpus?: number;
  processes?: number;
  diskMb?: number;
}

const LIMIT_RANGES: Record<keyof StackLimits, [number, number]> = {
  memoryMb: [256, 1_048_576],
  cpus: [1, 1024],
  processes: [64, 1_000_000],
  diskMb: [16, 16 * 1024 * 1024],
};

export class ManifestError extends Error {
  override name = 'ManifestError';
}

const ID = /^[a-z][a-z0-9-]{0,31}$/;
const VERSION = /^[0-9]+(\.[0-9]+){0,2}$/;

function isRelativeFile(value: string): boolean {
  return value.length > 0 && !value.startsWith('/') && !value.split('/').some((s) => s === '' || s === '.' || s === '..');
}

/** Validates a parsed `repl.json`. `file` is used in messages only. */
/** Languages a stack can ask IDE tooling for (`javascript` covers TypeScript too). */
export const STACK_LANGUAGES = ['javascript', 'html', 'css', 'php', 'python', 'go', 'rust'] as const;
export type StackLanguage = (typeof STACK_LANGUAGES)[number];

export function parseManifest(raw: unknown, file: string, folderName: string): StackManifest {
  const fail = (field: string, problem: string): never => {
    throw new ManifestError(`${file}: "${field}" ${problem}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('(root)', 'must be a JSON object');
  const m = raw as Record<string, unknown>;
  const str = (field: string, optional = false): string | undefined => {
    const value = m[field];
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string' || value.trim() === '') return fail(field, 'must be a non-empty string');
    return value as string;
  };
  const known = new Set(['id', 'name', 'description', 'icon', 'main', 'run', 'port', 'install', 'installCreates', 'limits', 'languages', 'toolchain']);
  for (const field of Object.keys(m)) if (!known.has(field)) fail(field, `is not a known field (known: ${[...known].join(', ')})`);

  const id = str('id')!;
  if (!ID.test(id)) fail('id', 'must be lowercase letters, digits and dashes, starting with a letter');
  if (id !== folderName) fail('id', `must match its folder name "${folderName}"`);
  const icon = str('icon')!;
  if (!isRelativeFile(icon) || !icon.endsWith('.svg')) fail('icon', 'must be a relative path to an .svg file in the template folder');
  const main = str('main')!;
  if (!isRelativeFile(main)) fail('main', 'must be a relative path inside the workspace');
  const port = m.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1024 || port > 65535) fail('port', 'must be a whole number from 1024 to 65535');
  const installCreates = str('installCreates', true);
  if (installCreates !== undefined && !isRelativeFile(installCreates)) fail('installCreates', 'must be a relative path inside the workspace');
  const install = str('install', true);
  if (installCreates !== undefined && install === undefined) fail('installCreates', 'needs "install" too');

  let limits: StackLimits | undefined;
  if (m.limits !== undefined) {
    if (typeof m.limits !== 'object' || m.limits === null || Array.isArray(m.limits)) fail('limits', 'must be an object');
    limits = {};
    for (const [field, value] of Object.entries(m.limits as Record<string, unknown>)) {
      const range = LIMIT_RANGES[field as keyof StackLimits];
      if (!range) fail(`limits.${field}`, `is not a known limit (known: ${Object.keys(LIMIT_RANGES).join(', ')})`);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < range![0] || value > range![1]) fail(`limits.${field}`, `must be a whole number from ${range![0]} to ${range![1]}`);
      limits[field as keyof StackLimits] = value as number;
    }
  }

  let languages: StackLanguage[] | undefined;
  if (m.languages !== undefined) {
    const known: readonly string[] = STACK_LANGUAGES;
    if (!Array.isArray(m.languages) || m.languages.some((l) => typeof l !== 'string' || !known.includes(l))) fail('languages', `must be a list of languages from ${STACK_LANGUAGES.join(', ')}`);
    languages = [...new Set(m.languages as StackLanguage[])];
  }

  const tc = m.toolchain;
  let toolchain: StackManifest['toolchain'];
  if (tc !== undefined) {
    if (typeof tc !== 'object' || tc === null || Array.isArray(tc)) return fail('toolchain', 'must be an object with name, check and installHint');
    const t = tc as Record<string, unknown>;
    for (const field of Object.keys(t)) if (!['name', 'check', 'minVersion', 'installHint'].includes(field)) fail(`toolchain.${field}`, 'is not a known field');
    for (const field of ['name', 'check', 'installHint']) {
      if (typeof t[field] !== 'string' || (t[field] as string).trim() === '') fail(`toolchain.${field}`, 'must be a non-empty string');
    }
    if (t.minVersion !== undefined && (typeof t.minVersion !== 'string' || !VERSION.test(t.minVersion))) fail('toolchain.minVersion', 'must be a version like "1.21" or "18.0.0"');
    toolchain = { name: t.name as string, check: t.check as string, minVersion: t.minVersion as string | undefined, installHint: t.installHint as string };
  }

  return {
    id,
    name: str('name')!,
    description: str('description')!,
    icon,
    main,
    run: str('run')!,
    port: port as number,
    install,
    installCreates,
    ...(limits ? { limits } : {}),
    ...(languages ? { languages } : {}),
    ...(toolchain ? { toolchain } : {}),
  };
}

/** -1, 0 or 1 for dotted numeric versions (`1.21` < `1.21.3` < `1.22`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The first version-looking x.y[.z] in a toolchain's output (`go version go1.22.1 linux/amd64` → `1.22.1`). */
export function findVersion(output: string): string | undefined {
  return /([0-9]+\.[0-9]+(?:\.[0-9]+)?)/.exec(output)?.[1];
}
