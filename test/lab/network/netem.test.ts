import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { DelayLine } from '../../../lab/network/delay-line.js';
import { execArgv, inNamespace, listNamespaces, namespacePlan, namespaceTeardownPlan, netnsLayout, NetRunner, type Exec, type ExecResult } from '../../../lab/network/namespaces.js';
import { chooseBackend, detectNetem, netemArgs, netemPlan, netemTeardownPlan, NetemUnavailableError, type NetemSupport } from '../../../lab/network/netem.js';
import { probe, startEchoServer, type EchoServer } from '../../../lab/network/probe.js';
import { clientEndpoint, linkOptions, planTopology } from '../../../lab/network/topology.js';

const topo = planTopology({
  azs: ['az-a', 'az-b', 'az-c'],
  nodes: [
    { id: 'n1', az: 'az-a', port: 7001 },
    { id: 'n2', az: 'az-b', port: 7002 },
    { id: 'n3', az: 'az-c', port: 7003 },
  ],
  latency: { rttMs: 1, jitterMs: 0.2, pairs: [{ a: 'az-a', b: 'az-c', rttMs: 3 }] },
});

describe('netem plans (argv lists as data)', () => {
  const layout = netnsLayout(topo, { tag: 'ml-t' });

  it('lays out one namespace per node plus the client AZ, on a bridge in a hub namespace', () => {
    expect(layout.members.map((m) => [m.netns, m.address, m.hubIf])).toEqual([
      ['ml-t-n1', '10.200.1.1', 'h1'],
      ['ml-t-n2', '10.200.2.2', 'h2'],
      ['ml-t-n3', '10.200.3.3', 'h3'],
      ['ml-t-c-az-a', '10.200.1.200', 'h4'],
    ]);
    const plan = namespacePlan(layout);
    expect(plan.slice(0, 4).map((s) => s.argv.join(' '))).toEqual(['ip netns add ml-t-hub', 'ip -n ml-t-hub link set lo up', 'ip -n ml-t-hub link add br0 type bridge', 'ip -n ml-t-hub link set br0 up']);
    expect(plan.slice(4, 11).map((s) => s.argv.join(' '))).toEqual([
      'ip netns add ml-t-n1',
      'ip -n ml-t-n1 link set lo up',
      'ip -n ml-t-hub link add h1 type veth peer name eth0 netns ml-t-n1',
      'ip -n ml-t-hub link set h1 master br0',
      'ip -n ml-t-hub link set h1 up',
      'ip -n ml-t-n1 addr add 10.200.1.1/16 dev eth0',
      'ip -n ml-t-n1 link set eth0 up',
    ]);
    // Only namespace creations carry an undo: deleting a namespace takes its devices along.
    expect(plan.filter((s) => s.undo).map((s) => s.undo!.join(' '))).toEqual(['ip netns del ml-t-hub', 'ip netns del ml-t-n1', 'ip netns del ml-t-n2', 'ip netns del ml-t-n3', 'ip netns del ml-t-c-az-a']);
    // No step touches the root namespace: every ip command names a namespace.
    for (const s of plan) expect(s.argv[1] === '-n' || s.argv[1] === 'netns').toBe(true);
    expect(namespaceTeardownPlan(layout).map((s) => s.argv.join(' ')).at(-1)).toBe('ip netns del ml-t-hub');
  });

  it('delays cross-AZ traffic only: prio bands, netem per latency class, u32 per destination AZ', () => {
    const n1 = netemPlan(layout, topo.latency)
      .filter((s) => s.argv[2] === 'ml-t-n1')
      .map((s) => s.argv.join(' '));
    expect(n1).toEqual([
      'tc -n ml-t-n1 qdisc add dev eth0 root handle 1: prio bands 5 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1',
      'tc -n ml-t-n1 qdisc add dev eth0 parent 1:4 handle 40: netem delay 500us 100us rate 100gbit limit 100000',
      'tc -n ml-t-n1 filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 10.200.2.0/24 flowid 1:4',
      'tc -n ml-t-n1 qdisc add dev eth0 parent 1:5 handle 41: netem delay 1500us 100us rate 100gbit limit 100000',
      'tc -n ml-t-n1 filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 10.200.3.0/24 flowid 1:5',
    ]);
    // The client namespace of az-a gets the same rules as n1; no filter ever names its own AZ.
    const all = netemPlan(layout, topo.latency).map((s) => s.argv.join(' '));
    expect(all.filter((a) => a.startsWith('tc -n ml-t-c-az-a')).map((a) => a.replace('ml-t-c-az-a', 'ml-t-n1'))).toEqual(n1);
    expect(all.some((a) => a.includes('ml-t-n2') && a.includes('10.200.2.0/24'))).toBe(false);
    expect(netemTeardownPlan(layout)[0].argv.join(' ')).toBe('tc -n ml-t-n1 qdisc del dev eth0 root');
  });

  it('a constant delay needs no rate; jitter gets one so netem never reorders', () => {
    expect(netemArgs(1)).toEqual(['netem', 'delay', '500us', 'limit', '100000']);
    expect(netemArgs(1, 0.1)).toEqual(['netem', 'delay', '500us', '50us', 'rate', '100gbit', 'limit', '100000']);
  });

  it('rejects names a namespace cannot have', () => {
    expect(() => netnsLayout(topo, { tag: 'Bad Tag' })).toThrow('must be [a-z0-9-]');
    expect(() => netnsLayout(topo, { tag: 'ok', clientAzs: ['az-z'] })).toThrow("client AZ 'az-z'");
  });
});

