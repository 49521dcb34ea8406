import type { Command, Option } from 'commander';

/**
 * Shell completion made from the command tree itself, so it never lists a command that does
 * not exist: subcommands, options, and for a `<repl>` argument the ids of your repls (asked of
 * the server through `codeyard repl ls -q`, quietly: no completion rather than an error).
 */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface Node {
  /** The words from the top: '' for the program, 'repl start' for a subcommand. */
  path: string;
  command: Command;
}

function nodes(program: Command): Node[] {
  const out: Node[] = [];
  const walk = (command: Command, path: string): void => {
    out.push({ path, command });
    for (const sub of command.commands) walk(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  walk(program, '');
  return out;
}

function visible(command: Command): Command[] {
  return command.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
}

function optionFlags(command: Command, globals: readonly Option[]): string[] {
  // --version answers only at the top; it means nothing after a subcommand.
  const flags = [...command.options, ...globals.filter((o) => o.long !== '--version')].flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
  return [...new Set([...flags, '--help'])];
}

/** Flags that take a value: the word after them is no command. */
function valueFlags(program: Command): string[] {
  const all = nodes(program).flatMap(({ command }) => command.options.filter((o) => o.required || o.optional));
  return [...new Set(all.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))))];
}

function takesRepl(command: Command): boolean {
  return command.registeredArguments[0]?.name() === 'repl';
}

/** The completion script for `shell`. */
export function completionScript(program: Command, shell: Shell): string {
  return shell === 'fish' ? fishScript(program) : bashScript(program, shell === 'zsh');
}

function bashScript(program: Command, zsh: boolean): string {
  const globals = program.options;
  const all = nodes(program);
  const children = all.map(({ path, command }) => `    "${path}") echo "${[...visible(command).flatMap((c) => [c.name(), ...c.aliases()])].join(' ')}" ;;`).join('\n');
  const options = all.map(({ path, command }) => `    "${path}") echo "${optionFlags(command, path ? globals : []).join(' ')}" ;;`).join('\n');
  const repls = all.filter(({ command }) => takesRepl(command)).map(({ path }) => `"${path}"`);
  const leaves = all.filter(({ path }) => path === 'completion');
  return `# codeyard shell completion (${zsh ? 'zsh' : 'bash'}): add to your shell's startup file
#   ${zsh ? 'source <(codeyard completion zsh)' : 'source <(codeyard completion bash)'}
${zsh ? 'autoload -U +X bashcompinit && bashcompinit\n' : ''}_codeyard_children() {
  case "$1" in
${children}
  esac
}
_codeyard_options() {
  case "$1" in
${options}
  esac
}
_codeyard() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" node="" args=0 skip=0 i w kids
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case " ${valueFlags(program).join(' ')} " in *" $w "*) skip=1; continue ;; esac
    [[ "$w" == -* ]] && continue
    kids=" $(_codeyard_children "$node") "
    if ((args == 0)) && [[ "$kids" == *" $w "* ]]; then node="\${node:+$node }$w"; else args=$((args + 1)); fi
  done
  if ((skip)); then COMPREPLY=(); return; fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_codeyard_options "$node")" -- "$cur"))
  elif [[ -n "$(_codeyard_children "$node")" ]] && ((args == 0)); then
    COMPREPLY=($(compgen -W "$(_codeyard_children "$node")" -- "$cur"))
  elif [[ "$node" == ${leaves.length ? '"completion"' : '""'} ]]; then
    COMPREPLY=($(compgen -W "${SHELLS.join(' ')}" -- "$cur"))
  else
    case "$node" in
      ${repls.join('|') || '""'}) ((args == 0)) && COMPREPLY=($(compgen -W "$(codeyard repl ls -q 2>/dev/null)" -- "$cur")) ;;
    esac
  fi
}
complete -o default -F _codeyard codeyard
`;
}

function fishScript(program: Command): string {
  const lines = ['# codeyard shell completion (fish): codeyard completion fish > ~/.config/fish/completions/codeyard.fish', 'complete -c codeyard -f'];
  const quote = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  for (const o of program.options) {
    lines.push(`complete -c codeyard${o.long ? ` -l ${o.long.slice(2)}` : ''}${o.short ? ` -s ${o.short.slice(1)}` : ''}${o.required ? ' -r' : ''} -d ${quote(o.description)}`);
  }
  for (const { path, command } of nodes(program)) {
    const words = path ? path.split(' ') : [];
    const kids = visible(command);
    // fish has no tree: "this node, and no child of it yet" is the condition.
    const at = words.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${words.at(-1)}${kids.length ? `; and not __fish_seen_subcommand_from ${kids.map((k) => k.name()).join(' ')}` : ''}`;
    for (const kid of kids) lines.push(`complete -c codeyard -n ${quote(at)} -a ${kid.name()} -d ${quote(kid.description().split(/[.:(]/)[0]!.trim())}`);
    if (path && takesRepl(command)) lines.push(`complete -c codeyard -n ${quote(`__fish_seen_subcommand_from ${words.at(-1)}`)} -a '(codeyard repl ls -q 2>/dev/null)'`);
    if (path && command.registeredArguments.length && !takesRepl(command) && path !== 'completion') lines.push(`complete -c codeyard -n ${quote(`__fish_seen_subcommand_from ${words.at(-1)}`)} -F`);
    if (path === 'completion') lines.push(`complete -c codeyard -n ${quote('__fish_seen_subcommand_from completion')} -a '${SHELLS.join(' ')}'`);
    if (path) {
      for (const o of command.options) {
        lines.push(`complete -c codeyard -n ${quote(`__fish_seen_subcommand_from ${words.at(-1)}`)}${o.long ? ` -l ${o.long.slice(2)}` : ''}${o.short ? ` -s ${o.short.slice(1)}` : ''}${o.required ? ' -r' : ''} -d ${quote(o.description)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
