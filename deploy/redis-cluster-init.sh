#!/bin/sh
# One-shot: form a 3-master / 3-replica Redis Cluster from redis-1 ... redis-6.
# Idempotent: exits 0 when the cluster is already formed (e.g. on restart).
set -eu

NODES="redis-1 redis-2 redis-3 redis-4 redis-5 redis-6"

for n in $NODES; do
  tries=0
  until redis-cli -h "$n" -p 6379 ping >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 60 ]; then
      echo "redis-cluster-init: $n did not answer PING" >&2
      exit 1
    fi
    sleep 1
  done
done

if redis-cli -h redis-1 -p 6379 cluster info | grep -q '^cluster_state:ok'; then
  echo "redis-cluster-init: cluster already formed"
  redis-cli --cluster check redis-1:6379 || true
  exit 0
fi

# redis-cli --cluster create wants addresses; resolve the service names.
ADDRS=""
for n in $NODES; do
  ip=$(getent hosts "$n" | awk '{ print $1; exit }')
  if [ -z "$ip" ]; then
    echo "redis-cluster-init: cannot resolve $n" >&2
    exit 1
  fi
  ADDRS="$ADDRS $ip:6379"
done

# shellcheck disable=SC2086 # word splitting of ADDRS is intended
redis-cli --cluster create $ADDRS --cluster-replicas 1 --cluster-yes

tries=0
until redis-cli -h redis-1 -p 6379 cluster info | grep -q '^cluster_state:ok'; do
  tries=$((tries + 1))
  if [ "$tries" -gt 30 ]; then
    echo "redis-cluster-init: cluster did not reach cluster_state:ok" >&2
    exit 1
  fi
  sleep 1
done
echo "redis-cluster-init: cluster formed"
