/**
 * Command-line parsing for `groupcrypt` (CLI.md "Global options" and
 * "Commands"). Pure: argv and env in, a parsed command out. Anything the
 * contract calls bad usage (unknown command or option, a missing or extra
 * argument, a malformed id) throws `CliUsageError`, which the runner maps
 * to exit status 2.
 */
import { UsageError } from '../errors.js';

/** A usage error of the command line itself: exit status 2 (CLI.md). */
export class CliUsageError extends UsageError {
  constructor(message: string) {
    super('USAGE_ARGUMENT', message);
  }
}

/** Names of every command. */
export const COMMAND_NAMES = [
  'init', 'whoami', 'peers', 'create', 'add', 'remove', 'update', 'handover', 'send', 'sync', 'groups', 'members', 'read', 'serve', 'demo', 'help',
] as const;

/** One command name. */
export type CommandName = (typeof COMMAND_NAMES)[number];

interface CommandSpec {
  /** Positional argument names (a trailing `?` marks an optional one). */
  readonly args: readonly string[];
  /** Command-specific options that take a value. */
  readonly options: readonly string[];
  /** Needs `--home` (and an initialised home, except for `init`). */
  readonly home: boolean;
  /** Needs `--net`. */
  readonly net: boolean;
}

const SPECS: Readonly<Record<CommandName, CommandSpec>> = {
  init: { args: [], options: ['name', 'mls'], home: true, net: true },
  whoami: { args: [], options: [], home: true, net: false },
  peers: { args: [], options: [], home: true, net: true },
  create: { args: [], options: ['scheme', 'pq', 'lts-suite', 'mls-suite'], home: true, net: true },
  add: { args: ['GROUP', 'ID'], options: [], home: true, net: true },
  remove: { args: ['GROUP', 'ID'], options: [], home: true, net: true },
  update: { args: ['GROUP'], options: [], home: true, net: true },
  handover: { args: ['GROUP', 'ID'], options: [], home: true, net: true },
  send: { args: ['GROUP', 'TEXT?'], options: ['file', 'secrets'], home: true, net: true },
  sync: { args: [], options: ['quiet', 'mls'], home: true, net: true },
  groups: { args: [], options: [], home: true, net: false },
  members: { args: ['GROUP'], options: [], home: true, net: false },
  read: { args: ['GROUP'], options: [], home: true, net: false },
  serve: { args: [], options: [], home: true, net: true },
  demo: { args: [], options: ['keep'], home: false, net: false },
  help: { args: ['COMMAND?'], options: [], home: false, net: false },
};

/** A parsed command line. */
export interface ParsedArgs {
  readonly command: CommandName;
  /** Positional arguments by their spec name (`GROUP`, `ID`, `TEXT`, `COMMAND`). */
  readonly args: Readonly<Record<string, string>>;
  /** Command-specific option values by option name (without `--`). */
  readonly options: Readonly<Record<string, string>>;
  /** `--home` or `GROUPCRYPT_HOME` (required by commands that need it). */
  readonly home: string;
  /** `--net` or `GROUPCRYPT_NET` (empty when the command does not need it). */
  readonly net: string;
  readonly json: boolean;
  /** `--passphrase-file PATH` (empty when absent; `GROUPCRYPT_PASSPHRASE` is read by the runner). */
  readonly passphraseFile: string;
  /** `--swarm BOOTSTRAP` or `GROUPCRYPT_SWARM`: `host:port[,…]` or `public`; empty for the shared folder. */
  readonly swarm: string;
  /** `--topic NAME` or `GROUPCRYPT_TOPIC` (default `groupcrypt`): the swarm's rendezvous name. */
  readonly topic: string;
}

/** `--swarm` given without a value (only `demo --swarm`: its own local DHT). */
export const LOCAL_SWARM = 'local';

/** Topic name used when neither `--topic` nor `GROUPCRYPT_TOPIC` is given. */
export const DEFAULT_TOPIC = 'groupcrypt';

/** Global options (valid before or after any command of a one-shot invocation). */
export const GLOBAL_OPTIONS: readonly string[] = ['home', 'net', 'passphrase-file', 'swarm', 'topic'];

/** Command options that take no value (present: `"true"` in `options`). */
export const FLAG_OPTIONS: readonly string[] = ['pq', 'mls'];

/** Commands a running peer accepts one line at a time (`runCommandLine`). */
export const LINE_COMMANDS: readonly CommandName[] = ['whoami', 'peers', 'create', 'add', 'remove', 'update', 'handover', 'send', 'sync', 'groups', 'members', 'read', 'help'];

/** Minimum length of an id prefix in hex characters (CLI.md). */
export const MIN_PREFIX_HEX = 8;

/** Full hex ids are 32 bytes. */
export const ID_HEX_LENGTH = 64;

/**
 * Validates a GROUP or ID argument: lower-cased hex, 8..64 characters.
 * @throws CliUsageError for a malformed id (exit 2).
 */
