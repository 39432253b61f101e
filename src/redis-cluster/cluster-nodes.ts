/**
 * Parser for CLUSTER NODES output
 * (<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...).
 */

export interface ClusterNodeEntry {
  nodeId: string;
  host: string;
  port: number;
  flags: string[];
  role: 'master' | 'replica';
  /** Node id of the master this node replicates, or null for masters. */
  masterNodeId: string | null;
  /** True when some node flags it as failing (fail or pfail). */
  failing: boolean;
  linkConnected: boolean;
  /** Number of hash slots owned (masters only); migrating/importing markers are ignored. */
  slotCount: number;
  slotRanges: Array<[number, number]>;
  myself: boolean;
}

function parseSlots(tokens: readonly string[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const token of tokens) {
    if (token.startsWith('[')) continue;
    const [startText, endText] = token.split('-');
    const start = Number(startText);
    const end = endText === undefined ? start : Number(endText);
    if (Number.isInteger(start) && Number.isInteger(end)) ranges.push([start, end]);
  }
  return ranges;
}

export function parseClusterNodes(text: string): ClusterNodeEntry[] {
  const entries: ClusterNodeEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const tokens = line.trim().split(/\s+/);
    const [nodeId, address, flagText, master, , , , linkState, ...slotTokens] = tokens;
    if (nodeId === undefined || address === undefined || flagText === undefined || master === undefined) continue;
    const hostPort = address.split('@')[0] ?? '';
    const separator = hostPort.lastIndexOf(':');
    const port = Number(hostPort.slice(separator + 1));
    if (separator < 0 || !Number.isInteger(port)) continue;
    const flags = flagText.split(',');
    const slotRanges = parseSlots(slotTokens);
    entries.push({
      nodeId,
      host: hostPort.slice(0, separator),
      port,
      flags,
      role: flags.includes('slave') ? 'replica' : 'master',
      masterNodeId: master === '-' ? null : master,
      failing: flags.includes('fail') || flags.includes('fail?'),
      linkConnected: linkState === 'connected',
      slotCount: slotRanges.reduce((sum, [start, end]) => sum + end - start + 1, 0),
      slotRanges,
      myself: flags.includes('myself'),
    });
  }
  return entries;
}
