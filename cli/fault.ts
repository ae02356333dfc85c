import type { Command } from 'commander';
import { connect } from '../lab/cluster/index.js';
import { FAULT_KINDS, type FaultKind } from '../lab/cluster/faults.js';
import { DEFAULT_STATE_PATH } from '../lab/cluster/state.js';
import { fail } from './options.js';

const collect = (v: string, prev: string[]) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

export function registerFault(program: Command): void {
  program
    .command('fault')
    .description('inject a fault into the running cluster')
    .argument('<kind>', FAULT_KINDS.join('|'))
    .argument('[target]', 'node id (n1, l2...) or AZ name; heal without one heals every link')
    .option('--from <peers>', "cut/heal only from these: node ids, AZs, 'clients', 'clients:AZ', 'supervisor' (repeatable or comma-separated)", collect, [])
    .option('--empty', 'restart with the data directory wiped')
    .option('--state <path>', 'state file', DEFAULT_STATE_PATH)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Faults:
  kill NODE|AZ            SIGKILL (the kernel still flushes its sockets)
  crash NODE|AZ           its links black-holed (in-flight data dropped) and SIGKILL, in one step
  pause / resume NODE|AZ  SIGSTOP / SIGCONT
  cut NODE|AZ [--from X]  black-hole its paths (default: to and from everything, the supervisor's probes included)
  heal [NODE|AZ] [--from X]  undo cut (no target: every link)
  restart [--empty] NODE  start it again with its data directory (or wiped)

Examples:
  memlab fault kill n1
  memlab fault cut n1 --from n2,n3      # the supervisor still sees n1: no failover
  memlab fault cut az-a                 # az-a from the other AZs
  memlab fault heal
`,
    )
    .action(async (kind: string, target: string | undefined, o: { from: string[]; empty?: boolean; state: string; json?: boolean }) => {
      if (!(FAULT_KINDS as readonly string[]).includes(kind)) fail(`unknown fault '${kind}' (known: ${FAULT_KINDS.join(', ')})`);
      if (o.empty && kind !== 'restart') fail('--empty goes with restart');
      let c;
      try {
        c = await connect(o.state);
      } catch (e) {
        fail((e as Error).message);
      }
      try {
        const r = await c.fault({ kind: kind as FaultKind, ...(target ? { target } : {}), ...(o.from.length ? { from: o.from } : {}), ...(o.empty ? { empty: true } : {}) });
        process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : `memlab fault: ${r.message}\n`);
      } catch (e) {
        fail((e as Error).message);
      } finally {
        c.close();
      }
      process.exit(0);
    });
}