export function parseIdArgument(value: string, what: string): string {
  const lower = value.toLowerCase();
  if (!/^[0-9a-f]+$/.test(lower) || lower.length < MIN_PREFIX_HEX || lower.length > ID_HEX_LENGTH) {
    throw new CliUsageError(`${what}: expected a hex id or a prefix of at least ${MIN_PREFIX_HEX} hex characters, got "${value}"`);
  }
  return lower;
}

function isCommand(value: string): value is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(value);
}

/**
 * Parses `argv` (without `node` and the script) with the environment.
 * Options may appear before or after the command, as `--opt VALUE` or
 * `--opt=VALUE`; `--` ends option parsing (for a TEXT starting with `-`).
 * @throws CliUsageError on any usage mistake.
 */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, mode: { readonly line?: boolean } = {}): ParsedArgs {
  const positionals: string[] = [];
  const values: Record<string, string> = {};
  let json = false;
  let command: CommandName | undefined;
  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (optionsEnded || !token.startsWith('-') || token === '-') {
      if (command === undefined && positionals.length === 0) {
        if (!isCommand(token)) throw new CliUsageError(`unknown command "${token}" (see "groupcrypt help")`);
        command = token;
      } else positionals.push(token);
      continue;
    }
    if (token === '--') {
      optionsEnded = true;
      continue;
    }
    if (token === '-h' || token === '--help') {
      command = 'help';
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.startsWith('--') ? token.slice(2, eq < 0 ? undefined : eq) : '';
    if (mode.line === true && (name === 'json' || GLOBAL_OPTIONS.includes(name))) throw new CliUsageError(`option --${name} is global: give it to the running peer, not to one command`);
    if (name === 'json') {
      if (eq >= 0) throw new CliUsageError('--json takes no value');
      json = true;
      continue;
    }
    if (FLAG_OPTIONS.includes(name)) {
      if (eq >= 0) throw new CliUsageError(`--${name} takes no value`);
      if (name in values) throw new CliUsageError(`option --${name} given twice`);
      values[name] = 'true';
      continue;
    }
    if (![...GLOBAL_OPTIONS, 'name', 'scheme', 'file', 'keep', 'quiet', 'lts-suite', 'mls-suite', 'secrets'].includes(name)) throw new CliUsageError(`unknown option "${token}"`);
    let value: string | undefined;
    const next = argv[i + 1];
    if (name === 'swarm' && eq < 0 && (next === undefined || next.startsWith('-') || isCommand(next))) {
      values[name] = LOCAL_SWARM; // `demo --swarm` as a flag
      continue;
    }
    if (eq >= 0) value = token.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new CliUsageError(`option --${name} needs a value`);
    if (name in values) throw new CliUsageError(`option --${name} given twice`);
    values[name] = value;
  }
  if (command === undefined) command = 'help';
  if (mode.line === true && !LINE_COMMANDS.includes(command)) throw new CliUsageError(`"${command}" is not available here`);
  const spec = SPECS[command];
  for (const name of Object.keys(values)) {
    if (!GLOBAL_OPTIONS.includes(name) && !spec.options.includes(name)) throw new CliUsageError(`option --${name} does not apply to "${command}"`);
  }
  const args: Record<string, string> = {};
  const required = spec.args.filter((a) => !a.endsWith('?')).length;
  if (positionals.length < required) throw new CliUsageError(`"${command}" needs ${spec.args.filter((a) => !a.endsWith('?')).join(' ')}`);
  if (positionals.length > spec.args.length) throw new CliUsageError(`"${command}": unexpected argument "${positionals[spec.args.length] ?? ''}"`);
  positionals.forEach((value, i) => {
    args[(spec.args[i] as string).replace('?', '')] = value;
  });
  const options: Record<string, string> = {};
  for (const name of spec.options) if (values[name] !== undefined) options[name] = values[name];
  checkCommandRules(command, args, options);
  const home = values['home'] ?? env['GROUPCRYPT_HOME'] ?? '';
  if (values['net'] !== undefined && values['swarm'] !== undefined) throw new CliUsageError('give either --net DIR or --swarm BOOTSTRAP, not both');
  // An explicit option wins over the environment; the two environment variables together are ambiguous.
  let swarm = values['swarm'] ?? '';
  let net = values['net'] ?? '';
  if (net === '' && swarm === '') {
    net = env['GROUPCRYPT_NET'] ?? '';
    swarm = env['GROUPCRYPT_SWARM'] ?? '';
    if (net !== '' && swarm !== '' && spec.net) throw new CliUsageError('GROUPCRYPT_NET and GROUPCRYPT_SWARM are both set: give --net or --swarm');
  }
  if (command === 'demo') {
    if (values['swarm'] !== undefined && values['swarm'] !== LOCAL_SWARM) throw new CliUsageError('"demo --swarm" takes no value (it starts its own local DHT)');
    swarm = values['swarm'] ?? '';
  } else if (swarm === LOCAL_SWARM) throw new CliUsageError('--swarm needs BOOTSTRAP (host:port[,host:port…] or public)');
  const topic = values['topic'] ?? env['GROUPCRYPT_TOPIC'] ?? DEFAULT_TOPIC;
  if (topic.length === 0) throw new CliUsageError('--topic: expected a non-empty name');
  if (mode.line !== true) {
    if (spec.home && home === '') throw new CliUsageError(`"${command}" needs --home DIR (or GROUPCRYPT_HOME)`);
    if (command === 'serve' && swarm === '') throw new CliUsageError('"serve" needs --swarm BOOTSTRAP (or GROUPCRYPT_SWARM)');
    if (spec.net && net === '' && swarm === '') throw new CliUsageError(`"${command}" needs --net DIR or --swarm BOOTSTRAP (or GROUPCRYPT_NET / GROUPCRYPT_SWARM)`);
  }
  return { command, args, options, home, net: swarm !== '' ? '' : net, json, passphraseFile: values['passphrase-file'] ?? '', swarm, topic };
}

