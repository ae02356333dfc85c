/** The lab network's public API (docs/network.md). */
export { DelayLine, Link, type DelayLineOptions, type DelayLineStats, type Direction, type DirectionStats, type Endpoint, type LinkOptions, type LinkState, type LinkStats, type SourceFilter } from './delay-line.js';
export { ControlServer, ProxyClient, spawnProxy, applyFault, type Commands, type FaultKind, type ProcessStats, type ProxyProcess, type SpawnProxyOptions } from './control.js';
export { probe, startEchoServer, type EchoServer, type ProbeOptions, type ProbeResult } from './probe.js';
export * from './topology.js';
export { netnsLayout, namespacePlan, namespaceTeardownPlan, inNamespace, NetRunner, StepError, listNamespaces, execArgv, type Exec, type ExecResult, type NetnsLayout, type NetnsMember, type Step } from './namespaces.js';
export { chooseBackend, detectNetem, netemArgs, netemPlan, netemTeardownPlan, NetemUnavailableError, type BackendChoice, type NetBackend, type NetRequest, type NetemSupport } from './netem.js';
export { CLOCK_KINDS, type ClockKind } from './clock.js';
export type { Summary } from './histogram.js';
