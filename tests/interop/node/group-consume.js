#!/usr/bin/env node
// kafkajs 2.2.4 consumer-group member for the interop tests.
//
//   node group-consume.js --brokers B --topic T --group G --n N [--timeout MS]
//
// Joins group G subscribed to T (from the earliest offset when the group has none), reads up to n records or
// until the timeout, commits (kafkajs commits after each batch) and leaves; prints {"count":N,"sha256":"..."}
// with the checksum over the canonical lines "key\tvalue\th1=v1,h2=v2\n" sorted (a group reads its partitions
// interleaved), as dataset.py computes them.
'use strict';
const crypto = require('crypto');
const { Kafka, logLevel } = require('kafkajs');

function parseArgs(argv) {
  const opts = { brokers: '127.0.0.1:9092', topic: '', group: '', n: 1000, timeout: 60000 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in opts) || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    opts[k] = typeof opts[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return opts;
}

function canonicalLine(m) {
  const headers = Object.entries(m.headers || {}).map(([k, v]) => `${k}=${v ? v.toString() : ''}`).join(',');
  return `${m.key ? m.key.toString() : ''}\t${m.value ? m.value.toString() : ''}\t${headers}\n`;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const kafka = new Kafka({ clientId: 'gregor-interop-kafkajs', brokers: o.brokers.split(','),
                            logLevel: logLevel.ERROR, retry: { retries: 5 } });
  const consumer = kafka.consumer({ groupId: o.group, sessionTimeoutMs: 10000, heartbeatInterval: 1000 });
  const lines = [];
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: true });
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const timer = setTimeout(() => done(), o.timeout);
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (lines.length < o.n) lines.push(canonicalLine(message));
      if (lines.length >= o.n) done();
    },
  });
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  lines.sort();
  const sum = crypto.createHash('sha256');
  for (const l of lines) sum.update(l);
  console.log(JSON.stringify({ count: lines.length, sha256: sum.digest('hex') }));
}

main().catch((e) => {
  console.error(`kafkajs group-consume: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