function checkCommandRules(command: CommandName, args: Record<string, string>, options: Record<string, string>): void {
  if (args['GROUP'] !== undefined) args['GROUP'] = parseIdArgument(args['GROUP'], 'GROUP');
  if (args['ID'] !== undefined) args['ID'] = parseIdArgument(args['ID'], 'ID');
  if (command === 'create' && options['scheme'] !== undefined && options['scheme'] !== 'data' && options['scheme'] !== 'message' && options['scheme'] !== 'mls') {
    throw new CliUsageError(`--scheme: expected "data", "message" or "mls", got "${options['scheme']}"`);
  }
  if (command === 'create' && (options['lts-suite'] !== undefined || options['mls-suite'] !== undefined) && options['scheme'] !== 'mls') {
    throw new CliUsageError('--lts-suite and --mls-suite apply to --scheme mls only');
  }
  if (command === 'create' && options['scheme'] === 'mls' && options['pq'] !== undefined) {
    throw new CliUsageError('--pq applies to the data and message schemes (an MLS group chooses its suite with --mls-suite)');
  }
  if (options['lts-suite'] !== undefined && !/^[123]$/.test(options['lts-suite'])) throw new CliUsageError(`--lts-suite: expected 1, 2 or 3, got "${options['lts-suite']}"`);
  if (options['mls-suite'] !== undefined && !/^\d{1,5}$/.test(options['mls-suite'])) throw new CliUsageError(`--mls-suite: expected a ciphersuite number, got "${options['mls-suite']}"`);
  if (options['secrets'] !== undefined && options['secrets'] !== 'long-term' && options['secrets'] !== 'sender-ratchet') {
    throw new CliUsageError(`--secrets: expected "long-term" or "sender-ratchet", got "${options['secrets']}"`);
  }
  if (command === 'send') {
    const hasText = args['TEXT'] !== undefined;
    const hasFile = options['file'] !== undefined;
    if (hasText === hasFile) throw new CliUsageError('"send" needs exactly one of TEXT or --file PATH');
  }
  if (command === 'help' && args['COMMAND'] !== undefined && !isCommand(args['COMMAND'])) {
    throw new CliUsageError(`unknown command "${args['COMMAND']}"`);
  }
  if (command === 'sync' && options['quiet'] !== undefined && !/^\d{1,7}$/.test(options['quiet'])) {
    throw new CliUsageError(`--quiet: expected milliseconds, got "${options['quiet']}"`);
  }
  if (command === 'init' && options['name'] !== undefined && (options['name'].length === 0 || options['name'].length > 64)) {
    throw new CliUsageError('--name: expected 1..64 characters');
  }
}

/** One-paragraph usage text for `help`. */
export const USAGE = `groupcrypt — encrypted groups over a shared folder

usage: groupcrypt [--home DIR] [--net DIR | --swarm HOST:PORT[,…]|public [--topic NAME]] [--passphrase-file PATH] [--json] COMMAND [ARGS]
  init [--name NAME] [--mls]    create identity + pre-keys, publish key bundle (--mls: and MLS key packages)
  whoami                        this peer's id and name
  peers                         identities published in the net
  create [--scheme data|message] [--pq]
                                new group, self as only member (--pq: post-quantum key agreement)
  create --scheme mls [--lts-suite 1|2|3] [--mls-suite 1|3]  MLS Secret Group, self as owner
  add GROUP ID | remove GROUP ID | update GROUP
  handover GROUP ID             MLS: the owner hands ownership to a member
  send GROUP TEXT | send GROUP --file PATH|-   (MLS: [--secrets long-term|sender-ratchet])
  sync [--quiet MS] [--mls]    read, order and process everything new (--swarm: until MS quiet, default 2000)
  serve                         (--swarm) stay online; commands on stdin, results and events on stdout
  groups | members GROUP | read GROUP
  demo [--keep DIR] [--swarm]   scripted story with five peers (--swarm: each a serve process on a local DHT)

env: GROUPCRYPT_HOME, GROUPCRYPT_NET, GROUPCRYPT_SWARM, GROUPCRYPT_TOPIC, GROUPCRYPT_PASSPHRASE (encrypts the home's store). GROUP and ID: hex ids or unique prefixes (>= 8 hex chars).
exit: 0 ok, 2 bad usage, 1 other errors.`;
