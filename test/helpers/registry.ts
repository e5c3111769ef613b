/**
 * Drives the real registry (Debian's `docker-registry`, distribution 2.8.2) for integration
 * tests: a free port on 127.0.0.1, a temp storage dir, a generated config.yml whose
 * `notifications.endpoints[0]` (named `regnotify`) points where the test says. The registry can
 * be killed, stopped and restarted on the same port and storage, which is how tests show what
 * the original loses. The client side (skopeo) follows at the end of the file.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { freePort } from '../../src/embedded/net.js';
import { dieWithParent } from './processes.js';
import { waitUntil } from './wait.js';

export const RegistryBinary = '/usr/bin/docker-registry';

export interface Credentials {
  user: string;
  password: string;
}

export interface StartRegistryOptions {
  notifyUrl: string;
  /** Sent verbatim with every notification, e.g. `{ Authorization: ['Bearer s3cret'] }`. */
  headers?: Record<string, string[]>;
  /** Go-style durations ('1s', '500ms'); the registry's defaults apply when left out. */
  timeout?: string;
  threshold?: number;
  backoff?: string;
  includeReferences?: boolean;
  ignore?: { mediatypes?: string[]; actions?: string[] };
  /** Turn on htpasswd auth with this one user. */
  htpasswd?: Credentials;
  /** The registry's log level (default info, which logs every notification failure). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long to wait for GET /v2/ to answer (default 15 s). */
  startTimeoutMs?: number;
  /** More notification endpoints after the first, in the registry's own YAML shape. */
  extraEndpoints?: Record<string, unknown>[];
}

export interface Registry {
  /** http://127.0.0.1:P */
  readonly url: string;
  /** 127.0.0.1:P */
  readonly host: string;
  readonly configFile: string;
  /** Temp root holding the config, the storage and skopeo's sandbox. */
  readonly dir: string;
  /** Set when started with `htpasswd`. */
  readonly credentials?: Credentials;
  /** SIGKILL: the process gets no chance to flush anything. Resolves once it has exited. */
  kill9(): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s). Resolves once it has exited. */
  stop(): Promise<void>;
  /** Start again with the same config and storage (stops it first if still running). */
  restart(): Promise<void>;
  /** Everything the registry wrote to stdout/stderr, across restarts. */
  log(): string;
  /** Kill it and remove the temp dir. */
  destroy(): Promise<void>;
}

/** True when the binary is installed. */
export function registryAvailable(): boolean {
  return spawnSync(RegistryBinary, ['--version'], { timeout: 10_000 }).status === 0;
}

/**
 * The one rule for tests that drive other software (test/contract/, test/e2e/): a missing
 * program fails the test with the command that installs it, in CI and on a workstation alike —
 * never a skip. `npm test` installs them first (scripts/install-test-deps.sh), so a missing one
 * means a broken setup, and a skipped contract would hide exactly that.
 */
