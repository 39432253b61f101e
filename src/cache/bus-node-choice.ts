import { type BusNode, nodeAddress } from './bus-subscription.ts';

/**
 * Where the bus's next subscription goes: never on a node that already holds one (two
 * subscriptions on one node fail together), on another host than the others when there is one,
 * and not on a node whose subscription failed within `troubleWindowMs`; among the rest, the node
 * whose last trouble is oldest, then a random one (instances spread over the cluster).
 */
export function chooseBusNode(
  candidates: readonly BusNode[],
  inUse: readonly string[],
  troubleAt: ReadonlyMap<string, number>,
  now: number,
  troubleWindowMs: number,
  random: () => number = Math.random,
): BusNode | undefined {
  const usedHosts = new Set(inUse.map((address) => address.slice(0, address.lastIndexOf(':'))));
  const eligible = candidates.filter((node) => {
    const address = nodeAddress(node);
    if (inUse.includes(address)) return false;
    const trouble = troubleAt.get(address);
    return trouble === undefined || now - trouble >= troubleWindowMs;
  });
  if (eligible.length === 0) return undefined;
  const otherHost = eligible.filter((node) => !usedHosts.has(node.host));
  const pool = otherHost.length > 0 ? otherHost : eligible;
  const oldest = Math.min(...pool.map((node) => troubleAt.get(nodeAddress(node)) ?? -1));
  const best = pool.filter((node) => (troubleAt.get(nodeAddress(node)) ?? -1) === oldest);
  return best[Math.floor(random() * best.length)] ?? best[0];
}
