import { ApiClient, type FetchLike } from './api-client.js';
import { type ConfigFile, configPath, isExposed, readConfig, resolveTarget, type Target, writeConfig } from './config.js';
import { CliError, EXIT } from './exit-codes.js';
import { Progress } from './progress.js';

type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Everything the commands touch outside themselves, so tests run them in-process with doubles. */
export interface Io {
  stdout: Out;
  stderr: Out;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  fetch: FetchLike;
  /** Opens a URL in the user's browser; false when there is none to open. */
  openUrl(url: string): Promise<boolean>;
  /** Waits (device sign-in polling); rejects when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  hostname: string;
  platform: NodeJS.Platform;
  /** Aborted on Ctrl-C: long commands stop what they wait for and exit. */
  interrupt: AbortSignal;
}

/** The options every command takes (commander's globals). */
export interface GlobalOptions {
  json?: boolean;
  server?: string;
}

/** One run of the command: where it talks to, how it prints, its config file. */
export class Session {
  readonly configFile: string;
  #config?: ConfigFile;

  constructor(
    readonly io: Io,
    readonly options: GlobalOptions,
  ) {
    this.configFile = configPath(io.env);
  }

  get json(): boolean {
    return this.options.json === true;
  }

  config(): ConfigFile {
    if (!this.#config) {
      this.#config = readConfig(this.configFile);
      if (isExposed(this.configFile)) this.warn(`${this.configFile} can be read by other users; it holds your tokens (chmod 600 it; codeyard writes it 0600)`);
    }
    return this.#config;
  }

  saveConfig(config: ConfigFile): void {
    writeConfig(this.configFile, config);
    this.#config = config;
  }

  target(): Target {
    return resolveTarget(this.io.env, this.config(), this.options.server);
  }

  /** A client with a token, or a CliError (exit 3) saying how to sign in. */
  client(): ApiClient {
    const target = this.target();
    if (!target.token) throw new CliError(EXIT.AUTH, `not signed in to ${target.server}: run \`codeyard login --server ${target.server}\` (or set CODEYARD_TOKEN)`, 'NOT_SIGNED_IN');
    return new ApiClient(target.server, target.token, this.io.fetch);
  }

  /** A client without a token (device sign-in). */
  anonymousClient(server: string): ApiClient {
    return new ApiClient(server, undefined, this.io.fetch);
  }

  /** Prints the result: `value` as JSON with --json, else the human text (if any). */
  result(value: unknown, human: () => string | undefined): void {
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      return;
    }
    const text = human();
    if (text) this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A line for people on stderr (never with --json, where stdout is for the program reading it). */
  say(text: string): void {
    if (!this.json) this.io.stderr.write(`${text}\n`);
  }

  /** A warning on stderr, even with --json. */
  warn(text: string): void {
    this.io.stderr.write(`codeyard: ${text}\n`);
  }

  /** A progress line, shown only for people at a terminal. */
  progress(): Progress {
    return new Progress(this.io.stderr, !this.json && this.io.stderr.isTTY === true);
  }
}