/** A fake `ip`/`tc` that answers from a table, recording what ran. */
function fakeExec(answers: (argv: string[]) => Partial<ExecResult> | undefined): { exec: Exec; ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    exec: async (argv) => {
      ran.push(argv.join(' '));
      const a = answers(argv) ?? {};
      return { code: a.code ?? 0, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
    },
  };
}

const UNKNOWN = { code: 2, stderr: 'Error: Specified qdisc kind is unknown.\n' };

describe('netem detection', () => {
  it('names the missing kernel piece with tc’s own error and always removes its scratch namespace', async () => {
    const f = fakeExec((a) => (a.includes('netem') ? UNKNOWN : a[1] === '-V' ? { stdout: `${a[0]} utility, iproute2-6.1.0` } : undefined));
    const s = await detectNetem(f.exec, { isRoot: true });
    expect(s.ok).toBe(false);
    expect(s.missing).toEqual({ sch_netem: 'Error: Specified qdisc kind is unknown.' });
    expect(s.reason).toBe('netem backend unavailable: the kernel lacks sch_netem (tc: Error: Specified qdisc kind is unknown.); try modprobe sch_netem. Use --net proxy (the userspace delay line) instead.');
    const ns = f.ran.find((r) => r.startsWith('ip netns add '))!.split(' ')[3];
    expect(f.ran.at(-1)).toBe(`ip netns del ${ns}`);
  });

  it('says when it is not root or iproute2 is missing, without trying anything', async () => {
    const f = fakeExec((a) => (a[0] === 'tc' ? { code: 127, stderr: 'tc: command not found' } : undefined));
    const s = await detectNetem(f.exec, { isRoot: false });
    expect(s.ok).toBe(false);
    expect(s.reason).toContain('it needs root');
    expect(s.reason).toContain('iproute2 is not installed (tc missing; apt-get install iproute2)');
    expect(f.ran.some((r) => r.startsWith('ip netns add'))).toBe(false);
  });

  it('is ok when every qdisc and filter goes in', async () => {
    const f = fakeExec(() => undefined);
    expect((await detectNetem(f.exec, { isRoot: true })).ok).toBe(true);
  });

  it('auto falls back to the proxy, --net netem fails with the reason', async () => {
    const missing: NetemSupport = { ok: false, root: true, ip: 'ip', tc: 'tc', missing: { sch_netem: 'x' }, problem: 'the kernel lacks sch_netem (tc: x)', reason: 'netem backend unavailable: the kernel lacks sch_netem (tc: x). Use --net proxy (the userspace delay line) instead.' };
    const detect = async () => missing;
    expect(await chooseBackend('auto', detect)).toMatchObject({ backend: 'proxy', reason: 'auto: netem unavailable (the kernel lacks sch_netem (tc: x)); using the userspace delay line' });
    await expect(chooseBackend('netem', detect)).rejects.toThrow(NetemUnavailableError);
    await expect(chooseBackend('netem', detect)).rejects.toThrow('netem backend unavailable: the kernel lacks sch_netem');
    expect((await chooseBackend('auto', async () => ({ ...missing, ok: true }))).backend).toBe('netem');
    expect((await chooseBackend('proxy', detect)).backend).toBe('proxy');
  });
});