export function requireRegistryTools(): void {
  const missing: string[] = [];
  if (!registryAvailable()) missing.push('docker-registry');
  if (!skopeoAvailable()) missing.push('skopeo');
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(' and ')} not installed (${RegistryBinary}, ${SkopeoBinary}): ` +
        `apt-get install -y ${missing.join(' ')}, or run bash scripts/install-test-deps.sh`,
    );
  }
}

export async function startRegistry(options: StartRegistryOptions): Promise<Registry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-registry-'));
  const configFile = path.join(dir, 'config.yml');
  let output = '';
  let child: ChildProcess | undefined;
  let port = 0;

  const launch = async (): Promise<void> => {
    child = spawnRegistry(configFile, (text) => (output += text));
    await waitForReady(
      `http://127.0.0.1:${port}`,
      child,
      options.startTimeoutMs ?? 15_000,
      () => output,
    );
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    if (child !== undefined) await terminate(child, signal);
    child = undefined;
  };

  try {
    if (options.htpasswd !== undefined) {
      await writeFile(
        path.join(dir, 'htpasswd'),
        `${options.htpasswd.user}:${bcryptHash(options.htpasswd.password)}\n`,
      );
    }
    // A free port can be taken between probing and binding; try a few before giving up.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      await writeFile(configFile, registryConfig(dir, port, options));
      try {
        await launch();
        break;
      } catch (err) {
        await halt('SIGKILL');
        if (attempt >= 3 || !/address already in use/.test(output)) throw err;
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    configFile,
    dir,
    ...(options.htpasswd === undefined ? {} : { credentials: options.htpasswd }),
    kill9: () => halt('SIGKILL'),
    stop: () => halt('SIGTERM'),
    async restart(): Promise<void> {
      await halt('SIGTERM');
      await launch();
    },
    log: () => output,
    async destroy(): Promise<void> {
      await halt('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The registry's config.yml, as the YAML text written to disk. */
export function registryConfig(dir: string, port: number, options: StartRegistryOptions): string {
  const endpoint = {
    name: 'regnotify',
    url: options.notifyUrl,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.ignore === undefined ? {} : { ignore: options.ignore }),
  };
  const config = {
    version: 0.1,
    log: { level: options.logLevel ?? 'info', fields: { service: 'registry' } },
    storage: {
      filesystem: { rootdirectory: path.join(dir, 'storage') },
      delete: { enabled: true },
      // The purger would otherwise start a background walk of the storage on every start.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${port}`, secret: 'regnotify-test-secret' },
    ...(options.htpasswd === undefined
      ? {}
      : { auth: { htpasswd: { realm: 'basic-realm', path: path.join(dir, 'htpasswd') } } }),
    notifications: {
      ...(options.includeReferences === undefined
        ? {}
        : { events: { includereferences: options.includeReferences } }),
      endpoints: [endpoint, ...(options.extraEndpoints ?? [])],
    },
  };
  return stringify(config);
}

function spawnRegistry(configFile: string, onOutput: (text: string) => void): ChildProcess {
  // Killed with the test process even if vitest dies mid-run (setpriv --pdeathsig).
  const [command, args] = dieWithParent(RegistryBinary, ['serve', configFile]);
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Nothing of the machine's environment (e.g. REGISTRY_* overrides) may change the config.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  child.stdout?.setEncoding('utf8').on('data', onOutput);
  child.stderr?.setEncoding('utf8').on('data', onOutput);
  child.on('error', (err) => onOutput(`\n[spawn error] ${err.message}\n`));
  return child;
}

async function waitForReady(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  let exited = false;
  const onExit = (): void => {
    exited = true;
  };
  child.once('exit', onExit);
  try {
    await waitUntil(
      async () => {
        if (exited) throw new Error('registry exited during start');
        const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) });
        await res.body?.cancel();
        // 401 = up, with auth on.
        return res.status === 200 || res.status === 401;
      },
      { timeoutMs, intervalMs: 50, message: `registry at ${url} answering GET /v2/` },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- registry log ---\n${log()}`, { cause: err });
  } finally {
    child.off('exit', onExit);
  }
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(escalate);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * The registry's htpasswd accepts bcrypt only, and node has no bcrypt: borrow the system's
 * (Apache's htpasswd, else Python's crypt over libxcrypt). Cost 4 keeps it instant.
 */
export function bcryptHash(password: string): string {
  const candidates: [string, string[], (out: string) => string][] = [
    ['htpasswd', ['-nbBC', '4', 'u', password], (out) => out.trim().slice('u:'.length)],
    [
      'python3',
      [
        '-W',
        'ignore',
        '-c',
        'import crypt,sys;print(crypt.crypt(sys.argv[1],crypt.mksalt(crypt.METHOD_BLOWFISH,rounds=16)))',
        password,
      ],
      (out) => out.trim(),
    ],
  ];
  for (const [command, args, parse] of candidates) {
    const run = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
    const hash = run.status === 0 ? parse(run.stdout) : '';
    if (/^\$2[aby]\$/.test(hash)) return hash;
  }
  throw new Error(
    'bcryptHash: neither htpasswd (apache2-utils) nor python3 with crypt could make a bcrypt hash',
  );
}

// ---------------------------------------------------------------------------------------------
// The client: skopeo, sandboxed so it reads and writes nothing of the machine's (HOME, XDG dirs,
// auth file, policy, registries.conf all under the registry's temp dir), bounded in time.

export const SkopeoBinary = '/usr/bin/skopeo';

export interface SkopeoResult {
  stdout: Buffer;
  stderr: string;
  /** Wall-clock duration of the command. */
  ms: number;
}

export interface SkopeoTarget {
  readonly host: string;
  readonly dir: string;
  readonly credentials?: Credentials;
}

export function skopeoAvailable(): boolean {
  return spawnSync(SkopeoBinary, ['--version'], { timeout: 10_000 }).status === 0;
}

/** `skopeo copy oci:<layoutDir> docker://<host>/<ref>` (all platforms of an index). */
export function pushLayout(
  reg: SkopeoTarget,
  layoutDir: string,
  ref: string,
): Promise<SkopeoResult> {
  return runSkopeo(reg, [
    'copy',
    '--all',
    '--dest-tls-verify=false',
    ...creds(reg, '--dest-creds'),
    `oci:${layoutDir}`,
    dockerRef(reg, ref),
  ]);
}

/** `skopeo copy docker://<host>/<ref> oci:<dir>`. */
export function pullTo(reg: SkopeoTarget, ref: string, dir: string): Promise<SkopeoResult> {
  return runSkopeo(reg, [
    'copy',
    '--all',
    '--src-tls-verify=false',
    ...creds(reg, '--src-creds'),
    dockerRef(reg, ref),
    `oci:${dir}`,
  ]);
}

/** Registry-to-registry copy between two repositories: skopeo mounts the blobs it can. */
export function copyRepo(reg: SkopeoTarget, srcRef: string, dstRef: string): Promise<SkopeoResult> {
  return runSkopeo(reg, [
    'copy',
    '--all',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    ...creds(reg, '--src-creds'),
    ...creds(reg, '--dest-creds'),
    dockerRef(reg, srcRef),
    dockerRef(reg, dstRef),
  ]);
}

/**
 * The digest of the manifest (or index) `ref` names: sha256 of the raw bytes the registry serves.
 * Note that this GET is itself a manifest `pull` event.
 */
export async function resolveDigest(reg: SkopeoTarget, ref: string): Promise<string> {
  const result = await runSkopeo(reg, [
    'inspect',
    '--raw',
    '--tls-verify=false',
    ...creds(reg, '--creds'),
    dockerRef(reg, ref),
  ]);
  return `sha256:${createHash('sha256').update(result.stdout).digest('hex')}`;
}

/**
 * Deletes a manifest by digest: `repo@sha256:…` is used as is, `repo:tag` is resolved first
 * (one extra manifest `pull` event). Returns the digest deleted.
 */
export async function deleteManifest(reg: SkopeoTarget, ref: string): Promise<string> {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : await resolveDigest(reg, ref);
  const repo = at >= 0 ? ref.slice(0, at) : repositoryOf(ref);
  await runSkopeo(reg, [
    'delete',
    '--tls-verify=false',
    ...creds(reg, '--creds'),
    dockerRef(reg, `${repo}@${digest}`),
  ]);
  return digest;
}

/** 'demo/app:v1' → 'demo/app' (a colon after the last slash is a tag, not a port). */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

function dockerRef(reg: SkopeoTarget, ref: string): string {
  return `docker://${reg.host}/${ref}`;
}

function creds(reg: SkopeoTarget, flag: string): string[] {
  return reg.credentials === undefined
    ? []
    : [flag, `${reg.credentials.user}:${reg.credentials.password}`];
}

async function skopeoSandbox(
  reg: SkopeoTarget,
): Promise<{ root: string; globalArgs: string[]; authfile: string }> {
  const root = path.join(reg.dir, 'skopeo');
  for (const sub of ['home', 'run', 'tmp', 'registries.d'])
    await mkdir(path.join(root, sub), { recursive: true });
  const policy = path.join(root, 'policy.json');
  const authfile = path.join(root, 'auth.json');
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  await writeFile(authfile, JSON.stringify({ auths: {} }));
  await writeFile(path.join(root, 'registries.conf'), 'unqualified-search-registries = []\n');
  const globalArgs = [
    '--command-timeout',
    '30s',
    '--policy',
    policy,
    '--registries.d',
    path.join(root, 'registries.d'),
    '--tmpdir',
    path.join(root, 'tmp'),
  ];
  return { root, globalArgs, authfile };
}

/** Runs skopeo with a 30 s command timeout and a 40 s hard kill; rejects with its stderr. */
export async function runSkopeo(reg: SkopeoTarget, args: string[]): Promise<SkopeoResult> {
  const { root, globalArgs, authfile } = await skopeoSandbox(reg);
  const [subcommand, ...rest] = args;
  const argv = [
    ...globalArgs,
    ...(subcommand === undefined ? [] : [subcommand, '--authfile', authfile]),
    ...rest,
  ];
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: path.join(root, 'home'),
    XDG_RUNTIME_DIR: path.join(root, 'run'),
    XDG_CONFIG_HOME: path.join(root, 'home', '.config'),
    XDG_DATA_HOME: path.join(root, 'home', '.local', 'share'),
    TMPDIR: path.join(root, 'tmp'),
    CONTAINERS_REGISTRIES_CONF: path.join(root, 'registries.conf'),
    REGISTRY_AUTH_FILE: authfile,
  };
  const started = performance.now();
  const child = spawn(SkopeoBinary, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  const code = await new Promise<number | string>((resolve) => {
    child.once('error', (err) => resolve(err.message));
    child.once('close', (status, signal) => resolve(status ?? signal ?? 'unknown'));
  });
  clearTimeout(killer);
  const ms = performance.now() - started;
  if (code !== 0) {
    throw new Error(
      `skopeo ${args.join(' ')} failed (${code}) after ${Math.round(ms)} ms:\n${stderr.trim()}`,
    );
  }
  return { stdout: Buffer.concat(stdout), stderr, ms };
}