// ---- on this machine, for real ----

const isRoot = process.getuid?.() === 0;
const canNetns = isRoot && (await execArgv(['ip', 'netns', 'list'])).code === 0;
const support = canNetns ? await detectNetem() : null;
const tag = `mlt${process.pid}`;

afterAll(async () => {
  // Whatever a failed test left behind.
  for (const ns of await listNamespaces()) if (ns.startsWith(`${tag}-`)) await execArgv(['ip', 'netns', 'del', ns]);
});

function nsNode(netns: string, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const argv = inNamespace({ netns }, [process.execPath, '-e', script]);
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`node in ${netns} exited ${code}: ${err}`))));
  });
}

describe('namespaces on this machine', () => {
  if (!canNetns) console.log(`skipping real namespace tests: ${isRoot ? '`ip netns` does not work here' : 'not root'}`);

  it.skipIf(!canNetns)('detection leaves no scratch namespace behind', async () => {
    expect(support).not.toBeNull();
    if (!support!.ok) console.log(`netem here: ${support!.reason}`);
    expect((await listNamespaces()).filter((n) => n.startsWith(`memlab-probe-${process.pid}-`))).toEqual([]);
  });

  it.skipIf(!canNetns)('sets up namespaces, bridge and veths that carry TCP between members, and tears down to nothing', async () => {
    const rootLinksBefore = (await execArgv(['ip', '-br', 'link'])).stdout;
    const layout = netnsLayout(topo, { tag });
    const runner = new NetRunner();
    try {
      await runner.run(namespacePlan(layout));
      expect(runner.created).toHaveLength(layout.members.length + 1);
      const ours = (await listNamespaces()).filter((n) => n.startsWith(`${tag}-`)).sort();
      expect(ours).toEqual([layout.hub, ...layout.members.map((m) => m.netns)].sort());
      const onBridge = (await execArgv(['ip', '-n', layout.hub, '-br', 'link', 'show', 'master', 'br0'])).stdout;
      expect(onBridge.split('\n').filter(Boolean).map((l) => l.split(/[\s@]/)[0])).toEqual(['h1', 'h2', 'h3', 'h4']);
      // A server in n2's namespace, a client in the az-a client namespace.
      const n2 = layout.members[1];
      const client = layout.members[3];
      const server = nsNode(n2.netns, `const s=require('net').createServer(c=>{c.end('from '+c.localAddress+' to '+c.remoteAddress);s.close()}).listen(7002,'${n2.address}',()=>console.log('up'));setTimeout(()=>s.close(),3000).unref()`).catch((e: Error) => e.message);
      await new Promise((r) => setTimeout(r, 300));
      const got = await nsNode(client.netns, `const c=require('net').connect(7002,'${n2.address}');let d='';c.on('data',x=>d+=x);c.on('end',()=>console.log(d))`);
      expect(got).toBe(`from ${n2.address} to ${client.address}`);
      expect(await server).toBe('up');
    } finally {
      expect(await runner.teardown()).toEqual([]);
    }
    expect((await listNamespaces()).filter((n) => n.startsWith(`${tag}-`))).toEqual([]);
    expect((await execArgv(['ip', '-br', 'link'])).stdout).toBe(rootLinksBefore);
  });

  it.skipIf(!canNetns)('a failing step rolls back what the plan created', async () => {
    const layout = netnsLayout(topo, { tag: `${tag}x` });
    const plan = namespacePlan(layout);
    plan.splice(6, 0, { argv: ['ip', '-n', layout.hub, 'link', 'set', 'nonexistent0', 'up'] });
    const runner = new NetRunner();
    await expect(runner.run(plan)).rejects.toThrow(/ip -n .*nonexistent0 up' failed/);
    expect(runner.created).toEqual([]);
    expect((await listNamespaces()).filter((n) => n.startsWith(`${tag}x-`))).toEqual([]);
  });

  it.skipIf(!support?.ok)('applies netem and delays cross-AZ traffic only', async () => {
    const layout = netnsLayout(topo, { tag: `${tag}n` });
    const runner = new NetRunner();
    try {
      await runner.run([...namespacePlan(layout), ...netemPlan(layout, { rttMs: 2 })]);
      const [n1, n2, , c] = layout.members;
      const rtt = async (to: typeof n1) => {
        const srv = nsNode(to.netns, `const s=require('net').createServer(c=>{s.close();c.on('data',d=>c.write(d))}).listen(9000,'${to.address}');setTimeout(()=>s.close(),4000).unref()`).catch(() => '');
        await new Promise((r) => setTimeout(r, 300));
        const out = await nsNode(c.netns, `const c=require('net').connect(9000,'${to.address}');const t=[];let s;c.on('connect',()=>{s=performance.now();c.write('x')});c.on('data',()=>{t.push(performance.now()-s);if(t.length===50){t.sort((a,b)=>a-b);console.log(t[25]);c.destroy()}else{s=performance.now();c.write('x')}})`);
        await srv;
        return Number(out);
      };
      expect(await rtt(n2)).toBeGreaterThanOrEqual(1.9);
      expect(await rtt(n1)).toBeLessThan(0.5);
    } finally {
      await runner.teardown();
    }
  });
});
if (support && !support.ok) console.log(`skipping the real netem test: ${support.reason}`);

describe('backend choice on this machine', () => {
  let echoes: EchoServer[] = [];
  afterAll(async () => {
    await Promise.all(echoes.map((e) => e.close()));
  });

  it.skipIf(!support || support.ok)('--net netem fails here with the detected reason', async () => {
    await expect(chooseBackend('netem')).rejects.toThrow(support!.reason);
    expect(support!.reason).toMatch(/^netem backend unavailable: .*sch_netem/);
  });

  it('auto picks what works here; on a kernel without netem the proxy really runs and delays cross-AZ only', async () => {
    const choice = await chooseBackend('auto');
    if (support?.ok) {
      expect(choice.backend).toBe('netem');
      return;
    }
    expect(choice.backend).toBe('proxy');
    console.log(`backend: ${choice.reason}`);
    // The proxy backend for a 2-AZ cluster of echo "nodes" on their own addresses.
    echoes = await Promise.all([startEchoServer('127.0.1.1'), startEchoServer('127.0.2.2')]);
    const t = planTopology({
      azs: ['az-a', 'az-b'],
      nodes: echoes.map((e, i) => ({ id: `n${i + 1}`, az: i === 0 ? 'az-a' : 'az-b', host: e.endpoint.host, port: e.endpoint.port })),
      latency: { rttMs: 1 },
    });
    const line = new DelayLine();
    try {
      for (const o of linkOptions(t)) await line.addLink(o);
      const [farEp, nearEp] = [clientEndpoint(t, 'n2'), clientEndpoint(t, 'n1')];
      const far = await probe(farEp, { protocol: 'echo', count: 200, localAddress: farEp.localAddress });
      const near = await probe(nearEp, { protocol: 'echo', count: 200, localAddress: nearEp.localAddress });
      // Loose upper bounds: a busy 2-core CI machine adds its own queueing.
      expect(far.p50).toBeGreaterThanOrEqual(0.93);
      expect(far.p50).toBeLessThan(2);
      expect(near.p50).toBeLessThan(0.6);
      expect(far.p50 - near.p50).toBeGreaterThan(0.8);
      expect(line.link('az-a->n2').stats().forward.chunks).toBeGreaterThanOrEqual(200);
    } finally {
      await line.close();
    }
  });
});
